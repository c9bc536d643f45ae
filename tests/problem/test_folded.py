"""Biases folded into the weights in `params:` (tracer/problem/folded.py).

A spec written in a profile's own layout (in-out, the bias as a row of W) must be the
same problem as the canonical spec: same Problem parameters, same trace, same JSON.
The folded matrices here are built by hand from the canonical ones (transpose, then
add the bias row where the profile puts it), not by the code under test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer.api import trace as api_trace
from tracer.errors import SpecError
from tracer.homework.randomize import draw, plan_for
from tracer.present.export_json import spec_dict
from tracer.problem.notation import BUILTIN
from tracer.problem.spec import load_problem

BIAS_ROW_PROFILES = [name for name, p in BUILTIN.items() if p.bias_mode != "separate"]
SEPARATE_PROFILES = [name for name, p in BUILTIN.items() if p.bias_mode == "separate"]


def fold(W: list, b: list, mode: str) -> list:
    """W (n_out x n_in) and b by hand into the (n_in + 1) x n_out matrix of the profile."""
    n_out, n_in = len(W), len(W[0])
    rows = [[W[j][i] for j in range(n_out)] for i in range(n_in)]
    return [list(b)] + rows if mode == "first" else rows + [list(b)]


def base_spec(layers, params, notation="default") -> dict:
    return {
        "layers": list(layers), "activation": "sigmoid", "loss": "mse", "params": params,
        "data": [{"x": [0.5] * layers[0], "y": [0.25] * layers[-1]}, {"x": [1.0] * layers[0], "y": [0.75] * layers[-1]}],
        "learning_rate": 0.5, "iterations": 2, "decimals": 4, "notation": notation,
    }


def test_profiles_with_a_bias_row_are_the_ones_expected():
    assert set(BIAS_ROW_PROFILES) >= {"layered", "node"}


def test_a_folded_lecture_network_in_layered_is_the_canonical_one():
    canonical = {"W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6], "W2": [[0.7, 0.8]], "b2": [0.9]}
    folded = {"W1": [[0.1, 0.2], [0.4, 0.5], [0.3, 0.6]], "W2": [[0.7], [0.8], [0.9]]}
    a = load_problem(base_spec([2, 2, 1], canonical, "layered"))
    b = load_problem(base_spec([2, 2, 1], folded, "layered"))
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    node = {"W1": [[0.3, 0.6], [0.1, 0.2], [0.4, 0.5]], "W2": [[0.9], [0.7], [0.8]]}
    c = load_problem(base_spec([2, 2, 1], node, "node"))
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], c.params[name])


@st.composite
def networks(draw_):
    layers = draw_(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    value = st.integers(-9, 9).map(lambda k: k / 10)
    params = {}
    for l in range(1, len(layers)):
        params[f"W{l}"] = [[draw_(value) for _ in range(layers[l - 1])] for _ in range(layers[l])]
        params[f"b{l}"] = [draw_(value) for _ in range(layers[l])]
    return layers, params


@pytest.mark.parametrize("profile", BIAS_ROW_PROFILES)
@given(net=networks(), data=st.data())
def test_folded_specs_trace_the_same_as_canonical_ones(profile, net, data):
    layers, params = net
    mode = BUILTIN[profile].bias_mode
    # fold some layers and leave the others canonical: the choice is per layer
    folded = {}
    for l in range(1, len(layers)):
        if data.draw(st.booleans(), label=f"fold layer {l}"):
            folded[f"W{l}"] = fold(params[f"W{l}"], params[f"b{l}"], mode)
        else:
            folded[f"W{l}"], folded[f"b{l}"] = params[f"W{l}"], params[f"b{l}"]
    want = api_trace(base_spec(layers, params, profile))
    got = api_trace(base_spec(layers, folded, profile))
    assert list(got.values) == list(want.values)
    for path, value in want.values.items():
        np.testing.assert_array_equal(np.asarray(got.values[path]), np.asarray(value), err_msg=path)
    # the JSON keeps the canonical separate W{l}, b{l}
    assert spec_dict(got)["params"] == json.loads(json.dumps(params))


def test_randomize_draws_canonical_params_that_parse_again():
    folded = {"W1": [[0.1, 0.2], [0.4, 0.5], [0.3, 0.6]], "W2": [[0.7], [0.8], [0.9]]}
    problem = load_problem({**base_spec([2, 2, 1], folded, "layered"), "randomize": {"params": "all"}})
    spec = draw(plan_for(problem), problem, np.random.default_rng(3))
    again = load_problem(spec)
    assert set(again.params) == {"W1", "b1", "W2", "b2"}
    assert again.params["W1"].shape == (2, 2) and again.params["W2"].shape == (1, 2)


def _error(spec) -> str:
    with pytest.raises(SpecError) as err:
        load_problem(spec)
    return str(err.value)


def test_a_folded_w_with_the_wrong_shape_names_the_expected_one():
    folded = {"W1": [[0.1, 0.2], [0.4, 0.5], [0.3, 0.6]], "W2": [[0.7], [0.8]]}
    assert _error(base_spec([2, 2, 1], folded, "layered")) == (
        "params.W2: expected shape 3x1 (layered: in-out with the bias as the last row), got 2x1")
    assert _error(base_spec([2, 2, 1], folded, "node")) == (
        "params.W2: expected shape 3x1 (node: in-out with the bias as the first row (the bias node x_0 = 1)), got 2x1")


def test_a_bias_beside_a_folded_w_is_refused():
    folded = {"W1": [[0.1, 0.2], [0.4, 0.5], [0.3, 0.6]], "b1": [0.3, 0.6], "W2": [[0.7], [0.8], [0.9]]}
    assert _error(base_spec([2, 2, 1], folded, "layered")) == (
        "params.b1: the biases of layer 1 are already the bias row of params.W1 "
        "(layered: in-out with the bias as the last row); remove b1, or give W1 as 2x2")


@pytest.mark.parametrize("profile", SEPARATE_PROFILES)
def test_a_folded_bias_in_a_profile_without_a_bias_row_is_refused(profile):
    folded = {"W1": [[0.1, 0.2], [0.4, 0.5], [0.3, 0.6]], "W2": [[0.7], [0.8], [0.9]]}
    assert _error(base_spec([2, 2, 1], folded, profile)) == (
        f"params.W1: shape 3x2 carries a bias row, but notation {profile} keeps biases separate; "
        "give W1 as 2x2 and b1, or use a profile with a bias row (layered, node)")


def test_an_inline_profile_with_a_bias_row_takes_folded_params():
    folded = {"W1": [[0.3, 0.6], [0.1, 0.2], [0.4, 0.5]], "W2": [[0.9], [0.7], [0.8]]}
    problem = load_problem(base_spec([2, 2, 1], folded, {"base": "default", "bias": "first", "name": "mine"}))
    np.testing.assert_array_equal(problem.params["W1"], [[0.1, 0.4], [0.2, 0.5]])
    np.testing.assert_array_equal(problem.params["b2"], [0.9])


def test_a_bad_number_in_a_folded_w_is_named_where_it_is_written():
    folded = {"W1": [[0.1, 0.2], [0.4, True], [0.3, 0.6]], "W2": [[0.7], [0.8], [0.9]]}
    assert _error(base_spec([2, 2, 1], folded, "layered")).startswith("params.W1[1][1]: expected a number")
