"""Frozen engine results: a fixed set of specs, each run in an arithmetic, reduced to one digest of
every recorded number's bits (tests/engine/test_engine_frozen.py compares them).

The fixture (tests/engine/frozen_engine.json) was written from the engine as it was at commit
3db1aea, before the engine's speed work (issue 14, part 4):

    git archive 3db1aea | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base python tests/tools/frozen_engine.py --write tests/engine/frozen_engine.json

It is a JSON list: a header (the base commit, the probe), then one case a line. It holds the specs themselves (so no change to the generator below can change what is compared),
and a probe of the platform's numpy primitives (exp, log, tanh, matmul, sum, ...): np.exp uses
SIMD code chosen by the CPU, and matmul the BLAS kernel chosen by the CPU, so a machine whose
primitives give other bits would give other digests for an unchanged engine. The test compares
digests only where the probe agrees, and otherwise runs the base tree itself, if git has it.

A digest covers, in order: each path of `values` and of `aux`, its Python type, dtype, shape and
bytes (exact arithmetic's mpmath numbers by repr, every digit), the set of rounded paths, where the
run diverged, the iterations that ran; the warnings the run gave and the error it raised.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
BASE_COMMIT = "3db1aea"

LOSSES = ("bce", "ce", "mse", "sse", "mae", "none")
HIDDEN = ("sigmoid", "tanh", "relu", "linear")


# -- the specs ---------------------------------------------------------------------------------------


def _num(rng: random.Random, scale: float, grid: bool = False) -> float | str:
    """A parameter or input: mostly a few decimals; sometimes exactly 0, or written as text; on a
    homework's grid (multiples of 0.1 up to `scale`), where sums such as 0.1 + 0.2 - 0.3 cancel."""
    if grid:
        return round(rng.randint(-10, 10) * 0.1 * scale, 1)
    r = rng.random()
    if r < 0.05:
        return 0.0
    if r < 0.09:
        return rng.choice(["1/3", "-2/7", "sqrt(2)/2", "1 + sin(pi/4)", "0.1 + 0.2"])
    return round(rng.uniform(-scale, scale), rng.choice([1, 2, 3, 6]))


def _x(rng: random.Random, scale: float, grid: bool) -> float | str:
    return float(rng.randint(-3, 3)) if grid else _num(rng, scale)


def _labels(rng: random.Random, loss: str, out: str, n: int) -> list[float]:
    if loss == "bce":
        return [rng.choice([0.0, 1.0, round(rng.random(), 2)]) for _ in range(n)]
    if loss == "ce":
        if rng.random() < 0.6:
            hot = rng.randrange(n)
            return [1.0 if k == hot else 0.0 for k in range(n)]
        w = [rng.choice([0.0, 1.0, 2.0, 3.0]) for _ in range(n)]
        if sum(w) == 0:
            w[0] = 1.0
        return [v / sum(w) for v in w]
    return [round(rng.uniform(-2, 2), 2) for _ in range(n)]


