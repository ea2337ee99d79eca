import subprocess
import sys

import pytest

import fdmlearn


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_import_does_not_load_tensorflow():
    out = _run(
        "import sys, fdmlearn, fdmlearn.backprop, fdmlearn.datasets; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    assert out == "False False"


def test_version():
    assert isinstance(fdmlearn.__version__, str) and fdmlearn.__version__.count(".") == 2


def test_lazy_attribute_access():
    assert fdmlearn.datasets.load_mnist is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fdmlearn.nope  # noqa: B018


def test_set_seed_repeats_tensorflow_and_numpy():
    import numpy as np
    import tensorflow as tf

    fdmlearn.set_seed(7)
    a = (np.random.rand(2), tf.random.uniform((2,)).numpy())
    fdmlearn.set_seed(7)
    b = (np.random.rand(2), tf.random.uniform((2,)).numpy())
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (1.5, TypeError), ("3", TypeError)])
def test_set_seed_rejects_bad_seed(bad, err):
    with pytest.raises(err, match="seed"):
        fdmlearn.set_seed(bad)
