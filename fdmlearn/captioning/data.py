"""The data: clips of moving MNIST digits, each with one caption.

`moving_digits` makes them offline (digits from one MNIST split only), and
`Clips` holds them: videos, captions and what was drawn (digits, motions,
positions), indexable like a NumPy array.
"""

from __future__ import annotations

import base64
import io
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
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

__all__ = ["COLORS", "Clips", "moving_digits"]

DIGIT_SIZE = 28
BOUNCING_MOTIONS = ("horizontally", "vertically", "diagonally")
DIRECTIONS = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}
TURNS = tuple((a, b) for a in DIRECTIONS for b in DIRECTIONS if a != b)
# Bright, far apart in hue, each with one everyday name; canvases are darker than any of them.
COLORS = {
    "red": (1.0, 0.15, 0.1),
    "green": (0.15, 0.9, 0.15),
    "blue": (0.25, 0.4, 1.0),
    "yellow": (1.0, 0.95, 0.15),
    "magenta": (0.95, 0.2, 0.95),
    "cyan": (0.15, 0.95, 0.95),
}


def _check_captions(name: str, captions: Any, n: int | None = None) -> list[str]:
    if isinstance(captions, str | bytes):
        raise TypeError(f"{name} must be a list of strings, got a single string {captions!r:.40}")
    try:
        captions = list(captions)
    except TypeError:
        raise TypeError(
            f"{name} must be a list of strings, got {type(captions).__name__}"
        ) from None
    for i, c in enumerate(captions):
        if not isinstance(c, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(c).__name__}")
    if n is not None and len(captions) != n:
        raise ValueError(
            f"got {n} videos but {len(captions)} {name}; expected one caption per video"
        )
    return captions


