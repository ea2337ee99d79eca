"""The caption model's own Keras layers, registered so that `.keras` files rebuild them.

- `FramePositions`: a learned vector per frame index (*when* a frame was).
- `DigitSlots`: per-frame digit maps -> one token ("slot") per digit class,
  laid out as `SlotLayout` says.
- `CaptionDecoder`: the LSTM that writes one word per step from the previous
  word and the video vector (mean pooling, attention over frames, or
  attention over digit slots).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import keras
from keras import ops

__all__ = [
    "N_SLOTS",
    "CaptionDecoder",
    "DigitSlots",
    "FrameMask",
    "FramePositions",
    "MaskFrames",
    "SlotLayout",
]

N_SLOTS = 10  # one slot per digit class
POOLINGS = ("mean", "attention", "digits")


def _register(cls: type) -> type:
    return keras.saving.register_keras_serializable(
        package="fdmlearn", name=f"captioning.{cls.__name__}"
    )(cls)


@dataclass(frozen=True)
class SlotLayout:
    """Where each quantity sits in a digit slot (the last axis of `DigitSlots`' output).

    A slot is the vector ``[presence, count, colour, average profile,
    profile of frame 0, ..., profile of frame T-1]``, where a *profile* is
    the digit's map summed over rows (one value per column) followed by the
    map summed over columns (one value per row), and the *colour* is,
    times its presence, either the mean colour of the digit's ink (one value
    per frame channel) or, for a detector with colour maps, how strongly
    each named colour's map responds where the digit is (one value per
    colour); none when the layer has neither.

    Attributes:
        n_frames: Frames per clip (T).
        rows: Rows of the detector's maps.
        cols: Columns of the detector's maps.
        channels: Colour entries per slot: the frames' channels, the
            number of colour maps, or 0.

    Examples:
        >>> from fdmlearn.captioning.layers import SlotLayout
        >>> layout = SlotLayout(n_frames=3, rows=8, cols=8, channels=3)
        >>> layout.PRESENCE, layout.COUNT, layout.color, layout.average, layout.width
        (0, 1, slice(2, 5, None), slice(5, 21, None), 69)
    """

    n_frames: int
    rows: int
    cols: int
    channels: int = 0

    PRESENCE: ClassVar[int] = 0  # how surely the digit is in the clip: its strongest response
    COUNT: ClassVar[int] = 1  # how many copies: its map's mass, averaged over frames
    # What the decoder reads of every slot at every step, with the colour after it.
    SUMMARY: ClassVar[tuple[int, ...]] = (PRESENCE, COUNT)

    @property
    def profile(self) -> int:
        """Length of one profile: columns then rows."""
        return self.cols + self.rows

    @property
    def color(self) -> slice:
        """The mean colour of the digit's ink times its presence, one value per channel."""
        return slice(len(self.SUMMARY), len(self.SUMMARY) + self.channels)

    @property
    def average(self) -> slice:
        """The profile averaged over the frames."""
        start = self.color.stop
        return slice(start, start + self.profile)

    def frame(self, t: int) -> slice:
        """The profile of frame `t`."""
        start = self.average.stop + t * self.profile
        return slice(start, start + self.profile)

    @property
    def width(self) -> int:
        """Length of a slot."""
        return len(self.SUMMARY) + self.channels + (self.n_frames + 1) * self.profile


def effective_mask(mask: Any) -> Any:
    """`mask` (N, T), except that a clip with no real frame counts all of them.

    An all-zero clip is then pooled like any other instead of dividing by zero.
    """
    return mask + (1.0 - ops.max(mask, axis=1, keepdims=True))


