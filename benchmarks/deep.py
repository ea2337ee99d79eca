"""Benchmark for fdmlearn.deep: the assignment's depth study at full scale.

Measures, on full MNIST (60,000 training / 10,000 test images), 10 epochs,
batch 128:

- test accuracy per depth (1, 2, 3) for the `baseline`, `relu` and `improved`
  recipes, next to the seed notebook's numbers;
- an ablation at depth 3: what each ingredient of `improved` adds, and two
  sigmoid networks that do train at depth 3;
- seconds per epoch of `depth_study` against a plain `model.fit` of the same
  model (the wrapper should cost nothing);
- repeatability: the same seed twice gives the same numbers.

Run from inside `benchmarks/`: `../.venv/bin/python deep.py` (writes
docs/results/deep.json), or `--quick` for a smoke run on a subset (writes nothing).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import keras
import numpy as np
from _record import Recorder

from fdmlearn import deep

SEED_NOTEBOOK = {
    "baseline": {1: 0.8825, 2: 0.7920, 3: 0.3595},
    "relu": {1: 0.9297, 2: 0.9402, 3: 0.9471},
}


def ablation_recipes() -> list[tuple[str, deep.Recipe]]:
    """Cumulative steps from the baseline to `improved`, then variations, all at depth 3.

    Every derived recipe gets its own description: `dataclasses.replace` would
    otherwise copy the parent's, and the record would describe a recipe wrongly
    (it once called `sigmoid_adamw` a batch-normalized network).
    """
    base = deep.RECIPES["baseline"]
    relu = deep.RECIPES["relu"]
    he = dataclasses.replace(
        relu,
        name="relu_he",
        description="ReLU with He-normal initialization, SGD 0.01.",
        initializer="he_normal",
    )
    adamw = dataclasses.replace(
        he,
        name="relu_he_adamw",
        description="ReLU, He init, AdamW with a constant learning rate 1e-3.",
        optimizer="adamw",
        learning_rate=1e-3,
    )
    cosine = dataclasses.replace(
        adamw,
        name="relu_he_adamw_cosine",
        description="ReLU, He init, AdamW (lr 1e-3) with a cosine decay to 0.",
        schedule="cosine",
    )
    improved = deep.RECIPES["improved"]
    return [
        ("baseline: sigmoid, Glorot, SGD 0.01", base),
        ("+ ReLU (the seed notebook's fix)", relu),
        ("+ He initialization", he),
        ("+ AdamW (lr 1e-3) instead of SGD", adamw),
        ("+ cosine learning-rate decay", cosine),
        ("+ label smoothing 0.1 (= improved)", improved),
        (
            "improved + batch normalization",
            dataclasses.replace(
                improved,
                name="improved_bn",
                description="The improved recipe with batch normalization before each ReLU.",
                normalization="batch",
            ),
        ),
        (
            "improved + residual connections",
            dataclasses.replace(
                improved,
                name="improved_res",
                description="The improved recipe with skip connections around blocks 2..depth.",
                residual=True,
            ),
        ),
        ("sigmoid + AdamW + cosine (no BN)", deep.RECIPES["sigmoid_adamw"]),
        ("sigmoid + batch norm + AdamW + cosine (sigmoid_bn)", deep.RECIPES["sigmoid_bn"]),
    ]


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def overhead(rec: Recorder, common: dict, quick: bool) -> None:
    """depth_study vs plain model.fit, same model and data, interleaved pairs.

    On a shared machine wall time swings with the other work; the process's CPU
    time (all threads) is the steadier measure of what each one costs.
    """
    epochs = 1 if quick else 2
    (x, y), (xt, yt) = common["data"]
    # float32 one-hot labels, as depth_study makes them.
    y1 = keras.utils.to_categorical(y, 10).astype(np.float32)
    yt1 = keras.utils.to_categorical(yt, 10).astype(np.float32)
    total_steps = -(-len(x) // 128) * epochs
    runs: dict[str, dict[str, list[float]]] = {
        k: {"wall": [], "cpu": []} for k in ("plain", "depth_study")
    }
    for _ in range(2 if quick else 4):
        for kind in ("plain", "depth_study"):
            w0, c0 = time.perf_counter(), time.process_time()
            if kind == "plain":
                model = deep.RECIPES["improved"].build(3, total_steps=total_steps, seed=0)
                model.fit(
                    x, y1, batch_size=128, epochs=epochs, validation_data=(xt, yt1), verbose=0
                )
            else:
                deep.depth_study((3,), "improved", **{**common, "epochs": epochs})
            runs[kind]["wall"].append((time.perf_counter() - w0) / epochs)
            runs[kind]["cpu"].append((time.process_time() - c0) / epochs)
            print(kind, runs[kind]["wall"][-1], runs[kind]["cpu"][-1], flush=True)
    med = {k: {m: float(np.median(v)) for m, v in d.items()} for k, d in runs.items()}
    ratio = {m: med["depth_study"][m] / med["plain"][m] for m in ("wall", "cpu")}
    table = "\n".join(
        [
            "| depth 3, improved, per epoch (median of pairs) | wall seconds | CPU seconds |",
            "|---|---:|---:|",
            f"| plain `model.fit` | {med['plain']['wall']:.2f} | {med['plain']['cpu']:.2f} |",
            f"| `depth_study` | {med['depth_study']['wall']:.2f} "
            f"| {med['depth_study']['cpu']:.2f} |",
            f"| ratio | {ratio['wall']:.3f} | {ratio['cpu']:.3f} |",
        ]
    )
    title = f"Training deeper models: depth_study overhead, {len(runs['plain']['wall'])} pairs"
    print(f"\n{title}\n{table}")
    results = {
        "epochs_per_run": epochs,
        "runs": runs,
        "median": med,
        "ratio": ratio,
        "tables": {title: table},
    }
    if quick:
        print("\n--quick: no record written")
    else:
        rec.write(results, name="deep-timing")


def ablation_row(label: str, recipe: deep.Recipe, study: deep.DepthStudy, depth: int) -> dict:
    """One ablation step's numbers at one depth, as stored in the record."""
    return {
        "step": label,
        "recipe": dataclasses.asdict(recipe),
        "test_accuracy": study.test_accuracy[depth],
        "train_accuracy": study.train_accuracy[depth],
        "history": study.history[depth],
        "seconds": study.seconds[depth],
    }


