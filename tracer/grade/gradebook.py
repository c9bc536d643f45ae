"""Batch grading: many answer files -> one gradebook CSV row each.

A file that cannot be graded (malformed, oversized, hostile) gets its row with
`not gradable: <reason>` and the batch goes on. The gradebook is written to a
temporary file beside its target and renamed into place when the batch is done,
so a failed or interrupted run leaves an earlier gradebook whole. Cells that a
spreadsheet would read as a formula (starting with = + - @, tab or CR, also after a
`;` or tab, which some spreadsheets split on) get a leading apostrophe; cells with a separator (`,` `;` tab), a quote or a line break
are quoted, so the file reads back the same with any of those separators.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from ..errors import TracerError
from ..files import FileError, atomic_open, check_output
from ..pool import ordered_map, pooled
from .answers import AnswerSheet, read_answers
from .check import IMPRECISE, Checker, Report
from .diagnosis import count as diagnosis_count

# Columns are only ever added at the end, so a reader of an older gradebook reads a newer one.
COLUMNS = ("file", "student", "points", "max", "first_error", "status", "imprecise", "diagnoses")
PROGRESS_MIN = 20  # show a progress bar on a terminal from this many files
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = frozenset(",;\t\"\r\n")
HEADER = ",".join(COLUMNS)
_EARLIER_HEADERS = (",".join(COLUMNS[:6]), ",".join(COLUMNS[:7]))  # an older gradebook may be replaced


def csv_line(cells: Iterable[str]) -> str:
    """One CSV record: a cell is quoted (quotes doubled) when it holds a separator, quote or line break."""
    out = []
    for cell in cells:
        if _NEEDS_QUOTES.intersection(cell):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out) + "\r\n"


def check_gradebook_target(out: str | Path, inputs: Iterable[str | Path]) -> Path:
    """Refuse a gradebook path that is an input, a link, or an existing file that is not a gradebook."""
    path = check_output(out, inputs, what="gradebook")
    if path.exists():
        try:
            with open(path, encoding="utf-8", errors="replace", newline="") as fh:
                first = fh.readline(len(HEADER) + 3).rstrip("\r\n")
        except OSError as err:
            raise FileError(f"{path}: cannot read the existing gradebook: {err.strerror or err}") from None
        if first != HEADER and first not in _EARLIER_HEADERS:
            raise FileError(f"{path}: exists and is not a gradebook (its first line is not {HEADER!r}); "
                            "refusing to overwrite it")
    return path


@dataclass
class Row:
    file: str
    status: str  # "graded" or "not gradable: <reason>"
    student: str = ""
    points: float | None = None
    max_points: float | None = None
    first_error: str = ""
    report: Report | None = None  # (or its Verdicts, graded in a pool for a gradebook: grade_all)
    diagnoses: int | None = None  # items given a diagnosis (none counted with diagnosis off)

    @property
    def graded(self) -> bool:
        return self.report is not None

    def cells(self) -> list[str]:
        num = lambda x: "" if x is None else (str(int(x)) if x == int(x) else f"{x:.6g}")  # noqa: E731
        imprecise = "" if self.report is None else str(self.report.counts()[IMPRECISE])  # right, too few digits
        return [inert(c) for c in (self.file, self.student, num(self.points), num(self.max_points), self.first_error,
                                   self.status, imprecise, num(self.diagnoses))]


def inert(cell: str) -> str:
    """A CSV cell a spreadsheet will not evaluate, read with `,` or with `;` or tab as separator.

    A spreadsheet that splits on `;` or tab sees every piece between them as a cell
    of its own, so each piece that starts like a formula gets the apostrophe.
    """
    if cell.startswith(_FORMULA_START):
        cell = "'" + cell
    pieces = re.split(r"([;\t])", cell)  # even places: the text between separators
    return "".join("'" + p if i % 2 == 0 and i and p.startswith(_FORMULA_START) else p
                   for i, p in enumerate(pieces))


def answer_files(paths: Iterable[str | Path], exclude: str | Path | None = None) -> list[Path]:
    """Files named, plus every file under each folder named (sorted, hidden names skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):  # does not follow symlinked folders
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out += [Path(root, f) for f in sorted(files) if not f.startswith(".")]
        else:
            out.append(p)
    if exclude is not None and Path(exclude).exists():
        out = [p for p in out if not _same(p, exclude)]
    return out


