"""Full-scale benchmark of fdmlearn.captioning: train, time and score four caption models.

Experiments (training clips from MNIST train digits, held-out clips from MNIST test digits):

- one digit, mean pooling (the notebook's design): target exact match >= 97%;
- two digits, mean pooling: target exact match >= 90%;
- two digits, digit detector + slot attention (`pooling="digits"`): the detector trained alone
  on frames, then the decoder alone on the frozen detector's outputs, then both together; the
  exact match after each stage is recorded; target exact match >= 90%;
- one digit with order-dependent turns ("moves left then up"), mean pooling vs attention vs
  a 3-D convolution encoder (`frame_encoder="conv3d"`): attention and conv3d should clearly
  beat mean pooling over per-frame vectors, which cannot see frame order;
- two digits, digit slots, ONE `fit` call (it runs the three stages itself): target >= 97%;
- two digits in colour, named colours in the captions, 5-20 frames, one `fit` call: >= 95%;
- self-critical fine-tuning (`fit(objective="exact_match")`) vs continuing cross-entropy for
  the same wall time from the same start (both recorded; target +1 point).

Every model's training time is recorded (target: under 15 minutes on a 2-core CPU).
`--seeds 0 1 2` repeats each experiment with those training seeds (data seeds fixed) and
records the mean and the minimum.

Run from inside benchmarks/:  ../.venv/bin/python captioning.py  [--quick] [--only ...]
(--quick: tiny sizes, prints the results and writes no record). `--scale 0.1` runs every
experiment on that fraction of its clips and epochs: such runs are recorded under their own
names (suffix "_reduced") and never replace a full-scale result.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _record import Recorder, _git_commit  # noqa: E402

import fdmlearn  # noqa: E402
from fdmlearn import captioning as cap  # noqa: E402
from fdmlearn.captioning.data import DIGIT_SIZE  # noqa: E402

OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up"}

EXPERIMENTS = {
    "one_digit_mean": {
        "title": "one digit, mean pooling",
        "data": {"n_digits": 1, "order_dependent": False},
        "pooling": "mean",
        "n_train": 20000,
        "epochs": 12,
        "target": 0.97,
    },
    "two_digits_mean": {
        "title": "two digits, mean pooling",
        "data": {"n_digits": 2, "order_dependent": False},
        "pooling": "mean",
        "n_train": 20000,
        "epochs": 16,
        "target": 0.90,
    },
    "two_digits_slots": {
        "title": "two digits, digit detector + slot attention",
        "data": {"n_digits": 2, "order_dependent": False},
        "pooling": "digits",
        "n_train": 20000,
        # Stage 1: the detector alone, on frames of other clips (two frames each, MNIST
        # train digits): more digits to learn from than the 20000 clips hold.
        "pretrain_clips": 30000,
        "pretrain_epochs": 3,
        # Stage 2: the decoder alone, on detector outputs computed once (batch 64).
        "frozen_epochs": 15,
        # Stage 3: detector and decoder together.
        "epochs": 2,
        "target": 0.90,
    },
    "turns_mean": {
        "title": "one digit, turns (order matters), mean pooling",
        "data": {"n_digits": 1, "order_dependent": True},
        "pooling": "mean",
        "n_train": 6000,
        "epochs": 10,
        "target": None,
    },
    "turns_attention": {
        "title": "one digit, turns (order matters), attention",
        "data": {"n_digits": 1, "order_dependent": True},
        "pooling": "attention",
        "n_train": 6000,
        "epochs": 10,
        "target": None,
    },
}
EXPERIMENTS.update(
    {
        "turns_conv3d": {
            "title": "one digit, turns (order matters), 3-D convolution + mean pooling",
            "data": {"n_digits": 1, "order_dependent": True},
            "pooling": "mean",
            "frame_encoder": "conv3d",
            "n_train": 6000,
            "epochs": 10,
            "target": None,
        },
        "two_digits_one_call": {
            "title": "two digits, digit slots, one fit call",
            "data": {"n_digits": 2, "order_dependent": False},
            "pooling": "digits",
            "n_train": 20000,
            "one_call": True,  # fit runs DigitStages() by itself
            "target": 0.97,
        },
        "two_digits_colour": {
            "title": "two digits in colour, 5-20 frames, digit slots, one fit call",
            "data": {
                "n_digits": 2,
                "order_dependent": False,
                "channels": 3,
                "colors": True,
                "n_frames": (5, 20),
            },
            "pooling": "digits",
            # 10,000 clips of up to 20 colour frames are 9.8 GB as float32, in a 23 GB
            # machine (fit takes its batches one by one, no copies): run it alone.
            "n_train": 10000,
            "one_call": True,
            # Stages 1 and 2 are cheap next to stage 3 (about 20 s and 4 s an epoch against
            # 130 s): in a 6,000-clip screen, exact match after stage 2 went from 68.5% to 83.0%
            # with 10 and 40 epochs. Every clip has at least 5 frames for the detector to learn
            # from. 7 pretraining epochs (the loss had flattened by then) keep the three stages
            # within 15 minutes now that stage 3 helps (81.0 -> 83.7% in a screen, once the
            # detector's batch norms stopped counting padding frames).
            "stages": {"pretrain_epochs": 7, "frozen_epochs": 40, "frames_per_clip": 5},
            "target": 0.95,
        },
        "self_critical": {
            "title": "one digit, turns, attention: self-critical vs more cross-entropy",
            "data": {"n_digits": 1, "order_dependent": True},
            "pooling": "attention",
            "n_train": 6000,
            "epochs": 6,  # the common start: cross-entropy
            "self_critical_epochs": 3,
            "target": None,
        },
    }
)
N_TEST = 2000
RECORD = Path(__file__).resolve().parent.parent / "docs" / "results" / "captioning.json"
BATCH_SIZE = 32
TRAIN_LIMIT_MINUTES = 15


def reversed_turn(motion: str) -> str:
    """The caption motion of the time-reversed clip: 'left then up' -> 'down then right'."""
    first, _, second = motion.split()
    return f"{OPPOSITE[second]} then {OPPOSITE[first]}"


def two_digit_error(p: str, t: str) -> str | None:
    """What a two-digit caption `p` got wrong against the true `t`, or None if it is right.

    digits: the pair of digits is wrong; colour: right digits, a colour wrong (colour
    captions); swapped: right digits and colours, motions given to the wrong digit;
    motion: a motion wrong; form: not a two-digit caption.
    """
    if p == t:
        return None
    pw, tw = p.split(), t.split()
    if len(pw) != 9:
        return "form"
    if sorted([pw[1], pw[6]]) != sorted([tw[1], tw[6]]):
        return "digits"
    if (pw[0], pw[5]) != (tw[0], tw[5]):  # "digit" in grey captions, else colours
        return "colour"
    if (pw[3], pw[8]) == (tw[8], tw[3]):
        return "swapped"
    return "motion"


def two_digit_errors(predicted: list[str], true: list[str]) -> dict[str, int]:
    """Count wrong two-digit captions by what went wrong (the kinds of `two_digit_error`)."""
    counts = {"digits": 0, "colour": 0, "swapped": 0, "motion": 0, "form": 0}
    for p, t in zip(predicted, true, strict=True):
        kind = two_digit_error(p, t)
        if kind is not None:
            counts[kind] += 1
    return counts


def misread_conditions(test: cap.Clips, predicted: list[str]) -> dict[str, float | int | None]:
    """When two-digit captions misread a digit: overlapping digits, and a digit shown twice.

    Two digits "overlap" in a frame when their 28x28 boxes share at least half their
    area. The shares are over real frames (overlap) or clips (a repeated digit), for all
    test clips and for those whose pair of digits was misread (`two_digit_error`'s
    "digits").
    """
    gap = np.abs(test.positions[:, 0] - test.positions[:, 1])  # (N, T, 2) pixels
    side = DIGIT_SIZE
    shared = np.clip(side - gap[..., 0], 0, None) * np.clip(side - gap[..., 1], 0, None)
    overlap = (shared >= side * side / 2) & test.frame_mask
    per_clip = overlap.sum(axis=1) / test.frame_mask.sum(axis=1)
    repeated = test.digits[:, 0] == test.digits[:, 1]
    kinds = [two_digit_error(p, t) for p, t in zip(predicted, test.captions, strict=True)]
    misread = np.array([k == "digits" for k in kinds])
    right = np.array([k is None for k in kinds])

    def share(x: np.ndarray, where: np.ndarray) -> float | None:
        return round(float(x[where].mean()), 4) if where.any() else None

    return {
        "misread_clips": int(misread.sum()),
        "overlapping_frames_all": round(float(per_clip.mean()), 4),
        "overlapping_frames_misread": share(per_clip, misread),
        "repeated_digit_all": round(float(repeated.mean()), 4),
        "repeated_digit_misread": share(repeated, misread),
        "exact_match_repeated_digit": share(right, repeated),
        "exact_match_two_different_digits": share(right, ~repeated),
    }


class TimeLimit(keras.callbacks.Callback):
    """Stops training once `seconds` of it have passed (for a same-time comparison)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds, self.start = seconds, 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True