def depth1_ablation(rec: Recorder, common: dict, quick: bool) -> None:
    """Depth 1 is where the 98.3% target is tight: what do the optimizer steps add there?"""
    steps = [(label, r) for label, r in ablation_recipes() if r.optimizer == "adamw"][:3]
    rows = []
    for label, recipe in steps:
        study = deep.depth_study((1,), recipe, **common)
        rows.append(ablation_row(label, recipe, study, depth=1))
        print(label, round(study.test_accuracy[1], 4), flush=True)
    scale = "quick subset" if quick else "full MNIST"
    table = "\n".join(
        ["| depth 1 | test accuracy | train accuracy | seconds |", "|---|---:|---:|---:|"]
        + [
            f"| {r['step']} | {pct(r['test_accuracy'])} | {pct(r['train_accuracy'])} "
            f"| {r['seconds']:.0f} |"
            for r in rows
        ]
    )
    title = f"Training deeper models: the last ablation steps at depth 1 ({scale})"
    print(f"\n{title}\n{table}")
    if quick:
        print("\n--quick: no record written")
    else:
        rec.write({"ablation_depth1": rows, "tables": {title: table}}, name="deep-depth1")


def seed_spread(rec: Recorder, common: dict, n_seeds: int, quick: bool) -> None:
    """The main study for several seeds: is a difference between recipes or depths real?"""
    accuracy: dict[str, dict[int, list[float]]] = {}
    for seed in range(n_seeds):
        for name in ("baseline", "relu", "improved"):
            # The seed draws the initial weights, dropout masks and batch order.
            study = deep.depth_study((1, 2, 3), name, **{**common, "seed": seed})
            for d, a in study.test_accuracy.items():
                accuracy.setdefault(name, {}).setdefault(d, []).append(a)
            print(seed, name, {d: round(a, 4) for d, a in study.test_accuracy.items()}, flush=True)
    lines = [
        "| recipe | depth | mean test accuracy | min | max | seeds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, per_depth in accuracy.items():
        for d, values in per_depth.items():
            lines.append(
                f"| {name} | {d} | {pct(float(np.mean(values)))} | {pct(min(values))} "
                f"| {pct(max(values))} | {len(values)} |"
            )
    scale = "quick subset" if quick else "full MNIST"
    title = f"Training deeper models: test accuracy over {n_seeds} seeds ({scale})"
    print(f"\n{title}\n" + "\n".join(lines))
    if quick:
        print("\n--quick: no record written")
    else:
        rec.write(
            {
                "seeds": list(range(n_seeds)),
                "test_accuracy": accuracy,
                "tables": {title: "\n".join(lines)},
            },
            name="deep-seeds",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subset, 2 epochs, no record")
    parser.add_argument(
        "--depth1",
        action="store_true",
        help="only the last ablation steps at depth 1 (writes docs/results/deep-depth1.json)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=0,
        metavar="N",
        help="only the main depth study (baseline, relu, improved) for seeds 0..N-1, with "
        "the spread (writes docs/results/deep-seeds.json)",
    )
    parser.add_argument(
        "--timing",
        action="store_true",
        help="only the depth_study vs model.fit timing, 4 interleaved pairs, wall and CPU "
        "time (writes docs/results/deep-timing.json)",
    )
    args = parser.parse_args()
    rec = Recorder("deep")
    train_size, test_size, epochs = (3000, 500, 2) if args.quick else (None, None, 10)
    data = deep.mnist_flat(train_size, test_size, seed=0)
    depths = (1, 2, 3)
    common = {"epochs": epochs, "data": data, "batch_size": 128, "seed": 0, "verbose": 0}
    if args.depth1:
        depth1_ablation(rec, common, quick=args.quick)
        return
    if args.timing:
        overhead(rec, common, quick=args.quick)
        return
    if args.seeds:
        seed_spread(rec, common, args.seeds, quick=args.quick)
        return

    # 1. The depth study for the three main recipes.
    studies = {}
    for name in ("baseline", "relu", "improved"):
        studies[name] = deep.depth_study(depths, name, **common)
        print(name, {d: round(a, 4) for d, a in studies[name].test_accuracy.items()}, flush=True)

    # 2. Ablation at depth 3 (runs already done in step 1 are reused: same seed, same numbers).
    ablation = []
    for label, recipe in ablation_recipes():
        if recipe.name in studies:
            study = studies[recipe.name]
        else:
            study = deep.depth_study((3,), recipe, **common)
        ablation.append(ablation_row(label, recipe, study, depth=3))
        print(label, round(study.test_accuracy[3], 4), flush=True)

    # 3. Overhead: depth_study vs a plain model.fit of the same model, interleaved, best of 2.
    timing_epochs = 1 if args.quick else 3
    (x, y), (xt, yt) = data
    # float32 one-hot labels, as depth_study makes them.
    y1 = keras.utils.to_categorical(y, 10).astype(np.float32)
    yt1 = keras.utils.to_categorical(yt, 10).astype(np.float32)
    steps = -(-len(x) // 128) * timing_epochs
    plain, wrapped = [], []
    for _ in range(2):
        model = deep.RECIPES["improved"].build(3, total_steps=steps, seed=0)
        t0 = time.perf_counter()
        model.fit(x, y1, batch_size=128, epochs=timing_epochs, validation_data=(xt, yt1), verbose=0)
        plain.append((time.perf_counter() - t0) / timing_epochs)
        t0 = time.perf_counter()
        deep.depth_study((3,), "improved", **{**common, "epochs": timing_epochs})
        wrapped.append((time.perf_counter() - t0) / timing_epochs)
    timing = {
        "epochs_per_run": timing_epochs,
        "plain_fit_s_per_epoch": plain,
        "depth_study_s_per_epoch": wrapped,
        "overhead_ratio": min(wrapped) / min(plain),
    }
    print("timing", timing, flush=True)

    # 4. Repeatability: the same seed twice, same machine.
    repeat_epochs = 1 if args.quick else 2
    runs = [
        deep.depth_study((2,), "improved", **{**common, "epochs": repeat_epochs}) for _ in range(2)
    ]
    repeat = {
        "recipe": "improved",
        "depth": 2,
        "epochs": repeat_epochs,
        "test_accuracy": [r.test_accuracy[2] for r in runs],
        "val_loss": [r.history[2]["val_loss"][-1] for r in runs],
        "identical_histories": runs[0].history == runs[1].history,
    }
    print("repeat", repeat, flush=True)

    # 5. Per-layer gradient norms at initialization (one batch of 256 training images).
    grad_norms = {}
    for label, recipe in (("sigmoid", "baseline"), ("relu", "relu"), ("improved", "improved")):
        for depth in (1, 2, 3, 10):
            model = deep.get_recipe(recipe).build(depth, total_steps=1, seed=0)
            grad_norms.setdefault(label, {})[depth] = deep.gradient_norms(model, x[:256], y[:256])

    # Tables for the Results page, built from the numbers above.
    rows = [
        "| depth | parameters | baseline | seed: sigmoid | relu | seed: ReLU | improved |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in depths:
        base, relu, better = (studies[n].test_accuracy[d] for n in ("baseline", "relu", "improved"))
        rows.append(
            f"| {d} | {studies['baseline'].params[d]:,} | {pct(base)}"
            f" | {pct(SEED_NOTEBOOK['baseline'][d])} | {pct(relu)}"
            f" | {pct(SEED_NOTEBOOK['relu'][d])} | {pct(better)} |"
        )
    accuracy_table = "\n".join(rows)
    ablation_table = "\n".join(
        ["| depth 3 | test accuracy | train accuracy | seconds |", "|---|---:|---:|---:|"]
        + [
            f"| {a['step']} | {pct(a['test_accuracy'])} | {pct(a['train_accuracy'])} "
            f"| {a['seconds']:.0f} |"
            for a in ablation
        ]
    )
    timing_table = "\n".join(
        [
            "| depth 3, improved | seconds per epoch (best of 2) |",
            "|---|---:|",
            f"| plain `model.fit` | {min(plain):.2f} |",
            f"| `depth_study` | {min(wrapped):.2f} |",
            f"| ratio | {timing['overhead_ratio']:.3f} |",
        ]
    )
    repeat_table = "\n".join(
        [
            "| run | test accuracy | test loss |",
            "|---:|---:|---:|",
            *[
                f"| {i + 1} | {pct(a)} | {loss:.6f} |"
                for i, (a, loss) in enumerate(
                    zip(repeat["test_accuracy"], repeat["val_loss"], strict=True)
                )
            ],
        ]
    )
    scale = "quick subset" if args.quick else "full MNIST"
    results = {
        "settings": {
            "train_size": len(x),
            "test_size": len(xt),
            "epochs": epochs,
            "batch_size": 128,
            "seed": 0,
        },
        "seed_notebook": SEED_NOTEBOOK,
        "studies": {
            name: {
                "recipe": dataclasses.asdict(deep.get_recipe(name)),
                "test_accuracy": s.test_accuracy,
                "train_accuracy": s.train_accuracy,
                "params": s.params,
                "seconds": s.seconds,
                "history": s.history,
            }
            for name, s in studies.items()
        },
        "ablation_depth3": ablation,
        "timing": timing,
        "repeatability": repeat,
        "gradient_norms_at_init": grad_norms,
        "tables": {
            f"Training deeper models: test accuracy after {epochs} epochs ({scale})": (
                accuracy_table
            ),
            f"Training deeper models: ablation at depth 3 ({scale})": ablation_table,
            "Training deeper models: depth_study overhead": timing_table,
            f"Training deeper models: same seed twice (improved, depth 2, {repeat_epochs} "
            "epochs)": repeat_table,
        },
    }
    for title, table in results["tables"].items():
        print(f"\n{title}\n{table}")
    if args.quick:
        print("\n--quick: no record written")
    else:
        rec.write(results)


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
