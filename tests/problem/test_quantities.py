"""The quantity reference: generated from the code's list, and the list matches the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer.engine import run
from tracer.problem.examples import examples_dir
from tracer.problem.kinds import kind_of
from tracer.problem.quantities import QUANTITIES, describe_path, quantities_markdown
from tracer.problem.spec import load_problem

DOCS = Path(__file__).resolve().parents[2] / "docs" / "quantities.md"
EXAMPLES = sorted(examples_dir().glob("*.yaml"))


def test_docs_quantities_is_generated_from_the_code():
    assert DOCS.read_text(encoding="utf-8") == quantities_markdown(), (
        "docs/quantities.md is stale: python -m tracer.problem.quantities > docs/quantities.md")


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_paths_hook_predicts_what_the_engine_records(path):
    problem = load_problem(path)
    trace = run(problem)
    assert kind_of(problem).hook("paths")(problem) == list(trace.values)


def test_every_row_is_used_and_every_path_has_exactly_one_row():
    used = set()
    problems = [load_problem(p) for p in EXAMPLES]
    # minibatch with a short last batch, and a softmax output (no gprime of the output layer)
    spec = load_problem(examples_dir() / "xor-gd.yaml").source
    problems.append(load_problem({**spec, "mode": "minibatch", "batch_size": 3, "iterations": 3}))
    # the error e = y - yhat, shown per example of a batch
    sse = {**spec, "loss": "sse", "show": ["error"], "published": None}
    problems.append(load_problem(sse))
    for problem in problems:
        for p in run(problem).values:
            rows = [q for q in QUANTITIES if q.regex().fullmatch(p)]
            assert len(rows) == 1, f"{p}: matched by {[q.pattern for q in rows]}"
            used.add(rows[0].pattern)
    assert used == {q.pattern for q in QUANTITIES}, f"rows no example records: {sorted({q.pattern for q in QUANTITIES} - used)}"


def test_describe_path():
    assert describe_path("iter12.grad.W3").pattern == "iter{t}.grad.W{l}"
    assert describe_path("iter1.ex2.delta1").pattern == "iter{t}.ex{n}.delta{l}"
    assert describe_path("iter1.grad.W0") is None  # layers and iterations are 1-based
    assert describe_path("iter1.Q") is None


@given(mode=st.sampled_from(["sgd", "gd", "minibatch"]), n=st.integers(1, 5), batch=st.integers(1, 5),
       iterations=st.integers(1, 7), shuffle=st.booleans(), act=st.sampled_from(["sigmoid", "softmax"]))
def test_paths_hook_over_modes_and_batches(mode, n, batch, iterations, shuffle, act):
    _paths_match(mode, n, batch, iterations, shuffle, act)


@given(mode=st.sampled_from(["sgd", "gd", "minibatch"]), n=st.integers(1, 4), batch=st.integers(1, 4),
       iterations=st.integers(1, 4), rate=st.booleans(), depth=st.integers(1, 3), loss=st.sampled_from(["none", "sse", "mse"]),
       show=st.lists(st.sampled_from(["error", "grad.x", "loss_terms"]), unique=True), batch_loss=st.sampled_from(["mean", "sum"]))
def test_paths_and_cost_with_the_conventions(mode, n, batch, iterations, rate, depth, loss, show, batch_loss):
    """loss none with and without a learning rate, the error shown, sums over the batch: the paths
    hook and the cost hook predict what the engine records."""
    from tracer.problem.quantities import network_cost

    batch = min(batch, n)
    layers = [2] + [3] * (depth - 1) + [1]
    data = [{"x": [0.1 * i, 1.0]} if loss == "none" else {"x": [0.1 * i, 1.0], "y": [0.5]} for i in range(n)]
    spec = {"layers": layers, "activation": "sigmoid", "loss": loss, "init": {"seed": 2}, "data": data,
            "iterations": iterations, "mode": mode, "batch_loss": batch_loss,
            "show": [s for s in show if loss != "none" or s == "grad.x"]}
    if rate or loss != "none":
        spec["learning_rate"] = 0.1
    if mode == "minibatch":
        spec["batch_size"] = batch
    problem = load_problem(spec)
    trace = run(problem)
    assert kind_of(problem).hook("paths")(problem) == list(trace.values)
    values = len(trace.values)
    numbers = sum(int(np.size(v)) for v in trace.values.values())
    assert network_cost(problem) == (values, numbers)


def _paths_match(mode, n, batch, iterations, shuffle, act):
    batch = min(batch, n)
    data = [{"x": [0.1 * i, 1.0], "y": [1, 0] if i % 2 else [0, 1]} for i in range(n)]
    spec = {"layers": [2, 2, 2], "activation": ["tanh", act], "loss": "ce" if act == "softmax" else "mse",
            "init": {"seed": 1}, "data": data, "learning_rate": 0.1, "iterations": iterations, "mode": mode}
    if mode == "minibatch":
        spec["batch_size"] = batch
    if shuffle:
        spec["shuffle_seed"] = 3
    problem = load_problem(spec)
    assert kind_of(problem).hook("paths")(problem) == list(run(problem).values)
