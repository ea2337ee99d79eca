"""What reads one frame: the frame CNN (mean and attention pooling) and the digit detector.

Both are small Keras models applied to every frame through
`keras.layers.TimeDistributed`; `detection_targets` makes the maps the
detector is pretrained to produce.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from fdmlearn.captioning.data import DIGIT_SIZE
from fdmlearn.captioning.layers import N_SLOTS, MaskFrames

__all__ = ["conv3d_encoder", "detection_targets", "digit_detector", "frame_cnn"]


def _conv(x: Any, filters: int, name: str, strides: int = 2) -> Any:
    # Batch normalization makes the small CNN learn digits several times faster.
    conv = keras.layers.Conv2D(filters, 3, strides, padding="same", use_bias=False, name=name)
    x = conv(x)
    # Momentum 0.9: the running statistics settle within tens of steps, not hundreds.
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _input(frame_shape: tuple[int, int, int]) -> tuple[Any, Any]:
    frame = keras.Input(frame_shape, name="frame")
    # Digits are 28 pixels tall: halving a canvas of 48 or more keeps them readable.
    x = (
        keras.layers.AveragePooling2D(2, name="downsample")(frame)
        if min(frame_shape[:2]) >= 48
        else frame
    )
    return frame, x


def digit_detector(frame_shape: tuple[int, int, int], n_colors: int = 0) -> keras.Model:
    """A fully convolutional detector: a frame -> one map per digit class (and per colour).

    Five convolutions: one at full resolution, two strided ones down to an
    8x8 grid (for a 64x64 frame), then two that keep it, so each cell sees a
    whole digit (50 pixels) around its centre. The last layer,
    ``digit_maps``, gives logits; ``digit_probabilities`` their sigmoid:
    10 digit maps, then `n_colors` colour maps (where a digit of each named
    colour is centred), for models that name colours.
    """
    frame, x = _input(frame_shape)
    # A first layer at full resolution: trained alone, this detector named both digits
    # of 93.2% of 1,000 clips, the 4-layer one 92.2% with twice the training (a screen).
    x = _conv(x, 32, "conv1", strides=1)
    x = _conv(x, 32, "conv2")
    x = _conv(x, 64, "conv3")
    x = _conv(x, 64, "detect1", strides=1)
    x = _conv(x, 64, "detect2", strides=1)
    logits = keras.layers.Conv2D(N_SLOTS + n_colors, 1, name="digit_maps")(x)
    maps = keras.layers.Activation("sigmoid", name="digit_probabilities")(logits)
    return keras.Model(frame, maps, name="digit_detector")


def frame_cnn(frame_shape: tuple[int, int, int], feature_dim: int) -> keras.Model:
    """A small strided CNN: a frame -> a vector of *what* (64 values) and *where*.

    Strided convolutions with few filters, cheap enough for a shared 2-core CPU.
    """
    frame, x = _input(frame_shape)
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
        rows, cols = maps.shape[1], maps.shape[2]
        for axis, pool in (("columns", (rows, 1)), ("rows", (1, cols))):
            pooled = keras.layers.MaxPooling2D(pool, name=f"{level}_{axis}_max")(maps)
            profiles.append(keras.layers.Flatten(name=f"{level}_{axis}_profile")(pooled))
    where = keras.layers.Concatenate(name="profiles")(profiles)
    where = keras.layers.Dense(feature_dim - what.shape[-1], activation="relu", name="where")(where)
    vector = keras.layers.Concatenate(name="frame_vector")([what, where])
    return keras.Model(frame, vector, name="frame_cnn")


def conv3d_encoder(
    n_frames: int, frame_shape: tuple[int, int, int], feature_dim: int
) -> keras.Model:
    """A 3-D CNN over the whole clip: ``[videos, mask] -> (N, T, feature_dim)``.

    The same three layers as `frame_cnn`, but each kernel spans 3 frames as
    well as 3x3 pixels (stride 1 in time, so there is still one vector per
    frame), so a frame's vector already holds how things moved around it:
    the 3-D convolution of the assignment's "Convolutional 1D, 2D, 3D". The
    kernels are not symmetric in time, so even mean pooling of these
    vectors can tell a clip from its time reversal. Padded frames are zeroed
    after every layer (`MaskFrames`).
    """
    videos = keras.Input((n_frames, *frame_shape), name="clip")
    mask = keras.Input((n_frames,), name="clip_mask")
    x = videos
    if min(frame_shape[:2]) >= 48:
        x = keras.layers.AveragePooling3D((1, 2, 2), name="downsample")(x)
    levels = {}
    for filters, name in ((16, "conv1"), (32, "conv2"), (64, "conv3")):
        x = keras.layers.Conv3D(
            filters, 3, (1, 2, 2), padding="same", use_bias=False, name=f"{name}_3d"
        )(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
        x = MaskFrames(name=f"{name}_mask")((x, mask))
        levels[name] = x
    per_frame = keras.layers.TimeDistributed
    what = per_frame(keras.layers.GlobalMaxPooling2D(), name="what")(x)
    profiles = []
    for level in ("conv1", "conv3"):
        maps = levels[level]
        rows, cols = maps.shape[2], maps.shape[3]
        for axis, pool in (("columns", (rows, 1)), ("rows", (1, cols))):
            pooled = per_frame(keras.layers.MaxPooling2D(pool), name=f"{level}_{axis}_max")(maps)
            profiles.append(
                per_frame(keras.layers.Flatten(), name=f"{level}_{axis}_profile")(pooled)
            )
    where = keras.layers.Concatenate(name="profiles")(profiles)
    where = keras.layers.Dense(feature_dim - what.shape[-1], activation="relu", name="where")(where)
    features = keras.layers.Concatenate(name="frame_vectors")([what, where])
    return keras.Model([videos, mask], features, name="conv3d_encoder")


def detection_targets(
    digits: np.ndarray,
    positions: np.ndarray,
    frame_size: tuple[int, int],
    grid: tuple[int, int],
    sigma: float = 0.7,
    colors: np.ndarray | None = None,
    n_colors: int = 0,
) -> np.ndarray:
    """The maps the detector should give: a bump at each digit's centre, in its channel.

    A Gaussian bump (in cells), not a single cell: a centre near a cell border
    would otherwise make two almost identical cells get opposite labels. With
    `colors`, the same bump also goes in channel ``10 + colour``.

    Args:
        digits: int array (N, n_digits).
        positions: int array (N, n_digits, T, 2): top-left corners (row, column).
        frame_size: (height, width) of a frame in pixels.
        grid: (rows, cols) of the detector's maps.
        sigma: Width of a bump, in cells.
        colors: int array (N, n_digits): each digit's index in `COLORS`, or None.
        n_colors: Colour channels after the 10 digit channels.

    Returns:
        float32 array (N * T, rows, cols, 10 + n_colors), frames in clip order.
    """
    n, n_digits, t, _ = positions.shape
    scale = np.array(grid, dtype=np.float64) / np.array(frame_size, dtype=np.float64)
    centre = (positions + DIGIT_SIZE / 2) * scale - 0.5  # (N, D, T, 2) in cells
    gy = np.exp(-((np.arange(grid[0]) - centre[..., 0:1]) ** 2) / (2 * sigma**2))
    gx = np.exp(-((np.arange(grid[1]) - centre[..., 1:2]) ** 2) / (2 * sigma**2))
    bumps = (gy[..., :, None] * gx[..., None, :]).astype(np.float32)  # (N, D, T, rows, cols)
    k = N_SLOTS + n_colors
    targets = np.zeros((n, t, *grid, k), dtype=np.float32)
    for d in range(n_digits):
        channels = np.eye(k, dtype=np.float32)[digits[:, d]]
        if colors is not None:
            channels = channels + np.eye(k, dtype=np.float32)[N_SLOTS + colors[:, d]]
        targets = np.maximum(targets, bumps[:, d, ..., None] * channels[:, None, None, None, :])
    return targets.reshape(n * t, *grid, k)
