"""Nodes of a compute graph: leaves (`inputs`, `params`, constants) and operations.

A node keeps its operation and its parents, not a nested formula: its sympy
expression in terms of the leaves (`.expr`) is built only when asked for, bottom up,
and only up to `MAX_DEPTH` operations deep. Deeper graphs (a 1,000-layer
chain) are built, differentiated, evaluated and printed through the nodes'
own names (`gradients(..., in_terms_of="nodes")`, `evaluate`), which costs
time linear in the number of nodes.
"""

from __future__ import annotations

import itertools
import numbers
import re
from collections.abc import Callable
from typing import Any

import sympy

from . import ops
from .render import short_text
from .values import exact

__all__ = ["MAX_DEPTH", "Node", "inputs", "params"]

# sympy's algorithms (evaluation, printing, substitution) recurse over an
# expression; at about 150 operations deep they overflow Python's stack.
MAX_DEPTH = 100
"""How many operations deep `Node.expr` and `gradients(in_terms_of="leaves")` go."""

MAX_EXPONENT = 10_000
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_creation = itertools.count()


def check_name(name: Any, what: str) -> str:
    """A node name: a letter followed by letters, digits or `_`."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, got {type(name).__name__} {name!r}")
    if not _NAME.match(name):
        raise ValueError(
            f"{what} must be a letter followed by letters, digits or '_', got {name!r}"
        )
    return name


def _operator(op: ops.Op, reflected: bool = False) -> Callable[[Node, Any], Node]:
    """The method for `node <op> other`, or with `reflected` for `other <op> node`."""

    def method(self: Node, other: Any) -> Node:
        return apply(op, other, self) if reflected else apply(op, self, other)

    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    return method


class Node:
    """One value in a compute graph: a leaf (input, parameter, constant) or an operation.

    Nodes are made by `inputs`, `params` and the functions of this module, and
    combine with each other and with Python numbers through `+ - * / **` and
    unary minus, on either side (`2 * x + 1`, `10.0 / f`). Numbers become exact
    constants (0.1 -> 1/10).

    Attributes:
        kind: `"input"`, `"param"`, `"const"` or `"op"`.
        op: The operation's name (`"mul"`, `"relu"`, ...) or `None` for a leaf.
        parents: The nodes this one is computed from, in argument order.
        name: The node's name, or `None` for an unnamed operation (derivations
            then name it `q, r, s, ...`).
        depth: The number of operations on the longest path from a leaf.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> x = bp.inputs("x")
        >>> w = bp.params("w")
        >>> q = (w * x).named("q")
        >>> q
        Node(q = w*x)
        >>> (0.5 * q + 1).expr
        w*x/2 + 1
        >>> q.parents
        (Node(param w), Node(input x))
    """

    __slots__ = ("_expr", "_op", "_order", "depth", "kind", "name", "parents")
    # NumPy must not broadcast a node over an array (`np.ones(3) * x` would
    # make an array of nodes): it defers to Node's operators, which refuse.
    __array_ufunc__ = None

    def __init__(
        self,
        kind: str,
        expr: sympy.Expr | None,
        op: ops.Op | None = None,
        parents: tuple[Node, ...] = (),
        name: str | None = None,
    ) -> None:
        self.kind = kind
        self._expr = expr
        self._op = op
        self.parents = parents
        self.name = name
        self.depth = 1 + max(p.depth for p in parents) if parents else 0
        self._order = next(_creation)

    @property
    def expr(self) -> sympy.Expr:
        """The sympy expression of the node in terms of the leaves.

        Raises:
            ValueError: If the node is more than `MAX_DEPTH` operations deep
                (sympy cannot work with so deeply nested expressions).
        """
        if self._expr is None:
            if self.depth > MAX_DEPTH:
                raise ValueError(
                    f"this node is {self.depth} operations deep; fdmlearn writes expressions "
                    f"in terms of the leaves only up to {MAX_DEPTH} deep (sympy recurses over "
                    "them). Use gradients(..., in_terms_of='nodes'), evaluate(..., exact=False) "
                    "or gradient_function for deeper graphs"
                )
            # Bottom up over the sub-graph, so that no sympy call nests.
            for node in topological(self):
                if node._expr is None:
                    node._expr = node._op.forward(*(p._expr for p in node.parents))
        return self._expr

    @property
    def op(self) -> str | None:
        """The operation's name (`"mul"`, `"relu"`, ...), or `None` for a leaf."""
        return self._op.name if self._op else None

    @property
    def is_leaf(self) -> bool:
        """Whether the node is an input, a parameter or a constant."""
        return self._op is None

    def named(self, name: str) -> Node:
        """Return this operation under a name used in derivations and figures.

        Args:
            name: A letter followed by letters, digits or `_` (`"q"`, `"h1"`,
                `"yhat"`, printed $\\hat{y}$).

        Returns:
            A new node with the same operation and parents.

        Raises:
            TypeError: If the node is a leaf (leaves are named when created)
                or `name` is not a string.
            ValueError: If `name` is not a valid name.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> x, w = bp.inputs("x"), bp.params("w")
            >>> bp.relu(w * x).named("h").name
            'h'
        """
        if self.is_leaf:
            raise TypeError(f"{self!r} is a leaf: name it when you create it")
        check_name(name, "name")
        return Node(self.kind, self._expr, self._op, self.parents, name)

    def __repr__(self) -> str:
        if self.is_leaf:
            return f"Node({self.kind} {self.name or self.expr})"
        # A deep node shows its operation and its parents, never the nested formula.
        if self.depth > 12:
            args = ", ".join(p.name or (str(p._expr) if p.is_leaf else "...") for p in self.parents)
            body = f"{self._op.name}({args}), {self.depth} operations deep"
        else:
            body = short_text(self.expr, 80)
        return f"Node({self.name} = {body})" if self.name else f"Node({body})"

    # Arithmetic builds new nodes; Python numbers become constants. Each
    # operator comes twice: `x - 1` (the node on the left) and `1 - x`.
    __add__, __radd__ = _operator(ops.ADD), _operator(ops.ADD, reflected=True)
    __sub__, __rsub__ = _operator(ops.SUB), _operator(ops.SUB, reflected=True)
    __mul__, __rmul__ = _operator(ops.MUL), _operator(ops.MUL, reflected=True)
    __truediv__, __rtruediv__ = _operator(ops.DIV), _operator(ops.DIV, reflected=True)
    __rpow__ = _operator(ops.POW, reflected=True)

    def __pow__(self, other: Any) -> Node:
        if isinstance(other, Node):
            return apply(ops.POW, self, other)
        exponent = exact(other, "the exponent")
        if abs(exponent) > MAX_EXPONENT:
            # Exact powers of numbers have as many digits as the exponent says.
            raise ValueError(
                f"the exponent must be between -{MAX_EXPONENT} and {MAX_EXPONENT}, got {other}"
            )
        return apply(ops.pow_const(exponent), self)

    def __neg__(self) -> Node:
        return apply(ops.NEG, self)

    def __pos__(self) -> Node:
        return self


