"""Issue 14's first slice, measured against the tree it started from (or any git ref).

    python bench/bench_perf.py [--base REF] [--repeats N]     (or: python bench/run.py perf)

Rows, each subject and baseline interleaved, n repeats, median and minimum; ratio = median / median:
  cli latex    `render --example lecture-2-2-1 --to latex` (this tree, then the base tree)
               vs `python -c "import numpy, sympy, jinja2"`, and this tree / base
  warm render  a second `render_view(view, "latex")` in one process (view built, templates loaded
               by a first render), this tree / base
  json         `render --to json` of a 16-64-64-64-10 net, 100 iterations, CLI, this tree / base;
               and `to_json` alone in process
  engine       tracer.engine.run of the 2-2-1 lecture net per iteration vs bench_core's plain numpy
               loop (the same arithmetic), each tree in its own process, interleaved in it
The base tree (default: the merge-base with main) is `git archive`d to a temporary folder, so both
trees run with the same interpreter and packages. Each in-process figure comes from a worker process
(`--worker TREE TASK`) that warms up, times one run and prints its seconds.
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
BIG = {"title": "16-64-64-64-10", "layers": [16, 64, 64, 64, 10],
       "activation": ["tanh", "relu", "sigmoid", "softmax"], "loss": "ce",
       "init": {"seed": 3, "low": -0.5, "high": 0.5},
       "data": [{"x": [round(-1 + 2 * i / 15, 3) for i in range(16)], "y": [0] * 9 + [1]}],
       "learning_rate": 0.1, "iterations": 100, "mode": "sgd"}
ENGINE_ITERATIONS = 1000


# -- worker: one timing in a process that imports `tree` -----------------------------------------


def worker(tree: str, task: str) -> None:
    sys.path.insert(0, tree)
    import tracer

    assert Path(tracer.__file__).resolve().is_relative_to(Path(tree).resolve()), tracer.__file__
    from tracer.engine import run
    from tracer.problem.spec import load_problem

    if task == "warm":
        from tracer.api import trace
        from tracer.present.render import render_view
        from tracer.present.view import build_view
        from tracer.problem.examples import example_path

        view = build_view(trace(example_path("lecture-2-2-1")))
        render_view(view, "latex")
        start = time.perf_counter()
        render_view(view, "latex")
        print(json.dumps([time.perf_counter() - start]))
    elif task == "tojson":
        from tracer.present.export_json import to_json

        t = run(load_problem(BIG))
        to_json(t)
        start = time.perf_counter()
        to_json(t)
        print(json.dumps([time.perf_counter() - start]))
    elif task == "engine":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_core

        spec = dict(bench_core.SPEC_2_2_1, iterations=ENGINE_ITERATIONS)
        problem = load_problem(spec)
        run(load_problem(dict(spec, iterations=10)))
        bench_core.numpy_loop(10)
        start = time.perf_counter()
        run(problem)
        mid = time.perf_counter()
        bench_core.numpy_loop(ENGINE_ITERATIONS)
        print(json.dumps([(mid - start) / ENGINE_ITERATIONS, (time.perf_counter() - mid) / ENGINE_ITERATIONS]))
    else:
        raise SystemExit(f"unknown task {task}")


# -- parent --------------------------------------------------------------------------------------


def _timed(cmd, env, cwd) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))}: exit {proc.returncode}: {proc.stderr.decode()[-400:]}")
    return time.perf_counter() - start


def _worker(tree: Path, task: str) -> list[float]:
    out = subprocess.run([sys.executable, __file__, "--worker", str(tree), task], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise SystemExit(f"worker {tree} {task}: {out.stderr[-400:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fig(xs: list[float], unit: str = "ms") -> str:
    k = 1e6 if unit == "us" else 1e3
    return f"{statistics.median(xs) * k:8.2f} {unit} (min {min(xs) * k:.2f})"


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{statistics.median(a) / statistics.median(b):5.2f}x (min/min {min(a) / min(b):.2f})"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[2])
        return 0
    base_ref = argv[argv.index("--base") + 1] if "--base" in argv else None
    n = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 5
    if base_ref is None:
        base_ref = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=REPO, capture_output=True,
                                  text=True, check=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="bench_perf_"))
    base = tmp / "base"
    base.mkdir()
    archive = subprocess.run(["git", "archive", base_ref], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    spec_file = tmp / "big.json"
    spec_file.write_text(json.dumps(BIG))
    load = os.getloadavg()
    print(f"bench_perf: this tree {REPO} vs base {base_ref[:12]} (git archive); n = {n} interleaved repeats "
          f"per row after one warm-up; {os.cpu_count()} CPU(s), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    def env_for(tree: Path) -> dict:
        return {**os.environ, "PYTHONPATH": str(tree)}

    def cli(tree, *args):
        return lambda: _timed([sys.executable, "-m", "tracer.cli", *args], env_for(tree), tmp)

    def interleave(*fns):
        for fn in fns:
            fn()
        runs = [[] for _ in fns]
        for _ in range(n):
            for out, fn in zip(runs, fns):
                out.append(fn())
        return runs

    rows = []
    latex = ("render", "--example", "lecture-2-2-1", "--to", "latex")
    imports = lambda: _timed([sys.executable, "-c", "import numpy, sympy, jinja2"], os.environ, tmp)  # noqa: E731
    new, old, imp = interleave(cli(REPO, *latex), cli(base, *latex), imports)
    rows += [("cli latex, this tree / import numpy, sympy, jinja2", _fig(new), _fig(imp), _ratio(new, imp)),
             ("cli latex, base / import numpy, sympy, jinja2", _fig(old), _fig(imp), _ratio(old, imp)),
             ("cli latex, this tree / base", _fig(new), _fig(old), _ratio(new, old))]

    def one(tree, task, k=0):
        return lambda: _worker(tree, task)[k]

    new, old = interleave(one(REPO, "warm"), one(base, "warm"))
    rows.append(("warm second render_view latex, this tree / base", _fig(new), _fig(old), _ratio(new, old)))

    big = ("render", str(spec_file), "--to", "json")
    new, old = interleave(cli(REPO, *big), cli(base, *big))
    rows.append(("cli json 16-64-64-64-10 x100, this tree / base", _fig(new), _fig(old), _ratio(new, old)))
    new, old = interleave(one(REPO, "tojson"), one(base, "tojson"))
    rows.append(("to_json alone, same net, this tree / base", _fig(new), _fig(old), _ratio(new, old)))

    pairs_new, pairs_old = interleave(lambda: _worker(REPO, "engine"), lambda: _worker(base, "engine"))
    eng_new, np_new = [p[0] for p in pairs_new], [p[1] for p in pairs_new]
    eng_old, np_old = [p[0] for p in pairs_old], [p[1] for p in pairs_old]
    rows += [(f"engine 2-2-1 per iteration ({ENGINE_ITERATIONS}), this tree / numpy loop", _fig(eng_new, "us"),
              _fig(np_new, "us"), _ratio(eng_new, np_new)),
             ("engine 2-2-1 per iteration, base / numpy loop", _fig(eng_old, "us"), _fig(np_old, "us"),
              _ratio(eng_old, np_old)),
             ("engine 2-2-1 per iteration, this tree / base", _fig(eng_new, "us"), _fig(eng_old, "us"),
              _ratio(eng_new, eng_old))]

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'subject':<28}  {'baseline':<28}  ratio (median/median)")
    for name, a, b, r in rows:
        print(f"{name:<{width}}  {a:<28}  {b:<28}  {r}")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other workers share the cores: "
          "ratios of interleaved runs are the figures to read, not the milliseconds)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
