"""Scores of predicted captions against the true ones.

`exact_match` is the assignment's 0/1 metric (one minus the mean 0/1 loss);
`word_accuracy` and `bleu4` give partial credit for nearly right captions.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence
from typing import Any

from fdmlearn.captioning.vocabulary import words_of

__all__ = ["bleu4", "exact_match", "word_accuracy"]


def _pairs(predicted: Any, reference: Any) -> list[tuple[list[str], list[str]]]:
    for name, value in (("predicted", predicted), ("reference", reference)):
        if isinstance(value, str | bytes):
            raise TypeError(f"{name} must be a list of captions, got a single string")
        if not isinstance(value, Sequence):
            raise TypeError(f"{name} must be a list of captions, got {type(value).__name__}")
    if len(predicted) != len(reference):
        raise ValueError(
            f"predicted has {len(predicted)} captions but reference has {len(reference)}; "
            "expected one prediction per reference"
        )
    if len(reference) == 0:
        raise ValueError("predicted and reference must not be empty")
    return [
        (words_of(p, f"predicted[{i}]"), words_of(r, f"reference[{i}]"))
        for i, (p, r) in enumerate(zip(predicted, reference, strict=True))
    ]


def exact_match(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """Fraction of captions predicted exactly, word for word (the 0/1 metric).

    Args:
        predicted: Predicted captions.
        reference: True captions, as many as `predicted`.

    Returns:
        A number in [0, 1]; 1 minus the mean 0/1 loss.

    Raises:
        TypeError: If a list is a single string or holds a non-string.
        ValueError: If the lists are empty or differ in length.

    Examples:
        >>> from fdmlearn.captioning import exact_match
        >>> exact_match(["a b c", "a b"], ["a  b c", "a c"])
        0.5
    """
    pairs = _pairs(predicted, reference)
    return sum(p == r for p, r in pairs) / len(pairs)


def word_accuracy(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """Fraction of word positions right: partial credit for nearly right captions.

    Position i counts when both captions have the same word there; the total
    is the longer caption's length, so missing and extra words both cost.

    Args:
        predicted: Predicted captions.
        reference: True captions, as many as `predicted`.

    Returns:
        A number in [0, 1].

    Raises:
        TypeError: If a list is a single string or holds a non-string.
        ValueError: If the lists are empty or differ in length.

    Examples:
        >>> from fdmlearn.captioning import word_accuracy
        >>> round(word_accuracy(["a b c", "a b"], ["a b c", "a c x"]), 4)
        0.6667
    """
    right = total = 0
    for pw, rw in _pairs(predicted, reference):
        right += sum(a == b for a, b in zip(pw, rw, strict=False))
        total += max(len(pw), len(rw))
    return right / total if total else 1.0


def _ngrams(words: list[str], n: int) -> collections.Counter[tuple[str, ...]]:
    return collections.Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def bleu4(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """Corpus BLEU-4 with one reference per caption (Papineni et al., 2002).

    The geometric mean of the clipped 1- to 4-gram precisions, summed over
    the corpus, times the brevity penalty exp(1 - r/c) when the predictions
    (c words) are shorter than the references (r words). No smoothing: if no
    4-gram matches anywhere, the score is 0.

    Args:
        predicted: Predicted captions.
        reference: True captions, as many as `predicted`.

    Returns:
        A number in [0, 1].

    Raises:
        TypeError: If a list is a single string or holds a non-string.
        ValueError: If the lists are empty or differ in length.

    Examples:
        >>> from fdmlearn.captioning import bleu4
        >>> # (5/6 * 3/5 * 2/4 * 1/3) ** (1/4)
        >>> round(bleu4(["the cat sat on the mat"], ["the cat sat on a mat"]), 4)
        0.5373
        >>> bleu4(["the digit 7"], ["the digit 7 moves up"])  # no 4-gram at all
        0.0
    """
    matches, totals = [0] * 4, [0] * 4
    pred_len = ref_len = 0
    for pw, rw in _pairs(predicted, reference):
        pred_len += len(pw)
        ref_len += len(rw)
        for n in range(1, 5):
            pc, rc = _ngrams(pw, n), _ngrams(rw, n)
            matches[n - 1] += sum(min(c, rc[g]) for g, c in pc.items())
            totals[n - 1] += max(len(pw) - n + 1, 0)
    if pred_len == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals, strict=True)) / 4
    brevity = 1.0 if pred_len > ref_len else math.exp(1 - ref_len / pred_len)
    return brevity * math.exp(log_precision)
