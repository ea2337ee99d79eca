"""Tests of fdmlearn.calculator: data, adder exactness, training, saving, errors."""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import fdmlearn  # noqa: E402
from fdmlearn import calculator  # noqa: E402
from fdmlearn.datasets import mnist_split  # noqa: E402


def _sums(digits: np.ndarray, n_operands: int, n_digits: int) -> np.ndarray:
    place = 10 ** np.arange(n_digits - 1, -1, -1)
    return (digits.reshape(len(digits), n_operands, n_digits) @ place).sum(axis=1)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def adder_2x2() -> calculator.Calculator:
    fdmlearn.set_seed(0)
    return calculator.build_calculator(2, 2).fit_adder(epochs=8, samples=10_000)


@pytest.fixture(scope="module")
def small_calc() -> tuple[calculator.Calculator, calculator.CalculatorDataset]:
    """A 2x1 calculator trained briefly on 1,500 sequences (3,000 digit images)."""
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(1500, n_operands=2, n_digits=1, split="train", seed=0)
    calc = calculator.build_calculator(2, 1)
    calc.fit_reader(train, epochs=2).fit_adder(epochs=6, samples=10_000)
    calc.fine_tune(train, max_sequences=500)
    return calc, calculator.make_dataset(300, n_operands=2, n_digits=1, split="test", seed=1)


# ------------------------------------------------------------------ data


@pytest.mark.parametrize("n_operands,n_digits", [(2, 1), (2, 3), (4, 2)])
def test_dataset_shapes_and_exact_sums(n_operands: int, n_digits: int) -> None:
    data = calculator.make_dataset(50, n_operands, n_digits, split="test", seed=3)
    length = n_operands * n_digits
    assert data.images.shape == (50, length, 28, 28, 1)
    assert data.images.dtype == np.float32
    assert 0.0 <= data.images.min() and data.images.max() <= 1.0
    assert data.digits.shape == (50, length) and data.operands.shape == (50, n_operands)
    assert data.running.shape == (50, n_operands) and data.sums.shape == (50,)
    # Most significant digit first, operand after operand.
    for i in range(5):
        text = "".join(map(str, data.digits[i]))
        numbers = [int(text[k * n_digits : (k + 1) * n_digits]) for k in range(n_operands)]
        assert list(data.operands[i]) == numbers
        assert list(data.running[i]) == list(np.cumsum(numbers))
        assert data.sums[i] == sum(numbers)
    width = calculator.n_sum_digits(n_operands, n_digits)
    assert data.sum_chars.shape == (50, width)
    assert data.running_chars.shape == (50, n_operands, width)


@pytest.mark.parametrize("split", ["train", "test"])
def test_images_come_only_from_their_split(split: str) -> None:
    data = calculator.make_dataset(400, 2, 3, split=split, seed=5)
    images, labels = mnist_split(split)
    assert data.mnist_indices.max() < len(labels)
    np.testing.assert_array_equal(data.digits, labels[data.mnist_indices])
    np.testing.assert_array_equal(
        data.images[..., 0], images[data.mnist_indices].astype(np.float32) / 255
    )


def test_dataset_is_seeded() -> None:
    a = calculator.make_dataset(20, 2, 3, split="test", seed=7)
    b = calculator.make_dataset(20, 2, 3, split="test", seed=7)
    c = calculator.make_dataset(20, 2, 3, split="test", seed=8)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.digits, b.digits)
    assert not np.array_equal(a.digits, c.digits)


def test_dataset_slicing() -> None:
    data = calculator.make_dataset(10, 2, 2, split="test", seed=0)
    part = data[2:5]
    assert len(part) == 3 and part.n_operands == 2
    np.testing.assert_array_equal(part.sums, data.sums[2:5])


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"n_digits": 0}, ValueError, "n_digits"),
        ({"n_operands": 1}, ValueError, "n_operands"),
        ({"n_digits": 2.0}, TypeError, "n_digits"),
        ({"split": "validation"}, ValueError, "split"),
        ({"n": 0}, ValueError, "n must"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_make_dataset_rejects_bad_arguments(kwargs, error, match) -> None:
    args = {"n": 5, "n_operands": 2, "n_digits": 3, "split": "test", "seed": 0} | kwargs
    with pytest.raises(error, match=match):
        calculator.make_dataset(**args)


# ------------------------------------------------------------------ adder


def test_column_sums_layer_is_the_sum_of_each_column() -> None:
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 10, size=(64, 4 * 2))
    layer = calculator.ColumnSums(4, 2, n_steps=3)
    sums = np.asarray(layer(np.eye(10, dtype=np.float32)[digits]))
    assert sums.shape == (64, 3, 37)
    columns = digits.reshape(64, 4, 2)[:, :, ::-1].sum(axis=1)  # least significant first
    np.testing.assert_array_equal(sums.argmax(-1)[:, :2], columns)
    np.testing.assert_array_equal(sums.argmax(-1)[:, 2], 0)  # padding column
    np.testing.assert_allclose(sums.sum(-1), 1.0, atol=1e-6)
    # keep=1: the running total after the first operand only.
    first = np.asarray(calculator.ColumnSums(4, 2, 3, keep=1)(np.eye(10)[digits]))
    np.testing.assert_array_equal(first.argmax(-1)[:, :2], digits[:, 1::-1])


