"""Tests of fdmlearn.filters: the sepia + Gaussian blur CNN against NumPy and scipy."""

import keras
import numpy as np
import pytest

from fdmlearn import filters
from fdmlearn.datasets import sample_image

TOL = 1e-6


@pytest.fixture(scope="module")
def random_images():
    return np.random.default_rng(42).random((3, 40, 33, 3))


@pytest.fixture(scope="module")
def photo():
    return sample_image()


def cnn(images, **kwargs):
    model = filters.build_filter_cnn(**kwargs)
    batch = np.asarray(images, dtype=np.float32)
    single = batch.ndim == 3
    out = model.predict(batch[None] if single else batch, verbose=0)
    return out[0] if single else out


# ----------------------------------------------------------------------------- kernels


def test_sepia_matrix_is_the_assignment_one():
    assert filters.SEPIA.shape == (3, 3)
    assert filters.SEPIA[0].tolist() == [0.393, 0.769, 0.189]
    assert filters.SEPIA[2].tolist() == [0.272, 0.534, 0.131]
    with pytest.raises(ValueError):
        filters.SEPIA[0, 0] = 1.0


def test_gaussian_5x5_is_exactly_the_table():
    assert filters.GAUSSIAN_5X5_TABLE.sum() == 273
    k = filters.gaussian_kernel(5, 1.0)
    assert np.array_equal(k, filters.GAUSSIAN_5X5_TABLE / 273)
    assert np.array_equal(k * 273, filters.GAUSSIAN_5X5_TABLE)


@pytest.mark.parametrize(("size", "sigma"), [(1, 1.0), (3, 0.5), (5, 2.0), (7, 1.0), (9, 3.3)])
def test_sampled_kernels_sum_to_one_and_are_symmetric_bells(size, sigma):
    k = filters.gaussian_kernel(size, sigma)
    assert k.shape == (size, size)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(k, k.T) and np.allclose(k, k[::-1]) and np.allclose(k, k[:, ::-1])
    assert k.argmax() == (size * size) // 2


def test_sampled_formula_differs_from_table_as_documented():
    sampled = filters.gaussian_kernel(5, 1.0, use_table=False)
    table = filters.GAUSSIAN_5X5_TABLE / 273
    diff = sampled - table
    assert 0.01 < np.abs(diff).max() < 0.015
    assert diff[2, 2] > 0 and diff[0, 0] < 0  # sharper centre, lighter corners
    # The sampled kernel is the formula itself, normalised.
    x = np.arange(-2, 3)
    formula = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / 2) / (2 * np.pi)
    assert np.allclose(sampled, formula / formula.sum(), atol=1e-15)


def test_table_is_close_to_the_gaussian_integrated_over_pixels():
    # What the docstring claims: the table is nearer to integrating the bell over each
    # pixel's unit square than to sampling it at the pixel centres.
    from math import erf, sqrt

    cdf = np.array([0.5 * (1 + erf(e / sqrt(2))) for e in np.arange(-2.5, 3.0, 1.0)])
    mass = np.diff(cdf)
    integrated = np.outer(mass, mass) / mass.sum() ** 2
    table = filters.GAUSSIAN_5X5_TABLE
    sampled = filters.gaussian_kernel(5, 1.0, use_table=False)
    assert np.abs(integrated * 273 - table).max() < 0.51
    assert np.abs(sampled * 273 - table).max() > 3.0


def test_sampled_kernel_matches_scipy_gaussian_filter():
    ndimage = pytest.importorskip("scipy.ndimage")
    for size, sigma in [(5, 1.0), (7, 1.5), (3, 0.8)]:
        r = size // 2
        impulse = np.zeros((size, size))
        impulse[r, r] = 1.0
        expected = ndimage.gaussian_filter(impulse, sigma, truncate=r / sigma, mode="constant")
        got = filters.gaussian_kernel(size, sigma, use_table=False)
        assert np.allclose(got, expected, atol=1e-12), (size, sigma)


# ----------------------------------------------------------------------------- references


