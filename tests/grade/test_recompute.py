"""The local formulas behind follow-through, and the carried-rounding bounds behind the tolerance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.api import trace
from tracer.engine import run
from tracer.grade.recompute import COPY, FORMULA, GIVEN, build_rules, rounding_bounds
from tracer.problem.examples import examples_dir
from tracer.problem.kinds import kind_of
from tracer.problem.spec import load_problem

EXAMPLES = sorted(p for p in examples_dir().iterdir() if p.suffix in (".yaml", ".yml", ".json"))


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.stem for p in EXAMPLES])
def traced(request):
    t = trace(request.param)
    return t, kind_of(t).hook("rules")(t)  # the kind's rules: network, perceptron or graph


def test_a_rule_for_every_path_in_computation_order(traced):
    t, rules = traced
    assert list(rules) == list(t.values)
    position = {p: n for n, p in enumerate(t.values)}
    for path, rule in rules.items():
        assert all(position[i] < position[path] for i in rule.inputs), path  # inputs come first


def test_every_route_reproduces_the_engine(traced):
    t, rules = traced
    for path, rule in rules.items():
        inputs = [t.values[i] for i in rule.inputs]
        if rule.kind == GIVEN:
            continue
        routes = [lambda *v: v[0]] if rule.kind == COPY else rule.formulas
        for f in routes:
            with np.errstate(all="ignore"):
                got = np.asarray(f(*inputs), dtype=np.float64)
            np.testing.assert_allclose(np.broadcast_to(got, np.shape(t.values[path])), t.values[path],
                                       rtol=1e-12, atol=1e-14, err_msg=path)


def _fd_bound(f, values, bounds, shape):
    """sum_i |d f / d x_i| * bound_i by central differences: an oracle for Rule.carry."""
    total = np.zeros(shape)
    for k, (v, c) in enumerate(zip(values, bounds)):
        v = np.asarray(v, dtype=np.float64)
        for j in np.ndindex(v.shape):
            if not np.asarray(c)[j]:
                continue
            step = 1e-6 * max(1.0, abs(v[j]))
            up, down = [np.array(x, dtype=np.float64) for x in values], [np.array(x, dtype=np.float64) for x in values]
            up[k][j] += step
            down[k][j] -= step
            total = total + np.abs((np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * step)) * np.asarray(c)[j]
    return total


def test_carry_is_the_first_order_bound_of_each_formula(traced):
    t, rules = traced
    rng = np.random.default_rng(0)
    for path, rule in rules.items():
        if rule.kind != FORMULA:
            continue
        values = [t.values[i] for i in rule.inputs]
        # given inputs (x, y, iteration 1's parameters) are exact: no bound
        bounds = [np.zeros(np.shape(v)) if rules[i].kind == GIVEN else rng.uniform(0.5, 3.0, np.shape(v))
                  for i, v in zip(rule.inputs, values)]
        shape = np.shape(t.values[path])
        with np.errstate(all="ignore"):
            oracle = np.max([_fd_bound(f, values, bounds, shape) for f in rule.formulas], axis=0)
            got = np.broadcast_to(rule.carry(values, bounds), shape)
        smooth = np.ones(shape, dtype=bool)
        if "gprime" in path:  # relu's g' jumps at h = 0: no derivative for the oracle to find
            smooth = np.abs(values[0]) > 1e-5
        if t.problem.kind == "perceptron" and path.endswith(".h1"):  # so does the threshold at a = 0
            smooth = np.abs(np.asarray(values[0], dtype=float)) > 1e-5
        np.testing.assert_allclose(got[smooth], oracle[smooth], rtol=1e-4, atol=1e-7, err_msg=path)


def test_bounds_of_the_lecture_example_by_hand():
    t = trace(EXAMPLES[[p.stem for p in EXAMPLES].index("lecture-2-2-1")])
    b = rounding_bounds(t, build_rules(t), list(t.values))
    a1 = np.array([1.2, 1.8])
    s = 1 / (1 + np.exp(-a1))
    assert b["iter1.x"].tolist() == [0, 0] and b["iter1.W1"].tolist() == [[0, 0], [0, 0]]
    np.testing.assert_allclose(b["iter1.a1"], [0.5, 0.5])  # exact inputs: its own rounding only
    np.testing.assert_allclose(b["iter1.h1"], 0.5 + s * (1 - s) * 0.5)
    np.testing.assert_allclose(b["iter1.a2"], 0.5 + 0.7 * b["iter1.h1"][0] + 0.8 * b["iter1.h1"][1])
    np.testing.assert_array_equal(b["iter1.yhat"], b["iter1.h2"])  # a copy rounds nothing new
    np.testing.assert_array_equal(b["iter2.W1"], b["iter1.new.W1"])
    np.testing.assert_allclose(b["iter1.new.b2"], 0.5 + 0 + 0.5 * b["iter1.grad.b2"])


@settings(max_examples=25, deadline=None)
@given(
    layers=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    hidden=st.sampled_from(["sigmoid", "tanh", "relu", "linear"]),
    out=st.sampled_from([("sigmoid", "bce"), ("sigmoid", "mse"), ("tanh", "sse"), ("linear", "mae"), ("sigmoid", "ce")]),
    mode=st.sampled_from(["sgd", "gd"]), l2=st.sampled_from([0.0, 0.1]), seed=st.integers(0, 10_000),
)
def test_random_networks_routes_and_bounds(layers, hidden, out, mode, l2, seed):
    out_act, loss = out
    if loss == "ce" and layers[-1] == 1:
        y = [[1.0], [1.0]]
    else:
        y = [[float(v) for v in np.random.default_rng(seed).integers(0, 2, layers[-1])] for _ in range(2)]
        if loss == "ce":
            y = [[1.0] + [0.0] * (layers[-1] - 1)] * 2
    spec = {
        "layers": layers, "activation": [hidden] * (len(layers) - 2) + [out_act], "loss": loss,
        "init": {"seed": seed, "decimals": 1}, "learning_rate": 0.3, "iterations": 2, "mode": mode, "l2": l2,
        "data": [{"x": [0.5] * layers[0], "y": y[0]}, {"x": [-1.0] * layers[0], "y": y[1]}],
    }
    t = run(load_problem(spec))
    rules = build_rules(t)
    assert list(rules) == list(t.values)
    for path, rule in rules.items():
        if rule.kind == FORMULA:
            with np.errstate(all="ignore"):
                got = np.asarray(rule.formulas[0](*[t.values[i] for i in rule.inputs]))
            np.testing.assert_allclose(np.broadcast_to(got, np.shape(t.values[path])), t.values[path],
                                       rtol=1e-10, atol=1e-12, err_msg=path)
    bounds = rounding_bounds(t, rules, list(t.values))
    assert all(np.all(np.isfinite(b)) and np.all(b >= 0) for b in bounds.values())
