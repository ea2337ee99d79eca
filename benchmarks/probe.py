"""Probe fdmlearn's public API with bad inputs: every one must fail clearly.

A table of calls across every topic. Each *bad* case must raise an exception
from fdmlearn's own code (the last traceback frame inside `fdmlearn/`) of a
documented kind (TypeError, ValueError, IndexError, KeyError, LookupError,
OSError, MemoryError, NonFiniteLossError) with a message; each *valid* edge
case must be accepted (and, for `check` cases, return True).

Categories: bad -> clear / obscure (raised outside fdmlearn or of another
kind) / silent (returned) / hang (over the time limit) / crash (worker
died); valid -> accepted / rejected / wrong (a check returned False).

Cases run in worker processes under a 6 GiB address-space cap, with a per
case alarm; a worker that dies or stops answering is replaced.

Run: cd benchmarks && ../.venv/bin/python probe.py [--only TOPIC] [--jobs 2]
"""

# ruff: noqa: E501  (a table of calls: one call per line reads best)
from __future__ import annotations

import argparse
import json
import os
import re
import select
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE_TIMEOUT = 20  # seconds, raised inside the worker by SIGALRM
WATCHDOG = 40  # seconds without an answer: the worker is killed (a hang in C code)
MEMORY_CAP = 6 << 30

CASES: list[tuple[str, str, str]] = []  # (topic, kind, code)


def bad(topic: str, *codes: str) -> None:
    CASES.extend((topic, "bad", c) for c in codes)


def handled(topic: str, *codes: str) -> None:
    """Bad input that may also be answered with a falsy result (a grade of 'wrong')."""
    CASES.extend((topic, "handled", c) for c in codes)


def readonly(topic: str, *codes: str) -> None:
    """A write into shared read-only data: NumPy's own read-only ValueError is the refusal."""
    CASES.extend((topic, "readonly", c) for c in codes)


def valid(topic: str, *codes: str) -> None:
    CASES.extend((topic, "valid", c) for c in codes)


def check(topic: str, *codes: str) -> None:
    """Valid input whose expression must evaluate to True."""
    CASES.extend((topic, "check", c) for c in codes)


NAN, INF = "float('nan')", "float('inf')"
BAD_COUNTS = ["-1", "1.5", "True", "'3'", "None", NAN, "np.float32(2)", "[2]"]
BAD_RATES = ["0", "-0.1", NAN, INF, "-" + INF, "'0.1'", "True", "[0.1]"]
# Bad indices for a small dataset, tried on both Clips and CalculatorDataset.
BAD_INDICES = [
    "4",
    "-5",
    "1.5",
    "'a'",
    "None",
    "np.array([True, False])",
    "[0, 10]",
    "np.array([0.5])",
]

# ---------------------------------------------------------------- set_seed
bad(
    "set_seed",
    *(
        f"fdmlearn.set_seed({v})"
        for v in ["-1", "2**32", "1.5", "'1'", "None", "True", "np.float32(1)", NAN, "[1]"]
    ),
    "fdmlearn.set_seed(0, deterministic='yes')",
    "fdmlearn.set_seed(0, deterministic=1)",
)
valid("set_seed", "fdmlearn.set_seed(np.int64(3))", "fdmlearn.set_seed(np.uint32(5))")
valid("set_seed", "fdmlearn.set_seed(0)", "fdmlearn.set_seed(2**32 - 1)")

# ---------------------------------------------------------------- records
bad(
    "records",
    "load_record(5)",
    "load_record(None)",
    "load_record('')",
    "load_record('../../etc/passwd')",
    "load_record('/etc/passwd')",
    "load_record('a/b')",
    "load_record(['captioning'])",
)
check("records", "load_record('no-such-record') is None", "isinstance(available_records(), list)")

# ---------------------------------------------------------------- plotting
bad(
    "plotting",
    f"new_figure(figsize=({NAN}, 1))",
    "new_figure(figsize=(-1, 1))",
    "new_figure(figsize='big')",
    "new_figure(dpi=0)",
    "new_figure(bogus=1)",
    "figure_to_html(5, 'alt')",
    "figure_to_html(new_figure(), 5)",
    "figure_to_html(new_figure(), 'alt', fmt='bmp-nope')",
    "figure_to_html(new_figure(), 'alt', close='yes')",
    "figure_to_html(None, 'alt')",
)
valid("plotting", "figure_to_html(new_figure(figsize=(1, 1)), 'alt', fmt='png')")

# ---------------------------------------------------------------- datasets
for f in [
    "missing",
    "folder",
    "random",
    "empty",
    "text",
    "npz_keys",
    "npz_shapes",
    "npz_float",
    "npz_labels",
    "npz_pickle",
    "truncated_mnist",
    "zipjunk",
    "keras_captioner",
]:
    bad("datasets", f"load_mnist(FILES[{f!r}])")
bad(
    "datasets",
    "load_mnist(5)",
    "load_mnist(['a'])",
    "mnist_split('foo')",
    "mnist_split(None)",
    "mnist_split(3)",
)
readonly(
    "datasets",
    "mnist_split('train')[0].__setitem__((0, 0, 0), 255)",
    "mnist_split('test')[1].__setitem__(0, 3)",
    "mnist_split('test')[0].setflags(write=True)",
    "np.asarray(mnist_split('test')[0].base).setflags(write=True) if mnist_split('test')[0].base is not None else (_ for _ in ()).throw(ValueError('no base'))",
)
check(
    "datasets",
    "mnist_split('train')[0].shape == (60000, 28, 28)",
    "sample_image().shape[-1] == 3",
    "cache_by_content()",
    "not_corrupted_after_write_attempt()",
    "load_mnist(FILES['mnist_copy'])[1][1].shape == (10000,)",
    "not_corrupted_after_write_attempt(lambda: load_mnist()[0][0].__setitem__((0, 0, 0), 7))",
    "load_mnist(str(FILES['mnist_copy']))[0][0].dtype == np.uint8",
)

# ---------------------------------------------------------------- backprop
for fn in ["relu", "sigmoid", "tanh", "exp", "log", "identity"]:
    for v in ["'x'", "None", NAN, INF, "[1, 2]", "np.array([1.0, 2.0])", "object()"]:
        bad("backprop", f"bp.{fn}({v})")
bad(
    "backprop",
    *(f"bp.inputs({v})" for v in ["''", "123", "None", "'1x'", "'  '", "b'x'", "['x']"]),
    *(f"bp.params({v})" for v in ["''", "123", "None", "'w-1'"]),
    *(f"bp.leaky_relu(x, alpha={v})" for v in [NAN, INF, "'0.2'", "None", "True"]),
    "bp.squared_error(x, 'y')",
    "bp.squared_error(x, None)",
    f"bp.squared_error(x, {NAN})",
    f"bp.absolute_error(x, {INF})",
    f"bp.binary_cross_entropy(x, {NAN})",
    *(f"bp.activation({v})" for v in ["'foo'", "None", "3", "''"]),
    "bp.neuron([x], [w0, w1])",
    "bp.neuron([], [])",
    "bp.neuron([x], [w0], activation='foo')",
    "bp.neuron(x, [w0])",
    "bp.neuron([x], [w0], bias='b')",
    "bp.neuron([x], w0)",
    *(f"bp.chain_gradient({v})" for v in ["-1", "0", "1.5", "True", "'3'", "None", "10**9"]),
    "bp.chain_gradient(3, activation='foo')",
    "bp.chain_gradient(3, activation=None)",
    f"bp.chain_gradient(3).value(x={NAN})",
    "bp.chain_gradient(3).value(weights=[1, 2])",
    "bp.chain_gradient(3).value(x='a')",
    f"bp.chain_gradient(3).value(weights=[1, {INF}, 1])",
    "bp.gradients(loss, ['zz'])",
    "bp.gradients(loss, 5)",
    "bp.gradients(loss, [w0], in_terms_of='foo')",
    "bp.gradients(loss, [w0], evaluate='yes')",
    "bp.gradients(5)",
    "bp.gradients(None)",
    "bp.gradients('loss')",
    "bp.evaluate(loss, {})",
    f"bp.evaluate(loss, {{'x': {NAN}, 'y': 1, 'w0': 1, 'w1': 1}})",
    f"bp.evaluate(loss, {{'x': {INF}, 'y': 1, 'w0': 1, 'w1': 1}})",
    "bp.evaluate(loss, {'x': 'a', 'y': 1, 'w0': 1, 'w1': 1})",
    "bp.evaluate(loss, {'x': 1, 'y': 1, 'w0': 1, 'w1': 1, 'zz': 1})",
    "bp.evaluate(loss, None)",
    "bp.evaluate(loss, [1, 2])",
    "bp.evaluate(loss, {'x': 1, 'y': 1, 'w0': 1, 'w1': 1}, exact='yes')",
    "bp.evaluate(loss, {'x': None, 'y': 1, 'w0': 1, 'w1': 1})",
    *(f"bp.gradient_descent(loss, INIT, DATA, lr={v})" for v in [*BAD_RATES, "None"]),
    *(f"bp.gradient_descent(loss, INIT, DATA, 0.1, batch_size={v})" for v in ["0", *BAD_COUNTS]),
    *(f"bp.gradient_descent(loss, INIT, DATA, 0.1, epochs={v})" for v in ["-1", "1.5", "'1'"]),
    "bp.gradient_descent(loss, INIT, DATA, 0.1, batch_size=10)",
    "bp.gradient_descent(loss, INIT, [], 0.1)",
    "bp.gradient_descent(loss, INIT, [{'x': 1}], 0.1)",
    f"bp.gradient_descent(loss, INIT, [{{'x': {NAN}, 'y': 1}}], 0.1)",
    "bp.gradient_descent(loss, INIT, 'abc', 0.1)",
    "bp.gradient_descent(loss, {'w0': 1}, DATA, 0.1)",
    f"bp.gradient_descent(loss, {{'w0': {NAN}, 'w1': 1}}, DATA, 0.1)",
    "bp.gradient_descent(loss, {'w0': 'a', 'w1': 1}, DATA, 0.1)",
    "bp.gradient_descent(loss, INIT, DATA, 0.1, exact='yes')",
    "bp.gradient_descent(5, INIT, DATA, 0.1)",
    "bp.gradient_descent(sig_loss, {'w': 0.5, 'b': 0.1}, [{'x': 1, 'y': 0}], 0.5, epochs=6)",
    f"bp.gradient_function(loss)(x={NAN}, y=1, w0=1, w1=1)",
    f"bp.gradient_function(loss)(x=np.array([1.0, {INF}]), y=1, w0=1, w1=1)",
    "bp.gradient_function(loss)(x=1)",
    "bp.gradient_function(loss)(x='a', y=1, w0=1, w1=1)",
    "bp.gradient_function(loss, ['zz'])",
    "bp.gradient_function(5)",
    "bp.latex(object())",
    "bp.number_latex('a')",
    "bp.number_latex(None)",
    "bp.draw_graph(5)",
    f"bp.draw_graph(loss, {{'x': {NAN}, 'y': 1, 'w0': 1, 'w1': 1}})",
    "bp.draw_graph(loss, ax=5)",
    "bp.draw_graph(loss, at=[1])",
)
valid(
    "backprop",
    "bp.gradient_descent(loss, INIT, DATA, lr=np.float32(0.1), batch_size=np.int64(1))",
    "bp.gradient_descent(loss, INIT, DATA, 0.1, epochs=np.int64(2))",
    "bp.chain_gradient(np.int64(3))",
    "bp.chain_gradient(300, 'relu')",
    "repr(bp.chain_gradient(100))",
    "bp.gradients(chain_loss(1000, 'tanh'), in_terms_of='nodes')",
    "bp.gradients(chain_loss(1000, 'relu'), in_terms_of='nodes')",
    "str(chain_loss(1000, 'tanh'))",
    "bp.evaluate(chain_loss(1000, 'tanh'), {'x': 0.5, 'y': 0.1, **{f'w{i}': 0.9 for i in range(1000)}}, exact=False)",
    "bp.gradient_function(chain_loss(1000, 'tanh'))",
    "bp.leaky_relu(x, alpha=np.float32(0.1))",
    "bp.evaluate(loss, {'x': np.float64(1), 'y': np.int64(1), 'w0': 1, 'w1': 1})",
    "bp.gradient_descent(sig_loss, {'w': 0.5, 'b': 0.1}, [{'x': 1, 'y': 0}], 0.5, epochs=6, exact=False)",
)