def test_references_match_scipy_ndimage(random_images):
    ndimage = pytest.importorskip("scipy.ndimage")
    imgs = random_images
    sep = filters.sepia(imgs)
    assert np.allclose(sep, np.einsum("oi,nhwi->nhwo", filters.SEPIA, imgs), atol=1e-12)
    for size, sigma in [(5, 1.0), (3, 0.7), (7, 2.0)]:
        k = filters.gaussian_kernel(size, sigma)
        same = ndimage.correlate(sep, k[None, :, :, None], mode="constant", cval=0.0)
        r = size // 2
        got_same = filters.gaussian_blur(sep, size, sigma, padding="same")
        got_valid = filters.gaussian_blur(sep, size, sigma)
        assert np.allclose(got_same, same, atol=1e-12)
        assert np.allclose(got_valid, same[:, r:-r, r:-r], atol=1e-12)


def test_reference_keeps_float32_and_accepts_single_images(photo):
    out = filters.gaussian_blur(filters.sepia(photo), 5, 1.0)
    assert out.dtype == np.float32 and out.shape == (596, 508, 3)
    assert filters.sepia(photo.astype(np.float64)).dtype == np.float64


def test_integer_images_need_a_stated_scale():
    img8 = (np.arange(7 * 7 * 3) % 256).astype(np.uint8).reshape(7, 7, 3)
    with pytest.raises(TypeError, match="scale=255"):
        filters.sepia(img8)
    with pytest.raises(TypeError, match="scale=255"):
        filters.gaussian_blur(img8)
    assert np.allclose(filters.sepia(img8, scale=255), filters.sepia(img8 / 255.0), atol=1e-6)
    assert np.allclose(
        filters.gaussian_blur(img8, scale=255), filters.gaussian_blur(img8 / 255.0), atol=1e-6
    )


def test_sepia_can_exceed_one_and_clip_fixes_it(photo):
    raw = filters.sepia(photo)
    assert raw.max() > 1.0  # bright pixels of the real photo
    clipped = filters.sepia(photo, clip=True)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0
    assert np.array_equal(clipped, np.clip(raw, 0, 1))


# ----------------------------------------------------------------------------- the CNN


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("depthwise", [False, True])
def test_cnn_equals_reference_on_random_images(random_images, padding, depthwise):
    expected = filters.gaussian_blur(filters.sepia(random_images), 5, 1.0, padding=padding)
    got = cnn(random_images, padding=padding, depthwise=depthwise)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < TOL


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_cnn_equals_reference_on_the_real_photo(photo, padding):
    expected = filters.gaussian_blur(filters.sepia(photo.astype(np.float64)), padding=padding)
    got = cnn(photo, padding=padding)
    assert np.abs(got - expected).max() < TOL


@pytest.mark.parametrize(("size", "sigma"), [(3, 0.5), (7, 2.0)])
def test_cnn_equals_reference_for_other_kernels(random_images, size, sigma):
    for padding in ("valid", "same"):
        expected = filters.gaussian_blur(filters.sepia(random_images), size, sigma, padding)
        got = cnn(random_images, kernel_size=size, sigma=sigma, padding=padding)
        assert np.abs(got - expected).max() < TOL


def test_both_forms_of_layer_2_give_the_same_output(photo):
    full = cnn(photo, depthwise=False)
    depthwise = cnn(photo, depthwise=True)
    assert np.abs(full - depthwise).max() < TOL
    assert np.allclose(
        filters.effective_kernel(filters.build_filter_cnn()),
        filters.effective_kernel(filters.build_filter_cnn(depthwise=True)),
    )


def test_clip_layer_matches_clipped_reference(photo):
    bright = np.clip(photo * 1.3, 0, 1)  # push many pixels past sepia's limit
    expected = filters.gaussian_blur(filters.sepia(bright, clip=True), 5, 1.0)
    got = cnn(bright, clip=True)
    assert np.abs(got - expected).max() < TOL
    assert got.max() <= 1.0 and cnn(bright).max() > 1.0


def test_shapes_128_to_124_and_same_padding_keeps_size():
    images = np.zeros((2, 128, 128, 3), dtype=np.float32)
    assert filters.build_filter_cnn().predict(images, verbose=0).shape == (2, 124, 124, 3)
    same = filters.build_filter_cnn(padding="same").predict(images, verbose=0)
    assert same.shape == (2, 128, 128, 3)
    # Any H, W >= the kernel: the smallest possible image gives one pixel.
    tiny = np.ones((1, 5, 9, 3), dtype=np.float32)
    assert filters.build_filter_cnn().predict(tiny, verbose=0).shape == (1, 1, 5, 3)


