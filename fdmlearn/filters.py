"""A CNN whose weights are a sepia filter and a Gaussian blur.

The assignment's third exercise asks for a convolutional network that turns a
128x128 RGB photo (floats in [0, 1], channels R, G, B) into a sepia-toned,
Gaussian-smoothed one, and for its architecture, every parameter value and
the output size. No training is needed: both filters are linear and local, so
each one *is* a convolution whose weights we can write down.

- **Sepia** mixes the three colours of each pixel on its own: a 1x1
  convolution with 3 filters of shape 1x1x3. Filter `o` holds row `o` of
  `SEPIA`.
- **Gaussian blur** averages each colour over a 5x5 neighbourhood: a 5x5
  convolution. Written as a full `Conv2D` it has 3 filters of shape 5x5x3,
  filter `o` holding the Gaussian on input channel `o` and zeros on the other
  two (the seed notebook's answer). A `DepthwiseConv2D` says the same thing
  with a 5x5 kernel per channel and a third of the parameters.

With no padding ("valid") a 5x5 kernel fits in 124x124 positions of a
128x128 image, so the output is 124x124x3; with "same" padding (zeros around
the border) it stays 128x128x3.

The module also holds plain NumPy references of both filters (to check the
network against), `fit_filter_cnn` (which shows that the same architecture
*learns* these weights from photo pairs), `describe` (the written answer as a
table) and plotting helpers.

Examples:
    >>> import numpy as np
    >>> from fdmlearn import filters
    >>> model = filters.build_filter_cnn()
    >>> images = np.random.default_rng(0).random((2, 128, 128, 3), dtype=np.float32)
    >>> out = model.predict(images, verbose=0)
    >>> out.shape
    (2, 124, 124, 3)
    >>> reference = filters.gaussian_blur(filters.sepia(images), 5, 1.0)
    >>> bool(np.abs(out - reference).max() < 1e-6)
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fdmlearn._checks import check_array, check_bool, check_choice, check_int, check_real, check_rng
from fdmlearn._tf import keras
from fdmlearn._training import fit_keras
from fdmlearn.plotting import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHANNELS",
    "PIXEL_LIMIT",
    "GAUSSIAN_5X5_TABLE",
    "SEPIA",
    "FilterCNNDescription",
    "FitResult",
    "LayerInfo",
    "build_filter_cnn",
    "describe",
    "effective_kernel",
    "fit_filter_cnn",
    "gaussian_blur",
    "gaussian_kernel",
    "photo_patches",
    "plot_images",
    "plot_kernels",
    "plot_layer2_filters",
    "sepia",
    "true_effective_kernel",
]

CHANNELS = ("R", "G", "B")

SEPIA = np.array(
    [
        [0.393, 0.769, 0.189],
        [0.349, 0.686, 0.168],
        [0.272, 0.534, 0.131],
    ]
)
"""The sepia matrix, (3, 3): row `o` gives output channel `o` as a mix of (R, G, B).

`sepia_rgb = SEPIA @ rgb`. Every row sums to more than 1 (1.351, 1.203,
0.937), so a bright pixel can come out above 1: see `sepia(clip=True)`.
"""
SEPIA.setflags(write=False)

GAUSSIAN_5X5_TABLE = np.array(
    [
        [1, 4, 7, 4, 1],
        [4, 16, 26, 16, 4],
        [7, 26, 41, 26, 7],
        [4, 16, 26, 16, 4],
        [1, 4, 7, 4, 1],
    ]
)
"""The assignment's integer 5x5 Gaussian table (sigma = 1). It sums to 273."""
GAUSSIAN_5X5_TABLE.setflags(write=False)

_PADDINGS = ("valid", "same")


PIXEL_LIMIT = 4.0
"""The largest pixel magnitude the filters accept, after any `scale`.

Photos come as floats in [0, 1]. The filters being linear, they also take
what linear preprocessing makes of such photos: a sepia image (up to 1.351),
a centred patch (down to -1), added noise. Values beyond +-4 are almost surely
0..255 pixels that were never divided by 255 (a 0..255 image whose brightest
pixel is 4 is black), so they are refused instead of being silently filtered
into an all-white picture.
"""

# --------------------------------------------------------------------------- checks


def _check_kernel_size(kernel_size: Any, name: str = "kernel_size") -> int:
    kernel_size = check_int(name, kernel_size, minimum=1)
    if kernel_size % 2 == 0:
        # An even kernel has no centre pixel: the blurred image would shift by half a pixel.
        raise ValueError(
            f"{name} must be an odd positive integer (a kernel with a centre pixel), "
            f"got {kernel_size}"
        )
    return kernel_size


def _check_sigma(sigma: Any) -> float:
    return check_real("sigma", sigma, minimum=0, open_min=True)


def _check_padding(padding: Any) -> str:
    return check_choice("padding", padding, _PADDINGS)


def _check_images(
    img: Any, name: str = "img", scale: Any = None, *, takes_scale: bool = True
) -> np.ndarray:
    """`img` as a finite float array (H, W, 3) or (N, H, W, 3), scaled, within `PIXEL_LIMIT`."""
    if isinstance(img, np.ndarray) and img.dtype == np.bool_:
        raise TypeError(f"{name} must hold floats in [0, 1], got a boolean array")
    a = check_array(name, img)
    if a.ndim not in (3, 4):
        raise ValueError(
            f"{name} must be one image of shape (H, W, 3) or a batch (N, H, W, 3), "
            f"got an array of shape {a.shape}"
        )
    if a.shape[-1] != 3:
        raise ValueError(
            f"{name} must have 3 channels (R, G, B) in its last axis, got shape {a.shape}"
        )
    if scale is not None:
        scale = check_real("scale", scale, minimum=0, open_min=True)
        a = a.astype(np.float64 if a.dtype == np.float64 else np.float32) / np.float32(scale)
    elif np.issubdtype(a.dtype, np.integer):
        how = "pass scale=255 for 8-bit images" if takes_scale else "divide 8-bit images by 255"
        raise TypeError(
            f"{name} has integer dtype {a.dtype}, but the filters expect floats in [0, 1]. "
            f"State the scale: {how}."
        )
    if a.size:
        high = float(np.abs(a).max())
        if high > PIXEL_LIMIT:
            how = f"divide them by 255 ({name} / 255.0)" + (
                " or pass scale=255" if takes_scale else ""
            )
            raise ValueError(
                f"{name} must hold pixels scaled to [0, 1] (values within +-{PIXEL_LIMIT:g} are "
                f"accepted), got values up to {high:g}: these look like 0..255 pixels, {how}"
            )
    return a


