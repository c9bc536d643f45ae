"""The primitives: activations and losses, each with its local derivative beside it.

Numerically stable: no overflow warnings at |a| = 1000. Losses are per example;
`y`, `yhat` and `a` (the output pre-activation) are vectors of length n_L.

Each primitive takes an optional `ops` (the elementary functions of one kind of
number): float64 by default, or the exact arithmetic of `tracer.arithmetic`.

Loss formulas (n = n_L, the number of outputs):
    bce  L = -sum_k [ y_k log yhat_k + (1 - y_k) log(1 - yhat_k) ]   (sigmoid outputs)
    ce   L = -sum_k y_k log yhat_k                                     (softmax or sigmoid outputs)
    mse  L = (1/n) sum_k (y_k - yhat_k)^2
    sse  L = (1/2) sum_k (y_k - yhat_k)^2
    mae  L = (1/n) sum_k |y_k - yhat_k|
    none the output itself: no loss, dL/dyhat is d yhat / d yhat = 1 (single output)

`loss_scale` turns the squared errors into the other textbook conventions (`loss_half`):
sse without the 1/2 (Hagan's e^2) is 2 * sse, mse with it is mse / 2. `loss_terms` is
the loss before its sum or mean over the outputs: one term per output unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Ops:
    """Elementwise exp, log, tanh and softplus(z) = log(1 + e^z) for one kind of number."""

    exp: Callable
    log: Callable
    tanh: Callable
    softplus: Callable


FLOAT = Ops(np.exp, np.log, np.tanh, lambda z: np.logaddexp(0.0, z))


def _sigmoid(a, ops: Ops = FLOAT):
    e = ops.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_pair(a, ops: Ops = FLOAT):
    """sigmoid(a) and sigmoid(-a) from one exponential: both are 1 / (1 + e) or e / (1 + e) with
    e = exp(-|a|) (|-a| = |a|), chosen by the sign of a; -a >= 0 is a <= 0, also at -0.0 and nan.
    The same numbers, bit for bit, as two calls of _sigmoid."""
    e = ops.exp(-np.abs(a))
    d = 1 + e
    low, high = 1 / d, e / d
    return np.where(a >= 0, low, high), np.where(a <= 0, low, high)


def _sigmoid_prime(a, ops: Ops = FLOAT):
    """sigmoid(a) sigmoid(-a), which has no cancellation (h (1 - h) loses 1 - h as h nears 1)."""
    h, comp = _sigmoid_pair(a, ops)
    return h * comp


def _softmax(a, ops: Ops = FLOAT):
    e = ops.exp(a - np.max(a))
    return e / e.sum()


def _log_softmax(a, ops: Ops = FLOAT):
    shifted = a - np.max(a)
    return shifted - ops.log(ops.exp(shifted).sum())


def _one(a):
    """Ones of a's number type (a * 0 + 1 keeps exact numbers exact)."""
    return a * 0 + 1


def activations(ops: Ops = FLOAT) -> dict:
    """name -> (g(a), g'(a)). g' of relu at 0 is taken as 0. softmax has no elementwise g'."""
    return {
        "sigmoid": (lambda a: _sigmoid(a, ops), lambda a: _sigmoid_prime(a, ops)),
        "tanh": (ops.tanh, lambda a: _sech2(a, ops)),
        "relu": (lambda a: np.where(a > 0, a, a * 0), lambda a: np.where(a > 0, _one(a), a * 0)),
        "linear": (lambda a: a + 0, _one),
        "softmax": (lambda a: _softmax(a, ops), None),
    }


ACTIVATIONS = activations(FLOAT)


def _sech2(a, ops: Ops = FLOAT):
    """1 - tanh(a)^2 without cancellation: 4 e^{-2|a|} / (1 + e^{-2|a|})^2 (1 - tanh(20)^2 is 0 in float64)."""
    e = ops.exp(-2 * np.abs(a))
    return 4 * e / (1 + e) ** 2


