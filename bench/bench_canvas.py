"""Canvas QTI at class scale: 300 variants as one Canvas package, against the same 300 as Markdown sheets.

    python bench/bench_canvas.py          (or: python bench/run.py canvas)

The spec is the lecture's 2-2-1 net, one SGD iteration, `randomize: true`, asking iteration 1's
default quantities. Rows, both through tracer.homework.variants.write_variants in one warmed-up
process, the two formats interleaved (canvas, markdown, canvas, ...) so load drifts hit both alike:
  canvas    --to canvas: one canvas_qti.zip (a quiz per variant: problem, numerical items, the worked
            solution as feedback, math as equation images, the figure as a package file)
  markdown  --to markdown: per variant a problem sheet, solution, key, JSON key and figure
Per variant: the median of REPEATS runs and the minimum beside it; the ratio canvas / markdown of
both. Each canvas run's zip is checked (zipfile.testzip) and must be byte-identical to the first.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COUNT = 300
REPEATS = 3


def spec() -> dict:
    import yaml

    s = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
    s.pop("published", None)
    s.update(iterations=1, randomize=True, title="bench canvas 2-2-1")
    return s


def main() -> int:
    from tracer.homework.variants import Generator, numbered_ids, write_variants
    from tracer.problem.spec import load_problem

    work = Path(tempfile.mkdtemp(prefix="bench_canvas_"))
    times: dict[str, list[float]] = {"canvas": [], "markdown": []}
    packages: list[bytes] = []
    try:
        gen = Generator(load_problem(spec()), 1)
        ids = numbered_ids(COUNT)
        for fmt in times:  # imports, templates, sympy caches
            write_variants(gen, ids[:3], fmt, work / f"warm-{fmt}")
        for k in range(REPEATS):
            for fmt in times:
                out = work / f"{fmt}-{k}"
                start = time.perf_counter()
                write_variants(gen, ids, fmt, out)
                times[fmt].append((time.perf_counter() - start) / COUNT)
                if fmt == "canvas":
                    data = (out / "canvas_qti.zip").read_bytes()
                    packages.append(data)
                    with zipfile.ZipFile(out / "canvas_qti.zip") as zf:
                        assert zf.testzip() is None
                        quizzes = sum(1 for n in zf.namelist() if n.endswith("assessment_meta.xml"))
                    assert quizzes == COUNT, quizzes
                    size = len(data)
                shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    same = all(p == packages[0] for p in packages)
    med = {f: statistics.median(t) for f, t in times.items()}
    low = {f: min(t) for f, t in times.items()}
    print(f"bench_canvas: {COUNT} variants of a 2-2-1 net (1 SGD iteration, randomize: true), "
          f"{REPEATS} interleaved runs per format")
    print(f"{'row':<12}{'ms/variant':>12}{'min':>9}{'ratio':>8}{'ratio(min)':>12}")
    for fmt in times:
        print(f"{fmt:<12}{1000 * med[fmt]:>12.2f}{1000 * low[fmt]:>9.2f}"
              f"{med[fmt] / med['markdown']:>8.2f}{low[fmt] / low['markdown']:>12.2f}")
    print(f"package: {size / 1e6:.1f} MB for {COUNT} quizzes ({size / COUNT / 1e3:.1f} kB per variant); "
          f"byte-identical across runs: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
