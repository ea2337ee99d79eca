"""What a learner sees in Jupyter: short reprs, and pictures that leave no pyplot state.

A 200-clip dataset must not print a thousand lines; a rich display
(`_repr_html_`, `_repr_markdown_`, `_repr_png_`) must not leave figures open
in pyplot (they would show a second time at the end of the cell).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from fdmlearn import backprop as bp


def _backprop_objects():
    x, y = bp.inputs("x y")
    w0, w1 = bp.params("w0 w1")
    loss = bp.squared_error(bp.relu(w1 * bp.relu(w0 * x)), y)
    data = [{"x": 1, "y": 2}, {"x": 2, "y": 3}]
    run = bp.gradient_descent(loss, init={"w0": 1, "w1": 2}, data=data, lr=0.1)
    trace = bp.evaluate(loss, {"x": 2, "y": 3, "w0": 1, "w1": 2})
    return {"Run": run, "Trace": trace, "ChainGradient": bp.chain_gradient(1000, "relu")}


def _keras_objects():
    from fdmlearn import calculator, captioning, deep, filters

    clips = captioning.moving_digits(200, seed=0)
    return {
        "Clips": clips,
        "Captioner": captioning.build_captioner(clips[:8]),
        "CalculatorDataset": calculator.make_dataset(200, seed=0),
        "Calculator": calculator.build_calculator(2, 3),
        "DepthStudy": deep.DepthStudy("baseline", 0),
        "FilterCNNDescription": filters.describe(filters.build_filter_cnn()),
    }


@pytest.fixture(scope="module")
def objects():
    return {**_backprop_objects(), **_keras_objects()}


NAMES = [
    "Run",
    "Trace",
    "ChainGradient",
    "Clips",
    "Captioner",
    "CalculatorDataset",
    "Calculator",
    "DepthStudy",
    "FilterCNNDescription",
]


@pytest.mark.parametrize("name", NAMES)
def test_repr_is_short_and_names_the_class(objects, name):
    text = repr(objects[name])
    assert text.startswith(type(objects[name]).__name__) or name in text
    assert len(text) <= 300 and text.count("\n") <= 3, text


@pytest.mark.parametrize("name", NAMES)
def test_rich_displays_are_bounded_and_leave_no_pyplot_state(objects, name):
    plt.close("all")
    obj = objects[name]
    shown = 0
    for method in ("_repr_html_", "_repr_markdown_", "_repr_latex_", "_repr_png_"):
        if hasattr(obj, method):
            out = getattr(obj, method)()
            shown += 1
            assert out, f"{name}.{method} returned nothing"
            # Big tables are summarised; pictures are a few frames, not the whole dataset.
            assert len(out) < 400_000, f"{name}.{method} is {len(out):,} characters"
    assert plt.get_fignums() == [], f"{name}'s display left a pyplot figure open"
    if name in ("Clips", "CalculatorDataset", "Run", "Trace", "FilterCNNDescription"):
        assert shown, f"{name} has no rich display in Jupyter"
