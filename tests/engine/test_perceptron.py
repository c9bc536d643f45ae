"""The perceptron rule (rule: perceptron): engine, validation, checking, randomize.

Expected sequences are computed here independently, in plain Python with fractions
(no numpy, no engine code), from the textbook rule:
    a = w . x + b,  yhat = 1 if a >= 0 else 0 (step) / -1 (sign),  e = y - yhat,
    w <- w + eta e x,  b <- b + eta e.
"""

from __future__ import annotations

from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer.engine import run
from tracer.errors import SpecError
from tracer.grade.answers import parse_answers
from tracer.grade.check import Checker
from tracer.homework.randomize import draw, plan_for
from tracer.problem.examples import example_path
from tracer.problem.kinds import kind_of
from tracer.problem.spec import load_problem

AND = [([0, 0], 0), ([0, 1], 0), ([1, 0], 0), ([1, 1], 1)]


def spec(**over) -> dict:
    base = {
        "layers": [2, 1], "activation": "step", "rule": "perceptron",
        "params": {"W1": [[0.3, 0.1]], "b1": [0.2]},
        "data": [{"x": x, "y": [y]} for x, y in AND],
        "learning_rate": 0.2, "iterations": 16, "decimals": 2,
    }
    base.update(over)
    return base


def by_hand(w, b, data, eta, iterations, low=0):
    """The rule in exact fractions: [(a, yhat, e, new w, new b)] per iteration."""
    w, b, eta = [Fr(str(v)) for v in w], Fr(str(b)), Fr(str(eta))
    out = []
    for t in range(iterations):
        x, y = data[t % len(data)]
        a = sum(wi * Fr(xi) for wi, xi in zip(w, x)) + b
        yhat = 1 if a >= 0 else low
        e = y - yhat
        w = [wi + eta * e * Fr(xi) for wi, xi in zip(w, x)]
        b = b + eta * e
        out.append((a, yhat, e, list(w), b))
    return out


def test_the_and_example_reproduces_the_hand_computed_updates():
    trace = run(load_problem(spec()))
    expect = by_hand([0.3, 0.1], 0.2, AND, 0.2, 16)
    for t, (a, yhat, e, w, b) in enumerate(expect, start=1):
        p = f"iter{t}."
        assert float(trace.values[p + "a1"][0]) == pytest.approx(float(a), abs=1e-12)
        assert trace.values[p + "yhat"][0] == yhat
        assert trace.values[p + "error"][0] == e
        np.testing.assert_allclose(np.asarray(trace.values[p + "new.W1"], dtype=float), [[float(v) for v in w]], atol=1e-12)
        assert float(trace.values[p + "new.b1"][0]) == pytest.approx(float(b), abs=1e-12)
    # iteration 12 meets a = 0 exactly (0.3 + 0.1 - 0.4): the positive side, as by hand
    assert expect[11][0] == 0 and trace.values["iter12.yhat"][0] == 1


@pytest.mark.parametrize("arithmetic", ["float", "exact", "by-hand"])
def test_every_arithmetic_gives_the_same_sequence(arithmetic):
    trace = run(load_problem(spec(arithmetic=arithmetic)))
    errors = [int(trace.values[f"iter{t}.error"][0]) for t in range(1, 17)]
    assert errors == [int(e) for _, _, e, _, _ in by_hand([0.3, 0.1], 0.2, AND, 0.2, 16)]


def test_it_converges_on_a_separable_set_and_then_stops_changing():
    trace = run(load_problem(spec()))
    W, b = np.asarray(trace.values["final.W1"], dtype=float), np.asarray(trace.values["final.b1"], dtype=float)
    for x, y in AND:  # the final weights separate AND
        assert (1 if (W @ np.array(x, float) + b)[0] >= -1e-12 else 0) == y
    assert [trace.values[f"iter{t}.error"][0] for t in range(13, 17)] == [0, 0, 0, 0]


