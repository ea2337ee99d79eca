"""Reading a user's numbers exactly, and keeping exact values small.

`exact` is backprop's number check: it accepts what a learner may type (ints,
floats, NumPy scalars, fractions, decimals, sympy numbers) and returns an
exact sympy number (0.1 -> 1/10), raising `TypeError` for a non-number and
`ValueError` for NaN, infinities or a complex number, naming the argument.
"""

from __future__ import annotations

import decimal
import fractions
import math
import numbers
from typing import Any

import numpy as np
import sympy

# Exact values with exp and tanh in them nest with every operation and every
# training step (about 4x per gradient-descent step on a sigmoid neuron);
# sympy's own algorithms recurse over them, so they are refused once bigger
# than this, with a pointer to exact=False.
MAX_EXACT_SIZE = 400
MAX_EXACT_DEPTH = 40


def _given(value: Any) -> str:
    text = repr(value)
    return (text if len(text) <= 60 else text[:57] + "...") + f" ({type(value).__name__})"


def exact(value: Any, what: str) -> sympy.Expr:
    """Turn a user's number into an exact sympy number (0.1 -> 1/10), or raise naming `what`."""
    if isinstance(value, bool | np.bool_ | str | bytes):
        raise TypeError(f"{what} must be a real number, got {_given(value)}")
    if isinstance(value, sympy.Basic):
        if not (isinstance(value, sympy.Expr) and value.is_number):
            raise TypeError(f"{what} must be a number, got the expression {value}")
        if too_big(value):
            raise ValueError(f"{what} is too large an expression to compute with exactly")
        if (
            value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)
            or value.is_extended_real is not True
        ):
            raise ValueError(f"{what} must be a finite real number, got {value}")
        return value
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, fractions.Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"{what} must be a finite real number, got {value}")
        return sympy.Rational(str(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{what} must be a finite real number, got {number}")
        # repr gives the shortest decimal that round-trips: 0.1 -> "0.1" -> 1/10.
        return sympy.Rational(repr(number))
    raise TypeError(f"{what} must be a real number, got {_given(value)}")


def too_big(expr: sympy.Basic) -> bool:
    """Whether `expr` has more than MAX_EXACT_SIZE parts or nests deeper than MAX_EXACT_DEPTH.

    Iterative and stops at the limit, so it costs at most MAX_EXACT_SIZE steps
    whatever the expression.
    """
    stack = [(expr, 0)]
    count = 0
    while stack:
        e, depth = stack.pop()
        count += 1
        if count > MAX_EXACT_SIZE or depth > MAX_EXACT_DEPTH:
            return True
        stack.extend((a, depth + 1) for a in e.args)
    return False
