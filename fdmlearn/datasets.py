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
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from fdmlearn._checks import check_choice
from fdmlearn.errors import LoadError

__all__ = ["load_mnist", "mnist_split", "sample_image"]

_MNIST_LAYOUT = {
    "x_train": ((60000, 28, 28), np.uint8),
    "y_train": ((60000,), np.uint8),
    "x_test": ((10000, 28, 28), np.uint8),
    "y_test": ((10000,), np.uint8),
}

MnistArrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class _MissingFile(LoadError, FileNotFoundError):
    """A missing MNIST file: both a `LoadError` and a `FileNotFoundError`."""


def _bundled_mnist_path() -> Path:
    return Path(str(resources.files("fdmlearn") / "data" / "mnist.npz"))


def _expected_layout() -> str:
    return ", ".join(
        f"{key} {shape} {np.dtype(dtype).name}" for key, (shape, dtype) in _MNIST_LAYOUT.items()
    )


def _frozen(a: np.ndarray) -> np.ndarray:
    # The data lives in an immutable bytes object, so no view of it can ever be
    # made writable again (`setflags(write=True)` raises): the cache is safe
    # from every caller of `mnist_split`.
    return np.frombuffer(a.tobytes(), dtype=a.dtype).reshape(a.shape)


@functools.lru_cache(maxsize=4)
def _read_mnist(path: str, key: tuple[int, ...]) -> dict[str, np.ndarray]:
    # `key` (size, times, inode, CRC-32 of the bytes) is only there to make the
    # cache miss when the file changed, whatever its modification time says.
    del key
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in _MNIST_LAYOUT if k not in npz.files]
            if missing:
                raise LoadError(
                    f"{path!r} is not an MNIST file: missing keys {missing}; "
                    f"expected arrays {_expected_layout()}"
                )
            arrays = {k: npz[k] for k in _MNIST_LAYOUT}
    except LoadError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        found = f"{type(err).__name__}: {err}"
        if "pickle" in found:  # object arrays: never loaded, so no advice to "allow pickle"
            found = "it holds Python object arrays, which fdmlearn never loads"
        raise LoadError(
            f"{path!r} could not be read as an .npz file ({found}); it may be truncated or "
            f"corrupt. Expected a NumPy .npz archive with arrays {_expected_layout()}"
        ) from None
    for name, (shape, dtype) in _MNIST_LAYOUT.items():
        a = arrays[name]
        if a.shape != shape or a.dtype != dtype:
            raise LoadError(
                f"{path!r}: array {name!r} has shape {a.shape} and dtype {a.dtype}, "
                f"expected shape {shape} and dtype {np.dtype(dtype).name}"
            )
    return {name: _frozen(a) for name, a in arrays.items()}


def _content_key(file: Path) -> tuple[int, ...]:
    # A CRC-32 of the whole 11 MB file costs about 2.5 ms (a load copies 55 MB
    # anyway, about 30 ms), and it catches a file rewritten with its old mtime.
    st = file.stat()
    with open(file, "rb") as fh:
        crc = zlib.crc32(fh.read())
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, crc)


def _cached_arrays(file: Path) -> dict[str, np.ndarray]:
    if not file.is_file():
        what = "it is a folder" if file.is_dir() else "no such file"
        raise _MissingFile(
            f"path={str(file)!r}: {what}; expected an MNIST .npz file "
            "(leave path=None to use the copy shipped with fdmlearn)"
        )
    try:
        key = _content_key(file)
    except OSError as err:
        raise LoadError(f"path={str(file)!r} could not be read: {err}") from None
    return _read_mnist(str(file.resolve()), key)


def load_mnist(path: str | os.PathLike[str] | None = None) -> MnistArrays:
    """Load MNIST as uint8 arrays, offline.

    The contract is the one of `keras.datasets.mnist.load_data()`, without the
    download: the copy shipped inside fdmlearn is used unless `path` names
    another `.npz` file with the same four arrays. A file is read once and
    cached; the cache is keyed on the file's content, so a file replaced in
    place is read again.

    Args:
        path: Optional path of an `.npz` file holding `x_train`, `y_train`,
            `x_test` and `y_test`. Defaults to the bundled copy.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,). Each call
        returns fresh arrays that the caller may modify.

    Raises:
        TypeError: If `path` is not a str, os.PathLike or None.
        LoadError: If the file is missing (then also a `FileNotFoundError`),
            a folder, not a readable `.npz` (for example truncated), or its
            keys, shapes or dtypes are not those of MNIST. The message names
            the file.

    Examples:
        >>> from fdmlearn.datasets import load_mnist
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()
        >>> x_train.shape, x_train.dtype, y_test.shape
        ((60000, 28, 28), dtype('uint8'), (10000,))
        >>> int(y_train[0]), int(x_train.max())
        (5, 255)
    """
    if path is not None and not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"path must be a str, os.PathLike or None, got {type(path).__name__}: {path!r}"
        )
    file = _bundled_mnist_path() if path is None else Path(os.fspath(path))
    arrays = _cached_arrays(file)
    return (
        (arrays["x_train"].copy(), arrays["y_train"].copy()),
        (arrays["x_test"].copy(), arrays["y_test"].copy()),
    )


def mnist_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of one MNIST split, read-only and shared.

    Generators of sequence data (the calculator, the captioning clips) draw
    digits from one split only, so that test digits are never seen in
    training. They only read, so no copy is made: the arrays are views of an
    immutable buffer, and even `setflags(write=True)` refuses, so no caller
    can change what the next one sees. Use `load_mnist` for arrays you may
    modify.

    Args:
        split: `"train"` or `"test"`.

    Returns:
        `(images, labels)`: read-only uint8 arrays, (N, 28, 28) and (N,).

    Raises:
        ValueError: If `split` is not `"train"` or `"test"`.
        TypeError: If `split` is not a string.

    Examples:
        >>> from fdmlearn.datasets import mnist_split
        >>> images, labels = mnist_split("test")
        >>> images.shape, labels.shape, images.flags.writeable
        ((10000, 28, 28), (10000,), False)
    """
    split = check_choice("split", split, ("train", "test"))
    arrays = _cached_arrays(_bundled_mnist_path())
    # Fresh view objects: a caller reshaping or re-flagging its own view
    # cannot touch the cached arrays' metadata either.
    return arrays[f"x_{split}"].view(), arrays[f"y_{split}"].view()


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
