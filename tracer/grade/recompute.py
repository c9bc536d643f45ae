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
    """How a quantity is recomputed from others (or given, or copied): the checker's follow-through."""

    kind: str
    inputs: tuple[str, ...] = ()
    formulas: tuple[Callable, ...] = ()  # each f(*input values) -> value
    carry: Callable | None = None  # carry(values, bounds) -> first-order bound of the inputs' effect
    # The formula keeps values on the grid of the place u (g' = 1 or 0 of a linear or ReLU unit,
    # dL/dyhat times such a g'): it needs no rounding of its own, so carried rounding adds no 1/2.
    exact: bool = False


# Activations whose g'(a) is a whole number (1, or 0 and 1) at every a: exact at any place.
WHOLE_GPRIME = ("linear", "relu")


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


def _data_loss(loss: str, y, yhat, scale: float = 1.0):
    """Per-example loss from yhat, as written by hand (-sum y log yhat ...)."""
    return scale * F.loss_value(loss, "linear", y, yhat, None, from_output=True)


def _dloss(loss: str, y, yhat, scale: float = 1.0):
    """d loss / d yhat from yhat (bce's 1 - yhat taken as written, not from a)."""
    return scale * F.loss_grad(loss, "linear", y, yhat, None, one_minus_yhat=1.0 - yhat)


def _dterms(loss: str, y, yhat, scale: float):
    """|d term_k / d yhat_k|: the loss's derivative, times n where the loss is a mean of its terms."""
    n = y.shape[0] if loss in ("mse", "mae") else 1
    return np.abs(_dloss(loss, y, yhat, scale)) * n


def _d2loss(loss: str, y, yhat, scale: float = 1.0):
    """|d^2 loss / d yhat^2|, elementwise (the Hessian is diagonal for every loss here)."""
    return scale * _d2loss_default(loss, y, yhat)


def _d2loss_default(loss: str, y, yhat):
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
    has_loss = loss != "none"
    scale = F.loss_scale(loss, problem.loss_half)
    combine = np.mean if problem.batch_loss == "mean" else np.sum
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
            rules[e + "x"] = Rule(GIVEN)
            if has_loss:
                rules[e + "y"] = Rule(GIVEN)
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

            if has_loss:
                _loss_rules(rules, e, loss, scale, wpaths if single else (), single and bool(l2), reg_value, reg_carry,
                            "error" in problem.show)
            else:  # d yhat / d yhat = 1, from nothing
                rules[e + "dL_dyhat"] = Rule(GIVEN)
            for l in range(L, 0, -1):
                act = acts[l - 1]
                if act != "softmax":
                    rules[f"{e}gprime{l}"] = Rule(
                        FORMULA, (f"{e}h{l}", f"{e}a{l}"),
                        (lambda h, a, act=act: F.gprime_from_output(act, h, a), lambda h, a, d=F.ACTIVATIONS[act][1]: d(a)),
                        lambda v, c, act=act: np.maximum(_dgprime_dh(act, v[0]) * c[0], _d2g(act, v[0]) * c[1]),
                        exact=act in WHOLE_GPRIME,
                    )
                if l == L and not has_loss:
                    rules[f"{e}delta{l}"] = Rule(
                        FORMULA, (f"{e}dL_dyhat", f"{e}gprime{l}"), (lambda dl, gp: dl * gp,),
                        lambda v, c: np.abs(v[1]) * c[0] + np.abs(v[0]) * c[1], exact=act in WHOLE_GPRIME,
                    )
                elif l == L:
                    rules[f"{e}delta{l}"] = _output_delta_rule(e, L, loss, out_act)
                else:
                    rules[f"{e}dL_dh{l}"] = Rule(
                        FORMULA, (f"{p}W{l + 1}", f"{e}delta{l + 1}"), (lambda W, d: W.T @ d,),
                        lambda v, c: np.abs(v[0]).T @ c[1] + c[0].T @ np.abs(v[1]),
                    )
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
            rules[e + "grad.x"] = Rule(
                FORMULA, (f"{p}W1", f"{e}delta1"), (lambda W, d: W.T @ d,),
                lambda v, c: np.abs(v[0]).T @ c[1] + c[0].T @ np.abs(v[1]),
            )

        if not single and has_loss:
            ex_losses = tuple(f"{it.example_prefix(n)}loss" for n in range(1, len(it.examples) + 1))
            k = len(ex_losses)
            rules[p + "loss"] = Rule(
                FORMULA, ex_losses + wpaths,
                (lambda *v, k=k: np.float64(combine(v[:k]) + (reg_value(*v[k:]) if l2 else 0.0)),),
                lambda v, c, k=k: np.float64(combine(c[:k]) + (reg_carry(v[k:], c[k:]) if l2 else 0.0)),
            )
        for l in range(L, 0, -1):
            for kind in ("W", "b"):
                name = f"{kind}{l}"
                decay = kind == "W" and bool(l2)
                rules[f"{p}grad.{name}"] = _grad_rule(it, l, kind, decay, l2, combine)
        for name in names if lr is not None else ():
            if name in problem.frozen:
                rules[f"{p}new.{name}"] = Rule(COPY, (p + name,))
            else:
                rules[f"{p}new.{name}"] = Rule(
                    FORMULA, (p + name, f"{p}grad.{name}"), (lambda x, g: x - lr * g,),
                    lambda v, c: c[0] + lr * c[1],
                )
    last = trace.iterations[-1].prefix
    for name in names:
        rules[f"final.{name}"] = Rule(COPY, (f"{last}new.{name}",) if lr is not None else (f"{last}{name}",))
    _final_rules(rules, problem, scale, combine, reg_value, reg_carry)
    return rules


