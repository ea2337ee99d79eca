"""Reading student answers: numbers, fractions and formulas, compared by value.

A student writes `relu(w0*x) * (yhat - y)`, `max(0, w0 x)(ŷ - y)`,
`Heaviside(w1*h)*h*(yhat-y)` or a sympy expression; all of these are read
into sympy and compared with the key by *evaluating both* at many random
points, never by their text. Evaluation is what makes a Piecewise, a
Heaviside and a Max form of the same function equal, and it is fast.
"""

from __future__ import annotations

import decimal
import fractions
import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication,
    parse_expr,
    standard_transformations,
)
from sympy.printing.latex import LatexPrinter

_TRANSFORMS = standard_transformations + (implicit_multiplication, convert_xor)


class AnswerError(ValueError):
    """A student's answer that cannot be read; the message says why, in plain words."""


def _relu(z: Any) -> sympy.Expr:
    return sympy.Max(0, z)


def _heaviside(z: Any, *_: Any) -> sympy.Expr:
    # The value at 0 never matters here: answers are compared away from kinks.
    return sympy.Heaviside(z, 0)


def _sigmoid(z: Any) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


def _indicator(condition: Any) -> sympy.Expr:
    if isinstance(condition, sympy.logic.boolalg.Boolean):
        return sympy.Piecewise((1, condition), (0, True))
    return sympy.Heaviside(condition, 0)


def _leaky(z: Any, alpha: Any = 0.2) -> sympy.Expr:
    return sympy.Max(z, sympy.nsimplify(alpha) * z)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "relu": _relu,
    "ReLU": _relu,
    "max": sympy.Max,
    "Max": sympy.Max,
    "min": sympy.Min,
    "Min": sympy.Min,
    "sigmoid": _sigmoid,
    "sigma": _sigmoid,
    "logistic": _sigmoid,
    "heaviside": _heaviside,
    "Heaviside": _heaviside,
    "step": _heaviside,
    "H": _heaviside,
    "indicator": _indicator,
    "ind": _indicator,
    "drelu": _heaviside,
    "relu_prime": _heaviside,
    "relu_derivative": _heaviside,
    "dsigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "sigmoid_prime": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "leaky_relu": _leaky,
    "dtanh": lambda z: 1 - sympy.tanh(z) ** 2,
    "dleaky_relu": lambda z: sympy.Heaviside(z, 0) + (1 - sympy.Heaviside(z, 0)) / 5,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "tanh": sympy.tanh,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
    "sign": sympy.sign,
    "Piecewise": sympy.Piecewise,
    "Rational": sympy.Rational,
    "pi": sympy.pi,
    "E": sympy.E,
    "True": sympy.true,
    "False": sympy.false,
}

_UNICODE = {
    "ŷ": "yhat",
    "·": "*",
    "×": "*",
    "⋅": "*",
    "−": "-",
    "–": "-",
    "σ": "sigmoid",
    "η": "lr",
    "½": "(1/2)",
    "²": "**2",
    "√": "sqrt",
}
_INDICATOR = re.compile(r"(?<![\w.])1\s*\[([^\[\]]+)\]")


def _prime(match: re.Match) -> str:
    name = match.group(1).lower()
    return {"relu": "drelu(", "sigmoid": "dsigmoid(", "sigma": "dsigmoid(", "tanh": "dtanh("}.get(
        name, "dleaky_relu("
    )


_MODULE_PREFIX = re.compile(r"\b(?:np|numpy|math|sp|sympy|tf|torch)\.")
_COMPARISON = re.compile(r"[<>]=?")