def _check_fits(a: np.ndarray, kernel_size: int, name: str = "img") -> None:
    height, width = a.shape[-3], a.shape[-2]
    if height < kernel_size or width < kernel_size:
        raise ValueError(
            f"{name} is {height}x{width} pixels, smaller than the {kernel_size}x{kernel_size} "
            f"kernel: height and width must be >= {kernel_size}"
        )


# --------------------------------------------------------------------------- kernels


def gaussian_kernel(size: int = 5, sigma: float = 1.0, *, use_table: bool = True) -> np.ndarray:
    """A square Gaussian smoothing kernel that sums to 1.

    For `(5, 1.0)` this is the assignment's integer table divided by 273
    (`GAUSSIAN_5X5_TABLE / 273`). Any other size or sigma (or
    `use_table=False`) samples the formula
    $G(x, y) = e^{-(x^2 + y^2) / (2\\sigma^2)} / (2\\pi\\sigma^2)$ at the
    integer offsets $x, y \\in \\{-r, \\dots, r\\}$, $r = (size - 1) / 2$, and
    divides by the sum, so that a blur keeps the average brightness (the
    $1/(2\\pi\\sigma^2)$ factor cancels).

    At 5x5 the two differ a little: the sampled formula puts more weight on
    the centre (about 0.162 against 41/273 = 0.150) and less on the corners
    (about 0.003 against 1/273 = 0.004), largest difference about 0.012. The
    integer table is a rounded, flatter version of the same bell, close to
    what one gets by integrating the Gaussian over each pixel's square.

    Args:
        size: Side of the kernel, an odd positive integer.
        sigma: Standard deviation of the Gaussian in pixels, > 0.
        use_table: Use the integer table for `(5, 1.0)`. With False the
            formula is always sampled.

    Returns:
        A float64 array of shape (size, size) whose entries sum to 1.

    Raises:
        TypeError: If `size` is not an integer or `sigma` not a real number.
        ValueError: If `size` is even or < 1, or `sigma` is not > 0.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.filters import GAUSSIAN_5X5_TABLE, gaussian_kernel
        >>> bool(np.array_equal(gaussian_kernel(5, 1.0), GAUSSIAN_5X5_TABLE / 273))
        True
        >>> sampled = gaussian_kernel(5, 1.0, use_table=False)
        >>> round(float(sampled[2, 2]), 4), round(41 / 273, 4)
        (0.1621, 0.1502)
        >>> round(float(abs(sampled - GAUSSIAN_5X5_TABLE / 273).max()), 3)
        0.012
        >>> k = gaussian_kernel(7, 2.0)
        >>> k.shape, round(float(k.sum()), 12)
        ((7, 7), 1.0)
        >>> gaussian_kernel(3, 1e-200)  # the limit of a vanishing sigma: no blur at all
        array([[0., 0., 0.],
               [0., 1., 0.],
               [0., 0., 0.]])
    """
    size = _check_kernel_size(size, "size")
    sigma = _check_sigma(sigma)
    if use_table and size == 5 and sigma == 1.0:
        return GAUSSIAN_5X5_TABLE / 273.0
    r = (size - 1) // 2
    # Offsets in units of sigma, then squared: sigma**2 itself would underflow
    # to 0 for a tiny sigma (0/0 = NaN at the centre). Here a tiny sigma gives
    # the exact limit, all weight on the centre, and a huge one a flat box.
    z = np.arange(-r, r + 1, dtype=np.float64) / sigma
    with np.errstate(over="ignore"):
        line = np.exp(-0.5 * z**2)
    bell = np.outer(line, line)
    return bell / bell.sum()


# --------------------------------------------------------------------------- NumPy references