@dataclass(init=False, repr=False, eq=False)
class Clips:
    """Videos with one caption each, indexable like a NumPy array.

    `clips[i]` (an int, negative counting from the end), `clips[2:5]`,
    `clips[mask]` (a boolean array of length `len(clips)`) and
    `clips[[4, 1]]` all give a `Clips` holding those clips, everything kept
    aligned; an integer gives a `Clips` of one clip. Out-of-range positions
    raise `IndexError`.

    Args:
        videos: float array (N, n_frames, height, width, channels) with
            values in [0, 1] (integers or 0..255 values are refused: divide
            them by 255); `channels` is 1 (grey) or 3 (colour).
        captions: N captions (strings of words separated by spaces).
        digits: int array (N, n_digits), the digits shown in each clip, or None.
        motions: N motion descriptions (e.g. ``"left then up"``), or None.
        positions: int array (N, n_digits, n_frames, 2): the (row, column) of
            each digit's top-left corner in each frame, or None.
        lengths: int array (N,): how many of each clip's frames are real; the
            frames after them must be all zero (padding). None: all of them.
        colors: N colour descriptions (e.g. ``"red , blue"``), or None.

    Raises:
        TypeError: If `captions` is a single string, or the videos hold integers.
        ValueError: If the shapes or counts do not agree, or a pixel is not a
            finite number in [0, 1].

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.captioning import Clips
        >>> clips = Clips(np.zeros((3, 2, 32, 32, 1)), ["a b", "c d", "e f"])
        >>> len(clips), clips[1:].captions, clips[-1].captions
        (3, ['c d', 'e f'], ['e f'])
        >>> clips[np.array([True, False, True])].captions
        ['a b', 'e f']
        >>> clips
        Clips(3 clips of 2 frames, 32x32x1; e.g. 'a b')
    """

    videos: np.ndarray
    captions: list[str]
    digits: np.ndarray | None
    motions: list[str] | None
    positions: np.ndarray | None
    lengths: np.ndarray | None
    colors: list[str] | None

    def __init__(
        self,
        videos: Any,
        captions: Sequence[str],
        digits: Any = None,
        motions: Sequence[str] | None = None,
        positions: Any = None,
        lengths: Any = None,
        colors: Sequence[str] | None = None,
    ) -> None:
        videos = check_images("videos", videos, ndim=5)
        if videos.shape[-1] not in (1, 3):
            raise ValueError(
                "videos must have shape (N, n_frames, height, width, channels) with 1 or 3 "
                f"channels, got {videos.shape}"
            )
        n, t = videos.shape[:2]
        captions = _check_captions("captions", captions, n)
        for i, c in enumerate(captions):
            if not c.split():
                raise ValueError(f"captions[{i}] must hold at least one word, got {c!r}")
        if digits is not None:
            digits = check_array(
                "digits", digits, shape=(n, None), kind="int", minimum=0, maximum=9
            )
        if motions is not None:
            motions = _check_captions("motions", motions)
            if len(motions) != n:
                raise ValueError(
                    f"motions must hold {n} entries, one per video, got {len(motions)}"
                )
        if positions is not None:
            d = None if digits is None else digits.shape[1]
            positions = check_array("positions", positions, shape=(n, d, t, 2), kind="int")
        if lengths is not None:
            lengths = check_array("lengths", lengths, shape=(n,), kind="int", minimum=1, maximum=t)
            after = np.arange(t)[None, :] >= lengths[:, None]
            if np.abs(videos[after]).max(initial=0.0) > 0:
                raise ValueError(
                    "videos must be all zero after each clip's length (those frames are "
                    "padding), but a frame after its clip's length is not"
                )
        if colors is not None:
            colors = _check_captions("colors", colors)
            if len(colors) != n:
                raise ValueError(f"colors must hold {n} entries, one per video, got {len(colors)}")
        self._set(videos, captions, digits, motions, positions, lengths, colors)

    def _set(self, videos, captions, digits, motions, positions, lengths=None, colors=None):  # noqa: ANN001, ANN202
        self.videos, self.captions, self.digits = videos, captions, digits
        self.motions, self.positions = motions, positions
        self.lengths, self.colors = lengths, colors

    @classmethod
    def _trusted(cls, *fields: Any) -> Clips:
        # For data fdmlearn made or already checked (indexing, the generator): a second
        # pass over millions of pixels would only cost time.
        clips = cls.__new__(cls)
        clips._set(*fields)
        return clips

    def __len__(self) -> int:
        return len(self.captions)

    def __getitem__(self, index: Any) -> Clips:
        if isinstance(index, tuple):
            # NumPy reads a tuple as one index per axis, and Clips have one axis.
            raise IndexError(
                "Clips take one index (int, slice, mask or list of ints), got the tuple "
                f"{index!r:.40}; to pick several clips pass a list"
            )
        picked, _ = check_index(index, len(self))
        return Clips._trusted(
            self.videos[picked],
            [self.captions[i] for i in picked],
            None if self.digits is None else self.digits[picked],
            None if self.motions is None else [self.motions[i] for i in picked],
            None if self.positions is None else self.positions[picked],
            None if self.lengths is None else self.lengths[picked],
            None if self.colors is None else [self.colors[i] for i in picked],
        )

    @property
    def frame_mask(self) -> np.ndarray:
        """bool array (N, n_frames): True for real frames, False for padding."""
        t = np.arange(self.n_frames)[None, :]
        if self.lengths is None:
            return np.ones((len(self), self.n_frames), dtype=bool)
        return t < self.lengths[:, None]

    _FIELDS = ("videos", "captions", "digits", "motions", "positions", "lengths", "colors")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the clips to one ``.npz`` file (no pickles), atomically.

        Args:
            path: File name ending in ``.npz``, in an existing folder.

        Returns:
            The path written.

        Examples:
            >>> import tempfile, pathlib
            >>> from fdmlearn.captioning import Clips, moving_digits
            >>> clips = moving_digits(3, n_frames=(3, 5), size=32)
            >>> path = clips.save(pathlib.Path(tempfile.mkdtemp()) / "clips.npz")
            >>> Clips.load(path).lengths.tolist() == clips.lengths.tolist()
            True
        """
        return _save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Clips:
        """Load clips written by `Clips.save`.

        Raises:
            LoadError: If the file is missing, a folder or not saved clips.
        """
        return _load(cls, path)

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of every frame."""
        return tuple(int(s) for s in self.videos.shape[2:])  # type: ignore[return-value]

    @property
    def n_frames(self) -> int:
        """Frames per clip."""
        return int(self.videos.shape[1])

    def __repr__(self) -> str:
        h, w, c = self.frame_shape
        frames = f"{self.n_frames} frames"
        if self.lengths is not None and len(self):
            frames = f"{self.lengths.min()}-{self.lengths.max()} frames (padded to {self.n_frames})"
        example = f"; e.g. {self.captions[0]!r:.60}" if self.captions else ""
        clips = "1 clip" if len(self) == 1 else f"{len(self)} clips"
        return f"Clips({clips} of {frames}, {h}x{w}x{c}{example})"

    def _repr_html_(self) -> str:
        return _strip_html(self)