def network_spec(rng: random.Random) -> dict:
    depth = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
    wide = rng.random() < 0.15  # past numpy's 8-way unrolled sums and the BLAS kernels' blocks
    sizes = [rng.choice([9, 12, 17]) if wide and rng.random() < 0.5 else rng.randint(1, 4) for _ in range(depth + 1)]
    loss = rng.choice(LOSSES)
    if loss == "none":
        sizes[-1] = 1
    out = {"bce": "sigmoid", "ce": rng.choice(["softmax", "sigmoid"])}.get(loss) or rng.choice(HIDDEN)
    acts = [rng.choice(HIDDEN) for _ in range(depth - 1)] + [out]
    scale = rng.choice([1.0, 1.0, 1.0, 2.0, 5.0, 40.0, 1000.0])  # saturated units from 40 on
    grid = rng.random() < 0.25
    if grid:
        scale = 1.0
    spec: dict = {"title": "frozen", "layers": sizes, "activation": acts, "loss": loss}
    if rng.random() < 0.2:
        spec["init"] = {"seed": rng.randrange(10_000), "low": -scale, "high": scale, "decimals": rng.choice([1, 2])}
    else:
        spec["params"] = {}
        for l in range(1, depth + 1):
            spec["params"][f"W{l}"] = [[_num(rng, scale, grid) for _ in range(sizes[l - 1])] for _ in range(sizes[l])]
            spec["params"][f"b{l}"] = [_num(rng, scale, grid) for _ in range(sizes[l])]
    n = rng.randint(1, 5)
    xscale = rng.choice([1.0, 2.0, 3.0, 50.0])
    if grid:
        xscale = 10.0  # inputs 0, 1, 2, 3 (and their negatives): whole numbers
    if loss == "none":
        spec["data"] = [{"x": [_x(rng, xscale, grid) for _ in range(sizes[0])]} for _ in range(n)]
    else:
        spec["data"] = [{"x": [_x(rng, xscale, grid) for _ in range(sizes[0])], "y": _labels(rng, loss, out, sizes[-1])}
                        for _ in range(n)]
    if loss != "none" or rng.random() < 0.5:
        spec["learning_rate"] = rng.choice([0.01, 0.1, 0.5, 1.0, 3.0, 1e3, 1e150])  # the last ones diverge
    spec["iterations"] = rng.choice([1, 1, 2, 3, 4, 6])
    spec["mode"] = rng.choice(["sgd", "gd", "minibatch"])
    if spec["mode"] == "minibatch":
        spec["batch_size"] = rng.randint(1, n)
    if rng.random() < 0.3:
        spec["shuffle_seed"] = rng.randrange(1000)
    if rng.random() < 0.35:
        spec["l2"] = rng.choice([0.001, 0.01, 0.1, 0.5])
    if rng.random() < 0.2:
        names = [f"{k}{l}" for l in range(1, depth + 1) for k in ("W", "b")]
        spec["frozen"] = rng.sample(names, rng.randint(1, len(names)))
    if loss in ("mse", "sse") and rng.random() < 0.5:
        spec["loss_half"] = rng.random() < 0.5
    if rng.random() < 0.3:
        spec["batch_loss"] = "sum"
    if rng.random() < 0.4:
        spec["show"] = rng.sample(["error", "grad.x", "loss_terms"], rng.randint(1, 3))
    spec["decimals"] = rng.choice([2, 3, 4, 6])
    if rng.random() < 0.2:
        spec["sig_figs"] = rng.choice([3, 4])
    return spec


def perceptron_spec(rng: random.Random) -> dict:
    act = rng.choice(["step", "sign"])
    n_in, n_out = rng.randint(1, 4), rng.randint(1, 3)
    low = {"step": 0.0, "sign": -1.0}[act]
    data = [{"x": [_num(rng, 2.0) for _ in range(n_in)], "y": [rng.choice([low, 1.0]) for _ in range(n_out)]}
            for _ in range(rng.randint(1, 5))]
    return {"title": "frozen perceptron", "layers": [n_in, n_out], "activation": act, "rule": "perceptron",
            "params": {"W1": [[_num(rng, 1.0) for _ in range(n_in)] for _ in range(n_out)],
                       "b1": [_num(rng, 1.0) for _ in range(n_out)]},
            "data": data, "learning_rate": rng.choice([0.1, 0.2, 0.5, 1.0, 1e308]), "iterations": rng.randint(1, 8),
            "decimals": rng.choice([2, 4])}


def _one_layer(activation, loss, W, y, b=None):
    return {"layers": [1, len(W)], "activation": activation, "loss": loss,
            "params": {"W1": [[w] for w in W], "b1": b or [0.0] * len(W)},
            "data": [{"x": [1.0], "y": y}], "learning_rate": 0.1, "iterations": 2}


