"""Figures of what a calculator reads and sums; each a pyplot-free `Figure`."""

from __future__ import annotations

from typing import Any

import numpy as np

from fdmlearn._checks import check_array, check_int
from fdmlearn.calculator.data import CalculatorDataset
from fdmlearn.calculator.model import Calculator
from fdmlearn.calculator.training import check_dataset
from fdmlearn.plotting import new_figure

__all__ = ["confusion_matrix", "plot_confusion_matrix", "plot_gallery", "plot_mistakes"]


def _check_calc(calc: Any) -> Calculator:
    if not isinstance(calc, Calculator):
        raise TypeError(
            f"calc must be a Calculator (see build_calculator), got {type(calc).__name__}"
        )
    return calc


def confusion_matrix(true_digits: Any, read_digits: Any) -> np.ndarray:
    """Count how often each true digit was read as each digit.

    Args:
        true_digits: Integer digits 0..9, any shape.
        read_digits: The digits read, same shape.

    Returns:
        (10, 10) int64 counts, rows the true digit, columns the digit read.

    Raises:
        TypeError: If the digits are not integers.
        ValueError: If the shapes differ or a value is outside 0..9.

    Examples:
        >>> confusion_matrix([1, 7, 7], [1, 1, 7])[7, [1, 7]]
        array([1, 1])
    """
    t = check_array("true_digits", true_digits, kind="int", minimum=0, maximum=9)
    r = check_array("read_digits", read_digits, kind="int", minimum=0, maximum=9)
    if t.shape != r.shape:
        raise ValueError(
            f"true_digits and read_digits must have the same shape, got {t.shape} and {r.shape}"
        )
    flat = t.ravel().astype(np.int64) * 10 + r.ravel().astype(np.int64)
    return np.bincount(flat, minlength=100).reshape(10, 10)