def _save(clips: Clips, path: Any) -> Path:
    from fdmlearn._saving import atomic_write, check_save_path

    p = check_save_path(path, suffix=".npz")
    arrays = {}
    for field in Clips._FIELDS:
        value = getattr(clips, field)
        if value is not None:
            arrays[field] = np.array(value, dtype=str) if isinstance(value, list) else value

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    return atomic_write(p, write)


def _load(cls: type[Clips], path: Any) -> Clips:
    from fdmlearn.errors import LoadError

    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        why = "it is a folder" if p.is_dir() else "no such file"
        raise LoadError(f"cannot load Clips from {str(p)!r}: {why}")
    try:
        with np.load(p, allow_pickle=False) as npz:
            fields = {k: npz[k] for k in cls._FIELDS if k in npz.files}
        for key in ("captions", "motions", "colors"):
            if key in fields:
                fields[key] = [str(x) for x in fields[key]]
        return cls(**fields)
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise LoadError(
            f"cannot load Clips from {str(p)!r}: not a file saved by Clips.save "
            f"({type(err).__name__}: {str(err)[:120]})"
        ) from None


def _strip_html(clips: Clips) -> str:
    # A strip of frames of the first clips, drawn straight from the pixels: cheap.
    from matplotlib.image import imsave

    rows = []
    for i, video in enumerate(clips.videos[:3]):
        real = max(int(clips.frame_mask[i].sum()), 1)
        frames = video[np.unique(np.linspace(0, real - 1, min(real, 8)).astype(int))]
        gap = np.ones((frames.shape[1], 2, frames.shape[3]), frames.dtype)
        rows.append(np.concatenate([x for f in frames for x in (f, gap)], axis=1))
    import html

    lines = "".join(f"<br>{html.escape(c)}" for c in clips.captions[:3])
    if not rows:
        return f"<pre>{html.escape(repr(clips))}</pre>"
    strip = np.concatenate(rows, axis=0)
    buf = io.BytesIO()
    imsave(
        buf,
        strip[..., 0] if strip.shape[-1] == 1 else strip,
        cmap="gray",
        vmin=0,
        vmax=1,
        format="png",
    )
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f"<div><code>{html.escape(repr(clips))}</code><br><img alt='first clips as frame strips' "
        f"src='data:image/png;base64,{data}'><small>{lines}</small></div>"
    )


def _bounce(start: np.ndarray, velocity: np.ndarray, steps: np.ndarray, limit: Any) -> np.ndarray:
    # A position that reflects off both walls is a triangle wave of the unbounded one.
    limit = np.asarray(limit)
    free = start + velocity * steps
    period = 2 * np.maximum(limit, 1)
    q = np.mod(free, period)
    return np.where(limit == 0, 0, np.where(q <= limit, q, period - q))


