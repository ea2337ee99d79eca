"""The house conventions every topic relies on: checks, training, saving, figures."""

from __future__ import annotations

import zipfile
from fractions import Fraction

import numpy as np
import pytest

from fdmlearn import _checks as c
from fdmlearn.errors import LoadError, NonFiniteLossError

# --------------------------------------------------------------------------- checks

REJECTED = [
    (c.check_int, ("epochs", 1.5), {}, TypeError, r"epochs must be an integer, got 1.5 \(float\)"),
    (c.check_int, ("epochs", True), {}, TypeError, "epochs must be an integer"),
    (c.check_int, ("epochs", "3"), {}, TypeError, "epochs must be an integer"),
    (
        c.check_int,
        ("epochs", 0),
        {"minimum": 1},
        ValueError,
        "epochs must be an integer >= 1, got 0",
    ),
    (c.check_int, ("k", 9), {"minimum": 1, "maximum": 5}, ValueError, ">= 1 and <= 5, got 9"),
    (c.check_real, ("lr", float("nan")), {}, ValueError, "lr must be a finite number"),
    (c.check_real, ("lr", float("inf")), {}, ValueError, "lr must be a finite number"),
    (c.check_real, ("lr", 0.0), {"minimum": 0, "open_min": True}, ValueError, "lr must be .*> 0"),
    (c.check_real, ("lr", -1e-3), {"minimum": 0, "open_min": True}, ValueError, "got -0.001"),
    (c.check_real, ("lr", "0.1"), {}, TypeError, r"lr must be a real number, got '0.1' \(str\)"),
    (c.check_real, ("p", 1.5), {"maximum": 1}, ValueError, "p must be a number <= 1"),
    (c.check_bool, ("flag", 1), {}, TypeError, "flag must be True or False, got 1"),
    (c.check_choice, ("pooling", "max", ("mean", "attention")), {}, ValueError, "one of 'mean'"),
    (c.check_choice, ("pooling", 3, ("mean", "attention")), {}, TypeError, "pooling must be one"),
    (c.check_choice, ("pooling", ["mean"], ("mean",)), {}, TypeError, "pooling must be one"),
    (c.check_rng, (1.5,), {}, TypeError, "seed must be an integer >= 0, None or a numpy"),
    (c.check_rng, (-1,), {}, ValueError, "seed must be an integer >= 0, got -1"),
    (c.check_rng, (np.random.RandomState(0),), {}, TypeError, "RandomState"),
    (
        c.check_array,
        ("x", [[1.0, np.nan]]),
        {},
        ValueError,
        r"x must hold finite numbers.*\(0, 1\)",
    ),
    (c.check_array, ("x", [1.0, np.inf]), {}, ValueError, "x must hold finite numbers"),
    (c.check_array, ("x", "abc"), {}, TypeError, "x must be an array of numbers"),
    (c.check_array, ("x", [[1], [2, 3]]), {}, ValueError, "x must be a rectangular array"),
    (c.check_array, ("x", np.zeros((2, 3))), {"shape": (None, 4)}, ValueError, r"\(any, 4\)"),
    (c.check_array, ("x", np.zeros(3)), {"ndim": (2, 3)}, ValueError, "2 axes or 3 axes"),
    (c.check_array, ("x", [True]), {}, TypeError, "x must be an array of real numbers"),
    (c.check_array, ("x", [1.5]), {"kind": "int"}, TypeError, "x must be an array of integers"),
    (c.check_array, ("x", [-1]), {"minimum": 0}, ValueError, "x must be >= 0 everywhere"),
    (c.check_images, ("img", np.full((2, 2), 200.0)), {}, ValueError, r"divide them by 255"),
    (c.check_images, ("img", np.zeros((2, 2), np.uint8)), {}, TypeError, r"img / 255.0"),
    (c.check_images, ("img", np.full((2, 2), -0.5)), {}, ValueError, "down to -0.5"),
    (c.check_images, ("img", np.full((2, 2), np.nan)), {}, ValueError, "finite"),
    (c.check_index, (5, 3), {}, IndexError, "index 5 is out of range for a dataset of 3"),
    (c.check_index, (-4, 3), {}, IndexError, "index -4 is out of range"),
    (c.check_index, ([True, False], 3), {}, IndexError, "boolean index has length 2"),
    (c.check_index, ([0.5], 3), {}, TypeError, "must hold integers or booleans"),
    (c.check_index, ("a", 3), {}, TypeError, "index must be an integer, slice"),
    (c.check_index, (True, 3), {}, TypeError, "got a bool"),
]


