"""Check a student's answers against a problem: a verdict per answered element.

    checker = Checker(load_problem("hw3.yaml"))      # traces once; reuse for a batch
    report = checker.check_file("alice.yaml")        # AnswerError if not gradable

Verdicts: correct, imprecise, follow-through, wrong, missing, unknown-key (see docs/answers.md).
A wrong item may also get a diagnosis, the named mistake that reproduces it (diagnosis.py).

Follow-through. The student's world S (world.py) is the trace recomputed from their
own answers: S[q] is the student's answer to q where given (element by element),
else q's formula applied to S of its inputs (by every textbook route), so it equals
the true trace where nothing upstream was answered; an answer to any name of a
copied number (yhat and h(L), iter{t}.W and iter{t-1}.new.W) is the student's value
of them all. An answer that is not correct but is within tolerance of q's formula
applied to S of q's inputs earns follow-through.

Imprecise. An answer written with fewer digits than asked (0.321 at decimals 4) that is
right to the digits written; checked after correct and follow-through to the digits asked, before follow-through to fewer digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..engine import run
from ..engine.trace import Trace
from ..present.numfmt import plain
from ..problem.kinds import kind_of
from ..problem.network import Problem
from .answer_values import AnswerError, AnswerSheet, Number, numbers
from .grading import (
    KeyMap,
    Policy,
    Tolerance,
    notation_aliases,
    policy_for,
    resolve_key,
    shape_text,
)
from .recompute import rounding_bounds
from .world import copy_sources, student_world

CORRECT, FOLLOW, WRONG, MISSING, UNKNOWN = "correct", "follow-through", "wrong", "missing", "unknown-key"
IMPRECISE = "imprecise"
VERDICTS = (CORRECT, IMPRECISE, FOLLOW, WRONG, MISSING, UNKNOWN)
NOT_CORRECT = (IMPRECISE, FOLLOW, WRONG, UNKNOWN)  # an answered item with one of these makes the exit status 1
MAX_SUGGESTIONS = 50


@dataclass
class Item:
    """One row of a report: an element (or a whole quantity, or an unknown key)."""

    key: str
    status: str
    got: Any = None  # float; nested lists for an answer of the wrong shape; None
    expected: Any = None
    recomputed: float | None = None
    got_text: str = ""
    points: float = 0.0
    max_points: float = 0.0
    note: str = ""
    places: int = 6  # decimals to show expected/recomputed with
    diagnosis: str | None = None  # a code of diagnosis.CODES: the mistake that reproduces `got`
    diagnosis_text: str = ""

    def display(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return str(np.round(np.asarray(value, dtype=float), self.places).tolist())
        return plain(value, self.places)


@dataclass
class Report:
    """One answer sheet graded: its items, first error and points."""

    title: str
    source: str = ""
    student: str | None = None
    items: list[Item] = field(default_factory=list)
    first_error: str | None = None
    points: float = 0.0
    max_points: float = 0.0
    tolerance: str = ""

    @property
    def exit_code(self) -> int:
        """0 if every answered item is correct (missing ones do not count), else 1."""
        return 1 if any(i.status in NOT_CORRECT for i in self.items) else 0

    def counts(self) -> dict[str, int]:
        return {v: sum(i.status == v for i in self.items) for v in VERDICTS}

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "student": self.student,
            "items": [
                {"key": i.key, "status": i.status, "got": _plain(i.got), "expected": _plain(i.expected),
                 "recomputed": _plain(i.recomputed), "note": i.note or None,
                 "diagnosis": i.diagnosis, "diagnosis_text": i.diagnosis_text or None}
                for i in self.items
            ],
            "first_error": self.first_error,
            "score": {"points": _round(self.points), "max": _round(self.max_points)},
        }


def _plain(value):
    """JSON-safe: non-finite numbers as the strings "inf", "-inf", "nan" (as in --to json)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or np.isfinite(value):
        return value
    return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")


def _round(x: float) -> float:
    r = round(x, 6)
    return int(r) if r == int(r) else r


def element_key(path: str, index: tuple, shape: tuple) -> str:
    """`iter1.W1[2,1]`; a one-element quantity is its bare path."""
    if math.prod(shape) == 1:
        return path
    return f"{path}[{','.join(str(i + 1) for i in index)}]"


