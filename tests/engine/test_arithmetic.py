"""Arithmetic modes: exact agrees with float; by-hand rounds every intermediate, as a student does."""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from tracer.api import render_trace
from tracer.engine import run
from tracer.problem.examples import example_path, list_examples
from tracer.problem.spec import load_problem

EXAMPLES = [name for name, _ in list_examples()]


def _round(x: float, d: int = 4) -> float:
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("name", EXAMPLES)
def test_exact_agrees_with_float(name):
    problem = load_problem(example_path(name))
    exact, flt = run(problem, "exact"), run(problem, "float")
    assert list(exact.values) == list(flt.values)
    for path, value in flt.values.items():
        ev = np.asarray(exact.values[path], dtype=np.float64)
        np.testing.assert_allclose(ev, value, rtol=1e-12, atol=1e-14, err_msg=path)


def test_exact_carries_more_than_30_digits():
    t = run(load_problem(example_path("lecture-2-2-1")), "exact")
    loss = t.values["iter1.loss"]
    digits = str(loss).replace("0.", "", 1)
    assert len(digits.rstrip("0")) >= 30
    # Independent: -log(sigmoid(z)) with z from the decimal inputs, in Decimal at 60 digits.
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 60
        D = Decimal
        sig = lambda z: 1 / (1 + (-z).exp())  # noqa: E731
        u1, u2 = sig(D("1.2")), sig(D("1.8"))
        z = D("0.7") * u1 + D("0.8") * u2 + D("0.9")
        want = -(sig(z).ln())
    assert abs(Decimal(str(loss)) - want) < Decimal("1e-45")


def test_exact_json_keeps_every_digit():
    t = run(load_problem(example_path("lecture-2-2-1")), "exact")
    doc = json.loads(render_trace(t, "json"), parse_float=Decimal)
    assert doc["spec"]["arithmetic"] == "exact"
    assert doc["values"]["iter1.loss"] == Decimal(str(t.values["iter1.loss"]))


def test_exact_handout_says_so():
    t = run(load_problem(example_path("lecture-2-2-1")), "exact")
    md = render_trace(t, "markdown")
    assert "certified" in md and "50 significant digits" in md


@pytest.mark.parametrize("name", EXAMPLES)
def test_by_hand_values_are_on_the_grid(name):
    problem = load_problem(example_path(name))
    t = run(problem, "by-hand")
    computed = [p for p in t.values if not p.endswith((".x", ".y")) and not p.split(".")[-1].startswith(("W", "b"))]
    for path in computed:
        for v in np.ravel(t.values[path]):
            if np.isfinite(v):
                assert v == _round(float(v), problem.decimals), path


def test_by_hand_lecture_matches_a_calculator():
    """Rounding yhat to 0.8933 before taking the log changes the loss's 4th decimal: 0.1128, not 0.1129."""
    p = load_problem(example_path("lecture-2-2-1"))
    t, f = run(p, "by-hand"), run(p, "float")
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    u = [_round(sig(1.2)), _round(sig(1.8))]
    z = _round(0.7 * u[0] + 0.8 * u[1] + 0.9)
    yhat = _round(sig(z))
    loss = _round(-math.log(yhat))
    assert t.values["iter1.h1"].tolist() == u
    assert t.values["iter1.a2"][0] == z
    assert t.values["iter1.yhat"][0] == yhat == 0.8933
    assert t.values["iter1.loss"] == loss == 0.1128
    assert _round(float(f.values["iter1.loss"])) == 0.1129
    # g'(a) from the rounded output, delta = yhat - y from the rounded output
    assert t.values["iter1.gprime2"][0] == _round(yhat * (1 - yhat))
    assert t.values["iter1.delta2"][0] == _round(yhat - 1)
    gp1 = [_round(ui * (1 - ui)) for ui in u]
    assert t.values["iter1.gprime1"].tolist() == gp1
    assert t.values["iter1.delta1"].tolist() == [_round(gp1[i] * (w * (yhat - 1))) for i, w in enumerate([0.7, 0.8])]


def test_by_hand_handout_says_so_and_marks_rounding():
    t = run(load_problem(example_path("lecture-2-2-1")), "by-hand")
    md = render_trace(t, "markdown")
    assert "rounded to 4 decimal places before it is used further" in md
    # a1 = [1.2, 1.8] needs no rounding: '='; h1 = sigma(...) does: approx
    assert r"= \begin{bmatrix} 1.2 \\ 1.8 \end{bmatrix}" in md
    assert r"\approx \begin{bmatrix} 0.7685 \\ 0.8581 \end{bmatrix}" in md


def test_arithmetic_in_spec_and_bad_value():
    from tracer.errors import SpecError

    spec = dict(load_problem(example_path("lecture-2-2-1")).source)
    assert load_problem({**spec, "arithmetic": "by-hand"}).arithmetic == "by-hand"
    with pytest.raises(SpecError, match="arithmetic: unknown value 'symbolic'; expected one of: float, exact, by-hand"):
        load_problem({**spec, "arithmetic": "symbolic"})
