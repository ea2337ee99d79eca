"""Exercise sheets for a class: one variant per student, and the answer key.

`sheet(["backprop", "filters"], students=["ana", "ben"], seed=2026)` gives
each student their own variant of each exercise, derived from the class seed
and the student's name: the same inputs give the same sheet, and adding a
student changes nobody else's variant (unless two would have been identical).
Each variant records its own seed, so
`exercises.backprop(seed=...)` rebuilds it, and `Sheet.check` grades a
student's answer against their own variant.
"""

from __future__ import annotations

import inspect
import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fdmlearn._checks import check_bool, check_choice, check_int
from fdmlearn.exercises._latex import latex_document
from fdmlearn.exercises.feedback import Document, Feedback

__all__ = ["EXERCISES", "Sheet", "sheet"]


def _makers() -> dict[str, Callable[..., Any]]:
    from fdmlearn.exercises.backprop import backprop
    from fdmlearn.exercises.calculator import calculator
    from fdmlearn.exercises.captioning import captioning
    from fdmlearn.exercises.deep import deep
    from fdmlearn.exercises.filters import filters

    return {
        "backprop": backprop,
        "deep": deep,
        "filters": filters,
        "captioning": captioning,
        "calculator": calculator,
    }


_SETUP = "With `from fdmlearn import exercises`"

#: The exercise names `sheet` accepts, in the assignment's order.
EXERCISES = ("backprop", "deep", "filters", "captioning", "calculator")


def _student_seed(seed: int, student: str, exercise: str, attempt: int) -> int:
    # crc32, not hash(): Python salts str hashes per process, and sheets must repeat.
    words = [seed, zlib.crc32(student.encode()), zlib.crc32(exercise.encode()), attempt]
    return int(np.random.SeedSequence(words).generate_state(1)[0] % 1_000_000)


