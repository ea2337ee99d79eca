"""The `Calculator`: a digit reader and an adder chained; building, predicting, saving.

Training lives in `training.py` (the `Training` mixin), so that this class
holds only what a trained calculator does.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np

from fdmlearn._checks import check_array, check_bool, check_images, check_int
from fdmlearn._saving import read_keras, write_keras
from fdmlearn._training import check_strategy, predict_arrays, scope
from fdmlearn.calculator.architectures import (
    ARCHITECTURES,
    Architecture,
    build_adder,
    build_reader,
)
from fdmlearn.calculator.data import (
    IMAGE_SHAPE,
    CalculatorDataset,
    check_sizes,
    from_chars,
    n_sum_digits,
    operand_values,
    running_totals,
    to_chars,
)
from fdmlearn.calculator.layers import MAX_UNITS
from fdmlearn.calculator.ragged import (
    add_digit_sequences,
    evaluate_sequences,
    is_ragged,
    predict_sequences,
    sequences_from_array,
)
from fdmlearn.calculator.training import Training, check_dataset, check_dataset_images

__all__ = ["MAX_OPERANDS", "Calculator", "build_calculator", "load_calculator"]

MAX_OPERANDS = 100
"""Most operands a calculator adds (its graph grows as n_operands squared)."""

_KIND = "Calculator"


# About 300 lines, more than half of them the public methods' docstrings and
# doctests; training lives in the `Training` mixin and the ragged input in
# `ragged.py`, so this class holds only what a trained calculator does: read,
# add, evaluate, save.
class Calculator(Training):
    """A digit reader and an adder, chained: image sequences in, sums out.

    Build one with `build_calculator`, train it with `fit` (or stage by stage
    with `fit_reader`, `fit_adder` and `fine_tune`), then `predict` or
    `evaluate`.

    Attributes:
        reader: Keras model, one (28, 28, 1) image -> 10 digit probabilities.
        adder: Keras model, (n_operands * n_digits, 10) digit probabilities ->
            (n_sum_digits, 10) probabilities of the sum's digits, most
            significant first; (n_operands, n_sum_digits, 10) if cumulative.
        keras_model: The chained Keras model, image sequences -> sum digits.
        recipe: The `Architecture` with the training settings.
        strategy: The `tf.distribute.Strategy` it was built under, or None.
        timings: Seconds spent in each training stage so far.
    """

    def __init__(
        self,
        *,
        n_operands: int,
        n_digits: int,
        cumulative: bool,
        recipe: Architecture,
        reader: keras.Model,
        adder: keras.Model,
        keras_model: keras.Model | None = None,
        strategy: Any = None,
    ) -> None:
        self.n_operands, self.n_digits, self.cumulative = n_operands, n_digits, cumulative
        self.recipe, self.strategy = recipe, strategy
        self.n_sum_digits = n_sum_digits(n_operands, n_digits)
        self.reader, self.adder = reader, adder
        if keras_model is None:
            with scope(strategy):
                images = keras.Input((self.sequence_length, *IMAGE_SHAPE), name="images")
                probs = keras.layers.TimeDistributed(reader, name="read_each_digit")(images)
                keras_model = keras.Model(images, adder(probs), name=f"calculator_{recipe.name}")
        self.keras_model = keras_model
        self.timings: dict[str, float] = {}

    @property
    def architecture(self) -> str:
        """`"default"` or `"reference"`."""
        return self.recipe.name

    @property
    def model(self) -> keras.Model:
        """Deprecated alias of `keras_model`."""
        warnings.warn("Calculator.model is deprecated: use .keras_model", DeprecationWarning, 2)
        return self.keras_model

    @property
    def sequence_length(self) -> int:
        """Images per sequence: `n_operands * n_digits`."""
        return self.n_operands * self.n_digits

    def __repr__(self) -> str:
        return (
            f"Calculator(n_operands={self.n_operands}, n_digits={self.n_digits}, "
            f"cumulative={self.cumulative}, architecture={self.architecture!r})"
        )

    def _targets(self, digits: np.ndarray) -> np.ndarray:
        # The characters of the sum (or of every running total) of each row.
        running = running_totals(
            operand_values(digits, self.n_operands, self.n_digits), self.n_digits
        )
        values = running if self.cumulative else running[:, -1]
        return to_chars(values, self.n_sum_digits)

    def _images(self, images: Any) -> np.ndarray:
        if isinstance(images, CalculatorDataset):
            return check_dataset(images, self, "images").images
        length = self.sequence_length
        x = check_images("images", images, ndim=(4, 5))
        if x.ndim == 4:
            x = x[..., None]
        if x.shape[2:] != IMAGE_SHAPE:
            raise ValueError(
                f"images must be 28x28 MNIST digits of shape (N, {length}, 28, 28[, 1]), "
                f"got shape {np.shape(images)}"
            )
        if x.shape[1] != length:
            raise ValueError(
                f"images must be sequences of {length} digits (n_operands * n_digits), "
                f"got sequences of {x.shape[1]} images (shape {np.shape(images)})"
            )
        return x

    def read_digit_probabilities(self, images: Any, batch_size: int = 1024) -> np.ndarray:
        """The reader's digit probabilities: (N, n_operands * n_digits, 10) float32.

        Args:
            images: (N, n_operands * n_digits, 28, 28[, 1]) floats in [0, 1],
                or a `CalculatorDataset` of the calculator's layout.
            batch_size: Images per inference step.
        """
        x = self._images(images)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        if len(x) == 0:
            return np.zeros((0, self.sequence_length, 10), np.float32)
        probs = predict_arrays(self.reader, x.reshape(-1, *IMAGE_SHAPE), batch_size)
        return np.asarray(probs, dtype=np.float32).reshape(len(x), self.sequence_length, 10)

    def read_digits(self, images: Any) -> np.ndarray:
        """The digit the reader sees in every image.

        Args:
            images: As for `predict`.

        Returns:
            (N, n_operands * n_digits) int64 digits.

        Raises:
            TypeError: If the images are integers (divide 0..255 pixels by 255).
            ValueError: If the shape, the range or the dataset's layout is wrong.

        Examples:
            >>> from fdmlearn import calculator
            >>> calc = calculator.build_calculator(2, 1)
            >>> data = calculator.make_dataset(3, 2, 1, split="test", seed=0)
            >>> digits = calc.read_digits(data)  # untrained, so these are guesses
            >>> digits.shape, digits.dtype, bool(((0 <= digits) & (digits <= 9)).all())
            ((3, 2), dtype('int64'), True)
        """
        return self.read_digit_probabilities(images).argmax(axis=-1).astype(np.int64)

    def _sums_from_probs(self, probs: np.ndarray) -> np.ndarray:
        shape = (0, self.n_operands) if self.cumulative else (0,)
        if len(probs) == 0:
            return np.zeros(shape, np.int64)
        out = predict_arrays(self.adder, _decided(probs))
        return from_chars(out.argmax(axis=-1))

    def predict(self, images: Any, *, cumulative: bool | None = None) -> Any:
        """The sums that the image sequences spell, as integers.

        Two forms of input:

        - the fixed layout: an array (N, n_operands * n_digits, 28, 28[, 1])
          of floats in [0, 1], most significant digit first, or a
          `CalculatorDataset` of the calculator's layout (another layout is
          refused, even one of the same sequence length);
        - the assignment's own, ragged: a list of sequences, each a list of
          operands, each operand an array (or list) of its 1 to 15 digit
          images, without leading zeros. The operand count may differ from
          the calculator's, from 1 to `MAX_OPERANDS` (100), checked before
          anything is allocated. It needs the default (carry) adder.

        Args:
            images: The sequences, in one of the two forms.
            cumulative: Return the running totals instead of the final sums
                (None: as the calculator was built).

        The adder adds the digits the reader reads: each image's most
        likely digit.

        Returns:
            (N,) sums (int64; Python ints where int64 would overflow); if
            cumulative, (N, n_operands) running totals for the fixed layout,
            or for ragged input a list of one array of running totals per
            sequence.

        Raises:
            TypeError: If the images are integers (divide 0..255 pixels by 255).
            ValueError: If the shape, the range (NaN, > 1), the layout or a
                limit is wrong.

        Examples:
            The example of the assignment, 294 + 61, from MNIST test images
            (the first of each digit), after a short training:

            >>> import numpy as np
            >>> import fdmlearn
            >>> from fdmlearn import calculator
            >>> from fdmlearn.datasets import mnist_split
            >>> fdmlearn.set_seed(0)
            >>> calc = calculator.build_calculator(2, 3)
            >>> train = calculator.make_dataset(1000, 2, 3, seed=0)
            >>> _ = calc.fit_reader(train, epochs=1, verbose=0)
            >>> _ = calc.fit_adder(epochs=5, samples=10_000, verbose=0)
            >>> images, labels = mnist_split("test")
            >>> def digit(d):
            ...     return images[np.flatnonzero(labels == d)[0]] / 255.0
            >>> sequence = [[digit(2), digit(9), digit(4)], [digit(6), digit(1)]]
            >>> calc.predict([sequence]).tolist()
            [355]
            >>> [totals.tolist() for totals in calc.predict([sequence], cumulative=True)]
            [[294, 355]]
            >>> calc.predict([sequence + [[digit(7)]]]).tolist()  # three operands
            [362]
        """
        if cumulative is not None:
            cumulative = check_bool("cumulative", cumulative)
        if isinstance(images, CalculatorDataset) and images.ragged:
            sequences = check_dataset_images(images, "images").sequences
            return predict_sequences(self, sequences, cumulative, checked=True)
        if is_ragged(images):
            return predict_sequences(self, images, cumulative)
        if cumulative is not None and cumulative != self.cumulative:
            x = self._images(images)
            sequences = sequences_from_array(x, self.n_operands, self.n_digits)
            return predict_sequences(self, sequences, cumulative, checked=True)
        return self._sums_from_probs(self.read_digit_probabilities(images))

    def add_digits(self, digits: Any, *, cumulative: bool | None = None) -> Any:
        """Run the adder alone on known digits (no images): the sums it computes.

        Args:
            digits: (N, n_operands * n_digits) integers in 0..9, operand after
                operand, most significant digit first; or, ragged as in
                `predict`, a list of sequences, each a list of operands, each
                a list of 1 to 15 digits (needs the default carry adder).
            cumulative: Return the running totals (None: as built).

        Returns:
            As `predict`: (N,) sums, or the running totals if cumulative.

        Examples:
            >>> from fdmlearn import calculator
            >>> calc = calculator.build_calculator(2, 2)
            >>> calc.add_digits([[1, 2, 3, 4]]).shape  # 12 + 34, untrained
            (1,)
            >>> len(calc.add_digits([[[2, 9, 4], [6, 1]], [[5], [1], [3, 0]]]))
            2
        """
        if cumulative is not None:
            cumulative = check_bool("cumulative", cumulative)
        if is_ragged(digits) or (cumulative is not None and cumulative != self.cumulative):
            return add_digit_sequences(self, digits, cumulative)
        d = check_array(
            "digits", digits, shape=(None, self.sequence_length), kind="int", minimum=0, maximum=9
        )
        return self._sums_from_probs(np.eye(10, dtype=np.float32)[d])

    def evaluate(self, dataset: CalculatorDataset) -> dict[str, float]:
        """Accuracy of the calculator and of each of its parts on `dataset`.

        Returns a dict with `exact_sum_accuracy` (fraction of sequences whose
        sum, or every running total if cumulative, is right),
        `final_sum_accuracy` (the final sum alone), `char_accuracy` (per
        output digit), `digit_accuracy` (per image read),
        `adder_exact_sum_accuracy` and `adder_char_accuracy` (the adder fed
        the true digits) and `n_sequences`. A dataset of another layout raises
        ValueError, an empty one too.
        """
        if isinstance(dataset, CalculatorDataset) and dataset.ragged and len(dataset):
            return evaluate_sequences(self, check_dataset_images(dataset))
        dataset = check_dataset(dataset, self)
        if len(dataset) == 0:
            raise ValueError("dataset must hold at least one sequence to evaluate on")
        probs = self.read_digit_probabilities(dataset.images)
        true = self._targets(dataset.digits)

        def chars(p: np.ndarray) -> np.ndarray:
            return predict_arrays(self.adder, p).argmax(-1)

        pred, adder_pred = (
            chars(_decided(probs)),
            chars(np.eye(10, dtype=np.float32)[dataset.digits]),
        )
        rows = (slice(None), -1) if self.cumulative else (slice(None),)
        per_row = tuple(range(1, true.ndim))
        return {
            "exact_sum_accuracy": float((pred == true).all(axis=per_row).mean()),
            "final_sum_accuracy": float((pred[rows] == true[rows]).all(axis=-1).mean()),
            "char_accuracy": float((pred == true).mean()),
            "digit_accuracy": float((probs.argmax(axis=-1) == dataset.digits).mean()),
            "adder_exact_sum_accuracy": float((adder_pred == true).all(axis=per_row).mean()),
            "adder_char_accuracy": float((adder_pred == true).mean()),
            "n_sequences": len(dataset),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the calculator as one `.keras` file (atomically: all or nothing).

        The file holds the chained Keras model (reader and adder inside) and
        the calculator's settings; `load_calculator(path)` rebuilds a
        calculator that predicts exactly the same. A save that fails halfway
        leaves any previous file at `path` as it was.

        Returns:
            The path written, as a `Path`.

        Raises:
            TypeError: If `path` is not a str or path.
            ValueError: If `path` does not end in `.keras` or is a folder.
            FileNotFoundError: If the folder does not exist.
        """
        settings = {
            "n_operands": self.n_operands,
            "n_digits": self.n_digits,
            "cumulative": self.cumulative,
            "recipe": dataclasses.asdict(self.recipe),
        }
        return write_keras(path, self.keras_model, kind=_KIND, settings=settings)


