"""Reverse mode: THE backward pass, used for symbols, exact numbers and NumPy arrays.

Backpropagation walks the graph once, from the output back to the leaves.
The gradient of the output with respect to a node is the sum, over the nodes
that use it, of their local derivative times their own gradient (the
*upstream* gradient):

$$\\frac{\\partial L}{\\partial n} = \\sum_{c \\text{ uses } n}
\\frac{\\partial c}{\\partial n} \\frac{\\partial L}{\\partial c}.$$

`backward` is that loop, once. What a "local derivative" and "times" are is
up to the caller: sympy expressions for `gradients`, exact numbers for
`evaluate`, NumPy arrays for `gradient_function`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Set
from typing import Any

import sympy

from fdmlearn._checks import check_bool, check_choice

from .graph import Graph
from .node import Node
from .ops import ONE, ZERO

__all__ = ["backward", "gradients", "targets"]


def backward(
    graph: Graph,
    local: Callable[[Node], Iterable[Any]],
    *,
    seed: Any = ONE,
    times: Callable[[Any, Any], Any] = operator.mul,
    plus: Callable[[Any, Any], Any] = operator.add,
) -> dict[int, Any]:
    """The reverse-mode pass: `{id(node): d root / d node}` for every node the root reaches.

    Args:
        graph: The graph, in topological order.
        local: `local(node)` gives the node's local derivatives, one per parent.
        seed: d root / d root (1, or an array of ones).
        times: local derivative times upstream gradient.
        plus: adds the contributions of two uses of a node.
    """
    grad: dict[int, Any] = {id(graph.root): seed}
    for node in reversed(graph.order):
        upstream = grad.get(id(node))
        if upstream is None or node.is_leaf:
            continue
        for parent, derivative in zip(node.parents, local(node), strict=True):
            if parent.kind == "const":
                continue
            term = times(derivative, upstream)
            key = id(parent)
            grad[key] = plus(grad[key], term) if key in grad else term
    return grad


def targets(graph: Graph, wrt: Iterable[Node | str] | None) -> list[Node]:
    """The leaves to differentiate with respect to: `wrt`, or every parameter in creation order."""
    if isinstance(wrt, str | Node):
        raise TypeError("wrt must be a list of nodes or names, e.g. [w0, w1]")
    if wrt is None:
        return [
            n for n in sorted(graph.leaves.values(), key=lambda n: n._order) if n.kind == "param"
        ]
    # A mapping or a set has no order the gradients could follow.
    if not isinstance(wrt, Iterable) or isinstance(wrt, Mapping | Set):
        raise TypeError(f"wrt must be a list of nodes or names, got {type(wrt).__name__}")
    return [graph.resolve(w, ("input", "param"), "wrt entry") for w in wrt]


# Symbolic gradients keep each product as a linked list of factors, (factor,
# rest), and multiply it out once at the end: multiplying step by step would
# flatten an ever longer product at every node (quadratic in depth), and
# nesting unevaluated products would give sympy an expression too deep to print.
def _times(derivative: sympy.Expr, upstream: Any) -> Any:
    if derivative is ZERO or upstream is ZERO:
        return ZERO
    if derivative is ONE:
        return upstream
    if upstream is ONE:
        return derivative
    return (derivative, upstream)


def _product(chain: Any, evaluate: bool) -> sympy.Expr:
    factors = []
    while isinstance(chain, tuple):
        factors.append(chain[0])
        chain = chain[1]
    if not factors:
        return chain
    factors.append(chain)
    return sympy.Mul(*factors, evaluate=evaluate)


def gradients(
    node: Node,
    wrt: Iterable[Node | str] | None = None,
    *,
    evaluate: bool = True,
    in_terms_of: str = "leaves",
) -> dict[str, sympy.Expr]:
    """Symbolic gradients of `node` with respect to leaves, by the reverse-mode chain rule.

    Walks the graph from `node` back to the leaves once. Each node's gradient
    is the sum, over the nodes that use it, of their local derivative times
    their own gradient; shared sub-graphs are visited once.

    Args:
        node: The output to differentiate, usually the loss.
        wrt: Leaves (nodes or names); all parameters of the graph, in the
            order they were created, when omitted.
        evaluate: Let sympy canonicalise each product and sum (readable, what
            you want for small networks). `False` keeps them as written by
            the chain rule; the expressions are equal either way.
        in_terms_of: `"leaves"` writes each gradient in the inputs and
            parameters (graphs up to `MAX_DEPTH` = 100 operations deep);
            `"nodes"` writes it with the names of the graph's nodes, as the
            chain rule is written by hand ($x (1 - h_1^2) w_2 \\dots$), which
            works at any depth in time linear in the number of nodes.

    Returns:
        `{name: sympy expression}` in the order of `wrt`.

    Raises:
        TypeError: If `node` is not a Node, `wrt` is not a list, or an entry
            of `wrt` is neither a node nor a name.
        ValueError: If an entry of `wrt` is not a leaf of the graph, or the
            graph is too deep for `in_terms_of="leaves"`.

    Examples:
        The seed notebook's network:

        >>> from fdmlearn import backprop as bp
        >>> x, y = bp.inputs("x y")
        >>> w0, w1 = bp.params("w0 w1")
        >>> loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
        >>> grads = bp.gradients(loss, [w0, w1])
        >>> list(grads)
        ['w0', 'w1']
        >>> grads["w0"].subs({"x": 2, "y": 3, "w0": 1, "w1": 2})
        4
        >>> bp.gradients(loss, [w1], in_terms_of="nodes")["w1"]
        r*(-y + yhat)*Heaviside(s, 0)
    """
    graph = Graph(node)
    evaluate = check_bool("evaluate", evaluate)
    check_choice("in_terms_of", in_terms_of, ("leaves", "nodes"))
    chosen = targets(graph, wrt)
    if in_terms_of == "leaves":
        node.expr  # noqa: B018 - raises the clear error for a too deep graph

        def symbol(n: Node) -> sympy.Expr:
            return n.expr
    else:
        symbol = graph.symbol

    def local(n: Node) -> tuple[sympy.Expr, ...]:
        return n._op.local(*(symbol(p) for p in n.parents), symbol(n))

    def plus(a: Any, b: Any) -> sympy.Expr:
        return sympy.Add(_product(a, evaluate), _product(b, evaluate), evaluate=evaluate)

    grad = backward(graph, local, times=_times, plus=plus)
    return {n.name: _product(grad.get(id(n), ZERO), evaluate) for n in chosen}
