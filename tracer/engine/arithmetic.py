"""Kinds of arithmetic the engine can run in (`arithmetic:` in a spec, `--arithmetic`).

- float: float64, displayed rounded. The default.
- exact: every value carried with 50 significant digits (mpmath, in a private
  context: no global precision is changed), spec numbers read as the decimals
  they are written as (0.1 is 1/10, not the nearest double; a number written as
  an expression, "1/3" or "1 + sin(pi/4)", evaluated again from its tree), so
  every digit a handout shows is certified.
- by-hand: float64, but every recorded intermediate is rounded to `decimals`
  places (half away from zero, on its decimal digits) before it is used further,
  as a student with a calculator does. Outputs, losses and derivatives are then
  computed from the rounded values by the formulas the handout prints
  (g'(a) = h(1 - h) from the rounded h, log of the rounded yhat, ...). With `sig_figs`,
  every intermediate is rounded to that many significant figures instead (Hagan's
  tables: -0.0495, 0.0997, 1.261 at 3 and 4).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np

from ..problem import expr as E
from .functions import FLOAT, Ops

MODES = ("float", "exact", "by-hand")
EXACT_DIGITS = 50


class Arithmetic:
    """float64, no rounding."""

    name = "float"
    ops: Ops = FLOAT
    by_hand = False

    def array(self, values, written=None) -> np.ndarray:
        """`values` in this arithmetic; `written` ({index: expr.Written}, Problem.written) is for
        exact arithmetic, which reads those entries again from their text ("1/3")."""
        return np.array(values, dtype=np.float64)

    def scalar(self, x):
        return np.float64(x)

    def finite(self, x) -> bool:
        """True if every number of `x` is finite (no overflow to inf, no nan)."""
        return bool(np.all(np.isfinite(np.asarray(x, dtype=np.float64))))

    def first_nonfinite(self, items) -> str | None:
        """The first path of `items` ((path, value), in order) whose value is not finite, or None.
        One isfinite over every value at once (an iteration records dozens of small arrays); the
        values one by one only when some number is not finite, to say which path it is."""
        if not items:
            return None
        if np.isfinite(np.concatenate([v.ravel() if hasattr(v, "ravel") else np.ravel(v) for _, v in items])).all():
            return None
        return next((path for path, v in items if not self.finite(v)), None)

    def round(self, x):
        return x

    # Relative size below which a sum's result is rounding error of its terms: float64 leaves
    # ~100 eps |terms| after a few dozen operations (~2e-14); 50 times that cannot be told from
    # it without error bounds. Exact arithmetic's binary mpf numbers leave ~1e-51 |terms|.
    cancellation = 1e-12

    def cancel(self, value, terms):
        """`value`, a sum, with 0 wherever it cancelled to within rounding error of its `terms`
        (the sum of their magnitudes, elementwise): 1.6 - 1.6 evaluates to 5.551e-17 in float64,
        where exact arithmetic gives 0; so the relu at a cancelled a(l) takes its value at 0, and
        a handout never prints the residue. Judged against the computation's own operands, so a
        genuinely tiny value (a saturated unit's 1 - h) is kept whatever else the trace holds."""
        value = np.asarray(value)
        # elementwise, as a loop over the numbers would compare them: |v| <= c * t, false for nan
        # (terms has value's shape, or is a number)
        noise = np.abs(value) <= self.cancellation * terms
        if not noise.any():
            return value
        return np.where(noise, value * 0, value)

    def to_float(self, x):
        return np.asarray(x, dtype=np.float64)


_WIDE = Context(prec=340, Emax=400, Emin=-400)


class ByHand(Arithmetic):
    name = "by-hand"
    by_hand = True

    def __init__(self, decimals: int, sig_figs: int | None = None):
        self.decimals = decimals
        self.sig_figs = sig_figs
        self._quantum = Decimal(1).scaleb(-decimals)

    def _round_one(self, x: float) -> float:
        if not np.isfinite(x):
            return float(x)
        # A context wide enough for any double at any `decimals` (the default 28 digits would
        # raise InvalidOperation from about 1e23 on at 4 decimals).
        dec = Decimal(repr(float(x)))
        if self.sig_figs is not None:
            return float(round_sig(dec, self.sig_figs))
        return float(dec.quantize(self._quantum, rounding=ROUND_HALF_UP, context=_WIDE))

    def cancel(self, value, terms):
        return value  # every value is rounded to the digits shown: there is no residue to remove

    def round(self, x):
        if np.ndim(x) == 0:
            return np.float64(self._round_one(x))
        return np.array([self._round_one(v) for v in np.ravel(x)], dtype=np.float64).reshape(np.shape(x))


class Exact(Arithmetic):
    name = "exact"

    def __init__(self, digits: int = EXACT_DIGITS):
        import mpmath

        self.ctx = mpmath.MPContext()
        self.ctx.dps = digits
        self._numbers = None
        ctx = self.ctx

        def softplus(z):  # log(1 + e^z) without overflow for large z
            return z + ctx.log1p(ctx.exp(-z)) if z > 0 else ctx.log1p(ctx.exp(z))

        vec = lambda f: np.frompyfunc(f, 1, 1)  # noqa: E731
        self.ops = Ops(vec(ctx.exp), vec(ctx.log), vec(ctx.tanh), vec(softplus))

    @property
    def numbers(self) -> E.Numbers:
        """The expression grammar in this context: literals read as the decimals written, functions exact."""
        if self._numbers is None:
            ctx = self.ctx

            def sigmoid(x):
                return 1 / (1 + ctx.exp(-x))

            self._numbers = E.Numbers(
                literal=ctx.mpf,
                constant=lambda name: {"pi": ctx.pi, "e": ctx.e}[name],
                functions={"exp": ctx.exp, "log": ctx.log, "sqrt": ctx.sqrt, "sin": ctx.sin, "cos": ctx.cos,
                           "tanh": ctx.tanh, "sigmoid": sigmoid, "relu": lambda x: x if x > 0 else ctx.mpf(0),
                           "max": lambda a, b: a if a >= b else b, "min": lambda a, b: a if a <= b else b,
                           "abs": abs},
                isfinite=ctx.isfinite,
                is_integer=lambda x: ctx.isint(x),
            )
        return self._numbers

    def _mpf(self, v):
        if isinstance(v, self.ctx.mpf):
            return v
        if isinstance(v, E.Written):  # "1/3", "1 + sin(pi/4)": evaluated again with every digit
            return E.evaluate(v.tree, {}, self.numbers)
        return self.ctx.mpf(repr(float(v)))  # the decimal as written, not the binary double

    def array(self, values, written=None) -> np.ndarray:
        arr = np.asarray(values, dtype=object)
        out = np.empty(arr.shape, dtype=object)
        for idx, v in np.ndenumerate(arr):
            out[idx] = self._mpf(v)
        for idx, v in (written or {}).items():
            out[idx] = self._mpf(v)
        return out

    def scalar(self, x):
        return self._mpf(x) if not isinstance(x, np.ndarray) else x.item()

    def finite(self, x) -> bool:
        return all(self.ctx.isfinite(v) for v in np.ravel(np.asarray(x, dtype=object)))

    def first_nonfinite(self, items) -> str | None:
        return next((path for path, v in items if not self.finite(v)), None)

    def cancel(self, value, terms):
        """Arithmetic.cancel, one mpf comparison at a time."""
        value = np.asarray(value)
        noise = np.asarray([abs(v) <= self.cancellation * t for v, t in
                            zip(np.ravel(value), np.ravel(np.broadcast_to(terms, value.shape)))]).reshape(value.shape)
        if not noise.any():
            return value
        return np.where(noise, value * 0, value)

    cancellation = 1e-40

    def to_float(self, x):
        return np.asarray(x, dtype=np.float64)


def round_sig(x: Decimal, figures: int) -> Decimal:
    """`x` rounded half away from zero to `figures` significant figures (0 stays 0)."""
    if not x.is_finite() or x == 0:
        return x
    quantum = Decimal(1).scaleb(x.adjusted() - figures + 1)
    return x.quantize(quantum, rounding=ROUND_HALF_UP, context=_WIDE)


def make(name: str, decimals: int, sig_figs: int | None = None) -> Arithmetic:
    if name == "float":
        return Arithmetic()
    if name == "by-hand":
        return ByHand(decimals, sig_figs)
    if name == "exact":
        return Exact()
    raise ValueError(name)
