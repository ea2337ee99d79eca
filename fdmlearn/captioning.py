"""Video captioning: describe a short clip of moving MNIST digits in words.

The assignment's fourth exercise asks for a model that writes a 5 to 10 word
caption for a short video. Its answer, a CNN run on every frame, the frame
vectors mean-pooled into one video vector, and an LSTM that emits one word per
step from the previous word and that video vector, is the mean-pool model of
Venugopalan et al., "Translating Videos to Natural Language Using Deep
Recurrent Neural Networks" (NAACL 2015). This module makes it a working model:

- `moving_digits` generates the data set offline: MNIST digits (from one split
  only) moving over a black canvas, each clip with its caption, e.g.
  ``"the digit 7 moves horizontally"``.
- `Vocabulary` turns captions into token ids with ``<pad>``, ``<start>``,
  ``<end>`` and ``<unk>``.
- `build_captioner` builds a `Captioner`: a small strided CNN applied to every
  frame (``keras.layers.TimeDistributed``), frame-position embeddings, then
  either mean pooling (the notebook's design) or soft attention over frames
  at every decoding step, or (``pooling="digits"``) a digit detector whose maps
  become one slot per digit and attention over those slots (each slot with
  a learned key, so the decoder can ask for a digit by name); then an LSTM
  decoder whose input at every step is the previous word and the video vector.
- Training uses teacher forcing and per-word cross-entropy. The exact-match
  (0/1) loss the assignment names has zero gradient almost everywhere, so it
  is the *metric* (`exact_match`), not the training loss.
- `bleu4` and `word_accuracy` give partial credit, `draw_architecture` draws
  the model, `show_clips` draws clips as frame strips.

Mean pooling forgets the order of the frames: a clip and its time-reversal
give the same video vector. `moving_digits(..., order_dependent=True)` makes
captions such as ``"the digit 7 moves left then up"`` whose time-reversed clip
(``"... moves down then right"``) is exactly as likely, so mean pooling cannot
tell them apart while attention over position-tagged frames can.

With two digits, a frame vector that keeps *what* and *where* apart cannot
say which digit made which motion. ``pooling="digits"`` binds them: a
detector, first trained alone on frames (`Captioner.pretrain`), gives one map
per digit class, so the slot of digit 7 holds only digit 7's track.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from fdmlearn.datasets import mnist_split

__all__ = [
    "Captioner",
    "Clips",
    "Vocabulary",
    "bleu4",
    "build_captioner",
    "draw_architecture",
    "exact_match",
    "load_captioner",
    "moving_digits",
    "show_clips",
    "word_accuracy",
]

DIGIT_SIZE = 28
BOUNCING_MOTIONS = ("horizontally", "vertically", "diagonally")
DIRECTIONS = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}
TURNS = tuple((a, b) for a in DIRECTIONS for b in DIRECTIONS if a != b)
POOLINGS = ("mean", "attention", "digits")


# ----------------------------------------------------------------------------- data


@dataclass
class Clips:
    """Videos with one caption each.

    Indexing with an int, a slice or a list of indices gives a smaller `Clips`
    (e.g. ``clips[:100]``), everything kept aligned.

    Attributes:
        videos: float32 array (N, n_frames, size, size, 1), values in [0, 1].
        captions: N captions (strings of words separated by spaces).
        digits: int array (N, n_digits), the digits shown in each clip, or None.
        motions: N motion descriptions (e.g. ``"left then up"``), or None.
        positions: int array (N, n_digits, n_frames, 2): the (row, column) of
            each digit's top-left corner in each frame, or None.

    Raises:
        ValueError: If `videos` is not rank 5 with one channel, `captions` is
            empty, or the counts differ.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.captioning import Clips
        >>> clips = Clips(np.zeros((2, 3, 32, 32, 1), "float32"), ["a b", "c d"])
        >>> len(clips), clips[1:].captions
        (2, ['c d'])
    """

    videos: np.ndarray
    captions: list[str]
    digits: np.ndarray | None = None
    motions: list[str] | None = None
    positions: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.videos = np.asarray(self.videos)
        if self.videos.ndim != 5 or self.videos.shape[-1] != 1:
            raise ValueError(
                f"videos must have shape (N, n_frames, size, size, 1), got {self.videos.shape}"
            )
        if isinstance(self.captions, str):
            raise TypeError("captions must be a list of strings, got a single string")
        self.captions = list(self.captions)
        if not self.captions:
            raise ValueError("captions must not be empty")
        if len(self.captions) != len(self.videos):
            raise ValueError(
                f"got {len(self.videos)} videos but {len(self.captions)} captions; "
                "expected one caption per video"
            )

    def __len__(self) -> int:
        return len(self.captions)

    def __getitem__(self, index: slice | Sequence[int] | np.ndarray) -> Clips:
        if isinstance(index, int | np.integer):
            index = slice(int(index), int(index) + 1)
        if isinstance(index, slice):
            picked = list(range(len(self)))[index]
        else:
            picked = [int(i) for i in np.asarray(index).ravel()]
        return Clips(
            self.videos[picked],
            [self.captions[i] for i in picked],
            None if self.digits is None else self.digits[picked],
            None if self.motions is None else [self.motions[i] for i in picked],
            None if self.positions is None else self.positions[picked],
        )


def _bounce(start: np.ndarray, velocity: np.ndarray, steps: np.ndarray, limit: int) -> np.ndarray:
    # A position that reflects off both walls is a triangle wave of the unbounded one.
    if limit == 0:
        return np.zeros(np.broadcast_shapes(start.shape, steps.shape), dtype=np.int64)
    free = start + velocity * steps
    q = np.mod(free, 2 * limit)
    return np.where(q <= limit, q, 2 * limit - q)


def moving_digits(
    n: int,
    n_digits: int = 1,
    n_frames: int = 10,
    size: int = 64,
    split: str = "train",
    seed: int | None = 0,
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
        n_digits: 1 or 2 digits per clip.
        n_frames: Frames per clip, >= 2.
        size: Canvas height and width in pixels, >= 32 (digits are 28x28).
        split: MNIST split the digits come from, ``"train"`` or ``"test"``.
        seed: Seed of the generator; the same seed gives the same clips.
        order_dependent: Make turning motions whose caption depends on the
            order of the frames (only with `n_digits=1`).

    Returns:
        A `Clips` with videos (n, n_frames, size, size, 1) float32 in [0, 1].

    Raises:
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
    for name, value, low in (("n", n, 1), ("n_frames", n_frames, 2), ("size", size, 32)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")
    if n_digits not in (1, 2):
        raise ValueError(f"n_digits must be 1 or 2, got {n_digits!r}")
    if order_dependent and n_digits != 1:
        raise ValueError(
            "order_dependent=True needs n_digits=1: two turning digits need more than 10 words"
        )
    images, labels = mnist_split(split)  # validates split
    rng = np.random.default_rng(seed)
    limit = size - DIGIT_SIZE  # top-left corner positions lie in [0, limit]
    t = np.arange(n_frames)

    digit_idx = rng.integers(0, len(labels), size=(n, n_digits))
    digits = labels[digit_idx].astype(np.int64)
    if order_dependent:
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
        # Uniform over the starts whose whole path stays on the canvas.
        low = -offset.min(axis=2)
        high = limit - offset.max(axis=2)
        start = low + np.floor(rng.random((n, 1, 2)) * (high - low + 1)).astype(np.int64)
        pos = start[:, :, None, :] + offset
        motion_names = [f"{TURNS[k][0]} then {TURNS[k][1]}" for k in turn[:, 0]]
        motion_per_digit = [[m] for m in motion_names]
    else:
        kind = rng.integers(0, len(BOUNCING_MOTIONS), size=(n, n_digits))
        lo_speed, hi_speed = max(1, limit // 12), max(1, limit // 7)
        speed = rng.integers(lo_speed, hi_speed + 1, size=(n, n_digits))
        sign = rng.choice([-1, 1], size=(n, n_digits, 2))
        axes = np.array([[0, 1], [1, 0], [1, 1]])[kind]  # (dy, dx) moving or not
        velocity = axes * sign * speed[..., None]
        start = rng.integers(0, limit + 1, size=(n, n_digits, 2))
        pos = _bounce(start[:, :, None, :], velocity[:, :, None, :], t[None, None, :, None], limit)
        motion_per_digit = [[BOUNCING_MOTIONS[k] for k in row] for row in kind]

    videos = np.zeros((n, n_frames, size, size, 1), dtype=np.float32)
    rows = np.arange(DIGIT_SIZE)
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

    captions = []
    for d, m in zip(digits, motion_per_digit, strict=True):
        if n_digits == 1:
            captions.append(f"the digit {d[0]} moves {m[0]}")
        else:
            (d1, m1), (d2, m2) = sorted(zip(d.tolist(), m, strict=True))
            captions.append(f"digit {d1} moves {m1} and digit {d2} moves {m2}")
    motions = [" , ".join(m) for m in motion_per_digit]
    return Clips(videos, captions, digits, motions, pos.astype(np.int64))


# ----------------------------------------------------------------------------- words


def _words(caption: str) -> list[str]:
    if not isinstance(caption, str):
        raise TypeError(f"a caption must be a string, got {type(caption).__name__}")
    return caption.lower().split()


class Vocabulary:
    """Maps caption words to integer ids and back.

    Ids 0 to 3 are the special tokens ``<pad>`` (fills short captions),
    ``<start>`` (the decoder's first input), ``<end>`` (the decoder's last
    output) and ``<unk>`` (a word not seen when the vocabulary was made).
    Captions are lower-cased and split on whitespace; words beyond
    `max_words` are dropped, so every encoded caption fits.

    Args:
        words: The known words (duplicates are ignored, order is kept).
        max_words: Longest caption, in words, that the model handles.

    Raises:
        ValueError: If `max_words` < 1 or a word is a special token.

    Examples:
        >>> from fdmlearn.captioning import Vocabulary
        >>> vocab = Vocabulary.from_captions(["the digit 7 moves up", "the digit 1 moves down"])
        >>> len(vocab)
        11
        >>> ids = vocab.encode("the digit 7 moves sideways")
        >>> ids
        [4, 5, 6, 7, 3]
        >>> vocab.decode(ids)
        'the digit 7 moves <unk>'
    """

    PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
    SPECIAL = (PAD, START, END, UNK)

    def __init__(self, words: Iterable[str], max_words: int = 10) -> None:
        if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
            raise ValueError(f"max_words must be an integer >= 1, got {max_words!r}")
        tokens = list(self.SPECIAL)
        for w in words:
            if w in self.SPECIAL:
                raise ValueError(f"words must not contain the special token {w!r}")
            if w not in tokens:
                tokens.append(w)
        self.tokens = tokens
        self.max_words = max_words
        self._ids = {w: i for i, w in enumerate(tokens)}

    pad_id, start_id, end_id, unk_id = 0, 1, 2, 3

    @classmethod
    def from_captions(cls, captions: Iterable[str], max_words: int = 10) -> Vocabulary:
        """A vocabulary of every word in `captions`, in order of first appearance.

        Args:
            captions: Training captions.
            max_words: Longest caption, in words, that the model handles.

        Returns:
            The vocabulary.

        Raises:
            ValueError: If there are no captions.
        """
        captions = list(captions)
        if not captions:
            raise ValueError("captions must not be empty")
        return cls((w for c in captions for w in _words(c)), max_words=max_words)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, caption: str) -> list[int]:
        """Word ids of a caption (no special tokens but ``<unk>``), at most `max_words`."""
        return [self._ids.get(w, self.unk_id) for w in _words(caption)[: self.max_words]]

    def decode(self, ids: Iterable[int]) -> str:
        """The caption of a sequence of ids, stopping at ``<end>`` or after
        `max_words` words, skipping pad and start."""
        out: list[str] = []
        for i in ids:
            i = int(i)
            if i == self.end_id or len(out) == self.max_words:
                break
            if i in (self.pad_id, self.start_id):
                continue
            out.append(self.tokens[i] if 0 <= i < len(self.tokens) else self.UNK)
        return " ".join(out)

    def teacher_forcing(self, captions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Decoder inputs and targets for training with teacher forcing.

        Args:
            captions: N captions.

        Returns:
            `(inputs, targets)`, int32 arrays (N, max_words + 1): inputs are
            ``<start> w1 ... wn <pad>...``, targets ``w1 ... wn <end> <pad>...``.

        Examples:
            >>> from fdmlearn.captioning import Vocabulary
            >>> vocab = Vocabulary(["a", "b"], max_words=3)
            >>> x, y = vocab.teacher_forcing(["a b"])
            >>> x.tolist(), y.tolist()
            ([[1, 4, 5, 0]], [[4, 5, 2, 0]])
        """
        length = self.max_words + 1
        inputs = np.full((len(captions), length), self.pad_id, dtype=np.int32)
        targets = np.full((len(captions), length), self.pad_id, dtype=np.int32)
        for row, caption in enumerate(captions):
            ids = self.encode(caption)
            inputs[row, : len(ids) + 1] = [self.start_id, *ids]
            targets[row, : len(ids) + 1] = [*ids, self.end_id]
        return inputs, targets

    def get_config(self) -> dict[str, Any]:
        return {"words": self.tokens[len(self.SPECIAL) :], "max_words": self.max_words}