def test_adder_is_exact_on_every_2x2_input(adder_2x2) -> None:
    digits = np.array(list(itertools.product(range(10), repeat=4)))
    np.testing.assert_array_equal(adder_2x2.add_digits(digits), _sums(digits, 2, 2))


def test_adder_is_exact_on_sampled_2x3_inputs() -> None:
    fdmlearn.set_seed(0)
    calc = calculator.build_calculator(2, 3).fit_adder(epochs=6, samples=20_000, seed=1)
    rng = np.random.default_rng(2)
    digits = rng.integers(0, 10, size=(20_000, 6))
    digits[:1000, :3] = 9  # 999 + x: a carry through every position whenever x > 0
    digits[1000:2000, 3:] = 9
    np.testing.assert_array_equal(calc.add_digits(digits), _sums(digits, 2, 3))


def test_cumulative_output_shapes() -> None:
    calc = calculator.build_calculator(4, 2, cumulative=True)
    data = calculator.make_dataset(3, 4, 2, split="test")
    assert calc.predict(data.images).shape == (3, 4)
    assert calc.add_digits(data.digits).shape == (3, 4)
    ref = calculator.build_calculator(4, 2, cumulative=True, architecture="reference")
    assert ref.predict(data.images).shape == (3, 4)


# ------------------------------------------------------------------ training


def test_small_calculator_learns_to_add(small_calc) -> None:
    calc, test = small_calc
    scores = calc.evaluate(test)
    assert scores["n_sequences"] == 300
    assert scores["digit_accuracy"] > 0.85
    assert scores["adder_exact_sum_accuracy"] == 1.0
    assert scores["exact_sum_accuracy"] > 0.7
    pred = calc.predict(test.images)
    assert pred.dtype == np.int64 and pred.shape == (300,)
    assert np.mean(pred == test.sums) == pytest.approx(scores["exact_sum_accuracy"])
    assert set(calc.timings) == {"reader", "adder", "fine_tune"}


def test_uint8_images_are_scaled(small_calc) -> None:
    calc, test = small_calc
    raw = np.round(test.images[:20] * 255).astype(np.uint8)
    np.testing.assert_array_equal(calc.predict(raw), calc.predict(test.images[:20]))
    np.testing.assert_array_equal(calc.predict(raw[..., 0]), calc.predict(raw))


def test_save_and_load_give_identical_predictions(small_calc, tmp_path) -> None:
    calc, test = small_calc
    again = calculator.load_calculator(calc.save(tmp_path / "calc"))
    assert repr(again) == repr(calc)
    np.testing.assert_array_equal(
        again.read_digit_probabilities(test.images), calc.read_digit_probabilities(test.images)
    )
    np.testing.assert_array_equal(again.predict(test.images), calc.predict(test.images))


def test_training_is_deterministic() -> None:
    train = calculator.make_dataset(300, 2, 1, split="train", seed=0)
    test = calculator.make_dataset(100, 2, 1, split="test", seed=1)
    probs, sums = [], []
    for _ in range(2):
        fdmlearn.set_seed(0)
        calc = calculator.build_calculator(2, 1)
        calc.fit_reader(train, epochs=1).fit_adder(epochs=1, samples=2000)
        probs.append(calc.read_digit_probabilities(test.images))
        sums.append(calc.add_digits(test.digits))
    np.testing.assert_allclose(probs[0], probs[1], atol=1e-5)
    np.testing.assert_array_equal(sums[0], sums[1])


