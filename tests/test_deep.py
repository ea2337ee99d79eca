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


def test_mnist_flat_subsets_are_stratified_seeded_and_not_the_first_images():
    from fdmlearn.datasets import mnist_split

    images, labels = mnist_split("test")
    share = np.bincount(labels, minlength=10) / len(labels)
    (_, _), (xt, yt) = deep.mnist_flat(train_size=10, test_size=2000, seed=3)
    # Each digit within one image of its share of the whole test split.
    assert np.abs(np.bincount(yt, minlength=10) - 2000 * share).max() <= 1
    first = images[:2000].reshape(2000, 784) / np.float32(255)
    assert not np.array_equal(xt, first)
    # The images are real test images with their own labels.
    rows = {r.tobytes(): lab for r, lab in zip(images.reshape(-1, 784), labels, strict=True)}
    pixels = np.round(xt * 255).astype(np.uint8)
    assert all(rows[r.tobytes()] == lab for r, lab in zip(pixels[:50], yt[:50], strict=True))
    (_, _), (again, _) = deep.mnist_flat(train_size=10, test_size=2000, seed=3)
    (_, _), (other, _) = deep.mnist_flat(train_size=10, test_size=2000, seed=4)
    assert np.array_equal(xt, again) and not np.array_equal(xt, other)
    rng = np.random.default_rng(5)
    (a, _), _ = deep.mnist_flat(train_size=50, test_size=1, seed=rng)
    (b, _), _ = deep.mnist_flat(train_size=50, test_size=1, seed=rng)
    assert not np.array_equal(a, b)  # a Generator is advanced, not reset
    (full, _), _ = deep.mnist_flat(test_size=1)
    assert full.shape == (60000, 784)


def test_depth_study_touches_no_global_generator(small_data):
    import random

    (x, y), (xt, yt) = small_data
    data = ((x[:256], y[:256]), (xt[:64], yt[:64]))
    np.random.seed(123)
    random.seed(123)
    expected = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    deep.depth_study((1,), "baseline", epochs=1, data=data, seed=0, verbose=0)
    deep.build_mlp(1, seed=np.random.default_rng(0))
    assert (np.random.random(), random.random()) == expected


def test_any_number_of_classes():
    model = deep.build_mlp(2, "relu", units=16, input_dim=6, num_classes=4, seed=0)
    x = np.random.default_rng(0).random((8, 6))
    norms = deep.gradient_norms(model, x, np.arange(8) % 4)
    assert list(norms) == ["hidden1", "hidden2", "output"] and all(v > 0 for v in norms.values())
    one_hot = np.eye(4)[np.arange(8) % 4]
    assert deep.gradient_norms(model, x, one_hot) == pytest.approx(norms)
    with pytest.raises(ValueError, match=r"y must be <= 3"):
        deep.gradient_norms(model, x, np.arange(8))
    acts = deep.hidden_activations(model, x)
    assert [a.shape for a in acts.values()] == [(8, 16), (8, 16)]


def test_depth_study_repr_is_short_and_markdown(small_data):
    study = deep.DepthStudy(
        "relu",
        3,
        test_accuracy={d: 0.9 for d in range(1, 40)},
        train_accuracy={d: 0.95 for d in range(1, 40)},
        params={d: 1000 for d in range(1, 40)},
        seconds={d: 1.0 for d in range(1, 40)},
    )
    text = repr(study)
    assert len(text) < 250 and "31 more" in text and "\n" not in text
    md = study._repr_markdown_()
    assert md.count("\n") == 42 and "| 39 |" in md  # title, blank, header, rule, 39 rows


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
    a = deep.depth_study((2,), "baseline", epochs=2, data=data, seed=7, verbose=0)
    b = deep.depth_study((2,), "baseline", epochs=2, data=data, seed=7, verbose=0)
    assert a.history == b.history
    c = deep.depth_study((2,), "baseline", epochs=2, data=data, seed=8, verbose=0)
    assert c.history != a.history
    # A depth's result does not depend on the depths trained before it.
    d = deep.depth_study((1, 2), "baseline", epochs=2, data=data, seed=7, verbose=0)
    assert d.history[2] == a.history[2]


def test_depth_study_passes_callbacks_and_verbose(small_data, capsys):
    (x, y), (xt, yt) = small_data
    data = ((x[:256], y[:256]), (xt[:64], yt[:64]))
    seen = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    deep.depth_study((1,), "relu", epochs=2, data=data, callbacks=[Count()], verbose=2)
    assert seen == [0, 1]
    assert "Epoch 2/2" in capsys.readouterr().out


def test_gradient_norms_vanish_in_deep_sigmoid_but_not_relu(small_data):
    (x, y), _ = small_data
    sig = deep.gradient_norms(deep.build_mlp(6, seed=0), x[:256], y[:256])
    he = deep.build_mlp(6, "relu", initializer="he_normal", seed=0)
    relu = deep.gradient_norms(he, x[:256], y[:256])
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
    with pytest.raises(ValueError, match="784.*flatten"):
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
    import dataclasses, json
    import numpy as np
    import tensorflow as tf
    # Two logical CPUs must be configured before TensorFlow initializes its devices.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    from fdmlearn import deep
    # No dropout, so that one device and two replicas compute the same mean
    # gradient on the same batches: the values must agree, not only the shapes.
    recipe = dataclasses.replace(deep.RECIPES["relu"], name="relu_nodrop", dropout=0.0)
    data = deep.mnist_flat(train_size=1024, test_size=256, seed=0)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    two = deep.depth_study((2,), recipe, epochs=2, data=data, strategy=strategy, verbose=0)
    one = deep.depth_study((2,), recipe, epochs=2, data=data, verbose=0)
    weights = [np.abs(a - b).max() for a, b in
               zip(two.models[2].get_weights(), one.models[2].get_weights())]
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "loss_two": two.history[2]["loss"], "loss_one": one.history[2]["loss"],
                      "acc_two": two.test_accuracy[2], "acc_one": one.test_accuracy[2],
                      "max_weight_diff": float(max(weights)),
                      "variable_type": type(two.models[2].weights[0].value).__name__}))
    """
)


def test_depth_study_under_mirrored_strategy():
    proc = subprocess.run(
        [sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["variable_type"] == "MirroredVariable"  # built under the strategy's scope
    assert result["loss_two"] == pytest.approx(result["loss_one"], rel=1e-4)
    assert result["max_weight_diff"] < 2e-3  # float rounding only; one SGD step moves ~1e-2
    assert abs(result["acc_two"] - result["acc_one"]) <= 2 / 256
    assert result["loss_one"][1] < result["loss_one"][0]  # it learns (16 small SGD steps)


@pytest.mark.slow
def test_full_depth_study_reproduces_the_collapse_and_the_fix():
    base = deep.depth_study((1, 3), "baseline", epochs=10, verbose=0)
    assert base.test_accuracy[3] < 0.5 < base.test_accuracy[1]
    improved = deep.depth_study((1, 2, 3), "improved", epochs=10, verbose=0)
    assert min(improved.test_accuracy.values()) > 0.975