def sizes(spec: dict, quick: bool, scale: float) -> tuple[int, int, int]:
    if quick:
        return 300, 2, 100
    n_train = max(100, round(spec["n_train"] * scale))
    epochs = max(1, round(spec.get("epochs", 2) * scale)) if "epochs" in spec else None
    return n_train, epochs, max(200, round(N_TEST * min(1.0, scale * 2)))


def score(model: cap.Captioner, test: cap.Clips) -> float:
    return round(cap.exact_match(model.caption(test), test.captions), 4)


def one_digit_errors(predicted: list[str], true: list[str]) -> dict[str, int]:
    """Sort wrong one-digit captions: the digit misread, or the digit right and a motion wrong."""
    counts = {"digit": 0, "motion": 0, "form": 0}
    for p, t in zip(predicted, true, strict=True):
        if p == t:
            continue
        pw, tw = p.split(), t.split()
        if len(pw) != len(tw):
            counts["form"] += 1
        elif pw[2] != tw[2]:
            counts["digit"] += 1
        else:
            counts["motion"] += 1
    return counts


def make_data(
    spec: dict, quick: bool, scale: float = 1.0, test_seed: int = 1
) -> tuple[cap.Clips, cap.Clips, float]:
    """The train and test clips of an experiment (the same for every training seed)."""
    n_train, _, n_test = sizes(spec, quick, scale)
    t0 = time.perf_counter()
    train = cap.moving_digits(n_train, split="train", seed=0, **spec["data"])
    test = cap.moving_digits(n_test, split="test", seed=test_seed, **spec["data"])
    return train, test, time.perf_counter() - t0


