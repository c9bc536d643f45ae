"""Issue 14 part 3, large nets: a 16-64-64-64-10 net's handouts and JSON against the tree they started from.

    python bench/bench_large.py [--base REF] [--repeats N] [--text-iterations T] [--text-repeats M]
    (or: python bench/run.py large)

Rows, this tree and the base tree interleaved, median and minimum; ratio = median / median:
  cli json       `render SPEC --to json`, 100 iterations (bench_perf.BIG), n repeats
  to_json        `to_json` alone on the same trace, in a warm worker process, n repeats
  cli markdown   `render SPEC --to markdown -o F.md` (with its SVG figures), T iterations, m repeats
  cli latex      `render SPEC --to latex -o F.tex`, T iterations, m repeats
  build_view     `build_view` alone (numbers formatted, steps laid out), T iterations, warm worker, m repeats
The base tree (default: the merge-base with main) is `git archive`d to a temporary folder, so both
trees run with the same interpreter and packages. T defaults to 20 and m to 3 because the base tree
takes minutes per Markdown or LaTeX handout at 100 iterations; `--text-iterations 100` measures the
issue's case. Every output of this tree is compared byte for byte with the base tree's (exit 1 if
any differs).
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from bench_perf import BIG  # noqa: E402  (the spec both benches measure)


def worker(tree: str, task: str, iterations: int) -> None:
    sys.path.insert(0, tree)
    import tracer

    assert Path(tracer.__file__).resolve().is_relative_to(Path(tree).resolve()), tracer.__file__
    from tracer.engine import run
    from tracer.problem.spec import load_problem

    t = run(load_problem(dict(BIG, iterations=iterations)))
    if task == "tojson":
        from tracer.present.export_json import to_json as fn
    elif task == "view":
        from tracer.present.view import build_view as fn
    else:
        raise SystemExit(f"unknown task {task}")
    fn(t)  # warm: imports, sympy's caches, templates
    start = time.perf_counter()
    fn(t)
    print(json.dumps([time.perf_counter() - start]))


def _timed(cmd, env, cwd) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))}: exit {proc.returncode}: {proc.stderr.decode()[-400:]}")
    return time.perf_counter() - start


def _worker(tree: Path, task: str, iterations: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--worker", str(tree), task, str(iterations)], capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise SystemExit(f"worker {tree} {task}: {out.stderr[-400:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])[0]


def _fig(xs: list[float]) -> str:
    return f"{statistics.median(xs):8.2f} s (min {min(xs):.2f}, n {len(xs)})"


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{statistics.median(a) / statistics.median(b):5.2f}x (min/min {min(a) / min(b):.2f})"


def _arg(argv, name, default):
    return type(default)(argv[argv.index(name) + 1]) if name in argv else default


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[2], int(argv[3]))
        return 0
    n, m = _arg(argv, "--repeats", 5), _arg(argv, "--text-repeats", 3)
    text_iterations = _arg(argv, "--text-iterations", 20)
    base_ref = _arg(argv, "--base", "") or subprocess.run(
        ["git", "merge-base", "HEAD", "main"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="bench_large_"))
    base = tmp / "base"
    base.mkdir()
    archive = subprocess.run(["git", "archive", base_ref], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    (tmp / "big.json").write_text(json.dumps(BIG))
    (tmp / "text.json").write_text(json.dumps(dict(BIG, iterations=text_iterations)))
    load = os.getloadavg()
    print(f"bench_large: this tree {REPO} vs base {base_ref[:12]} (git archive); {os.cpu_count()} CPU(s), "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; one warm-up run of each, then interleaved repeats")

    trees = {"new": REPO, "base": base}

    def cli(which, spec, fmt, suffix):
        out = tmp / which / f"{fmt}{suffix}"
        out.parent.mkdir(exist_ok=True)
        cmd = [sys.executable, "-m", "tracer.cli", "render", str(tmp / spec), "--to", fmt, "-o", str(out)]
        return lambda: _timed(cmd, {**os.environ, "PYTHONPATH": str(trees[which])}, tmp)

    def one(which, task, iterations):
        return lambda: _worker(trees[which], task, iterations)

    def interleave(k, *fns):
        for fn in fns:
            fn()
        runs = [[] for _ in fns]
        for _ in range(k):
            for out, fn in zip(runs, fns):
                out.append(fn())
        return runs

    rows = []
    for name, k, new, old in [
        ("cli json, 100 iterations", n, cli("new", "big.json", "json", ".json"), cli("base", "big.json", "json", ".json")),
        ("to_json alone, 100 iterations", n, one("new", "tojson", 100), one("base", "tojson", 100)),
        (f"cli markdown, {text_iterations} iterations", m, cli("new", "text.json", "markdown", ".md"),
         cli("base", "text.json", "markdown", ".md")),
        (f"cli latex, {text_iterations} iterations", m, cli("new", "text.json", "latex", ".tex"),
         cli("base", "text.json", "latex", ".tex")),
        (f"build_view alone, {text_iterations} iterations", m, one("new", "view", text_iterations),
         one("base", "view", text_iterations)),
    ]:
        a, b = interleave(k, new, old)
        rows.append((name + ", this tree / base", _fig(a), _fig(b), _ratio(a, b)))
        print(f"  {rows[-1][0]}: {rows[-1][3]}", flush=True)

    differ = sorted(p.name for p in (tmp / "new").iterdir() if p.read_bytes() != (tmp / "base" / p.name).read_bytes())
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'this tree':<30}  {'base':<30}  ratio (median/median)")
    for name, a, b, r in rows:
        print(f"{name:<{width}}  {a:<30}  {b:<30}  {r}")
    load = os.getloadavg()
    print(f"\noutputs (json, markdown with its figures, latex): "
          f"{'identical, byte for byte' if not differ else 'DIFFER: ' + ', '.join(differ)}")
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other workers share the cores: "
          "ratios of interleaved runs are the figures to read, not the seconds)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
