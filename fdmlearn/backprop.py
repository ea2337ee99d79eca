"""Symbolic backpropagation with sympy, derived step by step.

A network is written as an expression over *nodes*: `inputs` (the data),
`params` (what training changes) and the operations that combine them. Each
node keeps its operation, its parents and its sympy expression (`.expr`), and
each operation knows its *local* derivative. `gradients` then runs the reverse
mode chain rule over the graph, the way backpropagation works and the way one
derives it by hand: the gradient of the output with respect to a node is the
sum, over the nodes that use it, of the local derivative times the gradient
flowing back from there (the *upstream* gradient).

    >>> from fdmlearn import backprop as bp
    >>> x, y = bp.inputs("x y")
    >>> w0, w1 = bp.params("w0 w1")
    >>> loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
    >>> bp.gradients(loss, [w0, w1])["w1"]
    (-y + Max(0, w1*Max(0, w0*x)))*Heaviside(w1*Max(0, w0*x), 0)*Max(0, w0*x)

`gradient_descent` trains such a graph on a few data points with exact
arithmetic (0.1 is read as 1/10) and records every step, so that
`run.to_markdown()` is the full hand derivation: loss, compute graph, partial
derivatives, one update per data point (or batch) and the final values.

Conventions:

- `squared_error` is $\\tfrac12(\\hat y - y)^2$: the 1/2 cancels the 2 of the
  derivative, so $\\partial L/\\partial \\hat y = \\hat y - y$.
- ReLU'(0) = 0, as in TensorFlow. The derivative is sympy's
  `Heaviside(z, 0)` (the second argument is its value at 0) and is printed as
  the indicator $\\mathbf{1}[z > 0]$, so a unit that receives $z \\le 0$ is
  visibly dead: no gradient flows through it.
- Leaves are plain sympy symbols named after the node (`Symbol("w0")`), so
  `expr.subs({"w0": 1})` works.

This module is pure sympy (plus NumPy for `gradient_function` and matplotlib
for `draw_graph`); it never imports TensorFlow.
"""

from __future__ import annotations

import decimal
import fractions
import itertools
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sympy
from sympy.printing.latex import LatexPrinter

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ChainGradient",
    "Node",
    "Run",
    "Step",
    "Trace",
    "absolute_error",
    "activation",
    "binary_cross_entropy",
    "chain_gradient",
    "draw_graph",
    "evaluate",
    "exp",
    "gradient_descent",
    "gradient_function",
    "gradients",
    "identity",
    "inputs",
    "latex",
    "leaky_relu",
    "log",
    "neuron",
    "number_latex",
    "params",
    "relu",
    "sigmoid",
    "squared_error",
    "tanh",
]

_ONE = sympy.S.One
_ZERO = sympy.S.Zero
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------- numbers


def _exact(value: Any, what: str) -> sympy.Expr:
    """Turn a user's number into an exact sympy number (0.1 -> 1/10)."""
    if isinstance(value, bool) or isinstance(value, str):
        raise TypeError(f"{what} must be a real number, got {type(value).__name__} {value!r}")
    if isinstance(value, sympy.Basic):
        if not (isinstance(value, sympy.Expr) and value.is_number):
            raise TypeError(f"{what} must be a number, got the expression {value}")
        if value.is_extended_real is False or value.is_finite is False:
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
    raise TypeError(f"{what} must be a real number, got {type(value).__name__} {value!r}")


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


def _number_latex(value: sympy.Expr) -> str:
    """A number as a learner wants to read it: 2, 3/5 = 0.6, 1/3 ~ 0.3333."""
    value = sympy.sympify(value)
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        exact = _latex(value)
        dec = _decimal(value)
        return f"{exact} = {dec}" if dec else f"{exact} \\approx {float(value):.4g}"
    if value.is_Float:
        return f"{float(value):.6g}"
    return f"{_latex(value)} \\approx {float(value):.4g}"


def _short_latex(value: sympy.Expr) -> str:
    """A number inside a product: exact if rational, else 6 significant digits."""
    value = sympy.sympify(value)
    if value.is_Rational:
        return _latex(value)
    return f"{float(value):.6g}"


