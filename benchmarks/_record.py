"""Shared by every benchmark script: write a JSON record under docs/results/.

A record says what was measured, when, where (machine) and with what
(library versions), and how long the whole run took, so that the docs can
quote full-scale numbers that were really obtained.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent.parent / "docs" / "results"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("fdmlearn", "tensorflow", "keras", "numpy", "sympy", "matplotlib", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine() -> dict[str, Any]:
    """Facts about the machine a benchmark runs on."""
    gpus: list[str] = []
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "gpus": gpus,
        # Other work on the machine slows a run down: the load says how busy it was.
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }


class Recorder:
    """Times a benchmark run and writes its record.

    Examples:
        rec = Recorder("filters", command="python benchmarks/filters.py")
        ...measure...
        rec.write({"images_per_second": {...}})
    """

    def __init__(self, topic: str, command: str | None = None) -> None:
        self.topic = topic
        self.command = command or "python " + " ".join(
            [os.path.relpath(sys.argv[0], Path(__file__).parent.parent), *sys.argv[1:]]
        )
        self.started = _dt.datetime.now(_dt.UTC)
        self._t0 = time.perf_counter()

    def write(self, results: dict[str, Any], name: str | None = None, **extra: Any) -> Path:
        """Write `docs/results/<name or topic>.json` and return its path."""
        record = {
            "topic": self.topic,
            "command": self.command,
            "date": self.started.isoformat(timespec="seconds"),
            "wall_time_s": round(time.perf_counter() - self._t0, 2),
            "machine": machine(),
            "versions": _versions(),
            "git_commit": _git_commit(),
            **extra,
            "results": results,
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{name or self.topic}.json"
        path.write_text(json.dumps(record, indent=2, default=_jsonable) + "\n")
        print(f"wrote {path.relative_to(RESULTS_DIR.parent.parent)}")
        return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
