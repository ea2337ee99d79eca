"""Bad input to fdmlearn.datasets: each case is the call, the exception and a message regex."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from fdmlearn import datasets
from fdmlearn.errors import LoadError


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _pickled(tmp_path):
    p = tmp_path / "objects.npz"
    np.savez(p, x_train=np.array([{"a": 1}], dtype=object))
    return p


def _float_images(tmp_path):
    p = tmp_path / "floats.npz"
    np.savez(
        p,
        x_train=np.zeros((60000, 28, 28), np.float32),
        y_train=np.zeros(60000, np.uint8),
        x_test=np.zeros((10000, 28, 28), np.uint8),
        y_test=np.zeros(10000, np.uint8),
    )
    return p


# (id, call taking tmp_path, exception, regex the message must match)
CASES = [
    ("split-unknown", lambda t: datasets.mnist_split("validation"), ValueError, r"split.*'train'"),
    ("split-not-str", lambda t: datasets.mnist_split(0), TypeError, r"split must be one of"),
    ("split-none", lambda t: datasets.mnist_split(None), TypeError, r"split must be one of"),
    ("path-int", lambda t: datasets.load_mnist(3), TypeError, r"path must be a str"),
    (
        "path-missing",
        lambda t: datasets.load_mnist(t / "none.npz"),
        LoadError,
        r"none\.npz.*no such",
    ),
    ("path-folder", lambda t: datasets.load_mnist(t), LoadError, r"folder"),
    (
        "random-bytes",
        lambda t: datasets.load_mnist(_write(t, "r.npz", bytes(range(256)) * 40)),
        LoadError,
        r"r\.npz.*could not be read",
    ),
    ("empty-file", lambda t: datasets.load_mnist(_write(t, "e.npz", b"")), LoadError, r"e\.npz"),
    (
        "truncated",
        lambda t: datasets.load_mnist(
            _write(t, "t.npz", datasets._bundled_mnist_path().read_bytes()[:5000])
        ),
        LoadError,
        r"t\.npz.*truncated",
    ),
    (
        "object-arrays",
        lambda t: datasets.load_mnist(_pickled(t)),
        LoadError,
        r"objects\.npz.*(object|missing keys)",
    ),
    (
        "float-images",
        lambda t: datasets.load_mnist(_float_images(t)),
        LoadError,
        r"floats\.npz.*'x_train'.*dtype float32",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input(tmp_path, call, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        call(tmp_path)
    assert "pickle" not in str(info.value)


def test_object_arrays_never_hint_at_pickle(tmp_path):
    p = tmp_path / "objects.npz"
    np.savez(
        p,
        x_train=np.array([{"a": 1}], dtype=object),
        y_train=np.zeros(1),
        x_test=np.zeros(1),
        y_test=np.zeros(1),
    )
    with pytest.raises(LoadError, match="object arrays, which fdmlearn never loads") as info:
        datasets.load_mnist(p)
    assert "allow_pickle" not in str(info.value)


def test_cache_intact_after_a_caller_writes():
    images, labels = datasets.mnist_split("test")
    before = hashlib.md5(images.tobytes()).hexdigest(), hashlib.md5(labels.tobytes()).hexdigest()
    for a in (images, labels):
        with pytest.raises(ValueError):
            a.setflags(write=True)
        with pytest.raises(ValueError):
            a[0] = 7
    (_, _), (x_test, y_test) = datasets.load_mnist()
    x_test[:] = 0  # a caller's own copy
    y_test[:] = 0
    images, labels = datasets.mnist_split("test")
    after = hashlib.md5(images.tobytes()).hexdigest(), hashlib.md5(labels.tobytes()).hexdigest()
    assert after == before
    (_, _), (x_again, _) = datasets.load_mnist()
    assert x_again.any()


def test_failed_load_leaves_the_cache_alone(tmp_path):
    bad = _write(tmp_path, "bad.npz", b"not a zip")
    with pytest.raises(LoadError):
        datasets.load_mnist(bad)
    images, _ = datasets.mnist_split("train")
    assert images.shape == (60000, 28, 28) and images.any()