def _number_text(value: sympy.Expr) -> str:
    """A short plain-text number for figures: 2, 3/5, 0.7311."""
    value = sympy.sympify(value)
    if value.is_Rational and len(str(value)) <= 7:
        return str(value)
    return f"{float(value):.4g}"


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
        expr: A sympy expression or number (e.g. from `gradients`).

    Returns:
        The LaTeX string, without `$` delimiters.

    Examples:
        >>> import sympy
        >>> from fdmlearn import backprop as bp
        >>> print(bp.latex(sympy.Heaviside(sympy.Symbol("q"), 0)))
        \\mathbf{1}\\left[q > 0\\right]
    """
    return _Printer().doprint(expr)


_latex = latex


def number_latex(value: Any) -> str:
    """LaTeX of a number as a learner wants to read it: exact, and its decimal.

    Args:
        value: A sympy number (or anything sympy can read as one).

    Returns:
        `2`, `\\frac{3}{5} = 0.6`, or `\\frac{1}{3} \\approx 0.3333` for
        a fraction without a finite decimal.

    Examples:
        >>> import sympy
        >>> from fdmlearn import backprop as bp
        >>> print(bp.number_latex(sympy.Rational(3, 5)))
        \\frac{3}{5} = 0.6
        >>> print(bp.number_latex(sympy.Rational(1, 3)))
        \\frac{1}{3} \\approx 0.3333
    """
    return _number_latex(value)


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class _Op:
    """An operation: how to compute it and its local derivative per argument.

    `forward(*args)` and `local(*args, out)` work on any sympy objects: symbols
    (the derivation), full expressions (`gradients`) or numbers (`evaluate`).
    """

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
        b = _paren(b)
        if symbol == " " and b[:1].isdigit():
            return rf"{a} \cdot {b}"
        return f"{a}{symbol}{b}"

    return show


_ADD = _Op("add", lambda a, b: a + b, lambda a, b, out: (_ONE, _ONE), "+", _infix(" + "))
_SUB = _Op("sub", lambda a, b: a - b, lambda a, b, out: (_ONE, -_ONE), "−", _infix(" - "))
_MUL = _Op("mul", lambda a, b: a * b, lambda a, b, out: (b, a), "×", _infix(" "))
_DIV = _Op(
    "div",
    lambda a, b: a / b,
    lambda a, b, out: (1 / b, -a / b**2),
    "÷",
    lambda args: rf"\frac{{{args[0]}}}{{{args[1]}}}",
)
_NEG = _Op("neg", lambda a: -a, lambda a, out: (-_ONE,), "−")
_POW = _Op("pow", lambda a, b: a**b, lambda a, b, out: (b * a ** (b - 1), out * sympy.log(a)), "^")
_RELU = _Op(
    "relu",
    lambda a: sympy.Max(0, a),
    lambda a, out: (sympy.Heaviside(a, 0),),
    "relu",
    _fn("relu"),
)
_SIGMOID = _Op(
    "sigmoid",
    lambda a: 1 / (1 + sympy.exp(-a)),
    lambda a, out: (out * (1 - out),),
    "σ",
    lambda args: rf"\sigma\left({args[0]}\right)",
)
_TANH = _Op("tanh", sympy.tanh, lambda a, out: (1 - out**2,), "tanh", _fn("tanh"))
_EXP = _Op("exp", sympy.exp, lambda a, out: (out,), "exp", lambda args: rf"e^{{{args[0]}}}")
_LOG = _Op("log", sympy.log, lambda a, out: (1 / a,), "log", _fn("log"))
_IDENTITY = _Op("identity", lambda a: a, lambda a, out: (_ONE,), "id", _fn("id"))
_SQUARED = _Op(
    "squared_error",
    lambda p, y: (p - y) ** 2 / 2,
    lambda p, y, out: (p - y, y - p),
    "½(·−·)²",
    lambda args: rf"\frac{{1}}{{2}}\left({args[0]} - {args[1]}\right)^{{2}}",
    is_loss=True,
    local_display=lambda args: (f"{args[0]} - {args[1]}", f"{args[1]} - {args[0]}"),
)
_ABSOLUTE = _Op(
    "absolute_error",
    lambda p, y: sympy.Abs(p - y),
    # sign(0) = 0, which is also what TensorFlow's abs gradient gives at 0.
    lambda p, y, out: (sympy.sign(p - y), -sympy.sign(p - y)),
    "|·−·|",
    lambda args: rf"\left\vert {args[0]} - {args[1]} \right\vert",
    is_loss=True,
)
_BCE = _Op(
    "binary_cross_entropy",
    lambda p, y: -(y * sympy.log(p) + (1 - y) * sympy.log(1 - p)),
    lambda p, y, out: ((1 - y) / (1 - p) - y / p, sympy.log(1 - p) - sympy.log(p)),
    "BCE",
    lambda args: (
        rf"-\left({args[1]} \log {args[0]} + (1 - {args[1]}) \log\left(1 - {args[0]}\right)\right)"
    ),
    is_loss=True,
)


def _pow_const(exponent: sympy.Expr) -> _Op:
    return _Op(
        "pow",
        lambda a: a**exponent,
        lambda a, out: (exponent * a ** (exponent - 1),),
        f"^{_number_text(exponent)}",
    )


def _leaky(alpha: sympy.Expr) -> _Op:
    return _Op(
        "leaky_relu",
        lambda a: sympy.Max(a, alpha * a),
        # alpha below zero and 1 above; at 0 the slope is alpha, as in TensorFlow.
        lambda a, out: (alpha + (1 - alpha) * sympy.Heaviside(a, 0),),
        "leaky",
        lambda args: rf"\operatorname{{leaky}}_{{{_latex(alpha)}}}\left({args[0]}\right)",
    )


# --------------------------------------------------------------------------- nodes

_creation = itertools.count()


class Node:
    """One value in a compute graph: a leaf (input, parameter, constant) or an operation.

    Nodes are made by `inputs`, `params` and the functions of this module, and
    combine with each other and with Python numbers through `+ - * / **` and
    unary minus, on either side (`2 * x + 1`, `10.0 / f`). Numbers become exact
    constants (0.1 -> 1/10).

    Attributes:
        expr: The sympy expression of the node in terms of the leaves.
        kind: `"input"`, `"param"`, `"const"` or `"op"`.
        op: The operation's name (`"mul"`, `"relu"`, ...) or `None` for a leaf.
        parents: The nodes this one is computed from, in argument order.
        name: The node's name, or `None` for an unnamed operation (derivations
            then name it `q, r, s, ...`).

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

    __slots__ = ("_op", "_order", "expr", "kind", "name", "parents")

    def __init__(
        self,
        kind: str,
        expr: sympy.Expr,
        op: _Op | None = None,
        parents: tuple[Node, ...] = (),
        name: str | None = None,
    ) -> None:
        self.kind = kind
        self.expr = expr
        self._op = op
        self.parents = parents
        self.name = name
        self._order = next(_creation)

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
            TypeError: If the node is a leaf (leaves are named when created).
            ValueError: If `name` is not a valid name.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> x, w = bp.inputs("x"), bp.params("w")
            >>> bp.relu(w * x).named("h").name
            'h'
        """
        if self.is_leaf:
            raise TypeError(f"{self!r} is a leaf: name it when you create it")
        _check_name(name, "name")
        return Node(self.kind, self.expr, self._op, self.parents, name)

    def __repr__(self) -> str:
        if self.is_leaf:
            return f"Node({self.kind} {self.name or self.expr})"
        return f"Node({self.name} = {self.expr})" if self.name else f"Node({self.expr})"

    # Arithmetic builds new nodes; Python numbers become constants.
    def __add__(self, other: Any) -> Node:
        return _apply(_ADD, self, other)

    def __radd__(self, other: Any) -> Node:
        return _apply(_ADD, other, self)

    def __sub__(self, other: Any) -> Node:
        return _apply(_SUB, self, other)

    def __rsub__(self, other: Any) -> Node:
        return _apply(_SUB, other, self)

    def __mul__(self, other: Any) -> Node:
        return _apply(_MUL, self, other)

    def __rmul__(self, other: Any) -> Node:
        return _apply(_MUL, other, self)

    def __truediv__(self, other: Any) -> Node:
        return _apply(_DIV, self, other)

    def __rtruediv__(self, other: Any) -> Node:
        return _apply(_DIV, other, self)

    def __pow__(self, other: Any) -> Node:
        if isinstance(other, Node):
            return _apply(_POW, self, other)
        return _apply(_pow_const(_exact(other, "the exponent")), self)

    def __rpow__(self, other: Any) -> Node:
        return _apply(_POW, other, self)

    def __neg__(self) -> Node:
        return _apply(_NEG, self)

    def __pos__(self) -> Node:
        return self


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"{what} must be a letter followed by letters, digits or '_', got {name!r}"
        )
    return name


def _as_node(value: Any) -> Node:
    if isinstance(value, Node):
        return value
    if isinstance(value, str) or not isinstance(value, numbers.Number | sympy.Basic):
        raise TypeError(
            f"cannot use {type(value).__name__} {value!r} in a graph: expected a Node or a number"
        )
    number = _exact(value, "a constant")
    return Node("const", number)


def _apply(op: _Op, *args: Any) -> Node:
    parents = tuple(_as_node(a) for a in args)
    return Node("op", op.forward(*(p.expr for p in parents)), op, parents)


def _leaves(names: str, kind: str) -> Node | tuple[Node, ...]:
    if not isinstance(names, str):
        raise TypeError(f"names must be a string like 'x y', got {type(names).__name__}")
    split = names.replace(",", " ").split()
    if not split:
        raise ValueError("names must hold at least one name, got an empty string")
    if len(set(split)) != len(split):
        raise ValueError(f"names must be distinct, got {names!r}")
    nodes = tuple(Node(kind, sympy.Symbol(_check_name(n, "each name")), name=n) for n in split)
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

    Args:
        names: Names such as `"w"` or `"w0 w1 b"`.

    Returns:
        One node, or a tuple of nodes in the order of `names`.

    Raises:
        TypeError: If `names` is not a string.
        ValueError: If a name is not a valid name, or names repeat.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> w0, w1 = bp.params("w0 w1")
        >>> w1.expr
        w1
    """
    return _leaves(names, "param")


