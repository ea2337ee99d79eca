"""Tests of fdmlearn.calculator: data, exact sums, adder exactness, training, saving, strategies."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pytest

import fdmlearn
from fdmlearn import calculator
from fdmlearn.calculator.data import from_chars, running_totals, to_chars
from fdmlearn.datasets import mnist_split
from fdmlearn.errors import LoadError, NonFiniteLossError


def _sums(digits: np.ndarray, n_operands: int, n_digits: int) -> np.ndarray:
    place = 10 ** np.arange(n_digits - 1, -1, -1)
    return (digits.reshape(len(digits), n_operands, n_digits) @ place).sum(axis=1)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def adder_2x2() -> calculator.Calculator:
    fdmlearn.set_seed(0)
    calc = calculator.build_calculator(2, 2)
    calc.fit_adder(epochs=8, samples=10_000, verbose=0)
    return calc


@pytest.fixture(scope="module")
def small_calc() -> tuple[calculator.Calculator, calculator.CalculatorDataset]:
    """A 2x1 calculator trained briefly on 1,500 sequences (3,000 digit images)."""
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(1500, n_operands=2, n_digits=1, split="train", seed=0)
    calc = calculator.build_calculator(2, 1)
    calc.fit_reader(train, epochs=2, verbose=0)
    calc.fit_adder(epochs=6, samples=10_000, verbose=0)
    calc.fine_tune(train, max_sequences=500, verbose=0)
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
    for i in range(5):  # most significant digit first, operand after operand
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


def test_dataset_seeds() -> None:
    a = calculator.make_dataset(20, 2, 3, split="test", seed=7)
    b = calculator.make_dataset(20, 2, 3, split="test", seed=np.int64(7))
    c = calculator.make_dataset(20, 2, 3, split="test", seed=8)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.digits, c.digits)
    rng = np.random.default_rng(7)
    d = calculator.make_dataset(20, 2, 3, split="test", seed=rng)
    e = calculator.make_dataset(20, 2, 3, split="test", seed=rng)  # the generator advanced
    np.testing.assert_array_equal(d.digits, a.digits)
    assert not np.array_equal(d.digits, e.digits)
    assert len(calculator.make_dataset(3, seed=None)) == 3


@pytest.mark.parametrize(
    "index",
    [-1, 3, np.int64(-2), slice(2, 5), slice(None, None, -3), [0, -1, 4], np.array([7, 7])],
)
def test_dataset_indexes_like_numpy(index) -> None:
    data = calculator.make_dataset(10, 2, 2, split="test", seed=0)
    part = data[index]
    expected = np.arange(10)[index]
    np.testing.assert_array_equal(part.sums, np.atleast_1d(data.sums[expected]))
    np.testing.assert_array_equal(part.images, data.images[np.atleast_1d(expected)])
    assert part.n_operands == 2 and part.n_digits == 2


def test_dataset_boolean_mask_and_range() -> None:
    data = calculator.make_dataset(10, 2, 2, split="test", seed=0)
    mask = data.sums > 100
    np.testing.assert_array_equal(data[mask].sums, data.sums[mask])
    assert len(data[np.zeros(10, bool)]) == 0
    with pytest.raises(IndexError, match="out of range"):
        data[10]
    with pytest.raises(IndexError, match="out of range"):
        data[[0, -11]]
    with pytest.raises(IndexError, match="length"):
        data[np.ones(3, bool)]


def test_sums_never_overflow() -> None:
    # 20,000 operands of 15 nines: far beyond int64, exact as Python ints.
    big = 10**15 - 1
    operands = np.full((1, 20_000), big, dtype=np.int64)
    running = running_totals(operands, 15)
    assert running.dtype == object and running[0, -1] == 20_000 * big
    assert running[0, 9_000] == 9_001 * big
    width = calculator.n_sum_digits(20_000, 15)
    assert width == len(str(20_000 * big)) == 20
    np.testing.assert_array_equal(from_chars(to_chars(running[:, -5:], width)), running[:, -5:])
    # Small layouts keep int64 sums.
    assert running_totals(operands[:, :100], 15).dtype == np.int64


def test_dataset_reprs_are_short() -> None:
    data = calculator.make_dataset(200, 4, 3, split="test", seed=0)
    assert repr(data) == "CalculatorDataset(n=200, n_operands=4, n_digits=3, split='test')"
    page = data._repr_html_()
    assert page.count("<img") == 3 and "197 more" in page
    assert f"= {data.sums[0]}" in page and len(page) < 40_000
    long = calculator.make_dataset(2, 100, 15, split="test", seed=0)
    assert len(long._repr_html_()) < 40_000


def test_hand_built_dataset_is_checked() -> None:
    data = calculator.make_dataset(3, 2, 1, split="test", seed=0)
    fields = {f: getattr(data, f) for f in calculator.CalculatorDataset.__dataclass_fields__}
    again = calculator.CalculatorDataset(**fields)
    np.testing.assert_array_equal(again.sums, data.sums)
    with pytest.raises(ValueError, match="sums must be"):
        calculator.CalculatorDataset(**(fields | {"sums": data.sums + 1}))
    nan = data.images.copy()
    nan[0, 0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="images must hold finite"):
        calculator.CalculatorDataset(**(fields | {"images": nan}))


# ------------------------------------------------------------------ the column sums


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
    first = np.asarray(calculator.ColumnSums(4, 2, 3, keep=1)(np.eye(10)[digits]))
    np.testing.assert_array_equal(first.argmax(-1)[:, :2], digits[:, 1::-1])
    # running=True gives every running total's column sums at once.
    every = np.asarray(calculator.ColumnSums(4, 2, 3, running=True)(np.eye(10)[digits]))
    for k in range(1, 5):
        kept = np.asarray(calculator.ColumnSums(4, 2, 3, keep=k)(np.eye(10)[digits]))
        np.testing.assert_allclose(every[:, k - 1], kept, atol=1e-6)


def test_column_sums_of_soft_digits_is_a_convolution() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(10), size=(5, 3)).astype(np.float32)  # 3 operands, 1 digit
    out = np.asarray(calculator.ColumnSums(3, 1, n_steps=1)(probs))[:, 0]
    for b in range(5):
        expected = np.convolve(np.convolve(probs[b, 0], probs[b, 1]), probs[b, 2])
        np.testing.assert_allclose(out[b], expected, atol=1e-6)


def test_column_sums_of_100_operands_is_exact_and_small() -> None:
    # The former (9n+1) x 10 x (9n+1) table needed 7.2 GB here; this runs in megabytes.
    rng = np.random.default_rng(2)
    digits = rng.integers(0, 10, size=(2, 100 * 3))
    digits[1] = 9
    out = np.asarray(calculator.ColumnSums(100, 3, n_steps=4)(np.eye(10, dtype="float32")[digits]))
    columns = digits.reshape(2, 100, 3)[:, :, ::-1].sum(axis=1)
    np.testing.assert_array_equal(out.argmax(-1)[:, :3], columns)
    assert out.shape == (2, 4, 901) and columns[1, 0] == 900


def test_layers_round_trip_through_keras_config() -> None:
    layer = calculator.ColumnSums(3, 2, 4, keep=2)
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert (again.n_operands, again.n_digits, again.n_steps, again.keep) == (3, 2, 4, 2)
    rev = keras.layers.deserialize(keras.layers.serialize(calculator.ReverseSteps(axis=2)))
    assert rev.axis == 2


# ------------------------------------------------------------------ the adder


def test_adder_is_exact_on_every_2x2_input(adder_2x2) -> None:
    digits = np.array(list(itertools.product(range(10), repeat=4)))
    np.testing.assert_array_equal(adder_2x2.add_digits(digits), _sums(digits, 2, 2))


@pytest.fixture(scope="module")
def adder_2x3() -> calculator.Calculator:
    fdmlearn.set_seed(0)
    calc = calculator.build_calculator(2, 3)
    calc.fit_adder(epochs=10, samples=20_000, seed=1, verbose=0)
    return calc


def test_adder_is_exact_on_sampled_2x3_inputs(adder_2x3) -> None:
    rng = np.random.default_rng(2)
    digits = rng.integers(0, 10, size=(20_000, 6))
    digits[:1000, :3] = 9  # 999 + x: a carry through every position unless x ends in 0
    digits[1000:2000, 3:] = 9
    np.testing.assert_array_equal(adder_2x3.add_digits(digits), _sums(digits, 2, 3))


def test_the_adder_generalises_to_longer_numbers_and_more_operands(adder_2x3) -> None:
    # Trained on two 3-digit numbers; tested on 2 to 8 numbers of 1 to 12
    # digits, every running total. (docs/results/calculator.json records the
    # same check on 100,000 sums; 20,000 keep the test fast.)
    rng = np.random.default_rng(20261202)
    sequences, truth = [], []
    for _ in range(20_000):
        operands = [
            rng.integers(0, 10, size=int(rng.integers(1, 13))) for _ in range(rng.integers(2, 9))
        ]
        sequences.append(operands)
        truth.append(np.cumsum([int("".join(map(str, o))) for o in operands]))
    predicted = adder_2x3.add_digits(sequences, cumulative=True)
    wrong = sum(not np.array_equal(p, t) for p, t in zip(predicted, truth, strict=True))
    assert wrong <= 2  # >= 99.99%
    assert max(len(s) for s in sequences) == 8 and max(len(o) for s in sequences for o in s) == 12


def test_ragged_sequences_of_images(adder_2x3, small_calc) -> None:
    trained, _ = small_calc
    calc = calculator.build_calculator(2, 3, reader=trained.reader)
    calc.adder.set_weights(adder_2x3.adder.get_weights())
    data = calculator.make_dataset(200, 3, (1, 4), split="test", seed=4)
    assert data.ragged and data.lengths.shape == (200, 3) and data.max_digits == 4
    assert {len(o) for s in data.sequences for o in s} == {1, 2, 3, 4}
    # Real sums from real images, of 3 operands where the calculator was built for 2.
    got = calc.predict(data.sequences, cumulative=True)
    right = np.mean([np.array_equal(g, t) for g, t in zip(got, data.running, strict=True)])
    final = np.mean([g[-1] == t[-1] for g, t in zip(got, data.running, strict=True)])
    scores = calc.evaluate(data)  # a calculator of final sums scores the final sum
    assert scores["exact_sum_accuracy"] == pytest.approx(final)
    assert final >= right
    assert right > 0.3 and scores["adder_exact_sum_accuracy"] == 1.0
    np.testing.assert_array_equal(calc.predict(data[:10]), [g[-1] for g in got[:10]])
    # The fixed layout and the same sequences given ragged agree.
    fixed = calculator.make_dataset(20, 2, 3, split="test", seed=5)
    np.testing.assert_array_equal(calc.predict(fixed), calc.predict(fixed.sequences))
    # Lists of 2-D images, no channel axis; one operand; no sequence at all.
    seq = [list(op[..., 0]) for op in data.sequences[0]]
    assert calc.predict([seq, seq[:1]]).shape == (2,)
    assert calc.predict([]).shape == (0,)


def test_cumulative_can_be_asked_of_a_final_sum_calculator(adder_2x3) -> None:
    digits = np.array([[2, 9, 4, 0, 6, 1]])
    assert adder_2x3.add_digits(digits).tolist() == [355]
    assert [t.tolist() for t in adder_2x3.add_digits(digits, cumulative=True)] == [[294, 355]]
    ref = calculator.build_calculator(2, 3, architecture="reference")
    with pytest.raises(ValueError, match="carry adder"):
        ref.add_digits([[[2, 9, 4], [6, 1]]])


def test_the_former_gru_adder_still_adds(tmp_path) -> None:
    import dataclasses

    columns = dataclasses.replace(calculator.ARCHITECTURES["default"], adder="columns")
    fdmlearn.set_seed(0)
    calc = calculator.build_calculator(2, 2, architecture=columns)
    calc.fit_adder(epochs=8, samples=10_000, verbose=0)
    digits = np.array(list(itertools.product(range(10), repeat=4)))
    assert np.mean(calc.add_digits(digits) == _sums(digits, 2, 2)) > 0.99
    cum = calculator.build_calculator(3, 1, cumulative=True, architecture=columns)
    again = calculator.load_calculator(cum.save(tmp_path / "columns.keras"))
    assert again.recipe.adder == "columns"
    np.testing.assert_array_equal(
        again.add_digits(digits[:50, :3]), cum.add_digits(digits[:50, :3])
    )
    with pytest.raises(ValueError, match="carry adder"):
        calc.add_digits([[[1, 2], [3]]])


def test_cumulative_output_shapes_and_empty_input() -> None:
    calc = calculator.build_calculator(4, 2, cumulative=True)
    data = calculator.make_dataset(3, 4, 2, split="test")
    assert calc.predict(data).shape == (3, 4)
    assert calc.add_digits(data.digits).shape == (3, 4)
    assert calc.predict(data.images[:0]).shape == (0, 4)
    assert calc.predict(data[np.zeros(3, bool)]).shape == (0, 4)
    ref = calculator.build_calculator(4, 2, cumulative=True, architecture="reference")
    assert ref.predict(data.images).shape == (3, 4)
    plain = calculator.build_calculator(2, 1)
    assert plain.predict(np.zeros((0, 2, 28, 28), np.float32)).shape == (0,)


def test_predict_refuses_a_dataset_of_another_layout() -> None:
    calc = calculator.build_calculator(2, 3)  # sequences of 6 images
    other = calculator.make_dataset(4, 3, 2, split="test")  # also 6 images
    for call in (calc.predict, calc.evaluate, calc.read_digits):
        with pytest.raises(ValueError, match="3 operands of 2 digits"):
            call(other)


# ------------------------------------------------------------------ training


def test_small_calculator_learns_to_add(small_calc) -> None:
    calc, test = small_calc
    scores = calc.evaluate(test)
    assert scores["n_sequences"] == 300
    assert scores["digit_accuracy"] > 0.85
    assert scores["adder_exact_sum_accuracy"] == 1.0
    assert scores["exact_sum_accuracy"] > 0.7
    pred = calc.predict(test)
    assert pred.dtype == np.int64 and pred.shape == (300,)
    assert np.mean(pred == test.sums) == pytest.approx(scores["exact_sum_accuracy"])
    assert set(calc.timings) == {"reader", "adder", "fine_tune"}


def test_fits_return_histories_and_take_validation_and_callbacks() -> None:
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(60, 2, 1, split="train", seed=0)
    val = calculator.make_dataset(20, 2, 1, split="test", seed=1)
    calc = calculator.build_calculator(2, 1)
    seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
    h = calc.fit_reader(train, epochs=2, validation=val, callbacks=[callback], verbose=0)
    assert isinstance(h, keras.callbacks.History) and seen == [0, 1]
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(calc.fit_adder(epochs=1, samples=300, validation=val, verbose=0).history) == 2
    assert "val_loss" in calc.fine_tune(train, validation=val, verbose=0).history
    assert calc.fit_reader(train, epochs=0).history == {}
    both = calc.fit(train, reader_epochs=1, adder_epochs=1, fine_tune_epochs=0, verbose=0)
    assert sorted(both.history) == ["adder_loss", "reader_accuracy", "reader_loss"]
    assert set(both.stages) == {"reader", "adder", "fine_tune"}


def test_a_non_finite_fit_raises_and_restores_the_weights() -> None:
    train = calculator.make_dataset(40, 2, 1, split="train", seed=0)
    calc = calculator.build_calculator(2, 1)
    before = [w.copy() for w in calc.keras_model.get_weights()]

    class Poison(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            w = calc.reader.weights[-1]
            w.assign(np.full(w.shape, np.nan, dtype="float32"))

    for fit in (
        lambda: calc.fit_reader(train, epochs=1, callbacks=Poison(), verbose=0),
        lambda: calc.fine_tune(train, callbacks=[Poison()], verbose=0),
    ):
        with pytest.raises(NonFiniteLossError, match="restored"):
            fit()
        for a, b in zip(before, calc.keras_model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_training_is_deterministic() -> None:
    train = calculator.make_dataset(300, 2, 1, split="train", seed=0)
    test = calculator.make_dataset(100, 2, 1, split="test", seed=1)
    probs, sums = [], []
    for _ in range(2):
        fdmlearn.set_seed(0)
        calc = calculator.build_calculator(2, 1)
        calc.fit_reader(train, epochs=1, verbose=0)
        calc.fit_adder(epochs=1, samples=2000, verbose=0)
        probs.append(calc.read_digit_probabilities(test))
        sums.append(calc.add_digits(test.digits))
    np.testing.assert_allclose(probs[0], probs[1], atol=1e-5)
    np.testing.assert_array_equal(sums[0], sums[1])


def test_reference_architecture_learns_and_saves(tmp_path) -> None:
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(1000, 2, 1, split="train", seed=0)
    test = calculator.make_dataset(200, 2, 1, split="test", seed=1)
    calc = calculator.build_calculator(2, 1, architecture="reference")
    calc.fit(train, reader_epochs=3, adder_epochs=20, verbose=0)
    assert "fine_tune" not in calc.timings  # the notebook chained without fine-tuning
    assert calc.keras_model.output_shape == (None, 2, 10)
    scores = calc.evaluate(test)
    # Tiny but real (measured: 83% of digits, 83% of characters by the adder
    # alone, 28% of sums; chance is 10%, 10% and about 5%).
    assert scores["digit_accuracy"] >= 0.7
    assert scores["adder_char_accuracy"] >= 0.65
    assert scores["exact_sum_accuracy"] >= 0.15
    again = calculator.load_calculator(calc.save(tmp_path / "ref.keras"))
    np.testing.assert_array_equal(again.predict(test), calc.predict(test))


def test_a_shared_reader_is_the_same_object_and_trains_for_both(small_calc) -> None:
    calc, _ = small_calc
    other = calculator.build_calculator(3, 2, cumulative=True, reader=calc.reader)
    assert other.reader is calc.reader
    data = calculator.make_dataset(4, 3, 2, split="test", seed=3)
    flat = data.images.reshape(-1, 28, 28, 1)
    np.testing.assert_array_equal(
        other.read_digits(data),
        np.asarray(calc.reader.predict(flat, verbose=0)).argmax(-1).reshape(4, 6),
    )
    with pytest.raises(ValueError, match="reader must map"):
        calculator.build_calculator(2, 1, reader=calc.adder)


_STRATEGY_SCRIPT = textwrap.dedent(
    """
    import os, tempfile
    import numpy as np
    import tensorflow as tf

    # Two logical CPUs must be configured before TensorFlow initialises its devices.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import fdmlearn
    from fdmlearn import calculator as C

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    train = C.make_dataset(200, 2, 1, seed=0)
    test = C.make_dataset(40, 2, 1, split="test", seed=1)
    fdmlearn.set_seed(0)
    calc = C.build_calculator(2, 1, strategy=strategy)
    reader = calc.reader
    other = C.build_calculator(3, 1, cumulative=True, reader=reader, strategy=strategy)
    plain = C.build_calculator(2, 1)

    # The same weights predict the same under the strategy and without it.
    plain.keras_model.set_weights(calc.keras_model.get_weights())
    np.testing.assert_allclose(
        plain.read_digit_probabilities(test), calc.read_digit_probabilities(test), atol=1e-5)

    losses = {}
    losses["reader"] = calc.fit_reader(train, epochs=3, verbose=0).history["loss"]
    losses["adder"] = calc.fit_adder(epochs=3, samples=2000, verbose=0).history["loss"]
    tuned = calc.fine_tune(train, epochs=3, learning_rate=3e-3, verbose=0)
    losses["fine_tune"] = tuned.history["loss"]
    for stage, loss in losses.items():
        assert loss[-1] < loss[0], (stage, loss)
    assert calc.reader is reader and other.reader is reader  # nothing swapped

    # The calculator that shares the reader reads with the trained weights.
    d3 = C.make_dataset(5, 3, 1, split="test", seed=2)
    direct = np.asarray(reader.predict(d3.images.reshape(-1, 28, 28, 1), verbose=0))
    np.testing.assert_array_equal(other.read_digits(d3), direct.argmax(-1).reshape(5, 3))
    plain.keras_model.set_weights(calc.keras_model.get_weights())
    np.testing.assert_array_equal(plain.predict(test), calc.predict(test))
    try:
        C.build_calculator(2, 1, reader=plain.reader, strategy=strategy)
    except ValueError:
        pass
    else:
        raise AssertionError("a reader built without the strategy was accepted")
    with tempfile.TemporaryDirectory() as tmp:
        again = C.load_calculator(calc.save(os.path.join(tmp, "c.keras")), strategy=strategy)
        np.testing.assert_array_equal(again.predict(test), calc.predict(test))
    print("strategy ok", {k: [round(v, 3) for v in l] for k, l in losses.items()})
    """
)


def test_every_fit_under_mirrored_strategy_over_two_cpus() -> None:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [sys.executable, "-c", _STRATEGY_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "strategy ok" in proc.stdout


# ------------------------------------------------------------------ learning from sums alone


@pytest.mark.parametrize("n_operands,n_digits", [(2, 1), (2, 2), (3, 1), (4, 1)])
def test_sum_likelihood_is_exact(n_operands: int, n_digits: int) -> None:
    from fdmlearn.calculator.sums import SumLikelihood, sum_probability_brute_force

    rng = np.random.default_rng(n_operands * 10 + n_digits)
    probs = rng.dirichlet(np.full(10, 0.5), size=(4, n_operands * n_digits)).astype(np.float32)
    totals = rng.integers(0, n_operands * (10**n_digits - 1) + 1, size=4)
    chars = to_chars(totals, calculator.n_sum_digits(n_operands, n_digits))
    loss = SumLikelihood(n_operands, n_digits, reduction=None)
    got = np.exp(-np.asarray(loss(chars, probs), dtype=np.float64))
    want = [sum_probability_brute_force(probs[i], int(totals[i]), n_operands) for i in range(4)]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    # A sum no reading can make has (almost) zero probability.
    one_hot = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=(1, n_operands * n_digits))]
    right = int(_sums(one_hot.argmax(-1), n_operands, n_digits)[0])
    wrong = to_chars([right + 1], chars.shape[1])
    assert float(loss(to_chars([right], chars.shape[1]), one_hot)[0]) < 1e-4
    assert float(loss(wrong, one_hot)[0]) > 50


def test_the_reader_learns_digits_from_sums_alone() -> None:
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(1500, 2, 1, seed=0, replace=False)
    assert len(np.unique(train.mnist_indices)) == 3000  # each image once
    test = calculator.make_dataset(300, 2, 1, split="test", seed=1)
    calc = calculator.build_calculator(2, 1)
    chance = np.mean(calc.read_digits(test) == test.digits)
    history = calc.fit_reader(train, epochs=3, supervision="sum", verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    accuracy = np.mean(calc.read_digits(test) == test.digits)
    assert accuracy > 0.7 > chance  # measured: 0.94 with 2,000 sums


# ------------------------------------------------------------------ images


def test_unscaled_and_non_finite_images_are_refused(small_calc) -> None:
    calc, test = small_calc
    raw = np.round(test.images[:4] * 255).astype(np.uint8)
    with pytest.raises(TypeError, match="divide"):
        calc.predict(raw)
    with pytest.raises(ValueError, match="divide them by 255"):
        calc.predict(raw.astype(np.float32))
    nan = test.images[:4].copy()
    nan[1, 0, 3, 3, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        calc.predict(nan)
    np.testing.assert_array_equal(calc.predict(test.images[:4, ..., 0]), calc.predict(test[:4]))


# ------------------------------------------------------------------ saving


def test_save_and_load_give_identical_predictions(small_calc, tmp_path) -> None:
    calc, test = small_calc
    path = calc.save(tmp_path / "calc.keras")
    assert path.is_file() and zipfile.is_zipfile(path)
    again = calculator.load_calculator(path)
    assert repr(again) == repr(calc) and again.recipe == calc.recipe
    np.testing.assert_array_equal(
        again.read_digit_probabilities(test), calc.read_digit_probabilities(test)
    )
    np.testing.assert_array_equal(again.predict(test), calc.predict(test))
    # Keras' own loader opens it too: one model holding the reader and the adder.
    model = keras.saving.load_model(path, compile=False)
    assert {layer.name for layer in model.layers} >= {"read_each_digit", "adder"}


def test_cumulative_save_round_trip(tmp_path) -> None:
    calc = calculator.build_calculator(3, 2, cumulative=True, adder_units=8)
    data = calculator.make_dataset(5, 3, 2, split="test", seed=0)
    again = calculator.load_calculator(calc.save(str(tmp_path / "cum.keras")))
    assert again.cumulative and again.recipe.adder_units == 8
    np.testing.assert_array_equal(again.predict(data), calc.predict(data))


def test_a_failed_save_leaves_the_previous_file_loadable(small_calc, tmp_path, monkeypatch) -> None:
    calc, test = small_calc
    path = calc.save(tmp_path / "calc.keras")
    expected = calc.predict(test[:20])

    def broken_save(target, *args, **kwargs):
        with open(target, "wb") as f:
            f.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(calc.keras_model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        calc.save(path)
    monkeypatch.undo()
    np.testing.assert_array_equal(calculator.load_calculator(path).predict(test[:20]), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calc.keras"]  # no temporary left


def test_load_refuses_what_is_not_a_calculator(tmp_path) -> None:
    from fdmlearn._saving import write_keras

    junk = tmp_path / "junk.keras"
    junk.write_bytes(os.urandom(256))
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    captioner = write_keras(tmp_path / "cap.keras", other, kind="Captioner")
    for path, match in [
        (tmp_path / "missing.keras", "no such file"),
        (tmp_path, "folder"),
        (junk, "not a .keras file"),
        (captioner, "holds a Captioner"),
    ]:
        with pytest.raises(LoadError, match=match):
            calculator.load_calculator(path)


# ------------------------------------------------------------------ analysis and figures


def test_confusion_matrix_counts() -> None:
    counts = calculator.confusion_matrix([[1, 7], [7, 3]], [[1, 1], [7, 3]])
    assert counts.sum() == 4 and counts[7, 1] == 1 and counts[7, 7] == 1
    with pytest.raises(ValueError, match="same shape"):
        calculator.confusion_matrix([1, 2], [1])


def test_figures_are_built_without_pyplot(small_calc) -> None:
    import matplotlib.pyplot as plt

    from fdmlearn.plotting import NotebookFigure

    calc, test = small_calc
    for fig in (
        calculator.plot_gallery(calc, test, n=4),
        calculator.plot_mistakes(calc, test),
        calculator.plot_confusion_matrix(calc, test),
    ):
        assert isinstance(fig, NotebookFigure) and fig.axes
    assert plt.get_fignums() == []


def test_calculator_repr_is_short(small_calc) -> None:
    calc, _ = small_calc
    assert repr(calc) == (
        "Calculator(n_operands=2, n_digits=1, cumulative=False, architecture='default')"
    )
    with pytest.warns(DeprecationWarning, match="keras_model"):
        assert calc.model is calc.keras_model


# ------------------------------------------------------------------ full scale


@pytest.mark.slow
def test_full_scale_targets() -> None:
    fdmlearn.set_seed(0)
    train = calculator.make_dataset(60_000, 2, 3, split="train", seed=0)
    test = calculator.make_dataset(10_000, 2, 3, split="test", seed=1)
    calc = calculator.build_calculator(2, 3)
    calc.fit(train)
    scores = calc.evaluate(test)
    assert scores["adder_exact_sum_accuracy"] == 1.0
    assert scores["digit_accuracy"] >= 0.995
    assert scores["exact_sum_accuracy"] >= 0.97