def plot_gallery(calc: Any, dataset: CalculatorDataset, n: int = 6) -> Any:
    """Show `n` sequences of `dataset` with the predicted and the true sum.

    Args:
        calc: A calculator.
        dataset: Sequences with the calculator's number of operands and digits.
        n: How many sequences to show (the first `n`).

    Returns:
        A `Figure`: one row per sequence, the operands' images with `+`
        between them and the sums on the right, red where wrong.

    Raises:
        TypeError: If `calc` is not a `Calculator` or `dataset` not a `CalculatorDataset`.
        ValueError: If it does not fit the calculator or `n < 1`.

    Examples:
        >>> from fdmlearn import calculator
        >>> calc = calculator.build_calculator(2, 1)
        >>> data = calculator.make_dataset(3, 2, 1, split="test", seed=0)
        >>> fig = calculator.plot_gallery(calc, data, n=2)
        >>> len(fig.axes)  # 2 rows of: digit, "+", digit, sum
        8
    """
    calc = _check_calc(calc)
    dataset = check_dataset(dataset, calc)
    n = min(check_int("n", n, minimum=1), len(dataset))
    pred = calc.predict(dataset.images[:n])
    true = dataset.running[:n] if calc.cumulative else dataset.sums[:n]
    nd, no = calc.n_digits, calc.n_operands
    cols = no * nd + (no - 1) + 1  # digits, "+" signs, and the answer
    fig = new_figure(figsize=(0.62 * cols + 1.6, 0.75 * max(n, 1)))
    axes = fig.subplots(max(n, 1), cols, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        col = 0
        for k in range(no):
            for j in range(nd):
                axes[i, col].imshow(dataset.images[i, k * nd + j, :, :, 0], cmap="gray_r")
                col += 1
            if k < no - 1:
                axes[i, col].text(0.5, 0.5, "+", ha="center", va="center", fontsize=16)
                col += 1
        p, t = np.atleast_1d(pred[i]), np.atleast_1d(true[i])
        ok = bool(np.array_equal(p, t))
        shown = ", ".join(str(int(v)) for v in p)
        truth = ", ".join(str(int(v)) for v in t)
        axes[i, col].text(
            0.0,
            0.5,
            f"= {shown}" + ("" if ok else f"\n(true {truth})"),
            ha="left",
            va="center",
            fontsize=11,
            color="black" if ok else "crimson",
        )
    fig.suptitle("Predicted sums" + (" (running totals)" if calc.cumulative else ""))
    return fig


def plot_mistakes(calc: Any, dataset: CalculatorDataset, max_images: int = 16) -> Any:
    """Show the digit images of `dataset` that the reader misread.

    Args:
        calc: A calculator.
        dataset: Sequences with the calculator's number of operands and digits.
        max_images: At most this many images are shown.

    Returns:
        A `Figure` with each misread image titled "read r, is t" (or a note
        that no image was misread).

    Raises:
        TypeError: If `calc` is not a `Calculator` or `dataset` not a `CalculatorDataset`.
        ValueError: If it does not fit the calculator or `max_images < 1`.

    Examples:
        >>> from fdmlearn import calculator
        >>> calc = calculator.build_calculator(2, 1)
        >>> data = calculator.make_dataset(4, 2, 1, split="test", seed=0)
        >>> fig = calculator.plot_mistakes(calc, data, max_images=3)
        >>> fig._suptitle.get_text().endswith("digit images misread")  # untrained
        True
    """
    calc = _check_calc(calc)
    dataset = check_dataset(dataset, calc)
    max_images = check_int("max_images", max_images, minimum=1)
    read = calc.read_digits(dataset.images)
    seq, pos = np.nonzero(read != dataset.digits)
    total = len(seq)
    seq, pos = seq[:max_images], pos[:max_images]
    if total == 0:
        fig = new_figure(figsize=(4, 1))
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, f"No misread digit in {dataset.digits.size} images", ha="center")
        fig.suptitle("0 digit images misread", fontsize=10)
        return fig
    cols = min(8, len(seq))
    rows = int(np.ceil(len(seq) / cols))
    fig = new_figure(figsize=(1.2 * cols, 1.45 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, s, p in zip(axes.ravel(), seq, pos, strict=False):
        ax.imshow(dataset.images[s, p, :, :, 0], cmap="gray_r")
        ax.set_title(f"read {read[s, p]}, is {dataset.digits[s, p]}", fontsize=8)
    fig.suptitle(f"{total} of {dataset.digits.size} digit images misread", fontsize=10)
    return fig


def plot_confusion_matrix(calc: Any, dataset: CalculatorDataset) -> Any:
    """The reader's digit confusion matrix on `dataset`, as a figure.

    Args:
        calc: A calculator.
        dataset: Sequences with the calculator's number of operands and digits.

    Returns:
        A `Figure`: counts of true digit (rows) vs digit read (columns), on a
        log colour scale so that rare confusions show.

    Raises:
        TypeError: If `calc` is not a `Calculator` or `dataset` not a `CalculatorDataset`.
        ValueError: If it does not fit the calculator.

    Examples:
        >>> from fdmlearn import calculator
        >>> calc = calculator.build_calculator(2, 1)
        >>> data = calculator.make_dataset(5, 2, 1, split="test", seed=0)
        >>> fig = calculator.plot_confusion_matrix(calc, data)
        >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
        ('digit read', 'true digit')
    """
    from matplotlib.colors import LogNorm

    calc = _check_calc(calc)
    dataset = check_dataset(dataset, calc)
    counts = confusion_matrix(dataset.digits, calc.read_digits(dataset.images))
    fig = new_figure(figsize=(5.2, 4.6))
    ax = fig.subplots()
    image = ax.imshow(counts + 1, cmap="Blues", norm=LogNorm())
    for t in range(10):
        for r in range(10):
            if counts[t, r]:
                ax.text(
                    r,
                    t,
                    str(counts[t, r]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if t == r else "crimson",
                )
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("digit read")
    ax.set_ylabel("true digit")
    ax.set_title("Digit confusion matrix (log colour scale)")
    fig.colorbar(image, ax=ax, label="count + 1")
    return fig
