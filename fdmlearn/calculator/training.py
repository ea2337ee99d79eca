"""How a calculator trains: the reader, the adder, then both chained.

A mixin of `Calculator` (kept apart so that each file stays short): every
method compiles under the calculator's strategy scope and trains through
`fdmlearn._training.fit_keras`, so each returns the Keras `History`, shows
progress with `verbose="auto"`, takes `callbacks` and `validation`, and stops
on a non-finite loss with the weights put back as they were.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from fdmlearn._checks import check_choice, check_images, check_int, check_real, check_rng
from fdmlearn._training import check_callbacks, check_verbose, fit_keras, predict_arrays, scope
from fdmlearn.calculator.data import (
    IMAGE_SHAPE,
    CalculatorDataset,
    operand_values,
    running_totals,
    to_chars,
)
from fdmlearn.calculator.layers import DigitColumns
from fdmlearn.calculator.sums import SumLikelihood
from fdmlearn.datasets import mnist_split

if TYPE_CHECKING:
    from fdmlearn.calculator.architectures import Architecture

__all__: list[str] = []


MAX_ADDER_SAMPLES = 10**7
"""Most random digit sequences per `fit_adder` pass (checked before allocating them)."""


def empty_history() -> keras.callbacks.History:
    """The History of a stage that did not run (0 epochs)."""
    history = keras.callbacks.History()
    history.history, history.epoch = {}, []
    return history


_ONE = np.float32(1.0).view(np.uint32)


def check_dataset_images(dataset: CalculatorDataset, name: str = "dataset") -> CalculatorDataset:
    """`dataset` if its images are still finite float32 pixels in [0, 1] of its shape.

    A dataset's images are checked when it is made, and read-only, but they
    can still be replaced after (`object.__setattr__`), so every function
    that uses a dataset checks them again. In one pass, without a temporary:
    read as unsigned integers, the float32 values in [+0, 1] are exactly the
    bit patterns up to that of 1.0, and negatives, NaN and infinities all lie
    above it. Only when that fails (or for another dtype or shape) does the
    full `check_images` run, for its message (and to let -0.0 pass).
    """
    images = dataset.images
    shape = (len(dataset), dataset.sequence_length, *IMAGE_SHAPE)
    if (
        isinstance(images, np.ndarray)
        and images.dtype == np.float32
        and images.shape == shape
        and (images.size == 0 or images.view(np.uint32).max() <= _ONE)
    ):
        return dataset
    try:
        check_images(f"{name}.images", images, shape=shape)
    except (TypeError, ValueError) as err:
        raise type(err)(
            f"{err} (a dataset's images are checked when it is made, so they were changed since)"
        ) from None
    return dataset


def check_dataset(dataset: Any, calc: Any, name: str = "dataset") -> CalculatorDataset:
    """`dataset` if it is a CalculatorDataset laid out as `calc` expects, images intact."""
    if not isinstance(dataset, CalculatorDataset):
        raise TypeError(
            f"{name} must be a CalculatorDataset (see make_dataset), got {type(dataset).__name__}"
        )
    if (dataset.n_operands, dataset.n_digits) != (calc.n_operands, calc.n_digits):
        raise ValueError(
            f"{name} holds {dataset.n_operands} operands of {dataset.n_digits} digits, "
            f"but the calculator adds {calc.n_operands} operands of {calc.n_digits} digits"
        )
    return check_dataset_images(dataset, name)


def _wrapped(part: keras.Model) -> keras.Model:
    # Train a part through a fresh model that holds it, never by compiling the
    # part itself: Keras reports a compiled inner model's metrics in place of
    # the outer model's, so a compiled reader would hide fine_tune's loss.
    return keras.Sequential([keras.Input(part.input_shape[1:]), part], name=f"train_{part.name}")


_CARRY_DIGITS = 3  # the carry cell learns from sums of two numbers of this many digits


def _carry_trainer(adder: keras.Model) -> keras.Model:
    # The adder's own CarryAdder layer, on two 3-digit numbers: shared
    # weights, so training this model trains the calculator's adder.
    width = _CARRY_DIGITS + 1
    layer = adder.get_layer("carry_adder")
    return keras.Sequential(
        [
            keras.Input((2 * _CARRY_DIGITS, 10)),
            DigitColumns(2, _CARRY_DIGITS, width),
            layer,
        ],
        name="train_carry_adder",
    )


def _carry_targets(digits: np.ndarray, cumulative: bool) -> np.ndarray:
    # Least significant first, as the CarryAdder layer writes them.
    width = _CARRY_DIGITS + 1
    running = running_totals(operand_values(digits, 2, _CARRY_DIGITS), _CARRY_DIGITS)
    chars = to_chars(running if cumulative else running[:, -1], width)
    return chars[..., ::-1].copy()


class _Validation(keras.callbacks.Callback):
    """The adder's loss on the calculator's own layout, when it trains on another."""

    def __init__(self, adder: keras.Model, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.adder, self.x, self.y = adder, x, y
        self.losses: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        p = predict_arrays(self.adder, self.x)
        picked = np.take_along_axis(p, self.y[..., None], axis=-1)
        self.losses.append(float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()))


def _rate(value: Any, default: float) -> float:
    if value is None:
        return default
    return check_real("learning_rate", value, minimum=0, open_min=True)


def _random_digits(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Uniform digits rarely make extreme columns (9 + 9 + 9 + 9 with a carry
    # of 3 comes once in 40,000 columns), so a third of the sequences draw
    # their digits from a narrow random range, such as only 8s and 9s.
    digits = rng.integers(0, 10, size=(n, length))
    narrow = rng.random(n) < 1 / 3
    low = rng.integers(0, 10, size=(int(narrow.sum()), 1))
    high = np.minimum(low + rng.integers(0, 3, size=low.shape), 9)
    digits[narrow] = rng.integers(low, high + 1, size=(len(low), length))
    return digits


def _soften(one_hot: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # A trained reader is not always sure: teach the adder to add soft
    # probabilities too, keeping the true digit the most likely one.
    n = one_hot.shape[0]
    noise = rng.dirichlet(np.ones(10), size=one_hot.shape[:-1])
    amount = rng.uniform(0.0, 0.25, size=one_hot.shape[:-1] + (1,))
    amount[: 2 * n // 3] = 0.0  # two thirds of the samples stay exactly one-hot
    return ((1 - amount) * one_hot + amount * noise).astype(np.float32)


def _distinct_images(data: CalculatorDataset) -> tuple[np.ndarray, np.ndarray]:
    # Each MNIST image once, however often the sequences show it.
    unique = np.unique(data.mnist_indices.ravel())
    images, labels = mnist_split(data.split)
    x = (images[unique].astype(np.float32) / np.float32(255.0))[..., None]
    return x, labels[unique].astype(np.int64)


# Over 200 lines, on purpose: four public stages, each one method whose
# Google docstring and doctest are about half of its length. One stage per
# method keeps the training story in one place; the helpers above are apart.
class Training:
    """The training stages of `Calculator` (see its documentation)."""

    recipe: Architecture
    strategy: Any
    reader: keras.Model
    adder: keras.Model
    keras_model: keras.Model
    timings: dict[str, float]

    def _timed(self, stage: str, start: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start

    def fit_reader(
        self,
        train: CalculatorDataset,
        *,
        epochs: int | None = None,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        supervision: str = "digits",
        validation: CalculatorDataset | None = None,
        callbacks: Any = None,
        verbose: Any = "auto",
    ) -> keras.callbacks.History:
        """Stage 1: train the digit reader.

        The default reader learns from the distinct digit images that `train`
        shows, one at a time (60,000 sequences of 6 digits cover almost all of
        MNIST's 60,000 training images), with Adam and a cosine learning-rate
        decay. The reference reader is trained as in the seed notebook: on
        whole sequences through `TimeDistributed`, with Adadelta at learning
        rate 1.0 (the Keras 2 default the notebook used), for 1 epoch.

        With `supervision="sum"` the reader never sees a digit label: it
        learns from each sequence's sum alone, by maximizing the exact
        probability of the sum under its digit probabilities (a dynamic
        program over the columns and the carry, see `fdmlearn.calculator.sums`),
        on whole sequences, with Adam and a cosine decay.

        Args:
            train: Training sequences.
            epochs: Passes over the data (None: the architecture's, 10 or 1; 0 skips).
            batch_size: Images (default) or sequences (reference) per step
                (None: the architecture's, 128).
            learning_rate: Peak learning rate, > 0 (None: the architecture's,
                3e-3 or 1.0).
            supervision: `"digits"` (each image's label) or `"sum"` (only each
                sequence's sum; `batch_size` then counts sequences, default
                256 images' worth but at least 32, and `learning_rate`
                defaults to 1e-3).
            validation: Sequences to report validation loss and accuracy on.
            callbacks: Keras callbacks.
            verbose: `"auto"`, 0, 1 or 2.

        Returns:
            The Keras `History` (empty if `epochs=0`).

        Raises:
            TypeError: If `train` is not a `CalculatorDataset` or a number has the wrong type.
            ValueError: If `train` or `validation` holds another layout or images
                that are no longer finite pixels in [0, 1], or a number is out of range.
            NonFiniteLossError: If the loss became NaN or infinite (weights restored).

        Examples:
            >>> from fdmlearn import calculator
            >>> calc = calculator.build_calculator(2, 1)
            >>> train = calculator.make_dataset(20, 2, 1, seed=0)
            >>> history = calc.fit_reader(train, epochs=1, verbose=0)
            >>> sorted(history.history)
            ['accuracy', 'loss']
            >>> history = calc.fit_reader(train, epochs=1, supervision="sum", verbose=0)
            >>> sorted(history.history)  # minus the log-probability of the sums
            ['loss']
        """
        train = check_dataset(train, self, "train")
        recipe = self.recipe
        supervision = check_choice("supervision", supervision, ("digits", "sum"))
        epochs = check_int("epochs", recipe.reader_epochs if epochs is None else epochs, minimum=0)
        by_sum = supervision == "sum"
        # Sums only: 256 images a step, but at least 32 sequences. With 8 sums
        # of 15-digit numbers a step, one run in three settled in a reading
        # that confuses each digit with its neighbours (0.2% of digits right);
        # 32 sums a step found the true one.
        default_batch = max(32, 256 // self.sequence_length) if by_sum else recipe.reader_batch_size
        batch_size = check_int(
            "batch_size", default_batch if batch_size is None else batch_size, minimum=1
        )
        rate = _rate(learning_rate, 1e-3 if by_sum else recipe.reader_learning_rate)
        if validation is not None:
            validation = check_dataset(validation, self, "validation")
        if epochs == 0:
            return empty_history()
        start = time.perf_counter()
        if by_sum:
            width = self.n_sum_digits
            x, y = train.images, to_chars(train.sums, width)  # the sums, nothing else
            val = (
                None
                if validation is None
                else (validation.images, to_chars(validation.sums, width))
            )
            steps = epochs * int(np.ceil(len(x) / batch_size))
            with scope(self.strategy):
                schedule = keras.optimizers.schedules.CosineDecay(rate, steps, alpha=0.01)
                model = keras.Sequential(
                    [
                        keras.Input((train.sequence_length, *IMAGE_SHAPE)),
                        keras.layers.TimeDistributed(self.reader),
                    ],
                    name="train_reader_from_sums",
                )
                model.compile(
                    optimizer=keras.optimizers.Adam(schedule),
                    loss=SumLikelihood(self.n_operands, self.n_digits),
                )
        elif recipe.name == "default":
            x, y = _distinct_images(train)
            val = None if validation is None else _distinct_images(validation)
            steps = epochs * int(np.ceil(len(x) / batch_size))
            with scope(self.strategy):
                schedule = keras.optimizers.schedules.CosineDecay(rate, steps, alpha=0.01)
                model = _wrapped(self.reader)
                model.compile(
                    optimizer=keras.optimizers.Adam(schedule),
                    loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"],
                )
        else:
            x, y = train.images, train.digits
            val = None if validation is None else (validation.images, validation.digits)
            with scope(self.strategy):
                model = keras.Sequential(
                    [
                        keras.Input((train.sequence_length, *IMAGE_SHAPE)),
                        keras.layers.TimeDistributed(self.reader),
                    ]
                )
                model.compile(
                    optimizer=keras.optimizers.Adadelta(rate),
                    loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"],
                )
        history = fit_keras(
            model,
            x,
            y,
            what="Calculator.fit_reader",
            verbose=verbose,
            callbacks=callbacks,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=val,
        )
        self._timed("reader", start)
        return history

    def fit_adder(
        self,
        train: CalculatorDataset | None = None,
        *,
        epochs: int | None = None,
        samples: int | None = None,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        seed: int | np.random.Generator | None = 0,
        validation: CalculatorDataset | None = None,
        callbacks: Any = None,
        verbose: Any = "auto",
    ) -> keras.callbacks.History:
        """Stage 2: train the adder on digits, without any image.

        The default adder learns from `samples` random digit sequences (drawn
        with `seed`; a third from narrow digit ranges such as only 8s and 9s,
        so that extreme columns and long carries are frequent), two thirds of
        them given as exact one-hot vectors and a third blurred with a little
        noise, so that it also adds the reader's soft probabilities. `train`
        is not needed. The reference adder is trained as in the seed notebook:
        on the one-hot true digits of `train`, with Adam, for 3 epochs.

        Args:
            train: Training sequences (required for the reference adder).
            epochs: Passes over the data (None: the architecture's, 20 or 3; 0 skips).
            samples: Random sequences per pass, 1 to `MAX_ADDER_SAMPLES` = 10**7
                (default adder only; None: 40,000).
            batch_size: Sequences per step (None: 256).
            learning_rate: Peak learning rate, > 0 (None: 1e-2 or 1e-3).
            seed: Seed of the random digits: int >= 0, None or a Generator.
            validation: Sequences whose true digits report a validation loss.
            callbacks: Keras callbacks.
            verbose: `"auto"`, 0, 1 or 2.

        Returns:
            The Keras `History` (empty if `epochs=0`).

        Raises:
            TypeError: If `train` is given but not a `CalculatorDataset`.
            ValueError: If the reference adder gets no `train`, `train` or
                `validation` holds another layout or images that are no longer
                finite pixels in [0, 1], or a number is out of range.
            NonFiniteLossError: If the loss became NaN or infinite (weights restored).

        Examples:
            >>> from fdmlearn import calculator
            >>> calc = calculator.build_calculator(2, 1)
            >>> history = calc.fit_adder(epochs=2, samples=500, verbose=0)
            >>> len(history.history["loss"])
            2
        """
        recipe = self.recipe
        default = recipe.name == "default"
        epochs = check_int("epochs", recipe.adder_epochs if epochs is None else epochs, minimum=0)
        samples = check_int(
            "samples",
            recipe.adder_samples if samples is None else samples,
            minimum=1,
            maximum=MAX_ADDER_SAMPLES,
        )
        batch_size = check_int(
            "batch_size", recipe.adder_batch_size if batch_size is None else batch_size, minimum=1
        )
        rate = _rate(learning_rate, recipe.adder_learning_rate)
        rng = check_rng(seed)
        if train is not None:
            train = check_dataset(train, self, "train")
        elif not default:
            raise ValueError("train is required: the reference adder learns from its digits")
        if validation is not None:
            validation = check_dataset(validation, self, "validation")
        if epochs == 0:
            return empty_history()
        start = time.perf_counter()
        eye = np.eye(10, dtype=np.float32)
        carry = default and recipe.adder == "carry"
        if carry:
            # The carry cell is the same for every layout, so it always learns
            # from two 3-digit numbers: all 19 x 2 (column sum, carry) cases
            # come up there, and nothing else is needed to add longer numbers
            # or more of them.
            digits = _random_digits(rng, samples, 2 * _CARRY_DIGITS)
            x, y = _soften(eye[digits], rng), _carry_targets(digits, self.cumulative)
        elif default:
            digits = _random_digits(rng, samples, self.sequence_length)
            x, y = _soften(eye[digits], rng), self._targets(digits)
        else:
            x, y = eye[train.digits], self._targets(train.digits)
        val = (
            None
            if validation is None
            else (eye[validation.digits], self._targets(validation.digits))
        )
        extra = [] if not (carry and val) else [_Validation(self.adder, *val)]
        with scope(self.strategy):
            if default:
                steps = epochs * int(np.ceil(len(x) / batch_size))
                rate = keras.optimizers.schedules.CosineDecay(rate, steps, alpha=0.01)
            model = _carry_trainer(self.adder) if carry else _wrapped(self.adder)
            model.compile(
                optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy"
            )
        history = fit_keras(
            model,
            x,
            y,
            what="Calculator.fit_adder",
            verbose=verbose,
            callbacks=[*check_callbacks(callbacks), *extra],
            epochs=epochs,
            batch_size=batch_size,
            validation_data=None if carry else val,
        )
        if extra:
            history.history["val_loss"] = extra[0].losses
        self._timed("adder", start)
        return history

    def fine_tune(
        self,
        train: CalculatorDataset,
        *,
        epochs: int = 1,
        max_sequences: int | None = 10_000,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        validation: CalculatorDataset | None = None,
        callbacks: Any = None,
        verbose: Any = "auto",
    ) -> keras.callbacks.History:
        """Stage 3: train the chained model end to end on image sequences.

        The reader's soft digit probabilities flow into the adder and the
        loss is on the digits of the sum, so the reader learns what matters
        for the sum. The adder is frozen: it is already exact, and fine-tuning
        it on a few misread digits could only teach it wrong sums.

        Args:
            train: Training sequences.
            epochs: Passes over the sequences (0 skips).
            max_sequences: Use only the first this many sequences of `train`
                (None: all). Each sequence runs the reader on every one of
                its images, so a pass over 60,000 sequences of 6 digits costs
                as much as 6 reader epochs; 10,000 are plenty to adapt it.
            batch_size: Sequences per step (None: 64).
            learning_rate: Adam's learning rate, > 0 (None: 1e-4, small, to
                refine, not relearn).
            validation: Sequences to report a validation loss on.
            callbacks: Keras callbacks.
            verbose: `"auto"`, 0, 1 or 2.

        Returns:
            The Keras `History` (empty if `epochs=0`).

        Raises:
            TypeError: If `train` is not a `CalculatorDataset` or a number has the wrong type.
            ValueError: If `train` or `validation` holds another layout or images
                that are no longer finite pixels in [0, 1], or a number is out of range.
            NonFiniteLossError: If the loss became NaN or infinite (weights restored).

        Examples:
            >>> from fdmlearn import calculator
            >>> calc = calculator.build_calculator(2, 1)
            >>> train = calculator.make_dataset(16, 2, 1, seed=0)
            >>> history = calc.fine_tune(train, verbose=0)
            >>> sorted(history.history)
            ['loss']
        """
        train = check_dataset(train, self, "train")
        recipe = self.recipe
        epochs = check_int("epochs", epochs, minimum=0)
        batch_size = check_int(
            "batch_size",
            recipe.fine_tune_batch_size if batch_size is None else batch_size,
            minimum=1,
        )
        rate = _rate(learning_rate, recipe.fine_tune_learning_rate)
        if max_sequences is not None:
            train = train[: check_int("max_sequences", max_sequences, minimum=1)]
        if validation is not None:
            validation = check_dataset(validation, self, "validation")
        if epochs == 0:
            return empty_history()
        start = time.perf_counter()
        val = None if validation is None else (validation.images, self._targets(validation.digits))
        self.adder.trainable = False
        try:
            with scope(self.strategy):
                self.keras_model.compile(
                    optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy"
                )
            history = fit_keras(
                self.keras_model,
                train.images,
                self._targets(train.digits),
                what="Calculator.fine_tune",
                verbose=verbose,
                callbacks=callbacks,
                epochs=epochs,
                batch_size=batch_size,
                validation_data=val,
            )
        finally:
            self.adder.trainable = True
        self._timed("fine_tune", start)
        return history

    def fit(
        self,
        train: CalculatorDataset,
        *,
        reader_epochs: int | None = None,
        adder_epochs: int | None = None,
        fine_tune_epochs: int | None = None,
        supervision: str = "digits",
        seed: int | np.random.Generator | None = 0,
        validation: CalculatorDataset | None = None,
        callbacks: Any = None,
        verbose: Any = "auto",
    ) -> keras.callbacks.History:
        """Train all stages: the reader, the adder, then both together.

        Args:
            train: Training sequences (see `make_dataset`).
            reader_epochs: Epochs of `fit_reader` (None: the architecture's).
            adder_epochs: Epochs of `fit_adder` (None: the architecture's).
            fine_tune_epochs: Epochs of `fine_tune` (None: the architecture's,
                1 for the default, 0 for the reference, which the notebook
                chained without fine-tuning).
            supervision: `"digits"`, or `"sum"` to train the reader from the
                sequences' sums alone (see `fit_reader`); the adder learns from
                random digits and fine-tuning from the sums, so then no stage
                uses a digit label.
            seed: Seed of the adder's random digits (see `fit_adder`).
            validation: Sequences to report validation scores on, each stage.
            callbacks: Keras callbacks, given to every stage.
            verbose: `"auto"`, 0, 1 or 2.

        Returns:
            One Keras `History` of the three stages: its `history` dict holds
            each stage's series under the stage's prefix (`reader_loss`,
            `adder_loss`, `fine_tune_loss`, ...).

        Raises:
            TypeError: If `train` or `validation` is not a `CalculatorDataset`,
                or a setting has the wrong type (checked before any stage).
            ValueError: If one holds another number of operands or digits, or
                images that are no longer finite pixels in [0, 1], or a setting
                is out of range.
            NonFiniteLossError: If a stage's loss became NaN or infinite.

        Examples:
            >>> from fdmlearn import calculator
            >>> train = calculator.make_dataset(100, n_operands=2, n_digits=1)
            >>> calc = calculator.build_calculator(2, 1)
            >>> history = calc.fit(train, reader_epochs=1, adder_epochs=1, verbose=0)
            >>> sorted(history.history)
            ['adder_loss', 'fine_tune_loss', 'reader_accuracy', 'reader_loss']
        """
        # Everything is checked before the reader trains: a bad setting of the
        # last stage must not cost the minutes of the first.
        train = check_dataset(train, self, "train")
        if validation is not None:
            validation = check_dataset(validation, self, "validation")
        for name, value in (
            ("reader_epochs", reader_epochs),
            ("adder_epochs", adder_epochs),
            ("fine_tune_epochs", fine_tune_epochs),
        ):
            if value is not None:
                check_int(name, value, minimum=0)
        supervision = check_choice("supervision", supervision, ("digits", "sum"))
        check_rng(seed)  # a Generator is returned as it is, unadvanced
        callbacks = check_callbacks(callbacks)
        verbose = check_verbose(verbose)
        if fine_tune_epochs is None:
            fine_tune_epochs = self.recipe.fine_tune_epochs
        common = {"validation": validation, "callbacks": callbacks, "verbose": verbose}
        stages = {
            "reader": self.fit_reader(
                train, epochs=reader_epochs, supervision=supervision, **common
            ),
            "adder": self.fit_adder(train, epochs=adder_epochs, seed=seed, **common),
            "fine_tune": self.fine_tune(train, epochs=fine_tune_epochs, **common),
        }
        merged = empty_history()
        for stage, history in stages.items():
            for key, values in history.history.items():
                merged.history[f"{stage}_{key}"] = values
        merged.stages = stages
        return merged
