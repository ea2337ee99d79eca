"""The assignment's own input: numbers of any length, any count of them, no padding.

A *sequence* is a list of operands; an *operand* is an array (or list) of its
digit images, most significant first, 1 to `MAX_DIGITS` of them, without
leading zeros. `Calculator.predict` takes a list of sequences. The digits are
read by the reader, laid out in columns in probability space (where a
missing leading digit is simply a certain 0) and added by the `CarryAdder`,
which works for any count of operands and columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fdmlearn._checks import check_array, check_images
from fdmlearn._training import predict_arrays
from fdmlearn.calculator.data import (
    IMAGE_SHAPE,
    MAX_DIGITS,
    MAX_IMAGES,
    CalculatorDataset,
    from_chars,
)

__all__: list[str] = []

_CHUNK = 2048  # sequences per call of the adder


def is_ragged(items: Any) -> bool:
    """A list (or tuple) of sequences, each a list of operands, each with a length.

    `[[1, 2, 3, 4]]` (rows of digits) is not ragged; `[[[2, 9, 4], [6, 1]]]` is.
    """
    return isinstance(items, list | tuple) and all(
        isinstance(s, list | tuple) and all(hasattr(op, "__len__") for op in s) for s in items
    )


def check_sequences(sequences: Sequence[Any], max_operands: int) -> list[list[np.ndarray]]:
    """Each operand as a (n_digits, 28, 28, 1) float32 array; limits checked first."""
    total = 0
    for i, seq in enumerate(sequences):
        if not 1 <= len(seq) <= max_operands:
            raise ValueError(
                f"sequences[{i}] holds {len(seq)} operands; a calculator adds 1 to "
                f"{max_operands} (MAX_OPERANDS) numbers"
            )
        for k, operand in enumerate(seq):
            n = len(operand) if hasattr(operand, "__len__") else 0
            if not 1 <= n <= MAX_DIGITS:
                raise ValueError(
                    f"sequences[{i}][{k}] must hold 1 to {MAX_DIGITS} digit images, got {n}"
                )
            total += n
    if total > MAX_IMAGES:
        raise ValueError(f"sequences hold {total:,} digit images; the limit is {MAX_IMAGES:,}")
    checked = []
    for i, seq in enumerate(sequences):
        row = []
        for k, operand in enumerate(seq):
            name = f"sequences[{i}][{k}]"
            a = check_images(name, operand, ndim=(3, 4))
            if a.ndim == 3:
                a = a[..., None]
            if a.shape[1:] != IMAGE_SHAPE:
                raise ValueError(
                    f"{name} must hold 28x28 digit images, shape (n_digits, 28, 28[, 1]), "
                    f"got shape {np.shape(operand)}"
                )
            row.append(a)
        checked.append(row)
    return checked


def sequences_from_array(images: np.ndarray, n_operands: int, n_digits: int) -> list:
    """The fixed layout (N, n_operands * n_digits, 28, 28, 1) as sequences."""
    return [
        [images[i, k * n_digits : (k + 1) * n_digits] for k in range(n_operands)]
        for i in range(len(images))
    ]


def add_ragged(layer: Any, probs: list[list[np.ndarray]], cumulative: bool) -> Any:
    """Sum (or running totals) of each sequence of digit-probability operands.

    Sequences are grouped by operand count and sum width, so that each group
    is one rectangular batch of columns for the `CarryAdder` layer.
    """
    results: list[Any] = [None] * len(probs)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, seq in enumerate(probs):
        longest = max(len(p) for p in seq)
        width = len(str(len(seq) * (10**longest - 1)))
        groups.setdefault((len(seq), width), []).append(i)
    for (n_operands, width), members in groups.items():
        for start in range(0, len(members), _CHUNK):
            chunk = members[start : start + _CHUNK]
            x = np.zeros((len(chunk), n_operands, width, 10), np.float32)
            x[..., 0] = 1.0  # a missing leading digit is a certain 0
            for b, i in enumerate(chunk):
                for k, p in enumerate(probs[i]):
                    x[b, k, : len(p)] = p[::-1]  # least significant first
            out = np.asarray(layer(x, running=True)).argmax(axis=-1)  # (B, n, width)
            values = from_chars(out[..., ::-1])
            for b, i in enumerate(chunk):
                results[i] = values[b] if cumulative else values[b, -1]
    if cumulative:
        return results
    dtype = object if any(isinstance(v, int) for v in results) else np.int64
    return np.array(results, dtype=dtype)


def _check_carry(calc: Any) -> Any:
    if calc.recipe.name != "default" or calc.recipe.adder != "carry":
        raise ValueError(
            "ragged sequences (and cumulative= other than the calculator's) need the "
            "carry adder of the default architecture"
        )
    return calc.adder.get_layer("carry_adder")


def predict_sequences(calc: Any, sequences: Any, cumulative: bool | None, checked=False) -> Any:
    """`Calculator.predict` on ragged sequences of digit images."""
    from fdmlearn.calculator.model import MAX_OPERANDS

    layer = _check_carry(calc)
    cumulative = calc.cumulative if cumulative is None else cumulative
    if not checked:
        sequences = check_sequences(sequences, MAX_OPERANDS)
    elif sequences and len(sequences[0]) > MAX_OPERANDS:
        raise ValueError(f"a calculator adds at most {MAX_OPERANDS} (MAX_OPERANDS) numbers")
    lengths = [len(op) for seq in sequences for op in seq]
    probs: list[np.ndarray] = []
    if lengths:
        flat = np.concatenate([op for seq in sequences for op in seq])
        read = predict_arrays(calc.reader, flat)
        decided = np.eye(10, dtype=np.float32)[read.argmax(axis=-1)]  # see model._decided
        probs = np.split(decided, np.cumsum(lengths)[:-1])
    it = iter(probs)
    return add_ragged(layer, [[next(it) for _ in seq] for seq in sequences], cumulative)


def add_digit_sequences(calc: Any, digits: Any, cumulative: bool | None) -> Any:
    """`Calculator.add_digits` on ragged sequences of digits (or another `cumulative`)."""
    from fdmlearn.calculator.model import MAX_OPERANDS

    layer = _check_carry(calc)
    cumulative = calc.cumulative if cumulative is None else cumulative
    if not is_ragged(digits):
        d = check_array("digits", digits, shape=(None, calc.sequence_length), kind="int")
        width = calc.n_digits
        digits = [[row[k * width : (k + 1) * width] for k in range(calc.n_operands)] for row in d]
    eye = np.eye(10, dtype=np.float32)
    probs = []
    for i, seq in enumerate(digits):
        if not 1 <= len(seq) <= MAX_OPERANDS:
            raise ValueError(
                f"digits[{i}] holds {len(seq)} operands; the limit is 1 to {MAX_OPERANDS}"
            )
        numbers = [
            check_array(f"digits[{i}][{k}]", op, ndim=1, kind="int", minimum=0, maximum=9)
            for k, op in enumerate(seq)
        ]
        if any(not 1 <= len(op) <= MAX_DIGITS for op in numbers):
            raise ValueError(f"digits[{i}]: every operand needs 1 to {MAX_DIGITS} digits")
        probs.append([eye[op] for op in numbers])
    return add_ragged(layer, probs, cumulative)


def evaluate_sequences(calc: Any, dataset: CalculatorDataset) -> dict[str, float]:
    """`Calculator.evaluate` on a ragged dataset: scored on numbers, not characters."""

    def right(pred: list) -> tuple[float, float]:
        pairs = list(zip(pred, dataset.running, strict=True))
        every = np.mean([np.array_equal(p, t) for p, t in pairs])
        final = np.mean([int(p[-1]) == int(t[-1]) for p, t in pairs])
        return float(every if calc.cumulative else final), float(final)

    real = dataset.mnist_indices >= 0
    read = predict_arrays(calc.reader, dataset.images[real])
    width = dataset.max_digits
    digits = [
        [d[(k + 1) * width - n : (k + 1) * width] for k, n in enumerate(ns)]
        for d, ns in zip(dataset.digits, dataset.lengths, strict=True)
    ]
    exact, final = right(calc.predict(dataset, cumulative=True))
    adder_exact, _ = right(calc.add_digits(digits, cumulative=True))
    return {
        "exact_sum_accuracy": exact,
        "final_sum_accuracy": final,
        "digit_accuracy": float((read.argmax(-1) == dataset.digits[real]).mean()),
        "adder_exact_sum_accuracy": adder_exact,
        "n_sequences": len(dataset),
    }
