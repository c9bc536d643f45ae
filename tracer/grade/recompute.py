"""The local formula of every quantity, for follow-through and for carried rounding.

For each path of a trace, a `Rule` says which quantities it is computed from
(`inputs`), how (`formulas`: the textbook routes to it, the first one primary),
and how much a rounding error in its inputs can move it (`carry`, a first-order
bound). Three kinds:

    given    x, y and the first iteration's parameters: come from the spec
    copy     iter{t}.W{l} = iter{t-1}.new.W{l}, final.W{l} = iter{T}.new.W{l},
             yhat = h{L}, grad.b{l} = delta{l} (one-example iteration): the same number
    formula  everything else, e.g. a{l} = W{l} h{l-1} + b{l}

The formulas reuse tracer.functions; where a hand computation naturally starts
from a different quantity than the engine does, the rule follows the hand:
g'(a) is taken from h (sigmoid h(1-h), tanh 1-h^2) as well as from a, and the
loss and dL/dyhat from yhat rather than from the pre-activation (functions' `from_output` forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..engine import functions as F
from ..engine.trace import Trace

GIVEN, COPY, FORMULA = "given", "copy", "formula"


@dataclass(frozen=True)
class Rule:
    kind: str
    inputs: tuple[str, ...] = ()
    formulas: tuple[Callable, ...] = ()  # each f(*input values) -> value
    carry: Callable | None = None  # carry(values, bounds) -> first-order bound of the inputs' effect


# -- activations and losses seen from the quantities a student writes ----------------


def _dgprime_dh(act: str, h):
    """|d g'(a) / d h| as a function of h, for carried rounding."""
    if act == "sigmoid":
        return np.abs(1.0 - 2.0 * h)
    if act == "tanh":
        return np.abs(2.0 * h)
    return np.zeros_like(h, dtype=np.float64)


def _d2g(act: str, h):
    """|g''(a)| as a function of h = g(a), for carried rounding of g'(a) taken from a."""
    if act == "sigmoid":
        return np.abs(h * (1.0 - h) * (1.0 - 2.0 * h))
    if act == "tanh":
        return np.abs(2.0 * h * (1.0 - h * h))
    return np.zeros_like(h, dtype=np.float64)


def _act_carry(act: str, a, e_a):
    """First-order bound of |g(a + da) - g(a)| for |da| <= e_a."""
    if act == "softmax":
        s = F.ACTIVATIONS["softmax"][0](a)
        jac = np.diag(s) - np.outer(s, s)
        return np.abs(jac) @ e_a
    return np.abs(F.ACTIVATIONS[act][1](a)) * e_a


def _data_loss(loss: str, y, yhat):
    """Per-example loss from yhat, as written by hand (-sum y log yhat ...)."""
    return F.loss_value(loss, "linear", y, yhat, None, from_output=True)


def _dloss(loss: str, y, yhat):
    """d loss / d yhat from yhat (bce's 1 - yhat taken as written, not from a)."""
    return F.loss_grad(loss, "linear", y, yhat, None, one_minus_yhat=1.0 - yhat)


def _d2loss(loss: str, y, yhat):
    """|d^2 loss / d yhat^2|, elementwise (the Hessian is diagonal for every loss here)."""
    n = y.shape[0]
    if loss == "bce":
        return np.abs(y / yhat**2 + (1.0 - y) / (1.0 - yhat) ** 2)
    if loss == "ce":
        return np.abs(y / yhat**2)
    if loss == "mse":
        return np.full(n, 2.0 / n)
    if loss == "sse":
        return np.ones(n)
    return np.zeros(n)  # mae: piecewise linear


def _simplified_delta(loss: str, out_act: str):
    """delta(L) from yhat and y where dL/dyhat * g'(a) simplifies exactly (see functions.output_delta)."""
    if out_act == "softmax":
        return (lambda y, yhat: yhat * np.sum(y) - y), (lambda y, yhat, e: abs(np.sum(y)) * e)
    if out_act == "sigmoid" and loss == "bce":
        return (lambda y, yhat: yhat - y), (lambda y, yhat, e: e)
    if out_act == "sigmoid" and loss == "ce":
        return (lambda y, yhat: -y * (1.0 - yhat)), (lambda y, yhat, e: np.abs(y) * e)
    return None, None


# -- the rules ----------------------------------------------------------------------


