"""fdmlearn: learn the foundations of deep learning by doing them.

Five topics, one module each:

- `fdmlearn.backprop`: symbolic backpropagation with sympy, step by step.
- `fdmlearn.deep`: why deep sigmoid MLPs fail on MNIST, and how to fix them.
- `fdmlearn.filters`: a CNN whose weights are a sepia filter and a Gaussian blur.
- `fdmlearn.captioning`: a video-caption model trained on moving MNIST digits.
- `fdmlearn.calculator`: add numbers written as sequences of MNIST digit images.

`import fdmlearn` is cheap: it never imports TensorFlow. The topics that need
TensorFlow load it the first time they are imported.

Examples:
    >>> import fdmlearn
    >>> fdmlearn.__version__
    '0.1.0'
"""

from __future__ import annotations

import importlib
import random
from types import ModuleType

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "backprop",
    "calculator",
    "captioning",
    "datasets",
    "deep",
    "filters",
    "set_seed",
]

_SUBMODULES = {"backprop", "calculator", "captioning", "datasets", "deep", "filters"}


def __getattr__(name: str) -> ModuleType:
    # Topics are imported on first attribute access, so that `import fdmlearn`
    # stays fast and TensorFlow is only paid for by the topics that use it.
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)


def set_seed(seed: int, *, deterministic: bool = False) -> None:
    """Seed Python, NumPy and TensorFlow so that a run can be repeated.

    TensorFlow is seeded through `keras.utils.set_random_seed`, which imports
    it (about 3 s the first time). Call this before building a model.

    Args:
        seed: A non-negative integer.
        deterministic: Also ask TensorFlow for deterministic kernels
            (`tf.config.experimental.enable_op_determinism`). Slower, and only
            needed where parallel reductions would otherwise reorder sums.

    Raises:
        TypeError: If `seed` is not an integer.
        ValueError: If `seed` is negative.

    Examples:
        >>> import numpy as np
        >>> import fdmlearn
        >>> fdmlearn.set_seed(0)
        >>> a = np.random.rand(3)
        >>> fdmlearn.set_seed(0)
        >>> bool((a == np.random.rand(3)).all())
        True
    """
    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
