"""The small-network float path (tracer/engine/network_small.py) against the general path, bit for
bit: random networks run both ways in this tree, every recorded number compared by its bytes,
types, shapes and order, the divergence and the rounded set too (tests/tools/frozen_engine.py's digest).
Specs lean on what could tell the two apart: saturated units, sums that cancel on a grid of 0.1,
zeros, diverging learning rates (inf and nan), several examples per batch, l2, frozen parameters."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.engine import network, network_small
from tracer.problem.spec import load_problem

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import frozen_engine as fe  # noqa: E402


def _general(problem):
    """network.run with the small path turned off."""
    applies = network_small.applies
    network_small.applies = lambda *_: False
    try:
        return network.run(problem)
    finally:
        network_small.applies = applies


def both(spec):
    problem = load_problem(spec)
    assert network_small.applies(problem, "float")
    return network.run(problem), _general(problem)


def same(spec):
    small, general = both(spec)
    assert list(small.values) == list(general.values) and list(small.aux) == list(general.aux)
    for store in ("values", "aux"):
        for path, value in getattr(general, store).items():
            got = getattr(small, store)[path]
            assert type(got) is type(value) and np.shape(got) == np.shape(value), (store, path)
            assert np.asarray(got).tobytes() == np.asarray(value).tobytes(), (store, path, got, value)
    assert fe.trace_digest(small) == fe.trace_digest(general)
    return small


NUMBER = st.one_of(
    st.sampled_from([0.0, -0.0, 0.1, 0.2, 0.3, -0.3, 0.7, 1.0, -1.0, 40.0, -40.0, 1000.0, -1000.0, 1e-300]),
    st.integers(-10, 10).map(lambda k: k / 10),
    st.floats(-5, 5, allow_nan=False, allow_subnormal=False),
)


@st.composite
def small_specs(draw):
    depth = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, network_small.MAX_UNITS)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(network_small.LOSSES))
    out = "sigmoid" if loss == "bce" else draw(st.sampled_from(network_small.ACTIVATIONS))
    acts = [draw(st.sampled_from(network_small.ACTIVATIONS)) for _ in range(depth - 1)] + [out]
    params = {}
    for l in range(1, depth + 1):
        params[f"W{l}"] = [[draw(NUMBER) for _ in range(sizes[l - 1])] for _ in range(sizes[l])]
        params[f"b{l}"] = [draw(NUMBER) for _ in range(sizes[l])]
    label = st.sampled_from([0.0, 1.0, 0.5, 0.25]) if loss == "bce" else NUMBER
    n = draw(st.integers(1, 3))
    spec = {"layers": sizes, "activation": acts, "loss": loss, "params": params,
            "data": [{"x": [draw(NUMBER) for _ in range(sizes[0])], "y": [draw(label) for _ in range(sizes[-1])]}
                     for _ in range(n)],
            "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0, 10.0, 1e200])),
            "iterations": draw(st.integers(1, 3)), "mode": draw(st.sampled_from(["sgd", "gd", "minibatch"])),
            "l2": draw(st.sampled_from([0.0, 0.0, 0.01, 0.5])),
            "frozen": draw(st.lists(st.sampled_from(list(params)), unique=True, max_size=2)),
            "batch_loss": draw(st.sampled_from(["mean", "sum"])),
            "show": draw(st.lists(st.sampled_from(["grad.x", "loss_terms"] + (["error"] if loss != "bce" else [])),
                                  unique=True))}
    if spec["mode"] == "minibatch":
        spec["batch_size"] = draw(st.integers(1, n))
    if loss in ("mse", "sse"):
        spec["loss_half"] = draw(st.booleans())
    return spec


@settings(max_examples=max(25, settings().max_examples))
@given(small_specs())
def test_the_small_path_records_the_general_paths_bits(spec):
    same(spec)


def test_a_cancellation_too_close_to_call_asks_blas_for_the_terms():
    """|v| far under or over 1e-12 t is decided in Python; at 1e-12 t itself, within the bound of
    how far BLAS's t can lie from Python's, the decision is made with BLAS's t (exact_terms)."""
    calls = []

    def exact_terms():
        calls.append(1)
        return np.array([2.0])

    decide = network_small._cancel_matvec
    assert decide([1e-15], [[1.0]], [2.0], None, exact_terms) == [0.0] and not calls
    assert decide([2.1e-12], [[1.0]], [2.0], None, exact_terms) == [2.1e-12] and not calls
    assert decide([-2e-12], [[1.0]], [2.0], None, exact_terms) == [-0.0] and calls == [1]
    assert decide([1.0], [[1.0]], [1e-260], None, exact_terms) == [1.0] and calls == [1, 1]  # t subnormal-ish
    assert decide([math.nan], [[1.0]], [2.0], None, exact_terms)[0] != 0 and calls == [1, 1]  # nan: never noise
    spec = {"layers": [2, 1, 1], "activation": ["relu", "sigmoid"], "loss": "bce",
            "params": {"W1": [[0.1, 0.2]], "b1": [-0.3], "W2": [[40]], "b2": [0]},
            "data": [{"x": [1, 1], "y": [1]}], "learning_rate": 0.5, "iterations": 2}
    assert same(spec).values["iter1.a1"].tolist() == [0.0]  # 0.1 + 0.2 - 0.3, cancelled