# ----------------------------------------------------------------------------- metrics


def _check_pairs(predicted: Sequence[str], reference: Sequence[str]) -> None:
    for name, value in (("predicted", predicted), ("reference", reference)):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a list of captions, got a single string")
    if len(predicted) != len(reference):
        raise ValueError(
            f"predicted has {len(predicted)} captions but reference has {len(reference)}; "
            "expected one prediction per reference"
        )
    if len(reference) == 0:
        raise ValueError("predicted and reference must not be empty")


def exact_match(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """Fraction of captions predicted exactly, word for word (the 0/1 metric).

    Args:
        predicted: Predicted captions.
        reference: True captions, as many as `predicted`.

    Returns:
        A number in [0, 1]; 1 minus the mean 0/1 loss.

    Raises:
        ValueError: If the lists are empty or differ in length.

    Examples:
        >>> from fdmlearn.captioning import exact_match
        >>> exact_match(["a b c", "a b"], ["a  b c", "a c"])
        0.5
    """
    _check_pairs(predicted, reference)
    hits = sum(_words(p) == _words(r) for p, r in zip(predicted, reference, strict=True))
    return hits / len(reference)


def word_accuracy(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """Fraction of word positions right: partial credit for nearly right captions.

    Position i counts when both captions have the same word there; the total
    is the longer caption's length, so missing and extra words both cost.

    Args:
        predicted: Predicted captions.
        reference: True captions, as many as `predicted`.

    Returns:
        A number in [0, 1].

    Raises:
        ValueError: If the lists are empty or differ in length.

    Examples:
        >>> from fdmlearn.captioning import word_accuracy
        >>> word_accuracy(["a b c", "a b"], ["a b c", "a c x"])
        0.6666666666666666
    """
    _check_pairs(predicted, reference)
    right = total = 0
    for p, r in zip(predicted, reference, strict=True):
        pw, rw = _words(p), _words(r)
        right += sum(a == b for a, b in zip(pw, rw, strict=False))
        total += max(len(pw), len(rw))
    return right / total if total else 1.0


def _ngrams(words: list[str], n: int) -> collections.Counter[tuple[str, ...]]:
    return collections.Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def bleu4(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """Corpus BLEU-4 with one reference per caption (Papineni et al., 2002).

    The geometric mean of the clipped 1- to 4-gram precisions, summed over
    the corpus, times the brevity penalty exp(1 - r/c) when the predictions
    (c words) are shorter than the references (r words). No smoothing: if no
    4-gram matches anywhere, the score is 0.

    Args:
        predicted: Predicted captions.
        reference: True captions, as many as `predicted`.

    Returns:
        A number in [0, 1].

    Raises:
        ValueError: If the lists are empty or differ in length.

    Examples:
        >>> from fdmlearn.captioning import bleu4
        >>> bleu4(["the cat sat on the mat"], ["the cat sat on a mat"])  # (5/6*3/5*2/4*1/3)**(1/4)
        0.537...
        >>> bleu4(["the digit 7"], ["the digit 7 moves up"])  # no 4-gram at all
        0.0
    """
    _check_pairs(predicted, reference)
    matches, totals = [0] * 4, [0] * 4
    pred_len = ref_len = 0
    for p, r in zip(predicted, reference, strict=True):
        pw, rw = _words(p), _words(r)
        pred_len += len(pw)
        ref_len += len(rw)
        for n in range(1, 5):
            pc, rc = _ngrams(pw, n), _ngrams(rw, n)
            matches[n - 1] += sum(min(c, rc[g]) for g, c in pc.items())
            totals[n - 1] += max(len(pw) - n + 1, 0)
    if pred_len == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals, strict=True)) / 4
    brevity = 1.0 if pred_len > ref_len else math.exp(1 - ref_len / pred_len)
    return brevity * math.exp(log_precision)


# ----------------------------------------------------------------------------- model


class _FramePositions(keras.layers.Layer):
    """Adds a learned vector per frame index, so later layers can know *when* a frame was."""

    def __init__(self, n_frames: int, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_frames, self.dim = n_frames, dim

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(
            shape=(self.n_frames, self.dim), initializer="random_normal", name="table"
        )

    def call(self, features: Any) -> Any:
        return features + self.table[None]


class _DigitSlots(keras.layers.Layer):
    """Turns per-frame digit maps into one token per digit class: a slot per digit.

    Token k holds: how surely digit k is in the clip (its strongest response),
    how many copies of it there are (its map's mass, averaged over frames),
    where it is on average (its column and row profiles averaged over the
    frames), and where it is in every frame (those profiles frame by frame).
    Reading a motion from a slot is the same job for every digit, so one
    reader serves all ten.
    """

    def call(self, maps: Any) -> Any:
        _, t, rows, cols, k = maps.shape
        batch = ops.shape(maps)[0]
        # Sums, not maxima: two copies of one digit give twice the mass, so the
        # decoder can tell "digit 3 ... and digit 3 ..." from a single 3.
        profiles = ops.concatenate([ops.sum(maps, axis=2), ops.sum(maps, axis=3)], axis=2)
        presence = ops.max(maps, axis=(1, 2, 3))[..., None]  # (N, k, 1)
        count = ops.mean(ops.sum(maps, axis=(2, 3)), axis=1)[..., None]  # (N, k, 1)
        per_frame = ops.reshape(ops.transpose(profiles, (0, 3, 1, 2)), (batch, k, -1))
        average = ops.transpose(ops.mean(profiles, axis=1), (0, 2, 1))  # (N, k, cols + rows)
        return ops.concatenate([presence, count, average, per_frame], axis=-1)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        _, t, rows, cols, k = input_shape
        return (input_shape[0], k, 2 + (t + 1) * (rows + cols))


class _CaptionDecoder(keras.layers.Layer):
    """An LSTM that emits one word per step from (previous word, video vector).

    With mean pooling the video vector is the frame average, the same at
    every step. With attention it is a weighted average of the frames whose
    weights are recomputed at every step from the LSTM's previous state
    (additive attention, Bahdanau et al., 2015). With digit slots it is a
    weighted average of the slots, each of which has a learned key of its
    own, plus every slot's presence and count.
    """

    def __init__(
        self,
        vocab_size: int,
        pooling: str,
        embed_dim: int,
        hidden: int,
        attention_dim: int,
        dropout: float,
        video_dim: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pooling, self.hidden = pooling, hidden
        self.embed = keras.layers.Embedding(vocab_size, embed_dim, name="word_embedding")
        self.cell = keras.layers.LSTMCell(hidden, name="lstm")
        self.drop = keras.layers.Dropout(dropout)
        self.out = keras.layers.Dense(vocab_size, name="word_logits")
        # A layer after pooling: whether the digit covered a column in *all* frames or in
        # some is a non-linear function of the frame average, which a linear map cannot read.
        self.video = keras.layers.Dense(video_dim, activation="relu", name="video_vector")
        if pooling != "mean":
            self.att_frames = keras.layers.Dense(attention_dim, use_bias=False, name="att_frames")
            self.att_state = keras.layers.Dense(attention_dim, name="att_state")
            self.att_score = keras.layers.Dense(1, use_bias=False, name="att_score")

    def build(self, input_shape: Any) -> None:
        features_shape, _ = input_shape
        dim = features_shape[-1]
        self.embed.build((None,))
        # With digit slots the video vector also gets every slot's presence and count.
        self.video.build((None, dim + 20 if self.pooling == "digits" else dim))
        self.cell.build((None, self.embed.output_dim + self.video.units))
        self.out.build((None, self.hidden + self.video.units))
        if self.pooling != "mean":
            self.att_frames.build((None, None, dim))
            self.att_state.build((None, self.hidden))
            self.att_score.build((None, None, self.att_frames.units))
        if self.pooling == "digits":
            # A slot's content says where its digit is, not which digit it is. Without a
            # key of its own, attention could not pick "the slot of the 3" after writing
            # "digit 3": which digit made which motion would have to be guessed.
            self.slot_keys = self.add_weight(
                shape=(features_shape[1], self.att_frames.units),
                initializer="random_normal",
                name="slot_keys",
            )

    def context(self, features: Any, projected: Any, h: Any) -> tuple[Any, Any]:
        """The video vector for this step, and the weights given to the frames."""
        if self.pooling == "mean":
            n_frames = ops.shape(features)[1]
            weights = ops.ones(ops.shape(features)[:2], dtype=features.dtype) / ops.cast(
                n_frames, features.dtype
            )
            return ops.mean(features, axis=1), weights
        scores = self.att_score(ops.tanh(projected + self.att_state(h)[:, None, :]))[..., 0]
        weights = ops.softmax(scores, axis=-1)
        attended = ops.sum(features * weights[..., None], axis=1)
        if self.pooling == "digits":
            # Which digits are in the clip, and how many of each: every slot's first entries.
            attended = ops.concatenate([attended, features[..., 0], features[..., 1]], axis=-1)
        return attended, weights

    def project(self, features: Any) -> Any:
        """The attention keys of the frames (or slots): computed once per clip."""
        if self.pooling == "mean":
            return features
        keys = self.att_frames(features)
        return keys + self.slot_keys[None] if self.pooling == "digits" else keys

    def step(
        self, features: Any, projected: Any, word: Any, h: Any, c: Any, training: bool = False
    ) -> tuple[Any, Any, Any, Any]:
        """One decoding step: (logits, h, c, frame weights)."""
        video, weights = self.context(features, projected, h)
        video = self.video(video)
        x = ops.concatenate([self.embed(word), video], axis=-1)
        _, (h, c) = self.cell(x, [h, c], training=training)
        # "Deep output" (Xu et al., 2015): the word is read from the LSTM state *and*
        # the video vector, so the LSTM only has to track where in the sentence it is.
        logits = self.out(self.drop(ops.concatenate([h, video], axis=-1), training=training))
        return logits, h, c, weights

    def call(self, inputs: Any, training: bool = False) -> Any:
        features, words = inputs
        projected = self.project(features)
        batch = ops.shape(features)[0]
        h = ops.zeros((batch, self.hidden), dtype=features.dtype)
        c = ops.zeros((batch, self.hidden), dtype=features.dtype)
        logits = []
        # The caption is short (<= 11 steps), so the loop is unrolled into the graph.
        for i in range(words.shape[1]):
            step_logits, h, c, _ = self.step(features, projected, words[:, i], h, c, training)
            logits.append(step_logits)
        return ops.stack(logits, axis=1)


def _conv(x: Any, filters: int, name: str, strides: int = 2) -> Any:
    # Batch normalization makes the small CNN learn digits several times faster.
    conv = keras.layers.Conv2D(filters, 3, strides, padding="same", use_bias=False, name=name)
    x = conv(x)
    # Momentum 0.9: the running statistics settle within tens of steps, not hundreds.
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _detection_targets(
    digits: np.ndarray, positions: np.ndarray, size: int, grid: int, sigma: float = 0.7
) -> np.ndarray:
    # One target map per frame: a Gaussian bump (in cells) at each digit's centre, in
    # that digit's channel. A bump, not a single cell: a centre near a cell border
    # would otherwise make two almost identical cells get opposite labels.
    n, n_digits, t, _ = positions.shape
    centre = (positions + DIGIT_SIZE / 2) * grid / size - 0.5  # (N, D, T, 2) in cells
    cells = np.arange(grid)
    gy = np.exp(-((cells - centre[..., 0:1]) ** 2) / (2 * sigma**2))  # (N, D, T, grid)
    gx = np.exp(-((cells - centre[..., 1:2]) ** 2) / (2 * sigma**2))
    bumps = (gy[..., :, None] * gx[..., None, :]).astype(np.float32)  # (N, D, T, grid, grid)
    targets = np.zeros((n, t, grid, grid, 10), dtype=np.float32)
    for d in range(n_digits):
        onehot = np.eye(10, dtype=np.float32)[digits[:, d]][:, None, None, None, :]
        targets = np.maximum(targets, bumps[:, d, ..., None] * onehot)
    return targets.reshape(n * t, grid, grid, 10)


def _digit_detector(size: int) -> keras.Model:
    # Four convolutions: two strided ones down to an 8x8 grid (for a 64x64 frame), then
    # two that keep it, so each cell sees a whole digit (46 pixels) around its centre.
    frame = keras.Input((size, size, 1), name="frame")
    x = keras.layers.AveragePooling2D(2, name="downsample")(frame) if size >= 48 else frame
    x = _conv(x, 16, "conv1")
    x = _conv(x, 32, "conv2")
    x = _conv(x, 64, "detect1", strides=1)
    x = _conv(x, 64, "detect2", strides=1)
    logits = keras.layers.Conv2D(10, 1, name="digit_maps")(x)
    maps = keras.layers.Activation("sigmoid", name="digit_probabilities")(logits)
    return keras.Model(frame, maps, name="digit_detector")


def _frame_cnn(size: int, feature_dim: int) -> keras.Model:
    # Strided convolutions with few filters: cheap enough for a shared 2-core CPU.
    frame = keras.Input((size, size, 1), name="frame")
    x = keras.layers.AveragePooling2D(2, name="downsample")(frame) if size >= 48 else frame
    x = _conv(x, 16, "conv1")
    fine = x
    x = _conv(x, 32, "conv2")
    x = _conv(x, 64, "conv3")
    # *What* digit it is, wherever it is: the global maximum of the deepest features.
    what = keras.layers.GlobalMaxPooling2D(name="what")(x)
    # *Where* it is: the strongest response in every column and in every row, from
    # the first layer (fine positions) and the last (positions of digit-like features,
    # which keep two digits' motions apart). Averaged over frames, these profiles show
    # how far each digit travelled along each axis, which is what motion words say.
    profiles = []
    for level, maps in (("conv1", fine), ("conv3", x)):
        n = maps.shape[1]
        for axis, pool in (("columns", (n, 1)), ("rows", (1, n))):
            pooled = keras.layers.MaxPooling2D(pool, name=f"{level}_{axis}_max")(maps)
            profiles.append(keras.layers.Flatten(name=f"{level}_{axis}_profile")(pooled))
    where = keras.layers.Concatenate(name="profiles")(profiles)
    where = keras.layers.Dense(feature_dim - what.shape[-1], activation="relu", name="where")(where)
    vector = keras.layers.Concatenate(name="frame_vector")([what, where])
    return keras.Model(frame, vector, name="frame_cnn")


def _in_chunks(model: keras.Model, videos: np.ndarray, chunk: int = 128) -> np.ndarray:
    # Direct calls, not `predict`: no new tf.function per batch shape, no retracing warnings.
    out = [model(videos[i : i + chunk], training=False) for i in range(0, len(videos), chunk)]
    return np.concatenate([np.asarray(o) for o in out])


def _check_training_args(epochs: Any, batch_size: Any, learning_rate: Any) -> None:
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")


class Captioner:
    """A video caption model: frame CNN, mean pooling or attention, LSTM decoder.

    Build it with `build_captioner`. The Keras model that is trained is
    `keras_model`: inputs ``[videos, decoder_inputs]``, output word logits
    (N, max_words + 1, vocabulary size).

    Args:
        vocabulary: The words the model can say.
        n_frames: Frames per clip.
        size: Frame height and width.
        pooling: ``"mean"``, ``"attention"`` or ``"digits"``.
        feature_dim: Length of a frame vector (64 for *what*, the rest for *where*).
        embed_dim: Length of a word embedding.
        hidden: LSTM units.
        attention_dim: Units of the attention scorer (attention only).
        dropout: Dropout rate on frame vectors and on the LSTM output.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        n_frames: int,
        size: int,
        pooling: str = "mean",
        feature_dim: int = 192,
        embed_dim: int = 32,
        hidden: int = 128,
        attention_dim: int = 64,
        dropout: float = 0.2,
    ) -> None:
        self.vocabulary = vocabulary
        self.config = {
            "n_frames": int(n_frames),
            "size": int(size),
            "pooling": pooling,
            "feature_dim": int(feature_dim),
            "embed_dim": int(embed_dim),
            "hidden": int(hidden),
            "attention_dim": int(attention_dim),
            "dropout": float(dropout),
        }
        self._build()
        self.history: dict[str, list[float]] = {}
        self.train_seconds = 0.0
        # XLA compilation of the unrolled decoder costs more than it saves on small CPU runs.
        self.jit_compile: bool | str = False

    def _build(self) -> None:
        cfg = self.config
        videos = keras.Input((cfg["n_frames"], cfg["size"], cfg["size"], 1), name="videos")
        words = keras.Input((self.vocabulary.max_words + 1,), dtype="int32", name="words")
        if cfg["pooling"] == "digits":
            self.frame_cnn = _digit_detector(cfg["size"])
            cnn_out = keras.layers.TimeDistributed(self.frame_cnn, name="detector_per_frame")(
                videos
            )
            cnn_out = _DigitSlots(name="digit_slots")(cnn_out)
            after_cnn: list[keras.layers.Layer] = []
        else:
            self.frame_cnn = _frame_cnn(cfg["size"], cfg["feature_dim"])
            cnn_out = keras.layers.TimeDistributed(self.frame_cnn, name="cnn_per_frame")(videos)
            after_cnn = [
                _FramePositions(cfg["n_frames"], cfg["feature_dim"], name="frame_positions")
            ]
        # Everything after the CNN, as a list of layers, so that a second model (`_head`)
        # can share them: it trains on CNN outputs computed once when the CNN is frozen.
        after_cnn.append(keras.layers.Dropout(cfg["dropout"], name="frame_dropout"))
        self.decoder = _CaptionDecoder(
            len(self.vocabulary),
            cfg["pooling"],
            cfg["embed_dim"],
            cfg["hidden"],
            cfg["attention_dim"],
            cfg["dropout"],
            cfg["feature_dim"],
            name=f"lstm_decoder_{cfg['pooling']}",
        )

        def head(features: Any, words: Any) -> tuple[Any, Any]:
            for layer in after_cnn:
                features = layer(features)
            return features, self.decoder((features, words))

        features, logits = head(cnn_out, words)
        self.keras_model = keras.Model([videos, words], logits, name="captioner")
        self.encoder = keras.Model(videos, features, name="video_encoder")
        self._cnn_part = keras.Model(videos, cnn_out, name="cnn_part")
        cnn_features = keras.Input(cnn_out.shape[1:], name="cnn_features")
        self._head = keras.Model(
            [cnn_features, words], head(cnn_features, words)[1], name="captioner_head"
        )
        decoder = self.decoder

        @tf.function(reduce_retracing=True)
        def step(features, projected, word, h, c):  # noqa: ANN001, ANN202
            logits, h, c, weights = decoder.step(features, projected, word, h, c)
            return tf.nn.log_softmax(logits), h, c, weights

        self._step = step

    # -- checks

    def _check_videos(self, videos: Any, any_length: bool = False) -> np.ndarray:
        videos = np.asarray(videos)
        cfg = self.config
        expected = (cfg["n_frames"], cfg["size"], cfg["size"], 1)
        if any_length and videos.ndim == 5:
            expected = (videos.shape[1], *expected[1:])
        if videos.ndim != 5 or videos.shape[1:] != expected:
            raise ValueError(
                f"videos must have shape (N, {', '.join(map(str, expected))}) for this model, "
                f"got {videos.shape}"
            )
        if len(videos) == 0:
            raise ValueError("videos must hold at least one clip")
        if not np.issubdtype(videos.dtype, np.floating):
            raise TypeError(f"videos must be float in [0, 1], got dtype {videos.dtype}")
        return videos.astype(np.float32, copy=False)

    @staticmethod
    def _check_clips(clips: Any, name: str = "clips") -> Clips:
        if not isinstance(clips, Clips):
            raise TypeError(
                f"{name} must be a Clips (e.g. from moving_digits), got {type(clips).__name__}"
            )
        return clips

    # -- training

    def pretrain(
        self,
        clips: Clips,
        epochs: int = 2,
        batch_size: int = 64,
        learning_rate: float = 3e-3,
        verbose: int = 0,
    ) -> dict[str, list[float]]:
        """Train the digit detector alone, on single frames, before captioning.

        Only for ``pooling="digits"``. Every frame of `clips` becomes one
        example whose target is a map per digit class with a bump where that
        digit's centre is (known from `clips.digits` and `clips.positions`).
        This is the bottom-up stage of Anderson et al. (2018), whose caption
        model attends over the objects that a separately trained detector
        found; Venugopalan et al. likewise took a CNN already trained on images.
        `fit` then trains the decoder on the captions, with the detector kept
        as it is (``freeze_cnn=True``) or trained along.

        Args:
            clips: Clips with `digits` and `positions` (as `moving_digits`
                makes them); any number of frames, the model's frame size.
            epochs: Passes over all the frames.
            batch_size: Frames per gradient step.
            learning_rate: Adam's step size.
            verbose: Keras verbosity.

        Returns:
            The detector's loss history, ``{"loss": [...]}``.

        Raises:
            TypeError: If `clips` is not a `Clips`.
            ValueError: If the model does not use ``pooling="digits"``, the
                clips lack digits or positions, or an argument is out of range.

        Examples:
            >>> from fdmlearn import captioning
            >>> clips = captioning.moving_digits(8, n_digits=2, n_frames=3, size=32)
            >>> model = captioning.build_captioner(clips, pooling="digits")
            >>> history = model.pretrain(clips, epochs=1)
            >>> len(history["loss"])
            1
        """
        clips = self._check_clips(clips)
        if self.config["pooling"] != "digits":
            raise ValueError(
                f"pretrain needs a model built with pooling='digits', this one has "
                f"pooling={self.config['pooling']!r}"
            )
        videos = self._check_videos(clips.videos, any_length=True)
        if clips.digits is None or clips.positions is None:
            raise ValueError(
                "clips must have digits and positions (as moving_digits makes them) to pretrain"
            )
        _check_training_args(epochs, batch_size, learning_rate)
        frames = videos.reshape(-1, *videos.shape[2:])
        detector = self.frame_cnn
        logits = detector.get_layer("digit_maps").output
        trainer = keras.Model(detector.input, logits, name="digit_detector_logits")
        targets = _detection_targets(
            clips.digits, clips.positions, videos.shape[2], logits.shape[1]
        )
        trainer.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
        )
        t0 = time.perf_counter()
        hist = trainer.fit(frames, targets, epochs=epochs, batch_size=batch_size, verbose=verbose)
        self.train_seconds += time.perf_counter() - t0
        losses = [float(v) for v in hist.history["loss"]]
        self.history.setdefault("pretrain_loss", []).extend(losses)
        return {"loss": losses}

    def fit(
        self,
        clips: Clips,
        epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 3e-3,
        schedule: str = "cosine",
        validation: Clips | None = None,
        strategy: tf.distribute.Strategy | None = None,
        verbose: int = 0,
        freeze_cnn: bool = False,
    ) -> dict[str, list[float]]:
        """Train with teacher forcing and per-word cross-entropy.

        At step i the decoder is fed the *true* word i-1 (teacher forcing) and
        is scored by the cross-entropy of the true word i; padding after
        ``<end>`` is ignored. Each call starts a fresh Adam optimizer (and
        learning-rate schedule) from the current weights.

        Args:
            clips: Training clips.
            epochs: Passes over the clips.
            batch_size: Clips per gradient step.
            learning_rate: Adam's (initial) step size.
            schedule: ``"cosine"`` decays the step size to 5% of
                `learning_rate` over this call's steps; ``"constant"`` keeps it.
            validation: Optional clips whose loss is reported each epoch.
            strategy: Optional `tf.distribute.Strategy` (e.g.
                `tf.distribute.MirroredStrategy()` for several GPUs); the
                model is moved into its scope, keeping its weights.
            verbose: Keras verbosity (0 silent, 1 progress bar, 2 one line
                per epoch).
            freeze_cnn: Keep the frame CNN (the digit detector with
                ``pooling="digits"``) as it is and train the rest only. The
                CNN's outputs are then computed once, before the first epoch,
                and the epochs train only the layers after it, which takes a
                fraction of the time; useful after `pretrain`.

        Returns:
            The loss history, ``{"loss": [...], "val_loss": [...]}``,
            also kept in `history`.

        Raises:
            TypeError: If `clips` is not a `Clips`.
            ValueError: If the videos do not fit the model, or an argument is
                out of range.
        """
        clips = self._check_clips(clips)
        videos = self._check_videos(clips.videos)
        _check_training_args(epochs, batch_size, learning_rate)
        if schedule not in ("cosine", "constant"):
            raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
        inputs, targets = self.vocabulary.teacher_forcing(clips.captions)
        if validation is not None:
            validation = self._check_clips(validation, "validation")
            val_videos = self._check_videos(validation.videos)
            val_in, val_out = self.vocabulary.teacher_forcing(validation.captions)

        steps = epochs * math.ceil(len(videos) / batch_size)
        rate: Any = learning_rate
        if schedule == "cosine":
            rate = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05)
        if strategy is not None:
            weights = self.keras_model.get_weights()
            with strategy.scope():
                self._build()
                self.keras_model.set_weights(weights)
        self.frame_cnn.trainable = not freeze_cnn
        trainer = self.keras_model
        t0 = time.perf_counter()
        if freeze_cnn:
            # A frozen CNN gives the same output in every epoch: compute it once and
            # train only what comes after it. Epochs then cost a fraction of the time.
            trainer = self._head
            videos = _in_chunks(self._cnn_part, videos)
            if validation is not None:
                val_videos = _in_chunks(self._cnn_part, val_videos)
        val_data = None if validation is None else ([val_videos, val_in], val_out)
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            self._compile(trainer, rate)

        hist = trainer.fit(
            [videos, inputs],
            targets,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=val_data,
            shuffle=True,
            verbose=verbose,
        )
        self.train_seconds += time.perf_counter() - t0
        for key, values in hist.history.items():
            self.history.setdefault(key, []).extend(float(v) for v in values)
        return self.history

    def _compile(self, model: keras.Model, learning_rate: Any) -> None:
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, ignore_class=self.vocabulary.pad_id
            ),
            jit_compile=self.jit_compile,
        )

    # -- inference

    def _encode(self, videos: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
        features = tf.constant(_in_chunks(self.encoder, videos))
        return features, self.decoder.project(features)

    def _zeros(self, n: int) -> tf.Tensor:
        return tf.zeros((n, self.config["hidden"]), dtype=tf.float32)

    def _greedy(self, videos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        features, projected = self._encode(videos)
        n = len(videos)
        h, c = self._zeros(n), self._zeros(n)
        word = tf.fill((n,), self.vocabulary.start_id)
        out, attn = [], []
        done = np.zeros(n, dtype=bool)
        for _ in range(self.vocabulary.max_words + 1):
            logp, h, c, weights = self._step(features, projected, word, h, c)
            word = tf.argmax(logp, axis=-1, output_type=tf.int32)
            out.append(word.numpy())
            attn.append(weights.numpy())
            done |= out[-1] == self.vocabulary.end_id
            if done.all():
                break
        return np.stack(out, axis=1), np.stack(attn, axis=1)

    def _beam(self, videos: np.ndarray, width: int) -> np.ndarray:
        features, projected = self._encode(videos)
        n, v = len(videos), len(self.vocabulary)
        end, pad = self.vocabulary.end_id, self.vocabulary.pad_id
        features = tf.repeat(features, width, axis=0)
        projected = tf.repeat(projected, width, axis=0)
        h, c = self._zeros(n * width), self._zeros(n * width)
        word = np.full(n * width, self.vocabulary.start_id, dtype=np.int32)
        # Only the first beam is live at the start, so the k beams do not all copy it.
        scores = np.full((n, width), -np.inf)
        scores[:, 0] = 0.0
        seqs = np.zeros((n, width, 0), dtype=np.int32)
        finished = np.zeros((n, width), dtype=bool)
        for step in range(self.vocabulary.max_words + 1):
            logp, h, c, _ = self._step(features, projected, tf.constant(word), h, c)
            logp = logp.numpy().reshape(n, width, v).astype(np.float64)
            if step == self.vocabulary.max_words:
                # The longest caption must end here: rank the beams by their ending.
                logp[..., np.arange(v) != end] = -np.inf
            # A finished caption stays as it is: it can only be followed by free padding.
            logp[finished] = -np.inf
            logp[finished, pad] = 0.0
            total = (scores[:, :, None] + logp).reshape(n, width * v)
            best = np.argsort(-total, axis=1, kind="stable")[:, :width]
            beam, token = best // v, (best % v).astype(np.int32)
            rows = np.arange(n)[:, None]
            scores = total[rows, best]
            seqs = np.concatenate([seqs[rows, beam], token[..., None]], axis=2)
            finished = finished[rows, beam] | (token == end)
            flat = (rows * width + beam).ravel()
            h, c = tf.gather(h, flat), tf.gather(c, flat)
            word = token.ravel()
            if finished.all():
                break
        return seqs[:, 0]

    def caption(self, videos: np.ndarray, beam_width: int = 1) -> list[str]:
        """Write a caption for each video.

        Decoding starts from ``<start>`` and stops at ``<end>`` or after
        `max_words` words. `beam_width=1` picks the most likely word at every
        step (greedy); a larger width keeps that many partial captions and
        returns the one with the highest total log-probability (beam search).

        Args:
            videos: float32 array (N, n_frames, size, size, 1) in [0, 1].
            beam_width: 1 for greedy decoding, > 1 for beam search.

        Returns:
            N captions.

        Raises:
            ValueError: If the videos do not fit the model or `beam_width` < 1.
        """
        videos = self._check_videos(videos)
        if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
            raise ValueError(f"beam_width must be an integer >= 1, got {beam_width!r}")
        captions: list[str] = []
        for lo in range(0, len(videos), 512):
            chunk = videos[lo : lo + 512]
            ids = self._greedy(chunk)[0] if beam_width == 1 else self._beam(chunk, beam_width)
            captions += [self.vocabulary.decode(row) for row in ids]
        return captions

    def attention(self, videos: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Greedy captions and the weight each word gave to each frame (or digit slot).

        Args:
            videos: float32 array (N, n_frames, size, size, 1) in [0, 1].

        Returns:
            `(captions, weights)`: weights has shape (N, steps, n_frames);
            with mean pooling every weight is 1 / n_frames. With
            ``pooling="digits"`` the last axis is the 10 digit slots instead:
            which digit each word was about.
        """
        videos = self._check_videos(videos)
        ids, weights = self._greedy(videos)
        return [self.vocabulary.decode(row) for row in ids], weights

    def evaluate(self, clips: Clips, beam_width: int = 1) -> dict[str, float]:
        """Caption `clips` and score the captions against the true ones.

        Args:
            clips: Clips with their true captions.
            beam_width: Passed to `caption`.

        Returns:
            ``{"exact_match", "word_accuracy", "bleu4"}``, each in [0, 1].

        Raises:
            TypeError: If `clips` is not a `Clips`.
        """
        clips = self._check_clips(clips)
        predicted = self.caption(clips.videos, beam_width=beam_width)
        return {
            "exact_match": exact_match(predicted, clips.captions),
            "word_accuracy": word_accuracy(predicted, clips.captions),
            "bleu4": bleu4(predicted, clips.captions),
        }

    # -- persistence

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save vocabulary, settings and weights to one ``.npz`` file.

        Args:
            path: File to write; ``.npz`` is appended if missing.
        """
        meta = {"vocabulary": self.vocabulary.get_config(), "config": self.config}
        weights = {f"w{i:03d}": w for i, w in enumerate(self.keras_model.get_weights())}
        np.savez(os.fspath(path), meta=np.array(json.dumps(meta)), **weights)

    def count_params(self) -> int:
        """Number of weights in the model."""
        return int(self.keras_model.count_params())


def build_captioner(
    clips: Clips,
    pooling: str = "mean",
    *,
    feature_dim: int = 192,
    embed_dim: int = 32,
    hidden: int = 128,
    attention_dim: int = 64,
    dropout: float = 0.2,
    max_words: int = 10,
    seed: int | None = 0,
) -> Captioner:
    """Build an untrained caption model for clips like `clips`.

    The vocabulary is made from the clips' captions; frame count and size
    come from their videos.

    Args:
        clips: Training clips (their shapes and words define the model).
        pooling: ``"mean"`` (one video vector, the notebook's design),
            ``"attention"`` (a new weighted average of the frames per word)
            or ``"digits"`` (a digit detector, one slot per digit class
            holding where that digit is in every frame, and attention over
            the slots; call `Captioner.pretrain` before `Captioner.fit`).
        feature_dim: Length of a frame vector, > 64: 64 values say what
            digit is seen, the others where it is. With ``"digits"``, the
            size of the video vector.
        embed_dim: Length of a word embedding.
        hidden: LSTM units.
        attention_dim: Units of the attention scorer.
        dropout: Dropout rate in [0, 1).
        max_words: Longest caption the model writes.
        seed: If not None, seeds Python, NumPy and Keras first
            (`keras.utils.set_random_seed`) so the initial weights repeat.

    Returns:
        A `Captioner`.

    Raises:
        TypeError: If `clips` is not a `Clips`.
        ValueError: If `pooling` is unknown or a size is out of range.

    Examples:
        >>> from fdmlearn import captioning
        >>> clips = captioning.moving_digits(4, n_frames=3, size=32)
        >>> model = captioning.build_captioner(clips, pooling="attention")
        >>> model.keras_model.output_shape
        (None, 11, 12)
        >>> len(model.caption(clips.videos)) == 4
        True
    """
    clips = Captioner._check_clips(clips)
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be 'mean', 'attention' or 'digits', got {pooling!r}")
    if isinstance(feature_dim, bool) or not isinstance(feature_dim, int) or feature_dim <= 64:
        raise ValueError(f"feature_dim must be an integer > 64, got {feature_dim!r}")
    for name, value in (
        ("embed_dim", embed_dim),
        ("hidden", hidden),
        ("attention_dim", attention_dim),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    _, n_frames, size, width, _ = clips.videos.shape
    if size != width:
        raise ValueError(f"frames must be square, got {size}x{width}")
    vocabulary = Vocabulary.from_captions(clips.captions, max_words=max_words)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return Captioner(
        vocabulary,
        n_frames,
        size,
        pooling=pooling,
        feature_dim=feature_dim,
        embed_dim=embed_dim,
        hidden=hidden,
        attention_dim=attention_dim,
        dropout=dropout,
    )


def load_captioner(path: str | os.PathLike[str]) -> Captioner:
    """Load a model written by `Captioner.save`; it writes identical captions.

    Args:
        path: The ``.npz`` file.

    Returns:
        The `Captioner`.

    Raises:
        FileNotFoundError: If there is no such file.
        ValueError: If the file is not a saved captioner.
    """
    path = os.fspath(path)
    if not os.path.isfile(path) and os.path.isfile(path + ".npz"):
        path += ".npz"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path={path!r}: no such file; expected a file from Captioner.save")
    with np.load(path, allow_pickle=False) as npz:
        if "meta" not in npz.files:
            raise ValueError(f"{path} is not a saved Captioner (no 'meta' entry)")
        meta = json.loads(str(npz["meta"]))
        weights = [npz[k] for k in sorted(k for k in npz.files if k.startswith("w"))]
    vocabulary = Vocabulary(**meta["vocabulary"])
    model = Captioner(vocabulary, **meta["config"])
    model.keras_model.set_weights(weights)
    return model


# ----------------------------------------------------------------------------- figures


def show_clips(
    videos: np.ndarray,
    captions: Sequence[str],
    predicted: Sequence[str] | None = None,
    max_frames: int = 10,
) -> Any:
    """Draw clips as strips of frames, with true (and predicted) captions.

    Args:
        videos: Array (N, n_frames, size, size, 1).
        captions: N true captions.
        predicted: Optional N predicted captions; right ones are shown in
            green, wrong ones in red.
        max_frames: Show at most this many frames per clip (evenly spaced).

    Returns:
        A matplotlib Figure with one row per clip.

    Raises:
        ValueError: If the shapes or counts do not match.

    Examples:
        >>> from fdmlearn.captioning import moving_digits, show_clips
        >>> clips = moving_digits(2, n_frames=4, size=32)
        >>> fig = show_clips(clips.videos, clips.captions)
        >>> len(fig.axes)
        8
    """
    from matplotlib.figure import Figure

    videos = np.asarray(videos)
    if videos.ndim != 5:
        raise ValueError(f"videos must have shape (N, n_frames, size, size, 1), got {videos.shape}")
    if isinstance(captions, str) or len(captions) != len(videos):
        raise ValueError(f"captions must be a list of {len(videos)} strings, one per video")
    if predicted is not None and len(predicted) != len(videos):
        raise ValueError(f"predicted must hold {len(videos)} captions, got {len(predicted)}")
    n, t = videos.shape[:2]
    frames = np.unique(np.linspace(0, t - 1, min(t, max_frames)).round().astype(int))
    fig = Figure(figsize=(1.0 * len(frames), 1.35 * n))
    axes = fig.subplots(n, len(frames), squeeze=False)
    for i in range(n):
        for j, f in enumerate(frames):
            ax = axes[i, j]
            ax.imshow(videos[i, f, :, :, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"t={f}", fontsize=7)
        text = f"true: {captions[i]}"
        color = "black"
        if predicted is not None:
            ok = _words(predicted[i]) == _words(captions[i])
            text += f"\npredicted: {predicted[i]}"
            color = "tab:green" if ok else "tab:red"
        axes[i, 0].set_ylabel("")
        axes[i, 0].text(
            0, -0.08, text, transform=axes[i, 0].transAxes, va="top", fontsize=7, color=color
        )
    fig.subplots_adjust(hspace=0.75, wspace=0.05)
    return fig


def draw_architecture(model: Captioner, steps: int = 4) -> Any:
    """Draw the caption model as boxes and arrows (the notebook's Figure 2).

    Frames go through one shared CNN, become frame vectors, are pooled (mean)
    or attended (attention) into a video vector, which enters the LSTM at
    every step together with the previous word.

    Args:
        model: A `Captioner` (its pooling and sizes are written on the figure).
        steps: Decoding steps to draw, 2 to 6.

    Returns:
        A matplotlib Figure.

    Raises:
        TypeError: If `model` is not a `Captioner`.
        ValueError: If `steps` is out of range.

    Examples:
        >>> from fdmlearn import captioning
        >>> model = captioning.build_captioner(captioning.moving_digits(2, n_frames=3, size=32))
        >>> fig = captioning.draw_architecture(model)
        >>> fig.axes[0].get_title()
        'Mean-pool video caption model (Venugopalan et al., 2015)'
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if not isinstance(model, Captioner):
        raise TypeError(f"model must be a Captioner, got {type(model).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 6:
        raise ValueError(f"steps must be an integer from 2 to 6, got {steps!r}")
    cfg = model.config
    pooling = cfg["pooling"]
    fig = Figure(figsize=(11, 6.2))
    ax = fig.add_subplot()
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 6.2)
    ax.axis("off")
    ax.set_title(
        {
            "mean": "Mean-pool video caption model (Venugopalan et al., 2015)",
            "attention": "Soft-attention video caption model",
            "digits": "Digit-slot attention caption model (after Anderson et al., 2018)",
        }[pooling]
    )

    def box(x: float, y: float, w: float, h: float, text: str, color: str) -> None:
        ax.add_patch(
            FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.03", fc=color, ec="0.25", lw=1.0)
        )
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)

    def arrow(x0: float, y0: float, x1: float, y1: float, color: str = "0.3") -> None:
        ax.add_patch(
            FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=10, color=color)
        )

    n_show = min(cfg["n_frames"], 4)
    frame_x = [0.3 + 1.15 * i for i in range(n_show)]
    for i, x in enumerate(frame_x):
        label = f"frame {i + 1}" if i < n_show - 1 else f"frame {cfg['n_frames']}"
        box(x, 0.2, 0.9, 0.6, f"{label}\n{cfg['size']}x{cfg['size']}x1", "#dfe7f3")
        if pooling == "digits":
            box(x, 1.2, 0.9, 0.7, "digit\ndetector\n(shared)", "#c6dbef")
            box(x, 2.3, 0.9, 0.5, "10 digit\nmaps", "#9ecae1")
        else:
            box(x, 1.2, 0.9, 0.7, "CNN\n(shared)", "#c6dbef")
            box(x, 2.3, 0.9, 0.5, f"vector\n{cfg['feature_dim']}", "#9ecae1")
        arrow(x + 0.45, 0.8, x + 0.45, 1.2)
        arrow(x + 0.45, 1.9, x + 0.45, 2.3)
    if cfg["n_frames"] > n_show:
        ax.text(frame_x[-1] - 0.13, 0.5, "…", ha="center", va="center", fontsize=12)
    pool_x0, pool_x1 = frame_x[0], frame_x[-1] + 0.9
    pool_label = {
        "mean": "mean pooling over frames:\none average, then video layer",
        "attention": "soft attention over frames (+ positions):\n"
        "new weights for every word, then video layer",
        "digits": "one slot per digit: its track, its key;\n"
        "soft attention over slots for every word",
    }[pooling]
    box(pool_x0, 3.25, pool_x1 - pool_x0, 0.6, pool_label, "#fdd49e")
    for x in frame_x:
        arrow(x + 0.45, 2.8, x + 0.45, 3.25)

    lstm_x = [5.3 + 1.45 * i for i in range(steps)]
    # The video vector enters every step, as the notebook's design says: a bus under the LSTMs.
    bus_y = 3.0
    ax.plot([pool_x1, lstm_x[-1] + 0.2], [bus_y, bus_y], color="tab:orange", lw=1.5)
    ax.plot([pool_x1 - 0.2, pool_x1 - 0.2, pool_x1], [3.25, bus_y, bus_y], color="tab:orange")
    ax.text(pool_x1 + 0.08, bus_y - 0.17, "video vector", color="tab:orange", fontsize=8)
    for i, x in enumerate(lstm_x):
        box(x, 3.25, 1.0, 0.7, f"LSTM\n{cfg['hidden']} units", "#c7e9c0")
        prev = "<start>" if i == 0 else f"word {i}"
        box(x, 2.1, 1.0, 0.5, f"{prev}\n(embedding)", "#f0f0f0")
        arrow(x + 0.6, 2.6, x + 0.6, 3.25)
        arrow(x + 0.2, bus_y, x + 0.2, 3.25, color="tab:orange")
        box(x, 4.6, 1.0, 0.5, "softmax\n(dropout)", "#fcbba1")
        arrow(x + 0.5, 3.95, x + 0.5, 4.6)
        out = "<end>" if i == steps - 1 else f"word {i + 1}"
        ax.text(x + 0.5, 5.55, out, ha="center", va="center", fontsize=9, weight="bold")
        arrow(x + 0.5, 5.1, x + 0.5, 5.35)
        if i:
            arrow(lstm_x[i - 1] + 1.0, 3.6, x, 3.6)
    ax.text(
        lstm_x[0],
        1.75,
        "each step's input: the previous word (the chosen one when captioning,\n"
        "the true one when training) and the video vector; the softmax\n"
        "reads the LSTM state and the video vector",
        fontsize=8,
        va="top",
    )
    ax.text(
        8.1,
        0.6,
        f"vocabulary: {len(model.vocabulary)} tokens, at most "
        f"{model.vocabulary.max_words} words\ntraining: teacher forcing, per-word cross-entropy"
        "\nevaluation: exact match (0/1), word accuracy, BLEU-4",
        ha="center",
        va="center",
        fontsize=8,
    )
    return fig
