"""The wheel's pre-filled formulas (formulas_builtin.json): what the built-in cases print, derived afresh.

    python -m tracer.present.formulas_prefill          # regenerate the file (after a formula,
                                                       # a printer or sympy changed)
    python -m tracer.present.formulas_prefill --check  # exit 1 if the file differs from a fresh run

Why a generated file committed as package data rather than a build hook: the wheel stays
reproducible from the repository alone (no sympy run inside an isolated build environment,
no build step that can differ from what the tests saw), and the file is reviewed like any other
change. It cannot drift: tests/present/test_formula_cache.py derives every entry again with sympy
and compares, and checks that a fresh prefill equals the committed file.

The cases: every built-in network example in every built-in notation profile, in float and
by-hand arithmetic; and a small network for every activation x loss x output size 1 to 3 (with
loss_half both ways), each with positive, negative and saturating numbers so the common shapes of
substituted numbers (0.5, -0.5, 1.2 \\times 10^{-5}) are all printed. A handout outside these
cases fills the user's cache on its first render.
"""

from __future__ import annotations

import sys

from ..problem.fields import ACTIVATIONS as _ALL, LOSSES
from . import formula_store as store

ACTIVATIONS = tuple(a for a in _ALL if a != "softmax")  # element-wise ones: any layer; softmax: the output


def _synthetic():
    """Small specs (as mappings) for every activation x output activation x loss x output size."""
    for n_out in (1, 2, 3):
        for out in (*ACTIVATIONS, "softmax"):
            if out == "softmax" and n_out == 1:  # one softmax output is 1 whatever its input
                continue
            for loss in LOSSES:
                for half in (False, True):
                    for hidden in ACTIVATIONS:
                        for scale, x in ((1.0, [1.0, 2.0]), (-1.0, [-1.5, 0.5]), (30.0, [2.0, 1.0])):
                            W2 = [[0.7 * scale * (-1) ** i, 0.8 - 0.1 * i] for i in range(n_out)]
                            y = [1] + [0] * (n_out - 1) if loss in ("ce", "bce") or out == "softmax" else \
                                [0.5 - 0.25 * i for i in range(n_out)]
                            spec = {
                                "layers": [2, 2, n_out], "activation": [hidden, out], "loss": loss,
                                "params": {"W1": [[0.1, 0.4], [0.2, -0.5]], "b1": [0.3, 0.6],
                                           "W2": W2, "b2": [0.9 * scale] * n_out},
                                "data": [{"x": x} if loss == "none" else {"x": x, "y": y}], "learning_rate": 0.5, "iterations": 1, "decimals": 4,
                            }
                            if loss in ("mse", "sse"):
                                spec["loss_half"] = half
                            elif half:
                                continue
                            yield spec


def _examples():
    from ..problem.examples import example_path, list_examples
    from ..problem.spec import load_problem

    for name, _ in list_examples():
        problem = load_problem(example_path(name))
        if getattr(problem, "kind", "network") == "network":
            yield problem


def cases():
    """Every Problem the pre-filled file covers."""
    from ..errors import TracerError
    from ..problem.notation import BUILTIN
    from ..problem.spec import problem_from_dict

    for problem in _examples():
        for profile in BUILTIN:
            for arithmetic in ("float", "by-hand"):
                try:
                    yield problem.with_overrides(notation=profile, arithmetic=arithmetic, iterations=1)
                except TracerError:
                    continue
    for spec in _synthetic():
        for arithmetic in ("float", "by-hand"):
            try:
                yield problem_from_dict({**spec, "arithmetic": arithmetic})
            except TracerError:
                continue


def derive_all() -> dict:
    """Every entry the cases' Views use, derived by sympy in this process (no file read or written)."""
    from ..engine import run
    from .view import build_view

    saved = store.use_builtin, store.writes
    store.use_builtin, store.writes = False, False
    store.reset()
    store._loaded = True  # nothing from the user's file either: everything derived here
    try:
        for problem in cases():
            build_view(run(problem))
        return dict(store._memory)
    finally:
        store.use_builtin, store.writes = saved
        store.reset()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    entries = derive_all()
    if "--check" in argv:
        same = store.builtin_entries() == entries
        print("formulas_builtin.json is up to date" if same else "formulas_builtin.json differs from a fresh derivation")
        return 0 if same else 1
    path = store.write_builtin(entries)
    print(f"wrote {len(entries)} entries to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
