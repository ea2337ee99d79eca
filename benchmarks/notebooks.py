"""Every tutorial notebook, run as a learner runs it: from the installed wheel, in a fresh kernel.

Builds the wheel, installs it (not editable) into a temporary folder, writes the
notebooks with `python -m fdmlearn notebooks DIR`, then executes each one top
to bottom with nbclient from a folder outside the checkout. A notebook passes
when no cell raises and every figure cell (a cell ending in `fig`) shows an
image. Writes `docs/results/notebooks.json`.

    cd benchmarks && ../.venv/bin/python notebooks.py [--only backprop deep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _record import Recorder

ROOT = Path(__file__).resolve().parent.parent


def _install_wheel(workdir: Path) -> dict[str, str]:
    wheels = workdir / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(wheels), str(ROOT)],
        check=True,
    )
    (wheel,) = wheels.glob("fdmlearn-*.whl")
    target = workdir / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target)]
        + [str(wheel)],
        check=True,
    )
    return {**os.environ, "PYTHONPATH": str(target)}


def run_notebook(path: Path) -> dict:
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    error = None
    try:
        nbclient.NotebookClient(
            nb,
            timeout=1800,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    except Exception as err:  # the record says which cell failed
        error = f"{type(err).__name__}: {str(err)[-600:]}"
    seconds = time.perf_counter() - start
    code = [c for c in nb.cells if c.cell_type == "code"]
    figures = [c for c in code if c.source.rstrip().endswith("fig")]
    shown = [
        c
        for c in figures
        if any("image/png" in out.get("data", {}) for out in c.get("outputs", []))
    ]
    return {
        "seconds": round(seconds, 1),
        "code_cells": len(code),
        "figure_cells": len(figures),
        "figure_cells_with_image": len(shown),
        "error": error,
        "passed": error is None and len(shown) == len(figures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="tutorial names to run (default: all)")
    args = parser.parse_args()
    recorder = Recorder("notebooks")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = _install_wheel(workdir)
        notebooks = workdir / "notebooks"
        subprocess.run(
            [sys.executable, "-m", "fdmlearn", "notebooks", str(notebooks)],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        os.environ.update(env)  # the kernels inherit it, so they import the wheel's fdmlearn
        results = {}
        for path in sorted(notebooks.glob("*.ipynb")):
            if args.only and path.stem not in args.only:
                continue
            results[path.stem] = run_notebook(path)
            print(path.stem, results[path.stem], flush=True)
    recorder.write({"notebooks": results, "all_passed": all(r["passed"] for r in results.values())})


if __name__ == "__main__":
    main()
