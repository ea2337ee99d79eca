"""Bad input to fdmlearn.filters: each case is the call, the exception and a message regex."""

from __future__ import annotations

import keras
import numpy as np
import pytest

# The same poisoned step as deep's test: one callback for both fit paths.
from test_bad_input_deep import _PoisonAfter  # tests/ is on sys.path

from fdmlearn import filters
from fdmlearn.errors import NonFiniteLossError

IMG = np.full((9, 9, 3), 0.5)
BATCH = np.full((2, 9, 9, 3), 0.5, np.float32)
TARGETS = filters.gaussian_blur(filters.sepia(BATCH), 5, 1.0)


def _with(a, index, value):
    a = np.array(a, dtype=np.float64)
    a[index] = value
    return a


def _describe(shape, model=None):
    return filters.describe(model or filters.build_filter_cnn(), shape)


def _fit(**kwargs):
    args = {"images": BATCH, "targets": TARGETS, "epochs": 1, "verbose": 0, **kwargs}
    return filters.fit_filter_cnn(args.pop("images"), args.pop("targets"), **args)


def _relu_model():
    return keras.Sequential(
        [keras.Input((None, None, 3)), keras.layers.Conv2D(3, 3, activation="relu")]
    )


def _pooling_model():
    return keras.Sequential([keras.Input((None, None, 3)), keras.layers.MaxPooling2D(2)])


def _strided_model():
    return keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(3, 3, strides=2)])


def _one_channel_model():
    return keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(1, 3)])