def sepia(img: Any, clip: bool = False, *, scale: float | None = None) -> np.ndarray:
    """Apply the sepia filter to an image or a batch, in plain NumPy.

    Each output pixel is `SEPIA @ (R, G, B)` of the same input pixel. The
    rows of `SEPIA` sum to more than 1, so bright pixels (a white pixel gives
    (1.351, 1.203, 0.937)) leave [0, 1]; `clip=True` cuts them back.

    Args:
        img: Floats in [0, 1], shape (H, W, 3) or (N, H, W, 3), channels R, G, B.
        clip: Clip the result to [0, 1].
        scale: Set this (for example 255) to pass integer images; they are
            divided by it first.

    Returns:
        An array of the same shape, float32 (float64 if `img` is float64).

    Raises:
        ValueError: If `img` is not (H, W, 3) or (N, H, W, 3), holds NaN or
            infinite values, or values beyond `PIXEL_LIMIT` (unscaled 0..255
            pixels), or `scale` is not > 0.
        TypeError: If `img` holds integers and `scale` is not given, or is
            not numbers at all.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.filters import sepia
        >>> white = np.ones((1, 1, 3))
        >>> sepia(white).round(3).ravel().tolist()
        [1.351, 1.203, 0.937]
        >>> sepia(white, clip=True).round(3).ravel().tolist()
        [1.0, 1.0, 0.937]
        >>> eight_bit = np.full((1, 1, 3), 255, dtype=np.uint8)
        >>> [round(v, 3) for v in sepia(eight_bit, scale=255).ravel().tolist()]
        [1.351, 1.203, 0.937]
        >>> sepia(np.full((1, 1, 3), 255.0), clip=True)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: img must hold pixels scaled to [0, 1] ... divide ... pass scale=255
    """
    clip = check_bool("clip", clip)
    a = _check_images(img, "img", scale)
    out = a @ SEPIA.T.astype(a.dtype)
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def gaussian_blur(
    img: Any,
    size: int = 5,
    sigma: float = 1.0,
    padding: str = "valid",
    *,
    scale: float | None = None,
) -> np.ndarray:
    """Blur each channel with `gaussian_kernel(size, sigma)`, in plain NumPy.

    Vectorised by shift-and-add: the output is the sum, over the `size**2`
    kernel taps, of the tap's weight times the image shifted by the tap's
    offset, for all images and channels at once. This is the cross-correlation
    that a Keras convolution computes (for a symmetric kernel it equals the
    convolution).

    Args:
        img: Floats, shape (H, W, 3) or (N, H, W, 3), with H, W >= `size`.
        size: Kernel side, odd.
        sigma: Standard deviation of the Gaussian, > 0.
        padding: `"valid"`: only where the kernel fits, the output loses
            `size - 1` rows and columns. `"same"`: zeros around the border,
            the output keeps the input's size (like Keras `padding="same"`).
        scale: Set this (for example 255) to pass integer images.

    Returns:
        The blurred array, float32 (float64 if `img` is float64).

    Raises:
        ValueError: On a wrong shape, an image smaller than the kernel, NaN,
            infinite or unscaled (beyond `PIXEL_LIMIT`) values, an even
            `size`, `sigma` <= 0 or an unknown `padding`.
        TypeError: If `img` holds integers and `scale` is not given, or an
            argument has the wrong type.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.filters import gaussian_blur
        >>> img = np.zeros((128, 128, 3), dtype=np.float32)
        >>> gaussian_blur(img, 5, 1.0).shape
        (124, 124, 3)
        >>> gaussian_blur(img, 5, 1.0, padding="same").shape
        (128, 128, 3)
        >>> dot = np.zeros((5, 5, 3)); dot[2, 2] = 1.0
        >>> (273 * gaussian_blur(dot, 5, 1.0, padding="same")[..., 0]).round().astype(int)[2]
        array([ 7, 26, 41, 26,  7])
    """
    kernel = gaussian_kernel(size, sigma)
    padding = _check_padding(padding)
    a = _check_images(img, "img", scale)
    _check_fits(a, size)
    r = (size - 1) // 2
    if padding == "same":
        pad = [(0, 0)] * (a.ndim - 3) + [(r, r), (r, r), (0, 0)]
        a = np.pad(a, pad)
    out_h, out_w = a.shape[-3] - size + 1, a.shape[-2] - size + 1
    kernel = kernel.astype(a.dtype)
    out = np.zeros(a.shape[:-3] + (out_h, out_w, 3), dtype=a.dtype)
    tap = np.empty_like(out)
    for dy in range(size):
        for dx in range(size):
            # Writing into a reused buffer avoids allocating a new image per tap.
            np.multiply(a[..., dy : dy + out_h, dx : dx + out_w, :], kernel[dy, dx], out=tap)
            out += tap
    return out


# --------------------------------------------------------------------------- the network


def _layer2_kernel(kernel: np.ndarray, depthwise: bool) -> np.ndarray:
    k = kernel.shape[0]
    if depthwise:
        # DepthwiseConv2D kernel: (k, k, in_channels, depth_multiplier).
        return np.repeat(kernel[:, :, None, None], 3, axis=2)
    full = np.zeros((k, k, 3, 3))
    for c in range(3):
        full[:, :, c, c] = kernel  # filter c sees only channel c
    return full


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
    if depthwise:
        x = keras.layers.DepthwiseConv2D(
            kernel_size,
            padding=padding,
            use_bias=False,
            depthwise_initializer=init(),
            name="gaussian_blur",
        )(x)
    else:
        x = keras.layers.Conv2D(
            3,
            kernel_size,
            padding=padding,
            use_bias=False,
            kernel_initializer=init(),
            name="gaussian_blur",
        )(x)
    return keras.Model(inputs, x, name=name)


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
        `kernel_size`.

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


# --------------------------------------------------------------------------- describe


@dataclass(frozen=True)
class LayerInfo:
    """One row of the answer table.

    Attributes:
        name: The layer's name (`sepia`, `clip_0_1`, `gaussian_blur`, or
            whatever a student's model calls it).
        kind: The Keras layer type (with its activation, if not linear).
        filters: Number of filters (units of a Dense layer; 0 for a layer
            without a kernel).
        filter_shape: Shape of one filter, height x width x input channels
            it sees (a depthwise filter sees 1; a Dense unit sees a vector).
        parameters: Number of weights of the layer, biases included.
        trainable: Whether training would change them.
        output_shape: Shape of one output, e.g. (H, W, channels).
        weights: The kernel array in Keras layout, or None.
        bias: The bias vector, or None for a layer without one.
    """

    name: str
    kind: str
    filters: int
    filter_shape: tuple[int, ...]
    parameters: int
    trainable: bool
    output_shape: tuple[int, ...]
    weights: np.ndarray | None = field(default=None, repr=False, compare=False)
    bias: np.ndarray | None = field(default=None, repr=False, compare=False)


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape) if shape else "-"


def _plane_text(plane: np.ndarray) -> str:
    scaled = plane * 273.0
    if np.allclose(scaled, np.round(scaled), atol=1e-4) and scaled.max() > 0.5:
        rows = [" ".join(f"{int(round(v)):3d}" for v in row) for row in scaled]
        return "(1/273) x\n" + "\n".join(rows)
    return "\n".join(" ".join(f"{v:7.4f}" for v in row) for row in plane)


def _channel(i: int, n: int, prime: str = "") -> str:
    return f"{CHANNELS[i]}{prime}" if n == 3 else f"channel {i}"


# Printing every value of a large student layer would bury the answer: show
# this many filters (or values) per layer, then say how many were left out.
_SHOW_FILTERS = 6
_SHOW_VALUES = 12


def _values_text(values: np.ndarray) -> str:
    shown = ", ".join(f"{v:.3f}" for v in values[:_SHOW_VALUES])
    return shown + (
        f", ... ({len(values) - _SHOW_VALUES} more)" if len(values) > _SHOW_VALUES else ""
    )


