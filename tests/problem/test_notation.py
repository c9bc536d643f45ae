"""Notation profiles: built-in and inline ones render every example, in their own symbols and shapes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tracer.api import render_trace
from tracer.engine import run
from tracer.errors import SpecError
from tracer.problem.examples import example_path, list_examples
from tracer.problem.notation import BUILTIN, canonical_key
from tracer.problem.spec import load_problem

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "profiles"
# Notation profiles name a network's symbols; a graph names its own values (no profile).
EXAMPLES = [name for name, _ in list_examples() if not name.startswith("graph-")]
PROFILES = [name for name in BUILTIN if name != "default"]


def _problem(name="lecture-2-2-1", **over):
    spec = dict(load_problem(example_path(name)).source)
    spec.update(over)
    return load_problem(spec)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fmt,suffix", [("latex", "tex"), ("markdown", "md")])
def test_profile_golden(profile, fmt, suffix):
    text = render_trace(run(_problem(notation=profile)), fmt)
    golden = GOLDEN / f"lecture-2-2-1.{profile}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


INLINE = {"base": "lecture", "name": "my course", "symbols": {"loss": r"\mathcal{E}", "lr": r"\alpha", "delta": r"\epsilon^{[{l}]}"},
          "layers": {"act": {1: "v"}}, "aliases": {"v": "h1"}, "backward": "delta"}  # delta(l), asked for


@pytest.mark.parametrize("profile", PROFILES + ["inline"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_profile_renders_every_example_and_compiles(profile, name, tmp_path):
    notation = INLINE if profile == "inline" else profile
    problem = load_problem({**load_problem(example_path(name)).source, "notation": notation})
    tex = render_trace(run(problem), "latex")
    md = render_trace(run(problem), "markdown")
    assert "Iteration 1" in tex and "## Iteration 1" in md
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, [line for line in proc.stdout.splitlines() if line.startswith("!")]
    assert "Overfull \\hbox" not in proc.stdout


def test_inline_profile_symbols_appear():
    md = render_trace(run(_problem(notation=INLINE)), "markdown")
    assert r"\mathcal{E} = " in md and r"\alpha \, \frac{\partial \mathcal{E}}" in md
    assert r"\epsilon^{[2]}" in md and "v = g(a^{(1)})" in md


def test_lecture_profile_uses_the_notes_symbols():
    md = render_trace(run(_problem(notation="lecture")), "markdown")
    assert r"u = g(a^{(1)})" in md and r"z = {W^{(2)}}^\top u + b^{(2)}" in md  # a column W(2), as in the notes
    assert r"\frac{\partial \hat{y}}{\partial z} = \hat{y} \left(1 - \hat{y}\right)" in md
    assert r"W^{(2)} = \begin{bmatrix} 0.7 \\ 0.8 \end{bmatrix}" in md
    assert "\\delta" not in md  # the factored chain rule, no error terms


def test_node_profile_shows_transposed_weights_with_bias_row_first():
    p = _problem(notation="node")
    md = render_trace(run(p), "markdown")
    # W^1 displayed as [b1^T; W1^T]: rows are the bias node x_0 and the two inputs.
    assert r"W^{(1)} = \begin{bmatrix} 0.3 & 0.6 \\ 0.1 & 0.2 \\ 0.4 & 0.5 \end{bmatrix}" in md
    assert r"\theta^{(1)} = {W^{(1)}}^\top \tilde{x}^{(0)}" in md  # the tilde on the letter
    assert "x^{2}" not in md and r"\log{\left(x^{(2)} \right)}" in md  # the output cannot read as a square


def test_layered_profile_puts_bias_last_and_gradient_as_h_delta_T():
    md = render_trace(run(_problem(notation="layered")), "markdown")
    assert r"W^{(1)} = \begin{bmatrix} 0.1 & 0.2 \\ 0.4 & 0.5 \\ 0.3 & 0.6 \end{bmatrix}" in md
    assert r"\frac{\partial J}{\partial W^{(2)}} = \tilde{h}^{(1)} \, {\delta^{(2)}}^\top" in md
    # one output: delta(2) is a scalar factor of the column, written as a product, not "[...] - 0.1067"
    assert r"1 \end{bmatrix} \cdot (-0.1067)" in md


def test_profile_changes_display_not_numbers():
    base = run(_problem())
    for profile in PROFILES:
        t = run(_problem(notation=profile))
        for path, value in base.values.items():
            np.testing.assert_array_equal(t.values[path], value)


@pytest.mark.parametrize(
    "notation,message",
    [
        ("fancy", "notation: unknown profile 'fancy'; built-in profiles: default, lecture, hidden-output, layered, node"),
        ({"base": "nope"}, "notation.base: unknown profile 'nope'"),
        ({"symbols": {"omega": "w"}}, "notation.symbols.omega: unknown symbol"),
        ({"symbols": {"loss": "L{"}}, "notation.symbols.loss: 'L{' is not allowed in a symbol: unbalanced braces"),
        ({"symbols": {"loss": "a\nb"}}, "notation.symbols.loss: expected a LaTeX symbol"),
        ({"layers": {"act": {7: "q"}}}, "notation.layers.act.7: expected a layer 1..2 or 'out'"),
        ({"layout": "diagonal"}, "notation.layout: unknown value 'diagonal'"),
        ({"bias": "middle"}, "notation.bias: unknown value 'middle'"),
        ({"layout": {"out": "sideways"}}, "notation.layout.out: unknown value 'sideways'"),
        ({"layout": {5: "in-out"}}, "notation.layout.5: expected a layer 1..2 or 'out'"),
        ({"backward": "deltas"}, "notation.backward: unknown value 'deltas'; expected one of: delta, factored"),
        ({"update_order": "random"}, "notation.update_order: unknown value 'random'; expected one of: input-first, output-first"),
        ({"aliases": {"u": 3}}, "notation.aliases: expected {alias: canonical name}"),
        ({"colour": "red"}, "notation.colour: unknown field"),
        (3, "notation: expected a profile name or a mapping"),
    ],
)
def test_bad_notation(notation, message):
    with pytest.raises(SpecError) as err:
        _problem(notation=notation)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    "profile,key,canonical",
    [
        ("lecture", "iter1.u", "iter1.h1"),
        ("lecture", "iter2.z", "iter2.a2"),
        ("lecture", "iter1.u[2]", "iter1.h1[2]"),
        ("lecture", "iter1.W1[1,2]", "iter1.W1[1,2]"),  # out-in: unchanged
        ("lecture", "iter1.W2[2,1]", "iter1.W2[1,2]"),  # the column W(2) of the notes
        ("node", "iter1.W1[1,2]", "iter1.W1[2,1]"),  # from node 1 to node 2
        ("node", "iter1.W1[0,2]", "iter1.b1[2]"),  # the bias node x_0
        ("node", "iter1.new.W2[2,1]", "iter1.new.W2[1,2]"),
        ("layered", "iter1.W1[3,1]", "iter1.b1[1]"),  # last row: n_0 + 1 = 3
        ("layered", "iter1.grad.W1[2,1]", "iter1.grad.W1[1,2]"),
        ("layered", "iter1.o", "iter1.yhat"),
        ("hidden-output", "iter1.V", "iter1.W2"),
        ("default", "iter1.a1", "iter1.a1"),
    ],
)
def test_canonical_key(profile, key, canonical):
    assert canonical_key(key, (2, 2, 1), BUILTIN[profile]) == canonical


def _check(problem, answers: dict):
    import json

    from tracer.grade.answers import parse_answers
    from tracer.grade.check import Checker

    sheet = parse_answers(json.dumps(answers), "json")
    return {item.key: item.status for item in Checker(problem).check_sheet(sheet).items}


def test_checker_accepts_a_profiles_aliases():
    t = run(_problem())
    v = t.values
    answers = {"iter1.u": [round(float(x), 4) for x in v["iter1.h1"]], "iter1.z": round(float(v["iter1.a2"][0]), 4)}
    assert set(_check(_problem(notation="lecture"), answers).values()) == {"correct"}
    assert set(_check(_problem(), answers).values()) == {"unknown-key"}  # not in the default profile


def test_checker_reads_weights_in_the_profiles_layout():
    v = run(_problem()).values
    node = {"iter1.W1[0,2]": float(v["iter1.b1"][1]), "iter1.W1[1,2]": float(v["iter1.W1"][1, 0]),
            "iter1.new.W2[2,1]": round(float(v["iter1.new.W2"][0, 1]), 4)}
    assert set(_check(_problem(notation="node"), node).values()) == {"correct"}
    layered = {"iter1.W1[3,1]": float(v["iter1.b1"][0]), "iter1.grad.W1[2,1]": round(float(v["iter1.grad.W1"][0, 1]), 4)}
    assert set(_check(_problem(notation="layered"), layered).values()) == {"correct"}
