"""Every number a handout shows is formatted here, and only here.

Rule, for `decimals` = d:
- a value that is exact at d decimals is shown without trailing zeros
  (1.2, not 1.2000; 1, not 1.0000), so given data look as written;
- any other value is shown rounded to d decimals (0.8933);
- a non-zero value that would round to 0 at d decimals, or is 10^6 or more
  in size, is shown in scientific form with d significant digits, so a small
  gradient never prints as 0.0000 or -0.0000;
- a value shown after \\approx (`approx=True`) always has d decimals
  (0.0820, not 0.082): a rounded value never looks shorter than its neighbours;
- a value no larger than `zero` prints as 0, and no value ever prints as -0 (float residues of
  cancelled sums are 0 already: the engine removes them against each sum's own terms,
  tracer.engine.arithmetic.Arithmetic.cancel);
- infinities print as \\infty, NaN as \\text{undefined}.

With `sig_figs` (a `SigFigs(n)` passed where the digits go): a value is shown rounded to n
significant figures, half away from zero (0.0495, 0.732, 1.26), without trailing zeros where it
is exact at n figures (given data as written) and with all n figures after \\approx; values
below 10^-4 or of 10^6 or more in scientific form.

How a printed number binds (`precedence`): 0.5 and a bmatrix are atoms,
1.2 \\times 10^{-5} is a product, -0.5 is a unary minus, which binds like a
sum (sympy's precedence.py gives negative numbers PRECEDENCE["Add"] for the
same reason). Whoever juxtaposes printed numbers parenthesizes by that.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import numpy as np

_BIG = 1e6

# Precedence of printed text, in sympy's order (higher binds tighter).
SUM, PRODUCT, ATOM = 1, 2, 3

def precedence(text: str) -> int:
    """How printed text binds: SUM (a leading minus), PRODUCT (scientific form) or ATOM."""
    if text.startswith(("(", r"\left(", r"\begin")):
        return ATOM
    if text.startswith("-"):
        return SUM
    return PRODUCT if r"\times" in text else ATOM


def wrap(text: str, below: int) -> str:
    """`text` in parentheses if it binds less tightly than `below`."""
    return f"({text})" if precedence(text) < below else text


def _is_float(x) -> bool:
    return isinstance(x, (float, int, np.floating, np.integer))


# Room for every digit of any value at any `decimals` (exact arithmetic carries 50 digits;
# the default 28-digit context raises InvalidOperation rounding 1e23 to 4 places).
_WIDE = Context(prec=400, Emax=10**6, Emin=-10**6)


def _decimal(x) -> Decimal:
    """An mpmath number as a Decimal with all its digits (str() gives its context's precision)."""
    return Decimal(str(x))


@dataclass(frozen=True)
class SigFigs:
    """Round to `n` significant figures; passed wherever a number of decimals would go."""

    n: int


def digits(problem) -> "int | SigFigs":
    """The precision a problem is shown with: its `decimals`, or SigFigs(sig_figs)."""
    return SigFigs(problem.sig_figs) if getattr(problem, "sig_figs", None) else problem.decimals


def _to_decimal(x) -> Decimal:
    return Decimal(repr(float(x))) if _is_float(x) else _decimal(x)


def _round_sig(x: Decimal, n: int) -> Decimal:
    with localcontext(_WIDE):
        rounded = x.quantize(Decimal(1).scaleb(x.adjusted() - n + 1), rounding=ROUND_HALF_UP)
        if rounded and rounded.adjusted() > x.adjusted():  # 0.0099997 -> 0.01000: one digit too many
            rounded = rounded.quantize(Decimal(1).scaleb(rounded.adjusted() - n + 1), rounding=ROUND_HALF_UP)
        return rounded


def _exact_sig(x, n: int) -> bool:
    dec = _to_decimal(x)
    if not dec.is_finite() or dec == 0:
        return True
    rounded = _round_sig(dec, n)
    if _is_float(x):
        return abs(float(x) - float(rounded)) <= 1e-12 * max(1.0, abs(float(x)))
    return dec == rounded


def _number_sig(x, n: int, zero: float, approx: bool) -> str:
    if _is_float(x) and math.isnan(float(x)):
        return r"\text{undefined}"
    if _is_float(x) and math.isinf(float(x)):
        return r"\infty" if x > 0 else r"-\infty"
    dec = _to_decimal(x)
    if dec.is_nan():
        return r"\text{undefined}"
    if dec.is_infinite():
        return r"\infty" if dec > 0 else r"-\infty"
    if dec == 0 or abs(dec) <= Decimal(repr(float(zero))):
        return "0"
    rounded = _round_sig(dec, n)
    if abs(rounded) >= _BIG or abs(rounded) < Decimal("1e-4"):
        with localcontext(_WIDE):
            mantissa, exponent = f"{rounded:.{n - 1}e}".split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    if _exact_sig(x, n) and not approx:
        rounded = rounded.normalize(_WIDE)
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text and _exact_sig(x, n) and not approx else text


def is_exact(x, decimals: int) -> bool:
    """True if `x` shows without loss at `decimals` places."""
    if isinstance(decimals, SigFigs):
        return _exact_sig(x, decimals.n)
    if not _is_float(x):
        exponent = str(x).partition("e")[2]
        if exponent and abs(int(exponent)) > _WIDE.Emax // 2:
            return False  # astronomically large or small: never exact at a few decimals
        dec = _decimal(x)
        with localcontext(_WIDE):
            return not dec.is_finite() or dec == round(dec, decimals)
    if not math.isfinite(x):
        return True
    if abs(x) >= _BIG or 0 < abs(x) < 0.5 * 10.0**-decimals:  # shown in scientific form: its digits
        return float(f"{x:.{max(decimals - 1, 0)}e}") == x
    return abs(x - round(x, decimals)) <= 1e-12 * max(1.0, abs(x))


def number(x, decimals: int, *, zero: float = 0.0, approx: bool = False) -> str:
    """One number as LaTeX math. mpmath numbers are rounded from all their digits.

    `zero`: magnitudes up to it are noise and print as 0. `approx`: the number follows
    \\approx, so it keeps all `decimals` digits even where it is exact at fewer.
    """
    if isinstance(decimals, SigFigs):
        return _number_sig(x, decimals.n, zero, approx)
    if not _is_float(x):
        text = str(x)
        mantissa, _, exponent = text.partition("e")
        if exponent and abs(int(exponent)) > _WIDE.Emax // 2:  # past any Decimal: e.g. exp(-1e25)
            if int(exponent) < 0 and zero > 0:
                return "0"
            with localcontext(_WIDE):
                m = Decimal(mantissa)
            return rf"{m:.{max(decimals - 1, 0)}f} \times 10^{{{int(exponent)}}}"
        with localcontext(_WIDE):
            return _number_decimal(Decimal(text), decimals, Decimal(repr(float(zero))), approx)
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if abs(x) <= zero:
        return "0"
    if abs(x) >= _BIG or abs(x) < 0.5 * 10.0**-decimals:
        return _scientific(x, decimals)
    text = f"{x:.{decimals}f}"
    if text.strip("-0.") == "":  # at the rounding boundary: never -0.0000
        return _scientific(x, decimals)
    if is_exact(x, decimals) and not approx:
        text = f"{round(x, decimals):.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return text


def last_place(decimals) -> float:
    """The place of the last digit a value near 1 shows: 10^-d, or 10^(1-n) with n figures."""
    return 10.0 ** (1 - decimals.n) if isinstance(decimals, SigFigs) else 10.0**-decimals


def scientific(x, decimals) -> str:
    """A value whose relative size is the point (a saturated unit's 1 - h, 2.061 \times 10^{-9}):
    scientific form with `decimals` significant digits (n with sig_figs), whatever its size."""
    n = decimals.n if isinstance(decimals, SigFigs) else max(decimals, 2)
    if _is_float(x) and float(x) == 0:
        return "0"
    if isinstance(decimals, SigFigs) or not _is_float(x):
        with localcontext(_WIDE):
            rounded = _round_sig(_to_decimal(x), n)
            mantissa, exponent = f"{rounded:.{n - 1}e}".split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return _scientific(float(x), n)


def _scientific(x, decimals: int) -> str:
    mantissa, exponent = f"{x:.{max(decimals - 1, 0)}e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _number_decimal(x: Decimal, decimals: int, zero: Decimal, approx: bool) -> str:
    if x.is_nan():
        return r"\text{undefined}"
    if x.is_infinite():
        return r"\infty" if x > 0 else r"-\infty"
    if abs(x) <= zero:
        return "0"
    if abs(x) >= _BIG or abs(x) < Decimal("0.5").scaleb(-decimals):
        return _scientific(x, decimals)
    text = f"{x:.{decimals}f}"
    if text.strip("-0.") == "":
        return _scientific(x, decimals)
    if x == round(x, decimals) and "." in text and not approx:
        return text.rstrip("0").rstrip(".")
    return text


def plain(x: float, decimals: int) -> str:
    """One number as plain text (tables outside math, answer files)."""
    return number(x, decimals).replace(r" \times 10^{", "e").replace("}", "").replace(r"\infty", "inf").replace(r"\text{undefined", "undefined")


def all_exact(values, decimals: int, zero: float = 0.0) -> bool:
    """True if every value shows without loss (noise counts as the 0 it prints as)."""
    return all(abs(v) <= zero or is_exact(v, decimals) for v in np.ravel(values))


def _asarray(values) -> np.ndarray:
    arr = np.asarray(values)
    return arr if arr.dtype == object else arr.astype(np.float64)


# Arrays are formatted in one pass: numpy sorts the elements into number()'s cases (noise,
# scientific, plain f"{x:.{d}f}", exact at d decimals, and the rest: non-finite values and those
# at the rounding boundary), and each case's text is made as number() makes it, so an element's
# text is number()'s by construction (tests/present/test_numfmt_vector.py checks it).
# Up to 8 decimals x * 10^d stays below 2^53 for every non-scientific x, where np.round's
# rounding (multiply, rint, divide) is within a few ulps of round()'s; past that, and with
# significant figures or exact numbers, every element goes through number().
_VECTOR_DECIMALS = 8


def numbers(values, decimals, *, zero: float = 0.0, approx: bool = False) -> list[str]:
    """[number(v, decimals, zero=zero, approx=approx) for v in the values, flattened]."""
    arr = _asarray(values)
    flat = arr.reshape(-1)
    if (arr.dtype != np.float64 or isinstance(decimals, SigFigs) or not 0 <= decimals <= _VECTOR_DECIMALS
            or flat.size < 4):
        return [number(v, decimals, zero=zero, approx=approx) for v in flat]
    size = np.abs(flat)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(flat)
        noise = finite & (size <= zero)
        shown = finite & ~noise
        sci = shown & ((size >= _BIG) | (size < 0.5 * 10.0**-decimals))
        fixed = shown & ~sci
        edge = ~finite | (fixed & (size < 10.0**-decimals))  # may round to 0: number() decides
        fixed &= ~edge
        exact = None
        if not approx:
            # number() asks is_exact (within 1e-12 of d decimals); twice that margin is far wider
            # than np.round's error, so an element left out here is certainly not exact
            exact = fixed & (np.abs(flat - np.round(flat, decimals)) <= 2e-12 * np.maximum(size, 1.0))
    values = flat.tolist()
    texts = list(map(f"{{:.{decimals}f}}".format, values))
    for i in np.flatnonzero(noise).tolist():
        texts[i] = "0"
    for i in np.flatnonzero(sci).tolist():
        texts[i] = _scientific(values[i], decimals)
    for i in np.flatnonzero(edge).tolist():
        texts[i] = number(values[i], decimals, zero=zero, approx=approx)
    if exact is not None:
        for i in np.flatnonzero(exact).tolist():
            texts[i] = _fixed_exact(values[i], decimals)
    return texts


def _fixed_exact(x: float, decimals: int) -> str:
    """number(x, decimals) for a finite x with 10^-d <= |x| < 10^6, not noise, not approx:
    is_exact's test for such an x, then number()'s text for each answer."""
    rounded = round(x, decimals)
    if abs(x - rounded) <= 1e-12 * max(1.0, abs(x)):
        text = f"{rounded:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{x:.{decimals}f}"


# The texts of the arrays formatted in this session (one View), by their bytes: a large
# net's weights are shown in the forward pass, the backward pass, the update and again as the
# next iteration's. Only float arrays: an mpmath number's text depends on the context's digits.
_session: dict | None = None
_MEMO_MIN = 16  # elements: below this, hashing costs about what formatting does


@contextmanager
def session():
    """Remember the text of every float array formatted until the block ends (one View)."""
    global _session
    outer, _session = _session, {}
    try:
        yield
    finally:
        _session = outer


def array(values, decimals: int, *, scalar_if_single: bool = True, zero: float = 0.0, approx: bool = False) -> str:
    """A vector as a column, a matrix as rows, in a bmatrix; one element as a plain number."""
    arr = _asarray(values)
    if arr.ndim == 0 or (scalar_if_single and arr.size == 1):
        return number(arr.reshape(-1)[0], decimals, zero=zero, approx=approx)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] == 0:  # no such values in a handout; as number by number did
        rows = [" & ".join(number(v, decimals, zero=zero, approx=approx) for v in row) for row in arr]
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    key = None
    if _session is not None and arr.dtype == np.float64 and arr.size >= _MEMO_MIN:
        key = (arr.shape, arr.tobytes(), decimals, zero, approx)
        text = _session.get(key)
        if text is not None:
            return text
    texts, n = numbers(arr, decimals, zero=zero, approx=approx), arr.shape[1]
    rows = texts if n == 1 else [" & ".join(texts[i:i + n]) for i in range(0, len(texts), n)]
    text = r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    if key is not None:
        _session[key] = text
    return text


def row(values, decimals: int, *, zero: float = 0.0, approx: bool = False) -> str:
    """A vector written as a row (its transpose)."""
    arr = _asarray(values).reshape(1, -1)
    if arr.size == 1:
        return number(arr[0, 0], decimals, zero=zero, approx=approx)
    return array(arr, decimals, zero=zero, approx=approx)


# -- plots (tracer.present.figure_curve) ---------------------------------------------------
COORDINATE_DIGITS = 6  # significant digits of a plotted point: finer than any drawing shows


def coordinate(x: float) -> str:
    """A plotted point's coordinate as both plot emitters write it (pgfplots and SVG read
    the same text, so the two pictures hold the same points): 6 significant digits."""
    text = f"{float(x):.{COORDINATE_DIGITS}g}"
    return "0" if text == "-0" else text


def tick(x: float, step: float) -> str:
    """An axis tick's label as LaTeX math: a multiple of `step` (1, 2 or 5 times a power of
    ten) with the decimals that step needs, every tick alike (0.10 beside 0.15); past 10^6 in
    scientific form, as elsewhere."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return number(round(x, decimals), decimals, approx=True)
