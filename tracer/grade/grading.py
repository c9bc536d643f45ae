"""How answers are judged: the tolerance rule, the spec's `ask:` and `grading:` sections,
and how an answer key names a quantity.

Tolerance (docs/answers.md has the worked rule). An answer passes against a
reference value r (the true value; for follow-through, the recomputed one) if
|answer - r| <= allowed, where

    explicit   (--abs-tol A and/or --rel-tol R):  allowed = max(A, R * |r|)
    --sig-figs N:   allowed = u * max(1/2, B),  u = the place of r's N-th significant digit
    default:        allowed = u * max(1/2, B),  u = the place of the answer's last written digit,
                    never coarser than the spec's `decimals` (a fraction like 3/7 is judged there)

B is the quantity's carried-rounding bound (recompute.rounding_bounds): how far, in units
of u, a hand computation that rounds every quantity to u can drift from the true value.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import SpecError
from ..problem.fields import (
    DEFAULT_FOLLOW_THROUGH,
    DEFAULT_IMPRECISE,
    DEFAULT_POINTS,
    GRADING_KEYS,
    MAX_SIG_FIGS,
)
from ..problem.paths import split_element

_SLACK = 1e-12  # float noise: 0.8934 - 0.89335 is not exactly 0.00005


class KeyMap(dict):
    """alias path -> canonical path, plus `remap(key)` for what a mapping cannot say:
    element indices read in the profile's weight layout (see notation.canonical_key),
    and `printed(key)`: a whole weight matrix in the layout the handout prints
    (notation.printed_matrix), or None."""

    def __init__(self, pairs=(), remap=None, printed=None):
        super().__init__(pairs)
        self.remap = remap or (lambda key: key)
        self.printed = printed or (lambda key: None)


def notation_aliases(problem, values: Mapping[str, np.ndarray] | None = None) -> KeyMap:
    """The answer keys the spec's notation profile accepts besides the canonical paths.

    Every answer key and `ask:` entry is resolved through this: the mapping lists
    alias paths (`iter1.u` -> `iter1.h1` in `lecture`; listed for the paths of
    `values` when given, else for the iterations of the problem), and `remap`
    turns a key written in the profile's layout (`node`: `iter1.W1[0,2]`, the
    bias node) into the canonical one.
    """
    from ..problem.notation import canonical_key, printed_matrix

    profile = problem.notation
    if profile is None:  # a kind without a notation profile (a graph) names its values one way only
        return KeyMap()
    depth = len(problem.layers) - 1
    names = profile.bind(depth).aliases()  # alias name -> canonical name
    if values is None:
        heads = [f"iter{t}." for t in range(1, problem.iterations + 1)] + ["final."]
        paths = [h + n for h in heads for n in names.values()]
    else:
        paths = list(values)
    pairs = {}
    for path in paths:
        head, _, name = path.rpartition(".")
        for alias, canonical in names.items():
            if canonical == name:
                pairs[f"{head}.{alias}"] = path
    transposing = profile.layout == "in-out" or profile.bias_mode != "separate"
    remap = (lambda key: canonical_key(key, problem.layers, profile)) if (names or transposing) else None
    printed = (lambda key: printed_matrix(key, problem.layers, profile)) if transposing else None
    return KeyMap(pairs, remap, printed)


@dataclass(frozen=True)
class Tolerance:
    """How close an answer must be: absolute, relative, significant figures, or by default its written precision."""

    abs_tol: float | None = None
    rel_tol: float | None = None
    sig_figs: int | None = None

    @property
    def explicit(self) -> bool:
        return self.abs_tol is not None or self.rel_tol is not None

    def allowed(self, place: float | None, reference: float, bound: float, floor: float) -> float:
        """The largest |answer - reference| that passes."""
        if self.explicit:
            return max(self.abs_tol or 0.0, (self.rel_tol or 0.0) * abs(reference)) + _SLACK
        if self.sig_figs is not None:
            u = 10.0 ** (math.floor(math.log10(abs(reference))) - self.sig_figs + 1) if reference else floor
        else:
            u = floor if place is None else min(place, floor)
        return u * max(0.5, bound) + _SLACK * max(1.0, abs(reference))

    def place_asked(self, reference: float, floor: float) -> float | None:
        """The place an answer must be written to (None: the tolerance is not about digits)."""
        if self.explicit:
            return None
        if self.sig_figs is not None:
            return 10.0 ** (math.floor(math.log10(abs(reference))) - self.sig_figs + 1) if reference else floor
        return floor

    def coarser(self, place: float | None, reference: float, floor: float) -> float | None:
        """`place` if an answer written to it has fewer digits than asked, else None."""
        asked = self.place_asked(reference, floor)
        if asked is None or place is None or not math.isfinite(reference) or place <= asked * (1 + 1e-9):
            return None
        return place

    def describe(self, decimals: int) -> str:
        if self.explicit:
            parts = [f"abs {self.abs_tol:g}" if self.abs_tol is not None else "", f"rel {self.rel_tol:g}" if self.rel_tol is not None else ""]
            return "within " + " or ".join(p for p in parts if p)
        if self.sig_figs is not None:
            return f"to {self.sig_figs} significant figures, plus carried rounding"
        return f"to the precision written (at least {decimals} decimals), plus carried rounding"


@dataclass(frozen=True)
class Policy:
    """A spec's grading: tolerance, shares for follow-through and imprecise answers, points, what is asked."""

    tolerance: Tolerance
    follow_through: float  # share of a quantity's points for a follow-through answer
    imprecise: float  # share for an answer right to fewer digits than asked
    default_points: float
    points: tuple[tuple[str, float], ...]  # (path or glob pattern, points), spec order; exact paths win
    asked: Mapping[str, frozenset | None]  # path -> asked element indices, None = all; computation order
    floor: float  # 10 ** -decimals: the coarsest place an answer is judged at

    def points_for(self, path: str) -> float:
        for pattern, value in self.points:
            if pattern == path:
                return value
        for pattern, value in self.points:
            if fnmatch.fnmatchcase(path, pattern):
                return value
        return self.default_points


