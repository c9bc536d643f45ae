"""The perceptron's local formulas, for follow-through and carried rounding (see recompute.py).

    a1 = W1 x + b1,  h1 = yhat = step(a1) or sign(a1),  error = y - yhat,
    new.W1 = W1 + eta error x^T,  new.b1 = b1 + eta error

The threshold is flat almost everywhere: a rounding error in a1 does not move yhat
(its carry is 0), unless it crosses 0, where the student's threshold is what counts.
"""

from __future__ import annotations

import numpy as np

from ..engine.perceptron import ZERO
from ..engine.trace import Trace
from .recompute import COPY, FORMULA, GIVEN, Rule

_LOW = {"step": 0.0, "sign": -1.0}


def perceptron_rules(trace: Trace) -> dict[str, Rule]:
    problem = trace.problem
    low = _LOW[problem.activations[0]]
    lr = problem.learning_rate
    rules: dict[str, Rule] = {}
    for it in trace.iterations:
        p = it.prefix
        for name in ("W1", "b1"):
            rules[p + name] = Rule(GIVEN) if it.t == 1 else Rule(COPY, (f"iter{it.t - 1}.new.{name}",))
        rules[p + "x"] = rules[p + "y"] = Rule(GIVEN)
        rules[p + "a1"] = Rule(
            FORMULA, (p + "W1", p + "x", p + "b1"), (lambda W, x, b: W @ x + b,),
            lambda v, c: np.abs(v[0]) @ c[1] + c[0] @ np.abs(v[1]) + c[2],
        )
        rules[p + "h1"] = Rule(
            FORMULA, (p + "a1",), (lambda a: np.where(np.asarray(a, dtype=float) >= -ZERO, 1.0, low),),
            lambda v, c: np.zeros_like(np.asarray(v[0], dtype=float)),
        )
        rules[p + "yhat"] = Rule(COPY, (p + "h1",))
        rules[p + "error"] = Rule(FORMULA, (p + "y", p + "yhat"), (lambda y, yhat: y - yhat,), lambda v, c: c[1])
        for name in ("W1", "b1"):
            if name in problem.frozen:
                rules[f"{p}new.{name}"] = Rule(COPY, (p + name,))
            elif name == "W1":
                rules[f"{p}new.W1"] = Rule(
                    FORMULA, (p + "W1", p + "error", p + "x"), (lambda W, e, x: W + lr * np.outer(e, x),),
                    lambda v, c: c[0] + lr * (np.outer(c[1], np.abs(v[2])) + np.outer(np.abs(v[1]), c[2])),
                )
            else:
                rules[f"{p}new.b1"] = Rule(
                    FORMULA, (p + "b1", p + "error"), (lambda b, e: b + lr * e,), lambda v, c: c[0] + lr * c[1],
                )
    last = trace.iterations[-1].prefix
    for name in ("W1", "b1"):
        rules[f"final.{name}"] = Rule(COPY, (f"{last}new.{name}",))
    return rules
