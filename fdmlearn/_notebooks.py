"""Turn a tutorial page (Markdown with markdown-exec blocks) into a Jupyter notebook.

Each tutorial has one source, `docs/tutorials/<topic>.md`. The site runs its
code blocks while it is built; this module makes the notebook with the same
cells, for the page's download button and for the wheel. It uses only the
standard library, so the build can import it by path before fdmlearn's
dependencies exist.

The rules:

- a `python exec="on"` block whose source the page shows becomes a code cell,
  without the lines marked `# markdown-exec: hide` (site rendering only);
- a block the page does not show (it only renders a table into the page)
  becomes a code cell too, when it is marked `notebook="on"`; otherwise it is
  left out;
- everything else is Markdown; admonitions (`!!! note "Title"`, `??? tip`)
  become block quotes, which Jupyter renders.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

__all__ = ["tutorial_to_notebook", "write_notebooks"]

_FENCE = re.compile(r"^```(?P<lang>\w*)(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
_ADMONITION = re.compile(r'^(?:!!!|\?\?\?\+?)\s+(\w+)(?:\s+"([^"]*)")?\s*$')
_HIDE = "markdown-exec: hide"


def _options(info: str) -> dict[str, str]:
    options = {}
    for token in shlex.split(info):
        key, _, value = token.partition("=")
        options[key] = value
    return options


def _admonitions_to_quotes(text: str) -> str:
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _ADMONITION.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        kind, title = m.group(1), m.group(2)
        out.append(f"> **{title if title is not None else kind.capitalize()}**")
        out.append(">")
        i += 1
        while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
            if not lines[i].strip() and (
                i + 1 >= len(lines) or not lines[i + 1].startswith("    ")
            ):
                break
            out.append(("> " + lines[i][4:]).rstrip())
            i += 1
    return "\n".join(out)


def _markdown_cell(text: str) -> dict | None:
    text = _admonitions_to_quotes(text).strip("\n")
    if not text.strip():
        return None
    return {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}


def _code_cell(code: str) -> dict | None:
    code = "\n".join(line for line in code.split("\n") if _HIDE not in line).strip("\n")
    if not code.strip():
        return None
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": _lines(code),
    }


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def tutorial_to_notebook(markdown: str, *, title_note: str | None = None) -> dict:
    """The notebook (nbformat 4, as a dict) made from one tutorial page.

    Args:
        markdown: The page's Markdown source.
        title_note: A Markdown line added after the first heading (where the
            notebook came from).

    Returns:
        A dict ready for `json.dump`.
    """
    cells: list[dict] = []
    pos = 0
    for m in _FENCE.finditer(markdown):
        cell = _markdown_cell(markdown[pos : m.start()])
        if cell:
            cells.append(cell)
        pos = m.end()
        options = _options(m["info"]) if m["lang"] == "python" else {}
        if m["lang"] == "python" and options.get("exec") in ("on", "true", "1"):
            shown = "source" in options or options.get("notebook") == "on"
            cell = _code_cell(m["body"]) if shown else None
        else:
            cell = _markdown_cell(m.group(0))
        if cell:
            cells.append(cell)
    cell = _markdown_cell(markdown[pos:])
    if cell:
        cells.append(cell)
    if title_note and cells and cells[0]["cell_type"] == "markdown":
        first = cells[0]["source"]
        heading_end = next((i for i, line in enumerate(first) if line.startswith("# ")), None)
        if heading_end is not None:
            first.insert(heading_end + 1, "\n" + title_note + "\n")
            if not first[heading_end].endswith("\n"):
                first[heading_end] += "\n"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_json(markdown: str, *, title_note: str | None = None) -> str:
    """`tutorial_to_notebook` as the text of an `.ipynb` file."""
    nb = tutorial_to_notebook(markdown, title_note=title_note)
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i}"
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def write_notebooks(tutorials: Path, out: Path, *, version: str | None = None) -> list[Path]:
    """Write `<topic>.ipynb` into `out` for every `<topic>.md` in `tutorials`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for page in sorted(tutorials.glob("*.md")):
        note = (
            f"*This notebook is the tutorial page `{page.name}` of fdmlearn"
            f"{' ' + version if version else ''}: run the cells in order.*"
        )
        target = out / f"{page.stem}.ipynb"
        target.write_text(notebook_json(page.read_text(encoding="utf-8"), title_note=note))
        written.append(target)
    return written
