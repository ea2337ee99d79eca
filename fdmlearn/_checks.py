"""Argument checks shared by every topic.

One rule for all of fdmlearn: a wrong *type* raises `TypeError`, a wrong
*value* raises `ValueError`, and the message names the argument, what was
given and what was expected. NumPy scalars count as numbers; `bool` does not
count as an integer. Each check returns the value converted to the plain type
the caller goes on with, so a check is also the one place where inputs are
normalised.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_bool",
    "check_choice",
    "check_images",
    "check_index",
    "check_int",
    "check_real",
    "check_rng",
]


def _given(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _bounds(minimum: Any, maximum: Any, open_min: bool = False, open_max: bool = False) -> str:
    low = None if minimum is None else f"{'>' if open_min else '>='} {minimum}"
    high = None if maximum is None else f"{'<' if open_max else '<='} {maximum}"
    if low and high:
        return f" {low} and {high}"
    return f" {low or high}" if (low or high) else ""


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return `value` as an `int`, or raise naming `name`.

    Integral floats such as `2.0` are refused: a count that arrives as a float
    is usually a computation gone wrong (`n / 2`), better caught here.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer{_bounds(minimum, maximum)}, got {_given(value)}"
        )
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer{_bounds(minimum, maximum)}, got {value}")
    return value


def check_real(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_min: bool = False,
    open_max: bool = False,
) -> float:
    """Return `value` as a finite `float` within the bounds, or raise naming `name`.

    `open_min=True` makes the lower bound strict (`> minimum`), as for a
    learning rate that must be positive.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number"
            f"{_bounds(minimum, maximum, open_min, open_max)}, got {_given(value)}"
        )
    value = float(value)
    bounds = _bounds(minimum, maximum, open_min, open_max)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number{bounds}, got {value}")
    too_low = minimum is not None and (value <= minimum if open_min else value < minimum)
    too_high = maximum is not None and (value >= maximum if open_max else value > maximum)
    if too_low or too_high:
        raise ValueError(f"{name} must be a number{bounds}, got {value:g}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return `value` as a `bool`; only `True`, `False` and NumPy booleans pass."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_given(value)}")
    return bool(value)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return `value` if it is one of `choices`, else raise listing them."""
    choices = tuple(choices)
    try:
        if value in choices:
            return value
    except TypeError:  # unhashable or uncomparable values are simply not a choice
        pass
    listed = ", ".join(repr(c) for c in choices)
    if choices and all(isinstance(c, str) for c in choices) and not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed}, got {_given(value)}")
    raise ValueError(f"{name} must be one of {listed}, got {value!r}")


def _shape_text(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    kind: str = "float",
    minimum: float | None = None,
    maximum: float | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Return `value` as a NumPy array after checking its shape, kind, values.

    Args:
        name: The argument's name, for the message.
        value: Anything `numpy.asarray` accepts.
        ndim: Allowed number(s) of axes.
        shape: Expected shape; `None` entries match any size (implies `ndim`).
        kind: `"float"` (any real numbers, integers included, must be finite),
            `"int"` (integers only) or `"bool"`.
        minimum: Smallest allowed value (inclusive).
        maximum: Largest allowed value (inclusive).
        dtype: If given, the result is converted to it (after the checks).
    """
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be an array of numbers, got {_given(value)}")
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {err}") from None
    if kind == "bool":
        if a.dtype != np.bool_:
            raise TypeError(f"{name} must be a boolean array, got dtype {a.dtype}")
    elif kind == "int":
        if not np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
            raise TypeError(f"{name} must be an array of integers, got dtype {a.dtype}")
    elif kind == "float":
        if a.dtype == np.bool_ or not (
            np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
        ):
            raise TypeError(f"{name} must be an array of real numbers, got dtype {a.dtype}")
    else:  # pragma: no cover - a programming error inside fdmlearn
        raise AssertionError(f"unknown kind {kind!r}")
    if shape is not None:
        ndim = len(shape)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if a.ndim not in allowed:
            want = (
                _shape_text(shape)
                if shape is not None
                else " or ".join(f"{n} axes" for n in allowed)
            )
            raise ValueError(f"{name} must have shape {want}, got an array of shape {a.shape}")
    if shape is not None and any(
        s is not None and s != t for s, t in zip(shape, a.shape, strict=True)
    ):
        raise ValueError(f"{name} must have shape {_shape_text(shape)}, got {a.shape}")
    if a.size and kind != "bool":
        if np.issubdtype(a.dtype, np.floating):
            bad = ~np.isfinite(a)
            if bad.any():
                where = tuple(int(i) for i in np.argwhere(bad)[0])
                raise ValueError(
                    f"{name} must hold finite numbers, got {a[where]} at index {where} "
                    f"({int(bad.sum())} non-finite value(s) in all)"
                )
        if minimum is not None and a.min() < minimum:
            raise ValueError(f"{name} must be >= {minimum} everywhere, got a minimum of {a.min()}")
        if maximum is not None and a.max() > maximum:
            raise ValueError(f"{name} must be <= {maximum} everywhere, got a maximum of {a.max()}")
    return a if dtype is None else a.astype(dtype, copy=False)


