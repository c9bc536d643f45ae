"""Every number a handout shows is formatted here, and only here.

Rule, for `decimals` = d:
- a value that is exact at d decimals is shown without trailing zeros
  (1.2, not 1.2000; 1, not 1.0000), so given data look as written;
- any other value is shown rounded to d decimals (0.8933);
- a non-zero value that would round to 0 at d decimals, or is 10^6 or more
  in size, is shown in scientific form with d significant digits, so a small
  gradient never prints as 0.0000 or -0.0000;
- infinities print as \\infty, NaN as \\text{undefined}.
"""

from __future__ import annotations

import math

import numpy as np

_BIG = 1e6


def is_exact(x: float, decimals: int) -> bool:
    """True if `x` shows without loss at `decimals` places."""
    if not math.isfinite(x):
        return True
    return abs(x - round(x, decimals)) <= 1e-12 * max(1.0, abs(x))


def number(x: float, decimals: int) -> str:
    """One number as LaTeX math."""
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    if abs(x) >= _BIG or abs(x) < 0.5 * 10.0**-decimals:
        mantissa, exponent = f"{x:.{max(decimals - 1, 0)}e}".split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    if is_exact(x, decimals):
        text = f"{round(x, decimals):.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{x:.{decimals}f}"


def plain(x: float, decimals: int) -> str:
    """One number as plain text (tables outside math, answer files)."""
    return number(x, decimals).replace(r" \times 10^{", "e").replace("}", "").replace(r"\infty", "inf").replace(r"\text{undefined", "undefined")


def all_exact(values, decimals: int) -> bool:
    return all(is_exact(float(v), decimals) for v in np.ravel(values))


def array(values, decimals: int, *, scalar_if_single: bool = True) -> str:
    """A vector as a column, a matrix as rows, in a bmatrix; one element as a plain number."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0 or (scalar_if_single and arr.size == 1):
        return number(arr.reshape(-1)[0], decimals)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    rows = [" & ".join(number(v, decimals) for v in row) for row in arr]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def row(values, decimals: int) -> str:
    """A vector written as a row (its transpose)."""
    arr = np.asarray(values, dtype=np.float64).reshape(1, -1)
    if arr.size == 1:
        return number(arr[0, 0], decimals)
    return array(arr, decimals)