def _layer_values(layer: LayerInfo) -> list[str]:
    """Plain-text lines giving a layer's kernel and bias values, bounded."""
    w, lines = layer.weights, []
    if w is not None and w.ndim == 2:  # Dense: one weight vector per unit
        w = w[None, None]
    if w is not None and w.ndim == 4 and w.shape[:2] == (1, 1) and "Depthwise" not in layer.kind:
        n_in, n_out = w.shape[2], w.shape[3]
        for o in range(min(n_out, _SHOW_FILTERS)):
            mix = [f"{w[0, 0, i, o]:.3f} x {_channel(i, n_in)}" for i in range(min(n_in, 8))]
            more = f" + {n_in - 8} more inputs" if n_in > 8 else ""
            lines.append(
                f"filter {o + 1} -> {_channel(o, n_out, chr(39))}: " + ", ".join(mix) + more
            )
    elif w is not None and w.ndim == 4:
        n_in, n_out = w.shape[2], w.shape[3]
        if "Depthwise" in layer.kind:
            planes = [
                (f"channel {_channel(i, n_in)}", w[:, :, i, m])
                for i in range(n_in)
                for m in range(n_out)
            ]
        else:
            planes = []
            for o in range(n_out):
                zero = [_channel(i, n_in) for i in range(n_in) if not np.any(w[:, :, i, o])]
                planes += [
                    (f"filter {o + 1}, input channel {_channel(i, n_in)}", w[:, :, i, o])
                    for i in range(n_in)
                    if np.any(w[:, :, i, o])
                ]
                if zero:
                    planes.append(
                        (f"filter {o + 1}, input channels {', '.join(zero)}: all 0", None)
                    )
        for title, plane in planes[: _SHOW_FILTERS * 3]:
            lines.append(title if plane is None else f"{title}:\n{_plane_text(plane)}")
        if len(planes) > _SHOW_FILTERS * 3:
            lines.append(f"... ({len(planes) - _SHOW_FILTERS * 3} more kernels not shown)")
    elif w is not None:
        lines.append(f"kernel {w.shape}: " + _values_text(w.ravel()))
    if layer.bias is not None:
        lines.append(f"bias ({layer.bias.size}): " + _values_text(layer.bias.ravel()))
    return lines


@dataclass(frozen=True)
class FilterCNNDescription:
    """The written answer: architecture, every parameter value, output size.

    Print it (`str`) for plain text, or call `to_markdown()` for tables; in
    a notebook it shows as the Markdown table. `repr` is one short line.
    """

    input_shape: tuple[int, ...]
    layers: tuple[LayerInfo, ...]

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of one output image, (H', W', 3)."""
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def total_parameters(self) -> int:
        """Number of weights in the whole network, biases included."""
        return sum(layer.parameters for layer in self.layers)

    @property
    def bias_parameters(self) -> int:
        """How many of the parameters are biases."""
        return sum(layer.bias.size for layer in self.layers if layer.bias is not None)

    def _summary(self) -> str:
        biases = self.bias_parameters
        return f"{self.total_parameters} parameters, " + (
            f"{biases} of them biases" if biases else "no biases"
        )

    def _rows(self) -> list[list[str]]:
        rows = []
        for i, layer in enumerate(self.layers, start=1):
            rows.append(
                [
                    str(i),
                    layer.name,
                    layer.kind,
                    str(layer.filters) if layer.filters else "-",
                    _fmt_shape(layer.filter_shape),
                    str(layer.parameters),
                    ("yes" if layer.trainable else "no (frozen)") if layer.parameters else "-",
                    _fmt_shape(layer.output_shape),
                ]
            )
        return rows

    _HEADER = ("#", "layer", "type", "filters", "filter shape", "parameters", "trainable", "output")

    def _parameter_values(self) -> list[tuple[str, str]]:
        """(title, plain text) of each layer's weights, one filter at a time."""
        out = []
        for layer in self.layers:
            lines = _layer_values(layer)
            if lines:
                shape = f"{_fmt_shape(layer.filter_shape)} filters" if layer.filter_shape else ""
                title = f"{layer.name} ({layer.kind}{', ' + shape if shape else ''})"
                out.append((title, "\n".join(lines)))
        return out

    def to_markdown(self) -> str:
        """The answer as Markdown: an architecture table, then the parameter values."""
        lines = [
            f"Input: {_fmt_shape(self.input_shape)} (H x W x channels). "
            f"Output: {_fmt_shape(self.output_shape)}. "
            f"Parameters: {self._summary()}.",
            "",
            "| " + " | ".join(self._HEADER) + " |",
            "|" + "|".join("---" for _ in self._HEADER) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self._rows()]
        for title, text in self._parameter_values():
            lines += ["", f"**{title}**", "", "```text", text, "```"]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        names = ", ".join(f"{layer.name} {layer.kind.split(':')[0]}" for layer in self.layers[:6])
        more = f", ... ({len(self.layers) - 6} more)" if len(self.layers) > 6 else ""
        return (
            f"FilterCNNDescription({_fmt_shape(self.input_shape)} -> "
            f"{_fmt_shape(self.output_shape)}, {self._summary()}; layers: {names}{more})"
        )

    def __str__(self) -> str:
        rows = [list(self._HEADER), *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEADER))]
        table = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        text = [
            f"input {_fmt_shape(self.input_shape)} -> output {_fmt_shape(self.output_shape)}, "
            f"{self._summary()}",
            *table,
        ]
        for title, values in self._parameter_values():
            text += ["", title + ":", values]
        return "\n".join(text)


def _check_model(model: Any) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(
            f"model {model.name!r} is not built yet: give it an Input, or call it on an image once"
        )
    return model


def _kind(layer: keras.layers.Layer) -> str:
    kind = type(layer).__name__
    if isinstance(layer, keras.layers.ReLU) and layer.max_value == 1.0 and not layer.negative_slope:
        return "ReLU(max_value=1): clip to [0, 1]"
    activation = getattr(layer, "activation", None)
    if activation is not None and activation is not keras.activations.linear:
        kind += f", {getattr(activation, '__name__', type(activation).__name__)}"
    return kind


