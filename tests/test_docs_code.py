"""The code that readers copy from the README and the docs must run.

Every plain ```python block (one without markdown-exec's `exec="on"`, whose
blocks already run when the site is built) is executed, the blocks of one file
in order and in one namespace, as a reader would paste them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```", re.S | re.M
)
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def reader_blocks(path: Path) -> list[str]:
    blocks = []
    for m in FENCE.finditer(path.read_text(encoding="utf-8")):
        if "exec=" in m["info"]:
            continue
        indent = m["indent"]
        blocks.append("\n".join(line[len(indent) :] for line in m["body"].splitlines()))
    return blocks


CASES = [p for p in FILES if reader_blocks(p)]


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(ROOT)) for p in CASES])
def test_reader_code_runs(path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "__docs__"}
    for i, block in enumerate(reader_blocks(path)):
        try:
            exec(compile(block, f"{path.name}[block {i}]", "exec"), namespace)
        except Exception as err:  # pragma: no cover - the message is the point
            pytest.fail(f"{path.relative_to(ROOT)} block {i} failed: {err!r}\n{block}")


def test_readme_states_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make docs" in readme and "make test" in readme
    assert "CC BY-SA 3.0" in readme or "Attribution-Share Alike 3.0" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