def _same(a, b) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@dataclass(frozen=True)
class Submission:
    """An answer sheet that is not a file of its own (a row of an LMS export, lms_csv.py), read
    before grading: `sheet`, or `error`, why it cannot be graded. Graded like a file by grade_one."""

    name: str
    sheet: AnswerSheet | None
    error: str = ""
    student: str = ""  # who, when known though the sheet is not (the gradebook row keeps it)


def grade_one(checker: Checker, path: str | Path | Submission) -> Row:
    """One file's (or Submission's) row; never raises for anything the file contains."""
    name = path.name if isinstance(path, Submission) else str(path)
    try:
        if isinstance(path, Submission):
            if path.sheet is None:
                return Row(name, f"not gradable: {path.error}", student=path.student)
            sheet = path.sheet
        else:
            sheet = read_answers(path)
        report = checker.check_sheet(sheet, source=name)
    except TracerError as err:
        return Row(name, f"not gradable: {err}")
    except Exception as err:  # noqa: BLE001 - a bug must not cost the other students their rows
        return Row(name, f"not gradable: internal error ({type(err).__name__}); please report it")
    return Row(name, "graded", report.student or "", report.points, report.max_points,
               report.first_error or "", report, diagnosis_count(report) if getattr(checker, "diagnosis", True) else None)


def grade_all(checker: Checker, files: list[Path], jobs: int = 1, reports: bool = True) -> Iterable[Row]:
    """grade_one of each file, in order; with `jobs` > 1 in a pool of processes (tracer.pool),
    which changes nothing but the time: every file is graded alone, and rows come back in order.
    Without `reports`, a row graded in a pool keeps only its report's Verdicts (all a gradebook reads)."""
    slim = not reports and pooled(len(files), jobs)
    if pooled(len(files), jobs) and hasattr(checker, "prepare"):  # a VariantChecker: variants drawn ahead
        checker.prepare(files, jobs)
    return ordered_map(_graded_row if slim else grade_one, files, state=checker, jobs=jobs)


@dataclass(frozen=True)
class Verdicts:
    """What a gradebook row needs of a report: sending a whole Report back from a worker costs
    about a tenth of grading the file (its numbers are numpy scalars), this a hundredth."""
    exit_code: int
    verdicts: tuple  # (verdict, count) in VERDICTS order

    def counts(self) -> dict[str, int]:
        return dict(self.verdicts)


def _graded_row(checker: Checker, path: str | Path) -> Row:
    row = grade_one(checker, path)
    if row.report is not None:
        row.report = Verdicts(row.report.exit_code, tuple(row.report.counts().items()))
    return row


class Progress:
    """A one-line progress bar on a terminal's stderr."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None,
                 label: str = "grading"):
        self.total, self.stream, self.label = total, stream or sys.stderr, label
        if enabled is None:
            enabled = total >= PROGRESS_MIN and getattr(self.stream, "isatty", lambda: False)()
        self.enabled = enabled
        self._last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or (done < self.total and now - self._last < 0.1):
            return
        self._last = now
        width = 30
        filled = width * done // max(self.total, 1)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


@dataclass
class Batch:
    rows: list[Row]

    @property
    def exit_code(self) -> int:
        """2 if a file was not gradable, else 1 if an answer was not correct, else 0."""
        if any(not r.graded for r in self.rows):
            return 2
        return max((r.report.exit_code for r in self.rows), default=0)

    def summary(self) -> str:
        graded = sum(r.graded for r in self.rows)
        return f"graded {graded} of {len(self.rows)} files; {len(self.rows) - graded} not gradable"


def write_gradebook(checker: Checker, files: list[Path | Submission], out: str | Path,
                    progress: bool | None = None, stream: TextIO | None = None, jobs: int = 1) -> Batch:
    """Grade `files` (paths or Submissions) into the CSV `out` (columns COLUMNS), one row per file, in order
    (`jobs`: grade_all; a row graded in a pool carries its report's Verdicts, not the whole Report)."""
    bar = Progress(len(files), stream, progress)
    rows: list[Row] = []
    inputs = [f for f in files if not isinstance(f, Submission)]
    with atomic_open(check_output(out, inputs, what="gradebook"), newline="") as fh:
        fh.write(csv_line(COLUMNS))
        for n, row in enumerate(grade_all(checker, files, jobs, reports=False), start=1):
            rows.append(row)
            fh.write(csv_line(row.cells()))
            bar.update(n)
    return Batch(rows)