def run(
    name: str,
    spec: dict,
    quick: bool,
    data: tuple[cap.Clips, cap.Clips, float],
    seed: int = 0,
    scale: float = 1.0,
    test_seed: int = 1,
) -> dict:
    n_train, epochs, n_test = sizes(spec, quick, scale)
    train, test, data_seconds = data
    fdmlearn.set_seed(seed)
    model = cap.build_captioner(
        train, pooling=spec["pooling"], frame_encoder=spec.get("frame_encoder", "cnn"), seed=seed
    )
    pretrain_epochs = spec.get("pretrain_epochs", 0)
    frozen_epochs = spec.get("frozen_epochs", 0)
    if quick or scale < 1:
        shrink = (lambda e: min(e, 1)) if quick else (lambda e: e and max(1, round(e * scale)))
        pretrain_epochs, frozen_epochs = shrink(pretrain_epochs), shrink(frozen_epochs)
    stages = []
    extra: dict = {}
    if spec.get("one_call"):
        # The one call a user makes; its stages are DigitStages() or the experiment's own
        # (scaled for a reduced run).
        plan = cap.DigitStages(**spec.get("stages", {}))
        if quick or scale < 1:
            plan = cap.DigitStages(pretrain_epochs=1, frozen_epochs=2, joint_epochs=1)
        history = model.fit(train, stages=plan, verbose=2)
        extra["stage_settings"] = dataclasses.asdict(plan)
        extra["stage_losses"] = {
            stage: [round(float(v), 4) for v in h.history["loss"]]
            for stage, h in history.stages.items()
        }
        epochs = plan.joint_epochs
        pretrain_epochs, frozen_epochs = plan.pretrain_epochs, plan.frozen_epochs
    elif pretrain_epochs:
        frames = cap.moving_digits(
            100 if quick else max(100, round(spec["pretrain_clips"] * scale)),
            n_frames=2,
            split="train",
            seed=2,
            **spec["data"],
        )
        model.pretrain(frames, epochs=pretrain_epochs, verbose=2)
    # With one fit call the stages are not timed apart: only the total is recorded.
    pretrain_seconds = None if spec.get("one_call") else model.train_seconds
    if frozen_epochs and not spec.get("one_call"):
        model.fit(train, epochs=frozen_epochs, batch_size=64, freeze_cnn=True, verbose=2)
        stages.append(
            {
                "stage": "detector pretrained, then frozen; decoder trained",
                "train_seconds": round(model.train_seconds, 1),
                "exact_match": score(model, test),
            }
        )
    if not spec.get("one_call"):
        model.fit(train, epochs=epochs, batch_size=BATCH_SIZE, verbose=2)
    if "self_critical_epochs" in spec:
        extra["self_critical"] = self_critical_vs_cross_entropy(model, train, test, spec, quick)
    t0 = time.perf_counter()
    predicted = model.caption(test)
    caption_seconds = time.perf_counter() - t0
    if stages and not spec.get("one_call"):
        stages.append(
            {
                "stage": "then detector and decoder trained together",
                "train_seconds": round(model.train_seconds, 1),
                "exact_match": round(cap.exact_match(predicted, test.captions), 4),
            }
        )
    stages = [st for st in stages if st.get("exact_match") is not None]
    scores = {
        "exact_match": cap.exact_match(predicted, test.captions),
        "word_accuracy": cap.word_accuracy(predicted, test.captions),
        "bleu4": cap.bleu4(predicted, test.captions),
    }
    beam = model.caption(test, beam_width=3)
    result = {
        "title": spec["title"] + (f" (reduced: {scale:g} of the clips)" if scale < 1 else ""),
        "pooling": spec["pooling"],
        "frame_encoder": spec.get("frame_encoder", "cnn"),
        "data": {k: list(v) if isinstance(v, tuple) else v for k, v in spec["data"].items()},
        "training_seed": seed,
        "data_seeds": {"train": 0, "test": test_seed},
        "n_train": n_train,
        "n_test": n_test,
        "epochs": epochs,
        "batch_size": BATCH_SIZE,
        "parameters": model.count_params(),
        "pretrain_epochs": pretrain_epochs,
        "pretrain_clips": spec.get("pretrain_clips", 0),
        "pretrain_seconds": None if pretrain_seconds is None else round(pretrain_seconds, 1),
        "frozen_epochs": frozen_epochs,
        "stages": stages,
        "train_seconds": round(model.train_seconds, 1),
        "data_seconds": round(data_seconds, 1),
        "caption_seconds_test_set": round(caption_seconds, 2),
        **{k: round(v, 4) for k, v in scores.items()},
        "exact_match_beam3": round(cap.exact_match(beam, test.captions), 4),
        "target_exact_match": spec["target"],
        "loss_history": [round(v, 4) for v in model.history.get("loss", [])],
        "examples": [
            {"true": t, "predicted": p}
            for t, p in zip(test.captions[:8], predicted[:8], strict=True)
        ],
        **extra,
    }
    if spec["data"]["order_dependent"]:
        # How many clips got the digit and the turn's axes right but the order wrong,
        # i.e. were captioned as their own time reversal.
        wrong = [(p, t) for p, t in zip(predicted, test.captions, strict=True) if p != t]
        reversal = sum(
            p == " ".join(t.split()[:4] + [reversed_turn(" ".join(t.split()[4:]))])
            for p, t in wrong
        )
        result["wrong"] = len(wrong)
        result["wrong_as_time_reversal"] = reversal
    if spec["data"]["n_digits"] == 2:
        result["errors"] = two_digit_errors(predicted, test.captions)
        result["misreads"] = misread_conditions(test, predicted)
    print(name, {k: v for k, v in result.items() if k not in ("loss_history", "examples")})
    return result


