"""The calculator's two architectures: their Keras parts and their training settings.

Each architecture is a frozen `Architecture` (like `fdmlearn.deep.Recipe`):
which reader and adder it builds, and the settings each training stage uses
when a `fit` argument is left at `None`. Make a variant with
`dataclasses.replace(ARCHITECTURES["default"], reader_epochs=12)` and pass
it as `build_calculator(architecture=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from fdmlearn.calculator.data import IMAGE_SHAPE, n_sum_digits
from fdmlearn.calculator.layers import (
    MAX_UNITS,
    CarryAdder,
    ColumnSums,
    DigitColumns,
    ReverseSteps,
)

__all__ = ["ARCHITECTURES", "Architecture", "build_adder", "build_reader"]


@dataclass(frozen=True)
class Architecture:
    """A calculator architecture: what it builds and how each stage trains.

    Attributes:
        name: `"default"` or `"reference"` (which parts to build).
        description: One sentence saying what it is and why.
        adder: The default architecture's adder: `"carry"` (a learned carry
            cell applied column by column, see `CarryAdder`: it adds any
            count of numbers of any length) or `"columns"` (the former GRU
            over the column sums of all operands at once, tied to its layout).
        reader_epochs: Epochs of `fit_reader`.
        reader_learning_rate: Peak learning rate of the reader.
        reader_batch_size: Images (default) or sequences (reference) per step.
        adder_epochs: Epochs of `fit_adder`.
        adder_learning_rate: Peak learning rate of the adder.
        adder_batch_size: Sequences per adder step.
        adder_samples: Random digit sequences per adder epoch (default only).
        fine_tune_epochs: Epochs of `fine_tune` inside `fit` (0: not fine-tuned).
        fine_tune_learning_rate: Adam's learning rate when fine-tuning.
        fine_tune_batch_size: Sequences per fine-tuning step.
        adder_units: Width of the default adder's carry cell (or GRU).
    """

    name: str
    description: str
    adder: str = "carry"
    reader_epochs: int = 10
    reader_learning_rate: float = 3e-3
    reader_batch_size: int = 128
    adder_epochs: int = 20
    adder_learning_rate: float = 1e-2
    adder_batch_size: int = 256
    adder_samples: int = 40_000
    fine_tune_epochs: int = 1
    fine_tune_learning_rate: float = 1e-4
    fine_tune_batch_size: int = 64
    adder_units: int = 64

    def __post_init__(self) -> None:
        from fdmlearn._checks import check_choice, check_int, check_real

        check_choice("name", self.name, ("default", "reference"))
        check_choice("adder", self.adder, ("carry", "columns"))
        for f in ("reader_epochs", "adder_epochs", "fine_tune_epochs"):
            check_int(f, getattr(self, f), minimum=0)
        for f in ("reader_batch_size", "adder_batch_size", "fine_tune_batch_size"):
            check_int(f, getattr(self, f), minimum=1)
        check_int("adder_samples", self.adder_samples, minimum=1)
        check_int("adder_units", self.adder_units, minimum=1, maximum=MAX_UNITS)
        for f in ("reader_learning_rate", "adder_learning_rate", "fine_tune_learning_rate"):
            check_real(f, getattr(self, f), minimum=0, open_min=True)


ARCHITECTURES: dict[str, Architecture] = {
    "default": Architecture(
        name="default",
        description="A CNN with batch norm and augmentation trained with Adam on single digit "
        "images, and a column-by-column adder: exact column sums and a learned carry cell.",
    ),
    "reference": Architecture(
        name="reference",
        description="The seed notebook's model: its CNN trained on whole sequences with "
        "Adadelta for one epoch, and a SimpleRNN seq2seq adder trained on one-hot digits.",
        reader_epochs=1,
        reader_learning_rate=1.0,  # Adadelta's Keras 2 default, as in the notebook
        reader_batch_size=128,
        adder_epochs=3,
        adder_learning_rate=1e-3,
        adder_batch_size=256,
        fine_tune_epochs=0,  # the notebook chained the parts without fine-tuning
    ),
}


def _conv_bn_relu(filters: int) -> list[layers.Layer]:
    # Bias is redundant before batch norm, which has its own shift.
    return [
        layers.Conv2D(filters, 3, use_bias=False),
        # momentum 0.9: the running statistics settle even in a short training.
        # synchronized: under MirroredStrategy each replica would otherwise
        # keep its own running statistics, and the replicas would read differently.
        layers.BatchNormalization(momentum=0.9, synchronized=True),
        layers.ReLU(),
    ]


def build_reader(architecture: Architecture) -> keras.Model:
    """The digit reader: one (28, 28, 1) image -> 10 digit probabilities."""
    if architecture.name == "reference":
        # The seed notebook's conv stack, layer for layer.
        return keras.Sequential(
            [
                keras.Input(IMAGE_SHAPE),
                layers.Conv2D(32, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Conv2D(64, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Dropout(0.25),
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dropout(0.5),
                layers.Dense(10, activation="softmax"),
            ],
            name="digit_reader",
        )
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            # Small shifts and rotations: handwriting is never centred the same way twice.
            layers.RandomRotation(0.03, fill_mode="constant"),
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),
            *_conv_bn_relu(32),
            *_conv_bn_relu(32),
            layers.MaxPooling2D(),
            *_conv_bn_relu(64),
            *_conv_bn_relu(64),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, use_bias=False),
            layers.BatchNormalization(momentum=0.9, synchronized=True),
            layers.ReLU(),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ],
        name="digit_reader",
    )


def build_adder(
    architecture: Architecture, n_operands: int, n_digits: int, cumulative: bool
) -> keras.Model:
    """The adder: (n_operands * n_digits, 10) digit probabilities -> sum digit probabilities.

    Output (n_sum_digits, 10), most significant first, or
    (n_operands, n_sum_digits, 10) running totals if `cumulative`.
    """
    n_steps = n_sum_digits(n_operands, n_digits)
    probs = keras.Input((n_operands * n_digits, 10), name="digit_probs")
    if architecture.name == "reference":
        # The seed notebook's seq2seq adder: encode the whole sequence of
        # one-hot digits into one vector, repeat it, decode the sum's characters.
        n_out = n_steps * (n_operands if cumulative else 1)
        h = layers.SimpleRNN(128)(probs)
        h = layers.RepeatVector(n_out)(h)
        for _ in range(2):
            h = layers.SimpleRNN(128, return_sequences=True)(h)
        h = layers.Dropout(0.2)(h)
        out = layers.TimeDistributed(layers.Dense(10, activation="softmax"))(h)
        if cumulative:
            out = layers.Reshape((n_operands, n_steps, 10))(out)
        return keras.Model(probs, out, name="adder")
    units = architecture.adder_units
    if architecture.adder == "carry":
        columns = DigitColumns(n_operands, n_digits, n_steps)(probs)
        totals = CarryAdder(units, cumulative=cumulative, name="carry_adder")(columns)
        return keras.Model(probs, ReverseSteps(axis=2 if cumulative else 1)(totals), name="adder")
    column = keras.Input((n_steps, 9 * n_operands + 1), name="column_sums")
    h = layers.GRU(units, return_sequences=True)(column)
    h = layers.Dense(units, activation="relu")(h)
    column_adder = keras.Model(
        column, layers.Dense(10, activation="softmax")(h), name="column_adder"
    )
    columns = ColumnSums(n_operands, n_digits, n_steps, running=cumulative)(probs)
    if cumulative:
        # One column adder serves every running total; the convolution
        # passes through the column sums of each running total anyway.
        out = ReverseSteps(axis=2)(layers.TimeDistributed(column_adder)(columns))
    else:
        out = ReverseSteps()(column_adder(columns))
    return keras.Model(probs, out, name="adder")
