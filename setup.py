"""Build step that pyproject.toml cannot express: the wheel's notebooks and records.

The tutorials have one source, `docs/tutorials/<topic>.md`. Building the wheel
turns each into `fdmlearn/notebooks/<topic>.ipynb` (with the same cells as the
site's page) and copies the benchmark records `docs/results/*.json` into
`fdmlearn/results/`, so a learner who only has the wheel gets both.
"""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithNotebooks(build_py):
    def run(self):
        # build/lib survives between builds: a module that became a package
        # (backprop.py -> backprop/) would otherwise ship twice.
        shutil.rmtree(Path(self.build_lib) / "fdmlearn", ignore_errors=True)
        super().run()
        if self.editable_mode:  # an editable install reads docs/ in the checkout directly
            return
        target = Path(self.build_lib) / "fdmlearn"
        notebooks = _load("_fdmlearn_notebooks", ROOT / "fdmlearn" / "_notebooks.py")
        version = _load("_fdmlearn_version", ROOT / "fdmlearn" / "_version.py").__version__
        notebooks.write_notebooks(
            ROOT / "docs" / "tutorials", target / "notebooks", version=version
        )
        results = target / "results"
        results.mkdir(parents=True, exist_ok=True)
        for record in sorted((ROOT / "docs" / "results").glob("*.json")):
            shutil.copyfile(record, results / record.name)


setup(cmdclass={"build_py": BuildWithNotebooks})
