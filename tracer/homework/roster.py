"""Class rosters: a CSV file whose student ids name the variants.

The id column is the first whose header is one of ID_HEADERS (any case, spaces
as underscores); without such a header, the first column of every row is an id.
Blank rows and rows starting with `#` are skipped. Ids must be usable as file
names (see variants.check_id) and appear once.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import TracerError

ID_HEADERS = ("id", "student", "student_id", "studentid", "username")


def read_roster(path: str | Path) -> list[str]:
    """The ids, in file order."""
    from .variants import check_id

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        reason = "not UTF-8 text" if isinstance(err, UnicodeDecodeError) else (err.strerror or str(err))
        raise TracerError(f"{path}: cannot read the roster: {reason}") from None
    try:
        rows = [(n, [c.strip() for c in row]) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1)]
    except csv.Error as err:
        raise TracerError(f"{path}: not valid CSV: {err}") from None
    rows = [(n, r) for n, r in rows if any(r) and not r[0].startswith("#")]
    if not rows:
        raise TracerError(f"{path}: the roster has no students")
    column = 0
    header = [c.lower().replace(" ", "_") for c in rows[0][1]]
    for name in ID_HEADERS:
        if name in header:
            column = header.index(name)
            rows = rows[1:]
            break
    ids, seen = [], {}
    for n, row in rows:
        vid = row[column] if column < len(row) else ""
        check_id(vid, f"{path}, row {n}")
        if vid in seen:
            raise TracerError(f"{path}, row {n}: student id {vid!r} already on row {seen[vid]}")
        seen[vid] = n
        ids.append(vid)
    if not ids:
        raise TracerError(f"{path}: the roster has no students")
    return ids