class Checker:
    """Grades answer sheets for one problem. Traces once; cheap per sheet."""

    def __init__(self, problem: Problem, tolerance: Tolerance | None = None,
                 aliases: Mapping[str, str] | None = None, trace: Trace | None = None,
                 diagnosis: bool = True):
        self.problem = problem
        self.diagnosis = diagnosis  # name the mistake of each wrong item (diagnosis.py)
        # The truth is the float64 trace whatever the spec's `arithmetic:` (by-hand values
        # lie within the carried-rounding tolerance; exact ones agree to 1e-16).
        usable = trace is not None and getattr(trace, "arithmetic", "float") == "float"
        self.trace = trace if usable else run(problem, arithmetic="float")
        self.values = self.trace.values
        self.order = list(self.values)
        self.position = {p: n for n, p in enumerate(self.order)}
        self.rules = kind_of(self.trace).hook("rules")(self.trace)
        self.aliases = notation_aliases(problem, self.values) if aliases is None else KeyMap(aliases)
        self.policy: Policy = policy_for(problem, self.values, tolerance, self.aliases)
        self._bounds: dict[str, np.ndarray] = {}
        self._element_cache: dict[str, list] = {}
        self._copies = copy_sources(self.rules, self.order)
        self._given = (problem, tolerance, aliases, diagnosis)

    def __reduce__(self):  # the rules are closures: a spawned worker (tracer.pool) rebuilds them from the trace
        problem, tolerance, aliases, diagnosis = self._given
        return type(self), (problem, tolerance, aliases, self.trace, diagnosis)

    # -- entry points -----------------------------------------------------------------

    def check_file(self, path: str | Path) -> Report:
        from .answers import read_answers  # here: a handout's published check reads no file (nor PyYAML's loader)

        try:  # what makes the file not gradable names the file, read or graded
            return self.check_sheet(read_answers(path), source=str(path))
        except AnswerError as err:
            raise AnswerError(f"{path}: {err}") from None

    def check_sheet(self, sheet: AnswerSheet, source: str = "") -> Report:
        if sheet.variant is not None and getattr(self.problem, "randomize", None):
            # the base spec's numbers are not the variant's: grading against them would mislead
            raise AnswerError(f"names variant {sheet.variant} of a randomized spec; "
                              "check it with --seed S (the seed the variants were drawn with)")
        given, wrong_shape, unknown = self._resolve(sheet)
        answered = set(given) | set(wrong_shape)
        last = max((self.position[p] for p in answered | set(self.policy.asked)), default=-1)
        paths = self.order[: last + 1]
        bounds = self._bounds_upto(last)
        candidates = student_world(paths, self.rules, self.values, given, self._copies).recomputed

        report = Report(self.problem.title, source, sheet.student,
                        tolerance=self.policy.tolerance.describe(self.problem.decimals))
        for path in paths:
            asked = self.policy.asked.get(path, ()) if self.policy.asked else None
            if path not in answered and asked == ():
                continue
            report.items.extend(self._items(path, given.get(path, {}), wrong_shape.get(path), asked,
                                            candidates.get(path), bounds[path]))
        if self.diagnosis:
            from .diagnosis import diagnose  # imported when asked for: a handout's published check does not

            diagnose(self, report.items, given, wrong_shape, bounds)
        report.items.extend(unknown)
        report.points = sum(i.points for i in report.items)
        report.max_points = sum(i.max_points for i in report.items)
        report.first_error = next((i.key for i in report.items if i.status == WRONG), None)
        return report

    # -- steps ------------------------------------------------------------------------

    def _resolve(self, sheet: AnswerSheet):
        """Answer keys -> {path: {index: (Number, key)}}, {path: (key, value, printed)} of wrong shapes, unknown items."""
        given: dict[str, dict] = {}
        wrong_shape: dict[str, tuple] = {}
        unknown: list[Item] = []
        for entry in sheet.entries:
            # did-you-mean costs a fuzzy match per key: enough for typos, not for a file of junk keys
            resolved = resolve_key(entry.key, self.values, self.aliases, suggest=len(unknown) < MAX_SUGGESTIONS)
            if isinstance(resolved, str):
                got = entry.raw.value if isinstance(entry.raw, Number) else None
                got_text = entry.raw.text if isinstance(entry.raw, Number) else ""
                unknown.append(Item(entry.key, UNKNOWN, got=got, got_text=got_text, note=resolved))
                continue
            path, index = resolved
            shape = np.shape(self.values[path])
            value = numbers(entry.raw, entry.key)
            if value is None:
                continue  # left blank: not answered
            if index is not None:
                elements = {index: value} if not isinstance(value, list) else None
            else:
                elements = _fit(value, shape)
            printed = self.aliases.printed(entry.key) if elements is None and index is None else None
            if printed is not None and (found := _fit(value, printed[0])) is not None:
                # a whole weight matrix as the handout prints it: its elements, read like element keys
                for (r, c), number in found.items():
                    at = resolve_key(printed[1](r, c), self.values, self.aliases, suggest=False)
                    self._enter(given, *at, number, entry.key)
                continue
            if elements is None:
                if path in wrong_shape or path in given:
                    raise AnswerError(f"{path} is answered more than once (again by {entry.key})")
                wrong_shape[path] = (entry.key, value, printed)
                continue
            for idx, number in elements.items():
                self._enter(given, path, idx, number, entry.key)
        return given, wrong_shape, unknown

    def _enter(self, given: dict, path: str, idx: tuple, number, key: str) -> None:
        if number is None:
            return
        slot = given.setdefault(path, {})
        if idx in slot:
            shape = np.shape(self.values[path])
            raise AnswerError(f"{element_key(path, idx, shape)} is answered more than once (by {slot[idx][1]} and {key})")
        slot[idx] = (number, key)

    def _bounds_upto(self, last: int) -> dict[str, np.ndarray]:
        if last >= len(self._bounds):
            self._bounds = rounding_bounds(self.trace, self.rules, self.order[: last + 1])
        return self._bounds

    def _items(self, path, answers: dict, wrong_shape, asked, cands, bound) -> list[Item]:
        """The items of one quantity. `asked`: None (all asked, or no ask:), or the asked indices."""
        true = np.asarray(self.values[path], dtype=np.float64)
        elements = self._elements(path)
        share = self.policy.points_for(path) / (len(asked) if asked else len(elements))  # the asked elements share
        weight = {idx: share if asked is None or idx in asked else 0.0 for idx, _, _ in elements}
        places = self.problem.decimals + 2
        if wrong_shape is not None:
            key, value, printed = wrong_shape
            layout = "" if printed is None else f", or {shape_text(printed[0])} as printed ({printed[2]})"
            note = (f"expected {_shape_words(true.shape)}{layout}, got {_value_shape(value)}"
                    + (f" (as {key})" if key != path else ""))
            return [Item(path, WRONG, got=_nested(value, lambda n: n.value), expected=true.tolist(),
                         got_text=str(_nested(value, lambda n: n.text)).replace("'", ""),
                         max_points=sum(weight.values()), note=note, places=places)]
        routes_of = None if cands is None else [np.reshape(c, -1).tolist() for c in cands]
        bounds = np.reshape(bound, -1).tolist()
        items = []
        for k, (idx, key, expected) in enumerate(elements):
            if idx not in answers:
                if self.policy.asked and (asked is None or idx in asked):
                    items.append(Item(key, MISSING, expected=expected, max_points=weight[idx], places=places))
                continue
            number, written_as = answers[idx]
            routes = None if routes_of is None else [r[k] for r in routes_of]
            status, recomputed, short = self._verdict(number, expected, routes, bounds[k])
            credit = {CORRECT: 1.0, FOLLOW: self.policy.follow_through, IMPRECISE: self.policy.imprecise}.get(status, 0.0)
            if short is not None and status == FOLLOW:
                credit *= self.policy.imprecise
            notes = [f"answered as {written_as}" if written_as.split("[")[0] not in (path, key) else "",
                     "" if short is None else self._short_note(number, expected)]
            note = "; ".join(n for n in notes if n)
            items.append(Item(key, status, got=number.value, expected=expected,
                              recomputed=recomputed if math.isfinite(recomputed) else None,
                              got_text=number.text, points=credit * weight[idx], max_points=weight[idx],
                              note=note, places=min(12, max(places, _decimals_of(number) + 2))))
        return items

    def _elements(self, path: str) -> list[tuple]:
        """(index, key, true value) of each element, row-major; cached: the same for every sheet."""
        if path not in self._element_cache:
            true = np.asarray(self.values[path], dtype=np.float64)
            self._element_cache[path] = [(idx, element_key(path, idx, true.shape), float(true[idx]))
                                         for idx in np.ndindex(true.shape)]
        return self._element_cache[path]

    def _verdict(self, number: Number, expected: float, routes: list[float] | None, bound: float):
        """(status, recomputed value, the coarser place judged at or None).

        `routes`: the formula's values from the student's world, None where nothing the
        student wrote feeds this quantity (recomputed = expected). In order: correct;
        follow-through to the digits asked; imprecise (fewer digits than asked, right to
        those); follow-through to the fewer digits written. The place is not None when the answer was
        judged at its own coarser digits (a diagnosis hook can read the same arguments).
        """
        tol, floor = self.policy.tolerance, self.policy.floor
        primary = expected if routes is None else routes[0]

        def passes(reference: float, place=None) -> bool:  # an infinite value (saturation) is never matched
            if not math.isfinite(reference):
                return False
            # at fewer digits than asked, the digits written must be the reference's, rounded: half a
            # unit, no carried rounding (a first-order bound is meaningless at a place as coarse as 0.1)
            allowed = tol.allowed(number.place, reference, bound, floor) if place is None else place / 2
            return abs(number.value - reference) <= allowed + 1e-12 * max(1.0, abs(reference))

        if passes(expected):
            return CORRECT, primary, None
        # consistent with the student's own upstream work to the digits asked (0.465 for a recomputed
        # 0.4650073: a trailing zero left off) outranks being near the true value at fewer digits
        for value in routes or ():
            if passes(value):
                return FOLLOW, value, None
        short = tol.coarser(number.place, expected, floor)
        if short is not None and passes(expected, short):
            return IMPRECISE, primary, short
        for value in routes or ():
            place = tol.coarser(number.place, value, floor)
            if place is not None and passes(value, place):
                return FOLLOW, value, place
        return WRONG, primary, None

    def _short_note(self, number: Number, reference: float) -> str:
        """`right to the 2 decimals written; 4 asked` (or significant figures)."""
        tol = self.policy.tolerance
        if tol.sig_figs is not None:
            written = int(round(math.floor(math.log10(abs(number.value))) - math.log10(number.place))) + 1 if number.value else 1
            return f"right to the {written} significant figures written; {tol.sig_figs} asked"
        written = max(0, int(round(-math.log10(number.place))))
        unit = "decimal" if written == 1 else "decimals"
        return f"right to the {written} {unit} written; {self.problem.decimals} asked"


