"""Training and batch gradients: `gradient_descent` (exact) and `gradient_function` (NumPy).

Both are the same reverse pass (`reverse.backward`): gradient descent runs it
on exact numbers through `evaluate`'s trace, point by point; `gradient_function`
compiles each operation once with `sympy.lambdify` and runs it on arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from fdmlearn._checks import check_array, check_bool, check_int

from .graph import Graph, missing, values_for
from .node import Node
from .ops import ZERO
from .render import short_text
from .reverse import backward, targets
from .run import Run, Step
from .trace import trace
from .values import MAX_EXACT_SIZE, too_big
from .values import exact as exact_number

__all__ = ["MAX_STEPS", "gradient_descent", "gradient_function"]

# Every step keeps its traces (a derivation per data point): a run is for
# reading, and a million steps would only fill the memory.
MAX_STEPS = 10_000
"""The most updates one `gradient_descent` call records."""


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
        TypeError: If `loss` is not a Node, `data` is not a list of
            mappings, a value is not a number, or `batch_size`/`epochs` is
            not an integer.
        ValueError: If `init` misses a parameter or names something that is
            not one, a data point misses an input or names something that is
            not one, a value is NaN or infinite, `data` is empty, `lr` is not
            positive, `batch_size` is not in [1, len(data)], `epochs` < 1,
            the run would take more than `MAX_STEPS` (10,000) steps,
            or (with `exact=True`) an exact value grows past the size sympy
            can handle: then pass `exact=False`.

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
        >>> run
        Run(params={'w0': 3/5, 'w1': 9/5}, steps=2, lr=1/10, batch_size=1, epochs=1)
        >>> step = run.steps[1]
        >>> step.points, step.loss, step.gradients
        (({'x': 2, 'y': 3},), 1/2, {'w0': 4, 'w1': 2})

        One update with both points (the gradients are averaged):

        >>> bp.gradient_descent(loss, {w0: 1, w1: 2}, data, lr=0.1, batch_size=2).params
        {'w0': 4/5, 'w1': 19/10}
    """
    graph = Graph(loss, "loss")
    start = values_for(graph, init, ("param",), "init")
    missing(graph, start, "param", "init")
    if isinstance(data, Mapping | str) or not isinstance(data, Sequence):
        raise TypeError(
            f"data must be a list of data points like [{{'x': 1, 'y': 2}}], "
            f"got {type(data).__name__}"
        )
    if len(data) == 0:
        raise ValueError("data must hold at least one data point, got none")
    points = []
    for i, point in enumerate(data):
        values = values_for(graph, point, ("input",), f"data[{i}]")
        missing(graph, values, "input", f"data[{i}]")
        points.append(values)
    rate = exact_number(lr, "lr")
    if not rate > 0:
        raise ValueError(f"lr must be > 0, got {short_text(lr)}")
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=len(points))
    epochs = check_int("epochs", epochs, minimum=1)
    n_steps = epochs * -(-len(points) // batch_size)
    if n_steps > MAX_STEPS:
        raise ValueError(
            f"epochs={epochs} with {len(points)} data point(s) and batch_size={batch_size} "
            f"would record {n_steps} steps, more than {MAX_STEPS}; every step keeps its "
            "derivation, so train longer runs with Keras"
        )
    exact = check_bool("exact", exact)
    if not exact:
        rate = sympy.Float(rate, 15)

    names = [n.name for n in sorted(graph.leaves.values(), key=lambda n: n._order)]
    current = {n: start[n] for n in names if n in start}
    steps: list[Step] = []
    for epoch in range(1, epochs + 1):
        for first in range(0, len(points), batch_size):
            batch = points[first : first + batch_size]
            try:
                traces = tuple(trace(graph, {**current, **p}, exact) for p in batch)
            except ValueError as err:
                raise ValueError(
                    f"gradient descent stopped at step {len(steps) + 1}: {err}"
                ) from None
            mean_grad = {
                n: sum((t.gradients[n] for t in traces), ZERO) / len(traces) for n in current
            }
            mean_loss = sum((t.value for t in traces), ZERO) / len(traces)
            after = {n: current[n] - rate * mean_grad[n] for n in current}
            for name, value in after.items():
                # Checked before the next step uses it: exact values of a sigmoid
                # network grow about 4x a step and soon take sympy minutes.
                if exact and too_big(value):
                    raise ValueError(
                        f"exact gradient descent stopped at step {len(steps) + 1}: the exact "
                        f"value of {name!r} has grown past {MAX_EXACT_SIZE} terms; pass "
                        "exact=False to train with 15-digit floats"
                    )
            steps.append(
                Step(epoch, len(steps) + 1, tuple(batch), traces, mean_loss, mean_grad,
                     dict(current), after)
            )  # fmt: skip
            current = after
    return Run(
        current, {n: start[n] for n in current}, tuple(steps), rate, batch_size, epochs, graph
    )


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
        TypeError: If `node` is not a Node or `wrt` is not a list of leaves.
        ValueError: If an entry of `wrt` is not a leaf of the graph. The
            returned function raises TypeError for a non-numeric argument
            and ValueError when an argument is missing, unknown, not finite
            or does not broadcast with the others.

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
    graph = Graph(node)
    chosen = targets(graph, wrt)
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
        absent = [n for n in names if n not in values]
        if absent:
            raise ValueError(f"missing value(s) for {absent}")
        arrays = {n: check_array(n, values[n], kind="float", dtype=float) for n in names}
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = {n: a.shape for n, a in arrays.items()}
            raise ValueError(f"the arguments' shapes do not broadcast together: {shapes}") from None
        val: dict[int, Any] = {}

        def local(n: Node) -> list[Any]:
            return compiled[id(n._op)][1](*(val[id(p)] for p in n.parents), val[id(n)])

        with np.errstate(all="ignore"):  # a non-finite result is reported below, by name
            for n in graph.order:
                if n.kind == "const":
                    val[id(n)] = float(n.expr)
                elif n.is_leaf:
                    val[id(n)] = arrays[n.name]
                else:
                    val[id(n)] = compiled[id(n._op)][0](*(val[id(p)] for p in n.parents))
            grad = backward(graph, local, seed=np.ones(shape))
        result = {
            t.name: np.broadcast_to(np.asarray(grad.get(id(t), 0.0), dtype=float), shape).copy()
            for t in chosen
        }
        for name, g in result.items():
            bad = ~np.isfinite(g)
            if bad.any():
                where = tuple(int(i) for i in np.argwhere(bad)[0]) if g.ndim else ()
                raise ValueError(
                    f"the gradient with respect to {name!r} is not finite at {int(bad.sum())} "
                    f"point(s), the first at index {where}: the graph is not differentiable "
                    "there (e.g. log of 0, division by 0) or overflows"
                )
        return result

    return gradient