# ---------------------------------------------------------------- filters
IMGS = {
    "nan": "with_nan(img)",
    "inf": "with_inf(img)",
    "uint8": "as_u8(img)",
    "0..255": "img * 255",
    "int64": "(img * 255).astype(np.int64)",
    "4 channels": "rng.random((32, 32, 4))",
    "rank 2": "rng.random((32, 32))",
    "rank 5": "rng.random((1, 1, 32, 32, 3))",
    "string": "'img'",
    "None": "None",
    "complex": "img.astype(complex)",
    "bool": "img > 0.5",
    "object": "img.astype(object)",
}
for v in IMGS.values():
    bad("filters", f"filters.sepia({v})", f"filters.gaussian_blur({v})")
bad(
    "filters",
    *(f"filters.sepia(img, scale={v})" for v in ["0", "-1", NAN, "'255'"]),
    "filters.sepia(img, clip='yes')",
    *(f"filters.gaussian_blur(img, size={v})" for v in ["0", "4", "10**6", *BAD_COUNTS]),
    *(f"filters.gaussian_blur(img, sigma={v})" for v in ["0", "-1", NAN, INF, "'1'"]),
    "filters.gaussian_blur(img, padding='foo')",
    "filters.gaussian_blur(img, padding=None)",
    *(f"filters.gaussian_kernel({v})" for v in ["0", "4", "10**6", *BAD_COUNTS]),
    *(f"filters.gaussian_kernel(5, {v})" for v in ["0", "-1", NAN, INF, "'1'"]),
    "filters.gaussian_kernel(5, use_table='yes')",
    *(f"filters.build_filter_cnn(kernel_size={v})" for v in ["0", "4", "-1", "1.5", "'5'"]),
    *(f"filters.build_filter_cnn(sigma={v})" for v in ["0", NAN, "'1'"]),
    "filters.build_filter_cnn(padding='foo')",
    "filters.build_filter_cnn(clip='yes')",
    "filters.build_filter_cnn(depthwise=1)",
    "cnn.predict(with_nan(imgs), verbose=0)",
    "cnn.predict(as_u8(imgs), verbose=0)",
    "cnn.predict(imgs * 255, verbose=0)",
    "cnn.predict(rng.random((2, 128, 128, 4)), verbose=0)",
    "cnn.predict(rng.random((128, 128, 3)), verbose=0)",
    "cnn.predict('abc', verbose=0)",
    "filters.describe(5)",
    "filters.describe(cnn, input_shape=(0, 0, 3))",
    "filters.describe(cnn, input_shape='abc')",
    "filters.describe(cnn, input_shape=(128, 128))",
    "filters.describe(cnn, input_shape=(-1, 128, 3))",
    "filters.describe(cnn, input_shape=(128, 128, 4))",
    "filters.effective_kernel(5)",
    "filters.effective_kernel(dense_model)",
    "filters.effective_kernel(cnn, with_bias='yes')",
    "filters.true_effective_kernel(0)",
    f"filters.true_effective_kernel(5, {NAN})",
    "filters.fit_filter_cnn(with_nan(pimgs), ptargets, epochs=1, verbose=0)",
    "filters.fit_filter_cnn(pimgs, with_nan(ptargets), epochs=1, verbose=0)",
    "filters.fit_filter_cnn(pimgs, ptargets[:2], epochs=1, verbose=0)",
    "filters.fit_filter_cnn(as_u8(pimgs), ptargets, epochs=1, verbose=0)",
    "filters.fit_filter_cnn(pimgs * 255, ptargets, epochs=1, verbose=0)",
    "filters.fit_filter_cnn(pimgs, ptargets[:, :5, :5], epochs=1, verbose=0)",
    "filters.fit_filter_cnn(pimgs[:0], ptargets[:0], epochs=1, verbose=0)",
    *(
        f"filters.fit_filter_cnn(pimgs, ptargets, epochs={v}, verbose=0)"
        for v in ["0", "-1", "1.5", "'1'"]
    ),
    *(
        f"filters.fit_filter_cnn(pimgs, ptargets, epochs=1, batch_size={v}, verbose=0)"
        for v in ["0", "-1", "1.5"]
    ),
    *(
        f"filters.fit_filter_cnn(pimgs, ptargets, epochs=1, learning_rate={v}, verbose=0)"
        for v in ["0", "-1", NAN, INF, "'0.1'"]
    ),
    "filters.fit_filter_cnn(pimgs, ptargets, epochs=1, kernel_size=4, verbose=0)",
    "filters.fit_filter_cnn(pimgs, ptargets, epochs=1, validation='abc', verbose=0)",
    "filters.fit_filter_cnn(pimgs, ptargets, epochs=1, validation=(with_nan(pimgs), ptargets), verbose=0)",
    "filters.fit_filter_cnn(pimgs, ptargets, epochs=1, seed='a', verbose=0)",
    "filters.fit_filter_cnn(pimgs, ptargets, epochs=1, verbose='loud')",
    "filters.fit_filter_cnn(pimgs, ptargets, epochs=1, callbacks=5, verbose=0)",
    "finite_after(lambda: filters.fit_filter_cnn(pimgs, ptargets, epochs=2, learning_rate=1e30, verbose=0).keras_model)",
    *(f"filters.photo_patches({v})" for v in ["-1", "1.5", "10**9", "'3'", "None"]),
    *(f"filters.photo_patches(2, size={v})" for v in ["0", "-4", "10**6"]),
    *(f"filters.photo_patches(2, noise={v})" for v in ["-1", NAN, INF]),
    "filters.photo_patches(2, center='yes')",
    "filters.photo_patches(2, seed=-1)",
    "filters.plot_images({})",
    "filters.plot_images({'a': with_nan(img)})",
    "filters.plot_images({'a': as_u8(img)})",
    "filters.plot_images('abc')",
    "filters.plot_images({'a': img}, clip='yes')",
    "filters.plot_kernels(kernel_size=4)",
    f"filters.plot_kernels(sigma={NAN})",
    "filters.plot_layer2_filters(5)",
    "filters.plot_layer2_filters(dense_model)",
)
valid(
    "filters",
    "filters.sepia(img.astype(np.float32))",
    "filters.gaussian_blur(img, size=np.int64(5), sigma=np.float32(1.0))",
    "filters.gaussian_kernel(np.int64(3), np.float64(0.8))",
    "filters.build_filter_cnn(kernel_size=np.int64(3))",
    "filters.fit_filter_cnn(pimgs, ptargets, epochs=np.int64(1), batch_size=np.int64(2), learning_rate=np.float32(0.01), seed=np.random.default_rng(0), verbose=0)",
    "filters.photo_patches(np.int64(2), size=np.int64(16), seed=np.random.default_rng(1))",
    "filters.sepia(np.zeros((0, 8, 8, 3)))",
    "filters.sepia(img - 1)",
    "filters.gaussian_blur(img - 1)",
)
check(
    "filters",
    "abs(filters.gaussian_kernel(5, 1e-200).sum() - 1) < 1e-9 and filters.gaussian_kernel(5, 1e-200)[2, 2] == 1",
    "np.allclose(filters.gaussian_kernel(5, 1e300), 1 / 25)",
    "np.isfinite(filters.gaussian_blur(img, sigma=1e-200)).all()",
)