def test_parameter_counts_frozen_and_no_bias():
    full = filters.build_filter_cnn()
    depthwise = filters.build_filter_cnn(depthwise=True)
    # Layer 1: 3 filters x 1x1x3 = 9. Layer 2: 3 filters x 5x5x3 = 225, or 3 x 5x5 = 75.
    assert full.count_params() == 9 + 225 == 234
    assert depthwise.count_params() == 9 + 75 == 84
    assert filters.build_filter_cnn(kernel_size=7).count_params() == 9 + 7 * 7 * 9
    for model in (full, depthwise, filters.build_filter_cnn(clip=True)):
        assert model.trainable_weights == [] and not model.trainable
        assert all(not getattr(layer, "use_bias", False) for layer in model.layers)
        assert len(model.weights) == 2  # two kernels, no bias vectors
    assert full.get_layer("gaussian_blur").get_weights()[0].shape == (5, 5, 3, 3)
    assert depthwise.get_layer("gaussian_blur").get_weights()[0].shape == (5, 5, 3, 1)


def test_layer_weights_are_the_notebook_answer():
    model = filters.build_filter_cnn()
    sepia_w = model.get_layer("sepia").get_weights()[0]
    assert np.allclose(sepia_w[0, 0].T, filters.SEPIA)
    blur = model.get_layer("gaussian_blur").get_weights()[0]
    table = filters.GAUSSIAN_5X5_TABLE / 273
    for o in range(3):
        for i in range(3):
            assert np.allclose(blur[:, :, i, o], table if i == o else 0.0)


# ----------------------------------------------------------------------------- describe


def test_describe_gives_the_answer_table():
    answer = filters.describe(filters.build_filter_cnn())
    assert answer.output_shape == (124, 124, 3) and answer.total_parameters == 234
    first, second = answer.layers
    assert (first.kind, first.filters, first.filter_shape, first.parameters) == (
        "Conv2D",
        3,
        (1, 1, 3),
        9,
    )
    assert (second.filters, second.filter_shape, second.parameters) == (3, (5, 5, 3), 225)
    assert not first.trainable and not second.trainable
    md = answer.to_markdown()
    assert "| 2 | gaussian_blur | Conv2D | 3 | 5x5x3 | 225 | no (frozen) | 124x124x3 |" in md
    assert "0.393 x R, 0.769 x G, 0.189 x B" in md
    assert " 41  26   7" in md and "input channels G, B: all 0" in md
    text = str(answer)
    assert text.startswith("input 128x128x3 -> output 124x124x3, 234 parameters")


def test_describe_depthwise_clip_and_other_sizes():
    answer = filters.describe(filters.build_filter_cnn(depthwise=True, clip=True), (64, 50, 3))
    kinds = [layer.kind for layer in answer.layers]
    assert kinds[1].startswith("ReLU") and kinds[2] == "DepthwiseConv2D"
    assert answer.output_shape == (60, 46, 3) and answer.total_parameters == 84
    same = filters.describe(filters.build_filter_cnn(padding="same"))
    assert same.output_shape == (128, 128, 3)


# ----------------------------------------------------------------------------- learning


def test_photo_patches_are_deterministic_crops_of_the_photo(photo):
    a = filters.photo_patches(5, 20, seed=3)
    assert a.shape == (5, 20, 20, 3) and np.array_equal(a, filters.photo_patches(5, 20, seed=3))
    assert not np.array_equal(a, filters.photo_patches(5, 20, seed=4))
    assert 0.0 <= a.min() and a.max() <= 1.0
    # Every patch is a rotated / flipped piece of the photo: its pixels are photo pixels.
    colours = {tuple(p) for p in photo.reshape(-1, 3)[::7]}
    assert any(tuple(p) in colours for p in a[0].reshape(-1, 3))
    noisy = filters.photo_patches(5, 20, noise=0.2, center=True, seed=3)
    assert np.allclose(noisy.mean(axis=(1, 2)), 0, atol=1e-5)