def _layer_info(layer: keras.layers.Layer, output_shape: tuple[int, ...]) -> LayerInfo:
    kernel = getattr(layer, "depthwise_kernel", None)
    if kernel is None:
        kernel = getattr(layer, "kernel", None)
    kernel = None if kernel is None else keras.ops.convert_to_numpy(kernel)
    bias = getattr(layer, "bias", None) if getattr(layer, "use_bias", False) else None
    bias = None if bias is None else keras.ops.convert_to_numpy(bias)
    filters, filter_shape = 0, ()
    if kernel is not None and isinstance(layer, keras.layers.DepthwiseConv2D):
        filters, filter_shape = (
            kernel.shape[2] * kernel.shape[3],
            (kernel.shape[0], kernel.shape[1], 1),
        )
    elif kernel is not None and kernel.ndim == 4:
        filters, filter_shape = kernel.shape[3], kernel.shape[:3]
    elif kernel is not None and kernel.ndim == 2:
        filters, filter_shape = kernel.shape[1], kernel.shape[:1]
    return LayerInfo(
        name=layer.name,
        kind=_kind(layer),
        filters=int(filters),
        filter_shape=tuple(int(v) for v in filter_shape),
        parameters=int(sum(np.prod(w.shape) for w in layer.weights)),
        trainable=bool(layer.trainable),
        output_shape=output_shape,
        weights=kernel,
        bias=bias,
    )


