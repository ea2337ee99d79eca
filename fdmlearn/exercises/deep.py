"""The deep-models exercise: counting, shapes, the vanishing gradient and its fixes.

The assignment's MLP on flattened MNIST: `Dense(u, sigmoid)` on the 784
pixels, then `depth - 1` more `Dense(u)` + sigmoid blocks (each with
`Dropout(0.2)`), then `Dense(10)` + softmax. `deep()` asks about the
assignment's model (u = 512, depth 3); `deep(seed=...)` about another width
and depth. The answers are computed, not stored: `parameters()` is
$785u + (n - 1)(u^2 + u) + 10(u + 1)$, the seed notebook's Keras summaries
(407,050 / 669,706 / 932,362 at depths 1 / 2 / 3) are a check of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from fdmlearn._checks import check_bool, check_int, check_rng
from fdmlearn.exercises._answers import AnswerError, parse_number, same_number
from fdmlearn.exercises.feedback import Document, Feedback, Part, _register, check_parts, setup_line

__all__ = ["CHANGES", "DeepExercise", "deep"]

D = {
    name: _register(f"deep.{name}", title, meaning)
    for name, title, meaning in [
        (
            "params_no_biases",
            "parameter count without the biases",
            "Each Dense layer has a bias per unit: 784·512 + 512 = 401,920 for the first layer, "
            "not 401,408.",
        ),
        (
            "input_28",
            "input size 28 instead of 784",
            "The MLP reads the flattened image, 28·28 = 784 inputs, not one row of 28.",
        ),
        (
            "params_wrong_depth",
            "parameters counted for another depth",
            "The count is right for one hidden layer more or less than asked: depth n has n "
            "hidden Dense layers (n - 1 of them u x u) plus the output layer.",
        ),
        (
            "params_no_output_layer",
            "output layer not counted",
            "The Dense(10) softmax layer has 10·(u + 1) parameters too.",
        ),
        (
            "weight_shape_for_output",
            "weight shapes given as output shapes",
            "A Dense layer's output is (batch, units), e.g. (None, 512); (784, 512) is the shape "
            "of its kernel.",
        ),
        (
            "bound_wrong_depth",
            "the (1/4)^n bound at the wrong depth",
            "The gradient reaching the first layer passes through one sigmoid derivative per "
            "hidden layer, n in all: the bound is (1/4)^n, not (1/4)^(n - 1) or (1/4)^(n + 1).",
        ),
        (
            "bound_sigmoid_value",
            "the sigmoid's value used for its derivative",
            "σ(0) = 1/2 is the sigmoid's value; its derivative σ(1 - σ) is at most 1/4.",
        ),
        (
            "bound_added",
            "the factors added instead of multiplied",
            "The chain rule multiplies one factor per layer: (1/4)^n, not n/4.",
        ),
        (
            "dropout_for_vanishing",
            "dropout said to fix the vanishing gradient",
            "Dropout regularises (against overfitting); it does not make gradients larger.",
        ),
        (
            "relu_cures_exploding",
            "ReLU said to fix exploding gradients",
            "ReLU's derivative is 1 where active, so it does not shrink the gradient; it does not "
            "stop large weights from making it grow (that needs initialisation, normalisation "
            "or clipping). The seed notebook claims both.",
        ),
    ]
}

#: The changes `check(fixes=...)` asks about, and the problems each one addresses.
CHANGES: dict[str, tuple[str, ...]] = {
    "relu": ("vanishing",),
    "dropout": ("overfitting",),
    "batch_norm": ("vanishing", "optimization"),
    "residual": ("vanishing",),
    "adam": ("optimization", "vanishing"),
    "he_init": ("vanishing", "exploding"),
    "more_epochs": ("optimization",),
}
_PROBLEMS = {
    "vanishing": ("vanish",),
    "exploding": ("explod",),
    "overfitting": ("overfit", "generali", "regulari", "variance"),
    "optimization": ("slow", "converg", "optimi", "step size", "learning rate", "speed", "fast"),
    "none": ("none", "nothing", "no effect"),
}
_CHANGE_WORDS = {
    "relu": "replacing sigmoid by ReLU",
    "dropout": "Dropout(0.2) after each hidden layer",
    "batch_norm": "batch normalisation before each activation",
    "residual": "residual (skip) connections",
    "adam": "Adam instead of plain SGD",
    "he_init": "He initialisation of the weights",
    "more_epochs": "training for more epochs",
}


def _problems(text: Any, what: str) -> set[str]:
    if isinstance(text, str):
        items = [text]
    elif isinstance(text, Sequence):
        items = [str(t) for t in text]
    else:
        raise AnswerError(f"{what}: name the problem in words, e.g. 'vanishing gradient'")
    found = set()
    for item in items:
        low = item.lower()
        for problem, stems in _PROBLEMS.items():
            if any(s in low for s in stems):
                found.add(problem)
    if not found:
        raise AnswerError(
            f"{what}: could not tell which problem {text!r} means; use words like "
            "'vanishing gradient', 'exploding gradient', 'overfitting', 'slow optimization'"
        )
    return found


# Longer than most classes on purpose: one exercise is one class, and its text, its right
# answers and one short `_check_<part>` method per question belong together.
_MAX_DEPTH = 1000  # far past any depth asked about; keeps (1/4)**depth a small Fraction


def _check_depth(depth: Any) -> int:
    return check_int("depth", depth, minimum=1, maximum=_MAX_DEPTH)


class DeepExercise:
    """Questions about the assignment's deep sigmoid MLP at one width and depth.

    Attributes:
        units: Units per hidden layer.
        depth: Number of hidden layers asked about (for the counts and shapes).
        bound_depth: Depth at which the gradient bound is asked.
        changes: The changes asked about in `fixes`.
        seed: The variant's seed (`None`: the assignment).
    """

    def __init__(
        self,
        units: int,
        depth: int,
        bound_depth: int,
        changes: Sequence[str],
        seed: Any = None,
    ) -> None:
        self.units = units
        self.depth = depth
        self.bound_depth = bound_depth
        self.changes = tuple(changes)
        self.seed = seed

    @property
    def title(self) -> str:
        which = "the assignment's numbers" if self.seed is None else f"variant {self.seed}"
        return f"Training deeper models ({which})"

    def _repr_markdown_(self) -> str:
        return self.statement().markdown

    def __repr__(self) -> str:
        return (
            f"DeepExercise(units={self.units}, depth={self.depth}, "
            f"bound_depth={self.bound_depth}, changes={list(self.changes)})"
        )

    # ----------------------------------------------------------------- answers

    def layer_parameters(
        self, depth: int | None = None, *, inputs: int = 784, biases: bool = True
    ) -> list[int]:
        """Parameters of each Dense layer (hidden layers, then the output layer).

        Raises:
            TypeError: If `depth` or `inputs` is not an integer, or `biases` not a bool.
            ValueError: If `depth` is not in 1..1000 or `inputs` is below 1.
        """
        n = self.depth if depth is None else _check_depth(depth)
        inputs = check_int("inputs", inputs, minimum=1)
        u, b = self.units, int(check_bool("biases", biases))
        sizes = [inputs] + [u] * n
        return [(sizes[i] + b) * sizes[i + 1] for i in range(n)] + [(u + b) * 10]

    def parameters(self, depth: int | None = None) -> int:
        """Total trainable parameters at `depth` (default: the exercise's).

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.deep()
            >>> [ex.parameters(d) for d in (1, 2, 3)]
            [407050, 669706, 932362]
        """
        return sum(self.layer_parameters(depth))

    def shapes(self) -> list[tuple[None, int]]:
        """Output shape of each Dense layer, batch axis first."""
        return [(None, self.units)] * self.depth + [(None, 10)]

    def bound(self, depth: int | None = None) -> Fraction:
        """$(1/4)^n$: the most the sigmoid derivatives can shrink the first layer's gradient."""
        return Fraction(1, 4) ** (self.bound_depth if depth is None else _check_depth(depth))

    def answers(self) -> dict[str, Any]:
        """A complete right answer in the form `check` takes.

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.deep(seed=5)
            >>> ex.check(**ex.answers()).ok
            True
        """
        return {
            "params": self.parameters(),
            "shapes": self.shapes(),
            "bound": self.bound(),
            "fixes": {c: CHANGES[c][0] for c in self.changes},
        }

    # ----------------------------------------------------------------- text

    def statement(self) -> Document:
        """The questions, in Markdown with LaTeX.

        Examples:
            >>> from fdmlearn import exercises
            >>> print(str(exercises.deep().statement()).splitlines()[0])
            ### Training deeper models (the assignment's numbers)
        """
        changes = "\n".join(f"   - `{c}`: {_CHANGE_WORDS[c]}" for c in self.changes)
        text = f"""
### {self.title}

The model reads MNIST digits ($28 \\times 28$ pixels) as flat vectors: `Dense({self.units},
activation="sigmoid")` with `Dropout(0.2)`, then `depth - 1` more blocks of
`Dense({self.units})`, sigmoid and `Dropout(0.2)`, then `Dense(10)` with softmax. It gets worse
as it gets deeper.

1. How many trainable parameters does it have at depth {self.depth} (`params`; a total, or a
   list per Dense layer)?
2. What is the output shape of each Dense layer at depth {self.depth} (`shapes`)?
3. The gradient that reaches the first layer's weights is multiplied by one sigmoid derivative
   per hidden layer. By at most what factor do these derivatives alone shrink it at depth
   {self.bound_depth} (`bound`)?
4. Which problem does each of these changes address (`fixes`: a dict from change to problem,
   e.g. "vanishing gradient", "exploding gradient", "overfitting", "slow optimization")?
{changes}

{setup_line("deep", self.seed)} check with `ex.check(params=..., shapes=[...], bound=...,
fixes={{...}})`.
"""
        return Document(text)

    def solution(self) -> Document:
        """The worked answer.

        Examples:
            >>> from fdmlearn import exercises
            >>> "932,362" in str(exercises.deep().solution())
            True
        """
        u, n = self.units, self.depth
        per_layer = self.layer_parameters()
        rows = [
            f"| Dense({u}), sigmoid | (None, {u}) "
            f"| $(784 + 1) \\cdot {u} = {_tex_int(per_layer[0])}$ |"
        ]
        rows += [
            f"| Dense({u}), sigmoid | (None, {u}) | $({u} + 1) \\cdot {u} = {_tex_int(p)}$ |"
            for p in per_layer[1:-1]
        ]
        rows.append(
            f"| Dense(10), softmax | (None, 10) "
            f"| $({u} + 1) \\cdot 10 = {_tex_int(per_layer[-1])}$ |"
        )
        b = self.bound_depth
        fixes = "\n".join(
            f"- `{c}` ({_CHANGE_WORDS[c]}): {', '.join(CHANGES[c])}" + _FIX_WHY.get(c, "")
            for c in self.changes
        )
        text = f"""
### Solution: {self.title}

**1–2. Parameters and shapes** at depth {n} (Dropout and activations have no parameters):

| layer | output shape | parameters |
|---|---|---|
{chr(10).join(rows)}

Total: **{self.parameters():,}** ($785u + (n - 1)(u^2 + u) + 10(u + 1)$ with $u = {u}$,
$n = {n}$).

**3. Bound.** $\\sigma'(z) = \\sigma(z)(1 - \\sigma(z)) \\le 1/4$ (at $z = 0$), one factor per
hidden layer: at depth {b} at most $(1/4)^{{{b}}} = {_bound_text(self.bound())}$ (the
weights multiply in too; the bound is for the activations alone).

**4. Fixes.**

{fixes}
"""
        return Document(text)

    # ----------------------------------------------------------------- checking

    def check(self, answers: Mapping[str, Any] | None = None, /, **parts: Any) -> Feedback:
        """Grade the answers part by part.

        Args:
            answers: The same parts as a dict.
            **parts: The parts, by name:

                - `params`: Total trainable parameters, or a list per Dense layer.
                - `shapes`: Output shape of each Dense layer, e.g. `[(None, 512), (None, 10)]`.
                - `bound`: The bound at the asked depth: a number, fraction or formula
                  (`"(1/4)**3"`).
                - `fixes`: A dict from change (see `changes`) to the problem it addresses.

        Returns:
            A `Feedback`.

        Raises:
            TypeError: If a part's name is unknown.

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.deep()
            >>> ex.check(params=930_816, bound="(1/4)**2").diagnoses
            ('deep.params_no_biases', 'deep.bound_wrong_depth')
        """
        known = ("params", "shapes", "bound", "fixes")
        return check_parts(self, known, {**(answers or {}), **parts})

    def _count(self, value: Any) -> int:
        number = parse_number(value, "params").exact
        if not number.is_Integer:
            raise AnswerError(f"params must be whole numbers, got {value!r}")
        return int(number)

    def _check_params(self, value: Any) -> Part:
        n, u = self.depth, self.units
        if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
            counts = [self._count(v) for v in value]
            return self._check_layer_counts(counts)
        total = self._count(value)
        if total == self.parameters():
            return Part("params", "right", f"{total:,}")
        wrong = [
            (
                sum(self.layer_parameters(biases=False)),
                "params_no_biases",
                "the biases are not counted",
            ),
            (
                sum(self.layer_parameters(inputs=28)),
                "input_28",
                "the input has 784 values (28·28), not 28",
            ),
            (
                sum(self.layer_parameters(inputs=28, biases=False)),
                "input_28",
                "the input has 784 values and the biases are missing",
            ),
            (
                self.parameters() - 10 * (u + 1),
                "params_no_output_layer",
                f"the Dense(10) layer's {10 * (u + 1):,} are missing",
            ),
            (self.parameters(n + 1), "params_wrong_depth", f"this is the count at depth {n + 1}"),
            (
                self.parameters(n - 1) if n > 1 else -1,
                "params_wrong_depth",
                f"this is the count at depth {n - 1}",
            ),
        ]
        for count, name, why in wrong:
            if total == count:
                tags = (D[name],) + (
                    (D["params_no_biases"],) if "biases are missing" in why else ()
                )
                return Part("params", "wrong", f"{total:,}: {why}", tags)
        return Part("params", "wrong", f"{total:,} is not the count at depth {n}")

    def _check_layer_counts(self, counts: list[int]) -> Part:
        right = self.layer_parameters()
        if counts == right:
            return Part("params", "right", " + ".join(f"{c:,}" for c in counts))
        if counts == right[:-1]:
            return Part(
                "params",
                "wrong",
                "the output layer is missing from the list",
                (D["params_no_output_layer"],),
            )
        if len(counts) != len(right):
            return Part(
                "params",
                "wrong",
                f"depth {self.depth} has {len(right)} Dense layers, the list has {len(counts)}",
                (D["params_wrong_depth"],),
            )
        no_bias = self.layer_parameters(biases=False)
        tags, why = [], []
        for i, (c, r) in enumerate(zip(counts, right, strict=True)):
            if c == r:
                continue
            if c == no_bias[i]:
                tags.append(D["params_no_biases"])
                why.append(f"layer {i + 1}: {c:,} leaves out the {r - c} biases")
            elif i == 0 and c in (29 * self.units, 28 * self.units):
                tags.append(D["input_28"])
                why.append(f"layer 1: {c:,} counts 28 inputs, the image has 784")
            else:
                why.append(f"layer {i + 1}: {c:,} is not right")
        return Part("params", "wrong", "; ".join(why), tuple(dict.fromkeys(tags)))

    def _check_shapes(self, value: Any) -> Part:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise AnswerError("shapes: give a list of shapes, one per Dense layer")
        shapes = []
        for s in value:
            t = tuple(s) if isinstance(s, Sequence) and not isinstance(s, str) else (s,)
            shapes.append(tuple(v for v in t if v is not None and v != -1))
        right = [(s[1],) for s in self.shapes()]
        if shapes == right:
            return Part("shapes", "right", ", ".join(f"(None, {s[0]})" for s in right))
        u = self.units
        kernels = [(784, u)] + [(u, u)] * (self.depth - 1) + [(u, 10)]
        if shapes == kernels:
            return Part(
                "shapes",
                "wrong",
                "these are the kernels' shapes; a layer outputs (batch, units)",
                (D["weight_shape_for_output"],),
            )
        if len(shapes) != len(right):
            return Part("shapes", "wrong", f"depth {self.depth} has {len(right)} Dense layers")
        bad = next(i for i, (a, b) in enumerate(zip(shapes, right, strict=True)) if a != b)
        return Part("shapes", "wrong", f"layer {bad + 1} outputs (None, {right[bad][0]})")

    def _check_bound(self, value: Any) -> Part:
        number = parse_number(value, "bound")
        b = self.bound_depth
        if same_number(number, self.bound()):
            return Part("bound", "right", f"(1/4)^{b}")
        cases = [
            (
                Fraction(1, 4) ** (b - 1),
                "bound_wrong_depth",
                f"this is (1/4)^{b - 1}: count one sigmoid per hidden layer, {b} in all",
            ),
            (
                Fraction(1, 4) ** (b + 1),
                "bound_wrong_depth",
                f"this is (1/4)^{b + 1}: the softmax output layer adds no sigmoid",
            ),
            (
                Fraction(1, 2) ** b,
                "bound_sigmoid_value",
                "(1/2)^n uses σ(0) = 1/2; the derivative is at most 1/4",
            ),
            (Fraction(b, 4), "bound_added", "n/4 adds the factors; the chain rule multiplies them"),
        ]
        for target, name, why in cases:
            if target > 0 and same_number(number, target):
                return Part("bound", "wrong", why, (D[name],))
        for other in range(1, 31):
            if other != b and same_number(number, Fraction(1, 4) ** other):
                return Part(
                    "bound",
                    "wrong",
                    f"this is (1/4)^{other}, the bound at depth {other}",
                    (D["bound_wrong_depth"],),
                )
        return Part("bound", "wrong", "not the product of one 1/4 per hidden layer")

    def _check_fixes(self, value: Any) -> Part:
        if not isinstance(value, Mapping):
            raise AnswerError(
                "fixes: give a dict from change to problem, e.g. {'relu': 'vanishing gradient'}"
            )
        unknown = [k for k in value if k not in CHANGES]
        if unknown:
            raise AnswerError(
                f"fixes: unknown change(s) {unknown}; the changes are {list(CHANGES)}"
            )
        missing = [c for c in self.changes if c not in value]
        tags, wrong = [], []
        for change, text in value.items():
            said = _problems(text, f"fixes[{change!r}]")
            allowed = set(CHANGES[change])
            if change == "dropout" and "vanishing" in said:
                tags.append(D["dropout_for_vanishing"])
                wrong.append("dropout regularises; it does not make gradients larger")
            elif change == "relu" and "exploding" in said:
                tags.append(D["relu_cures_exploding"])
                wrong.append(
                    "ReLU does not shrink the gradient, but it does not stop it exploding either"
                )
            elif not said & allowed or said - allowed - {"none"}:
                wrong.append(f"{change}: addresses {' and '.join(CHANGES[change])}")
        if wrong:
            return Part("fixes", "wrong", "; ".join(wrong), tuple(dict.fromkeys(tags)))
        if missing:
            return Part(
                "fixes", "incomplete", f"right so far; also say what {', '.join(missing)} fix(es)"
            )
        return Part("fixes", "right", "each change matched to the problem it addresses")


_FIX_WHY = {
    "relu": " — its derivative is 1 wherever the unit is active, so depth does not shrink the "
    "gradient (it does not prevent exploding gradients)",
    "dropout": " — a regulariser: it does nothing for the gradient's size",
    "batch_norm": " — keeps each layer's inputs centred, where the sigmoid's slope is largest",
    "residual": " — the skip path carries the gradient past every layer with a factor 1",
    "adam": " — per-weight step sizes make up for small gradients",
    "he_init": " — weights scaled so the signal keeps its variance from layer to layer",
    "more_epochs": " — more steps, not larger ones: the early layers stay slow",
}


def _tex_int(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


def _bound_text(value: Fraction) -> str:
    return f"1/{value.denominator:,}".replace(",", "{,}") + (
        f" \\approx {float(value):.3g}" if value.denominator > 100 else ""
    )


def deep(seed: Any = None) -> DeepExercise:
    """The deep-models exercise: the assignment's own, or a variant.

    Args:
        seed: `None` for the assignment (512 units, depth 3); an int >= 0 or a
            Generator for a variant with another width, depth and bound depth.

    Returns:
        A `DeepExercise`.

    Raises:
        TypeError: If `seed` is not an int, None or a Generator.
        ValueError: If `seed` is negative.

    Examples:
        >>> from fdmlearn import exercises
        >>> exercises.deep().parameters()
        932362
        >>> exercises.deep(seed=5).units, exercises.deep(seed=5).depth
        (512, 5)
    """
    if seed is None:
        return DeepExercise(512, 3, 3, ("relu", "dropout", "batch_norm", "residual"))
    label = seed if not isinstance(seed, np.random.Generator) else "from a Generator"
    rng = check_rng(seed)
    units = int(rng.choice([64, 128, 256, 300, 512, 1024]))
    depth = int(rng.integers(2, 6))
    bound_depth = int(rng.choice([3, 4, 5, 6, 8, 10]))
    changes = tuple(str(c) for c in rng.choice(list(CHANGES), 4, replace=False))
    return DeepExercise(units, depth, bound_depth, changes, label)