# (id, call, exception, regex the message must match)
CASES = [
    # gaussian_kernel
    ("size-even", lambda: filters.gaussian_kernel(6, 1.0), ValueError, r"size must be an odd"),
    (
        "size-0",
        lambda: filters.gaussian_kernel(0, 1.0),
        ValueError,
        r"size must be an integer >= 1",
    ),
    (
        "size-float",
        lambda: filters.gaussian_kernel(5.0, 1.0),
        TypeError,
        r"size must be an integer",
    ),
    ("size-bool", lambda: filters.gaussian_kernel(True, 1.0), TypeError, r"size"),
    ("sigma-0", lambda: filters.gaussian_kernel(5, 0), ValueError, r"sigma must be a number > 0"),
    ("sigma-neg", lambda: filters.gaussian_kernel(5, -1.0), ValueError, r"sigma"),
    (
        "sigma-nan",
        lambda: filters.gaussian_kernel(5, float("nan")),
        ValueError,
        r"sigma must be a finite",
    ),
    (
        "sigma-inf",
        lambda: filters.gaussian_kernel(5, float("inf")),
        ValueError,
        r"sigma must be a finite",
    ),
    ("sigma-str", lambda: filters.gaussian_kernel(5, "1"), TypeError, r"sigma"),
    (
        "size-huge",
        lambda: filters.gaussian_kernel(10**9 + 1),
        ValueError,
        r"size must be an integer >= 1 and <= 1001",
    ),
    ("blur-size-huge", lambda: filters.gaussian_blur(IMG, 10**9 + 1), ValueError, r"size.*1001"),
    (
        "cnn-kernel-huge",
        lambda: filters.build_filter_cnn(10**5 + 1),
        ValueError,
        r"kernel_size.*1001",
    ),
    (
        "patches-memory",
        lambda: filters.photo_patches(10**7, 512),
        ValueError,
        r"GB; the limit is 4 GB",
    ),
    # sepia / gaussian_blur
    ("img-2d", lambda: filters.sepia(np.zeros((8, 8))), ValueError, r"img.*\(H, W, 3\)"),
    (
        "img-5d",
        lambda: filters.sepia(np.zeros((1, 1, 8, 8, 3))),
        ValueError,
        r"img.*\(N, H, W, 3\)",
    ),
    ("img-4-channels", lambda: filters.sepia(np.zeros((8, 8, 4))), ValueError, r"img.*3 channels"),
    (
        "img-uint8",
        lambda: filters.sepia(np.zeros((8, 8, 3), np.uint8)),
        TypeError,
        r"img.*uint8.*scale=255",
    ),
    ("img-bool", lambda: filters.sepia(np.zeros((8, 8, 3), bool)), TypeError, r"img.*boolean"),
    ("img-str", lambda: filters.sepia(np.array([[["a"] * 3] * 8] * 8)), TypeError, r"img"),
    ("img-text", lambda: filters.sepia("photo.jpg"), TypeError, r"img"),
    (
        "img-ragged",
        lambda: filters.sepia([[[0.1, 0.2, 0.3]], [[0.1]]]),
        ValueError,
        r"img.*rectangular",
    ),
    (
        "img-nan",
        lambda: filters.sepia(_with(IMG, (0, 0, 0), np.nan)),
        ValueError,
        r"img must hold finite",
    ),
    (
        "img-inf",
        lambda: filters.gaussian_blur(_with(IMG, (1, 1, 1), np.inf)),
        ValueError,
        r"img must hold finite",
    ),
    (
        "img-0-255",
        lambda: filters.sepia(IMG * 255, clip=True),
        ValueError,
        r"img.*0\.\.255.*divide",
    ),
    ("img-0-255-blur", lambda: filters.gaussian_blur(IMG * 255), ValueError, r"img.*0\.\.255"),
    ("img-huge-neg", lambda: filters.sepia(-IMG * 255), ValueError, r"img"),
    (
        "scale-0",
        lambda: filters.sepia(np.zeros((2, 2, 3), np.uint8), scale=0),
        ValueError,
        r"scale",
    ),
    (
        "scale-str",
        lambda: filters.sepia(np.zeros((2, 2, 3), np.uint8), scale="255"),
        TypeError,
        r"scale",
    ),
    (
        "scale-too-small",
        lambda: filters.sepia(np.full((2, 2, 3), 255, np.uint8), scale=1),
        ValueError,
        r"img.*255",
    ),
    ("clip-str", lambda: filters.sepia(IMG, clip="yes"), TypeError, r"clip"),
    (
        "blur-small",
        lambda: filters.gaussian_blur(np.zeros((4, 9, 3))),
        ValueError,
        r"img is 4x9 pixels, smaller than the 5x5",
    ),
    (
        "blur-small-same",
        lambda: filters.gaussian_blur(np.zeros((9, 4, 3)), padding="same"),
        ValueError,
        r"smaller than the 5x5",
    ),
    (
        "blur-padding",
        lambda: filters.gaussian_blur(IMG, padding="full"),
        ValueError,
        r"padding must be one of 'valid', 'same'",
    ),
    ("blur-padding-int", lambda: filters.gaussian_blur(IMG, padding=0), TypeError, r"padding"),
    ("blur-size-even", lambda: filters.gaussian_blur(IMG, 4), ValueError, r"size must be an odd"),
    # build_filter_cnn
    (
        "cnn-kernel-even",
        lambda: filters.build_filter_cnn(4),
        ValueError,
        r"kernel_size must be an odd",
    ),
    ("cnn-kernel-float", lambda: filters.build_filter_cnn(5.0), TypeError, r"kernel_size"),
    ("cnn-sigma", lambda: filters.build_filter_cnn(sigma=0.0), ValueError, r"sigma"),
    ("cnn-padding", lambda: filters.build_filter_cnn(padding="full"), ValueError, r"padding"),
    ("cnn-clip", lambda: filters.build_filter_cnn(clip=1), TypeError, r"clip"),
    ("cnn-depthwise", lambda: filters.build_filter_cnn(depthwise="no"), TypeError, r"depthwise"),
    # describe
    ("describe-str", lambda: filters.describe("model"), TypeError, r"model must be a keras.Model"),
    (
        "describe-short",
        lambda: _describe((128, 128)),
        ValueError,
        r"input_shape must be \(H, W, C\)",
    ),
    (
        "describe-int",
        lambda: _describe(128),
        TypeError,
        r"input_shape",
    ),
    (
        "describe-float",
        lambda: _describe((128.0, 128, 3)),
        TypeError,
        r"input_shape\[0\]",
    ),
    (
        "describe-0",
        lambda: _describe((0, 128, 3)),
        ValueError,
        r"input_shape\[0\]",
    ),
    (
        "describe-channels",
        lambda: _describe((8, 8, 4)),
        ValueError,
        r"input_shape.*3 channels",
    ),
    (
        "describe-small",
        lambda: _describe((4, 128, 3)),
        ValueError,
        r"smaller than the kernel",
    ),
    (
        "describe-unbuilt",
        lambda: filters.describe(keras.Sequential([keras.layers.Conv2D(3, 3)])),
        ValueError,
        r"not built",
    ),
    # effective_kernel
    ("eff-str", lambda: filters.effective_kernel(None), TypeError, r"model must be a keras.Model"),
    (
        "eff-relu",
        lambda: filters.effective_kernel(_relu_model()),
        ValueError,
        r"non-linear activation 'relu'",
    ),
    (
        "eff-clip",
        lambda: filters.effective_kernel(filters.build_filter_cnn(clip=True)),
        ValueError,
        r"clip_0_1.*not a linear",
    ),
    (
        "eff-pool",
        lambda: filters.effective_kernel(_pooling_model()),
        ValueError,
        r"MaxPooling2D.*not a linear",
    ),
    ("eff-strides", lambda: filters.effective_kernel(_strided_model()), ValueError, r"strides"),
    (
        "eff-bias-flag",
        lambda: filters.effective_kernel(filters.build_filter_cnn(), with_bias=1),
        TypeError,
        r"with_bias",
    ),
    (
        "eff-dense-only",
        lambda: filters.effective_kernel(
            keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        ),
        ValueError,
        r"model must hold a Conv2D or DepthwiseConv2D layer.*no convolution, only Dense layers",
    ),
    (
        "eff-empty",
        lambda: filters.effective_kernel(
            keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Dropout(0.1)])
        ),
        ValueError,
        r"no convolution",
    ),
    # the Keras model's own predict and calls
    (
        "cnn-predict-str",
        lambda: filters.build_filter_cnn().predict("abc", verbose=0),
        TypeError,
        r"x must be an array of real numbers, got dtype <U3",
    ),
    (
        "cnn-call-number",
        lambda: filters.build_filter_cnn()(0.5),
        ValueError,
        r"x must be one image .* got an array of shape \(\)",
    ),
    # plots
    (
        "plot-layer2-none",
        lambda: filters.plot_layer2_filters(_pooling_model()),
        ValueError,
        r"no convolution",
    ),
    (
        "plot-layer2-channels",
        lambda: filters.plot_layer2_filters(_one_channel_model()),
        ValueError,
        r"3 -> 3",
    ),
    ("plot-layer2-str", lambda: filters.plot_layer2_filters("model"), TypeError, r"model"),
    ("plot-images-empty", lambda: filters.plot_images({}), ValueError, r"at least one"),
    ("plot-images-list", lambda: filters.plot_images([IMG]), TypeError, r"images must be a dict"),
    ("plot-images-batch", lambda: filters.plot_images({"b": BATCH}), ValueError, r"one image"),
    (
        "plot-images-255",
        lambda: filters.plot_images({"raw": IMG * 255}),
        ValueError,
        r"images\['raw'\].*255",
    ),
    (
        "plot-images-nan",
        lambda: filters.plot_images({"x": _with(IMG, (0, 0, 0), np.nan)}),
        ValueError,
        r"images\['x'\].*finite",
    ),
    ("plot-kernels-even", lambda: filters.plot_kernels(4), ValueError, r"size must be an odd"),
    # photo_patches
    ("patches-0", lambda: filters.photo_patches(0), ValueError, r"n must be an integer >= 1"),
    ("patches-float", lambda: filters.photo_patches(2.0), TypeError, r"n must be an integer"),
    (
        "patches-size",
        lambda: filters.photo_patches(2, 600),
        ValueError,
        r"size must be an integer >= 1 and <= 512",
    ),
    ("patches-noise-neg", lambda: filters.photo_patches(2, noise=-1), ValueError, r"noise"),
    (
        "patches-noise-big",
        lambda: filters.photo_patches(2, noise=3.0),
        ValueError,
        r"noise.*<= 0.5",
    ),
    (
        "patches-noise-nan",
        lambda: filters.photo_patches(2, noise=float("nan")),
        ValueError,
        r"noise.*finite",
    ),
    ("patches-center", lambda: filters.photo_patches(2, center="yes"), TypeError, r"center"),
    ("patches-seed", lambda: filters.photo_patches(2, seed=-1), ValueError, r"seed"),
    # fit_filter_cnn
    (
        "fit-shape",
        lambda: _fit(targets=TARGETS[:, :-1]),
        ValueError,
        r"targets must have shape \(2, 5, 5, 3\)",
    ),
    (
        "fit-single",
        lambda: _fit(images=BATCH[0], targets=TARGETS[0]),
        ValueError,
        r"images and targets must be batches",
    ),
    (
        "fit-empty",
        lambda: _fit(images=BATCH[:0], targets=TARGETS[:0]),
        ValueError,
        r"images must hold at least one",
    ),
    (
        "fit-small",
        lambda: _fit(images=BATCH[:, :4], targets=TARGETS),
        ValueError,
        r"images is 4x9 pixels",
    ),
    (
        "fit-uint8",
        lambda: _fit(images=(BATCH * 255).astype(np.uint8)),
        TypeError,
        r"images.*divide 8-bit images by 255",
    ),
    (
        "fit-0-255",
        lambda: _fit(images=BATCH * 255, targets=TARGETS * 255),
        ValueError,
        r"images.*0\.\.255.*divide them by 255",
    ),
    (
        "fit-nan",
        lambda: _fit(images=_with(BATCH, (0, 1, 1, 1), np.nan)),
        ValueError,
        r"images must hold finite",
    ),
    (
        "fit-nan-target",
        lambda: _fit(targets=_with(TARGETS, (1, 0, 0, 0), np.nan)),
        ValueError,
        r"targets must hold finite",
    ),
    ("fit-epochs-0", lambda: _fit(epochs=0), ValueError, r"epochs"),
    ("fit-epochs-float", lambda: _fit(epochs=1.5), TypeError, r"epochs"),
    ("fit-batch-0", lambda: _fit(batch_size=0), ValueError, r"batch_size"),
    ("fit-lr-neg", lambda: _fit(learning_rate=-1.0), ValueError, r"learning_rate.*> 0"),
    ("fit-lr-0", lambda: _fit(learning_rate=0), ValueError, r"learning_rate"),
    ("fit-lr-inf", lambda: _fit(learning_rate=float("inf")), ValueError, r"learning_rate.*finite"),
    ("fit-kernel-even", lambda: _fit(kernel_size=4), ValueError, r"kernel_size"),
    ("fit-padding", lambda: _fit(padding="full"), ValueError, r"padding"),
    ("fit-verbose", lambda: _fit(verbose=5), ValueError, r"verbose"),
    ("fit-callbacks", lambda: _fit(callbacks="print"), TypeError, r"callbacks"),
    ("fit-seed", lambda: _fit(seed="zero"), TypeError, r"seed"),
    ("fit-validation", lambda: _fit(validation=BATCH), TypeError, r"validation must be a pair"),
    (
        "fit-validation-nan",
        lambda: _fit(validation=(_with(BATCH, (0, 0, 0, 0), np.nan), TARGETS)),
        ValueError,
        r"validation images must hold finite",
    ),
    (
        "fit-validation-shape",
        lambda: _fit(validation=(BATCH, TARGETS[:, 1:])),
        ValueError,
        r"validation targets must have shape",
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
        lambda: filters.gaussian_kernel(np.int64(5), np.float32(1.0)),
        lambda: filters.build_filter_cnn(np.int32(3), np.float64(0.8), clip=np.bool_(True)),
        lambda: filters.sepia(np.full((2, 2, 3), 200, np.uint8), scale=np.int64(255)),
        lambda: filters.gaussian_blur(IMG.astype(np.float16), np.int64(3)),
        lambda: filters.photo_patches(
            np.int64(2), np.int32(8), noise=np.float32(0.1), seed=np.int64(1)
        ),
        lambda: filters.describe(filters.build_filter_cnn(), (np.int64(16), np.int32(16), 3)),
        lambda: _fit(
            epochs=np.int64(1),
            batch_size=np.int32(2),
            learning_rate=np.float32(0.01),
            verbose=np.int64(0),
        ),
        lambda: filters.sepia(-IMG),  # a centred image: negative values are fine
    ],
    ids=["kernel", "cnn", "sepia", "blur-float16", "patches", "describe", "fit", "negative"],
)
def test_numpy_scalars_and_valid_inputs_are_accepted(call):
    call()