@given(st.lists(st.integers(-3, 3), min_size=3, max_size=3), st.integers(1, 3))
def test_sign_perceptron_converges_on_separable_data(true_w, scale):
    """Points labelled by a separating line with margin: the rule stops making errors (Novikoff)."""
    grid = [(x1, x2) for x1 in range(-2, 3) for x2 in range(-2, 3)]
    data = []
    for x1, x2 in grid:
        s = true_w[0] * x1 + true_w[1] * x2 + true_w[2]
        if abs(s) >= 1:
            data.append({"x": [x1, x2], "y": [1 if s > 0 else -1]})
    if len(data) < 2:
        return
    problem = load_problem(spec(activation="sign", data=data, params={"W1": [[0, 0]], "b1": [0]},
                                learning_rate=1.0 / scale, iterations=len(data) * 60))
    trace = run(problem)
    last_epoch = [trace.values[f"iter{t}.error"][0] for t in range(problem.iterations - len(data) + 1, problem.iterations + 1)]
    assert all(e == 0 for e in last_epoch)


def test_sign_uses_minus_one():
    data = [([1, 0], 1), ([0, 1], -1)]
    trace = run(load_problem(spec(activation="sign", data=[{"x": x, "y": [y]} for x, y in data], iterations=4)))
    expect = by_hand([0.3, 0.1], 0.2, data, 0.2, 4, low=-1)
    assert [trace.values[f"iter{t}.yhat"][0] for t in range(1, 5)] == [yh for _, yh, _, _, _ in expect]
    assert [trace.values[f"iter{t}.error"][0] for t in range(1, 5)] == [e for _, _, e, _, _ in expect]


def test_several_outputs_and_a_frozen_bias():
    s = spec(layers=[2, 2], params={"W1": [[0.3, 0.1], [-0.2, 0.4]], "b1": [0.2, -0.1]},
             data=[{"x": x, "y": [y, 1 - y]} for x, y in AND], frozen=["b1"], iterations=4)
    trace = run(load_problem(s))
    for t in range(1, 5):
        np.testing.assert_array_equal(trace.values[f"iter{t}.new.b1"], [0.2, -0.1])
    x, y = AND[1]
    a = np.array([[0.3, 0.1], [-0.2, 0.4]]) @ np.array(x, float) + [0.2, -0.1]  # iteration 2 starts from iteration 1's W
    assert trace.values["iter1.error"].tolist() == [-1.0, 1.0]  # a = b = [0.2, -0.1]: yhat [1, 0], y [0, 1]
    assert a.shape == (2,)


def test_paths_hook_and_kind():
    problem = load_problem(spec())
    assert kind_of(problem).name == "perceptron"
    assert kind_of(problem).hook("paths")(problem) == list(run(problem).values)


def test_rule_backprop_is_a_plain_network():
    s = spec(rule="backprop", activation="sigmoid", loss="bce")
    problem = load_problem(s)
    assert kind_of(problem).name == "network"


def test_with_overrides_keeps_a_perceptron():
    problem = load_problem(spec()).with_overrides(iterations=3, notation="node")
    assert kind_of(problem).name == "perceptron" and problem.iterations == 3


# -- errors ----------------------------------------------------------------------------------


def _error(s) -> str:
    with pytest.raises(SpecError) as err:
        load_problem(s)
    return str(err.value)


@pytest.mark.parametrize("over, message", [
    ({"rule": "hebb"}, "rule: unknown value 'hebb'; expected one of: backprop, perceptron"),
    ({"layers": [2, 2, 1]}, "layers: the perceptron rule trains a single layer: expected [n, k] (inputs, outputs), got [2, 2, 1]"),
    ({"activation": "sigmoid"}, "activation: the perceptron rule takes a threshold output: expected one of: step, sign, got the text 'sigmoid'"),
    ({"activation": ["step", "step"]}, "activation: expected one name for the single layer, got a list of 2"),
    ({"loss": "mse"}, "loss: the perceptron rule follows no loss (its update is eta (y - yhat) x); leave loss out"),
    ({"mode": "gd"}, "mode: the perceptron rule updates after each example: expected sgd, got the text 'gd'"),
    ({"l2": 0.1}, "l2: the perceptron rule has no loss to regularize; leave l2 out"),
    ({"data": [{"x": [0, 1], "y": [0.5]}]}, "data[0].y: a step output takes labels 0 or 1, got [0.5]"),
    ({"activation": "sign"}, "data[0].y: a sign output takes labels -1 or 1, got [0]"),
    ({"params": {"W1": [[0.3, 0.1, 0.2]], "b1": [0.2]}}, "params.W1: expected shape 1x2 (layers [2, 1]), got 1x3"),
])
def test_bad_perceptron_specs(over, message):
    assert _error(spec(**over)) == message


