"""Checking each part of a backprop answer, and naming the mistake it matches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from fdmlearn.exercises._answers import (
    AnswerError,
    Number,
    agree,
    numeric,
    parse_expression,
    parse_number,
    same_number,
)
from fdmlearn.exercises._chain import (
    _Y,
    _YHAT,
    HALF_SQUARED,
    RIGHT,
    D,
    _Loss,
    _loss_from,
)
from fdmlearn.exercises.feedback import (
    Feedback,
    Part,
    fmt,
)


# Over 200 lines on purpose: one short method per part of the answer, all reading the same
# symbols, sample points and wrong solvers of the exercise.
class _Checks:
    """`check` and one method per part of the answer (a mixin of `BackpropExercise`)."""

    # ----------------------------------------------------------------- checking

    def check(self, answers: Mapping[str, Any] | None = None, /, **parts: Any) -> Feedback:
        """Grade an answer part by part, naming the known mistakes it matches.

        Every argument is optional; give the parts you want checked.

        Args:
            answers: The same parts as a dict (keys like `"dL/dw1"` are accepted too).
            **parts: The parts, by name:

                - `loss`: The loss, a formula in `yhat` and `y` (`"(yhat - y)**2 / 2"`).
                - `graph`: The compute graph, a list of `"name = formula"` lines, one per node.
                - `yhat`: The forward pass, a formula in `x` and the weights.
                - `dL_dw0`, `dL_dw1`, ...: Each partial derivative, a formula.
                - `updates`: The weights after each update, a list of dicts
                  (`[{"w0": 1, "w1": 2}, {"w0": "3/5", "w1": 1.8}]`) or of tuples.
                - `update_rule`: The update as a formula in `w`, `lr` and `g` (`"w - lr*g"`).
                - `w0`, `w1`, ...: The final values.

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
                want = float(self._point_grad(ws, self._num(x), self._num(y), loss, RIGHT)[k])
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
