import hashlib
import os
import time
import zipfile

import numpy as np
import pytest

from fdmlearn import datasets
from fdmlearn.errors import LoadError

# MD5 of each array's raw bytes, from the canonical distribution (shared/data/README.md).
CANONICAL_MD5 = {
    "x_train": "6510e85a72c3e9475c492d559d3770d2",
    "y_train": "e86ee40d66677c011a9abda399ec8c4d",
    "x_test": "240610fa99e73bfa49df8e7fc24d3206",
    "y_test": "073c3904dfbd3e141ff8aa01cfde6b15",
}


def test_load_mnist_is_canonical():
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for key, a in arrays.items():
        assert a.dtype == np.uint8
        assert hashlib.md5(a.tobytes()).hexdigest() == CANONICAL_MD5[key], key
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert set(np.unique(y_train)) == set(range(10))


def test_load_mnist_returns_fresh_copies():
    (x_train, _), _ = datasets.load_mnist()
    assert x_train.flags.writeable
    x_train[0] = 0
    (again, _), _ = datasets.load_mnist()
    assert again[0].any()


def test_mnist_split_is_read_only_and_matches():
    images, labels = datasets.mnist_split("train")
    with pytest.raises(ValueError):
        images[0, 0, 0] = 1
    (x_train, y_train), _ = datasets.load_mnist()
    assert np.array_equal(images, x_train) and np.array_equal(labels, y_train)
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'"):
        datasets.mnist_split("validation")


@pytest.mark.parametrize("split", ["train", "test"])
def test_mnist_split_cannot_be_made_writable(split):
    images, labels = datasets.mnist_split(split)
    before = hashlib.md5(images.tobytes()).hexdigest()
    for a in (images, labels, images.base, labels.base):
        if isinstance(a, np.ndarray):
            with pytest.raises(ValueError, match="WRITEABLE"):
                a.setflags(write=True)
    # A caller reshaping or re-flagging its own view leaves the next caller's alone.
    images.shape = (-1, 784)
    again, _ = datasets.mnist_split(split)
    assert again.shape[1:] == (28, 28)
    assert hashlib.md5(again.tobytes()).hexdigest() == before
    (x_train, _), (x_test, _) = datasets.load_mnist()
    assert np.array_equal(x_train if split == "train" else x_test, again)


def _save_mnist_like(path, value):
    small = {
        "x_train": np.full((60000, 28, 28), value, np.uint8),
        "y_train": np.full(60000, value, np.uint8),
        "x_test": np.full((10000, 28, 28), value, np.uint8),
        "y_test": np.full(10000, value, np.uint8),
    }
    np.savez(path, **small)


def test_cache_is_keyed_on_content_not_mtime(tmp_path):
    p = tmp_path / "mnist.npz"
    _save_mnist_like(p, 1)
    (a, _), _ = datasets.load_mnist(p)
    assert a[0, 0, 0] == 1
    stat = os.stat(p)
    _save_mnist_like(tmp_path / "other.npz", 2)
    os.replace(tmp_path / "other.npz", p)
    os.utime(p, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime as the first file
    assert os.stat(p).st_mtime_ns == stat.st_mtime_ns
    (b, _), _ = datasets.load_mnist(p)
    assert b[0, 0, 0] == 2


def test_cached_load_is_fast():
    datasets.load_mnist()
    start = time.perf_counter()
    for _ in range(3):
        datasets.mnist_split("train")
    assert (time.perf_counter() - start) / 3 < 0.05  # the content key costs a few ms


def test_load_mnist_from_other_path(tmp_path):
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    p = tmp_path / "copy.npz"
    np.savez(p, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (a, _), (_, d) = datasets.load_mnist(p)
    assert np.array_equal(a, x_train) and np.array_equal(d, y_test)


def test_missing_file_is_a_load_error_and_file_not_found(tmp_path):
    with pytest.raises(LoadError, match="path=.*nope.npz.*no such file") as info:
        datasets.load_mnist(tmp_path / "nope.npz")
    assert isinstance(info.value, FileNotFoundError)


def test_truncated_file(tmp_path):
    good = datasets._bundled_mnist_path().read_bytes()
    p = tmp_path / "truncated.npz"
    p.write_bytes(good[: len(good) // 3])
    with pytest.raises(LoadError, match="truncated.npz.*truncated"):
        datasets.load_mnist(p)


def test_wrong_keys_and_shapes(tmp_path):
    p = tmp_path / "keys.npz"
    np.savez(p, images=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(LoadError, match="keys.npz.*missing keys"):
        datasets.load_mnist(p)
    q = tmp_path / "shapes.npz"
    small = np.zeros((5, 28, 28), np.uint8)
    np.savez(q, x_train=small, y_train=small[:, 0, 0], x_test=small, y_test=small[:, 0, 0])
    with pytest.raises(LoadError, match=r"'x_train' has shape \(5, 28, 28\).*expected shape"):
        datasets.load_mnist(q)


def test_mnist_is_in_the_wheel(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("fdmlearn-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo("fdmlearn/data/mnist.npz")
    assert info.file_size == datasets._bundled_mnist_path().stat().st_size


def test_sample_image():
    img = datasets.sample_image()
    assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.float32
    assert 0.0 <= img.min() and img.max() <= 1.0
    assert img.std() > 0.05  # a real photo, not a blank
