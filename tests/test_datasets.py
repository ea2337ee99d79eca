import hashlib
import zipfile

import numpy as np
import pytest

from fdmlearn import datasets

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
    x_train[0] = 0
    (again, _), _ = datasets.load_mnist()
    assert again[0].any()


def test_mnist_split_is_read_only_and_matches():
    images, labels = datasets.mnist_split("train")
    with pytest.raises(ValueError):
        images[0, 0, 0] = 1
    (x_train, y_train), _ = datasets.load_mnist()
    assert np.array_equal(images, x_train) and np.array_equal(labels, y_train)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        datasets.mnist_split("validation")


def test_load_mnist_from_other_path(tmp_path):
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    p = tmp_path / "copy.npz"
    np.savez(p, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (a, _), (_, d) = datasets.load_mnist(p)
    assert np.array_equal(a, x_train) and np.array_equal(d, y_test)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="path=.*no such file"):
        datasets.load_mnist(tmp_path / "nope.npz")


def test_truncated_file(tmp_path):
    good = datasets._bundled_mnist_path().read_bytes()
    p = tmp_path / "truncated.npz"
    p.write_bytes(good[: len(good) // 3])
    with pytest.raises(ValueError, match="truncated"):
        datasets.load_mnist(p)


def test_wrong_keys_and_shapes(tmp_path):
    p = tmp_path / "keys.npz"
    np.savez(p, images=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="missing keys"):
        datasets.load_mnist(p)
    q = tmp_path / "shapes.npz"
    small = np.zeros((5, 28, 28), np.uint8)
    np.savez(q, x_train=small, y_train=small[:, 0, 0], x_test=small, y_test=small[:, 0, 0])
    with pytest.raises(ValueError, match=r"'x_train' has shape \(5, 28, 28\).*expected shape"):
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
