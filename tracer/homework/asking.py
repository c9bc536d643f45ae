"""What a homework asks: the default questions, the answer key's entries, the symbol of each.

Shared by the problem sheets and answer keys (variants) and the LMS exports (moodle).
"""

from __future__ import annotations

import re

import numpy as np

from ..grade.check import element_key
from ..grade.grading import asked_elements, notation_aliases
from ..problem.network import Problem

# Iteration 1's forward and backward quantities: what a variant asks when the spec has no `ask:`.
_DEFAULT_ASK = re.compile(r"iter1\.(?:ex\d+\.)?(?:a\d+|h\d+|yhat|loss|delta\d+)|iter1\.grad\.[Wb]\d+")


def default_ask(problem: Problem, values: dict) -> list[str]:
    """Iteration 1's a, h (but h(L), which is yhat), yhat, loss, delta and gradient, in computation order."""
    if problem.kind == "graph":  # the backward pass's gradients of the inputs
        return [f"grad.{name}" for name, _ in problem.inputs]
    last = f"h{problem.depth}"
    return [p for p in values if _DEFAULT_ASK.fullmatch(p) and p.rsplit(".", 1)[-1] != last]


def precision_words(problem) -> str:
    """How precisely an answer is asked for: "4 decimal places", or "3 significant figures" for
    a spec with `sig_figs` (its handout and checker round that way too)."""
    n = getattr(problem, "sig_figs", None)
    if n:
        return f"{n} significant figure{'s' if n != 1 else ''}"
    return f"{problem.decimals} decimal place{'s' if problem.decimals != 1 else ''}"


def key_entries(problem: Problem, values: dict) -> dict:
    """{answer key: full-precision value} of the asked quantities, in computation order."""
    out = {}
    for path, elements in asked_elements(problem.ask, values, notation_aliases(problem)).items():
        arr = np.asarray(values[path], dtype=float)
        if elements is None:
            out[path] = float(arr.reshape(-1)[0]) if arr.size == 1 else (arr + 0.0).tolist()
        else:
            for idx in np.ndindex(arr.shape):
                if idx in elements:
                    out[element_key(path, idx, arr.shape)] = float(arr[idx]) + 0.0
    return out


def asked_keys(problem: Problem, values: dict) -> list[str]:
    """The answer key of every asked element, one per LMS question or Cloze part, in the order the
    LMS exports ask them (moodle.variant_questions): computation order, each quantity's elements
    row by row. The spec's `ask:`, else the variants' default. An LMS responses export is mapped
    back onto answer keys by this order (tracer/homework/lms.py)."""
    ask = list(problem.ask) or default_ask(problem, values)
    keys = []
    for path, elements in asked_elements(ask, values, notation_aliases(problem, values)).items():
        shape = np.shape(values[path])
        keys += [element_key(path, idx, shape) for idx in np.ndindex(shape) if elements is None or idx in elements]
    return keys


def step_symbols(view) -> dict:
    """path -> the symbol a handout writes for it: the first step that computes it (yhat: its own)."""
    found = {}
    for it in view.iterations:
        for sec in [*it.examples, *([it.aggregate] if it.aggregate else []), it.update]:
            for step in sec.steps:
                if step.path and step.path not in found:
                    found[step.path] = step.lhs
    for sec in view.passes:  # a graph's forward pass, local derivatives, backward pass
        for step in sec.steps:
            if step.path and step.path not in found:
                found[step.path] = step.lhs
    if view.notation is None:  # no profile: no yhat alias of h(L)
        return found
    last = f".h{view.notation.depth}"
    for path in [p for p in found if p.endswith(last)]:
        found[path[: -len(last)] + ".yhat"] = view.notation.yhat
    return found
