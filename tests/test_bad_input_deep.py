"""Bad input to fdmlearn.deep: each case is the call, the exception and a message regex.

The regex names the argument, so a case fails if the right exception type
comes from the wrong check (or from deep inside Keras).
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from fdmlearn import deep
from fdmlearn.errors import NonFiniteLossError

X = np.full((4, 784), 0.5, np.float32)
Y = np.arange(4) % 10


def _data(x=X, y=Y, xt=X, yt=Y):
    return ((x, y), (xt, yt))


def _with(a, index, value):
    a = a.copy()
    a[index] = value
    return a


MODEL = None


def _model():
    global MODEL
    if MODEL is None:
        MODEL = deep.build_mlp(1, units=8, seed=0)
    return MODEL


ONE_HOT = np.eye(10, dtype=np.float32)[Y]


def _fit(x=X, y=ONE_HOT, **kwargs):
    model = deep.RECIPES["baseline"].build(1, seed=0)
    return model.fit(x, y, **{"epochs": 1, "verbose": 0, **kwargs})


def _sparse():
    model = deep.build_mlp(1, units=8, seed=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def _study(**kwargs):
    return deep.depth_study(**{"depths": (1,), "epochs": 1, "verbose": 0, **kwargs})


def _recipe(**kwargs):
    return deep.Recipe(**{"name": "r", "description": "d", **kwargs})


# (id, call, exception, regex the message must match)
CASES = [
    # build_mlp
    (
        "depth-0",
        lambda: deep.build_mlp(0),
        ValueError,
        r"depth must be an integer >= 1 and <= 1000, got 0",
    ),
    ("depth-float", lambda: deep.build_mlp(1.5), TypeError, r"depth must be an integer"),
    ("depth-bool", lambda: deep.build_mlp(True), TypeError, r"depth must be an integer"),
    ("depth-str", lambda: deep.build_mlp("2"), TypeError, r"depth"),
    ("activation-typo", lambda: deep.build_mlp(2, "sigmoidd"), ValueError, r"activation.*'relu'"),
    ("activation-int", lambda: deep.build_mlp(2, 3), TypeError, r"activation"),
    ("dropout-1", lambda: deep.build_mlp(2, dropout=1.0), ValueError, r"dropout.*< 1"),
    ("dropout-neg", lambda: deep.build_mlp(2, dropout=-0.1), ValueError, r"dropout"),
    (
        "dropout-nan",
        lambda: deep.build_mlp(2, dropout=float("nan")),
        ValueError,
        r"dropout.*finite",
    ),
    ("dropout-str", lambda: deep.build_mlp(2, dropout="0.2"), TypeError, r"dropout"),
    ("units-0", lambda: deep.build_mlp(2, units=0), ValueError, r"units"),
    ("units-float", lambda: deep.build_mlp(2, units=64.0), TypeError, r"units"),
    ("input-dim-0", lambda: deep.build_mlp(2, input_dim=0), ValueError, r"input_dim"),
    ("classes-1", lambda: deep.build_mlp(2, num_classes=1), ValueError, r"num_classes.*>= 2"),
    ("classes-float", lambda: deep.build_mlp(2, num_classes=2.5), TypeError, r"num_classes"),
    ("norm-group", lambda: deep.build_mlp(2, normalization="group"), ValueError, r"normalization"),
    ("norm-bool", lambda: deep.build_mlp(2, normalization=True), TypeError, r"normalization"),
    ("init-unknown", lambda: deep.build_mlp(2, initializer="nope"), ValueError, r"initializer"),
    ("init-int", lambda: deep.build_mlp(2, initializer=3), TypeError, r"initializer"),
    ("residual-str", lambda: deep.build_mlp(2, residual="yes"), TypeError, r"residual"),
    ("name-int", lambda: deep.build_mlp(2, name=3), TypeError, r"name"),
    ("seed-neg", lambda: deep.build_mlp(2, seed=-1), ValueError, r"seed"),
    ("seed-float", lambda: deep.build_mlp(2, seed=1.5), TypeError, r"seed"),
    (
        "depth-huge",
        lambda: deep.build_mlp(10**6),
        ValueError,
        r"depth must be an integer >= 1 and <= 1000",
    ),
    ("units-huge", lambda: deep.build_mlp(3, units=10**6), ValueError, r"parameters.*GB.*limit"),
    (
        "input-dim-huge",
        lambda: deep.build_mlp(1, input_dim=10**9),
        ValueError,
        r"input_dim=1000000000.*limit",
    ),
    # Recipe, get_recipe, build
    ("recipe-lr-0", lambda: _recipe(learning_rate=0), ValueError, r"learning_rate.*> 0"),
    ("recipe-lr-neg", lambda: _recipe(learning_rate=-1e-3), ValueError, r"learning_rate"),
    ("recipe-lr-inf", lambda: _recipe(learning_rate=float("inf")), ValueError, r"learning_rate"),
    ("recipe-lr-str", lambda: _recipe(learning_rate="0.1"), TypeError, r"learning_rate"),
    ("recipe-optimizer", lambda: _recipe(optimizer="rmsprop"), ValueError, r"optimizer"),
    ("recipe-schedule", lambda: _recipe(schedule="step"), ValueError, r"schedule"),
    ("recipe-smoothing", lambda: _recipe(label_smoothing=1.0), ValueError, r"label_smoothing"),
    ("recipe-decay", lambda: _recipe(weight_decay=-1.0), ValueError, r"weight_decay"),
    ("recipe-activation", lambda: _recipe(activation="step"), ValueError, r"activation"),
    ("recipe-residual", lambda: _recipe(residual=1), TypeError, r"residual"),
    ("recipe-name-int", lambda: _recipe(name=1), TypeError, r"name"),
    ("recipe-dropout", lambda: _recipe(dropout=2.0), ValueError, r"dropout"),
    ("get-recipe-unknown", lambda: deep.get_recipe("best"), ValueError, r"recipe must be one of"),
    ("get-recipe-int", lambda: deep.get_recipe(3), TypeError, r"recipe"),
    ("steps-missing", lambda: deep.RECIPES["improved"].build(2), ValueError, r"total_steps"),
    (
        "steps-0",
        lambda: deep.RECIPES["improved"].build(2, total_steps=0),
        ValueError,
        r"total_steps",
    ),
    (
        "steps-float",
        lambda: deep.RECIPES["baseline"].build(1, total_steps=2.5),
        TypeError,
        r"total_steps",
    ),
    # mnist_flat
    ("train-size-0", lambda: deep.mnist_flat(train_size=0), ValueError, r"train_size"),
    ("train-size-big", lambda: deep.mnist_flat(train_size=60001), ValueError, r"train_size.*60000"),
    ("test-size-float", lambda: deep.mnist_flat(test_size=1.5), TypeError, r"test_size"),
    ("mnist-seed-str", lambda: deep.mnist_flat(10, 10, seed="a"), TypeError, r"seed"),
    # depth_study: arguments
    ("depths-int", lambda: _study(depths=3), TypeError, r"depths must be an iterable"),
    ("depths-str", lambda: _study(depths="12"), TypeError, r"depths"),
    ("depths-0", lambda: _study(depths=(0, 1), data=_data()), ValueError, r"depths\[0\]"),
    ("depths-float", lambda: _study(depths=(1.5,), data=_data()), TypeError, r"depths\[0\]"),
    ("depths-empty", lambda: _study(depths=(), data=_data()), ValueError, r"depths"),
    ("recipe-unknown", lambda: _study(recipe="fancy", data=_data()), ValueError, r"recipe"),
    ("epochs-0", lambda: _study(epochs=0, data=_data()), ValueError, r"epochs"),
    ("epochs-float", lambda: _study(epochs=1.5, data=_data()), TypeError, r"epochs"),
    ("batch-0", lambda: _study(batch_size=0, data=_data()), ValueError, r"batch_size"),
    ("verbose-bad", lambda: _study(verbose=3, data=_data()), ValueError, r"verbose"),
    ("verbose-bool", lambda: _study(verbose=True, data=_data()), TypeError, r"verbose"),
    (
        "callbacks-bad",
        lambda: _study(callbacks=[print], data=_data()),
        TypeError,
        r"callbacks\[0\]",
    ),
    ("strategy-str", lambda: _study(strategy="mirrored", data=_data()), TypeError, r"strategy"),
    (
        "track-str",
        lambda: _study(track_gradients="yes", data=_data()),
        TypeError,
        r"track_gradients",
    ),
    ("seed-neg-study", lambda: _study(seed=-3, data=_data()), ValueError, r"seed"),
    ("sizes-with-data", lambda: _study(data=_data(), train_size=2), ValueError, r"train_size"),
    ("data-not-pairs", lambda: _study(data=(X, Y)), TypeError, r"data must be"),
    # depth_study: data
    (
        "images-2d",
        lambda: _study(data=_data(x=X.reshape(4, 28, 28))),
        ValueError,
        r"x_train.*flatten",
    ),
    (
        "images-uint8",
        lambda: _study(data=_data(x=(X * 255).astype(np.uint8))),
        TypeError,
        r"x_train.*255",
    ),
    (
        "images-0-255",
        lambda: _study(data=_data(x=X * 255)),
        ValueError,
        r"x_train.*divide them by 255",
    ),
    (
        "images-nan",
        lambda: _study(data=_data(x=_with(X, (1, 5), np.nan))),
        ValueError,
        r"x_train.*finite",
    ),
    (
        "images-inf",
        lambda: _study(data=_data(xt=_with(X, (0, 0), np.inf))),
        ValueError,
        r"x_test.*finite",
    ),
    ("images-neg", lambda: _study(data=_data(x=X - 1)), ValueError, r"x_train.*\[0, 1\]"),
    ("images-str", lambda: _study(data=_data(x="pixels")), TypeError, r"x_train"),
    (
        "labels-short",
        lambda: _study(data=_data(y=Y[:3])),
        ValueError,
        r"x_train and y_train.*equal",
    ),
    (
        "labels-10",
        lambda: _study(data=_data(y=np.full(4, 10))),
        ValueError,
        r"y_train must be <= 9",
    ),
    (
        "labels-neg",
        lambda: _study(data=_data(yt=np.full(4, -1))),
        ValueError,
        r"y_test must be >= 0",
    ),
    ("labels-float", lambda: _study(data=_data(y=Y + 0.5)), TypeError, r"y_train.*integers"),
    (
        "labels-onehot-bad",
        lambda: _study(data=_data(y=np.ones((4, 3)))),
        ValueError,
        r"y_train.*shape",
    ),
    (
        "labels-nan",
        lambda: _study(data=_data(y=np.full((4, 10), np.nan))),
        ValueError,
        r"y_train.*finite",
    ),
    ("empty", lambda: _study(data=_data(x=X[:0], y=Y[:0])), ValueError, r"non-empty"),
    # diagnostics
    (
        "norms-model",
        lambda: deep.gradient_norms("model", X, Y),
        TypeError,
        r"model must be a keras.Model",
    ),
    (
        "norms-shape",
        lambda: deep.gradient_norms(_model(), X[:, :100], Y),
        ValueError,
        r"x must have shape.*784",
    ),
    (
        "norms-nan",
        lambda: deep.gradient_norms(_model(), _with(X, (0, 0), np.nan), Y),
        ValueError,
        r"x must hold finite",
    ),
    ("norms-255", lambda: deep.gradient_norms(_model(), X * 255, Y), ValueError, r"x.*255"),
    (
        "norms-labels",
        lambda: deep.gradient_norms(_model(), X, np.full(4, 12)),
        ValueError,
        r"y must be <= 9",
    ),
    (
        "norms-training",
        lambda: deep.gradient_norms(_model(), X, Y, training="no"),
        TypeError,
        r"training",
    ),
    ("acts-model", lambda: deep.hidden_activations(None, X), TypeError, r"model"),
    (
        "acts-uint8",
        lambda: deep.hidden_activations(_model(), X.astype(np.uint8)),
        TypeError,
        r"x.*255",
    ),
    (
        "acts-no-hidden",
        lambda: deep.hidden_activations(
            keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)]), X
        ),
        ValueError,
        r"hidden",
    ),
    ("tracker-every-0", lambda: deep.GradientNormHistory(X, Y, every=0), ValueError, r"every"),
    ("tracker-every-float", lambda: deep.GradientNormHistory(X, Y, every=2.0), TypeError, r"every"),
    (
        "tracker-nan",
        lambda: deep.GradientNormHistory(_with(X, (0, 0), np.nan), Y),
        ValueError,
        r"x must hold finite",
    ),
    ("tracker-length", lambda: deep.GradientNormHistory(X, Y[:2]), ValueError, r"equal length"),
    (
        "tracker-labels-10",
        lambda: deep.GradientNormHistory(X, Y + 10),
        ValueError,
        r"y must be <= 9.*got a maximum of 13.*num_classes",
    ),
    (
        "tracker-labels-num-classes",
        lambda: deep.GradientNormHistory(X, Y + 10, num_classes=12),
        ValueError,
        r"y must be <= 11",
    ),
    (
        "tracker-labels-neg",
        lambda: deep.GradientNormHistory(X, Y - 1),
        ValueError,
        r"y must be >= 0",
    ),
    (
        "tracker-onehot-classes",
        lambda: deep.GradientNormHistory(X, ONE_HOT, num_classes=3),
        ValueError,
        r"y must have shape \(any, 3\)",
    ),
    (
        "tracker-num-classes-float",
        lambda: deep.GradientNormHistory(X, Y, num_classes=10.0),
        TypeError,
        r"num_classes must be an integer",
    ),
    # plots
    (
        "plot-acts-bins-huge",
        lambda: deep.plot_activation_histograms({"a": X}, bins=10**9),
        ValueError,
        r"bins.*10000",
    ),
    (
        "plot-norms-empty",
        lambda: deep.plot_gradient_norms({}),
        ValueError,
        r"norms must not be empty",
    ),
    (
        "plot-norms-list",
        lambda: deep.plot_gradient_norms([1.0]),
        TypeError,
        r"norms must be a dict",
    ),
    ("plot-norms-zero", lambda: deep.plot_gradient_norms({"a": 0.0}), ValueError, r"positive"),
    (
        "plot-norms-nan",
        lambda: deep.plot_gradient_norms({"a": float("nan")}),
        ValueError,
        r"finite",
    ),
    (
        "plot-history-type",
        lambda: deep.plot_gradient_norm_history({}),
        TypeError,
        r"GradientNormHistory",
    ),
    (
        "plot-history-empty",
        lambda: deep.plot_gradient_norm_history(deep.GradientNormHistory(X, Y)),
        ValueError,
        r"recorded",
    ),
    ("plot-acts-empty", lambda: deep.plot_activation_histograms({}), ValueError, r"activations"),
    (
        "plot-acts-bins",
        lambda: deep.plot_activation_histograms({"a": X}, bins=0),
        ValueError,
        r"bins",
    ),
    (
        "plot-acts-nan",
        lambda: deep.plot_activation_histograms({"a": [np.nan]}),
        ValueError,
        r"activations\['a'\]",
    ),
    # the Keras model's own fit: targets and batching are checked too
    (
        "fit-y-nan",
        lambda: _fit(y=_with(ONE_HOT, (0, 0), np.nan)),
        ValueError,
        r"y must hold finite",
    ),
    ("fit-empty", lambda: _fit(x=X[:0], y=ONE_HOT[:0]), ValueError, r"y must hold at least one"),
    ("fit-length", lambda: _fit(y=ONE_HOT[:3]), ValueError, r"x and y must have the same length"),
    ("fit-batch-0", lambda: _fit(batch_size=0), ValueError, r"batch_size must be an integer >= 1"),
    ("fit-epochs-float", lambda: _fit(epochs=1.5), TypeError, r"epochs must be an integer"),
    (
        "fit-class-indices",
        lambda: _fit(y=Y),
        ValueError,
        r"y must have shape \(N, 10\).*got shape \(4,\).*to_categorical",
    ),
    (
        "fit-onehot-width",
        lambda: _fit(y=ONE_HOT[:, :5]),
        ValueError,
        r"y must have shape \(N, 10\).*got shape \(4, 5\)",
    ),
    ("fit-x-str", lambda: _fit(x="abc"), TypeError, r"x must be an array of real numbers"),
    ("fit-y-str", lambda: _fit(y="abc"), TypeError, r"y must be an array of numbers"),
    (
        "evaluate-class-indices",
        lambda: deep.RECIPES["baseline"].build(1, seed=0).evaluate(X, Y, verbose=0),
        ValueError,
        r"y must have shape \(N, 10\)",
    ),
    ("predict-str", lambda: _model().predict("abc", verbose=0), TypeError, r"x must be an array"),
    ("call-number", lambda: _model()(0.5), ValueError, r"x must have shape \(any, 784\)"),
    (
        "sparse-fit-labels-10",
        lambda: _sparse().fit(X, Y + 10, epochs=1, verbose=0),
        ValueError,
        r"y must be <= 9",
    ),
    (
        "sparse-fit-onehot",
        lambda: _sparse().fit(X, ONE_HOT, epochs=1, verbose=0),
        ValueError,
        r"y must hold class indices of shape \(N,\).*sparse_categorical_crossentropy",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: deep.build_mlp(
            np.int64(1), units=np.int32(8), dropout=np.float32(0.1), seed=np.int64(3)
        ),
        lambda: deep.mnist_flat(np.int64(10), np.int16(10), seed=np.uint8(1)),
        lambda: deep.RECIPES["improved"].build(np.int64(1), total_steps=np.int64(5)),
        lambda: _recipe(learning_rate=np.float32(0.01), dropout=np.float64(0.0)),
        lambda: _study(
            depths=np.array([1]),
            epochs=np.int64(1),
            batch_size=np.int32(2),
            data=_data(),
            verbose=np.int64(0),
        ),
        lambda: deep.gradient_norms(_model(), X.astype(np.float64), Y.astype(np.uint8)),
        lambda: deep.GradientNormHistory(X, Y + 10, num_classes=np.int64(14)),
        lambda: deep.GradientNormHistory(X, np.eye(3)[Y % 3]),
        lambda: _sparse().fit(X, Y, epochs=1, verbose=0),
        lambda: _sparse().evaluate(X, Y[:, None], verbose=0),
    ],
    ids=[
        "build",
        "mnist_flat",
        "recipe-build",
        "recipe",
        "study",
        "norms",
        "tracker-classes",
        "tracker-3-one-hot",
        "sparse-fit",
        "sparse-evaluate",
    ],
)
def test_numpy_scalars_and_dtypes_are_accepted(call):
    call()


class _PoisonAfter(keras.callbacks.Callback):
    """Makes a kernel NaN after the first batch, as a bad step would; keeps the start weights."""

    def on_train_begin(self, logs=None):
        self.start = [w.numpy().copy() for w in self.model.weights]

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            kernel = self.model.weights[0]
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))


def test_non_finite_loss_stops_and_restores_the_weights():
    poison = _PoisonAfter()
    data = _data(x=np.tile(X, (16, 1)), y=np.tile(Y, 16))
    with pytest.raises(NonFiniteLossError, match=r"depth_study \(depth 1.*restored"):
        deep.depth_study(
            (1,), "relu", epochs=2, batch_size=8, data=data, callbacks=[poison], verbose=0
        )
    after = [w.numpy() for w in poison.model.weights]
    assert all(np.array_equal(a, b) for a, b in zip(poison.start, after, strict=True))


def test_exploding_learning_rate_is_caught_not_silent():
    # Without the guard the weights would become NaN silently and the study
    # would report chance accuracy as a result.
    wild = dataclasses.replace(deep.RECIPES["relu"], name="wild", learning_rate=1e30)
    (x, y), (xt, yt) = deep.mnist_flat(train_size=256, test_size=32, seed=0)
    with pytest.raises(NonFiniteLossError, match="learning_rate"):
        deep.depth_study((2,), wild, epochs=2, data=((x, y), (xt, yt)), verbose=0)


def test_failed_checks_leave_the_caller_arrays_alone():
    x = X.copy()
    x[0, 0] = np.nan
    y = Y.copy()
    with pytest.raises(ValueError):
        _study(data=_data(x=x, y=y))
    assert np.isnan(x[0, 0]) and np.array_equal(y, Y) and x.dtype == np.float32


@pytest.mark.parametrize(
    ("bad", "error", "pattern"),
    [
        (X * 255, ValueError, r"x.*divide them by 255"),
        (_with(X, (0, 3), np.nan), ValueError, r"x must hold finite"),
        ((X * 255).astype(np.uint8), TypeError, r"x.*255"),
    ],
    ids=["0-255", "nan", "uint8"],
)
def test_the_keras_model_refuses_bad_pixels(bad, error, pattern):
    model = deep.RECIPES["baseline"].build(1, seed=0)
    before = [w.numpy().copy() for w in model.weights]
    one_hot = np.eye(10, dtype=np.float32)[Y]
    calls = [
        lambda: model.predict(bad, verbose=0),
        lambda: model(bad),
        lambda: model.evaluate(bad, one_hot, verbose=0),
        lambda: model.fit(bad, one_hot, epochs=1, verbose=0),
    ]
    for call in calls:
        with pytest.raises(error, match=pattern):
            call()
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True))
    model.fit(X, one_hot, epochs=1, verbose=0)  # valid input still trains


def test_pixel_mlp_saves_and_loads(tmp_path):
    model = deep.build_mlp(2, units=8, seed=0)
    model.save(tmp_path / "mlp.keras")
    again = keras.saving.load_model(tmp_path / "mlp.keras")
    assert isinstance(again, deep.PixelMLP)
    assert np.allclose(again(X).numpy(), model(X).numpy())


def test_refused_targets_and_inputs_leave_the_weights_alone():
    model = deep.RECIPES["baseline"].build(1, seed=0)
    before = [w.numpy().copy() for w in model.weights]
    for x, y, error in [
        (X, Y, ValueError),
        (X, ONE_HOT[:, :5], ValueError),
        ("abc", ONE_HOT, TypeError),
    ]:
        with pytest.raises(error, match=r"^[xy] must"):
            model.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True))
