"""The graph engine: forward values in node order, local derivatives, backward pass in reverse order.

Recorded paths (docs/quantities.md): `{name}` for every input and node, then
`local.{node}.{arg}` = d node / d arg for each node and each name it uses, then
`grad.{name}` = d output / d name, output first and in reverse definition order:

    grad.output = 1
    grad.n = sum over the consumers c of n (nodes that use n, on a path to the output)
             of grad.c * local.c.n          ("gradients add at branches")

A graph has one evaluation: no iterations (trace.iterations is empty).

At a kink the rules say: relu'(0) = 0 and abs'(0) = 0 (as the network's relu), and
max/min of two equal arguments is refused (no derivative there; naming the node).

The local derivatives come from the rules below, one beside each primitive
(micrograd's way: reverse mode over the node's own expression tree), in the
run's arithmetic. The presenter prints the same derivative as sympy derives it
from the expression, and the tests check that both agree (tests/engine/test_graph.py).
By hand, every recorded value is rounded to `decimals` places before it is used
further: the local derivatives are taken at the rounded values, and each
gradient is the rounded sum of its products.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import SpecError
from ..problem import expr as E
from ..problem.graph import GraphProblem
from .arithmetic import Exact
from .arithmetic import make as make_arithmetic
from .trace import Trace


def exact_numbers(ar: Exact) -> E.Numbers:
    """The expression grammar in mpmath (the arithmetic's own, tracer.engine.arithmetic)."""
    return ar.numbers


def _numbers(ar) -> E.Numbers:
    return exact_numbers(ar) if isinstance(ar, Exact) else E.FLOAT


def partials(tree: E.Expr, env, numbers: E.Numbers) -> dict:
    """d tree / d name for every name the tree uses, at `env` (reverse mode over the tree)."""
    memo: dict = {}
    E.evaluate(tree, env, numbers, memo)
    one = numbers.literal("1")
    out: dict = {name: one - one for name in E.names(tree)}
    fn = numbers.functions

    def back(node, g):
        tag = node[0]
        if tag in ("num", "const"):
            return
        if tag == "name":
            out[node[1]] += g
            return
        if tag == "neg":
            back(node[1], -g)
            return
        value = memo[id(node)]
        if tag == "call":
            args = node[2]
            vals = [memo[id(a)] for a in args]
            name = node[1]
            if name in ("max", "min"):
                a, b = vals
                if a == b:  # a kink: every split of the gradient is a subgradient, none is the derivative
                    raise E.EvalError(f"{name}(a, b) has no derivative where its two arguments are equal")
                first = a > b if name == "max" else a < b
                back(args[0], g * (one if first else one - one))
                back(args[1], g * (one - one if first else one))
                return
            x = vals[0]
            if name == "exp":
                d = value
            elif name == "log":
                d = one / x
            elif name == "sqrt":
                if x == 0:
                    raise E.EvalError("sqrt has no derivative at 0")
                d = one / (2 * value)
            elif name == "sin":
                d = fn["cos"](x)
            elif name == "cos":
                d = -fn["sin"](x)
            elif name == "tanh":
                d = one - value * value
            elif name == "sigmoid":
                d = value * (one - value)
            elif name == "relu":
                d = one if x > 0 else one - one
            else:  # abs
                d = one if x > 0 else (-one if x < 0 else one - one)
            back(args[0], g * d)
            return
        left, right = node[1], node[2]
        a, b = memo[id(left)], memo[id(right)]
        if tag == "+":
            back(left, g)
            back(right, g)
        elif tag == "-":
            back(left, g)
            back(right, -g)
        elif tag == "*":
            back(left, g * b)
            back(right, g * a)
        elif tag == "/":
            back(left, g / b)
            back(right, -g * a / (b * b))
        else:  # a ** b
            if E.names(left):
                if a == 0 and b < 1 and not (numbers.is_integer(b) and b >= 0):
                    raise E.EvalError("the power has no derivative at base 0")
                back(left, g * b * a ** (b - 1))
            if E.names(right):
                if a <= 0:
                    raise E.EvalError("the derivative by an exponent needs a positive base (it is base^exponent log(base))")
                back(right, g * value * fn["log"](a))

    back(tree, one)
    return out


def relevant(problem: GraphProblem) -> set[str]:
    """The output and every node and input it depends on."""
    need = {problem.output}
    for node in reversed(problem.nodes):
        if node.name in need:
            need.update(node.args)
    return need


def run(problem: GraphProblem, arithmetic: str | None = None) -> Trace:
    """Trace the graph's one evaluation in the problem's arithmetic (or `arithmetic`)."""
    ar = make_arithmetic(arithmetic or problem.arithmetic, problem.decimals)
    numbers = _numbers(ar)
    trace = Trace(problem, [], arithmetic=ar.name)
    rec = trace.values

    def put(path, value):
        rounded = ar.round(value) if ar.by_hand else value
        if ar.by_hand and not math.isclose(float(rounded), float(value), rel_tol=1e-12, abs_tol=0.0):
            trace.rounded.add(path)
        rec[path] = rounded
        return rounded

    env = {}
    for name, value in problem.inputs:
        env[name] = put(name, ar.scalar(value))  # exact: "1/3" with every digit (Exact._mpf)
    for node in problem.nodes:
        env[node.name] = put(node.name, _at(node, lambda: E.evaluate(node.expr, env, numbers)))
    local = {}
    for node in problem.nodes:
        d = _at(node, lambda: partials(node.expr, env, numbers))
        for arg in node.args:
            local[node.name, arg] = put(f"local.{node.name}.{arg}", ar.scalar(d[arg]))
    need = relevant(problem)
    grad = {}
    for name in reversed(problem.names):
        if name == problem.output:
            g = ar.scalar(1)
        else:
            terms = [grad[c.name] * local[c.name, name] for c in problem.consumers(name) if c.name in need]
            g = sum(terms[1:], terms[0]) if terms else ar.scalar(0)
        grad[name] = put(f"grad.{name}", ar.scalar(g))
    return trace


def _at(node, compute):
    try:
        with np.errstate(all="raise"):
            return compute()
    except (E.EvalError, ZeroDivisionError, OverflowError, ValueError, FloatingPointError) as err:
        raise SpecError(f"graph.nodes.{node.name}", f"{err} at the given values") from None
