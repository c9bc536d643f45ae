"""Small validators for spec fields: each checks one value and names its place on failure.

Shared by every kind of problem (and by `randomize:`), so a wrong value is worded
the same way everywhere: `params.W2: expected shape 1x2 (layers [2, 2, 1]), got 2x1`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import SpecError


def number(value: Any, where: str) -> float:
    """A finite number; text is read as an expression over constants ("1/3", "1 + sin(pi/4)"),
    whose value keeps its tree (expr.Written) for exact arithmetic."""
    if isinstance(value, str):
        from .expr import constant

        return constant(value, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(where, f"expected a number, got {describe(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a float
        raise SpecError(where, "expected a finite number, got an integer too large to use") from None
    if not math.isfinite(value):
        raise SpecError(where, "expected a finite number")
    return value


def integer(value: Any, where: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise SpecError(where, f"expected a whole number, got {describe(value)}")
    if minimum is not None and value < minimum:
        raise SpecError(where, f"expected a whole number >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SpecError(where, f"expected a whole number <= {maximum}, got {value}")
    return value


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) < 40 else "text"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def vector(value: Any, n: int, where: str, *, scalar_ok: bool = False) -> np.ndarray:
    if scalar_ok and n == 1 and not isinstance(value, list):
        return np.array([number(value, where)])
    if not isinstance(value, list):
        raise SpecError(where, f"expected a list of {count(n, 'number')}, got {describe(value)}")
    if len(value) != n:
        raise SpecError(where, f"expected {count(n, 'number')}, got {len(value)}")
    return np.array([number(v, f"{where}[{i}]") for i, v in enumerate(value)])


def shape_of(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        widths = {len(r) for r in value}
        return f"{len(value)}x{widths.pop()}" if len(widths) == 1 else f"{len(value)} rows of unequal length"
    if isinstance(value, list):
        return f"a flat list of {len(value)}"
    return describe(value)


def matrix(value: Any, rows: int, cols: int, where: str, layers: list[int]) -> np.ndarray:
    ok = (
        isinstance(value, list) and len(value) == rows
        and all(isinstance(r, list) and len(r) == cols for r in value)
    )
    if not ok:
        raise SpecError(where, f"expected shape {rows}x{cols} (layers {layers}), got {shape_of(value)}")
    return np.array([[number(v, f"{where}[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(value)])


def written(value: Any) -> dict:
    """{index: expr.Written} of the entries of an already validated number, list or list of rows
    that are written as text ("1/3"), so exact arithmetic can read them with every digit; a lone
    number (a vector of one given as a scalar) is index (0,). Empty if none is text."""
    from .expr import constant

    out = {}
    if isinstance(value, str):
        out[(0,)] = constant(value, "")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, str):
                out[(i,)] = constant(v, "")
            elif isinstance(v, list):
                out.update({(i, j): constant(u, "") for j, u in enumerate(v) if isinstance(u, str)})
    return out


def with_written_text(plain: list, written) -> list:
    """Nested lists of numbers with the entries of `written` (see `written`) put back as the text
    they were written as ("1/3"), so a spec made from a Problem is the spec it was read from."""
    for idx, value in (written or {}).items():
        row = plain
        for i in idx[:-1]:
            row = row[i]
        row[idx[-1]] = value.text
    return plain


def name_of(value: Any) -> str:
    """A value that should have been a name: quoted if it is text, else described."""
    return repr(value) if isinstance(value, str) else describe(value)


def choice(value: Any, options: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in options:
        got = name_of(value)
        raise SpecError(where, f"unknown value {got}; expected one of: {', '.join(options)}")
    return value


def readonly(arr: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    arr.flags.writeable = False
    return arr
