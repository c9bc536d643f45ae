"""A source's printed numbers (the spec's `published:`), graded like an answer sheet.

The notes are a student who computed by hand: each printed number is judged by the
default tolerance (to the precision it was printed with, plus carried rounding), and
a number that differs beyond that (and does not follow from the source's own earlier
numbers) becomes a `Slip`, which the handout notes next to
the step that computes the quantity (tracer.present.notes).
"""

from __future__ import annotations

import dataclasses

from ..present.notes import Slip
from ..problem.paths import split_element
from .answer_values import AnswerSheet, Entry
from .check import WRONG, Checker, Report
from .grading import Tolerance
from .recompute import COPY

SOURCE = "published:"


def published_sheet(problem) -> AnswerSheet:
    """The spec's `published:` as an answer sheet (numbers as text, so their precision is kept)."""
    return AnswerSheet(student=None, entries=tuple(Entry(key, raw) for key, raw in problem.published))


def published_checker(problem, tolerance: Tolerance | None = None, trace=None, diagnosis: bool = True) -> Checker:
    """A Checker for the printed numbers: only what was printed is judged (no `ask:`, no missing items),
    by the default rule unless a tolerance is given (the spec's `grading:` is for students).
    `diagnosis`: name the likely mistake behind each wrong number (`check --published` does)."""
    plain = dataclasses.replace(problem, ask=(), grading={})
    return Checker(plain, tolerance if tolerance is not None else Tolerance(), trace=trace, diagnosis=diagnosis)


def check_published(problem, tolerance: Tolerance | None = None, trace=None) -> Report:
    return published_checker(problem, tolerance, trace).check_sheet(published_sheet(problem), source=SOURCE)


def slips(problem, trace=None) -> list[Slip]:
    """The printed numbers that differ from the computed ones beyond their rounding, in computation order.

    Only the source's own slips (verdict wrong): a number that follows from its earlier printed
    numbers (follow-through) differs for a reason the handout already notes upstream, so noting
    it again would bury the slip; `check --published` lists those too."""
    if not problem.published:
        return []
    checker = published_checker(problem, trace=trace, diagnosis=False)  # a handout notes the slip, not its cause
    report = checker.check_sheet(published_sheet(problem), source=SOURCE)
    out = []
    for item in report.items:
        if item.status != WRONG:
            continue
        base, index = split_element(item.key)
        chain = [base]
        while checker.rules[chain[-1]].kind == COPY:  # yhat is h(L), iter2.W1 is iter1.new.W1, ...
            chain.append(checker.rules[chain[-1]].inputs[0])
        out.append(Slip(paths=tuple(chain), index=index, printed=item.got_text, value=float(item.expected)))
    return out