# --------------------------------------------------------------------------- functions


def relu(z: Node | float) -> Node:
    """ReLU, $\\max(0, z)$; its derivative is $\\mathbf{1}[z > 0]$, 0 at $z = 0$ like TensorFlow.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.relu(bp.inputs("z")).expr
        Max(0, z)
    """
    return _apply(_RELU, z)


def leaky_relu(z: Node | float, alpha: float = 0.2) -> Node:
    """Leaky ReLU, $\\max(z, \\alpha z)$: slope 1 above zero and `alpha` below (and at 0).

    Args:
        z: The pre-activation.
        alpha: The slope for negative inputs, in [0, 1). 0.2 as in `tf.nn.leaky_relu`.

    Returns:
        The activation node.

    Raises:
        ValueError: If `alpha` is outside [0, 1).
        TypeError: If `alpha` is not a number.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.leaky_relu(bp.inputs("z"), alpha=0.1).expr
        Max(z/10, z)
    """
    slope = _exact(alpha, "alpha")
    if not (0 <= slope < 1):
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")
    return _apply(_leaky(slope), z)


def sigmoid(z: Node | float) -> Node:
    """The logistic sigmoid $\\sigma(z) = 1/(1 + e^{-z})$.

    Its derivative is $\\sigma' = \\sigma(1 - \\sigma) \\le 1/4$.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.sigmoid(bp.inputs("z")).expr
        1/(1 + exp(-z))
    """
    return _apply(_SIGMOID, z)


def tanh(z: Node | float) -> Node:
    """The hyperbolic tangent, with $\\tanh' = 1 - \\tanh^2 \\le 1$.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.tanh(2 * bp.inputs("z")).expr
        tanh(2*z)
    """
    return _apply(_TANH, z)


def exp(z: Node | float) -> Node:
    """The exponential $e^z$, its own derivative.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.exp(bp.inputs("z")).expr
        exp(z)
    """
    return _apply(_EXP, z)


def log(z: Node | float) -> Node:
    """The natural logarithm, with derivative $1/z$.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.log(bp.inputs("z")).expr
        log(z)
    """
    return _apply(_LOG, z)


def identity(z: Node | float) -> Node:
    """The identity (a linear unit); its derivative is 1.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.identity(bp.inputs("z")).expr
        z
    """
    return _apply(_IDENTITY, z)


_ACTIVATIONS: dict[str, Callable[[Node], Node]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "leaky_relu": leaky_relu,
    "identity": identity,
    "linear": identity,
    "exp": exp,
    "log": log,
}


def activation(name: str) -> Callable[[Node], Node]:
    """Look up a function of this module by name (as in a layer's `activation=`).

    Args:
        name: One of `"relu"`, `"sigmoid"`, `"tanh"`, `"leaky_relu"`,
            `"identity"` (alias `"linear"`), `"exp"`, `"log"`.

    Returns:
        The function, e.g. `bp.relu`.

    Raises:
        ValueError: If the name is unknown.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.activation("tanh")(bp.inputs("z")).expr
        tanh(z)
    """
    if name not in _ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(sorted(_ACTIVATIONS))}"
        )
    return _ACTIVATIONS[name]


def neuron(
    inputs: Sequence[Node | float],
    weights: Sequence[Node],
    bias: Node | float | None = None,
    activation: str = "sigmoid",
) -> Node:
    """One neuron: `activation(w_1 x_1 + ... + w_k x_k + b)`.

    Args:
        inputs: The neuron's inputs (nodes or numbers).
        weights: One weight per input.
        bias: An optional bias added before the activation.
        activation: The activation's name (see `activation`).

    Returns:
        The neuron's output node.

    Raises:
        ValueError: If there are no inputs, the lengths differ, or the
            activation is unknown.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> x1, x2 = bp.inputs("x1 x2")
        >>> w1, w2, b = bp.params("w1 w2 b")
        >>> bp.neuron([x1, x2], [w1, w2], b, activation="relu").expr
        Max(0, b + w1*x1 + w2*x2)
    """
    act = globals()["activation"](activation)
    if len(inputs) == 0:
        raise ValueError("inputs must hold at least one input, got none")
    if len(inputs) != len(weights):
        raise ValueError(
            f"weights must hold one weight per input: {len(inputs)} inputs, {len(weights)} weights"
        )
    total = weights[0] * inputs[0]
    for w, x in zip(weights[1:], inputs[1:], strict=True):
        total = total + w * x
    if bias is not None:
        total = total + bias
    return act(total)


def squared_error(y_pred: Node | float, y_true: Node | float) -> Node:
    """The squared error with the 1/2 convention: $L = \\tfrac12(\\hat y - y)^2$.

    The 1/2 cancels the 2 of the derivative, so $\\partial L/\\partial \\hat y =
    \\hat y - y$. (Keras' `MeanSquaredError` has no 1/2: its gradients are
    twice these.)

    Args:
        y_pred: The prediction $\\hat y$.
        y_true: The target $y$.

    Returns:
        The loss node.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> p, y = bp.inputs("p y")
        >>> bp.squared_error(p, y).expr
        (p - y)**2/2
    """
    return _apply(_SQUARED, y_pred, y_true)


def absolute_error(y_pred: Node | float, y_true: Node | float) -> Node:
    """The absolute error $|\\hat y - y|$.

    Its derivative is $\\operatorname{sign}(\\hat y - y)$, 0 at 0 as in TensorFlow.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> p, y = bp.inputs("p y")
        >>> bp.absolute_error(p, y).expr
        Abs(p - y)
    """
    return _apply(_ABSOLUTE, y_pred, y_true)