@pytest.mark.parametrize(
    "check, args, kwargs, error, message",
    REJECTED,
    ids=[f"{r[0].__name__}-{i}" for i, r in enumerate(REJECTED)],
)
def test_checks_reject_with_a_message_naming_the_argument(check, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        check(*args, **kwargs)


def test_checks_accept_numpy_scalars_and_convert():
    assert (
        c.check_int("n", np.int64(3), minimum=1) == 3 and type(c.check_int("n", np.int8(3))) is int
    )
    assert c.check_real("lr", np.float32(0.5)) == 0.5 and c.check_real("lr", Fraction(1, 4)) == 0.25
    assert c.check_bool("flag", np.bool_(True)) is True
    assert c.check_choice("v", "mean", ("mean",)) == "mean"
    assert c.check_images("img", np.ones((2, 2), np.float64)).dtype == np.float32


def test_check_rng_uses_a_given_generator_and_never_touches_global_state():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    gen = np.random.default_rng(1)
    assert c.check_rng(gen) is gen
    a, b = c.check_rng(7).random(3), c.check_rng(7).random(3)
    assert np.array_equal(a, b) and np.array_equal(before, np.random.get_state()[1])


def test_check_index_is_numpy_indexing():
    n = 5
    ref = np.arange(n)
    for index in [-1, 2, slice(None, None, -2), [0, -1], np.array([4, 4]), ref % 2 == 0, []]:
        positions, single = c.check_index(index, n)
        assert np.array_equal(positions, np.atleast_1d(ref[index])), index
        assert single == isinstance(index, int)


# --------------------------------------------------------------------------- training


def _tiny_model():
    from fdmlearn._tf import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def test_fit_keras_stops_on_a_nan_and_restores_the_weights():
    from fdmlearn._training import fit_keras

    model = _tiny_model()
    x = np.random.default_rng(0).random((64, 3)).astype("float32")
    y = np.zeros((64, 2), "float32")
    before = [w.copy() for w in model.get_weights()]
    x[40, 1] = np.nan
    with pytest.raises(
        NonFiniteLossError, match=r"demo\.fit: the loss became nan at epoch 1, batch 3"
    ):
        fit_keras(model, x, y, what="demo.fit", epochs=3, batch_size=16, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_fit_keras_restores_the_weights_when_interrupted():
    from fdmlearn._tf import keras
    from fdmlearn._training import fit_keras

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

    model = _tiny_model()
    before = [w.copy() for w in model.get_weights()]
    x, y = np.ones((64, 3), "float32"), np.zeros((64, 2), "float32")
    with pytest.raises(KeyboardInterrupt):
        fit_keras(model, x, y, epochs=1, batch_size=8, verbose=0, callbacks=[Interrupt()])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_fit_keras_returns_the_history_and_runs_callbacks():
    from fdmlearn._tf import keras
    from fdmlearn._training import fit_keras

    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    model = _tiny_model()
    x, y = np.ones((32, 3), "float32"), np.zeros((32, 2), "float32")
    history = fit_keras(model, x, y, epochs=3, batch_size=8, verbose=0, callbacks=cb)
    assert seen == [0, 1, 2] and len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"verbose": True}, TypeError, "verbose must be 'auto', 0, 1 or 2"),
        ({"verbose": 3}, ValueError, "verbose must be one of"),
        ({"callbacks": [print]}, TypeError, r"callbacks\[0\] must be a keras.callbacks.Callback"),
        ({"callbacks": "early"}, TypeError, "callbacks must be a list"),
    ],
)
def test_fit_keras_checks_its_arguments(kwargs, error, message):
    from fdmlearn._training import fit_keras

    with pytest.raises(error, match=message):
        fit_keras(_tiny_model(), np.ones((4, 3)), np.zeros((4, 2)), epochs=1, **kwargs)


def test_scope_accepts_only_strategies():
    from fdmlearn._training import scope

    with scope(None):
        pass
    with pytest.raises(TypeError, match="strategy must be a tf.distribute.Strategy"):
        scope("mirrored")


# --------------------------------------------------------------------------- saving


