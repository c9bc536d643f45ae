"""LMS exports at class scale: 300 variants to Moodle Cloze, per variant, as a ratio to Markdown.

    python bench/bench_lms.py          (or: python bench/run.py lms)

The spec is the lecture's 2-2-1 net, one SGD iteration, `randomize: true`, asking iteration 1's
forward and backward pass (the variants' default: 19 elements). Each row writes the same 300
variants with tracer.homework.variants.write_variants in one warmed-up process, interleaved
with the baseline, `--to markdown` (a problem sheet, a solution, a key and the figure per
variant), REPEATS times each; it reports the time per variant (median, minimum) and the ratio
of the medians (and of the minimums) to the baseline's. Rows (another export adds its own
`ROWS` entry):
  moodle           --to moodle: one Cloze question per variant, figure and worked solution inside
  moodle-elements  --to moodle-elements: a numerical question per asked element
Each row checks what it wrote: quiz.xml parses, with one question per variant (Cloze) or per
asked element.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COUNT = 300
REPEATS = 3
ELEMENTS = 19  # the default ask of a 2-2-1 net: a1, h1, a2, yhat, loss, delta2, delta1, the gradients


def check_moodle(folder: Path) -> None:
    root = ET.parse(folder / "quiz.xml").getroot()
    assert len(root.findall("question[@type='cloze']")) == COUNT


def check_moodle_elements(folder: Path) -> None:
    root = ET.parse(folder / "quiz.xml").getroot()
    assert len(root.findall("question[@type='numerical']")) == COUNT * ELEMENTS


ROWS = [  # (row, write_variants format, check of the folder written)
    ("moodle", "moodle", check_moodle),
    ("moodle-elements", "moodle-elements", check_moodle_elements),
]
BASELINE = "markdown"


def spec() -> dict:
    import yaml

    s = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
    s.pop("published", None)
    s.update(iterations=1, randomize=True, title="bench lms 2-2-1")
    return s


def main() -> int:
    from tracer.homework.variants import Generator, numbered_ids, write_variants
    from tracer.problem.spec import load_problem

    work = Path(tempfile.mkdtemp(prefix="bench_lms_"))
    try:
        gen = Generator(load_problem(spec()), 1)
        ids = numbered_ids(COUNT)
        formats = [BASELINE, *(fmt for _, fmt, _ in ROWS)]
        for fmt in formats:  # imports, templates, sympy caches
            write_variants(gen, numbered_ids(2), fmt, work / f"warm-{fmt}")
        times: dict[str, list[float]] = {fmt: [] for fmt in formats}
        for k in range(REPEATS):  # interleaved: a load change hits every format alike
            for fmt in formats:
                out = work / f"{fmt}-{k}"
                start = time.perf_counter()
                write_variants(gen, ids, fmt, out)
                times[fmt].append((time.perf_counter() - start) / COUNT)
                if k == 0:
                    for row, f, check in ROWS:
                        if f == fmt:
                            check(out)
                shutil.rmtree(out)
        base_med, base_min = statistics.median(times[BASELINE]), min(times[BASELINE])
        print(f"{COUNT} variants of a 2-2-1 net ({ELEMENTS} asked elements each), {REPEATS} interleaved repeats")
        print(f"{'row':<18} {'per variant (median / min)':>28} {'ratio to markdown (median / min)':>34}")
        print(f"{BASELINE:<18} {base_med * 1e3:>12.2f} ms / {base_min * 1e3:6.2f} ms {1:>16.2f} / {1:5.2f}")
        for row, fmt, _ in ROWS:
            med, low = statistics.median(times[fmt]), min(times[fmt])
            print(f"{row:<18} {med * 1e3:>12.2f} ms / {low * 1e3:6.2f} ms {med / base_med:>16.2f} / {low / base_min:5.2f}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
