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

Deep graphs work too: a node keeps its operation and parents, and its
formula in terms of the leaves (`.expr`) is built only when asked for and only
up to `MAX_DEPTH` (100) operations deep, because sympy recurses over nested
expressions. A 1,000-layer chain is built, differentiated
(`gradients(..., in_terms_of="nodes")`, `chain_gradient`), evaluated
(`evaluate(..., exact=False)`, `gradient_function`) and printed in time
linear in its depth.

Where things are (each file is short and named for what it does):

- `ops`: the table of operations, with each one's local derivative;
- `node`: `Node`, `inputs`, `params`; `functions`: activations, losses, `neuron`;
- `graph`: a graph's nodes in order and their names;
- `reverse`: the one reverse-mode pass, and `gradients`;
- `trace`: `evaluate` and `Trace`; `run` and `training`: `gradient_descent`,
  `Step`, `Run`, `gradient_function`;
- `chain`: `chain_gradient`; `render`: LaTeX and tables; `drawing`: `draw_graph`.

The package is pure sympy (plus NumPy for `gradient_function` and matplotlib
for `draw_graph`); it never imports TensorFlow.
"""

from __future__ import annotations

from .chain import ChainGradient, chain_gradient
from .drawing import draw_graph
from .functions import (
    absolute_error,
    activation,
    binary_cross_entropy,
    exp,
    identity,
    leaky_relu,
    log,
    neuron,
    relu,
    sigmoid,
    squared_error,
    tanh,
)
from .node import MAX_DEPTH, Node, inputs, params
from .render import latex, number_latex
from .reverse import gradients
from .run import Run, Step
from .trace import Trace, evaluate
from .training import gradient_descent, gradient_function

__all__ = [
    "MAX_DEPTH",
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
