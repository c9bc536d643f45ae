"""Check a student's answers against a problem: a verdict per answered element.

    checker = Checker(load_problem("hw3.yaml"))      # traces once; reuse for a batch
    report = checker.check_file("alice.yaml")        # AnswerError if not gradable

Verdicts: correct, follow-through, wrong, missing, unknown-key (see docs/answers.md).
A wrong item may also get a diagnosis, the named mistake that reproduces it (diagnosis.py).

Follow-through. The student's world S is the trace recomputed from their own
answers: S[q] is the student's answer to q where given (element by element),
else q's formula applied to S of its inputs, so it equals the true trace where
nothing upstream was answered. An answer that is not correct but is within
tolerance of q's formula applied to S of q's inputs (any of the textbook routes
to q, recompute.Rule.formulas) earns follow-through. `iter{t}.W{l}` is a copy of
`iter{t-1}.new.W{l}`, so an answer to either feeds iteration t.
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
from .answers import AnswerError, AnswerSheet, Number, numbers, read_answers
from .grading import (
    KeyMap,
    Policy,
    Tolerance,
    notation_aliases,
    policy_for,
    resolve_key,
    shape_text,
)
from .diagnosis import diagnose
from .recompute import COPY, GIVEN, rounding_bounds

CORRECT, FOLLOW, WRONG, MISSING, UNKNOWN = "correct", "follow-through", "wrong", "missing", "unknown-key"
VERDICTS = (CORRECT, FOLLOW, WRONG, MISSING, UNKNOWN)
NOT_CORRECT = (FOLLOW, WRONG, UNKNOWN)  # an answered item with one of these makes the exit status 1
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

    # -- entry points -----------------------------------------------------------------

    def check_file(self, path: str | Path) -> Report:
        try:
            sheet = read_answers(path)
        except AnswerError as err:
            raise AnswerError(f"{path}: {err}") from None
        return self.check_sheet(sheet, source=str(path))

    def check_sheet(self, sheet: AnswerSheet, source: str = "") -> Report:
        given, wrong_shape, unknown = self._resolve(sheet)
        answered = set(given) | set(wrong_shape)
        last = max((self.position[p] for p in answered | set(self.policy.asked)), default=-1)
        paths = self.order[: last + 1]
        bounds = self._bounds_upto(last)
        candidates = self._student_world(paths, given)

        report = Report(self.problem.title, source, sheet.student,
                        tolerance=self.policy.tolerance.describe(self.problem.decimals))
        for path in paths:
            asked = self.policy.asked.get(path, ()) if self.policy.asked else None
            if path not in answered and asked == ():
                continue
            report.items.extend(self._items(path, given.get(path, {}), wrong_shape.get(path), asked,
                                            candidates.get(path), bounds[path]))
        if self.diagnosis:
            diagnose(self, report.items, given, wrong_shape, bounds)
        report.items.extend(unknown)
        report.points = sum(i.points for i in report.items)
        report.max_points = sum(i.max_points for i in report.items)
        report.first_error = next((i.key for i in report.items if i.status == WRONG), None)
        return report

    # -- steps ------------------------------------------------------------------------

    def _resolve(self, sheet: AnswerSheet):
        """Answer keys -> {path: {index: (Number, key)}}, {path: (key, value)} of wrong shapes, unknown items."""
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
            if elements is None:
                if path in wrong_shape or path in given:
                    raise AnswerError(f"{path} is answered more than once (again by {entry.key})")
                wrong_shape[path] = (entry.key, value)
                continue
            slot = given.setdefault(path, {})
            for idx, number in elements.items():
                if number is None:
                    continue
                if idx in slot:
                    raise AnswerError(f"{element_key(path, idx, shape)} is answered more than once (by {slot[idx][1]} and {entry.key})")
                slot[idx] = (number, entry.key)
            if not slot:
                del given[path]
        return given, wrong_shape, unknown

    def _bounds_upto(self, last: int) -> dict[str, np.ndarray]:
        if last >= len(self._bounds):
            self._bounds = rounding_bounds(self.trace, self.rules, self.order[: last + 1])
        return self._bounds

    def _student_world(self, paths: list[str], given: dict) -> dict[str, list]:
        """Candidates (recomputed values) for every path fed by a student's answer."""
        world: dict[str, np.ndarray] = {}
        dirty: set[str] = set()
        candidates: dict[str, list] = {}
        with np.errstate(all="ignore"):
            for path in paths:
                rule = self.rules[path]
                value = self.values[path]
                if rule.kind != GIVEN and any(i in dirty for i in rule.inputs):
                    inputs = [world[i] for i in rule.inputs]
                    if rule.kind == COPY:
                        cands = [np.asarray(inputs[0], dtype=np.float64)]
                    else:
                        cands = [np.broadcast_to(np.asarray(f(*inputs), dtype=np.float64), np.shape(value)) for f in rule.formulas]
                    candidates[path] = cands
                    value = cands[0]
                    dirty.add(path)
                if path in given:
                    value = np.array(value, dtype=np.float64)
                    for idx, (number, _) in given[path].items():
                        value[idx] = number.value
                    dirty.add(path)
                world[path] = value
        self._world = world  # the student's world of the last sheet, which diagnosis.py reads on
        return candidates

    def _items(self, path, answers: dict, wrong_shape, asked, cands, bound) -> list[Item]:
        """The items of one quantity. `asked`: None (all asked, or no ask:), or the asked indices."""
        true = np.asarray(self.values[path], dtype=np.float64)
        elements = self._elements(path)
        share = self.policy.points_for(path) / len(elements)
        weight = {idx: share if asked is None or idx in asked else 0.0 for idx, _, _ in elements}
        places = self.problem.decimals + 2
        if wrong_shape is not None:
            key, value = wrong_shape
            note = f"expected {_shape_words(true.shape)}, got {_value_shape(value)}" + (f" (as {key})" if key != path else "")
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
            status, recomputed = self._verdict(number, expected, routes, bounds[k])
            credit = {CORRECT: 1.0, FOLLOW: self.policy.follow_through}.get(status, 0.0)
            note = f"answered as {written_as}" if written_as.split("[")[0] not in (path, key) else ""
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
        """(status, recomputed value). `routes`: the formula's values from the student's world,
        None where nothing the student wrote feeds this quantity (recomputed = expected)."""
        tol, floor = self.policy.tolerance, self.policy.floor

        def passes(reference: float) -> bool:  # an infinite value (saturation) is never matched
            return math.isfinite(reference) and abs(number.value - reference) <= tol.allowed(number.place, reference, bound, floor)

        if passes(expected):
            return CORRECT, expected if routes is None else routes[0]
        for value in routes or ():
            if passes(value):
                return FOLLOW, value
        return WRONG, expected if routes is None else routes[0]


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