def _decided(probs: np.ndarray) -> np.ndarray:
    # Predicting, the adder adds the digits the reader reads (its most likely
    # digit per image), as one-hot vectors: an exact adder then gets every sum
    # right whose digits were all read right, whereas unsure probabilities
    # fed as they are can tip a column (measured: 78.7% exact sums against
    # 80.5% of sequences read right, at N = 15). Fine-tuning still trains
    # through the soft probabilities, which is what makes it differentiable.
    return np.eye(10, dtype=np.float32)[np.asarray(probs).argmax(axis=-1)]


def _check_reader(reader: Any, strategy: Any) -> keras.Model:
    if not isinstance(reader, keras.Model):
        raise TypeError(f"reader must be a keras.Model, got {type(reader).__name__}")
    if tuple(reader.input_shape[1:]) != IMAGE_SHAPE or tuple(reader.output_shape[1:]) != (10,):
        raise ValueError(
            "reader must map (28, 28, 1) images to 10 digit probabilities, got "
            f"input shape {reader.input_shape} and output shape {reader.output_shape}"
        )
    import tensorflow as tf

    # A shared reader's variables must live where the new calculator trains.
    here = strategy if strategy is not None else tf.distribute.get_strategy()
    if not all(here.extended.variable_created_in_scope(v.value) for v in reader.weights):
        raise ValueError(
            "reader was built under another tf.distribute strategy than strategy="
            f"{type(strategy).__name__ if strategy is not None else None}; build both "
            "calculators with the same strategy"
        )
    return reader