def as_node(value: Any, what: str = "a graph operand") -> Node:
    """A node, or a number turned into an exact constant node."""
    if isinstance(value, Node):
        return value
    if isinstance(value, str) or not isinstance(value, numbers.Number | sympy.Basic):
        raise TypeError(
            f"{what} must be a Node or a number, got {type(value).__name__} "
            f"{short_text(repr(value), 60)}"
        )
    return Node("const", exact(value, what))


def apply(op: ops.Op, *args: Any, names: tuple[str, ...] = ()) -> Node:
    """A new operation node; its expression waits until someone asks for it.

    `names` are the arguments' names for error messages (`"y_true"`).
    """
    whats = names or (f"an operand of {op.name}",) * len(args)
    parents = tuple(as_node(a, what) for a, what in zip(args, whats, strict=True))
    return Node("op", None, op, parents)


def topological(root: Node) -> list[Node]:
    """The nodes `root` depends on, parents before children, `root` last.

    Iterative depth-first search, so a 1,000-layer chain does not overflow
    Python's recursion limit.
    """
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        # Pushed last = visited first: operations before leaves, so that in the
        # order a leaf comes right before the node that uses it.
        parents = [p for p in node.parents if not p.is_leaf] + [
            p for p in node.parents if p.is_leaf
        ]
        for parent in reversed(parents):
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def _leaves(names: Any, kind: str) -> Node | tuple[Node, ...]:
    if not isinstance(names, str):
        raise TypeError(f"names must be a string like 'x y', got {type(names).__name__}")
    split = names.replace(",", " ").split()
    if not split:
        raise ValueError("names must hold at least one name, got an empty string")
    if len(set(split)) != len(split):
        raise ValueError(f"names must be distinct, got {short_text(repr(names), 60)}")
    nodes = tuple(Node(kind, sympy.Symbol(check_name(n, "each name")), name=n) for n in split)
    return nodes[0] if len(nodes) == 1 else nodes


def inputs(names: str) -> Node | tuple[Node, ...]:
    """Create input nodes: the data fed to the network (x, y, ...).

    Like `sympy.symbols`: one name gives one node, several (separated by
    spaces or commas) give a tuple.

    Args:
        names: Names such as `"x"` or `"x y"`.

    Returns:
        One node, or a tuple of nodes in the order of `names`.

    Raises:
        TypeError: If `names` is not a string.
        ValueError: If a name is not a valid name, or names repeat.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> x, y = bp.inputs("x y")
        >>> x
        Node(input x)
    """
    return _leaves(names, "input")


def params(names: str) -> Node | tuple[Node, ...]:
    """Create parameter nodes: the weights and biases that training changes.

    Works like `inputs`; only the kind differs, and it is the kind that tells
    `gradients` and `gradient_descent` what to differentiate and train.

    Args:
        names: `"w"`, or several such as `"w0 w1 b"`.

    Returns:
        A node for a single name, else a tuple in the order of `names`.

    Raises:
        TypeError: As `inputs` (`names` not a string).
        ValueError: As `inputs` (an invalid or repeated name).

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> w0, w1 = bp.params("w0 w1")
        >>> w1.expr
        w1
    """
    return _leaves(names, "param")
