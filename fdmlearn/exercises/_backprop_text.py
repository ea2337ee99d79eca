"""The backprop exercise's texts: statement, worked solution and a right answer."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from fdmlearn.exercises._chain import (
    _ACT_TEX,
    HALF_SQUARED,
    _Loss,
    _squared,
    _sym_act,
)
from fdmlearn.exercises.feedback import (
    Document,
    fmt_tex,
    setup_line,
)


# Over 200 lines: the statement and the five-part solution are long Markdown templates.
class _Text:
    """Statement, solution and answers of a `BackpropExercise` (a mixin: it reads its numbers)."""

    # ----------------------------------------------------------------- text

    def _network_tex(self) -> str:
        inner = "x"
        for k, a in enumerate(self.activations):
            body = f"w_{k} {inner}" if k == 0 else f"w_{k}\\, {inner}"
            inner = (
                f"{_ACT_TEX[a]}\\left({body}\\right)" if _ACT_TEX[a] else f"\\left({body}\\right)"
            )
        return inner

    def _activation_words(self) -> str:
        acts = set(self.activations)
        if len(acts) == 1:
            a = self.activations[0]
            return f"The activation function of every layer is {a.replace('_', ' ')}."
        listed = ", ".join(f"layer {k + 1}: {a}" for k, a in enumerate(self.activations))
        return f"The activations are {listed}."

    def statement(self) -> Document:
        """The task, in Markdown with LaTeX (renders in Jupyter and on the site).

        Examples:
            >>> from fdmlearn import exercises
            >>> print(str(exercises.backprop().statement()).splitlines()[0])
            ### Backpropagation by hand (the assignment's numbers)
        """
        start = ", ".join(f"$w_{k} = {fmt_tex(v)}$" for k, v in enumerate(self.start.values()))
        points = ", ".join(f"$({fmt_tex(x)}, {fmt_tex(y)})$" for x, y in self.data)
        if self.batch_size == 1:
            batching = (
                "Make **one gradient-descent update per data point**, in the order given "
                "(batch size 1)."
            )
        elif self.batch_size >= len(self.data):
            batching = (
                f"Make **one update with all {len(self.data)} points** (batch size "
                f"{self.batch_size}: the loss, and so the gradient, is the mean over the batch)."
            )
        else:
            batching = (
                f"Make one update per batch of **{self.batch_size} points**, in the order given "
                "(the loss is the mean over the batch)."
            )
        layers = "two layers" if self.depth == 2 else f"{self.depth} layers"
        hidden = "h" if self.depth == 2 else "h0, h1, ..."
        text = f"""
### {self.title}

A network with a single input $x$ and {layers} of one neuron each, without biases:

$$\\hat y = {self._network_tex()}$$

{self._activation_words()} The parameters start at {start}. The data points $(x, y)$ are
{points}, and the learning rate is $\\eta = {fmt_tex(self.lr)}$. {batching}

Give:

1. a loss function (the goal is to model a relation between two continuous variables);
2. the compute graph for training the network;
3. the partial derivative of the loss with respect to each parameter;
4. the update of each parameter for each data point{" (each batch)" if self.batch_size > 1 else ""};
5. the final values of the parameters.

{setup_line("backprop", self.seed)} check your answer with `ex.check(loss=..., graph=[...],
{", ".join(f"dL_d{n}=..." for n in self.names)}, updates=[...],
{", ".join(f"{n}=..." for n in self.names)})`; any part may be left out. Formulas may use `x`,
`y`, `{"`, `".join(self.names)}`, `yhat`, `{hidden}`, `z0` (= $w_0 x$), `relu`, `max`,
`sigmoid`, `heaviside` or `step`, `exp`, `log`; numbers may be fractions (`"3/5"`).
"""
        return Document(text)

    def _derivative_tex(self, k: int, loss: _Loss) -> str:
        if loss.kind == "half_squared":
            factors = [r"(\hat y - y)"]
        elif loss.kind == "squared":
            factors = [r"2(\hat y - y)"]
        else:
            factors = [r"\frac{\partial L}{\partial \hat y}"]
        hname = (
            (lambda j: "h" if self.depth == 2 else f"h_{j}")
            if self.depth == 2
            else (lambda j: f"h_{j}")
        )
        out_name = lambda j: r"\hat y" if j == self.depth - 1 else hname(j)  # noqa: E731

        def deriv(j: int) -> str | None:
            a = self.activations[j]
            if a == "relu":
                return rf"\mathbf{{1}}[z_{j} > 0]"
            if a == "leaky_relu":
                return rf"\operatorname{{lrelu}}'(z_{j})"
            if a == "sigmoid":
                return rf"{out_name(j)}(1 - {out_name(j)})"
            if a == "tanh":
                return rf"(1 - {out_name(j)}^2)"
            return None

        for j in range(self.depth - 1, k, -1):
            d = deriv(j)
            if d:
                factors.append(d)
            factors.append(f"w_{j}")
        d = deriv(k)
        if d:
            factors.append(d)
        factors.append("x" if k == 0 else hname(k - 1))
        return r" \cdot ".join(factors)

    def solution(self, loss: _Loss = HALF_SQUARED) -> Document:
        """The full worked answer: the five parts, every number of every step.

        Examples:
            >>> from fdmlearn import exercises
            >>> text = str(exercises.backprop().solution())
            >>> "w_0 = \\\\tfrac{3}{5} = 0.6" in text, "w_1 = \\\\tfrac{9}{5} = 1.8" in text
            (True, True)
        """
        depth = self.depth
        hname = (lambda j: "h") if depth == 2 else (lambda j: f"h_{j}")
        graph = []
        for k, a in enumerate(self.activations):
            src = "x" if k == 0 else hname(k - 1)
            graph.append(f"| $z_{k}$ | $w_{k} \\cdot {src}$ | product |")
            out = r"\hat y" if k == depth - 1 else hname(k)
            fn = _ACT_TEX[a] or r"\operatorname{id}"
            graph.append(f"| ${out}$ | ${fn}(z_{k})$ | {a.replace('_', ' ')} |")
        graph.append(f"| $L$ | ${loss.tex}$ | loss |")
        derivs = "\n".join(
            f"$$\\frac{{\\partial L}}{{\\partial w_{k}}} = {self._derivative_tex(k, loss)}$$"
            for k in range(depth)
        )
        steps = []
        for i, step in enumerate(self._steps_detail(loss), start=1):
            lines = []
            for p in step["points"]:
                zs = ", ".join(f"$z_{k} = {fmt_tex(z, True)}$" for k, z in enumerate(p["z"]))
                yh = fmt_tex(p["h"][-1], True)
                gs = ", ".join(
                    f"$\\partial L/\\partial w_{k} = {fmt_tex(g, True)}$"
                    for k, g in enumerate(p["grads"])
                )
                lines.append(
                    f"- point $({fmt_tex(p['x'])}, {fmt_tex(p['y'])})$: {zs}, "
                    f"$\\hat y = {yh}$; {gs}"
                )
            if len(step["points"]) > 1:
                lines.append(
                    "- mean over the batch: "
                    + ", ".join(
                        f"$g_{k} = {fmt_tex(g, True)}$" for k, g in enumerate(step["grads"])
                    )
                )
            ups = ", ".join(
                f"$w_{k} \\leftarrow {fmt_tex(b, True)} - {fmt_tex(self.lr, True)} \\cdot "
                f"({fmt_tex(g, True)}) = {fmt_tex(a, True)}$"
                for k, (b, g, a) in enumerate(
                    zip(step["before"], step["grads"], step["after"], strict=True)
                )
            )
            lines.append(f"- update: {ups}")
            steps.append(f"**Update {i}**\n\n" + "\n".join(lines))
        final = ", ".join(
            f"$w_{k} = {fmt_tex(v)}$" for k, v in enumerate(self.final(loss).values())
        )
        notes = self._solution_notes(loss)
        text = f"""
