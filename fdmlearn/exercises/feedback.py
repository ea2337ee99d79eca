"""What `check` returns: a verdict per part, in words a student understands.

A `Feedback` holds one `Part` per question of the exercise. Each part is
*right*, *wrong*, *incomplete* (readable but not the whole answer, or not
readable at all) or *missing* (not answered), with the reason, and the names
of the known mistakes it matches (`Part.diagnoses`, e.g.
`"backprop.missing_half"`). `DIAGNOSES` lists every mistake fdmlearn knows,
with what it means, for teachers.
"""

from __future__ import annotations

import fractions
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sympy

__all__ = ["DIAGNOSES", "Diagnosis", "Document", "Feedback", "Part", "STATUSES"]

STATUSES = ("right", "wrong", "incomplete", "missing")
_MARK = {"right": "✔", "wrong": "✘", "incomplete": "…", "missing": "·"}


@dataclass(frozen=True)
class Diagnosis:
    """A named, known mistake.

    Attributes:
        name: `"<exercise>.<mistake>"`, e.g. `"backprop.missing_half"`.
        title: A few words.
        meaning: What the student did and why it is wrong (for teachers).
    """

    name: str
    title: str
    meaning: str

    @property
    def exercise(self) -> str:
        return self.name.split(".", 1)[0]


DIAGNOSES: dict[str, Diagnosis] = {}


def _register(name: str, title: str, meaning: str) -> str:
    DIAGNOSES[name] = Diagnosis(name, title, meaning)
    return name


@dataclass(frozen=True)
class Part:
    """The verdict on one part of an answer.

    Attributes:
        name: The part, as the student passed it (`"dL_dw1"`, `"w0"`, ...).
        status: `"right"`, `"wrong"`, `"incomplete"` or `"missing"`.
        message: Why, in a sentence or two.
        diagnoses: Names of the known mistakes this answer matches (see `DIAGNOSES`).
    """

    name: str
    status: str
    message: str
    diagnoses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:  # pragma: no cover - a programming error
            raise AssertionError(self.status)
        unknown = [d for d in self.diagnoses if d not in DIAGNOSES]
        if unknown:  # pragma: no cover - a programming error
            raise AssertionError(f"unregistered diagnoses {unknown}")

    def line(self) -> str:
        tags = f" [{', '.join(self.diagnoses)}]" if self.diagnoses else ""
        return f"{_MARK[self.status]} {self.name}: {self.status} — {self.message}{tags}"


@dataclass(frozen=True)
class Feedback:
    """The result of checking an answer, part by part.

    `print(feedback)` shows every part with its verdict and reason; in
    Jupyter it renders as a Markdown list.

    Attributes:
        title: Which exercise (and variant) was checked.
        parts: One `Part` per answered or expected part, in the exercise's order.
        notes: Remarks that are not verdicts (e.g. "right for the loss you chose").
        values: Measured numbers, where the check measures something
            (`calculator.evaluate`: accuracies); empty otherwise.
    """

    title: str
    parts: tuple[Part, ...]
    notes: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when at least one part was answered and no answered part is wrong or incomplete."""
        answered = [p for p in self.parts if p.status != "missing"]
        return bool(answered) and all(p.status == "right" for p in answered)

    @property
    def diagnoses(self) -> tuple[str, ...]:
        """Every known mistake found, in order, without repeats."""
        seen: dict[str, None] = {}
        for part in self.parts:
            for name in part.diagnoses:
                seen.setdefault(name)
        return tuple(seen)

    @property
    def score(self) -> float:
        """Fraction of the parts that are right (missing parts count as not right)."""
        return sum(p.status == "right" for p in self.parts) / len(self.parts) if self.parts else 0.0

    def __getitem__(self, name: str) -> Part:
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(f"no part {name!r}; the parts are {[p.name for p in self.parts]}")

    def __iter__(self) -> Iterator[Part]:
        return iter(self.parts)

    def counts(self) -> dict[str, int]:
        """How many parts have each status."""
        return {s: sum(p.status == s for p in self.parts) for s in STATUSES}

    def _summary(self) -> str:
        c = self.counts()
        verdict = "all answered parts right" if self.ok else "not yet right"
        listed = ", ".join(f"{n} {s}" for s, n in c.items() if n)
        return f"{self.title}: {verdict} ({listed})"

    def __str__(self) -> str:
        lines = [self._summary()]
        lines += ["  " + p.line() for p in self.parts]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        c = self.counts()
        return (
            f"Feedback(ok={self.ok}, right={c['right']}, wrong={c['wrong']}, "
            f"incomplete={c['incomplete']}, missing={c['missing']}, "
            f"diagnoses={list(self.diagnoses)})"
        )

    def to_markdown(self) -> str:
        """The feedback as a Markdown list (what Jupyter shows)."""
        lines = [f"**{_md(self._summary())}**", ""]
        for p in self.parts:
            tags = f" `{'`, `'.join(p.diagnoses)}`" if p.diagnoses else ""
            lines.append(f"- {_MARK[p.status]} **{_md(p.name)}** — *{p.status}*: {p.message}{tags}")
        lines += [f"- *note*: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a grade book: ok, score, diagnoses and each part's status."""
        return {
            "title": self.title,
            "ok": self.ok,
            "score": self.score,
            "diagnoses": list(self.diagnoses),
            "parts": {p.name: p.status for p in self.parts},
            **({"values": dict(self.values)} if self.values else {}),
        }