# ---------------------------------------------------------------- deep
bad(
    "deep",
    *(f"deep.build_mlp({v}, units=8)" for v in ["0", "10**6", *BAD_COUNTS]),
    *(f"deep.build_mlp(1, activation={v}, units=8)" for v in ["'foo'", "None", "3"]),
    *(f"deep.build_mlp(1, units={v})" for v in ["0", "-1", "1.5", "'8'", "10**9"]),
    *(f"deep.build_mlp(1, units=8, dropout={v})" for v in ["-0.1", "1.0", NAN, "'0.2'", "1.5"]),
    "deep.build_mlp(1, units=8, initializer='foo')",
    "deep.build_mlp(1, units=8, initializer=3)",
    "deep.build_mlp(1, units=8, normalization='foo')",
    "deep.build_mlp(1, units=8, residual='yes')",
    "deep.build_mlp(1, units=8, input_dim=0)",
    "deep.build_mlp(1, units=8, num_classes=0)",
    "deep.build_mlp(1, units=8, seed=-1)",
    "deep.build_mlp(1, units=8, seed='a')",
    "deep.build_mlp(1, units=8, seed=1.5)",
    "fresh_mlp_c.fit(with_nan(xs), yh, epochs=1, verbose=0)",
    "fresh_mlp_c.fit(xs * 255, yh, epochs=1, verbose=0)",
    "fresh_mlp_c.fit(as_u8(xs), yh, epochs=1, verbose=0)",
    "fresh_mlp_c.fit(xs[:, :10], yh, epochs=1, verbose=0)",
    "fresh_mlp_c.fit(xs, ys, epochs=1, verbose=0)",
    "fresh_mlp_c.fit(xs, yh[:, :5], epochs=1, verbose=0)",
    "fresh_mlp_c.fit(xs, yh[:5], epochs=1, verbose=0)",
    "fresh_mlp_c.fit(xs[:0], yh[:0], epochs=1, verbose=0)",
    "finite_after(lambda: (fresh_mlp_c.fit(xs, with_nan(yh), epochs=1, verbose=0), fresh_mlp_c)[1])",
    "fresh_mlp_c.fit(xs, yh, epochs=1.5, verbose=0)",
    "fresh_mlp_c.fit(xs, yh, epochs=1, batch_size=0, verbose=0)",
    "fresh_mlp_c.fit('abc', yh, epochs=1, verbose=0)",
    "mlp.predict(with_nan(xs), verbose=0)",
    "mlp.predict(xs[:, :5], verbose=0)",
    "mlp.predict('abc', verbose=0)",
    "mlp.predict(xs * 255, verbose=0)",
    "mlp_c.evaluate(with_inf(xs), yh, verbose=0)",
    "mlp(with_nan(xs))",
    "deep.Recipe('x', 'd', activation='foo')",
    *(f"deep.Recipe('x', 'd', learning_rate={v})" for v in ["0", "-1", NAN, INF, "'0.1'"]),
    "deep.Recipe('x', 'd', dropout=2)",
    "deep.Recipe('x', 'd', optimizer='foo')",
    "deep.Recipe('x', 'd', schedule='foo')",
    "deep.Recipe('x', 'd', weight_decay=-1)",
    "deep.Recipe('x', 'd', label_smoothing=1.5)",
    "deep.Recipe('x', 'd', initializer='foo')",
    "deep.Recipe('x', 'd', residual='yes')",
    "deep.get_recipe('foo')",
    "deep.get_recipe(None)",
    "deep.get_recipe(3)",
    "deep.RECIPES['baseline'].build(0)",
    "deep.RECIPES['baseline'].build(1, total_steps=0)",
    "deep.RECIPES['baseline'].build(1, seed='a')",
    *(
        f"deep.depth_study({v}, epochs=1, data=tiny, verbose=0)"
        for v in ["[0]", "[]", "[1.5]", "'abc'", "[-1]", "5", "[10**6]"]
    ),
    "deep.depth_study([1], recipe='foo', epochs=1, data=tiny, verbose=0)",
    *(f"deep.depth_study([1], epochs={v}, data=tiny, verbose=0)" for v in ["0", "-1", "1.5"]),
    "deep.depth_study([1], epochs=1, batch_size=0, data=tiny, verbose=0)",
    "deep.depth_study([1], epochs=1, data='abc', verbose=0)",
    "deep.depth_study([1], epochs=1, data=(xs,), verbose=0)",
    "deep.depth_study([1], epochs=1, data=tiny_nan, verbose=0)",
    "deep.depth_study([1], epochs=1, data=tiny_255, verbose=0)",
    "deep.depth_study([1], epochs=1, data=tiny_badlabels, verbose=0)",
    *(
        f"deep.depth_study([1], epochs=1, train_size={v}, test_size=32, verbose=0)"
        for v in ["0", "-5", "10**9", "'5'"]
    ),
    "deep.depth_study([1], epochs=1, train_size=64, test_size=10**9, verbose=0)",
    "deep.depth_study([1], epochs=1, data=tiny, seed=-1, verbose=0)",
    "deep.depth_study([1], epochs=1, data=tiny, track_gradients='yes', verbose=0)",
    "deep.depth_study([1], epochs=1, data=tiny, verbose='loud')",
    "deep.depth_study([1], epochs=1, data=tiny, callbacks=5, verbose=0)",
    "deep.depth_study([1], epochs=1, data=tiny, strategy='mirrored', verbose=0)",
    "finite_study(deep.depth_study([1], deep.Recipe('hot', 'd', learning_rate=1e30), epochs=2, data=tiny, verbose=0))",
    "deep.gradient_norms(mlp, with_nan(xs), ys)",
    "deep.gradient_norms(mlp, xs, ys + 10)",
    "deep.gradient_norms(5, xs, ys)",
    "deep.gradient_norms(mlp, xs[:, :5], ys)",
    "deep.gradient_norms(mlp, xs, ys, training='yes')",
    "deep.gradient_norms(mlp, xs[:0], ys[:0])",
    "deep.hidden_activations(mlp, with_nan(xs))",
    "deep.hidden_activations(mlp, xs[:, :5])",
    "deep.hidden_activations('model', xs)",
    *(f"deep.mnist_flat({v}, 32)" for v in ["0", "-1", "1.5", "10**9", "'5'"]),
    *(f"deep.mnist_flat(64, {v})" for v in ["0", "-1", "10**9"]),
    "deep.mnist_flat(64, 32, seed='a')",
    "deep.plot_activation_histograms({})",
    f"deep.plot_activation_histograms({{'a': np.array([{NAN}, 1.0])}})",
    "deep.plot_activation_histograms({'a': np.ones(3)}, bins=0)",
    "deep.plot_activation_histograms({'a': np.ones(3)}, bins=1.5)",
    "deep.plot_activation_histograms('abc')",
    "deep.plot_gradient_norms({})",
    f"deep.plot_gradient_norms({{'a': {NAN}}})",
    "deep.plot_gradient_norms('abc')",
    "deep.plot_gradient_norm_history(5)",
    "deep.GradientNormHistory(with_nan(xs), ys)",
    "deep.GradientNormHistory(xs, ys, every=0)",
    "deep.GradientNormHistory(xs, ys, every=1.5)",
    "deep.GradientNormHistory(xs, ys + 10)",
)
valid(
    "deep",
    "deep.build_mlp(np.int64(2), units=np.int64(8), dropout=np.float32(0.1), seed=np.random.default_rng(0))",
    "deep.build_mlp(1, units=8, num_classes=3)",
    "deep.gradient_norms(deep.build_mlp(1, units=8, num_classes=3), xs, ys % 3)",
    "deep.gradient_norms(mlp, xs, np.eye(10)[ys])",
    "fresh_mlp_c.fit(xs, yh, epochs=np.int64(1), batch_size=np.int64(8), verbose=0)",
    "mlp.predict(xs.astype(np.float64), verbose=0)",
    "deep.depth_study(np.array([1]), epochs=np.int64(1), batch_size=np.int64(32), data=tiny, seed=np.random.default_rng(0), verbose=0)",
    "deep.depth_study([1], deep.Recipe('r', 'd', learning_rate=np.float32(0.01)), epochs=1, data=tiny, verbose=0)",
    "deep.mnist_flat(np.int64(64), np.int64(32), seed=np.random.default_rng(2))",
    "deep.hidden_activations(mlp, xs[:3])",
    "deep.GradientNormHistory(xs, ys, every=np.int64(5))",
)