def binary_cross_entropy(p: Node | float, y_true: Node | float) -> Node:
    """Binary cross-entropy $-(y \\log p + (1 - y) \\log(1 - p))$ for a probability `p`.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> p, y = bp.inputs("p y")
        >>> bp.binary_cross_entropy(p, y).expr
        -y*log(p) - (1 - y)*log(1 - p)
    """
    return _apply(_BCE, p, y_true)


# --------------------------------------------------------------------------- the graph

_AUTO_NAMES = "q r s t u v".split()  # then z1, z2, ...


class _Graph:
    """A node's graph in topological order, with every node named."""

    def __init__(self, root: Node) -> None:
        if not isinstance(root, Node):
            raise TypeError(f"expected a Node, got {type(root).__name__}")
        self.root = root
        self.order = _topological(root)
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
                names[id(node)] = _number_text(node.expr)
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
        return _latex(self.symbol(node))

    def definition(self, node: Node) -> str:
        """LaTeX of the node in terms of its parents' names: `w_{0} x`, `relu(q)`."""
        if node.is_leaf:
            return {"input": "input", "param": "parameter"}.get(node.kind, "constant")
        if node._op.display:
            return node._op.display([self.tex(p) for p in node.parents])
        return _latex(node._op.forward(*(self.symbol(p) for p in node.parents)))

    def local_tex(self, node: Node, i: int) -> str:
        """LaTeX of d node / d (its i-th argument), written with names (the derivation)."""
        if node._op.local_display:
            return node._op.local_display([self.tex(p) for p in node.parents])[i]
        args = (self.symbol(p) for p in node.parents)
        return _latex(node._op.local(*args, self.symbol(node))[i])

    def resolve(self, key: Any, kinds: tuple[str, ...], what: str) -> Node:
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
        name = key.name if isinstance(key, Node) else key
        known = [n for n, v in self.leaves.items() if v.kind in kinds]
        kind = " or ".join("an input" if k == "input" else "a parameter" for k in kinds)
        raise ValueError(
            f"{what} {name!r} is not {kind} of this graph (it has: {', '.join(known)})"
        )


def _topological(root: Node) -> list[Node]:
    # Iterative depth-first search: a 400-layer chain would overflow recursion.
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


def _times(a: sympy.Expr, b: sympy.Expr, evaluate: bool) -> sympy.Expr:
    if a is _ZERO or b is _ZERO:
        return _ZERO
    if a is _ONE:
        return b
    if b is _ONE:
        return a
    return sympy.Mul(a, b, evaluate=evaluate)


def _plus(a: sympy.Expr, b: sympy.Expr, evaluate: bool) -> sympy.Expr:
    if a is _ZERO:
        return b
    if b is _ZERO:
        return a
    return sympy.Add(a, b, evaluate=evaluate)


def gradients(
    node: Node, wrt: Iterable[Node | str] | None = None, *, evaluate: bool = True
) -> dict[str, sympy.Expr]:
    """Symbolic gradients of `node` with respect to leaves, by the reverse-mode chain rule.

    Walks the graph from `node` back to the leaves once. Each node's gradient
    is the sum, over the nodes that use it, of their local derivative times
    their own gradient; shared sub-graphs are visited once.

    Args:
        node: The output to differentiate, usually the loss.
        wrt: Leaves (nodes or names); all parameters of the graph, in the
            order they were created, when omitted.
        evaluate: Let sympy canonicalise each product (readable, what you
            want for small networks). `False` keeps the chain-rule products
            unevaluated and shared, so the cost stays linear in the number of
            nodes (deep chains); the expressions are equal either way.

    Returns:
        `{name: sympy expression}` in the order of `wrt`.

    Raises:
        TypeError: If `node` is not a Node or an entry of `wrt` is neither a node nor a name.
        ValueError: If an entry of `wrt` is not a leaf of the graph.

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
    """
    if isinstance(wrt, str | Node):
        raise TypeError("wrt must be a list of nodes or names, e.g. [w0, w1]")
    graph = _Graph(node)
    targets = (
        [n for n in sorted(graph.leaves.values(), key=lambda n: n._order) if n.kind == "param"]
        if wrt is None
        else [graph.resolve(w, ("input", "param"), "wrt entry") for w in wrt]
    )
    grad: dict[int, sympy.Expr] = {id(node): _ONE}
    for current in reversed(graph.order):
        upstream = grad.get(id(current))
        if upstream is None or current.is_leaf:
            continue
        local = current._op.local(*(p.expr for p in current.parents), current.expr)
        for parent, derivative in zip(current.parents, local, strict=True):
            if parent.kind == "const":
                continue
            term = _times(derivative, upstream, evaluate)
            key = id(parent)
            grad[key] = _plus(grad[key], term, evaluate) if key in grad else term
    return {n.name: grad.get(id(n), _ZERO) for n in targets}


# --------------------------------------------------------------------------- evaluation


