"""Bad input to fdmlearn.exercises: the exception type, and a message naming the argument.

A student's *answer* that cannot be read is not an error: it becomes an
"incomplete" part saying why (tested at the end). Wrong *arguments* raise.
"""

from __future__ import annotations

import numpy as np
import pytest

from fdmlearn import exercises


def _adder(x):
    return np.zeros((len(x), 4, 10))


CASES = [
    (lambda: exercises.backprop(seed=-1), ValueError, r"seed must be an integer >= 0, got -1"),
    (lambda: exercises.backprop(seed="7"), TypeError, r"seed must be an integer"),
    (lambda: exercises.backprop(seed=1, depth=0), ValueError, r"depth must be an integer >= 1"),
    (lambda: exercises.backprop(seed=1, depth=2.0), TypeError, r"depth must be an integer"),
    (
        lambda: exercises.backprop(seed=1, activations="softplus"),
        ValueError,
        r"activations must be one of",
    ),
    (
        lambda: exercises.backprop(seed=1, activations=("relu",)),
        ValueError,
        r"activations must name one",
    ),
    (lambda: exercises.backprop(depth=3), ValueError, r"pass a seed"),
    (lambda: exercises.backprop(seed=1, batch_size=0), ValueError, r"batch_size must be"),
    (
        lambda: exercises.backprop(seed=1, dead_unit=1),
        TypeError,
        r"dead_unit must be True or False",
    ),
    (lambda: exercises.backprop().check(dL_dw2="x"), TypeError, r"unknown part 'dL_dw2'"),
    (lambda: exercises.backprop().check(w3=1), TypeError, r"unknown part 'w3'"),
    (lambda: exercises.filters(seed=1.5), TypeError, r"seed must be an integer"),
    (lambda: exercises.filters().check(kernel=1), TypeError, r"unknown part 'kernel'"),
    (lambda: exercises.deep(seed=-2), ValueError, r"seed must be an integer >= 0"),
    (lambda: exercises.deep().check(depth=3), TypeError, r"unknown part 'depth'"),
    (lambda: exercises.captioning(seed=True), TypeError, r"seed must be an integer"),
    (
        lambda: exercises.captioning().check({"encoder": "x"}),
        TypeError,
        r"unknown decision 'encoder'",
    ),
    (lambda: exercises.calculator(seed=-3), ValueError, r"seed must be an integer >= 0"),
    (lambda: exercises.calculator().check(width=4), TypeError, r"unknown part 'width'"),
    (
        lambda: exercises.calculator().evaluate(_adder, n=5),
        ValueError,
        r"n must be an integer >= 10",
    ),
    (
        lambda: exercises.calculator().evaluate(_adder, n=20, claimed_accuracy="high"),
        TypeError,
        r"claimed_accuracy must be a real number",
    ),
    (
        lambda: exercises.calculator().evaluate(_adder, n=20, n_train=-1),
        ValueError,
        r"n_train must be",
    ),
    (
        lambda: exercises.calculator().evaluate(lambda x: np.zeros((len(x), 3, 3)), n=20),
        ValueError,
        r"output has shape",
    ),
    (lambda: exercises.sheet(["nope"], students=2), ValueError, r"exercises must be one of"),
    (lambda: exercises.sheet([], students=2), ValueError, r"exercises must name at least one"),
    (
        lambda: exercises.sheet(["deep", "deep"], students=2),
        ValueError,
        r"exercises must not repeat",
    ),
    (lambda: exercises.sheet(["deep"], students=[]), ValueError, r"students must not be empty"),
    (
        lambda: exercises.sheet(["deep"], students=["a", "a"]),
        ValueError,
        r"student names must be distinct",
    ),
    (
        lambda: exercises.sheet(["deep"], students="ana"),
        TypeError,
        r"students must be a list of names",
    ),
    (
        lambda: exercises.sheet(["deep"], students=[1]),
        TypeError,
        r"student names must be non-empty",
    ),
    (
        lambda: exercises.sheet(["deep"], students=0),
        ValueError,
        r"students must be an integer >= 1",
    ),
    (
        lambda: exercises.sheet(["deep"], students=2, seed=-1),
        ValueError,
        r"seed must be an integer >= 0",
    ),
    (
        lambda: exercises.sheet(["deep"], students=2, options={"filters": {}}),
        ValueError,
        r"options must be one of",
    ),
    (
        lambda: exercises.sheet(["deep"], students=2)["nobody"],
        ValueError,
        r"student must be one of",
    ),
    (
        lambda: exercises.sheet(["deep"], students=2).check("student01", "filters"),
        ValueError,
        r"exercise must be one of",
    ),
    (lambda: exercises.backprop(activations=5), TypeError, r"activations must be an activation"),
    (lambda: exercises.filters().check_model(5), TypeError, r"model must be a keras.Model"),
    (lambda: exercises.calculator().evaluate(5), TypeError, r"model must be a keras.Model"),
    (lambda: exercises.deep().layer_parameters(depth=-1), ValueError, r"depth must be an integer"),
    (lambda: exercises.deep().layer_parameters(depth=2.0), TypeError, r"depth must be an integer"),
    (lambda: exercises.deep().layer_parameters(inputs=0), ValueError, r"inputs must be"),
    (lambda: exercises.deep().layer_parameters(biases=1), TypeError, r"biases must be True"),
    (lambda: exercises.deep().parameters(0), ValueError, r"depth must be an integer >= 1"),
    (lambda: exercises.deep().bound(-1), ValueError, r"depth must be an integer >= 1"),
    (lambda: exercises.deep().bound(10**9), ValueError, r"depth must be .*<= 1000"),
    (lambda: exercises.CaptionDesign(layers=1.5), TypeError, r"layers must be an integer"),
    (lambda: exercises.CaptionDesign(layers=0), ValueError, r"layers must be an integer >= 1"),
    (
        lambda: exercises.sheet(["deep"], students=2).to_latex(answer_key="yes"),
        TypeError,
        r"answer_key must be True or False",
    ),
    (
        lambda: exercises.sheet(["backprop"], students=2, options={"backprop": {"bogus": 1}}),
        ValueError,
        r"options\['backprop'\] has an unknown option 'bogus'; backprop\(\) takes depth",
    ),
    (
        lambda: exercises.sheet(["backprop"], students=2, options={"backprop": 3}),
        TypeError,
        r"options\['backprop'\] must be a dict",
    ),
    (lambda: exercises.sheet(["deep"], students=2).grade("abc"), TypeError, r"answers must be"),
    (
        lambda: exercises.sheet(["deep"], students=2).grade({"student01": "abc"}),
        TypeError,
        r"answers\['student01'\] must be a dict",
    ),
    (lambda: exercises.sheet(["deep"], students=2).save(5), TypeError, r"folder must be a str"),
]