def self_critical_vs_cross_entropy(
    model: cap.Captioner, train: cap.Clips, test: cap.Clips, spec: dict, quick: bool
) -> dict:
    """From the same weights: self-critical epochs, then cross-entropy for as long.

    The wrong test captions are sorted by kind at each point: self-critical training
    leaves the frame encoder as it is, so it can mend what the decoder says, not what
    the encoder misreads.
    """

    def scored() -> tuple[float, dict[str, int]]:  # one captioning pass for both
        predicted = model.caption(test)
        exact = round(cap.exact_match(predicted, test.captions), 4)
        return exact, one_digit_errors(predicted, test.captions)

    start = [w.copy() for w in model.keras_model.get_weights()]
    before, errors_before = scored()
    t0 = time.perf_counter()
    rl = model.fit(
        train,
        objective="exact_match",
        epochs=1 if quick else spec["self_critical_epochs"],
        verbose=2,
    )
    seconds = time.perf_counter() - t0
    after_rl, errors_rl = scored()
    rl_weights = [w.copy() for w in model.keras_model.get_weights()]
    model.keras_model.set_weights(start)
    t0 = time.perf_counter()
    model.fit(
        train,
        epochs=1000,
        batch_size=BATCH_SIZE,
        learning_rate=3e-4,
        schedule="constant",
        callbacks=[TimeLimit(seconds)],
        verbose=2,
    )
    xent_seconds = time.perf_counter() - t0
    after_xent, errors_xent = scored()
    model.keras_model.set_weights(rl_weights)  # the record's main scores are after RL
    return {
        "exact_match_start": before,
        "exact_match_after_self_critical": after_rl,
        "self_critical_seconds": round(seconds, 1),
        "self_critical_reward": [round(v, 4) for v in rl.history["reward"]],
        "self_critical_greedy_reward": [round(v, 4) for v in rl.history["greedy_reward"]],
        "exact_match_after_more_cross_entropy": after_xent,
        "more_cross_entropy_seconds": round(xent_seconds, 1),
        "gain_points": round(100 * (after_rl - after_xent), 2),
        "errors_start": errors_before,
        "errors_after_self_critical": errors_rl,
        "errors_after_more_cross_entropy": errors_xent,
    }


