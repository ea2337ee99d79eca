import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import fdmlearn
from fdmlearn import deep


@pytest.fixture(scope="module")
def small_data():
    return deep.mnist_flat(train_size=3000, test_size=500)


def test_parameter_counts_match_the_assignment():
    assert [deep.build_mlp(d).count_params() for d in (1, 2, 3)] == [407050, 669706, 932362]


def test_default_model_is_the_assignment_layer_by_layer():
    model = deep.build_mlp(3)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == (
        ["Dense", "Dropout"] + ["Dense", "Activation", "Dropout"] * 2 + ["Dense", "Activation"]
    )
    assert model.get_layer("hidden1").activation is keras.activations.sigmoid
    assert model.get_layer("hidden2_act").activation is keras.activations.sigmoid
    assert model.get_layer("hidden1_dropout").rate == pytest.approx(0.2)
    assert model.get_layer("softmax").activation is keras.activations.softmax
    assert model.output_shape == (None, 10)


def test_knobs_change_the_model():
    bn = deep.build_mlp(2, "relu", normalization="batch", units=64)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in bn.layers)
    assert bn.get_layer("hidden1").use_bias is False
    res = deep.build_mlp(3, "relu", residual=True, units=32)
    assert [layer.name for layer in res.layers if isinstance(layer, keras.layers.Add)] == [
        "hidden2_skip",
        "hidden3_skip",
    ]
    x = np.zeros((2, 784), np.float32)
    assert np.allclose(res(x).numpy().sum(axis=1), 1.0, atol=1e-5)
    he = deep.build_mlp(1, "relu", initializer="he_normal")
    assert type(he.get_layer("hidden1").kernel_initializer).__name__ == "HeNormal"


def test_layers_get_different_initial_weights_from_a_shared_initializer():
    fdmlearn.set_seed(1)
    init = keras.initializers.GlorotUniform(seed=3)
    model = deep.build_mlp(2, units=784, initializer=init, input_dim=784)
    w1 = model.get_layer("hidden1").kernel.numpy()
    w2 = model.get_layer("hidden2").kernel.numpy()
    assert not np.allclose(w1, w2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"depth": 0}, ValueError, "depth"),
        ({"depth": 1.5}, TypeError, "depth"),
        ({"depth": True}, TypeError, "depth"),
        ({"depth": 2, "activation": "sigmoidd"}, ValueError, "activation"),
        ({"depth": 2, "dropout": 1.0}, ValueError, "dropout"),
        ({"depth": 2, "units": 0}, ValueError, "units"),
        ({"depth": 2, "normalization": "group"}, ValueError, "normalization"),
        ({"depth": 2, "initializer": "nope"}, ValueError, "initializer"),
        ({"depth": 2, "residual": "yes"}, TypeError, "residual"),
    ],
)
def test_build_mlp_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        deep.build_mlp(**kwargs)


def test_recipes_are_what_they_say():
    assert set(deep.RECIPES) >= {"baseline", "relu", "improved", "sigmoid_adamw", "sigmoid_bn"}
    base = deep.RECIPES["baseline"].build(1)
    assert type(base.optimizer).__name__ == "SGD"
    assert float(base.optimizer.learning_rate) == pytest.approx(0.01)
    assert deep.RECIPES["relu"].build(3).count_params() == 932362
    assert deep.RECIPES["sigmoid_bn"].activation == "sigmoid"
    assert deep.RECIPES["sigmoid_adamw"].normalization is None
    with pytest.raises(ValueError, match="total_steps"):
        deep.RECIPES["improved"].build(2)
    with pytest.raises(ValueError, match="recipe"):
        deep.get_recipe("best")
    with pytest.raises(ValueError, match="optimizer"):
        deep.Recipe("x", "bad", optimizer="rmsprop")


def test_mnist_flat(small_data):
    (x, y), (xt, yt) = small_data
    assert x.shape == (3000, 784) and xt.shape == (500, 784)
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() == 1.0
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    with pytest.raises(ValueError, match="train_size"):
        deep.mnist_flat(train_size=0)
    with pytest.raises(TypeError, match="test_size"):
        deep.mnist_flat(test_size=1.5)


def test_depth_study_learns_and_reports(small_data):
    study = deep.depth_study((1, 2), "improved", epochs=1, data=small_data, verbose=0)
    assert study.params == {1: 407050, 2: 669706}
    # 3000 images, one epoch (24 steps): far above chance (10%) if learning happens at all.
    assert all(acc > 0.7 for acc in study.test_accuracy.values()), study.test_accuracy
    assert set(study.history[1]) >= {"accuracy", "val_accuracy", "loss", "val_loss"}
    assert study.seconds[2] > 0
    table = study.to_markdown()
    assert table.count("\n") == 3 and "669,706" in table
    fig = study.plot()
    assert len(fig.axes) == 2 and fig.axes[0].get_ylim() == (0.0, 1.0)


