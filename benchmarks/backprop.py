"""Benchmark fdmlearn.backprop: the cost of symbolic reverse mode, and batch evaluation.

1. The gradient of a tanh chain h_k = tanh(w_k h_{k-1}) with respect to its
   first weight (one factor per layer), for 10..1000 layers: time per call
   with the chain rule written in the nodes' names (`in_terms_of="nodes"`,
   any depth), and expanded in the leaves with sympy canonicalising every
   product (up to 50 layers, the `MAX_DEPTH` of 100 operations).
2. A 1,000-layer chain (tanh and ReLU) followed by a loss: build,
   differentiate, print, evaluate and render, against 250 layers.
3. Batch evaluation through `gradient_function` (sympy.lambdify per operation
   + NumPy) against one sympy `evaluate` per data point.
4. The seed exercise, checked against the seed notebook's numbers.

Run from benchmarks/: `../.venv/bin/python backprop.py` (writes
docs/results/backprop.json) or `--quick` for a smoke run
(writes docs/results/backprop-quick.json).
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
import sympy
from _record import Recorder
from sympy.core.cache import clear_cache

from fdmlearn import backprop as bp


def tanh_chain(depth: int) -> tuple[bp.Node, tuple[bp.Node, ...]]:
    x = bp.inputs("x")
    weights = bp.params(" ".join(f"w{k}" for k in range(1, depth + 1)))
    weights = weights if isinstance(weights, tuple) else (weights,)
    h = x
    for w in weights:
        h = bp.tanh(w * h)
    return h, weights


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall time of `repeats` calls, each with sympy's cache cleared first."""
    times, result = [], None
    for _ in range(repeats):
        clear_cache()  # identical symbols would otherwise hit the cache of the last call
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def chain_costs(depths: list[int], eager_max: int, repeats: int) -> list[dict]:
    rows = []
    # Warm up: the first call pays for imports and sympy's first-use set-up.
    out, weights = tanh_chain(5)
    bp.gradients(out, weights[:1], in_terms_of="nodes")
    bp.gradients(out, weights[:1], evaluate=True)
    for depth in depths:
        build_s, (out, weights) = timed(lambda d=depth: tanh_chain(d), repeats)
        n_nodes = 1 + 3 * depth  # x, and per layer: w_k, the product, the tanh
        # The first weight: its gradient is the longest product, and the
        # gradients of all weights together would be quadratic in size.
        first = weights[:1]
        shared_s, _ = timed(partial(bp.gradients, out, first, in_terms_of="nodes"), repeats)
        eager_s = None
        if depth <= min(eager_max, bp.MAX_DEPTH // 2):
            eager_s, _ = timed(partial(bp.gradients, out, first, evaluate=True), repeats)
        rows.append(
            {
                "depth": depth,
                "nodes": n_nodes,
                "build_s": build_s,
                "gradients_shared_s": shared_s,
                "gradients_shared_us_per_node": 1e6 * shared_s / n_nodes,
                "gradients_canonical_s": eager_s,
            }
        )
        print(
            f"depth {depth:4d}: build {build_s:.3f} s, gradients shared {shared_s:.3f} s"
            + (f", canonical {eager_s:.3f} s" if eager_s is not None else ""),
            flush=True,
        )
    return rows


def deep_round(depth: int, activation: str) -> dict:
    """A chain + loss: build, gradient with node names, print, evaluate, render (seconds each)."""
    times = {}
    t0 = time.perf_counter()
    x, y = bp.inputs("x y")
    weights = bp.params(" ".join(f"w{k}" for k in range(1, depth + 1)))
    h = x
    for w in weights:
        h = bp.activation(activation)(w * h)
    loss = bp.squared_error(h, y)
    times["build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rule = bp.gradients(loss, [weights[0]], in_terms_of="nodes")["w1"]
    times["gradient_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    printed = len(repr(loss) + str(rule) + bp.latex(rule))
    times["print_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    trace = bp.evaluate(loss, {x: 0.5, y: 0.1, **{w: 1.01 for w in weights}}, exact=False)
    times["evaluate_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rendered = len(trace.to_markdown()) + len(trace.to_latex())
    times["render_s"] = time.perf_counter() - t0
    total = sum(times.values())
    row = {"depth": depth, "activation": activation, **times, "total_s": total,
           "printed_chars": printed, "rendered_chars": rendered}  # fmt: skip
    print(f"{activation} chain of {depth} + loss: {total:.2f} s {times}", flush=True)
    return row


def deep_costs(depths: list[int]) -> list[dict]:
    deep_round(50, "tanh")  # warm up
    return [deep_round(d, a) for a in ("tanh", "relu") for d in depths]


def batch_costs(n_points: int, n_exact: int, chain_depth: int) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    x, y = bp.inputs("x y")
    w0, w1 = bp.params("w0 w1")
    seed_loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
    chain, weights = tanh_chain(chain_depth)
    cases = [
        ("seed network (ReLU, 2 weights)", seed_loss, {"w0": 0.7, "w1": -1.3}, ("x", "y")),
        (
            f"tanh chain, {chain_depth} layers",
            chain,
            {w.name: 1.05 for w in weights},
            ("x",),
        ),
    ]
    for label, loss, params_, input_names in cases:
        data = {n: rng.uniform(-2, 2, n_points) for n in input_names}
        t0 = time.perf_counter()
        fn = bp.gradient_function(loss)
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        batch = fn(**data, **params_)
        batch_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        max_diff = 0.0
        for i in range(n_exact):
            point = {**{n: float(data[n][i]) for n in input_names}, **params_}
            # sympy numbers per point (15-digit floats: exact tanh values nest
            # without end and would take minutes per point).
            trace = bp.evaluate(loss, point, exact=False)
            for name in batch:
                exact = float(trace.gradients[name])
                max_diff = max(max_diff, abs(exact - float(batch[name][i])))
        exact_s = (time.perf_counter() - t0) / n_exact
        rows.append(
            {
                "network": label,
                "points": n_points,
                "compile_s": compile_s,
                "numpy_points_per_s": n_points / batch_s,
                "sympy_points_per_s": 1 / exact_s,
                "speedup": (n_points / batch_s) * exact_s,
                "max_abs_diff_vs_sympy": max_diff,
                "sympy_points_checked": n_exact,
            }
        )
        print(f"{label}: {rows[-1]}", flush=True)
    return rows


def seed_check() -> list[dict]:
    x, y = bp.inputs("x y")
    w0, w1 = bp.params("w0 w1")
    loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
    data = [{"x": 1, "y": 2}, {"x": 2, "y": 3}]
    rows = []
    # The seed notebook worked batch size 1 by hand (w0 = 0.6, w1 = 1.8) and
    # did not compute batch size 2.
    seed = {1: {"w0": 0.6, "w1": 1.8}, 2: {"w0": None, "w1": None}}
    for batch_size in (1, 2):
        run = bp.gradient_descent(loss, {"w0": 1, "w1": 2}, data, lr=0.1, batch_size=batch_size)
        for name, value in run.params.items():
            rows.append(
                {
                    "batch_size": batch_size,
                    "param": name,
                    "ours": str(value),
                    "ours_float": float(value),
                    "seed_notebook": seed[batch_size][name],
                }
            )
    return rows


def deep_table(deep: list[dict]) -> str:
    header = ["chain + loss", "layers", "build (s)", "gradient (s)", "print (s)"]
    header += ["evaluate (s)", "render (s)", "total (s)"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for r in deep:
        lines.append(
            f"| {r['activation']} | {r['depth']} | {r['build_s']:.3f} | {r['gradient_s']:.3f} | "
            f"{r['print_s']:.3f} | {r['evaluate_s']:.3f} | {r['render_s']:.3f} | "
            f"{r['total_s']:.2f} |"
        )
    return "\n".join(lines)


def tables(chain: list[dict], batch: list[dict], seed: list[dict]) -> dict[str, str]:
    lines = [
        "| layers | nodes | gradients, chain rule with node names (s) | µs per node | "
        "gradients expanded in the leaves (s) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in chain:
        eager = "—" if r["gradients_canonical_s"] is None else f"{r['gradients_canonical_s']:.3f}"
        lines.append(
            f"| {r['depth']} | {r['nodes']} | {r['gradients_shared_s']:.4f} | "
            f"{r['gradients_shared_us_per_node']:.0f} | {eager} |"
        )
    chain_table = "\n".join(lines)
    lines = [
        "| network | points | NumPy points/s | sympy `evaluate` points/s | speed-up | "
        "max abs difference |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in batch:
        lines.append(
            f"| {r['network']} | {r['points']:,} | {r['numpy_points_per_s']:,.0f} | "
            f"{r['sympy_points_per_s']:,.0f} | {r['speedup']:,.0f}× | "
            f"{r['max_abs_diff_vs_sympy']:.1e} |"
        )
    batch_table = "\n".join(lines)
    lines = ["| batch size | parameter | fdmlearn (exact) | seed notebook |", "|---:|---|---|---|"]
    for r in seed:
        seed_value = "not computed" if r["seed_notebook"] is None else f"{r['seed_notebook']}"
        lines.append(
            f"| {r['batch_size']} | {r['param']} | {r['ours']} = {r['ours_float']:g} | "
            f"{seed_value} |"
        )
    return {
        "Symbolic reverse mode on a tanh chain (first weight)": chain_table,
        "Batch gradients: NumPy vs sympy per point": batch_table,
        "The seed exercise after one epoch": "\n".join(lines),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    args = parser.parse_args()
    rec = Recorder("backprop")
    if args.quick:
        depths, eager_max, repeats, deep_depths = [10, 25, 50], 25, 1, [100, 400]
        n_points, n_exact, chain_depth = 1_000, 5, 10
    else:
        depths, eager_max, repeats = [10, 25, 50, 100, 200, 400, 1000], 50, 3
        deep_depths = [250, 1000]
        n_points, n_exact, chain_depth = 100_000, 50, 100
    chain = chain_costs(depths, eager_max, repeats)
    deep = deep_costs(deep_depths)
    batch = batch_costs(n_points, n_exact, chain_depth)
    seed = seed_check()
    shared = {r["depth"]: r["gradients_shared_s"] for r in chain}
    results = {
        "chain": chain,
        "deep": deep,
        "batch": batch,
        "seed": seed,
        # Linear cost: time ratio over depth ratio between the largest and a mid depth.
        "shared_growth_ratio": (shared[depths[-1]] / shared[depths[-3]])
        / (depths[-1] / depths[-3]),
        "sympy_version": sympy.__version__,
        "repeats": repeats,
        "tables": {
            **tables(chain, batch, seed),
            "A deep chain followed by a loss, end to end": deep_table(deep),
        },
    }
    rec.write(results, name="backprop-quick" if args.quick else None)


if __name__ == "__main__":
    main()