# saturated units at |a| = 1000, a sum that cancels (0.1 + 0.2 - 0.3), a yhat next to 1
HANDMADE = {
    "saturated sigmoid-bce +1000 y=0": _one_layer("sigmoid", "bce", [1000.0], [0.0]),
    "saturated sigmoid-bce -1000 y=1": _one_layer("sigmoid", "bce", [-1000.0], [1.0]),
    "saturated sigmoid-bce +1000 y=0.25": _one_layer("sigmoid", "bce", [1000.0], [0.25]),
    "saturated sigmoid-ce -1000 y=1": _one_layer("sigmoid", "ce", [-1000.0], [1.0]),
    "saturated softmax-ce [1000,-1000] y=[0,1]": _one_layer("softmax", "ce", [1000.0, -1000.0], [0.0, 1.0]),
    "saturated softmax-ce [1000,-1000] y=[1,0]": _one_layer("softmax", "ce", [1000.0, -1000.0], [1.0, 0.0]),
    "saturated tanh-mse +1000": _one_layer("tanh", "mse", [1000.0], [0.0]),
    "saturated tanh-mse -1000": _one_layer("tanh", "mse", [-1000.0], [0.5]),
    "saturated hidden tanh": {
        "layers": [1, 2, 1], "activation": ["tanh", "sigmoid"], "loss": "bce",
        "params": {"W1": [[1000.0], [-1000.0]], "b1": [0.0, 0.0], "W2": [[1000.0, 0.0]], "b2": [0.0]},
        "data": [{"x": [1.0], "y": [0.0]}], "learning_rate": 0.1, "iterations": 3},
    "cancelled relu": {
        "layers": [2, 1, 1], "activation": ["relu", "sigmoid"], "loss": "bce",
        "params": {"W1": [[0.1, 0.2]], "b1": [-0.3], "W2": [[40]], "b2": [0]},
        "data": [{"x": [1, 1], "y": [1]}], "learning_rate": 0.5, "iterations": 2},
    "yhat next to 1": {
        "layers": [2, 1, 1], "activation": ["relu", "sigmoid"], "loss": "bce",
        "params": {"W1": [[0.1, 0.2]], "b1": [0.7], "W2": [[40]], "b2": [0]},
        "data": [{"x": [1, 1], "y": [1]}], "learning_rate": 0.5, "iterations": 2},
    "overflow mse linear": {
        "layers": [2, 2, 1], "activation": ["linear", "linear"], "loss": "mse",
        "params": {"W1": [[3, 1], [1, 3]], "b1": [0, 0], "W2": [[2, 2]], "b2": [0]},
        "data": [{"x": [1e100, 1e100], "y": [1]}], "learning_rate": 1e100, "iterations": 5},
}


def make_cases(n_networks: int = 240, n_perceptrons: int = 30, seed: int = 14) -> list[dict]:
    """[{name, spec, arithmetic}], every spec valid for today's parser (a draw it refuses is drawn again)."""
    from tracer.errors import TracerError
    from tracer.problem.examples import example_path, list_examples
    from tracer.problem.safeload import load_file
    from tracer.problem.spec import load_problem

    rng = random.Random(seed)
    cases = []

    def add(name, spec, modes):
        cases.append({"name": name, "spec": spec, "runs": {mode: None for mode in modes}})

    for name, spec in HANDMADE.items():
        add(name, spec, ("float", "by-hand", "exact"))
    for name, _ in list_examples():
        spec = load_file(example_path(name))
        add(f"example {name}", spec, ("float", "by-hand", "exact"))
    drawn = 0
    while drawn < n_networks:
        spec = network_spec(rng)
        try:
            load_problem(spec)
        except TracerError:
            continue
        # exact arithmetic's mpmath is slow on numbers like exp(1e150): not for the diverging rates
        slow = spec.get("learning_rate", 0) > 100
        modes = ["float"] + (["by-hand"] if drawn % 3 == 0 else []) + (["exact"] if drawn % 5 == 0 and not slow else [])
        add(f"network {drawn}", spec, modes)
        drawn += 1
    drawn = 0
    while drawn < n_perceptrons:
        spec = perceptron_spec(rng)
        try:
            load_problem(spec)
        except TracerError:
            continue
        add(f"perceptron {drawn}", spec, ["float"] + (["by-hand", "exact"] if drawn % 3 == 0 else []))
        drawn += 1
    return cases


