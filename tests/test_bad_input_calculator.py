"""Bad input to fdmlearn.calculator: each case names the call, the exception and the message.

Wrong type -> TypeError, wrong value -> ValueError, out-of-range index ->
IndexError, unreadable file -> LoadError; the message names the argument.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from fdmlearn import calculator
from fdmlearn.errors import LoadError


@pytest.fixture(scope="module")
def env():
    calc = calculator.build_calculator(2, 1)
    data = calculator.make_dataset(6, 2, 1, split="test", seed=0)
    return {
        "calc": calc,
        "ref": calculator.build_calculator(2, 1, architecture="reference"),
        "data": data,
        "other": calculator.make_dataset(2, 1 + 1, 2, split="test", seed=0),
        "x": data.images,
        "nan": _replaced(data, np.nan),
        "255": _replaced(data, 255.0),
        "ragged nan": _replaced(MD(3, n_digits=(1, 2), split="test", seed=0), np.nan),
    }


def _replaced(data, value):
    """A copy of `data` whose images were swapped after its checks for ones holding `value`."""
    data = data[:]
    images = np.array(data.images)
    images.flat[images.size // 2] = value
    object.__setattr__(data, "images", images)
    return data


def _images(**change):
    x = np.random.default_rng(0).random((2, 2, 28, 28, 1)).astype(np.float32)
    if "value" in change:
        x[0, 1, 5, 5, 0] = change["value"]
    return x


def _write(array):
    array.flat[0] = array.flat[0]


MD = calculator.make_dataset
BC = calculator.build_calculator

CASES = [
    # make_dataset
    ("n=0", lambda e: MD(0), ValueError, r"n must be an integer >= 1, got 0"),
    ("n=1.5", lambda e: MD(1.5), TypeError, r"n must be an integer"),
    ("n_operands=1", lambda e: MD(2, n_operands=1), ValueError, r"n_operands must .* >= 2"),
    ("n_digits=0", lambda e: MD(2, n_digits=0), ValueError, r"n_digits must .*>= 1"),
    ("n_digits=16", lambda e: MD(2, n_digits=16), ValueError, r"n_digits must .*<= 15"),
    ("n_digits=2.0", lambda e: MD(2, n_digits=2.0), TypeError, r"n_digits must be an integer"),
    ("split unknown", lambda e: MD(2, split="validation"), ValueError, r"split must be one of"),
    ("split=3", lambda e: MD(2, split=3), TypeError, r"split must be one of"),
    ("seed=-1", lambda e: MD(2, seed=-1), ValueError, r"seed must be an integer >= 0"),
    ("seed='a'", lambda e: MD(2, seed="a"), TypeError, r"seed must be an integer"),
    ("seed=1.5", lambda e: MD(2, seed=1.5), TypeError, r"seed must be an integer"),
    (
        "too many images",
        lambda e: MD(100_000, n_operands=100, n_digits=15),
        ValueError,
        r"150,000,000 digit images .* MAX_IMAGES",
    ),
    ("n_sum_digits(1, 3)", lambda e: calculator.n_sum_digits(1, 3), ValueError, r"n_operands"),
    # build_calculator
    ("n_operands=101", lambda e: BC(101, 1), ValueError, r"n_operands must .*<= 100"),
    ("n_operands=2.5", lambda e: BC(2.5, 1), TypeError, r"n_operands must be an integer"),
    ("architecture unknown", lambda e: BC(architecture="transformer"), ValueError, "architecture"),
    ("architecture=3", lambda e: BC(architecture=3), TypeError, r"architecture must be one of"),
    ("cumulative='yes'", lambda e: BC(cumulative="yes"), TypeError, r"cumulative must be True"),
    ("reader='cnn'", lambda e: BC(reader="cnn"), TypeError, r"reader must be a keras.Model"),
    ("reader=adder", lambda e: BC(2, 1, reader=e["calc"].adder), ValueError, r"reader must map"),
    ("adder_units=0", lambda e: BC(adder_units=0), ValueError, r"adder_units must .*>= 1"),
    ("strategy='gpu'", lambda e: BC(strategy="gpu"), TypeError, r"strategy must be a tf"),
    (
        "Architecture name",
        lambda e: calculator.Architecture(name="big", description=""),
        ValueError,
        r"name must be one of",
    ),
    (
        "Architecture rate 0",
        lambda e: dataclasses.replace(
            calculator.ARCHITECTURES["default"], reader_learning_rate=0.0
        ),
        ValueError,
        r"reader_learning_rate must be a number > 0",
    ),
    # fit_reader
    ("train=array", lambda e: e["calc"].fit_reader(e["x"]), TypeError, r"train must be a Calc"),
    (
        "train other layout",
        lambda e: e["calc"].fit_reader(e["other"]),
        ValueError,
        r"train holds 2 operands of 2 digits",
    ),
    ("epochs=1.5", lambda e: e["calc"].fit_reader(e["data"], epochs=1.5), TypeError, r"epochs"),
    ("epochs=-1", lambda e: e["calc"].fit_reader(e["data"], epochs=-1), ValueError, r"epochs"),
    (
        "learning_rate=0",
        lambda e: e["calc"].fit_reader(e["data"], learning_rate=0),
        ValueError,
        r"learning_rate must be a number > 0, got 0",
    ),
    (
        "learning_rate<0",
        lambda e: e["calc"].fit_reader(e["data"], learning_rate=-1e-3),
        ValueError,
        r"learning_rate must be a number > 0",
    ),
    (
        "learning_rate=inf",
        lambda e: e["calc"].fit_reader(e["data"], learning_rate=float("inf")),
        ValueError,
        r"learning_rate must be a finite number",
    ),
    (
        "learning_rate='fast'",
        lambda e: e["calc"].fit_reader(e["data"], learning_rate="fast"),
        TypeError,
        r"learning_rate must be a real number",
    ),
    (
        "batch_size=0",
        lambda e: e["calc"].fit_reader(e["data"], batch_size=0),
        ValueError,
        r"batch_size",
    ),
    ("verbose=3", lambda e: e["calc"].fit_reader(e["data"], verbose=3), ValueError, r"verbose"),
    ("verbose=True", lambda e: e["calc"].fit_reader(e["data"], verbose=True), TypeError, "verbose"),
    (
        "callbacks='x'",
        lambda e: e["calc"].fit_reader(e["data"], epochs=1, callbacks="x"),
        TypeError,
        r"callbacks must be a list",
    ),
    (
        "validation other layout",
        lambda e: e["calc"].fit_reader(e["data"], validation=e["other"]),
        ValueError,
        r"validation holds",
    ),
    (
        "supervision='labels'",
        lambda e: e["calc"].fit_reader(e["data"], supervision="labels"),
        ValueError,
        r"supervision must be one of 'digits', 'sum'",
    ),
    (
        "fit supervision=None",
        lambda e: e["calc"].fit(e["data"], supervision=None),
        TypeError,
        r"supervision must be one of",
    ),
    (
        "replace=False, too many",
        lambda e: MD(6000, n_operands=2, n_digits=1, split="test", replace=False),
        ValueError,
        r"replace=False uses each image once, but 6000 sequences of 2 images need 12,000",
    ),
    ("replace='no'", lambda e: MD(2, replace="no"), TypeError, r"replace must be True or False"),
    # fit_adder, fine_tune, fit
    ("reference adder, no train", lambda e: e["ref"].fit_adder(), ValueError, r"train is required"),
    ("samples=0", lambda e: e["calc"].fit_adder(samples=0), ValueError, r"samples must"),
    ("adder seed=-1", lambda e: e["calc"].fit_adder(seed=-1), ValueError, r"seed must"),
    (
        "adder learning_rate=0",
        lambda e: e["calc"].fit_adder(learning_rate=0.0),
        ValueError,
        r"learning_rate must be a number > 0",
    ),
    (
        "max_sequences=0",
        lambda e: e["calc"].fine_tune(e["data"], max_sequences=0),
        ValueError,
        r"max_sequences",
    ),
    (
        "fine_tune epochs=1.5",
        lambda e: e["calc"].fine_tune(e["data"], epochs=1.5),
        TypeError,
        r"epochs must be an integer",
    ),
    (
        "fine_tune learning_rate=-1",
        lambda e: e["calc"].fine_tune(e["data"], learning_rate=-1),
        ValueError,
        r"learning_rate must be a number > 0",
    ),
    ("fit(array)", lambda e: e["calc"].fit(e["x"]), TypeError, r"train must be a Calc"),
    (
        "fit epochs=1.5",
        lambda e: e["calc"].fit(e["data"], reader_epochs=1.5),
        TypeError,
        r"epochs must be an integer",
    ),
    # predict and reading
    (
        "uint8 images",
        lambda e: e["calc"].predict((_images() * 255).astype(np.uint8)),
        TypeError,
        r"images holds integers .* divide 8-bit images by 255",
    ),
    (
        "0..255 floats",
        lambda e: e["calc"].predict(_images() * 255),
        ValueError,
        r"images must hold pixels in \[0, 1\].*divide them by 255",
    ),
    ("NaN pixel", lambda e: e["calc"].predict(_images(value=np.nan)), ValueError, "finite"),
    ("inf pixel", lambda e: e["calc"].predict(_images(value=np.inf)), ValueError, "finite"),
    ("negative pixel", lambda e: e["calc"].predict(_images(value=-0.5)), ValueError, r"\[0, 1\]"),
    (
        "wrong sequence length",
        lambda e: e["calc"].predict(np.zeros((2, 3, 28, 28, 1), np.float32)),
        ValueError,
        r"images must be sequences of 2 digits",
    ),
    (
        "32x32 images",
        lambda e: e["calc"].predict(np.zeros((2, 2, 32, 32, 1), np.float32)),
        ValueError,
        r"images must be 28x28",
    ),
    (
        "6-d images",
        lambda e: e["calc"].predict(np.zeros((2, 2, 28, 28, 1, 1), np.float32)),
        ValueError,
        r"images must have shape",
    ),
    ("string images", lambda e: e["calc"].predict("digits.png"), TypeError, r"images must be"),
    (
        "dataset of another layout",
        lambda e: e["calc"].predict(e["other"]),
        ValueError,
        r"images holds 2 operands of 2 digits",
    ),
    (
        "read batch_size=0",
        lambda e: e["calc"].read_digit_probabilities(e["x"], batch_size=0),
        ValueError,
        "batch_size",
    ),
    ("digit 10", lambda e: e["calc"].add_digits([[1, 10]]), ValueError, r"digits must be <= 9"),
    ("float digits", lambda e: e["calc"].add_digits([[1.0, 2.0]]), TypeError, r"digits must be"),
    ("digits shape", lambda e: e["calc"].add_digits([[1, 2, 3]]), ValueError, r"digits must have"),
    ("evaluate(array)", lambda e: e["calc"].evaluate(e["x"]), TypeError, r"dataset must be a"),
    (
        "evaluate(empty)",
        lambda e: e["calc"].evaluate(e["data"][[]]),
        ValueError,
        r"dataset must hold at least one",
    ),
    # ragged input
    (
        "101 operands",
        lambda e: e["calc"].predict([[np.zeros((1, 28, 28), np.float32)] * 101]),
        ValueError,
        r"sequences\[0\] holds 101 operands; a calculator adds 1 to 100",
    ),
    (
        "16-digit operand",
        lambda e: e["calc"].predict([[np.zeros((16, 28, 28), np.float32)]]),
        ValueError,
        r"sequences\[0\]\[0\] must hold 1 to 15 digit images, got 16",
    ),
    (
        "empty operand",
        lambda e: e["calc"].predict([[np.zeros((0, 28, 28), np.float32)]]),
        ValueError,
        r"must hold 1 to 15 digit images, got 0",
    ),
    (
        "empty sequence",
        lambda e: e["calc"].predict([[]]),
        ValueError,
        r"sequences\[0\] holds 0 operands",
    ),
    (
        "ragged 32x32",
        lambda e: e["calc"].predict([[np.zeros((2, 32, 32), np.float32)]]),
        ValueError,
        r"sequences\[0\]\[0\] must hold 28x28",
    ),
    (
        "ragged NaN",
        lambda e: e["calc"].predict([[np.full((2, 28, 28), np.nan, np.float32)]]),
        ValueError,
        r"sequences\[0\]\[0\] must hold finite",
    ),
    (
        "ragged uint8",
        lambda e: e["calc"].predict([[np.zeros((2, 28, 28), np.uint8)]]),
        TypeError,
        r"sequences\[0\]\[0\] holds integers .* divide",
    ),
    (
        "ragged digit 10",
        lambda e: e["calc"].add_digits([[[1, 10], [2]]]),
        ValueError,
        r"digits\[0\]\[0\] must be <= 9",
    ),
    (
        "ragged reference",
        lambda e: e["ref"].predict([[e["x"][0]]]),
        ValueError,
        r"need the carry adder",
    ),
    (
        "cumulative='yes'",
        lambda e: e["calc"].predict(e["x"], cumulative="yes"),
        TypeError,
        r"cumulative must be True or False",
    ),
    (
        "n_digits=(3, 1)",
        lambda e: MD(2, n_digits=(3, 1)),
        ValueError,
        r"n_digits\[1\] must be an integer >= 3",
    ),
    ("n_digits=(0, 2)", lambda e: MD(2, n_digits=(0, 2)), ValueError, r"n_digits\[0\] must"),
    ("n_digits=(1, 2, 3)", lambda e: MD(2, n_digits=(1, 2, 3)), ValueError, r"n_digits must be"),
    (
        "fit a ragged dataset",
        lambda e: e["calc"].fine_tune(MD(3, n_digits=(1, 2))),
        ValueError,
        r"train holds 2 operands of \(1, 2\) digits",
    ),
    # dataset indexing
    ("index 6", lambda e: e["data"][6], IndexError, r"index 6 is out of range"),
    ("index -7", lambda e: e["data"][-7], IndexError, r"index -7 is out of range"),
    ("index 'a'", lambda e: e["data"]["a"], TypeError, r"index must be an integer"),
    ("short mask", lambda e: e["data"][np.ones(2, bool)], IndexError, r"boolean index"),
    ("float index", lambda e: e["data"][np.array([0.5])], TypeError, r"index array must hold"),
    # saving and loading
    ("save .h5", lambda e: e["calc"].save("calc.h5"), ValueError, r"path must end in '.keras'"),
    ("save path=3", lambda e: e["calc"].save(3), TypeError, r"path must be a str"),
    (
        "save into a missing folder",
        lambda e: e["calc"].save("/no/such/folder/c.keras"),
        FileNotFoundError,
        r"folder .* not found",
    ),
    ("load missing", lambda e: calculator.load_calculator("nope.keras"), LoadError, "no such"),
    ("load path=None", lambda e: calculator.load_calculator(None), TypeError, r"path must be"),
    # analysis and figures
    (
        "confusion digit 10",
        lambda e: calculator.confusion_matrix([10], [1]),
        ValueError,
        r"true_digits must be <= 9",
    ),
    (
        "confusion shapes",
        lambda e: calculator.confusion_matrix([1, 2], [1]),
        ValueError,
        r"same shape",
    ),
    ("gallery n=0", lambda e: calculator.plot_gallery(e["calc"], e["data"], n=0), ValueError, "n"),
    (
        "mistakes max_images=0",
        lambda e: calculator.plot_mistakes(e["calc"], e["data"], max_images=0),
        ValueError,
        r"max_images",
    ),
    (
        "confusion plot other layout",
        lambda e: calculator.plot_confusion_matrix(e["calc"], e["other"]),
        ValueError,
        r"dataset holds 2 operands",
    ),
    (
        "gallery calc='abc'",
        lambda e: calculator.plot_gallery("abc", e["data"]),
        TypeError,
        r"calc must be a Calculator",
    ),
    (
        "mistakes calc=None",
        lambda e: calculator.plot_mistakes(None, e["data"]),
        TypeError,
        r"calc must be a Calculator",
    ),
    (
        "confusion plot calc=1",
        lambda e: calculator.plot_confusion_matrix(1, e["data"]),
        TypeError,
        r"calc must be a Calculator",
    ),
    # sizes beyond what fits in memory, checked up front
    (
        "adder_units=10**9",
        lambda e: BC(2, 1, adder_units=10**9),
        ValueError,
        r"adder_units must .*<= 4096",
    ),
    (
        "fit_adder samples=10**10",
        lambda e: e["calc"].fit_adder(samples=10**10),
        ValueError,
        r"samples must .*<= 10000000",
    ),
    # a dataset's images replaced after its checks are checked again where it is used
    (
        "predict replaced nan",
        lambda e: e["calc"].predict(e["nan"]),
        ValueError,
        r"images\.images must hold finite.*changed since",
    ),
    (
        "predict replaced 255",
        lambda e: e["calc"].predict(e["255"]),
        ValueError,
        r"images\.images must hold pixels in \[0, 1\].*255",
    ),
    (
        "predict ragged replaced",
        lambda e: e["calc"].predict(e["ragged nan"]),
        ValueError,
        r"images\.images must hold finite",
    ),
    (
        "evaluate ragged replaced",
        lambda e: e["calc"].evaluate(e["ragged nan"]),
        ValueError,
        r"dataset\.images must hold finite",
    ),
    (
        "read_digits replaced",
        lambda e: e["calc"].read_digits(e["nan"]),
        ValueError,
        r"images\.images must hold finite",
    ),
    (
        "evaluate replaced",
        lambda e: e["calc"].evaluate(e["nan"]),
        ValueError,
        r"dataset\.images must hold finite",
    ),
    (
        "fit_reader replaced",
        lambda e: e["calc"].fit_reader(e["nan"], epochs=1, verbose=0),
        ValueError,
        r"train\.images must hold finite",
    ),
    (
        "fit_reader validation replaced",
        lambda e: e["calc"].fit_reader(e["data"], epochs=1, validation=e["nan"], verbose=0),
        ValueError,
        r"validation\.images must hold finite",
    ),
    (
        "fit_adder replaced",
        lambda e: e["calc"].fit_adder(e["255"], epochs=1, samples=8, verbose=0),
        ValueError,
        r"train\.images must hold pixels in \[0, 1\]",
    ),
    (
        "fine_tune replaced",
        lambda e: e["calc"].fine_tune(e["nan"], verbose=0),
        ValueError,
        r"train\.images must hold finite",
    ),
    (
        "fit replaced",
        lambda e: e["calc"].fit(
            e["nan"], reader_epochs=1, adder_epochs=1, fine_tune_epochs=0, verbose=0
        ),
        ValueError,
        r"train\.images must hold finite",
    ),
    (
        "fit validation replaced",
        lambda e: e["calc"].fit(
            e["data"],
            reader_epochs=1,
            adder_epochs=1,
            fine_tune_epochs=0,
            validation=e["nan"],
            verbose=0,
        ),
        ValueError,
        r"validation\.images must hold finite",
    ),
    # a dataset's arrays are read-only: a NaN cannot slip in after the checks
    ("write images", lambda e: _write(e["data"].images), ValueError, r"read-only"),
    ("write digits", lambda e: _write(e["data"].digits), ValueError, r"read-only"),
    ("write sums", lambda e: _write(e["data"].sums), ValueError, r"read-only"),
    ("write indexed images", lambda e: _write(e["data"][:2].images), ValueError, r"read-only"),
    # layers and the sum loss
    ("ColumnSums(0, 1, 1)", lambda e: calculator.ColumnSums(0, 1, 1), ValueError, r"n_operands"),
    ("ColumnSums(2, 0, 1)", lambda e: calculator.ColumnSums(2, 0, 1), ValueError, r"n_digits"),
    ("ColumnSums(1.5, 1, 1)", lambda e: calculator.ColumnSums(1.5, 1, 1), TypeError, "n_operands"),
    (
        "ColumnSums(1000, 15, 16)",
        lambda e: calculator.ColumnSums(1000, 15, 16),
        ValueError,
        r"n_operands must .*<= 100",
    ),
    (
        "ColumnSums n_steps < n_digits",
        lambda e: calculator.ColumnSums(2, 3, 2),
        ValueError,
        r"n_steps must .*>= 3",
    ),
    (
        "ColumnSums keep=-1",
        lambda e: calculator.ColumnSums(2, 2, 3, keep=-1),
        ValueError,
        r"keep must",
    ),
    ("CarryAdder units=1.5", lambda e: calculator.CarryAdder(units=1.5), TypeError, r"units"),
    ("CarryAdder units=0", lambda e: calculator.CarryAdder(units=0), ValueError, r"units must"),
    ("CarryAdder units=-1", lambda e: calculator.CarryAdder(units=-1), ValueError, r"units"),
    (
        "CarryAdder cumulative='yes'",
        lambda e: calculator.CarryAdder(cumulative="yes"),
        TypeError,
        r"cumulative must be True or False",
    ),
    ("DigitColumns(0, 1, 1)", lambda e: calculator.DigitColumns(0, 1, 1), ValueError, "n_operands"),
    ("SumLikelihood(0, 3)", lambda e: calculator.SumLikelihood(0, 3), ValueError, r"n_operands"),
    ("SumLikelihood(2, 0)", lambda e: calculator.SumLikelihood(2, 0), ValueError, r"n_digits"),
    ("ReverseSteps(axis='a')", lambda e: calculator.ReverseSteps(axis="a"), TypeError, r"axis"),
    (
        "gallery of an array",
        lambda e: calculator.plot_gallery(e["calc"], e["x"]),
        TypeError,
        r"dataset must be a CalculatorDataset",
    ),
]


@pytest.mark.parametrize("call,error,match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(env, call, error, match) -> None:
    with pytest.raises(error, match=match):
        call(env)


def test_layers_round_trip_their_config() -> None:
    for layer in (
        calculator.ColumnSums(2, 2, 3, keep=1, running=True),
        calculator.DigitColumns(3, 2, 3),
        calculator.CarryAdder(units=8, cumulative=False),
        calculator.ReverseSteps(axis=2),
    ):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    loss = calculator.SumLikelihood(3, 2)
    assert calculator.SumLikelihood.from_config(loss.get_config()).n_digits == 2


def test_a_hand_built_dataset_copies_the_callers_arrays() -> None:
    data = calculator.make_dataset(2, 2, 1, split="test", seed=0)
    images = np.array(data.images)
    built = calculator.CalculatorDataset(
        images, np.array(data.digits), None, data.sums, None, data.mnist_indices, "test", 2, 1
    )
    assert images.flags.writeable and not built.images.flags.writeable


def test_a_refused_fit_leaves_the_weights_alone(env) -> None:
    calc, data = env["calc"], env["data"]
    before = [w.copy() for w in calc.keras_model.get_weights()]
    for call in (
        lambda: calc.fit_reader(data, learning_rate=0),
        lambda: calc.fit_adder(epochs=1.5),
        lambda: calc.fine_tune(env["other"]),
        lambda: calc.fit(env["nan"], reader_epochs=1, adder_epochs=1, verbose=0),
        lambda: calc.fit(data, reader_epochs=1, adder_epochs=1, validation=env["nan"], verbose=0),
        # a later stage's bad setting is refused before the reader trains
        lambda: calc.fit(data, reader_epochs=1, adder_epochs=-1, verbose=0),
        lambda: calc.fit(data, reader_epochs=1, adder_epochs=1, fine_tune_epochs=1.5, verbose=0),
        lambda: calc.fit(data, reader_epochs=1, adder_epochs=1, seed=-1, verbose=0),
        lambda: calc.fit(data, reader_epochs=1, adder_epochs=1, callbacks="x", verbose=0),
        lambda: calc.fit(data, reader_epochs=1, adder_epochs=1, verbose=3),
    ):
        with pytest.raises((TypeError, ValueError)):
            call()
    for a, b in zip(before, calc.keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_valid_unusual_inputs_are_accepted(env) -> None:
    calc, data = env["calc"], env["data"]
    assert calc.predict(data.images[..., 0]).shape == (6,)  # no channel axis
    assert calc.predict(data.images.astype(np.float64)).shape == (6,)
    assert calc.add_digits(np.array([[1, 2]], dtype=np.uint8)).shape == (1,)
    assert len(calculator.make_dataset(np.int64(2), np.int32(2), np.int16(1), seed=np.uint8(3)))
    assert calc.fit_reader(data, epochs=np.int64(0)).history == {}
    assert calc.fit_adder(epochs=0, learning_rate=np.float32(0.01)).history == {}
    assert isinstance(calc.keras_model, keras.Model)
