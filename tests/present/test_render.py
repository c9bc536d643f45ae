"""Rendering: golden handouts, escaping, and real compilers on every shipped example.

Regenerate the golden files after a deliberate change with
    UPDATE_GOLDEN=1 pytest tests/present/test_render.py tests/problem/test_notation.py
and review the diff like code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tracer.api import render_trace, trace
from tracer.engine import run
from tracer.present.numfmt import number
from tracer.present.render import escape_latex, escape_markdown, render_view
from tracer.present.view import build_view
from tracer.problem.examples import example_path, list_examples
from tracer.problem.spec import load_problem

HERE = Path(__file__).resolve().parents[1]  # tests/: golden files and tools
GOLDEN = HERE / "golden"
EXAMPLES = [name for name, _ in list_examples()]
IN_CI = os.environ.get("CI") == "true"


def _need(tool: str):
    """Skip without the tool locally; in CI a missing tool is a failure, not a skip."""
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} is required in CI (.ci/run installs it)")
        pytest.skip(f"{tool} not installed")


@pytest.mark.parametrize("fmt,suffix", [("latex", "tex"), ("markdown", "md")])
def test_lecture_golden(fmt, suffix):
    text = render_trace(trace(example_path("lecture-2-2-1")), fmt)
    golden = GOLDEN / f"lecture-2-2-1.{suffix}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_lecture_markdown_shows_the_reference_numbers():
    """The numbers the issue names, found in the handout as the engine formats them."""
    t = trace(example_path("lecture-2-2-1"))
    md = render_trace(t, "markdown")
    v = t.values
    assert r"\begin{bmatrix} 1.2 \\ 1.8 \end{bmatrix}" in md  # a1, exact
    assert f"\\approx {number(v['iter1.yhat'][0], 4)}" in md
    assert number(v["iter1.yhat"][0], 4) == "0.8933"
    assert f"\\approx {number(v['iter1.loss'], 4)}" in md
    assert number(v["iter1.loss"], 4) == "0.1129"
    assert md.count("## Iteration ") == 3


@pytest.mark.parametrize(
    "text,latex",
    [
        ("plain", "plain"),
        ("50% & more", r"50\% \& more"),
        ("a_b #1 $x$", r"a\_b \#1 \$x\$"),
        ("{x}", r"\{x\}"),
        ("back\\slash", r"back\textbackslash{}slash"),
        ("~^", r"\textasciitilde{}\textasciicircum{}"),
        ("<>", r"\textless{}\textgreater{}"),
        ("2\u20132", "2--2"),
    ],
)
def test_escape_latex(text, latex):
    assert escape_latex(text) == latex


def test_escape_latex_is_single_pass():
    # A naive chain of str.replace would escape the backslash it just inserted.
    assert escape_latex("\\&") == r"\textbackslash{}\&"


@pytest.mark.parametrize("text,md", [("a*b_c", r"a\*b\_c"), ("[x](y)", r"\[x\](y)"), ("$5", r"\$5"), ("a|b", r"a\|b")])
def test_escape_markdown(text, md):
    assert escape_markdown(text) == md


def test_title_is_escaped_but_math_is_not():
    spec = _lecture_spec(title="Net #1: 50% & more_")
    tex = render_trace(run(load_problem(spec)), "latex")
    assert r"Net \#1: 50\% \& more\_" in tex
    assert r"\begin{bmatrix} 0.1 & 0.4 \\ 0.2 & 0.5 \end{bmatrix}" in tex  # math untouched


def test_missing_template_names_searched_places(tmp_path):
    from tracer.errors import TemplateNotFound

    view = build_view(trace(example_path("lecture-2-2-1")))
    with pytest.raises(TemplateNotFound) as err:
        render_view(view, "latex", template="nope.tex.j2", extra_dirs=[tmp_path])
    assert "nope.tex.j2" in str(err.value) and str(tmp_path) in str(err.value) and "latex" in str(err.value)


def test_user_template_overrides_one_block(tmp_path):
    (tmp_path / "mine.tex.j2").write_text(
        '((* extends "base.tex.j2" *))\n((* block summary *))MY SUMMARY((* endblock summary *))\n'
    )
    view = build_view(trace(example_path("lecture-2-2-1")))
    tex = render_view(view, "latex", template="mine.tex.j2", extra_dirs=[tmp_path])
    assert "MY SUMMARY" in tex and r"\section*{Summary}" not in tex and r"\section*{Iteration 3" in tex


def test_strict_undefined(tmp_path):
    import jinja2

    (tmp_path / "bad.md.j2").write_text("((( view.no_such_field )))")
    view = build_view(trace(example_path("lecture-2-2-1")))
    with pytest.raises(jinja2.UndefinedError):
        render_view(view, "markdown", template="bad.md.j2", extra_dirs=[tmp_path])


def test_small_gradients_never_print_as_zero():
    spec = _lecture_spec()
    spec["params"]["W2"] = [[0.00001, 0.00002]]
    md = render_trace(run(load_problem(spec)), "markdown")
    assert "-0.0000" not in md and r"\times 10^{" in md


def test_saturated_output_renders_infinity_not_nan():
    spec = _lecture_spec(data=[{"x": [1.0, 2.0], "y": [0]}])
    spec["params"]["b2"] = [1000.0]
    t = run(load_problem(spec))
    assert np.isinf(t.values["iter1.dL_dyhat"][0])
    md = render_trace(t, "markdown")
    assert r"\infty" in md and "nan" not in md.lower()
    doc = json.loads(render_trace(t, "json"))
    assert doc["values"]["iter1.dL_dyhat"] == ["inf"]
    # -log(1 - sigmoid(a)) = softplus(a), which is a itself to double precision at a ~ 1001.
    assert doc["values"]["iter1.loss"] == pytest.approx(float(t.values["iter1.a2"][0]), rel=1e-15)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_compiles_with_pdflatex(name, tmp_path):
    _need("pdflatex")
    tex = render_trace(trace(example_path(name)), "latex")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    errors = [line for line in proc.stdout.splitlines() if line.startswith("!")]
    assert proc.returncode == 0, errors or proc.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    assert "Overfull \\hbox" not in proc.stdout, "something runs off the page"


def _katex_dir() -> str | None:
    for candidate in (os.environ.get("KATEX_NODE_PATH"), "/tmp/katex/node_modules"):
        if candidate and (Path(candidate) / "katex").is_dir():
            return candidate
    return None


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_markdown_math_renders_in_katex(name, tmp_path):
    _need("node")
    node_path = _katex_dir()
    if node_path is None:
        if IN_CI:
            pytest.fail("KaTeX is required in CI (.ci/run installs it and sets KATEX_NODE_PATH)")
        pytest.skip("KaTeX not installed (npm install katex; set KATEX_NODE_PATH)")
    md = tmp_path / "doc.md"
    md.write_text(render_trace(trace(example_path(name)), "markdown"), encoding="utf-8")
    proc = subprocess.run(["node", str(HERE / "tools" / "katex_check.js"), str(md)],
                          env={**os.environ, "NODE_PATH": node_path}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " 0 failures" in proc.stdout


@pytest.mark.parametrize("name", ["lecture-2-2-1", "xor-gd"])
def test_markdown_converts_with_pandoc(name, tmp_path):
    _need("pandoc")
    md = tmp_path / "doc.md"
    md.write_text(render_trace(trace(example_path(name)), "markdown"), encoding="utf-8")
    proc = subprocess.run(["pandoc", str(md), "-f", "markdown", "-t", "latex", "-s", "-o", str(tmp_path / "doc.tex")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    tex = (tmp_path / "doc.tex").read_text()
    # Pandoc saw the math as math: the display blocks arrive as \[ ... \], not as escaped text.
    assert tex.count("\\[") >= 20 and "\\$\\$" not in tex


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_json_has_every_value(name):
    t = trace(example_path(name))
    doc = json.loads(render_trace(t, "json"))
    assert set(doc) == {"spec", "values"}
    assert list(doc["values"]) == list(t.values)  # every path, in computation order
    for path, value in t.values.items():
        got = np.array(doc["values"][path], dtype=float)
        np.testing.assert_array_equal(got, value)  # full precision: exact round trip
    # The exported spec reproduces the same run.
    again = run(load_problem(doc["spec"]))
    for path, value in t.values.items():
        np.testing.assert_array_equal(again.values[path], value)


def _lecture_spec(**changes) -> dict:
    spec = {
        "title": "t", "layers": [2, 2, 1], "activation": "sigmoid", "loss": "bce",
        "params": {"W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6], "W2": [[0.7, 0.8]], "b2": [0.9]},
        "data": [{"x": [1.0, 2.0], "y": [1]}], "learning_rate": 0.5, "iterations": 1,
    }
    spec.update(changes)
    return spec


@pytest.mark.parametrize("y,a", [(0, 20), (1, -20)])
def test_by_hand_output_rounded_onto_a_bound_says_why_it_stops(y, a):
    """By hand at 4 decimals, sigma(20) rounds to 1.0000 (sigma(-20) to 0.0000): the log loss has
    no value there. The handout says that rounding, not an overflow, stopped it, and what to do."""
    problem = load_problem({"layers": [1, 1], "activation": "sigmoid", "loss": "bce",
                            "params": {"W1": [[a]], "b1": [0]}, "data": [{"x": [1], "y": [y]}],
                            "learning_rate": 0.5, "iterations": 2, "arithmetic": "by-hand"})
    trace = run(problem)
    assert trace.diverged is not None and trace.diverged[0] == 1
    note = "".join(text for _, text in build_view(trace).diverged)
    assert "the output rounds to exactly 0 or 1 at the digits shown" in note and "overflowed" not in note
    assert note.startswith("In iteration 1, L ")  # the loss as the handout names it, not a path
    float_note = "".join(t for _, t in build_view(run(problem, "float")).diverged)
    assert float_note == ""  # float carries sigma(-a): no divergence at all


@pytest.mark.parametrize("arithmetic", ["float", "by-hand", "exact"])
def test_a_softmax_of_one_unit_renders_its_complement_as_zero(arithmetic):
    """One softmax unit is always 1, so it is saturated and its complement, the other outputs' sum,
    has no terms: 0 (was an IndexError traceback)."""
    spec = {"title": "one softmax unit", "layers": [2, 2, 1], "activation": ["sigmoid", "softmax"], "loss": "ce",
            "params": {"W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0, 0], "W2": [[0.5, 0.6]], "b2": [0]},
            "data": [{"x": [1, 0], "y": [1]}], "learning_rate": 0.5, "iterations": 1, "arithmetic": arithmetic}
    view = build_view(trace(spec))
    for fmt in ("latex", "markdown"):
        text = render_view(view, fmt)
        # by hand the output is rounded onto 1 itself: the delta is 1 - 1 = 0, no complement step
        assert (r"= 1 - 1 = 0" if arithmetic == "by-hand" else r"\sum_{j \ne k} \hat{y}_j = 0") in text
