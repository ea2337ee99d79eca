"""The figures of the filters topic; each returns a figure made by `new_figure`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fdmlearn._checks import check_bool
from fdmlearn._tf import keras
from fdmlearn.filters.network import _as_conv, _check_model
from fdmlearn.filters.reference import CHANNELS, SEPIA, _check_images, gaussian_kernel
from fdmlearn.plotting import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_images", "plot_kernels", "plot_layer2_filters"]


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