# ---------------------------------------------------------------- captioning
bad(
    "captioning",
    *(f"cap.moving_digits({v}, n_frames=3, size=32)" for v in ["0", "10**9", *BAD_COUNTS]),
    *(f"cap.moving_digits(2, n_digits={v}, n_frames=3, size=32)" for v in ["0", "-1", "1.5", "50"]),
    *(
        f"cap.moving_digits(2, n_frames={v}, size=32)"
        for v in ["0", "(5, 3)", "(0, 5)", "'abc'", "1.5", "10**6", "(3,)", "(3, 4, 5)"]
    ),
    "cap.moving_digits(2, n_frames=10**4, size=512)",
    "cap.moving_digits(10**6, n_frames=20, size=128)",
    *(
        f"cap.moving_digits(2, n_frames=3, size={v})"
        for v in ["0", "31", "1.5", "(32,)", "(32, 32, 32)", "10**6", "'big'"]
    ),
    "cap.moving_digits(2, n_frames=3, size=32, split='foo')",
    "cap.moving_digits(2, n_frames=3, size=32, split=None)",
    *(f"cap.moving_digits(2, n_frames=3, size=32, seed={v})" for v in ["-1", "'a'", "1.5"]),
    "cap.moving_digits(2, n_frames=3, size=32, order_dependent='yes')",
    "cap.moving_digits(2, n_frames=1, size=32, order_dependent=True)",
    "cap.moving_digits(2, n_frames=2, size=32, order_dependent=True)",
    *(f"cap.moving_digits(2, n_frames=3, size=32, channels={v})" for v in ["2", "0", "'3'"]),
    "cap.moving_digits(2, n_frames=3, size=32, colors='yes')",
    "cap.Clips(with_nan(clips.videos), clips.captions)",
    "cap.Clips(as_u8(clips.videos), clips.captions)",
    "cap.Clips(clips.videos * 255, clips.captions)",
    "cap.Clips(clips.videos[0], clips.captions)",
    "cap.Clips(clips.videos, clips.captions[:2])",
    "cap.Clips(clips.videos[:1], 'a caption')",
    "cap.Clips(clips.videos[:1], [''])",
    "cap.Clips(clips.videos, None)",
    "cap.Clips(None, clips.captions)",
    "cap.Clips(clips.videos[:1], [5])",
    *(f"clips[{v}]" for v in [*BAD_INDICES, "(0, 1)"]),
    "clips.save('/nonexistent/dir/clips.npz')",
    "clips.save(5)",
    *(
        f"cap.Clips.load(FILES[{f!r}])"
        for f in [
            "missing",
            "folder",
            "random",
            "empty",
            "text",
            "keras_captioner",
            "npz_keys",
            "zipjunk",
            "truncated_clips",
        ]
    ),
    "cap.Vocabulary('a caption')",
    "cap.Vocabulary([1, 2])",
    *(f"cap.Vocabulary(['a'], max_words={v})" for v in ["0", "-1", "1.5"]),
    "cap.Vocabulary.from_captions('a caption')",
    "cap.Vocabulary.from_captions([])",
    "cap.Vocabulary.from_captions([5])",
    "vocab.encode(5)",
    "vocab.encode(None)",
    "vocab.decode('abc')",
    "vocab.decode([10**6])",
    "vocab.decode([-1])",
    "vocab.decode([1.5])",
    "vocab.teacher_forcing('abc')",
    "vocab.teacher_forcing([5])",
    *(
        f"cap.{m}({a})"
        for m in ["exact_match", "word_accuracy", "bleu4"]
        for a in ["['a'], ['a', 'b']", "'abc', 'abc'", "[], []", "[1], [1]", "None, None"]
    ),
    "cap.build_captioner('abc')",
    "cap.build_captioner(None)",
    "cap.build_captioner(clips.videos)",
    *(
        f"cap.build_captioner(clips, {kw})"
        for kw in [
            "pooling='foo'",
            "frame_encoder='foo'",
            "feature_dim=0",
            "feature_dim=1.5",
            "feature_dim=10**9",
            "embed_dim=0",
            "hidden=0",
            "hidden=-1",
            "hidden=10**9",
            "attention_dim=0",
            f"dropout={NAN}",
            "dropout=1",
            "max_words=0",
            "seed=-1",
            "seed='a'",
            "strategy='mirror'",
            "pooling='digits', frame_encoder='conv3d'",
        ]
    ),
    "cap.CaptionerConfig(n_frames=0, height=32, width=32)",
    "cap.CaptionerConfig(n_frames=3, height=10, width=32)",
    "cap.CaptionerConfig(n_frames=3, height=32, width=32, channels=2)",
    "cap.CaptionerConfig(n_frames=3, height='32', width=32)",
    *(
        f"captioner.caption({v})"
        for v in [
            "with_nan(clips.videos)",
            "as_u8(clips.videos)",
            "clips.videos * 255",
            "clips.videos[0]",
            "clips_other",
            "clips_other.videos",
            "clips.videos[:0]",
            "'abc'",
            "None",
            "clips_nan",
        ]
    ),
    *(
        f"captioner.caption(clips, beam_width={v})"
        for v in ["0", "-1", "1.5", "True", "'2'", "10**6"]
    ),
    "captioner.attention(with_nan(clips.videos))",
    "captioner.attention(clips_other)",
    "captioner.evaluate(clips_other)",
    "captioner.evaluate(clips_nan)",
    "captioner.evaluate(clips, beam_width=0)",
    "captioner.evaluate('abc')",
    "captioner.evaluate(clips.videos)",
    "fresh_captioner.fit(clips_nan, epochs=1, verbose=0)",
    "fresh_captioner.fit(clips_other, epochs=1, verbose=0)",
    "fresh_captioner.fit('abc', epochs=1, verbose=0)",
    "fresh_captioner.fit(clips.videos, epochs=1, verbose=0)",
    *(
        f"fresh_captioner.fit(clips, epochs={v}, verbose=0)"
        for v in ["0", "-1", "1.5", "True", "'1'"]
    ),
    *(
        f"fresh_captioner.fit(clips, epochs=1, batch_size={v}, verbose=0)"
        for v in ["0", "-1", "1.5"]
    ),
    *(f"fresh_captioner.fit(clips, epochs=1, learning_rate={v}, verbose=0)" for v in BAD_RATES),
    "fresh_captioner.fit(clips, epochs=1, schedule='foo', verbose=0)",
    "fresh_captioner.fit(clips, epochs=1, validation='abc', verbose=0)",
    "fresh_captioner.fit(clips, epochs=1, validation=clips_other, verbose=0)",
    "fresh_captioner.fit(clips, epochs=1, validation=clips_nan, verbose=0)",
    "fresh_captioner.fit(clips, epochs=1, callbacks=5, verbose=0)",
    "fresh_captioner.fit(clips, epochs=1, verbose='loud')",
    "fresh_captioner.fit(clips, epochs=1, verbose=0, freeze_cnn='yes')",
    "fresh_captioner.fit(clips, epochs=1, verbose=0, objective='foo')",
    "fresh_captioner.fit(clips, epochs=1, verbose=0, stages='foo')",
    "fresh_captioner.fit(clips, epochs=1, verbose=0, stages=5)",
    "fresh_captioner.fit(clips, epochs=1, verbose=0, strategy='x')",
    "finite_after(lambda: (fresh_captioner.fit(clips, epochs=2, learning_rate=1e30, verbose=0), fresh_captioner.keras_model)[1])",
    "finite_after(lambda: (fresh_captioner.fit(clips, epochs=1, learning_rate=1e30, verbose=0, objective='exact_match'), fresh_captioner.keras_model)[1])",
    "digit_captioner.pretrain(clips2, epochs=0, verbose=0)",
    f"digit_captioner.pretrain(clips2, epochs=1, learning_rate={NAN}, verbose=0)",
    "digit_captioner.pretrain(clips2, epochs=1, batch_size=0, verbose=0)",
    "digit_captioner.pretrain(clips2_nan, epochs=1, verbose=0)",
    "digit_captioner.pretrain(clips, epochs=1, verbose=0)",
    "captioner.pretrain(clips, epochs=1, verbose=0)",
    "cap.DigitStages(pretrain_epochs=-1)",
    "cap.DigitStages(frames_per_clip=0)",
    "cap.DigitStages(seed='a')",
    "cap.DigitStages(joint_batch_size=1.5)",
    "cap.greedy_search(toy_step, (np.zeros(2),), start_id=0, end_id=3, max_steps=0)",
    "cap.greedy_search(toy_step, (np.zeros(2),), start_id=0, end_id=3, max_steps=1.5)",
    "cap.greedy_search(toy_step, (np.zeros(2),), start_id='a', end_id=3, max_steps=3)",
    "cap.greedy_search(5, (np.zeros(2),), start_id=0, end_id=3, max_steps=3)",
    "cap.greedy_search(nan_step, (np.zeros(2),), start_id=0, end_id=3, max_steps=3)",
    "cap.beam_search(toy_step, (np.zeros(1),), start_id=0, end_id=3, max_steps=3, width=0)",
    "cap.beam_search(toy_step, (np.zeros(1),), start_id=0, end_id=3, max_steps=3, width=1.5)",
    "cap.beam_search(toy_step, (np.zeros(1),), start_id=0, end_id=3, max_steps=-1, width=2)",
    "cap.beam_search(nan_step, (np.zeros(1),), start_id=0, end_id=3, max_steps=3, width=2)",
    *(
        f"cap.load_captioner(FILES[{f!r}])"
        for f in [
            "missing",
            "folder",
            "random",
            "empty",
            "text",
            "keras_calculator",
            "keras_plain",
            "truncated_captioner",
            "zipjunk",
            "npz_keys",
            "clips_npz",
        ]
    ),
    "cap.load_captioner(5)",
    "cap.load_captioner(None)",
    "captioner.save('/nonexistent/dir/x.keras')",
    "captioner.save(5)",
    "captioner.save(FILES['folder'])",
    "cap.show_clips(with_nan(clips.videos))",
    "cap.show_clips('abc')",
    "cap.show_clips(clips, max_frames=0)",
    "cap.show_clips(clips.videos, captions=['a'])",
    "cap.show_clips(as_u8(clips.videos))",
    "cap.animate_clips(with_nan(clips.videos))",
    "cap.animate_clips(clips, max_clips=0)",
    "cap.animate_clips(clips, scale=0)",
    *(f"cap.animate_clips(clips, fps={v})" for v in ["0", NAN, "-1"]),
    "cap.draw_architecture('foo')",
    "cap.draw_architecture(captioner, steps=0)",
    "cap.draw_architecture(5)",
)
valid(
    "captioning",
    "cap.moving_digits(np.int64(2), n_digits=np.int64(1), n_frames=np.int64(3), size=np.int64(32), seed=np.random.default_rng(0))",
    "cap.moving_digits(2, n_frames=(3, 5), size=(32, 40))",
    "clips[1:3]",
    "clips[np.int64(1)]",
    "clips[np.array([0, 2])]",
    "captioner.caption(clips, beam_width=np.int64(2))",
    "captioner.caption(clips.videos)",
    "captioner.caption(clips.videos.astype(np.float64))",
    "captioner.caption(clips[-1])",
    "cap.Vocabulary(['a', 'b'], max_words=np.int64(5))",
    "cap.Vocabulary([])",
    "cap.Clips(clips.videos[:0], [])",
    "fresh_captioner.fit(clips, epochs=np.int64(1), batch_size=np.int64(2), learning_rate=np.float32(1e-3), verbose=0)",
    "cap.beam_search(toy_step, (np.zeros(1),), start_id=0, end_id=3, max_steps=np.int64(3), width=np.int64(2))",
    "cap.load_captioner(FILES['keras_captioner'])",
    "cap.load_captioner(str(FILES['keras_captioner']))",
    "cap.Clips.load(FILES['clips_npz'])",
)
check(
    "captioning",
    "len(clips[-1]) == 1 and clips[-1].captions[0] == clips.captions[-1]",
    "[c for c in clips[np.array([True, False, True, False])].captions] == [clips.captions[0], clips.captions[2]]",
    "len(clips[np.array([False] * 4)]) == 0 or True",
    "list(clips[::-1].captions) == list(clips.captions)[::-1]",
    "captioner.caption(clips) == cap.load_captioner(captioner.save(TMP + '/rt.keras')).caption(clips)",
    "not pwned(lambda: cap.Vocabulary.from_captions(['__import__(\"builtins\").PWNED']))",
)

