"""The calculator's two weightless Keras layers, registered so `.keras` files rebuild them.

`ColumnSums` is where the addition table is built in: it turns the digit
probabilities of the operands into the probability of every column sum.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

__all__ = ["ColumnSums", "ReverseSteps"]


@keras.saving.register_keras_serializable(package="fdmlearn")
class ColumnSums(layers.Layer):
    """Turn digit probabilities in reading order into column-sum probabilities.

    Input: (batch, n_operands * n_digits, 10), operand after operand, most
    significant digit first. Output: (batch, n_steps, 9 * n_operands + 1):
    for each column of the written addition, least significant first, the
    probability that the column's digits add up to 0, 1, ..., 9 * n_operands.
    It is the convolution of the operands' digit distributions (the digits
    are read independently), so one-hot digits give a one-hot column sum.
    Columns beyond `n_digits`, up to `n_steps`, hold only zeros (sum 0).
    With `keep=k` the operands after the k-th read as 0, which gives the
    running total after operand k. With `running=True` the output is
    (batch, n_operands, n_steps, 9 * n_operands + 1): the column sums of
    every running total, which the convolution passes through anyway.
    The layer has no weights.

    The convolution is done one operand at a time: the distribution of the
    partial sum (width 9k + 1 after k operands) is convolved with the next
    operand's 10 digit probabilities. The largest tensor is
    (batch, n_digits, 9 * n_operands + 10, 10), so memory grows linearly
    with `n_operands` (about 36 KB per column and sequence at 100 operands,
    where the former table of every (partial sum, digit, sum) triple took
    gigabytes), and time grows as `n_operands` squared.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.calculator import ColumnSums
        >>> digits = np.array([[4, 7, 5, 8]])  # 47 + 58
        >>> sums = ColumnSums(2, 2, n_steps=3)(np.eye(10, dtype="float32")[digits])
        >>> np.asarray(sums).argmax(-1)  # 7 + 8, 4 + 5, then padding
        array([[15,  9,  0]])
    """

    def __init__(
        self,
        n_operands: int,
        n_digits: int,
        n_steps: int,
        keep: int | None = None,
        running: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.n_operands, self.n_digits, self.n_steps = int(n_operands), int(n_digits), int(n_steps)
        self.keep = None if keep is None else int(keep)
        self.running = bool(running)

    @property
    def width(self) -> int:
        """Possible column sums: 0 to 9 * n_operands."""
        return 9 * self.n_operands + 1

    def call(self, probs):
        x = ops.reshape(probs, (-1, self.n_operands, self.n_digits, 10))
        x = ops.flip(x, axis=2)  # least significant digit first, as on paper
        n_kept = self.n_operands if self.keep is None else self.keep
        total = x[:, 0]
        totals = [self._finish(total, 10)]
        for k in range(1, n_kept):
            w = 9 * k + 1  # width of the partial sum so far
            # new[s] = sum_d total[s - d] * digit[d]: gather the 10 shifted
            # copies of the (zero-padded) partial sum, weight them, add.
            padded = ops.pad(total, [[0, 0], [0, 0], [9, 9]])
            where = np.arange(w + 9)[:, None] + 9 - np.arange(10)[None, :]
            shifted = ops.take(padded, ops.convert_to_tensor(where, "int32"), axis=2)
            total = ops.einsum("bcsd,bcd->bcs", shifted, x[:, k])
            if self.running:
                totals.append(self._finish(total, w + 9))
        if self.running:
            return ops.stack(totals, axis=1)
        return self._finish(total, 9 * max(n_kept - 1, 0) + 10)

    def _finish(self, total, w):
        # Pad the sums to the full width and append the all-zero columns.
        if w < self.width:
            total = ops.pad(total, [[0, 0], [0, 0], [0, self.width - w]])
        if self.n_steps > self.n_digits:
            zero = ops.one_hot(ops.zeros((), dtype="int32"), self.width, dtype=total.dtype)
            pad = ops.zeros_like(total[:, :1]) + zero
            total = ops.concatenate([total] + [pad] * (self.n_steps - self.n_digits), axis=1)
        return total

    def compute_output_shape(self, input_shape):
        if self.running:
            return (input_shape[0], self.n_operands, self.n_steps, self.width)
        return (input_shape[0], self.n_steps, self.width)

    def get_config(self):
        config = super().get_config()
        config.update(
            n_operands=self.n_operands,
            n_digits=self.n_digits,
            n_steps=self.n_steps,
            keep=self.keep,
            running=self.running,
        )
        return config


@keras.saving.register_keras_serializable(package="fdmlearn")
class ReverseSteps(layers.Layer):
    """Reverse the step axis (`axis`, default 1): the adder writes least significant first.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.calculator import ReverseSteps
        >>> np.asarray(ReverseSteps()(np.array([[[1.0], [2.0], [3.0]]])))[0, :, 0].tolist()
        [3.0, 2.0, 1.0]
    """

    def __init__(self, axis: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, x):
        return ops.flip(x, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
