"""Engine fast paths, the same numbers bit for bit as the formulas they replaced (kept here): one
exponential per sigmoid evaluation (was sigmoid(a) * sigmoid(-a), and h, 1 - h, g'(a), dL/dyhat
each from a), no L2 work when l2 = 0, and the divergence scan reading only its iteration."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracer.engine import functions as F
from tracer.engine import run
from tracer.problem.spec import load_problem


def _old_sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _old_prime(a):
    return _old_sigmoid(a) * _old_sigmoid(-a)


def _bits(x) -> bytes:
    return np.asarray(x, dtype=np.float64).tobytes()


FLOATS = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6), elements=FLOATS))
def test_sigmoid_pair_and_derivative_are_the_old_numbers(a):
    with np.errstate(all="ignore"):
        h, comp = F._sigmoid_pair(a)
        assert _bits(h) == _bits(_old_sigmoid(a)) and _bits(comp) == _bits(_old_sigmoid(-a))
        assert _bits(F.ACTIVATIONS["sigmoid"][1](a)) == _bits(_old_prime(a))
        assert _bits(F.ACTIVATIONS["sigmoid"][0](a)) == _bits(_old_sigmoid(a))


@st.composite
def sigmoid_nets(draw):
    depth = draw(st.integers(1, 3))
    layers = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    acts = [draw(st.sampled_from(["sigmoid", "sigmoid", "tanh", "relu"])) for _ in range(depth - 1)] + ["sigmoid"]
    num = st.floats(-6, 6, allow_nan=False).map(lambda v: round(v, 2))
    return {
        "title": "sigmoid net", "layers": layers, "activation": acts,
        "loss": draw(st.sampled_from(["bce", "mse", "sse"])),
        "init": {"seed": draw(st.integers(0, 10_000)), "low": -4, "high": 4},
        "data": [{"x": [draw(num) for _ in range(layers[0])], "y": [draw(st.integers(0, 1)) for _ in range(layers[-1])]}
                 for _ in range(draw(st.integers(1, 3)))],
        "learning_rate": 0.5, "iterations": 2, "mode": draw(st.sampled_from(["sgd", "gd"])),
        "l2": draw(st.sampled_from([0, 0, 0.01])),
    }


@given(sigmoid_nets())
def test_engine_sigmoid_values_are_the_old_formulas_bitwise(spec):
    problem = load_problem(spec)
    t = run(problem)
    scale = F.loss_scale(problem.loss, problem.loss_half)
    L = problem.depth
    checked = 0
    with np.errstate(all="ignore"):
        for it in t.iterations:
            for n in range(1, len(it.examples) + 1):
                e = it.example_prefix(n)
                for l, act in enumerate(problem.activations, start=1):
                    if act != "sigmoid" or f"{e}a{l}" not in t.values:
                        continue
                    a = t.values[f"{e}a{l}"]
                    assert _bits(t.values[f"{e}h{l}"]) == _bits(_old_sigmoid(a))
                    assert _bits(t.aux[f"{e}comp{l}"]) == _bits(_old_sigmoid(-a))
                    assert _bits(t.values[f"{e}gprime{l}"]) == _bits(_old_prime(a))
                    checked += 1
                if problem.loss == "bce" and f"{e}dL_dyhat" in t.values:
                    y, yhat, a = t.values[e + "y"], t.values[e + "yhat"], t.values[f"{e}a{L}"]
                    old = scale * (-F._safe_div(y, yhat) + F._safe_div(1 - y, _old_sigmoid(-a)))
                    assert _bits(t.values[e + "dL_dyhat"]) == _bits(old)
    assert checked > 0 or t.diverged
    # l2 = 0: no L2 term anywhere; l2 set: the squared weights the handout shows
    has_l2 = any(k.endswith("sq_weights") for k in t.aux)
    assert has_l2 == bool(problem.l2)


@given(sigmoid_nets(), st.sampled_from([1e3, 1e30, 1e308]), st.integers(1, 4))
def test_divergence_names_the_first_non_finite_value_of_its_iteration(spec, lr, iterations):
    """The scan for a non-finite value reads the iteration's values from the end of the record
    (linear in the iterations); it must find what a scan in record order finds."""
    t = run(load_problem({**spec, "learning_rate": lr, "iterations": iterations}))
    if t.diverged is None:
        # every iteration's values finite (final.* come after the loop and are not scanned)
        assert all(np.all(np.isfinite(v)) for k, v in t.values.items() if k.startswith("iter"))
        return
    prefix = f"iter{t.diverged[0]}."
    first = next(k for k, v in t.values.items() if k.startswith(prefix) and not np.all(np.isfinite(v)))
    assert t.diverged[1] == first
    assert [it.t for it in t.iterations] == list(range(1, t.diverged[0] + 1))
