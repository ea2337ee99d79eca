"""The MNIST-calculator exercise: add numbers written as sequences of digit images.

`calculator()` is the assignment's setting (two 3-digit numbers, six
images, a 4-digit sum); `calculator(seed=...)` another number of operands or
digits. `check` grades answers to questions about measuring such a model;
`evaluate` measures a student's model on held-out sequences (built from
MNIST *test* images) and looks for the known mistakes: per-character
accuracy reported as exact-sum accuracy, digits read but not added with
carries (it shows on sums with carries), digits in reverse order, a score
measured on training digits.

The seed notebook's figure is cited, not recomputed: its chained model
reached 82.6% *per character* (Keras' accuracy over the 4 output digits, cell
In [105], 10,000 test sequences). fdmlearn's own recorded figures are read
from `docs/results/calculator.json` when a source checkout is at hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fdmlearn._checks import check_rng
from fdmlearn.exercises._answers import AnswerError, parse_number, same_number
from fdmlearn.exercises._calculator_eval import (
    SEED_NOTEBOOK,
    D,
    _digits,
    _Evaluate,
    _sum_width,
)
from fdmlearn.exercises.feedback import Document, Feedback, Part, check_parts, setup_line

__all__ = ["SEED_NOTEBOOK", "CalculatorExercise", "calculator"]


# Longer than most classes on purpose: one exercise is one class (its model evaluation lives
# in `_calculator_eval`); the text, answers and one short check per question belong together.
class CalculatorExercise(_Evaluate):
    """The MNIST calculator for `n_operands` numbers of `n_digits` digits.

    Attributes:
        n_operands: Numbers per sequence.
        n_digits: Digits per number.
        char_accuracy: The per-character accuracy the `exact_from_char` question starts from.
        digit_accuracy: The reader accuracy the `reader_bound` question starts from.
        seed: The variant's seed (`None`: the assignment).
    """

    def __init__(
        self,
        n_operands: int,
        n_digits: int,
        char_accuracy: float,
        digit_accuracy: float,
        seed: Any = None,
    ) -> None:
        self.n_operands = n_operands
        self.n_digits = n_digits
        self.char_accuracy = char_accuracy
        self.digit_accuracy = digit_accuracy
        self.seed = seed
        self.sum_width = _sum_width(n_operands, n_digits)

    @property
    def title(self) -> str:
        which = "the assignment's numbers" if self.seed is None else f"variant {self.seed}"
        return f"The MNIST calculator ({which})"

    @property
    def length(self) -> int:
        return self.n_operands * self.n_digits

    def _repr_markdown_(self) -> str:
        return self.statement().markdown

    def __repr__(self) -> str:
        return f"CalculatorExercise(n_operands={self.n_operands}, n_digits={self.n_digits})"

    # ----------------------------------------------------------------- answers

    def exact_from_char(self) -> float:
        """Exact-sum accuracy implied by `char_accuracy` if character errors were independent."""
        return self.char_accuracy**self.sum_width

    def reader_bound(self) -> float:
        """About the best exact-sum accuracy with a perfect adder and this reader."""
        return self.digit_accuracy**self.length

    def answers(self) -> dict[str, Any]:
        """A complete right answer in the form `check` takes.

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.calculator()
            >>> ex.check(**ex.answers()).ok
            True
        """
        return {
            "sum_digits": self.sum_width,
            "exact_from_char": round(self.exact_from_char(), 4),
            "reader_bound": round(self.reader_bound(), 4),
            "carry_example": [int("9" * self.n_digits)] + [1] * (self.n_operands - 1),
        }

    # ----------------------------------------------------------------- text

    def statement(self) -> Document:
        """The task and questions, in Markdown.

        Examples:
            >>> from fdmlearn import exercises
            >>> print(str(exercises.calculator().statement()).splitlines()[0])
            ### The MNIST calculator (the assignment's numbers)
        """
        n, d, w = self.n_operands, self.n_digits, self.sum_width
        text = f"""
### {self.title}

A model reads a sequence of {self.length} MNIST digit images, {n} numbers of {d} digits each
(most significant digit first, leading zeros allowed), and outputs their sum as {w} digits.

