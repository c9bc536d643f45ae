"""Oracle tests for the engine: every number it records is checked against
something computed another way.

- sympy differentiates the whole composed loss of the first iteration, in
  float64 and, to 40 digits, in `arithmetic: exact`;
- central finite differences of a plain-numpy forward pass check every
  gradient of every iteration, and delta, dL/dyhat and g' of every example;
- an independent trainer must follow the same parameter trajectory;
- the recorded paths are exactly those QUANTITIES.md promises, in computation order;
- saturated units (|a| = 1000) give no warnings and a finite loss;
- the lecture's 2-2-1 example against a hand computation with math.exp.

Nothing here calls tracer.engine.functions: the oracles are written from the formulas
in QUANTITIES.md and the loss docstring of tracer/functions.py.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from tracer.engine import run
from tracer.problem.spec import load_problem

HIDDEN = ("sigmoid", "tanh", "relu", "linear")
LOSSES = ("bce", "ce", "mse", "sse", "mae")
KINK_MARGIN = 1e-4  # relu pre-activations and mae residuals must stay this far from 0

# Every randomized test runs once per loss, so each loss gets the same share:
# in the ci profile 5 x 60 = 300 examples per test, and 5 x 20 = 100 for the
# slow sympy test.
PER_LOSS = max(2, settings().max_examples * 3 // 10)
SYMPY_PER_LOSS = max(2, min(100, settings().max_examples) // 5)
by_loss = pytest.mark.parametrize("loss", LOSSES)


# -- random problems -----------------------------------------------------------------

def count(low: int, high: int):
    """A whole number in [low, high], largest first: Hypothesis draws the first
    option of st.sampled_from for a large share of its examples (and shrinks
    towards it), and a larger net, batch or run is the richer test."""
    return st.sampled_from(range(high, low - 1, -1))


PARAM = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False, allow_subnormal=False)
INPUT = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _labels(draw, loss: str, n: int) -> list[float]:
    if loss == "bce":
        return [draw(st.floats(0.0, 1.0)) for _ in range(n)]
    if loss == "ce":
        if draw(st.booleans()):
            hot = draw(st.sampled_from(range(n)))
            return [1.0 if k == hot else 0.0 for k in range(n)]
        weights = [draw(st.just(0.0) | st.floats(0.01, 1.0)) for _ in range(n)]
        if sum(weights) == 0:
            weights[draw(st.integers(0, n - 1))] = 1.0
        return [w / sum(weights) for w in weights]
    return [draw(INPUT) for _ in range(n)]


@st.composite
def specs(draw, loss, *, min_iterations=1, max_iterations=1, max_units=3, max_depth=3, max_examples=4):
    """A valid spec mapping for `load_problem` with the given loss."""
    # A derandomized run seeds a test by its source, so every loss case of a
    # parametrized test would replay the same choices: skipping a loss-dependent
    # number of draws sends each case down its own sequence.
    for _ in range(LOSSES.index(loss)):
        draw(st.integers(0, 2**16))
    depth = draw(count(1, max_depth))
    layers = [draw(count(1, max_units)) for _ in range(depth + 1)]
    if loss == "bce":
        out = "sigmoid"
    elif loss == "ce":
        out = draw(st.sampled_from(("softmax", "sigmoid")))
    else:
        out = draw(st.sampled_from(HIDDEN))
    activation = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)] + [out]
    params = {}
    for l in range(1, depth + 1):
        params[f"W{l}"] = [[draw(PARAM) for _ in range(layers[l - 1])] for _ in range(layers[l])]
        params[f"b{l}"] = [draw(PARAM) for _ in range(layers[l])]
    n = draw(count(1, max_examples))
    data = [{"x": [draw(INPUT) for _ in range(layers[0])], "y": _labels(draw, loss, layers[-1])} for _ in range(n)]
    mode = draw(st.sampled_from(("minibatch", "gd", "sgd")))  # batches of several examples first
    spec = {
        "layers": layers,
        "activation": activation,
        "loss": loss,
        "params": params,
        "data": data,
        "learning_rate": draw(st.floats(0.01, 1.0)),
        "iterations": draw(count(min_iterations, max_iterations)),
        "mode": mode,
        "l2": draw(st.just(0.0) | st.floats(0.001, 0.5)),
        "frozen": draw(st.lists(st.sampled_from(list(params)), unique=True)),
    }
    if mode == "minibatch":
        spec["batch_size"] = draw(count(1, n))
    seed = draw(st.none() | st.integers(0, 2**16))
    if seed is not None:
        spec["shuffle_seed"] = seed
    return spec


def expected_batches(spec) -> list[tuple[int, ...]]:
    """Example indices per iteration, from the mode rules: sgd takes one example,
    gd all, minibatch batch_size (the last batch of an epoch may be shorter);
    with shuffle_seed each epoch visits default_rng(seed).permutation(n)."""
    n = len(spec["data"])
    mode = spec.get("mode", "sgd")
    size = {"sgd": 1, "gd": n, "minibatch": spec.get("batch_size")}[mode]
    rng = np.random.default_rng(spec["shuffle_seed"]) if spec.get("shuffle_seed") is not None else None
    out: list[tuple[int, ...]] = []
    while len(out) < spec["iterations"]:
        order = list(range(n)) if rng is None else [int(i) for i in rng.permutation(n)]
        out += [tuple(order[s : s + size]) for s in range(0, n, size)]
    return out[: spec["iterations"]]


# -- an independent numpy model -------------------------------------------------------


def _softplus(z):
    return np.logaddexp(0.0, z)


NP_ACT = {
    "sigmoid": lambda a: np.exp(-_softplus(-a)),
    "tanh": np.tanh,
    "relu": lambda a: np.where(a > 0, a, 0.0),
    "linear": lambda a: a * 1.0,
    "softmax": lambda a: np.exp(a - np.logaddexp.reduce(a)),
}


@dataclass
class Net:
    layers: list[int]
    acts: list[str]
    loss: str
    data: list[tuple[np.ndarray, np.ndarray]]
    l2: float
    lr: float
    frozen: frozenset[str]

    @classmethod
    def from_spec(cls, spec) -> "Net":
        acts = spec["activation"]
        acts = list(acts) if isinstance(acts, list) else [acts] * (len(spec["layers"]) - 1)
        data = [(np.array(e["x"], float), np.array(e["y"], float)) for e in spec["data"]]
        return cls(list(spec["layers"]), acts, spec["loss"], data, float(spec.get("l2", 0.0)),
                   float(spec["learning_rate"]), frozenset(spec.get("frozen", [])))

    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    @property
    def names(self) -> list[str]:
        return [f"{k}{l}" for l in range(1, self.depth + 1) for k in ("W", "b")]

    def shape(self, name: str) -> tuple[int, ...]:
        l = int(name[1:])
        return (self.layers[l], self.layers[l - 1]) if name[0] == "W" else (self.layers[l],)


def initial_params(spec) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=float) for k, v in spec["params"].items()}


def forward(net: Net, params, x, start: int = 1, a_start=None):
    """Pre-activations and activations [a1..aL], [h0..hL] for input x. With
    `start` > 1, x is h(start - 1) and the lists begin at layer `start`; with
    `a_start`, a(start) is given rather than computed (for d loss / d a)."""
    hs, pres = [x], []
    for l in range(start, net.depth + 1):
        a = a_start if (l == start and a_start is not None) else params[f"W{l}"] @ hs[-1] + params[f"b{l}"]
        pres.append(a)
        hs.append(NP_ACT[net.acts[l - 1]](a))
    return pres, hs


def example_loss(net: Net, y, a, yhat) -> float:
    """The per-example loss, the formulas of the tracer.engine.functions docstring; log
    terms from the pre-activation so that saturated outputs stay finite."""
    if net.loss == "bce":
        return float(np.sum(y * _softplus(-a) + (1 - y) * _softplus(a)))
    if net.loss == "ce":
        log_yhat = a - np.logaddexp.reduce(a) if net.acts[-1] == "softmax" else -_softplus(-a)
        return float(-sum(y[k] * log_yhat[k] for k in range(len(y)) if y[k] != 0))
    d = yhat - y
    return float({"mse": np.mean(d**2), "sse": 0.5 * np.sum(d**2), "mae": np.mean(np.abs(d))}[net.loss])


def l2_term(net: Net, params) -> float:
    return 0.5 * net.l2 * sum(float(np.sum(params[f"W{l}"] ** 2)) for l in range(1, net.depth + 1))


def objective(net: Net, params, batch) -> float:
    """The iteration's loss: mean over its examples, plus the L2 term."""
    total = 0.0
    for i in batch:
        x, y = net.data[i]
        pres, hs = forward(net, params, x)
        total += example_loss(net, y, pres[-1], hs[-1])
    return total / len(batch) + l2_term(net, params)


