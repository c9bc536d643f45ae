"""LMS responses exports, read as untrusted input: a Moodle quiz's Responses report and a
Canvas quiz's Student Analysis report, both as CSV.

    export = read_lms("responses.csv")            # the format found from the header
    export.rows[0]                                # LmsRow(number, student, variant, responses)

A row is one student's attempt: who (the first non-blank identity column: Moodle's
`ID number`, `Username`, `Email address`; Canvas's `sis_id`, `id`), the variant its
question text names (`Variant v003` at the start of a question, or `(variant v003)` in a
title), and the response texts in question order, a Moodle Cloze question's
`part 1: ...; part 2: ...` split into its parts. Nothing is parsed as a number here: the
homework stage maps the responses onto answer keys (tracer/homework/lms.py) and the answer
grammar of answer_values reads them, so a bad cell makes that student's row not gradable,
as a bad answer file is.

What makes the file unusable (over MAX_BYTES, not UTF-8, NUL bytes, not CSV, a cell over
MAX_CELL characters, more than MAX_ROWS rows, a header of neither format, a missing column,
a row of the wrong length) is one LmsError naming the row. What makes one row ungradable
(a student id too long or with control characters, two variants, a Cloze summary among
several questions, a student on two rows) is that row's `error`; the batch grades the others. See docs/lms.md.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import TracerError
from ..files import FileError, read_limited
from .answer_values import MAX_ENTRIES, AnswerError, show
from .answers import _student_id  # the answer files' rule for a student id, reused

MAX_BYTES = 32 << 20  # 32 MiB: a Moodle export repeats every question's text on every row
MAX_ROWS = 20_000  # attempts
MAX_CELL = 131_072  # characters in one cell: the csv module's field limit, kept as it is
LMS_FORMATS = ("moodle", "canvas")

MOODLE_IDENTITY = ("ID number", "Username", "Email address")
CANVAS_IDENTITY = ("sis_id", "id")
CANVAS_TAIL = ("n correct", "n incorrect", "score")
_SLOT = re.compile(r"(Response|Question|Right answer) (\d+)")
# A Cloze summary, Moodle's qtype_multianswer: "part 1: 0.5; part 2: ; part 3: 7" (the word as
# the site's language has it: "parte 1: ", "partie 1 : ").
_CLOZE_START = re.compile(r"([^\W\d_][^\W\d_]*(?: [^\W\d_]+)*) 1( ?:)")
_ID = r"([A-Za-z0-9][A-Za-z0-9._-]{0,63})"
# "Variant v003" opening a question (Moodle's html-to-text may upper-case a bold one), or a
# title's "(variant v003)".
_VARIANT_START = re.compile(r"\W{0,8}variant\s+" + _ID, re.IGNORECASE)
_VARIANT_TITLE = re.compile(r"\(variant\s+" + _ID + r"\)", re.IGNORECASE)
_CANVAS_QUESTION = re.compile(r"(\d+): (.*)", re.DOTALL)
_POINTS = re.compile(r"\d+(?:\.\d*)?")
UNANSWERED = ("", "-")  # Moodle writes "-" for a question without a response


class LmsError(TracerError):
    """An LMS export that cannot be read at all; str() is the one line."""


@dataclass(frozen=True)
class LmsRow:
    number: int  # the CSV record, the header being row 1
    student: str | None
    variant: str | None  # as its question text names it
    responses: tuple[str | None, ...]  # per asked element, in question order; None: not answered
    blank: bool = False  # nothing answered at all (Moodle "-" for a Cloze question): no parts to count
    error: str = ""  # why this row is not gradable
    labels: tuple[str, ...] = ()  # Canvas: each response's question text (it names the element it asks)


@dataclass(frozen=True)
class LmsExport:
    lms: str
    rows: list[LmsRow]


def read_lms(path: str | Path, lms: str | None = None) -> LmsExport:
    """The export at `path`; `lms` forces the format ('moodle' or 'canvas'), else it is found from the header."""
    try:
        data = read_limited(path, MAX_BYTES)
    except FileError as err:
        raise LmsError(f"{path}: {err}") from None
    return parse_lms(data, lms, str(path))


def parse_lms(data: bytes, lms: str | None = None, name: str = "LMS export") -> LmsExport:
    if len(data) > MAX_BYTES:
        raise LmsError(f"{name}: more than the {MAX_BYTES}-byte limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LmsError(f"{name}: not UTF-8 text (byte {err.start + 1}); save the export as UTF-8 CSV") from None
    if "\x00" in text:
        raise LmsError(f"{name}: contains NUL bytes: not a text file")
    records = _records(text, name)
    if not records:
        raise LmsError(f"{name}: empty: no header row")
    header = [c.strip() for c in records[0]]
    found = detect(header)
    if lms is None:
        if found is None:
            raise LmsError(f"{name}: row 1: not a Moodle Responses report (no 'Response 1' column) or a Canvas "
                           "Student Analysis report (no 'submitted' and 'n correct' columns); give --lms moodle|canvas")
        lms = found
    if lms not in LMS_FORMATS:
        raise LmsError(f"{name}: unknown LMS format {lms!r}; expected moodle or canvas")
    _check_header(header, name)
    body = [(n, r) for n, r in enumerate(records[1:], start=2) if any(c.strip() for c in r)]
    for n, row in body:
        if len(row) != len(header):
            raise LmsError(f"{name}: row {n}: {len(row)} cells, but the header has {len(header)}")
    rows = (_moodle if lms == "moodle" else _canvas)(header, body, name)
    return LmsExport(lms, _flag_duplicates(rows))


def detect(header: list[str]) -> str | None:
    """'moodle', 'canvas' or None, from the header row."""
    if any(_SLOT.fullmatch(c) and c.startswith("Response") for c in header):
        return "moodle"
    if "submitted" in header and "n correct" in header:
        return "canvas"
    return None


def _records(text: str, name: str) -> list[list[str]]:
    out = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return out
        except csv.Error as err:
            what = (f"a cell longer than {MAX_CELL} characters" if "field limit" in str(err)
                    else f"not valid CSV: {err}")
            raise LmsError(f"{name}: row {len(out) + 1}: {what}") from None
        if any(len(c) > MAX_CELL for c in row):  # whatever field limit the csv module was given elsewhere
            raise LmsError(f"{name}: row {len(out) + 1}: a cell longer than {MAX_CELL} characters")
        out.append(row)
        if len(out) > MAX_ROWS + 1:
            raise LmsError(f"{name}: row {len(out)}: more than {MAX_ROWS} rows")


def _check_header(header: list[str], name: str) -> None:
    seen: dict[str, int] = {}
    for i, cell in enumerate(header, start=1):
        if _POINTS.fullmatch(cell):  # Canvas heads each question's points column with its points
            continue
        if cell and cell in seen:
            raise LmsError(f"{name}: row 1: column {i} {show(cell)} repeats column {seen[cell]}")
        seen.setdefault(cell, i)


def _column(header: list[str], title: str, name: str, why: str) -> int:
    if title not in header:
        raise LmsError(f"{name}: row 1: no {title!r} column ({why})")
    return header.index(title)


# -- Moodle -------------------------------------------------------------------------------


def _moodle(header: list[str], body, name: str) -> list[LmsRow]:
    identity = [header.index(c) for c in MOODLE_IDENTITY if c in header]
    if not identity:
        raise LmsError(f"{name}: row 1: no student id column ({', '.join(MOODLE_IDENTITY)}); show one in the "
                       "report (the site's 'Show user identity' setting)")
    slots: dict[str, dict[int, int]] = {"Response": {}, "Question": {}, "Right answer": {}}
    for i, cell in enumerate(header):
        m = _SLOT.fullmatch(cell)
        if m:
            slots[m.group(1)][int(m.group(2))] = i
    responses = [slots["Response"][k] for k in sorted(slots["Response"])]
    if not responses:
        raise LmsError(f"{name}: row 1: no 'Response 1' column; download the report with 'Response' shown")
    questions = [slots["Question"][k] for k in sorted(slots["Question"])]
    rows = []
    for n, row in body:
        student, error = _student([(header[i], row[i]) for i in identity])
        variants = {v for v in (_variant(row[i]) for i in questions) if v}
        if len(variants) > 1 and not error:
            error = f"its questions name different variants ({', '.join(sorted(variants))})"
        cells = [row[i].strip() for i in responses]
        if len(cells) == 1:
            parts, blank = _single(cells[0], n)
        elif any(_CLOZE_START.match(c) for c in cells):  # a row's, not the file's: a student may type it
            parts, blank = (f"a Cloze response among {len(cells)} questions; export one Cloze question per "
                            "variant, or one numerical question per element"), False
        else:
            parts, blank = tuple(None if c in UNANSWERED else c for c in cells), False
        if isinstance(parts, str):
            error, parts = error or parts, ()
        if len(parts) > MAX_ENTRIES and not error:
            error, parts = f"more than {MAX_ENTRIES} answers", ()
        rows.append(LmsRow(n, student, variants.pop() if len(variants) == 1 else None, parts, blank, error))
    return rows


def _single(cell: str, n: int):
    """One Response cell: (parts, blank), parts being an error message if the Cloze summary is malformed."""
    if cell in UNANSWERED:
        return (), True
    m = _CLOZE_START.match(cell)
    if not m:
        return (cell,), False
    return split_cloze(cell, m.group(1), m.group(2)), False


def split_cloze(cell: str, word: str = "part", colon: str = ":"):
    """A Cloze response summary's parts, in order (None: part not answered), or an error message.

    Moodle joins `part k: <response>` with '; ' and trims the whole, so a blank last part
    loses its space. Each part runs to the next `; part k+1:`, so text a student typed that
    looks like a later part shifts no other part: it stays in its own, which is then not a number.
    """
    first = f"{word} 1{colon}"
    if not cell.startswith(first):
        return f"the Cloze response does not start with {first!r}"
    joint = f"; {word} "
    pieces = cell[len(first):].split(joint)  # in C; then each piece opens the next part or is the last one's text
    parts = [pieces[0]]
    for piece in pieces[1:]:
        number = f"{len(parts) + 1}{colon}"
        if piece.startswith(number):
            parts.append(piece[len(number):])
        else:
            parts[-1] += joint + piece
    if len(parts) > MAX_ENTRIES:
        return f"more than {MAX_ENTRIES} answers"
    return tuple(p.strip() or None for p in parts)


# -- Canvas -------------------------------------------------------------------------------


def _canvas(header: list[str], body, name: str) -> list[LmsRow]:
    identity = [header.index(c) for c in CANVAS_IDENTITY if c in header]
    if not identity:
        raise LmsError(f"{name}: row 1: no 'sis_id' or 'id' column (an anonymous survey's report names no student)")
    first = _column(header, "submitted", name, "the questions follow it") + 1
    if first < len(header) and header[first] == "attempt":
        first += 1
    last = _column(header, "n correct", name, "the questions end before it")
    if header[last:last + 3] != list(CANVAS_TAIL):
        raise LmsError(f"{name}: row 1: expected the columns {', '.join(CANVAS_TAIL)} at the end")
    if (last - first) % 2:
        raise LmsError(f"{name}: row 1: the question columns between 'submitted' and 'n correct' are not "
                       "(question, points) pairs")
    groups: dict[str | None, list[int]] = {}  # variant named by the question text -> its columns
    texts = {}
    for i in range(first, last, 2):
        m = _CANVAS_QUESTION.fullmatch(header[i])
        if not m:
            raise LmsError(f"{name}: row 1: column {i + 1} {show(header[i])}: expected '<question id>: <question text>'")
        groups.setdefault(_variant(m.group(2)), []).append(i)
        texts[i] = m.group(2)
    rows = []
    for n, row in body:
        student, error = _student([(header[i], row[i]) for i in identity])
        answered = [v for v, cols in groups.items() if any(row[i].strip() for i in cols)]
        if len(answered) > 1 and not error:
            error = f"answers questions of different variants ({', '.join(sorted(map(str, answered)))})"
        variant = answered[0] if len(answered) == 1 else (next(iter(groups)) if len(groups) == 1 else None)
        cols = groups.get(variant, []) if not error else []
        parts = tuple(row[i].strip() or None for i in cols)
        blank = not answered
        rows.append(LmsRow(n, student, variant, () if blank else parts, blank, error,
                           () if blank else tuple(texts[i] for i in cols)))
    return rows


# -- shared -------------------------------------------------------------------------------


def _variant(text: str) -> str | None:
    m = _VARIANT_START.match(text) or _VARIANT_TITLE.search(text[:2000])
    return m.group(1).rstrip("._-") if m else None


def _student(cells: list[tuple[str, str]]) -> tuple[str | None, str]:
    """The first non-blank identity cell (column, text), checked as an answer file's student id is."""
    column, text = next(((h, c) for h, c in cells if c.strip()), ("", ""))
    try:
        return _student_id(text, column), ""
    except AnswerError as err:
        return None, str(err)


def _flag_duplicates(rows: list[LmsRow]) -> list[LmsRow]:
    """A student on several rows (several attempts exported) cannot be graded once: each of their rows says so."""
    where: dict[str, list[int]] = {}
    for r in rows:
        if r.student is not None:
            where.setdefault(r.student.casefold(), []).append(r.number)
    out = []
    for r in rows:
        numbers = where.get(r.student.casefold(), []) if r.student is not None else []
        if len(numbers) > 1 and not r.error:
            others = ", ".join(str(k) for k in numbers if k != r.number)
            r = LmsRow(r.number, r.student, r.variant, (), r.blank,
                       f"student {show(r.student)} is also on row {others}: export one attempt per student")
        out.append(r)
    return out