def test_step_and_sign_without_the_perceptron_rule_are_refused():
    s = spec(loss="mse")
    del s["rule"]
    assert _error(s) == "activation: step and sign have no gradient; they go with rule: perceptron (a single layer, no loss)"
    s = spec(rule="backprop", loss="mse", activation="sign")
    assert _error(s).startswith("activation: step and sign have no gradient")


# -- grading and homework ----------------------------------------------------------------------


def _verdicts(checker, text: str) -> dict[str, str]:
    return {i.key: i.status for i in checker.check_sheet(parse_answers(text), "sheet.yaml").items}


def test_check_grades_a_perceptron_with_follow_through():
    checker = Checker(load_problem(spec(iterations=2)))
    # iteration 1: a = 0.2, yhat = 1, e = -1, new b = 0. A student who slips to e = +1
    # and carries it on gets follow-through for the update, not a second wrong.
    got = _verdicts(checker, "iter1.a1: 0.2\niter1.yhat: 1\niter1.error: 1\niter1.new.b1: 0.4\n"
                             "iter1.new.W1: [[0.3, 0.1]]\n")
    assert got["iter1.a1"] == "correct" and got["iter1.yhat"] == "correct"
    assert got["iter1.error"] == "wrong"
    assert got["iter1.new.b1"] == "follow-through"
    # x = (0, 0): the weights do not move either way
    assert [v for k, v in got.items() if k.startswith("iter1.new.W1")] == ["correct", "correct"]
    got = _verdicts(checker, "iter1.error: -1\niter1.new.b1: 0\niter2.a1: 0.1\niter2.yhat: 1\n")
    assert set(got.values()) == {"correct"}


@pytest.mark.parametrize("act, labels", [("step", {0.0, 1.0}), ("sign", {-1.0, 1.0})])
def test_randomize_draws_labels_the_threshold_accepts(act, labels):
    data = [{"x": x, "y": [y if act == "step" else 2 * y - 1]} for x, y in AND]
    problem = load_problem({**spec(activation=act, data=data), "randomize": {"data": {"x": True, "y": "labels"}}})
    for seed in range(5):
        drawn = load_problem(draw(plan_for(problem), problem, np.random.default_rng(seed)))
        assert {float(e.y[0]) for e in drawn.data} <= labels
        assert kind_of(drawn).name == "perceptron"


def test_the_shipped_pair_share_data_and_start():
    a, b = load_problem(example_path("perceptron-and")), load_problem(example_path("perceptron-and-backprop"))
    assert kind_of(a).name == "perceptron" and kind_of(b).name == "network"
    assert [e.x.tolist() for e in a.data] == [e.x.tolist() for e in b.data]
    assert [e.y.tolist() for e in a.data] == [e.y.tolist() for e in b.data]
    for name in ("W1", "b1"):
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert (a.learning_rate, a.iterations) == (b.learning_rate, b.iterations)


def test_by_hand_sig_figs_round_to_figures_and_say_so():
    """sig_figs in by-hand arithmetic rounds every intermediate to N significant figures (not
    `decimals` places), and the handout says so."""
    from tracer.present.view import build_view  # noqa: PLC0415  (present, over this engine's trace)
    from tracer.present.render import render_view  # noqa: PLC0415

    raw = spec(params={"W1": [[0.31234, 0.1]], "b1": [0.2]}, learning_rate=0.123, sig_figs=2, iterations=2,
               arithmetic="by-hand")
    del raw["decimals"]
    problem = load_problem(raw)
    trace = run(problem)
    assert np.ravel(trace.value("iter2.W1")).tolist() == [0.31, 0.1]  # 0.31234 at 2 figures
    assert np.ravel(trace.value("iter2.b1")).tolist() == [0.077]  # 0.2 - 0.123 at 2 figures, not 0.08
    assert np.ravel(trace.value("iter2.a1")).tolist() == [0.18]  # 0.1 + 0.077
    text = render_view(build_view(trace), "markdown")
    assert "rounded to 2 significant figures" in text and "decimal places" not in text
