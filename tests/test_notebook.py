"""The Trace in a notebook: `value` gives plain Python, `iteration(t)` shows one iteration alone,
and the rich display is the `--to html` page (figures and curves in it), or the Markdown when
latex2mathml is missing."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tracer
from tracer.engine.trace import IterationShown
from tracer.errors import TracerError
from tracer.problem.examples import example_path

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"


def _plain(value) -> bool:
    """Only Python's own floats, ints and (nested) lists: no numpy scalar or array anywhere."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return type(value) in (float, int)


@pytest.mark.parametrize("arithmetic", ["float", "exact", "by-hand"])
def test_value_is_plain_python(arithmetic):
    spec = {**tracer.load_problem(example_path("xor-gd")).source, "arithmetic": arithmetic}
    t = tracer.trace(spec)
    for path in t.paths():
        value = t.value(path)
        assert _plain(value), (path, type(value))
    assert t.value("iter1.W1") == [[0.6, 0.4], [-0.3, 0.8]]  # a matrix: a list of rows
    assert isinstance(t.value("iter1.loss"), float)
    assert t.value("iter1.W1[2,1]") == -0.3 and type(t.value("iter1.W1[2,1]")) is float
    rows = t.value("final.yhat")  # one row per example
    assert [r[0] for r in rows] == pytest.approx([float(r[0]) for r in t.values["final.yhat"]], rel=1e-15)
    with pytest.raises(KeyError):
        t.value("iter1.W1[3,1]")


def test_value_of_a_graph_is_plain_too():
    t = tracer.trace(example_path("graph-seed004"))
    assert all(_plain(t.value(p)) for p in t.paths())


# -- one iteration alone ------------------------------------------------------------------


def test_iteration_shows_that_iteration_alone():
    t = tracer.trace(example_path("lecture-2-2-1"))
    it = t.iteration(2)
    assert isinstance(it, IterationShown)
    md = it._repr_markdown_()
    assert re.findall(r"^## (.*)", md, re.M) == ["Iteration 2 (the training example)"]
    latex = it._repr_latex_()
    assert r"\documentclass" not in latex and r"\section*{Iteration 2" in latex
    assert "Iteration 1" not in latex and "Iteration 3" not in latex and "Summary" not in latex
    # the iteration's own numbers: its forward pass starts from its own weights
    assert "0.1066" in md and "0.1066" in latex


def test_iteration_latex_compiles_inside_a_plain_document(tmp_path):
    """nbconvert sets a cell's LaTeX into its own document: amsmath, no needspace, no tikz."""
    if shutil.which("pdflatex") is None:
        if IN_CI:
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    body = tracer.trace(example_path("xor-gd")).iteration(1).to_latex()
    (tmp_path / "nb.tex").write_text("\\documentclass{article}\\usepackage{amsmath}\\usepackage{amssymb}"
                                     "\\begin{document}\n" + body + "\n\\end{document}\n", encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "nb.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, [line for line in proc.stdout.splitlines() if line.startswith("!")]


@pytest.mark.parametrize("t,message", [(0, "iteration 0: expected 1 to 3"), (4, "iteration 4: expected 1 to 3")])
def test_iteration_out_of_range(t, message):
    with pytest.raises(TracerError, match=message):
        tracer.trace(example_path("lecture-2-2-1")).iteration(t)


def test_a_graph_has_no_iteration():
    with pytest.raises(TracerError, match="no iterations"):
        tracer.trace(example_path("graph-seed004")).iteration(1)


def test_the_diverged_iteration_says_so():
    spec = {"layers": [1, 1], "activation": "linear", "loss": "mse", "params": {"W1": [[1.0]], "b1": [0.0]},
            "data": [{"x": [10], "y": [1]}, {"x": [-10], "y": [2]}], "learning_rate": 10, "iterations": 200,
            "mode": "sgd"}
    t = tracer.trace(spec)
    last = t.diverged[0]
    assert "Training diverged" in t.iteration(last).to_markdown()
    assert "Training diverged" not in t.iteration(last - 1).to_markdown()


# -- the rich display: the --to html page ---------------------------------------------------


def _srcdoc(frame: str) -> str:
    m = re.fullmatch(r'<iframe class="bptrace" srcdoc="([^"]*)" [^>]*></iframe>', frame, re.S)
    assert m, frame[:200]
    return html.unescape(m.group(1))


def test_repr_html_is_the_to_html_page(tmp_path):
    pytest.importorskip("latex2mathml")
    out = tmp_path / "lecture.html"
    proc = subprocess.run([sys.executable, "-m", "tracer.cli", "render", "--example", "lecture-2-2-1", "--to", "html",
                           "-o", out], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    assert proc.returncode == 0, proc.stderr
    t = tracer.trace(example_path("lecture-2-2-1"))
    page = _srcdoc(t._repr_html_())
    assert page == out.read_text(encoding="utf-8") == t.to_html()
    assert 'class="network"' in page and page.count('<svg class="curve"') == 2  # the figure and the curves
    one = _srcdoc(t.iteration(3)._repr_html_())
    assert 'id="iteration-3"' in one and 'id="iteration-2"' not in one and "<h2>Summary</h2>" not in one


def test_without_latex2mathml_the_notebook_falls_back_to_markdown():
    code = ("import sys; sys.modules['latex2mathml'] = None; sys.modules['latex2mathml.converter'] = None\n"
            "import tracer\n"
            f"t = tracer.trace({str(example_path('lecture-2-2-1'))!r})\n"
            "print(t._repr_html_(), t.iteration(1)._repr_html_())\n"
            "print(t._repr_markdown_().startswith('# '), '## Iteration 1' in t.iteration(1)._repr_markdown_())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["None None", "True True"]
