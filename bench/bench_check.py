"""Grading speed: 1,000 submissions of the lecture example into a gradebook, as RATIOS.

    python bench/bench_check.py          (or: python bench/run.py check)

Rows:
  batch      `bptrace check SPEC FOLDER --gradebook gb.csv`, 1,000 files   vs  `bptrace check SPEC one.yaml`
  library    Checker + write_gradebook in this process, per submission     vs  one engine run of the spec
and the per-submission time of each. The submissions are generated here, from the
engine: every one answers the 57 quantities a student computes over three
iterations (a1 ... new.b2), in YAML, JSON or CSV; 40% all correct, 30% with a slip
(one element, iteration 1 or 2) followed by correct work from it (follow-through
downstream), 20% with several random wrong values, 5% partial, 5% not gradable
(malformed or hostile). Subject and baseline runs are interleaved; figures are
medians (minimum beside). The CLI is the installed `bptrace` when one is on PATH,
else `python -m tracer.cli` with PYTHONPATH set to the repo root.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "examples" / "lecture-2-2-1.yaml"
N = 1000
CLI_REPEATS = 3
LIB_REPEATS = 3
QUANTITIES = ["a1", "h1", "a2", "h2", "yhat", "loss", "dL_dyhat", "gprime2", "delta2", "gprime1", "delta1",
              "grad.W2", "grad.b2", "grad.W1", "grad.b1", "new.W1", "new.b1", "new.W2", "new.b2"]

sys.path.insert(0, str(REPO))


def locate_cli():
    exe = shutil.which("bptrace")
    if exe:
        return [exe], dict(os.environ), f"installed bptrace: {exe}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return [sys.executable, "-m", "tracer.cli"], env, f"{sys.executable} -m tracer.cli with PYTHONPATH={REPO}"


# -- the submissions ------------------------------------------------------------------


def _r4(v):
    import numpy as np

    v = np.asarray(v, dtype=float)
    return round(float(v.reshape(-1)[0]), 4) if v.size == 1 else np.round(v, 4).tolist()


def _sheet(values_by_iter: list[dict]) -> dict:
    return {f"iter{t}.{q}": _r4(vals[f"iter1.{q}"]) for t, vals in enumerate(values_by_iter, start=1) for q in QUANTITIES}


def _from(params, iterations):
    import yaml

    from tracer.engine import run
    from tracer.problem.spec import load_problem

    spec = yaml.safe_load(SPEC.read_text())
    spec.pop("published", None)  # the notes' numbers of three iterations; one is run at a time here
    spec.update(params=params, iterations=1)
    out, p = [], params
    for _ in range(iterations):
        spec["params"] = p
        values = run(load_problem(spec)).values
        out.append(values)
        p = {k: _r4(values[f"iter1.new.{k}"]) for k in ("W1", "b1", "W2", "b2")}
        p = {k: (v if isinstance(v, list) else [v]) for k, v in p.items()}
    return out


def _perturb(value, rng: random.Random):
    """A wrong answer: one element off by 0.05 to 0.5."""
    value = json.loads(json.dumps(value))
    row = value if not isinstance(value, list) or not isinstance(value[0], list) else value[0]
    delta = rng.choice([-1, 1]) * rng.uniform(0.05, 0.5)
    if not isinstance(row, list):
        return round(row + delta, 4)
    row[0] = round(row[0] + delta, 4)
    return value


def make_submissions(folder: Path, rng: random.Random) -> Counter:
    import yaml

    base = yaml.safe_load(SPEC.read_text())["params"]
    truth = _from(base, 3)
    correct = _sheet(truth)
    kinds = Counter()
    for n in range(N):
        u = rng.random()
        if u < 0.40:
            kind, sheet = "correct", dict(correct)
        elif u < 0.70:  # a slip in one parameter update, then correct work from the student's values
            kind = "slip+follow-through"
            t = rng.choice([1, 2])
            name = rng.choice(["W1", "b1", "W2", "b2"])
            params = {k: _r4(truth[t - 1][f"iter1.new.{k}"]) for k in ("W1", "b1", "W2", "b2")}
            params = {k: (v if isinstance(v, list) else [v]) for k, v in params.items()}
            flat = params[name] if name.startswith("b") else params[name][0]
            flat[rng.randrange(len(flat))] += rng.choice([-1, 1]) * rng.uniform(0.02, 0.2)
            rest = _from(params, 3 - t)
            sheet = _sheet(truth[:t] + rest)
            sheet[f"iter{t}.new.{name}"] = params[name]
        elif u < 0.90:
            kind, sheet = "wrong", dict(correct)
            for key in rng.sample(sorted(sheet), 6):
                sheet[key] = _perturb(sheet[key], rng)
        elif u < 0.95:
            kind = "partial"
            sheet = {k: v for k, v in correct.items() if k.startswith("iter1.")}
        else:
            kind = "not gradable"
            bad = rng.choice([b"a: &x 1\nb: *x\n", b'{"iter1.yhat": NaN}', b"iter1.yhat: [" * 40, bytes(range(256))])
            (folder / f"s{n:04d}.yaml").write_bytes(bad)
            kinds[kind] += 1
            continue
        kinds[kind] += 1
        sheet = {"student": f"s{n:04d}", **sheet}
        fmt = rng.choices(["yaml", "json", "csv"], [0.7, 0.2, 0.1])[0]
        path = folder / f"s{n:04d}.{fmt}"
        if fmt == "yaml":
            path.write_text(yaml.safe_dump(sheet, sort_keys=False, default_flow_style=None))
        elif fmt == "json":
            path.write_text(json.dumps(sheet))
        else:
            with open(path, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerows((k, json.dumps(v) if isinstance(v, list) else v) for k, v in sheet.items())
    return kinds


# -- timing ---------------------------------------------------------------------------


def _run(cmd, env, cwd, ok=(0, 1, 2)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return elapsed


def interleaved(subject, baseline, repeats):
    subject(), baseline()
    a, b = [], []
    for _ in range(repeats):
        a.append(subject())
        b.append(baseline())
    return a, b


def med(xs):
    return statistics.median(xs)


def main() -> int:
    from tracer.engine import run
    from tracer.grade.check import Checker
    from tracer.grade.gradebook import answer_files, write_gradebook
    from tracer.problem.spec import load_problem

    cmd, env, how = locate_cli()
    work = Path(tempfile.mkdtemp(prefix="bench_check_"))
    folder = work / "submissions"
    folder.mkdir()
    kinds = make_submissions(folder, random.Random(4))
    one = work / "one.yaml"
    shutil.copy(next(p for p in sorted(folder.iterdir()) if p.suffix == ".yaml" and p.stat().st_size > 1000), one)
    gradebook = work / "gb.csv"
    print(f"bench_check: {N} generated submissions of the lecture 2-2-1 example (57 quantities, 99 numbers each): "
          + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    print(f"CLI: {how}; {os.cpu_count()} CPU(s), python {sys.version.split()[0]}\n")

    # 1. the CLI: a batch of N files vs one file
    a, b = interleaved(lambda: _run(cmd + ["check", str(SPEC), str(folder), "--gradebook", str(gradebook)], env, work),
                       lambda: _run(cmd + ["check", str(SPEC), str(one)], env, work), CLI_REPEATS)
    with open(gradebook, newline="") as fh:
        rows = list(csv.DictReader(fh))
    statuses = Counter("graded" if r["status"] == "graded" else "not gradable" for r in rows)

    # 2. the library: Checker + write_gradebook per submission vs one engine run
    problem = load_problem(SPEC)
    files = answer_files([folder])

    def library():
        start = time.perf_counter()
        write_gradebook(Checker(problem), files, gradebook, progress=False)
        return time.perf_counter() - start

    def engine():
        start = time.perf_counter()
        run(problem)
        return time.perf_counter() - start

    c, d = interleaved(library, engine, LIB_REPEATS)
    checker = Checker(problem)
    verdicts = Counter()
    for path in files:
        try:
            verdicts.update(i.status for i in checker.check_file(path).items)
        except Exception:  # noqa: BLE001 - the not-gradable ones
            pass

    print(f"{'measurement':<46} {'subject':>22} {'baseline':>22} {'ratio':>9}")
    print("-" * 102)
    print(f"{'CLI: check 1,000 files -> gradebook':<46} {med(a):>13.2f} s (min {min(a):.2f}) "
          f"{med(b) * 1e3:>9.0f} ms (min {min(b) * 1e3:.0f}) {med(a) / med(b):>8.1f}x   [baseline: check of one file]")
    print(f"{'library: Checker + write_gradebook, 1,000':<46} {med(c):>13.2f} s (min {min(c):.2f}) "
          f"{med(d) * 1e3:>9.2f} ms (min {min(d) * 1e3:.2f}) {med(c) / med(d):>8.0f}x   [baseline: one engine run]")
    print()
    print(f"per submission, CLI batch:        {med(a) / N * 1e3:6.2f} ms   "
          f"(after one-file startup: {(med(a) - med(b)) / N * 1e3:.2f} ms)")
    print(f"per submission, library:          {med(c) / N * 1e3:6.2f} ms   "
          f"= {med(c) / N / med(d):.1f} engine runs of the spec")
    print(f"one check = {med(b) * 1e3:.0f} ms, so 1,000 files cost {med(a) / med(b):.1f} single checks "
          f"(1,000 separate `bptrace check` runs would cost ~{N * med(b):.0f} s)")
    print(f"gradebook: {len(rows)} rows ({', '.join(f'{k} {v}' for k, v in statuses.items())}); "
          f"verdicts over all items: {', '.join(f'{k} {v}' for k, v in sorted(verdicts.items()))}")
    ok = len(rows) == N and statuses["not gradable"] == kinds["not gradable"]
    shutil.rmtree(work, ignore_errors=True)
    if not ok:
        print("ERROR: the gradebook does not have one row per file with the expected not-gradable count")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
