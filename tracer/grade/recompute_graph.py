"""The local formula of every quantity of a graph, for follow-through and carried rounding.

    given    the inputs, and grad.{output} = 1 (and 0 for a name the output does not use)
    formula  {node}            = its expression of its arguments
             local.{node}.{a}  = d node / d a, at its arguments (the engine's rules)
             grad.{n}          = sum over consumers c of grad.c * local.c.n

A student's wrong value of a node is carried into their local derivatives and
gradients exactly as for a network (tracer.grade.check), so one slip early in the
forward pass costs one answer, not all of them. A formula undefined at a student's
values (log of their negative node) gives nan: no follow-through from there.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.graph import partials, relevant
from ..engine.trace import Trace
from ..problem import expr as E
from .recompute import FORMULA, GIVEN, Rule

_STEP = 1e-6  # central differences for the carry of a local derivative (its second derivatives)


def _safe(compute):
    try:
        return np.float64(compute())
    except (E.EvalError, ZeroDivisionError, OverflowError, ValueError, KeyError):
        return np.float64(math.nan)


def _node_rule(node) -> Rule:
    args = node.args

    def value(*vals):
        return _safe(lambda: E.evaluate(node.expr, {a: float(v) for a, v in zip(args, vals)}))

    def carry(v, c):
        d = _safe_partials(node, v)
        return np.float64(sum(abs(d[a]) * float(e) for a, e in zip(args, c)))

    return Rule(FORMULA, tuple(args), (value,), carry)


def _safe_partials(node, vals) -> dict:
    try:
        return partials(node.expr, {a: float(v) for a, v in zip(node.args, vals)}, E.FLOAT)
    except (E.EvalError, ZeroDivisionError, OverflowError, ValueError):
        return {a: math.nan for a in node.args}


def _local_rule(node, arg: str) -> Rule:
    args = node.args

    def value(*vals):
        return np.float64(_safe_partials(node, vals)[arg])

    def carry(v, c):
        total = 0.0
        for j, e in enumerate(c):
            up = [float(x) for x in v]
            down = list(up)
            h = _STEP * max(1.0, abs(up[j]))
            up[j] += h
            down[j] -= h
            total += abs((value(*up) - value(*down)) / (2 * h)) * float(e)
        return np.float64(total)

    return Rule(FORMULA, tuple(args), (value,), carry)


def _grad_rule(users, name: str) -> Rule:
    inputs = tuple(p for u in users for p in (f"grad.{u.name}", f"local.{u.name}.{name}"))

    def value(*vals):
        return np.float64(sum(float(g) * float(d) for g, d in zip(vals[::2], vals[1::2])))

    def carry(v, c):
        return np.float64(sum(abs(float(g)) * float(ed) + abs(float(d)) * float(eg)
                              for g, d, eg, ed in zip(v[::2], v[1::2], c[::2], c[1::2])))

    return Rule(FORMULA, inputs, (value,), carry)


def graph_rules(trace: Trace) -> dict[str, Rule]:
    """A Rule for every path of a graph's trace (the `rules` hook)."""
    p = trace.problem
    rules: dict[str, Rule] = {name: Rule(GIVEN) for name, _ in p.inputs}
    for node in p.nodes:
        rules[node.name] = _node_rule(node)
    for node in p.nodes:
        for arg in node.args:
            rules[f"local.{node.name}.{arg}"] = _local_rule(node, arg)
    need = relevant(p)
    for name in reversed(p.names):
        users = [u for u in p.consumers(name) if u.name in need]
        rules[f"grad.{name}"] = Rule(GIVEN) if name == p.output or not users else _grad_rule(users, name)
    return rules
