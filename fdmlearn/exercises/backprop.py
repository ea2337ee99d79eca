"""The backpropagation exercise: a chain of one-neuron layers trained by hand.

`backprop()` is the assignment's exercise (two ReLU layers, $w_0 = 1$,
$w_1 = 2$, data $(1, 2)$ and $(2, 3)$, learning rate 0.1, one update per
data point); `backprop(seed=...)` a variant with other numbers. `check`
reads every part of an answer and names the known mistakes it matches.

How a mistake is recognised: each known mistake is a *wrong solver* (the
right computation with one thing changed: no ½, the other sign, the stale
weight, ...). If a wrong solver reproduces the student's numbers, that is
the diagnosis. Formulas are compared with the right derivative, and with
each wrong one, by evaluating them at many random points, so any equivalent
form (Max, Heaviside, Piecewise, expanded) counts as the same.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from fdmlearn._checks import check_bool, check_choice, check_int, check_rng
from fdmlearn.exercises._answers import (
    AnswerError,
    Number,
    agree,
    numeric,
    parse_expression,
    parse_number,
    same_number,
)
from fdmlearn.exercises.feedback import (
    Document,
    Feedback,
    Part,
    _register,
    fmt,
    fmt_tex,
    setup_line,
)

__all__ = ["ACTIVATIONS", "BackpropExercise", "backprop"]

ACTIVATIONS = ("relu", "leaky_relu", "identity", "sigmoid", "tanh")
_EXACT = {"relu", "leaky_relu", "identity"}  # piecewise linear: exact fractions throughout
_LEAK = Fraction(1, 5)

D = {
    name: _register(f"backprop.{name}", title, meaning)
    for name, title, meaning in [
        (
            "missing_half",
            "gradient twice too large (the ½ is missing)",
            "The numbers are those of (ŷ − y)² although the loss was ½(ŷ − y)² (or no loss was "
            "named): the 2 from differentiating the square was not cancelled. On the "
            "assignment's numbers this gives w0 = 1/5, w1 = 8/5 instead of 3/5, 9/5.",
        ),
        (
            "doubled_half",
            "gradient half the right size (½ counted twice)",
            "The derivative of the loss came out as ½(ŷ − y) for ½(ŷ − y)², or as (ŷ − y) for "
            "(ŷ − y)²: a factor ½ too many.",
        ),
        (
            "dropped_activation_derivative",
            "activation derivative dropped",
            "The chain rule skips the derivative of an activation (for ReLU the indicator "
            "1[z > 0]). The numbers can still come out right, but only because the unit is "
            "active at the exercise's points; the formula is wrong wherever it is not. This is "
            "the seed notebook's own derivation.",
        ),
        (
            "forward_without_activation",
            "forward pass without the activation",
            "ŷ was computed as if the layers were linear (ŷ = w1·w0·x), leaving out the ReLU.",
        ),
        (
            "wrong_sign",
            "wrong sign",
            "The update moves up the gradient (w + η·g), or the derivative has the sign of "
            "(y − ŷ) instead of (ŷ − y): gradient ascent, the loss grows.",
        ),
        (
            "stale_weights",
            "second weight updated with the already-updated first one",
            "Within one update the gradients must all be taken at the old weights. Here one "
            "weight was updated first and its new value used to compute the other's gradient.",
        ),
        (
            "batch_summed",
            "batch gradient summed instead of averaged",
            "With a batch of several points the gradient is the mean of the per-point "
            "gradients (the loss is a mean); the sum makes the step as many times larger.",
        ),
        (
            "lr_twice",
            "learning rate applied twice",
            "The step is η²·g instead of η·g: the learning rate was multiplied into the gradient "
            "and again into the update.",
        ),
        (
            "missing_learning_rate",
            "learning rate left out",
            "The update is w − g: the gradient was subtracted without multiplying by η.",
        ),
        (
            "chain_wrong_layer",
            "chain-rule factors from the wrong layers",
            "The gradient of w0 must multiply the weights of the layers *above* it (w1, the way "
            "the error flows back); here it uses the weights of the layers below (w0 itself).",
        ),
        (
            "gradients_swapped",
            "gradients of the two weights swapped",
            "Each weight was updated with the other weight's gradient.",
        ),
        (
            "batch_instead_of_per_point",
            "one averaged update instead of one per point",
            "The exercise asks for one update per data point (batch size 1); the answer makes a "
            "single update with the gradients averaged over all points.",
        ),
        (
            "per_point_instead_of_batch",
            "one update per point instead of one per batch",
            "The exercise asks for one update per batch (gradients averaged over the batch); "
            "the answer updates after every point.",
        ),
        (
            "output_not_loss_derivative",
            "derivative of ŷ, not of the loss",
            "The formula is ∂ŷ/∂w: the factor ∂L/∂ŷ (= ŷ − y for ½(ŷ − y)²) is missing.",
        ),
        (
            "value_not_expression",
            "a number where a formula was asked",
            "The part asks for the partial derivative as a formula; the answer is its value at "
            "one point.",
        ),
        (
            "not_a_loss",
            "not a regression loss",
            "The chosen 'loss' is not zero at ŷ = y or can be negative, so minimising it does not "
            "fit the data.",
        ),
        (
            "graph_nodes_combined",
            "compute graph with combined nodes",
            "A compute graph has one node per operation (product, activation, loss); the answer "
            "folds several into one node, which hides where the chain rule applies.",
        ),
    ]
}


# --------------------------------------------------------------------------- activations


def _act(name: str, z: Any) -> Any:
    if name == "relu":
        return z if z > 0 else z * 0
    if name == "leaky_relu":
        return z if z > 0 else z * _LEAK
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-float(z)))
    return math.tanh(float(z))


def _dact(name: str, z: Any) -> Any:
    if name == "relu":
        return 1 if z > 0 else 0
    if name == "leaky_relu":
        return 1 if z > 0 else _LEAK
    if name == "identity":
        return 1
    if name == "sigmoid":
        s = _act("sigmoid", z)
        return s * (1.0 - s)
    return 1.0 - math.tanh(float(z)) ** 2


def _sym_act(name: str, z: sympy.Expr) -> sympy.Expr:
    return {
        "relu": lambda: sympy.Max(0, z),
        "leaky_relu": lambda: sympy.Max(z, z / 5),
        "identity": lambda: z,
        "sigmoid": lambda: 1 / (1 + sympy.exp(-z)),
        "tanh": lambda: sympy.tanh(z),
    }[name]()


def _np_act(name: str, z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda: np.maximum(z, 0.0),
        "leaky_relu": lambda: np.where(z > 0, z, 0.2 * z),
        "identity": lambda: z,
        "sigmoid": lambda: 1.0 / (1.0 + np.exp(-z)),
        "tanh": lambda: np.tanh(z),
    }[name]()


def _np_dact(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1 - s)
    return {
        "relu": lambda: (z > 0).astype(float),
        "leaky_relu": lambda: np.where(z > 0, 1.0, 0.2),
        "identity": lambda: np.ones_like(z),
        "tanh": lambda: 1 - np.tanh(z) ** 2,
    }[name]()


_ACT_TEX = {
    "relu": r"\operatorname{relu}",
    "leaky_relu": r"\operatorname{lrelu}",
    "identity": "",
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
}


# --------------------------------------------------------------------------- losses


@dataclass(frozen=True)
class _Loss:
    """A loss of (ŷ, y): its formula, and dL/dŷ as a fast function."""

    expr: sympy.Expr  # in the symbols yhat, y
    grad: Callable[[Any, Any], Any]
    tex: str
    kind: str  # "half_squared", "squared", "other"


_YHAT, _Y = sympy.symbols("yhat y", real=True)


def _squared(c: Fraction) -> _Loss:
    c2 = 2 * c
    tex = {Fraction(1, 2): r"\tfrac12", Fraction(1): ""}.get(
        c, rf"\tfrac{{{c.numerator}}}{{{c.denominator}}}"
    )
    kind = {Fraction(1, 2): "half_squared", Fraction(1): "squared"}.get(c, "other")
    return _Loss(
        sympy.Rational(c.numerator, c.denominator) * (_YHAT - _Y) ** 2,
        lambda yh, y: c2 * (yh - y),
        rf"{tex}(\hat y - y)^2",
        kind,
    )


HALF_SQUARED = _squared(Fraction(1, 2))


def _loss_from(expr: sympy.Expr, batch_size: int) -> _Loss:
    """Recognise c·(ŷ − y)² exactly; anything else gets a float derivative."""
    expr = expr.subs(sympy.Symbol("n"), batch_size)
    ratio = sympy.simplify(expr / (_YHAT - _Y) ** 2)
    if ratio.is_Rational and ratio > 0:
        return _squared(Fraction(int(ratio.p), int(ratio.q)))
    derivative = sympy.diff(expr, _YHAT)
    f = sympy.lambdify((_YHAT, _Y), derivative, modules=["math"])
    return _Loss(expr, lambda yh, y: float(f(float(yh), float(y))), sympy.latex(expr), "other")


# --------------------------------------------------------------------------- the exercise


def _params(depth: int) -> tuple[str, ...]:
    return tuple(f"w{k}" for k in range(depth))


@dataclass(frozen=True, eq=False)
class _Solver:
    """One way of doing the computation, right (all defaults) or with one known mistake."""

    scale: Any = 1
    sign: int = -1
    lr_power: int = 1
    reduce: str = "mean"
    batch_size: int | None = None
    stale: str | None = None
    swap: bool = False
    drop: bool = False
    linear: bool = False
    mirror: bool = False


_MISTAKES: tuple[tuple[str, _Solver, str], ...] = (
    ("missing_half", _Solver(scale=2), "these are the numbers of a gradient twice as large"),
    ("doubled_half", _Solver(scale=Fraction(1, 2)), "these are the numbers of half the gradient"),
    ("wrong_sign", _Solver(sign=1), "the weights moved up the gradient (w + η·g)"),
    ("lr_twice", _Solver(lr_power=2), "the step is η²·g, not η·g"),
    ("missing_learning_rate", _Solver(lr_power=0), "the step is g itself, without η"),
    (
        "stale_weights",
        _Solver(stale="backward"),
        "the last layer's weight was updated first and its new value used for the earlier one",
    ),
    (
        "stale_weights",
        _Solver(stale="forward"),
        "w0 was updated first and its new value used for the later weights",
    ),
    ("batch_summed", _Solver(reduce="sum"), "the batch's gradients were added, not averaged"),
    ("gradients_swapped", _Solver(swap=True), "each weight got the other one's gradient"),
    ("chain_wrong_layer", _Solver(mirror=True), "w0's gradient uses the wrong layer's weights"),
    (
        "dropped_activation_derivative",
        _Solver(drop=True),
        "the chain rule skipped the activation derivatives",
    ),
    (
        "forward_without_activation",
        _Solver(linear=True),
        "the network was computed as if it had no activations",
    ),
)


class BackpropExercise:
    """One backpropagation exercise: a network, a start, data and a learning rate.

    Make one with `backprop()` (the assignment's numbers) or
    `backprop(seed=...)`. `statement()` is the task, `solution()` the worked
    answer, `check(...)` grades an answer part by part.

    Attributes:
        start: Initial weights, `{"w0": Fraction(1), ...}`.
        data: The data points `((x, y), ...)`, as Fractions.
        lr: The learning rate, a Fraction.
        batch_size: Points per update (1: one update per point).
        activations: One activation name per layer.
        seed: The variant's seed (`None` for the assignment's numbers).
    """

    def __init__(
        self,
        start: Sequence[Fraction],
        data: Sequence[tuple[Fraction, Fraction]],
        lr: Fraction,
        batch_size: int,
        activations: Sequence[str],
        seed: Any = None,
    ) -> None:
        self.depth = len(activations)
        self.names = _params(self.depth)
        self.start = dict(zip(self.names, start, strict=True))
        self.data = tuple(data)
        self.lr = lr
        self.batch_size = batch_size
        self.activations = tuple(activations)
        self.seed = seed
        self.exact = all(a in _EXACT for a in self.activations)
        self._symbols = self._make_symbols()

    # ----------------------------------------------------------------- basics

    @property
    def title(self) -> str:
        which = "the assignment's numbers" if self.seed is None else f"variant {self.seed}"
        return f"Backpropagation by hand ({which})"

    def __repr__(self) -> str:
        start = ", ".join(f"{k}={fmt(v)}" for k, v in self.start.items())
        data = ", ".join(f"({fmt(x)}, {fmt(y)})" for x, y in self.data)
        return (
            f"BackpropExercise({start}, data=[{data}], lr={fmt(self.lr)}, "
            f"batch_size={self.batch_size}, activations={list(self.activations)})"
        )

    def _num(self, value: Fraction) -> Any:
        return value if self.exact else float(value)

    # ----------------------------------------------------------------- numbers

    def _forward(self, ws: Sequence[Any], x: Any, linear: bool = False) -> tuple[list, list]:
        hs, zs = [x], []
        for k, w in enumerate(ws):
            z = w * hs[-1]
            zs.append(z)
            hs.append(z if linear else _act(self.activations[k], z))
        return zs, hs

    def _point_grad(self, ws: Sequence[Any], x: Any, y: Any, loss: _Loss, s: _Solver) -> list:
        zs, hs = self._forward(ws, x, linear=s.linear)
        delta = loss.grad(hs[-1], y)
        ds = [
            1 if (s.drop or s.linear) else _dact(a, z)
            for a, z in zip(self.activations, zs, strict=False)
        ]
        grads = []
        for k in range(self.depth):
            above = range(0, self.depth - 1 - k) if s.mirror else range(k + 1, self.depth)
            g = delta * ds[k] * hs[k]
            for j in range(k + 1, self.depth):
                g = g * ds[j]
            for j in above:
                g = g * ws[j]
            grads.append(g)
        return grads

    def _run(self, loss: _Loss, s: _Solver = _Solver()) -> list[tuple]:
        """The weights after each update, for one way of computing."""
        ws = [self._num(self.start[n]) for n in self.names]
        points = [(self._num(x), self._num(y)) for x, y in self.data]
        size = s.batch_size or self.batch_size
        rate = self._num(self.lr) ** s.lr_power
        scale = s.scale if self.exact else float(s.scale)
        steps = []
        for first in range(0, len(points), size):
            batch = points[first : first + size]

            def grad(ws: list, batch: list = batch) -> list:
                per_point = [self._point_grad(ws, x, y, loss, s) for x, y in batch]
                total = [sum(col) for col in zip(*per_point, strict=True)]
                return [t / len(batch) for t in total] if s.reduce == "mean" else total

            if s.stale is None:
                g = grad(ws)
                if s.swap:
                    g = g[::-1]
                ws = [w + s.sign * rate * scale * gk for w, gk in zip(ws, g, strict=True)]
            else:
                order = (
                    range(self.depth - 1, -1, -1) if s.stale == "backward" else range(self.depth)
                )
                for k in order:
                    ws[k] = ws[k] + s.sign * rate * scale * grad(ws)[k]
            steps.append(tuple(ws))
        return steps

    def _steps_detail(self, loss: _Loss) -> list[dict]:
        """Forward values, gradients and updates of each right step (for the solution)."""
        ws = [self._num(self.start[n]) for n in self.names]
        out = []
        points = [(self._num(x), self._num(y)) for x, y in self.data]
        for first in range(0, len(points), self.batch_size):
            batch = points[first : first + self.batch_size]
            rows = []
            for x, y in batch:
                zs, hs = self._forward(ws, x)
                g = self._point_grad(ws, x, y, loss, _Solver())
                rows.append({"x": x, "y": y, "z": zs, "h": hs[1:], "grads": g})
            mean = [sum(r["grads"][k] for r in rows) / len(rows) for k in range(self.depth)]
            after = [w - self._num(self.lr) * g for w, g in zip(ws, mean, strict=True)]
            out.append({"before": list(ws), "points": rows, "grads": mean, "after": after})
            ws = after
        return out

    def final(self, loss: _Loss = HALF_SQUARED) -> dict[str, Any]:
        """Right final weights (`{"w0": Fraction(3, 5), "w1": Fraction(9, 5)}` here)."""
        return dict(zip(self.names, self._run(loss)[-1], strict=True))

    def _mistake_runs(self, loss: _Loss) -> list[tuple[str, str, list[tuple]]]:
        runs = []
        for name, solver, why in _MISTAKES:
            if name == "batch_summed" and self.batch_size == 1:
                continue
            if (
                name in ("gradients_swapped", "chain_wrong_layer", "stale_weights")
                and self.depth < 2
            ):
                continue
            runs.append((name, why, self._run(loss, solver)))
        n = len(self.data)
        if self.batch_size == 1 and n > 1:
            runs.append(
                (
                    "batch_instead_of_per_point",
                    "one update with the gradients of all points averaged",
                    self._run(loss, _Solver(batch_size=n)),
                )
            )
        if self.batch_size > 1:
            runs.append(
                (
                    "per_point_instead_of_batch",
                    "one update after every point",
                    self._run(loss, _Solver(batch_size=1)),
                )
            )
        return runs

    def _distinct(self) -> bool:
        """Every mistake that changes the numbers changes them away from every other one."""
        right = self._run(HALF_SQUARED)[-1]
        finals = [("right", right)] + [
            (name, r[-1])
            for name, _, r in self._mistake_runs(HALF_SQUARED)
            if name not in ("dropped_activation_derivative", "forward_without_activation")
        ]
        if not self.exact:
            # Saturating activations can make a mistake's effect smaller than a student's
            # rounding (a stale weight moves the result by 1e-4): such a mistake cannot be seen
            # in the numbers and is left to the formulas. The others must stand out.
            finals = [f for f in finals if f[0] != "stale_weights"]
            finals = [finals[0]] + [
                f
                for f in finals[1:]
                if any(
                    abs(float(p) - float(q)) > 1e-2 * max(1.0, abs(float(q)))
                    for p, q in zip(f[1], right, strict=False)
                )
                or f[0] in ("missing_half", "doubled_half", "wrong_sign")
            ]
        for (name_a, a), (name_b, b) in itertools.combinations(finals, 2):
            if name_a != name_b and all(
                abs(float(p) - float(q)) < 1e-3 * max(1.0, abs(float(q)))
                for p, q in zip(a, b, strict=False)
            ):
                return False
        return True

    # ----------------------------------------------------------------- symbols

    def _make_symbols(self) -> dict[str, sympy.Expr]:
        x, y = sympy.symbols("x y", real=True)
        ws = [sympy.Symbol(n, real=True) for n in self.names]
        h: sympy.Expr = x
        table: dict[str, sympy.Expr] = {"x": x, "y": y}
        table.update(zip(self.names, ws, strict=True))
        for k, (w, a) in enumerate(zip(ws, self.activations, strict=True)):
            z = w * h
            table[f"z{k}"] = z
            h = _sym_act(a, z)
            table[f"h{k}"] = h
        table["q"] = table["z0"]
        for alias in ("yhat", "y_hat", "yh", "haty", "out"):
            table[alias] = h
        if self.depth == 2:
            table["h"] = table["h0"]
        table["n"] = sympy.Integer(self.batch_size)
        return table

    @property
    def variables(self) -> list[sympy.Symbol]:
        return [self._symbols[n] for n in ("x", "y", *self.names)]

    def _names_help(self) -> str:
        hidden = (
            "h (= h0)" if self.depth == 2 else ", ".join(f"h{k}" for k in range(self.depth - 1))
        )
        return (
            f"x, y, {', '.join(self.names)}, yhat (ŷ), {hidden}, "
            f"z0..z{self.depth - 1} (pre-activations, z0 = w0*x), relu, max, sigmoid, "
            "heaviside/step, exp, log, tanh"
        )

    def _sample(self, n: int = 96) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(12345)
        cols = {"x": rng.uniform(0.3, 3.0, n) * rng.choice([-1, 1], n)}
        cols["y"] = rng.uniform(-3, 3, n)
        for name in self.names:
            cols[name] = rng.uniform(0.3, 3.0, n) * rng.choice([-1, 1], n)
        return cols

    def _np_reference(self, cols: Mapping[str, np.ndarray], loss: _Loss) -> dict[str, Any]:
        """Right and wrong gradients of every weight at sample points, as arrays."""
        h = cols["x"]
        hs, zs = [h], []
        for k, name in enumerate(self.names):
            z = cols[name] * hs[-1]
            zs.append(z)
            hs.append(_np_act(self.activations[k], z))
        yhat = hs[-1]
        dl = numeric(sympy.diff(loss.expr, _YHAT), [_YHAT, _Y])(yhat, cols["y"])
        ds = [_np_dact(a, z) for a, z in zip(self.activations, zs, strict=True)]
        lin = [cols["x"]]
        for name in self.names:
            lin.append(lin[-1] * cols[name])
        dl_lin = numeric(sympy.diff(loss.expr, _YHAT), [_YHAT, _Y])(lin[-1], cols["y"])
        out: dict[str, Any] = {"right": [], "up": [], "mirror": [], "dropped": [], "linear": []}
        for k in range(self.depth):
            up = np.ones_like(yhat)
            for j in range(k + 1, self.depth):
                up = up * ds[j] * cols[self.names[j]]
            local = ds[k] * hs[k]
            out["right"].append(dl * up * local)
            out["up"].append(up * local)
            mirror = np.ones_like(yhat)
            for j in range(k + 1, self.depth):
                mirror = mirror * ds[j]
            for j in range(0, self.depth - 1 - k):
                mirror = mirror * cols[self.names[j]]
            out["mirror"].append(dl * mirror * local)
            # Activation derivatives dropped: every subset of the non-linear layers the gradient
            # passes through, each alone a diagnosis of the same kind.
            layers = [j for j in range(k, self.depth) if self.activations[j] != "identity"]
            dropped = []
            for r in range(1, len(layers) + 1):
                for subset in itertools.combinations(layers, r):
                    g = dl * hs[k]
                    for j in range(k, self.depth):
                        g = g * (1 if j in subset else ds[j])
                        if j > k:
                            g = g * cols[self.names[j]]
                    dropped.append((subset, g))
            out["dropped"].append(dropped)
            w_above = np.ones_like(yhat)
            for j in range(k + 1, self.depth):
                w_above = w_above * cols[self.names[j]]
            out["linear"].append([dl * w_above * lin[k], dl_lin * w_above * lin[k]])
        return out

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

    # ----------------------------------------------------------------- checking

    def check(self, answers: Mapping[str, Any] | None = None, /, **parts: Any) -> Feedback:
        """Grade an answer part by part, naming the known mistakes it matches.

        Every argument is optional; give the parts you want checked.

        Args:
            answers: The same parts as a dict (keys like `"dL/dw1"` are accepted too).
            loss: The loss, a formula in `yhat` and `y` (`"(yhat - y)**2 / 2"`).
            graph: The compute graph, a list of `"name = formula"` lines, one per node.
            yhat: The forward pass, a formula in `x` and the weights.
            dL_dw0, dL_dw1, ...: Each partial derivative, a formula.
            updates: The weights after each update, a list of dicts
                (`[{"w0": 1, "w1": 2}, {"w0": "3/5", "w1": 1.8}]`) or of tuples.
            update_rule: The update as a formula in `w`, `lr` and `g` (`"w - lr*g"`).
            w0, w1, ...: The final values.

        Returns:
            A `Feedback`: `.ok`, `.parts`, `.diagnoses`; `print` it for the reasons.

        Raises:
            TypeError: If a part's name is not one of the above.

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.backprop()
            >>> fb = ex.check(loss="(yhat - y)**2 / 2", dL_dw1="relu(w0*x) * (yhat - y)",
            ...               w0=0.6, w1=1.8)
            >>> fb.ok
            False
            >>> fb.diagnoses
            ('backprop.dropped_activation_derivative',)
            >>> print(fb["w0"].status, fb["dL_dw1"].status)
            right wrong
            >>> ex.check(w0="1/5", w1="8/5").diagnoses
            ('backprop.missing_half',)
        """
        given = _normalise(self.names, dict(answers or {}), parts)
        notes: list[str] = []
        loss_part, loss = self._check_loss(given.get("loss"), notes)
        out: list[Part] = [loss_part]
        out.append(self._check_graph(given.get("graph"), loss))
        if "yhat" in given:
            out.append(self._check_forward(given["yhat"]))
        for k in range(self.depth):
            out.append(self._check_derivative(k, given.get(f"dL_dw{k}"), loss))
        if "update_rule" in given:
            out.append(self._check_rule(given["update_rule"]))
        out.append(self._check_updates(given.get("updates"), loss))
        out += self._check_final({n: given[n] for n in self.names if n in given}, loss)
        if loss.kind == "squared" and any(p.status == "right" for p in out[1:]):
            notes.append(
                "Your numbers are checked against the loss you chose, (ŷ − y)²; with the "
                "conventional ½(ŷ − y)² every gradient is half as large."
            )
        return Feedback(self.title, tuple(out), tuple(notes))

    def _check_loss(self, value: Any, notes: list[str]) -> tuple[Part, _Loss]:
        if value is None:
            return Part(
                "loss", "missing", "not answered (the numbers are checked against ½(ŷ − y)²)"
            ), HALF_SQUARED
        if isinstance(value, str) and value.strip().lower() in (
            "mse",
            "mean squared error",
            "squared error",
            "l2",
        ):
            notes.append(
                "Name the formula, not just 'MSE': Keras' MSE is mean (ŷ − y)², many books put "
                "a ½ in front, and the numbers differ by a factor 2."
            )
            return Part(
                "loss",
                "incomplete",
                f"{value!r} names a family; write the formula, e.g. (yhat - y)**2 / 2",
            ), HALF_SQUARED
        names = {"yhat": _YHAT, "y_hat": _YHAT, "yh": _YHAT, "y": _Y, "n": sympy.Symbol("n")}
        try:
            expr = parse_expression(value, "loss", names, "yhat (ŷ), y, n (points in the batch)")
        except AnswerError as err:
            return Part("loss", "incomplete", str(err)), HALF_SQUARED
        expr = expr.subs(sympy.Symbol("n"), self.batch_size)
        f = numeric(expr, [_YHAT, _Y])
        rng = np.random.default_rng(0)
        a, b = rng.uniform(-3, 3, 64), rng.uniform(-3, 3, 64)
        at_target = f(b, b)
        values = f(a, b)
        if (
            np.nanmax(np.abs(at_target)) > 1e-9
            or np.nanmin(values) < -1e-9
            or not np.any(values > 1e-9)
        ):
            return (
                Part(
                    "loss",
                    "wrong",
                    "this is not a regression loss: a loss must be 0 when ŷ = y and positive "
                    "otherwise, so that minimising it brings ŷ to y",
                    (D["not_a_loss"],),
                ),
                HALF_SQUARED,
            )
        loss = _loss_from(expr, self.batch_size)
        if loss.kind == "half_squared":
            return Part(
                "loss",
                "right",
                "½(ŷ − y)², squared error with the ½ that cancels in the derivative",
            ), loss
        if loss.kind == "squared":
            return Part(
                "loss",
                "right",
                "(ŷ − y)², squared error (a valid choice; without the ½ every gradient doubles)",
            ), loss
        return Part(
            "loss", "right", "a valid regression loss; the other parts are checked against it"
        ), loss

    def _check_graph(self, value: Any, loss: _Loss) -> Part:
        if value is None:
            return Part("graph", "missing", "not answered")
        if isinstance(value, str):
            value = [line for line in value.replace(";", "\n").splitlines() if line.strip()]
        if not isinstance(value, Sequence) or not value:
            return Part("graph", "incomplete", "give the graph as a list of lines 'name = formula'")
        table: dict[str, sympy.Expr] = dict(self._symbols)
        for alias in (
            "yhat",
            "y_hat",
            "yh",
            "haty",
            "out",
            "h",
            *[f"h{k}" for k in range(self.depth)],
            *[f"z{k}" for k in range(self.depth)],
            "q",
        ):
            table.pop(alias, None)
        leaves = dict(table)
        combined = []
        last = None
        for line in value:
            if not isinstance(line, str) or "=" not in line:
                return Part(
                    "graph",
                    "incomplete",
                    f"could not read the line {line!r}: write 'name = formula'",
                )
            name, formula = (s.strip() for s in line.split("=", 1))
            local = {**table, **{k: sympy.Symbol(f"_node_{k}") for k in table if k not in leaves}}
            try:
                expr = parse_expression(
                    formula,
                    f"graph line {line!r}",
                    local,
                    "the names of earlier nodes, x, y, w0, ...",
                )
            except AnswerError as err:
                return Part("graph", "incomplete", str(err))
            if _operations(formula, local) > 1 and not _is_loss_node(expr):
                combined.append(name)
            back = {sympy.Symbol(f"_node_{k}"): v for k, v in table.items() if k not in leaves}
            table[name] = expr.xreplace(back)
            last = name
        forward = self._symbols["yhat"]
        final = table[last]
        loss_of_forward = loss.expr.xreplace({_YHAT: forward, _Y: self._symbols["y"]})
        cols = self._sample()
        args = [cols[s.name] for s in self.variables]
        got = numeric(final, self.variables)(*args)
        want = numeric(loss_of_forward, self.variables)(*args)
        if not agree(got, want).all():
            lin = loss.expr.xreplace({_YHAT: self._linear_forward(), _Y: self._symbols["y"]})
            if agree(got, numeric(lin, self.variables)(*args)).all():
                return Part(
                    "graph",
                    "wrong",
                    "the graph has no activation nodes: ŷ is computed as if the layers were linear",
                    (D["forward_without_activation"],),
                )
            return Part("graph", "wrong", f"its last node, {last}, is not the loss of this network")
        if combined:
            return Part(
                "graph",
                "incomplete",
                f"right function, but node(s) {', '.join(combined)} hold several operations; give "
                "each product and each activation its own node",
                (D["graph_nodes_combined"],),
            )
        return Part("graph", "right", "one node per operation, ending in the loss")

    def _linear_forward(self) -> sympy.Expr:
        out = self._symbols["x"]
        for n in self.names:
            out = out * self._symbols[n]
        return out

    def _check_forward(self, value: Any) -> Part:
        try:
            expr = parse_expression(value, "yhat", self._leaf_symbols(), self._names_help())
        except AnswerError as err:
            return Part("yhat", "incomplete", str(err))
        cols = self._sample()
        args = [cols[s.name] for s in self.variables]
        got = numeric(expr, self.variables)(*args)
        if agree(got, numeric(self._symbols["yhat"], self.variables)(*args)).all():
            return Part("yhat", "right", "the forward pass of this network")
        if agree(got, numeric(self._linear_forward(), self.variables)(*args)).all():
            return Part(
                "yhat",
                "wrong",
                "this is the network without its activations; it agrees only where every unit is "
                "active",
                (D["forward_without_activation"],),
            )
        return Part("yhat", "wrong", "not the output of this network")

    def _leaf_symbols(self) -> dict[str, sympy.Expr]:
        return {k: v for k, v in self._symbols.items() if k in ("x", "y", *self.names)}

    def _check_derivative(self, k: int, value: Any, loss: _Loss) -> Part:
        name = f"dL_dw{k}"
        if value is None:
            return Part(name, "missing", "not answered")
        numberlike = not isinstance(value, str | sympy.Basic) or (
            isinstance(value, sympy.Basic) and value.is_number
        )
        if isinstance(value, str):
            try:
                parse_number(value, name)
                numberlike = True
            except AnswerError:
                numberlike = False
        if numberlike:
            return self._derivative_value(k, value, loss)
        try:
            expr = parse_expression(value, name, self._symbols, self._names_help())
        except AnswerError as err:
            return Part(name, "incomplete", str(err))
        cols = self._sample()
        args = [cols[s.name] for s in self.variables]
        got = numeric(expr, self.variables)(*args)
        ref = self._np_reference(cols, loss)
        right = ref["right"][k]
        if agree(got, right).all():
            return Part(name, "right", "the chain rule, every factor present")
        at_points = self._at_points(expr, k, loss)
        scales = [
            (1, ()),
            (2, (D["missing_half"],)),
            (0.5, (D["doubled_half"],)),
            (-1, (D["wrong_sign"],)),
        ]
        for factor, extra in scales:
            for subset, g in ref["dropped"][k]:
                if agree(got, factor * g).all():
                    return self._dropped_part(name, k, subset, extra, at_points, factor)
            for g in ref["linear"][k]:
                if agree(got, factor * g).all():
                    return self._dropped_part(name, k, None, extra, at_points, factor)
        if agree(got, 2 * right).all():
            why = (
                "twice the right derivative: the ½ of the loss is missing (or the 2 of the "
                "square was not cancelled)"
            )
            return Part(name, "wrong", why, (D["missing_half"],))
        if agree(got, 0.5 * right).all():
            return Part(
                name,
                "wrong",
                "half the right derivative: a factor ½ too many",
                (D["doubled_half"],),
            )
        if agree(got, -right).all():
            return Part(
                name,
                "wrong",
                "the sign is flipped: the error term is (ŷ − y), not (y − ŷ)",
                (D["wrong_sign"],),
            )
        found = []
        if agree(got, ref["up"][k]).all():
            found.append(
                (
                    "this is ∂ŷ/∂w, the derivative of the output; multiply by ∂L/∂ŷ",
                    D["output_not_loss_derivative"],
                )
            )
        if self.depth >= 2 and k < self.depth - 1 and agree(got, ref["mirror"][k]).all():
            found.append(
                (
                    f"the chain for w{k} must multiply the weights above it "
                    f"({', '.join(self.names[k + 1 :])}), the way the error flows back; this one "
                    "uses the layers below",
                    D["chain_wrong_layer"],
                )
            )
        for j in range(self.depth):
            if j != k and agree(got, ref["right"][j]).all():
                found.append((f"this is ∂L/∂w{j}, not ∂L/∂w{k}", D["gradients_swapped"]))
        if found:
            # On a two-layer ReLU chain some of these are one and the same formula.
            return Part(
                name, "wrong", "; or ".join(m for m, _ in found), tuple(d for _, d in found)
            )
        tail = " It does give the right value at this exercise's points." if at_points else ""
        return Part(name, "wrong", f"not the derivative of the loss with respect to w{k}.{tail}")

    def _dropped_part(
        self, name: str, k: int, subset: tuple | None, extra: tuple, at_points: bool, factor: float
    ) -> Part:
        if subset is None:
            what = (
                "the network is treated as linear: no activation derivative, and w·x in place "
                "of the activation's output"
            )
        else:
            missing = [self._derivative_words(j) for j in subset]
            verb = "is" if len(missing) == 1 else "are"
            what = f"{' and '.join(missing)} {verb} missing"
        if at_points and factor == 1:
            tail = (
                " The number comes out right here only because the unit is active at this "
                "exercise's points (z > 0, so the derivative is 1); the formula is wrong "
                "wherever a unit is off."
            )
        else:
            tail = ""
        more = {
            D["missing_half"]: " It is also twice too large (the ½ is missing).",
            D["doubled_half"]: " It is also half the right size.",
            D["wrong_sign"]: " Its sign is also flipped.",
        }
        text = what + (more[extra[0]] if extra else "") + "." + tail
        tags = (D["dropped_activation_derivative"],) + extra
        if subset is None:
            tags += (D["forward_without_activation"],)
        return Part(name, "wrong", text[0].upper() + text[1:], tags)

    def _derivative_words(self, j: int) -> str:
        where = "the output layer" if j == self.depth - 1 else f"layer {j + 1}"
        a = self.activations[j]
        if a == "relu":
            return f"the ReLU derivative of {where}, 1[z{j} > 0],"
        return f"the {a.replace('_', ' ')} derivative of {where}"

    def _at_points(self, expr: sympy.Expr, k: int, loss: _Loss) -> bool:
        """Whether `expr` gives the right gradient at every point where the exercise uses it."""
        f = numeric(expr, self.variables)
        ws = [self._num(self.start[n]) for n in self.names]
        ok = True
        for first in range(0, len(self.data), self.batch_size):
            batch = self.data[first : first + self.batch_size]
            for x, y in batch:
                cols = [np.array([float(v)]) for v in (x, y, *ws)]
                want = float(self._point_grad(ws, self._num(x), self._num(y), loss, _Solver())[k])
                ok &= bool(agree(f(*cols), np.array([want]), rtol=1e-6).all())
            ws = list(self._run(loss)[first // self.batch_size])
        return ok

    def _derivative_value(self, k: int, value: Any, loss: _Loss) -> Part:
        name = f"dL_dw{k}"
        try:
            number = parse_number(value, name)
        except AnswerError as err:
            return Part(name, "incomplete", str(err))
        for step in self._steps_detail(loss):
            for p in step["points"]:
                if same_number(number, p["grads"][k]):
                    return Part(
                        name,
                        "incomplete",
                        f"{fmt(number.exact)} is the value of ∂L/∂w{k} at the point "
                        f"({fmt(p['x'])}, {fmt(p['y'])}); this part asks for the formula",
                        (D["value_not_expression"],),
                    )
        return Part(
            name,
            "wrong",
            f"{fmt(number.exact)} is not ∂L/∂w{k} at any of the exercise's points; and this part "
            "asks for the formula",
            (D["value_not_expression"],),
        )

    def _check_rule(self, value: Any) -> Part:
        w, g, lr = sympy.symbols("w g lr", real=True)
        names = {"w": w, "g": g, "grad": g, "dL_dw": g, "dLdw": g, "lr": lr, "eta": lr, "alpha": lr}
        try:
            expr = parse_expression(value, "update_rule", names, "w, lr (η), g (the gradient)")
        except AnswerError as err:
            return Part("update_rule", "incomplete", str(err))
        expr = expr.subs(lr, sympy.Rational(self.lr.numerator, self.lr.denominator))
        rate = sympy.Rational(self.lr.numerator, self.lr.denominator)
        f = numeric(expr, [w, g])
        rng = np.random.default_rng(1)
        a, b = rng.uniform(-3, 3, 32), rng.uniform(-3, 3, 32)
        got = f(a, b)
        cases = [
            (w - rate * g, "right", "w ← w − η·∂L/∂w", ()),
            (
                w + rate * g,
                "wrong",
                "the sign is flipped: this climbs the loss",
                (D["wrong_sign"],),
            ),
            (w - rate**2 * g, "wrong", "η appears twice: the step is η²·g", (D["lr_twice"],)),
            (
                w - g,
                "wrong",
                "the learning rate is missing: the step is g itself",
                (D["missing_learning_rate"],),
            ),
        ]
        for target, status, message, tags in cases:
            if agree(got, numeric(target, [w, g])(a, b)).all():
                return Part("update_rule", status, message, tags)
        return Part("update_rule", "wrong", "not gradient descent: it should be w − η·g")

    def _read_weights(self, value: Any, what: str) -> dict[str, Number]:
        if isinstance(value, Mapping):
            unknown = [k for k in value if k not in self.names]
            if unknown:
                raise AnswerError(f"{what} names {unknown}; the weights are {list(self.names)}")
            return {k: parse_number(v, f"{what}[{k!r}]") for k, v in value.items()}
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == self.depth:
            return {
                n: parse_number(v, f"{what}[{i}]")
                for i, (n, v) in enumerate(zip(self.names, value, strict=True))
            }
        raise AnswerError(
            f"{what} must be a dict like {{'w0': 0.6, 'w1': 1.8}} "
            f"or a tuple of {self.depth} numbers"
        )

    def _check_updates(self, value: Any, loss: _Loss) -> Part:
        if value is None:
            return Part("updates", "missing", "not answered")
        right = self._run(loss)
        if not isinstance(value, Sequence) or isinstance(value, str | Mapping):
            value = [value]
        try:
            steps = [self._read_weights(v, f"updates[{i}]") for i, v in enumerate(value)]
        except AnswerError as err:
            return Part("updates", "incomplete", str(err))
        if len(steps) != len(right):
            n = len(right)
            tags: tuple[str, ...] = ()
            if self.batch_size == 1 and len(steps) == 1 and n > 1:
                tags = (D["batch_instead_of_per_point"],)
            elif self.batch_size > 1 and len(steps) == len(self.data):
                tags = (D["per_point_instead_of_batch"],)
            per = "one per data point" if self.batch_size == 1 else f"batches of {self.batch_size}"
            return Part(
                "updates",
                "wrong",
                f"this exercise makes {n} update{'s' if n > 1 else ''} "
                f"({per}); "
                f"the answer has {len(steps)}",
                tags,
            )

        def matches(run: list[tuple]) -> bool:
            return all(
                same_number(num, run[i][self.names.index(n)])
                for i, step in enumerate(steps)
                for n, num in step.items()
            )

        if matches(right):
            return Part("updates", "right", f"all {len(steps)} update(s) right")
        first_bad = next(
            i
            for i, step in enumerate(steps)
            if not all(same_number(num, right[i][self.names.index(n)]) for n, num in step.items())
        )
        found = [(name, why) for name, why, run in self._mistake_runs(loss) if matches(run)]
        return self._mistake_part(
            "updates", found, f"update {first_bad + 1} is the first that differs"
        )

    def _mistake_part(self, part: str, found: list[tuple[str, str]], fallback: str) -> Part:
        if not found:
            return Part(part, "wrong", f"{fallback}; it matches none of the known mistakes")
        names = tuple(dict.fromkeys(D[n] for n, _ in found))
        reasons = "; or ".join(dict.fromkeys(why for _, why in found))
        if set(names) <= {D["dropped_activation_derivative"], D["forward_without_activation"]}:
            # These only change numbers when a unit is off at some point.
            reasons += " (a unit is off at one of the points here, so the missing derivative shows)"
        return Part(part, "wrong", f"{fallback}: {reasons}", names)

    def _check_final(self, given: Mapping[str, Any], loss: _Loss) -> list[Part]:
        right = self._run(loss)[-1]
        numbers: dict[str, Number] = {}
        parts: dict[str, Part] = {}
        for n in self.names:
            if n not in given:
                parts[n] = Part(n, "missing", "not answered")
                continue
            try:
                numbers[n] = parse_number(given[n], n)
            except AnswerError as err:
                parts[n] = Part(n, "incomplete", str(err))
        wrong = [n for n, v in numbers.items() if not same_number(v, right[self.names.index(n)])]
        for n in numbers:
            if n not in wrong:
                parts[n] = Part(n, "right", f"{fmt(numbers[n].exact)}")
        if wrong:
            runs = self._mistake_runs(loss)
            found = [
                (name, why)
                for name, why, run in runs
                if all(same_number(v, run[-1][self.names.index(n)]) for n, v in numbers.items())
            ]
            if not found:  # the other weights may be right: look at the wrong ones alone
                found = [
                    (name, why)
                    for name, why, run in runs
                    if all(same_number(numbers[n], run[-1][self.names.index(n)]) for n in wrong)
                ]
            for n in wrong:
                part = self._mistake_part(n, found, f"{fmt(numbers[n].exact)} is not the final {n}")
                if loss is HALF_SQUARED and part.diagnoses == (D["missing_half"],):
                    part = Part(
                        n,
                        "wrong",
                        f"{fmt(numbers[n].exact)} is the final {n} for (ŷ − y)², without the ½ "
                        "(every gradient twice too large); if that is the loss you chose, say so "
                        "(loss='(yhat - y)**2') and it is right",
                        part.diagnoses,
                    )
                parts[n] = part
        return [parts[n] for n in self.names]


def _operations(formula: str, names: Mapping[str, Any]) -> int:
    """Operations in a formula, each activation function counting as one."""
    from fdmlearn.exercises._answers import FUNCTIONS

    opaque = {k: sympy.Function(k) for k in FUNCTIONS if callable(FUNCTIONS[k])}
    opaque.pop("Rational", None)
    try:
        expr = parse_expression(formula, "graph", names, "", functions=opaque)
    except AnswerError:
        return 1
    return int(sympy.count_ops(expr))


def _is_loss_node(expr: sympy.Expr) -> bool:
    # The loss node (a square of a difference, times a constant) is one operation on paper.
    return sympy.count_ops(expr) <= 4 and expr.has(sympy.Pow)


def _key(name: str) -> str:
    return name.replace("/", "").replace("_", "").replace(" ", "").replace("∂", "d").lower()


def _normalise(names: Sequence[str], answers: dict, parts: dict) -> dict[str, Any]:
    allowed = ["loss", "graph", "yhat", "updates", "update_rule"]
    allowed += [f"dL_d{n}" for n in names] + list(names)
    by_key = {_key(a): a for a in allowed}
    by_key.update({_key(f"grad_{n}"): f"dL_d{n}" for n in names})
    by_key.update({_key(f"d{n}"): f"dL_d{n}" for n in names})
    out: dict[str, Any] = {}
    for source in (answers, parts):
        for key, value in source.items():
            if not isinstance(key, str) or _key(key) not in by_key:
                raise TypeError(
                    f"check() got an unknown part {key!r}; the parts are {', '.join(allowed)}"
                )
            out[by_key[_key(key)]] = value
    return out


# --------------------------------------------------------------------------- variants

_STARTS = [Fraction(n, 2) for n in range(1, 7)]  # 1/2 .. 3
_RATES = [Fraction(1, 10), Fraction(1, 20), Fraction(1, 5), Fraction(1, 4), Fraction(1, 50)]


def _active_everywhere(ex: BackpropExercise) -> bool:
    """No unit off, no zero gradient, at any point of the right run."""
    for step in ex._steps_detail(HALF_SQUARED):
        for p in step["points"]:
            if any(a == "relu" and z <= 0 for a, z in zip(ex.activations, p["z"], strict=True)):
                return False
            if any(g == 0 for g in p["grads"]):
                return False
        if any(g == 0 for g in step["grads"]):
            return False
    return True


def _has_dead_unit(ex: BackpropExercise) -> bool:
    for step in ex._steps_detail(HALF_SQUARED):
        for p in step["points"]:
            if any(a == "relu" and z <= 0 for a, z in zip(ex.activations, p["z"], strict=True)):
                return True
    return False


def backprop(
    seed: Any = None,
    *,
    depth: int = 2,
    activations: str | Sequence[str] = "relu",
    batch_size: int | None = None,
    dead_unit: bool = False,
) -> BackpropExercise:
    """The backpropagation exercise: the assignment's own, or a variant.

    Args:
        seed: `None` for the assignment's numbers ($w_0 = 1$, $w_1 = 2$, data
            (1, 2) and (2, 3), $\\eta = 0.1$, one update per point). An int
            >= 0 or a `numpy.random.Generator` draws a variant: other starting
            weights, data, learning rate and batch size. The same seed gives
            the same variant.
        depth: Number of one-neuron layers (variants only; 1 to 4).
        activations: `"relu"` for every layer, one of `ACTIVATIONS` for
            every layer, a sequence of names (one per layer), or `"random"`.
        batch_size: Force the batch size of a variant (default: drawn, 1 or all points).
        dead_unit: Ask for a variant where some ReLU is off at one of the
            points, so that a dropped derivative shows in the numbers.

    Returns:
        A `BackpropExercise`.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range, or options are given
            without a seed (the assignment has fixed numbers).

    Examples:
        >>> from fdmlearn import exercises
        >>> ex = exercises.backprop()
        >>> {k: str(v) for k, v in ex.final().items()}
        {'w0': '3/5', 'w1': '9/5'}
        >>> exercises.backprop(seed=17).final() == exercises.backprop(seed=17).final()
        True
    """
    depth = check_int("depth", depth, minimum=1, maximum=4)
    dead_unit = check_bool("dead_unit", dead_unit)
    if isinstance(activations, str):
        if activations != "random":
            check_choice("activations", activations, ACTIVATIONS)
    else:
        activations = tuple(activations)
        if len(activations) != depth:
            raise ValueError(
                f"activations must name one activation per layer ({depth}), got {len(activations)}"
            )
        for a in activations:
            check_choice("activations", a, ACTIVATIONS)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, minimum=1, maximum=3)
    if seed is None:
        if depth != 2 or activations != "relu" or batch_size not in (None, 1) or dead_unit:
            raise ValueError(
                "the assignment's exercise has fixed numbers (2 ReLU layers, batch size 1); "
                "pass a seed to get a variant with other settings"
            )
        return BackpropExercise(
            (Fraction(1), Fraction(2)),
            ((Fraction(1), Fraction(2)), (Fraction(2), Fraction(3))),
            Fraction(1, 10),
            1,
            ("relu", "relu"),
            None,
        )
    label = seed if not isinstance(seed, np.random.Generator) else "from a Generator"
    rng = check_rng(seed)
    for _ in range(2000):
        if activations == "random":
            acts = tuple(str(a) for a in rng.choice(ACTIVATIONS, depth))
        elif isinstance(activations, str):
            acts = (activations,) * depth
        else:
            acts = tuple(activations)
        n_points = int(rng.choice([2, 2, 3]))
        size = batch_size if batch_size is not None else int(rng.choice([1, n_points]))
        if size > n_points:
            n_points = size
        start = tuple(_STARTS[i] for i in rng.integers(0, len(_STARTS), depth))
        xs = [Fraction(int(v)) for v in rng.integers(1, 5, n_points)]
        if dead_unit:
            xs[int(rng.integers(0, n_points))] *= -1
        ys = [Fraction(int(v)) for v in rng.integers(0, 8, n_points)]
        lr = _RATES[int(rng.integers(0, len(_RATES)))]
        ex = BackpropExercise(start, tuple(zip(xs, ys, strict=True)), lr, size, acts, label)
        if dead_unit:
            if not (_has_dead_unit(ex) and ex._distinct()):
                continue
            right = ex._run(HALF_SQUARED)[-1]
            dropped = ex._run(HALF_SQUARED, _Solver(drop=True))[-1]
            if all(abs(float(a) - float(b)) < 1e-3 for a, b in zip(right, dropped, strict=True)):
                continue
            return ex
        if _active_everywhere(ex) and ex._distinct() and _moderate(ex):
            return ex
    raise RuntimeError("no solvable variant found")  # pragma: no cover - never seen


def _moderate(ex: BackpropExercise) -> bool:
    final = ex._run(HALF_SQUARED)[-1]
    if not all(abs(float(v)) < 20 for v in final):
        return False
    return not ex.exact or all(Fraction(v).denominator <= 10**6 for v in final)
