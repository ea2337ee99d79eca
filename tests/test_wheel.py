"""What a learner gets from `pip install fdmlearn`: the wheel, its notebooks, its command line.

The wheel is built once; it is installed (not editable) into a folder of its
own, and one shipped notebook is executed from it in a fresh Jupyter kernel,
from a folder outside the checkout, as a learner would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted(p.stem for p in (ROOT / "docs" / "tutorials").glob("*.md"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("fdmlearn-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> dict[str, str]:
    """An environment whose `fdmlearn` is the installed wheel, not the checkout."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target)]
        + [str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import fdmlearn; print(fdmlearn.__file__)"],
        env=env,
        cwd=target,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target)), f"the checkout shadows the wheel: {where}"
    return env


def test_wheel_holds_data_notebooks_and_records(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "fdmlearn/data/mnist.npz" in names
    for topic in TUTORIALS:
        assert f"fdmlearn/notebooks/{topic}.ipynb" in names
    records = {p.name for p in (ROOT / "docs" / "results").glob("*.json")}
    assert records and all(f"fdmlearn/results/{r}" in names for r in records)
    for init in (ROOT / "fdmlearn").rglob("__init__.py"):
        rel = init.relative_to(ROOT).as_posix()
        assert rel in names, f"package {rel} is missing from the wheel"
    assert "License-Expression: MIT" in metadata
    assert "Project-URL: Documentation" in metadata
    assert "Requires-Dist: keras>=3.5" in metadata


def test_command_line_writes_the_notebooks(installed: dict[str, str], tmp_path: Path):
    out = subprocess.run(
        [sys.executable, "-m", "fdmlearn", "notebooks", str(tmp_path / "nb")],
        env=installed,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    written = sorted(p.stem for p in (tmp_path / "nb").glob("*.ipynb"))
    assert written == TUTORIALS and out.count(".ipynb") == len(TUTORIALS)
    info = subprocess.run(
        [sys.executable, "-m", "fdmlearn", "info"],
        env=installed,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "fdmlearn 0." in info and "sha256" in info and "notebooks (shipped)" in info


def test_a_shipped_notebook_runs_in_a_fresh_kernel(installed: dict[str, str], tmp_path: Path):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    subprocess.run(
        [sys.executable, "-m", "fdmlearn", "notebooks", str(tmp_path)],
        env=installed,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    nb = nbformat.read(tmp_path / "backprop.ipynb", as_version=4)
    old_env = dict(os.environ)
    os.environ.update(installed)  # the kernel inherits it: it imports the wheel's fdmlearn
    try:
        nbclient.NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    figures = [c for c in nb.cells if c.cell_type == "code" and c.source.rstrip().endswith("fig")]
    assert figures, "the backprop notebook has no figure cell"
    for cell in figures:
        kinds = {k for out in cell.outputs for k in out.get("data", {})}
        assert "image/png" in kinds, f"figure cell shows no image: {cell.source[-80:]!r}"
    shown = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "<img alt=" not in shown, "site-only HTML leaked into the notebook"