def kink_signs(net: Net, params, batch) -> tuple:
    """Which side of every kink (relu at 0, |.| of mae at 0) the point is on,
    and how far from the nearest kink."""
    signs, dist = [], math.inf
    for i in batch:
        x, y = net.data[i]
        pres, hs = forward(net, params, x)
        for l, a in enumerate(pres, start=1):
            if net.acts[l - 1] == "relu":
                signs += list(a > 0)
                dist = min(dist, float(np.min(np.abs(a))))
        if net.loss == "mae":
            signs += list(hs[-1] > y)
            dist = min(dist, float(np.min(np.abs(hs[-1] - y))))
    return tuple(signs), dist


def central_difference(f, x: np.ndarray, *, rel_step: float = 1e-6, guard=None) -> np.ndarray:
    """d f / d x by central differences, one element at a time. `guard(x_perturbed)`
    must hold at both points (used to reject a step that crosses a kink)."""
    grad = np.zeros_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        step = rel_step * max(1.0, abs(float(x[idx])))
        plus, minus = x.copy(), x.copy()
        plus[idx] += step
        minus[idx] -= step
        if guard is not None:
            assume(guard(plus) and guard(minus))
        grad[idx] = (f(plus) - f(minus)) / (plus[idx] - minus[idx])
    return grad


def params_at(trace, net: Net, prefix: str) -> dict[str, np.ndarray]:
    return {name: np.array(trace.values[prefix + name], dtype=float) for name in net.names}


def assert_close(actual, expected, *, rtol, atol, what=""):
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    err = np.abs(actual - expected)
    ok = err <= atol + rtol * np.abs(expected)
    assert ok.all(), f"{what}: engine {actual.tolist()} != oracle {expected.tolist()} (max error {err.max():.3g})"


def run_spec(spec):
    # coverage, shown by pytest --hypothesis-show-statistics
    event(f"output {spec['activation'][-1]}")
    event(f"mode {spec['mode']}" + (", shuffled" if "shuffle_seed" in spec else ""))
    event(f"{spec['iterations']} iterations, {len(spec['data'])} examples, depth {len(spec['layers']) - 1}")
    return run(load_problem(spec))


def bounded(params, loss: float, limit: float = 100.0) -> bool:
    """Finite differences and long trajectories are only meaningful while the run has not diverged."""
    return math.isfinite(loss) and abs(loss) < 1e6 and all(np.all(np.abs(v) < limit) for v in params.values())