def complement(act: str, a, h, ops: Ops = FLOAT):
    """The complement a saturated unit's derivative and loss need, computed without cancellation:
    1 - h = sigmoid(-a) (sigmoid), 1 - h^2 = sech^2(a) (tanh), 1 - h_k = sum of the other outputs
    (softmax); None for the other activations. Where h rounds to 1, `1 - h` keeps no digit of it."""
    if act == "sigmoid":
        return _sigmoid(-a, ops)
    if act == "tanh":
        return _sech2(a, ops)
    if act == "softmax":
        # float64: the same sums, left to right from 0, over Python floats (the same IEEE additions
        # as over numpy's scalars, a fraction of the time)
        terms = h.tolist() if h.dtype == np.float64 else h
        return np.array([sum(terms[j] for j in range(len(h)) if j != k) for k in range(len(h))], dtype=h.dtype)
    return None


def gprime_from_output(act: str, h, a):
    """g'(a) written, as lectures do, in terms of the unit's output h = g(a)."""
    if act == "sigmoid":
        return h * (1 - h)
    if act == "tanh":
        return 1 - h**2
    if act == "relu":
        return np.where(a > 0, _one(a), a * 0)
    if act == "linear":
        return _one(a)
    raise ValueError(act)


def _safe_div(num, den):
    """num / den, with 0 wherever num is 0 (a term that is absent, not 0/0)."""
    out = num * 0
    nz = num != 0
    with np.errstate(divide="ignore"):
        out[nz] = num[nz] / den[nz]
    return out


def _quiet_div(num, den):
    """_safe_div's numbers, without its masks, for a caller whose errstate ignores every floating
    point error (the engine's run): num / den where num is not 0, num * 0 where it is. The 0/0 and
    x/0 it computes and throws away would warn elsewhere."""
    if num.dtype != np.float64 or den.dtype != np.float64 or num.shape != den.shape:
        return _safe_div(num, den)
    return np.where(num != 0, num / den, num * 0)


def _xlogy_neg(c, p, ops: Ops):
    """-c * log(p), with 0 where c is 0; infinite where p is 0 and c is not."""
    out = c * 0
    nz = c != 0
    with np.errstate(divide="ignore"):
        out[nz] = -c[nz] * ops.log(p[nz])
    return out


def loss_value(loss: str, out_act: str, y, yhat, a, ops: Ops = FLOAT, from_output: bool = False):
    """Per-example loss.

    Log terms are computed from the pre-activation `a` (stable: no log(0) from a
    yhat that rounds to 1). With `from_output`, they are computed from `yhat`
    itself, as a hand computation does.
    """
    if loss in ("bce", "ce") and from_output:
        total = _xlogy_neg(y, yhat, ops)
        if loss == "bce":
            total = total + _xlogy_neg(1 - y, 1 - yhat, ops)
        return np.sum(total)
    if loss == "bce":  # sigmoid: -log yhat = softplus(-a), -log(1 - yhat) = softplus(a)
        return np.sum(y * ops.softplus(-a) + (1 - y) * ops.softplus(a))
    if loss == "ce":
        neg_log = -_log_softmax(a, ops) if out_act == "softmax" else ops.softplus(-a)
        return np.sum(np.where(y != 0, y * neg_log, y * 0))
    diff = y - yhat
    if loss == "mse":
        return np.sum(diff**2) / len(y)
    if loss == "sse":
        return np.sum(diff**2) / 2
    if loss == "mae":
        return np.sum(np.abs(diff)) / len(y)
    raise ValueError(loss)


def loss_terms_and_value(loss: str, out_act: str, y, yhat, a, ops: Ops = FLOAT, from_output: bool = False):
    """(loss_terms(...), loss_value(...)), the same numbers bit for bit, each log or square taken
    once: the value is the sum (or mean) of the very terms, except sse, whose terms are the squares
    halved and whose value is the sum of the squares halved (as loss_value computes it)."""
    if loss in ("bce", "ce") and from_output:
        total = _xlogy_neg(y, yhat, ops)
        if loss == "bce":
            total = total + _xlogy_neg(1 - y, 1 - yhat, ops)
        return total, np.sum(total)
    if loss == "bce":
        terms = y * ops.softplus(-a) + (1 - y) * ops.softplus(a)
        return terms, np.sum(terms)
    if loss == "ce":
        neg_log = -_log_softmax(a, ops) if out_act == "softmax" else ops.softplus(-a)
        terms = np.where(y != 0, y * neg_log, y * 0)
        return terms, np.sum(terms)
    diff = y - yhat
    if loss in ("mse", "sse"):
        squares = diff**2
        if loss == "sse":
            return squares / 2, np.sum(squares) / 2
        return squares, np.sum(squares) / len(y)
    if loss == "mae":
        terms = np.abs(diff)
        return terms, np.sum(terms) / len(y)
    raise ValueError(loss)


