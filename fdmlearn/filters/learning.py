"""Can a CNN learn a known filter? Training the architecture from random weights.

`photo_patches` cuts training crops from a real photo (optionally noisy and
centred, which the learnability experiment needs); `fit_filter_cnn` trains
the filter CNN's architecture on them and compares what it learned with the
true filters (see its docstring for why the raw weights need not match).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fdmlearn._checks import check_bool, check_int, check_real, check_rng
from fdmlearn._tf import keras
from fdmlearn._training import fit_keras
from fdmlearn.filters.network import (
    _make_model,
    build_filter_cnn,
    effective_kernel,
    true_effective_kernel,
)
from fdmlearn.filters.reference import (
    SEPIA,
    _check_fits,
    _check_images,
    _check_kernel_size,
    gaussian_kernel,
)

__all__ = ["FitResult", "fit_filter_cnn", "photo_patches"]


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
        ValueError: If `n` < 1, `size` is outside 1..512, `noise` outside
            [0, 0.5], or the patches would take more than 4 GB.
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
    gigabytes = n * size * size * 3 * 4 / 1e9
    if gigabytes > 4:  # refuse before allocating, rather than fail with MemoryError
        raise ValueError(
            f"n={n} patches of {size}x{size} would take {gigabytes:.1f} GB; the limit is 4 GB"
        )
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
    from fdmlearn._training import shuffled_batches

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
        shuffled_batches(x, y, batch_size, int(rng.integers(2**31 - 1))),
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