def test_reference_architecture_trains_and_saves(tmp_path) -> None:
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(200, 2, 3, split="train", seed=0)
    test = calculator.make_dataset(50, 2, 3, split="test", seed=1)
    calc = calculator.build_calculator(2, 3, architecture="reference").fit(train)
    assert "fine_tune" not in calc.timings  # the notebook chained without fine-tuning
    assert calc.model.output_shape == (None, 4, 10)
    scores = calc.evaluate(test)
    assert 0.0 <= scores["char_accuracy"] <= 1.0
    again = calculator.load_calculator(calc.save(tmp_path / "ref"))
    np.testing.assert_array_equal(again.predict(test.images), calc.predict(test.images))


def test_a_reader_can_be_shared(small_calc) -> None:
    calc, _ = small_calc
    other = calculator.build_calculator(3, 2, cumulative=True, reader=calc.reader)
    assert other.reader is calc.reader
    with pytest.raises(ValueError, match="reader must map"):
        calculator.build_calculator(2, 1, reader=calc.adder)


def test_fit_accepts_a_distribution_strategy() -> None:
    import tensorflow as tf

    fdmlearn.set_seed(0)
    train = calculator.make_dataset(100, 2, 1, split="train", seed=0)
    calc = calculator.build_calculator(2, 1)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    calc.fit_reader(train, epochs=1, strategy=strategy)
    calc.fit_adder(epochs=1, samples=500, strategy=strategy)
    assert calc.predict(train.images[:4]).shape == (4,)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "images,error,match",
    [
        (np.zeros((2, 6, 28, 28, 1, 1), np.float32), ValueError, "shape"),
        (np.zeros((2, 28, 28), np.float32), ValueError, "shape"),
        (np.zeros((2, 5, 28, 28, 1), np.float32), ValueError, "sequences of 6 digits"),
        (np.zeros((2, 6, 32, 32, 1), np.float32), ValueError, "28x28"),
        (np.zeros((2, 6, 28, 28, 1), np.int32), TypeError, "dtype"),
        (np.full((2, 6, 28, 28, 1), 255.0, np.float32), ValueError, r"\[0, 1\]"),
    ],
)
def test_predict_rejects_bad_images(images, error, match) -> None:
    calc = calculator.build_calculator(2, 3)
    with pytest.raises(error, match=match):
        calc.predict(images)


def test_bad_builder_and_dataset_arguments() -> None:
    with pytest.raises(ValueError, match="architecture"):
        calculator.build_calculator(architecture="transformer")
    with pytest.raises(ValueError, match="n_operands"):
        calculator.build_calculator(n_operands=1)
    with pytest.raises(ValueError, match="n_digits"):
        calculator.build_calculator(n_digits=0)
    calc = calculator.build_calculator(2, 3)
    with pytest.raises(TypeError, match="CalculatorDataset"):
        calc.fit(np.zeros((4, 6, 28, 28, 1)))
    with pytest.raises(ValueError, match="3 operands of 1 digits"):
        calc.evaluate(calculator.make_dataset(4, 3, 1, split="test"))
    with pytest.raises(ValueError, match="reference adder"):
        calculator.build_calculator(2, 3, architecture="reference").fit_adder()
    with pytest.raises(ValueError, match="0..9"):
        calc.add_digits([[1, 2, 3, 4, 5, 10]])


def test_load_calculator_needs_a_saved_directory(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="calculator.json"):
        calculator.load_calculator(tmp_path)


# ------------------------------------------------------------------ analysis


def test_confusion_matrix_counts() -> None:
    counts = calculator.confusion_matrix([[1, 7], [7, 3]], [[1, 1], [7, 3]])
    assert counts.sum() == 4 and counts[7, 1] == 1 and counts[7, 7] == 1
    with pytest.raises(ValueError, match="same shape"):
        calculator.confusion_matrix([1, 2], [1])


def test_figures(small_calc) -> None:
    from matplotlib.figure import Figure

    calc, test = small_calc
    for fig in (
        calculator.plot_gallery(calc, test, n=4),
        calculator.plot_mistakes(calc, test),
        calculator.plot_confusion_matrix(calc, test),
    ):
        assert isinstance(fig, Figure) and fig.axes
        matplotlib.pyplot.close(fig)


# ------------------------------------------------------------------ full scale


@pytest.mark.slow
def test_full_scale_targets() -> None:
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(60_000, 2, 3, split="train", seed=0)
    test = calculator.make_dataset(10_000, 2, 3, split="test", seed=1)
    calc = calculator.build_calculator(2, 3).fit(train)
    scores = calc.evaluate(test)
    assert scores["adder_exact_sum_accuracy"] == 1.0
    assert scores["digit_accuracy"] >= 0.995
    assert scores["exact_sum_accuracy"] >= 0.97
