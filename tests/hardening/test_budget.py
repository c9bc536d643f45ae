"""Bounded cost: a run or an output over the budget is refused up front, quickly, in one line."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer.api import output_estimate, render_problem
from tracer.engine import BudgetError, memory_estimate, run
from tracer.problem.examples import examples_dir
from tracer.problem.kinds import kind_of
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(examples_dir().glob("*.yaml"))
NETWORKS = [p for p in EXAMPLES if not p.stem.startswith("graph-")]  # a graph's cost: test_graph_cost below
MAXIMA = {"layers": [64] * 12, "activation": "sigmoid", "loss": "mse", "init": {"seed": 1},
          "data": [{"x": [0.1] * 64, "y": [0.5] * 64}], "learning_rate": 0.1, "iterations": 100_000}


@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
@pytest.mark.parametrize("mode", ["spec", "gd", "minibatch"])
def test_cost_hook_counts_exactly_what_the_engine_records(path, mode):
    spec = dict(load_problem(path).source, iterations=5)
    if mode != "spec" and spec.get("rule") == "perceptron":
        pytest.skip("the perceptron rule trains one example at a time (mode sgd only)")
    if mode != "spec":
        spec.pop("batch_size", None)
        spec["mode"] = mode
        if mode == "minibatch":
            spec["batch_size"] = 2 if len(spec["data"]) > 2 else 1
    problem = load_problem(spec)
    trace = run(problem)
    assert kind_of(problem).hook("cost")(problem) == (len(trace.values), sum(int(np.size(v)) for v in trace.values.values()))


@pytest.mark.parametrize("name", ["graph-seed004", "graph-sigmoid-neuron"])
def test_graph_cost_counts_exactly_what_the_engine_records(name):
    problem = load_problem(examples_dir() / f"{name}.yaml")
    trace = run(problem)
    cost = kind_of(problem).hook("cost")(problem)
    assert cost == (len(trace.values), sum(int(np.size(v)) for v in trace.values.values()))


def test_estimates_are_not_below_what_a_render_takes():
    problem = load_problem(examples_dir() / "lecture-2-2-1.yaml").with_overrides(iterations=200)
    for fmt in ("markdown", "latex", "json"):
        assert output_estimate(problem, fmt) >= len(render_problem(problem, fmt).encode())


def test_the_maxima_spec_is_refused_before_running():
    start = time.perf_counter()
    with pytest.raises(BudgetError, match=r"^iterations: this run would record 14,112,145,825 numbers"):
        run(load_problem(MAXIMA))
    assert time.perf_counter() - start < 5


def _bptrace(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)
    return proc, time.perf_counter() - start, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


@pytest.mark.parametrize("spec, fmt, words", [
    (MAXIMA, "json", "the json output would be about"),
    (MAXIMA, "markdown", "the markdown output would be about"),
    ("lecture-100k", "markdown", "this run would record 5,000,011 numbers"),
])
def test_cli_refuses_over_budget_in_one_line_quickly_and_small(tmp_path, spec, fmt, words):
    if spec == "lecture-100k":
        spec = dict(load_problem(examples_dir() / "lecture-2-2-1.yaml").source, iterations=100_000)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    proc, seconds, rss_kb = _bptrace("render", path, "--to", fmt, "-o", out)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: iterations: ") and words in proc.stderr
    assert "--budget MB" in proc.stderr
    assert not out.exists()
    assert seconds < 20 and rss_kb < 500_000


def test_the_budget_can_be_raised(tmp_path):
    spec = dict(load_problem(examples_dir() / "lecture-2-2-1.yaml").source, iterations=400)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    refused, _, _ = _bptrace("render", path, "--to", "markdown", "--budget", "1")
    assert refused.returncode == 2 and "over the budget of 1 MB" in refused.stderr
    allowed, _, _ = _bptrace("render", path, "--to", "markdown", "--budget", "50")
    assert allowed.returncode == 0 and "Iteration 400" in allowed.stdout


def test_exact_arithmetic_costs_more_memory():
    problem = load_problem(examples_dir() / "lecture-2-2-1.yaml")
    assert memory_estimate(problem, "exact")[1] > memory_estimate(problem, "float")[1]