def build_calculator(
    n_operands: int = 2,
    n_digits: int = 3,
    cumulative: bool = False,
    architecture: str | Architecture = "default",
    *,
    reader: keras.Model | None = None,
    adder_units: int | None = None,
    strategy: Any = None,
) -> Calculator:
    """Build an untrained calculator for `n_operands` numbers of `n_digits` digits.

    Args:
        n_operands: Numbers per sequence (2 to `MAX_OPERANDS` = 100).
        n_digits: Digits per number (1 to 15).
        cumulative: Output the running total after each number instead of
            the final sum only.
        architecture: `"default"` (CNN with batch norm and augmentation, and
            a column-by-column GRU adder), `"reference"` (the seed
            notebook's CNN and SimpleRNN seq2seq adder), or an `Architecture`.
        reader: An already trained digit reader to share, for example
            `other_calculator.reader`: the same object, so training one
            calculator's reader trains the other's. It must have been built
            under the same `strategy`.
        adder_units: Width of the default adder's carry cell or GRU, 1 to `MAX_UNITS`
            = 4096 (None: the architecture's, 64).
        strategy: A `tf.distribute.Strategy` to build (and later train) under,
            for example `tf.distribute.MirroredStrategy()` for several GPUs.

    Returns:
        A `Calculator`.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If a size is out of range, `architecture` is unknown or
            `reader` has the wrong shapes or strategy.

    Examples:
        >>> calc = build_calculator(n_operands=2, n_digits=3)
        >>> calc
        Calculator(n_operands=2, n_digits=3, cumulative=False, architecture='default')
        >>> calc.keras_model.input_shape, calc.keras_model.output_shape
        ((None, 6, 28, 28, 1), (None, 4, 10))
        >>> build_calculator(4, 2, cumulative=True).keras_model.output_shape
        (None, 4, 3, 10)
    """
    n_operands, n_digits = check_sizes(n_operands, n_digits)
    check_int("n_operands", n_operands, minimum=2, maximum=MAX_OPERANDS)
    cumulative = check_bool("cumulative", cumulative)
    if isinstance(architecture, Architecture):
        recipe = architecture
    elif isinstance(architecture, str) and architecture in ARCHITECTURES:
        recipe = ARCHITECTURES[architecture]
    else:
        names = ", ".join(repr(a) for a in ARCHITECTURES)
        error = ValueError if isinstance(architecture, str) else TypeError
        raise error(f"architecture must be one of {names} or an Architecture, got {architecture!r}")
    if adder_units is not None:
        recipe = dataclasses.replace(
            recipe, adder_units=check_int("adder_units", adder_units, minimum=1, maximum=MAX_UNITS)
        )
    strategy = check_strategy(strategy)
    with scope(strategy):
        reader = build_reader(recipe) if reader is None else _check_reader(reader, strategy)
        adder = build_adder(recipe, n_operands, n_digits, cumulative)
    return Calculator(
        n_operands=n_operands,
        n_digits=n_digits,
        cumulative=cumulative,
        recipe=recipe,
        reader=reader,
        adder=adder,
        strategy=strategy,
    )


