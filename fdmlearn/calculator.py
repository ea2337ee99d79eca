"""The MNIST calculator: add numbers that are written as sequences of digit images.

A sequence of `n_operands * n_digits` MNIST images spells `n_operands` numbers
of `n_digits` digits each (leading zeros allowed, most significant digit
first). The calculator reads the images and outputs their sum, or with
`cumulative=True` the running total after each operand.

It is built from two parts, trained separately and then together:

1. A **digit reader**: a CNN that maps one 28x28 image to 10 digit
   probabilities. It is applied to every image of the sequence.
2. An **adder** that turns the digit probabilities into the digits of the sum.
   The default adder works like pencil-and-paper addition: it aligns the
   operands column by column and reads the columns least significant first.
   For each column it computes the probability of every column sum (a
   convolution of the operands' digit probabilities, no weights), and a small
   GRU carries from one column to the next, emitting one digit of the sum per
   column. Carrying is then a local rule that the GRU learns exactly, for any
   number of operands and digits. It is trained on random digit sequences,
   without any image.
3. **Fine-tuning** chains the two (the reader's soft probabilities go straight
   into the adder) and trains the reader end to end on image sequences, the
   adder kept frozen so that it stays exact.

`architecture="reference"` rebuilds the seed notebook's model instead, so that
its numbers can be reproduced side by side: a `TimeDistributed` CNN trained on
the digit sequences, then a `SimpleRNN` sequence-to-sequence adder trained on
one-hot digits, chained without fine-tuning.

Examples:
    >>> from fdmlearn import calculator
    >>> data = calculator.make_dataset(2, n_operands=2, n_digits=3, split="test", seed=0)
    >>> data.images.shape
    (2, 6, 28, 28, 1)
    >>> bool((data.sums == data.operands.sum(axis=1)).all())
    True
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from fdmlearn.datasets import mnist_split

__all__ = [
    "CalculatorDataset",
    "Calculator",
    "make_dataset",
    "build_calculator",
    "load_calculator",
    "n_sum_digits",
    "ColumnSums",
    "ReverseSteps",
    "confusion_matrix",
    "plot_gallery",
    "plot_mistakes",
    "plot_confusion_matrix",
]

ARCHITECTURES = ("default", "reference")
_IMAGE_SHAPE = (28, 28, 1)
_MAX_DIGITS = 15  # keeps every sum well inside int64
_FORMAT_VERSION = 1


# --------------------------------------------------------------------------- checks


def _check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def _check_sizes(n_operands: Any, n_digits: Any) -> tuple[int, int]:
    return (
        _check_int("n_operands", n_operands, 2),
        _check_int("n_digits", n_digits, 1, _MAX_DIGITS),
    )


def n_sum_digits(n_operands: int, n_digits: int) -> int:
    """How many digits the largest possible sum has.

    Every sum is written with this many digits, with leading zeros, so that
    the adder always emits the same number of characters.

    Args:
        n_operands: Number of numbers added (>= 2).
        n_digits: Digits per number (>= 1).

    Returns:
        The number of digits of `n_operands * (10**n_digits - 1)`.

    Raises:
        ValueError: If `n_operands < 2` or `n_digits < 1`.

    Examples:
        >>> n_sum_digits(2, 3)  # 999 + 999 = 1998
        4
        >>> n_sum_digits(4, 2)  # 4 * 99 = 396
        3
    """
    n_operands, n_digits = _check_sizes(n_operands, n_digits)
    return len(str(n_operands * (10**n_digits - 1)))


def _to_chars(values: np.ndarray, width: int) -> np.ndarray:
    # Digits of each value, most significant first: (...,) -> (..., width).
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[..., None] // powers) % 10


def _from_chars(chars: np.ndarray) -> np.ndarray:
    width = chars.shape[-1]
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(chars, dtype=np.int64) * powers).sum(axis=-1)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False, repr=False)
class CalculatorDataset:
    """Sequences of MNIST digit images and the numbers they spell.

    Build one with `make_dataset`. Sequence `i` holds `n_operands` numbers of
    `n_digits` digits, one after the other, most significant digit first.

    Attributes:
        images: (N, n_operands * n_digits, 28, 28, 1) float32 in [0, 1].
        digits: (N, n_operands * n_digits) int64, the digit of each image.
        operands: (N, n_operands) int64, the numbers.
        sums: (N,) int64, the sum of the numbers.
        running: (N, n_operands) int64, the running total after each number.
        mnist_indices: (N, n_operands * n_digits) int64, which image of the
            MNIST split each position shows.
        split: `"train"` or `"test"`: the MNIST split all images come from.
        n_operands: Numbers per sequence.
        n_digits: Digits per number.
    """

    images: np.ndarray
    digits: np.ndarray
    operands: np.ndarray
    sums: np.ndarray
    running: np.ndarray
    mnist_indices: np.ndarray
    split: str
    n_operands: int
    n_digits: int
    _sum_width: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sum_width", n_sum_digits(self.n_operands, self.n_digits))

    def __len__(self) -> int:
        return len(self.digits)

    def __getitem__(self, index: slice | np.ndarray) -> CalculatorDataset:
        """A dataset of some of the sequences (a slice or an index array)."""
        if isinstance(index, int | np.integer):
            index = slice(int(index), int(index) + 1)
        return CalculatorDataset(
            images=self.images[index],
            digits=self.digits[index],
            operands=self.operands[index],
            sums=self.sums[index],
            running=self.running[index],
            mnist_indices=self.mnist_indices[index],
            split=self.split,
            n_operands=self.n_operands,
            n_digits=self.n_digits,
        )

    def __repr__(self) -> str:
        return (
            f"CalculatorDataset(n={len(self)}, n_operands={self.n_operands}, "
            f"n_digits={self.n_digits}, split={self.split!r})"
        )

    @property
    def sum_chars(self) -> np.ndarray:
        """(N, n_sum_digits) digits of each final sum, with leading zeros."""
        return _to_chars(self.sums, self._sum_width)

    @property
    def running_chars(self) -> np.ndarray:
        """(N, n_operands, n_sum_digits) digits of each running total."""
        return _to_chars(self.running, self._sum_width)


def make_dataset(
    n: int,
    n_operands: int = 2,
    n_digits: int = 3,
    split: str = "train",
    seed: int = 0,
) -> CalculatorDataset:
    """Draw `n` random sequences of MNIST digit images and their sums.

    Every position of every sequence shows an image drawn at random, with
    replacement, from one MNIST split only: a test set never shows a digit
    image that training saw. Numbers may have leading zeros (`061` is 61).
    Generation is vectorized: 60,000 sequences take about a second.

    Args:
        n: Number of sequences (>= 1).
        n_operands: Numbers per sequence (>= 2).
        n_digits: Digits per number (1 to 15).
        split: `"train"` or `"test"`.
        seed: Seed of the random draw; the same seed gives the same dataset.

    Returns:
        A `CalculatorDataset`.

    Raises:
        TypeError: If `n`, `n_operands`, `n_digits` or `seed` is not an integer.
        ValueError: If one of them is out of range or `split` is unknown.

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
    """
    n = _check_int("n", n, 1)
    n_operands, n_digits = _check_sizes(n_operands, n_digits)
    seed = _check_int("seed", seed, 0)
    images, labels = mnist_split(split)  # raises on an unknown split
    length = n_operands * n_digits
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(labels), size=(n, length), dtype=np.int64)
    digits = labels[indices].astype(np.int64)
    seq_images = images[indices].astype(np.float32)  # one gather, then scale in place
    seq_images /= np.float32(255.0)
    place = 10 ** np.arange(n_digits - 1, -1, -1, dtype=np.int64)
    operands = digits.reshape(n, n_operands, n_digits) @ place
    running = np.cumsum(operands, axis=1)
    return CalculatorDataset(
        images=seq_images[..., None],
        digits=digits,
        operands=operands,
        sums=running[:, -1].copy(),
        running=running,
        mnist_indices=indices,
        split=split,
        n_operands=n_operands,
        n_digits=n_digits,
    )


def _check_images(images: Any, length: int) -> np.ndarray:
    # Accepts (N, L, 28, 28, 1) or (N, L, 28, 28); uint8 is scaled by 1/255.
    if isinstance(images, CalculatorDataset):
        images = images.images
    arr = np.asarray(images)
    expected = f"(N, {length}, 28, 28, 1) or (N, {length}, 28, 28)"
    if arr.ndim == 4:
        arr = arr[..., None]
    if arr.ndim != 5:
        raise ValueError(f"images must have shape {expected}, got shape {arr.shape}")
    if arr.shape[2:] != _IMAGE_SHAPE:
        raise ValueError(
            f"images must be 28x28 MNIST digits of shape {expected}, got shape {np.shape(images)}"
        )
    if arr.shape[1] != length:
        raise ValueError(
            f"images must be sequences of {length} digits (n_operands * n_digits), "
            f"got sequences of {arr.shape[1]} images (shape {np.shape(images)})"
        )
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"images must be float in [0, 1] or uint8 in [0, 255], got dtype {arr.dtype}"
        )
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(
            f"float images must lie in [0, 1], got values in [{arr.min():g}, {arr.max():g}]; "
            "divide by 255 first"
        )
    return arr.astype(np.float32, copy=False)


def _check_dataset(dataset: Any, calc: Calculator, name: str = "dataset") -> CalculatorDataset:
    if not isinstance(dataset, CalculatorDataset):
        raise TypeError(
            f"{name} must be a CalculatorDataset (see make_dataset), got {type(dataset).__name__}"
        )
    if (dataset.n_operands, dataset.n_digits) != (calc.n_operands, calc.n_digits):
        raise ValueError(
            f"{name} holds {dataset.n_operands} operands of {dataset.n_digits} digits, "
            f"but the calculator adds {calc.n_operands} operands of {calc.n_digits} digits"
        )
    return dataset


# --------------------------------------------------------------------------- layers


@keras.saving.register_keras_serializable(package="fdmlearn")
class ColumnSums(layers.Layer):
    """Turn digit probabilities in reading order into column-sum probabilities.

    Input: (batch, n_operands * n_digits, 10), operand after operand, most
    significant digit first. Output: (batch, n_steps, 9 * n_operands + 1):
    for each column of the written addition, least significant first, the
    probability that the column's digits add up to 0, 1, ..., 9 * n_operands.
    It is the convolution of the operands' digit distributions (the digits
    are read independently), so one-hot digits give a one-hot column sum.
    Columns beyond `n_digits`, up to `n_steps`, hold only zeros (sum 0).
    With `keep=k` the operands after the k-th read as 0, which gives the
    running total after operand k. The layer has no weights.
    """

    def __init__(
        self, n_operands: int, n_digits: int, n_steps: int, keep: int | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.n_operands, self.n_digits, self.n_steps, self.keep = (
            n_operands,
            n_digits,
            n_steps,
            keep,
        )
        width = 9 * n_operands + 1
        # shift[i, d, s] = 1 where partial sum i plus digit d makes s.
        shift = np.zeros((width, 10, width), dtype=np.float32)
        for i in range(width):
            for d in range(10):
                if i + d < width:
                    shift[i, d, i + d] = 1.0
        self._shift = shift

    def call(self, probs):
        x = ops.reshape(probs, (-1, self.n_operands, self.n_digits, 10))
        x = ops.flip(x, axis=2)  # least significant digit first, as on paper
        width = 9 * self.n_operands + 1
        shift = ops.convert_to_tensor(self._shift, dtype=x.dtype)
        n_kept = self.n_operands if self.keep is None else self.keep
        total = ops.pad(x[:, 0], [[0, 0], [0, 0], [0, width - 10]])
        for k in range(1, n_kept):
            total = ops.einsum("bci,bcd,ids->bcs", total, x[:, k], shift)
        if self.n_steps > self.n_digits:
            zero = ops.one_hot(ops.zeros((), dtype="int32"), width, dtype=x.dtype)
            pad = ops.zeros_like(total[:, :1]) + zero
            total = ops.concatenate([total] + [pad] * (self.n_steps - self.n_digits), axis=1)
        return total

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_steps, 9 * self.n_operands + 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            n_operands=self.n_operands, n_digits=self.n_digits, n_steps=self.n_steps, keep=self.keep
        )
        return config


@keras.saving.register_keras_serializable(package="fdmlearn")
class ReverseSteps(layers.Layer):
    """Reverse the step axis: the adder writes least significant digit first."""

    def call(self, x):
        return ops.flip(x, axis=1)


# --------------------------------------------------------------------------- builders


def _conv_bn_relu(filters: int) -> list[layers.Layer]:
    # Bias is redundant before batch norm, which has its own shift.
    return [
        layers.Conv2D(filters, 3, use_bias=False),
        # momentum 0.9: the running statistics settle even in a short training.
        layers.BatchNormalization(momentum=0.9),
        layers.ReLU(),
    ]


def _default_reader() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(_IMAGE_SHAPE),
            # Small shifts and rotations: handwriting is never centred the same way twice.
            layers.RandomRotation(0.03, fill_mode="constant"),
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),
            *_conv_bn_relu(32),
            *_conv_bn_relu(32),
            layers.MaxPooling2D(),
            *_conv_bn_relu(64),
            *_conv_bn_relu(64),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, use_bias=False),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ],
        name="digit_reader",
    )


def _reference_reader() -> keras.Model:
    # The seed notebook's conv stack, layer for layer.
    return keras.Sequential(
        [
            keras.Input(_IMAGE_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ],
        name="reference_reader",
    )


def _default_adder(n_operands: int, n_digits: int, cumulative: bool, units: int) -> keras.Model:
    n_steps = n_sum_digits(n_operands, n_digits)
    column = keras.Input((n_steps, 9 * n_operands + 1), name="column_sums")
    h = layers.GRU(units, return_sequences=True)(column)
    h = layers.Dense(units, activation="relu")(h)
    column_adder = keras.Model(
        column, layers.Dense(10, activation="softmax")(h), name="column_adder"
    )

    probs = keras.Input((n_operands * n_digits, 10), name="digit_probs")
    # One column adder serves every running total: total k is the sum with the
    # operands after k read as zeros.
    keeps = range(1, n_operands + 1) if cumulative else [n_operands]
    totals = [
        ReverseSteps()(column_adder(ColumnSums(n_operands, n_digits, n_steps, keep=k)(probs)))
        for k in keeps
    ]
    out = ops.stack(totals, axis=1) if cumulative else totals[0]
    return keras.Model(probs, out, name="column_adder_chain")


def _reference_adder(n_operands: int, n_digits: int, cumulative: bool) -> keras.Model:
    # The seed notebook's seq2seq adder: encode the whole sequence of one-hot
    # digits into one vector, repeat it, decode the sum's characters.
    n_steps = n_sum_digits(n_operands, n_digits)
    n_out = n_steps * (n_operands if cumulative else 1)
    probs = keras.Input((n_operands * n_digits, 10), name="digit_probs")
    h = layers.SimpleRNN(128)(probs)
    h = layers.RepeatVector(n_out)(h)
    for _ in range(2):
        h = layers.SimpleRNN(128, return_sequences=True)(h)
    h = layers.Dropout(0.2)(h)
    out = layers.TimeDistributed(layers.Dense(10, activation="softmax"))(h)
    if cumulative:
        out = layers.Reshape((n_operands, n_steps, 10))(out)
    return keras.Model(probs, out, name="reference_adder")


def build_calculator(
    n_operands: int = 2,
    n_digits: int = 3,
    cumulative: bool = False,
    architecture: str = "default",
    *,
    reader: keras.Model | None = None,
    adder_units: int = 64,
) -> Calculator:
    """Build an untrained calculator for `n_operands` numbers of `n_digits` digits.

    Args:
        n_operands: Numbers per sequence (>= 2).
        n_digits: Digits per number (1 to 15).
        cumulative: Output the running total after each number instead of
            the final sum only.
        architecture: `"default"` (CNN with batch norm and augmentation, and
            a column-by-column GRU adder) or `"reference"` (the seed
            notebook's CNN and SimpleRNN seq2seq adder).
        reader: An already trained digit reader to share, for example
            `other_calculator.reader` (a Keras model from (28, 28, 1) images
            to 10 probabilities). The reader does not depend on the number of
            operands or digits, so one reader serves every configuration.
        adder_units: Width of the default adder's GRU.

    Returns:
        A `Calculator`.

    Raises:
        TypeError: If a size is not an integer or `reader` is not a Keras model.
        ValueError: If `n_operands < 2`, `n_digits < 1`, `architecture` is
            unknown or `reader` has the wrong input or output shape.

    Examples:
        >>> calc = build_calculator(n_operands=2, n_digits=3)
        >>> calc
        Calculator(n_operands=2, n_digits=3, cumulative=False, architecture='default')
        >>> calc.model.input_shape, calc.model.output_shape
        ((None, 6, 28, 28, 1), (None, 4, 10))
        >>> build_calculator(4, 2, cumulative=True).model.output_shape
        (None, 4, 3, 10)
    """
    n_operands, n_digits = _check_sizes(n_operands, n_digits)
    adder_units = _check_int("adder_units", adder_units, 1)
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    if not isinstance(cumulative, bool):
        raise TypeError(f"cumulative must be True or False, got {cumulative!r}")
    if reader is not None:
        if not isinstance(reader, keras.Model):
            raise TypeError(f"reader must be a keras.Model, got {type(reader).__name__}")
        if tuple(reader.input_shape[1:]) != _IMAGE_SHAPE or tuple(reader.output_shape[1:]) != (10,):
            raise ValueError(
                "reader must map (28, 28, 1) images to 10 digit probabilities, got "
                f"input shape {reader.input_shape} and output shape {reader.output_shape}"
            )
    elif architecture == "default":
        reader = _default_reader()
    else:
        reader = _reference_reader()
    if architecture == "default":
        adder = _default_adder(n_operands, n_digits, cumulative, adder_units)
    else:
        adder = _reference_adder(n_operands, n_digits, cumulative)
    return Calculator(
        n_operands=n_operands,
        n_digits=n_digits,
        cumulative=cumulative,
        architecture=architecture,
        reader=reader,
        adder=adder,
        adder_units=adder_units,
    )


# --------------------------------------------------------------------------- calculator


def _random_digits(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Uniform digits rarely make extreme columns (9 + 9 + 9 + 9 with a carry
    # of 3 comes once in 40,000 columns), so a third of the sequences draw
    # their digits from a narrow random range, such as only 8s and 9s.
    digits = rng.integers(0, 10, size=(n, length))
    narrow = rng.random(n) < 1 / 3
    low = rng.integers(0, 10, size=(int(narrow.sum()), 1))
    high = np.minimum(low + rng.integers(0, 3, size=low.shape), 9)
    digits[narrow] = rng.integers(low, high + 1, size=(len(low), length))
    return digits


def _soften(one_hot: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # A trained reader is not always sure: teach the adder to add soft
    # probabilities too, keeping the true digit the most likely one.
    n = one_hot.shape[0]
    noise = rng.dirichlet(np.ones(10), size=one_hot.shape[:-1])
    amount = rng.uniform(0.0, 0.25, size=one_hot.shape[:-1] + (1,))
    amount[: 2 * n // 3] = 0.0  # two thirds of the samples stay exactly one-hot
    return ((1 - amount) * one_hot + amount * noise).astype(np.float32)


class Calculator:
    """A digit reader and an adder, chained: image sequences in, sums out.

    Build one with `build_calculator`, train it with `fit` (or stage by stage
    with `fit_reader`, `fit_adder` and `fine_tune`), then `predict` or
    `evaluate`.

    Attributes:
        reader: Keras model, one (28, 28, 1) image -> 10 digit probabilities.
        adder: Keras model, (n_operands * n_digits, 10) digit probabilities ->
            (n_sum_digits, 10) probabilities of the sum's digits, most
            significant first; (n_operands, n_sum_digits, 10) if cumulative.
        model: The chained Keras model, image sequences -> sum digits.
        timings: Seconds spent in each training stage so far.
    """

    def __init__(
        self,
        *,
        n_operands: int,
        n_digits: int,
        cumulative: bool,
        architecture: str,
        reader: keras.Model,
        adder: keras.Model,
        adder_units: int = 64,
    ) -> None:
        self.n_operands = n_operands
        self.n_digits = n_digits
        self.cumulative = cumulative
        self.architecture = architecture
        self.adder_units = adder_units
        self.n_sum_digits = n_sum_digits(n_operands, n_digits)
        self.reader = reader
        self.adder = adder
        self.model = self._chain()
        self.timings: dict[str, float] = {}
        self._strategy: Any = None

    def __repr__(self) -> str:
        return (
            f"Calculator(n_operands={self.n_operands}, n_digits={self.n_digits}, "
            f"cumulative={self.cumulative}, architecture={self.architecture!r})"
        )

    @property
    def sequence_length(self) -> int:
        """Images per sequence: `n_operands * n_digits`."""
        return self.n_operands * self.n_digits

    def _chain(self) -> keras.Model:
        images = keras.Input((self.sequence_length, *_IMAGE_SHAPE), name="images")
        probs = layers.TimeDistributed(self.reader, name="read_each_digit")(images)
        return keras.Model(images, self.adder(probs), name=f"calculator_{self.architecture}")

    def _targets(self, digits: np.ndarray) -> np.ndarray:
        # The characters of the sum (or of every running total) of each row.
        n = len(digits)
        place = 10 ** np.arange(self.n_digits - 1, -1, -1, dtype=np.int64)
        operands = digits.reshape(n, self.n_operands, self.n_digits) @ place
        if self.cumulative:
            return _to_chars(np.cumsum(operands, axis=1), self.n_sum_digits)
        return _to_chars(operands.sum(axis=1), self.n_sum_digits)

    def _use_strategy(self, strategy: Any) -> None:
        # Variables must be created under the strategy's scope: clone the
        # models there and carry the trained weights over.
        if strategy is None or strategy is self._strategy:
            return
        with strategy.scope():
            reader = keras.models.clone_model(self.reader)
            adder = keras.models.clone_model(self.adder)
            reader.set_weights(self.reader.get_weights())
            adder.set_weights(self.adder.get_weights())
        self.reader, self.adder = reader, adder
        with strategy.scope():
            self.model = self._chain()
        self._strategy = strategy

    def _scope(self) -> Any:
        import contextlib

        return self._strategy.scope() if self._strategy is not None else contextlib.nullcontext()

    def _timed(self, stage: str, start: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start

    # ----------------------------------------------------------------- training

    def fit_reader(
        self,
        train: CalculatorDataset,
        *,
        epochs: int | None = None,
        batch_size: int = 128,
        learning_rate: float | None = None,
        strategy: Any = None,
        verbose: int = 0,
    ) -> Calculator:
        """Stage 1: train the digit reader.

        The default reader learns from the distinct digit images that `train`
        shows, one at a time (60,000 sequences of 6 digits cover almost all of
        MNIST's 60,000 training images), with Adam and a cosine learning-rate
        decay. The reference reader is trained as in the seed notebook: on
        whole sequences through `TimeDistributed`, with Adadelta at learning
        rate 1.0 (the Keras 2 default the notebook used), for 1 epoch.

        Args:
            train: Training sequences.
            epochs: Passes over the data (default 6, reference 1; 0 skips).
            batch_size: Images (default) or sequences (reference) per step.
            learning_rate: Peak learning rate (default 3e-3, reference 1.0).
            strategy: Optional `tf.distribute.Strategy` to train under.
            verbose: Keras verbosity.

        Returns:
            The calculator itself.

        Raises:
            TypeError: If `train` is not a `CalculatorDataset`.
            ValueError: If it holds another number of operands or digits.
        """
        train = _check_dataset(train, self, "train")
        default = self.architecture == "default"
        epochs = _check_int("epochs", (6 if default else 1) if epochs is None else epochs, 0)
        batch_size = _check_int("batch_size", batch_size, 1)
        if epochs == 0:
            return self
        self._use_strategy(strategy)
        start = time.perf_counter()
        with self._scope():
            if default:
                unique = np.unique(train.mnist_indices.ravel())
                images, labels = mnist_split(train.split)
                x = (images[unique].astype(np.float32) / np.float32(255.0))[..., None]
                y = labels[unique].astype(np.int64)
                steps = epochs * int(np.ceil(len(x) / batch_size))
                lr = keras.optimizers.schedules.CosineDecay(
                    learning_rate or 3e-3, steps, alpha=0.01
                )
                self.reader.compile(
                    optimizer=keras.optimizers.Adam(lr),
                    loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"],
                )
                self.reader.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)
            else:
                per_sequence = keras.Sequential(
                    [
                        keras.Input((self.sequence_length, *_IMAGE_SHAPE)),
                        layers.TimeDistributed(self.reader),
                    ]
                )
                per_sequence.compile(
                    optimizer=keras.optimizers.Adadelta(learning_rate or 1.0),
                    loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"],
                )
                per_sequence.fit(
                    train.images,
                    train.digits,
                    batch_size=batch_size,
                    epochs=epochs,
                    verbose=verbose,
                )
        self._timed("reader", start)
        return self

    def fit_adder(
        self,
        train: CalculatorDataset | None = None,
        *,
        epochs: int | None = None,
        samples: int = 40_000,
        batch_size: int = 256,
        seed: int = 0,
        strategy: Any = None,
        verbose: int = 0,
    ) -> Calculator:
        """Stage 2: train the adder on digits, without any image.

        The default adder learns from `samples` random digit sequences (drawn
        with `seed`; a third from narrow digit ranges such as only 8s and 9s,
        so that extreme columns and long carries are frequent), two thirds of
        them given as exact one-hot vectors and a third blurred with a little
        noise, so that it also adds the reader's soft probabilities. `train`
        is not needed. The reference adder is trained as in the seed notebook:
        on the one-hot true digits of `train`, with Adam, for 3 epochs.

        Args:
            train: Training sequences (required for the reference adder).
            epochs: Passes over the data (default 20, reference 3; 0 skips).
            samples: Random sequences per pass (default adder only).
            batch_size: Sequences per step.
            seed: Seed of the random digits (default adder only).
            strategy: Optional `tf.distribute.Strategy` to train under.
            verbose: Keras verbosity.

        Returns:
            The calculator itself.

        Raises:
            TypeError: If `train` is given but not a `CalculatorDataset`.
            ValueError: If the reference adder gets no `train`, or `train`
                holds another number of operands or digits.
        """
        default = self.architecture == "default"
        epochs = _check_int("epochs", (20 if default else 3) if epochs is None else epochs, 0)
        samples = _check_int("samples", samples, 1)
        batch_size = _check_int("batch_size", batch_size, 1)
        seed = _check_int("seed", seed, 0)
        if train is not None:
            train = _check_dataset(train, self, "train")
        elif not default:
            raise ValueError("train is required: the reference adder learns from its digits")
        if epochs == 0:
            return self
        self._use_strategy(strategy)
        start = time.perf_counter()
        with self._scope():
            if default:
                rng = np.random.default_rng(seed)
                digits = _random_digits(rng, samples, self.sequence_length)
                x = _soften(np.eye(10, dtype=np.float32)[digits], rng)
                y = self._targets(digits)
                lr = keras.optimizers.schedules.CosineDecay(
                    1e-2, epochs * int(np.ceil(samples / batch_size)), alpha=0.01
                )
                optimizer = keras.optimizers.Adam(lr)
            else:
                x = np.eye(10, dtype=np.float32)[train.digits]
                y = self._targets(train.digits)
                optimizer = keras.optimizers.Adam()
            self.adder.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
            self.adder.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)
        self._timed("adder", start)
        return self

    def fine_tune(
        self,
        train: CalculatorDataset,
        *,
        epochs: int = 1,
        max_sequences: int | None = 10_000,
        batch_size: int = 64,
        learning_rate: float = 1e-4,
        strategy: Any = None,
        verbose: int = 0,
    ) -> Calculator:
        """Stage 3: train the chained model end to end on image sequences.

        The reader's soft digit probabilities flow into the adder and the
        loss is on the digits of the sum, so the reader learns what matters
        for the sum. The adder is frozen: it is already exact, and fine-tuning
        it on a few misread digits could only teach it wrong sums.

        Args:
            train: Training sequences.
            epochs: Passes over the sequences (0 skips).
            max_sequences: Use only the first this many sequences of `train`
                (None: all). Each sequence runs the reader on every one of
                its images, so a pass over 60,000 sequences of 6 digits costs
                as much as 6 epochs of the reader; 10,000 are plenty to adapt it.
            batch_size: Sequences per step.
            learning_rate: Adam's learning rate; small, to refine, not relearn.
            strategy: Optional `tf.distribute.Strategy` to train under.
            verbose: Keras verbosity.

        Returns:
            The calculator itself.

        Raises:
            TypeError: If `train` is not a `CalculatorDataset`.
            ValueError: If it holds another number of operands or digits.
        """
        train = _check_dataset(train, self, "train")
        epochs = _check_int("epochs", epochs, 0)
        batch_size = _check_int("batch_size", batch_size, 1)
        if max_sequences is not None:
            train = train[: _check_int("max_sequences", max_sequences, 1)]
        if epochs == 0:
            return self
        self._use_strategy(strategy)
        start = time.perf_counter()
        with self._scope():
            self.adder.trainable = False
            try:
                self.model.compile(
                    optimizer=keras.optimizers.Adam(learning_rate),
                    loss="sparse_categorical_crossentropy",
                )
                self.model.fit(
                    train.images,
                    self._targets(train.digits),
                    batch_size=batch_size,
                    epochs=epochs,
                    verbose=verbose,
                )
            finally:
                self.adder.trainable = True
        self._timed("fine_tune", start)
        return self

    def fit(
        self,
        train: CalculatorDataset,
        *,
        reader_epochs: int | None = None,
        adder_epochs: int | None = None,
        fine_tune_epochs: int | None = None,
        strategy: Any = None,
        verbose: int = 0,
    ) -> Calculator:
        """Train all stages: the reader, the adder, then both together.

        Args:
            train: Training sequences (see `make_dataset`).
            reader_epochs: Epochs of `fit_reader` (None: its default).
            adder_epochs: Epochs of `fit_adder` (None: its default).
            fine_tune_epochs: Epochs of `fine_tune` (None: 1 for the default
                architecture, 0 for the reference, which the notebook chained
                without fine-tuning).
            strategy: Optional `tf.distribute.Strategy`, for example
                `tf.distribute.MirroredStrategy()` to use several GPUs.
            verbose: Keras verbosity.

        Returns:
            The calculator itself.

        Raises:
            TypeError: If `train` is not a `CalculatorDataset`.
            ValueError: If it holds another number of operands or digits.

        Examples:
            >>> import fdmlearn
            >>> from fdmlearn import calculator
            >>> fdmlearn.set_seed(0)
            >>> train = calculator.make_dataset(200, n_operands=2, n_digits=1)
            >>> calc = calculator.build_calculator(2, 1).fit(
            ...     train, reader_epochs=1, adder_epochs=1, fine_tune_epochs=1)
            >>> sorted(calc.timings)
            ['adder', 'fine_tune', 'reader']
        """
        train = _check_dataset(train, self, "train")
        if fine_tune_epochs is None:
            fine_tune_epochs = 1 if self.architecture == "default" else 0
        self.fit_reader(train, epochs=reader_epochs, strategy=strategy, verbose=verbose)
        self.fit_adder(train, epochs=adder_epochs, strategy=strategy, verbose=verbose)
        self.fine_tune(train, epochs=fine_tune_epochs, strategy=strategy, verbose=verbose)
        return self

    # ----------------------------------------------------------------- inference

    def read_digit_probabilities(self, images: Any, batch_size: int = 1024) -> np.ndarray:
        """The reader's digit probabilities for every image of every sequence.

        Args:
            images: (N, n_operands * n_digits, 28, 28[, 1]) float in [0, 1],
                or uint8 in [0, 255] (scaled by 1/255), or a `CalculatorDataset`.
            batch_size: Images per inference step.

        Returns:
            (N, n_operands * n_digits, 10) float32 probabilities.

        Raises:
            ValueError: If the shape or the value range is wrong.
            TypeError: If the dtype is neither float nor uint8.
        """
        x = _check_images(images, self.sequence_length)
        n = len(x)
        flat = x.reshape(-1, *_IMAGE_SHAPE)
        probs = self.reader.predict(flat, batch_size=batch_size, verbose=0)
        return np.asarray(probs, dtype=np.float32).reshape(n, self.sequence_length, 10)

    def read_digits(self, images: Any) -> np.ndarray:
        """The digit the reader sees in every image: (N, n_operands * n_digits) ints.

        Args:
            images: As for `read_digit_probabilities`.

        Returns:
            (N, n_operands * n_digits) int64 digits.

        Raises:
            ValueError: If the shape or the value range is wrong.
            TypeError: If the dtype is neither float nor uint8.
        """
        return self.read_digit_probabilities(images).argmax(axis=-1).astype(np.int64)

    def _sum_chars_from_probs(self, probs: np.ndarray) -> np.ndarray:
        out = self.adder.predict(probs, batch_size=1024, verbose=0)
        return np.asarray(out).argmax(axis=-1).astype(np.int64)

    def predict(self, images: Any) -> np.ndarray:
        """The sums that the image sequences spell, as integers.

        Args:
            images: (N, n_operands * n_digits, 28, 28, 1) or
                (N, n_operands * n_digits, 28, 28) float32 in [0, 1], most
                significant digit first; uint8 images in [0, 255] are accepted
                and scaled by 1/255. A `CalculatorDataset` is accepted too.

        Returns:
            (N,) int64 sums, or (N, n_operands) running totals if the
            calculator is cumulative.

        Raises:
            ValueError: If the shape (rank, image size, or a sequence length
                other than n_operands * n_digits) or the value range is wrong.
            TypeError: If the dtype is neither float nor uint8.

        Examples:
            >>> calc = build_calculator(2, 1)
            >>> data = make_dataset(5, n_operands=2, n_digits=1, split="test")
            >>> calc.predict(data.images).shape  # untrained, so the sums are guesses
            (5,)
            >>> calc.predict(data.images[:, :1])
            Traceback (most recent call last):
            ...
            ValueError: images must be sequences of 2 digits (n_operands * n_digits), got ...
        """
        return _from_chars(self._sum_chars_from_probs(self.read_digit_probabilities(images)))

    def add_digits(self, digits: Any) -> np.ndarray:
        """Run the adder alone on known digits (no images): the sums it computes.

        Args:
            digits: (N, n_operands * n_digits) integers in 0..9, operand after
                operand, most significant digit first.

        Returns:
            (N,) int64 sums, or (N, n_operands) running totals if cumulative.

        Raises:
            ValueError: If the shape is wrong or a digit is outside 0..9.

        Examples:
            >>> calc = build_calculator(2, 2)
            >>> calc.add_digits([[1, 2, 3, 4]]).shape  # 12 + 34, untrained
            (1,)
        """
        d = np.asarray(digits)
        if d.ndim != 2 or d.shape[1] != self.sequence_length:
            raise ValueError(f"digits must have shape (N, {self.sequence_length}), got {d.shape}")
        if not np.issubdtype(d.dtype, np.integer) or d.size and (d.min() < 0 or d.max() > 9):
            raise ValueError("digits must be integers in 0..9")
        return _from_chars(self._sum_chars_from_probs(np.eye(10, dtype=np.float32)[d]))

    def evaluate(self, dataset: CalculatorDataset) -> dict[str, float]:
        """Accuracy of the calculator and of each of its parts on `dataset`.

        Args:
            dataset: Sequences to evaluate on, normally of the test split.

        Returns:
            A dict with `exact_sum_accuracy` (fraction of sequences whose sum,
            or every running total if cumulative, is right),
            `final_sum_accuracy` (the final sum alone), `char_accuracy` (per
            output digit), `digit_accuracy` (per image read),
            `adder_exact_sum_accuracy` and `adder_char_accuracy` (the adder
            fed the true digits) and `n_sequences`.

        Raises:
            TypeError: If `dataset` is not a `CalculatorDataset`.
            ValueError: If it holds another number of operands or digits.

        Examples:
            >>> calc = build_calculator(2, 1)
            >>> scores = calc.evaluate(make_dataset(4, 2, 1, split="test"))
            >>> sorted(scores)  # doctest: +NORMALIZE_WHITESPACE
            ['adder_char_accuracy', 'adder_exact_sum_accuracy', 'char_accuracy',
             'digit_accuracy', 'exact_sum_accuracy', 'final_sum_accuracy', 'n_sequences']
        """
        dataset = _check_dataset(dataset, self)
        probs = self.read_digit_probabilities(dataset.images)
        true = self._targets(dataset.digits)
        pred = self._sum_chars_from_probs(probs)
        adder_pred = self._sum_chars_from_probs(np.eye(10, dtype=np.float32)[dataset.digits])
        rows = (slice(None), -1) if self.cumulative else (slice(None),)
        per_row = tuple(range(1, true.ndim))
        return {
            "exact_sum_accuracy": float((pred == true).all(axis=per_row).mean()),
            "final_sum_accuracy": float((pred[rows] == true[rows]).all(axis=-1).mean()),
            "char_accuracy": float((pred == true).mean()),
            "digit_accuracy": float((probs.argmax(axis=-1) == dataset.digits).mean()),
            "adder_exact_sum_accuracy": float((adder_pred == true).all(axis=per_row).mean()),
            "adder_char_accuracy": float((adder_pred == true).mean()),
            "n_sequences": len(dataset),
        }

    # ----------------------------------------------------------------- saving

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the calculator into the directory `path` (created if needed).

        The directory holds `calculator.json` (the configuration) and the
        weights of the reader and the adder; `load_calculator(path)` rebuilds
        a calculator that predicts exactly the same.

        Args:
            path: A directory.

        Returns:
            The directory, as a `Path`.

        Raises:
            FileExistsError: If `path` exists and is not a directory.

        Examples:
            >>> import tempfile
            >>> calc = build_calculator(2, 1)
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     folder = calc.save(tmp)
            ...     sorted(p.name for p in folder.iterdir())
            ['adder.weights.h5', 'calculator.json', 'reader.weights.h5']
        """
        folder = Path(os.fspath(path))
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(f"path={str(folder)!r} exists and is not a directory")
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "format": _FORMAT_VERSION,
            "n_operands": self.n_operands,
            "n_digits": self.n_digits,
            "cumulative": self.cumulative,
            "architecture": self.architecture,
            "adder_units": self.adder_units,
        }
        (folder / "calculator.json").write_text(json.dumps(config, indent=2) + "\n")
        self.reader.save_weights(folder / "reader.weights.h5")
        self.adder.save_weights(folder / "adder.weights.h5")
        return folder


def load_calculator(path: str | os.PathLike[str]) -> Calculator:
    """Load a calculator saved with `Calculator.save`.

    Args:
        path: The directory given to `save`.

    Returns:
        A `Calculator` with the saved configuration and weights.

    Raises:
        FileNotFoundError: If `path` holds no saved calculator.
        ValueError: If the saved configuration is not one this version reads.

    Examples:
        >>> import tempfile
        >>> import numpy as np
        >>> calc = build_calculator(2, 1)
        >>> data = make_dataset(8, 2, 1, split="test")
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     again = load_calculator(calc.save(tmp))
        >>> bool(np.array_equal(again.predict(data.images), calc.predict(data.images)))
        True
    """
    folder = Path(os.fspath(path))
    config_file = folder / "calculator.json"
    if not config_file.is_file():
        raise FileNotFoundError(
            f"path={str(folder)!r} holds no calculator.json; expected a directory "
            "written by Calculator.save"
        )
    config = json.loads(config_file.read_text())
    if config.pop("format", None) != _FORMAT_VERSION:
        raise ValueError(f"{config_file} has an unknown format; expected format {_FORMAT_VERSION}")
    calc = build_calculator(**config)
    calc.reader.load_weights(folder / "reader.weights.h5")
    calc.adder.load_weights(folder / "adder.weights.h5")
    return calc


# --------------------------------------------------------------------------- analysis


def confusion_matrix(true_digits: Any, read_digits: Any) -> np.ndarray:
    """Count how often each true digit was read as each digit.

    Args:
        true_digits: Integer digits 0..9, any shape.
        read_digits: The digits read, same shape.

    Returns:
        (10, 10) int64 counts, rows the true digit, columns the digit read.

    Raises:
        ValueError: If the shapes differ or a value is outside 0..9.

    Examples:
        >>> confusion_matrix([1, 7, 7], [1, 1, 7])[7, [1, 7]]
        array([1, 1])
    """
    t, r = np.asarray(true_digits).ravel(), np.asarray(read_digits).ravel()
    if np.shape(true_digits) != np.shape(read_digits):
        raise ValueError(
            f"true_digits and read_digits must have the same shape, got "
            f"{np.shape(true_digits)} and {np.shape(read_digits)}"
        )
    if t.size and (min(t.min(), r.min()) < 0 or max(t.max(), r.max()) > 9):
        raise ValueError("digits must lie in 0..9")
    return np.bincount(t.astype(np.int64) * 10 + r.astype(np.int64), minlength=100).reshape(10, 10)


def plot_gallery(calc: Calculator, dataset: CalculatorDataset, n: int = 6) -> Any:
    """Show `n` sequences of `dataset` with the predicted and the true sum.

    Args:
        calc: A calculator.
        dataset: Sequences with the calculator's number of operands and digits.
        n: How many sequences to show (the first `n`).

    Returns:
        A matplotlib Figure: one row per sequence, the operands' images with
        `+` between them and the sums on the right, red where wrong.

    Raises:
        TypeError: If `dataset` is not a `CalculatorDataset`.
        ValueError: If it does not fit the calculator or `n < 1`.
    """
    import matplotlib.pyplot as plt

    dataset = _check_dataset(dataset, calc)
    n = min(_check_int("n", n, 1), len(dataset))
    pred = calc.predict(dataset.images[:n])
    true = dataset.running[:n] if calc.cumulative else dataset.sums[:n]
    nd, no = calc.n_digits, calc.n_operands
    cols = no * nd + (no - 1) + 1  # digits, "+" signs, and the answer
    fig, axes = plt.subplots(n, cols, figsize=(0.62 * cols + 1.6, 0.75 * n), squeeze=False)
    for i in range(n):
        col = 0
        for k in range(no):
            for j in range(nd):
                ax = axes[i, col]
                ax.imshow(dataset.images[i, k * nd + j, :, :, 0], cmap="gray_r")
                ax.axis("off")
                col += 1
            if k < no - 1:
                axes[i, col].text(0.5, 0.5, "+", ha="center", va="center", fontsize=16)
                axes[i, col].axis("off")
                col += 1
        ax = axes[i, col]
        ax.axis("off")
        p, t = np.atleast_1d(pred[i]), np.atleast_1d(true[i])
        ok = bool(np.array_equal(p, t))
        shown = ", ".join(str(int(v)) for v in p)
        truth = ", ".join(str(int(v)) for v in t)
        ax.text(
            0.0,
            0.5,
            f"= {shown}" + ("" if ok else f"\n(true {truth})"),
            ha="left",
            va="center",
            fontsize=11,
            color="black" if ok else "crimson",
        )
    fig.suptitle("Predicted sums" + (" (running totals)" if calc.cumulative else ""))
    return fig


def plot_mistakes(calc: Calculator, dataset: CalculatorDataset, max_images: int = 16) -> Any:
    """Show the digit images of `dataset` that the reader misread.

    Args:
        calc: A calculator.
        dataset: Sequences with the calculator's number of operands and digits.
        max_images: At most this many images are shown.

    Returns:
        A matplotlib Figure with each misread image titled "read r, is t"
        (or a note that no image was misread).

    Raises:
        TypeError: If `dataset` is not a `CalculatorDataset`.
        ValueError: If it does not fit the calculator or `max_images < 1`.
    """
    import matplotlib.pyplot as plt

    dataset = _check_dataset(dataset, calc)
    max_images = _check_int("max_images", max_images, 1)
    read = calc.read_digits(dataset.images)
    seq, pos = np.nonzero(read != dataset.digits)
    total = len(seq)
    seq, pos = seq[:max_images], pos[:max_images]
    if total == 0:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, f"No misread digit in {dataset.digits.size} images", ha="center")
        return fig
    cols = min(8, len(seq))
    rows = int(np.ceil(len(seq) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols, 1.45 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, s, p in zip(axes.ravel(), seq, pos, strict=False):
        ax.imshow(dataset.images[s, p, :, :, 0], cmap="gray_r")
        ax.set_title(f"read {read[s, p]}, is {dataset.digits[s, p]}", fontsize=8)
    fig.suptitle(f"{total} of {dataset.digits.size} digit images misread", fontsize=10)
    return fig


def plot_confusion_matrix(calc: Calculator, dataset: CalculatorDataset) -> Any:
    """The reader's digit confusion matrix on `dataset`, as a figure.

    Args:
        calc: A calculator.
        dataset: Sequences with the calculator's number of operands and digits.

    Returns:
        A matplotlib Figure: counts of true digit (rows) vs digit read
        (columns), on a log colour scale so that rare confusions show.

    Raises:
        TypeError: If `dataset` is not a `CalculatorDataset`.
        ValueError: If it does not fit the calculator.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    dataset = _check_dataset(dataset, calc)
    counts = confusion_matrix(dataset.digits, calc.read_digits(dataset.images))
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    image = ax.imshow(counts + 1, cmap="Blues", norm=LogNorm())
    for t in range(10):
        for r in range(10):
            if counts[t, r]:
                ax.text(
                    r,
                    t,
                    str(counts[t, r]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if t == r else "crimson",
                )
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("digit read")
    ax.set_ylabel("true digit")
    ax.set_title("Digit confusion matrix (log colour scale)")
    fig.colorbar(image, ax=ax, label="count + 1")
    return fig
