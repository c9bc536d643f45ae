"""LMS responses graded as answer files: each row of a Moodle or Canvas export becomes the
AnswerSheet its student would have handed in, so follow-through, diagnoses and the
gradebook are those of `bptrace check` on answer files.

    subs = lms_submissions("responses.csv", VariantChecker(problem, seed=7))
    write_gradebook(checker, subs, "grades.csv")

The k-th response of a row answers the k-th asked element of its variant, in the order
the LMS exports ask them (asking.asked_keys, the order of moodle.variant_questions: a
Cloze question's parts, a Canvas quiz's numerical items, or one numerical question per
element). The variant is the one its question text names (`Variant v003`), else
`variant` (--variant), else the student id (a roster's variants are drawn per student id).
Reading is separate from grading: this returns Submissions, which gradebook.grade_one
grades like files.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from ..errors import TracerError
from ..grade.answer_values import AnswerError, AnswerSheet, Entry, parse_number
from ..grade.gradebook import Submission
from ..grade.lms_csv import LmsRow, read_lms
from .asking import asked_keys
from .variants import NUMBERED


def lms_submissions(path: str | Path, checker, lms: str | None = None, variant: str | None = None) -> list[Submission]:
    """A Submission per row of the export at `path` (LmsError if the file cannot be read at all).
    `checker`: a Checker, or a VariantChecker (with --seed) whose variants the rows answer."""
    export = read_lms(path, lms)
    keys = _Keys(checker)
    out = []
    for row in export.rows:
        name = f"{path}: row {row.number}"
        try:
            out.append(Submission(name, row_sheet(row, keys, variant)))
        except TracerError as err:
            out.append(Submission(name, None, str(err), row.student or ""))
    return out


class _Keys:
    """The asked element keys of the problem, or of each variant (drawn once, with its checker)."""

    def __init__(self, checker):
        self.checker = checker
        self.seeded = hasattr(checker, "checker_for")
        self._cache: dict = {}

    def __call__(self, vid: str | None) -> list[str]:
        if vid not in self._cache:
            c = self.checker.checker_for(vid) if self.seeded else self.checker
            self._cache[vid] = asked_keys(c.problem, c.values)
        return self._cache[vid]

    def canvas(self, vid: str | None) -> dict:
        """{element key: canvas_numbers.Answer} of the variant's Canvas items: each one's scale and asked place."""
        if ("canvas", vid) not in self._cache:
            from .canvas import item_answers

            c = self.checker.checker_for(vid) if self.seeded else self.checker
            self._cache["canvas", vid] = item_answers(c.problem, c.trace)
        return self._cache["canvas", vid]

    def known(self, vid: str | None) -> str | None:
        """A variant id as the question text printed it, made the id it was drawn with: Moodle's
        text of a bold title is upper case (VARIANT V003), so v003, or the roster's spelling."""
        if vid is None or not self.seeded:
            return vid
        order = self.checker.lookup.order
        if order is not None and vid not in self.checker.lookup.position:
            folded = {v.casefold(): v for v in order}
            return folded.get(vid.casefold(), vid)
        if NUMBERED.fullmatch(vid.lower()):
            return vid.lower()
        return vid


def row_sheet(row: LmsRow, keys: _Keys, variant: str | None = None) -> AnswerSheet:
    """The answer sheet of one row: AnswerError saying why it is not gradable."""
    if row.error:
        raise AnswerError(row.error)
    named = keys.known(row.variant)
    if keys.seeded and named is not None and keys.checker.lookup.order is None and not NUMBERED.fullmatch(named):
        # without a roster `variants` names v001, v002, ...: a question opening "Variant analysis" names none
        raise AnswerError(f"its questions name variant {named!r}, but without --roster the variants are "
                          "numbered (v001, v002, ...)")
    if variant is not None and named is not None and named != variant:
        raise AnswerError(f"its questions name variant {named}, not --variant {variant}")
    vid = named or variant
    which = vid or row.student
    if not keys.seeded and vid is not None and getattr(keys.checker.problem, "randomize", None):
        raise AnswerError(f"names variant {vid} of a randomized spec; check it with --seed S (the seed the "
                          "variants were drawn with)")
    if keys.seeded and which is None:
        raise AnswerError("no variant named by its questions and no student id: give --variant, or export "
                          "the questions' text (it starts 'Variant <id>')")
    try:
        asked = keys(which if keys.seeded else None)
    except TracerError as err:
        raise AnswerError(f"{which}: {err}") from None
    if row.blank:
        return AnswerSheet(row.student, (), vid)
    by_item = _by_item(row, asked)
    if by_item is not None:  # our Canvas package: its items name their elements, and some are scaled
        items = keys.canvas(which if keys.seeded else None)
        entries = tuple(Entry(key, _canvas_number(text, items[key], f"response to {key}"))
                        for key, text in zip(asked, by_item) if text is not None)
        return AnswerSheet(row.student, entries, vid)
    if len(row.responses) != len(asked):
        of = f"variant {which}" if keys.seeded else "the problem"
        raise AnswerError(f"{len(row.responses)} responses, but {of} asks {len(asked)} elements; is this the "
                          "export of its quiz?")
    entries = tuple(Entry(key, parse_number(text, f"response {k} ({key})"))
                    for k, (key, text) in enumerate(zip(asked, row.responses), start=1) if text is not None)
    return AnswerSheet(row.student, entries, vid)


# "(iter1.grad.W1[2,1])": the element a Canvas item asks (canvas.py), its <code> tags stripped by the report
_NAMED = re.compile(r"\(\s*([^()\s]+)\s*\)")


def _by_item(row: LmsRow, asked: list[str]) -> tuple | None:
    """A Canvas row's responses by the element each question names, in `asked` order (None: not
    answered), the quiz's text-only Problem item left out; None if no question names an element
    (a quiz not written by `variants --to canvas`: its questions are taken in order)."""
    if not row.labels:
        return None
    wanted = set(asked)
    named = [next((k for k in _NAMED.findall(label) if k in wanted), None) for label in row.labels]
    if not any(named):
        return None
    by_key: dict[str, str | None] = {}
    for key, text, label in zip(named, row.responses, row.labels):
        if key is None:
            if text is not None:
                raise AnswerError(f"a response to a question that asks no element of the variant: {label[:80]!r}")
            continue
        if key in by_key:
            raise AnswerError(f"two questions ask {key}")
        by_key[key] = text
    return tuple(by_key.get(key) for key in asked)


def _canvas_number(text: str, answer, where: str):
    """A Canvas response as the number the student means: an item asked scaled (the value times
    10^scale, canvas_numbers) divided back by moving the decimal point, so the digits written keep
    their place; and the zeros Canvas pads a typed answer with to 4 decimals dropped down to the
    asked place (0.8900 asked to 2 decimals is 0.89, as the student typed it)."""
    number = parse_number(text, where)
    s = number.text
    if number.place is None or "e" in s.lower():
        return number if not answer.scale else parse_number(repr(number.value / 10**answer.scale), where)
    if answer.place is not None and "." in s:
        keep = max(-answer.place, 0)
        whole, _, frac = s.partition(".")
        while len(frac) > keep and frac.endswith("0"):
            frac = frac[:-1]
        s = f"{whole}.{frac}" if frac else whole
    if answer.scale:
        s = format(Decimal(s).scaleb(-answer.scale), "f")
    return parse_number(s, where)
