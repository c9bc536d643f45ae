"""The spec's optional `published:` section: numbers a source (lecture notes, a book) printed.

    published:
      iter1.yhat: 0.8934          # a quantity path of docs/quantities.md
      iter1.h1: [0.7685, 0.8581]  # a vector as a list, a matrix as a list of rows
      iter1.W1[2,1]: 0.2          # one element, 1-based
      iter1.new.b2: "0.9530"      # text keeps trailing zeros (the precision the source printed)

Validated here against the problem's own paths and shapes; each number is kept as
written, because a printed number is judged to the precision it was printed with
(tracer.grade.published grades the mapping like an answer sheet, and the handout
notes where a printed number differs from the computed one beyond that).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..errors import SpecError
from .paths import split_element
from .quantities import describe_path
from .validate import describe

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_LAYERED = re.compile(r"(?:grad\.|new\.)?([A-Za-z_]+?)(\d*)")


def path_shape(problem, path: str) -> tuple[int, ...]:
    """The shape a network records `path` with (W: n_l x n_(l-1); b, a, h, gprime, delta: n_l; loss: scalar)."""
    name = path.split(".", 1)[1]
    name = re.sub(r"^ex\d+\.", "", name)
    m = _LAYERED.fullmatch(name)
    kind, layer = m.group(1), int(m.group(2) or 0)
    n = problem.layers
    if kind == "W":
        return (n[layer], n[layer - 1])
    if path == "final.yhat":
        return (len(problem.data), n[-1])
    if kind in ("b", "a", "h", "gprime", "delta", "dL_dh"):
        return (n[layer],)
    if kind in ("x", "grad.x"):
        return (n[0],)
    if kind in ("y", "yhat", "dL_dyhat", "error", "loss_terms"):
        return (n[-1],)
    return ()  # loss


def _text(value: Any, where: str) -> str:
    """A printed number as text: a YAML number (its shortest form) or a string written as a decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(where, f"expected a number, got {describe(value)}")
    text = value.strip() if isinstance(value, str) else repr(value)
    if not _DECIMAL.fullmatch(text) or not math.isfinite(float(text)):
        raise SpecError(where, f"expected a finite number, got {describe(value)}")
    return text


def _values(value: Any, shape: tuple[int, ...], where: str):
    """Texts in the quantity's shape: a number for a one-element quantity, a list, or a list of rows."""
    size = math.prod(shape)
    if not isinstance(value, list):
        if size != 1:
            raise SpecError(where, f"expected {_shape_words(shape)}, got a single number")
        return _text(value, where)
    if len(shape) == 2 and shape[0] > 1 and shape[1] > 1 or value and isinstance(value[0], list):
        if len(shape) != 2 or len(value) != shape[0] or not all(isinstance(r, list) and len(r) == shape[1] for r in value):
            raise SpecError(where, f"expected {_shape_words(shape)}, got {_given(value)}")
        return [[_text(v, f"{where}[{i}][{j}]") for j, v in enumerate(row, 1)] for i, row in enumerate(value, 1)]
    if len(value) != size:
        raise SpecError(where, f"expected {_shape_words(shape)}, got a list of {len(value)}")
    return [_text(v, f"{where}[{i}]") for i, v in enumerate(value, 1)]


def _shape_words(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a number"
    if len(shape) == 1:
        return "a number" if shape[0] == 1 else f"a list of {shape[0]} numbers"
    return f"a {shape[0]}x{shape[1]} matrix as a list of {shape[0]} rows"


def _given(value: list) -> str:
    if not all(isinstance(r, list) for r in value):
        return f"a flat list of {len(value)}"
    return f"{len(value)} rows of {', '.join(str(len(r)) for r in value)}"


def parse_published(raw: Any, problem) -> tuple[tuple[str, Any], ...]:
    """`published:` -> ((key, text or nested lists of texts), ...) in the spec's order."""
    if not isinstance(raw, dict):
        raise SpecError("published", f"expected a mapping of quantity paths to numbers, got {describe(raw)}")
    from .kinds import (
        kind_of,  # the problem's own kind's paths (a perceptron records no loss)
    )

    paths = set(kind_of(problem).hook("paths")(problem))
    out = []
    for key, value in raw.items():
        where = f"published.{key}"
        if not isinstance(key, str):
            raise SpecError("published", f"expected quantity paths as keys, got {describe(key)}")
        try:
            base, index = split_element(key.replace(" ", ""))
        except KeyError:
            raise SpecError(where, "not a quantity path (see docs/quantities.md)") from None
        if base not in paths:
            m = re.match(r"iter(\d+)\.", base)
            if describe_path(base) and m and int(m.group(1)) > problem.iterations:
                raise SpecError(where, f"iteration {m.group(1)} is not run (iterations: {problem.iterations})")
            what = "no such quantity in this problem" if describe_path(base) else "not a quantity path"
            raise SpecError(where, f"{what} (see docs/quantities.md)")
        shape = path_shape(problem, base)
        if index is not None:
            if len(index) != len(shape) or any(i >= n for i, n in zip(index, shape)):
                raise SpecError(where, f"{base} has shape {'x'.join(map(str, shape)) or 'scalar'}; no such element")
            out.append((key, _text(value, where)))
        else:
            out.append((key, _values(value, shape, where)))
    return tuple(out)
