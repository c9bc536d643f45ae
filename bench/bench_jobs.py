"""Batch commands on every core (`--jobs`, tracer/pool.py), as RATIOS of --jobs N to --jobs 1.

    python bench/bench_jobs.py [--repeats N] [--jobs N] [--only check|variants]     (or: python bench/run.py jobs)

Rows (each the CLI end to end, subject and baseline interleaved, one warm-up round first):
  check      `bptrace check SPEC FOLDER --gradebook gb.csv`, bench_check.py's 1,000 generated
             lecture submissions            --jobs N  vs  --jobs 1
  variants   `bptrace variants SPEC --count 1000 --seed 1 --to markdown -o DIR`, bench_variants.py's
             spec                           --jobs N  vs  --jobs 1
Each row prints n, the median and minimum of both, and the ratio of medians (and of minima), and
the median CPU seconds of each (user + system, the pool's workers included) and their ratio: the
work the pool adds. On a machine whose other users keep every core busy, the wall ratio cannot go
below what the scheduler gives this session (Linux shares CPU between sessions, autogroups, not
processes, so more processes get no more of it); the CPU ratio does not depend on that.
The outputs of the two are compared byte for byte every round (the script fails if they differ).
N defaults to the CPUs available to the process. The load average is printed before and
after: on a shared machine the ratio is what the other jobs leave of the second core.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import bench_check  # noqa: E402  (the submissions)
import bench_variants  # noqa: E402  (the spec)

VARIANTS = 1000


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _cpu() -> float:
    """CPU seconds (user + system) of every finished child, its pool's workers included (each
    process adds those of the children it waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], cwd: Path, ok=(0, 1, 2)) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return elapsed, _cpu() - cpu


def _same_tree(a: Path, b: Path) -> bool:
    if a.is_file():
        return filecmp.cmp(a, b, shallow=False)
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors


def row(label: str, cmd, out_one: Path, out_n: Path, cwd: Path, jobs: int, repeats: int) -> tuple[bool, str]:
    """Interleaved rounds of --jobs N then --jobs 1 (after a warm-up of each); the outputs compared each round."""
    def run(jobs_value: int, out: Path) -> tuple[float, float]:
        if out.is_dir():
            shutil.rmtree(out)
        return _timed(cmd(out) + ["--jobs", str(jobs_value)], cwd)

    run(jobs, out_n), run(1, out_one)
    many, one, same = [], [], True
    for _ in range(repeats):
        many.append(run(jobs, out_n))
        one.append(run(1, out_one))
        same = same and _same_tree(out_one, out_n)
    wall_n, wall_1 = [w for w, _ in many], [w for w, _ in one]
    cpu_n, cpu_1 = statistics.median(c for _, c in many), statistics.median(c for _, c in one)
    text = (f"{label}, n={repeats}\n"
            f"  wall  --jobs {jobs}: {statistics.median(wall_n):6.2f} s (min {min(wall_n):.2f})  "
            f"--jobs 1: {statistics.median(wall_1):6.2f} s (min {min(wall_1):.2f})  "
            f"ratio {statistics.median(wall_n) / statistics.median(wall_1):.2f} (of minima {min(wall_n) / min(wall_1):.2f})\n"
            f"  CPU   --jobs {jobs}: {cpu_n:6.2f} s  --jobs 1: {cpu_1:6.2f} s  ratio {cpu_n / cpu_1:.2f} "
            f"(what the pool adds to the work)\n"
            f"  outputs identical: {'yes' if same else 'NO'}")
    return same, text


def main(argv: list[str]) -> int:
    from tracer.pool import available_cpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=available_cpus())
    parser.add_argument("--only", choices=("check", "variants"), help="run one row")
    args = parser.parse_args(argv)
    jobs = max(args.jobs, 2)
    work = Path(tempfile.mkdtemp(prefix="bench_jobs_"))
    try:
        subs = work / "subs"
        subs.mkdir()
        kinds = bench_check.make_submissions(subs, random.Random(4))
        import yaml

        (work / "hw.yaml").write_text(yaml.safe_dump({k: v for k, v in bench_variants.spec().items()
                                                      if k != "published"}))
        cli = [sys.executable, "-m", "tracer.cli"]
        print(f"bench_jobs: {available_cpus()} CPU(s) available, python {sys.version.split()[0]}; "
              f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"check: {bench_check.N} submissions ({', '.join(f'{k} {v}' for k, v in kinds.items())}); "
              f"variants: {VARIANTS} of bench_variants.py's 2-2-1 spec in Markdown\n")
        results = []
        if args.only in (None, "check"):
            results.append(row("check 1,000 files -> gradebook",
                               lambda out: cli + ["check", str(bench_check.SPEC), "subs", "--gradebook", out.name],
                               work / "gb1.csv", work / "gbn.csv", work, jobs, args.repeats))
        if args.only in (None, "variants"):
            results.append(row(f"variants --count {VARIANTS} --to markdown",
                               lambda out: cli + ["variants", "hw.yaml", "--count", str(VARIANTS), "--seed", "1",
                                                  "--to", "markdown", "-o", out.name],
                               work / "v1", work / "vn", work, jobs, args.repeats))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for _, text in results:
        print(text)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(same for same, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
