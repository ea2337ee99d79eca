"""The functions a network is written with: activations, losses and `neuron`.

Each is one entry of the table in `ops` applied to its arguments; numbers
become exact constants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fdmlearn._checks import check_choice

from . import ops
from .node import Node, apply, as_node
from .values import exact

__all__ = [
    "absolute_error",
    "activation",
    "binary_cross_entropy",
    "exp",
    "identity",
    "leaky_relu",
    "log",
    "neuron",
    "relu",
    "sigmoid",
    "squared_error",
    "tanh",
]


def check_activation(name: Any, what: str, known: Mapping[str, Any]) -> str:
    """An activation's name from `known`; TypeError for a non-string, ValueError if unknown."""
    return check_choice(what, name, sorted(known))


def relu(z: Node | float) -> Node:
    """ReLU, $\\max(0, z)$; its derivative is $\\mathbf{1}[z > 0]$, 0 at $z = 0$ like TensorFlow.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.relu(bp.inputs("z")).expr
        Max(0, z)
    """
    return apply(ops.RELU, z, names=("z",))


def leaky_relu(z: Node | float, alpha: float = 0.2) -> Node:
    """Leaky ReLU, $\\max(z, \\alpha z)$: slope 1 above zero and `alpha` below (and at 0).

    Args:
        z: The pre-activation.
        alpha: The slope for negative inputs, in [0, 1). 0.2 as in `tf.nn.leaky_relu`.

    Returns:
        The activation node.

    Raises:
        TypeError: If `alpha` is not a number.
        ValueError: If `alpha` is outside [0, 1).

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.leaky_relu(bp.inputs("z"), alpha=0.1).expr
        Max(z/10, z)
    """
    slope = exact(alpha, "alpha")
    if not (0 <= slope < 1):
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")
    return apply(ops.leaky(slope), z, names=("z",))


def sigmoid(z: Node | float) -> Node:
    """The logistic sigmoid $\\sigma(z) = 1/(1 + e^{-z})$.

    Its derivative is $\\sigma' = \\sigma(1 - \\sigma) \\le 1/4$.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.sigmoid(bp.inputs("z")).expr
        1/(1 + exp(-z))
    """
    return apply(ops.SIGMOID, z, names=("z",))


def tanh(z: Node | float) -> Node:
    """The hyperbolic tangent, with $\\tanh' = 1 - \\tanh^2 \\le 1$.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.tanh(2 * bp.inputs("z")).expr
        tanh(2*z)
    """
    return apply(ops.TANH, z, names=("z",))


def exp(z: Node | float) -> Node:
    """The exponential $e^z$, its own derivative.

    Examples:
        At 0 both the value and the derivative are 1:

        >>> from fdmlearn import backprop as bp
        >>> t = bp.evaluate(bp.exp(bp.inputs("z")), {"z": 0})
        >>> t.value, t.gradients["z"]
        (1, 1)
    """
    return apply(ops.EXP, z, names=("z",))


def log(z: Node | float) -> Node:
    """The natural logarithm, with derivative $1/z$.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> z = bp.inputs("z")
        >>> bp.evaluate(bp.log(z), {z: 2}).gradients["z"]
        1/2
    """
    return apply(ops.LOG, z, names=("z",))


def identity(z: Node | float) -> Node:
    """The identity (a linear unit); its derivative is 1.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.identity(3).op
        'identity'
    """
    return apply(ops.IDENTITY, z, names=("z",))


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
        TypeError: If `name` is not a string.
        ValueError: If the name is unknown.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> bp.activation("tanh")(bp.inputs("z")).expr
        tanh(z)
    """
    return _ACTIVATIONS[check_activation(name, "name", _ACTIVATIONS)]


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
        TypeError: If `inputs` or `weights` is not a list, or holds
            something that is neither a node nor a number.
        ValueError: If there are no inputs, the lengths differ, or the
            activation is unknown.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> x1, x2 = bp.inputs("x1 x2")
        >>> w1, w2, b = bp.params("w1 w2 b")
        >>> bp.neuron([x1, x2], [w1, w2], b, activation="relu").expr
        Max(0, b + w1*x1 + w2*x2)
    """
    act = _ACTIVATIONS[check_activation(activation, "activation", _ACTIVATIONS)]
    for what, seq in (("inputs", inputs), ("weights", weights)):
        if isinstance(seq, str | bytes) or not isinstance(seq, Sequence):
            raise TypeError(f"{what} must be a list of nodes or numbers, got {type(seq).__name__}")
    if len(inputs) == 0:
        raise ValueError("inputs must hold at least one input, got none")
    if len(inputs) != len(weights):
        raise ValueError(
            f"weights must hold one weight per input: {len(inputs)} inputs, {len(weights)} weights"
        )
    xs = [as_node(x, f"inputs[{i}]") for i, x in enumerate(inputs)]
    ws = [as_node(w, f"weights[{i}]") for i, w in enumerate(weights)]
    total = ws[0] * xs[0]
    for w, x in zip(ws[1:], xs[1:], strict=True):
        total = total + w * x
    if bias is not None:
        total = total + as_node(bias, "bias")
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
    return apply(ops.SQUARED, y_pred, y_true, names=("y_pred", "y_true"))


def absolute_error(y_pred: Node | float, y_true: Node | float) -> Node:
    """The absolute error $|\\hat y - y|$.

    Its derivative is $\\operatorname{sign}(\\hat y - y)$, 0 at 0 as in TensorFlow.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> p, y = bp.inputs("p y")
        >>> bp.absolute_error(p, y).expr
        Abs(p - y)
    """
    return apply(ops.ABSOLUTE, y_pred, y_true, names=("y_pred", "y_true"))


def binary_cross_entropy(p: Node | float, y_true: Node | float) -> Node:
    """Binary cross-entropy $-(y \\log p + (1 - y) \\log(1 - p))$ for a probability `p`.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> p, y = bp.inputs("p y")
        >>> bp.binary_cross_entropy(p, y).expr
        -y*log(p) - (1 - y)*log(1 - p)
    """
    return apply(ops.BCE, p, y_true, names=("p", "y_true"))
