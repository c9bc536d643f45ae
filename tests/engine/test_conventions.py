"""The textbooks' conventions reproduce published numbers from plain specs, and the new
quantities (grad.x, dL_dh, loss_terms, final.*) agree with finite differences and sympy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from tracer.engine import run
from tracer.errors import SpecError
from tracer.problem.examples import examples_dir
from tracer.problem.spec import load_problem


def test_hagan_first_iteration_with_e_squared():
    """Neural Network Design, ch. 11: e = t - a, F = e^2, alpha = 0.1, 1-2-1 logsig/linear."""
    v = run(load_problem(examples_dir() / "hagan-1-2-1.yaml"), "float").values
    assert round(float(v["iter1.yhat"][0]), 3) == 0.446
    assert round(float(v["iter1.error"][0]), 3) == 1.261
    assert round(float(v["iter1.delta2"][0]), 3) == -2.522
    assert [float(f"{x:.3g}") for x in v["iter1.delta1"]] == [-0.0495, 0.0997]
    assert [float(f"{x:.3g}") for x in v["iter1.new.W2"][0]] == [0.171, -0.0772]
    assert round(float(v["iter1.new.b2"][0]), 3) == 0.732


def test_hagan_handout_rounds_to_three_significant_figures():
    from tracer.api import render_problem

    text = render_problem(load_problem(examples_dir() / "hagan-1-2-1.yaml"), "markdown")
    assert r"\begin{bmatrix} -0.0495 \\ 0.0997 \end{bmatrix}" in text
    assert r"L = e^{2} = 1.26^{2}" in text


def test_single_sigmoid_neuron_sensitivity_without_a_loss():
    """f = sigmoid(w.x + b) at w = [2, -3], x = [-1, -2], b = -3 (the CS231n neuron): df/dx = [0.39, -0.59],
    df/dw = [-0.20, -0.39]."""
    v = run(load_problem(examples_dir() / "neuron-sensitivity.yaml")).values
    s = 1 / (1 + math.exp(-1.0))
    assert np.allclose(v["iter1.grad.x"], [2 * s * (1 - s), -3 * s * (1 - s)], rtol=1e-12)
    assert np.allclose(v["iter1.grad.W1"], [[-s * (1 - s), -2 * s * (1 - s)]], rtol=1e-12)
    assert [round(float(g), 2) for g in v["iter1.grad.x"]] == [0.39, -0.59]
    assert not any(k.startswith("iter1.new") or k.endswith("loss") for k in v)


def _net(loss="sse", **extra):
    spec = {"layers": [2, 3, 1], "activation": ["tanh", "sigmoid"], "loss": loss,
            "params": {"W1": [[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]], "b1": [0.1, -0.1, 0.2],
                       "W2": [[0.7, -0.5, 0.2]], "b2": [0.05]},
            "data": [{"x": [1.0, 2.0], "y": [0.3]}, {"x": [-0.5, 0.5], "y": [0.9]}],
            "learning_rate": 0.5, "iterations": 2, "mode": "gd"}
    if loss == "none":
        spec["data"] = [{"x": ex["x"]} for ex in spec["data"]]
    spec.update(extra)
    return spec


def _sym_output(spec, x):
    """yhat as a sympy expression of the parameters (P) and the input symbols (X)."""
    P = {k: sp.Matrix(np.atleast_2d(v).T if k.startswith("b") else v) for k, v in spec["params"].items()}
    X = sp.Matrix(sp.symbols("x1 x2", real=True))
    a1 = P["W1"] * X + P["b1"]
    h1 = a1.applyfunc(sp.tanh)
    a2 = P["W2"] * h1 + P["b2"]
    return X, 1 / (1 + sp.exp(-a2[0]))


@pytest.mark.parametrize("loss,half,factor", [("none", None, None), ("sse", True, 0.5), ("sse", False, 1.0),
                                              ("mse", True, 0.5), ("mse", False, 1.0)])
@pytest.mark.parametrize("batch_loss", ["mean", "sum"])
def test_grad_x_and_dl_dh_against_sympy(loss, half, factor, batch_loss):
    """grad.x is d(loss)/dx (d yhat/dx with loss none) of the whole composed expression; dL_dh1 is
    dL/dh1 = W2^T delta2; the batch loss is the mean or the sum of the examples' losses."""
    extra = {"batch_loss": batch_loss} if loss == "none" else {"batch_loss": batch_loss, "loss_half": half}
    spec = _net(loss, **extra)
    v = run(load_problem(spec)).values
    losses = []
    for n, ex in enumerate(spec["data"], start=1):
        X, yhat = _sym_output(spec, ex["x"])
        at = dict(zip(X, ex["x"]))
        f = yhat if loss == "none" else factor * (ex["y"][0] - yhat) ** 2
        grad = [float(sp.diff(f, xi).subs(at)) for xi in X]
        assert np.allclose(v[f"iter1.ex{n}.grad.x"], grad, rtol=1e-10, atol=1e-14)
        if loss != "none":
            losses.append(float(f.subs(at)))
            assert np.allclose(v[f"iter1.ex{n}.loss_terms"], [losses[-1]], rtol=1e-12)
        W2, delta2 = np.array(spec["params"]["W2"]), v[f"iter1.ex{n}.delta2"]
        assert np.allclose(v[f"iter1.ex{n}.dL_dh1"], W2.T @ delta2, rtol=1e-12)
    if losses:
        combined = sum(losses) if batch_loss == "sum" else sum(losses) / len(losses)
        assert math.isclose(float(v["iter1.loss"]), combined, rel_tol=1e-12)


