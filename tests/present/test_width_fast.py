"""width()'s fast path (digits read as 0, plainly written matrices cut into cells by str.split, texts
and matrices remembered) gives slow_width()'s float, the token-by-token walk, to the last bit: on
every step and line of the built-in examples in every notation profile, on a large net's steps, and
on random texts made of the tokens where the fast path has to give way (scripts, \\left, \\text,
escaped & and braces, nested and unclosed environments)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tracer.api import trace
from tracer.engine import run
from tracer.present import numfmt
from tracer.present.layout import steps_of
from tracer.present.view import build_view
from tracer.present.width import session, slow_width, width
from tracer.problem.examples import example_path, list_examples
from tracer.problem.notation import BUILTIN
from tracer.problem.spec import load_problem


def _texts(view):
    for step in steps_of(view):
        yield step.tex
        for lines in step.lines.values():
            yield from lines


def test_every_example_step_and_line_measures_as_token_by_token():
    texts = []
    for name, _ in list_examples():
        t = trace(example_path(name))
        profiles = [None] if name.startswith("graph-") else [BUILTIN[p].bind(t.problem.depth) for p in BUILTIN]
        for nt in profiles:
            texts += _texts(build_view(t, nt))
    with session():
        assert [width(x) for x in texts] == [slow_width(x) for x in texts]
    assert [width(x) for x in texts[:200]] == [slow_width(x) for x in texts[:200]]  # no session


def test_a_large_net_measures_as_token_by_token():
    spec = {"layers": [6, 12, 5], "activation": ["relu", "softmax"], "loss": "ce",
            "init": {"seed": 1, "low": -0.5, "high": 0.5}, "data": [{"x": [1, -2, 0.5, 0, 3, 1e-7], "y": [0, 0, 1, 0, 0]}],
            "learning_rate": 0.1, "iterations": 2, "decimals": 3}
    texts = list(_texts(build_view(run(load_problem(spec)))))
    assert sum(r"\begin{bmatrix}" in x for x in texts) > 20
    with session():
        assert [width(x) for x in texts] == [slow_width(x) for x in texts]


_PIECES = ["0", "7", "-", "+", ".", "x", "W", " ", "&", r"\\", "{", "}", "^", "_", r"\frac", r"\text", r"\hat",
           r"\left(", r"\right)", r"\left", r"\right", r"\&", r"\{", r"\}", r"\times", "10^{-5}", r"\quad", r"\sum",
           r"\begin{bmatrix}", r"\end{bmatrix}", r"\begin{pmatrix}", r"\end{pmatrix}", r"\begin{aligned}",
           r"\end{aligned}", r"\begin{bmatrix*}", r"\begin {bmatrix}", r"\\begin{bmatrix}", r"\operatorname{softmax}",
           r"\tanh(", ")", "=", r"\approx", r"\,", r"\!", r"\top", r"\begin", r"\end", "\\"]


def _matrix(cells):
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(r) for r in cells) + r" \end{bmatrix}"


_cell = st.lists(st.sampled_from(_PIECES[:14] + ["10^{-5}", r"\times", r"\hat x"]), max_size=5).map("".join)
_mat = st.lists(st.lists(_cell, min_size=1, max_size=4), min_size=1, max_size=4).map(_matrix)


@given(st.lists(st.one_of(st.sampled_from(_PIECES), _mat), max_size=30).map(" ".join))
def test_random_texts_measure_as_token_by_token(tex):
    assert width(tex) == slow_width(tex)
    with session():
        assert width(tex) == slow_width(tex)
        assert width(tex) == slow_width(tex)


@given(st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=2, max_size=30), st.integers(0, 8))
def test_number_matrices_measure_as_token_by_token(values, decimals):
    n = len(values)
    for shape in [(n, 1), (1, n), (2, n // 2)] if n % 2 == 0 else [(n, 1), (1, n)]:
        m = numfmt.array(np.array(values).reshape(shape), decimals)
        for tex in (m, f"W = {m} - 0.1 {m}", rf"\left({m}\right)^\top", f"x^{{{m}}}", rf"\frac{{{m}}}{{2}}"):
            assert width(tex) == slow_width(tex)