def test_depth_study_is_repeatable(small_data):
    (x, y), (xt, yt) = small_data
    data = ((x[:1000], y[:1000]), (xt[:200], yt[:200]))
    a = deep.depth_study((2,), "baseline", epochs=1, data=data, seed=7, verbose=0)
    b = deep.depth_study((2,), "baseline", epochs=1, data=data, seed=7, verbose=0)
    assert a.history == b.history
    c = deep.depth_study((2,), "baseline", epochs=1, data=data, seed=8, verbose=0)
    assert c.history != a.history


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"depths": (0, 1)}, ValueError, "depth"),
        ({"depths": 3}, TypeError, "depths"),
        ({"recipe": "fancy"}, ValueError, "recipe"),
        ({"epochs": 0}, ValueError, "epochs"),
        (
            {"data": (((np.zeros((4, 28, 28), np.float32)), np.zeros(4, int)),) * 2},
            ValueError,
            r"\(N, 784\)",
        ),
        ({"data": ((np.zeros((4, 784), np.uint8), np.zeros(4, int)),) * 2}, TypeError, "float"),
        (
            {"data": ((np.zeros((4, 784), np.float32), np.zeros(3, int)),) * 2},
            ValueError,
            "equal length",
        ),
        ({"data": ((np.zeros((4, 784), np.float32), np.full(4, 10)),) * 2}, ValueError, "0..9"),
        ({"strategy": "mirrored"}, TypeError, "strategy"),
    ],
)
def test_depth_study_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        deep.depth_study(**{"epochs": 1, "verbose": 0, **kwargs})


def test_gradient_norms_vanish_in_deep_sigmoid_but_not_relu(small_data):
    (x, y), _ = small_data
    fdmlearn.set_seed(0)
    sig = deep.gradient_norms(deep.build_mlp(6), x[:256], y[:256])
    fdmlearn.set_seed(0)
    relu = deep.gradient_norms(deep.build_mlp(6, "relu", initializer="he_normal"), x[:256], y[:256])
    assert list(sig) == [f"hidden{i}" for i in range(1, 7)] + ["output"]
    # Sigmoid: the first layer gets orders of magnitude less gradient than the last hidden one.
    assert sig["hidden1"] < 0.05 * sig["hidden6"]
    # ReLU + He: no such collapse.
    assert relu["hidden1"] > 0.1 * relu["hidden6"]
    one_hot = keras.utils.to_categorical(y[:256], 10)
    assert deep.gradient_norms(deep.build_mlp(1), x[:4], one_hot[:4]).keys() == {
        "hidden1",
        "output",
    }
    with pytest.raises(ValueError, match="784"):
        deep.gradient_norms(deep.build_mlp(1), x[:4, :100], y[:4])


def test_gradient_history_and_activations(small_data):
    (x, y), (xt, yt) = small_data
    data = ((x[:1024], y[:1024]), (xt[:100], yt[:100]))
    study = deep.depth_study((3,), "baseline", epochs=1, data=data, track_gradients=True, verbose=0)
    tracker = study.gradient_history[3]
    assert tracker.steps == [0]  # 8 steps, recorded every 50: only the start
    assert set(tracker.norms) == {"hidden1", "hidden2", "hidden3", "output"}
    fig = deep.plot_gradient_norm_history(tracker)
    assert fig.axes[0].get_yscale() == "log"
    acts = deep.hidden_activations(study.models[3], xt[:32])
    assert list(acts) == ["hidden1", "hidden2", "hidden3"]
    assert all(a.shape == (32, 512) and 0 <= a.min() and a.max() <= 1 for a in acts.values())
    assert len(deep.plot_activation_histograms(acts).axes) == 3
    with pytest.raises(ValueError, match="every"):
        deep.GradientNormHistory(x[:4], y[:4], every=0)
    with pytest.raises(ValueError, match="recorded"):
        deep.plot_gradient_norm_history(deep.GradientNormHistory(x[:4], y[:4]))


def test_plot_gradient_norms_compares_networks():
    fig = deep.plot_gradient_norms(
        {"sigmoid": {"hidden1": 1e-4, "output": 1e-1}, "relu": {"hidden1": 1e-2, "output": 1e-1}}
    )
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["sigmoid", "relu"]
    with pytest.raises(ValueError, match="empty"):
        deep.plot_gradient_norms({})


MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json
    import tensorflow as tf
    # Two logical CPUs must be configured before TensorFlow initializes its devices.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    from fdmlearn import deep
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    study = deep.depth_study((2,), "improved", epochs=1, train_size=2048, test_size=256,
                             strategy=strategy, verbose=0)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "test_accuracy": study.test_accuracy[2]}))
    """
)


def test_depth_study_under_mirrored_strategy():
    proc = subprocess.run(
        [sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert 0.5 < result["test_accuracy"] <= 1.0


@pytest.mark.slow
def test_full_depth_study_reproduces_the_collapse_and_the_fix():
    base = deep.depth_study((1, 3), "baseline", epochs=10, verbose=0)
    assert base.test_accuracy[3] < 0.5 < base.test_accuracy[1]
    improved = deep.depth_study((1, 2, 3), "improved", epochs=10, verbose=0)
    assert min(improved.test_accuracy.values()) > 0.975