def test_write_keras_round_trip_and_tags(tmp_path):
    from fdmlearn import __version__
    from fdmlearn._saving import read_keras, write_keras

    model = _tiny_model()
    path = write_keras(tmp_path / "m.keras", model, "Demo", {"classes": ["a", "b"]})
    with zipfile.ZipFile(path) as zf:
        assert "fdmlearn.json" in zf.namelist()
        assert __version__ in zf.read("fdmlearn.json").decode()
    loaded, settings = read_keras(path, "Demo")
    assert settings == {"classes": ["a", "b"]}
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"], "a temporary file was left behind"


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    from fdmlearn._saving import read_keras, write_keras

    model = _tiny_model()
    path = write_keras(tmp_path / "m.keras", model, "Demo")
    good = path.read_bytes()

    def broken_save(target, *args, **kwargs):
        target = str(target)
        with open(target, "wb") as f:
            f.write(b"PK half a file")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_keras(path, model, "Demo")
    assert path.read_bytes() == good and read_keras(path, "Demo")[0] is not None
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_read_keras_refuses_anything_else_naming_the_file(tmp_path):
    from fdmlearn._saving import read_keras, write_keras

    (tmp_path / "random.keras").write_bytes(np.random.default_rng(0).bytes(300))
    (tmp_path / "folder.keras").mkdir()
    plain = tmp_path / "plain.keras"
    _tiny_model().save(plain)
    other = write_keras(tmp_path / "other.keras", _tiny_model(), "Calculator")
    cases = {
        "missing.keras": "no such file",
        "folder.keras": "it is a folder",
        "random.keras": r"not a \.keras file",
        "plain.keras": "the archive was not saved by fdmlearn",
        other.name: "it holds a Calculator",
    }
    for name, message in cases.items():
        with pytest.raises(LoadError, match=rf"Captioner from '.*{name}': {message}"):
            read_keras(tmp_path / name, "Captioner")


@pytest.mark.parametrize(
    "path, error, message",
    [
        ("model.h5", ValueError, r"path must end in '\.keras'"),
        ("no/such/folder/m.keras", FileNotFoundError, "folder .* not found"),
        (3, TypeError, "path must be a str or os.PathLike"),
    ],
)
def test_write_keras_checks_the_path(path, error, message, tmp_path, monkeypatch):
    from fdmlearn._saving import write_keras

    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=message):
        write_keras(path, _tiny_model(), "Demo")


# --------------------------------------------------------------------------- figures


def test_new_figure_is_outside_pyplot_and_shows_itself_once():
    import matplotlib.pyplot as plt

    from fdmlearn.plotting import NotebookFigure, new_figure

    fig = new_figure(figsize=(2, 1))
    fig.subplots().plot([0, 1])
    assert isinstance(fig, NotebookFigure) and plt.get_fignums() == []
    assert fig._repr_png_().startswith(b"\x89PNG")
    assert len(repr(fig)) < 60


def test_import_fdmlearn_sets_quiet_tensorflow_logging():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run(
        [sys.executable, "-c", "import fdmlearn._tf"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr


# --------------------------------------------------------------------------- figures, bad input


def _fig():
    from fdmlearn.plotting import new_figure

    fig = new_figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, 1])
    return fig


FIGURE_REJECTED = [
    ("figsize-nan", lambda p: p.new_figure(figsize=(float("nan"), 1)), ValueError, r"figsize\[0\]"),
    ("figsize-neg", lambda p: p.new_figure(figsize=(-1, 1)), ValueError, r"figsize\[0\].*> 0"),
    ("figsize-str", lambda p: p.new_figure(figsize="big"), TypeError, r"figsize must be two"),
    ("figsize-3", lambda p: p.new_figure(figsize=(1, 2, 3)), ValueError, r"figsize must be two"),
    ("dpi-0", lambda p: p.new_figure(dpi=0), ValueError, r"dpi must be .*> 0"),
    ("unknown-kw", lambda p: p.new_figure(bogus=1), TypeError, r"new_figure got .*'bogus'"),
    ("html-not-fig", lambda p: p.figure_to_html(5, "alt"), TypeError, r"fig must be a matplotlib"),
    ("html-alt-int", lambda p: p.figure_to_html(_fig(), 5), TypeError, r"alt must be a string"),
    (
        "html-close-str",
        lambda p: p.figure_to_html(_fig(), "a line", close="yes"),
        TypeError,
        r"close must be True or False",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [r[1:] for r in FIGURE_REJECTED],
    ids=[r[0] for r in FIGURE_REJECTED],
)
def test_figure_helpers_reject_bad_input_before_matplotlib(call, error, message):
    from fdmlearn import plotting

    with pytest.raises(error, match=message):
        call(plotting)
