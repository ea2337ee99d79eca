"""How every `fit` in fdmlearn trains a Keras model.

One convention for all topics:

- `verbose="auto"` by default, so Keras shows its progress bar in a terminal
  or notebook; `callbacks` are passed on; the Keras `History` is returned.
- A NaN or infinite loss (or weights that became non-finite) stops training
  with `NonFiniteLossError`, and the weights are put back as they were before
  the call. A `KeyboardInterrupt` or any other error restores them too, so an
  interrupted cell never leaves a half-trained, half-broken model behind.
- Distribution: models are built and compiled under `strategy.scope()`; that
  is the only mechanism (`scope`).

Two pieces shared by the models that check their own inputs (deep's MLP and
the filter CNN): `CheckedInputs`, a Keras model that validates concrete inputs
to `fit`/`evaluate`/`predict`/calls, and `shuffled_batches`, a `tf.data` order
repeatable from a local seed.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from fdmlearn._checks import check_choice
from fdmlearn._tf import keras, tf
from fdmlearn.errors import NonFiniteLossError

__all__ = [
    "CheckedInputs",
    "check_callbacks",
    "check_strategy",
    "check_verbose",
    "fit_keras",
    "predict_arrays",
    "scope",
    "shuffled_batches",
]


def check_verbose(verbose: Any) -> str | int:
    """`"auto"`, 0 (silent), 1 (progress bar) or 2 (one line per epoch)."""
    if isinstance(verbose, bool | np.bool_):
        raise TypeError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r} (bool)")
    if isinstance(verbose, np.integer):
        verbose = int(verbose)
    return check_choice("verbose", verbose, ("auto", 0, 1, 2))


def check_callbacks(callbacks: Any) -> list[keras.callbacks.Callback]:
    """A list of Keras callbacks from `None`, one callback or a sequence of them."""
    if callbacks is None:
        return []
    if isinstance(callbacks, keras.callbacks.Callback):
        return [callbacks]
    if not isinstance(callbacks, Sequence) or isinstance(callbacks, str):
        raise TypeError(
            f"callbacks must be a list of keras.callbacks.Callback, got {type(callbacks).__name__}"
        )
    for i, c in enumerate(callbacks):
        if not isinstance(c, keras.callbacks.Callback):
            raise TypeError(
                f"callbacks[{i}] must be a keras.callbacks.Callback, got {type(c).__name__}"
            )
    return list(callbacks)


def check_strategy(strategy: Any) -> Any:
    """`None` or a `tf.distribute.Strategy`."""
    if strategy is None:
        return None
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            f"strategy must be a tf.distribute.Strategy or None, got {type(strategy).__name__}"
        )
    return strategy


def scope(strategy: Any) -> contextlib.AbstractContextManager:
    """`strategy.scope()`, or a do-nothing context when `strategy` is None."""
    strategy = check_strategy(strategy)
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


class _StopOnNonFinite(keras.callbacks.Callback):
    """Stops at the first batch whose running loss is not a finite number."""

    def __init__(self) -> None:
        super().__init__()
        self.bad: tuple[int, int, float] | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.bad = (self._epoch, batch, float(loss))
            self.model.stop_training = True


@contextlib.contextmanager
def restoring_weights(model: keras.Model) -> Iterator[list[np.ndarray]]:
    """Put `model`'s weights back if the block raises."""
    saved = [v.numpy() for v in model.weights]
    try:
        yield saved
    except BaseException:
        _restore(model, saved)
        raise


def _restore(model: keras.Model, saved: list[np.ndarray]) -> None:
    for variable, value in zip(model.weights, saved, strict=True):
        variable.assign(value)