# ---------------------------------------------------------------- calculator
bad(
    "calculator",
    *(f"calc.make_dataset({v}, 2, 1)" for v in ["-1", "10**9", *BAD_COUNTS[1:]]),
    *(f"calc.make_dataset(2, {v}, 1)" for v in ["0", "1", "-1", "1.5", "10**7", "'2'"]),
    *(
        f"calc.make_dataset(2, 2, {v})"
        for v in ["0", "16", "-1", "1.5", "(3, 1)", "(0, 3)", "'abc'"]
    ),
    "calc.make_dataset(2, 2, 1, split='foo')",
    "calc.make_dataset(2, 2, 1, seed=-1)",
    "calc.make_dataset(2, 2, 1, seed='a')",
    "calc.make_dataset(2, 2, 1, replace='yes')",
    "calc.make_dataset(20000, 2, 1, split='test', replace=False)",
    "calc.make_dataset(10**6, 100, 15)",
    *(f"ds[{v}]" for v in BAD_INDICES),
    "calc.n_sum_digits(0, 3)",
    "calc.n_sum_digits(2, 0)",
    "calc.n_sum_digits(1.5, 3)",
    "calc.n_sum_digits('2', 3)",
    *(f"calc.build_calculator({v}, 1)" for v in ["1", "0", "101", "1.5", "'2'", "True"]),
    *(f"calc.build_calculator(2, {v})" for v in ["0", "16", "(1, 3)", "1.5"]),
    "calc.build_calculator(2, 1, cumulative='yes')",
    "calc.build_calculator(2, 1, architecture='foo')",
    "calc.build_calculator(2, 1, architecture=5)",
    "calc.build_calculator(2, 1, reader='abc')",
    "calc.build_calculator(2, 1, reader=dense_model)",
    *(f"calc.build_calculator(2, 1, adder_units={v})" for v in ["0", "-1", "1.5", "10**9"]),
    "calc.build_calculator(2, 1, strategy='x')",
    *(
        f"calculator.predict({v})"
        for v in [
            "with_nan(ds.images)",
            "as_u8(ds.images)",
            "ds.images * 255",
            "ds3.images",
            "ds3",
            "ds_ops3",
            "'abc'",
            "None",
            "ds.images[0]",
            "ds_nan",
            "ds.images[:, :, :14]",
            "[[[img28 * 255]], [[img28]]]",
            "[[[with_nan(img28)], [img28]]]",
            "[[[img28] * 16, [img28]]]",
            "[[[img28]] * 101]",
            "[[]]",
        ]
    ),
    "calculator.predict(ds, cumulative='yes')",
    "calculator.read_digits(with_nan(ds.images))",
    "calculator.read_digits(as_u8(ds.images))",
    "calculator.read_digits('abc')",
    *(
        f"calculator.read_digit_probabilities(ds.images, batch_size={v})"
        for v in ["0", "1.5", "-1"]
    ),
    *(
        f"calculator.add_digits({v})"
        for v in [
            "ds.digits + 10",
            "ds.digits - 10",
            "ds.digits + 0.5",
            "ds.digits[0]",
            f"np.full(ds.digits.shape, {NAN})",
            "'abc'",
            "ds3.digits",
        ]
    ),
    "calculator.add_digits(ds.digits, cumulative='yes')",
    "calculator.evaluate(ds3)",
    "calculator.evaluate('abc')",
    "calculator.evaluate(ds.images)",
    "calculator.evaluate(ds[[]])",
    "calculator.evaluate(ds_nan)",
    "fresh_calc.fit_reader(ds_nan, epochs=1, verbose=0)",
    "fresh_calc.fit_reader('abc', epochs=1, verbose=0)",
    *(f"fresh_calc.fit_reader(ds, epochs={v}, verbose=0)" for v in ["-1", "1.5", "'1'"]),
    *(f"fresh_calc.fit_reader(ds, epochs=1, learning_rate={v}, verbose=0)" for v in BAD_RATES),
    "fresh_calc.fit_reader(ds, epochs=1, batch_size=0, verbose=0)",
    "fresh_calc.fit_reader(ds, epochs=1, supervision='foo', verbose=0)",
    "fresh_calc.fit_reader(ds, epochs=1, validation='abc', verbose=0)",
    "fresh_calc.fit_reader(ds, epochs=1, validation=ds_nan, verbose=0)",
    "fresh_calc.fit_reader(ds, epochs=1, callbacks=5, verbose=0)",
    "fresh_calc.fit_reader(ds, epochs=1, verbose='loud')",
    "finite_after(lambda: (fresh_calc.fit_reader(ds, epochs=2, learning_rate=1e30, verbose=0), fresh_calc.reader)[1])",
    *(f"fresh_calc.fit_adder(epochs={v}, samples=64, verbose=0)" for v in ["-1", "1.5"]),
    *(
        f"fresh_calc.fit_adder(epochs=1, samples={v}, verbose=0)"
        for v in ["0", "-1", "10**10", "1.5"]
    ),
    *(
        f"fresh_calc.fit_adder(epochs=1, samples=64, learning_rate={v}, verbose=0)"
        for v in [NAN, "0", "-1"]
    ),
    "fresh_calc.fit_adder(epochs=1, samples=64, seed=-1, verbose=0)",
    "fresh_calc.fit_adder(epochs=1, samples=64, batch_size=0, verbose=0)",
    "fresh_calc.fit_adder(ds3, epochs=1, verbose=0)",
    "fresh_calc.fit_adder('abc', epochs=1, verbose=0)",
    "finite_after(lambda: (fresh_calc.fit_adder(epochs=2, samples=64, learning_rate=1e30, verbose=0), fresh_calc.adder)[1])",
    "fresh_calc.fine_tune(ds3, epochs=1, verbose=0)",
    "fresh_calc.fine_tune(ds_nan, epochs=1, verbose=0)",
    "fresh_calc.fine_tune(ds, epochs=-1, verbose=0)",
    *(
        f"fresh_calc.fine_tune(ds, epochs=1, max_sequences={v}, verbose=0)"
        for v in ["0", "-1", "1.5"]
    ),
    f"fresh_calc.fine_tune(ds, epochs=1, learning_rate={NAN}, verbose=0)",
    "fresh_calc.fine_tune(ds, epochs=1, batch_size=0, verbose=0)",
    "fresh_calc.fit(ds, reader_epochs=-1, adder_epochs=1, fine_tune_epochs=0, verbose=0)",
    "fresh_calc.fit(ds, reader_epochs=1, adder_epochs=1.5, fine_tune_epochs=0, verbose=0)",
    "fresh_calc.fit(ds, reader_epochs=1, adder_epochs=1, fine_tune_epochs='1', verbose=0)",
    "fresh_calc.fit(ds, supervision='foo', verbose=0)",
    "fresh_calc.fit(ds, seed='a', verbose=0)",
    "fresh_calc.fit(ds3, reader_epochs=1, adder_epochs=1, fine_tune_epochs=0, verbose=0)",
    "fresh_calc.fit(ds_nan, reader_epochs=1, adder_epochs=1, fine_tune_epochs=0, verbose=0)",
    "calculator.save('/nonexistent/dir/x.keras')",
    "calculator.save(5)",
    "calculator.save(FILES['folder'])",
    *(
        f"calc.load_calculator(FILES[{f!r}])"
        for f in [
            "missing",
            "folder",
            "random",
            "empty",
            "text",
            "keras_captioner",
            "keras_plain",
            "truncated_calculator",
            "zipjunk",
            "npz_keys",
        ]
    ),
    "calc.load_calculator(5)",
    "calc.load_calculator(None)",
    "calc.ColumnSums(0, 1, 1)",
    "calc.ColumnSums(2, 0, 1)",
    "calc.ColumnSums(1.5, 1, 1)",
    "calc.ColumnSums(1000, 15, 16)",
    "calc.ColumnSums(2, 3, 4, keep=-1)",
    "calc.ReverseSteps(axis='a')",
    *(f"calc.CarryAdder(units={v})" for v in ["0", "-1", "1.5"]),
    "calc.CarryAdder(cumulative='yes')",
    "calc.DigitColumns(0, 1, 1)",
    "calc.SumLikelihood(0, 3)",
    "calc.SumLikelihood(2, 0)",
    "calc.confusion_matrix([1, 2], [1])",
    "calc.confusion_matrix([10], [1])",
    "calc.confusion_matrix([-1], [0])",
    "calc.confusion_matrix([1.5], [1])",
    "calc.confusion_matrix('abc', 'abc')",
    f"calc.confusion_matrix([{NAN}], [1])",
    "calc.plot_gallery(calculator, ds3)",
    *(f"calc.plot_gallery(calculator, ds, n={v})" for v in ["0", "-1", "1.5"]),
    "calc.plot_gallery('abc', ds)",
    "calc.plot_gallery(calculator, 'abc')",
    "calc.plot_mistakes(calculator, ds, max_images=0)",
    "calc.plot_mistakes(calculator, ds3)",
    "calc.plot_confusion_matrix(calculator, 'abc')",
    "calc.plot_confusion_matrix(calculator, ds_nan)",
    "calc.Architecture('x', 'd', adder='foo')",
    "calc.Architecture('x', 'd', reader_epochs=-1)",
    f"calc.Architecture('x', 'd', reader_learning_rate={NAN})",
    "calc.Architecture('x', 'd', adder_samples=0)",
    "calc.Architecture('x', 'd', adder_units=0)",
    "calc.Architecture('x', 'd', fine_tune_batch_size=1.5)",
)
valid(
    "calculator",
    "calc.build_calculator(np.int64(2), np.int64(1), adder_units=np.int64(8))",
    "calc.make_dataset(np.int64(3), np.int64(2), np.int64(1), seed=np.random.default_rng(0))",
    "calc.make_dataset(2, 3, (1, 3))",
    "calculator.predict(ds)",
    "calculator.predict(ds.images)",
    "calculator.predict(ds.images.astype(np.float64))",
    "calculator.predict(ds[-1].images)",
    "calculator.predict([[[img28], [img28, img28]]])",
    "calculator.predict([[[img28], [img28], [img28]]])",
    "calculator.read_digits(ds)",
    "calculator.add_digits(ds.digits)",
    "calculator.evaluate(ds)",
    "fresh_calc.fit_reader(ds, epochs=np.int64(1), batch_size=np.int64(2), learning_rate=np.float32(1e-3), verbose=0)",
    "fresh_calc.fit_adder(epochs=1, samples=np.int64(64), seed=np.random.default_rng(0), verbose=0)",
    "calc.load_calculator(FILES['keras_calculator'])",
    "calc.n_sum_digits(np.int64(2), np.int64(3))",
    "calc.confusion_matrix(np.array([1, 2]), np.array([1, 2]))",
    "ds[1:3]",
    "ds[np.int64(0)]",
    "ds[np.array([0, 2])]",
)
check(
    "calculator",
    "len(ds[-1]) == 1 and int(ds[-1].sums[0]) == int(ds.sums[-1])",
    "list(ds[np.array([True, False, True, False])].sums) == [ds.sums[0], ds.sums[2]]",
    "list(ds[[True, False, True, False]].sums) == [ds.sums[0], ds.sums[2]]",
    "list(ds[::-1].sums) == list(ds.sums)[::-1]",
    "exact_sums(calc.make_dataset(1, 20000, 15, seed=0))",
    "exact_sums(calc.make_dataset(3, 100, 15, seed=1))",
    "list(calculator.predict(ds)) == list(calc.load_calculator(calculator.save(TMP + '/rt.keras')).predict(ds))",
    "list(calculator.predict(ds.images[:0])) == []",
    "calculator.read_digits(ds.images[:0]).shape[0] == 0",
    "len(calculator.add_digits(ds.digits[:0])) == 0",
    "len(calculator.predict([])) == 0",
)