# -- the digest --------------------------------------------------------------------------------------


def _update(h, label: str, value) -> None:
    arr = np.asarray(value)
    h.update(f"{label}|{type(value).__name__}|{arr.dtype.str}|{arr.shape}|".encode())
    if arr.dtype == object:
        h.update("|".join(repr(v) for v in arr.ravel()).encode())
    else:
        h.update(np.ascontiguousarray(arr).tobytes())


def trace_digest(trace) -> str:
    h = hashlib.sha256()
    for store, values in (("values", trace.values), ("aux", trace.aux)):
        for path, value in values.items():
            _update(h, f"{store}:{path}", value)
    h.update(repr(sorted(trace.rounded)).encode())
    h.update(repr(trace.diverged).encode())
    h.update(repr([(it.t, it.examples) for it in trace.iterations]).encode())
    return h.hexdigest()


def run_case(case: dict, arithmetic: str) -> dict:
    """The case's digest in `arithmetic`, number of values, where it diverged, its warnings and its error."""
    from tracer.engine import run
    from tracer.problem.spec import load_problem

    out = {"digest": None, "values": 0, "diverged": None, "warnings": [], "error": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            problem = load_problem(case["spec"])
            trace = run(problem, arithmetic, budget_mb=None)
        except Exception as err:  # noqa: BLE001 - the error is part of what is frozen
            out["error"] = f"{type(err).__name__}: {err}"
        else:
            out["digest"] = trace_digest(trace)
            out["values"] = len(trace.values)
            out["diverged"] = list(trace.diverged) if trace.diverged else None
    out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    return out


# -- the platform probe ------------------------------------------------------------------------------


def platform_probe() -> str:
    """A digest of the bits numpy's primitives give here (and mpmath's version): where it differs
    from the fixture's, the frozen digests cannot be compared."""
    import mpmath

    rng = np.random.default_rng(7)
    x = rng.uniform(-40, 40, 4096)
    h = hashlib.sha256(mpmath.__version__.encode())
    with np.errstate(all="ignore"):
        for f in (np.exp, np.tanh, np.log1p, lambda v: np.log(np.abs(v)), lambda v: np.logaddexp(0.0, v)):
            h.update(f(x).tobytes())
        for m, n in ((1, 1), (2, 2), (3, 4), (4, 3), (12, 17), (17, 9), (1, 12)):
            W, v = rng.uniform(-2, 2, (m, n)), rng.uniform(-2, 2, n)
            h.update((W @ v).tobytes() + (W.T @ rng.uniform(-2, 2, m)).tobytes() + np.outer(v, v).tobytes())
        for n in (1, 2, 5, 8, 9, 17, 200):
            h.update(np.sum(x[:n]).tobytes())
    return h.hexdigest()


def main(argv: list[str]) -> int:
    if argv[:1] != ["--write"] or len(argv) != 2:
        print(__doc__)
        return 2
    import tracer

    cases = make_cases()
    for case in cases:
        for mode in case["runs"]:
            case["runs"][mode] = run_case(case, mode)
    head = {"base": BASE_COMMIT, "probe": platform_probe(), "count": len(cases)}
    lines = [json.dumps(head, sort_keys=True)] + [json.dumps(c, separators=(",", ":")) for c in cases]  # key order is meaning (graph nodes)
    # one case a line: a diff names the cases it changes
    Path(argv[1]).write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    runs = [r for c in cases for r in c["runs"].values()]
    print(f"{len(cases)} specs, {len(runs)} runs ({sum(1 for r in runs if r['error'])} errors, "
          f"{sum(1 for r in runs if r['diverged'])} diverged, {sum(1 for r in runs if r['warnings'])} with warnings) "
          f"from {tracer.__file__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
