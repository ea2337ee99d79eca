"""The MNIST calculator: add numbers that are written as sequences of digit images.

A sequence of `n_operands * n_digits` MNIST images spells `n_operands` numbers
of `n_digits` digits each (leading zeros allowed, most significant digit
first). The calculator reads the images and outputs their sum, or with
`cumulative=True` the running total after each operand.

It is built from two parts, trained separately and then together:

1. A **digit reader**: a CNN that maps one 28x28 image to 10 digit
   probabilities. It is applied to every image of the sequence.
2. An **adder** that turns the digit probabilities into the digits of the sum.
   The default adder works like pencil-and-paper addition: it aligns the
   operands column by column and reads the columns least significant first.
   For each column it computes the probability of every column sum (a
   convolution of the operands' digit probabilities, no weights), and a small
   GRU carries from one column to the next, emitting one digit of the sum per
   column. It is trained on random digit sequences, without any image.
3. **Fine-tuning** chains the two (the reader's soft probabilities go straight
   into the adder) and trains the reader end to end on image sequences, the
   adder kept frozen so that it stays exact.

`architecture="reference"` rebuilds the seed notebook's model instead, so that
its numbers can be reproduced side by side.

Where things live, one short file each: `data` (datasets and exact sums),
`layers` (the weightless Keras layers), `architectures` (the Keras parts and
their training settings), `model` (the `Calculator`: predicting, saving),
`training` (its `fit` stages) and `plots`.

Limits, checked before anything is allocated: `n_digits` 1 to `MAX_DIGITS`
(15), calculators of 2 to `MAX_OPERANDS` (100) operands, datasets of at most
`MAX_IMAGES` (1,000,000) digit images. Sums are exact at any size (Python
integers where int64 would overflow).

Examples:
    >>> from fdmlearn import calculator
    >>> data = calculator.make_dataset(2, n_operands=2, n_digits=3, split="test", seed=0)
    >>> data.images.shape
    (2, 6, 28, 28, 1)
    >>> bool((data.sums == data.operands.sum(axis=1)).all())
    True
"""

from __future__ import annotations

import fdmlearn._tf  # noqa: F401  (first: TensorFlow imported quietly, before any `import keras`)
from fdmlearn.calculator.architectures import ARCHITECTURES, Architecture
from fdmlearn.calculator.data import (
    MAX_DIGITS,
    MAX_IMAGES,
    CalculatorDataset,
    make_dataset,
    n_sum_digits,
)
from fdmlearn.calculator.layers import CarryAdder, ColumnSums, DigitColumns, ReverseSteps
from fdmlearn.calculator.model import MAX_OPERANDS, Calculator, build_calculator, load_calculator
from fdmlearn.calculator.plots import (
    confusion_matrix,
    plot_confusion_matrix,
    plot_gallery,
    plot_mistakes,
)
from fdmlearn.calculator.sums import SumLikelihood

__all__ = [
    "CalculatorDataset",
    "Calculator",
    "make_dataset",
    "build_calculator",
    "load_calculator",
    "n_sum_digits",
    "ColumnSums",
    "ReverseSteps",
    "CarryAdder",
    "DigitColumns",
    "SumLikelihood",
    "confusion_matrix",
    "plot_gallery",
    "plot_mistakes",
    "plot_confusion_matrix",
    "Architecture",
    "ARCHITECTURES",
    "MAX_DIGITS",
    "MAX_IMAGES",
    "MAX_OPERANDS",
]
