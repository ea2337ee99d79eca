import subprocess
import sys

import pytest

import fdmlearn


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_import_does_not_load_tensorflow():
    out = _run(
        "import sys, fdmlearn, fdmlearn.backprop, fdmlearn.datasets, fdmlearn.exercises, "
        "fdmlearn.records, fdmlearn.errors, fdmlearn.plotting; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    assert out == "False False"


def test_version():
    assert isinstance(fdmlearn.__version__, str) and fdmlearn.__version__.count(".") == 2


def test_lazy_attribute_access():
    assert fdmlearn.datasets.load_mnist is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fdmlearn.nope  # noqa: B018


def test_set_seed_repeats_tensorflow_and_numpy():
    import numpy as np
    import tensorflow as tf

    fdmlearn.set_seed(7)
    a = (np.random.rand(2), tf.random.uniform((2,)).numpy())
    fdmlearn.set_seed(7)
    b = (np.random.rand(2), tf.random.uniform((2,)).numpy())
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (1.5, TypeError), ("3", TypeError)])
def test_set_seed_rejects_bad_seed(bad, err):
    with pytest.raises(err, match="seed"):
        fdmlearn.set_seed(bad)


def test_command_line_info_and_notebooks(tmp_path):
    info = _run("import fdmlearn.__main__ as m; m.main(['info'])")
    assert f"fdmlearn {fdmlearn.__version__}" in info and "sha256" in info
    out = subprocess.run(
        [sys.executable, "-m", "fdmlearn", "notebooks", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert {p.stem for p in tmp_path.glob("*.ipynb")} >= {"backprop", "deep", "filters"}
    assert out.count(".ipynb") == len(list(tmp_path.glob("*.ipynb")))


def test_notebook_cells_are_the_page_code_without_rendering_lines():
    from fdmlearn._notebooks import tutorial_to_notebook

    page = "\n".join(
        [
            "# Title",
            "",
            '!!! note "Why"',
            "    Because.",
            "",
            '```python exec="on" source="above" session="s" html="true"',
            "fig = make()",
            "fig",
            'print(figure_to_html(fig, alt="x"))  # markdown-exec: hide',
            "```",
            "",
            '```python exec="on" session="s"',
            "print('site only')",
            "```",
            "",
            "```bash",
            "make test",
            "```",
        ]
    )
    cells = tutorial_to_notebook(page)["cells"]
    kinds = [c["cell_type"] for c in cells]
    assert kinds == ["markdown", "code", "markdown"]
    assert "".join(cells[0]["source"]).endswith("> **Why**\n>\n> Because.")
    assert "".join(cells[1]["source"]) == "fig = make()\nfig"
    assert "make test" in "".join(cells[2]["source"])


def test_records_are_found_or_none():
    from fdmlearn.records import available_records, load_record

    assert "backprop" in available_records()
    assert load_record("backprop")["topic"] == "backprop"
    assert load_record("nothing-here") is None
    with pytest.raises(ValueError, match="plain record name"):
        load_record("../secret")
    with pytest.raises(TypeError, match="record name"):
        load_record(3)