def test_effective_kernel_of_the_true_model():
    for depthwise in (False, True):
        model = filters.build_filter_cnn(kernel_size=3, sigma=0.8, depthwise=depthwise)
        assert np.allclose(
            filters.effective_kernel(model), filters.true_effective_kernel(3, 0.8), atol=1e-7
        )


def test_fit_recovers_the_filters_from_noisy_photo_patches():
    images = filters.photo_patches(64, 12, noise=0.2, center=True, seed=1)
    targets = filters.gaussian_blur(filters.sepia(images), 5, 1.0)
    result = filters.fit_filter_cnn(images, targets, epochs=60, batch_size=16, seed=0, verbose=0)
    assert result.losses[-1] < result.losses[0] * 1e-3
    assert result.effective_kernel_error < 1e-3
    assert result.sepia_error < 1e-2 and result.gaussian_error < 1e-2
    assert np.allclose(result.learned_gaussian[0], filters.gaussian_kernel(5, 1.0), atol=1e-2)
    # The layers are only fixed up to a mixing between them: raw weights stay far off.
    assert result.raw_weight_error > 10 * result.effective_kernel_error
    assert result.keras_model.trainable_weights  # the learner's copy is trainable


# ----------------------------------------------------------------------------- plots


def test_plots_return_figures():
    from matplotlib.figure import Figure

    fig = filters.plot_kernels()
    assert isinstance(fig, Figure) and len(fig.axes) == 4  # 3 panels + a colorbar
    assert len(filters.plot_kernels(7, 2.0).axes) == 2
    grid = filters.plot_layer2_filters(filters.build_filter_cnn(depthwise=True))
    assert len(grid.axes) == 10  # 3x3 panels + a colorbar
    zero_panel = grid.axes[1].images[0].get_array()
    assert np.all(zero_panel == 0)  # filter 1 on input channel G
    fig = filters.plot_images({"before": np.zeros((6, 6, 3)), "after": np.full((6, 6, 3), 1.4)})
    assert len(fig.axes) == 2 and fig.axes[1].images[0].get_array().max() == 1.0
    with pytest.raises(ValueError, match="at least one"):
        filters.plot_images({})
    with pytest.raises(ValueError, match="one image"):
        filters.plot_images({"batch": np.zeros((2, 6, 6, 3))})


# ----------------------------------------------------------------------------- reliability


@pytest.mark.parametrize("sigma", [1e-200, 1e-30, 1e-3])
def test_tiny_sigma_gives_the_identity_kernel(sigma):
    k = filters.gaussian_kernel(5, sigma)
    expected = np.zeros((5, 5))
    expected[2, 2] = 1.0
    assert np.isfinite(k).all() and np.array_equal(k, expected)


def test_huge_sigma_gives_a_flat_box():
    k = filters.gaussian_kernel(3, 1e300)
    assert np.allclose(k, 1 / 9)


def test_unscaled_float_images_are_refused_not_turned_white(photo):
    with pytest.raises(ValueError, match=r"img.*0\.\.255.*divide them by 255"):
        filters.sepia(photo * 255, clip=True)
    with pytest.raises(ValueError, match=r"img.*255"):
        filters.gaussian_blur(photo * 255)
    # Centred, noisy patches (the learnability experiment) are still accepted.
    noisy = filters.photo_patches(4, 12, noise=0.5, center=True, seed=0)
    assert np.abs(noisy).max() <= filters.PIXEL_LIMIT
    filters.gaussian_blur(filters.sepia(noisy), 5, 1.0)


# ----------------------------------------------------------------------------- any model


def _student_model():
    """A student's answer: other names, biases, a depthwise blur and a linear Activation."""
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(3, 1, name="colours")(inputs)
    x = keras.layers.Activation("linear", name="nothing")(x)
    x = keras.layers.DepthwiseConv2D(3, name="smooth")(x)
    model = keras.Model(inputs, x, name="student")
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.weights])
    return model