def fit_keras(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    what: str = "fit",
    verbose: Any = "auto",
    callbacks: Any = None,
    **fit_kwargs: Any,
) -> keras.callbacks.History:
    """`model.fit` with fdmlearn's guarantees (see the module docstring).

    Args:
        model: A compiled Keras model.
        x: Training inputs (arrays or a `tf.data.Dataset`).
        y: Training targets.
        what: Who is training, for the error message (e.g. `"Captioner.fit"`).
        verbose: `"auto"`, 0, 1 or 2.
        callbacks: Extra Keras callbacks.
        **fit_kwargs: Passed to `model.fit` (`epochs`, `batch_size`, ...).

    Returns:
        The Keras `History` of this call.

    Raises:
        NonFiniteLossError: If the loss or the weights became NaN or infinite;
            the weights are restored first.
    """
    verbose = check_verbose(verbose)
    callbacks = check_callbacks(callbacks)
    guard = _StopOnNonFinite()
    with restoring_weights(model) as saved:
        history = model.fit(x, y, verbose=verbose, callbacks=[*callbacks, guard], **fit_kwargs)
        if guard.bad is None and not all(np.isfinite(v.numpy()).all() for v in model.weights):
            guard.bad = (len(history.epoch) - 1, -1, math.nan)
        if guard.bad is not None:
            _restore(model, saved)
            epoch, batch, loss = guard.bad
            where = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch >= 0 else "")
            found = f"the loss became {loss}" if batch >= 0 else "the weights became non-finite"
            raise NonFiniteLossError(
                f"{what}: {found} at {where}, so training stopped and the weights were restored "
                "to their values before this call. Check the inputs for NaN or infinite values, "
                "or try a smaller learning_rate."
            )
    return history


class CheckedInputs(keras.Model):
    """A functional Keras model whose `fit`, `evaluate`, `predict` and calls check `x`.

    Only concrete inputs are checked (NumPy arrays, lists, eager tensors):
    the symbolic tensors of Keras' own graphs and `tf.data` datasets pass
    untouched, so the check is one pass over the data before Keras starts, and
    never enters a compiled graph. Subclasses say what a valid input is.
    """

    def _check_inputs(self, x: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def _concrete(x: Any) -> bool:
        # A string or a number is no input Keras knows either: checked here,
        # so the message names x instead of Keras' "Unrecognized data type".
        return isinstance(x, np.ndarray | list | str | bytes | numbers.Number) or (
            tf.is_tensor(x) and not isinstance(x, keras.KerasTensor) and tf.executing_eagerly()
        )

    def _maybe_check(self, x: Any) -> None:
        if self._concrete(x):
            self._check_inputs(x)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            self._maybe_check(args[0])
        return super().__call__(*args, **kwargs)

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: Any = None,
        epochs: Any = 1,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        from fdmlearn._checks import check_array, check_int

        self._maybe_check(x)
        # Keras trains on NaN targets or on zero examples without a word, and
        # its own messages for a zero batch size or float epochs come from deep
        # inside; a tf.data input carries its own targets and batching.
        if y is not None and self._concrete(y):
            targets = check_array("y", y, kind="float")
            if targets.ndim == 0 or len(targets) == 0:
                raise ValueError(f"y must hold at least one example, got shape {targets.shape}")
            if self._concrete(x) and len(x) != len(targets):
                raise ValueError(
                    f"x and y must have the same length, got {len(x)} inputs and "
                    f"{len(targets)} targets"
                )
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, minimum=1)
        epochs = check_int("epochs", epochs, minimum=0)
        return super().fit(x, y, batch_size, epochs, *args, **kwargs)

    def evaluate(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._maybe_check(x)
        return super().evaluate(x, *args, **kwargs)

    def predict(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        self._maybe_check(x)
        return super().predict(x, *args, **kwargs)


def shuffled_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> Any:
    """A `tf.data` pipeline that reshuffles every epoch from its own seed.

    Keras' own shuffling draws from TensorFlow's global seed; an op-level
    seed makes the order repeatable without touching any global generator.
    Batches are gathered by index, as Keras does for NumPy arrays.
    """
    xs, ys = tf.constant(x), tf.constant(y)
    order = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return (
        order.batch(batch_size)
        .map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def predict_arrays(model: keras.Model, x: Any, batch_size: int = 1024) -> np.ndarray:
    """`model(x)` in batches of `batch_size`, as a NumPy array, called eagerly.

    Not `model.predict`: each Keras model traces its own predict function,
    and a notebook that builds several models (or calls one with inputs of
    new lengths) soon makes TensorFlow warn about retracing. An eager call
    traces nothing; for inference on the small models here it costs little.
    """
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        return np.asarray(model(x, training=False))
    outs = [
        np.asarray(model(x[i : i + batch_size], training=False))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(outs)
