"""fdmlearn: learn the foundations of deep learning by doing them.

Five topics, one module or package each:

- `fdmlearn.backprop`: symbolic backpropagation with sympy, step by step.
- `fdmlearn.deep`: why deep sigmoid MLPs fail on MNIST, and how to fix them.
- `fdmlearn.filters`: a CNN whose weights are a sepia filter and a Gaussian blur.
- `fdmlearn.captioning`: a video-caption model trained on moving MNIST digits.
- `fdmlearn.calculator`: add numbers written as sequences of MNIST digit images.

Around them: `fdmlearn.exercises` (check your own answers; variants for a
class), `fdmlearn.datasets` (MNIST, bundled), `fdmlearn.records` (the
full-scale benchmark records), `fdmlearn.plotting` and `fdmlearn.errors`.
`python -m fdmlearn` prints where everything is and writes the tutorials as
notebooks.

`import fdmlearn` is cheap: it never imports TensorFlow. The topics that need
TensorFlow load it the first time they are imported.

Examples:
    >>> import fdmlearn
    >>> fdmlearn.__version__
    '0.2.0'
"""

from __future__ import annotations

import importlib
import os
import random
from types import ModuleType

from fdmlearn._version import __version__

# TensorFlow's C++ start-up messages are noise for a learner; a user's own
# setting wins. (fdmlearn._tf silences the few that ignore this variable.)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = [
    "__version__",
    "backprop",
    "calculator",
    "captioning",
    "datasets",
    "deep",
    "errors",
    "exercises",
    "filters",
    "plotting",
    "records",
    "set_seed",
]

_SUBMODULES = set(__all__) - {"__version__", "set_seed"}  # the topics and helper modules


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
        seed: An integer from 0 to 2**32 - 1 (NumPy's limit).
        deterministic: Also ask TensorFlow for deterministic kernels
            (`tf.config.experimental.enable_op_determinism`). Slower, and only
            needed where parallel reductions would otherwise reorder sums.

    Raises:
        TypeError: If `seed` is not an integer.
        ValueError: If `seed` is negative or above 2**32 - 1.

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

    from fdmlearn._checks import check_bool, check_int

    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    deterministic = check_bool("deterministic", deterministic)
    random.seed(seed)
    np.random.seed(seed)
    from fdmlearn._tf import keras, tf

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
