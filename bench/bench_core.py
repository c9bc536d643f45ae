"""Core timings, each as a RATIO against a baseline measured in the same run.

    python bench/bench_core.py          (or: python bench/run.py)

Rows:
  render   `bptrace render --example lecture-2-2-1 --to latex`  vs  `python -c "import numpy, sympy, jinja2"`
  help     `bptrace --help`                                       vs  `python -c pass`
  engine   tracer.engine.run on a 2-2-1 net, 10,000 iterations     vs  a plain numpy loop doing the same
           arithmetic (forward, backward, update; same shapes), per iteration
and whether `bptrace --help` imports numpy, sympy or jinja2 (python -X importtime).

Subject and baseline runs are interleaved; each figure is the median of the repeats
(the minimum is shown beside it). The CLI is the installed `bptrace` when one is on
PATH, else `python -m tracer.cli` with PYTHONPATH set to the repo root. The engine
row always imports the repo's source tree. A row that cannot run is reported as
"unavailable: <reason>" and the others still run.
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
CLI_REPEATS = 7
ENGINE_REPEATS = 5
ENGINE_ITERATIONS = 10_000


def lecture_spec() -> dict:
    """examples/lecture-2-2-1.yaml, with ENGINE_ITERATIONS iterations."""
    import yaml

    with open(REPO / "examples" / "lecture-2-2-1.yaml", encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    spec["iterations"] = ENGINE_ITERATIONS
    return spec


SPEC_2_2_1 = lecture_spec()


class Unavailable(Exception):
    pass


# -- which CLI ----------------------------------------------------------------------


def _shebang_python(script: str) -> str | None:
    try:
        with open(script, "rb") as fh:
            first = fh.readline().decode("utf-8", "replace").strip()
    except OSError:
        return None
    if first.startswith("#!"):
        parts = first[2:].split()
        if parts and os.path.basename(parts[0]).startswith("python") and os.access(parts[0], os.X_OK):
            return parts[0]
    return None


def locate_cli():
    """(command, python for baselines, env, description)."""
    exe = shutil.which("bptrace")
    if exe:
        python = _shebang_python(exe) or sys.executable
        return [exe], python, dict(os.environ), f"installed bptrace: {exe} (python {python})"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return (
        [sys.executable, "-m", "tracer.cli"], sys.executable, env,
        f"no bptrace on PATH: {sys.executable} -m tracer.cli with PYTHONPATH={REPO}",
    )


def installed_package_note(python: str, env: dict, cwd: str) -> str:
    """Where the CLI's `tracer` lives, and whether it matches the source tree."""
    proc = subprocess.run(
        [python, "-c", "import tracer, os; print(os.path.dirname(os.path.abspath(tracer.__file__)))"],
        env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        return "cannot import tracer with that python: " + _last_line(proc.stderr)
    pkg = Path(proc.stdout.strip())
    if pkg.resolve() == (REPO / "tracer").resolve():
        return f"tracer package: {pkg} (the source tree)"
    stale = [p.name for p in sorted((REPO / "tracer").glob("*.py"))
             if not (pkg / p.name).is_file() or (pkg / p.name).read_bytes() != p.read_bytes()]
    note = f"tracer package: {pkg}"
    if stale:
        note += f"\n  NOTE: differs from the source tree in {len(stale)} file(s): {', '.join(stale)} (reinstall to bench the current code)"
    return note


# -- timing -------------------------------------------------------------------------


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1][:160] if lines else "no error output"


def _run_once(cmd, env, cwd) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise Unavailable(f"`{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}` "
                          f"exit {proc.returncode}: {_last_line(proc.stderr.decode('utf-8', 'replace'))}")
    return elapsed


def interleaved(subject, baseline, repeats: int):
    """Time two callables alternately after one warm-up each; returns the two lists of seconds."""
    subject()
    baseline()
    a, b = [], []
    for _ in range(repeats):
        a.append(subject())
        b.append(baseline())
    return a, b


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1e3:8.1f} ms (min {min(seconds) * 1e3:.1f})"


def _us(seconds: list[float], n: int) -> str:
    return f"{statistics.median(seconds) / n * 1e6:8.1f} us/iter (min {min(seconds) / n * 1e6:.1f})"


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{statistics.median(a) / statistics.median(b):6.2f}x"


# -- the engine and its numpy baseline ----------------------------------------------


def numpy_loop(iterations: int):
    """The same 2-2-1 sigmoid/BCE SGD arithmetic as the engine, with nothing recorded."""
    import numpy as np

    W1 = np.array(SPEC_2_2_1["params"]["W1"], dtype=np.float64)
    b1 = np.array(SPEC_2_2_1["params"]["b1"], dtype=np.float64)
    W2 = np.array(SPEC_2_2_1["params"]["W2"], dtype=np.float64)
    b2 = np.array(SPEC_2_2_1["params"]["b2"], dtype=np.float64)
    x = np.array(SPEC_2_2_1["data"][0]["x"], dtype=np.float64)
    y = np.array(SPEC_2_2_1["data"][0]["y"], dtype=np.float64)
    lr = SPEC_2_2_1["learning_rate"]
    loss = 0.0
    for _ in range(iterations):
        a1 = W1 @ x + b1                      # forward
        h1 = 1.0 / (1.0 + np.exp(-a1))
        a2 = W2 @ h1 + b2
        yhat = 1.0 / (1.0 + np.exp(-a2))
        loss = float(-np.sum(y * np.log(yhat) + (1.0 - y) * np.log(1.0 - yhat)))
        delta2 = yhat - y                     # backward (sigmoid + BCE)
        delta1 = h1 * (1.0 - h1) * (W2.T @ delta2)
        gW2, gb2 = np.outer(delta2, h1), delta2
        gW1, gb1 = np.outer(delta1, x), delta1
        W2 = W2 - lr * gW2                    # update
        b2 = b2 - lr * gb2
        W1 = W1 - lr * gW1
        b1 = b1 - lr * gb1
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, loss


