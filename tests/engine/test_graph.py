"""The graph engine against independent oracles.

- every grad.{input} equals sympy's derivative of the whole output expression (the nodes
  substituted in) and central finite differences; every local.* equals sympy's partial
  of its node's expression; over random graphs with fan-out and reused inputs;
- the seed 004 graph (w=5, x=3, y=2, z=4; v = x y; u = w + v; f = u + z) reproduces its
  forward values and the sensitivities of f to w, x, y, z;
- exact and by-hand arithmetic; each error case names its node.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from graph_specs import graph_specs  # noqa: E402

from tracer.engine import run  # noqa: E402
from tracer.errors import SpecError  # noqa: E402
from tracer.present import symbolic_graph as G  # noqa: E402
from tracer.problem import expr as E  # noqa: E402
from tracer.problem.examples import example_path  # noqa: E402
from tracer.problem.kinds import kind_of  # noqa: E402
from tracer.problem.spec import load_problem  # noqa: E402


def _sympy(tree):
    """The node's expression in plain sympy (sigmoid written out), for the oracle."""
    e = G.to_sympy(tree, evaluate=True)
    return e.replace(G.sigmoid, lambda a: 1 / (1 + sp.exp(-a)))


def _whole_output(problem) -> sp.Expr:
    """The output as one expression of the inputs: each node substituted in turn."""
    subs = {}
    for node in problem.nodes:
        subs[G.symbol(node.name)] = _sympy(node.expr).xreplace(subs)
    return subs[G.symbol(problem.output)]


def _output_at(problem, values: dict) -> float:
    env = dict(values)
    for node in problem.nodes:
        env[node.name] = E.evaluate(node.expr, env)
    return env[problem.output]


def _fd(problem, name: str, h: float):
    base = {n: float(v) for n, v in problem.inputs}
    up, down = dict(base), dict(base)
    up[name] += h
    down[name] -= h
    f0 = _output_at(problem, base)
    fu, fd = _output_at(problem, up), _output_at(problem, down)
    return (fu - fd) / (2 * h), (fu - f0) / h, (f0 - fd) / h


def test_seed_004_graph_forward_values_and_sensitivities():
    trace = run(load_problem(example_path("graph-seed004")))
    v = {k: float(x) for k, x in trace.values.items()}
    assert (v["v"], v["u"], v["f"]) == (6, 11, 15)  # x y = 6, w + v = 11, u + z = 15
    assert (v["grad.w"], v["grad.x"], v["grad.y"], v["grad.z"]) == (1, 2, 3, 1)  # df/dx = y, df/dy = x
    assert (v["grad.f"], v["grad.u"], v["grad.v"]) == (1, 1, 1)
    assert (v["local.v.x"], v["local.v.y"]) == (2, 3)


@pytest.mark.parametrize("mode", ["float", "exact", "by-hand"])
def test_the_fan_out_example_agrees_in_every_arithmetic(mode):
    problem = load_problem(example_path("graph-sigmoid-neuron"))
    trace = run(problem, mode)
    truth = _whole_output(problem)
    at = {G.symbol(n): sp.Rational(str(v)) if not isinstance(v, E.Written) else sp.Rational(1, 4)
          for n, v in problem.inputs}
    tol = {"float": 1e-12, "exact": 1e-40, "by-hand": 2e-3}[mode]
    for name, _ in problem.inputs:
        want = sp.diff(truth, G.symbol(name)).subs(at).evalf(60)
        assert abs(sp.Float(str(trace.values[f"grad.{name}"]), 60) - want) <= tol, name
    assert kind_of(problem).hook("paths")(problem) == list(trace.values)


def test_exact_arithmetic_reads_an_expression_input_with_every_digit():
    spec = {"graph": {"inputs": {"x": "1/3", "y": 0.1}, "nodes": {"f": "3*x + y"}, "output": "f"}}
    trace = run(load_problem(spec), "exact")
    assert str(trace.values["x"]).startswith("0.33333333333333333333333333333333")  # not the double
    f = trace.values["f"]
    assert abs(f - f.context.mpf("1.1")) < 1e-45  # 3 (1/3) + 1/10, where floats give 1.1 + 2e-16


