"""`bptrace render SPEC --to answers`: a blank answer file with the keys a homework asks for.

The keys are the spec's `ask:` list, expanded; without `ask:`, every quantity a
student computes (all but the spec's givens x, y and iteration 1's parameters,
and the copies iter{t}.W = iter{t-1}.new.W and final.W). Blank values read as
"not answered", so a partly filled template checks cleanly.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from ..problem.quantities import is_optional
from .check import Checker, element_key
from .grading import shape_text
from .recompute import COPY, GIVEN

TEMPLATE_FORMATS = ("yaml", "json", "csv")


def template_keys(checker: Checker) -> list[tuple[str, tuple | None]]:
    """(path, element index or None for the whole quantity), in computation order."""
    asked = checker.policy.asked
    if asked:
        keys = []
        for path, elements in asked.items():
            if elements is None:
                keys.append((path, None))
            else:
                keys += [(path, idx) for idx in np.ndindex(np.shape(checker.values[path])) if idx in elements]
        return keys
    keys = []
    for path, rule in checker.rules.items():
        copy_of_param = rule.kind == COPY and (path.startswith("final.") or rule.inputs[0].split(".")[1] == "new")
        if rule.kind != GIVEN and not copy_of_param and not is_optional(path, checker.problem):
            keys.append((path, None))
    return keys


def _hint(shape: tuple) -> str:
    size = int(np.prod(shape)) if shape else 1
    if size == 1:
        return "one number"
    if len(shape) == 2:
        rows = ", ".join(["[" + ", ".join(["_"] * shape[1]) + "]"] * shape[0])
        return f"{shape_text(shape)} matrix, rows: [{rows}]"
    return f"{shape_text(shape)}: [{', '.join(['_'] * shape[0])}]"


def answer_template(checker: Checker, fmt: str = "yaml") -> str:
    """The blank answer file as text, in `fmt` ('yaml', 'json' or 'csv')."""
    values = checker.values
    keys = template_keys(checker)
    if fmt == "json":
        doc = {"student": None}
        for path, idx in keys:
            doc[path if idx is None else element_key(path, idx, np.shape(values[path]))] = None
        return json.dumps(doc, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([("key", "value"), ("student", "")])
        for path, idx in keys:
            shape = np.shape(values[path])
            elements = list(np.ndindex(shape)) if idx is None else [idx]
            writer.writerows((element_key(path, e, shape), "") for e in elements)
        return out.getvalue()
    entries = [("student", "your student id")]
    for path, idx in keys:
        shape = np.shape(values[path])
        key = path if idx is None else element_key(path, idx, shape)
        entries.append((key, _hint(shape) if idx is None else "one number"))
    width = max(len(k) for k, _ in entries) + 2
    head = [
        f"# Answers: {' '.join(checker.problem.title.split())}",
        "# Numbers: 0.8934, -1.2e-3 or 3/7. A vector is [1.5, -0.25], a matrix a list of rows",
        "# [[1, 2], [3, 4]], a one-element quantity a plain number. Leave blank what you skip.",
    ]
    body = [f"{(k + ':').ljust(width)}# {hint}" for k, hint in entries]
    return "\n".join(head + body) + "\n"
