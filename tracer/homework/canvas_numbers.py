"""A numerical answer as Canvas grades it: the value, a margin and a scale that keep the checker's verdict.

Canvas classic quizzes round a student's numerical answer to 4 decimal places as it is typed
(quiz taking: `val.toFixed(4)`), then accept it when |answer - exact| <= margin, in BigDecimal
(Quizzes::QuizQuestion::NumericalQuestion). So an answer asked to 6 decimals, or a value below
1e-4 (text2qti #51), cannot be typed as the checker reads it. Each item is therefore asked
*scaled*: the value times 10^k, with k the least that puts the place an answer is asked to (the
checker's `place_asked`: 10^-decimals, or the place of the last significant figure) at 1e-4 or
coarser, so a typed answer keeps every digit asked.

The margin is then chosen on that grid of answers. The checker accepts the grid points within its
tolerance t of the value; the margin is a short decimal strictly between the farthest accepted
point's distance from the exact value written and the nearest rejected point's, so Canvas accepts
exactly the answers on the grid `bptrace check` accepts, whatever float noise either side adds.
(A value that is, to its 15 digits written, a midpoint of the grid has two neighbours at one
distance; the checker's verdict between them is float noise, and both are accepted.) The margin
is never 5 * 10^j: the importer reads a symmetric range of power-of-ten width whose bounds end in 5
as a "precision answer" (canvas-lms qti numeric_interaction.rb; it tests that shape under `vargt`,
Canvas's own export, and ours writes `vargte`, but the margin avoids the shape anyway). With an
explicit abs_tol/rel_tol the answers have no grid: the margin is the tolerance, and the scale puts
it at 1e-3 or more, so Canvas's rounding moves an answer by at most 5% of it.

Every number is an exact decimal string (Decimal, fixed point, no exponent): the importer parses
the bounds with BigDecimal and takes margin = upper - exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

_CONTEXT = Context(prec=60)
TYPED = -4  # Canvas keeps 10^-4 of a typed answer
EXPLICIT_FLOOR = -3  # an explicit tolerance, scaled, is at least 10^-3


@dataclass(frozen=True)
class Answer:
    scale: int  # the student enters value * 10^scale
    exact: str  # the value (15 significant digits), scaled
    margin: str  # scaled
    lower: str  # exact - margin
    upper: str  # exact + margin
    place: int | None  # the asked place of the scaled answer, as a power of ten (None: explicit tolerance)


def plain(x: Decimal) -> str:
    """Fixed-point text of an exact decimal: no exponent, no trailing zeros past the point."""
    text = format(x, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _exponent(place: float) -> int:
    """The power of ten `place` is (10^-4 -> -4)."""
    return round(math.log10(place))


def _half_power(m: Decimal) -> bool:
    """m = 5 * 10^j: a symmetric range of width 10^(j+1), which the importer takes for a precision answer."""
    digits = m.normalize().as_tuple().digits
    return digits == (5,)


def _shortest_between(low: Decimal, high: Decimal) -> Decimal:
    """The decimal with fewest significant digits strictly inside (low, high), not 5 * 10^j (0 < low < high)."""
    mid = (low + high) / 2
    for digits in range(1, 40):
        ctx = Context(prec=digits, rounding=ROUND_HALF_EVEN)
        base = ctx.plus(mid)
        step = Decimal(1).scaleb(base.adjusted() - digits + 1)
        for candidate in (base, base + step, base - step):
            if low < candidate < high and not _half_power(candidate):
                return candidate
    return mid  # not reached for low < high: 40 digits always fit


def canvas_answer(value: float, tolerance: float, place: float | None) -> Answer:
    """The scaled exact value, margin and bounds for `value` accepted within `tolerance`;
    `place`: the place answers are asked to (None for an explicit abs_tol/rel_tol)."""
    exact = Decimal(f"{value:.15g}") + 0  # what is written (and read back exactly as a double)
    v, t = Decimal(value), Decimal(tolerance)
    if place is None:
        scale = max(0, EXPLICIT_FLOOR - math.floor(math.log10(tolerance))) if tolerance > 0 else 0
        # the checker's tolerance to 7 digits: it carries a 1e-9 slack that a margin need not spell out
        margin = _shortest_between(t * Decimal("0.9999999"), t * Decimal("1.0000001")) if tolerance > 0 else Decimal(0)
        asked = None
    else:
        p = _exponent(place)
        scale = max(0, TYPED - p)
        g = Decimal(1).scaleb(p)
        lo = _CONTEXT.divide(v - t, g).to_integral_value(rounding="ROUND_CEILING")
        hi = _CONTEXT.divide(v + t, g).to_integral_value(rounding="ROUND_FLOOR")
        if lo > hi:  # no grid point within t (an explicit tolerance narrower than the place): the nearest
            lo = hi = _CONTEXT.divide(v, g).to_integral_value(rounding="ROUND_HALF_EVEN")
        while True:  # a point as far from the written value as an accepted one is accepted too (a tie)
            farthest = max(exact - lo * g, hi * g - exact)
            if exact - (lo - 1) * g <= farthest:
                lo -= 1
            elif (hi + 1) * g - exact <= farthest:
                hi += 1
            else:
                break
        nearest_out = min(exact - (lo - 1) * g, (hi + 1) * g - exact)
        margin = _shortest_between(farthest, nearest_out)
        asked = p + scale
    exact, margin = exact.scaleb(scale), margin.scaleb(scale)
    return Answer(scale, plain(exact), plain(margin), plain(exact - margin), plain(exact + margin), asked)


def accepts(answer: Answer, typed: str) -> bool:
    """Canvas's verdict on a typed answer: rounded to 4 decimals, then within exact +- margin."""
    x = Decimal(typed).quantize(Decimal(1).scaleb(TYPED), rounding="ROUND_HALF_UP")
    e, m = Decimal(answer.exact), Decimal(answer.upper) - Decimal(answer.exact)
    return e - m <= x <= e + m