def build_rules(trace: Trace) -> dict[str, Rule]:
    """A Rule for every path of `trace`, keyed like `trace.values`."""
    problem = trace.problem
    L, acts, loss, l2 = problem.depth, problem.activations, problem.loss, problem.l2
    out_act = acts[-1]
    lr = problem.learning_rate
    names = problem.param_names()
    weights = [f"W{l}" for l in range(1, L + 1)]
    rules: dict[str, Rule] = {}

    def reg_value(*ws):
        return 0.5 * l2 * sum(float(np.sum(w * w)) for w in ws)

    def reg_carry(ws, es):
        return l2 * sum(float(np.sum(np.abs(w) * e)) for w, e in zip(ws, es))

    for it in trace.iterations:
        p = it.prefix
        single = len(it.examples) == 1
        for name in names:
            rules[p + name] = Rule(GIVEN) if it.t == 1 else Rule(COPY, (f"iter{it.t - 1}.new.{name}",))
        wpaths = tuple(p + w for w in weights) if l2 else ()
        for n in range(1, len(it.examples) + 1):
            e = it.example_prefix(n)
            rules[e + "x"] = rules[e + "y"] = Rule(GIVEN)
            for l in range(1, L + 1):
                h_prev = e + "x" if l == 1 else f"{e}h{l - 1}"
                rules[f"{e}a{l}"] = Rule(
                    FORMULA, (f"{p}W{l}", h_prev, f"{p}b{l}"), (lambda W, h, b: W @ h + b,),
                    lambda v, c: np.abs(v[0]) @ c[1] + c[0] @ np.abs(v[1]) + c[2],
                )
                g = F.ACTIVATIONS[acts[l - 1]][0]
                rules[f"{e}h{l}"] = Rule(
                    FORMULA, (f"{e}a{l}",), (lambda a, g=g: g(a),),
                    lambda v, c, act=acts[l - 1]: _act_carry(act, v[0], c[0]),
                )
            rules[e + "yhat"] = Rule(COPY, (f"{e}h{L}",))

            loss_inputs = (e + "y", e + "yhat") + (wpaths if single else ())
            with_reg = single and bool(l2)
            rules[e + "loss"] = Rule(
                FORMULA, loss_inputs,
                (lambda y, yhat, *ws, reg=with_reg: np.float64(_data_loss(loss, y, yhat) + (reg_value(*ws) if reg else 0.0)),),
                lambda v, c, reg=with_reg: np.float64(
                    np.sum(np.abs(_dloss(loss, v[0], v[1])) * c[1]) + (reg_carry(v[2:], c[2:]) if reg else 0.0)
                ),
            )
            rules[e + "dL_dyhat"] = Rule(
                FORMULA, (e + "y", e + "yhat"), (lambda y, yhat: _dloss(loss, y, yhat),),
                lambda v, c: _d2loss(loss, v[0], v[1]) * c[1],
            )
            for l in range(L, 0, -1):
                act = acts[l - 1]
                if act != "softmax":
                    rules[f"{e}gprime{l}"] = Rule(
                        FORMULA, (f"{e}h{l}", f"{e}a{l}"),
                        (lambda h, a, act=act: F.gprime_from_output(act, h, a), lambda h, a, d=F.ACTIVATIONS[act][1]: d(a)),
                        lambda v, c, act=act: np.maximum(_dgprime_dh(act, v[0]) * c[0], _d2g(act, v[0]) * c[1]),
                    )
                if l == L:
                    rules[f"{e}delta{l}"] = _output_delta_rule(e, L, loss, out_act)
                else:
                    rules[f"{e}delta{l}"] = Rule(
                        FORMULA, (f"{e}gprime{l}", f"{p}W{l + 1}", f"{e}delta{l + 1}"),
                        (lambda gp, W, d: gp * (W.T @ d),),
                        lambda v, c: np.abs(v[0]) * (np.abs(v[1]).T @ c[2] + c[1].T @ np.abs(v[2]))
                        + c[0] * np.abs(v[1].T @ v[2]),
                    )
                if not single:
                    h_prev = e + "x" if l == 1 else f"{e}h{l - 1}"
                    rules[f"{e}grad.W{l}"] = Rule(
                        FORMULA, (f"{e}delta{l}", h_prev), (lambda d, h: np.outer(d, h),),
                        lambda v, c: np.outer(c[0], np.abs(v[1])) + np.outer(np.abs(v[0]), c[1]),
                    )
                    rules[f"{e}grad.b{l}"] = Rule(COPY, (f"{e}delta{l}",))

        if not single:
            ex_losses = tuple(f"{it.example_prefix(n)}loss" for n in range(1, len(it.examples) + 1))
            k = len(ex_losses)
            rules[p + "loss"] = Rule(
                FORMULA, ex_losses + wpaths,
                (lambda *v, k=k: np.float64(np.mean(v[:k]) + (reg_value(*v[k:]) if l2 else 0.0)),),
                lambda v, c, k=k: np.float64(np.mean(c[:k]) + (reg_carry(v[k:], c[k:]) if l2 else 0.0)),
            )
        for l in range(L, 0, -1):
            for kind in ("W", "b"):
                name = f"{kind}{l}"
                decay = kind == "W" and bool(l2)
                rules[f"{p}grad.{name}"] = _grad_rule(it, l, kind, decay, l2)
        for name in names:
            if name in problem.frozen:
                rules[f"{p}new.{name}"] = Rule(COPY, (p + name,))
            else:
                rules[f"{p}new.{name}"] = Rule(
                    FORMULA, (p + name, f"{p}grad.{name}"), (lambda x, g: x - lr * g,),
                    lambda v, c: c[0] + lr * c[1],
                )
    last = trace.iterations[-1].prefix
    for name in names:
        rules[f"final.{name}"] = Rule(COPY, (f"{last}new.{name}",))
    return rules