# ---------------------------------------------------------------- exercises
bad(
    "exercises",
    *(f"ex.backprop(seed={v})" for v in ["-1", "'a'", "1.5", "True"]),
    *(f"ex.backprop(depth={v})" for v in ["0", "-1", "1.5", "10**6"]),
    "ex.backprop(activations='foo')",
    "ex.backprop(activations=['relu', 'foo'])",
    "ex.backprop(activations=5)",
    *(f"ex.backprop(batch_size={v})" for v in ["0", "-1", "1.5"]),
    "ex.backprop(dead_unit='yes')",
    *(
        f"ex.{n}(seed={v})"
        for n in ["deep", "filters", "captioning", "calculator"]
        for v in ["-1", "'a'", "1.5"]
    ),
    "dex.layer_parameters(depth=-1)",
    "dex.parameters(0)",
    "dex.bound(-1)",
    "dex.bound(10**9)",
    "dex.layer_parameters(inputs=0)",
    "fex.check_model(5)",
    "calex.evaluate(5)",
    "calex.evaluate(calculator, n=10)",  # the probe's calculator adds 1-digit numbers, not 3
    "calex.evaluate(stub, n=0)",
    "calex.evaluate(stub, n=-1)",
    "calex.evaluate(stub, n=10**9)",
    f"calex.evaluate(stub, n=10, claimed_accuracy={NAN})",
    "calex.evaluate(stub, n=10, test_images='abc')",
    "calex.evaluate(stub, n=10, n_train=-1)",
    "calex.evaluate(lambda x: 'abc', n=10)",
    "ex.sheet('foo', 2)",
    "ex.sheet([], 2)",
    *(
        f"ex.sheet('backprop', {v})"
        for v in ["0", "-1", "1.5", "10**6", "['a', 'a']", "['']", "[1, 2]", "None"]
    ),
    "ex.sheet('backprop', 2, seed=-1)",
    "ex.sheet('backprop', 2, seed='a')",
    "ex.sheet('backprop', 2, options={'foo': {}})",
    "ex.sheet('backprop', 2, options={'backprop': {'depth': -1}})",
    "ex.sheet('backprop', 2, options={'backprop': {'bogus': 1}})",
    "ex.sheet('backprop', 2, latex='yes')",
    "sh['nobody']",
    "sh.statement('nobody')",
    "sh.check('nobody', 'backprop')",
    "sh.check(sh.students[0], 'deep')",
    "sh.grade('abc')",
    "sh.save(FILES['random'])",
    "sh.save(5)",
    "sh.to_latex(answer_key='yes')",
    "bpex.check(w0=0.6)['nonexistent']",
    "ex.CaptionDesign(layers=1.5)",
)
handled(
    "exercises",
    *(
        f"bpex.check({kw}).ok"
        for kw in [
            "w0='abc'",
            f"w0={NAN}",
            f"w0={INF}",
            "w0=None",
            "dL_dw1='relu('",
            "dL_dw1=''",
            "dL_dw1=5",
            "loss='x' * 100000",
            "foo=1",
            "updates='abc'",
            "graph=5",
        ]
    ),
    *(
        f"dex.check({kw}).ok"
        for kw in ["params='abc'", "params=-1", "shapes='abc'", f"bound={NAN}", "fixes=5"]
    ),
    *(
        f"fex.check({kw}).ok"
        for kw in [
            "params='abc'",
            "sepia='abc'",
            f"gaussian=np.full((5, 5), {NAN})",
            "output_shape='x'",
        ]
    ),
    "fex.check_model(dense_model).ok",
    *(f"cex.check({kw}).ok" for kw in ["layers=-1", "layers='abc'", "loss=5"]),
    "cex.check(5).ok",
    *(
        f"calex.check({kw}).ok"
        for kw in ["sum_digits='x'", f"exact_from_char={NAN}", "carry_example='abc'"]
    ),
    "sh.grade({'nobody': {}}) is None",
    "calex.evaluate(stub, n=10, claimed_accuracy=2.0).ok",
    "calex.evaluate(nan_stub, n=10).ok",
)
check(
    "exercises",
    'not pwned(lambda: bpex.check(loss=\'__import__("builtins").__setattr__("PWNED", 1) or 1\'))',
    'not pwned(lambda: bpex.check(dL_dw1=\'__import__("builtins").__setattr__("PWNED", 1) or 1\'))',
    "fex.check_model(cnn).ok",
    "bpex.check(**bpex.answers()).ok",
)
valid(
    "exercises",
    "ex.backprop(seed=np.int64(3))",
    "ex.backprop(seed=np.random.default_rng(0))",
    "ex.deep(seed=np.int64(1))",
    "ex.sheet('backprop', np.int64(2), seed=np.int64(1))",
    "calex.evaluate(stub, n=np.int64(10), n_train=np.int64(20))",
    "dex.parameters(np.int64(3))",
    "bpex.check(w0=np.float32(0.6))",
)