def _unravel(k: int, shape: tuple) -> tuple:
    """The k-th element's index (row-major), for the shapes quantities have: (), (n,), (r, c)."""
    if not shape:
        return ()
    return (k,) if len(shape) == 1 else (k // shape[1], k % shape[1])


def _fit(value, shape: tuple) -> dict | None:
    """{element index: Number or None} if `value` has the quantity's shape, else None."""
    size = math.prod(shape)
    if not isinstance(value, list):
        return {_unravel(0, shape): value} if size == 1 else None
    if value and all(isinstance(row, list) for row in value):
        if len(shape) == 2 and len(value) == shape[0] and all(len(r) == shape[1] for r in value):
            return {(i, j): v for i, row in enumerate(value) for j, v in enumerate(row)}
        if size == 1 and len(value) == 1 and len(value[0]) == 1:
            return {_unravel(0, shape): value[0][0]}
        return None
    if any(isinstance(v, list) for v in value) or len(value) != size:
        return None
    if len(shape) == 2 and 1 not in shape:
        return None  # a flat list for a full matrix is ambiguous
    return {_unravel(k, shape): v for k, v in enumerate(value)}


def _nested(value, f):
    if isinstance(value, list):
        return [_nested(v, f) for v in value]
    return None if value is None else f(value)


def _value_shape(value) -> str:
    if not isinstance(value, list):
        return "one number"
    if value and all(isinstance(r, list) for r in value):
        widths = {len(r) for r in value}
        return f"{len(value)}x{widths.pop()}" if len(widths) == 1 else f"{len(value)} rows of unequal length"
    return f"a list of {len(value)}"


def _shape_words(shape) -> str:
    size = math.prod(shape)
    if size == 1:
        return "one number"
    return f"a {shape_text(shape)} matrix (a list of rows)" if len(shape) == 2 else f"a list of {size} numbers"


def _decimals_of(number: Number) -> int:
    if number.place is None or number.place >= 1:
        return 0
    return 12 if number.place < 1e-12 else int(round(-np.log10(number.place)))
