"""Data that works offline: MNIST shipped inside the package, and a sample photo.

MNIST is the database of handwritten digits by Yann LeCun, Corinna Cortes and
Christopher J. C. Burges, made available under the Creative Commons
Attribution-Share Alike 3.0 license. fdmlearn ships the complete, canonical
copy (60,000 training and 10,000 test images) so that nothing is downloaded.
"""

from __future__ import annotations

import functools
import os
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["load_mnist", "mnist_split", "sample_image"]

_MNIST_LAYOUT = {
    "x_train": ((60000, 28, 28), np.uint8),
    "y_train": ((60000,), np.uint8),
    "x_test": ((10000, 28, 28), np.uint8),
    "y_test": ((10000,), np.uint8),
}

MnistArrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _bundled_mnist_path() -> Path:
    return Path(str(resources.files("fdmlearn") / "data" / "mnist.npz"))


@functools.lru_cache(maxsize=4)
def _read_mnist(path: str, mtime: float) -> dict[str, np.ndarray]:
    # Keyed on the modification time too, so that a replaced file is re-read.
    del mtime
    expected = ", ".join(
        f"{key} {shape} {np.dtype(dtype).name}" for key, (shape, dtype) in _MNIST_LAYOUT.items()
    )
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in _MNIST_LAYOUT if k not in npz.files]
            if missing:
                raise ValueError(
                    f"{path} is not an MNIST file: missing keys {missing}; "
                    f"expected arrays {expected}"
                )
            arrays = {k: npz[k] for k in _MNIST_LAYOUT}
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(
            f"{path} could not be read as an .npz file ({err}); it may be truncated. "
            f"Expected a NumPy .npz archive with arrays {expected}"
        ) from err
    for key, (shape, dtype) in _MNIST_LAYOUT.items():
        a = arrays[key]
        if a.shape != shape or a.dtype != dtype:
            raise ValueError(
                f"{path}: array {key!r} has shape {a.shape} and dtype {a.dtype}, "
                f"expected shape {shape} and dtype {np.dtype(dtype).name}"
            )
        a.setflags(write=False)
    return arrays


def _cached_arrays(file: Path) -> dict[str, np.ndarray]:
    return _read_mnist(str(file.resolve()), file.stat().st_mtime)


def load_mnist(path: str | os.PathLike[str] | None = None) -> MnistArrays:
    """Load MNIST as uint8 arrays, offline.

    The contract is the one of `keras.datasets.mnist.load_data()`, without the
    download: the copy shipped inside fdmlearn is used unless `path` names
    another `.npz` file with the same four arrays.

    Args:
        path: Optional path of an `.npz` file holding `x_train`, `y_train`,
            `x_test` and `y_test`. Defaults to the bundled copy.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,). Each call
        returns fresh arrays that the caller may modify.

    Raises:
        FileNotFoundError: If `path` does not exist.
        ValueError: If the file is not a readable `.npz` (for example
            truncated) or its keys, shapes or dtypes are not those of MNIST.

    Examples:
        >>> from fdmlearn.datasets import load_mnist
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()
        >>> x_train.shape, x_train.dtype, y_test.shape
        ((60000, 28, 28), dtype('uint8'), (10000,))
        >>> int(y_train[0]), int(x_train.max())
        (5, 255)
    """
    file = _bundled_mnist_path() if path is None else Path(os.fspath(path))
    if not file.is_file():
        raise FileNotFoundError(
            f"path={str(file)!r}: no such file; expected an MNIST .npz file "
            "(leave path=None to use the copy shipped with fdmlearn)"
        )
    arrays = _cached_arrays(file)
    return (
        (arrays["x_train"].copy(), arrays["y_train"].copy()),
        (arrays["x_test"].copy(), arrays["y_test"].copy()),
    )


def mnist_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of one MNIST split, read-only and shared.

    Generators of sequence data (the calculator, the captioning clips) draw
    digits from one split only, so that test digits are never seen in
    training. They only read, so no copy is made.

    Args:
        split: `"train"` or `"test"`.

    Returns:
        `(images, labels)`: read-only uint8 arrays, (N, 28, 28) and (N,).

    Raises:
        ValueError: If `split` is not `"train"` or `"test"`.

    Examples:
        >>> from fdmlearn.datasets import mnist_split
        >>> images, labels = mnist_split("test")
        >>> images.shape, labels.shape, images.flags.writeable
        ((10000, 28, 28), (10000,), False)
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    arrays = _cached_arrays(_bundled_mnist_path())
    return arrays[f"x_{split}"], arrays[f"y_{split}"]


def sample_image() -> np.ndarray:
    """A real RGB photograph, as float32 in [0, 1].

    The photo is the portrait of Grace Hopper that matplotlib ships as sample
    data, so it is on every machine that has fdmlearn installed.

    Returns:
        A float32 array of shape (H, W, 3) with values in [0, 1], channels in
        R, G, B order.

    Examples:
        >>> from fdmlearn.datasets import sample_image
        >>> img = sample_image()
        >>> img.shape, img.dtype
        ((600, 512, 3), dtype('float32'))
        >>> bool(0.0 <= img.min() and img.max() <= 1.0)
        True
    """
    import matplotlib.cbook
    import matplotlib.image

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        img = matplotlib.image.imread(f, format="jpg")
    return (np.asarray(img, dtype=np.float32)[..., :3] / 255.0).astype(np.float32)
