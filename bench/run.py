"""Run every bench/bench_*.py in this folder, one after another, each as its own process.

Usage: python bench/run.py [NAME ...]   (NAME filters by substring, e.g. `core`, `large`)

Each script is standalone and prints its own figures; this runner only runs them
in name order with the same interpreter, shows their output, and exits non-zero
if any of them did.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    if not scripts:
        print("no bench/bench_*.py scripts found" + (f" matching {argv}" if argv else ""))
        return 1
    results = []
    for script in scripts:
        print(f"\n##### {script.name} #####", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        results.append((script.name, rc, time.perf_counter() - start))
    print("\n##### summary #####")
    for name, rc, seconds in results:
        print(f"{name:<28} {'ok' if rc == 0 else f'FAILED (exit {rc})':<16} {seconds:6.1f} s")
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