def test_non_finite_loss_stops_and_restores_the_weights():
    poison = _PoisonAfter()
    images = np.repeat(BATCH, 4, axis=0)
    targets = filters.gaussian_blur(filters.sepia(images), 5, 1.0)
    with pytest.raises(NonFiniteLossError, match="fit_filter_cnn.*restored"):
        filters.fit_filter_cnn(
            images, targets, epochs=2, batch_size=2, callbacks=[poison], verbose=0
        )
    after = [w.numpy() for w in poison.model.weights]
    assert all(np.array_equal(a, b) for a, b in zip(poison.start, after, strict=True))


def test_references_leave_their_input_alone():
    img = np.random.default_rng(0).random((9, 9, 3))
    before = img.copy()
    filters.sepia(img, clip=True)
    filters.gaussian_blur(img, padding="same")
    assert np.array_equal(img, before)
    with pytest.raises(ValueError):
        filters.sepia(img * 255)
    assert np.array_equal(img, before)


@pytest.mark.parametrize(
    ("bad", "error", "pattern"),
    [
        (BATCH * 255, ValueError, r"x.*0\.\.255"),
        (_with(BATCH, (0, 0, 0, 0), np.nan), ValueError, r"x must hold finite"),
        ((BATCH * 255).astype(np.uint8), TypeError, r"x.*divide 8-bit images by 255"),
    ],
    ids=["0-255", "nan", "uint8"],
)
def test_the_keras_model_refuses_what_the_reference_refuses(bad, error, pattern):
    model = filters.build_filter_cnn()
    for call in (lambda: model.predict(bad, verbose=0), lambda: model(bad)):
        with pytest.raises(error, match=pattern):
            call()
    model.predict(BATCH, verbose=0)  # valid input still passes


def test_filter_cnn_saves_and_loads_as_a_filter_cnn(tmp_path):
    model = filters.build_filter_cnn(depthwise=True)
    model.save(tmp_path / "cnn.keras")
    again = keras.saving.load_model(tmp_path / "cnn.keras")
    assert isinstance(again, filters.FilterCNN)
    assert np.allclose(again(BATCH).numpy(), model(BATCH).numpy())
    with pytest.raises(ValueError, match="0..255"):
        again.predict(BATCH * 255, verbose=0)
