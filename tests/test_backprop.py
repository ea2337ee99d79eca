"""Tests for fdmlearn.backprop: the seed's numbers, the API, cross-checks and errors."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from fractions import Fraction

import matplotlib
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fdmlearn import backprop as bp

matplotlib.use("Agg")

DATA = [{"x": 1, "y": 2}, {"x": 2, "y": 3}]


@pytest.fixture
def seed_net():
    x, y = bp.inputs("x y")
    w0, w1 = bp.params("w0 w1")
    loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
    return loss, x, y, w0, w1


# --------------------------------------------------------------------------- the seed exercise


def test_seed_batch_size_1(seed_net):
    loss, *_ = seed_net
    run = bp.gradient_descent(loss, {"w0": 1, "w1": 2}, DATA, lr=0.1, batch_size=1)
    assert run.params == {"w0": sympy.Rational(3, 5), "w1": sympy.Rational(9, 5)}
    first, second = run.steps
    # The first point is fitted exactly: zero loss, zero gradients, no change.
    assert first.loss == 0 and first.gradients == {"w0": 0, "w1": 0}
    assert second.loss == sympy.Rational(1, 2)
    assert second.gradients == {"w0": 4, "w1": 2}
    assert second.before == {"w0": 1, "w1": 2}


def test_seed_batch_size_2(seed_net):
    loss, *_ = seed_net
    run = bp.gradient_descent(loss, {"w0": 1, "w1": 2}, DATA, lr=0.1, batch_size=2)
    assert run.params == {"w0": sympy.Rational(4, 5), "w1": sympy.Rational(19, 10)}
    (step,) = run.steps
    assert step.gradients == {"w0": 2, "w1": 1} and step.loss == sympy.Rational(1, 4)


def test_trace_matches_hand_derivation(seed_net):
    loss, *_ = seed_net
    t = bp.evaluate(loss, {"x": 2, "y": 3, "w0": 1, "w1": 2})
    assert t.values == {"w0": 1, "x": 2, "q": 2, "r": 2, "w1": 2, "s": 4, "yhat": 4, "y": 3,
                        "L": sympy.Rational(1, 2)}  # fmt: skip
    assert t.gradients["yhat"] == 1 and t.gradients["q"] == 2
    assert t.gradients["w0"] == 4 and t.gradients["w1"] == 2


def test_keys_may_be_nodes_and_floats_become_exact(seed_net):
    loss, x, y, w0, w1 = seed_net
    data = [{x: 1.0, y: 2.0}, {x: 2.0, y: 3.0}]
    run = bp.gradient_descent(loss, {w0: 1.0, w1: 2.0}, data, lr=0.1)
    assert run.lr == sympy.Rational(1, 10)
    assert run.params["w0"] == sympy.Rational(3, 5)


def test_markdown_and_latex_show_the_five_parts(seed_net):
    loss, *_ = seed_net
    run = bp.gradient_descent(loss, {"w0": 1, "w1": 2}, DATA, lr=0.1)
    md = run.to_markdown()
    for part in ("**1. Loss.**", "**2. Compute graph**", "**3. Partial derivatives**",
                 "**4. Updates**", "**5. Final values:**"):  # fmt: skip
        assert part in md
    assert r"\frac{3}{5} = 0.6" in md and r"\frac{9}{5} = 1.8" in md
    assert r"\mathbf{1}\left[q > 0\right]" in md  # ReLU' with its convention at 0
    assert "$q$ | $w_{0} x$" in md  # intermediate nodes are named
    assert run._repr_markdown_() == md
    tex = run.to_latex()
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    assert r"w_{0} &\leftarrow" in tex
    assert run._repr_latex_().startswith("$$")


def _check_tables(md: str) -> None:
    # Every row of a table has as many cells as its header: no stray | in math.
    for block in md.split("\n\n"):
        rows = [r for r in block.splitlines() if r.startswith("|")]
        if rows:
            counts = {r.count("|") - r.count(r"\|") for r in rows}
            assert len(counts) == 1, block


def test_tables_are_well_formed_for_every_loss():
    p, y = bp.inputs("p y")
    w = bp.params("w")
    for loss_fn in (bp.squared_error, bp.absolute_error, bp.binary_cross_entropy):
        loss = loss_fn(bp.sigmoid(w * p), y)
        run = bp.gradient_descent(loss, {w: 0.5}, [{p: 1, y: 1}, {p: -1, y: 0}], lr=0.5,
                                  batch_size=2)  # fmt: skip
        _check_tables(run.to_markdown())
        assert "|" not in run.to_markdown().split("$")[1::2][0]


# --------------------------------------------------------------------------- building graphs


def test_inputs_and_params_like_sympy_symbols():
    x = bp.inputs("x")
    a, b = bp.params("a, b")
    assert isinstance(x, bp.Node) and x.kind == "input" and a.kind == "param"
    assert x.expr == sympy.Symbol("x") and b.name == "b"


def test_arithmetic_on_either_side():
    x = bp.inputs("x")
    f = bp.exp(x)
    X = sympy.Symbol("x")
    assert (2 * x + 1).expr == 2 * X + 1
    assert (10.0 / f).expr == 10 * sympy.exp(-X)
    assert (1 - x).expr == 1 - X and (x - 1).expr == X - 1
    assert (x**2).expr == X**2 and (2**x).expr == 2**X
    assert (-x).expr == -X and (+x) is x
    assert (0.1 * x).expr == X / 10
    assert (x / x).expr == 1
    assert (x**x).op == "pow"


def test_named_nodes_and_repr():
    x, w = bp.inputs("x"), bp.params("w")
    q = (w * x).named("q")
    assert q.name == "q" and q.op == "mul" and q.parents == (w, x)
    assert repr(q) == "Node(q = w*x)" and repr(w) == "Node(param w)"
    t = bp.evaluate(bp.relu(q), {"x": 3, "w": 2})
    assert t.values["q"] == 6


def test_neuron_and_activation_lookup():
    x1, x2 = bp.inputs("x1 x2")
    w1, w2, b = bp.params("w1 w2 b")
    out = bp.neuron([x1, x2], [w1, w2], b, activation="tanh")
    assert out.op == "tanh"
    assert bp.activation("linear") is bp.identity


def test_relu_derivative_at_zero_is_zero_like_tensorflow():
    x, w = bp.inputs("x"), bp.params("w")
    t = bp.evaluate(bp.relu(w * x), {"x": 0, "w": 1})
    assert t.gradients["w"] == 0 and t.gradients["x"] == 0
    g = bp.gradients(bp.relu(w * x), [w])["w"]
    assert g.has(sympy.Heaviside) and g.subs({"x": 0, "w": 1}) == 0
    # Leaky ReLU has slope alpha at 0, as tf.nn.leaky_relu.
    t = bp.evaluate(bp.leaky_relu(w * x, alpha=0.2), {"x": 1, "w": 0})
    assert t.gradients["w"] == sympy.Rational(1, 5)


def test_shared_node_gets_the_sum_of_its_paths():
    x = bp.inputs("x")
    h = bp.tanh(x)
    f = h * h + h  # h is used three times
    X = sympy.Symbol("x")
    expected = sympy.diff(sympy.tanh(X) ** 2 + sympy.tanh(X), X)
    got = bp.gradients(f, [x])["x"]
    assert sympy.simplify(got - expected) == 0
    assert "+" in bp.evaluate(f, {"x": 1}).backward_rows()[-1][1]


def test_evaluate_false_gives_equal_expressions():
    chain = bp.chain_gradient(5, "tanh")
    lazy = bp.gradients(chain.output, [chain.weights[0]], evaluate=False)["w1"]
    eager = bp.gradients(chain.output, [chain.weights[0]])["w1"]
    point = {s: sympy.Rational(k + 2, 7) for k, s in enumerate(sorted(eager.free_symbols, key=str))}
    assert math.isclose(float(lazy.subs(point)), float(eager.subs(point)), rel_tol=1e-12)


def test_hundred_layer_chain_gradients_agree_three_ways():
    x = bp.inputs("x")
    ws = bp.params(" ".join(f"w{i}" for i in range(100)))
    h = x
    for w in ws:
        h = bp.tanh(w * h)
    grads = bp.gradients(h, ws, in_terms_of="nodes")
    assert list(grads) == [w.name for w in ws]
    trace = bp.evaluate(h, {x: 0.5, **{w: 1.1 for w in ws}}, exact=False)
    fn = bp.gradient_function(h)
    values = fn(x=0.5, **{w.name: 1.1 for w in ws})
    # The symbolic chain rule, written with node names, at the trace's values.
    at = {sympy.Symbol(k): v for k, v in trace.values.items()}
    for name in ("w0", "w50", "w99"):
        assert math.isclose(float(values[name]), float(trace.gradients[name]), rel_tol=1e-9)
        assert math.isclose(float(grads[name].xreplace(at)), float(values[name]), rel_tol=1e-9)


def test_gradient_function_batches_with_numpy(seed_net):
    loss, *_ = seed_net
    fn = bp.gradient_function(loss)
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(-2, 2, 50), rng.uniform(-2, 2, 50)
    out = fn(x=xs, y=ys, w0=0.7, w1=-1.3)
    assert out["w0"].shape == (50,)
    for i in range(0, 50, 7):
        t = bp.evaluate(loss, {"x": xs[i], "y": ys[i], "w0": 0.7, "w1": -1.3}, exact=False)
        assert math.isclose(out["w1"][i], float(t.gradients["w1"]), abs_tol=1e-12)
    with pytest.raises(ValueError, match="missing value"):
        fn(x=xs, y=ys, w0=1.0)
    with pytest.raises(ValueError, match="unknown argument"):
        fn(x=xs, y=ys, w0=1.0, w1=1.0, w2=3.0)


def test_several_epochs_and_a_short_last_batch():
    x, y = bp.inputs("x y")
    w = bp.params("w")
    loss = bp.squared_error(w * x, y)
    data = [{"x": 1, "y": 1}, {"x": 2, "y": 2}, {"x": 3, "y": 3}]
    run = bp.gradient_descent(loss, {"w": 0}, data, lr=0.05, batch_size=2, epochs=3)
    assert len(run.steps) == 6
    assert [len(s.points) for s in run.steps[:2]] == [2, 1]
    assert [s.epoch for s in run.steps] == [1, 1, 2, 2, 3, 3]
    assert abs(float(run.params["w"]) - 1) < abs(float(run.initial["w"]) - 1)
    assert all(isinstance(v, sympy.Rational) for v in run.params.values())
    floats = bp.gradient_descent(loss, {"w": 0}, data, lr=0.05, batch_size=2, epochs=3, exact=False)
    assert math.isclose(float(floats.params["w"]), float(run.params["w"]), rel_tol=1e-12)


def test_chain_gradient_vanishes_like_a_quarter_to_the_n():
    for n in (1, 2, 6):
        chain = bp.chain_gradient(n)
        assert chain.bound == sympy.Rational(1, 4) ** n
        assert len(chain.weights) == n and chain.output.name == f"h{n}"
        value = chain.value(x=1.0, weights=1.0)
        assert 0 < value <= float(chain.bound)
        # The symbolic gradient agrees with the numeric pass.
        point = {"x": 1, **{f"w{k}": 1 for k in range(1, n + 1)}}
        assert math.isclose(float(chain.gradient.subs(point)), value, rel_tol=1e-9)
    rng = np.random.default_rng(1)
    chain = bp.chain_gradient(4)
    for _ in range(5):
        ws = rng.normal(0, 2, 4)
        bound = float(chain.bound) * np.prod(np.abs(ws[1:]))
        assert abs(chain.value(x=1.0, weights=list(ws))) <= bound
    assert bp.chain_gradient(3, "tanh").bound == 1
    assert r"\prod_{k=2}^{3}" in bp.chain_gradient(3).formula()


def test_draw_graph():
    x, y = bp.inputs("x y")
    w = bp.params("w")
    loss = bp.squared_error(bp.sigmoid(w * x + 1), y)
    fig = bp.draw_graph(loss)
    texts = fig.axes[0].texts
    boxes = [t for t in texts if t.get_bbox_patch() is not None]
    assert len(boxes) == 8  # x, w, the product, 1, the sum, the sigmoid, y, L
    assert len(texts) == 8 + 7  # and one arrow per edge
    fig2 = bp.draw_graph(loss, at={"x": 1, "y": 0, "w": 0})
    assert any("grad" in t.get_text() for t in fig2.axes[0].texts)
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # built without pyplot
    fig3, ax = plt.subplots()
    assert bp.draw_graph(loss, ax=ax) is fig3
    plt.close(fig3)
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_module_does_not_import_tensorflow():
    code = "import sys, fdmlearn.backprop; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- errors
# (the table of bad inputs is in tests/test_bad_input_backprop.py)


def test_two_leaves_with_one_name_are_refused():
    a, b = bp.inputs("x"), bp.inputs("x")
    with pytest.raises(ValueError, match="two different leaves are both named 'x'"):
        bp.gradients(a + b)


def test_not_finite_point_names_the_node():
    x = bp.inputs("x")
    with pytest.raises(ValueError, match="not a finite real number"):
        bp.evaluate(bp.log(x), {"x": 0})


def test_exact_numbers_from_other_types():
    x = bp.inputs("x")
    t = bp.evaluate(3 * x, {"x": Fraction(1, 3)})
    assert t.value == 1
    t = bp.evaluate(3 * x, {"x": np.float32(0.5)})
    assert t.value == sympy.Rational(3, 2)


# --------------------------------------------------------------------------- property tests
# Random expression graphs over x, w1, w2: reverse mode must agree with
# sympy.diff, TensorFlow's GradientTape (float64) and central differences.

LEAVES = ("x", "w1", "w2")
UNARY = ("tanh", "sigmoid", "relu", "leaky", "exp_tanh", "square", "neg", "log1p_sq", "abs")
BINARY = ("add", "sub", "mul", "div")

recipes = st.recursive(
    st.one_of(
        st.sampled_from(LEAVES).map(lambda n: ("leaf", n)),
        st.sampled_from([-1.5, 0.5, 2.0]).map(lambda c: ("const", c)),
    ),
    lambda kids: st.one_of(
        st.tuples(st.just("un"), st.sampled_from(UNARY), kids),
        st.tuples(st.just("bin"), st.sampled_from(BINARY), kids, kids),
    ),
    max_leaves=6,
)
points = st.tuples(*(st.floats(-2, 2, allow_nan=False) for _ in LEAVES))


def _build(recipe, leaves, ops, kinks):
    """Build a recipe with `ops` (bp, or TF/NumPy functions); collect kink arguments."""
    tag = recipe[0]
    if tag == "leaf":
        return leaves[recipe[1]]
    if tag == "const":
        return ops["const"](recipe[1]) if "const" in ops else recipe[1]
    if tag == "un":
        a = _build(recipe[2], leaves, ops, kinks)
        name = recipe[1]
        if name in ("relu", "leaky", "abs"):
            kinks.append(a)
        return ops[name](a)
    a = _build(recipe[2], leaves, ops, kinks)
    b = _build(recipe[3], leaves, ops, kinks)
    return ops[recipe[1]](a, b)


BP_OPS = {
    "tanh": bp.tanh,
    "sigmoid": bp.sigmoid,
    "relu": bp.relu,
    "leaky": lambda a: bp.leaky_relu(a, alpha=0.1),
    "exp_tanh": lambda a: bp.exp(bp.tanh(a)),
    "square": lambda a: a * a,  # one node used twice
    "neg": lambda a: -a,
    "log1p_sq": lambda a: bp.log(1 + a**2),
    "abs": lambda a: bp.absolute_error(a, 0),
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
}


def _graph(recipe):
    x, w1, w2 = bp.inputs("x"), *bp.params("w1 w2")
    leaves = {"x": x, "w1": w1, "w2": w2}
    out = _build(recipe, leaves, BP_OPS, [])
    if not isinstance(out, bp.Node):
        out = bp.identity(out)
    # A loss on top, so every graph ends in a node with a known local derivative.
    return bp.squared_error(out, 0.25), leaves


def _away_from_kinks(recipe, point):
    """Check at a float point that no relu/abs argument is near its kink."""
    kinks: list[float] = []
    ops = {k: v for k, v in BP_OPS.items()}
    np_ops = {
        "tanh": math.tanh,
        "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
        "relu": lambda a: max(0.0, a),
        "leaky": lambda a: max(a, 0.1 * a),
        "exp_tanh": lambda a: math.exp(math.tanh(a)),
        "square": lambda a: a * a,
        "neg": lambda a: -a,
        "log1p_sq": lambda a: math.log(1 + a * a),
        "abs": abs,
        **{k: ops[k] for k in BINARY},
    }
    _build(recipe, dict(zip(LEAVES, point, strict=True)), np_ops, kinks)
    return all(abs(k) > 1e-3 for k in kinks)


def _reverse(recipe, point):
    loss, leaves = _graph(recipe)
    # Leaves the recipe does not use are not in the graph: their gradient is 0.
    present = [n for n in LEAVES if n in bp.graph.Graph(loss).leaves]
    grads = bp.gradients(loss, present)
    subs = {sympy.Symbol(n): sympy.Float(v, 30) for n, v in zip(LEAVES, point, strict=True)}
    return loss, {n: float(grads[n].subs(subs)) if n in grads else 0.0 for n in LEAVES}, subs


# New random graphs on every run (hypothesis keeps any failure it finds and
# replays it first); FDMLEARN_EXAMPLES=500 searches harder.
PROPERTY = settings(
    max_examples=int(os.environ.get("FDMLEARN_EXAMPLES", 30)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@PROPERTY
@given(recipes, points)
def test_reverse_mode_equals_sympy_diff(recipe, point):
    assume(_away_from_kinks(recipe, point))
    loss, got, _ = _reverse(recipe, point)
    # sympy.diff needs real symbols to differentiate Abs; the graph's are plain.
    real = {sympy.Symbol(n): sympy.Symbol(n, real=True) for n in LEAVES}
    expr = loss.expr.subs(real)
    at = {real[sympy.Symbol(n)]: sympy.Float(v, 30) for n, v in zip(LEAVES, point, strict=True)}
    for name in LEAVES:
        want = float(sympy.diff(expr, real[sympy.Symbol(name)]).subs(at))
        assert math.isclose(got[name], want, rel_tol=1e-9, abs_tol=1e-12)


@PROPERTY
@given(recipes, points)
def test_reverse_mode_equals_finite_differences(recipe, point):
    assume(_away_from_kinks(recipe, point))
    loss, got, _ = _reverse(recipe, point)
    # Real symbols: sympy rewrites Abs(exp(z)) of a plain symbol z as exp(re(z)), and
    # lambdify's "math" module has no re or im.
    real = [sympy.Symbol(n, real=True) for n in LEAVES]
    expr = loss.expr.subs(dict(zip([sympy.Symbol(n) for n in LEAVES], real, strict=True)))
    f = sympy.lambdify(real, expr, "math")
    h = 1e-6
    for i, name in enumerate(LEAVES):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        # Skip if the step crosses a kink.
        assume(_away_from_kinks(recipe, up) and _away_from_kinks(recipe, down))
        numeric = (f(*up) - f(*down)) / (2 * h)
        assert math.isclose(got[name], numeric, rel_tol=1e-5, abs_tol=1e-6)


@PROPERTY
@given(recipes, points)
def test_reverse_mode_equals_tensorflow(recipe, point):
    tf = pytest.importorskip("tensorflow")
    assume(_away_from_kinks(recipe, point))
    _, got, _ = _reverse(recipe, point)
    tf_ops = {
        "const": lambda c: tf.constant(c, tf.float64),
        "tanh": tf.tanh,
        "sigmoid": tf.sigmoid,
        "relu": tf.nn.relu,
        # Not tf.nn.leaky_relu: its alpha is a float32 attribute (0.1000000015), which
        # this float64 comparison would see; tf.where has its gradient convention at 0.
        "leaky": lambda a: tf.where(a > 0, a, tf.constant(0.1, tf.float64) * a),
        "exp_tanh": lambda a: tf.exp(tf.tanh(a)),
        "square": lambda a: a * a,
        "neg": lambda a: -a,
        "log1p_sq": lambda a: tf.math.log(1 + a**2),
        "abs": tf.abs,
        **{k: BP_OPS[k] for k in BINARY},
    }
    variables = {n: tf.Variable(v, dtype=tf.float64) for n, v in zip(LEAVES, point, strict=True)}
    with tf.GradientTape() as tape:
        out = _build(recipe, variables, tf_ops, [])
        loss = 0.5 * (tf.cast(out, tf.float64) - 0.25) ** 2
    grads = tape.gradient(loss, list(variables.values()))
    for name, g in zip(LEAVES, grads, strict=True):
        want = 0.0 if g is None else float(g.numpy())
        assert math.isclose(got[name], want, rel_tol=1e-9, abs_tol=1e-12)


def test_relu_gradient_at_zero_equals_tensorflow():
    tf = pytest.importorskip("tensorflow")
    w = tf.Variable(1.0, dtype=tf.float64)
    with tf.GradientTape() as tape:
        out = tf.nn.relu(w * 0.0)
    assert tape.gradient(out, w).numpy() == 0.0
    x, wn = bp.inputs("x"), bp.params("w")
    assert bp.evaluate(bp.relu(wn * x), {"x": 0, "w": 1}).gradients["w"] == 0


@PROPERTY
@given(recipes, points)
def test_gradients_with_node_names_equal_gradients_in_the_leaves(recipe, point):
    # The chain rule written with the nodes' names, at the values the forward
    # pass gives those nodes, is the expanded gradient at the point.
    assume(_away_from_kinks(recipe, point))
    loss, got, _ = _reverse(recipe, point)
    present = [n for n in LEAVES if n in bp.graph.Graph(loss).leaves]
    at = dict(zip(LEAVES, point, strict=True))
    trace = bp.evaluate(loss, {n: at[n] for n in present}, exact=False)
    named = bp.gradients(loss, present, in_terms_of="nodes")
    values = {sympy.Symbol(k): v for k, v in trace.values.items()}
    for name in present:
        value = float(named[name].xreplace(values))
        assert math.isclose(value, got[name], rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(value, float(trace.gradients[name]), rel_tol=1e-9, abs_tol=1e-12)


# --------------------------------------------------------------------------- deep graphs


def _deep_loss(depth: int, act: str):
    x, y = bp.inputs("x y")
    ws = bp.params(" ".join(f"w{k}" for k in range(1, depth + 1)))
    h = x
    for k, w in enumerate(ws, start=1):
        h = bp.activation(act)((w * h).named(f"z{k}")).named(f"h{k}")
    return bp.squared_error(h, y), x, y, ws


def _deep_round(depth: int, act: str) -> float:
    """Build, differentiate, print, evaluate and render a chain + loss; the seconds it took."""
    start = time.perf_counter()
    loss, x, y, ws = _deep_loss(depth, act)
    rule = bp.gradients(loss, [ws[0]], in_terms_of="nodes")["w1"]
    text = repr(loss) + str(loss) + str(rule) + bp.latex(rule)
    trace = bp.evaluate(loss, {x: 0.5, y: 0.1, **{w: 1.01 for w in ws}}, exact=False)
    md, tex, short = trace.to_markdown(), trace.to_latex(), repr(trace)
    numpy = bp.gradient_function(loss, [ws[0]])(x=0.5, y=0.1, **{w.name: 1.01 for w in ws})
    assert math.isclose(float(numpy["w1"]), float(trace.gradients["w1"]), rel_tol=1e-9)
    assert len(repr(loss)) < 100 and len(short) < 400 and f"h{depth}" in text
    assert md.count("\n") > 3 * depth and tex.startswith(r"\begin{aligned}")
    return time.perf_counter() - start


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_thousand_layer_chain_with_a_loss_in_linear_time(act):
    _deep_round(50, act)  # warm sympy's caches and imports
    short, long = _deep_round(250, act), _deep_round(1000, act)
    # 4x the depth: linear is 4x; allow noise on a shared machine, but not 16x.
    assert long < 8 * short + 1.0, (short, long)
    chain = bp.chain_gradient(1000, act)
    assert repr(chain) == f"ChainGradient(depth=1000, activation='{act}', bound=1)"
    assert chain.chain_rule.has(sympy.Symbol("w1000"), sympy.Symbol("x"))
    assert "1000" in chain._repr_latex_()
    assert chain.value(x=0.5, weights=1.01) != 0
    with pytest.raises(ValueError, match="use .chain_rule"):
        chain.gradient  # noqa: B018


def test_expressions_in_the_leaves_stop_at_max_depth_with_a_clear_error():
    # 49 sigmoid layers + loss = 99 operations: still expanded, printed, substituted.
    loss, *_ = _deep_loss(49, "sigmoid")
    assert loss.depth == 99 <= bp.MAX_DEPTH
    assert bp.latex(loss.expr) and repr(loss) == "Node(squared_error(h49, y), 99 operations deep)"
    grad = bp.gradients(loss, ["w49"])["w49"]
    assert str(grad)
    deep, *_ = _deep_loss(51, "relu")
    with pytest.raises(ValueError, match="103 operations deep.*in_terms_of='nodes'"):
        deep.expr  # noqa: B018
    with pytest.raises(ValueError, match="operations deep"):
        bp.gradients(deep)
    run = bp.gradient_descent(deep, {f"w{k}": 1 for k in range(1, 52)}, [{"x": 1, "y": 2}], lr=0.1)
    assert "**5. Final values:**" in run.to_markdown()  # tables with names, no expansion


def test_exact_gradient_descent_refuses_before_the_expression_explodes():
    x, y = bp.inputs("x y")
    w, b = bp.params("w b")
    loss = bp.squared_error(bp.sigmoid(w * x + b), y)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"stopped at step \d.*exact=False"):
        bp.gradient_descent(loss, {"w": 0.5, "b": 0}, [{"x": 1, "y": 1}], lr=0.5, epochs=6)
    assert time.perf_counter() - start < 10
    run = bp.gradient_descent(
        loss, {"w": 0.5, "b": 0}, [{"x": 1, "y": 1}], lr=0.5, epochs=50, exact=False
    )
    losses = [float(s.loss) for s in run.steps]
    assert losses[-1] < losses[0]
    # The exact evaluation of a deep tanh chain is refused the same way.
    deep, *_ = _deep_loss(60, "tanh")
    with pytest.raises(ValueError, match="exact=False"):
        bp.evaluate(deep, {"x": 1, "y": 0, **{f"w{k}": 1 for k in range(1, 61)}})


def test_reprs_stay_short():
    loss, x, y, ws = _deep_loss(120, "relu")
    data = [{x: 1, y: 2}] * 12
    run = bp.gradient_descent(loss, {w: 1 for w in ws}, data, lr=0.001, batch_size=5, exact=False)
    for obj in (run, run.steps[0], run.steps[0].traces[0]):
        assert len(repr(obj)) < 600, repr(obj)
    assert "more" in repr(run) and run._repr_latex_().startswith("$$")
    assert run.steps[0].traces[0]._repr_latex_().startswith("$$")
