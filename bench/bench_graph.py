"""How a computational graph's handout scales: a chain of sigmoid neurons with fan-out, traced
and rendered to Markdown.

    python bench/bench_graph.py          (or: python bench/run.py graph)

Rows, all in one process (imports, templates and sympy warmed up first):
  lecture  the lecture's 2-2-1 network handout (`lecture-2-2-1`, 3 iterations): the baseline
  graph    a graph of 200 nodes, trace + Markdown, as a ratio to the lecture row
  growth   the same graph at 50, 200 and 800 nodes, as ratios to the 50-node run:
           linear growth reads 1, 4, 16
Each figure is the median of the repeats (the minimum is beside it).

The graph: 4 inputs; each block of 4 nodes is s = w*h + x (h the previous block's output,
w and x inputs reused by every block), q = sigmoid(s), r = q*q + s, h = r / (1 + q): every
block's s fans out to two nodes, every input to every block.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

REPEATS = 3


def graph_spec(nodes: int) -> dict:
    body: dict[str, str] = {}
    h = "x0"
    for k in range(nodes // 4):
        body[f"s{k}"] = f"w*{h} + x"
        body[f"q{k}"] = f"sigmoid(s{k})"
        body[f"r{k}"] = f"q{k}*q{k} + s{k}"
        body[f"h{k}"] = f"r{k} / (1 + q{k})"
        h = f"h{k}"
    return {"title": f"bench graph of {len(body)} nodes", "graph": {
        "inputs": {"w": 0.5, "x": -0.25, "x0": 1.5, "c": 2}, "nodes": body, "output": h}}


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
    from tracer.problem.examples import example_path
    from tracer.problem.spec import load_problem

    def job(problem):
        return lambda: render_trace(run(problem), "markdown")

    lecture = load_problem(example_path("lecture-2-2-1"))
    job(lecture)()  # warm up: imports, templates, sympy derivations
    job(load_problem(graph_spec(8)))()
    print("bench_graph: sigmoid-chain graph with fan-out, traced and rendered to Markdown")
    print(f"{'row':<30}{'median s':>10}{'min s':>9}{'ratio':>8}{'ratio(min)':>11}{'ms/node':>9}")
    base = timed(job(lecture))
    print(f"{'lecture 2-2-1, 3 iterations':<30}{base[0]:>10.3f}{base[1]:>9.3f}{1:>8.2f}{1:>11.2f}{'':>9}")
    med, mn = timed(job(load_problem(graph_spec(200))))
    print(f"{'graph, 200 nodes':<30}{med:>10.3f}{mn:>9.3f}{med / base[0]:>8.2f}{mn / base[1]:>11.2f}"
          f"{1000 * med / 200:>9.2f}")
    first = None
    for n in (50, 200, 800):
        med, mn = timed(job(load_problem(graph_spec(n))))
        first = first or (med, mn)
        print(f"{'growth, ' + str(n) + ' nodes':<30}{med:>10.3f}{mn:>9.3f}{med / first[0]:>8.2f}"
              f"{mn / first[1]:>11.2f}{1000 * med / n:>9.2f}")
    print("ratio: the 200-node row against the lecture handout; growth rows against 50 nodes (linear = 1, 4, 16)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
