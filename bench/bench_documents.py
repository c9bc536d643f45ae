"""What the documents cost: `--to html` and `--to pdf` of the lecture example as ratios to `--to latex`,
and what the figures cost in `--to latex`.

    python bench/bench_documents.py          (or: python bench/run.py documents)

Rows, the CLI ones interleaved (one run of each per round, after a warm-up round, so a load
on the machine falls on all of them alike); each figure is the median of REPEATS runs, the
minimum beside it, and a ratio is median / median of the baseline in the same rounds:
  cli latex           `bptrace render --example lecture-2-2-1 --to latex -o F.tex`: the baseline
  cli html            the same `--to html -o F.html` (latex2mathml: MathML for every formula)
  cli pdf             the same `--to pdf -o F.pdf` (the LaTeX, then latexmk in a temporary folder)
  cli latex, no figs  the same `--to latex --figures none`: the default's one network figure costs
                      the difference
  lib latex / no figs the same two renders in one warmed-up process (build_view + the LaTeX
                      template on one trace), where start-up does not hide the figure's cost
A row that cannot run (no TeX, no latex2mathml) prints `unavailable: <reason>`; the others run.
The CLI is the installed `bptrace` when one is on PATH, else `python -m tracer.cli` (bench_core).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from bench_core import Unavailable, _run_once, installed_package_note, locate_cli  # noqa: E402

REPEATS = 5
LIB_REPEATS = 15
EXAMPLE = "lecture-2-2-1"


def _stats(seconds: list[float]) -> str:
    return f"n={len(seconds)}  median {statistics.median(seconds) * 1e3:8.1f} ms  (min {min(seconds) * 1e3:.1f})"


def cli_rows(workdir: Path) -> list[tuple[str, list[float] | str]]:
    cmd, python, env, how = locate_cli()
    print(f"CLI: {how}")
    print(installed_package_note(python, env, str(workdir)))
    base = [*cmd, "render", "--example", EXAMPLE]
    subjects = {
        "cli latex": [*base, "--to", "latex", "-o", str(workdir / "a.tex")],
        "cli html": [*base, "--to", "html", "-o", str(workdir / "a.html")],
        "cli pdf": [*base, "--to", "pdf", "-o", str(workdir / "a.pdf")],
        "cli latex, no figs": [*base, "--to", "latex", "--figures", "none", "-o", str(workdir / "b.tex")],
    }
    alive: dict[str, list[float] | str] = {}
    for name, args in subjects.items():  # the warm-up round; a subject that fails is reported, not timed
        try:
            _run_once(args, env, str(workdir))
            alive[name] = []
        except Unavailable as err:
            alive[name] = f"unavailable: {err}"
    for _ in range(REPEATS):
        for name, args in subjects.items():
            if isinstance(alive[name], list):
                alive[name].append(_run_once(args, env, str(workdir)))
    return list(alive.items())


def lib_rows() -> list[tuple[str, list[float]]]:
    from tracer.engine import run
    from tracer.present.render import render_view
    from tracer.present.view import build_view
    from tracer.problem.examples import example_path
    from tracer.problem.spec import load_problem

    problem = load_problem(example_path(EXAMPLE))
    traces = {"lib latex": run(problem), "lib latex, no figs": run(problem.with_overrides(figures="none"))}
    times: dict[str, list[float]] = {name: [] for name in traces}
    for name, trace in traces.items():  # warm-up: templates compiled, sympy's caches filled
        render_view(build_view(trace), "latex")
    for _ in range(LIB_REPEATS):
        for name, trace in traces.items():
            start = time.perf_counter()
            render_view(build_view(trace), "latex")
            times[name].append(time.perf_counter() - start)
    return list(times.items())


def main() -> int:
    print(f"bench_documents: {EXAMPLE}; CLI rows interleaved, {REPEATS} rounds after a warm-up round; "
          f"library rows interleaved, {LIB_REPEATS} rounds; ratio = median / median of its baseline")
    with tempfile.TemporaryDirectory(prefix="bench_documents_") as tmp:
        rows = cli_rows(Path(tmp))
    rows += lib_rows()
    found = dict(rows)
    baselines = {"cli html": "cli latex", "cli pdf": "cli latex", "cli latex, no figs": "cli latex",
                 "lib latex, no figs": "lib latex"}
    print()
    width = max(len(name) for name, _ in rows)
    for name, times in rows:
        if isinstance(times, str):
            print(f"{name:<{width}}  {times}")
            continue
        line = f"{name:<{width}}  {_stats(times)}"
        base = found.get(baselines.get(name, ""))
        if isinstance(base, list) and base:
            line += f"   {statistics.median(times) / statistics.median(base):5.2f}x {baselines[name]}"
        print(line)
    for cli, lib in (("cli latex", "cli latex, no figs"), ("lib latex", "lib latex, no figs")):
        a, b = found.get(cli), found.get(lib)
        if isinstance(a, list) and isinstance(b, list) and a and b:
            print(f"the network figure in {cli.split()[0]} --to latex: "
                  f"{(statistics.median(a) - statistics.median(b)) * 1e3:+.1f} ms a render (median difference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
