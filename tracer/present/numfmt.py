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
from decimal import Decimal

import numpy as np

_BIG = 1e6


def _is_float(x) -> bool:
    return isinstance(x, (float, int, np.floating, np.integer))


def _decimal(x) -> Decimal:
    """An mpmath number as a Decimal with all its digits (str() gives its context's precision)."""
    return Decimal(str(x))


def is_exact(x, decimals: int) -> bool:
    """True if `x` shows without loss at `decimals` places."""
    if not _is_float(x):
        dec = _decimal(x)
        return not dec.is_finite() or dec == round(dec, decimals)
    if not math.isfinite(x):
        return True
    return abs(x - round(x, decimals)) <= 1e-12 * max(1.0, abs(x))


def number(x, decimals: int) -> str:
    """One number as LaTeX math. mpmath numbers are rounded from all their digits."""
    if not _is_float(x):
        return _number_decimal(_decimal(x), decimals)
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


def _number_decimal(x: Decimal, decimals: int) -> str:
    if x.is_nan():
        return r"\text{undefined}"
    if x.is_infinite():
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    if abs(x) >= _BIG or abs(x) < Decimal("0.5").scaleb(-decimals):
        mantissa, exponent = f"{x:.{max(decimals - 1, 0)}e}".split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    text = f"{x:.{decimals}f}"
    if x == round(x, decimals) and "." in text:
        return text.rstrip("0").rstrip(".")
    return text


def plain(x: float, decimals: int) -> str:
    """One number as plain text (tables outside math, answer files)."""
    return number(x, decimals).replace(r" \times 10^{", "e").replace("}", "").replace(r"\infty", "inf").replace(r"\text{undefined", "undefined")


def all_exact(values, decimals: int) -> bool:
    return all(is_exact(v, decimals) for v in np.ravel(values))


def _asarray(values) -> np.ndarray:
    arr = np.asarray(values)
    return arr if arr.dtype == object else arr.astype(np.float64)


def array(values, decimals: int, *, scalar_if_single: bool = True) -> str:
    """A vector as a column, a matrix as rows, in a bmatrix; one element as a plain number."""
    arr = _asarray(values)
    if arr.ndim == 0 or (scalar_if_single and arr.size == 1):
        return number(arr.reshape(-1)[0], decimals)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    rows = [" & ".join(number(v, decimals) for v in row) for row in arr]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def row(values, decimals: int) -> str:
    """A vector written as a row (its transpose)."""
    arr = _asarray(values).reshape(1, -1)
    if arr.size == 1:
        return number(arr[0, 0], decimals)
    return array(arr, decimals)
