"""`python -m fdmlearn`: a small command line for learners and teachers.

python -m fdmlearn info            versions, where MNIST and the notebooks are
python -m fdmlearn notebooks DIR   write the tutorials as Jupyter notebooks into DIR
python -m fdmlearn selftest        run the installed package's doctests
"""

from __future__ import annotations

import argparse
import doctest
import hashlib
import importlib
import importlib.metadata
import pkgutil
import shutil
import sys
import time
from pathlib import Path

import fdmlearn

_PACKAGE = Path(fdmlearn.__file__).resolve().parent
_DOCS_URL = "https://fdmlearn.github.io/fdmlearn/"


def _notebook_sources() -> tuple[str, Path]:
    """Where notebooks come from: the wheel's copies, or a checkout's tutorials."""
    shipped = _PACKAGE / "notebooks"
    if any(shipped.glob("*.ipynb")):
        return "shipped", shipped
    checkout = _PACKAGE.parent / "docs" / "tutorials"
    if any(checkout.glob("*.md")):
        return "checkout", checkout
    raise SystemExit(
        "fdmlearn: this installation has no notebooks (neither fdmlearn/notebooks/ nor a "
        "checkout's docs/tutorials/). Reinstall from the wheel."
    )


def write_notebooks(folder: Path) -> list[Path]:
    """Write every tutorial notebook into `folder` (created if needed)."""
    kind, source = _notebook_sources()
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "shipped":
        written = []
        for nb in sorted(source.glob("*.ipynb")):
            target = folder / nb.name
            shutil.copyfile(nb, target)
            written.append(target)
        return written
    from fdmlearn._notebooks import write_notebooks as convert

    return convert(source, folder, version=fdmlearn.__version__)


def _info() -> int:
    from fdmlearn.datasets import _bundled_mnist_path

    print(f"fdmlearn {fdmlearn.__version__} at {_PACKAGE}")
    print(f"python {sys.version.split()[0]}")
    for dist in ("tensorflow", "keras", "numpy", "sympy", "matplotlib"):
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        print(f"{dist} {version}")
    mnist = _bundled_mnist_path()
    digest = hashlib.sha256(mnist.read_bytes()).hexdigest() if mnist.exists() else "missing"
    print(f"MNIST {mnist} sha256 {digest}")
    try:
        kind, source = _notebook_sources()
        print(f"notebooks ({kind}) {source}: python -m fdmlearn notebooks DIR writes them")
    except SystemExit as err:
        print(err)
    print(f"docs {_DOCS_URL} (or build them from a checkout: make docs)")
    return 0


def _modules() -> list[str]:
    names = ["fdmlearn"]
    for info in pkgutil.walk_packages([str(_PACKAGE)], prefix="fdmlearn."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf in ("__main__", "conftest") or leaf.startswith("test"):
            continue
        names.append(info.name)
    return names


def _selftest(verbose: bool) -> int:
    import logging

    import matplotlib

    matplotlib.use("Agg")
    # The doctests build many tiny Keras models, one after another, which
    # TensorFlow reports as "retracing"; true here by design, and noise.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    start = time.perf_counter()
    failed = attempted = 0
    for name in _modules():
        module = importlib.import_module(name)
        # ELLIPSIS as under `pytest --doctest-modules`, whose default it is.
        result = doctest.testmod(
            module, verbose=False, report=verbose, optionflags=doctest.ELLIPSIS
        )
        failed += result.failed
        attempted += result.attempted
        if verbose or result.failed:
            print(f"{name}: {result.attempted - result.failed}/{result.attempted} passed")
    seconds = time.perf_counter() - start
    status = "ok" if failed == 0 else "FAILED"
    print(
        f"selftest {status}: {attempted - failed}/{attempted} doctest examples in {seconds:.0f} s"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m fdmlearn", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, and where MNIST, the notebooks and the docs are")
    nb = sub.add_parser("notebooks", help="write the tutorials as Jupyter notebooks into DIR")
    nb.add_argument("dir", type=Path, help="folder to write the .ipynb files into")
    st = sub.add_parser("selftest", help="run the installed package's doctests")
    st.add_argument("-v", "--verbose", action="store_true", help="one line per module")
    args = parser.parse_args(argv)
    if args.command == "info":
        return _info()
    if args.command == "notebooks":
        for path in write_notebooks(args.dir):
            print(path)
        return 0
    return _selftest(args.verbose)


if __name__ == "__main__":
    sys.exit(main())
