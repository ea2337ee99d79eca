"""How numbers and formulas are written: LaTeX, short text and Markdown tables.

Nothing here knows about graphs; the derivations in `trace` and `run` use
these helpers to print what a learner would write by hand.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sympy
from sympy.printing.latex import LatexPrinter

__all__ = ["latex", "number_latex"]


def _decimal(value: sympy.Rational, max_digits: int = 12) -> str | None:
    """The exact decimal of a rational whose denominator is 2^a 5^b, else None."""
    p, q = int(value.p), int(value.q)
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q != 1 or max(twos, fives) > max_digits:
        return None
    digits = max(twos, fives)
    scaled = abs(p) * 10**digits // int(value.q)
    text = str(scaled).rjust(digits + 1, "0")
    return ("-" if p < 0 else "") + text[:-digits] + "." + text[-digits:]


class _Printer(LatexPrinter):
    # Heaviside(z, 0) is ReLU's derivative with the value 0 at z = 0: print it
    # as the indicator 1[z > 0], which says exactly that.
    def _print_Heaviside(self, expr: sympy.Expr, exp: str | None = None) -> str:
        if len(expr.args) == 2 and expr.args[1] == 0:
            tex = rf"\mathbf{{1}}\left[{self._print(expr.args[0])} > 0\right]"
            return tex if exp is None else rf"{tex}^{{{exp}}}"
        return super()._print_Heaviside(expr, exp)


def latex(expr: Any) -> str:
    """LaTeX of a sympy expression, printing ReLU's derivative as the indicator it is.

    Like `sympy.latex`, except that `Heaviside(z, 0)` (0 at z = 0) is written
    $\\mathbf{1}[z > 0]$.

    Args:
        expr: A sympy expression or number (e.g. from `gradients`), or a
            node (its expression in terms of the leaves).

    Returns:
        The LaTeX string, without `$` delimiters.

    Raises:
        TypeError: If `expr` is neither a sympy object, a number nor a node.

    Examples:
        >>> import sympy
        >>> from fdmlearn import backprop as bp
        >>> print(bp.latex(sympy.Heaviside(sympy.Symbol("q"), 0)))
        \\mathbf{1}\\left[q > 0\\right]
    """
    from .node import Node

    if isinstance(expr, Node):
        expr = expr.expr
    elif isinstance(expr, bool) or not isinstance(expr, sympy.Basic | numbers.Number):
        raise TypeError(
            f"expr must be a sympy expression, a number or a Node, got {type(expr).__name__}"
        )
    elif not isinstance(expr, sympy.Basic):
        try:
            expr = sympy.sympify(expr)  # Fraction(1, 3) -> 1/3, 1j -> 1.0*I
        except (ValueError, TypeError, sympy.SympifyError):  # a float32 NaN, say
            raise ValueError(f"expr {expr!r} cannot be read as a sympy number") from None
    return _Printer().doprint(expr)


def number_latex(value: Any) -> str:
    """LaTeX of a number as a learner wants to read it: exact, and its decimal.

    Args:
        value: A sympy number (or anything sympy can read as one).

    Returns:
        `2`, `\\frac{3}{5} = 0.6`, or `\\frac{1}{3} \\approx 0.3333` for
        a fraction without a finite decimal.

    Raises:
        TypeError: If `value` is not a number.
        ValueError: If it is not a finite real number.

    Examples:
        >>> import sympy
        >>> from fdmlearn import backprop as bp
        >>> print(bp.number_latex(sympy.Rational(3, 5)))
        \\frac{3}{5} = 0.6
        >>> print(bp.number_latex(sympy.Rational(1, 3)))
        \\frac{1}{3} \\approx 0.3333
    """
    from .values import exact

    if isinstance(value, float | np.floating) and not isinstance(value, sympy.Basic):
        # A float stays a float (0.6 prints 0.6, not 3/5 = 0.6).
        value = sympy.Float(exact(value, "value"), 15)
    else:
        value = exact(value, "value")
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        exact = latex(value)
        dec = _decimal(value)
        return f"{exact} = {dec}" if dec else f"{exact} \\approx {float(value):.4g}"
    if value.is_Float:
        return f"{float(value):.6g}"
    return f"{latex(value)} \\approx {float(value):.4g}"


def short_latex(value: sympy.Expr) -> str:
    """A number inside a product: exact if rational, else 6 significant digits."""
    value = sympy.sympify(value)
    if value.is_Rational:
        return latex(value)
    return f"{float(value):.6g}"


def number_text(value: sympy.Expr) -> str:
    """A short plain-text number for figures: 2, 3/5, 0.7311."""
    value = sympy.sympify(value)
    if value.is_Rational and len(str(value)) <= 7:
        return str(value)
    return f"{float(value):.4g}"


def short_text(value: Any, limit: int = 40) -> str:
    """`str(value)` cut to `limit` characters, for reprs that must stay short."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_dict(values: dict[str, Any], most: int = 4) -> str:
    """`{name: value, ...}` with at most `most` entries and short values."""
    items = [f"{k!r}: {short_text(v)}" for k, v in list(values.items())[:most]]
    if len(values) > most:
        items.append(f"... ({len(values) - most} more)")
    return "{" + ", ".join(items) + "}"


def paren(tex: str) -> str:
    """Parenthesise a negative factor: `-1` inside a product reads `\\left(-1\\right)`."""
    return f"\\left({tex}\\right)" if tex.startswith("-") else tex


def bracket(tex: str) -> str:
    """Parenthesise a sum used as a factor."""
    return f"\\left({tex}\\right)" if any(op in tex for op in ("+", " - ")) else tex


def md_cell(tex: str) -> str:
    if not tex or tex in ("input", "parameter", "constant", "start", "mean"):
        return tex
    # A | would end the table cell: write absolute values with \vert.
    return "$" + tex.replace("|", r"\vert ") + "$"


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
