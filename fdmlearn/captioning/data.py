"""The data: clips of moving MNIST digits, each with one caption.

`moving_digits` makes them offline (digits from one MNIST split only), and
`Clips` holds them: videos, captions and what was drawn (digits, motions,
positions), indexable like a NumPy array.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
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

__all__ = ["Clips", "moving_digits"]

DIGIT_SIZE = 28
BOUNCING_MOTIONS = ("horizontally", "vertically", "diagonally")
DIRECTIONS = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}
TURNS = tuple((a, b) for a in DIRECTIONS for b in DIRECTIONS if a != b)


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

    def __init__(
        self,
        videos: Any,
        captions: Sequence[str],
        digits: Any = None,
        motions: Sequence[str] | None = None,
        positions: Any = None,
    ) -> None:
        videos = check_images("videos", videos, ndim=5)
        if videos.shape[-1] not in (1, 3):
            raise ValueError(
                "videos must have shape (N, n_frames, height, width, channels) with 1 or 3 "
                f"channels, got {videos.shape}"
            )
        n, t = videos.shape[:2]
        captions = _check_captions("captions", captions, n)
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
        self._set(videos, captions, digits, motions, positions)

    def _set(self, videos, captions, digits, motions, positions) -> None:  # noqa: ANN001
        self.videos, self.captions, self.digits = videos, captions, digits
        self.motions, self.positions = motions, positions

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
        picked, _ = check_index(index, len(self))
        return Clips._trusted(
            self.videos[picked],
            [self.captions[i] for i in picked],
            None if self.digits is None else self.digits[picked],
            None if self.motions is None else [self.motions[i] for i in picked],
            None if self.positions is None else self.positions[picked],
        )

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
        example = f"; e.g. {self.captions[0]!r:.60}" if self.captions else ""
        clips = "1 clip" if len(self) == 1 else f"{len(self)} clips"
        return f"Clips({clips} of {self.n_frames} frames, {h}x{w}x{c}{example})"

    def _repr_html_(self) -> str:
        # A strip of frames of the first clips, drawn straight from the pixels: cheap.
        from matplotlib.image import imsave

        rows = []
        for video in self.videos[:3]:
            frames = video[
                np.unique(np.linspace(0, len(video) - 1, min(len(video), 8)).astype(int))
            ]
            gap = np.ones((frames.shape[1], 2, frames.shape[3]), frames.dtype)
            rows.append(np.concatenate([x for f in frames for x in (f, gap)], axis=1))
        lines = "".join(f"<br>{c}" for c in self.captions[:3])
        if not rows:
            return f"<pre>{self!r}</pre>"
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
            f"<div><code>{self!r}</code><br><img alt='first clips as frame strips' "
            f"src='data:image/png;base64,{data}'><small>{lines}</small></div>"
        )


def _bounce(start: np.ndarray, velocity: np.ndarray, steps: np.ndarray, limit: int) -> np.ndarray:
    # A position that reflects off both walls is a triangle wave of the unbounded one.
    if limit == 0:
        return np.zeros(np.broadcast_shapes(start.shape, steps.shape), dtype=np.int64)
    free = start + velocity * steps
    q = np.mod(free, 2 * limit)
    return np.where(q <= limit, q, 2 * limit - q)


def _turning_paths(
    rng: np.random.Generator, n: int, n_frames: int, limit: int, size: int
) -> tuple[np.ndarray, list[list[str]]]:
    t = np.arange(n_frames)
    half = (n_frames - 1) // 2  # steps per leg; an odd leftover step pauses at the corner
    max_speed = limit // half
    if max_speed < 1:
        raise ValueError(
            f"size={size} is too small for turns over n_frames={n_frames}: "
            f"need size >= {DIGIT_SIZE + half}"
        )
    turn = rng.integers(0, len(TURNS), size=(n, 1))
    speed = rng.integers(max(1, max_speed // 2), max_speed + 1, size=(n, 1, 1))
    first = np.array([DIRECTIONS[a] for a, _ in TURNS])[turn]  # (n, 1, 2) as (dy, dx)
    second = np.array([DIRECTIONS[b] for _, b in TURNS])[turn]
    steps_first = np.minimum(t, half)[None, None, :, None]
    steps_second = np.clip(t - (n_frames - half - 1), 0, None)[None, None, :, None]
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


def _bouncing_paths(
    rng: np.random.Generator, n: int, n_digits: int, n_frames: int, limit: int
) -> tuple[np.ndarray, list[list[str]]]:
    t = np.arange(n_frames)
    kind = rng.integers(0, len(BOUNCING_MOTIONS), size=(n, n_digits))
    lo_speed, hi_speed = max(1, limit // 12), max(1, limit // 7)
    speed = rng.integers(lo_speed, hi_speed + 1, size=(n, n_digits))
    sign = rng.choice([-1, 1], size=(n, n_digits, 2))
    axes = np.array([[0, 1], [1, 0], [1, 1]])[kind]  # (dy, dx) moving or not
    velocity = axes * sign * speed[..., None]
    start = rng.integers(0, limit + 1, size=(n, n_digits, 2))
    pos = _bounce(start[:, :, None, :], velocity[:, :, None, :], t[None, None, :, None], limit)
    return pos, [[BOUNCING_MOTIONS[k] for k in row] for row in kind]


def _draw(
    images: np.ndarray, digit_idx: np.ndarray, pos: np.ndarray, n_frames: int, size: int
) -> np.ndarray:
    n, n_digits = digit_idx.shape
    videos = np.zeros((n, n_frames, size, size, 1), dtype=np.float32)
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
            # Within one digit every (clip, frame, y, x) is distinct, so a max-assign is exact.
            videos[clip, frame, y, x, 0] = np.maximum(videos[clip, frame, y, x, 0], pixels)
    return videos


def moving_digits(
    n: int,
    n_digits: int = 1,
    n_frames: int = 10,
    size: int = 64,
    split: str = "train",
    seed: int | np.random.Generator | None = 0,
    *,
    order_dependent: bool = False,
) -> Clips:
    """Generate captioned clips of MNIST digits moving over a black canvas.

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
    (8 words).

    Args:
        n: Number of clips, >= 1.
        n_digits: Digits per clip, 1 or 2.
        n_frames: Frames per clip, >= 2 (>= 3 with `order_dependent`).
        size: Canvas height and width in pixels, >= 32 (digits are 28x28).
        split: MNIST split the digits come from, ``"train"`` or ``"test"``.
        seed: An int >= 0 (the same seed gives the same clips), None (fresh
            randomness) or a `numpy.random.Generator` (used and advanced).
        order_dependent: Make turning motions whose caption depends on the
            order of the frames (only with `n_digits=1`).

    Returns:
        A `Clips` with videos (n, n_frames, size, size, 1) float32 in [0, 1].

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
    """
    n = check_int("n", n, minimum=1)
    n_digits = check_int("n_digits", n_digits, minimum=1, maximum=2)
    n_frames = check_int("n_frames", n_frames, minimum=2)
    size = check_int("size", size, minimum=32)
    split = check_choice("split", split, ("train", "test"))
    order_dependent = check_bool("order_dependent", order_dependent)
    rng = check_rng(seed)
    if order_dependent and n_digits != 1:
        raise ValueError(
            "order_dependent=True needs n_digits=1: two turning digits need more than 10 words"
        )
    if order_dependent and n_frames < 3:
        raise ValueError(
            f"order_dependent=True needs n_frames >= 3 (one step in each direction of the "
            f"turn), got n_frames={n_frames}"
        )
    images, labels = mnist_split(split)
    limit = size - DIGIT_SIZE  # top-left corner positions lie in [0, limit]
    digit_idx = rng.integers(0, len(labels), size=(n, n_digits))
    digits = labels[digit_idx].astype(np.int64)
    if order_dependent:
        pos, motion_per_digit = _turning_paths(rng, n, n_frames, limit, size)
    else:
        pos, motion_per_digit = _bouncing_paths(rng, n, n_digits, n_frames, limit)
    videos = _draw(images, digit_idx, pos, n_frames, size)
    captions = []
    for d, m in zip(digits, motion_per_digit, strict=True):
        if n_digits == 1:
            captions.append(f"the digit {d[0]} moves {m[0]}")
        else:
            (d1, m1), (d2, m2) = sorted(zip(d.tolist(), m, strict=True))
            captions.append(f"digit {d1} moves {m1} and digit {d2} moves {m2}")
    motions = [" , ".join(m) for m in motion_per_digit]
    return Clips._trusted(videos, captions, digits, motions, pos.astype(np.int64))
