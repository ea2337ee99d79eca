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

from fdmlearn._checks import check_images
from fdmlearn.calculator.data import IMAGE_SHAPE, MAX_DIGITS, MAX_IMAGES, from_chars

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