def _check_finite(value: sympy.Expr, graph: _Graph, node: Node) -> None:
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or value.is_extended_real is False:
        raise ValueError(
            f"node {graph.names[id(node)]} = {graph.definition(node)} is {value} at this "
            "point (not a finite real number)"
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
    _graph: _Graph = field(repr=False)
    _val: dict[int, sympy.Expr] = field(repr=False)
    _grad: dict[int, sympy.Expr] = field(repr=False)
    _local: dict[tuple[int, int], sympy.Expr] = field(repr=False)

    def __repr__(self) -> str:
        return f"Trace(value={self.value}, gradients={self.gradients})"

    def forward_rows(self) -> list[tuple[str, str, str]]:
        """Rows `(node, definition, value)` in data-flow order, as LaTeX."""
        g = self._graph
        return [
            (g.tex(n), g.definition(n), _number_latex(self._val[id(n)]))
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
                local_value = _short_latex(self._local[(id(child), i)])
                if child is g.root:
                    numbers_.append(local_value)
                else:
                    upstream = _short_latex(self._grad[id(child)])
                    numbers_.append(rf"{_paren(local_value)} \cdot {_paren(upstream)}")
            total = _number_latex(self._grad[id(node)])
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
        forward = _md_table(["node", "definition", "value"], self.forward_rows())
        backward = _md_table(
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


def _paren(tex: str) -> str:
    return f"\\left({tex}\\right)" if tex.startswith("-") else tex


def _md_cell(tex: str) -> str:
    if not tex or tex in ("input", "parameter", "constant", "start", "mean"):
        return tex
    # A | would end the table cell: write absolute values with \vert.
    return "$" + tex.replace("|", r"\vert ") + "$"


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _values_for(
    graph: _Graph, point: Mapping[Any, Any], kinds: tuple[str, ...], what: str
) -> dict[str, sympy.Expr]:
    if not isinstance(point, Mapping):
        raise TypeError(f"{what} must be a mapping like {{'x': 1}}, got {type(point).__name__}")
    values: dict[str, sympy.Expr] = {}
    for key, value in point.items():
        node = graph.resolve(key, kinds, f"{what} has key")
        values[node.name] = _exact(value, f"{what}[{node.name!r}]")
    return values


def _missing(graph: _Graph, values: Mapping[str, Any], kind: str, what: str) -> None:
    for name, node in graph.leaves.items():
        if node.kind == kind and name not in values:
            label = "input" if kind == "input" else "parameter"
            raise ValueError(f"{what} is missing a value for the {label} {name!r}")


def _trace(graph: _Graph, values: Mapping[str, sympy.Expr], exact: bool) -> Trace:
    val: dict[int, sympy.Expr] = {}
    for node in graph.order:
        if node.kind == "const":
            v = node.expr
        elif node.is_leaf:
            v = values[node.name]
        else:
            v = node._op.forward(*(val[id(p)] for p in node.parents))
        if not exact:
            v = sympy.Float(v, 15)
        _check_finite(v, graph, node)
        val[id(node)] = v
    grad: dict[int, sympy.Expr] = {id(graph.root): _ONE}
    local: dict[tuple[int, int], sympy.Expr] = {}
    for node in reversed(graph.order):
        if node.is_leaf:
            continue
        up = grad[id(node)]
        derivs = node._op.local(*(val[id(p)] for p in node.parents), val[id(node)])
        for i, (parent, d) in enumerate(zip(node.parents, derivs, strict=True)):
            if parent.kind == "const":
                continue
            d = sympy.Float(d, 15) if not exact else d
            _check_finite(d, graph, node)
            local[(id(node), i)] = d
            grad[id(parent)] = grad.get(id(parent), _ZERO) + d * up
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
    graph = _Graph(node)
    values = _values_for(graph, at, ("input", "param"), "at")
    _missing(graph, values, "input", "at")
    _missing(graph, values, "param", "at")
    return _trace(graph, values, exact)


# --------------------------------------------------------------------------- training


@dataclass(frozen=True, eq=False)
class Step:
    """One gradient-descent update.

    Attributes:
        epoch: The pass over the data, from 1.
        number: The update's number within the run, from 1.
        points: The data point(s) used, `{input name: value}` each.
        traces: One forward/backward `Trace` per point.
        loss: The mean loss over the points, before the update.
        gradients: The mean gradient per parameter.
        before: The parameters before the update.
        after: The parameters after the update.
    """

    epoch: int
    number: int
    points: tuple[dict[str, sympy.Expr], ...]
    traces: tuple[Trace, ...]
    loss: sympy.Expr
    gradients: dict[str, sympy.Expr]
    before: dict[str, sympy.Expr]
    after: dict[str, sympy.Expr]

    def __repr__(self) -> str:
        return (
            f"Step(epoch={self.epoch}, number={self.number}, points={list(self.points)}, "
            f"loss={self.loss}, gradients={self.gradients}, after={self.after})"
        )


@dataclass(frozen=True, eq=False)
class Run:
    """What `gradient_descent` did, step by step, and the five-part answer.

    Attributes:
        params: The final parameters, `{name: exact value}`.
        initial: The parameters before training.
        steps: Every update, in order.
        lr: The learning rate (exact).
        batch_size: Data points per update.
        epochs: Passes over the data.
    """

    params: dict[str, sympy.Expr]
    initial: dict[str, sympy.Expr]
    steps: tuple[Step, ...]
    lr: sympy.Expr
    batch_size: int
    epochs: int
    _graph: _Graph = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"Run(params={self.params}, steps={len(self.steps)}, lr={self.lr}, "
            f"batch_size={self.batch_size}, epochs={self.epochs})"
        )

    def _loss_line(self) -> tuple[str, str, str]:
        g = self._graph
        root = g.root
        return g.tex(root), g.definition(root), _latex(root.expr)

    def _graph_rows(self) -> list[tuple[str, str, str]]:
        g = self._graph
        return [(g.tex(n), g.definition(n), _latex(n.expr)) for n in g.order if not n.is_leaf]

    def _derivative_rows(self) -> list[tuple[str, str, str]]:
        g = self._graph
        out = g.tex(g.root)
        # The chain rule with names (what one writes by hand), then the
        # full expression from the reverse pass over the graph.
        full = gradients(g.root, list(self.params))
        rows = []
        for node in reversed(g.order):
            if node.kind == "const" or node is g.root or node.kind == "input":
                continue
            terms = []
            for child, i in g.children[id(node)]:
                local = g.local_tex(child, i)
                if child is g.root:
                    terms.append(local)
                else:
                    up = rf"\frac{{\partial {out}}}{{\partial {g.tex(child)}}}"
                    terms.append(up if local == "1" else rf"{_bracket(local)} \, {up}")
            grad_tex = rf"\frac{{\partial {out}}}{{\partial {g.tex(node)}}}"
            expanded = _latex(full[node.name]) if node.kind == "param" else ""
            rows.append((grad_tex, " + ".join(terms), expanded))
        return rows

    def _update_lines(self, step: Step) -> list[str]:
        out = self._graph.tex(self._graph.root)
        lines = []
        for name, old in step.before.items():
            p = _latex(sympy.Symbol(name))
            grad = step.gradients[name]
            lines.append(
                rf"{p} \leftarrow {p} - \eta \frac{{\partial {out}}}{{\partial {p}}}"
                rf" = {_latex(old)} - {_latex(self.lr)} \cdot {_paren(_latex(grad))}"
                rf" = {_number_latex(step.after[name])}"
            )
        return lines

    def _point_text(self, point: Mapping[str, sympy.Expr]) -> str:
        return ", ".join(f"{_latex(sympy.Symbol(k))} = {_latex(v)}" for k, v in point.items())

    def to_markdown(self) -> str:
        """The five-part answer as Markdown (tables, $...$ math).

        Returns:
            Loss, compute graph, partial derivatives, the update of every
            parameter at every step (with the forward and backward tables of
            each data point when `batch_size` is 1), and the final values.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> x, y = bp.inputs("x y")
            >>> w = bp.params("w")
            >>> run = bp.gradient_descent(bp.squared_error(w * x, y), {"w": 0},
            ...                           [{"x": 1, "y": 2}], lr=0.5)
            >>> print(run.to_markdown().splitlines()[-1])
            | $w$ | $0$ | $1$ |
        """
        g = self._graph
        name, definition, expr = self._loss_line()
        out = [
            f"**1. Loss.** ${name} = {definition}$, i.e. ${name} = {expr}$.",
            "",
            "**2. Compute graph** (data flows down the table; see also `draw_graph`):",
            "",
            _md_table(["node", "definition", "in terms of the leaves"], self._graph_rows()),
            "",
            "**3. Partial derivatives** (chain rule: local derivative times upstream gradient):",
            "",
            _md_table(["gradient", "chain rule", "expanded"], self._derivative_rows()),
            "",
            f"**4. Updates** with learning rate $\\eta = {_number_latex(self.lr)}$, "
            f"batch size {self.batch_size}, {self.epochs} epoch(s):",
        ]
        for step in self.steps:
            points = "; ".join(f"${self._point_text(p)}$" for p in step.points)
            out += ["", f"*Step {step.number}* (epoch {step.epoch}), data: {points}", ""]
            if len(step.traces) == 1:
                out.append(step.traces[0].to_markdown())
            else:
                params_ = list(step.gradients)
                header = ["data point", f"${g.tex(g.root)}$"]
                header += [
                    rf"$\partial {g.tex(g.root)} / \partial {_latex(sympy.Symbol(p))}$"
                    for p in params_
                ]
                rows = [
                    [self._point_text(p), _latex(t.value)]
                    + [_latex(t.gradients[q]) for q in params_]
                    for p, t in zip(step.points, step.traces, strict=True)
                ]
                rows.append(
                    ["mean", _latex(step.loss)] + [_latex(step.gradients[q]) for q in params_]
                )
                out.append(_md_table(header, rows))
            out += ["", "Update:", ""]
            out += [f"- ${line}$" for line in self._update_lines(step)]
        rows = [
            (_latex(sympy.Symbol(n)), _number_latex(self.initial[n]), _number_latex(v))
            for n, v in self.params.items()
        ]
        out += ["", "**5. Final values:**", "", _md_table(["parameter", "initial", "final"], rows)]
        return "\n".join(out) + "\n"

    def to_latex(self) -> str:
        """The five-part answer as one LaTeX `aligned` block (for a report or Jupyter).

        Returns:
            LaTeX without `$$` delimiters.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> x, y = bp.inputs("x y")
            >>> w = bp.params("w")
            >>> run = bp.gradient_descent(bp.squared_error(w * x, y), {"w": 0},
            ...                           [{"x": 1, "y": 2}], lr=0.5)
            >>> print(run.to_latex().splitlines()[-2])
            w &= 1 \\\\
        """
        name, definition, expr = self._loss_line()
        lines = [r"&\textbf{1. Loss} \\", rf"{name} &= {definition} = {expr} \\"]
        lines.append(r"&\textbf{2. Compute graph} \\")
        lines += [rf"{n} &= {d} \\" for n, d, _ in self._graph_rows()]
        lines.append(r"&\textbf{3. Partial derivatives} \\")
        for grad, chain, expanded in self._derivative_rows():
            rhs = f"{chain} = {expanded}" if expanded else chain
            lines.append(rf"{grad} &= {rhs} \\")
        lines.append(rf"&\textbf{{4. Updates}} \; (\eta = {_latex(self.lr)}) \\")
        for step in self.steps:
            points = r";\ ".join(self._point_text(p) for p in step.points)
            lines.append(rf"&\text{{step {step.number} (epoch {step.epoch}): }} {points} \\")
            for line in self._update_lines(step):
                lhs, rhs = line.split(r" \leftarrow ", 1)
                lines.append(rf"{lhs} &\leftarrow {rhs} \\")
        lines.append(r"&\textbf{5. Final values} \\")
        lines += [
            rf"{_latex(sympy.Symbol(n))} &= {_number_latex(v)} \\" for n, v in self.params.items()
        ]
        return "\\begin{aligned}\n" + "\n".join(lines) + "\n\\end{aligned}"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return f"$$\n{self.to_latex()}\n$$"


def _bracket(tex: str) -> str:
    return f"\\left({tex}\\right)" if any(op in tex for op in ("+", " - ")) else tex


def gradient_descent(
    loss: Node,
    init: Mapping[Node | str, Any],
    data: Sequence[Mapping[Node | str, Any]],
    lr: float,
    batch_size: int = 1,
    epochs: int = 1,
    *,
    exact: bool = True,
) -> Run:
    """Train the parameters of `loss` by gradient descent, recording every step.

    Batches are taken in the order of `data` (no shuffling), so a run can be
    redone by hand. With `batch_size=1` there is one update per data point;
    with `batch_size=len(data)` one update with the gradients averaged over
    all points. A last, smaller batch is used as it is.

    Args:
        loss: The loss node.
        init: A starting value for every parameter, keyed by node or name.
        data: The data points, each a value for every input, keyed by node or name.
        lr: The learning rate $\\eta > 0$; `0.1` is read as exactly 1/10.
        batch_size: Data points per update, from 1 to `len(data)`.
        epochs: Passes over the data.
        exact: Exact sympy numbers (`True`) or 15-digit floats.

    Returns:
        A `Run`: `.params` (final values), `.steps`, and the full answer via
        `.to_markdown()` / `.to_latex()` (also shown rich in Jupyter).

    Raises:
        TypeError: If `loss` is not a Node or a value is not a number.
        ValueError: If `init` misses a parameter or names something that is
            not one, a data point misses an input or names something that is
            not one, `data` is empty, `lr` is not positive, `batch_size` is
            not in [1, len(data)] or `epochs` < 1.

    Examples:
        The seed notebook's exercise, one update per data point:

        >>> from fdmlearn import backprop as bp
        >>> x, y = bp.inputs("x y")
        >>> w0, w1 = bp.params("w0 w1")
        >>> loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
        >>> data = [{"x": 1, "y": 2}, {"x": 2, "y": 3}]
        >>> run = bp.gradient_descent(loss, {"w0": 1, "w1": 2}, data, lr=0.1)
        >>> run.params
        {'w0': 3/5, 'w1': 9/5}
        >>> run.steps[1]
        Step(epoch=1, number=2, points=[{'x': 2, 'y': 3}], loss=1/2, gradients={'w0': 4, 'w1': 2},
             after={'w0': 3/5, 'w1': 9/5})

        One update with both points (the gradients are averaged):

        >>> bp.gradient_descent(loss, {w0: 1, w1: 2}, data, lr=0.1, batch_size=2).params
        {'w0': 4/5, 'w1': 19/10}
    """
    graph = _Graph(loss)
    start = _values_for(graph, init, ("param",), "init")
    _missing(graph, start, "param", "init")
    if isinstance(data, Mapping) or not isinstance(data, Sequence):
        raise TypeError("data must be a list of data points like [{'x': 1, 'y': 2}]")
    if len(data) == 0:
        raise ValueError("data must hold at least one data point, got none")
    points = []
    for i, point in enumerate(data):
        values = _values_for(graph, point, ("input",), f"data[{i}]")
        _missing(graph, values, "input", f"data[{i}]")
        points.append(values)
    rate = _exact(lr, "lr")
    if not rate > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    for value, what in ((batch_size, "batch_size"), (epochs, "epochs")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{what} must be an integer, got {type(value).__name__}")
    if not 1 <= batch_size <= len(points):
        raise ValueError(
            f"batch_size must be between 1 and len(data) = {len(points)}, got {batch_size}"
        )
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if not exact:
        rate = sympy.Float(rate, 15)

    names = [n.name for n in sorted(graph.leaves.values(), key=lambda n: n._order)]
    current = {n: start[n] for n in names if n in start}
    steps = []
    for epoch in range(1, epochs + 1):
        for first in range(0, len(points), batch_size):
            batch = points[first : first + batch_size]
            traces = tuple(_trace(graph, {**current, **p}, exact) for p in batch)
            mean_grad = {
                n: sum((t.gradients[n] for t in traces), _ZERO) / len(traces) for n in current
            }
            mean_loss = sum((t.value for t in traces), _ZERO) / len(traces)
            after = {n: current[n] - rate * mean_grad[n] for n in current}
            steps.append(
                Step(
                    epoch,
                    len(steps) + 1,
                    tuple(batch),
                    traces,
                    mean_loss,
                    mean_grad,
                    dict(current),
                    after,
                )
            )
            current = after
    return Run(
        current, {n: start[n] for n in current}, tuple(steps), rate, batch_size, epochs, graph
    )


# --------------------------------------------------------------------------- NumPy


def gradient_function(
    node: Node, wrt: Iterable[Node | str] | None = None
) -> Callable[..., dict[str, Any]]:
    """Compile the forward and backward pass into NumPy, to get gradients on many points at once.

    Each operation's forward formula and local derivatives go through
    `sympy.lambdify` once; the returned function then runs the same reverse
    pass as `gradients`, on NumPy arrays. Compiling the small per-operation
    formulas instead of the whole gradient keeps the cost linear in the
    number of nodes (lambdifying a 100-layer gradient as one expression
    takes sympy tens of seconds).

    Args:
        node: The output to differentiate.
        wrt: Leaves to differentiate with respect to (default: all parameters).

    Returns:
        A function taking every input and parameter as a keyword argument
        (numbers or arrays that broadcast together) and returning
        `{name: float64 ndarray}` in the order of `wrt`.

    Raises:
        TypeError: If `node` is not a Node.
        ValueError: If an entry of `wrt` is not a leaf of the graph; the
            returned function raises ValueError when an argument is missing
            or unknown.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn import backprop as bp
        >>> x, y = bp.inputs("x y")
        >>> w0, w1 = bp.params("w0 w1")
        >>> loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
        >>> grad = bp.gradient_function(loss)
        >>> grad(x=np.array([1.0, 2.0]), y=np.array([2.0, 3.0]), w0=1.0, w1=2.0)
        {'w0': array([0., 4.]), 'w1': array([0., 2.])}
    """
    import numpy as np

    if isinstance(wrt, str | Node):
        raise TypeError("wrt must be a list of nodes or names, e.g. [w0, w1]")
    graph = _Graph(node)
    targets = (
        [n for n in sorted(graph.leaves.values(), key=lambda n: n._order) if n.kind == "param"]
        if wrt is None
        else [graph.resolve(w, ("input", "param"), "wrt entry") for w in wrt]
    )
    names = [n.name for n in sorted(graph.leaves.values(), key=lambda n: n._order)]
    compiled: dict[int, tuple[Callable[..., Any], Callable[..., Any]]] = {}
    for n in graph.order:
        if n.is_leaf or id(n._op) in compiled:
            continue
        args = sympy.symbols(f"a0:{len(n.parents)}")
        out = sympy.Symbol("out")
        compiled[id(n._op)] = (
            sympy.lambdify(args, n._op.forward(*args), modules="numpy"),
            sympy.lambdify([*args, out], list(n._op.local(*args, out)), modules="numpy"),
        )

    def gradient(**values: Any) -> dict[str, Any]:
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"unknown argument(s) {unknown}; the graph's leaves are {names}")
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"missing value(s) for {missing}")
        arrays = {n: np.asarray(values[n], dtype=float) for n in names}
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        val: dict[int, Any] = {}
        for n in graph.order:
            if n.kind == "const":
                val[id(n)] = float(n.expr)
            elif n.is_leaf:
                val[id(n)] = arrays[n.name]
            else:
                val[id(n)] = compiled[id(n._op)][0](*(val[id(p)] for p in n.parents))
        grad: dict[int, Any] = {id(graph.root): np.ones(shape)}
        for n in reversed(graph.order):
            if n.is_leaf or id(n) not in grad:
                continue
            local = compiled[id(n._op)][1](*(val[id(p)] for p in n.parents), val[id(n)])
            for parent, d in zip(n.parents, local, strict=True):
                if parent.kind != "const":
                    term = d * grad[id(n)]
                    grad[id(parent)] = grad[id(parent)] + term if id(parent) in grad else term
        return {
            t.name: np.broadcast_to(np.asarray(grad.get(id(t), 0.0), dtype=float), shape).copy()
            for t in targets
        }

    return gradient


# --------------------------------------------------------------------------- deep chains

_DERIVATIVE_BOUNDS = {
    "sigmoid": sympy.Rational(1, 4),
    "tanh": _ONE,
    "relu": _ONE,
    "leaky_relu": _ONE,
    "identity": _ONE,
}


@dataclass(frozen=True, eq=False)
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
        gradient: $\\partial h_n / \\partial w_1$ as a sympy expression.
        derivative_bound: $\\sup |f'|$: 1/4 for sigmoid, 1 for tanh and ReLU.
        bound: `derivative_bound ** depth`, the factor the activations alone
            can contribute: $(1/4)^n$ for sigmoid, the vanishing gradient.
    """

    depth: int
    activation: str
    x: Node
    weights: tuple[Node, ...]
    output: Node
    gradient: sympy.Expr
    derivative_bound: sympy.Expr
    bound: sympy.Expr

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
            ValueError: If `weights` is a sequence of the wrong length.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> chain = bp.chain_gradient(2, "relu")
            >>> chain.value(x=1.0, weights=[2.0, 3.0])
            3.0
        """
        if isinstance(weights, Sequence):
            if len(weights) != self.depth:
                raise ValueError(
                    f"weights must hold {self.depth} values (one per layer), got {len(weights)}"
                )
            ws = list(weights)
        else:
            ws = [weights] * self.depth
        at = {self.x: x, **dict(zip(self.weights, ws, strict=True))}
        trace = evaluate(self.output, at, exact=False)
        return float(trace.gradients[self.weights[0].name])


def chain_gradient(depth: int, activation: str = "sigmoid") -> ChainGradient:
    """Derive the gradient that reaches the first weight of a depth-n chain.

    One neuron per layer, no bias: $h_k = f(w_k h_{k-1})$, $h_0 = x$. The
    gradient of the output with respect to the first weight is a product of
    one factor $w_k f'(z_k)$ per layer, so when $|f'| \\le 1/4$ (sigmoid) it
    shrinks like $(1/4)^n$ unless the weights grow: the vanishing gradient,
    derived symbolically.

    Args:
        depth: The number of layers n, at least 1.
        activation: `"sigmoid"`, `"tanh"`, `"relu"`, `"leaky_relu"` or `"identity"`.

    Returns:
        A `ChainGradient` with `.gradient`, `.bound`, `.formula()` and `.value(...)`.

    Raises:
        TypeError: If `depth` is not an integer.
        ValueError: If `depth` < 1 or the activation is unknown.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> chain = bp.chain_gradient(3)
        >>> chain.bound
        1/64
        >>> round(chain.value(x=1.0, weights=1.0), 6)
        0.009642
        >>> bp.chain_gradient(2, "tanh").gradient
        w2*x*(1 - tanh(w1*x)**2)*(1 - tanh(w2*tanh(w1*x))**2)
    """
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral):
        raise TypeError(f"depth must be an integer, got {type(depth).__name__}")
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    if activation not in _DERIVATIVE_BOUNDS:
        raise ValueError(
            f"unknown activation {activation!r}; expected one of "
            f"{', '.join(sorted(_DERIVATIVE_BOUNDS))}"
        )
    act = _ACTIVATIONS[activation]
    x = inputs("x")
    weights = params(" ".join(f"w{k}" for k in range(1, depth + 1)))
    weights = weights if isinstance(weights, tuple) else (weights,)
    h = x
    for k, w in enumerate(weights, start=1):
        h = act((w * h).named(f"z{k}")).named(f"h{k}")
    grad = gradients(h, [weights[0]], evaluate=depth <= 20)[weights[0].name]
    bound = _DERIVATIVE_BOUNDS[activation]
    return ChainGradient(depth, activation, x, weights, h, grad, bound, bound**depth)