### Solution: {self.title}

**1. Loss.** Squared error with the conventional ½, $L = {loss.tex}$ per point (the mean over a
batch): its derivative is $\\partial L/\\partial \\hat y = \\hat y - y$. Plain $(\\hat y - y)^2$
is an equally good choice; it doubles every gradient, so its numbers differ (see the note
below).

**2. Compute graph** (one node per operation):

| node | computes | operation |
|---|---|---|
{chr(10).join(graph)}

**3. Partial derivatives** (chain rule, from the loss back to each weight;
$\\mathbf{{1}}[z > 0]$ is the ReLU's derivative):

{derivs}

**4. Updates** ($w \\leftarrow w - \\eta\\, \\partial L/\\partial w$, all gradients of one
update taken at the old weights):

{chr(10).join(chr(10) + s + chr(10) for s in steps)}

**5. Final values:** {final}.

{notes}
"""
        return Document(text)

    def _solution_notes(self, loss: _Loss) -> str:
        notes = []
        squared = self._run(_squared(Fraction(1)))[-1]
        notes.append(
            "With $(\\hat y - y)^2$ (no ½) the final values are "
            + ", ".join(f"$w_{k} = {fmt_tex(v)}$" for k, v in enumerate(squared))
            + "."
        )
        if any(a == "relu" for a in self.activations):
            active = all(
                all(z > 0 for z in p["z"])
                for step in self._steps_detail(loss)
                for p in step["points"]
            )
            if active:
                notes.append(
                    "Every ReLU is active ($z > 0$) at every point here, so each indicator is 1: "
                    "a derivation that leaves them out gets these numbers too, but its formulas "
                    "are wrong wherever a unit is off."
                )
        return "*Notes.* " + " ".join(notes)

    def answers(self) -> dict[str, Any]:
        """A complete right answer in the form `check` takes (strings and Fractions).

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.backprop()
            >>> ex.check(**ex.answers()).ok
            True
        """
        out: dict[str, Any] = {"loss": "(yhat - y)**2 / 2"}
        graph = []
        src = "x"
        for k, a in enumerate(self.activations):
            graph.append(f"z{k} = w{k}*{src}")
            name = "yhat" if k == self.depth - 1 else f"h{k}"
            graph.append(f"{name} = {a if a != 'identity' else ''}(z{k})")
            src = name
        graph.append("L = (yhat - y)**2 / 2")
        out["graph"] = graph
        for k in range(self.depth):
            out[f"dL_dw{k}"] = str(self._gradient_expr(k))
        out["updates"] = [
            dict(zip(self.names, step, strict=True)) for step in self._run(HALF_SQUARED)
        ]
        out.update(self.final())
        return out

    def _gradient_expr(self, k: int) -> sympy.Expr:
        s = self._symbols
        zs = [s[f"z{j}"] for j in range(self.depth)]
        g = s["yhat"] - s["y"]
        for j in range(k, self.depth):
            a = self.activations[j]
            g = g * sympy.diff(_sym_act(a, sympy.Symbol("t")), sympy.Symbol("t")).subs(
                sympy.Symbol("t"), zs[j]
            )
            if j > k:
                g = g * s[self.names[j]]
        src = s["x"] if k == 0 else s[f"h{k - 1}"]
        return g * src