def loss_scale(loss: str, half: bool) -> float:
    """The factor from the default form of a squared error to the one `loss_half` chooses."""
    if loss == "sse" and not half:
        return 2.0
    if loss == "mse" and half:
        return 0.5
    return 1.0


def loss_terms(loss: str, out_act: str, y, yhat, a, ops: Ops = FLOAT, from_output: bool = False):
    """One term per output unit: the loss is their sum (bce, ce, sse) or mean (mse, mae), before
    `loss_scale` (which the caller applies, as for loss_value)."""
    if loss in ("bce", "ce") and from_output:
        total = _xlogy_neg(y, yhat, ops)
        return total + _xlogy_neg(1 - y, 1 - yhat, ops) if loss == "bce" else total
    if loss == "bce":
        return y * ops.softplus(-a) + (1 - y) * ops.softplus(a)
    if loss == "ce":
        neg_log = -_log_softmax(a, ops) if out_act == "softmax" else ops.softplus(-a)
        return np.where(y != 0, y * neg_log, y * 0)
    diff = y - yhat
    if loss in ("mse", "sse"):
        return diff**2 / 2 if loss == "sse" else diff**2
    if loss == "mae":
        return np.abs(diff)
    raise ValueError(loss)


def loss_grad(loss: str, out_act: str, y, yhat, a, ops: Ops = FLOAT, one_minus_yhat=None, quiet: bool = False):
    """d loss / d yhat. May be infinite where yhat saturates against a label.

    `one_minus_yhat` defaults to sigmoid(-a), which has no cancellation. `quiet`: the caller
    ignores floating point errors (np.errstate(all="ignore")), so quotients may be taken unmasked.
    """
    div = _quiet_div if quiet else _safe_div
    if loss == "bce":
        one_minus = _sigmoid(-a, ops) if one_minus_yhat is None else one_minus_yhat
        return -div(y, yhat) + div(1 - y, one_minus)
    if loss == "ce":
        return -div(y, yhat)
    n = len(y)
    if loss == "mse":
        return 2 * (yhat - y) / n
    if loss == "sse":
        return yhat - y
    if loss == "mae":
        return np.sign(yhat - y) * _one(y) / n  # np.sign of exact numbers gives ints: keep y's type
    if loss == "none":
        return _one(yhat)
    raise ValueError(loss)


def output_delta(loss: str, out_act: str, y, yhat, a, dl_dyhat, gprime, ops: Ops = FLOAT, one_minus_yhat=None,
                 sigmoid_comp=None):
    """delta(L) = d loss / d a(L).

    Where the product dL/dyhat * g'(a) simplifies exactly, use the simplified
    form: it stays finite when yhat saturates (the product would be inf * 0).
    `sigmoid_comp` is sigmoid(-a) where the caller has it already (the forward pass's complement):
    used instead of evaluating it again, the same numbers.
    """
    if out_act == "softmax":  # ce: J^T (-y / yhat) = yhat * sum(y) - y
        return yhat * np.sum(y) - y
    if out_act == "sigmoid" and loss == "bce":
        if one_minus_yhat is not None:  # by hand: from the rounded yhat, as the handout prints it
            return yhat - y
        # yhat - y = (1 - y) - (1 - yhat): where yhat is near 1, from 1 - yhat = sigmoid(-a), which
        # keeps its digits (yhat - 1 is 0 in float64 from a = 37 on)
        comp = _sigmoid(-a, ops) if sigmoid_comp is None else sigmoid_comp
        return np.where(a > 0, (1 - y) - comp, yhat - y)
    if out_act == "sigmoid" and loss == "ce":
        one_minus = one_minus_yhat if one_minus_yhat is not None else (
            _sigmoid(-a, ops) if sigmoid_comp is None else sigmoid_comp)
        return -y * one_minus
    return dl_dyhat * gprime