# -- oracle (a): sympy differentiates the whole composed loss ---------------------------

DPS = 100  # sympy evaluates with 100 digits: 1 - sigmoid(a) keeps 60 of them up to |a| ~ 90


def binary(value: float) -> sp.Float:
    """The exact value of the double, as float arithmetic sees a spec number."""
    return sp.Float(float(value), DPS)


def decimal(value: float) -> sp.Float:
    """The decimal as written, as exact arithmetic reads a spec number (0.1 is 1/10)."""
    return sp.Float(repr(float(value)), DPS)


def _sym_act(name: str, a):
    if name == "sigmoid":
        return 1 / (1 + sp.exp(-a))
    if name == "tanh":
        return sp.tanh(a)
    if name == "relu":
        return sp.Piecewise((a, a > 0), (0, True))
    return a  # linear


def sympy_objective(net: Net, batch, symbols: dict[str, sp.Matrix], num=binary):
    """The iteration's loss as one sympy expression in the parameter symbols;
    `num` turns the spec's numbers (x, y, l2) into sympy numbers."""
    L = net.depth
    total = sp.Integer(0)
    for i in batch:
        x, y = net.data[i]
        h = sp.Matrix([num(v) for v in x])
        for l in range(1, L + 1):
            a = symbols[f"W{l}"] * h + symbols[f"b{l}"]
            if net.acts[l - 1] == "softmax":
                e = [sp.exp(v) for v in a]
                h = sp.Matrix([ek / sum(e) for ek in e])
            else:
                h = a.applyfunc(lambda v, g=net.acts[l - 1]: _sym_act(g, v))
        yhat, y, n = list(h), [num(v) for v in y], len(y)
        if net.loss == "bce":
            loss = -sum(yk * sp.log(pk) + (1 - yk) * sp.log(1 - pk) for yk, pk in zip(y, yhat))
        elif net.loss == "ce":
            loss = -sum(yk * sp.log(pk) for yk, pk in zip(y, yhat))
        elif net.loss == "mse":
            loss = sum((yk - pk) ** 2 for yk, pk in zip(y, yhat)) / n
        elif net.loss == "sse":
            loss = sum((yk - pk) ** 2 for yk, pk in zip(y, yhat)) / 2
        else:  # mae
            loss = sum(sp.Abs(yk - pk) for yk, pk in zip(y, yhat)) / n
        total += loss
    weights = [w for l in range(1, L + 1) for w in symbols[f"W{l}"]]
    return total / len(batch) + num(net.l2) / 2 * sum(w**2 for w in weights)


def parameter_symbols(net: Net) -> dict[str, sp.Matrix]:
    out = {}
    for name in net.names:
        rows, cols = (net.shape(name) + (1,))[:2]
        out[name] = sp.Matrix(rows, cols, lambda i, j, name=name: sp.Symbol(f"{name}_{i}_{j}", real=True))
    return out


def small_specs(loss):
    """Small nets: the cost of sympy's diff of the whole expression grows fast with its size."""
    return specs(loss, max_units=3, max_depth=2) | specs(loss, max_units=2, max_depth=3, max_examples=3)


def sympy_first_iteration(spec, num):
    """The symbolic loss of iteration 1, the point to evaluate it at, and the net."""
    net = Net.from_spec(spec)
    params = initial_params(spec)
    batch = expected_batches(spec)[0]
    _, kink_dist = kink_signs(net, params, batch)
    assume(kink_dist > KINK_MARGIN)
    if net.acts[-1] == "sigmoid":  # beyond |a| ~ 90, DPS digits no longer resolve 1 - sigmoid(a) well
        for i in batch:
            assume(np.max(np.abs(forward(net, params, net.data[i][0])[0][-1])) < 90)
    symbols = parameter_symbols(net)
    expr = sympy_objective(net, batch, symbols, num)
    at = {s: num(v) for name in net.names for s, v in zip(symbols[name], params[name].reshape(-1))}
    return net, batch, symbols, expr, at


@by_loss
@settings(max_examples=SYMPY_PER_LOSS)
@given(data=st.data())
def test_first_iteration_gradient_matches_sympy(loss, data):
    spec = data.draw(small_specs(loss), label="spec")
    net, batch, symbols, expr, at = sympy_first_iteration(spec, binary)
    trace = run_spec(spec)
    assert trace.iterations[0].examples == batch
    assert_close(trace.values["iter1.loss"], float(expr.xreplace(at)), rtol=1e-9, atol=1e-10, what="iter1.loss")
    for name in net.names:
        grad = [float(sp.diff(expr, s).xreplace(at)) for s in symbols[name]]
        assert_close(trace.values[f"iter1.grad.{name}"], np.reshape(grad, net.shape(name)),
                     rtol=1e-9, atol=1e-10, what=f"iter1.grad.{name}")


