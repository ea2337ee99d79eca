"""The filter CNN, and the one convolution that a chain of linear layers amounts to.

`build_filter_cnn` writes the two filters into a 2-layer CNN (1x1 sepia, then
a k x k blur; a full `Conv2D` or a `DepthwiseConv2D`). `effective_kernel`
folds any chain of linear, stride-1 convolutions into a single kernel (and
bias), which is what a trained network can be compared on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fdmlearn._checks import check_bool
from fdmlearn._tf import keras
from fdmlearn._training import CheckedInputs
from fdmlearn.filters.reference import (
    SEPIA,
    _check_images,
    _check_kernel_size,
    _check_padding,
    gaussian_kernel,
)

__all__ = ["FilterCNN", "build_filter_cnn", "effective_kernel", "true_effective_kernel"]


def _layer2_kernel(kernel: np.ndarray, depthwise: bool) -> np.ndarray:
    k = kernel.shape[0]
    if depthwise:
        # DepthwiseConv2D kernel: (k, k, in_channels, depth_multiplier).
        return np.repeat(kernel[:, :, None, None], 3, axis=2)
    full = np.zeros((k, k, 3, 3))
    for c in range(3):
        full[:, :, c, c] = kernel  # filter c sees only channel c
    return full


@keras.saving.register_keras_serializable(package="fdmlearn")
class FilterCNN(CheckedInputs):
    """The Keras model of `build_filter_cnn` and `fit_filter_cnn`.

    Given arrays, its `fit`, `evaluate`, `predict` and calls refuse what
    `sepia` and `gaussian_blur` refuse (NaN, integers, 0..255 values), so the
    network and its NumPy reference agree on bad input too. Otherwise a plain
    functional `keras.Model`.
    """

    def _check_inputs(self, x: Any) -> None:
        _check_images(np.asarray(x), "x", takes_scale=False)


def _make_model(
    kernel_size: int,
    padding: str,
    clip: bool,
    depthwise: bool,
    name: str,
    seed: np.random.Generator | None = None,
) -> keras.Model:
    def init() -> Any:
        # Seeded per layer from the caller's generator: repeatable without
        # touching Keras' global seed. Without one the weights are set right
        # after building, so zeros (which draw no random seed) will do.
        if seed is None:
            return "zeros"
        return keras.initializers.GlorotUniform(seed=int(seed.integers(2**31 - 1)))

    inputs = keras.Input(shape=(None, None, 3), name="rgb_image")
    x = keras.layers.Conv2D(3, 1, use_bias=False, kernel_initializer=init(), name="sepia")(inputs)
    if clip:
        # A ReLU capped at 1 is exactly a clip to [0, 1]: the sepia layer's activation.
        # Blurring values in [0, 1] with weights that sum to 1 keeps them in [0, 1].
        x = keras.layers.ReLU(max_value=1.0, name="clip_0_1")(x)
    common = {"padding": padding, "use_bias": False, "name": "gaussian_blur"}
    if depthwise:
        blur = keras.layers.DepthwiseConv2D(kernel_size, depthwise_initializer=init(), **common)
    else:
        blur = keras.layers.Conv2D(3, kernel_size, kernel_initializer=init(), **common)
    return FilterCNN(inputs, blur(x), name=name)


def build_filter_cnn(
    kernel_size: int = 5,
    sigma: float = 1.0,
    padding: str = "valid",
    clip: bool = False,
    depthwise: bool = False,
) -> keras.Model:
    """The answer to the exercise: a 2-layer CNN applying sepia, then a Gaussian blur.

    Layer 1, `sepia`: `Conv2D` with 3 filters of 1x1x3; filter `o` = row `o`
    of `SEPIA`. Layer 2, `gaussian_blur`: either a `Conv2D` with 3 filters of
    `kernel_size` x `kernel_size` x 3, filter `o` holding
    `gaussian_kernel(kernel_size, sigma)` on channel `o` and zeros elsewhere
    (`depthwise=False`, the seed notebook's answer), or a `DepthwiseConv2D`
    with one kernel per channel (`depthwise=True`). Both give the same output.

    The weights are set, not learned, and frozen (`trainable=False`). The
    layers have **no bias** (`use_bias=False`): neither filter adds a
    constant, so a bias could only be zero.

    Args:
        kernel_size: Side of the Gaussian kernel, odd.
        sigma: Standard deviation of the Gaussian, > 0.
        padding: `"valid"` (output shrinks by `kernel_size - 1`) or `"same"`
            (zero padding, output keeps the input size).
        clip: Clip the sepia layer's output to [0, 1] (sepia can push bright
            pixels above 1), as `sepia(img, clip=True)` does. The blur keeps
            values in [0, 1], so the whole output is then in [0, 1].
        depthwise: Write layer 2 as a `DepthwiseConv2D`.

    Returns:
        A `keras.Model` taking (N, H, W, 3) float images of any H, W >=
        `kernel_size`. It is a `FilterCNN`: given arrays, it refuses NaN,
        integer and 0..255 pixels as `sepia` does.

    Raises:
        ValueError: If `kernel_size` is even or < 1, `sigma` <= 0 or
            `padding` unknown.
        TypeError: If `kernel_size` is not an integer, `sigma` not a number,
            or `clip` / `depthwise` not True or False.

    Examples:
        >>> from fdmlearn.filters import build_filter_cnn
        >>> model = build_filter_cnn()
        >>> [layer.name for layer in model.layers[1:]]
        ['sepia', 'gaussian_blur']
        >>> model.count_params(), len(model.trainable_weights)
        (234, 0)
        >>> build_filter_cnn(depthwise=True).count_params()
        84
        >>> model.compute_output_shape((1, 128, 128, 3))
        (1, 124, 124, 3)
    """
    kernel_size = _check_kernel_size(kernel_size)
    kernel = gaussian_kernel(kernel_size, sigma)
    padding = _check_padding(padding)
    clip = check_bool("clip", clip)
    depthwise = check_bool("depthwise", depthwise)
    model = _make_model(kernel_size, padding, clip, depthwise, name="sepia_then_gaussian_blur")
    model.get_layer("sepia").set_weights([SEPIA.T[None, None]])  # (1, 1, in, out)
    model.get_layer("gaussian_blur").set_weights([_layer2_kernel(kernel, depthwise)])
    model.trainable = False
    return model


def _check_model(model: Any) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(
            f"model {model.name!r} is not built yet: give it an Input, or call it on an image once"
        )
    return model


def _kernel_and_bias(layer: keras.layers.Layer) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A layer's kernel and bias as NumPy arrays (None where it has none)."""
    # `.numpy()`, not keras.ops.convert_to_numpy: on a variable that one makes
    # NumPy 2 warn about `__array__` and the `copy` keyword.
    kernel = getattr(layer, "kernel", None)
    kernel = None if kernel is None else np.asarray(kernel.numpy())
    bias = getattr(layer, "bias", None) if getattr(layer, "use_bias", False) else None
    bias = None if bias is None else np.asarray(bias.numpy())
    return kernel, bias