# -- answer keys ---------------------------------------------------------------------


def resolve_key(key: str, values: Mapping[str, np.ndarray], aliases: Mapping[str, str], suggest: bool = True):
    """`key` -> (canonical path, element index or None), or a str saying why it names nothing
    (with a did-you-mean unless `suggest` is false).

    Indices are 1-based in the key, 0-based in the result. A one-element quantity
    takes [1]; a one-row or one-column matrix also takes a single index.
    """
    key = getattr(aliases, "remap", lambda k: k)(key)
    if not suggest:
        values_for_suggest: Mapping = {}
        aliases_for_suggest: Mapping = {}
    else:
        values_for_suggest, aliases_for_suggest = values, aliases
    try:
        base, idx = split_element(key.replace(" ", ""))
    except KeyError:
        return "not a quantity path" + _suggest(key.split("[")[0], values_for_suggest, aliases_for_suggest)
    path = aliases.get(base, base)
    if path not in values:
        return "no such quantity" + _suggest(base, values_for_suggest, aliases_for_suggest,
                                             key[len(base):] if key.startswith(base) else "")
    if idx is None:
        return path, None
    shape = np.shape(values[path])
    index = _element(idx, shape)
    if index is None:
        return f"{path} has shape {shape_text(shape)}; no element {list(i + 1 for i in idx)}"
    return path, index


def _element(idx: tuple[int, ...], shape: tuple[int, ...]):
    if len(idx) == len(shape) and all(i < n for i, n in zip(idx, shape)):
        return idx
    size = int(np.prod(shape)) if shape else 1
    if len(idx) == 1 and idx[0] < size and (size == 1 or (len(shape) == 2 and 1 in shape)):
        return tuple(np.unravel_index(idx[0], shape)) if shape else ()
    return None


def _suggest(base: str, values, aliases, suffix: str = "") -> str:
    import difflib  # here: only a mistyped name pays for it

    names = [*values, *aliases]
    same_letters = [n for n in names if n.lower() == base.lower()]
    close = same_letters or difflib.get_close_matches(base, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}{suffix}?" if close else ""


def shape_text(shape: tuple[int, ...]) -> str:
    if not shape:
        return "scalar"
    return "x".join(str(n) for n in shape) if len(shape) == 2 else f"vector of {shape[0]}"


# -- the spec's ask: and grading: ---------------------------------------------------------