# --------------------------------------------------------------------------- figure

_COLORS = {"input": "#dbeafe", "param": "#fde68a", "const": "#e5e7eb", "op": "#ffffff"}


def draw_graph(
    node: Node,
    at: Mapping[Node | str, Any] | None = None,
    *,
    ax: Axes | None = None,
) -> Figure:
    """Draw the compute graph with matplotlib (no graphviz needed).

    Data flows left to right: leaves on the left, the output on the right.
    Each box shows the node's name and operation; with `at`, also its value
    and its gradient (the output's derivative with respect to it).

    Args:
        node: The output node, usually the loss.
        at: Optional values for every input and parameter (see `evaluate`).
        ax: Optional axes to draw into; a new figure is made otherwise.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: As `evaluate`, when `at` is given.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from fdmlearn import backprop as bp
        >>> x, y = bp.inputs("x y")
        >>> w0, w1 = bp.params("w0 w1")
        >>> loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
        >>> fig = bp.draw_graph(loss, at={"x": 2, "y": 3, "w0": 1, "w1": 2})
        >>> len(fig.axes)
        1
    """
    graph = _Graph(node)
    trace = evaluate(node, at) if at is not None else None

    # Columns: an operation sits one right of its furthest parent; a leaf sits
    # just left of its first consumer, so y stands next to the loss.
    column: dict[int, int] = {}
    for n in graph.order:
        if not n.is_leaf:
            column[id(n)] = 1 + max(column.get(id(p), 0) for p in n.parents)
    for n in graph.order:
        if n.is_leaf:
            consumers = [column[id(c)] for c, _ in graph.children[id(n)]]
            column[id(n)] = min(consumers) - 1 if consumers else 0
    # Rows: a few barycentre sweeps (each node near the mean height of its
    # neighbours in the previous column), which removes most edge crossings.
    n_cols = max(column.values()) + 1
    by_col: dict[int, list[Node]] = {c: [] for c in range(n_cols)}
    for n in graph.order:
        by_col[column[id(n)]].append(n)
    height: dict[int, float] = {id(n): 0.0 for n in graph.order}

    def consumers_mean(n: Node) -> float:
        kids = graph.children[id(n)]
        return sum(height[id(k)] for k, _ in kids) / len(kids) if kids else height[id(n)]

    def parents_mean(n: Node) -> float:
        if n.is_leaf:
            return consumers_mean(n)
        return sum(height[id(p)] for p in n.parents) / len(n.parents)

    def place(nodes: list[Node], key: Callable[[Node], float]) -> None:
        nodes.sort(key=key)
        for i, n in enumerate(nodes):
            height[id(n)] = i - (len(nodes) - 1) / 2

    for c in range(n_cols - 1, -1, -1):
        place(by_col[c], consumers_mean)
    for _ in range(2):
        for c in range(1, n_cols):
            place(by_col[c], parents_mean)
        for c in range(n_cols - 2, -1, -1):
            place(by_col[c], consumers_mean)
    max_rows = max(len(v) for v in by_col.values())

    if ax is None:
        from matplotlib.figure import Figure as _Figure

        fig = _Figure(figsize=(1.9 * n_cols + 0.5, 1.25 * max_rows + 0.8))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    pos = {k: (2.0 * column[k], 1.6 * h) for k, h in height.items()}
    for n in graph.order:
        for p in n.parents:
            ax.annotate(
                "",
                xy=pos[id(n)],
                xytext=pos[id(p)],
                arrowprops=dict(arrowstyle="-|>", color="#6b7280", shrinkA=24, shrinkB=28),
                zorder=1,
            )
    for n in graph.order:
        label = f"${graph.tex(n)}$" if n.kind != "const" else graph.names[id(n)]
        lines = [label]
        if not n.is_leaf:
            lines.append(n._op.label)
        elif n.kind != "const":
            lines.append(n.kind)
        if trace is not None and n.kind != "const":
            lines.append(f"= {_number_text(trace._val[id(n)])}")
            lines.append(f"grad {_number_text(trace._grad[id(n)])}")
        color = _COLORS[n.kind]
        if n is node:
            color = "#fecaca"
        x, y = pos[id(n)]
        ax.text(
            x,
            y,
            "\n".join(lines),
            ha="center",
            va="center",
            fontsize=9,
            zorder=2,
            bbox=dict(boxstyle="round,pad=0.4", fc=color, ec="#374151"),
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.0, max(xs) + 1.0)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 1.0)
    ax.axis("off")
    title = "compute graph (data flows left to right)"
    if trace is not None:
        title += "; grad = d" + graph.names[id(node)] + "/d node"
    ax.set_title(title, fontsize=9)
    return fig
