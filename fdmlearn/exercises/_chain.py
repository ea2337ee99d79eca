"""The numbers of the chain network: activations, losses and the wrong solvers.

`_Solver` describes one way of doing gradient descent on the chain, the right
one (all defaults) or one with a known mistake (`_MISTAKES`); the exercise
runs every one of them and names the mistake whose numbers a student got.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from fdmlearn.exercises.feedback import (
    _register,
)

ACTIVATIONS = ("relu", "leaky_relu", "identity", "sigmoid", "tanh")
_EXACT = {"relu", "leaky_relu", "identity"}  # piecewise linear: exact fractions throughout
_LEAK = Fraction(1, 5)

D = {
    name: _register(f"backprop.{name}", title, meaning)
    for name, title, meaning in [
        (
            "missing_half",
            "gradient twice too large (the ½ is missing)",
            "The numbers are those of (ŷ − y)² although the loss was ½(ŷ − y)² (or no loss was "
            "named): the 2 from differentiating the square was not cancelled. On the "
            "assignment's numbers this gives w0 = 1/5, w1 = 8/5 instead of 3/5, 9/5.",
        ),
        (
            "doubled_half",
            "gradient half the right size (½ counted twice)",
            "The derivative of the loss came out as ½(ŷ − y) for ½(ŷ − y)², or as (ŷ − y) for "
            "(ŷ − y)²: a factor ½ too many.",
        ),
        (
            "dropped_activation_derivative",
            "activation derivative dropped",
            "The chain rule skips the derivative of an activation (for ReLU the indicator "
            "1[z > 0]). The numbers can still come out right, but only because the unit is "
            "active at the exercise's points; the formula is wrong wherever it is not. This is "
            "the seed notebook's own derivation.",
        ),
        (
            "forward_without_activation",
            "forward pass without the activation",
            "ŷ was computed as if the layers were linear (ŷ = w1·w0·x), leaving out the ReLU.",
        ),
        (
            "wrong_sign",
            "wrong sign",
            "The update moves up the gradient (w + η·g), or the derivative has the sign of "
            "(y − ŷ) instead of (ŷ − y): gradient ascent, the loss grows.",
        ),
        (
            "stale_weights",
            "second weight updated with the already-updated first one",
            "Within one update the gradients must all be taken at the old weights. Here one "
            "weight was updated first and its new value used to compute the other's gradient.",
        ),
        (
            "batch_summed",
            "batch gradient summed instead of averaged",
            "With a batch of several points the gradient is the mean of the per-point "
            "gradients (the loss is a mean); the sum makes the step as many times larger.",
        ),
        (
            "lr_twice",
            "learning rate applied twice",
            "The step is η²·g instead of η·g: the learning rate was multiplied into the gradient "
            "and again into the update.",
        ),
        (
            "missing_learning_rate",
            "learning rate left out",
            "The update is w − g: the gradient was subtracted without multiplying by η.",
        ),
        (
            "chain_wrong_layer",
            "chain-rule factors from the wrong layers",
            "The gradient of w0 must multiply the weights of the layers *above* it (w1, the way "
            "the error flows back); here it uses the weights of the layers below (w0 itself).",
        ),
        (
            "gradients_swapped",
            "gradients of the two weights swapped",
            "Each weight was updated with the other weight's gradient.",
        ),
        (
            "batch_instead_of_per_point",
            "one averaged update instead of one per point",
            "The exercise asks for one update per data point (batch size 1); the answer makes a "
            "single update with the gradients averaged over all points.",
        ),
        (
            "per_point_instead_of_batch",
            "one update per point instead of one per batch",
            "The exercise asks for one update per batch (gradients averaged over the batch); "
            "the answer updates after every point.",
        ),
        (
            "output_not_loss_derivative",
            "derivative of ŷ, not of the loss",
            "The formula is ∂ŷ/∂w: the factor ∂L/∂ŷ (= ŷ − y for ½(ŷ − y)²) is missing.",
        ),
        (
            "value_not_expression",
            "a number where a formula was asked",
            "The part asks for the partial derivative as a formula; the answer is its value at "
            "one point.",
        ),
        (
            "not_a_loss",
            "not a regression loss",
            "The chosen 'loss' is not zero at ŷ = y or can be negative, so minimising it does not "
            "fit the data.",
        ),
        (
            "graph_nodes_combined",
            "compute graph with combined nodes",
            "A compute graph has one node per operation (product, activation, loss); the answer "
            "folds several into one node, which hides where the chain rule applies.",
        ),
    ]
}


# --------------------------------------------------------------------------- activations


def _act(name: str, z: Any) -> Any:
    if name == "relu":
        return z if z > 0 else z * 0
    if name == "leaky_relu":
        return z if z > 0 else z * _LEAK
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-float(z)))
    return math.tanh(float(z))


def _dact(name: str, z: Any) -> Any:
    if name == "relu":
        return 1 if z > 0 else 0
    if name == "leaky_relu":
        return 1 if z > 0 else _LEAK
    if name == "identity":
        return 1
    if name == "sigmoid":
        s = _act("sigmoid", z)
        return s * (1.0 - s)
    return 1.0 - math.tanh(float(z)) ** 2


def _sym_act(name: str, z: sympy.Expr) -> sympy.Expr:
    return {
        "relu": lambda: sympy.Max(0, z),
        "leaky_relu": lambda: sympy.Max(z, z / 5),
        "identity": lambda: z,
        "sigmoid": lambda: 1 / (1 + sympy.exp(-z)),
        "tanh": lambda: sympy.tanh(z),
    }[name]()


def _np_act(name: str, z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda: np.maximum(z, 0.0),
        "leaky_relu": lambda: np.where(z > 0, z, 0.2 * z),
        "identity": lambda: z,
        "sigmoid": lambda: 1.0 / (1.0 + np.exp(-z)),
        "tanh": lambda: np.tanh(z),
    }[name]()


def _np_dact(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1 - s)
    return {
        "relu": lambda: (z > 0).astype(float),
        "leaky_relu": lambda: np.where(z > 0, 1.0, 0.2),
        "identity": lambda: np.ones_like(z),
        "tanh": lambda: 1 - np.tanh(z) ** 2,
    }[name]()


_ACT_TEX = {
    "relu": r"\operatorname{relu}",
    "leaky_relu": r"\operatorname{lrelu}",
    "identity": "",
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
}


# --------------------------------------------------------------------------- losses


@dataclass(frozen=True)
class _Loss:
    """A loss of (ŷ, y): its formula, and dL/dŷ as a fast function."""

    expr: sympy.Expr  # in the symbols yhat, y
    grad: Callable[[Any, Any], Any]
    tex: str
    kind: str  # "half_squared", "squared", "other"


_YHAT, _Y = sympy.symbols("yhat y", real=True)


def _squared(c: Fraction) -> _Loss:
    c2 = 2 * c
    tex = {Fraction(1, 2): r"\tfrac12", Fraction(1): ""}.get(
        c, rf"\tfrac{{{c.numerator}}}{{{c.denominator}}}"
    )
    kind = {Fraction(1, 2): "half_squared", Fraction(1): "squared"}.get(c, "other")
    return _Loss(
        sympy.Rational(c.numerator, c.denominator) * (_YHAT - _Y) ** 2,
        lambda yh, y: c2 * (yh - y),
        rf"{tex}(\hat y - y)^2",
        kind,
    )


HALF_SQUARED = _squared(Fraction(1, 2))


def _loss_from(expr: sympy.Expr, batch_size: int) -> _Loss:
    """Recognise c·(ŷ − y)² exactly; anything else gets a float derivative."""
    expr = expr.subs(sympy.Symbol("n"), batch_size)
    ratio = sympy.simplify(expr / (_YHAT - _Y) ** 2)
    if ratio.is_Rational and ratio > 0:
        return _squared(Fraction(int(ratio.p), int(ratio.q)))
    derivative = sympy.diff(expr, _YHAT)
    f = sympy.lambdify((_YHAT, _Y), derivative, modules=["math"])
    return _Loss(expr, lambda yh, y: float(f(float(yh), float(y))), sympy.latex(expr), "other")


# --------------------------------------------------------------------------- the exercise


def _params(depth: int) -> tuple[str, ...]:
    return tuple(f"w{k}" for k in range(depth))


@dataclass(frozen=True, eq=False)
class _Solver:
    """One way of doing the computation, right (all defaults) or with one known mistake."""

    scale: Any = 1
    sign: int = -1
    lr_power: int = 1
    reduce: str = "mean"
    batch_size: int | None = None
    stale: str | None = None
    swap: bool = False
    drop: bool = False
    linear: bool = False
    mirror: bool = False


RIGHT = _Solver()
"""The right computation."""

_MISTAKES: tuple[tuple[str, _Solver, str], ...] = (
    ("missing_half", _Solver(scale=2), "these are the numbers of a gradient twice as large"),
    ("doubled_half", _Solver(scale=Fraction(1, 2)), "these are the numbers of half the gradient"),
    ("wrong_sign", _Solver(sign=1), "the weights moved up the gradient (w + η·g)"),
    ("lr_twice", _Solver(lr_power=2), "the step is η²·g, not η·g"),
    ("missing_learning_rate", _Solver(lr_power=0), "the step is g itself, without η"),
    (
        "stale_weights",
        _Solver(stale="backward"),
        "the last layer's weight was updated first and its new value used for the earlier one",
    ),
    (
        "stale_weights",
        _Solver(stale="forward"),
        "w0 was updated first and its new value used for the later weights",
    ),
    ("batch_summed", _Solver(reduce="sum"), "the batch's gradients were added, not averaged"),
    ("gradients_swapped", _Solver(swap=True), "each weight got the other one's gradient"),
    ("chain_wrong_layer", _Solver(mirror=True), "w0's gradient uses the wrong layer's weights"),
    (
        "dropped_activation_derivative",
        _Solver(drop=True),
        "the chain rule skipped the activation derivatives",
    ),
    (
        "forward_without_activation",
        _Solver(linear=True),
        "the network was computed as if it had no activations",
    ),
)
