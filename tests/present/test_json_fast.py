"""The JSON fast path (one `tolist()` per array) writes byte for byte what the number-by-number
export wrote: on every example in each arithmetic mode, a large random net, and random arrays."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracer.engine import run
from tracer.present import export_json as J
from tracer.problem.examples import example_path, list_examples
from tracer.problem.spec import load_problem


def _old_plain(value):
    """export_json._plain and _dumps as they were before the fast path, number by number."""
    if isinstance(value, np.ndarray):
        return [_old_plain(v) for v in value]
    if not isinstance(value, (float, int, np.floating, np.integer)):
        if math.isfinite(float(value)):
            return J._Digits(value)
    value = float(value)
    if math.isfinite(value):
        return value + 0.0
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _old_dumps(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_old_dumps(v) for v in value) + "]"
    if isinstance(value, J._Digits):
        return value.text
    return json.dumps(value, allow_nan=False)


def _old_to_json(trace) -> str:
    spec = J.spec_dict(trace)
    lines = [f" {json.dumps(k)}: {_old_dumps(_old_plain(v))}" for k, v in trace.values.items()]
    diverged = ""
    if trace.diverged is not None:
        diverged = ',\n"diverged": ' + json.dumps({"iteration": trace.diverged[0], "path": trace.diverged[1]})
    return '{"spec": ' + json.dumps(spec, allow_nan=False) + diverged + ',\n"values": {\n' + ",\n".join(lines) + "\n}}\n"


def _spec(name: str, arithmetic: str) -> dict:
    spec = yaml.safe_load(example_path(name).read_text())
    if "graph" not in spec and "rule" not in spec:
        spec["arithmetic"] = arithmetic
    return spec


@pytest.mark.parametrize("arithmetic", ["float", "by-hand", "exact"])
@pytest.mark.parametrize("name", [e if isinstance(e, str) else e[0] for e in list_examples()])
def test_every_example_exports_as_before(name, arithmetic):
    t = run(load_problem(_spec(name, arithmetic)))
    assert J.to_json(t) == _old_to_json(t)


def test_a_large_random_net_exports_as_before():
    spec = {"title": "16-64-64-64-10", "layers": [16, 64, 64, 64, 10],
            "activation": ["tanh", "relu", "sigmoid", "softmax"], "loss": "ce",
            "init": {"seed": 3, "low": -0.5, "high": 0.5},
            "data": [{"x": list(np.linspace(-1, 1, 16)), "y": [0] * 9 + [1]}],
            "learning_rate": 0.1, "iterations": 5, "mode": "sgd"}
    t = run(load_problem(spec))
    assert J.to_json(t) == _old_to_json(t)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=5),
                  elements=st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)))
def test_any_float_array_is_written_as_before(arr):
    assert J._text(arr) == _old_dumps(_old_plain(arr))