def _bracketed_comparisons(text: str) -> str:
    """`(w1*h > 0)` used as a factor is an indicator, as in NumPy: make it one."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "(" and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            depth, j = 0, i
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            inner = text[i + 1 : j]
            flat, level = [], 0
            for c in inner:  # the inner text at depth 0 only
                level += {"(": 1, ")": -1}.get(c, 0)
                flat.append(c if level == 0 else " ")
            top = "".join(flat)
            if j < len(text) and _COMPARISON.search(top) and "," not in top:  # not a tuple
                out.append(f"indicator({_bracketed_comparisons(inner)})")
                i = j + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _clean(text: str) -> str:
    for old, new in _UNICODE.items():
        text = text.replace(old, new)
    # Code copied from NumPy or math: np.maximum(0, z), np.exp(z), math.log(z).
    text = _MODULE_PREFIX.sub("", text)
    text = re.sub(r"\bmaximum\(", "max(", text)
    text = re.sub(r"\bminimum\(", "min(", text)
    # relu'(z) and sigmoid'(z): a prime is how a derivative is written on paper.
    text = re.sub(r"\b(relu|ReLU|sigmoid|sigma|tanh|leaky_relu)\s*'\s*\(", _prime, text)
    # 1[z > 0] is how an indicator is written on paper.
    text = _INDICATOR.sub(r"indicator(\1)", text)
    if "Piecewise" not in text and not re.search(r"[&|~]", text):  # not a logical condition
        text = _bracketed_comparisons(text)
    return text.strip()


def parse_expression(
    value: Any,
    what: str,
    symbols: Mapping[str, sympy.Expr],
    help_names: str = "",
    functions: Mapping[str, Any] | None = None,
) -> sympy.Expr:
    """A sympy expression from a string, number or sympy object, with the exercise's names.

    `symbols` maps every name a student may use (`x`, `w0`, `yhat`, ...) to
    what it stands for; names outside it are refused with a message that
    lists the known ones.

    Raises:
        AnswerError: If the text cannot be read or uses unknown names.
    """
    if isinstance(value, sympy.Basic):
        free = {s.name for s in value.free_symbols}
        unknown = sorted(free - set(symbols))
        if unknown:
            raise AnswerError(_unknown_message(what, unknown, help_names))
        return value.xreplace({s: symbols[s.name] for s in value.free_symbols})
    if isinstance(value, numbers.Number | fractions.Fraction | decimal.Decimal) and not isinstance(
        value, bool
    ):
        return parse_number(value, what).exact
    if not isinstance(value, str):
        raise AnswerError(
            f"{what}: expected a formula as text (like 'relu(w0*x) * (yhat - y)'), "
            f"a number or a sympy expression, got {type(value).__name__}"
        )
    text = _clean(value)
    if not text:
        raise AnswerError(f"{what} is empty")
    local: dict[str, Any] = {**FUNCTIONS, **(functions or {})}
    placeholders = {name: sympy.Symbol(f"_s_{name}") for name in symbols}
    local.update(placeholders)
    try:
        expr = parse_expr(text, local_dict=local, transformations=_TRANSFORMS, evaluate=True)
    except Exception as err:  # sympy raises many kinds for bad text
        raise AnswerError(f"{what}: could not read {value!r} as a formula ({err})") from None
    if not isinstance(expr, sympy.Expr):
        raise AnswerError(f"{what}: {value!r} is not a formula with a value")
    back = {v: k for k, v in placeholders.items()}
    unknown = sorted(s.name for s in expr.free_symbols if s not in back)
    if unknown:
        raise AnswerError(_unknown_message(what, unknown, help_names))
    return expr.xreplace({s: symbols[back[s]] for s in expr.free_symbols})


def _unknown_message(what: str, unknown: list[str], help_names: str) -> str:
    names = ", ".join(repr(u) for u in unknown)
    known = f"; the names this exercise knows are {help_names}" if help_names else ""
    return f"{what} uses {names}, which this exercise does not define{known}"


@dataclass(frozen=True)
class Number:
    """A number a student gave: its exact value and how precisely it was written."""

    exact: sympy.Expr
    decimals: int | None  # digits after the point when written as a decimal, else None

    def __float__(self) -> float:
        return float(self.exact)


def _decimals_of(text: str) -> int | None:
    match = re.fullmatch(r"\s*[-+]?\d*\.(\d+)\s*", text)
    return len(match.group(1)) if match else None


def parse_number(value: Any, what: str) -> Number:
    """Read `3/5`, `"3/5"`, `0.6`, `Fraction(3, 5)` or `sympy.Rational(3, 5)` exactly.

    Floats are read through their shortest repr (0.1 is 1/10). A string may be
    a numeric formula (`"1 - 0.1*4"`).

    Raises:
        AnswerError: If the value is not a finite real number.
    """
    if isinstance(value, bool | np.bool_):
        raise AnswerError(f"{what} must be a number, got {value!r}")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Integral):
        return Number(sympy.Integer(int(value)), None)
    if isinstance(value, fractions.Fraction):
        return Number(sympy.Rational(value.numerator, value.denominator), None)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise AnswerError(f"{what} must be a finite number, got {value}")
        return Number(sympy.Rational(str(value)), _decimals_of(str(value)))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise AnswerError(f"{what} must be a finite number, got {number}")
        text = repr(number)
        if "e" in text or "E" in text:
            exact = fractions.Fraction(text)
            return Number(sympy.Rational(exact.numerator, exact.denominator), None)
        return Number(sympy.Rational(text), _decimals_of(text))
    if isinstance(value, sympy.Basic):
        if not (isinstance(value, sympy.Expr) and value.is_number):
            raise AnswerError(f"{what} must be a number, got the formula {value}")
        if value.is_extended_real is False or value.is_finite is False:
            raise AnswerError(f"{what} must be a finite real number, got {value}")
        return Number(sympy.nsimplify(value) if value.is_Float else value, None)
    if isinstance(value, str):
        text = _clean(value)
        if re.fullmatch(r"[-+]?\d{1,3}([, _]\d{3})+", text):  # 932,362 and 932 362
            text = re.sub(r"[, _]", "", text)
        if text.endswith("%"):
            inner = parse_number(text[:-1], what)
            places = None if inner.decimals is None else inner.decimals + 2
            return Number(inner.exact / 100, places if places is not None else 2)
        if re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            return Number(sympy.Rational(text), _decimals_of(text))
        try:
            expr = parse_expr(text, local_dict=dict(FUNCTIONS), transformations=_TRANSFORMS)
        except Exception:
            raise AnswerError(f"{what}: could not read {value!r} as a number") from None
        if not (isinstance(expr, sympy.Expr) and expr.is_number):
            raise AnswerError(f"{what}: {value!r} is not a number")
        # "1 - 0.1*4": decimals inside a formula are exact decimals, as written.
        expr = sympy.nsimplify(expr, rational=True) if expr.has(sympy.Float) else expr
        return Number(expr, None)
    raise AnswerError(f"{what} must be a number, got {type(value).__name__}")


def same_number(given: Number, exact: Any, *, rtol: float = 1e-9) -> bool:
    """Whether `given` is `exact`, allowing the rounding that the student's own decimals show.

    `0.633` stands for 19/30 (three decimals, off by less than half a unit in
    the last place); `1.8` does not stand for 1.8333 (one decimal is too few
    to round a value that is not exactly 1.8), but does for 1.800024 (a
    relative error under 5e-5). An inexact key (floats, for
    sigmoid networks) also accepts a relative error of 1e-3.
    """
    try:
        target = float(exact)
        value = float(given.exact)
    except OverflowError:
        return bool(given.exact == exact)
    if abs(value - target) <= rtol * max(1.0, abs(target)):
        return True
    # A float cannot say how many decimals were typed (-18.9000 arrives as -18.9): five
    # significant places always count as a rounding.
    if given.decimals is not None and abs(value - target) <= 5e-5 * max(1.0, abs(target)):
        return True
    if given.decimals is not None and given.decimals >= 2:
        if abs(value - target) <= 0.5 * 10.0 ** (-given.decimals) * (1 + 1e-9):
            return True
    exact_key = isinstance(exact, fractions.Fraction | int) or (
        isinstance(exact, sympy.Basic) and exact.is_Rational
    )
    return not exact_key and abs(value - target) <= 1e-3 * max(1.0, abs(target))


def as_sympy(value: Any) -> sympy.Expr:
    """A Fraction, int or float as a sympy number (Fractions exactly)."""
    if isinstance(value, fractions.Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        return sympy.Float(value, 15)
    return sympy.sympify(value)


_MODULES = [{"Heaviside": lambda z, h=0: np.heaviside(z, h)}, "numpy"]


def numeric(expr: sympy.Expr, variables: list[sympy.Symbol]) -> Callable[..., np.ndarray]:
    """Compile `expr` to a NumPy function of `variables` (vectorised)."""
    function = sympy.lambdify(variables, expr, modules=_MODULES)

    def run(*columns: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = function(*columns)
        return np.broadcast_to(np.asarray(out, dtype=float), columns[0].shape)

    return run


def agree(a: np.ndarray, b: np.ndarray, *, rtol: float = 1e-7, atol: float = 1e-9) -> np.ndarray:
    """Pointwise agreement of two evaluations (both undefined counts as agreeing)."""
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(all="ignore"):
        close = np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))
    return both_nan | close


def to_latex(expr: sympy.Expr) -> str:
    """LaTeX with ReLU's derivative written as the indicator it is."""
    return _Printer().doprint(expr)


class _Printer(LatexPrinter):
    def _print_Heaviside(self, expr: sympy.Expr, exp: str | None = None) -> str:
        tex = rf"\mathbf{{1}}\left[{self._print(expr.args[0])} > 0\right]"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_Max(self, expr: sympy.Expr, exp: str | None = None) -> str:
        args = expr.args
        if len(args) == 2 and args[0] == 0:
            tex = rf"\operatorname{{relu}}\left({self._print(args[1])}\right)"
            return f"{tex}^{{{exp}}}" if exp else tex
        return super()._print_Max(expr, exp) if exp else super()._print_Max(expr)
