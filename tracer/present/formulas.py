"""The network handout's formulas as handles: sympy derives and prints each once, not once per handout.

The views ask for a formula by what it depends on (`output_delta("bce", "sigmoid", n, scale)`)
and get a `Formula`: its LaTeX with the notation's names (`latex(names)`), with each unit's
numbers substituted (`latex(names, values)`), whether it is a sum or a number, its saturated
form, the terms defined at a by-hand example's values. sympy (tracer.present.symbolic) stays
the source of every formula and of every printed string; this module only remembers its answers
(tracer.present.formula_store), so a handout whose formulas are all remembered never imports
sympy or mpmath.

Printed formulas are remembered as templates. The formula is printed once with a placeholder
for each name and value, and each handout fills in its own strings. That is exact because
HandoutPrinter (and sympy's LatexPrinter under it) decides on parentheses, \\cdot and
signs from a few properties of a substituted string, never from the rest of it: its
numfmt.precedence, whether it starts with \\left(, a digit, a minus and a digit, or \\frac{ and a
digit (`_print_Mul`'s checks, sympy's between-two-numbers rule), whether it ends in a digit and
whether it has a ^ (parenthesize_super). `shape` is that list of properties; a template is keyed by
the shape of every string put in, and its placeholders are built with the same shape
(`placeholder` checks it; a string whose shape no placeholder can take is printed directly).
tests/present/test_formula_cache.py checks fill == direct print for random names and numbers.

Symbols are named by strings here (`y`, `yh`, `h`, `a`, `err`, `comp`: symbolic's `y`, `yh`,
`h`, `a`, `err`, `comp`), so the views hold no sympy objects.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache

from . import formula_store as store
from . import numfmt

y, yh, h, a, err, comp = "y", "yh", "h", "a", "err", "comp"
_SYMBOLS = (y, yh, h, a, err, comp)


def _symbol(name: str):
    from . import symbolic as S

    return {y: S.y, yh: S.yh, h: S.h, a: S.a, err: S.err, comp: S.comp}[name]


# -- shapes: every property of a substituted string the printers look at ---------------------

_BETWEEN_END = re.compile(r"[0-9][} ]*$")  # sympy latex.py _between_two_numbers_p[0] (search)
_BETWEEN_START = re.compile(r"(\d|\\frac{\d+}{\d+})")  # _between_two_numbers_p[1] (match)
_FRAC_DIGIT = re.compile(r"\\frac\{-?[0-9]")  # HandoutPrinter._print_Mul, after a \frac{
_shapes: dict[str, str] = {}


def shape(s: str) -> str:
    """A short code for the properties of `s` that printing depends on (see the module's docstring)."""
    code = _shapes.get(s)
    if code is None:
        if s.startswith(r"\left("):
            start = "p"
        elif s.startswith(("(", r"\begin")):
            start = "b"
        elif _FRAC_DIGIT.match(s):
            start = "F" if _BETWEEN_START.match(s) else "f"
        elif s[:1].isdigit():
            start = "d"
        elif s.startswith("-"):
            start = "M" if s[1:2].isdigit() else "m"
        else:
            start = "o"
        end = "e" if _BETWEEN_END.search(s) else "n"
        code = f"{numfmt.precedence(s)}{start}{end}{'^' if '^' in s else '_'}"
        if len(_shapes) < 100_000:
            _shapes[s] = code
    return code


_PREFIX = {"p": r"\left(", "b": "(", "F": r"\frac{0}{0}", "f": r"\frac{0", "d": "0", "M": "-0", "m": "-x", "o": "x"}


def placeholder(code: str, slot: int) -> str | None:
    """A string of shape `code`, unique by `slot` (it never occurs in printed LaTeX), or None."""
    level, start, end, caret = int(code[0]), code[1], code[2], code[3]
    times = r"\times " if level == numfmt.PRODUCT and start not in "pbMm" else ""
    text = f"{_PREFIX[start]}{times}\u27e6{slot}\u27e7{'^' if caret == '^' else ''}{'0' if end == 'e' else 'x'}"
    return text if shape(text) == code else None


# -- handles ----------------------------------------------------------------------------------


class Formula:
    """One formula, by the recipe that derives it; its sympy expression only on a miss."""

    __slots__ = ("recipe", "key", "_expr")

    def __init__(self, recipe: tuple):
        self.recipe = recipe
        self.key = json.dumps(_plain(recipe), separators=(",", ":"))  # parsed back by `from_key`
        self._expr = None

    def __repr__(self) -> str:
        return f"Formula({self.key})"

    @property
    def expr(self):
        """The sympy expression (imports sympy)."""
        if self._expr is None:
            self._expr = _derive(self.recipe)
        return self._expr

    # -- printing -------------------------------------------------------------------------
    def latex(self, names: dict | None = None, values: dict | None = None) -> str:
        """HandoutPrinter's output for names (symbol -> LaTeX) and values (symbol -> formatted number)."""
        return self._print("plain", names or {}, values or {})

    def latex_elementwise(self, names: dict | None = None) -> str:
        """ElementwisePrinter's output: the factors of a product joined by \\odot."""
        return self._print("odot", names or {}, {})

    def _print(self, printer: str, names: dict, values: dict) -> str:
        if store.disabled():
            return _direct(self.expr, printer, names, values)
        fill = {f"n{k}": v for k, v in names.items()}
        fill.update((f"v{k}", v) for k, v in values.items())
        slots = sorted((slot, shape(text)) for slot, text in fill.items())
        key = f"t|{self.key}|{printer}|" + ",".join(f"{slot}:{code}" for slot, code in slots)
        parts = store.get(key)
        if parts is None:
            parts = self.template(printer, slots)
            if parts is None:  # a shape no placeholder takes: print this one directly
                return _direct(self.expr, printer, names, values)
            store.put(key, parts)
        return "".join(p if i % 2 == 0 else fill[p] for i, p in enumerate(parts))

    def template(self, printer: str, slots: list[tuple[str, str]]) -> list[str] | None:
        """The formula printed with a placeholder per slot (("n" or "v") + symbol, and its string's
        shape), split as [text, slot, text, slot, ..., text]; None if a shape has no placeholder."""
        ph = {}
        for i, (slot, code) in enumerate(slots):
            text = placeholder(code, i)
            if text is None:
                return None
            ph[text] = slot
        pnames = {slot[1:]: t for t, slot in ph.items() if slot[0] == "n"}
        pvalues = {slot[1:]: t for t, slot in ph.items() if slot[0] == "v"}
        printed = _direct(self.expr, printer, pnames, pvalues)
        pieces = re.split("(" + "|".join(map(re.escape, ph)) + ")", printed) if ph else [printed]
        return [p if i % 2 == 0 else ph[p] for i, p in enumerate(pieces)]

    # -- properties ----------------------------------------------------------------------
    def _props(self) -> dict:
        key = f"p|{self.key}"
        props = store.get(key)
        if props is None:
            props = self.properties()
            store.put(key, props)
        return props

    def properties(self) -> dict:
        from . import symbolic as S

        e = self.expr
        return {"sum": isinstance(e, S.sp.Add), "number": isinstance(e, S.sp.Number)}

    @property
    def is_sum(self) -> bool:
        return self._props()["sum"]

    @property
    def is_number(self) -> bool:
        return self._props()["number"]

    # -- derived formulas ----------------------------------------------------------------
    def saturated(self, act: str, high: bool = True, label_one: bool = False) -> "Formula":
        """symbolic.saturated_form: the unit's complement as the symbol `comp`."""
        return _formula(("sat", self, act, bool(high), bool(label_one)))

    def with_error(self) -> "Formula":
        """The formula in the error e = y - yh (y replaced by yh + e)."""
        return _formula(("err", self))

    def defined_at(self, values: dict) -> "Formula":
        """The formula without the terms that have no value at `values` (symbol -> float): by hand,
        a term whose coefficient is exactly 0 and whose other factor has no value (0 log 0, 0/0) is
        absent (view_context.unit_latex). One term without a value makes the formula 0.

        Remembered by the values' pattern: each value's being 0, 1, -1 or anything else, and which
        values are equal. Every formula here is a rational function of y, yh, h (with log, Abs,
        sign, Heaviside) singular only where yh or h is 0, 1 or -1, so whether a term has a value
        depends on nothing else (the cache test checks it against sympy on a grid of values)."""
        items = sorted(values.items())
        sig = ",".join(f"{k}:{_value_class(v)}" for k, v in items)
        eq = "".join(str(int(items[i][1] == items[j][1])) for i in range(len(items)) for j in range(i + 1, len(items)))
        key = f"d|{self.key}|{sig}|{eq}"
        kept = store.get(key)
        if kept is None:
            kept = self.defined_terms(values)
            store.put(key, kept)
        if kept == "all":
            return self
        return _formula(("kept", self, tuple(kept)))

    def defined_terms(self, values: dict):
        """The indices of the terms (of the sum) that have a value at `values`, or "all"."""
        from . import symbolic as S

        e = self.expr
        at = {_symbol(k): S.sp.Float(float(v)) for k, v in values.items()}
        if not isinstance(e, S.sp.Add):
            return [] if e.xreplace(at) is S.sp.nan else "all"
        kept = [i for i, term in enumerate(e.args) if term.xreplace(at) is not S.sp.nan]
        return "all" if len(kept) == len(e.args) else kept


def fresh(key: str):
    """A stored entry's value derived afresh by sympy from its key alone (the cache's drift test)."""
    kind, fkey, *rest = key.split("|")
    formula = from_key(fkey)
    if kind == "t":
        printer, sig = rest
        return formula.template(printer, [tuple(item.split(":")) for item in sig.split(",")] if sig else [])
    if kind == "p":
        return formula.properties()
    if kind == "d":  # a value of each class: equal values where the key says so, else distinct ones
        sig, eq = rest
        items = [item.split(":") for item in sig.split(",")]
        values, pairs = {}, iter(eq)
        equal = {(i, j): next(pairs) == "1" for i in range(len(items)) for j in range(i + 1, len(items))}
        for j, (name, cls) in enumerate(items):
            same = next((i for i in range(j) if equal[(i, j)]), None)
            values[name] = float(cls) if cls != "x" else values[items[same][0]] if same is not None else 0.3 + 0.17 * j
        return formula.defined_terms(values)
    raise ValueError(key)


def _value_class(v: float) -> str:
    v = float(v)
    if v in (0.0, 1.0, -1.0) or not math.isfinite(v):
        return repr(v)
    return "x"


def _direct(expr, printer: str, names: dict, values: dict) -> str:
    from . import symbolic as S

    names = {_symbol(k): v for k, v in names.items()}
    if printer == "odot":
        return S.to_latex_elementwise(expr, names)
    return S.to_latex(expr, names, {_symbol(k): v for k, v in values.items()} or None)


@lru_cache(maxsize=None)
def _formula(recipe: tuple) -> Formula:
    return Formula(recipe)


def _plain(recipe: tuple) -> list:
    return [_plain(x.recipe) if isinstance(x, Formula) else list(x) if isinstance(x, tuple) else x for x in recipe]


def from_key(key: str) -> Formula:
    """The Formula whose `key` this is (for checking stored entries against a fresh derivation)."""

    def build(item: list) -> Formula:
        kind, *args = item
        if kind in ("sat", "err", "kept"):
            args[0] = build(args[0])
        if kind == "kept":
            args[1] = tuple(args[1])
        return _formula((kind, *args))

    return build(json.loads(key))


def _derive(recipe: tuple):
    from . import symbolic as S

    kind, *args = recipe
    if kind == "loss":
        return S.loss_expr(*args)
    if kind == "dloss":
        return S.loss_derivative(*args)
    if kind == "delta":
        return S.output_delta(*args)
    if kind == "gprime":
        return S.activation_derivative(*args).expr
    base = args[0].expr
    if kind == "sat":
        return S.saturated_form(base, *args[1:])
    if kind == "err":
        return base.xreplace({S.y: S.yh + S.err})
    if kind == "kept":
        kept = args[1]
        return S.sp.Add(*[base.args[i] for i in kept]) if isinstance(base, S.sp.Add) else S.sp.Integer(0)
    raise ValueError(recipe)


# -- the formulas the views use (symbolic's functions, by name) ----------------------------------


def _scale(scale) -> float:
    return float(scale)


def loss_expr(loss: str, n: int, scale=1) -> Formula:
    """The loss's term for one output unit (symbolic.loss_expr)."""
    return _formula(("loss", loss, int(n), _scale(scale)))


def loss_derivative(loss: str, n: int, scale=1) -> Formula:
    """d loss / d yhat for one unit (symbolic.loss_derivative)."""
    return _formula(("dloss", loss, int(n), _scale(scale)))


def output_delta(loss: str, act: str, n: int, scale=1) -> Formula:
    """delta(L) in terms of yh and y (symbolic.output_delta)."""
    return _formula(("delta", loss, act, int(n), _scale(scale)))


def activation_derivative(act: str) -> Formula:
    """g'(a), in terms of h where that exists (symbolic.activation_derivative)."""
    return _formula(("gprime", act))


def flush() -> None:
    """Keep what this process derived (formula_store.flush); called once per View."""
    store.flush()