@pytest.mark.parametrize("batch_loss", ["mean", "sum"])
def test_batch_gradient_and_final_loss_by_finite_differences(batch_loss):
    spec = _net("sse", loss_half=False, batch_loss=batch_loss, iterations=1)
    v = run(load_problem(spec)).values

    def total(params):
        losses = []
        for ex in spec["data"]:
            h = np.tanh(np.array(params["W1"]) @ ex["x"] + params["b1"])
            yh = 1 / (1 + np.exp(-(np.array(params["W2"]) @ h + params["b2"])))
            losses.append(float(np.sum((np.array(ex["y"]) - yh) ** 2)))
        return sum(losses) if batch_loss == "sum" else sum(losses) / len(losses)

    params = {k: np.array(val, dtype=float) for k, val in spec["params"].items()}
    for name, value in params.items():
        fd = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[idx] += 1e-6
            minus[idx] -= 1e-6
            fd[idx] = (total({**params, name: plus}) - total({**params, name: minus})) / 2e-6
        assert np.allclose(v[f"iter1.grad.{name}"], fd, rtol=1e-6, atol=1e-9), name
    final = {k: np.array(v[f"final.{k}"]) for k in params}
    assert math.isclose(float(v["final.loss"]), total(final), rel_tol=1e-12)


@pytest.mark.parametrize("change,message", [
    ({"layers": [2, 3, 2], "params": None}, "loss: loss none needs a single output unit"),
    ({"data": [{"x": [1.0, 2.0], "y": [1]}]}, "data[0].y: loss none has no target: give x only"),
    ({"l2": 0.1}, "l2: loss none has no loss to regularize"),
    ({"show": ["error"]}, "show[0]: error needs a loss; loss is none"),
    ({"sig_figs": 3, "decimals": 2}, "sig_figs: give decimals or sig_figs, not both"),
    ({"sig_figs": 0}, "sig_figs: expected"),
    ({"batch_loss": "median"}, "batch_loss: unknown value 'median'"),
    ({"loss_half": True}, "loss_half: only used with a squared error"),
])
def test_bad_conventions_are_one_line_errors(change, message):
    spec = _net("none")
    if change.get("params", 1) is None:
        change = {**change, "init": {"seed": 1}}
        spec.pop("params")
        change.pop("params")
    spec.update(change)
    with pytest.raises(SpecError) as err:
        load_problem(spec)
    assert str(err.value).startswith(message)


def test_learning_rate_still_required_with_a_loss():
    spec = _net("sse")
    spec.pop("learning_rate")
    with pytest.raises(SpecError, match="^learning_rate: required field is missing"):
        load_problem(spec)


def test_by_hand_rounds_to_significant_figures():
    v = run(load_problem(examples_dir() / "hagan-1-2-1.yaml"), "by-hand").values
    assert list(v["iter1.h1"]) == [0.321, 0.368]
    assert list(v["iter1.delta1"]) == [-0.0494, 0.0998]  # from the rounded g' and delta2, as by hand
