"""Bad input to every public function of fdmlearn.backprop, table-driven.

Each case is a call, the exception it must raise and a regex its message must
match (naming the argument). Valid inputs of other types (NumPy scalars,
fractions, decimals, sympy numbers) are in a second table: they must pass and
give the right value. Nothing here may recurse, hang or answer silently.
"""

from __future__ import annotations

import decimal
from fractions import Fraction

import matplotlib
import numpy as np
import pytest
import sympy

from fdmlearn import backprop as bp

matplotlib.use("Agg")

NAN, INF = float("nan"), float("inf")
x, y = bp.inputs("x y")
w0, w1 = bp.params("w0 w1")
LOSS = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
INIT = {"w0": 1, "w1": 2}
DATA = [{"x": 1, "y": 2}, {"x": 2, "y": 3}]
AT = {"x": 2, "y": 3, "w0": 1, "w1": 2}
GRAD = bp.gradient_function(LOSS)
CHAIN = bp.chain_gradient(3)


def gd(**kw):
    args = {"loss": LOSS, "init": INIT, "data": DATA, "lr": 0.1, **kw}
    return bp.gradient_descent(**args)


def grad_fn(**kw):
    return GRAD(**{"x": 1.0, "y": 2.0, "w0": 1.0, "w1": 2.0, **kw})


def wide_graph():
    xs = bp.inputs(" ".join(f"a{i}" for i in range(120)))
    return sum(xs[1:], xs[0]) * 2