def test_describe_shows_biases_of_any_model():
    model = _student_model()
    answer = filters.describe(model, (10, 12, 3))
    assert answer.output_shape == (8, 10, 3)
    assert answer.total_parameters == (9 + 3) + 0 + (27 + 3)
    assert answer.bias_parameters == 6
    text = str(answer)
    assert "no biases" not in text and "6 of them biases" in text.splitlines()[0]
    bias = model.get_layer("smooth").bias.numpy()
    assert f"bias (3): {bias[0]:.3f}, {bias[1]:.3f}, {bias[2]:.3f}" in text
    assert [layer.name for layer in answer.layers] == ["colours", "nothing", "smooth"]
    md = answer.to_markdown()
    assert "6 of them biases" in md and "**smooth (DepthwiseConv2D" in md
    assert answer._repr_markdown_() == md


def test_describe_a_dense_and_a_nonlinear_model():
    model = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            keras.layers.Conv2D(64, 3, activation="relu", name="features"),
            keras.layers.Dense(3, name="mix"),
        ]
    )
    answer = filters.describe(model, (16, 16, 3))
    assert answer.layers[0].kind == "Conv2D, relu" and answer.layers[0].filters == 64
    assert answer.layers[1].filter_shape == (64,) and answer.output_shape == (14, 14, 3)
    text = str(answer)
    assert len(text.splitlines()) < 120  # a 64-filter layer is summarised, not dumped
    assert "more kernels not shown" in text


def test_description_repr_is_short():
    text = repr(filters.describe(filters.build_filter_cnn()))
    assert text.startswith("FilterCNNDescription(128x128x3 -> 124x124x3, 234 parameters, no biases")
    assert "\n" not in text and len(text) < 200
    big = keras.Sequential(
        [keras.Input((None, None, 3))] + [keras.layers.Conv2D(3, 1) for _ in range(30)]
    )
    assert len(repr(filters.describe(big, (4, 4, 3)))) < 300


def test_effective_kernel_of_any_linear_model():
    model = _student_model()
    kernel, bias = filters.effective_kernel(model, with_bias=True)
    assert kernel.shape == (3, 3, 3, 3)
    images = np.random.default_rng(1).random((2, 9, 7, 3)).astype(np.float32)
    # One convolution with the composed kernel and bias gives the model's output.
    one = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(3, 3)])
    one.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    assert np.abs(one(images).numpy() - model(images).numpy()).max() < 1e-4
    dense = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            keras.layers.Dense(3, use_bias=False),
            keras.layers.Conv2D(3, 5, use_bias=False),
        ]
    )
    dense.layers[0].set_weights([filters.SEPIA.T.astype(np.float32)])
    dense.layers[1].set_weights(
        [filters.build_filter_cnn().get_layer("gaussian_blur").get_weights()[0]]
    )
    assert np.allclose(filters.effective_kernel(dense), filters.true_effective_kernel(), atol=1e-6)


def test_fit_touches_no_global_generator_and_is_repeatable():
    import random

    images = filters.photo_patches(8, 10, seed=2)
    targets = filters.gaussian_blur(filters.sepia(images), 3, 1.0)
    np.random.seed(5)
    random.seed(5)
    expected = np.random.random(), random.random()
    np.random.seed(5)
    random.seed(5)
    a = filters.fit_filter_cnn(images, targets, kernel_size=3, epochs=2, batch_size=4, verbose=0)
    assert (np.random.random(), random.random()) == expected
    b = filters.fit_filter_cnn(images, targets, kernel_size=3, epochs=2, batch_size=4, verbose=0)
    assert a.losses == b.losses
    c = filters.fit_filter_cnn(
        images, targets, kernel_size=3, epochs=2, batch_size=4, verbose=0, seed=1
    )
    assert c.losses != a.losses


def test_fit_passes_callbacks_validation_and_verbose(capsys):
    images = filters.photo_patches(8, 10, seed=2)
    targets = filters.gaussian_blur(filters.sepia(images), 3, 1.0)
    seen = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(sorted(logs))

    result = filters.fit_filter_cnn(
        images,
        targets,
        kernel_size=3,
        epochs=2,
        batch_size=4,
        validation=(images[:2], targets[:2]),
        callbacks=[Count()],
        verbose=2,
    )
    assert seen == [["loss", "val_loss"]] * 2
    assert "Epoch 2/2" in capsys.readouterr().out
    assert isinstance(result.history, keras.callbacks.History)
    assert "FitResult(2 epochs" in repr(result) and len(repr(result)) < 200
    with pytest.warns(DeprecationWarning, match="keras_model"):
        assert result.model is result.keras_model
