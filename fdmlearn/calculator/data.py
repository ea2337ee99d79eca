"""Sequences of MNIST digit images that spell numbers, and their exact sums.

Sums are exact whatever the size: they are `int64` arrays while the largest
possible sum fits in 63 bits, and object arrays of Python integers beyond
(for example 20,000 operands of 15 digits), so they never overflow.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from fdmlearn._checks import (
    check_array,
    check_bool,
    check_choice,
    check_images,
    check_index,
    check_int,
    check_rng,
)
from fdmlearn.datasets import mnist_split

__all__ = [
    "MAX_DIGITS",
    "MAX_IMAGES",
    "CalculatorDataset",
    "make_dataset",
    "n_sum_digits",
]

MAX_DIGITS = 15
"""Most digits per operand."""

MAX_IMAGES = 1_000_000
"""Most digit images in one dataset (3.1 GB of float32 pixels): checked before allocating."""

IMAGE_SHAPE = (28, 28, 1)
_INT64_MAX = np.iinfo(np.int64).max


def check_sizes(n_operands: Any, n_digits: Any) -> tuple[int, int]:
    """The two layout numbers, checked: `n_operands >= 2`, `1 <= n_digits <= MAX_DIGITS`."""
    return (
        check_int("n_operands", n_operands, minimum=2),
        check_int("n_digits", n_digits, minimum=1, maximum=MAX_DIGITS),
    )


def n_sum_digits(n_operands: int, n_digits: int) -> int:
    """How many digits the largest possible sum has.

    Every sum is written with this many digits, with leading zeros, so that
    the adder always emits the same number of characters.

    Args:
        n_operands: Number of numbers added (>= 2).
        n_digits: Digits per number (1 to 15).

    Returns:
        The number of digits of `n_operands * (10**n_digits - 1)`.

    Raises:
        TypeError: If a size is not an integer.
        ValueError: If `n_operands < 2` or `n_digits` is outside 1..15.

    Examples:
        >>> n_sum_digits(2, 3)  # 999 + 999 = 1998
        4
        >>> n_sum_digits(4, 2)  # 4 * 99 = 396
        3
    """
    n_operands, n_digits = check_sizes(n_operands, n_digits)
    return len(str(n_operands * (10**n_digits - 1)))


def value_dtype(largest: int) -> Any:
    """`int64` if every value up to `largest` fits in it, else `object` (Python ints)."""
    return np.int64 if largest <= _INT64_MAX else object


def to_chars(values: Any, width: int) -> np.ndarray:
    """Digits of each value, most significant first: (...,) -> (..., width) int64."""
    values = np.asarray(values)
    if values.dtype == object:
        text = [str(int(v)).zfill(width) for v in values.ravel()]
        flat = np.array([[ord(c) - 48 for c in t] for t in text], dtype=np.int64)
        return flat.reshape(*values.shape, width)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[..., None] // powers) % 10


def from_chars(chars: Any) -> np.ndarray:
    """Values from their digits (..., width), most significant first; exact at any width."""
    chars = np.asarray(chars, dtype=np.int64)
    width = chars.shape[-1]
    if width <= 18:
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        return (chars * powers).sum(axis=-1)
    flat = chars.reshape(-1, width)
    out = np.empty(len(flat), dtype=object)
    out[:] = [int("".join(map(str, row))) for row in flat]
    return out.reshape(chars.shape[:-1])


def operand_values(digits: np.ndarray, n_operands: int, n_digits: int) -> np.ndarray:
    """(N, n_operands * n_digits) digits -> (N, n_operands) numbers (n_digits <= 15: int64)."""
    place = 10 ** np.arange(n_digits - 1, -1, -1, dtype=np.int64)
    return digits.reshape(len(digits), n_operands, n_digits) @ place


def running_totals(operands: np.ndarray, n_digits: int) -> np.ndarray:
    """Running totals along axis 1, exact: object dtype when int64 could overflow."""
    dtype = value_dtype(operands.shape[1] * (10**n_digits - 1))
    return np.cumsum(operands.astype(dtype), axis=1)


def _read_only(value: Any) -> Any:
    # A dataset's arrays are its own (fresh arrays, never the caller's) and
    # read-only: a NaN written into `data.images` after the checks would
    # otherwise reach training unseen.
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    return value


@dataclass(frozen=True, eq=False, repr=False)
class CalculatorDataset:
    """Sequences of MNIST digit images and the numbers they spell.

    Build one with `make_dataset`. Sequence `i` holds `n_operands` numbers of
    `n_digits` digits, one after the other, most significant digit first.
    It indexes like a NumPy array: `data[-1]`, `data[2:5]`, `data[mask]` and
    `data[[0, 3]]` are datasets of the chosen sequences.

    Its arrays are read-only (copy one, `data.images.copy()`, to change it).

    Attributes:
        images: (N, n_operands * n_digits, 28, 28, 1) float32 in [0, 1].
        digits: (N, n_operands * n_digits) int64, the digit of each image.
        operands: (N, n_operands) int64, the numbers.
        sums: (N,) the sum of the numbers: int64, or Python ints (object
            dtype) when the largest possible sum does not fit in int64.
        running: (N, n_operands) the running total after each number (same dtype).
        mnist_indices: (N, n_operands * n_digits) int64, which image of the
            MNIST split each position shows.
        split: `"train"` or `"test"`: the MNIST split all images come from.
        n_operands: Numbers per sequence.
        n_digits: Digits per number, or `(shortest, longest)` for a ragged
            dataset whose operands have lengths drawn in that range.
        lengths: None, or for a ragged dataset (N, n_operands) int64, the
            digits of each operand. Its arrays then keep the fixed layout of
            `longest` digits per operand, with blank images (digit 0, MNIST
            index -1) in front of shorter operands; `sequences` gives the
            ragged, unpadded form the calculator reads.

    Examples:
        >>> from fdmlearn.calculator import make_dataset
        >>> data = make_dataset(5, n_operands=2, n_digits=3, split="test", seed=0)
        >>> data[-1]
        CalculatorDataset(n=1, n_operands=2, n_digits=3, split='test')
        >>> bool(data[-1].sums[0] == data.sums[4])
        True
    """

    images: np.ndarray
    digits: np.ndarray
    operands: np.ndarray
    sums: np.ndarray
    running: np.ndarray
    mnist_indices: np.ndarray
    split: str
    n_operands: int
    n_digits: int | tuple[int, int]
    lengths: np.ndarray | None = None

    def __post_init__(self) -> None:
        # A dataset built by hand is checked once here; make_dataset and
        # indexing build theirs through `_trusted`, which skips the checks.
        if self.lengths is not None:
            raise ValueError("ragged datasets (lengths=...) are made by make_dataset only")
        n_operands, n_digits = check_sizes(self.n_operands, self.n_digits)
        length = n_operands * n_digits
        images = self.images
        if np.ndim(images) == 4:
            images = np.asarray(images)[..., None]
        images = check_images("images", images, shape=(None, length, *IMAGE_SHAPE))
        n = len(images)
        digits = check_array(
            "digits", self.digits, shape=(n, length), kind="int", minimum=0, maximum=9
        )
        operands = operand_values(digits.astype(np.int64), n_operands, n_digits)
        running = running_totals(operands, n_digits)
        given = np.asarray(self.sums)
        if given.shape != (n,) or any(
            int(a) != int(b) for a, b in zip(given, running[:, -1], strict=True)
        ):
            raise ValueError("sums must be the sums of the numbers that digits spell")
        object.__setattr__(self, "split", check_choice("split", self.split, ("train", "test")))
        indices = np.asarray(self.mnist_indices)
        if indices.shape != (n, length):
            raise ValueError(f"mnist_indices must have shape {(n, length)}, got {indices.shape}")
        # Copies: the dataset's arrays are made read-only, the caller's stay as they were.
        for name, value in [
            ("images", np.array(images)),
            ("digits", digits.astype(np.int64)),
            ("operands", operands),
            ("sums", running[:, -1].copy()),
            ("running", running),
            ("mnist_indices", np.array(indices)),
            ("n_operands", n_operands),
            ("n_digits", n_digits),
        ]:
            object.__setattr__(self, name, _read_only(value))

    @classmethod
    def _trusted(cls, **values: Any) -> CalculatorDataset:
        data = object.__new__(cls)
        for f in fields(cls):
            object.__setattr__(data, f.name, _read_only(values[f.name]))
        return data

    def __len__(self) -> int:
        return len(self.digits)

    @property
    def ragged(self) -> bool:
        """Whether the operands have different lengths (`n_digits=(shortest, longest)`)."""
        return self.lengths is not None

    @property
    def max_digits(self) -> int:
        """Digits of the longest possible operand."""
        return self.n_digits[1] if self.ragged else self.n_digits

    @property
    def sequence_length(self) -> int:
        """Images per sequence in the fixed layout: `n_operands * max_digits`."""
        return self.n_operands * self.max_digits

    @property
    def sum_width(self) -> int:
        """Digits every sum is written with (see `n_sum_digits`)."""
        return n_sum_digits(self.n_operands, self.max_digits)

    @property
    def sequences(self) -> list[list[np.ndarray]]:
        """The sequences as the assignment gives them: a list of operands each, every
        operand an array of its own digit images (no leading blanks or zeros)."""
        width = self.max_digits
        lengths = self.lengths if self.ragged else np.full((len(self), self.n_operands), width)
        return [
            [
                self.images[i, (k + 1) * width - int(lengths[i, k]) : (k + 1) * width]
                for k in range(self.n_operands)
            ]
            for i in range(len(self))
        ]

    def __getitem__(self, index: Any) -> CalculatorDataset:
        """A dataset of some of the sequences (NumPy-style index; one int gives 1 sequence)."""
        positions, _ = check_index(index, len(self))
        return CalculatorDataset._trusted(
            images=self.images[positions],
            digits=self.digits[positions],
            operands=self.operands[positions],
            sums=self.sums[positions],
            running=self.running[positions],
            mnist_indices=self.mnist_indices[positions],
            split=self.split,
            n_operands=self.n_operands,
            n_digits=self.n_digits,
            lengths=None if self.lengths is None else self.lengths[positions],
        )

    def __repr__(self) -> str:
        return (
            f"CalculatorDataset(n={len(self)}, n_operands={self.n_operands}, "
            f"n_digits={self.n_digits}, split={self.split!r})"
        )

    def _repr_html_(self, max_rows: int = 3) -> str:
        """The first sequences as image strips with their sums, for Jupyter."""
        from matplotlib.image import imsave

        rows = []
        for i in range(min(max_rows, len(self))):
            # At most 24 images a strip, so that long sequences stay small.
            strip = np.concatenate(list(self.images[i, :24, :, :, 0]), axis=1)
            buf = io.BytesIO()
            imsave(buf, strip, cmap="gray_r", vmin=0.0, vmax=1.0, format="png")
            src = base64.b64encode(buf.getvalue()).decode("ascii")
            text = " + ".join(str(int(v)) for v in self.operands[i]) + f" = {int(self.sums[i])}"
            rows.append(
                f'<tr><td><img src="data:image/png;base64,{src}" style="height:28px" '
                f'alt="{html.escape(text)}"></td><td>{html.escape(text)}</td></tr>'
            )
        more = len(self) - len(rows)
        tail = f"<tr><td colspan=2>… {more} more</td></tr>" if more > 0 else ""
        return f"<p>{html.escape(repr(self))}</p><table>{''.join(rows)}{tail}</table>"

    @property
    def sum_chars(self) -> np.ndarray:
        """(N, n_sum_digits) digits of each final sum, with leading zeros."""
        return to_chars(self.sums, self.sum_width)

    @property
    def running_chars(self) -> np.ndarray:
        """(N, n_operands, n_sum_digits) digits of each running total."""
        return to_chars(self.running, self.sum_width)


def make_dataset(
    n: int,
    n_operands: int = 2,
    n_digits: int | tuple[int, int] = 3,
    split: str = "train",
    seed: int | np.random.Generator | None = 0,
    *,
    replace: bool = True,
) -> CalculatorDataset:
    """Draw `n` random sequences of MNIST digit images and their sums.

    Every position of every sequence shows an image drawn at random, with
    replacement, from one MNIST split only: a test set never shows a digit
    image that training saw. Numbers may have leading zeros (`061` is 61).
    Generation is vectorized: 60,000 sequences take about a second.

    Args:
        n: Number of sequences (>= 1).
        n_operands: Numbers per sequence (>= 2).
        n_digits: Digits per number (1 to 15), or `(shortest, longest)`: each
            operand's length is drawn uniformly in that range (a ragged
            dataset, see `CalculatorDataset.lengths` and `.sequences`).
        split: `"train"` or `"test"`.
        seed: An int >= 0, None (fresh entropy) or a `numpy.random.Generator`;
            the same int gives the same dataset.
        replace: Draw images with replacement (default). `False` uses each
            image of the split at most once, as in the MNIST-addition
            benchmark (60,000 / (n_operands * n_digits) training sequences).

    Returns:
        A `CalculatorDataset`.

    Raises:
        TypeError: If `n`, `n_operands`, `n_digits` or `seed` has the wrong type.
        ValueError: If one of them is out of range, `split` is unknown, or the
            dataset would hold more than `MAX_IMAGES` images.

    Examples:
        >>> data = make_dataset(3, n_operands=2, n_digits=3, split="test", seed=1)
        >>> data
        CalculatorDataset(n=3, n_operands=2, n_digits=3, split='test')
        >>> data.images.shape, data.images.dtype
        ((3, 6, 28, 28, 1), dtype('float32'))
        >>> d, ops_ = data.digits[0], data.operands[0]
        >>> bool(ops_[0] == 100 * d[0] + 10 * d[1] + d[2])
        True
        >>> data.running.shape, bool((data.running[:, -1] == data.sums).all())
        ((3, 2), True)

        Operands of 1 to 3 digits, as in 294 + 61:

        >>> mixed = make_dataset(2, n_operands=2, n_digits=(1, 3), split="test", seed=2)
        >>> mixed
        CalculatorDataset(n=2, n_operands=2, n_digits=(1, 3), split='test')
        >>> [[len(operand) for operand in seq] for seq in mixed.sequences]
        [[3, 1], [3, 1]]
        >>> mixed.operands.tolist(), mixed.sums.tolist()
        ([[758, 5], [628, 6]], [763, 634])
    """
    n = check_int("n", n, minimum=1)
    digit_range = None
    if isinstance(n_digits, tuple | list):
        if len(n_digits) != 2:
            raise ValueError(
                f"n_digits must be an int or a pair (shortest, longest), got {n_digits!r}"
            )
        low = check_int("n_digits[0]", n_digits[0], minimum=1, maximum=MAX_DIGITS)
        high = check_int("n_digits[1]", n_digits[1], minimum=low, maximum=MAX_DIGITS)
        digit_range, n_digits = (low, high), high
    n_operands, n_digits = check_sizes(n_operands, n_digits)
    split = check_choice("split", split, ("train", "test"))
    rng = check_rng(seed)
    length = n_operands * n_digits
    if n * length > MAX_IMAGES:
        raise ValueError(
            f"make_dataset(n={n}, n_operands={n_operands}, n_digits={n_digits}) would hold "
            f"{n * length:,} digit images ({n * length * 3136 / 2**30:.1f} GiB); the limit is "
            f"MAX_IMAGES = {MAX_IMAGES:,}: draw fewer or shorter sequences"
        )
    replace = check_bool("replace", replace)
    images, labels = mnist_split(split)
    if replace:
        indices = rng.integers(0, len(labels), size=(n, length), dtype=np.int64)
    elif n * length > len(labels):
        raise ValueError(
            f"replace=False uses each image once, but {n} sequences of {length} images need "
            f"{n * length:,} and the {split} split has {len(labels):,}"
        )
    else:
        indices = rng.permutation(len(labels))[: n * length].reshape(n, length).astype(np.int64)
    digits = labels[indices].astype(np.int64)
    seq_images = images[indices].astype(np.float32)  # one gather, then scale in place
    seq_images /= np.float32(255.0)
    lengths = None
    if digit_range is not None:
        lengths = rng.integers(digit_range[0], digit_range[1] + 1, size=(n, n_operands))
        # Positions in front of a shorter operand: a blank image, digit 0.
        position = np.arange(n_digits)[None, None, :]
        blank = (position < n_digits - lengths[:, :, None]).reshape(n, length)
        digits[blank], indices[blank], seq_images[blank] = 0, -1, 0.0
    operands = operand_values(digits, n_operands, n_digits)
    running = running_totals(operands, n_digits)
    return CalculatorDataset._trusted(
        images=seq_images[..., None],
        digits=digits,
        operands=operands,
        sums=running[:, -1].copy(),
        running=running,
        mnist_indices=indices,
        split=split,
        n_operands=n_operands,
        n_digits=n_digits if digit_range is None else digit_range,
        lengths=lengths,
    )