def _output_shapes(
    model: keras.Model, layers: list[keras.layers.Layer], shape: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """The shape of one output of each layer, for one input image of `shape`."""
    if len(model.inputs) != 1:
        raise ValueError(
            f"model must take one image input, model {model.name!r} takes {len(model.inputs)}"
        )
    # The layers' symbolic outputs hold any branching of the graph, so a
    # student's model need not be a plain chain.
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    try:
        shapes = probe.compute_output_shape((1, *shape))
    except ValueError as err:
        if "negative" in str(err):  # Keras' words for an image smaller than a kernel
            raise ValueError(
                f"input_shape {shape} is smaller than the kernel of a layer ({err})"
            ) from None
        raise ValueError(f"input_shape {shape} does not fit the model: {err}") from None
    if len(layers) == 1 and not isinstance(shapes[0], tuple | list):
        shapes = [shapes]  # one output: Keras returns its shape, not a list of shapes
    out = []
    for layer, s in zip(layers, shapes, strict=True):
        s = tuple(s)[1:]
        if any(v is not None and v < 1 for v in s):
            raise ValueError(
                f"input_shape {shape} is smaller than the kernel of layer {layer.name!r}"
            )
        out.append(tuple(int(v) for v in s))
    return out


def describe(
    model: keras.Model, input_shape: tuple[int, int, int] = (128, 128, 3)
) -> FilterCNNDescription:
    """The exercise's answer for `model`: layers, filters, shapes, values, output size.

    Works on any built Keras model, not only `build_filter_cnn`'s: a
    student's own network (with biases, other layer names, a Dense or a
    depthwise layer, several convolutions) is described the same way, its
    bias values included.

    Args:
        model: A built Keras model taking images, such as `build_filter_cnn()`.
        input_shape: The (H, W, channels) image the answer is about; the task's
            128x128x3 by default.

    Returns:
        A `FilterCNNDescription`; `str()` gives plain text and
        `.to_markdown()` Markdown tables.

    Raises:
        TypeError: If `model` is not a `keras.Model` or `input_shape` not integers.
        ValueError: If `input_shape` is not (H, W, C), does not fit the model,
            or is smaller than a kernel; or if the model is not built.

    Examples:
        >>> from fdmlearn.filters import build_filter_cnn, describe
        >>> answer = describe(build_filter_cnn())
        >>> answer.output_shape, answer.total_parameters
        ((124, 124, 3), 234)
        >>> print(str(answer).splitlines()[0])
        input 128x128x3 -> output 124x124x3, 234 parameters, no biases
        >>> [(layer.kind, layer.filters, layer.filter_shape) for layer in answer.layers]
        [('Conv2D', 3, (1, 1, 3)), ('Conv2D', 3, (5, 5, 3))]
        >>> import keras
        >>> mine = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3)])
        >>> print(str(describe(mine, (8, 8, 3))).splitlines()[0])
        input 8x8x3 -> output 6x6x2, 56 parameters, 2 of them biases
    """
    model = _check_model(model)
    if isinstance(input_shape, str) or not hasattr(input_shape, "__len__"):
        raise TypeError(f"input_shape must be a tuple (H, W, C) of integers, got {input_shape!r}")
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    shape = tuple(check_int(f"input_shape[{i}]", v, minimum=1) for i, v in enumerate(input_shape))
    channels = model.inputs[0].shape[-1] if model.inputs else None
    if channels is not None and shape[2] != channels:
        raise ValueError(
            f"input_shape must have the model's {channels} channels last, got {input_shape!r}"
        )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    shapes = _output_shapes(model, layers, shape) if layers else []
    return FilterCNNDescription(
        input_shape=shape,
        layers=tuple(_layer_info(layer, s) for layer, s in zip(layers, shapes, strict=True)),
    )


# --------------------------------------------------------------------------- learnability


def photo_patches(
    n: int, size: int = 32, *, noise: float = 0.0, center: bool = False, seed: Any = 0
) -> np.ndarray:
    """Random square crops of a real photo, for training and benchmarks.

    The crops come from `fdmlearn.datasets.sample_image()` (a portrait
    photograph), each randomly flipped and rotated by a multiple of 90
    degrees so that no orientation dominates.

    A photo alone is a poor teacher for a filter: neighbouring pixels and
    the three colours move together (and JPEG compression throws away fine
    colour detail), so many different kernels map it to nearly the same
    output. `noise` adds independent Gaussian noise to every pixel and
    channel, so every direction of the input gets seen; `center` subtracts
    each patch's mean colour, so the bright average does not dominate the
    gradient. Both are ordinary input preprocessing; the filters being
    linear, the targets are simply computed from the preprocessed patches.

    Args:
        n: Number of patches, >= 1.
        size: Side of each patch in pixels, 1 to 512.
        noise: Standard deviation of the added noise, 0 to 0.5.
        center: Subtract each patch's mean colour.
        seed: Seed of the crops and the noise: an int, `None` or a
            `numpy.random.Generator`.

    Returns:
        float32 array (n, size, size, 3); values in [0, 1] when `noise=0`
        and `center=False`.

    Raises:
        ValueError: If `n` < 1, `size` is outside 1..512 or `noise` outside [0, 0.5].
        TypeError: If an argument has the wrong type.

    Examples:
        >>> from fdmlearn.filters import photo_patches
        >>> patches = photo_patches(4, 16)
        >>> patches.shape, patches.dtype
        ((4, 16, 16, 3), dtype('float32'))
        >>> centered = photo_patches(4, 16, noise=0.2, center=True)
        >>> bool(abs(centered.mean()) < 1e-6)
        True
    """
    from fdmlearn.datasets import sample_image

    n = check_int("n", n, minimum=1)
    # Beyond 0.5 the noise would dominate the photo (and leave PIXEL_LIMIT).
    noise = check_real("noise", noise, minimum=0, maximum=0.5)
    center = check_bool("center", center)
    photo = sample_image()
    limit = min(photo.shape[:2])
    size = check_int("size", size, minimum=1, maximum=limit)
    rng = check_rng(seed)
    ys = rng.integers(0, photo.shape[0] - size + 1, n)
    xs = rng.integers(0, photo.shape[1] - size + 1, n)
    turns = rng.integers(0, 4, n)
    flips = rng.integers(0, 2, n).astype(bool)
    out = np.empty((n, size, size, 3), dtype=np.float32)
    for i in range(n):
        patch = photo[ys[i] : ys[i] + size, xs[i] : xs[i] + size]
        patch = np.rot90(patch, turns[i])
        out[i] = patch[:, ::-1] if flips[i] else patch
    if noise > 0:
        out += rng.normal(0.0, float(noise), out.shape).astype(np.float32)
    if center:
        out -= out.mean(axis=(1, 2), keepdims=True)
    return out


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


def _as_conv(layer: keras.layers.Layer) -> tuple[np.ndarray, np.ndarray] | None:
    """A linear layer as (kernel (k, k, in, out), bias (out,)); None for an identity."""
    if isinstance(layer, keras.layers.InputLayer | keras.layers.Dropout):
        return None
    if isinstance(layer, keras.layers.Activation) and layer.activation is keras.activations.linear:
        return None
    convolution = keras.layers.Conv2D | keras.layers.DepthwiseConv2D | keras.layers.Dense
    if not isinstance(layer, convolution) or isinstance(layer, keras.layers.Conv2DTranspose):
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
    info = _layer_info(layer, ())
    w = info.weights.astype(np.float64)
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
    bias = np.zeros(w.shape[3]) if info.bias is None else info.bias.astype(np.float64)
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
            has strides or dilation, or the model has no convolution.

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
    if composed is None:
        raise ValueError(f"model {model.name!r} has no convolution to compose")
    return composed if with_bias else composed[0]


def _factor(effective: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split an effective kernel into sepia rows (3, 3) and per-channel blurs (3, k, k).

    For each output channel, the best rank-1 fit (spatial kernel x colour mix)
    by SVD, scaled so the spatial kernel sums to 1 as a blur's does.
    """
    k = effective.shape[0]
    rows, blurs = np.zeros((3, 3)), np.zeros((3, k, k))
    for o in range(3):
        u, s, vt = np.linalg.svd(effective[:, :, :, o].reshape(k * k, 3), full_matrices=False)
        spatial, mix = u[:, 0] * s[0], vt[0]
        total = spatial.sum()
        blurs[o] = (spatial / total).reshape(k, k)
        rows[o] = mix * total
    return rows, blurs


@dataclass
class FitResult:
    """What `fit_filter_cnn` learned, and how close it came to the true filters.

    Attributes:
        keras_model: The trained Keras model.
        history: The Keras `History` of the training.
        losses: Mean squared error after each epoch.
        effective_kernel_error: Max abs error of the learned network's
            composed k x k x 3 x 3 kernel against the true one. This is what
            the data determines, and the headline number.
        sepia_error: Max abs error of the learned sepia rows, after splitting
            the composed kernel into "colour mix, then a blur that sums to 1".
        gaussian_error: Max abs error of the three learned blur kernels, same split.
        raw_weight_error: Max abs error of the raw layer weights against
            `build_filter_cnn`'s. It can stay large: the two layers are only
            determined up to a mixing between them (see `fit_filter_cnn`).
        learned_sepia: The learned sepia rows (3, 3), from the split.
        learned_gaussian: The learned blur kernel of each channel (3, k, k).
    """

    keras_model: keras.Model = field(repr=False)
    history: Any = field(repr=False)
    losses: list[float] = field(repr=False)
    effective_kernel_error: float
    sepia_error: float
    gaussian_error: float
    raw_weight_error: float
    learned_sepia: np.ndarray = field(repr=False)
    learned_gaussian: np.ndarray = field(repr=False)

    @property
    def model(self) -> keras.Model:
        """Deprecated alias of `keras_model` (the name used across fdmlearn)."""
        import warnings

        warnings.warn(
            "FitResult.model is deprecated; use FitResult.keras_model",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.keras_model

    def __repr__(self) -> str:
        return (
            f"FitResult({len(self.losses)} epochs, final loss {self.losses[-1]:.2e}, "
            f"effective_kernel_error={self.effective_kernel_error:.2e}, "
            f"sepia_error={self.sepia_error:.2e}, gaussian_error={self.gaussian_error:.2e})"
        )


def _check_pair(images: Any, targets: Any, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x = _check_images(images, names[0], takes_scale=False)
    y = _check_images(targets, names[1], takes_scale=False)
    if x.ndim != 4 or y.ndim != 4:
        raise ValueError(
            f"{names[0]} and {names[1]} must be batches (N, H, W, 3), got shapes "
            f"{x.shape} and {y.shape}"
        )
    if len(x) == 0:
        raise ValueError(f"{names[0]} must hold at least one image, got an empty batch")
    return x.astype(np.float32, copy=False), y.astype(np.float32, copy=False)


def fit_filter_cnn(
    images: Any,
    targets: Any,
    *,
    kernel_size: int = 5,
    sigma: float = 1.0,
    padding: str = "valid",
    depthwise: bool = False,
    epochs: int = 100,
    batch_size: int = 32,
    learning_rate: float = 0.01,
    validation: Any = None,
    seed: Any = 0,
    callbacks: Any = None,
    verbose: str | int = "auto",
) -> FitResult:
    """Train the filter CNN's architecture from random weights and compare with the truth.

    The network of `build_filter_cnn` (same layers, no bias, no clip) starts
    from random initial weights and is fitted with Adam on mean squared
    error to map `images` to `targets`. The learned weights are then compared
    with the true ones of `build_filter_cnn(kernel_size, sigma)`.

    A subtlety: two linear layers in a row only fix their *product*. Any
    invertible 3x3 mixing `A` after layer 1, undone by `A^-1` in layer 2,
    gives the same network (with the depthwise form, a scale per channel).
    So the raw weights need not approach the true ones, but the composed
    kernel does; and splitting it back into "sepia rows, then a blur that
    sums to 1" recovers both filters.

    Training goes through fdmlearn's guard: a NaN or infinite loss stops it
    with `NonFiniteLossError`.

    Args:
        images: Float input photos (N, H, W, 3), scaled to [0, 1] (centred
            or noisy versions are fine: values within `PIXEL_LIMIT`).
        targets: What the network should output for them, (N, H', W', 3),
            for example `gaussian_blur(sepia(images), 5, 1.0)`.
        kernel_size: Side of layer 2's kernel, odd.
        sigma: Sigma of the true Gaussian to compare against, > 0.
        padding: `"valid"` or `"same"`; must match how `targets` were made.
        depthwise: Train the `DepthwiseConv2D` form of layer 2.
        epochs: Passes over the data, >= 1.
        batch_size: Images per gradient step, >= 1.
        learning_rate: Adam's learning rate, > 0.
        validation: Optional `(images, targets)` to report a validation loss on.
        seed: Seed of the initial weights and the shuffling: an int, `None`
            or a `numpy.random.Generator`. No global seed is touched.
        callbacks: Extra Keras callbacks.
        verbose: `"auto"` (Keras' progress bar), 0 (silent), 1 or 2.

    Returns:
        A `FitResult` with the trained model, its history, the loss curve and
        the errors.

    Raises:
        ValueError: If shapes do not fit together, the images hold NaN,
            infinite or unscaled (0..255) values, or an argument is out of range.
        TypeError: If the images are integers or an argument has the wrong type.
        NonFiniteLossError: If the loss became NaN or infinite.

    Examples:
        >>> from fdmlearn.filters import fit_filter_cnn, gaussian_blur, photo_patches, sepia
        >>> images = photo_patches(16, 16)
        >>> targets = gaussian_blur(sepia(images), 3, 1.0)
        >>> result = fit_filter_cnn(images, targets, kernel_size=3, epochs=3, batch_size=8,
        ...                         verbose=0)
        >>> len(result.losses), result.learned_gaussian.shape
        (3, (3, 3, 3))
    """
    from fdmlearn.deep import _shuffled_batches  # the one seeded tf.data order (see deep)

    kernel_size = _check_kernel_size(kernel_size)
    depthwise = check_bool("depthwise", depthwise)
    true_model = build_filter_cnn(kernel_size, sigma, padding, depthwise=depthwise)
    x, y = _check_pair(images, targets, ("images", "targets"))
    _check_fits(x, kernel_size, "images")

    def check_targets(x: np.ndarray, y: np.ndarray, names: tuple[str, str]) -> None:
        expected = tuple(true_model.compute_output_shape(x.shape))
        if y.shape != expected:
            raise ValueError(
                f"{names[1]} must have shape {expected} (the {padding!r} output for "
                f"{names[0]} of shape {x.shape}), got {y.shape}"
            )

    check_targets(x, y, ("images", "targets"))
    validation_data = None
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise TypeError("validation must be a pair (images, targets) or None")
        validation_data = _check_pair(*validation, ("validation images", "validation targets"))
        _check_fits(validation_data[0], kernel_size, "validation images")
        check_targets(*validation_data, ("validation images", "validation targets"))
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_real("learning_rate", learning_rate, minimum=0, open_min=True)
    rng = check_rng(seed)

    model = _make_model(kernel_size, padding, False, depthwise, "learned_filter_cnn", seed=rng)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    history = fit_keras(
        model,
        _shuffled_batches(x, y, batch_size, int(rng.integers(2**31 - 1))),
        what="fit_filter_cnn",
        epochs=epochs,
        shuffle=False,  # the pipeline shuffles, from its own seed
        validation_data=validation_data,
        callbacks=callbacks,
        verbose=verbose,
    )

    learned = effective_kernel(model)
    truth = true_effective_kernel(kernel_size, sigma)
    rows, blurs = _factor(learned)
    true_blur = gaussian_kernel(kernel_size, sigma)
    raw = max(
        float(np.abs(a - b).max())
        for a, b in zip(model.get_weights(), true_model.get_weights(), strict=True)
    )
    return FitResult(
        keras_model=model,
        history=history,
        losses=[float(v) for v in history.history["loss"]],
        effective_kernel_error=float(np.abs(learned - truth).max()),
        sepia_error=float(np.abs(rows - SEPIA).max()),
        gaussian_error=float(np.abs(blurs - true_blur[None]).max()),
        raw_weight_error=raw,
        learned_sepia=rows,
        learned_gaussian=blurs,
    )


# --------------------------------------------------------------------------- plots


def _heatmap(ax: Any, values: np.ndarray, title: str, fmt: str, cmap: str = "viridis") -> Any:
    im = ax.imshow(values, cmap=cmap)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    if values.shape[0] <= 7:
        middle = (values.max() + values.min()) / 2
        for (i, j), v in np.ndenumerate(values):
            color = "black" if v > middle else "white"
            ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=8, color=color)
    return im


def plot_kernels(kernel_size: int = 5, sigma: float = 1.0) -> Figure:
    """Heatmaps of the two filters: the sepia matrix and the Gaussian kernel.

    With the table's (5, 1.0), a third panel shows how the sampled formula
    (`gaussian_kernel(5, 1.0, use_table=False)`) differs from the table.

    Args:
        kernel_size: Side of the Gaussian kernel, odd.
        sigma: Standard deviation of the Gaussian, > 0.

    Returns:
        A matplotlib Figure.

    Raises:
        ValueError: If `kernel_size` is even or `sigma` <= 0.

    Examples:
        >>> from fdmlearn.filters import plot_kernels
        >>> len(plot_kernels().axes) >= 2
        True
    """
    kernel = gaussian_kernel(kernel_size, sigma)
    table = kernel_size == 5 and float(sigma) == 1.0
    fig = new_figure(figsize=(11 if table else 7.5, 3.4), layout="constrained")
    axes = fig.subplots(1, 3 if table else 2)
    ax = axes[0]
    _heatmap(ax, SEPIA, "layer 1: SEPIA (rows = output)", ".3f", cmap="copper")
    ax.set_xticks(range(3), [f"in {c}" for c in CHANNELS])
    ax.set_yticks(range(3), [f"out {c}'" for c in CHANNELS])
    name = "table / 273" if table else f"sampled, sigma={sigma:g}"
    _heatmap(axes[1], kernel, f"layer 2: Gaussian {kernel_size}x{kernel_size} ({name})", ".3f")
    if table:
        diff = gaussian_kernel(5, 1.0, use_table=False) - kernel
        lim = np.abs(diff).max()
        im = axes[2].imshow(diff, cmap="RdBu_r", vmin=-lim, vmax=lim)
        for (i, j), v in np.ndenumerate(diff):
            axes[2].text(j, i, f"{v:+.3f}", ha="center", va="center", fontsize=7)
        axes[2].set_title("sampled formula minus table", fontsize=10)
        axes[2].set_xticks([])
        axes[2].set_yticks([])
        fig.colorbar(im, ax=axes[2], shrink=0.8)
    return fig


def plot_layer2_filters(model: keras.Model) -> Figure:
    """Draw the three filters of layer 2, one input channel per panel.

    Row `o` is filter `o` (producing output channel `o`), column `i` its
    weights on input channel `i`. For the full `Conv2D` of the exercise the
    Gaussian sits on the diagonal and the other panels are zero. A depthwise
    layer is drawn as the full convolution it is equivalent to.

    Args:
        model: A model from `build_filter_cnn` or `fit_filter_cnn` (its
            `gaussian_blur` layer), or any model (its last convolution).

    Returns:
        A matplotlib Figure with a 3x3 grid of heatmaps.

    Raises:
        TypeError: If `model` is not a Keras model.
        ValueError: If `model` has no convolution, or it does not map 3
            channels to 3.

    Examples:
        >>> from fdmlearn.filters import build_filter_cnn, plot_layer2_filters
        >>> len(plot_layer2_filters(build_filter_cnn()).axes)
        10
    """
    model = _check_model(model)
    convs = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.DepthwiseConv2D)
    ]
    names = {layer.name: layer for layer in convs}
    # fdmlearn's own models name the layer; a student's model: its last convolution.
    layer = names.get("gaussian_blur", convs[-1] if convs else None)
    if layer is None:
        raise ValueError(f"model {model.name!r} has no convolution layer to draw")
    w, _ = _as_conv(layer)
    if w.shape[2:] != (3, 3):
        raise ValueError(
            f"layer {layer.name!r} maps {w.shape[2]} channels to {w.shape[3]}; the 3x3 grid "
            "needs 3 -> 3 (R, G, B)"
        )
    k = w.shape[0]
    fig = new_figure(figsize=(7.5, 7.5), layout="constrained")
    axes = fig.subplots(3, 3)
    vmax = float(np.abs(w).max()) or 1.0
    signed = bool((w < 0).any())  # a trained layer can hold negative weights
    vmin, cmap = (-vmax, "RdBu_r") if signed else (0.0, "magma")
    # Label in units of 1/273 only when every weight is a whole number of them (the table).
    in_273ths = bool(np.allclose(w * 273, np.round(w * 273), atol=1e-3))
    im = None
    for o in range(3):
        for i in range(3):
            ax = axes[o, i]
            plane = w[:, :, i, o]
            im = ax.imshow(plane, cmap=cmap, vmin=vmin, vmax=vmax)
            if k <= 7:
                for (r, c), v in np.ndenumerate(plane):
                    text = f"{v * 273:.0f}" if in_273ths else f"{v:.2f}"
                    if signed:
                        color = "white" if abs(v) > vmax / 2 else "black"
                    else:
                        color = "black" if v > vmax / 2 else "white"
                    ax.text(c, r, text, ha="center", va="center", fontsize=7, color=color)
            ax.set_xticks([])
            ax.set_yticks([])
            if o == 0:
                ax.set_title(f"input channel {CHANNELS[i]}", fontsize=10)
            if i == 0:
                ax.set_ylabel(f"filter {o + 1} -> {CHANNELS[o]}'", fontsize=10)
    unit = "numbers = weight x 273" if in_273ths else "numbers = weights"
    fig.suptitle(f"Layer 2: three {k}x{k}x3 filters ({unit})", fontsize=11)
    fig.colorbar(im, ax=axes, shrink=0.6, label="weight")
    return fig


def plot_images(images: dict[str, Any], *, clip: bool = True) -> Figure:
    """Show images side by side with titles: before / after.

    Args:
        images: Title -> float image (H, W, 3). Values above 1 are shown as
            1 (a screen cannot show brighter than white).
        clip: Clip to [0, 1] for display (matplotlib would warn otherwise).

    Returns:
        A matplotlib Figure with one panel per image.

    Raises:
        ValueError: If `images` is empty or an image is not (H, W, 3).

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.filters import plot_images
        >>> fig = plot_images({"black": np.zeros((8, 8, 3)), "white": np.ones((8, 8, 3))})
        >>> len(fig.axes)
        2
    """
    if not isinstance(images, dict):
        raise TypeError(f"images must be a dict of title -> image, got {type(images).__name__}")
    if not images:
        raise ValueError("images must map at least one title to an image")
    clip = check_bool("clip", clip)
    checked = {}
    for title, img in images.items():
        a = _check_images(img, f"images[{title!r}]", takes_scale=False)
        if a.ndim != 3:
            raise ValueError(f"images[{title!r}] must be one image (H, W, 3), got {a.shape}")
        checked[title] = np.clip(a, 0.0, 1.0) if clip else a
    fig = new_figure(figsize=(3.3 * len(checked), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(checked)))
    for ax, (title, img) in zip(axes, checked.items(), strict=True):
        ax.imshow(img, interpolation="nearest")
        ax.set_title(f"{title}\n{img.shape[0]}x{img.shape[1]}", fontsize=10)
        ax.set_axis_off()
    return fig