1. How many digits must the output have (`sum_digits`)?
2. A model scores {self.char_accuracy:.1%} "accuracy" on (N, {w}, 10) outputs in Keras: the share
   of right characters. If the characters' errors were independent, what share of *sums* would
   be right (`exact_from_char`)?
3. With a digit reader that is right on {self.digit_accuracy:.2%} of images and a perfect adder,
   about what share of sums is right (`reader_bound`)?
4. Give {n} operands whose sum carries in every column: a test that an adder without carries
   fails (`carry_example`).

{setup_line("calculator", self.seed)} check with `ex.check(sum_digits=..., exact_from_char=...,
reader_bound=...,
carry_example=[...])`. Measure a trained Keras model with `ex.evaluate(model)`: exact-sum and
per-character accuracy on held-out sequences made of MNIST test images.
"""
        return Document(text)

    def solution(self) -> Document:
        """The worked answer.

        Examples:
            >>> from fdmlearn import exercises
            >>> "0.4660" in str(exercises.calculator().solution())
            True
        """
        n, d, w = self.n_operands, self.n_digits, self.sum_width
        biggest = n * (10**d - 1)
        example = " + ".join(str(v).zfill(d) for v in self.answers()["carry_example"])
        text = f"""
### Solution: {self.title}

1. **{w} digits:** the largest sum is ${n} \\times {10**d - 1} = {biggest}$.
2. **{self.exact_from_char():.4f}:** a sum is right only when all {w} characters are:
   ${self.char_accuracy:.4f}^{{{w}}} = {self.exact_from_char():.4f}$. Per-character accuracy
   flatters a calculator; report the exact-sum accuracy.
3. **About {self.reader_bound():.4f}:** every one of the {self.length} images must be read
   right, ${self.digit_accuracy:.4f}^{{{self.length}}} = {self.reader_bound():.4f}$ (a misread
   pair can cancel out, rarely).
4. **{example}:** every column carries. Sums without any carry cannot tell an adder that
   carries from one that does not.
