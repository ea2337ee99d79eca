"""What `gradient_descent` records: every `Step`, and the `Run` with its five-part answer.

`Run.to_markdown()` is the whole hand derivation of an exercise: loss,
compute graph, partial derivatives (chain rule with names, then expanded),
one update per step with its forward and backward tables, final values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy

from .graph import Graph
from .node import Node
from .render import bracket, latex, md_table, number_latex, paren, short_dict, short_text
from .reverse import gradients
from .trace import Trace

__all__ = ["Run", "Step"]

# Tables show a node's formula in terms of the leaves only up to this depth:
# deeper formulas are long and say less than the chain rule with names.
_EXPANDED_DEPTH = 20


def _expanded(node: Node) -> str:
    return latex(node.expr) if node.depth <= _EXPANDED_DEPTH else ""


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
        points = ", ".join(short_dict(p) for p in self.points[:2])
        if len(self.points) > 2:
            points += f", ... ({len(self.points) - 2} more)"
        return (
            f"Step(epoch={self.epoch}, number={self.number}, points=[{points}], "
            f"loss={short_text(self.loss)}, gradients={short_dict(self.gradients)}, "
            f"after={short_dict(self.after)})"
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
    _graph: Graph = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"Run(params={short_dict(self.params)}, steps={len(self.steps)}, "
            f"lr={short_text(self.lr)}, batch_size={self.batch_size}, epochs={self.epochs})"
        )

    def _loss_line(self) -> tuple[str, str, str]:
        g = self._graph
        root = g.root
        return g.tex(root), g.definition(root), _expanded(root)

    def _graph_rows(self) -> list[tuple[str, str, str]]:
        g = self._graph
        return [(g.tex(n), g.definition(n), _expanded(n)) for n in g.order if not n.is_leaf]

    def _derivative_rows(self) -> list[tuple[str, str, str]]:
        g = self._graph
        out = g.tex(g.root)
        # The chain rule with names (what one writes by hand), then the
        # full expression from the reverse pass over the graph.
        full = gradients(g.root, list(self.params)) if g.root.depth <= _EXPANDED_DEPTH else {}
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
                    terms.append(up if local == "1" else rf"{bracket(local)} \, {up}")
            grad_tex = rf"\frac{{\partial {out}}}{{\partial {g.tex(node)}}}"
            expanded = latex(full[node.name]) if node.name in full else ""
            rows.append((grad_tex, " + ".join(terms), expanded))
        return rows

    def _update_lines(self, step: Step) -> list[str]:
        out = self._graph.tex(self._graph.root)
        lines = []
        for name, old in step.before.items():
            p = latex(sympy.Symbol(name))
            grad = step.gradients[name]
            lines.append(
                rf"{p} \leftarrow {p} - \eta \frac{{\partial {out}}}{{\partial {p}}}"
                rf" = {latex(old)} - {latex(self.lr)} \cdot {paren(latex(grad))}"
                rf" = {number_latex(step.after[name])}"
            )
        return lines

    def _point_text(self, point: Mapping[str, sympy.Expr]) -> str:
        return ", ".join(f"{latex(sympy.Symbol(k))} = {latex(v)}" for k, v in point.items())

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
            f"**1. Loss.** ${name} = {definition}$"
            + (f", i.e. ${name} = {expr}$." if expr else "."),
            "",
            "**2. Compute graph** (data flows down the table; see also `draw_graph`):",
            "",
            md_table(["node", "definition", "in terms of the leaves"], self._graph_rows()),
            "",
            "**3. Partial derivatives** (chain rule: local derivative times upstream gradient):",
            "",
            md_table(["gradient", "chain rule", "expanded"], self._derivative_rows()),
            "",
            f"**4. Updates** with learning rate $\\eta = {number_latex(self.lr)}$, "
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
                    rf"$\partial {g.tex(g.root)} / \partial {latex(sympy.Symbol(p))}$"
                    for p in params_
                ]
                rows = [
                    [self._point_text(p), latex(t.value)] + [latex(t.gradients[q]) for q in params_]
                    for p, t in zip(step.points, step.traces, strict=True)
                ]
                rows.append(
                    ["mean", latex(step.loss)] + [latex(step.gradients[q]) for q in params_]
                )
                out.append(md_table(header, rows))
            out += ["", "Update:", ""]
            out += [f"- ${line}$" for line in self._update_lines(step)]
        rows = [
            (latex(sympy.Symbol(n)), number_latex(self.initial[n]), number_latex(v))
            for n, v in self.params.items()
        ]
        out += ["", "**5. Final values:**", "", md_table(["parameter", "initial", "final"], rows)]
        return "\n".join(out) + "\n"

    def to_latex(self) -> str:
        """The five-part answer as one LaTeX `aligned` block (for a report or Jupyter).

        Returns:
            LaTeX without `$$` delimiters.

        Examples:
            >>> from fdmlearn import backprop as bp
            >>> (x, y), w = bp.inputs("x y"), bp.params("w")
            >>> loss = bp.squared_error(w * x, y)
            >>> tex = bp.gradient_descent(loss, {w: 0}, [{x: 1, y: 2}], lr=0.5).to_latex()
            >>> print(tex.splitlines()[-2])
            w &= 1 \\\\
        """
        name, definition, expr = self._loss_line()
        rhs = f"{definition} = {expr}" if expr else definition
        lines = [r"&\textbf{1. Loss} \\", rf"{name} &= {rhs} \\"]
        lines.append(r"&\textbf{2. Compute graph} \\")
        lines += [rf"{n} &= {d} \\" for n, d, _ in self._graph_rows()]
        lines.append(r"&\textbf{3. Partial derivatives} \\")
        for grad, chain, expanded in self._derivative_rows():
            rhs = f"{chain} = {expanded}" if expanded else chain
            lines.append(rf"{grad} &= {rhs} \\")
        lines.append(rf"&\textbf{{4. Updates}} \; (\eta = {latex(self.lr)}) \\")
        for step in self.steps:
            points = r";\ ".join(self._point_text(p) for p in step.points)
            lines.append(rf"&\text{{step {step.number} (epoch {step.epoch}): }} {points} \\")
            for line in self._update_lines(step):
                lhs, rhs = line.split(r" \leftarrow ", 1)
                lines.append(rf"{lhs} &\leftarrow {rhs} \\")
        lines.append(r"&\textbf{5. Final values} \\")
        lines += [
            rf"{latex(sympy.Symbol(n))} &= {number_latex(v)} \\" for n, v in self.params.items()
        ]
        return "\\begin{aligned}\n" + "\n".join(lines) + "\n\\end{aligned}"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return f"$$\n{self.to_latex()}\n$$"