def true_effective_kernel(kernel_size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """The single k x k x 3 x 3 convolution that sepia-then-blur amounts to.

    Two linear layers in a row are one linear layer: a 1x1 convolution
    followed by a k x k one is a k x k convolution with kernel
    `E[y, x, i, o] = SEPIA[o, i] * gaussian[y, x]`.

    Args:
        kernel_size: Side of the Gaussian kernel, odd.
        sigma: Standard deviation of the Gaussian, > 0.

    Returns:
        float64 array (kernel_size, kernel_size, 3, 3), Keras layout
        (height, width, in, out).

    Raises:
        ValueError: If `kernel_size` is even or `sigma` <= 0.

    Examples:
        >>> from fdmlearn.filters import true_effective_kernel
        >>> E = true_effective_kernel()
        >>> E.shape, round(float(E[:, :, 1, 0].sum()), 3)
        ((5, 5, 3, 3), 0.769)
    """
    g = gaussian_kernel(kernel_size, sigma)
    return np.einsum("yx,oi->yxio", g, SEPIA)


_CONVOLUTIONS = keras.layers.Conv2D | keras.layers.DepthwiseConv2D


def _as_conv(layer: keras.layers.Layer) -> tuple[np.ndarray, np.ndarray] | None:
    """A linear layer as (kernel (k, k, in, out), bias (out,)); None for an identity."""
    if isinstance(layer, keras.layers.InputLayer | keras.layers.Dropout):
        return None
    if isinstance(layer, keras.layers.Activation) and layer.activation is keras.activations.linear:
        return None
    linear = isinstance(layer, _CONVOLUTIONS | keras.layers.Dense)
    if not linear or isinstance(layer, keras.layers.Conv2DTranspose):
        raise ValueError(
            f"layer {layer.name!r} ({type(layer).__name__}) is not a linear convolution, so the "
            "model is not one convolution (build_filter_cnn(clip=True) adds such a clip layer; "
            "describe the model with clip=False)"
        )
    if layer.activation is not keras.activations.linear:
        raise ValueError(
            f"layer {layer.name!r} has the non-linear activation "
            f"{getattr(layer.activation, '__name__', layer.activation)!r}: no single kernel is "
            "equivalent to it"
        )
    kernel, layer_bias = _kernel_and_bias(layer)
    w = kernel.astype(np.float64)
    if isinstance(layer, keras.layers.Dense):
        w = w[None, None]  # a Dense layer on images mixes channels: a 1x1 convolution
    else:
        if tuple(layer.strides) != (1, 1) or tuple(layer.dilation_rate) != (1, 1):
            raise ValueError(
                f"layer {layer.name!r} has strides {layer.strides} and dilation "
                f"{layer.dilation_rate}: only stride-1, undilated convolutions compose"
            )
        if getattr(layer, "groups", 1) != 1:
            raise ValueError(f"layer {layer.name!r} is a grouped convolution; not supported")
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            k, _, c, mult = w.shape
            full = np.zeros((k, k, c, c * mult))
            for i in range(c):
                full[:, :, i, i * mult : (i + 1) * mult] = w[:, :, i, :]
            w = full
    bias = np.zeros(w.shape[3]) if layer_bias is None else layer_bias.astype(np.float64)
    return w, bias


def _compose(
    first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The one convolution equal to `first` then `second` (both stride 1, valid)."""
    (a, bias_a), (b, bias_b) = first, second
    if a.shape[3] != b.shape[2]:
        raise ValueError(f"layers do not chain: {a.shape[3]} channels out, {b.shape[2]} in")
    ka, kb = a.shape[0], b.shape[0]
    out = np.zeros((ka + kb - 1, a.shape[1] + b.shape[1] - 1, a.shape[2], b.shape[3]))
    for dy in range(kb):
        for dx in range(b.shape[1]):
            # Output pixel p sees the middle pixel p + (dy, dx), which saw the
            # input pixel p + (dy, dx) + (ey, ex): the offsets add up.
            out[dy : dy + ka, dx : dx + a.shape[1]] += np.einsum("yxim,mo->yxio", a, b[dy, dx])
    return out, bias_a @ b.sum(axis=(0, 1)) + bias_b


def effective_kernel(model: keras.Model, *, with_bias: bool = False) -> Any:
    """Compose the model's convolutions into one k x k x C_in x C_out kernel.

    Any Keras model that is a chain of linear, stride-1 convolutions works:
    `Conv2D`, `DepthwiseConv2D` (and a `Dense` on images, which is a 1x1
    convolution), with or without biases, with any layer names and channel
    counts; `Dropout` and linear `Activation` layers are skipped. Composing
    a `k1` and a `k2` kernel gives a `k1 + k2 - 1` kernel; the result is exact
    for "valid" padding and away from the border for "same".

    Args:
        model: A model from `build_filter_cnn` or `fit_filter_cnn`, or a
            student's own.
        with_bias: Also return the composed bias.

    Returns:
        float64 array (k, k, C_in, C_out) in Keras layout (height, width, in,
        out); with `with_bias=True`, the pair `(kernel, bias)`, bias (C_out,).

    Raises:
        TypeError: If `model` is not a Keras model.
        ValueError: If a layer is not linear (an activation, a clip, pooling),
            has strides or dilation, or the model has no convolution (no
            `Conv2D` or `DepthwiseConv2D`: `Dense` layers alone do not count).

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.filters import build_filter_cnn, effective_kernel, true_effective_kernel
        >>> E = effective_kernel(build_filter_cnn(depthwise=True))
        >>> bool(np.allclose(E, true_effective_kernel(), atol=1e-7))
        True
        >>> import keras
        >>> two = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(4, 3),
        ...                         keras.layers.Conv2D(2, 3)])
        >>> kernel, bias = effective_kernel(two, with_bias=True)
        >>> kernel.shape, bias.shape
        ((5, 5, 3, 2), (2,))
    """
    model = _check_model(model)
    with_bias = check_bool("with_bias", with_bias)
    composed = None
    for layer in model.layers:
        conv = _as_conv(layer)
        if conv is not None:
            composed = conv if composed is None else _compose(composed, conv)
    # A Dense layer is a 1x1 convolution only on images; Dense layers alone
    # are a model on vectors, whose "kernel" would mean nothing.
    if composed is None or not any(isinstance(x, _CONVOLUTIONS) for x in model.layers):
        only = ", only Dense layers" if composed is not None else ""
        raise ValueError(
            f"model must hold a Conv2D or DepthwiseConv2D layer to compose, but model "
            f"{model.name!r} has no convolution{only}"
        )
    return composed if with_bias else composed[0]