def test_save_into_an_existing_file_names_it(tmp_path):
    target = tmp_path / "taken.txt"
    target.write_text("keep me")
    with pytest.raises(ValueError, match=r"folder must be a folder.*taken\.txt"):
        exercises.sheet(["deep"], students=2).save(target)
    assert target.read_text() == "keep me"


def test_save_twice_overwrites(tmp_path):
    s = exercises.sheet(["deep"], students=2)
    assert s.save(tmp_path) == s.save(tmp_path)


@pytest.mark.parametrize("layers", ["abc", "a CNN then an LSTM", 2.5, ["cnn", "lstm"]])
def test_caption_layers_without_a_count_is_never_right(layers):
    fb = exercises.captioning().check(layers=layers)
    assert fb["layers"].status == "incomplete"
    assert not fb.ok


def test_calculator_evaluate_accepts_an_fdmlearn_calculator():
    from fdmlearn import calculator

    ex = exercises.calculator()
    calc = calculator.build_calculator(ex.n_operands, ex.n_digits)
    fb = ex.evaluate(calc, n=10, n_train=0)
    assert 0 <= fb.values["exact_sum_accuracy"] <= 1
    with pytest.raises(ValueError, match=r"model reads sequences of 2 images.*have 6"):
        ex.evaluate(calculator.build_calculator(2, 1), n=10)


@pytest.mark.parametrize("call, error, message", CASES)
def test_bad_argument_raises_naming_it(call, error, message):
    with pytest.raises(error, match=message):
        call()


UNREADABLE = [
    ("backprop", {"dL_dw1": "relu(w0*x"}, "dL_dw1", r"could not read"),
    ("backprop", {"dL_dw1": "q * v"}, "dL_dw1", r"uses 'q'|uses 'v'"),
    ("backprop", {"w0": "three fifths"}, "w0", r"is not a number"),
    ("backprop", {"loss": "MSE"}, "loss", r"write the formula"),
    ("backprop", {"updates": [{"w9": 1}]}, "updates", r"w9"),
    ("deep", {"params": "many"}, "params", r"is not a number"),
    ("deep", {"fixes": {"relu": "it is better"}}, "fixes", r"could not tell"),
    ("filters", {"sepia": [[1, 2], [3, 4]]}, "sepia", r"shape \(3, 3\)"),
    ("filters", {"blur_channels": "some"}, "blur_channels", r"'own' or 'all'"),
    ("calculator", {"carry_example": [1]}, "carry_example", r"give 2 whole numbers"),
]


@pytest.mark.parametrize("exercise, answer, part, message", UNREADABLE)
def test_unreadable_answer_is_incomplete_not_an_error(exercise, answer, part, message):
    fb = getattr(exercises, exercise)().check(answer)
    assert fb[part].status == "incomplete"
    assert not fb.ok
    import re

    assert re.search(message, fb[part].message), fb[part].message