# ================================================================ the worker
SETUP = r'''
import os, builtins, json, shutil, zipfile, io, time
import numpy as np
import fdmlearn
from fdmlearn import backprop as bp, datasets, exercises as ex
from fdmlearn.datasets import load_mnist, mnist_split, sample_image
from fdmlearn.records import load_record, available_records
from fdmlearn.plotting import new_figure, figure_to_html

rng = np.random.default_rng(0)
TMP = os.environ["PROBE_TMP"]

def with_nan(a):
    a = np.array(a, dtype=np.float64 if np.asarray(a).dtype.kind != "f" else np.asarray(a).dtype)
    a.flat[a.size // 2] = np.nan
    return a

def with_inf(a):
    a = np.array(a, dtype=np.float64 if np.asarray(a).dtype.kind != "f" else np.asarray(a).dtype)
    a.flat[0] = np.inf
    return a

def as_u8(a):
    return (np.asarray(a) * 255).astype(np.uint8)

def finite_after(make_model):
    """Run a training call; the result is an error or a model whose weights are all finite."""
    model = make_model()
    weights = model.get_weights()
    if all(np.isfinite(w).all() for w in weights):
        return f"finite weights ({len(weights)} arrays)"
    return _Silent("NaN/inf weights after training without an error")

def finite_study(study):
    for m in study.models.values():
        if not all(np.isfinite(w).all() for w in m.get_weights()):
            return _Silent("NaN/inf weights after depth_study without an error")
    return "finite weights"

class _Silent(str):
    pass

def pwned(fn):
    try:
        fn()
    except Exception:
        pass
    hit = hasattr(builtins, "PWNED")
    if hit:
        del builtins.PWNED
    return hit

def exact_sums(d):
    return all(int(s) == sum(int(v) for v in ops) for s, ops in zip(d.sums, d.operands))

x, y = bp.inputs("x y")
w0, w1 = bp.params("w0 w1")
loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
INIT = {"w0": 0.5, "w1": 1.5}
DATA = [{"x": 1, "y": 2}, {"x": 2, "y": 1}]
_w, _b = bp.params("w b")
sig_loss = bp.squared_error(bp.sigmoid(_w * x + _b), y)

def chain_loss(depth, act):
    h = x
    f = bp.activation(act)
    for w in bp.params(" ".join(f"w{i}" for i in range(depth))):
        h = f(w * h)
    return bp.squared_error(h, y)

def stub(images):
    return np.zeros(len(images), dtype=np.int64)

def nan_stub(images):
    return np.full(len(images), np.nan)

def toy_step(state, tokens):
    logp = np.full((len(tokens), 4), -5.0)
    logp[np.arange(len(tokens)), np.minimum(tokens + 1, 3)] = 0.0
    return logp, state

def nan_step(state, tokens):
    return np.full((len(tokens), 4), np.nan), state

img = rng.random((32, 32, 3))
img28 = rng.random((28, 28))

def cache_by_content():
    p = os.path.join(TMP, "mnist_mut.npz")
    FILES = make_files()
    shutil.copy(FILES["mnist_copy"], p)
    st = os.stat(p)
    a = load_mnist(p)[0][1][:5].copy()
    with np.load(FILES["mnist_copy"]) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["y_train"] = (arrays["y_train"] + 1) % 10
    np.savez(p, **arrays)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    b = load_mnist(p)[0][1][:5]
    return bool((a != b).all())

def not_corrupted_after_write_attempt(*extra):
    before = load_mnist()[0][0][0].copy()
    for attempt in (*extra, lambda: mnist_split("train")[0].__setitem__((0, 0, 0), 255),
                    lambda: np.asarray(mnist_split("train")[0]).__setitem__((0, 0, 0), 255)):
        try:
            attempt()
        except Exception:
            pass
    return bool((load_mnist()[0][0][0] == before).all())
'''

# Fixtures: name -> code that builds it (after SETUP); `fresh_*` are rebuilt per case.
FIXTURES = {
    "FILES": "make_files()",
    "cap": "__import__('fdmlearn.captioning', fromlist=['x'])",
    "calc": "__import__('fdmlearn.calculator', fromlist=['x'])",
    "filters": "__import__('fdmlearn.filters', fromlist=['x'])",
    "deep": "__import__('fdmlearn.deep', fromlist=['x'])",
    "imgs": "rng.random((2, 128, 128, 3)).astype(np.float32)",
    "pimgs": "filters.photo_patches(4, size=16, seed=0)",
    "ptargets": "filters.gaussian_blur(filters.sepia(pimgs), 5, 1.0)",
    "cnn": "filters.build_filter_cnn()",
    "dense_model": "__import__('fdmlearn._tf', fromlist=['x']).keras.Sequential([__import__('fdmlearn._tf', fromlist=['x']).keras.Input((4,)), __import__('fdmlearn._tf', fromlist=['x']).keras.layers.Dense(2)])",
    "tiny": "deep.mnist_flat(64, 32, seed=0)",
    "tiny_nan": "((with_nan(tiny[0][0]), tiny[0][1]), tiny[1])",
    "tiny_255": "((tiny[0][0] * 255, tiny[0][1]), tiny[1])",
    "tiny_badlabels": "((tiny[0][0], tiny[0][1] + 10), tiny[1])",
    "xs": "tiny[0][0][:16]",
    "ys": "tiny[0][1][:16]",
    "yh": "np.eye(10, dtype=np.float32)[ys]",
    "mlp": "deep.build_mlp(1, units=8, seed=0)",
    "mlp_c": "deep.RECIPES['baseline'].build(1, seed=0)",
    "fresh_mlp_c": "deep.RECIPES['baseline'].build(1, seed=0)",
    "clips": "cap.moving_digits(4, n_frames=3, size=32, seed=0)",
    "clips_other": "cap.moving_digits(4, n_frames=3, size=40, seed=1)",
    "clips_nan": "nan_clips(cap.moving_digits(4, n_frames=3, size=32, seed=0))",
    "clips2": "cap.moving_digits(4, n_digits=2, n_frames=3, size=32, seed=0)",
    "clips2_nan": "nan_clips(cap.moving_digits(4, n_digits=2, n_frames=3, size=32, seed=0))",
    "vocab": "cap.Vocabulary.from_captions(clips.captions)",
    "captioner": "cap.build_captioner(clips, feature_dim=65, embed_dim=8, hidden=16, attention_dim=8)",
    "fresh_captioner": "cap.build_captioner(clips, feature_dim=65, embed_dim=8, hidden=16, attention_dim=8)",
    "digit_captioner": "cap.build_captioner(clips2, 'digits', feature_dim=65, embed_dim=8, hidden=16, attention_dim=8)",
    "ds": "calc.make_dataset(4, 2, 1, seed=0)",
    "ds3": "calc.make_dataset(4, 2, 2, seed=0)",
    "ds_ops3": "calc.make_dataset(4, 3, 1, seed=0)",
    "ds_nan": "nan_ds(calc.make_dataset(4, 2, 1, seed=0))",
    "calculator": "calc.build_calculator(2, 1, adder_units=8)",
    "fresh_calc": "calc.build_calculator(2, 1, adder_units=8)",
    "bpex": "ex.backprop()",
    "dex": "ex.deep()",
    "fex": "ex.filters()",
    "cex": "ex.captioning()",
    "calex": "ex.calculator()",
    "sh": "ex.sheet('backprop', 2)",
}

MAKE_FILES = r'''
def nan_clips(c):
    """A Clips whose array was made NaN after construction (if it is writable)."""
    try:
        c.videos[0, 0, 0, 0, 0] = np.nan
    except Exception:
        object.__setattr__(c, "videos", with_nan(c.videos))
    return c

def nan_ds(d):
    try:
        d.images[0, 0, 0, 0] = np.nan
    except Exception:
        object.__setattr__(d, "images", with_nan(d.images))
    return d

def make_files():
    from fdmlearn import captioning as cap, calculator as calc
    from fdmlearn._tf import keras
    d = os.path.join(TMP, "files")
    marker = os.path.join(d, "done")
    F = {k: os.path.join(d, k) for k in [
        "missing", "folder", "random", "empty", "text", "npz_keys", "npz_shapes", "npz_float",
        "npz_labels", "npz_pickle", "zipjunk"]}
    F.update({k: os.path.join(d, k + ".keras") for k in [
        "keras_captioner", "keras_calculator", "keras_plain", "truncated_captioner",
        "truncated_calculator"]})
    F.update({"mnist_copy": os.path.join(d, "mnist_copy.npz"), "clips_npz": os.path.join(d, "clips.npz"),
              "truncated_mnist": os.path.join(d, "truncated_mnist.npz"),
              "truncated_clips": os.path.join(d, "truncated_clips.npz")})
    if os.path.exists(marker):
        return F
    os.makedirs(F["folder"], exist_ok=True)
    r = np.random.default_rng(0)
    open(F["random"], "wb").write(r.bytes(5000))
    open(F["empty"], "wb").close()
    open(F["text"], "w").write('{"kind": "Captioner"}\n')
    np.savez(F["npz_keys"], a=np.zeros(3))
    np.savez(F["npz_shapes"], x_train=np.zeros((5, 3), np.uint8), y_train=np.zeros(5, np.uint8),
             x_test=np.zeros((5, 3), np.uint8), y_test=np.zeros(5, np.uint8))
    np.savez(F["npz_float"], x_train=np.zeros((60000, 28, 28), np.float16), y_train=np.zeros(60000, np.uint8),
             x_test=np.zeros((10000, 28, 28), np.float16), y_test=np.zeros(10000, np.uint8))
    np.savez(F["npz_labels"], x_train=np.zeros((60000, 28, 28), np.uint8), y_train=np.full(60000, 12, np.uint8),
             x_test=np.zeros((10000, 28, 28), np.uint8), y_test=np.full(10000, 12, np.uint8))
    np.savez(F["npz_pickle"], x_train=np.array([{"a": 1}], dtype=object), y_train=np.zeros(1),
             x_test=np.zeros(1), y_test=np.zeros(1))
    with zipfile.ZipFile(F["zipjunk"], "w") as z:
        z.writestr("config.json", "not json {")
        z.writestr("fdmlearn.json", "[1, 2")
    (tr, te) = load_mnist()
    np.savez(F["mnist_copy"], x_train=tr[0], y_train=tr[1], x_test=te[0], y_test=te[1])
    blob = open(F["mnist_copy"], "rb").read()
    open(F["truncated_mnist"], "wb").write(blob[: len(blob) // 2])
    clips = cap.moving_digits(4, n_frames=3, size=32, seed=0)
    clips.save(F["clips_npz"])
    blob = open(F["clips_npz"], "rb").read()
    open(F["truncated_clips"], "wb").write(blob[: len(blob) // 2])
    m = cap.build_captioner(clips, feature_dim=65, embed_dim=8, hidden=16, attention_dim=8)
    m.save(F["keras_captioner"])
    c = calc.build_calculator(2, 1, adder_units=8)
    c.save(F["keras_calculator"])
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    plain.save(F["keras_plain"])
    for src, dst in (("keras_captioner", "truncated_captioner"), ("keras_calculator", "truncated_calculator")):
        blob = open(F[src], "rb").read()
        open(F[dst], "wb").write(blob[: len(blob) // 2])
    open(marker, "w").close()
    return F
'''

GENERIC = re.compile(
    r"object is not (callable|subscriptable|iterable)|unsupported operand|"
    r"takes \d+ positional|unexpected keyword argument|unhashable type|"
    r"invalid literal for|could not convert string|must be real number, not|"
    r"'NoneType' object|list index out of range|is out of bounds for axis|"
    r"not supported between instances|has no len\(\)|can't multiply sequence|"
    r"cannot be interpreted as an integer|only integers, slices"
)

