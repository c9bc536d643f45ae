"""Diagnosis: its false-positive rate, and what it costs a batch.

    python bench/bench_diagnosis.py              (or: python bench/run.py diagnosis)
    python bench/bench_diagnosis.py --sheets 200 --no-timing   (quicker)

1. False positives. N correct sheets and N sheets with random wrong values, each for its
   own random network (2 to 4 layers of 1 to 3 units; sigmoid, tanh or relu hidden; sigmoid
   + bce or mse, linear + sse, tanh + sse; sgd, gd or minibatch over 3 examples; 2
   iterations; decimals 4). A correct sheet is the float trace rounded to 4 decimals, or
   the by-hand trace (every intermediate rounded as it is computed), with each quantity
   answered with probability 0.8. A random sheet is a correct one with 1 to 6 elements
   replaced by a random wrong value (the right value times a factor from -2 to 2, plus
   noise, or a number from -2 to 2). Every diagnosis on a correct sheet is undeserved
   (target 0); on a random sheet, every diagnosis of a replaced element is (none of them
   is a misconception), reported as a rate per wrong item and by code.
2. Cost. The 1,000 lecture submissions of bench_check.py graded into a gradebook with
   diagnosis on and off (in-process `Checker(diagnosis=...)` + `write_gradebook`, and the
   CLI with and without `--no-diagnosis`), interleaved, medians of 3: the ratio and the
   per-sheet cost.

Exits 1 if a correct sheet got a diagnosis.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

SHEET = re.compile(r"^iter\d+\.(?:ex\d+\.)?(a\d+|h\d+|yhat|loss|dL_dyhat|gprime\d+|delta\d+|grad\.[Wb]\d+|new\.[Wb]\d+)$")


def random_spec(rng: random.Random) -> dict:
    layers = [rng.randint(1, 3) for _ in range(rng.randint(3, 4))]
    hidden = rng.choice(["sigmoid", "tanh", "relu"])
    out_act, loss = rng.choice([("sigmoid", "bce"), ("sigmoid", "mse"), ("linear", "sse"), ("tanh", "sse")])
    data = [{"x": [round(rng.uniform(-1, 1), 1) for _ in range(layers[0])],
             "y": [float(rng.randint(0, 1)) for _ in range(layers[-1])]} for _ in range(3)]
    mode = rng.choice(["sgd", "gd", "minibatch"])
    spec = {"layers": layers, "activation": [hidden] * (len(layers) - 2) + [out_act], "loss": loss,
            "init": {"seed": rng.randint(0, 10_000), "decimals": 1}, "learning_rate": 0.5,
            "iterations": 2, "mode": mode, "decimals": 4, "data": data}
    if mode == "minibatch":
        spec["batch_size"] = 2
    return spec


def _text(v) -> str:
    v = np.asarray(v, dtype=float)
    if v.size == 1:
        return f"{v.reshape(-1)[0]:.4f}"
    if v.ndim == 1:
        return "[" + ", ".join(f"{x:.4f}" for x in v) + "]"
    return "[" + ", ".join("[" + ", ".join(f"{x:.4f}" for x in row) + "]" for row in v) + "]"


def correct_values(checker, rng: random.Random) -> dict:
    from tracer.engine import run

    values = run(checker.problem, arithmetic="by-hand").values if rng.random() < 0.3 else checker.values
    paths = [p for p in checker.order if SHEET.match(p) and rng.random() < 0.8]
    return {p: np.round(np.array(values[p], dtype=float), 4) for p in paths}


def spoil(values: dict, rng: random.Random) -> set[tuple[str, int]]:
    """Replace 1 to 6 random elements by random wrong values; returns (path, flat index) of each."""
    spoiled = set()
    for _ in range(rng.randint(1, 6)):
        path = rng.choice(sorted(values))
        flat = values[path].reshape(-1)
        k = rng.randrange(flat.size)
        how = rng.random()
        if how < 0.4:
            new = flat[k] * rng.uniform(-2, 2) + rng.gauss(0, 0.01)
        elif how < 0.8:
            new = flat[k] + rng.gauss(0, 0.3)
        else:
            new = rng.uniform(-2, 2)
        flat[k] = round(new, 4)
        spoiled.add((path, k))
    return spoiled


def false_positives(n: int, seed: int = 1) -> dict:
    """Grade n correct and n spoiled sheets; count diagnoses (see the module docstring)."""
    from tracer.errors import TracerError
    from tracer.grade.answers import parse_answers
    from tracer.grade.check import Checker
    from tracer.problem.spec import load_problem

    rng = random.Random(seed)
    out = Counter()
    codes = Counter()
    done = 0
    while done < n:
        try:
            checker = Checker(load_problem(random_spec(rng)))
        except TracerError:
            continue  # a draw the spec refuses
        if any(not np.all(np.isfinite(v)) for v in checker.values.values()):
            continue
        done += 1
        values = correct_values(checker, rng)
        report = checker.check_sheet(parse_answers("".join(f"{p}: {_text(v)}\n" for p, v in values.items())))
        out["correct items"] += len(report.items)
        out["correct: wrong verdicts"] += sum(i.status == "wrong" for i in report.items)
        out["correct: diagnoses"] += sum(bool(i.diagnosis) for i in report.items)
        spoiled = spoil(values, rng)
        keys = {_element_key(checker, p, k) for p, k in spoiled}
        report = checker.check_sheet(parse_answers("".join(f"{p}: {_text(v)}\n" for p, v in values.items())))
        for item in report.items:
            if item.key in keys and item.status == "wrong":
                out["random: wrong items"] += 1
                if item.diagnosis:
                    out["random: diagnoses"] += 1
                    codes[item.diagnosis] += 1
            elif item.diagnosis:
                out["random: diagnoses elsewhere"] += 1  # an untouched element made wrong? never expected
    out["sheets"] = n
    return {"counts": out, "codes": codes}


def _element_key(checker, path: str, k: int) -> str:
    from tracer.grade.check import element_key

    shape = np.shape(checker.values[path])
    return element_key(path, tuple(int(i) for i in np.unravel_index(k, shape)) if shape else (), shape)


def timing() -> None:
    import os
    import shutil
    import subprocess

    from bench_check import N, make_submissions, med

    from tracer.grade.check import Checker
    from tracer.grade.gradebook import answer_files, write_gradebook
    from tracer.problem.spec import load_problem

    spec = REPO / "examples" / "lecture-2-2-1.yaml"
    work = Path(tempfile.mkdtemp(prefix="bench_diagnosis_"))
    folder = work / "submissions"
    folder.mkdir()
    kinds = make_submissions(folder, random.Random(4))
    files = answer_files([folder])
    problem = load_problem(spec)
    gb = work / "gb.csv"  # the CLI rows remove it first, so each run must write it

    def lib(diagnosis):
        def go():
            start = time.perf_counter()
            write_gradebook(Checker(problem, diagnosis=diagnosis), files, gb, progress=False)
            return time.perf_counter() - start
        return go

    # this tree's CLI (an installed bptrace may predate --no-diagnosis)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    cmd, how = [sys.executable, "-m", "tracer.cli"], f"{sys.executable} -m tracer.cli with PYTHONPATH={REPO}"

    def cli(extra):
        def go():
            gb.unlink(missing_ok=True)
            start = time.perf_counter()
            proc = subprocess.run(cmd + ["check", str(spec), str(folder), "--gradebook", str(gb), *extra], env=env,
                                  cwd=work, capture_output=True, stdin=subprocess.DEVNULL)
            if proc.returncode not in (0, 1, 2) or not gb.exists() or "usage:" in proc.stderr.decode():
                raise RuntimeError(proc.stderr.decode()[-300:])
            return time.perf_counter() - start
        return go

    def interleave(a, b, repeats=3):
        a(), b()
        xs, ys = [], []
        for _ in range(repeats):
            xs.append(a())
            ys.append(b())
        return xs, ys

    on, off = interleave(lib(True), lib(False))
    con, coff = interleave(cli([]), cli(["--no-diagnosis"]))
    checker = Checker(problem)
    diagnosed = Counter()
    for path in files:
        try:
            diagnosed.update(i.diagnosis for i in checker.check_file(path).items if i.diagnosis)
        except Exception:  # noqa: BLE001 - the not-gradable ones
            pass
    print(f"cost: {N} lecture submissions ({', '.join(f'{k} {v}' for k, v in kinds.items())}); CLI: {how}; "
          f"{os.cpu_count()} CPU(s)")
    print(f"  library, diagnosis on : {med(on):6.2f} s (min {min(on):.2f})  = {med(on) / N * 1e3:.2f} ms a sheet")
    print(f"  library, diagnosis off: {med(off):6.2f} s (min {min(off):.2f})  = {med(off) / N * 1e3:.2f} ms a sheet")
    print(f"  ratio on/off {med(on) / med(off):.2f}x; diagnosis adds {(med(on) - med(off)) / N * 1e3:.2f} ms a sheet")
    print(f"  CLI check --gradebook: {med(con):6.2f} s, with --no-diagnosis {med(coff):6.2f} s, "
          f"ratio {med(con) / med(coff):.2f}x; {(med(con) - med(coff)) / N * 1e3:.2f} ms a sheet")
    print(f"  diagnoses in the batch: {', '.join(f'{k} {v}' for k, v in diagnosed.most_common()) or 'none'}")
    shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sheets", type=int, default=1000, help="correct sheets, and as many spoiled ones (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-timing", action="store_true", help="only the false-positive count")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    fp = false_positives(args.sheets, args.seed)
    c = fp["counts"]
    print(f"false positives over {c['sheets']} random networks ({time.perf_counter() - start:.0f} s):")
    print(f"  correct sheets: {c['correct items']} items, {c['correct: wrong verdicts']} wrong verdicts, "
          f"{c['correct: diagnoses']} diagnoses (target 0)")
    wrong = c["random: wrong items"]
    rate = c["random: diagnoses"] / wrong if wrong else 0.0
    print(f"  random wrong values: {wrong} wrong items, {c['random: diagnoses']} with a diagnosis "
          f"({100 * rate:.2f}%): {', '.join(f'{k} {v}' for k, v in fp['codes'].most_common()) or 'none'}; "
          f"{c['random: diagnoses elsewhere']} diagnoses of other items")
    if not args.no_timing:
        print()
        timing()
    return 1 if c["correct: diagnoses"] else 0


if __name__ == "__main__":
    sys.exit(main())
