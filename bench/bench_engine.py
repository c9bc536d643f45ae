"""The engine's speed: this tree's `tracer.engine.run` per iteration, against a plain numpy loop doing
the same arithmetic with nothing recorded, and against the base tree's engine (issue 14, part 4).

    python bench/bench_engine.py [--base REF] [--repeats N] [--net NAME] [--wall]   (or: python bench/run.py engine)
    python bench/bench_engine.py --crossover [--repeats N]   (the small path against the general one, by width)

Nets (float arithmetic, SGD on one example, so an iteration is one example's forward and backward
pass and one update):
  2-2-1            the lecture's sigmoid/bce net (bench_core's numpy loop, the issue's baseline), 2,000 iterations
  4-16-16-3        tanh, relu, softmax + ce, 500 iterations
  16-64-64-64-10   tanh, relu, sigmoid, softmax + ce (bench_perf's big net), 100 iterations
Each figure comes from a worker process (`--worker TREE NET`) that imports one tree, warms up,
then times the engine and the numpy loop back to back; the parent runs the workers of this tree
and of the base tree in turn, n rounds (`--repeats`, default 7), so a load on the machine falls on
both alike. Times are the worker's CPU time (`--wall`: wall-clock). Median and minimum; ratios are median / median (and min / min). The base tree
(default: 3db1aea, the engine before this work) is `git archive`d to a temporary folder, so both
trees run with the same interpreter and packages. Each worker checks that the engine ends on the
numpy loop's parameters.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "3db1aea"
# The process's CPU time by default: on a machine shared with other jobs, wall time also counts the
# time the worker waited for a core. `--wall` for wall-clock time.
CLOCK = "wall" if "--wall" in sys.argv else "cpu"


def _net(layers, activation, loss, iterations, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    n_in, n_out = layers[0], layers[-1]
    y = [0.0] * n_out
    y[int(rng.integers(n_out))] = 1.0
    return {"title": "-".join(map(str, layers)), "layers": layers, "activation": activation, "loss": loss,
            "init": {"seed": seed, "low": -0.5, "high": 0.5},
            "data": [{"x": [round(float(v), 3) for v in rng.uniform(-1, 1, n_in)], "y": y}],
            "learning_rate": 0.1, "iterations": iterations, "mode": "sgd"}


def nets() -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_core

    return {
        "2-2-1": dict(bench_core.SPEC_2_2_1, iterations=2000),
        "4-16-16-3": _net([4, 16, 16, 3], ["tanh", "relu", "softmax"], "ce", 500, 5),
        "16-64-64-64-10": _net([16, 64, 64, 64, 10], ["tanh", "relu", "sigmoid", "softmax"], "ce", 100, 3),
    }


def numpy_loop(problem):
    """Forward, backward and update of `problem` (sgd, one example; sigmoid, tanh, relu hidden layers,
    a sigmoid + bce or softmax + ce output), with nothing recorded: the final parameters."""
    import numpy as np

    params = {k: np.array(v, dtype=np.float64) for k, v in problem.params.items()}
    x = np.asarray(problem.data[0].x, dtype=np.float64)
    y = np.asarray(problem.data[0].y, dtype=np.float64)
    L, acts, lr = problem.depth, problem.activations, problem.learning_rate
    for _ in range(problem.iterations):
        hs, gps = [x], []
        for l in range(1, L + 1):
            a = params[f"W{l}"] @ hs[-1] + params[f"b{l}"]
            if acts[l - 1] == "sigmoid":
                h = 1.0 / (1.0 + np.exp(-a))
                gps.append(h * (1.0 - h))
            elif acts[l - 1] == "tanh":
                h = np.tanh(a)
                gps.append(1.0 - h * h)
            elif acts[l - 1] == "relu":
                h = np.maximum(a, 0.0)
                gps.append((a > 0).astype(np.float64))
            else:  # softmax
                e = np.exp(a - a.max())
                h = e / e.sum()
                gps.append(None)
            hs.append(h)
        yhat = hs[-1]
        if acts[-1] == "softmax":
            _loss = -np.sum(y * np.log(yhat))
        else:
            _loss = -np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))
        delta = yhat - y  # sigmoid + bce, softmax + ce with one-hot y
        for l in range(L, 0, -1):
            gW, gb = np.outer(delta, hs[l - 1]), delta
            if l > 1:
                delta = gps[l - 2] * (params[f"W{l}"].T @ delta)
            params[f"W{l}"] = params[f"W{l}"] - lr * gW
            params[f"b{l}"] = params[f"b{l}"] - lr * gb
    return params


# -- worker: one timing in a process that imports `tree` -----------------------------------------


def worker(tree: str, net: str) -> None:
    sys.path.insert(0, tree)
    import numpy as np

    import tracer

    assert Path(tracer.__file__).resolve().is_relative_to(Path(tree).resolve()), tracer.__file__
    from tracer.engine import run
    from tracer.problem.spec import load_problem

    spec = nets()[net]
    problem = load_problem(spec)
    n = problem.iterations
    run(load_problem(dict(spec, iterations=max(1, n // 10))))  # warm up
    numpy_loop(load_problem(dict(spec, iterations=max(1, n // 10))))
    clock = time.process_time if CLOCK == "cpu" else time.perf_counter
    start = clock()
    trace = run(problem, budget_mb=None)
    mid = clock()
    if net == "2-2-1":  # the baseline: bench_core's hand-written loop
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_core

        final, _ = bench_core.numpy_loop(n)
    else:
        final = numpy_loop(problem)
    end = clock()
    agree = all(np.allclose(trace.values[f"final.{k}"], v, rtol=1e-9, atol=1e-12) for k, v in final.items())
    print(json.dumps({"engine": (mid - start) / n, "numpy": (end - mid) / n, "agree": agree, "values": len(trace.values)}))


# -- parent --------------------------------------------------------------------------------------


def _worker(tree: Path, net: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", str(tree), net, *(["--wall"] if CLOCK == "wall" else [])],
                         capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir(), check=False)
    if out.returncode != 0:
        raise SystemExit(f"worker {tree} {net}: {out.stderr[-600:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _us(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1e6:9.1f} us (min {min(xs) * 1e6:.1f})"


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{statistics.median(a) / statistics.median(b):6.2f}x (min/min {min(a) / min(b):.2f})"


def crossover(n: int) -> None:
    """This tree's small-network float path against its general path, by layer width: n-n-1 and
    n-n-n-1 sigmoid/bce nets and n-n-1 tanh/mse, SGD on one example; n interleaved repeats, CPU time.
    Where the small path stops winning is network_small.MAX_UNITS."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from tracer.engine import network, network_small
    from tracer.problem.spec import load_problem

    def timed(problem, small: bool) -> float:
        keep = network_small.applies
        network_small.applies = (lambda *_: True) if small else (lambda *_: False)
        try:
            start = time.process_time()
            network.run(problem)
            return (time.process_time() - start) / problem.iterations
        finally:
            network_small.applies = keep

    print(f"crossover: small path / general path per iteration, CPU time, n = {n} interleaved repeats")
    print(f"{'net':<26} {'small':>26} {'general':>26}  ratio (median/median)")
    for width in (1, 2, 4, 6, 8, 10, 12, 16, 24, 32):
        for layers, act, loss in (([width, width, 1], "sigmoid", "bce"), ([width, width, width, 1], "sigmoid", "bce"),
                                  ([width, width, 1], "tanh", "mse")):
            spec = _net(layers, act, loss, 200, width)
            spec["data"][0]["y"] = [1.0]
            problem = load_problem(spec)
            a_small, a_general = [], []
            timed(problem, True), timed(problem, False)
            for _ in range(n):
                a_small.append(timed(problem, True))
                a_general.append(timed(problem, False))
            name = f"{'-'.join(map(str, layers))} {act}/{loss}"
            print(f"{name:<26} {_us(a_small):>26} {_us(a_general):>26}  {_ratio(a_small, a_general)}")
    del np


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[2])
        return 0
    if "--crossover" in argv:
        crossover(int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 5)
        return 0
    base_ref = argv[argv.index("--base") + 1] if "--base" in argv else DEFAULT_BASE
    n = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 7
    only = argv[argv.index("--net") + 1] if "--net" in argv else None
    tmp = Path(tempfile.mkdtemp(prefix="bench_engine_"))
    base = tmp / "base"
    base.mkdir()
    archive = subprocess.run(["git", "archive", base_ref], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    load = os.getloadavg()
    print(f"bench_engine: this tree {REPO} vs base {base_ref} (git archive); n = {n} interleaved rounds after one "
          f"warm-up; {'CPU time of the worker process' if CLOCK == 'cpu' else 'wall-clock time'}; "
          f"{os.cpu_count()} CPU(s), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rows = []
    for net in nets():
        if only and net != only:
            continue
        samples = {"this": [], "base": []}
        for tree, key in ((REPO, "this"), (base, "base")):
            _worker(tree, net)  # warm-up round (disk caches, bytecode)
        for _ in range(n):
            for tree, key in ((REPO, "this"), (base, "base")):
                samples[key].append(_worker(tree, net))
        for key, runs in samples.items():
            if not all(r["agree"] for r in runs):
                raise SystemExit(f"{net}: the {key} tree's engine and the numpy loop end on other parameters")
        eng = [r["engine"] for r in samples["this"]]
        old = [r["engine"] for r in samples["base"]]
        np_this = [r["numpy"] for r in samples["this"]]
        np_base = [r["numpy"] for r in samples["base"]]
        rows += [(f"{net}, this tree / numpy loop", _us(eng), _us(np_this), _ratio(eng, np_this)),
                 (f"{net}, base / numpy loop", _us(old), _us(np_base), _ratio(old, np_base)),
                 (f"{net}, this tree / base", _us(eng), _us(old), _ratio(eng, old))]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'engine per iteration':<{width}}  {'subject':<27}  {'baseline':<27}  ratio (median/median)")
    for name, a, b, r in rows:
        print(f"{name:<{width}}  {a:<27}  {b:<27}  {r}")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other workers share the cores: "
          "ratios of interleaved runs are the figures to read, not the microseconds)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