"""
        return Document(text)

    # ----------------------------------------------------------------- checking

    def check(self, answers: Mapping[str, Any] | None = None, /, **parts: Any) -> Feedback:
        """Grade the answers part by part.

        Args:
            answers: The same parts as a dict.
            **parts: The parts, by name:

                - `sum_digits`: Number of output digits.
                - `exact_from_char`: Exact-sum accuracy implied by the per-character accuracy.
                - `reader_bound`: Exact-sum accuracy with this reader and a perfect adder.
                - `carry_example`: Operands whose sum carries in every column.

        Returns:
            A `Feedback`.

        Raises:
            TypeError: If a part's name is unknown.

        Examples:
            >>> from fdmlearn import exercises
            >>> exercises.calculator().check(exact_from_char=0.826, sum_digits=3).diagnoses
            ('calculator.sum_width_no_carry', 'calculator.char_as_exact')
        """
        known = ("sum_digits", "exact_from_char", "reader_bound", "carry_example")
        return check_parts(self, known, {**(answers or {}), **parts})

    def _check_sum_digits(self, value: Any) -> Part:
        number = parse_number(value, "sum_digits").exact
        w = self.sum_width
        if number == w:
            return Part("sum_digits", "right", f"{w}")
        if number == self.n_digits:
            return Part(
                "sum_digits",
                "wrong",
                f"{self.n_operands} numbers of {self.n_digits} digits can sum to {w} digits "
                f"(the carry out of the top column)",
                (D["sum_width_no_carry"],),
            )
        return Part(
            "sum_digits", "wrong", f"the largest sum is {self.n_operands * (10**self.n_digits - 1)}"
        )

    def _close(self, value: Any, target: float, what: str) -> bool:
        number = parse_number(value, what)
        # Accuracies are read as fractions; 46.6 means 46.6%.
        v = float(number.exact)
        if v > 1:
            v /= 100
        return abs(v - target) <= max(5e-4, 0.5 * 10.0 ** -(number.decimals or 3)) or same_number(
            number, target
        )

    def _check_exact_from_char(self, value: Any) -> Part:
        target = self.exact_from_char()
        if self._close(value, target, "exact_from_char"):
            return Part("exact_from_char", "right", f"{self.char_accuracy:.4f}^{self.sum_width}")
        if self._close(value, self.char_accuracy, "exact_from_char"):
            return Part(
                "exact_from_char",
                "wrong",
                "that is the per-character accuracy itself; a sum needs every character right",
                (D["char_as_exact"],),
            )
        return Part(
            "exact_from_char",
            "wrong",
            f"raise the per-character accuracy to the power {self.sum_width}",
        )

    def _check_reader_bound(self, value: Any) -> Part:
        target = self.reader_bound()
        if self._close(value, target, "reader_bound"):
            return Part("reader_bound", "right", f"{self.digit_accuracy:.4f}^{self.length}")
        if self._close(value, self.digit_accuracy, "reader_bound"):
            return Part(
                "reader_bound",
                "wrong",
                "that is the per-image accuracy; every image of the sequence must be read right",
                (D["char_as_exact"],),
            )
        for power in (self.sum_width, self.n_digits):
            if power != self.length and self._close(
                value, self.digit_accuracy**power, "reader_bound"
            ):
                return Part(
                    "reader_bound",
                    "wrong",
                    f"the power is the number of input images ({self.length}), not {power}",
                    (D["power_of_output_digits"],),
                )
        return Part(
            "reader_bound", "wrong", f"raise the reader accuracy to the power {self.length}"
        )

    def _check_carry_example(self, value: Any) -> Part:
        if (
            isinstance(value, str)
            or not isinstance(value, Sequence)
            or len(value) != self.n_operands
        ):
            raise AnswerError(f"carry_example: give {self.n_operands} whole numbers")
        ops = []
        for v in value:
            number = parse_number(v, "carry_example").exact
            if not number.is_Integer or not 0 <= number < 10**self.n_digits:
                raise AnswerError(
                    f"carry_example: numbers of at most {self.n_digits} digits, got {v!r}"
                )
            ops.append(int(number))
        digits = _digits(np.array([ops]), self.n_digits)[0, :, ::-1]
        carry, carries = 0, []
        for col in range(self.n_digits):
            total = int(digits[:, col].sum()) + carry
            carry = total // 10
            carries.append(carry > 0)
        if all(carries):
            return Part(
                "carry_example", "right", f"{' + '.join(map(str, ops))}: every column carries"
            )
        if not any(carries):
            return Part(
                "carry_example",
                "wrong",
                "no column carries: this sum cannot catch an adder that does not carry",
                (D["no_carry_test"],),
            )
        missing = [str(self.n_digits - i) for i, c in enumerate(carries) if not c]
        return Part(
            "carry_example",
            "incomplete",
            f"columns {', '.join(missing)} (from the left) do not carry",
        )


def calculator(seed: Any = None) -> CalculatorExercise:
    """The MNIST-calculator exercise: the assignment's setting, or a variant.

    Args:
        seed: `None` for the assignment (two 3-digit numbers; the questions
            start from the seed notebook's 82.6% per character and 96.67%
            digit accuracy); an int >= 0 or a Generator for a variant (2 or 3
            operands of 2 to 4 digits, other accuracies).

    Returns:
        A `CalculatorExercise`.

    Raises:
        TypeError: If `seed` is not an int, None or a Generator.
        ValueError: If `seed` is negative.

    Examples:
        >>> from fdmlearn import exercises
        >>> ex = exercises.calculator()
        >>> ex.sum_width, round(ex.exact_from_char(), 3)
        (4, 0.466)
    """
    if seed is None:
        return CalculatorExercise(
            2, 3, SEED_NOTEBOOK["char_accuracy"], round(SEED_NOTEBOOK["digit_accuracy"], 4)
        )
    label = seed if not isinstance(seed, np.random.Generator) else "from a Generator"
    rng = check_rng(seed)
    n_operands = int(rng.choice([2, 2, 3]))
    n_digits = int(rng.integers(2, 5))
    char = round(float(rng.uniform(0.80, 0.99)), 3)
    digit = round(float(rng.uniform(0.95, 0.995)), 3)
    return CalculatorExercise(n_operands, n_digits, char, digit, label)