@_register
class FrameMask(keras.layers.Layer):
    """Videos (N, T, H, W, C) -> (N, T): 1 for a frame that shows anything, 0 for padding.

    Padding is an all-zero frame: a real frame of moving digits always shows a
    digit, and a coloured canvas is never black. So videos of different
    lengths batch together by appending zero frames, and every pooling below
    uses this mask to ignore them.
    """

    def call(self, videos: Any) -> Any:
        return ops.cast(ops.max(ops.abs(videos), axis=(2, 3, 4)) > 0, videos.dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return tuple(input_shape[:2])


@_register
class MaskFrames(keras.layers.Layer):
    """``(x, mask)`` -> x with every padded frame set to zero (x: (N, T, ...), mask: (N, T)).

    Between the layers of a 3-D convolution, so that a padded frame looks to
    the next layer exactly like the zero padding past the clip's end: a clip
    then gives the same features whatever padding follows it.
    """

    def call(self, inputs: Any) -> Any:
        x, mask = inputs
        return x * ops.reshape(mask, (*ops.shape(mask), *([1] * (len(x.shape) - 2))))


@_register
class FramePositions(keras.layers.Layer):
    """Adds a learned vector per frame index, so later layers can know *when* a frame was."""

    def __init__(self, n_frames: int, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_frames, self.dim = int(n_frames), int(dim)

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(
            shape=(self.n_frames, self.dim), initializer="random_normal", name="table"
        )

    def call(self, features: Any) -> Any:
        return features + self.table[None]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_frames": self.n_frames, "dim": self.dim}


@_register
class DigitSlots(keras.layers.Layer):
    """Turns per-frame digit maps (N, T, rows, cols, 10 [+ colours]) and a frame mask into slots.

    Slot k holds, as `SlotLayout` lays out: how surely digit k is in the clip
    (its strongest response), how many copies of it there are (its map's
    mass, averaged over frames), where it is on average (its column and row
    profiles averaged over the frames), and where it is in every frame (those
    profiles frame by frame). Reading a motion from a slot is the same job for
    every digit, so one reader serves all ten. Padded frames (mask 0) count
    for nothing: their profiles are zero and the averages are over real frames.
    The output is (N, 10, width). Maps beyond the first 10 are colour maps:
    slot k's colour is then their response where digit k's map is.
    """

    def call(self, inputs: Any) -> Any:
        maps, mask = inputs[0], inputs[1]
        videos = inputs[2] if len(inputs) > 2 else None
        mask = effective_mask(mask)
        maps = maps * mask[:, :, None, None, None]
        color_maps = maps[..., N_SLOTS:] if maps.shape[-1] > N_SLOTS else None
        maps = maps[..., :N_SLOTS]
        real = ops.sum(mask, axis=1)[:, None, None]  # (N, 1, 1)
        batch, k = ops.shape(maps)[0], maps.shape[-1]
        # Sums, not maxima: two copies of one digit give twice the mass, so the
        # decoder can tell "digit 3 ... and digit 3 ..." from a single 3.
        profiles = ops.concatenate([ops.sum(maps, axis=2), ops.sum(maps, axis=3)], axis=2)
        summary = [None, None]
        summary[SlotLayout.PRESENCE] = ops.max(maps, axis=(1, 2, 3))[..., None]  # (N, k, 1)
        mass = ops.sum(maps, axis=(2, 3))  # (N, T, k)
        summary[SlotLayout.COUNT] = (
            ops.transpose(ops.sum(mass, axis=1, keepdims=True), (0, 2, 1)) / real
        )
        t, rows, cols = maps.shape[1:4]
        per_frame = ops.reshape(
            ops.transpose(profiles, (0, 3, 1, 2)), (batch, k, t * (rows + cols))
        )
        if color_maps is not None:
            # Where digit k is, the colour maps say its colour: unlike the pixels there,
            # they are not mixed with the ink of a digit crossing it (the pixel read-out
            # below named 97.6% of digits' colours with true maps, so about 5% of clips
            # had a colour wrong before anything was learnt).
            weight = ops.square(maps)
            color = ops.einsum("ntrck,ntrcj->nkj", weight, color_maps)
            color = color / (ops.sum(weight, axis=(1, 2, 3))[..., None] + 1e-6)
            summary.append(color * summary[SlotLayout.PRESENCE])
        elif videos is not None:
            # The maps say where digit k is, not what colour it is: read it from the pixels
            # under its map, weighted towards the ink and away from the canvas. A map cell
            # spans far more canvas than ink, so plain brightness weights let the canvas
            # in: with true maps, nearest-palette colours were right for 60% of the digits
            # that way, 97.6% with the squared map and the fourth power of brightness.
            h, w, c = videos.shape[2:]
            up = ops.image.resize(ops.reshape(maps, (-1, rows, cols, k)), (h, w))
            bright = ops.max(videos, axis=-1, keepdims=True)
            weight = ops.square(ops.reshape(up, (batch, t, h, w, k))) * ops.square(
                ops.square(bright)
            )
            color = ops.einsum("nthwk,nthwc->nkc", weight, videos)
            color = color / (ops.sum(weight, axis=(1, 2, 3))[..., None] + 1e-6)
            # Times the presence: the normalised colour under an absent digit's faint map
            # is the colour of whatever it faintly responds to, which the decoder learnt
            # to read instead of attending to the digit it was naming.
            summary.append(color * summary[SlotLayout.PRESENCE])
        average = ops.transpose(ops.sum(profiles, axis=1), (0, 2, 1)) / real  # (N, k, profile)
        return ops.concatenate([*summary, average, per_frame], axis=-1)


@_register
class CaptionDecoder(keras.layers.Layer):
    """An LSTM that emits one word per step from (previous word, video vector).

    With mean pooling the video vector is the frame average, the same at
    every step. With attention it is a weighted average of the frames whose
    weights are recomputed at every step from the LSTM's previous state
    (additive attention, Bahdanau et al., 2015). With digit slots it is a
    weighted average of the slots, each of which has a learned key of its
    own, plus every slot's presence, count and colour (`SlotLayout.SUMMARY`
    and `channels` colour values); the LSTM's first state is computed from
    these too, and attention favours the slots of digits that are present.

    Inputs: ``(features, mask, words)``: features (N, T or slots, dim), the
    frame mask (N, T) of `FrameMask` (padded frames get no weight; unused
    with slots, which are never padding), words (N, steps) int. Output: word
    logits (N, steps, vocab_size).
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
        channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.vocab_size, self.pooling, self.embed_dim = int(vocab_size), pooling, int(embed_dim)
        self.hidden, self.attention_dim = int(hidden), int(attention_dim)
        self.dropout, self.video_dim = float(dropout), int(video_dim)
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

    def get_config(self) -> dict[str, Any]:
        keys = ("vocab_size", "pooling", "embed_dim", "hidden", "attention_dim", "dropout")
        return {
            **super().get_config(),
            **{k: getattr(self, k) for k in keys},
            "video_dim": self.video_dim,
            "channels": self.channels,
        }

    def build(self, input_shape: Any) -> None:
        features_shape = input_shape[0]
        n_items, dim = features_shape[1], features_shape[-1]
        self.embed.build((None,))
        summary = self._summary_size * n_items if self.pooling == "digits" else 0
        self.video.build((None, dim + summary))
        self.cell.build((None, self.embed_dim + self.video_dim))
        self.out.build((None, self.hidden + self.video_dim))
        if self.pooling != "mean":
            self.att_frames.build((None, None, dim))
            self.att_state.build((None, self.hidden))
            self.att_score.build((None, None, self.attention_dim))
        if self.pooling == "digits":
            # A slot's content says where its digit is, not which digit it is. Without a
            # key of its own, attention could not pick "the slot of the 3" after writing
            # "digit 3": which digit made which motion would have to be guessed.
            self.slot_keys = self.add_weight(
                shape=(n_items, self.attention_dim), initializer="random_normal", name="slot_keys"
            )
            # The first word of a colour caption is the colour of the smaller digit: chosen
            # before the LSTM has said which digit that is. A state that starts from which
            # digits are in the clip (Xu et al., 2015, start theirs from the features too)
            # lets the first attention already pick that digit's slot.
            self.initial = keras.layers.Dense(2 * self.hidden, activation="tanh", name="initial")
            self.initial.build((None, summary))

    def initial_state(self, features: Any) -> tuple[Any, Any]:
        """The LSTM's state before the first word: zeros, or from the slots' summary."""
        if self.pooling == "digits":
            state = self.initial(self._summary(features))
            return state[:, : self.hidden], state[:, self.hidden :]
        zeros = ops.zeros((ops.shape(features)[0], self.hidden), dtype=features.dtype)
        return zeros, zeros

    @property
    def _summary_size(self) -> int:
        return len(SlotLayout.SUMMARY) + self.channels

    def _summary(self, features: Any) -> Any:
        # Which digits are in the clip, how many of each, and their colours:
        # (N, slots * (len(SUMMARY) + channels)); a slot's summary leads its vector.
        n_items = features.shape[1]
        return ops.reshape(features[..., : self._summary_size], (-1, n_items * self._summary_size))

    def context(self, features: Any, projected: Any, mask: Any, h: Any) -> tuple[Any, Any]:
        """The video vector's input for this step, and the weights given to the frames."""
        if self.pooling == "digits":
            mask = ops.ones(ops.shape(features)[:2], dtype=features.dtype)
        mask = effective_mask(mask)
        if self.pooling == "mean":
            weights = mask / ops.sum(mask, axis=1, keepdims=True)
            return ops.sum(features * weights[..., None], axis=1), weights
        scores = self.att_score(ops.tanh(projected + self.att_state(h)[:, None, :]))[..., 0]
        if self.pooling == "digits":
            # Attend to digits that are there: an absent digit's slot says nothing, and
            # without this prior attention learnt to avoid such slots only slowly.
            scores = scores + ops.log(features[..., SlotLayout.PRESENCE] + 1e-3)
        # A padded frame gets exactly zero weight: exp(-1e9) underflows to 0.
        weights = ops.softmax(scores + (mask - 1.0) * 1e9, axis=-1)
        attended = ops.sum(features * weights[..., None], axis=1)
        if self.pooling == "digits":
            attended = ops.concatenate([attended, self._summary(features)], axis=-1)
        return attended, weights

    def project(self, features: Any) -> Any:
        """The attention keys of the frames (or slots): computed once per clip."""
        if self.pooling == "mean":
            return features
        keys = self.att_frames(features)
        return keys + self.slot_keys[None] if self.pooling == "digits" else keys

    def step(
        self,
        features: Any,
        projected: Any,
        mask: Any,
        word: Any,
        h: Any,
        c: Any,
        training: bool = False,
    ) -> tuple[Any, Any, Any, Any]:
        """One decoding step: (logits, h, c, frame weights)."""
        video, weights = self.context(features, projected, mask, h)
        video = self.video(video)
        x = ops.concatenate([self.embed(word), video], axis=-1)
        _, (h, c) = self.cell(x, [h, c], training=training)
        # "Deep output" (Xu et al., 2015): the word is read from the LSTM state *and*
        # the video vector, so the LSTM only has to track where in the sentence it is.
        logits = self.out(self.drop(ops.concatenate([h, video], axis=-1), training=training))
        return logits, h, c, weights

    def call(self, inputs: Any, training: bool = False) -> Any:
        features, mask, words = inputs
        projected = self.project(features)
        h, c = self.initial_state(features)
        logits = []
        # The caption is short (<= 11 steps), so the loop is unrolled into the graph.
        for i in range(words.shape[1]):
            step_logits, h, c, _ = self.step(features, projected, mask, words[:, i], h, c, training)
            logits.append(step_logits)
        return ops.stack(logits, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        features_shape, _, words_shape = input_shape
        return (features_shape[0], words_shape[1], self.vocab_size)
