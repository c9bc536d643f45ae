"""How rendering scales: a 4-16-16-3 network rendered to Markdown, each arithmetic mode.

    python bench/bench_scale.py          (or: python bench/run.py scale)

Rows, all in one process (imports and sympy's derivations warmed up first, so
the figures are the per-run cost a notebook or a batch of variants pays):
  mode     trace + Markdown of 20 iterations in float, by-hand and exact arithmetic,
           as a ratio to the float run, and per iteration
  growth   float trace + Markdown at 10, 20 and 40 iterations, as ratios to the
           10-iteration run: linear growth reads 1, 2, 4
Each figure is the median of the repeats (the minimum is beside it).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

REPEATS = 3


def spec(iterations: int, arithmetic: str = "float") -> dict:
    return {
        "title": "bench 4-16-16-3",
        "layers": [4, 16, 16, 3],
        "activation": ["tanh", "relu", "softmax"],
        "loss": "ce",
        "init": {"seed": 7, "low": -0.5, "high": 0.5, "decimals": 2},
        "data": [{"x": [0.5, -0.2, 0.1, 0.9], "y": [1, 0, 0]}, {"x": [-0.3, 0.8, 0.4, -0.6], "y": [0, 0, 1]},
                 {"x": [0.2, 0.2, -0.7, 0.3], "y": [0, 1, 0]}],
        "learning_rate": 0.1,
        "iterations": iterations,
        "mode": "sgd",
        "arithmetic": arithmetic,
    }


def timed(fn) -> tuple[float, float]:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> int:
    from tracer.api import render_trace
    from tracer.engine import run
    from tracer.problem.spec import load_problem

    def job(iterations, arithmetic="float"):
        problem = load_problem(spec(iterations, arithmetic))
        return lambda: render_trace(run(problem), "markdown")

    job(2)()  # warm up: imports, templates, sympy derivations (cached per activation/loss)
    print("bench_scale: 4-16-16-3 net (tanh, relu, softmax + ce), SGD, rendered to Markdown")
    print(f"{'row':<28}{'median s':>10}{'min s':>9}{'ratio':>8}{'ratio(min)':>11}{'ms/iter':>9}")
    base = None
    for mode in ("float", "by-hand", "exact"):
        med, mn = timed(job(20, mode))
        base = base or (med, mn)
        print(f"{'mode ' + mode + ', 20 iterations':<28}{med:>10.3f}{mn:>9.3f}{med / base[0]:>8.2f}{mn / base[1]:>11.2f}"
              f"{1000 * med / 20:>9.1f}")
    first = None
    for n in (10, 20, 40):
        med, mn = timed(job(n))
        first = first or (med, mn)
        print(f"{'growth float, ' + str(n) + ' iterations':<28}{med:>10.3f}{mn:>9.3f}{med / first[0]:>8.2f}"
              f"{mn / first[1]:>11.2f}{1000 * med / n:>9.1f}")
    print("ratio: mode rows against the float row; growth rows against 10 iterations (linear = 1, 2, 4)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