class Sheet:
    """Variants for a class and their answer key.

    Attributes:
        exercises: The exercise names, in order.
        students: The students' names, in order.
        seed: The class seed.
        variants: `{student: {exercise: the variant}}`.
    """

    def __init__(
        self,
        exercises: tuple[str, ...],
        students: tuple[str, ...],
        seed: int,
        variants: dict[str, dict[str, Any]],
        latex: bool,
        self_check: bool = True,
    ) -> None:
        self.exercises = exercises
        self.students = students
        self.seed = seed
        self.variants = variants
        self.latex = latex
        self.self_check = self_check

    def __repr__(self) -> str:
        return (
            f"Sheet(exercises={list(self.exercises)}, students={len(self.students)}, "
            f"seed={self.seed})"
        )

    def __getitem__(self, student: str) -> dict[str, Any]:
        check_choice("student", student, self.students)
        return self.variants[student]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Sheet)
            and other.to_markdown() == self.to_markdown()
            and (other.answer_key() == self.answer_key())
        )

    __hash__ = None  # type: ignore[assignment]

    def statement(self, student: str) -> Document:
        """One student's sheet: their variant of every exercise."""
        check_choice("student", student, self.students)
        parts = [f"## Exercise sheet for {student}\n"]
        for i, name in enumerate(self.exercises, start=1):
            text = str(self.variants[student][name].statement())
            if not self.self_check:  # drop the paragraph that names the variant's seed
                paragraphs = text.split("\n\n")
                text = "\n\n".join(p for p in paragraphs if not p.startswith(_SETUP))
            parts.append(text.replace("### ", f"### {i}. ", 1))
        return Document("\n".join(parts))

    def answer_key(self, student: str | None = None) -> Document:
        """The worked solutions of every student's variants (or of one student's).

        Each starts with the variant's seed, so that
        `exercises.<name>(seed=...)` rebuilds the exercise.
        """
        students = self.students if student is None else (student,)
        parts = [f"## Answer key (class seed {self.seed})\n"]
        for s in students:
            check_choice("student", s, self.students)
            parts.append(f"## {s}\n")
            for name in self.exercises:
                ex = self.variants[s][name]
                parts.append(f"*`exercises.{name}(seed={ex.seed})`*\n")
                parts.append(str(ex.solution()))
        return Document("\n".join(parts))

    def to_markdown(self) -> str:
        """Every student's sheet, one after the other, separated by rules."""
        return "\n---\n\n".join(str(self.statement(s)) for s in self.students)

    def to_latex(self, answer_key: bool = False) -> str:
        """A complete LaTeX document: one page per student (or the answer key)."""
        if check_bool("answer_key", answer_key):
            return latex_document(self.answer_key().to_latex(), "Answer key")
        body = "\n\\newpage\n".join(self.statement(s).to_latex() for s in self.students)
        return latex_document(body, "Exercise sheets")

    def check(self, student: str, exercise: str, *args: Any, **kwargs: Any) -> Feedback:
        """Grade one student's answer against their own variant (same arguments as its `check`)."""
        check_choice("exercise", exercise, self.exercises)
        return self[student][exercise].check(*args, **kwargs)

    def grade(self, answers: Mapping[str, Mapping[str, Any]]) -> Document:
        """A grade table: `{student: {exercise: answer dict}}` -> score and diagnoses per cell.

        Examples:
            >>> from fdmlearn import exercises
            >>> s = exercises.sheet(["backprop"], students=["ana"], seed=1)
            >>> right = s["ana"]["backprop"].answers()
            >>> print(str(s.grade({"ana": {"backprop": right}})).splitlines()[2])
            | ana | 100% |
        """
        if not isinstance(answers, Mapping):
            raise TypeError(
                "answers must be a dict {student: {exercise: answer}}, "
                f"got {type(answers).__name__}"
            )
        for s, given in answers.items():
            check_choice("student", s, self.students)
            if not isinstance(given, Mapping):
                raise TypeError(
                    f"answers[{s!r}] must be a dict {{exercise: answer}}, "
                    f"got {type(given).__name__}"
                )
        rows = ["| student | " + " | ".join(self.exercises) + " |"]
        rows.append("|---|" + "---|" * len(self.exercises))
        for s in self.students:
            cells = []
            for name in self.exercises:
                given = answers.get(s, {}).get(name)
                if given is None:
                    cells.append("—")
                    continue
                fb = self.check(s, name, given)
                tags = ", ".join(d.split(".", 1)[1] for d in fb.diagnoses)
                cells.append(f"{fb.score:.0%}" + (f" ({tags})" if tags else ""))
            rows.append(f"| {s} | " + " | ".join(cells) + " |")
        return Document("\n".join(rows))

    def save(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write one file per student and the answer key (Markdown; also LaTeX if asked).

        The folder is created if needed; files of the same names in it are overwritten.

        Raises:
            TypeError: If `folder` is not a str or path.
            ValueError: If `folder` exists and is not a folder.
        """
        if not isinstance(folder, str | os.PathLike):
            raise TypeError(f"folder must be a str or path, got {type(folder).__name__}")
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"folder must be a folder, but {str(folder)!r} is an existing file")
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for s in self.students:
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in s)
            path = folder / f"{safe}.md"
            path.write_text(str(self.statement(s)), encoding="utf-8")
            written.append(path)
        key = folder / "answer_key.md"
        key.write_text(str(self.answer_key()), encoding="utf-8")
        written.append(key)
        if self.latex:
            for name, text in (
                ("sheets.tex", self.to_latex()),
                ("answer_key.tex", self.to_latex(answer_key=True)),
            ):
                (folder / name).write_text(text, encoding="utf-8")
                written.append(folder / name)
        return written

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def sheet(
    exercises: Sequence[str] | str,
    students: Sequence[str] | int,
    seed: int = 0,
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    latex: bool = False,
    self_check: bool = True,
) -> Sheet:
    """Make one variant of each exercise per student, and the answer key.

    Args:
        exercises: Exercise names from `EXERCISES` (or `"all"`).
        students: Student names, or a number of students (named `student01`, ...).
        seed: The class seed, an int >= 0. The same seed and names give the
            same sheet.
        options: Extra arguments per exercise, e.g. `{"backprop": {"depth": 3}}`.
        latex: Also write LaTeX files in `Sheet.save`.
        self_check: Print on each sheet the line that rebuilds the student's
            variant (`exercises.backprop(seed=...)`), so that students can check
            their own answers. That line also gives them `solution()`: use
            False for graded work, and grade with `Sheet.check` or `Sheet.grade`.

    Returns:
        A `Sheet`: `statement(student)`, `answer_key()`, `to_markdown()`,
        `to_latex()`, `check(student, exercise, ...)`, `grade(...)`, `save(folder)`.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an exercise name is unknown, names repeat or there are no students.

    Examples:
        >>> from fdmlearn import exercises
        >>> s = exercises.sheet(["backprop", "filters"], students=["ana", "ben", "chen"], seed=2026)
        >>> s
        Sheet(exercises=['backprop', 'filters'], students=3, seed=2026)
        >>> s == exercises.sheet(["backprop", "filters"], ["ana", "ben", "chen"], seed=2026)
        True
        >>> s["ana"]["backprop"].seed != s["ben"]["backprop"].seed
        True
    """
    seed = check_int("seed", seed, minimum=0)
    latex = check_bool("latex", latex)
    self_check = check_bool("self_check", self_check)
    if isinstance(exercises, str):
        exercises = EXERCISES if exercises == "all" else (exercises,)
    names = tuple(check_choice("exercises", e, EXERCISES) for e in exercises)
    if not names:
        raise ValueError("exercises must name at least one exercise")
    if len(set(names)) != len(names):
        raise ValueError(f"exercises must not repeat, got {list(names)}")
    if isinstance(students, int | np.integer) and not isinstance(students, bool):
        count = check_int("students", students, minimum=1, maximum=10_000)
        people = tuple(f"student{i:02d}" for i in range(1, count + 1))
    elif isinstance(students, str) or not isinstance(students, Sequence):
        raise TypeError("students must be a list of names or a number of students")
    else:
        people = tuple(students)
        for p in people:
            if not isinstance(p, str) or not p.strip():
                raise TypeError(f"student names must be non-empty strings, got {p!r}")
        if not people:
            raise ValueError("students must not be empty")
        if len(set(people)) != len(people):
            raise ValueError("student names must be distinct")
    options = dict(options or {})
    for key in options:
        check_choice("options", key, names)
    makers = _makers()
    for key, extra in options.items():
        if not isinstance(extra, Mapping):
            raise TypeError(
                f"options[{key!r}] must be a dict of arguments, got {type(extra).__name__}"
            )
        allowed = [
            p.name
            for p in list(inspect.signature(makers[key]).parameters.values())[1:]
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        for arg in extra:
            if arg not in allowed:
                raise ValueError(
                    f"options[{key!r}] has an unknown option {arg!r}; "
                    f"{key}() takes {', '.join(allowed) or 'none'}"
                )
    variants: dict[str, dict[str, Any]] = {p: {} for p in people}
    for name in names:
        seen: set[str] = set()
        for p in people:
            for attempt in range(20):
                ex = makers[name](_student_seed(seed, p, name, attempt), **options.get(name, {}))
                if repr(ex) not in seen:  # neighbours should not share answers
                    break
            seen.add(repr(ex))
            variants[p][name] = ex
    return Sheet(names, people, seed, variants, latex, self_check)