def _output_delta_rule(e: str, L: int, loss: str, out_act: str) -> Rule:
    simple, simple_carry = _simplified_delta(loss, out_act)
    if out_act == "softmax":  # no elementwise g': only the simplified form exists
        return Rule(
            FORMULA, (e + "y", e + "yhat"), (simple,), lambda v, c: simple_carry(v[0], v[1], c[1]),
        )
    inputs = (f"{e}dL_dyhat", f"{e}gprime{L}", e + "y", e + "yhat")
    formulas = [lambda dl, gp, y, yhat: dl * gp]
    if simple is not None:
        formulas.append(lambda dl, gp, y, yhat: simple(y, yhat))

    def carry(v, c):
        bounds = [np.abs(v[1]) * c[0] + np.abs(v[0]) * c[1]]
        if simple_carry is not None:
            bounds.append(simple_carry(v[2], v[3], c[3]))
        finite = [b for b in bounds if np.all(np.isfinite(b))]
        return np.maximum.reduce(finite) if finite else bounds[0]

    return Rule(FORMULA, inputs, tuple(formulas), carry)


def _grad_rule(it, l: int, kind: str, decay: bool, l2: float) -> Rule:
    p = it.prefix
    w = (f"{p}W{l}",) if decay else ()
    if len(it.examples) == 1:
        if kind == "b":
            return Rule(COPY, (f"{p}delta{l}",))
        h_prev = f"{p}x" if l == 1 else f"{p}h{l - 1}"
        return Rule(
            FORMULA, (f"{p}delta{l}", h_prev) + w,
            (lambda d, h, *W: np.outer(d, h) + (l2 * W[0] if W else 0.0),),
            lambda v, c: np.outer(c[0], np.abs(v[1])) + np.outer(np.abs(v[0]), c[1]) + (l2 * c[2] if decay else 0.0),
        )
    parts = tuple(f"{it.example_prefix(n)}grad.{kind}{l}" for n in range(1, len(it.examples) + 1))
    k = len(parts)
    return Rule(
        FORMULA, parts + w,
        (lambda *v, k=k: np.mean(v[:k], axis=0) + (l2 * v[k] if len(v) > k else 0.0),),
        lambda v, c, k=k: np.mean(c[:k], axis=0) + (l2 * c[k] if len(c) > k else 0.0),
    )


# -- carried rounding -----------------------------------------------------------------


def rounding_bounds(trace: Trace, rules: dict[str, Rule], paths: list[str]) -> dict[str, np.ndarray]:
    """For each path, in units of one place value u, the first-order bound on how far a hand
    computation that rounds every quantity to u can land from the true value.

    given: 0 (exact); copy: the source's bound; formula: 1/2 (its own rounding) plus the
    carried effect of its inputs' bounds. A bound that is not finite (a saturated output,
    where the derivative blows up) is replaced by 1/2.
    """
    values = trace.values
    bounds: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for path in paths:
            rule = rules[path]
            shape = np.shape(values[path])
            if rule.kind == GIVEN:
                b = np.zeros(shape)
            elif rule.kind == COPY:
                b = bounds[rule.inputs[0]]
            else:
                v = [values[i] for i in rule.inputs]
                c = [bounds[i] for i in rule.inputs]
                b = 0.5 + np.broadcast_to(np.asarray(rule.carry(v, c), dtype=np.float64), shape)
                b = np.where(np.isfinite(b), b, 0.5)
            bounds[path] = np.asarray(b, dtype=np.float64)
    return bounds