CASES = [
    # --- inputs / params
    ("inputs list", lambda: bp.inputs(["x"]), TypeError, "names must be a string"),
    ("inputs None", lambda: bp.inputs(None), TypeError, "names must be a string"),
    ("inputs empty", lambda: bp.inputs(""), ValueError, "names must hold at least one"),
    ("inputs spaces", lambda: bp.inputs("  , "), ValueError, "at least one name"),
    ("inputs digit", lambda: bp.inputs("x 1y"), ValueError, "each name must be a letter"),
    ("inputs symbol", lambda: bp.inputs("x-y"), ValueError, "each name must be a letter"),
    ("params repeated", lambda: bp.params("a a"), ValueError, "names must be distinct"),
    ("params int", lambda: bp.params(3), TypeError, "names must be a string"),
    # --- nodes and arithmetic
    ("add str", lambda: x + "a", TypeError, "operand of add must be a Node or a number"),
    ("mul None", lambda: x * None, TypeError, "operand of mul must be a Node or a number"),
    ("radd list", lambda: [1] + x, TypeError, "operand of add must be a Node or a number"),
    ("mul complex", lambda: x * 1j, TypeError, "operand of mul must be a real number"),
    ("add nan", lambda: x + NAN, ValueError, "operand of add must be a finite real"),
    ("sub inf", lambda: x - INF, ValueError, "operand of sub must be a finite real"),
    ("mul sympy nan", lambda: x * sympy.nan, ValueError, "finite real number"),
    ("mul sympy I", lambda: x * sympy.I, ValueError, "finite real number"),
    ("mul sympy symbol", lambda: x * sympy.Symbol("q"), TypeError, "must be a number, got the"),
    ("numpy array", lambda: np.ones(2) * x, TypeError, "operand of mul must be a Node"),
    ("pow bool", lambda: x**True, TypeError, "the exponent must be a real number"),
    ("pow nan", lambda: x**NAN, ValueError, "the exponent must be a finite"),
    ("pow str", lambda: x ** "2", TypeError, "the exponent must be a real number"),
    ("pow huge", lambda: x ** 10**9, ValueError, "the exponent must be between -10000 and"),
    ("named leaf", lambda: x.named("z"), TypeError, "is a leaf: name it when you create it"),
    ("named digit", lambda: (x * 2).named("2"), ValueError, "name must be a letter"),
    ("named int", lambda: (x * 2).named(2), TypeError, "name must be a string"),
    ("expr too deep", lambda: bp.chain_gradient(60, "relu").output.expr, ValueError,
     "120 operations deep"),
    # --- activations and losses
    ("relu str", lambda: bp.relu("z"), TypeError, "z must be a Node or a number"),
    ("sigmoid None", lambda: bp.sigmoid(None), TypeError, "z must be a Node or a number"),
    ("tanh nan", lambda: bp.tanh(NAN), ValueError, "z must be a finite real number"),
    ("exp inf", lambda: bp.exp(INF), ValueError, "z must be a finite real number"),
    ("log list", lambda: bp.log([1]), TypeError, "z must be a Node or a number"),
    ("identity dict", lambda: bp.identity({}), TypeError, "z must be a Node or a number"),
    ("leaky alpha big", lambda: bp.leaky_relu(x, alpha=1.5), ValueError,
     r"alpha must be in \[0, 1\)"),
    ("leaky alpha neg", lambda: bp.leaky_relu(x, alpha=-0.1), ValueError, r"alpha must be in"),
    ("leaky alpha nan", lambda: bp.leaky_relu(x, alpha=NAN), ValueError, "alpha must be a finite"),
    ("leaky alpha str", lambda: bp.leaky_relu(x, alpha="0.1"), TypeError, "alpha must be a real"),
    ("squared y_true str", lambda: bp.squared_error(x, "y"), TypeError, "y_true must be a Node"),
    ("absolute y_pred nan", lambda: bp.absolute_error(NAN, y), ValueError,
     "y_pred must be a finite"),
    ("bce p None", lambda: bp.binary_cross_entropy(None, y), TypeError, "p must be a Node"),
    ("activation unknown", lambda: bp.activation("sigmoide"), ValueError,
     "name must be one of .*got 'sigmoide'"),
    ("activation int", lambda: bp.activation(3), TypeError, "name must be one of"),
    ("neuron unknown activation", lambda: bp.neuron([x], [w0], activation="soft"), ValueError,
     "activation must be one of"),
    ("neuron lengths", lambda: bp.neuron([1, 2], [w0]), ValueError, "one weight per input"),
    ("neuron empty", lambda: bp.neuron([], []), ValueError, "at least one input"),
    ("neuron inputs str", lambda: bp.neuron("x", [w0]), TypeError, "inputs must be a list"),
    ("neuron weights node", lambda: bp.neuron([x], w0), TypeError, "weights must be a list"),
    ("neuron inputs bytes", lambda: bp.neuron(b"a", [w0]), TypeError, "inputs must be a list"),
    ("neuron input str", lambda: bp.neuron(["a"], [w0]), TypeError, r"inputs\[0\] must be a Node"),
    ("neuron weight nan", lambda: bp.neuron([x], [NAN]), ValueError,
     r"weights\[0\] must be a finite"),
    ("neuron bias str", lambda: bp.neuron([x], [w0], "b"), TypeError, "bias must be a Node"),
    # --- gradients
    ("gradients not node", lambda: bp.gradients("loss"), TypeError, "node must be a Node"),
    ("gradients wrt str", lambda: bp.gradients(LOSS, "w0"), TypeError, "wrt must be a list"),
    ("gradients wrt node", lambda: bp.gradients(LOSS, w0), TypeError, "wrt must be a list"),
    ("gradients wrt int", lambda: bp.gradients(LOSS, 3), TypeError, "wrt must be a list"),
    ("gradients wrt dict", lambda: bp.gradients(LOSS, {"w0": 1}), TypeError, "wrt must be a list"),
    ("gradients wrt set", lambda: bp.gradients(LOSS, {"w0"}), TypeError, "wrt must be a list"),
    ("gradients wrt entry int", lambda: bp.gradients(LOSS, [3]), TypeError,
     "wrt entry must be a node or a name"),
    ("gradients wrt op", lambda: bp.gradients(LOSS, [LOSS.parents[0]]), ValueError,
     "is not a leaf"),
    ("gradients wrt other graph", lambda: bp.gradients(LOSS, [bp.params("v")]), ValueError,
     "'v' is not an input or a parameter of this graph"),
    ("gradients wrt unknown", lambda: bp.gradients(LOSS, ["nope"]), ValueError, "'nope' is not"),
    ("gradients evaluate str", lambda: bp.gradients(LOSS, evaluate="no"), TypeError,
     "evaluate must be True or False"),
    ("gradients in_terms_of", lambda: bp.gradients(LOSS, in_terms_of="graph"), ValueError,
     "in_terms_of must be one of 'leaves', 'nodes'"),
    ("gradients in_terms_of int", lambda: bp.gradients(LOSS, in_terms_of=1), TypeError,
     "in_terms_of must be one of"),
    ("gradients too deep", lambda: bp.gradients(bp.chain_gradient(60).output), ValueError,
     "operations deep.*in_terms_of='nodes'"),
    ("two leaves one name", lambda: bp.gradients(bp.inputs("x") + x), ValueError,
     "two different leaves are both named 'x'"),
    # --- evaluate
    ("evaluate not node", lambda: bp.evaluate(3, AT), TypeError, "node must be a Node"),
    ("evaluate at list", lambda: bp.evaluate(LOSS, [1, 2]), TypeError, "at must be a mapping"),
    ("evaluate at missing", lambda: bp.evaluate(LOSS, {"x": 1, "y": 2, "w0": 1}), ValueError,
     "at is missing a value for the parameter 'w1'"),
    ("evaluate at unknown", lambda: bp.evaluate(LOSS, {**AT, "z": 1}), ValueError,
     "at has key 'z' is not an input or a parameter"),
    ("evaluate at key int", lambda: bp.evaluate(LOSS, {**AT, 3: 1}), TypeError,
     "at has key must be a node or a name"),
    ("evaluate at twice", lambda: bp.evaluate(LOSS, {**AT, x: 2}), ValueError, "gives 'x' twice"),
    ("evaluate nan", lambda: bp.evaluate(LOSS, {**AT, "x": NAN}), ValueError,
     r"at\['x'\] must be a finite real number"),
    ("evaluate inf", lambda: bp.evaluate(LOSS, {**AT, "w1": -INF}), ValueError,
     r"at\['w1'\] must be a finite"),
    ("evaluate np nan", lambda: bp.evaluate(LOSS, {**AT, "x": np.float32("nan")}), ValueError,
     r"at\['x'\] must be a finite"),
    ("evaluate decimal nan", lambda: bp.evaluate(LOSS, {**AT, "x": decimal.Decimal("nan")}),
     ValueError, r"at\['x'\] must be a finite"),
    ("evaluate sympy oo", lambda: bp.evaluate(LOSS, {**AT, "x": sympy.oo}), ValueError,
     r"at\['x'\] must be a finite"),
    ("evaluate str", lambda: bp.evaluate(LOSS, {**AT, "x": "2"}), TypeError,
     r"at\['x'\] must be a real number"),
    ("evaluate None", lambda: bp.evaluate(LOSS, {**AT, "y": None}), TypeError,
     r"at\['y'\] must be a real number"),
    ("evaluate bool", lambda: bp.evaluate(LOSS, {**AT, "y": True}), TypeError,
     r"at\['y'\] must be a real number"),
    ("evaluate array", lambda: bp.evaluate(LOSS, {**AT, "x": np.ones(2)}), TypeError,
     r"at\['x'\] must be a real number"),
    ("evaluate complex", lambda: bp.evaluate(LOSS, {**AT, "x": 1j}), TypeError,
     r"at\['x'\] must be a real number"),
    ("evaluate exact str", lambda: bp.evaluate(LOSS, AT, exact="yes"), TypeError,
     "exact must be True or False"),
    ("evaluate log 0", lambda: bp.evaluate(bp.log(x), {"x": 0}), ValueError,
     "node f = .*has the value zoo.*not a finite real number"),
    ("evaluate div 0", lambda: bp.evaluate(1 / x, {"x": 0}), ValueError, "not a finite real"),
    ("evaluate div 0 float", lambda: bp.evaluate(1 / x, {"x": 0}, exact=False), ValueError,
     "not a finite real"),
    ("evaluate sqrt -1 float", lambda: bp.evaluate(x**0.5, {"x": -1}, exact=False), ValueError,
     "has the value 1.0\\*I at this point"),
    ("evaluate log -1 float", lambda: bp.evaluate(bp.log(x), {"x": -1}, exact=False), ValueError,
     "not a finite real"),
    ("evaluate exact too big", lambda: bp.evaluate(bp.chain_gradient(50, "tanh").output,
     {"x": 1, **{f"w{k}": 1 for k in range(1, 51)}}), ValueError, "exact=False"),
    # --- gradient_descent
    ("gd loss not node", lambda: gd(loss="L"), TypeError, "loss must be a Node"),
    ("gd init list", lambda: gd(init=[1, 2]), TypeError, "init must be a mapping"),
    ("gd init missing", lambda: gd(init={"w0": 1}), ValueError,
     "init is missing a value for the parameter 'w1'"),
    ("gd init extra", lambda: gd(init={**INIT, "w2": 0}), ValueError,
     "'w2' is not a parameter of this graph"),
    ("gd init input", lambda: gd(init={**INIT, "x": 0}), ValueError, "'x' is not a parameter"),
    ("gd init nan", lambda: gd(init={"w0": NAN, "w1": 2}), ValueError,
     r"init\['w0'\] must be a finite"),
    ("gd init str", lambda: gd(init={"w0": 1, "w1": "2"}), TypeError,
     r"init\['w1'\] must be a real number"),
    ("gd data dict", lambda: gd(data={"x": 1, "y": 2}), TypeError, "data must be a list"),
    ("gd data str", lambda: gd(data="xy"), TypeError, "data must be a list"),
    ("gd data int", lambda: gd(data=3), TypeError, "data must be a list"),
    ("gd data empty", lambda: gd(data=[]), ValueError, "data must hold at least one"),
    ("gd data point list", lambda: gd(data=[[1, 2]]), TypeError, r"data\[0\] must be a mapping"),
    ("gd data missing", lambda: gd(data=[{"x": 1}]), ValueError,
     r"data\[0\] is missing a value for the input 'y'"),
    ("gd data param", lambda: gd(data=[{"x": 1, "y": 2, "w0": 3}]), ValueError,
     "'w0' is not an input"),
    ("gd data nan", lambda: gd(data=[DATA[0], {"x": NAN, "y": 1}]), ValueError,
     r"data\[1\]\['x'\] must be a finite"),
    ("gd data inf", lambda: gd(data=[{"x": 1, "y": INF}]), ValueError,
     r"data\[0\]\['y'\] must be a finite"),
    ("gd data None", lambda: gd(data=[{"x": None, "y": 1}]), TypeError,
     r"data\[0\]\['x'\] must be a real number"),
    ("gd lr zero", lambda: gd(lr=0), ValueError, "lr must be > 0"),
    ("gd lr negative", lambda: gd(lr=-0.1), ValueError, "lr must be > 0"),
    ("gd lr nan", lambda: gd(lr=NAN), ValueError, "lr must be a finite"),
    ("gd lr inf", lambda: gd(lr=INF), ValueError, "lr must be a finite"),
    ("gd lr str", lambda: gd(lr="0.1"), TypeError, "lr must be a real number"),
    ("gd lr None", lambda: gd(lr=None), TypeError, "lr must be a real number"),
    ("gd batch 0", lambda: gd(batch_size=0), ValueError, "batch_size must be an integer >= 1"),
    ("gd batch too big", lambda: gd(batch_size=3), ValueError, "batch_size must be .*<= 2"),
    ("gd batch float", lambda: gd(batch_size=1.5), TypeError, "batch_size must be an integer"),
    ("gd batch integral float", lambda: gd(batch_size=2.0), TypeError,
     "batch_size must be an integer"),
    ("gd batch bool", lambda: gd(batch_size=True), TypeError, "batch_size must be an integer"),
    ("gd epochs 0", lambda: gd(epochs=0), ValueError, "epochs must be an integer >= 1"),
    ("gd epochs negative", lambda: gd(epochs=-2), ValueError, "epochs must be an integer >= 1"),
    ("gd epochs float", lambda: gd(epochs=1.5), TypeError, "epochs must be an integer"),
    ("gd epochs str", lambda: gd(epochs="2"), TypeError, "epochs must be an integer"),
    ("gd epochs huge", lambda: gd(epochs=10**9), ValueError, "would record .* steps"),
    ("gd exact str", lambda: gd(exact="no"), TypeError, "exact must be True or False"),
    ("gd exact grows", lambda: bp.gradient_descent(
        bp.squared_error(bp.sigmoid(w0 * x + w1), y), INIT, [{"x": 1, "y": 1}], 0.5, epochs=8),
     ValueError, r"stopped at step \d+: .*exact=False"),
    ("gd log 0", lambda: bp.gradient_descent(bp.log(w0 * x), {"w0": 1}, [{"x": 0}], 0.1),
     ValueError, "stopped at step 1: node .*not a finite"),
    # --- gradient_function and the function it returns
    ("gradient_function not node", lambda: bp.gradient_function(None), TypeError,
     "node must be a Node"),
    ("gradient_function wrt str", lambda: bp.gradient_function(LOSS, "w0"), TypeError,
     "wrt must be a list"),
    ("gradient_function wrt unknown", lambda: bp.gradient_function(LOSS, ["q"]), ValueError,
     "'q' is not"),
    ("grad missing", lambda: GRAD(x=1.0, y=2.0, w0=1.0), ValueError,
     r"missing value\(s\) for \['w1'\]"),
    ("grad unknown", lambda: grad_fn(w2=1.0), ValueError, r"unknown argument\(s\) \['w2'\]"),
    ("grad nan", lambda: grad_fn(x=np.array([1.0, NAN])), ValueError,
     "x must hold finite numbers"),
    ("grad inf", lambda: grad_fn(w1=INF), ValueError, "w1 must hold finite numbers"),
    ("grad str", lambda: grad_fn(y="2"), TypeError, "y must be an array of numbers"),
    ("grad object", lambda: grad_fn(y=[None]), TypeError, "y must be an array of real numbers"),
    ("grad ragged", lambda: grad_fn(x=[[1.0], [1.0, 2.0]]), ValueError,
     "x must be a rectangular array"),
    ("grad shapes", lambda: grad_fn(x=np.ones(3), y=np.ones(2)), ValueError,
     "shapes do not broadcast together"),
    ("grad not finite", lambda: bp.gradient_function(bp.log(x), [x])(x=np.array([1.0, 0.0])),
     ValueError, "gradient with respect to 'x' is not finite at 1 point"),
    # --- chain_gradient and ChainGradient.value
    ("chain depth 0", lambda: bp.chain_gradient(0), ValueError, "depth must be an integer >= 1"),
    ("chain depth negative", lambda: bp.chain_gradient(-3), ValueError,
     "depth must be an integer >= 1"),
    ("chain depth float", lambda: bp.chain_gradient(2.5), TypeError, "depth must be an integer"),
    ("chain depth integral float", lambda: bp.chain_gradient(3.0), TypeError,
     "depth must be an integer"),
    ("chain depth str", lambda: bp.chain_gradient("3"), TypeError, "depth must be an integer"),
    ("chain depth bool", lambda: bp.chain_gradient(True), TypeError, "depth must be an integer"),
    ("chain depth huge", lambda: bp.chain_gradient(10**9), ValueError, "depth must be .*<= 10000"),
    ("chain activation unknown", lambda: bp.chain_gradient(3, "softmax"), ValueError,
     "activation must be one of"),
    ("chain activation exp", lambda: bp.chain_gradient(3, "exp"), ValueError,
     "activation must be one of"),
    ("chain activation None", lambda: bp.chain_gradient(3, None), TypeError,
     "activation must be one of"),
    ("value x nan", lambda: CHAIN.value(x=NAN), ValueError, "x must be a finite number"),
    ("value x str", lambda: CHAIN.value(x="1"), TypeError, "x must be a real number"),
    ("value weights short", lambda: CHAIN.value(weights=[1.0, 2.0]), ValueError,
     r"weights must have shape \(3\)"),
    ("value weights nan", lambda: CHAIN.value(weights=[1.0, NAN, 1.0]), ValueError,
     "weights must hold finite numbers"),
    ("value weights inf", lambda: CHAIN.value(weights=INF), ValueError,
     "weights must be a finite number"),
    ("value weights str", lambda: CHAIN.value(weights="abc"), TypeError,
     "weights must be a real number"),
    ("value weights 2d", lambda: CHAIN.value(weights=np.ones((3, 1))), ValueError,
     "weights must have shape"),
    ("gradient too deep", lambda: bp.chain_gradient(60).gradient, ValueError, "use .chain_rule"),
    # --- draw_graph
    ("draw not node", lambda: bp.draw_graph("L"), TypeError, "node must be a Node"),
    ("draw ax", lambda: bp.draw_graph(LOSS, ax=3), TypeError, "ax must be matplotlib Axes"),
    ("draw at missing", lambda: bp.draw_graph(LOSS, at={"x": 1}), ValueError,
     "at is missing a value"),
    ("draw at nan", lambda: bp.draw_graph(LOSS, at={**AT, "x": NAN}), ValueError,
     r"at\['x'\] must be a finite"),
    ("draw too big", lambda: bp.draw_graph(wide_graph()), ValueError,
     "more than draw_graph shows"),
    # --- latex and number_latex
    ("latex str", lambda: bp.latex("x"), TypeError, "expr must be a sympy expression"),
    ("latex None", lambda: bp.latex(None), TypeError, "expr must be a sympy expression"),
    ("latex float32 nan", lambda: bp.latex(np.float32("nan")), ValueError,
     r"expr .*nan.* cannot be read as a sympy number"),
    ("latex deep node", lambda: bp.latex(bp.chain_gradient(60).output), ValueError,
     "operations deep"),
    ("number_latex str", lambda: bp.number_latex("1/2"), TypeError, "value must be a real"),
    ("number_latex nan", lambda: bp.number_latex(NAN), ValueError, "value must be a finite"),
    ("number_latex symbol", lambda: bp.number_latex(sympy.Symbol("a")), TypeError,
     "value must be a number"),
    ("number_latex zoo", lambda: bp.number_latex(sympy.zoo), ValueError, "value must be a finite"),
]  # fmt: skip


