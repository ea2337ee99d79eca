"""Benchmark of fdmlearn.calculator at full scale, default vs the seed notebook's reference.

Trains on 60,000 sequences of MNIST training digits and evaluates on 10,000
fresh sequences of MNIST test digits:

- 3-digit + 3-digit, default model: reader, adder, chained, fine-tuned,
  with the accuracy after each stage and the training time of each stage;
- the same for the reference (notebook) architecture;
- 4 operands of 2 digits, cumulative, reusing the default model's reader;
- the adder alone on 100,000 random digit sequences.

Run from inside benchmarks/ (under the shared lock on a shared machine):

    cd benchmarks && flock /tmp/fdmlearn-bench.lock ../.venv/bin/python calculator.py

`--quick` runs the same pipeline on small data to check that it works, and
writes nothing.

`--sums 1 2 4 --seeds 6 7 8 --epochs 3` (and `--sums 15 ... --epochs 6
--batch-size 8`) runs the sums-only protocol of the multi-digit MNIST-addition
benchmark instead (the reader learns from sums alone) and adds its runs to the
record under "sums_only". `--generalisation`
checks the carry adder on 100,000 long sums ("adder_generalisation"), and
`--robust --seeds 0 1 2` trains 3 + 3 digits once per seed and tests on an
unseen test seed ("robust_3x3"; about 7 minutes a seed on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import keras
import numpy as np
from _record import RESULTS_DIR, Recorder

import fdmlearn
from fdmlearn import calculator

SEED_NOTEBOOK = {  # what the seed notebook reported (3 + 3 digits)
    "digit_accuracy": 0.9667,
    "adder_char_accuracy": 0.951,
    "char_accuracy": 0.826225,
}
# The robustness runs test on sequences drawn with this seed. It was picked
# after every setting was fixed (2026-12-02) and used for nothing else.
TEST_SEED = 20261202
TARGETS = {
    "exact_sum_accuracy": 0.97,
    "digit_accuracy": 0.995,
    "adder_exact_sum_accuracy": 1.0,
    "cumulative_exact_sum_accuracy": 0.95,
    "training_minutes": 15.0,
}


def pct(x: float | None) -> str:
    if x is None:
        return "–"
    # Round down, so that 99.998% never shows as 100.00%: "exact" must mean exact.
    return f"{np.floor(x * 10_000 + 1e-9) / 100:.2f}%"


def stage_row(model: str, stage: str, scores: dict, seconds: float) -> dict:
    return {"model": model, "stage": stage, "seconds": round(seconds, 1), **scores}


def adder_on_random_digits(calc: calculator.Calculator, n: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 10, size=(n, calc.sequence_length))
    place = 10 ** np.arange(calc.n_digits - 1, -1, -1)
    operands = digits.reshape(n, calc.n_operands, calc.n_digits) @ place
    true = np.cumsum(operands, axis=1) if calc.cumulative else operands.sum(axis=1)
    pred = calc.add_digits(digits)
    return float((pred == true).reshape(n, -1).all(axis=1).mean())


def train_and_measure(
    architecture: str, train, test, settings: dict, rows: list[dict], log
) -> calculator.Calculator:
    fdmlearn.set_seed(0)
    calc = calculator.build_calculator(2, 3, architecture=architecture)
    name = "default" if architecture == "default" else "reference (notebook)"

    calc.fit_reader(train, epochs=settings["reader_epochs"].get(architecture), verbose=2)
    digit_acc = float((calc.read_digits(test.images) == test.digits).mean())
    rows.append(
        stage_row(name, "1. reader alone", {"digit_accuracy": digit_acc}, calc.timings["reader"])
    )
    log(rows[-1])

    calc.fit_adder(
        train,
        epochs=settings["adder_epochs"].get(architecture),
        samples=settings["adder_samples"],
        verbose=2,
    )
    rows.append(
        stage_row(name, "2. reader + adder, chained", calc.evaluate(test), calc.timings["adder"])
    )
    log(rows[-1])

    calc.fine_tune(train, max_sequences=settings["fine_tune_sequences"], verbose=2)
    rows.append(
        stage_row(name, "3. fine-tuned end to end", calc.evaluate(test), calc.timings["fine_tune"])
    )
    log(rows[-1])
    return calc


def stage_table(rows: list[dict]) -> str:
    lines = [
        "| model | stage | per digit | adder on true digits (per char / exact) "
        "| per char | exact sum | stage training time |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        adder = (
            "–"
            if "adder_char_accuracy" not in r
            else f"{pct(r['adder_char_accuracy'])} / {pct(r['adder_exact_sum_accuracy'])}"
        )
        lines.append(
            f"| {r['model']} | {r['stage']} | {pct(r.get('digit_accuracy'))} | {adder} "
            f"| {pct(r.get('char_accuracy'))} | {pct(r.get('exact_sum_accuracy'))} "
            f"| {r['seconds']:.0f} s |"
        )
    return "\n".join(lines)


def build_tables(res: dict) -> dict:
    """The targets met and the Markdown tables, from the raw numbers of a run."""
    rows = res["stages"]
    d_final, r_chained = rows[2], rows[4]
    cum = res["cumulative_4x2"]
    minutes = res["default_total_training_minutes"]
    targets = [
        (
            "3 + 3 digits: exact-sum accuracy",
            ">= 97%",
            pct(d_final["exact_sum_accuracy"]),
            d_final["exact_sum_accuracy"] >= TARGETS["exact_sum_accuracy"],
        ),
        (
            "3 + 3 digits: per-digit reading accuracy",
            ">= 99.5%",
            pct(d_final["digit_accuracy"]),
            d_final["digit_accuracy"] >= TARGETS["digit_accuracy"],
        ),
        (
            "adder on true digits (10,000 test sequences)",
            "100%",
            pct(d_final["adder_exact_sum_accuracy"]),
            d_final["adder_exact_sum_accuracy"] == 1.0,
        ),
        (
            "adder on 100,000 random digit sequences",
            "100%",
            pct(res["default_adder_exact_on_random_sequences"]),
            res["default_adder_exact_on_random_sequences"] == 1.0,
        ),
        (
            "4 x 2 digits cumulative: all running totals right",
            ">= 95%",
            pct(cum["exact_sum_accuracy"]),
            cum["exact_sum_accuracy"] >= TARGETS["cumulative_exact_sum_accuracy"],
        ),
        (
            "default model, total training time (3 + 3)",
            "< 15 min",
            f"{minutes:.1f} min",
            minutes < TARGETS["training_minutes"],
        ),
    ]
    target_table = "\n".join(
        ["| target | goal | measured | met |", "|---|---|---|---|"]
        + [f"| {t} | {g} | {m} | {'yes' if ok else '**no**'} |" for t, g, m, ok in targets]
    )
    seed_table = "\n".join(
        [
            "| 3 + 3 digits | seed notebook reported | reference, reproduced here "
            "| default, fine-tuned |",
            "|---|---|---|---|",
            f"| per digit (reader) | {pct(SEED_NOTEBOOK['digit_accuracy'])} "
            f"| {pct(r_chained['digit_accuracy'])} | {pct(d_final['digit_accuracy'])} |",
            f"| adder on true digits, per char | {pct(SEED_NOTEBOOK['adder_char_accuracy'])} "
            f"| {pct(r_chained['adder_char_accuracy'])} "
            f"| {pct(d_final['adder_char_accuracy'])} |",
            f"| chained, per char | {pct(SEED_NOTEBOOK['char_accuracy'])} "
            f"| {pct(r_chained['char_accuracy'])} | {pct(d_final['char_accuracy'])} |",
            f"| chained, exact sum | not reported | {pct(r_chained['exact_sum_accuracy'])} "
            f"| {pct(d_final['exact_sum_accuracy'])} |",
        ]
    )
    n_random = 100_000 if res["n_test_sequences"] >= 10_000 else 10_000
    wrong_random = round((1 - cum["adder_exact_on_random_sequences"]) * n_random)
    cum_table = "\n".join(
        [
            "| 4 operands x 2 digits, cumulative | measured |",
            "|---|---|",
            f"| all 4 running totals right | {pct(cum['exact_sum_accuracy'])} |",
            f"| final sum right | {pct(cum['final_sum_accuracy'])} |",
            f"| per output digit | {pct(cum['char_accuracy'])} |",
            f"| per digit read | {pct(cum['digit_accuracy'])} |",
            f"| adder on true digits (test sequences) | {pct(cum['adder_exact_sum_accuracy'])} |",
            f"| adder on {n_random:,} random digit sequences "
            f"| {pct(cum['adder_exact_on_random_sequences'])} ({wrong_random} wrong) |",
            f"| adder training time (reader shared) | {cum['adder_seconds']:.0f} s |",
        ]
    )
    return {
        "targets_met": {t: ok for t, _, _, ok in targets},
        "tables": {
            "MNIST calculator: targets": target_table,
            "MNIST calculator: what each training stage buys (3 + 3 digits)": stage_table(rows),
            "MNIST calculator: the seed notebook vs its reproduction vs the default": seed_table,
            "MNIST calculator: 4 operands of 2 digits, cumulative": cum_table,
        },
    }


SUMS_ONLY_ANCHORS = {  # published exact-sum accuracy, learning from sums only
    1: ("DeepStochLog", 0.979),
    2: ("DeepStochLog", 0.964),
    4: ("DeepStochLog", 0.927),
    15: ("A-NeSI", 0.76),
}


def sums_only_run(
    n_digits: int, seed: int, epochs: int, log, starts: int = 1, batch_size: int | None = None
) -> dict:
    """One run of the multi-digit MNIST-addition protocol, sums only.

    N-digit + N-digit numbers, each MNIST training image used once (60,000 / 2N
    training sums), tested on sums of MNIST test images, each used once. The
    reader never sees a digit label: `fit_reader(supervision="sum")`; the
    adder learns from random digits, not from the images.
    """
    train = calculator.make_dataset(
        60_000 // (2 * n_digits), 2, n_digits, split="train", seed=seed, replace=False
    )
    test = calculator.make_dataset(
        10_000 // (2 * n_digits), 2, n_digits, split="test", seed=1000 + seed, replace=False
    )
    curve: list[float] = []

    class DigitCurve(keras.callbacks.Callback):
        # Only to show the curve: the test digits' labels are never trained on.
        def on_epoch_end(self, epoch, logs=None):
            curve.append(float((calc.read_digits(test) == test.digits).mean()))
            log({"N": n_digits, "seed": seed, "epoch": epoch + 1, "test_digit_accuracy": curve[-1]})

    # With starts > 1: several readers train one epoch each from other random
    # weights, and the one with the lowest training loss (minus the log-
    # likelihood of the training sums: no label is used) goes on training.
    # From random weights, a reader can settle in a reading that gets most
    # columns' last digit right but not the carries (seen at N = 15).
    trials = []
    for start in range(starts):
        fdmlearn.set_seed(seed if start == 0 else 1000 * (start + 1) + seed)
        calc = calculator.build_calculator(2, n_digits)
        first = calc.fit_reader(
            train,
            epochs=epochs if starts == 1 else 1,
            batch_size=batch_size,
            supervision="sum",
            callbacks=[DigitCurve()],
            verbose=0,
        )
        trials.append((first.history["loss"][-1], start, calc, first))
        log({"N": n_digits, "seed": seed, "start": start, "loss": trials[-1][0]})
    loss, best_start, calc, history = min(trials, key=lambda t: t[0])
    start_losses = [round(t[0], 4) for t in trials]
    if starts > 1:
        curve[:] = [curve[best_start]]
        history = calc.fit_reader(
            train,
            epochs=epochs - 1,
            batch_size=batch_size,
            supervision="sum",
            callbacks=[DigitCurve()],
            verbose=0,
        )
    calc.fit_adder(verbose=0)
    predicted = calc.predict(test)
    read = calc.read_digits(test)
    return {
        "N": n_digits,
        "seed": seed,
        "test_seed": 1000 + seed,
        "epochs": epochs,
        "n_train_sums": len(train),
        "n_test_sums": len(test),
        "reader_seconds": round(
            sum(t[2].timings["reader"] for t in trials if t[2] is not calc)
            + calc.timings["reader"],
            1,
        ),
        "starts": starts,
        # fit_reader's default for sums unless --batch-size
        "batch_size": batch_size or max(32, 256 // (2 * n_digits)),
        "start_losses_after_epoch_1": start_losses if starts > 1 else None,
        "adder_seconds": round(calc.timings["adder"], 1),
        "exact_sum_accuracy": float(np.mean(predicted == test.sums)),
        "digit_accuracy": float((read == test.digits).mean()),
        "all_digits_read_right": float((read == test.digits).all(axis=1).mean()),
        "test_digit_accuracy_per_epoch": curve,
        "loss_per_epoch": [round(v, 4) for v in history.history["loss"]],
        "anchor": SUMS_ONLY_ANCHORS.get(n_digits),
    }


def sums_only(args) -> None:
    """Run the sums-only protocol and add the runs to docs/results/calculator.json."""
    start = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_at_start = round(os.getloadavg()[0], 2)
    runs = []
    for n_digits in args.sums:
        for seed in args.seeds:
            runs.append(
                sums_only_run(n_digits, seed, args.epochs, print, args.starts, args.batch_size)
            )
            print(json.dumps({k: v for k, v in runs[-1].items() if "per_epoch" not in k}))
    _add_entry(
        "sums_only", {"started": start, "load_average_1m_at_start": load_at_start, "runs": runs}
    )


def _add_entry(key: str, entry: dict) -> None:
    """Add one measured entry under `key` of docs/results/calculator.json, keeping the rest."""
    from _record import _versions, machine

    path = RESULTS_DIR / "calculator.json"
    record = json.loads(path.read_text()) if path.exists() else {"topic": "calculator"}
    entry = {
        "command": "cd benchmarks && ../.venv/bin/python calculator.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "versions": _versions(),
        **entry,
    }
    record.setdefault(key, []).append(entry)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"added an entry under {key!r} to {path}")


def generalisation(args) -> None:
    """The carry adder trained on 2 x 3 digits, on 100,000 longer and longer sums."""
    load_at_start = round(os.getloadavg()[0], 2)
    fdmlearn.set_seed(0)
    calc = calculator.build_calculator(2, 3)
    calc.fit_adder(verbose=0)
    rng = np.random.default_rng(20261202)
    sequences, truth = [], []
    for _ in range(100_000):
        count = int(rng.integers(2, 9))
        numbers = [rng.integers(0, 10, size=int(rng.integers(1, 13))) for _ in range(count)]
        sequences.append(numbers)
        truth.append(np.cumsum([int("".join(map(str, n))) for n in numbers]))
    start = time.perf_counter()
    added = calc.add_digits(sequences, cumulative=True)
    wrong = sum(not np.array_equal(a, t) for a, t in zip(added, truth, strict=True))
    result = {
        "what": "adder trained (fit_adder defaults, set_seed(0)) on sums of two 3-digit numbers; "
        "tested on random true digits: 2 to 8 numbers of 1 to 12 digits, every running total",
        "load_average_1m_at_start": load_at_start,
        "n_sequences": len(sequences),
        "test_seed": 20261202,
        "wrong": wrong,
        "exact_all_running_totals": 1 - wrong / len(sequences),
        "adder_training_seconds": round(calc.timings["adder"], 1),
        "test_seconds": round(time.perf_counter() - start, 1),
    }
    print(result)
    _add_entry("adder_generalisation", result)


def robust(args) -> None:
    """3 + 3 digits with the default fit, one run per training seed, on an unseen test seed."""
    load_at_start = round(os.getloadavg()[0], 2)
    test = calculator.make_dataset(10_000, 2, 3, split="test", seed=TEST_SEED)
    runs = []
    for seed in args.seeds:
        train = calculator.make_dataset(60_000, 2, 3, split="train", seed=987 + seed)
        fdmlearn.set_seed(seed)
        calc = calculator.build_calculator(2, 3)
        calc.fit(train, seed=seed, verbose=2)
        scores = calc.evaluate(test)
        runs.append(
            {
                "seed": seed,
                "train_seed": 987 + seed,
                **scores,
                "training_minutes": round(sum(calc.timings.values()) / 60, 2),
                "stage_seconds": {k: round(v, 1) for k, v in calc.timings.items()},
                "reader_epochs": calc.recipe.reader_epochs,
            }
        )
        print(runs[-1], flush=True)
    exact = [r["exact_sum_accuracy"] for r in runs]
    digit = [r["digit_accuracy"] for r in runs]
    _add_entry(
        "robust_3x3",
        {
            "load_average_1m_at_start": load_at_start,
            "test_seed": TEST_SEED,
            "runs": runs,
            "exact_sum_accuracy_mean": float(np.mean(exact)),
            "exact_sum_accuracy_min": float(np.min(exact)),
            "digit_accuracy_mean": float(np.mean(digit)),
            "digit_accuracy_min": float(np.min(digit)),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run, writes nothing")
    parser.add_argument(
        "--retable",
        action="store_true",
        help="rebuild the tables of docs/results/calculator.json from its raw numbers "
        "(after a change of formatting), without measuring again",
    )
    parser.add_argument(
        "--sums",
        type=int,
        nargs="+",
        metavar="N",
        help="instead: the sums-only MNIST-addition protocol for these N (e.g. 1 2 4 15)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="with --sums")
    parser.add_argument("--epochs", type=int, default=6, help="reader epochs, with --sums")
    parser.add_argument(
        "--starts",
        type=int,
        # 2: one start in three settled in a wrong reading, at N = 2 as at N = 15
        default=2,
        help="with --sums: readers started per run; the lowest training loss after 1 epoch "
        "goes on (no label is used to choose)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="with --sums: sums per step (default: fit_reader's, 256 images' worth, at least 32)",
    )
    parser.add_argument(
        "--generalisation",
        action="store_true",
        help="instead: the 2 x 3 carry adder on 100,000 sums of up to 8 numbers of 12 digits",
    )
    parser.add_argument(
        "--robust",
        action="store_true",
        help="instead: 3 + 3 digits, default fit, one run per --seeds, unseen test seed",
    )
    args = parser.parse_args()
    if args.generalisation:
        generalisation(args)
        return
    if args.robust:
        robust(args)
        return
    if args.sums:
        sums_only(args)
        return
    if args.retable:
        path = RESULTS_DIR / "calculator.json"
        record = json.loads(path.read_text())
        record["results"].update(build_tables(record["results"]))
        record["tables_rebuilt"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        path.write_text(json.dumps(record, indent=2) + "\n")
        print(f"rebuilt the tables of {path}")
        return
    quick = args.quick
    rec = None if quick else Recorder("calculator")
    load_at_start = round(os.getloadavg()[0], 2)
    n_train, n_test = (3000, 1000) if quick else (60_000, 10_000)
    settings = {
        # None means the library's defaults, which are what is benchmarked.
        "reader_epochs": {"default": 1, "reference": 1} if quick else {},
        "adder_epochs": {"default": 3} if quick else {},
        "adder_samples": 10_000 if quick else 40_000,
        "fine_tune_sequences": 1000 if quick else 10_000,
    }

    def log(obj) -> None:
        print(time.strftime("%H:%M:%S"), obj, flush=True)

    start = time.perf_counter()
    train = calculator.make_dataset(n_train, 2, 3, split="train", seed=0)
    dataset_seconds = time.perf_counter() - start
    test = calculator.make_dataset(n_test, 2, 3, split="test", seed=1)
    log(f"{n_train} training sequences generated in {dataset_seconds:.2f} s")

    rows: list[dict] = []
    default = train_and_measure("default", train, test, settings, rows, log)
    default_minutes = sum(default.timings.values()) / 60
    random_adder = adder_on_random_digits(default, 10_000 if quick else 100_000, seed=3)
    log({"adder exact on random digit sequences": random_adder})

    # 4 operands of 2 digits, cumulative: the default reader is shared, only
    # a new adder is trained (the reader does not depend on the layout).
    test42 = calculator.make_dataset(n_test, 4, 2, split="test", seed=2)
    cum = calculator.build_calculator(4, 2, cumulative=True, reader=default.reader)
    fdmlearn.set_seed(0)
    cum.fit_adder(
        epochs=settings["adder_epochs"].get("default"), samples=settings["adder_samples"], verbose=2
    )
    cum_scores = cum.evaluate(test42)
    cum_random_adder = adder_on_random_digits(cum, 10_000 if quick else 100_000, seed=4)
    log({"4x2 cumulative": cum_scores, "adder_random": cum_random_adder})

    reference = train_and_measure("reference", train, test, settings, rows, log)
    del reference

    results = {
        "load_average_1m_at_start": load_at_start,
        "n_train_sequences": n_train,
        "n_test_sequences": n_test,
        "dataset_seconds_60k": round(dataset_seconds, 2),
        "stages": rows,
        "default_timings_seconds": {k: round(v, 1) for k, v in default.timings.items()},
        "default_total_training_minutes": round(default_minutes, 2),
        "default_adder_exact_on_random_sequences": random_adder,
        "cumulative_4x2": {
            **cum_scores,
            "adder_exact_on_random_sequences": cum_random_adder,
            "adder_seconds": round(cum.timings["adder"], 1),
        },
        "seed_notebook": SEED_NOTEBOOK,
    }
    results.update(build_tables(results))
    for title, table in results["tables"].items():
        print(f"\n{title}\n{table}")
    if rec is not None:
        rec.write(results)


if __name__ == "__main__":
    main()