@by_loss
@settings(max_examples=max(2, SYMPY_PER_LOSS // 2))
@given(data=st.data())
def test_exact_arithmetic_matches_sympy_to_40_digits(loss, data):
    """`arithmetic: exact` carries 50 digits and reads spec numbers as written:
    its loss, gradient and update agree with sympy's to 40 digits."""
    spec = {**data.draw(small_specs(loss), label="spec"), "arithmetic": "exact"}
    net, batch, symbols, expr, at = sympy_first_iteration(spec, decimal)
    v = run_spec(spec).values
    lr = decimal(spec["learning_rate"])

    def check(path, got, expected):
        got = sp.Float(str(got), DPS)
        assert abs(got - expected) <= sp.Float("1e-40") * max(1, abs(expected)), f"{path}: {got} != {expected}"

    check("iter1.loss", v["iter1.loss"], expr.xreplace(at))
    for name in net.names:
        got_grad, got_new = v[f"iter1.grad.{name}"].reshape(-1), v[f"iter1.new.{name}"].reshape(-1)
        for k, s in enumerate(symbols[name]):
            grad = sp.diff(expr, s).xreplace(at)
            check(f"iter1.grad.{name}[{k}]", got_grad[k], grad)
            check(f"iter1.new.{name}[{k}]", got_new[k], at[s] if name in net.frozen else at[s] - lr * grad)


# -- oracle (b): central finite differences, every iteration ---------------------------


@by_loss
@settings(max_examples=PER_LOSS)
@given(data=st.data())
def test_every_gradient_matches_finite_differences(loss, data):
    spec = data.draw(specs(loss, max_iterations=6), label="spec")
    net = Net.from_spec(spec)
    trace = run_spec(spec)
    for t, batch in enumerate(expected_batches(spec), start=1):
        params = params_at(trace, net, f"iter{t}.")
        value = objective(net, params, batch)
        if not bounded(params, value):
            event("run diverged: later iterations not checked")
            break  # finite differences of a diverged run say nothing about the gradient code
        signs, dist = kink_signs(net, params, batch)
        assume(dist > KINK_MARGIN)
        assert_close(trace.values[f"iter{t}.loss"], value, rtol=1e-12, atol=1e-12, what=f"iter{t}.loss")
        scale = 1.0 + abs(value)
        for name in net.names:
            def f(value, name=name):
                return objective(net, {**params, name: value}, batch)

            def same_side(value, name=name):
                return kink_signs(net, {**params, name: value}, batch)[0] == signs

            fd = central_difference(f, params[name], guard=same_side)
            assert_close(trace.values[f"iter{t}.grad.{name}"], fd, rtol=1e-6, atol=1e-7 * scale,
                         what=f"iter{t}.grad.{name}")


@by_loss
@settings(max_examples=PER_LOSS)
@given(data=st.data())
def test_per_example_quantities_match_finite_differences(loss, data):
    """a, h, yhat, loss from an independent forward pass; g', dL/dyhat, delta and the
    per-example gradients as finite differences of the example's own loss."""
    spec = data.draw(specs(loss, max_iterations=4), label="spec")
    net = Net.from_spec(spec)
    trace = run_spec(spec)
    v = trace.values
    L = net.depth
    for t, batch in enumerate(expected_batches(spec), start=1):
        params = params_at(trace, net, f"iter{t}.")
        if not bounded(params, objective(net, params, batch)):
            break
        _, dist = kink_signs(net, params, batch)
        assume(dist > KINK_MARGIN)
        for n, index in enumerate(batch, start=1):
            e = f"iter{t}." if len(batch) == 1 else f"iter{t}.ex{n}."
            x, y = net.data[index]
            pres, hs = forward(net, params, x)
            own = example_loss(net, y, pres[-1], hs[-1])
            assert np.array_equal(v[e + "x"], x) and np.array_equal(v[e + "y"], y)
            for l in range(1, L + 1):
                assert_close(v[f"{e}a{l}"], pres[l - 1], rtol=1e-12, atol=1e-12, what=f"{e}a{l}")
                assert_close(v[f"{e}h{l}"], hs[l], rtol=1e-12, atol=1e-14, what=f"{e}h{l}")
            assert np.array_equal(v[e + "yhat"], v[f"{e}h{L}"])
            recorded = own + (l2_term(net, params) if len(batch) == 1 else 0.0)  # a one-example iteration's loss
            assert_close(v[e + "loss"], recorded, rtol=1e-12, atol=1e-12, what=e + "loss")

            for l in range(1, L + 1):
                act = net.acts[l - 1]
                if act == "softmax":
                    assert f"{e}gprime{l}" not in v
                    continue
                a = pres[l - 1]
                step = 1e-6 * np.maximum(1.0, np.abs(a))
                fd = (NP_ACT[act](a + step) - NP_ACT[act](a - step)) / ((a + step) - (a - step))
                assert_close(v[f"{e}gprime{l}"], fd, rtol=1e-6, atol=1e-8, what=f"{e}gprime{l}")

            def loss_from(l, a_l):  # the example's loss as a function of a(l)
                p, h = forward(net, params, hs[l - 1], start=l, a_start=a_l)
                return example_loss(net, y, p[-1], h[-1])

            scale = 1.0 + abs(own)
            for l in range(1, L + 1):
                fd = central_difference(lambda a_l, l=l: loss_from(l, a_l), pres[l - 1])
                assert_close(v[f"{e}delta{l}"], fd, rtol=1e-6, atol=1e-7 * scale, what=f"{e}delta{l}")

            check_dl_dyhat(net, y, pres[-1], hs[-1], v[e + "dL_dyhat"], what=e + "dL_dyhat")

            if len(batch) > 1:
                for name in net.names:
                    def f(value, name=name):
                        p, h = forward(net, {**params, name: value}, x)
                        return example_loss(net, y, p[-1], h[-1])

                    fd = central_difference(f, params[name])
                    assert_close(v[f"{e}grad.{name}"], fd, rtol=1e-6, atol=1e-7 * scale, what=f"{e}grad.{name}")
            else:
                assert not any(k.startswith(f"iter{t}.ex") for k in v)


def check_dl_dyhat(net: Net, y, a, yhat, got, what):
    """dL/dyhat treats yhat as free variables of the loss formula: -y/yhat
    (+ (1 - y)/(1 - yhat) for bce) for the log losses. Where yhat has saturated
    to exactly 0 or 1 in float64 that derivative is infinite."""
    n = len(y)
    if net.loss in ("bce", "ce"):
        # 1 - yhat of a sigmoid from its pre-activation, without cancellation
        one_minus = np.exp(-_softplus(a)) if net.acts[-1] == "sigmoid" else 1 - yhat
        expected = np.zeros(n)
        for k in range(n):
            terms = [(-y[k], yhat[k])] + ([(1 - y[k], one_minus[k])] if net.loss == "bce" else [])
            for c, p in terms:
                if c != 0:
                    expected[k] += c / p if p != 0 else math.copysign(math.inf, c)

            def f(p, k=k):  # the loss in yhat_k alone
                out = -y[k] * math.log(p) if y[k] != 0 else 0.0
                if net.loss == "bce" and y[k] != 1:
                    out -= (1 - y[k]) * math.log(1 - p)
                return out

            if min(yhat[k], one_minus[k]) > 1e-3:  # an independent look at the formula
                h = 1e-7 * min(yhat[k], one_minus[k])
                fd = (f(yhat[k] + h) - f(yhat[k] - h)) / ((yhat[k] + h) - (yhat[k] - h))
                assert_close(expected[k], fd, rtol=1e-5, atol=1e-8, what=f"{what}[{k}] oracle self-check")
        finite = np.isfinite(expected)
        assert np.array_equal(got[~finite], expected[~finite]), f"{what}: {got.tolist()}, expected {expected.tolist()}"
        assert_close(got[finite], expected[finite], rtol=1e-12, atol=1e-15, what=what)
        return
    d = yhat - y
    expected = {"mse": 2 * d / n, "sse": d, "mae": np.sign(d) / n}[net.loss]
    f = {"mse": lambda p: np.mean((p - y) ** 2), "sse": lambda p: 0.5 * np.sum((p - y) ** 2),
         "mae": lambda p: np.mean(np.abs(p - y))}[net.loss]
    assert_close(expected, central_difference(f, yhat), rtol=1e-6, atol=1e-8, what=f"{what} oracle self-check")
    assert_close(got, expected, rtol=1e-12, atol=1e-15, what=what)


# -- 4: an independent trainer follows the same trajectory ------------------------------


def train(net: Net, params, batches):
    """Plain gradient descent: yields (params at start, new params) per iteration."""
    params = {k: v.copy() for k, v in params.items()}
    L = net.depth
    for batch in batches:
        start = {k: v.copy() for k, v in params.items()}
        grads = {k: np.zeros_like(v) for k, v in params.items()}
        for i in batch:
            x, y = net.data[i]
            hs, pres = [x], []
            for l in range(1, L + 1):
                a = params[f"W{l}"] @ hs[-1] + params[f"b{l}"]
                pres.append(a)
                hs.append(NP_ACT[net.acts[l - 1]](a))
            yhat, out = hs[-1], net.acts[-1]
            if out == "softmax":  # d/da_k of -sum_j y_j log softmax_j(a) = yhat_k sum(y) - y_k
                delta = yhat * y.sum() - y
            elif out == "sigmoid" and net.loss == "bce":
                delta = yhat - y
            elif out == "sigmoid" and net.loss == "ce":
                delta = -y * (1 - yhat)
            else:
                d = yhat - y
                dl = {"mse": 2 * d / len(y), "sse": d, "mae": np.sign(d) / len(y)}[net.loss]
                delta = dl * derivative(out, pres[-1], yhat)
            for l in range(L, 0, -1):
                grads[f"W{l}"] += np.outer(delta, hs[l - 1]) / len(batch)
                grads[f"b{l}"] += delta / len(batch)
                if l > 1:
                    delta = derivative(net.acts[l - 2], pres[l - 2], hs[l - 1]) * (params[f"W{l}"].T @ delta)
        for name in params:
            g = grads[name] + (net.l2 * params[name] if name[0] == "W" else 0.0)
            if name not in net.frozen:
                params[name] = params[name] - net.lr * g
        yield start, {k: v.copy() for k, v in params.items()}


def derivative(act: str, a, h):
    return {"sigmoid": lambda: h * (1 - h), "tanh": lambda: 1 - h**2,
            "relu": lambda: (a > 0) * 1.0, "linear": lambda: np.ones_like(a)}[act]()


@by_loss
@settings(max_examples=PER_LOSS)
@given(data=st.data())
def test_independent_trainer_follows_the_same_trajectory(loss, data):
    spec = data.draw(specs(loss, min_iterations=3, max_iterations=6), label="spec")
    net = Net.from_spec(spec)
    trace = run_spec(spec)
    v = trace.values
    mine = list(train(net, initial_params(spec), expected_batches(spec)))
    for t, (start, new) in enumerate(mine, start=1):
        assume(all(np.all(np.abs(value) < 1e3) for value in new.values()))  # not diverging
        for name in net.names:
            tol = 1e-12 * max(1.0, float(np.max(np.abs(start[name]))))
            assert_close(v[f"iter{t}.{name}"], start[name], rtol=1e-12, atol=tol, what=f"iter{t}.{name}")
            assert_close(v[f"iter{t}.new.{name}"], new[name], rtol=1e-12, atol=tol, what=f"iter{t}.new.{name}")
    for name in net.names:
        assert_close(v[f"final.{name}"], mine[-1][1][name], rtol=1e-12, atol=1e-12, what=f"final.{name}")


# -- 5: the paths QUANTITIES.md promises, and their order ------------------------------


def expected_layout(net: Net, batches):
    """{path: shape} of everything a run records, and ordering constraints
    (earlier group, later group) that computation order implies."""
    shapes: dict[str, tuple] = {}
    before: list[tuple[list[str], list[str]]] = []
    L, nL, n0 = net.depth, net.layers[-1], net.layers[0]
    previous_iteration: list[str] = []
    for t, batch in enumerate(batches, start=1):
        p = f"iter{t}."
        start = [p + name for name in net.names]
        shapes.update({p + name: net.shape(name) for name in net.names})
        iteration = list(start)
        examples = []
        for n in range(1, len(batch) + 1):
            e = p if len(batch) == 1 else f"{p}ex{n}."
            fwd = [e + "x", e + "y"]
            shapes.update({e + "x": (n0,), e + "y": (nL,)})
            chain = [[e + "x", e + "y"]]
            for l in range(1, L + 1):
                shapes[f"{e}a{l}"] = shapes[f"{e}h{l}"] = (net.layers[l],)
                chain += [[f"{e}a{l}"], [f"{e}h{l}"]]
                fwd += [f"{e}a{l}", f"{e}h{l}"]
            shapes[e + "yhat"], shapes[e + "loss"], shapes[e + "dL_dyhat"] = (nL,), (), (nL,)
            shapes[e + "loss_terms"] = (nL,)
            chain += [[e + "yhat"], [e + "loss_terms"], [e + "loss"]]
            fwd += [e + "yhat", e + "loss_terms", e + "loss"]
            bwd = [e + "dL_dyhat"]
            before += [(list(fwd), [e + "dL_dyhat"])]
            last = [e + "dL_dyhat"]
            for l in range(L, 0, -1):
                shapes[f"{e}delta{l}"] = (net.layers[l],)
                bwd.append(f"{e}delta{l}")
                if net.acts[l - 1] != "softmax":
                    shapes[f"{e}gprime{l}"] = (net.layers[l],)
                    bwd.append(f"{e}gprime{l}")
                    before += [([f"{e}a{l}"], [f"{e}gprime{l}"]), ([f"{e}gprime{l}"], [f"{e}delta{l}"])]
                if l < L:  # dL/dh(l) = W(l+1)^T delta(l+1), between delta(l+1) and delta(l)
                    shapes[f"{e}dL_dh{l}"] = (net.layers[l],)
                    bwd.append(f"{e}dL_dh{l}")
                    before += [(last, [f"{e}dL_dh{l}"]), ([f"{e}dL_dh{l}"], [f"{e}delta{l}"])]
                before += [(last, [f"{e}delta{l}"])]
                last = [f"{e}delta{l}"]
                if len(batch) > 1:
                    grads = [f"{e}grad.W{l}", f"{e}grad.b{l}"]
                    shapes.update({grads[0]: net.shape(f"W{l}"), grads[1]: net.shape(f"b{l}")})
                    bwd += grads
                    before += [(last, grads)]
            shapes[e + "grad.x"] = (n0,)
            before.append((last, [e + "grad.x"]))
            bwd.append(e + "grad.x")
            for a, b in zip(chain, chain[1:]):
                before.append((a, b))
            before.append((fwd, bwd))  # forward before backward
            if examples:
                before.append((examples, fwd + bwd))  # examples in batch order
            examples = examples + fwd + bwd
        before.append((start, examples))
        iteration += examples
        grads = [f"{p}grad.{name}" for name in net.names]
        new = [f"{p}new.{name}" for name in net.names]
        shapes.update({f"{p}grad.{k}": net.shape(k) for k in net.names})
        shapes.update({f"{p}new.{k}": net.shape(k) for k in net.names})
        if len(batch) > 1:
            shapes[p + "loss"] = ()
            before.append((examples, [p + "loss"]))
            iteration.append(p + "loss")
        before += [(examples, grads)] + [([f"{p}grad.{k}"], [f"{p}new.{k}"]) for k in net.names]
        iteration += grads + new
        if previous_iteration:
            before.append((previous_iteration, iteration))
        previous_iteration = iteration
    final = [f"final.{name}" for name in net.names] + ["final.yhat", "final.loss"]
    shapes.update({f"final.{k}": net.shape(k) for k in net.names})
    shapes.update({"final.yhat": (len(net.data), nL), "final.loss": ()})
    before.append((previous_iteration, final))
    return shapes, before


@by_loss
@settings(max_examples=PER_LOSS)
@given(data=st.data())
def test_recorded_paths_shapes_and_order(loss, data):
    spec = data.draw(specs(loss, max_iterations=6), label="spec")
    net = Net.from_spec(spec)
    trace = run_spec(spec)
    v = trace.values
    batches = expected_batches(spec)
    assert [it.examples for it in trace.iterations] == batches
    assert [it.t for it in trace.iterations] == list(range(1, len(batches) + 1))

    shapes, before = expected_layout(net, batches)
    assert sorted(v) == sorted(shapes), f"missing {set(shapes) - set(v)}, unexpected {set(v) - set(shapes)}"
    assert trace.paths() == list(v)
    for path, shape in shapes.items():
        assert np.shape(v[path]) == shape, f"{path}: shape {np.shape(v[path])}, expected {shape}"
        assert np.asarray(v[path]).dtype == np.float64, path
    position = {path: i for i, path in enumerate(v)}
    for earlier, later in before:
        assert max(position[p] for p in earlier) < min(position[p] for p in later), f"{earlier} must come before {later}"

    start = initial_params(spec)
    for name in net.names:
        assert np.array_equal(v[f"iter1.{name}"], start[name])
        for t in range(1, len(batches)):
            assert np.array_equal(v[f"iter{t}.new.{name}"], v[f"iter{t + 1}.{name}"])
        assert np.array_equal(v[f"iter{len(batches)}.new.{name}"], v[f"final.{name}"])
        if name in net.frozen:
            for t in range(1, len(batches) + 1):
                assert np.array_equal(v[f"iter{t}.new.{name}"], start[name])
    # new = old - learning_rate * grad, exactly as recorded
    for t in range(1, len(batches) + 1):
        for name in net.names:
            if name not in net.frozen:
                old, step = v[f"iter{t}.{name}"], net.lr * v[f"iter{t}.grad.{name}"]
                expected = old - step
                # a difference that cancels to within rounding error of its terms is recorded as 0
                # (Arithmetic.cancel: 0.1 - 0.75 * 0.1333... leaves 8e-17 in float64, not 0)
                expected = np.where(np.abs(expected) <= 1e-12 * (np.abs(old) + np.abs(step)), 0.0, expected)
                assert np.array_equal(v[f"iter{t}.new.{name}"], expected)
    # a batch's loss and gradient are the means of its examples' (plus the L2 term)
    for t, batch in enumerate(batches, start=1):
        if len(batch) == 1:
            continue
        p = f"iter{t}."
        reg = l2_term(net, params_at(trace, net, p))
        mean_loss = np.mean([v[f"{p}ex{n}.loss"] for n in range(1, len(batch) + 1)])
        assert_close(v[p + "loss"], mean_loss + reg, rtol=1e-12, atol=1e-12, what=p + "loss")
        for name in net.names:
            mean = np.mean([v[f"{p}ex{n}.grad.{name}"] for n in range(1, len(batch) + 1)], axis=0)
            if name[0] == "W":
                mean = mean + net.l2 * v[p + name]
            assert_close(v[f"{p}grad.{name}"], mean, rtol=1e-12, atol=1e-12, what=f"{p}grad.{name}")


# -- 6: saturation at |a| = 1000 -------------------------------------------------------


def _one_layer(activation, loss, W, y, b=None):
    return {"layers": [1, len(W)], "activation": activation, "loss": loss,
            "params": {"W1": [[w] for w in W], "b1": b or [0.0] * len(W)},
            "data": [{"x": [1.0], "y": y}], "learning_rate": 0.1, "iterations": 2}


# (spec, loss, dL/dyhat, delta(L)) at |a| = 1000. The true dL/dyhat is -y/yhat
# (+ (1-y)/(1-yhat) for bce): at a saturated output its magnitude is about e^1000,
# beyond float64, so the engine records +-inf there; delta(L), which the backward
# pass uses, is the exact simplified form and stays finite.
SATURATED = {
    "sigmoid-bce, a=+1000, y=0": (_one_layer("sigmoid", "bce", [1000.0], [0.0]), 1000.0, [math.inf], [1.0]),
    "sigmoid-bce, a=-1000, y=1": (_one_layer("sigmoid", "bce", [-1000.0], [1.0]), 1000.0, [-math.inf], [-1.0]),
    "sigmoid-bce, a=+1000, y=1": (_one_layer("sigmoid", "bce", [1000.0], [1.0]), 0.0, [-1.0], [0.0]),
    "sigmoid-bce, a=+1000, y=0.25": (_one_layer("sigmoid", "bce", [1000.0], [0.25]), 750.0, [math.inf], [0.75]),
    "sigmoid-ce, a=-1000, y=1": (_one_layer("sigmoid", "ce", [-1000.0], [1.0]), 1000.0, [-math.inf], [-1.0]),
    # softmax: the absent term (y_1 = 0) has derivative 0, the wrong-class one -1/0
    "softmax-ce, a=[1000,-1000], y=[0,1]": (
        _one_layer("softmax", "ce", [1000.0, -1000.0], [0.0, 1.0]), 2000.0, [0.0, -math.inf], [1.0, -1.0]),
    "softmax-ce, a=[1000,-1000], y=[1,0]": (
        _one_layer("softmax", "ce", [1000.0, -1000.0], [1.0, 0.0]), 0.0, [-1.0, 0.0], [0.0, 0.0]),
    # tanh + mse: yhat = 1, dL/dyhat = 2 (yhat - y) / n = 2 is finite; g' = 0 so delta = 0
    "tanh-mse, a=+1000, y=0": (_one_layer("tanh", "mse", [1000.0], [0.0]), 1.0, [2.0], [0.0]),
    "tanh-mse, a=-1000, y=0.5": (_one_layer("tanh", "mse", [-1000.0], [0.5]), 2.25, [-3.0], [0.0]),
}


@pytest.mark.parametrize("case", list(SATURATED))
def test_saturated_units_give_no_warnings_and_a_finite_loss(case):
    spec, loss, dl_dyhat, delta = SATURATED[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            trace = run(load_problem(spec))
    v = trace.values
    assert math.isfinite(v["iter1.loss"]) and v["iter1.loss"] == pytest.approx(loss, abs=1e-12)
    assert v["iter1.dL_dyhat"].tolist() == dl_dyhat
    assert v["iter1.delta1"].tolist() == pytest.approx(delta, abs=1e-12)
    for path, value in v.items():
        if not path.endswith("dL_dyhat"):
            assert np.all(np.isfinite(value)), path


def test_saturated_hidden_layer_gives_no_warnings():
    spec = {"layers": [1, 2, 1], "activation": ["tanh", "sigmoid"], "loss": "bce",
            "params": {"W1": [[1000.0], [-1000.0]], "b1": [0.0, 0.0], "W2": [[1000.0, 0.0]], "b2": [0.0]},
            "data": [{"x": [1.0], "y": [0.0]}], "learning_rate": 0.1, "iterations": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            trace = run(load_problem(spec))
    v = trace.values
    assert v["iter1.h1"].tolist() == [1.0, -1.0] and v["iter1.a2"].tolist() == [1000.0]
    assert v["iter1.loss"] == 1000.0 and v["iter1.dL_dyhat"].tolist() == [math.inf]
    assert v["iter1.gprime1"].tolist() == [0.0, 0.0]  # 1 - tanh(1000)^2
    assert v["iter1.grad.W2"].tolist() == [[1.0, -1.0]]  # delta2 h1^T with delta2 = yhat - y = 1
    assert all(np.all(np.isfinite(val)) for path, val in v.items() if not path.endswith("dL_dyhat"))


# -- 7: the lecture's 2-2-1 example -----------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_lecture_example_against_a_hand_computation():
    problem = load_problem(EXAMPLES / "lecture-2-2-1.yaml")
    # the example is the lecture's network of QUANTITIES.md
    assert problem.params["W1"].tolist() == [[0.1, 0.4], [0.2, 0.5]]
    assert problem.params["b1"].tolist() == [0.3, 0.6]
    assert problem.params["W2"].tolist() == [[0.7, 0.8]] and problem.params["b2"].tolist() == [0.9]
    assert problem.data[0].x.tolist() == [1.0, 2.0] and problem.data[0].y.tolist() == [1.0]
    assert (problem.activations, problem.loss, problem.learning_rate) == (("sigmoid", "sigmoid"), "bce", 0.5)
    v = run(problem).values

    def sigmoid(z):
        return 1 / (1 + math.exp(-z))

    a1 = [0.1 * 1.0 + 0.4 * 2.0 + 0.3, 0.2 * 1.0 + 0.5 * 2.0 + 0.6]
    u = [sigmoid(z) for z in a1]
    z = 0.7 * u[0] + 0.8 * u[1] + 0.9
    yhat = sigmoid(z)
    loss = -math.log(yhat)  # y = 1
    delta2 = yhat - 1.0  # (-1/yhat) * yhat (1 - yhat)
    delta1 = [u[0] * (1 - u[0]) * 0.7 * delta2, u[1] * (1 - u[1]) * 0.8 * delta2]

    assert a1 == pytest.approx([1.2, 1.8], abs=1e-15)
    assert v["iter1.a1"].tolist() == pytest.approx(a1, rel=1e-15)
    assert v["iter1.h1"].tolist() == pytest.approx(u, rel=1e-14)
    assert v["iter1.a2"].tolist() == pytest.approx([z], rel=1e-14)
    assert v["iter1.yhat"].tolist() == pytest.approx([yhat], rel=1e-14)
    assert float(v["iter1.loss"]) == pytest.approx(loss, rel=1e-12)
    assert round(yhat, 4) == 0.8933 and round(loss, 4) == 0.1129  # the lecture's printed values
    assert v["iter1.dL_dyhat"].tolist() == pytest.approx([-1 / yhat], rel=1e-14)
    assert v["iter1.delta2"].tolist() == pytest.approx([delta2], rel=1e-12)
    assert v["iter1.delta1"].tolist() == pytest.approx(delta1, rel=1e-12)
    assert v["iter1.grad.W2"].ravel().tolist() == pytest.approx([delta2 * u[0], delta2 * u[1]], rel=1e-12)
    grad_w1 = [d * x for d in delta1 for x in (1.0, 2.0)]  # delta1 x^T, row by row
    assert v["iter1.grad.W1"].ravel().tolist() == pytest.approx(grad_w1, rel=1e-12)
    assert v["iter1.grad.b1"].tolist() == pytest.approx(delta1, rel=1e-12)
    assert v["iter1.new.W2"].ravel().tolist() == pytest.approx([0.7 - 0.5 * delta2 * u[0], 0.8 - 0.5 * delta2 * u[1]], rel=1e-12)
    assert v["iter1.new.b1"].tolist() == pytest.approx([0.3 - 0.5 * delta1[0], 0.6 - 0.5 * delta1[1]], rel=1e-12)


def test_recorded_values_are_read_only():
    """yhat and h{L} (likewise grad.b{l} and delta{l}) may be one array: none can be edited in place."""
    t = run(load_problem(EXAMPLES / "lecture-2-2-1.yaml"))
    for path, value in t.values.items():
        if isinstance(value, np.ndarray):
            with pytest.raises(ValueError):
                value[...] = 0


def test_a_sum_that_cancels_is_zero_and_the_relu_takes_its_value_at_zero():
    """0.1 + 0.2 - 0.3 is 5.551e-17 in float64: the engine records the 0 exact arithmetic gives
    (judged against the sum's own terms), so relu'(a) = 0 in float as in exact, and a handout
    prints neither the residue nor 1[0 > 0] = 1. A tiny value that is no residue is kept."""
    from tracer.engine import run as run_any
    from tracer.problem.spec import load_problem as load

    spec = {"layers": [2, 1, 1], "activation": ["relu", "sigmoid"], "loss": "bce",
            "params": {"W1": [[0.1, 0.2]], "b1": [-0.3], "W2": [[40]], "b2": [0]},
            "data": [{"x": [1, 1], "y": [1]}], "learning_rate": 0.5, "iterations": 1}
    for mode in ("float", "exact"):
        t = run_any(load(spec), mode)
        assert float(t.values["iter1.a1"][0]) == 0 and float(t.values["iter1.gprime1"][0]) == 0
    spec["params"]["b1"] = [0.7]  # a(1) = 1, a(2) = 40: yhat - 1 is -sigmoid(-40), not the 0 of 1.0 - 1
    t = run_any(load(spec), "float")
    assert float(t.values["iter1.delta2"][0]) == pytest.approx(-4.248354255291589e-18, rel=1e-12)