def summarize(runs: list[dict]) -> dict:
    """One record per experiment: the first seed's fields, plus mean and min over seeds."""
    out = dict(runs[0])
    if len(runs) > 1:
        em = [r["exact_match"] for r in runs]
        out["seeds"] = [r["training_seed"] for r in runs]
        out["exact_match_per_seed"] = em
        out["exact_match_mean"] = round(sum(em) / len(em), 4)
        out["exact_match_min"] = min(em)
        out["train_seconds_per_seed"] = [r["train_seconds"] for r in runs]
        if "misreads" in out:
            out["misreads_per_seed"] = [r["misreads"] for r in runs]
        if "self_critical" in out:
            each = [r["self_critical"] for r in runs]
            out["self_critical_per_seed"] = each
            out["self_critical"] = {
                **out["self_critical"],
                **{
                    f"{key}_mean": round(sum(c[key] for c in each) / len(each), 4)
                    for key in (
                        "exact_match_start",
                        "exact_match_after_self_critical",
                        "exact_match_after_more_cross_entropy",
                        "gain_points",
                    )
                },
                "gain_points_min": min(c["gain_points"] for c in each),
            }
    return out


def child_run(name: str, seed: int, args: argparse.Namespace) -> dict:
    """`run` for one seed in a child process: each seed starts from a fresh memory.

    In one process the 10,000 colour clips plus a seed's leftovers (TensorFlow does not
    give all of a model's memory back) ran out of memory at the second seed.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        command = [sys.executable, "-u", __file__, "--only", name, "--seeds", str(seed)]
        command += ["--scale", str(args.scale), "--test-seed", str(args.test_seed)]
        command += ["--run-json", str(out)] + (["--quick"] if args.quick else [])
        subprocess.run(command, check=True)
        return json.loads(out.read_text())


def _jsonable(value: object) -> object:
    return value.item() if hasattr(value, "item") else str(value)


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def tables(results: dict) -> dict[str, str]:
    rows = [
        "| experiment | train clips | epochs | exact match | word accuracy | BLEU-4 "
        "| exact match, beam 3 | target | training time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        target = r["target_exact_match"]
        verdict = (
            "—"
            if target is None
            else (f"≥ {percent(target)}: " + ("met" if r["exact_match"] >= target else "missed"))
        )
        minutes = r["train_seconds"] / 60
        if r.get("pretrain_epochs"):
            epochs = f"{r['pretrain_epochs']} (detector alone) + "
            if r.get("frozen_epochs"):
                epochs += f"{r['frozen_epochs']} (decoder alone) + "
            epochs += f"{r['epochs']}"
        else:
            epochs = str(r["epochs"])
        rows.append(
            f"| {r['title']} | {r['n_train']} | {epochs} | {percent(r['exact_match'])} "
            f"| {percent(r['word_accuracy'])} | {r['bleu4']:.3f} | "
            f"{percent(r['exact_match_beam3'])} | {verdict} | {minutes:.1f} min "
            f"({'under' if minutes < TRAIN_LIMIT_MINUTES else 'over'} "
            f"{TRAIN_LIMIT_MINUTES} min) |"
        )
    out = {"Caption models on held-out clips (MNIST test digits)": "\n".join(rows)}
    order = [r for r in results.values() if "wrong" in r and "self_critical" not in r]
    if order:
        rows = [
            "| encoder | exact match | wrong captions | of which: the time-reversed motion |",
            "|---|---|---|---|",
        ]
        for r in order:
            encoder = r["pooling"] + (" + conv3d" if r.get("frame_encoder") == "conv3d" else "")
            encoder += f" ({r['n_train']} clips, reduced)" if "reduced" in r["title"] else ""
            rows.append(
                f"| {encoder} | {percent(r['exact_match'])} | {r['wrong']} "
                f"| {r['wrong_as_time_reversal']} |"
            )
        title = "Order-dependent captions: mean pooling vs attention vs 3-D convolution"
        out[title] = "\n".join(rows)
    staged = [r for r in results.values() if r.get("stages")]
    if staged:
        rows = ["| model | stage | exact match | training time so far |", "|---|---|---|---|"]
        for r in staged:
            for stage in r["stages"]:
                rows.append(
                    f"| {r['title']} | {stage['stage']} | {percent(stage['exact_match'])} "
                    f"| {stage['train_seconds'] / 60:.1f} min |"
                )
        out["Two digits, stage by stage"] = "\n".join(rows)
    critical = [r for r in results.values() if "self_critical" in r]
    if critical:
        rows = [
            "| experiment | start | after self-critical | after as long with cross-entropy "
            "| gain (points) | time each |",
            "|---|---|---|---|---|---|",
        ]
        for r in critical:
            c = r["self_critical"]
            if "gain_points_mean" in c:  # several seeds: their means
                c = {key: c.get(f"{key}_mean", c[key]) for key in c if not key.endswith("_mean")}
            seeds = f" (mean of {len(r['seeds'])} seeds)" if "seeds" in r else ""
            rows.append(
                f"| {r['title']}{seeds} | {percent(c['exact_match_start'])} "
                f"| {percent(c['exact_match_after_self_critical'])} "
                f"| {percent(c['exact_match_after_more_cross_entropy'])} | {c['gain_points']:+.1f} "
                f"| {c['self_critical_seconds'] / 60:.1f} min |"
            )
        out["Self-critical training vs more cross-entropy, same start, same time"] = "\n".join(rows)
    two = [r for r in results.values() if "errors" in r]
    if two:
        rows = [
            "| model | exact match | wrong digits | a colour wrong "
            "| motions swapped between the digits | a motion wrong | malformed |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in two:
            e = r["errors"]
            colour = e.get("colour", "—") if r.get("data", {}).get("colors") else "—"
            rows.append(
                f"| {r['title']} | {percent(r['exact_match'])} | {e['digits']} | {colour} "
                f"| {e['swapped']} | {e['motion']} | {e['form']} |"
            )
        out["Two digits: what the wrong captions got wrong"] = "\n".join(rows)
    misread = [r for r in results.values() if "misreads" in r]
    if misread:
        rows = [
            "| model | clips with the digits misread | frames where the digits overlap: "
            "all clips / misread clips | clips showing one digit twice: all / misread "
            "| exact match: one digit twice / two different digits |",
            "|---|---|---|---|---|",
        ]

        def pair(m: dict, a: str, b: str) -> str:
            return " / ".join("—" if m[k] is None else percent(m[k]) for k in (a, b))

        for r in misread:
            m = r["misreads"]
            rows.append(
                f"| {r['title']}{' (first seed)' if 'seeds' in r else ''} | {m['misread_clips']} "
                f"| {pair(m, 'overlapping_frames_all', 'overlapping_frames_misread')} "
                f"| {pair(m, 'repeated_digit_all', 'repeated_digit_misread')} "
                f"| {pair(m, 'exact_match_repeated_digit', 'exact_match_two_different_digits')} |"
            )
        out["Two digits: when the digits are misread"] = "\n".join(rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run, no record")
    parser.add_argument(
        "--only", nargs="*", choices=list(EXPERIMENTS), help="run only these experiments"
    )
    parser.add_argument("--seeds", nargs="*", type=int, default=[0], help="training seeds")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of clips and epochs")
    parser.add_argument(
        "--test-seed",
        type=int,
        default=1,
        help="seed of the test clips (1 in the earlier records; give a fresh one for a "
        "final measurement, one never looked at while tuning)",
    )
    parser.add_argument(
        "--process-per-seed",
        action="store_true",
        help="run every seed in a child process of its own (for the colour experiment, whose "
        "seeds do not fit in one process's memory one after another)",
    )
    parser.add_argument("--run-json", help=argparse.SUPPRESS)  # a child's output file
    args = parser.parse_args()
    if args.run_json:  # a child of --process-per-seed: one experiment, one seed, no record
        (name,), (seed,) = args.only, args.seeds
        spec = EXPERIMENTS[name]
        data = make_data(spec, args.quick, args.scale, args.test_seed)
        result = run(name, spec, args.quick, data, seed, args.scale, args.test_seed)
        Path(args.run_json).write_text(json.dumps(result, default=_jsonable))
        return
    rec = Recorder("captioning")
    results = {}
    kept: dict = {}
    if args.only and not args.quick and RECORD.exists():
        # Rerunning some experiments keeps the others' results; each experiment
        # says when and by which command it was measured.
        old = json.loads(RECORD.read_text())
        results = old["results"]["experiments"]
        kept = {k: v for k, v in old["results"].items() if k == "reduced_runs"}
        for result in results.values():
            result.setdefault("measured_at", old["date"])
            result.setdefault("command", old["command"])
            if result["command"] == old["command"]:  # measured by the run that wrote it
                result.setdefault("git_commit", old.get("git_commit"))
    for name in args.only or EXPERIMENTS:
        key = name if args.scale >= 1 else f"{name}_reduced"
        spec = EXPERIMENTS[name]
        runs = []
        if args.process_per_seed:
            runs = [child_run(name, s, args) for s in args.seeds]
        else:
            # Made once for all seeds: 10,000 colour clips twice over would not fit in memory.
            data = make_data(spec, args.quick, args.scale, args.test_seed)
            for s in args.seeds:
                runs.append(run(name, spec, args.quick, data, s, args.scale, args.test_seed))
                keras.backend.clear_session()  # the last seed's graphs and weights
                gc.collect()
            del data
        results[key] = summarize(runs)
        results[key]["git_commit"] = _git_commit()
        results[key]["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results[key]["command"] = rec.command
        results[key]["load_average_1m"] = round(os.getloadavg()[0], 2)
    order = [n for e in EXPERIMENTS for n in (e, f"{e}_reduced")]
    results = {name: results[name] for name in order if name in results}
    out = {
        "experiments": results,
        **kept,
        "tables": tables(results),
        "notes": (
            "Frames 64x64, 10 per clip (the colour experiment: 5-20). Greedy decoding unless "
            "'beam 3'. Experiments may come from separate runs: each has its own measured_at, "
            "command, training_seed and data seeds (train 0; test 1 unless data_seeds says "
            "otherwise). Names ending in "
            "'_reduced' ran with --scale (a fraction of the clips and epochs) and are not "
            "the targets' scale. The seed notebook answered this exercise with a design only, "
            "so it has no numbers to compare with."
        ),
    }
    for title, table in out["tables"].items():
        print(f"\n{title}\n{table}")
    if args.quick:
        print("quick run: no record written")
    else:
        rec.write(out)


if __name__ == "__main__":
    main()
