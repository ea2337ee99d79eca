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
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from fdmlearn._checks import check_bool, check_choice, check_int, check_rng
from fdmlearn.exercises._answers import (
    numeric,
)
from fdmlearn.exercises._backprop_check import _Checks
from fdmlearn.exercises._backprop_text import _Text
from fdmlearn.exercises._chain import (
    _EXACT,
    _MISTAKES,
    _Y,
    _YHAT,
    ACTIVATIONS,
    HALF_SQUARED,
    RIGHT,
    _act,
    _dact,
    _Loss,
    _np_act,
    _np_dact,
    _params,
    _Solver,
    _sym_act,
)
from fdmlearn.exercises.feedback import (
    fmt,
)

__all__ = ["ACTIVATIONS", "BackpropExercise", "backprop"]


# One exercise, split by concern: the numbers here, the texts in `_backprop_text`, the check
# of each part in `_backprop_check`; the three together are over 1000 lines.
class BackpropExercise(_Text, _Checks):
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

    def _repr_markdown_(self) -> str:
        return self.statement().markdown

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

    def _run(self, loss: _Loss, s: _Solver = RIGHT) -> list[tuple]:
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
            if any(abs(w) > 1e6 for w in ws):  # diverged: exact fractions would only grow
                steps += [tuple(ws)] * (-(-len(points) // size) - len(steps))
                break
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
                g = self._point_grad(ws, x, y, loss, RIGHT)
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
            # Saturating activations can make a stale weight's effect smaller than a student's
            # rounding (1e-4): that mistake is left to the formulas. Every other one must stand
            # out from the right answer by more than the rounding a float answer is allowed.
            finals = [f for f in finals if f[0] != "stale_weights"]
            for _name, final in finals[1:]:
                if all(
                    abs(_float(p) - _float(q)) <= 3e-3 * max(1.0, abs(_float(q)))
                    for p, q in zip(final, right, strict=True)
                ):
                    return False
        for (name_a, a), (name_b, b) in itertools.combinations(finals, 2):
            if name_a != name_b and all(
                abs(_float(p) - _float(q)) < 1e-3 * max(1.0, abs(_float(q)))
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


# --------------------------------------------------------------------------- variants

_STARTS = [Fraction(n, 2) for n in range(1, 7)]  # 1/2 .. 3
_RATES = [Fraction(1, 10), Fraction(1, 20), Fraction(1, 5), Fraction(1, 4), Fraction(1, 50)]


def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


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
        if not isinstance(activations, Iterable):
            raise TypeError(
                "activations must be an activation name or a list of names, "
                f"got {type(activations).__name__}"
            )
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
        # A chain of 3 or more layers gets one update by default: with exact fractions every
        # further update multiplies the size of the numbers by the depth.
        default = n_points if depth > 2 else int(rng.choice([1, n_points]))
        size = batch_size if batch_size is not None else default
        if size > n_points:
            n_points = size
        # Deeper chains multiply more weights: smaller ones keep ŷ and the steps moderate.
        starts = _STARTS if depth <= 2 else _STARTS[:3]
        start = tuple(starts[i] for i in rng.integers(0, len(starts), depth))
        xs = [Fraction(int(v)) for v in rng.integers(1, 5, n_points)]
        if dead_unit:
            xs[int(rng.integers(0, n_points))] *= -1
        ys = [Fraction(int(v)) for v in rng.integers(0, 8, n_points)]
        if len(set(zip(xs, ys, strict=True))) < n_points:
            continue  # the same point twice teaches nothing new
        rates = _RATES if depth <= 2 else _RATES[1:2] + _RATES[4:]
        lr = rates[int(rng.integers(0, len(rates)))]
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