def _turning_paths(
    rng: np.random.Generator, lengths: np.ndarray, n_frames: int, limit: Any, size: Any
) -> tuple[np.ndarray, list[list[str]]]:
    n = len(lengths)
    t = np.arange(n_frames)
    # Steps per leg; an odd leftover step pauses at the corner. One number when every
    # clip has the same length, so that fixed-length clips repeat bit for bit.
    half: Any = (lengths - 1) // 2
    if (lengths == lengths[0]).all():
        half = int(half[0])
    else:
        half = half[:, None, None]
    max_speed = np.min(limit) // half
    if np.min(max_speed) < 1:
        longest = int(np.max(half))
        raise ValueError(
            f"size={size} is too small for turns over n_frames={n_frames}: "
            f"need size >= {DIGIT_SIZE + longest}"
        )
    turn = rng.integers(0, len(TURNS), size=(n, 1))
    speed = rng.integers(np.maximum(1, max_speed // 2), max_speed + 1, size=(n, 1, 1))
    first = np.array([DIRECTIONS[a] for a, _ in TURNS])[turn]  # (n, 1, 2) as (dy, dx)
    second = np.array([DIRECTIONS[b] for _, b in TURNS])[turn]
    last = n_frames - 1 if isinstance(half, int) else (lengths - 1)[:, None, None]
    steps_first = _legs(np.minimum(t, half), n, n_frames)
    # After its last frame a shorter clip stays at the end of its path (padding frames).
    steps_second = _legs(np.clip(t - (last - half), 0, half), n, n_frames)
    offset = speed[..., None] * (
        first[:, :, None, :] * steps_first + second[:, :, None, :] * steps_second
    )  # (n, 1, T, 2)
    # Uniform over the starts whose whole path stays on the canvas, so that a clip's
    # time reversal is exactly as likely as the clip.
    low = -offset.min(axis=2)
    high = limit - offset.max(axis=2)
    start = low + np.floor(rng.random((n, 1, 2)) * (high - low + 1)).astype(np.int64)
    names = [[f"{TURNS[k][0]} then {TURNS[k][1]}"] for k in turn[:, 0]]
    return start[:, :, None, :] + offset, names


def _legs(steps: np.ndarray, n: int, n_frames: int) -> np.ndarray:
    """Steps taken along one leg, as (n, 1, T, 1) whatever the input's broadcast shape."""
    return np.broadcast_to(np.reshape(steps, (-1, 1, n_frames)), (n, 1, n_frames))[..., None]


def _bouncing_paths(
    rng: np.random.Generator, n: int, n_digits: int, n_frames: int, limit: Any
) -> tuple[np.ndarray, list[list[str]]]:
    t = np.arange(n_frames)
    kind = rng.integers(0, len(BOUNCING_MOTIONS), size=(n, n_digits))
    shortest = int(np.min(limit))
    lo_speed, hi_speed = max(1, shortest // 12), max(1, shortest // 7)
    speed = rng.integers(lo_speed, hi_speed + 1, size=(n, n_digits))
    sign = rng.choice([-1, 1], size=(n, n_digits, 2))
    axes = np.array([[0, 1], [1, 0], [1, 1]])[kind]  # (dy, dx) moving or not
    velocity = axes * sign * speed[..., None]
    start = rng.integers(0, np.asarray(limit) + 1, size=(n, n_digits, 2))
    pos = _bounce(start[:, :, None, :], velocity[:, :, None, :], t[None, None, :, None], limit)
    return pos, [[BOUNCING_MOTIONS[k] for k in row] for row in kind]


def _backgrounds(rng: np.random.Generator, n: int, shape: tuple[int, int]) -> np.ndarray:
    """Dark coloured, textured canvases (n, H, W, 3): never black, never a digit's colour."""
    base = rng.uniform(0.05, 0.3, size=(n, 1, 1, 3))
    # A coarse random texture, upsampled: blotches rather than pixel noise.
    coarse = rng.uniform(-0.05, 0.05, size=(n, shape[0] // 8 + 1, shape[1] // 8 + 1, 3))
    texture = coarse.repeat(8, axis=1).repeat(8, axis=2)[:, : shape[0], : shape[1]]
    return np.clip(base + texture, 0.0, 1.0).astype(np.float32)


def _draw(
    images: np.ndarray,
    digit_idx: np.ndarray,
    pos: np.ndarray,
    lengths: np.ndarray,
    shape: tuple[int, int, int],
    colors: np.ndarray | None = None,
    backgrounds: np.ndarray | None = None,
) -> np.ndarray:
    """Videos (n, T, H, W, C); frames at or after a clip's length stay all zero (padding)."""
    n, n_digits = digit_idx.shape
    n_frames = pos.shape[2]
    height, width, channels = shape
    try:
        videos = np.zeros((n, n_frames, height, width, channels), dtype=np.float32)
    except MemoryError:
        gib = n * n_frames * height * width * channels * 4 / 2**30
        raise MemoryError(
            f"{n} clips of {n_frames} frames of {height}x{width}x{channels} need {gib:.1f} GiB "
            "as float32, more than this machine could allocate: ask for fewer clips "
            "(n), frames (n_frames) or pixels (size)"
        ) from None
    if backgrounds is not None:
        videos[:] = backgrounds[:, None]
    rows = np.arange(DIGIT_SIZE)
    t = np.arange(n_frames)
    chunk = max(1, 20000 // n_frames)  # bounds the size of the index arrays
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        clip = np.arange(lo, hi)[:, None, None, None]
        frame = t[None, :, None, None]
        for k in range(n_digits):
            pixels = images[digit_idx[lo:hi, k]].astype(np.float32)[:, None] / 255.0
            y = pos[lo:hi, k, :, 0][:, :, None, None] + rows[None, None, :, None]
            x = pos[lo:hi, k, :, 1][:, :, None, None] + rows[None, None, None, :]
            # Within one digit every (clip, frame, y, x) is distinct, so these assignments
            # are exact.
            if colors is None:
                videos[clip, frame, y, x, :] = np.maximum(
                    videos[clip, frame, y, x, :], pixels[..., None]
                )
            else:
                alpha = pixels[..., None]
                paint = colors[lo:hi, k][:, None, None, None, :]
                videos[clip, frame, y, x, :] = videos[clip, frame, y, x, :] * (1 - alpha) + (
                    paint * alpha
                )
    videos[t[None, :] >= lengths[:, None]] = 0.0
    return videos


def _check_memory(nbytes: int, what: str) -> None:
    """Refuse, before allocating, videos larger than half of this machine's memory.

    NumPy would otherwise reserve the pages lazily and the process be killed
    while drawing, instead of raising.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not on this platform: no guard
        return
    if nbytes > total // 2:
        raise MemoryError(
            f"{what} would need {nbytes / 2**30:.1f} GiB for its videos, more than half of "
            f"this machine's {total / 2**30:.1f} GiB; make fewer clips per call (n), fewer "
            "frames or smaller frames"
        )


def _check_size(size: Any) -> tuple[int, int]:
    if isinstance(size, tuple | list):
        if len(size) != 2:
            raise ValueError(f"size must be an integer or (height, width), got {size!r}")
        return (
            check_int("size[0]", size[0], minimum=32),
            check_int("size[1]", size[1], minimum=32),
        )
    size = check_int("size", size, minimum=32)
    return size, size


def _check_frames(n_frames: Any, minimum: int) -> tuple[int, int]:
    if isinstance(n_frames, tuple | list):
        if len(n_frames) != 2:
            raise ValueError(f"n_frames must be an integer or (fewest, most), got {n_frames!r}")
        lo = check_int("n_frames[0]", n_frames[0], minimum=minimum)
        hi = check_int("n_frames[1]", n_frames[1], minimum=lo)
        return lo, hi
    n_frames = check_int("n_frames", n_frames, minimum=minimum)
    return n_frames, n_frames


def moving_digits(
    n: int,
    n_digits: int = 1,
    n_frames: int | tuple[int, int] = 10,
    size: int | tuple[int, int] = 64,
    split: str = "train",
    seed: int | np.random.Generator | None = 0,
    *,
    order_dependent: bool = False,
    channels: int = 1,
    colors: bool = False,
) -> Clips:
    """Generate captioned clips of MNIST digits moving over a canvas.

    Without `order_dependent`, every digit bounces off the walls along one
    axis, and its caption names the axis: ``"horizontally"``,
    ``"vertically"`` or ``"diagonally"``. These captions can be read from the
    *set* of frames, so a mean-pooling model can learn them.

    With `order_dependent=True` (one digit only), every digit makes a turn:
    it moves in one direction for the first half of the clip and in another
    for the second half (a still frame at the corner when the number of steps
    is odd), e.g. ``"the digit 7 moves left then up"``. The start is uniform
    over the positions where the whole path fits, so the time-reversed clip
    (``"down then right"``) is exactly as likely: only the order of the frames
    tells the two apart.

    Captions: one digit: ``"the digit 7 moves horizontally"`` (5 words) or
    ``"the digit 7 moves left then up"`` (7 words); two digits, smaller digit
    first: ``"digit 3 moves vertically and digit 5 moves diagonally"``
    (8 words). With `colors=True` each digit is painted in a named colour
    (`COLORS`) on a dark, coloured and textured canvas, and the caption names
    it: ``"the red digit 7 moves horizontally"``, ``"blue 3 moves vertically
    and red 5 moves diagonally"`` (9 words; ties in the digit are broken by
    the colour, so there is still exactly one right caption).

    With ``n_frames=(fewest, most)`` every clip gets its own number of
    frames, drawn uniformly; the videos are padded to `most` frames with
    all-zero frames, and `Clips.lengths` says how many are real. fdmlearn's
    models read an all-zero frame as padding (a real frame always shows a
    whole digit, and a coloured canvas is never black).

    Args:
        n: Number of clips, >= 1.
        n_digits: Digits per clip, 1 or 2.
        n_frames: Frames per clip, >= 2 (>= 3 with `order_dependent`), or a
            range ``(fewest, most)``.
        size: Canvas height and width in pixels, >= 32 (digits are 28x28),
            or ``(height, width)``.
        split: MNIST split the digits come from, ``"train"`` or ``"test"``.
        seed: An int >= 0 (the same seed gives the same clips), None (fresh
            randomness) or a `numpy.random.Generator` (used and advanced).
        order_dependent: Make turning motions whose caption depends on the
            order of the frames (only with `n_digits=1`).
        channels: 1 (grey) or 3 (colour images; grey digits on black unless
            `colors`).
        colors: Paint the digits in named colours on a coloured canvas, and
            name the colours in the captions (needs ``channels=3``).

    Returns:
        A `Clips` with videos (n, most frames, height, width, channels)
        float32 in [0, 1].

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range, or the canvas is too
            small for a turn at this number of frames.

    Examples:
        >>> from fdmlearn.captioning import moving_digits
        >>> clips = moving_digits(3, n_frames=4, size=32, seed=1)
        >>> clips.videos.shape, clips.videos.dtype
        ((3, 4, 32, 32, 1), dtype('float32'))
        >>> clips.captions[0]
        'the digit 3 moves diagonally'
        >>> moving_digits(1, order_dependent=True, seed=2).captions
        ['the digit 7 moves right then left']
        >>> colour = moving_digits(2, n_frames=(5, 20), size=(48, 64), channels=3, colors=True)
        >>> colour.videos.shape, colour.lengths.tolist()
        ((2, 20, 48, 64, 3), [13, 9])
        >>> colour.captions[0]
        'the yellow digit 2 moves horizontally'
    """
    n = check_int("n", n, minimum=1)
    n_digits = check_int("n_digits", n_digits, minimum=1, maximum=2)
    order_dependent = check_bool("order_dependent", order_dependent)
    fewest, most = _check_frames(n_frames, 2)
    height, width = _check_size(size)
    split = check_choice("split", split, ("train", "test"))
    channels = check_choice("channels", channels, (1, 3))
    colors = check_bool("colors", colors)
    rng = check_rng(seed)
    if colors and channels != 3:
        raise ValueError("colors=True needs channels=3: a grey image has no colour to name")
    if order_dependent and n_digits != 1:
        raise ValueError(
            "order_dependent=True needs n_digits=1: two turning digits need more than 10 words"
        )
    if order_dependent and fewest < 3:
        raise ValueError(
            f"order_dependent=True needs n_frames >= 3 (one step in each direction of the "
            f"turn), got n_frames={n_frames}"
        )
    _check_memory(n * most * height * width * channels * 4, f"moving_digits(n={n}, ...)")
    images, labels = mnist_split(split)
    # Top-left corner positions lie in [0, limit]; one number for a square canvas, so
    # that square clips repeat bit for bit across versions.
    limit: Any = height - DIGIT_SIZE
    if height != width:
        limit = np.array([height - DIGIT_SIZE, width - DIGIT_SIZE])
    digit_idx = rng.integers(0, len(labels), size=(n, n_digits))
    digits = labels[digit_idx].astype(np.int64)
    lengths = np.full(n, most, dtype=np.int64)
    if fewest != most:
        lengths = rng.integers(fewest, most + 1, size=n)
    shown_size = size if isinstance(size, int | np.integer) else (height, width)
    if order_dependent:
        pos, motion_per_digit = _turning_paths(rng, lengths, most, limit, shown_size)
    else:
        pos, motion_per_digit = _bouncing_paths(rng, n, n_digits, most, limit)
    paint = backgrounds = None
    names: list[list[str]] = [[""] * n_digits for _ in range(n)]
    if colors:
        # Distinct colours within a clip, so that two digits never look alike.
        picks = np.argsort(rng.random((n, len(COLORS))), axis=1)[:, :n_digits]
        palette = np.array(list(COLORS.values()), dtype=np.float32)
        paint = palette[picks]
        names = [[list(COLORS)[k] for k in row] for row in picks]
        backgrounds = _backgrounds(rng, n, (height, width))
    videos = _draw(images, digit_idx, pos, lengths, (height, width, channels), paint, backgrounds)
    captions = []
    for d, m, c in zip(digits, motion_per_digit, names, strict=True):
        if n_digits == 1:
            captions.append(
                " ".join(["the", *[c[0]] * bool(c[0]), "digit", str(d[0]), "moves", m[0]])
            )
        else:
            parts = sorted(zip(d.tolist(), c, m, strict=True))
            captions.append(
                " and ".join(
                    # "red 3", not "red digit 3": two coloured digits must fit in 10 words.
                    " ".join([col or "digit", str(dig), "moves", mot])
                    for dig, col, mot in parts
                )
            )
    motions = [" , ".join(m) for m in motion_per_digit]
    return Clips._trusted(
        videos,
        captions,
        digits,
        motions,
        pos.astype(np.int64),
        lengths if fewest != most else None,
        [" , ".join(c) for c in names] if colors else None,
    )
