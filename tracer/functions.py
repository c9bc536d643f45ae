"""The primitives: activations and losses, each with its local derivative beside it.

All are float64 and numerically stable: no overflow warnings at |a| = 1000.
Losses are per example; `y`, `yhat` and `a` (the output pre-activation) are
vectors of length n_L.

Loss formulas (n = n_L, the number of outputs):
    bce  L = -sum_k [ y_k log yhat_k + (1 - y_k) log(1 - yhat_k) ]   (sigmoid outputs)
    ce   L = -sum_k y_k log yhat_k                                     (softmax or sigmoid outputs)
    mse  L = (1/n) sum_k (y_k - yhat_k)^2
    sse  L = (1/2) sum_k (y_k - yhat_k)^2
    mae  L = (1/n) sum_k |y_k - yhat_k|
"""

from __future__ import annotations

import numpy as np


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(a):
    e = np.exp(a - np.max(a))
    return e / e.sum()


def _log_softmax(a):
    shifted = a - np.max(a)
    return shifted - np.log(np.exp(shifted).sum())


# name -> (g(a), g'(a)). g' of relu at 0 is taken as 0. softmax has no elementwise g'.
ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda a: _sigmoid(a) * _sigmoid(-a)),
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(np.float64)),
    "linear": (lambda a: a.astype(np.float64, copy=True), lambda a: np.ones_like(a, dtype=np.float64)),
    "softmax": (_softmax, None),
}


def _softplus(z):
    return np.logaddexp(0.0, z)


def _safe_div(num, den):
    """num / den, with 0 wherever num is 0 (a term that is absent, not 0/0)."""
    out = np.zeros_like(num, dtype=np.float64)
    nz = num != 0
    with np.errstate(divide="ignore"):
        out[nz] = num[nz] / den[nz]
    return out


def loss_value(loss: str, out_act: str, y, yhat, a) -> float:
    """Per-example loss; log terms are computed from the pre-activation `a`."""
    if loss == "bce":  # sigmoid: -log yhat = softplus(-a), -log(1 - yhat) = softplus(a)
        return float(np.sum(y * _softplus(-a) + (1.0 - y) * _softplus(a)))
    if loss == "ce":
        neg_log = -_log_softmax(a) if out_act == "softmax" else _softplus(-a)
        return float(np.sum(np.where(y != 0, y * neg_log, 0.0)))
    diff = y - yhat
    if loss == "mse":
        return float(np.mean(diff**2))
    if loss == "sse":
        return float(0.5 * np.sum(diff**2))
    if loss == "mae":
        return float(np.mean(np.abs(diff)))
    raise ValueError(loss)


def loss_grad(loss: str, out_act: str, y, yhat, a):
    """d loss / d yhat. May be infinite where yhat saturates against a label."""
    if loss == "bce":
        one_minus = _sigmoid(-a)  # 1 - yhat without cancellation
        return -_safe_div(y, yhat) + _safe_div(1.0 - y, one_minus)
    if loss == "ce":
        return -_safe_div(y, yhat)
    n = y.shape[0]
    if loss == "mse":
        return 2.0 * (yhat - y) / n
    if loss == "sse":
        return yhat - y
    if loss == "mae":
        return np.sign(yhat - y) / n
    raise ValueError(loss)


def output_delta(loss: str, out_act: str, y, yhat, a, dl_dyhat, gprime):
    """delta(L) = d loss / d a(L).

    Where the product dL/dyhat * g'(a) simplifies exactly, use the simplified
    form: it stays finite when yhat saturates (the product would be inf * 0).
    """
    if out_act == "softmax":  # ce: J^T (-y / yhat) = yhat * sum(y) - y
        return yhat * np.sum(y) - y
    if out_act == "sigmoid" and loss == "bce":
        return yhat - y
    if out_act == "sigmoid" and loss == "ce":
        return -y * _sigmoid(-a)
    return dl_dyhat * gprime
