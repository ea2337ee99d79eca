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

Where things live (everything is importable from `fdmlearn.filters`):

- `reference`: the two filters as arrays (`SEPIA`, `gaussian_kernel`), their
  plain NumPy versions (`sepia`, `gaussian_blur`) and the input checks.
- `network`: the CNN (`build_filter_cnn`) and what it amounts to as one
  convolution (`effective_kernel`, `true_effective_kernel`).
- `answer`: the written answer for any Keras model (`describe`).
- `learning`: training the architecture from random weights (`fit_filter_cnn`,
  `photo_patches`).
- `plots`: the figures.
"""

from __future__ import annotations

from fdmlearn.filters.answer import FilterCNNDescription, LayerInfo, describe
from fdmlearn.filters.learning import FitResult, fit_filter_cnn, photo_patches
from fdmlearn.filters.network import (
    FilterCNN,
    build_filter_cnn,
    effective_kernel,
    true_effective_kernel,
)
from fdmlearn.filters.plots import plot_images, plot_kernels, plot_layer2_filters
from fdmlearn.filters.reference import (
    CHANNELS,
    GAUSSIAN_5X5_TABLE,
    PIXEL_LIMIT,
    SEPIA,
    gaussian_blur,
    gaussian_kernel,
    sepia,
)

__all__ = [
    "CHANNELS",
    "GAUSSIAN_5X5_TABLE",
    "PIXEL_LIMIT",
    "SEPIA",
    "FilterCNN",
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