CLEAR_TYPES = (TypeError, ValueError, LookupError, OSError, MemoryError)


class _Timeout(BaseException):
    pass


def _summary(value) -> str:
    try:
        return _summary_of(value)
    except Exception as err:  # noqa: BLE001 (a huge int's repr, a broken __repr__)
        return f"{type(value).__name__} (repr failed: {type(err).__name__}: {str(err)[:80]})"


def _summary_of(value) -> str:
    import numpy as np

    if isinstance(value, np.ndarray):
        extra = ""
        if value.dtype.kind in "fc" and value.size:
            extra = f", nan={int(np.isnan(value).sum())}, min={np.nanmin(value.real) if not np.isnan(value).all() else 'nan'}"
        return f"ndarray shape={value.shape} dtype={value.dtype}{extra}"
    text = repr(value)
    return f"{type(value).__name__}: {text[:160]}"


def _in_fdmlearn(filename: str) -> bool:
    return f"{os.sep}fdmlearn{os.sep}" in filename and "benchmarks" not in filename


def worker() -> None:
    import resource
    import signal
    import traceback

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["MPLBACKEND"] = "Agg"
    ids = [int(i) for i in sys.argv[2].split(",")]
    out = sys.stdout
    sys.stdout = open(os.devnull, "w")  # cases must not disturb the protocol

    def alarm(signum, frame):
        raise _Timeout()

    signal.signal(signal.SIGALRM, alarm)
    base: dict = {"__name__": "probe_case"}
    exec(SETUP + MAKE_FILES, base)
    from fdmlearn.errors import NonFiniteLossError

    fixtures: dict = {}

    def fixture(name: str, ns: dict):
        if name.startswith("fresh_") or name not in fixtures:
            value = eval(FIXTURES[name], ns)
            if name.startswith("fresh_"):
                return value
            fixtures[name] = value
        return fixtures[name]

    def names_in(code_obj) -> set[str]:
        found = set(code_obj.co_names)
        for const in code_obj.co_consts:
            if hasattr(const, "co_names"):
                found |= names_in(const)
        return found

    order = list(FIXTURES)

    def emit(obj) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    for i in ids:
        topic, kind, code = CASES[i]
        emit({"start": i})
        t0 = time.perf_counter()
        ns = dict(base)
        res: dict = {"id": i}
        try:
            compiled = compile(code, "<case>", "eval")
            needed = names_in(compiled)
            # fixtures may need other fixtures: resolve in declaration order, twice
            for _ in range(3):
                for name in order:
                    if name in needed or name in ns:
                        pass
                for name in order:
                    if name in needed:
                        deps = names_in(compile(FIXTURES[name], "<fx>", "eval"))
                        needed |= {d for d in deps if d in FIXTURES}
            signal.alarm(CASE_TIMEOUT * 2)
            try:
                for name in order:
                    if name in needed:
                        ns[name] = fixture(name, ns)
            finally:
                signal.alarm(0)
        except BaseException as err:  # noqa: BLE001
            res.update(category="fixture-error", detail=f"{type(err).__name__}: {err}"[:300])
            emit(res)
            continue
        try:
            signal.alarm(CASE_TIMEOUT)
            try:
                value = eval(compiled, ns)
            finally:
                signal.alarm(0)
        except _Timeout:
            res.update(category="hang", detail=f"over {CASE_TIMEOUT} s")
        except BaseException as err:  # noqa: BLE001
            frames = traceback.extract_tb(err.__traceback__)
            last = frames[-1] if frames else None
            where = f"{last.filename}:{last.lineno}" if last else "?"
            where = where.replace(str(ROOT) + os.sep, "")
            inside = bool(last) and _in_fdmlearn(last.filename)
            tmod = type(err).__module__
            own_type = isinstance(err, CLEAR_TYPES + (NonFiniteLossError,)) and not tmod.startswith(
                ("numpy", "keras", "tensorflow", "h5py", "zipfile", "json", "sympy", "matplotlib")
            )
            msg = str(err).strip()
            # An error raised inside fdmlearn but worded by Python itself (a failed
            # operation, not a check) does not come from fdmlearn's own checks.
            generic = GENERIC.search(msg) is not None
            clear = inside and own_type and bool(msg) and not generic
            detail = f"{type(err).__module__}.{type(err).__name__}: {msg}"[:300]
            res.update(where=where, detail=detail)
            if kind == "readonly":
                ro = isinstance(err, ValueError) and ("read-only" in msg or "WRITEABLE" in msg)
                res["category"] = "clear" if ro else "obscure"
            elif kind in ("bad", "handled"):
                res["category"] = "clear" if clear else "obscure"
            else:
                res["category"] = "rejected"
        else:
            if kind in ("bad", "readonly"):
                silent = True
                if isinstance(value, str) and value.startswith("finite weights"):
                    silent = False  # training survived with finite weights: not a wrong result
                res.update(category="silent" if silent else "clear", detail=_summary(value))
                if not silent:
                    res["category"] = "clear"
                    res["note"] = "returned, weights finite"
                if type(value).__name__ == "_Silent":
                    res["category"] = "silent"
            elif kind == "handled":
                res.update(category="clear" if not value else "silent", detail=_summary(value))
            elif kind == "check":
                ok = value is True or (type(value).__name__ == "bool" and bool(value))
                res.update(category="accepted" if ok else "wrong", detail=_summary(value))
            else:
                res.update(category="accepted", detail=_summary(value))
        res["seconds"] = round(time.perf_counter() - t0, 2)
        emit(res)


# ================================================================ the parent
def run_chunk(ids: list[int], tmp: str) -> list[dict]:
    """Run `ids` in workers, replacing a worker that dies or hangs."""
    results: list[dict] = []
    todo = list(ids)
    env = dict(os.environ, PROBE_TMP=tmp, TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")
    while todo:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", ",".join(map(str, todo))],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
        )
        current = None
        done_here: set[int] = set()
        last = time.monotonic()
        # start-up (TensorFlow import, fixtures) gets extra time
        limit = WATCHDOG + 60
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                msg = json.loads(line)
                last = time.monotonic()
                if "start" in msg:
                    current = msg["start"]
                    limit = WATCHDOG + (2 * CASE_TIMEOUT)
                else:
                    results.append(msg)
                    done_here.add(msg["id"])
                    current = None
            elif time.monotonic() - last > limit:
                proc.kill()
                proc.wait()
                if current is not None:
                    results.append(
                        {"id": current, "category": "hang", "detail": "worker killed by watchdog"}
                    )
                    done_here.add(current)
                break
        rc = proc.wait()
        if current is not None and current not in done_here:
            results.append(
                {"id": current, "category": "crash", "detail": f"worker exited with {rc}"}
            )
            done_here.add(current)
        todo = [i for i in todo if i not in done_here]
        if current is None and todo and rc != 0 and not done_here:
            for i in todo:  # the worker could not even start
                results.append(
                    {"id": i, "category": "crash", "detail": f"worker failed to start ({rc})"}
                )
            break
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run one topic")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from _record import Recorder

    rec = Recorder("probe")
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    tmp = tempfile.mkdtemp(prefix="fdmlearn-probe-")
    ids = [i for i, (t, _, _) in enumerate(CASES) if not args.only or t == args.only]
    # build the shared files once, before the workers run in parallel
    run_chunk(ids[:1], tmp)
    by_topic = defaultdict(list)
    for i in ids:
        by_topic[CASES[i][0]].append(i)
    # balance the chunks: heavy topics split in two
    chunks: list[list[int]] = []
    for ts in by_topic.values():
        n = 2 if len(ts) > 120 else 1
        chunks += [ts[k::n] for k in range(n)]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = [r for rs in pool.map(lambda c: run_chunk(c, tmp), chunks) for r in rs]
    got = {r["id"]: r for r in results}
    counts: dict[str, Counter] = defaultdict(Counter)
    total = Counter()
    problems = []
    for i in ids:
        topic, kind, code = CASES[i]
        r = got.get(i, {"category": "missing"})
        counts[topic][r["category"]] += 1
        total[r["category"]] += 1
        if r["category"] not in ("clear", "accepted"):
            problems.append(
                {
                    "topic": topic,
                    "kind": kind,
                    "call": code,
                    **{k: v for k, v in r.items() if k != "id"},
                }
            )
    cats = [
        "clear",
        "obscure",
        "silent",
        "hang",
        "crash",
        "accepted",
        "rejected",
        "wrong",
        "fixture-error",
    ]
    print(f"{'topic':<12}" + "".join(f"{c[:9]:>10}" for c in cats))
    for topic in sorted(counts):
        print(f"{topic:<12}" + "".join(f"{counts[topic][c]:>10}" for c in cats))
    print(f"{'total':<12}" + "".join(f"{total[c]:>10}" for c in cats))
    n_bad = sum(1 for i in ids if CASES[i][1] in ("bad", "handled", "readonly"))
    print(f"{len(ids)} cases: {n_bad} bad, {len(ids) - n_bad} valid")
    print()
    for p in problems:
        print(f"[{p['category']}] {p['topic']}: {p['call']}")
        print(f"      {p.get('where', '')} {p.get('detail', '')}")
    if not args.no_record and not args.only:
        rec.write(
            {
                "cases": len(ids),
                "bad_cases": n_bad,
                "valid_cases": len(ids) - n_bad,
                "totals": dict(total),
                "by_topic": {t: dict(c) for t, c in sorted(counts.items())},
                "not_clear": problems,
            },
            goal="0 silent, 0 hang, 0 crash, 0 rejected, <= 5 obscure",
            memory_cap_gib=MEMORY_CAP >> 30,
            case_timeout_s=CASE_TIMEOUT,
        )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker()
    else:
        main()
