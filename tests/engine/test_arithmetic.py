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


# -- numbers written as expressions: exact arithmetic reads them with every digit ------------------


def _lecture(**changes) -> dict:
    spec = json.loads(json.dumps(load_problem(example_path("lecture-2-2-1")).source))
    spec.pop("published")
    spec["iterations"] = 1
    spec["data"][0]["x"] = [3, 2]
    spec.update(changes)
    return spec


def _json_line(spec: dict, path: str, arithmetic: str = "exact") -> str:
    from tracer import trace

    text = trace({**spec, "arithmetic": arithmetic}).to_json()
    return next(line for line in text.splitlines() if line.startswith(f' "{path}": '))


def test_a_third_written_as_text_is_exact_in_exact_arithmetic():
    """W1[1,1] = "1/3", x1 = 3: a1[1] = 1/3 * 3 + 0.4 * 2 + 0.3 = 2.1; the double 0.3333333333333333
    gives 2.0999999999999999 (the JSON shows every digit exact arithmetic carries)."""
    third = _lecture()
    third["params"]["W1"][0][0] = "1/3"
    double = _lecture()
    double["params"]["W1"][0][0] = 0.3333333333333333
    assert _json_line(third, "iter1.a1") == ' "iter1.a1": [2.1, 2.2],'
    assert _json_line(double, "iter1.a1") == ' "iter1.a1": [2.0999999999999999, 2.2],'
    exact = run(load_problem(third), "exact").values
    ctx = exact["iter1.a1"][0].context
    assert abs(exact["iter1.W1"][0][0] - ctx.mpf(1) / 3) < ctx.mpf(10) ** -48
    assert exact["iter1.loss"] != run(load_problem(double), "exact").values["iter1.loss"]


def test_float_arithmetic_is_bitwise_the_doubles():
    third = _lecture(learning_rate="1/3")
    third["params"]["W1"][0][0] = "1/3"
    third["params"]["b2"] = ["1 + sin(pi/4)"]
    double = _lecture(learning_rate=1 / 3)
    double["params"]["W1"][0][0] = 1 / 3
    double["params"]["b2"] = [1 + math.sin(math.pi / 4)]
    for arithmetic in ("float", "by-hand"):
        a, b = run(load_problem(third), arithmetic).values, run(load_problem(double), arithmetic).values
        assert list(a) == list(b)
        for path in a:
            assert np.asarray(a[path]).tobytes() == np.asarray(b[path]).tobytes(), (arithmetic, path)


def test_every_kind_of_spec_number_is_read_exactly():
    """A bias "1 + sin(pi/4)" is 1 + sqrt(2)/2 to the arithmetic's 50 digits; a learning rate "1/3",
    a target "1/3", an input "1/3" and a folded-bias weight "1/3" are thirds."""
    spec = _lecture(learning_rate="1/3", loss="sse")
    spec["params"]["b2"] = ["1 + sin(pi/4)"]
    spec["data"][0]["y"] = ["1/3"]
    spec["data"][0]["x"] = ["1/3", 2]
    values = run(load_problem(spec), "exact").values
    ctx = values["iter1.b2"][0].context
    tiny = ctx.mpf(10) ** -48
    assert abs(values["iter1.b2"][0] - (1 + ctx.sqrt(2) / 2)) < tiny
    assert abs(values["iter1.y"][0] - ctx.mpf(1) / 3) < tiny and abs(values["iter1.x"][0] - ctx.mpf(1) / 3) < tiny
    # the update W <- W - eta grad with eta = 1/3 exactly
    new, grad, old = values["iter1.new.b2"][0], values["iter1.grad.b2"][0], values["iter1.b2"][0]
    assert abs(new - (old - grad / 3)) < tiny
    # the same weight written in the layered profile's folded layout (in-out, the bias as the last row)
    folded = _lecture(notation="layered")
    folded["params"] = {"W1": [["1/3", 0.2], [0.4, 0.5], [0.3, 0.6]], "W2": [[0.7], [0.8], [0.9]]}
    canonical = _lecture(notation="layered")
    canonical["params"]["W1"][0][0] = "1/3"
    a, b = run(load_problem(folded), "exact").values, run(load_problem(canonical), "exact").values
    assert all(str(x) == str(y) for x, y in zip(np.ravel(a["iter1.a1"]), np.ravel(b["iter1.a1"])))
    assert load_problem(folded).written == {"W1": {(0, 0): load_problem(canonical).written["W1"][(0, 0)]}}


def test_the_exported_spec_keeps_the_text_and_runs_again_the_same():
    from tracer import trace

    spec = _lecture(learning_rate="1/3", arithmetic="exact")
    spec["params"]["W1"][0][0] = "1/3"
    spec["data"][0]["x"] = ["2/3", 2]
    first = trace(spec).to_json()
    exported = json.loads(first)["spec"]
    assert exported["params"]["W1"][0][0] == "1/3" and exported["learning_rate"] == "1/3"
    assert exported["data"][0]["x"][0] == "2/3"
    assert trace(exported).to_json() == first