def engine_row():
    sys.path.insert(0, str(REPO))
    import numpy as np

    try:
        import tracer
        from tracer.engine import run
        from tracer.problem.spec import load_problem
    except Exception as err:  # noqa: BLE001 - report any import failure as the row's reason
        raise Unavailable(f"cannot import the engine: {type(err).__name__}: {err}") from None
    where = Path(tracer.__file__).resolve().parent
    problem = load_problem(dict(SPEC_2_2_1))
    if problem.iterations != ENGINE_ITERATIONS:
        raise Unavailable(f"problem has {problem.iterations} iterations, expected {ENGINE_ITERATIONS}")

    traces = []

    def subject():
        start = time.perf_counter()
        traces.append(run(problem))
        elapsed = time.perf_counter() - start
        del traces[:-1]  # keep the last trace only (memory)
        return elapsed

    results = []

    def baseline():
        start = time.perf_counter()
        results.append(numpy_loop(ENGINE_ITERATIONS))
        elapsed = time.perf_counter() - start
        del results[:-1]
        return elapsed

    a, b = interleaved(subject, baseline, ENGINE_REPEATS)
    trace, (final, _) = traces[-1], results[-1]
    agree = all(np.allclose(trace.values[f"final.{k}"], v, rtol=1e-9, atol=1e-12) for k, v in final.items())
    if not agree:
        raise Unavailable("engine and numpy loop disagree on the final parameters (bench arithmetic out of date?)")
    return a, b, where, len(trace.values)


# -- main ---------------------------------------------------------------------------


def main() -> int:
    cmd, python, env, how = locate_cli()
    rows = []  # (name, subject, baseline, ratio) or (name, "unavailable: ...")
    workdir = tempfile.mkdtemp(prefix="bench_core_")
    print(f"bench_core: median of {CLI_REPEATS} runs per CLI row, {ENGINE_REPEATS} per engine row; "
          f"subject and baseline interleaved; ratio = subject / baseline (median)")
    print(f"CLI: {how}")
    print(installed_package_note(python, env, workdir))
    print(f"cwd for CLI runs: {workdir} (outside the repo)")
    print(f"{os.cpu_count()} CPU(s), python {sys.version.split()[0]}\n")

    def cli_row(name, subject_args, baseline_cmd, baseline_label):
        try:
            a, b = interleaved(
                lambda: _run_once(cmd + subject_args, env, workdir),
                lambda: _run_once(baseline_cmd, env, workdir),
                CLI_REPEATS,
            )
            rows.append((name, _ms(a), f"{_ms(b)}  [{baseline_label}]", _ratio(a, b)))
        except Unavailable as err:
            rows.append((name, f"unavailable: {err}"))

    cli_row("render lecture-2-2-1 --to latex", ["render", "--example", "lecture-2-2-1", "--to", "latex"],
            [python, "-c", "import numpy, sympy, jinja2"], "python -c 'import numpy, sympy, jinja2'")
    cli_row("bptrace --help", ["--help"], [python, "-c", "pass"], "python -c pass")

    engine_where = None
    try:
        a, b, engine_where, n_values = engine_row()
        rows.append((f"engine.run 2-2-1, {ENGINE_ITERATIONS:,} iter", _us(a, ENGINE_ITERATIONS),
                     f"{_us(b, ENGINE_ITERATIONS)}  [plain numpy loop]", _ratio(a, b)))
    except Unavailable as err:
        rows.append((f"engine.run 2-2-1, {ENGINE_ITERATIONS:,} iter", f"unavailable: {err}"))

    # Does `bptrace --help` import the heavy modules?
    proc = subprocess.run([python, "-X", "importtime", "-m", "tracer.cli", "--help"], env=env, cwd=workdir,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        heavy_note = f"unavailable: exit {proc.returncode}: {_last_line(proc.stderr)}"
    else:
        imported = sorted({
            line.split("|")[-1].strip().split(".")[0]
            for line in proc.stderr.splitlines()
            if line.startswith("import time:") and line.split("|")[-1].strip().split(".")[0] in ("numpy", "sympy", "jinja2")
        })
        heavy_note = ("imports " + ", ".join(imported)) if imported else "imports none of numpy, sympy, jinja2"
    shutil.rmtree(workdir, ignore_errors=True)

    name_w = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{name_w}}  {'subject':<28}  {'baseline':<62}  ratio")
    print("-" * (name_w + 28 + 62 + 12))
    for row in rows:
        if len(row) == 2:
            print(f"{row[0]:<{name_w}}  {row[1]}")
        else:
            print(f"{row[0]:<{name_w}}  {row[1]:<28}  {row[2]:<62}  {row[3]}")
    print()
    print(f"bptrace --help (python -X importtime -m tracer.cli --help): {heavy_note}")
    if engine_where is not None:
        print(f"engine row: tracer from {engine_where}; the traced run records {n_values:,} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
