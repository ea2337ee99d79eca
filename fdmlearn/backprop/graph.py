"""A node's graph: its nodes in order, their names, and points given by name.

`Graph` is what every pass walks: the nodes in topological order (parents
first), who uses each node, and a name for every node, the user's or an
automatic one (`L` for a loss, `yhat` for its prediction, then `q, r, s, ...`),
so that derivations can be written with names instead of nested formulas.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

import sympy

from .node import Node, topological
from .render import latex, number_text, short_text
from .values import exact

_AUTO_NAMES = "q r s t u v".split()  # then z1, z2, ...


class Graph:
    """A node's graph in topological order, with every node named."""

    def __init__(self, root: Node, what: str = "node") -> None:
        if not isinstance(root, Node):
            raise TypeError(f"{what} must be a Node, got {type(root).__name__}")
        self.root = root
        self.order = topological(root)
        self.leaves: dict[str, Node] = {}
        for node in self.order:
            if node.kind in ("input", "param"):
                other = self.leaves.setdefault(node.name, node)
                if other is not node:
                    raise ValueError(f"two different leaves are both named {node.name!r}")
        self.children: dict[int, list[tuple[Node, int]]] = {id(n): [] for n in self.order}
        for node in self.order:
            for i, parent in enumerate(node.parents):
                self.children[id(parent)].append((node, i))
        self.names = self._name_nodes()

    def _name_nodes(self) -> dict[int, str]:
        names: dict[int, str] = {}
        taken = {n.name for n in self.order if n.name}
        root = self.root
        wanted: list[tuple[Node, str]] = []
        if not root.name and not root.is_leaf:
            wanted.append((root, "L" if root._op.is_loss else "f"))
            if root._op.is_loss and not root.parents[0].is_leaf:
                wanted.append((root.parents[0], "yhat"))
        for node, name in wanted:
            if not node.name and id(node) not in names and name not in taken:
                names[id(node)] = name
                taken.add(name)
        pool = (n for n in itertools.chain(_AUTO_NAMES, (f"z{k}" for k in itertools.count(1))))
        # Skip v when there is a v1: an auto name must not look like a leaf's.
        stems = {re.sub(r"_?\d+$", "", n) for n in taken}
        for node in self.order:
            if node.kind == "const":
                names[id(node)] = number_text(node.expr)
            elif node.name:
                names[id(node)] = node.name
            elif id(node) not in names:
                name = next(pool)
                while name in taken or name in stems:
                    name = next(pool)
                names[id(node)] = name
                taken.add(name)
        return names

    def symbol(self, node: Node) -> sympy.Expr:
        """What stands for the node in a derivation: its name, or its value if constant."""
        if node.kind == "const":
            return node.expr
        return sympy.Symbol(self.names[id(node)])

    def tex(self, node: Node) -> str:
        return latex(self.symbol(node))

    def definition(self, node: Node) -> str:
        """LaTeX of the node in terms of its parents' names: `w_{0} x`, `relu(q)`."""
        if node.is_leaf:
            return {"input": "input", "param": "parameter"}.get(node.kind, "constant")
        if node._op.display:
            return node._op.display([self.tex(p) for p in node.parents])
        return latex(node._op.forward(*(self.symbol(p) for p in node.parents)))

    def local_tex(self, node: Node, i: int) -> str:
        """LaTeX of d node / d (its i-th argument), written with names (the derivation)."""
        if node._op.local_display:
            return node._op.local_display([self.tex(p) for p in node.parents])[i]
        args = (self.symbol(p) for p in node.parents)
        return latex(node._op.local(*args, self.symbol(node))[i])

    def resolve(self, key: Any, kinds: tuple[str, ...], what: str) -> Node:
        """The leaf of this graph that `key` (a node or a name) stands for."""
        if isinstance(key, Node):
            if key.is_leaf and key.kind in kinds and self.leaves.get(key.name) is key:
                return key
            if not key.is_leaf or key.kind == "const":
                raise ValueError(f"{what} {key!r} is not a leaf (an input or a parameter)")
        elif isinstance(key, str):
            node = self.leaves.get(key)
            if node is not None and node.kind in kinds:
                return node
        else:
            raise TypeError(f"{what} must be a node or a name, got {type(key).__name__}")
        name = short_text(repr(key.name if isinstance(key, Node) else key), 40)
        known = [n for n, v in self.leaves.items() if v.kind in kinds]
        listed = ", ".join(known[:8]) + (f", ... ({len(known) - 8} more)" if len(known) > 8 else "")
        kind = " or ".join("an input" if k == "input" else "a parameter" for k in kinds)
        raise ValueError(f"{what} {name} is not {kind} of this graph (it has: {listed or 'none'})")


def values_for(
    graph: Graph, point: Mapping[Any, Any], kinds: tuple[str, ...], what: str
) -> dict[str, sympy.Expr]:
    """Exact values from a mapping keyed by leaf or name, checked against the graph."""
    if not isinstance(point, Mapping):
        raise TypeError(f"{what} must be a mapping like {{'x': 1}}, got {type(point).__name__}")
    values: dict[str, sympy.Expr] = {}
    for key, value in point.items():
        node = graph.resolve(key, kinds, f"{what} has key")
        if node.name in values:
            raise ValueError(f"{what} gives {node.name!r} twice (as a node and as a name)")
        values[node.name] = exact(value, f"{what}[{node.name!r}]")
    return values


def missing(graph: Graph, values: Mapping[str, Any], kind: str, what: str) -> None:
    """Raise naming the first leaf of `kind` that has no value."""
    for name, node in graph.leaves.items():
        if node.kind == kind and name not in values:
            label = "input" if kind == "input" else "parameter"
            raise ValueError(f"{what} is missing a value for the {label} {name!r}")