def check_images(
    name: str,
    value: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Return images as floats in [0, 1], refusing integer or 0..255 pixels.

    Integer arrays (`uint8` pixels) raise `TypeError` and float arrays with
    values above 1 raise `ValueError`; both messages say how to scale.
    """
    a = check_array(name, value, ndim=ndim, shape=shape, kind="float")
    if np.issubdtype(a.dtype, np.integer):
        raise TypeError(
            f"{name} holds integers (dtype {a.dtype}), but fdmlearn expects float pixels in "
            f"[0, 1]: divide 8-bit images by 255, e.g. {name} / 255.0"
        )
    if a.size:
        low, high = float(a.min()), float(a.max())
        if high > 1.0:
            hint = (
                f": these look like 0..255 pixels, divide them by 255 ({name} / 255.0)"
                if high <= 255.0
                else ""
            )
            raise ValueError(f"{name} must hold pixels in [0, 1], got values up to {high:g}{hint}")
        if low < 0.0:
            raise ValueError(f"{name} must hold pixels in [0, 1], got values down to {low:g}")
    return a.astype(dtype, copy=False) if dtype is not None else a


def check_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """A `numpy.random.Generator` from `seed`: an int >= 0, `None` or a Generator.

    A Generator is used as it is (and advanced), so a caller can thread one
    generator through several calls. `None` draws fresh entropy. No global
    generator is touched.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer >= 0, None or a numpy.random.Generator, got {_given(seed)}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {seed}")
    return np.random.default_rng(int(seed))


def check_index(index: Any, length: int, name: str = "index") -> tuple[np.ndarray, bool]:
    """Turn a NumPy-style index into positions, for datasets that index like arrays.

    Accepts an integer (negative counts from the end), a slice, a boolean mask
    of the same length, or a sequence/array of integers.

    Returns:
        `(positions, single)`: the integer positions selected, and whether the
        index was a single integer (so the caller may return one item).

    Raises:
        IndexError: If a position is out of range or a mask has the wrong length.
        TypeError: If the index is none of the above.
    """
    if isinstance(index, slice):
        return np.arange(length)[index], False
    if isinstance(index, numbers.Integral) and not isinstance(index, bool | np.bool_):
        i = int(index)
        if not -length <= i < length:
            raise IndexError(f"{name} {i} is out of range for a dataset of {length} items")
        return np.array([i % length]), True
    if isinstance(index, bool | np.bool_):
        raise TypeError(f"{name} must be an integer, slice, mask or integer array, got a bool")
    try:
        positions = np.asarray(index)
    except (ValueError, TypeError):
        positions = None
    if positions is None or positions.ndim != 1 or positions.dtype == object:
        raise TypeError(
            f"{name} must be an integer, slice, boolean mask or 1-D integer array, "
            f"got {_given(index)}"
        )
    if positions.dtype == np.bool_:
        if positions.shape[0] != length:
            raise IndexError(
                f"boolean {name} has length {positions.shape[0]}, the dataset has {length} items"
            )
        return np.flatnonzero(positions), False
    if positions.size == 0:
        return np.zeros(0, dtype=np.int64), False
    if not np.issubdtype(positions.dtype, np.integer):
        raise TypeError(f"{name} array must hold integers or booleans, got dtype {positions.dtype}")
    if positions.min() < -length or positions.max() >= length:
        bad = positions[(positions < -length) | (positions >= length)][0]
        raise IndexError(f"{name} {int(bad)} is out of range for a dataset of {length} items")
    return positions.astype(np.int64) % max(length, 1), False
