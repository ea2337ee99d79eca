"""`draw_graph`: the compute graph as a matplotlib figure (no graphviz needed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fdmlearn.plotting import new_figure

from .graph import Graph
from .node import Node
from .render import number_text
from .trace import evaluate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["MAX_DRAW_NODES", "draw_graph"]

MAX_DRAW_NODES = 200
"""The most nodes `draw_graph` draws (more boxes would be unreadable)."""
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
        TypeError: If `node` is not a Node or `ax` is not matplotlib Axes.
        ValueError: If the graph has more than `MAX_DRAW_NODES` (200) nodes
            (a figure of more boxes is unreadable; use `evaluate(...).to_markdown()`),
            or as `evaluate`, when `at` is given.

    Examples:
        >>> from fdmlearn import backprop as bp
        >>> x, y = bp.inputs("x y")
        >>> w0, w1 = bp.params("w0 w1")
        >>> loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
        >>> fig = bp.draw_graph(loss, at={"x": 2, "y": 3, "w0": 1, "w1": 2})
        >>> len(fig.axes)
        1
    """
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be matplotlib Axes or None, got {type(ax).__name__}")
    graph = Graph(node)
    if len(graph.order) > MAX_DRAW_NODES:
        raise ValueError(
            f"the graph has {len(graph.order)} nodes, more than draw_graph shows "
            f"({MAX_DRAW_NODES}); use evaluate(...).to_markdown() for the derivation"
        )
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
        fig = new_figure(figsize=(1.9 * n_cols + 0.5, 1.25 * max_rows + 0.8))
        ax = fig.subplots()
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
            lines.append(f"= {number_text(trace._val[id(n)])}")
            lines.append(f"grad {number_text(trace._grad[id(n)])}")
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
