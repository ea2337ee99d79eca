"""`evaluate`: the forward and the backward pass at one point, with numbers.

A `Trace` holds every node's value and gradient, and writes the derivation
as tables: each gradient as its chain rule, its local derivatives and the
numbers, the way one checks a derivation by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from fdmlearn._checks import check_bool

from .graph import Graph, missing, values_for
from .node import Node
from .render import md_table, number_latex, paren, short_dict, short_latex, short_text
from .reverse import backward
from .values import MAX_EXACT_SIZE, too_big

__all__ = ["Trace", "evaluate"]


def _checked(value: sympy.Expr, graph: Graph, node: Node, exact: bool, what: str) -> sympy.Expr:
    """`value` as the pass keeps it (exact, or a 15-digit float), refused if not finite."""
    if not exact and value.is_extended_real is not False and not value.has(sympy.zoo, sympy.nan):
        value = sympy.Float(value, 15)
    elif exact and too_big(value):
        raise ValueError(
            f"the exact {what} of node {graph.names[id(node)]} has grown past "
            f"{MAX_EXACT_SIZE} terms (exact values of nested exp/tanh keep growing); "
            "pass exact=False to compute with 15-digit floats"
        )
    if (
        value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
        or value.is_extended_real is False
        or value.is_finite is False
    ):
        raise ValueError(
            f"node {graph.names[id(node)]} = {graph.definition(node)} has the {what} "
            f"{short_text(value)} at this point (not a finite real number)"
        )
    return value


def _computed(fn: Callable[..., Any], args: list[sympy.Expr], graph: Graph, node: Node) -> Any:
    # sympy's floats divide by zero with an exception, its exact numbers with zoo:
    # both are a node that is not finite at this point.
    try:
        return fn(*args)
    except ZeroDivisionError:
        raise ValueError(
            f"node {graph.names[id(node)]} = {graph.definition(node)} divides by zero at this "
            "point (not a finite real number)"
        ) from None


def trace(graph: Graph, values: Mapping[str, sympy.Expr], exact: bool) -> Trace:
    """The forward pass, then `backward` on the numbers, recording every local derivative."""
    val: dict[int, sympy.Expr] = {}
    for node in graph.order:
        if node.kind == "const":
            v = node.expr
        elif node.is_leaf:
            v = values[node.name]
        else:
            v = _computed(node._op.forward, [val[id(p)] for p in node.parents], graph, node)
        val[id(node)] = _checked(v, graph, node, exact, "value")
    local: dict[tuple[int, int], sympy.Expr] = {}

    def local_values(node: Node) -> list[sympy.Expr]:
        args = [*(val[id(p)] for p in node.parents), val[id(node)]]
        derivs = _computed(node._op.local, args, graph, node)
        out = []
        for i, (parent, d) in enumerate(zip(node.parents, derivs, strict=True)):
            if parent.kind != "const":
                d = _checked(d, graph, node, exact, "local derivative")
                local[(id(node), i)] = d
            out.append(d)
        return out

    def times(d: sympy.Expr, upstream: sympy.Expr) -> sympy.Expr:
        product = d * upstream
        if exact and too_big(product):
            raise ValueError(
                f"an exact gradient has grown past {MAX_EXACT_SIZE} terms; "
                "pass exact=False to compute with 15-digit floats"
            )
        return product

    grad = backward(graph, local_values, times=times)
    for node in graph.order:
        # A node the output does not depend on (none in a connected graph) gets 0.
        grad.setdefault(id(node), sympy.S.Zero)
    names = graph.names
    return Trace(
        value=val[id(graph.root)],
        values={names[id(n)]: val[id(n)] for n in graph.order if n.kind != "const"},
        gradients={names[id(n)]: grad[id(n)] for n in graph.order if n.kind != "const"},
        _graph=graph,
        _val=val,
        _grad=grad,
        _local=local,
    )


@dataclass(frozen=True, eq=False)
class Trace:
    """A forward and a backward pass through a graph at one point, with exact numbers.

    Made by `evaluate`. Compare it with a derivation by hand.

    Attributes:
        value: The output's value.
        values: `{name: value}` for every node (leaves and operations).
        gradients: `{name: d output / d node}` for every node.
    """

    value: sympy.Expr
    values: dict[str, sympy.Expr]
    gradients: dict[str, sympy.Expr]
    _graph: Graph = field(repr=False)
    _val: dict[int, sympy.Expr] = field(repr=False)
    _grad: dict[int, sympy.Expr] = field(repr=False)
    _local: dict[tuple[int, int], sympy.Expr] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"Trace(value={short_text(self.value)}, gradients={short_dict(self.gradients)}, "
            f"nodes={len(self.values)})"
        )

    def forward_rows(self) -> list[tuple[str, str, str]]:
        """Rows `(node, definition, value)` in data-flow order, as LaTeX."""
        g = self._graph
        return [
            (g.tex(n), g.definition(n), number_latex(self._val[id(n)]))
            for n in g.order
            if n.kind != "const"
        ]

    def backward_rows(self) -> list[tuple[str, str, str, str]]:
        """Rows `(gradient, chain rule, local derivatives, value)`, output first, as LaTeX."""
        g = self._graph
        out = g.tex(g.root)
        rows = []
        for node in reversed(g.order):
            # Inputs are data: their gradients are in `.gradients`, not in the derivation.
            if node.kind in ("const", "input"):
                continue
            grad_tex = rf"\frac{{\partial {out}}}{{\partial {g.tex(node)}}}"
            if node is g.root:
                rows.append((grad_tex, "start", "", "1"))
                continue
            chain, locals_, numbers_ = [], [], []
            for child, i in g.children[id(node)]:
                local_tex = rf"\frac{{\partial {g.tex(child)}}}{{\partial {g.tex(node)}}}"
                up_tex = rf"\frac{{\partial {out}}}{{\partial {g.tex(child)}}}"
                chain.append(local_tex if child is g.root else f"{local_tex} {up_tex}")
                locals_.append(f"{local_tex} = {g.local_tex(child, i)}")
                local_value = short_latex(self._local[(id(child), i)])
                if child is g.root:
                    numbers_.append(local_value)
                else:
                    upstream = short_latex(self._grad[id(child)])
                    numbers_.append(rf"{paren(local_value)} \cdot {paren(upstream)}")
            total = number_latex(self._grad[id(node)])
            numbers = " + ".join(numbers_)
            value = total if numbers == total.split(" ")[0] else f"{numbers} = {total}"
            rows.append((grad_tex, " + ".join(chain), r",\; ".join(locals_), value))
        return rows

    def to_markdown(self) -> str:
        """The forward and backward tables as Markdown with $...$ math.

        Returns:
            Two tables: every node's definition and value, then every
            gradient as chain rule, local derivative and numbers.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> x, w = bp.inputs("x"), bp.params("w")
            >>> md = bp.evaluate(bp.relu(w * x), {"x": 2, "w": -1}).to_markdown()
            >>> print(md.splitlines()[-1])
            | $\\frac{\\partial f}{\\partial w}$ | ... | $2 \\cdot 0 = 0$ |
        """
        forward = md_table(["node", "definition", "value"], self.forward_rows())
        backward = md_table(
            ["gradient", "chain rule", "local derivative", "value"], self.backward_rows()
        )
        return f"Forward pass:\n\n{forward}\n\nBackward pass:\n\n{backward}\n"

    def to_latex(self) -> str:
        """The forward and backward passes as one LaTeX `aligned` block.

        Returns:
            LaTeX without `$$` delimiters.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> x, w = bp.inputs("x"), bp.params("w")
            >>> print(bp.evaluate(w * x, {"x": 2, "w": 3}).to_latex().splitlines()[4])
            f &= w x = 6 \\\\
        """
        lines = [r"&\text{forward pass} \\"]
        for name, definition, value in self.forward_rows():
            rhs = value if definition in ("input", "parameter") else f"{definition} = {value}"
            lines.append(rf"{name} &= {rhs} \\")
        lines.append(r"&\text{backward pass} \\")
        for grad, chain, _, value in self.backward_rows():
            rhs = value if chain == "start" else f"{chain} = {value}"
            lines.append(rf"{grad} &= {rhs} \\")
        return "\\begin{aligned}\n" + "\n".join(lines) + "\n\\end{aligned}"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return f"$$\n{self.to_latex()}\n$$"


def evaluate(node: Node, at: Mapping[Node | str, Any], *, exact: bool = True) -> Trace:
    """Run the forward and backward pass through the graph at one point.

    Args:
        node: The output, usually a loss.
        at: A value for every input and parameter of the graph, keyed by node
            or name. Floats are read exactly (0.1 -> 1/10).
        exact: Keep exact sympy numbers (`True`) or use 15-digit floats,
            which keeps deep sigmoid networks fast.

    Returns:
        A `Trace` with every node's value and gradient, and the derivation as
        tables (`to_markdown`, `to_latex`).

    Raises:
        TypeError: If a value is not a number.
        ValueError: If a leaf has no value, a key is not a leaf of the graph,
            or a node is not finite at this point (e.g. log 0).

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> x, y = bp.inputs("x y")
        >>> w0, w1 = bp.params("w0 w1")
        >>> loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
        >>> t = bp.evaluate(loss, {"x": 2, "y": 3, "w0": 1, "w1": 2})
        >>> t.value, t.gradients["w0"], t.gradients["w1"]
        (1/2, 4, 2)
        >>> t.values["q"], t.values["yhat"]
        (2, 4)
    """
    graph = Graph(node)
    values = values_for(graph, at, ("input", "param"), "at")
    missing(graph, values, "input", "at")
    missing(graph, values, "param", "at")
    return trace(graph, values, check_bool("exact", exact))
