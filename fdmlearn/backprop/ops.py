"""The table of operations: one entry per operation drives everything.

Each `Op` knows how to compute itself (`forward`) and its local derivative
with respect to each argument (`local`). Both work on any sympy objects:
symbols (the derivations, written with the nodes' names), numbers
(`evaluate`) and, through `sympy.lambdify`, NumPy arrays
(`gradient_function`). Adding an operation means adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from .render import latex, number_text, paren

ONE = sympy.S.One
ZERO = sympy.S.Zero


@dataclass(frozen=True)
class Op:
    """An operation: how to compute it and its local derivative per argument."""

    name: str
    forward: Callable[..., sympy.Expr]
    local: Callable[..., tuple[sympy.Expr, ...]]
    label: str  # short text for the graph figure
    display: Callable[[Sequence[str]], str] | None = None  # LaTeX of the definition
    is_loss: bool = False
    # LaTeX of the local derivatives in terms of the arguments' names, where
    # sympy's own ordering would read badly (-y + yhat).
    local_display: Callable[[Sequence[str]], tuple[str, ...]] | None = None


def _fn(name: str) -> Callable[[Sequence[str]], str]:
    return lambda args: rf"\operatorname{{{name}}}\left({args[0]}\right)"


def _infix(symbol: str) -> Callable[[Sequence[str]], str]:
    # Keep the operands in the order the user wrote them (sympy would sort them).
    def show(args: Sequence[str]) -> str:
        a, b = args
        b = paren(b)
        if symbol == " " and b[:1].isdigit():
            return rf"{a} \cdot {b}"
        return f"{a}{symbol}{b}"

    return show


ADD = Op("add", lambda a, b: a + b, lambda a, b, out: (ONE, ONE), "+", _infix(" + "))
SUB = Op("sub", lambda a, b: a - b, lambda a, b, out: (ONE, -ONE), "−", _infix(" - "))
MUL = Op("mul", lambda a, b: a * b, lambda a, b, out: (b, a), "×", _infix(" "))
DIV = Op(
    "div",
    lambda a, b: a / b,
    lambda a, b, out: (1 / b, -a / b**2),
    "÷",
    lambda args: rf"\frac{{{args[0]}}}{{{args[1]}}}",
)
NEG = Op("neg", lambda a: -a, lambda a, out: (-ONE,), "−")
POW = Op("pow", lambda a, b: a**b, lambda a, b, out: (b * a ** (b - 1), out * sympy.log(a)), "^")
RELU = Op(
    "relu",
    lambda a: sympy.Max(0, a),
    lambda a, out: (sympy.Heaviside(a, 0),),
    "relu",
    _fn("relu"),
)
SIGMOID = Op(
    "sigmoid",
    lambda a: 1 / (1 + sympy.exp(-a)),
    lambda a, out: (out * (1 - out),),
    "σ",
    lambda args: rf"\sigma\left({args[0]}\right)",
)
TANH = Op("tanh", sympy.tanh, lambda a, out: (1 - out**2,), "tanh", _fn("tanh"))
EXP = Op("exp", sympy.exp, lambda a, out: (out,), "exp", lambda args: rf"e^{{{args[0]}}}")
LOG = Op("log", sympy.log, lambda a, out: (1 / a,), "log", _fn("log"))
IDENTITY = Op("identity", lambda a: a, lambda a, out: (ONE,), "id", _fn("id"))
SQUARED = Op(
    "squared_error",
    lambda p, y: (p - y) ** 2 / 2,
    lambda p, y, out: (p - y, y - p),
    "½(·−·)²",
    lambda args: rf"\frac{{1}}{{2}}\left({args[0]} - {args[1]}\right)^{{2}}",
    is_loss=True,
    local_display=lambda args: (f"{args[0]} - {args[1]}", f"{args[1]} - {args[0]}"),
)
ABSOLUTE = Op(
    "absolute_error",
    lambda p, y: sympy.Abs(p - y),
    # sign(0) = 0, which is also what TensorFlow's abs gradient gives at 0.
    lambda p, y, out: (sympy.sign(p - y), -sympy.sign(p - y)),
    "|·−·|",
    lambda args: rf"\left\vert {args[0]} - {args[1]} \right\vert",
    is_loss=True,
)
BCE = Op(
    "binary_cross_entropy",
    lambda p, y: -(y * sympy.log(p) + (1 - y) * sympy.log(1 - p)),
    lambda p, y, out: ((1 - y) / (1 - p) - y / p, sympy.log(1 - p) - sympy.log(p)),
    "BCE",
    lambda args: (
        rf"-\left({args[1]} \log {args[0]} + (1 - {args[1]}) \log\left(1 - {args[0]}\right)\right)"
    ),
    is_loss=True,
)


def pow_const(exponent: sympy.Expr) -> Op:
    """`a ** exponent` for a constant exponent (its derivative needs no log)."""
    return Op(
        "pow",
        lambda a: a**exponent,
        lambda a, out: (exponent * a ** (exponent - 1),),
        f"^{number_text(exponent)}",
    )


def leaky(alpha: sympy.Expr) -> Op:
    """Leaky ReLU with slope `alpha` below zero."""
    return Op(
        "leaky_relu",
        lambda a: sympy.Max(a, alpha * a),
        # alpha below zero and 1 above; at 0 the slope is alpha, as in TensorFlow.
        lambda a, out: (alpha + (1 - alpha) * sympy.Heaviside(a, 0),),
        "leaky",
        lambda args: rf"\operatorname{{leaky}}_{{{latex(alpha)}}}\left({args[0]}\right)",
    )