def policy_for(problem, values: Mapping[str, np.ndarray], tolerance: Tolerance | None = None,
               aliases: Mapping[str, str] | None = None) -> Policy:
    """Validate `problem.ask` and `problem.grading` against the traced paths; SpecError names the place."""
    aliases = aliases or {}
    grading = problem.grading
    for key in grading:
        if key not in GRADING_KEYS:
            raise SpecError(f"grading.{key}", f"unknown field; known fields: {', '.join(GRADING_KEYS)}")
    follow = _fraction(grading.get("follow_through", DEFAULT_FOLLOW_THROUGH), "grading.follow_through")
    imprecise = _fraction(grading.get("imprecise", DEFAULT_IMPRECISE), "grading.imprecise")
    default, points = _points(grading.get("points", DEFAULT_POINTS), values)
    spec_tol = Tolerance(
        abs_tol=_nonneg(grading.get("abs_tol"), "grading.abs_tol"),
        rel_tol=_nonneg(grading.get("rel_tol"), "grading.rel_tol"),
        sig_figs=_sig_figs(grading.get("sig_figs"), "grading.sig_figs"),
    )
    if spec_tol.explicit and spec_tol.sig_figs is not None:
        raise SpecError("grading.sig_figs", "give either sig_figs or abs_tol/rel_tol, not both")
    if not spec_tol.explicit and spec_tol.sig_figs is None and getattr(problem, "sig_figs", None):
        # a spec shown to N significant figures asks for answers to N figures (the sheets say so)
        spec_tol = Tolerance(sig_figs=problem.sig_figs)
    return Policy(
        tolerance=tolerance if tolerance is not None else spec_tol,
        follow_through=follow, imprecise=imprecise, default_points=default, points=points,
        asked=asked_elements(problem.ask, values, aliases), floor=10.0 ** -problem.decimals,
    )


def asked_elements(ask, values: Mapping[str, np.ndarray], aliases: Mapping[str, str]) -> dict:
    """The `ask:` list -> {path: None (whole) or frozenset of element indices}, in computation order."""
    found: dict[str, Any] = {}
    for i, entry in enumerate(ask):
        where = f"ask[{i}]"
        resolved = resolve_key(entry, values, aliases)
        if isinstance(resolved, tuple):
            matches = [resolved]
        elif any(ch in entry for ch in "*?[") and not _names_an_element(entry, values, aliases):
            matches = [(p, None) for p in values if fnmatch.fnmatchcase(p, entry)]
            matches += [(aliases[a], None) for a in aliases if fnmatch.fnmatchcase(a, entry)]
            if not matches:
                raise SpecError(where, f"the pattern {entry!r} matches no quantity of this problem")
        else:
            raise SpecError(where, f"{entry!r}: {resolved}")
        for path, index in matches:
            if index is None or found.get(path, ()) is None:
                found[path] = None
            else:
                found[path] = frozenset(found.get(path, frozenset()) | {index})
    order = {p: n for n, p in enumerate(values)}
    return dict(sorted(found.items(), key=lambda kv: order[kv[0]]))


def _names_an_element(entry: str, values, aliases) -> bool:
    try:
        base, idx = split_element(entry.replace(" ", ""))
    except KeyError:
        return False
    return idx is not None and aliases.get(base, base) in values


def _points(raw: Any, values) -> tuple[float, tuple]:
    if not isinstance(raw, dict):
        return _nonneg(_number(raw, "grading.points"), "grading.points"), ()
    default = DEFAULT_POINTS
    out = []
    for key, value in raw.items():
        where = f"grading.points.{key}"
        value = _nonneg(_number(value, where), where)
        if key == "default":
            default = value
            continue
        if not isinstance(key, str) or not key:
            raise SpecError(where, "expected a quantity path or pattern")
        if key not in values:
            if "[" in key and not any(ch in key for ch in "*?"):
                raise SpecError(where, "points are per quantity, not per element (the elements share them)")
            if not any(fnmatch.fnmatchcase(p, key) for p in values):
                raise SpecError(where, "matches no quantity of this problem" + _suggest(key, values, {}))
        out.append((key, value))
    return default, tuple(out)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise SpecError(where, f"expected a number, got {value!r}")
    return float(value)


def _nonneg(value: Any, where: str) -> float | None:
    if value is None:
        return None
    value = _number(value, where)
    if value < 0:
        raise SpecError(where, f"expected a number >= 0, got {value:g}")
    return value


def _fraction(value: Any, where: str) -> float:
    value = _number(value, where)
    if not 0 <= value <= 1:
        raise SpecError(where, f"expected a share of the points from 0 to 1, got {value:g}")
    return value


def _sig_figs(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIG_FIGS:
        raise SpecError(where, f"expected a whole number from 1 to {MAX_SIG_FIGS}, got {value!r}")
    return value
