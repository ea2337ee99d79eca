"""The vanishing gradient, derived: `chain_gradient` on a chain of one-neuron layers.

The chain is $h_0 = x$, $h_k = f(z_k)$ with $z_k = w_k h_{k-1}$. Its gradient
with respect to the first weight is written with the nodes' names
(`chain_rule`: one factor $w_k f'(z_k)$ per layer), which stays short at any
depth; `gradient` expands it in the leaves for chains up to 50 layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from fdmlearn._checks import check_array, check_choice, check_int, check_real

from .functions import activation as lookup
from .node import MAX_DEPTH, Node, inputs, params
from .ops import ONE
from .reverse import gradients
from .trace import evaluate

__all__ = ["MAX_CHAIN_DEPTH", "ChainGradient", "chain_gradient"]

_DERIVATIVE_BOUNDS = {
    "sigmoid": sympy.Rational(1, 4),
    "tanh": ONE,
    "relu": ONE,
    "leaky_relu": ONE,
    "identity": ONE,
}
# 10,000 layers take about 10 s; this keeps a typo (10**9) from filling the
# memory or running for hours.
MAX_CHAIN_DEPTH = 10_000
"""The deepest chain `chain_gradient` builds."""


@dataclass(frozen=True, eq=False, repr=False)
class ChainGradient:
    """The gradient reaching the first weight of a depth-n chain, and its bound.

    Made by `chain_gradient`. The chain is $h_0 = x$,
    $h_k = f(z_k)$ with $z_k = w_k h_{k-1}$ for $k = 1..n$, and

    $$\\frac{\\partial h_n}{\\partial w_1} = x\\, f'(z_1) \\prod_{k=2}^{n} w_k f'(z_k),
    \\qquad \\left|\\frac{\\partial h_n}{\\partial w_1}\\right| \\le |x|
    \\Big(\\sup f'\\Big)^n \\prod_{k=2}^{n} |w_k|.$$

    Attributes:
        depth: The number of layers n.
        activation: The activation's name.
        x: The input node.
        weights: The weight nodes $w_1 .. w_n$.
        output: The last node $h_n$.
        chain_rule: $\\partial h_n / \\partial w_1$ written with the nodes'
            names ($x$, $w_k$, $z_k$, $h_k$), one factor per layer.
        derivative_bound: $\\sup |f'|$: 1/4 for sigmoid, 1 for tanh and ReLU.
        bound: `derivative_bound ** depth`, the factor the activations alone
            can contribute: $(1/4)^n$ for sigmoid, the vanishing gradient.
    """

    depth: int
    activation: str
    x: Node
    weights: tuple[Node, ...]
    output: Node
    chain_rule: sympy.Expr
    derivative_bound: sympy.Expr
    bound: sympy.Expr
    _expanded: list[sympy.Expr] = field(default_factory=list)

    @property
    def gradient(self) -> sympy.Expr:
        """$\\partial h_n / \\partial w_1$ in terms of $x$ and the weights.

        Raises:
            ValueError: For chains deeper than 50 layers (use `chain_rule`).
        """
        if not self._expanded:
            if 2 * self.depth > MAX_DEPTH:
                raise ValueError(
                    f"the gradient of a {self.depth}-layer chain is too deeply nested to "
                    f"expand in the leaves (at most {MAX_DEPTH // 2} layers); "
                    "use .chain_rule, written with the nodes' names"
                )
            wrt = [self.weights[0]]
            grad = gradients(self.output, wrt, evaluate=self.depth <= 20)
            self._expanded.append(grad[self.weights[0].name])
        return self._expanded[0]

    def __repr__(self) -> str:
        return (
            f"ChainGradient(depth={self.depth}, activation={self.activation!r}, "
            f"bound={self.bound if self.depth <= 20 else f'{float(self.bound):.3g}'})"
        )

    def _repr_latex_(self) -> str:
        return f"$${self.formula()}$$"

    def formula(self) -> str:
        """The gradient as a product of per-layer factors, in LaTeX.

        Returns:
            LaTeX without `$` delimiters.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> print(bp.chain_gradient(4).formula())
            \\frac{\\partial h_{4}}{\\partial w_1} = x\\, \\sigma'(z_1) \\prod_{k=2}^{4} ...
        """
        f = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{relu}"}.get(
            self.activation, "f"
        )
        if self.depth == 1:
            return rf"\frac{{\partial h_1}}{{\partial w_1}} = x\, {f}'(z_1)"
        return (
            rf"\frac{{\partial h_{{{self.depth}}}}}{{\partial w_1}} = x\, {f}'(z_1)"
            rf" \prod_{{k=2}}^{{{self.depth}}} w_k\, {f}'(z_k)"
        )

    def value(self, x: float = 1.0, weights: float | Sequence[float] = 1.0) -> float:
        """The gradient's value at a point, as a float.

        Args:
            x: The input.
            weights: One value for all weights, or one per layer.

        Returns:
            $\\partial h_n / \\partial w_1$ at that point.

        Raises:
            TypeError: If `x` or a weight is not a number.
            ValueError: If a value is not finite, or `weights` is a sequence
                of the wrong length.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> chain = bp.chain_gradient(2, "relu")
            >>> chain.value(x=1.0, weights=[2.0, 3.0])
            3.0
        """
        x = check_real("x", x)
        if isinstance(weights, Sequence | np.ndarray) and not isinstance(weights, str):
            ws = check_array("weights", weights, shape=(self.depth,), kind="float").tolist()
        else:
            ws = [check_real("weights", weights)] * self.depth
        at: dict[Any, Any] = {self.x: x, **dict(zip(self.weights, ws, strict=True))}
        trace = evaluate(self.output, at, exact=False)
        return float(trace.gradients[self.weights[0].name])


def chain_gradient(depth: int, activation: str = "sigmoid") -> ChainGradient:
    """Derive the gradient that reaches the first weight of a depth-n chain.

    One neuron per layer, no bias: $h_k = f(w_k h_{k-1})$, $h_0 = x$. The
    gradient of the output with respect to the first weight is a product of
    one factor $w_k f'(z_k)$ per layer, so when $|f'| \\le 1/4$ (sigmoid) it
    shrinks like $(1/4)^n$ unless the weights grow: the vanishing gradient,
    derived symbolically. Time and memory are linear in the depth.

    Args:
        depth: The number of layers n, from 1 to `MAX_CHAIN_DEPTH` (10,000).
        activation: `"sigmoid"`, `"tanh"`, `"relu"`, `"leaky_relu"` or `"identity"`.

    Returns:
        A `ChainGradient` with `.chain_rule`, `.gradient`, `.bound`,
        `.formula()` and `.value(...)`.

    Raises:
        TypeError: If `depth` is not an integer or `activation` not a string.
        ValueError: If `depth` is out of range or the activation is unknown.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> chain = bp.chain_gradient(3)
        >>> chain.bound
        1/64
        >>> round(chain.value(x=1.0, weights=1.0), 6)
        0.009642
        >>> bp.chain_gradient(2, "tanh").gradient
        w2*x*(1 - tanh(w1*x)**2)*(1 - tanh(w2*tanh(w1*x))**2)
        >>> bp.chain_gradient(3, "tanh").chain_rule
        w2*w3*x*(1 - h1**2)*(1 - h2**2)*(1 - h3**2)
        >>> bp.chain_gradient(1000, "relu")
        ChainGradient(depth=1000, activation='relu', bound=1)
    """
    depth = check_int("depth", depth, minimum=1, maximum=MAX_CHAIN_DEPTH)
    activation = check_choice("activation", activation, tuple(_DERIVATIVE_BOUNDS))
    act = lookup(activation)
    x = inputs("x")
    weights = params(" ".join(f"w{k}" for k in range(1, depth + 1)))
    weights = weights if isinstance(weights, tuple) else (weights,)
    h = x
    for k, w in enumerate(weights, start=1):
        h = act((w * h).named(f"z{k}")).named(f"h{k}")
    rule = gradients(h, [weights[0]], in_terms_of="nodes")[weights[0].name]
    bound = _DERIVATIVE_BOUNDS[activation]
    return ChainGradient(depth, activation, x, weights, h, rule, bound, bound**depth)
