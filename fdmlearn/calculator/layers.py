"""The calculator's Keras layers, registered so that `.keras` files rebuild them.

`CarryAdder` is the default adder: column sums of two numbers built in, the
carry learned by a small cell, applied column after column and operand after
operand. `DigitColumns` lays digit probabilities out in columns for it.
`ColumnSums` (the sum distribution of all operands of a column at once) feeds
the former GRU adder (`Architecture(adder="columns")`). `ReverseSteps` turns
least-significant-first outputs back into reading order.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from fdmlearn._checks import check_bool, check_int
from fdmlearn.calculator.data import MAX_DIGITS

__all__ = ["CarryAdder", "ColumnSums", "DigitColumns", "ReverseSteps"]

# model.MAX_OPERANDS (importing it from there would be circular); the sum of
# MAX_OPERANDS numbers of MAX_DIGITS digits has MAX_DIGITS + 2 digits.
_MAX_OPERANDS = 100
_MAX_STEPS = MAX_DIGITS + 2
MAX_UNITS = 4096
"""Widest carry cell (`CarryAdder(units=...)`, `build_calculator(adder_units=...)`)."""


def check_layout(n_operands, n_digits, n_steps=None):
    """The layer sizes, checked against MAX_OPERANDS, MAX_DIGITS and the sum's width."""
    n_operands = check_int("n_operands", n_operands, minimum=1, maximum=_MAX_OPERANDS)
    n_digits = check_int("n_digits", n_digits, minimum=1, maximum=MAX_DIGITS)
    if n_steps is None:
        return n_operands, n_digits
    return n_operands, n_digits, check_int("n_steps", n_steps, minimum=n_digits, maximum=_MAX_STEPS)


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
        n_operands, n_digits, n_steps = check_layout(n_operands, n_digits, n_steps)
        keep = None if keep is None else check_int("keep", keep, minimum=1, maximum=n_operands)
        running = check_bool("running", running)
        super().__init__(**kwargs)
        self.n_operands, self.n_digits, self.n_steps = n_operands, n_digits, n_steps
        self.keep = keep
        self.running = running

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
        axis = check_int("axis", axis)
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, x):
        return ops.flip(x, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


# pair[i, j, s] = 1 where digit i plus digit j makes column sum s (0..18).
_PAIR = np.zeros((10, 10, 19), dtype=np.float32)
for _i in range(10):
    _PAIR[_i, np.arange(10), _i + np.arange(10)] = 1.0


@keras.saving.register_keras_serializable(package="fdmlearn")
class DigitColumns(layers.Layer):
    """Lay digit probabilities out in columns: (batch, n_operands * n_digits, 10) ->
    (batch, n_operands, n_steps, 10), least significant digit first.

    Columns beyond `n_digits` are leading zeros (one-hot 0), so every operand
    has as many columns as the sum. The layer has no weights.
    """

    def __init__(self, n_operands: int, n_digits: int, n_steps: int, **kwargs):
        n_operands, n_digits, n_steps = check_layout(n_operands, n_digits, n_steps)
        super().__init__(**kwargs)
        self.n_operands, self.n_digits, self.n_steps = n_operands, n_digits, n_steps

    def call(self, probs):
        x = ops.reshape(probs, (-1, self.n_operands, self.n_digits, 10))
        x = ops.flip(x, axis=2)
        if self.n_steps > self.n_digits:
            zero = ops.one_hot(ops.zeros((), dtype="int32"), 10, dtype=x.dtype)
            pad = ops.zeros_like(x[:, :, :1]) + zero
            x = ops.concatenate([x] + [pad] * (self.n_steps - self.n_digits), axis=2)
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_operands, self.n_steps, 10)

    def get_config(self):
        config = super().get_config()
        config.update(n_operands=self.n_operands, n_digits=self.n_digits, n_steps=self.n_steps)
        return config


@keras.saving.register_keras_serializable(package="fdmlearn")
class CarryAdder(layers.Layer):
    """Add numbers column by column with a learned carry: the adder that generalises.

    Input: (batch, n_operands, n_columns, 10) digit probabilities, least
    significant column first (see `DigitColumns`). The numbers are added one
    after the other, as a running total: total k = total k-1 + operand k.
    Each addition of two numbers goes through the columns; for column j it
    computes the distribution of the two digits' sum (0 to 18, a convolution,
    built in) and a small learned cell maps (column sum, carry in) to
    (digit of the total, carry out), both as probabilities:

        digit_j, carry_{j+1} = cell(column_sum_j, carry_j)

    The carry passed between columns is a distribution over {0, 1}, not a
    free hidden vector, and the cell sees one column at a time: there are
    only 19 x 2 cases, all of which come up in 3-digit training sums, and
    nothing can drift along a long number. So a cell trained on 2 numbers
    of 3 digits adds any count of numbers of any length. The shapes are read
    at call time: one layer serves every count of operands and columns.

    Output: (batch, n_operands, n_columns, 10), the digits of every running
    total (the first is operand 1 itself), or with `cumulative=False` only
    the final total, (batch, n_columns, 10).

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.calculator import CarryAdder
        >>> layer = CarryAdder(units=8)
        >>> x = np.eye(10, dtype="float32")[[[[4, 9, 2], [1, 6, 0]]]]  # 294 and 61
        >>> np.asarray(layer(x)).shape  # untrained; fit_adder teaches it to add
        (1, 2, 3, 10)
    """

    def __init__(self, units: int = 64, cumulative: bool = True, **kwargs):
        units = check_int("units", units, minimum=1, maximum=MAX_UNITS)
        cumulative = check_bool("cumulative", cumulative)
        super().__init__(**kwargs)
        self.units, self.cumulative = units, cumulative
        self.hidden = [layers.Dense(self.units, activation="relu") for _ in range(2)]
        self.to_digit = layers.Dense(10)
        self.to_carry = layers.Dense(2)

    def build(self, input_shape):
        self.hidden[0].build((None, 19 + 2))
        self.hidden[1].build((None, self.units))
        self.to_digit.build((None, self.units))
        self.to_carry.build((None, self.units))

    def cell(self, column, carry):
        """(column-sum probabilities (batch, 19), carry (batch, 2)) -> (digit, carry out)."""
        h = ops.concatenate([column, carry], axis=-1)
        for dense in self.hidden:
            h = dense(h)
        return ops.softmax(self.to_digit(h)), ops.softmax(self.to_carry(h))

    def call(self, digits, running=None):
        # running=True/False overrides `cumulative` for one call (ragged predict).
        running = self.cumulative if running is None else running
        n_operands, n_columns = digits.shape[1], digits.shape[2]
        pair = ops.convert_to_tensor(_PAIR, dtype=digits.dtype)
        no_carry = ops.convert_to_tensor(np.array([1.0, 0.0], np.float32), dtype=digits.dtype)
        total = digits[:, 0]
        totals = [total]
        for k in range(1, n_operands):
            columns = ops.einsum("bwi,bwj,ijs->bws", total, digits[:, k], pair)
            carry = ops.zeros_like(columns[:, 0, :2]) + no_carry
            out = []
            for j in range(n_columns):
                digit, carry = self.cell(columns[:, j], carry)
                out.append(digit)
            total = ops.stack(out, axis=1)
            totals.append(total)
        return ops.stack(totals, axis=1) if running else total

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) if self.cumulative else (input_shape[0], *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "units": self.units, "cumulative": self.cumulative}
