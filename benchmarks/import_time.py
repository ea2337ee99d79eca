"""Measure how long `import fdmlearn` (and its TensorFlow-free topics) take.

Each measurement runs in a fresh interpreter, so nothing is cached in memory;
the median of several runs is recorded in docs/results/import_time.json.

    python benchmarks/import_time.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from _record import Recorder

STATEMENTS = {
    "import fdmlearn": "import fdmlearn",
    "import fdmlearn; import fdmlearn.backprop": "import fdmlearn; import fdmlearn.backprop",
    "import tensorflow (for scale)": "import tensorflow",
}

PROBE = """
import sys, time
t0 = time.perf_counter()
exec({stmt!r})
dt = time.perf_counter() - t0
print(dt, 'tensorflow' in sys.modules)
"""


def measure(stmt: str, repeats: int) -> dict[str, object]:
    times, loaded_tf = [], False
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(stmt=stmt)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        times.append(float(out[0]))
        loaded_tf = out[1] == "True"
    return {
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
        "repeats": repeats,
        "imports_tensorflow": loaded_tf,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rec = Recorder("import_time")
    results = {label: measure(stmt, args.repeats) for label, stmt in STATEMENTS.items()}
    for label, r in results.items():
        print(f"{label:45s} {r['median_s']:.3f} s  tensorflow loaded: {r['imports_tensorflow']}")
    rows = [
        f"| `{label}` | {r['median_s']:.3f} | {'yes' if r['imports_tensorflow'] else 'no'} |"
        for label, r in results.items()
    ]
    table = "\n".join(
        ["| statement | median s (fresh interpreter) | loads TensorFlow |", "| --- | --- | --- |"]
        + rows
    )
    rec.write({**results, "tables": {f"Median of {args.repeats} fresh interpreters": table}})


if __name__ == "__main__":
    main()
