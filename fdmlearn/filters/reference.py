"""The two filters as arrays, their plain NumPy versions, and the checks of their inputs.

Sepia is a 3x3 colour matrix applied to every pixel (`SEPIA`); the blur a
Gaussian kernel (`gaussian_kernel`, the assignment's integer table for 5x5,
sigma 1). `sepia` and `gaussian_blur` apply them with NumPy alone: the CNN of
`fdmlearn.filters.network` is checked against them. Their inputs are photos
as floats in [0, 1]; NaN, infinite and unscaled 0..255 values are refused
(`PIXEL_LIMIT`). The code here uses NumPy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fdmlearn._checks import check_array, check_bool, check_choice, check_int, check_real

__all__ = [
    "CHANNELS",
    "GAUSSIAN_5X5_TABLE",
    "PIXEL_LIMIT",
    "SEPIA",
    "gaussian_blur",
    "gaussian_kernel",
    "sepia",
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


MAX_KERNEL_SIZE = 1001  # a 1001x1001 kernel is 8 MB; beyond, a typo more likely than a blur


def _check_kernel_size(kernel_size: Any, name: str = "kernel_size") -> int:
    kernel_size = check_int(name, kernel_size, minimum=1, maximum=MAX_KERNEL_SIZE)
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
        size: Side of the kernel, an odd integer from 1 to 1001.
        sigma: Standard deviation of the Gaussian in pixels, > 0.
        use_table: Use the integer table for `(5, 1.0)`. With False the
            formula is always sampled.

    Returns:
        A float64 array of shape (size, size) whose entries sum to 1.

    Raises:
        TypeError: If `size` is not an integer or `sigma` not a real number.
        ValueError: If `size` is even, < 1 or > 1001, or `sigma` is not > 0.

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
    use_table = check_bool("use_table", use_table)
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
    size = _check_kernel_size(size, "size")
    padding = _check_padding(padding)
    a = _check_images(img, "img", scale)
    _check_fits(a, size)  # before the kernel is made: a too-large size fails cheaply
    kernel = gaussian_kernel(size, sigma)
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