@pytest.mark.parametrize("a, b", [(1.0, 0.0), (-1.0, 0.0), (1.0, -0.0), (0.0, 0.0), (math.nan, 0.0), (math.inf, 0.0),
                                  (3.0, 2.0), (-0.0, -0.0)])
def test_div_is_numpys_division(a, b):
    with np.errstate(all="ignore"):
        want = np.float64(a) / np.float64(b)
    assert np.float64(network_small._div(a, b)).tobytes() == want.tobytes()


@pytest.mark.parametrize("extra", [{"mode": "sgd"}, {"mode": "gd", "l2": 0.01, "frozen": ["b1"], "show": ["grad.x"]},
                                   {"loss": "mse", "activation": ["tanh", "linear"], "frozen": ["W2"], "show": ["error"]}])
def test_every_array_recorded_is_read_only_and_so_is_the_array_under_it(extra):
    """The small path records an iteration's values as views of one array (IterationValues), the
    general path as arrays of their own or views of one (the update): neither can be changed in
    place, nor through `.base`."""
    spec = {"layers": [2, 2, 1], "activation": ["sigmoid", "sigmoid"], "loss": "bce",
            "params": {"W1": [[0.1, -0.2], [0.4, 0.3]], "b1": [0.0, 0.1], "W2": [[0.5, -0.6]], "b2": [0.2]},
            "data": [{"x": [1.0, 0.5], "y": [1.0]}, {"x": [-1.0, 2.0], "y": [0.0]}],
            "learning_rate": 0.5, "iterations": 3, **extra}
    small, general = both(spec)
    for trace in (small, general):
        arrays = [(path, v) for store in (trace.values, trace.aux) for path, v in store.items() if isinstance(v, np.ndarray)]
        assert len(arrays) > 30
        for path, value in arrays:
            assert not value.flags.writeable, path
            assert value.base is None or not value.base.flags.writeable, path
        with pytest.raises(ValueError):
            trace.values[next(path for path in trace.values if path.endswith(".a1"))][0] = 1.0
    # the next iteration starts from the very arrays the update recorded
    assert small.values["iter2.W1"] is small.values["iter1.new.W1"]
    same(spec)


def test_blas_gives_a_view_at_any_offset_the_bits_of_an_array_of_its_own():
    """The small path's parameters are views of an iteration's array, at any offset (IterationValues);
    the general path's matmuls see arrays of their own or views of the update's vector. W @ h and
    W^T d must not depend on where the operands lie: every offset mod 64 bytes, every shape up to
    MAX_UNITS, numbers of mixed magnitudes (where BLAS's fused multiply-adds show)."""
    rng = np.random.default_rng(14)
    store = np.empty(256)
    for _ in range(60):
        m, n = (int(k) for k in rng.integers(1, network_small.MAX_UNITS + 1, 2))
        W = rng.standard_normal((m, n)) * 10.0 ** rng.integers(-3, 4, (m, n))
        h, d = rng.standard_normal(n), rng.standard_normal(m)
        want = (W @ h).tobytes(), (W.T @ d).tobytes(), (np.abs(W) @ np.abs(h)).tobytes()
        for offset in range(8):
            Wv = store[offset : offset + m * n]
            Wv[...] = W.ravel()
            hv, dv = store[100 + offset : 100 + offset + n], store[180 + offset : 180 + offset + m]
            hv[...], dv[...] = h, d
            Wv = Wv.reshape(m, n)
            assert ((Wv @ hv).tobytes(), (Wv.T @ dv).tobytes(), (np.abs(Wv) @ np.abs(hv)).tobytes()) == want, (m, n, offset)
