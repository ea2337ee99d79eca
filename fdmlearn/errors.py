"""The exceptions fdmlearn raises beyond Python's own.

Wrong types raise `TypeError` and wrong values `ValueError`, as everywhere in
Python. Two kinds of mistake get a class of their own, so that a notebook can
catch exactly them:

- `LoadError`: a file that is not what the loader expects (missing, a folder,
  random bytes, a file of another class or a newer fdmlearn).
- `NonFiniteLossError`: training produced a NaN or infinite loss; the model's
  weights were put back as they were before the call.

Examples:
    >>> from fdmlearn.errors import LoadError
    >>> issubclass(LoadError, OSError)
    True
"""

from __future__ import annotations

__all__ = ["LoadError", "NonFiniteLossError"]


class LoadError(OSError):
    """A file could not be loaded as the fdmlearn object asked for.

    The message names the file and says what was found instead.

    Examples:
        >>> from fdmlearn.errors import LoadError
        >>> str(LoadError("model.keras: not a zip archive"))
        'model.keras: not a zip archive'
    """


class NonFiniteLossError(FloatingPointError):
    """Training stopped because the loss became NaN or infinite.

    Raised by every `fit` in fdmlearn. The weights are restored to their values
    from before the call, so the model is still usable.

    Examples:
        >>> from fdmlearn.errors import NonFiniteLossError
        >>> issubclass(NonFiniteLossError, ArithmeticError)
        True
    """
