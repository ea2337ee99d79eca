"""Learning to read digits from sums alone: the exact likelihood of a sum.

The reader gives every image a distribution over digits; the images are read
independently, so the probability that a sequence of `K` numbers of `D`
digits adds up to a given sum `t` is a sum over every way of reading them.
There are 10^(K D) ways, but a dynamic program over the columns, least
significant first, with the carry as its state, computes it exactly in time
linear in `D`:

- column `j`: the distribution of the column's digit sum `s` is the
  convolution of the `K` digit distributions (`ColumnSums`);
- with `alpha_j(c)` the probability that columns `0..j-1` gave the sum's
  digits `t_0..t_{j-1}` and left carry `c`,

      alpha_{j+1}(c') = sum_c alpha_j(c) P(s_j = 10 c' + t_j - c),

  since `s + c` must end in digit `t_j` and carry `c'` into the next column;
- after the last column the carry must be the sum's remaining high digits:
  P(sum = t) = alpha_D(t // 10^D).

`alpha` is kept in log space (`logsumexp`), so long numbers do not underflow.
The loss is minus the log of that probability; its gradient teaches the
reader digits it was never told.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
from keras import ops

from fdmlearn.calculator.layers import ColumnSums, check_layout

__all__ = ["SumLikelihood", "sum_probability_brute_force"]

_TINY = 1e-30  # keeps log(0) finite for column sums that cannot happen


@keras.saving.register_keras_serializable(package="fdmlearn")
class SumLikelihood(keras.losses.Loss):
    """Minus the log-probability of each sequence's sum, by the dynamic program above.

    `y_true`: (batch, n_sum_digits) digits of the sum, most significant first.
    `y_pred`: (batch, n_operands * n_digits, 10) the reader's digit
    probabilities, operand after operand, most significant digit first.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.calculator.sums import SumLikelihood
        >>> probs = np.full((1, 2, 10), 0.1, dtype="float32")  # 1 digit + 1 digit, unsure
        >>> nll = SumLikelihood(2, 1)(np.array([[1, 8]]), probs)  # P(sum = 18) = 1/100
        >>> round(float(np.exp(-nll)), 4)
        0.01
    """

    def __init__(self, n_operands: int, n_digits: int, name: str = "sum_likelihood", **kwargs):
        n_operands, n_digits = check_layout(n_operands, n_digits)
        super().__init__(name=name, **kwargs)
        self.n_operands, self.n_digits = n_operands, n_digits
        self._columns = ColumnSums(self.n_operands, self.n_digits, n_steps=self.n_digits)

    def call(self, y_true, y_pred):
        k, d = self.n_operands, self.n_digits
        width = 9 * k + 1
        n_chars = len(str(k * (10**d - 1)))  # digits of the largest sum
        chars = ops.cast(ops.reshape(y_true, (-1, n_chars)), "int32")
        log_column = ops.log(self._columns(y_pred) + _TINY)  # (batch, d, width)
        carries = np.arange(k)
        # s = 10 c' + t - c for every (c', c): an offset table, plus t per column.
        offset = (10 * carries[:, None] - carries[None, :]).reshape(-1)
        alpha = ops.log(ops.one_hot(ops.zeros_like(chars[:, 0]), k) + _TINY)  # carry 0
        for j in range(d):
            t = chars[:, n_chars - 1 - j]  # least significant digit first
            s = t[:, None] + ops.convert_to_tensor(offset, "int32")[None, :]
            valid = (s >= 0) & (s < width)
            picked = ops.take_along_axis(log_column[:, j], ops.clip(s, 0, width - 1), axis=1)
            picked = ops.where(valid, picked, ops.log(_TINY))
            terms = ops.reshape(picked, (-1, k, k)) + alpha[:, None, :]
            alpha = ops.logsumexp(terms, axis=-1)
        high = ops.zeros_like(chars[:, 0])  # the carry left = the sum's digits above column d
        for i in range(n_chars - d):
            high = high * 10 + chars[:, i]
        found = ops.take_along_axis(alpha, ops.clip(high, 0, k - 1)[:, None], axis=1)[:, 0]
        return -ops.where(high < k, found, ops.log(_TINY))

    def get_config(self):
        return {**super().get_config(), "n_operands": self.n_operands, "n_digits": self.n_digits}


def sum_probability_brute_force(probs: np.ndarray, total: int, n_operands: int) -> float:
    """P(the numbers read add up to `total`), by trying every reading (tests only: tiny cases).

    Args:
        probs: (n_operands * n_digits, 10) digit probabilities, one sequence.
        total: The sum.
        n_operands: Numbers in the sequence.
    """
    probs = np.asarray(probs, dtype=np.float64)
    n_digits = len(probs) // n_operands
    place = 10 ** np.arange(n_digits - 1, -1, -1)
    p = 0.0
    for reading in itertools.product(range(10), repeat=len(probs)):
        numbers = np.reshape(reading, (n_operands, n_digits)) @ place
        if int(numbers.sum()) == total:
            p += float(np.prod(probs[np.arange(len(probs)), reading]))
    return p
