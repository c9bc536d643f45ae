"""Variants at class scale: 1,000 variants with problem sheets, solutions and keys, in Markdown.

    python bench/bench_variants.py          (or: python bench/run.py variants)

The spec is the lecture's 2-2-1 net, one SGD iteration, `randomize: true` (every
parameter and the data drawn, default constraints). Rows:
  library   tracer.homework.variants.write_variants, 1,000 variants, in one warmed-up process:
            total, and per variant as a ratio to one handout (trace + Markdown of the
            same net, the cost `bptrace render` pays per problem once warm)
  cli       `bptrace variants SPEC --count 1000 --seed 1 --to markdown -o DIR`, end to end:
            total, as a ratio to `python -c "import numpy, sympy, jinja2"` (start-up)
Baselines are measured in the same run (median of repeats, minimum beside it). The
subjects run once each (they take seconds); the file counts are checked.
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
sys.path.insert(0, str(REPO))

COUNT = 1000
REPEATS = 5


def spec() -> dict:
    import yaml

    s = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
    s.update(iterations=1, randomize=True, title="bench variants 2-2-1")
    return s


def timed(fn, repeats: int = REPEATS) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> int:
    import yaml

    from tracer.api import render_trace
    from tracer.engine import run
    from tracer.homework.variants import Generator, numbered_ids, write_variants
    from tracer.problem.spec import load_problem

    work = Path(tempfile.mkdtemp(prefix="bench_variants_"))
    try:
        spec_file = work / "hw.yaml"
        spec_file.write_text(yaml.safe_dump(spec()))
        base = load_problem(spec_file)
        gen = Generator(base, 1)
        write_variants(gen, numbered_ids(3), "markdown", work / "warm")  # imports, templates, sympy caches

        handout, handout_min = timed(lambda: render_trace(run(base), "markdown"), 20)
        start = time.perf_counter()
        written = write_variants(gen, numbered_ids(COUNT), "markdown", work / "lib")
        lib_total = time.perf_counter() - start
        files = len(list((work / "lib").iterdir()))
        assert files == 3 * COUNT + 1, files
        per = lib_total / COUNT
        redraws = sum(v.attempt for v in written.variants)

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        cli = [sys.executable, "-m", "tracer.cli", "variants", str(spec_file), "--count", str(COUNT), "--seed", "1",
               "--to", "markdown", "-o", str(work / "cli")]
        imports, imports_min = timed(lambda: subprocess.run([sys.executable, "-c", "import numpy, sympy, jinja2"],
                                                            check=True, env=env), REPEATS)
        start = time.perf_counter()
        subprocess.run(cli, check=True, env=env, stdout=subprocess.DEVNULL)
        cli_total = time.perf_counter() - start
        assert len(list((work / "cli").iterdir())) == 3 * COUNT + 1
        same = all((work / "lib" / n).read_bytes() == (work / "cli" / n).read_bytes()
                   for n in ("v001.key.json", f"v{COUNT:03d}.solution.md", "variants.json"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"bench_variants: {COUNT} variants of a 2-2-1 net (1 SGD iteration, randomize: true), Markdown sheets, "
          f"solutions and keys ({3 * COUNT + 1} files)")
    print(f"{'row':<34}{'seconds':>9}{'ms/variant':>12}{'ratio':>8}  baseline")
    print(f"{'library write_variants':<34}{lib_total:>9.2f}{1000 * per:>12.2f}{per / handout:>8.2f}  "
          f"one handout {1000 * handout:.2f} ms (min {1000 * handout_min:.2f})")
    print(f"{'cli bptrace variants':<34}{cli_total:>9.2f}{1000 * cli_total / COUNT:>12.2f}{cli_total / imports:>8.1f}  "
          f"import numpy, sympy, jinja2 {imports:.2f} s (min {imports_min:.2f})")
    print(f"rejected draws redrawn: {redraws} ({redraws / COUNT:.2f} per variant); "
          f"library and CLI files identical: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