@pytest.mark.parametrize("call, err, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(call, err, match):
    with pytest.raises(err, match=match):
        call()


HALF = sympy.Rational(1, 2)

VALID = [
    # (id, call, expected result)
    ("np.int64 at", lambda: bp.evaluate(3 * x, {"x": np.int64(2)}).value, 6),
    ("np.float32 at", lambda: bp.evaluate(3 * x, {"x": np.float32(0.5)}).value, 3 * HALF),
    ("Fraction at", lambda: bp.evaluate(3 * x, {"x": Fraction(1, 3)}).value, 1),
    ("Decimal at", lambda: bp.evaluate(3 * x, {"x": decimal.Decimal("0.5")}).value, 3 * HALF),
    ("sympy Rational at", lambda: bp.evaluate(3 * x, {"x": HALF}).value, 3 * HALF),
    ("sympy Float at", lambda: float(bp.evaluate(3 * x, {"x": sympy.Float(0.5)}).value), 1.5),
    ("sympy sqrt at", lambda: bp.evaluate(x * x, {"x": sympy.sqrt(2)}).value, 2),
    ("np.float64 lr", lambda: gd(lr=np.float64(0.1)).params["w0"], sympy.Rational(3, 5)),
    ("Fraction lr", lambda: gd(lr=Fraction(1, 10)).params["w1"], sympy.Rational(9, 5)),
    ("np.int64 batch", lambda: len(gd(batch_size=np.int64(2)).steps), 1),
    ("np.int32 epochs", lambda: len(gd(epochs=np.int32(2)).steps), 4),
    ("tuple data", lambda: gd(data=tuple(DATA)).params["w0"], sympy.Rational(3, 5)),
    ("np.bool exact", lambda: gd(exact=np.bool_(False)).params["w0"] == 0.6, True),
    ("np.int64 depth", lambda: bp.chain_gradient(np.int64(2)).depth, 2),
    ("np.float32 alpha", lambda: bp.leaky_relu(x, alpha=np.float32(0.25)).expr,
     sympy.Max(sympy.Symbol("x"), sympy.Symbol("x") / 4)),
    ("np scalar operand", lambda: (np.float64(2.0) * x).expr, 2 * sympy.Symbol("x")),
    ("Fraction operand", lambda: (x + Fraction(1, 2)).expr, sympy.Symbol("x") + HALF),
    ("np weights", lambda: CHAIN.value(x=np.float32(1), weights=np.ones(3)),
     CHAIN.value(1.0, 1.0)),
    ("grad np scalars", lambda: float(grad_fn(x=np.float32(2), y=np.int64(3))["w0"]), 4.0),
    ("grad lists", lambda: grad_fn(x=[1.0, 2.0], y=[2, 3])["w0"].tolist(), [0.0, 4.0]),
    ("number_latex Fraction", lambda: bp.number_latex(Fraction(3, 5)), r"\frac{3}{5} = 0.6"),
    ("number_latex float", lambda: bp.number_latex(0.6), "0.6"),
    ("number_latex np int", lambda: bp.number_latex(np.int64(7)), "7"),
    ("latex node", lambda: bp.latex(w0 * x), "w_{0} x"),
    ("latex int", lambda: bp.latex(3), "3"),
    ("latex Fraction", lambda: bp.latex(Fraction(1, 3)), r"\frac{1}{3}"),
    ("gradients wrt tuple", lambda: list(bp.gradients(LOSS, (w1, "x"))), ["w1", "x"]),
    ("gradients wrt generator", lambda: list(bp.gradients(LOSS, (w for w in [w0]))), ["w0"]),
]  # fmt: skip


@pytest.mark.parametrize("call, expected", [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_valid_inputs_of_other_types_are_accepted(call, expected):
    assert call() == expected


def test_a_failing_call_changes_nothing():
    init, data = dict(INIT), [dict(p) for p in DATA]
    with pytest.raises(ValueError):
        bp.gradient_descent(LOSS, init, data + [{"x": NAN, "y": 0}], lr=0.1)
    assert init == INIT and data == DATA
    run = bp.gradient_descent(LOSS, init, data, lr=0.1)
    assert run.params == {"w0": sympy.Rational(3, 5), "w1": sympy.Rational(9, 5)}


def test_every_public_function_has_a_bad_input_case():
    source = open(__file__).read()
    untested = [
        name
        for name in bp.__all__
        if name[0].islower() and f"bp.{name}(" not in source and name != "identity"
    ]
    assert "bp.identity(" in source and untested == []
