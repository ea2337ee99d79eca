"""The network inside a `Captioner`: one Keras model, and views that share its layers.

`build_network` makes ``[videos, words] -> word logits``: a frame encoder
applied to every frame (`encoders.py`), the layers after it (frame
positions, dropout) and the `CaptionDecoder`. `network_parts` finds the
pieces again in a network made here or loaded from a `.keras` file, so the
same code serves both, and nothing is ever rebuilt: a reference a user
keeps (`model.frame_cnn`) stays the one that is trained.
"""

from __future__ import annotations

import contextlib
import random
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import keras

from fdmlearn._checks import check_rng
from fdmlearn.captioning.data import COLORS
from fdmlearn.captioning.encoders import conv3d_encoder, digit_detector, frame_cnn
from fdmlearn.captioning.layers import CaptionDecoder, DigitSlots, FrameMask, FramePositions
from fdmlearn.captioning.vocabulary import Vocabulary

if TYPE_CHECKING:
    from fdmlearn.captioning.model import CaptionerConfig

__all__ = ["Parts", "build_network", "network_parts", "seeded_build"]


def slot_colors(config: CaptionerConfig) -> int:
    """How many colour entries a digit slot has: one per named colour, per channel, or none."""
    if config.pooling != "digits":
        return 0
    return len(COLORS) if config.colors else config.channels


def build_network(config: CaptionerConfig, vocabulary: Vocabulary) -> keras.Model:
    """The Keras model ``[videos, words] -> logits (N, max_words + 1, len(vocabulary))``."""
    videos = keras.Input((config.n_frames, *config.frame_shape), name="videos")
    words = keras.Input((vocabulary.max_words + 1,), dtype="int32", name="words")
    mask = FrameMask(name="frame_mask")(videos)
    if config.pooling == "digits":
        detector = digit_detector(config.frame_shape, len(COLORS) if config.colors else 0)
        x = keras.layers.TimeDistributed(detector, name="detector_per_frame")(videos)
        # A detector with colour maps says the colours itself; otherwise slots read the pixels.
        x = DigitSlots(name="digit_slots")((x, mask) if config.colors else (x, mask, videos))
    elif config.frame_encoder == "conv3d":
        cnn = conv3d_encoder(config.n_frames, config.frame_shape, config.feature_dim)
        x = cnn([videos, mask])
        x = FramePositions(config.n_frames, config.feature_dim, name="frame_positions")(x)
    else:
        cnn = frame_cnn(config.frame_shape, config.feature_dim)
        x = keras.layers.TimeDistributed(cnn, name="cnn_per_frame")(videos)
        x = FramePositions(config.n_frames, config.feature_dim, name="frame_positions")(x)
    x = keras.layers.Dropout(config.dropout, name="frame_dropout")(x)
    decoder = CaptionDecoder(
        len(vocabulary),
        config.pooling,
        config.embed_dim,
        config.hidden,
        config.attention_dim,
        config.dropout,
        config.feature_dim,
        channels=slot_colors(config),
        name=f"lstm_decoder_{config.pooling}",
    )
    return keras.Model([videos, words], decoder((x, mask, words)), name="captioner")


class Parts(NamedTuple):
    """Views into one network, sharing its layers and weights."""

    frame_cnn: keras.Model  # the per-frame encoder (the digit detector with "digits")
    decoder: CaptionDecoder
    encoder: keras.Model  # videos -> [what the decoder attends over, frame mask]
    cnn_part: keras.Model  # videos -> [the frame encoder's outputs (slots with "digits"), mask]
    head: keras.Model  # [frame encoder's outputs, mask, words] -> logits: frozen-CNN training
    after: list  # the layers between the frame encoder and the decoder


def network_parts(model: keras.Model, config: CaptionerConfig) -> Parts:
    """Find the parts of a network made by `build_network` (freshly or loaded from a file)."""
    digits = config.pooling == "digits"
    if config.frame_encoder == "conv3d":
        # A nested model's `.output` lives in its own graph: take the tensor the outer
        # graph passes on from it instead.
        frame_model = model.get_layer("conv3d_encoder")
        cnn_out = model.get_layer("frame_positions").input
    else:
        per_frame = model.get_layer("detector_per_frame" if digits else "cnn_per_frame")
        frame_model = per_frame.layer
        cnn_out = (model.get_layer("digit_slots") if digits else per_frame).output
    after = [] if digits else [model.get_layer("frame_positions")]
    after.append(model.get_layer("frame_dropout"))
    decoder = model.get_layer(f"lstm_decoder_{config.pooling}")
    videos = model.inputs[0]
    mask = model.get_layer("frame_mask").output
    # The two views from `videos` first: they read nodes of the original graph, which
    # stay unique only until the head below calls the same layers a second time.
    encoder = keras.Model(videos, [after[-1].output, mask], name="video_encoder")
    cnn_part = keras.Model(videos, [cnn_out, mask], name="cnn_part")
    features = keras.Input(cnn_out.shape[1:], name="cnn_features")
    frame_mask = keras.Input(mask.shape[1:], name="head_mask")
    words = keras.Input(model.inputs[1].shape[1:], dtype="int32", name="head_words")
    x = features
    for layer in after:
        x = layer(x)
    head = keras.Model(
        [features, frame_mask, words], decoder((x, frame_mask, words)), name="captioner_head"
    )
    return Parts(frame_model, decoder, encoder, cnn_part, head, after)


@contextlib.contextmanager
def seeded_build(seed: Any) -> Iterator[None]:
    """Make Keras' initial weights repeat for `seed`, leaving global generators as they were.

    Keras draws an initializer's seed from Python's `random` when the layer is
    made; seeding it for the build only, then putting its state back, gives
    the same weights for the same seed without reseeding the user's program.
    """
    if seed is None:
        yield
        return
    rng = check_rng(seed)
    saved = random.getstate()
    random.seed(int(rng.integers(2**62)))
    try:
        yield
    finally:
        random.setstate(saved)


def in_chunks(model: keras.Model, x: Any, chunk: int = 128) -> Any:
    """`model(x)` in chunks, as one NumPy array."""
    import numpy as np

    forward = _compiled(model)
    out = [forward(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    if isinstance(out[0], list | tuple):  # a model with several outputs
        return [np.concatenate([np.asarray(o[k]) for o in out]) for k in range(len(out[0]))]
    return np.concatenate([np.asarray(o) for o in out])


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(model: keras.Model) -> Any:
    """`model(x, training=False)` as one graph, traced once for any number of clips.

    A graph runs the frame CNN twice as fast as eager calls (20,000 clips: about a
    minute less before a frozen-detector fit). One signature with an open batch size,
    not `predict`: no new trace per batch shape, no retracing warnings.
    """
    if model not in _COMPILED:
        import tensorflow as tf

        # A weak reference: a function holding the model itself would keep its key in
        # the weak dictionary alive, and no model passed here would ever be freed.
        ref = weakref.ref(model)
        spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), model.inputs[0].dtype)
        _COMPILED[model] = tf.function(lambda x: ref()(x, training=False), input_signature=[spec])
    return _COMPILED[model]