def _loss_rules(rules, e, loss, scale, wpaths, with_reg, reg_value, reg_carry, error: bool) -> None:
    """error (if shown), loss_terms, loss and dL/dyhat of one example, from y and yhat."""
    if error:
        rules[e + "error"] = Rule(FORMULA, (e + "y", e + "yhat"), (lambda y, yhat: y - yhat,), lambda v, c: c[1])
    rules[e + "loss_terms"] = Rule(
        FORMULA, (e + "y", e + "yhat"),
        (lambda y, yhat: scale * F.loss_terms(loss, "linear", y, yhat, None, from_output=True),),
        lambda v, c: _dterms(loss, v[0], v[1], scale) * c[1],
    )
    rules[e + "loss"] = Rule(
        FORMULA, (e + "y", e + "yhat") + wpaths,
        (lambda y, yhat, *ws: np.float64(_data_loss(loss, y, yhat, scale) + (reg_value(*ws) if with_reg else 0.0)),),
        lambda v, c: np.float64(
            np.sum(np.abs(_dloss(loss, v[0], v[1], scale)) * c[1]) + (reg_carry(v[2:], c[2:]) if with_reg else 0.0)
        ),
    )
    rules[e + "dL_dyhat"] = Rule(
        FORMULA, (e + "y", e + "yhat"), (lambda y, yhat: _dloss(loss, y, yhat, scale),),
        lambda v, c: _d2loss(loss, v[0], v[1], scale) * c[1],
    )


def _final_rules(rules, problem, scale, combine, reg_value, reg_carry) -> None:
    """final.yhat from the final parameters and the data; final.loss from final.yhat."""
    L, acts = problem.depth, problem.activations
    params = tuple(f"final.{name}" for name in problem.param_names())
    xs = [np.asarray(ex.x, dtype=np.float64) for ex in problem.data]

    def forward(*wb):
        rows = []
        for x in xs:
            h = x
            for l in range(1, L + 1):
                h = F.ACTIVATIONS[acts[l - 1]][0](wb[2 * l - 2] @ h + wb[2 * l - 1])
            rows.append(h)
        return np.stack(rows)

    def jac(act, a):  # d g(a) / d a
        if act == "softmax":
            s = F.ACTIVATIONS["softmax"][0](a)
            return np.diag(s) - np.outer(s, s)
        return np.diag(F.ACTIVATIONS[act][1](a))

    def carry(v, c):
        """sum over the parameters of |d yhat_k / d p| e_p: backpropagate each output unit alone
        (d yhat_k / d W(l) = delta(l) h(l-1)^T, d yhat_k / d b(l) = delta(l))."""
        out = []
        for x in xs:
            hs, pres = [x], []
            for l in range(1, L + 1):
                pres.append(v[2 * l - 2] @ hs[-1] + v[2 * l - 1])
                hs.append(F.ACTIVATIONS[acts[l - 1]][0](pres[-1]))
            row = np.zeros(len(hs[-1]))
            for k in range(len(hs[-1])):
                delta = jac(acts[-1], pres[-1])[k]  # d yhat_k / d a(L)
                for l in range(L, 0, -1):
                    row[k] += np.abs(delta) @ c[2 * l - 2] @ np.abs(hs[l - 1]) + np.abs(delta) @ c[2 * l - 1]
                    if l > 1:
                        delta = jac(acts[l - 2], pres[l - 2]).T @ (v[2 * l - 2].T @ delta)
            out.append(row)
        return np.stack(out)

    rules["final.yhat"] = Rule(FORMULA, params, (forward,), carry)
    if problem.loss == "none":
        return
    ys = [np.asarray(ex.y, dtype=np.float64) for ex in problem.data]
    weights = params[0::2] if problem.l2 else ()
    rules["final.loss"] = Rule(
        FORMULA, ("final.yhat",) + weights,
        (lambda yh, *ws: np.float64(combine([_data_loss(problem.loss, y, r, scale) for y, r in zip(ys, yh)])
                                    + (reg_value(*ws) if ws else 0.0)),),
        lambda v, c: np.float64(combine([np.sum(np.abs(_dloss(problem.loss, y, r, scale)) * e)
                                         for y, r, e in zip(ys, v[0], c[0])]) + (reg_carry(v[1:], c[1:]) if weights else 0.0)),
    )


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

    return Rule(FORMULA, inputs, tuple(formulas), carry, exact=out_act in WHOLE_GPRIME and simple is None)


def _grad_rule(it, l: int, kind: str, decay: bool, l2: float, combine=np.mean) -> Rule:
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
        (lambda *v, k=k: combine(v[:k], axis=0) + (l2 * v[k] if len(v) > k else 0.0),),
        lambda v, c, k=k: combine(c[:k], axis=0) + (l2 * c[k] if len(c) > k else 0.0),
    )


# -- carried rounding -----------------------------------------------------------------


def rounding_bounds(trace: Trace, rules: dict[str, Rule], paths: list[str]) -> dict[str, np.ndarray]:
    """For each path, in units of one place value u, the first-order bound on how far a hand
    computation that rounds every quantity to u can land from the true value.

    given: 0 (exact); copy: the source's bound; formula: 1/2 (its own rounding; none for an
    `exact` rule) plus the carried effect of its inputs' bounds. A bound that is not finite (a saturated output,
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
                own = 0.0 if rule.exact else 0.5
                b = own + np.broadcast_to(np.asarray(rule.carry(v, c), dtype=np.float64), shape)
                b = np.where(np.isfinite(b), b, 0.5)
            bounds[path] = np.asarray(b, dtype=np.float64)
    return bounds
