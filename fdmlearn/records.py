"""The full-scale benchmark records, readable from a checkout or an installed wheel.

Each topic's `benchmarks/<topic>.py` writes `docs/results/<topic>.json`: what was
measured, when, on which machine, with which command and seeds. The tutorials
quote their full-scale figures from these records; `load_record` finds them
in a checkout (`docs/results/`) or in the wheel (`fdmlearn/results/`, copied
there when the wheel is built), and returns `None` when there is none, so a
page or notebook can say so instead of failing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["available_records", "load_record"]

_PACKAGE = Path(__file__).resolve().parent


def _folders() -> list[Path]:
    return [_PACKAGE.parent / "docs" / "results", _PACKAGE / "results"]


def available_records() -> list[str]:
    """The names of the records this installation has.

    Returns:
        Sorted record names, such as `"calculator"` or `"deep-timing"`.

    Examples:
        >>> from fdmlearn.records import available_records
        >>> isinstance(available_records(), list)
        True
    """
    names = {p.stem for folder in _folders() if folder.is_dir() for p in folder.glob("*.json")}
    return sorted(names)


def load_record(name: str) -> dict[str, Any] | None:
    """One benchmark record, or `None` if this installation has none by that name.

    Args:
        name: The record's name: `"backprop"`, `"deep"`, `"filters"`,
            `"captioning"`, `"calculator"`, ... (see `available_records`).

    Returns:
        The record as a dict (keys such as `"date"`, `"machine"`,
        `"command"`, `"results"`), or `None`.

    Raises:
        TypeError: If `name` is not a string.
        ValueError: If `name` is not a plain record name (no paths).

    Examples:
        >>> from fdmlearn.records import load_record
        >>> record = load_record("filters")
        >>> record is None or "results" in record
        True
        >>> load_record("no-such-record") is None
        True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a record name such as 'calculator', got {name!r}")
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"name must be a plain record name such as 'calculator', got {name!r}")
    for folder in _folders():
        path = folder / f"{name}.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return None