def load_calculator(path: str | os.PathLike[str], *, strategy: Any = None) -> Calculator:
    """Load a calculator saved with `Calculator.save`.

    Args:
        path: The `.keras` file.
        strategy: A `tf.distribute.Strategy` to load (and later train) under.

    Returns:
        A `Calculator` with the saved configuration and weights.

    Raises:
        LoadError: If `path` is missing, a folder, not a `.keras` file, or
            holds something other than a calculator.

    Examples:
        >>> import tempfile, os
        >>> import numpy as np
        >>> calc = build_calculator(2, 1)
        >>> from fdmlearn.calculator import make_dataset
        >>> data = make_dataset(8, 2, 1, split="test")
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     again = load_calculator(calc.save(os.path.join(tmp, "calc.keras")))
        >>> bool(np.array_equal(again.predict(data), calc.predict(data)))
        True
    """
    strategy = check_strategy(strategy)
    with scope(strategy), warnings.catch_warnings():
        # A file saved after fine-tuning carries the optimizer's state, which
        # a calculator never needs back (each fit compiles afresh).
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model, settings = read_keras(path, _KIND)
    chain = {layer.name: layer for layer in model.layers}
    return Calculator(
        n_operands=settings["n_operands"],
        n_digits=settings["n_digits"],
        cumulative=settings["cumulative"],
        recipe=Architecture(**settings["recipe"]),
        reader=chain["read_each_digit"].layer,
        adder=chain["adder"],
        keras_model=model,
        strategy=strategy,
    )