def test_by_hand_rounds_every_recorded_value():
    spec = {"graph": {"inputs": {"x": 1}, "nodes": {"s": "sigmoid(x)", "f": "s*s"}, "output": "f"}, "decimals": 2}
    trace = run(load_problem(spec), "by-hand")
    assert float(trace.values["s"]) == 0.73
    assert float(trace.values["f"]) == 0.53  # 0.73^2 = 0.5329, from the rounded s
    assert float(trace.values["local.s.x"]) == 0.2  # s(1 - s) at the rounded s: 0.1971
    assert {"s", "f", "local.s.x"} <= trace.rounded


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(spec=graph_specs())
def test_random_graphs_match_sympy_and_finite_differences(spec):
    try:
        problem = load_problem(spec)
        trace = run(problem)
    except SpecError:
        assume(False)
    v = trace.values
    assert kind_of(problem).hook("paths")(problem) == list(v)
    at = {G.symbol(n): float(x) for n, x in problem.inputs} | {G.symbol(n.name): float(v[n.name]) for n in problem.nodes}
    for node in problem.nodes:  # local derivatives: sympy's partials of the node's own expression
        e = _sympy(node.expr)
        for arg in node.args:
            want = float(sp.diff(e, G.symbol(arg)).subs(at).evalf(30).subs(sp.Heaviside(0), 0))
            assert math.isclose(float(v[f"local.{node.name}.{arg}"]), want, rel_tol=1e-9, abs_tol=1e-12), (node, arg)
    truth = _whole_output(problem)
    for name, _ in problem.inputs:
        central, right, left = _fd(problem, name, 1e-6)
        assume(math.isclose(right, left, rel_tol=1e-3, abs_tol=1e-5))  # no kink at this point
        got = float(v[f"grad.{name}"])
        want = float(sp.diff(truth, G.symbol(name)).subs(at).evalf(30))
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-10), name
        assert math.isclose(got, central, rel_tol=1e-4, abs_tol=1e-5), name


@pytest.mark.parametrize("nodes,output,where,message", [
    ({"u": "q + 1"}, "u", "graph.nodes.u", "unknown name 'q'"),
    ({"u": "foo(x)"}, "u", "graph.nodes.u", "unknown function 'foo'"),
    ({"u": "v + 1", "v": "x"}, "v", "graph.nodes.u", "'v' is used before it is defined"),
    ({"u": "u + 1"}, "u", "graph.nodes.u", "a cycle"),
    ({"u": "x + 1"}, "x", "graph.output", "'x' is an input"),
    ({"u": "x + 1"}, "g", "graph.output", "not a node"),
    ({"u": "x / (x - 2)"}, "u", "graph.nodes.u", "division by zero at the given values"),
    ({"u": "log(x - 3)"}, "u", "graph.nodes.u", "log of a non-positive number (-1) at the given values"),
    ({"u": "sqrt(x - 2)"}, "u", "graph.nodes.u", "sqrt has no derivative at 0"),
    ({"u": "exp"}, "u", "graph.nodes.u", "'exp' is a function"),
    ({"x": "1"}, "x", "graph.nodes.x", "already an input"),
    ({"pi": "1"}, "pi", "graph.nodes.pi", "reserved"),
    ({"u": "x ** 2000"}, "u", "graph.nodes.u", "exponent larger than 1024"),
])
def test_errors_name_the_node(nodes, output, where, message):
    spec = {"graph": {"inputs": {"x": 2}, "nodes": nodes, "output": output}}
    with pytest.raises(SpecError) as err:
        run(load_problem(spec))
    assert err.value.where == where and message in err.value.message, str(err.value)


def test_cli_error_is_one_line_exit_2(tmp_path):
    import subprocess

    spec = tmp_path / "g.yaml"
    spec.write_text("graph:\n  inputs: {x: 2, y: 0}\n  nodes:\n    u: x / y\n  output: u\n")
    out = subprocess.run([sys.executable, "-m", "tracer.cli", "render", str(spec)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 2
    assert out.stderr == "error: graph.nodes.u: division by zero at the given values\n"