def check_parts(exercise: Any, known: tuple[str, ...], given: dict[str, Any]) -> Feedback:
    """Check each of `known` with `exercise._check_<part>`; unknown parts are a TypeError.

    A part not given is "missing"; one the checker cannot read (`AnswerError`)
    is "incomplete", with the reason. Shared by the exercises whose parts are
    checked one by one and independently.
    """
    from fdmlearn.exercises._answers import AnswerError

    for key in given:
        if key not in known:
            raise TypeError(
                f"check() got an unknown part {key!r}; the parts are {', '.join(known)}"
            )
    out = []
    for key in known:
        if key not in given:
            out.append(Part(key, "missing", "not answered"))
            continue
        try:
            out.append(getattr(exercise, f"_check_{key}")(given[key]))
        except AnswerError as err:
            out.append(Part(key, "incomplete", str(err)))
    return Feedback(exercise.title, tuple(out))


def _md(text: str) -> str:
    return text.replace("*", r"\*").replace("_", r"\_")


class Document:
    """Markdown text (with `$...$` LaTeX) that renders in Jupyter and prints as itself.

    `str(doc)` and `print(doc)` give the Markdown (Jupyter renders it);
    `doc.to_latex()` a LaTeX fragment of the same content.

    Examples:
        >>> from fdmlearn import exercises
        >>> doc = exercises.deep().statement()
        >>> repr(doc).startswith("Document(") and "characters" in repr(doc)
        True
        >>> print(str(doc).splitlines()[0])
        ### Training deeper models (the assignment's numbers)
    """

    def __init__(self, markdown: str) -> None:
        self.markdown = markdown.strip() + "\n"

    def __str__(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        # Bounded, like every fdmlearn repr: print() or Jupyter show the whole text.
        first = self.markdown.splitlines()[0] if self.markdown.strip() else ""
        if len(first) > 60:
            first = first[:57] + "..."
        return f"Document({len(self.markdown):,} characters: {first!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Document) and other.markdown == self.markdown

    def __hash__(self) -> int:
        return hash(self.markdown)

    def __add__(self, other: Document) -> Document:
        return Document(self.markdown + "\n" + other.markdown)

    def _repr_markdown_(self) -> str:
        return self.markdown

    def to_latex(self) -> str:
        """The same content as LaTeX (headings, lists, tables, math and code)."""
        from fdmlearn.exercises._latex import markdown_to_latex

        return markdown_to_latex(self.markdown)

    def _repr_html_(self) -> str | None:
        return None  # Jupyter then uses the Markdown


# --------------------------------------------------------------------------- numbers


def fmt(value: Any) -> str:
    """A number as a student writes it: `2`, `0.6`, `19/30 ≈ 0.6333`, `0.4621`."""
    if isinstance(value, fractions.Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
    value = sympy.nsimplify(value) if getattr(value, "is_Float", False) else value
    if getattr(value, "is_Integer", False):
        return str(int(value))
    if getattr(value, "is_Rational", False):
        if value.q > 10**6:  # a float the student typed, read exactly: show it as typed
            return f"{float(value):.10g}"
        q = int(value.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:  # a finite decimal
            text = f"{float(value):.10f}".rstrip("0").rstrip(".")
            if sympy.Rational(text) == value:
                return text
        return f"{value.p}/{value.q} ≈ {float(value):.4f}"
    return f"{float(value):.4g}"


def fmt_tex(value: Any, short: bool = False) -> str:
    """LaTeX of a number: `\\tfrac{3}{5} = 0.6` (`0.6` if short), `2`, `0.4621`."""
    if isinstance(value, fractions.Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        return f"{value:.4g}"
    if getattr(value, "is_Integer", False):
        return str(int(value))
    if getattr(value, "is_Rational", False):
        sign = "-" if value < 0 else ""
        frac = rf"{sign}\tfrac{{{abs(int(value.p))}}}{{{int(value.q)}}}"
        text = fmt(value)
        if short:
            return text if "≈" not in text else frac
        return f"{frac} = {text}" if "≈" not in text else rf"{frac} \approx {float(value):.4f}"
    return f"{float(value):.4g}"


def setup_line(exercise: str, seed: Any) -> str:
    """The line of Python that rebuilds an exercise: `ex = exercises.backprop(seed=17)`."""
    if seed is None:
        args = ""
    elif isinstance(seed, int):
        args = f"seed={seed}"
    else:
        return "With `from fdmlearn import exercises` and this variant as `ex`,"
    return f"With `from fdmlearn import exercises` and `ex = exercises.{exercise}({args})`,"


def join_names(names: Iterable[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
