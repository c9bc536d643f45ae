"""The formula cache (tracer.present.formulas): handouts against importing what they used to need.

    python bench/bench_cache.py          (or: python bench/run.py cache)
    BENCH_REPEATS=11 python bench/bench_cache.py

Rows, each a RATIO of medians of interleaved runs (the minimum ratio beside it):
  latex warm     `bptrace render --example lecture-2-2-1 --to latex`, cache warm
                 vs `python -c "import numpy, sympy, jinja2"`                    (target <= 0.5)
  markdown warm  the same `--to markdown` vs `python -c "import numpy"`          (target <= 2)
  latex cold     an empty cache folder and the wheel's pre-filled file ignored (every formula derived
                 and stored) vs `--no-cache` (today's path: sympy prints every formula) (target <= 1.1)
  variants warm  `bptrace variants` of 20 lecture variants, cache warm, vs the same with --no-cache

Every command runs `python -m tracer.cli` of this tree (PYTHONPATH), with Python's bytecode in a
temporary PYTHONPYCACHEPREFIX (written on a first run, as an installed wheel has it), so neither side
compiles source; the cache folder is a temporary BPTRACE_CACHE_DIR.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
CLI = [sys.executable, "-m", "tracer.cli"]
# the command as `bptrace` runs it (cli.entry: its process settings too), without the wheel's formulas
NO_BUILTIN = ("import tracer.present.formula_store as s; s.use_builtin = False; "
              "from tracer.cli import entry; entry()")


def _env(cache: Path, pycache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "BPTRACE_NO_CACHE")}
    env.update(PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=str(pycache), BPTRACE_CACHE_DIR=str(cache))
    return env


def _time(cmd: list[str], env: dict, cwd: Path, before=None) -> float:
    if before:
        before()
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def ratio(name: str, subject, baseline, target: str) -> None:
    """Interleave subject and baseline REPEATS times; print the ratio of medians and the minimum ratio."""
    subject(), baseline()  # warm-up: bytecode written, caches filled, files in the OS cache
    s, b = [], []
    for _ in range(REPEATS):
        s.append(subject())
        b.append(baseline())
    ms, mb = statistics.median(s), statistics.median(b)
    print(f"{name:<15} {ms / mb:5.2f}  (min {min(s) / min(b):4.2f}; subject median {ms * 1000:6.0f} ms, "
          f"baseline {mb * 1000:6.0f} ms; n = {REPEATS})  target {target}", flush=True)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    try:
        cache, pycache = work / "cache", work / "pyc"
        env = _env(cache, pycache)
        py = [sys.executable]
        lecture = ["render", "--example", "lecture-2-2-1"]
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; this tree: {REPO}")
        ratio("latex warm", lambda: _time([*CLI, *lecture, "--to", "latex"], env, work),
              lambda: _time([*py, "-c", "import numpy, sympy, jinja2"], env, work), "<= 0.5")
        ratio("markdown warm", lambda: _time([*CLI, *lecture, "--to", "markdown", "-o", "out.md"], env, work),
              lambda: _time([*py, "-c", "import numpy"], env, work), "<= 2")

        empty = work / "empty"
        cold_env = _env(empty, pycache)
        ratio("latex cold", lambda: _time([*py, "-c", NO_BUILTIN, *lecture, "--to", "latex"], cold_env, work,
                                          before=lambda: shutil.rmtree(empty, ignore_errors=True)),
              lambda: _time([*CLI, "--no-cache", *lecture, "--to", "latex"], env, work), "<= 1.1")

        (work / "rand.yaml").write_text((REPO / "examples" / "lecture-2-2-1.yaml").read_text() + "randomize: true\n")
        variants = ["variants", "rand.yaml", "--count", "20", "--seed", "1", "--force", "-o"]
        ratio("variants warm", lambda: _time([*CLI, *variants, "a"], env, work),
              lambda: _time([*CLI, "--no-cache", *variants, "b"], env, work), "(lower is better)")
        same = all((work / "a" / p.name).read_bytes() == p.read_bytes() for p in (work / "b").iterdir())
        print(f"variants: cached and --no-cache files identical: {same}")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
