"""Class rosters: a CSV file whose student ids name the variants.

The id column is the first whose header is one of ID_HEADERS (any case, spaces
as underscores); without such a header, the first column of every row is an id.
Blank rows and rows starting with `#` are skipped. Ids must be usable as file
names on every common filesystem (see variants.check_id; not a name Windows
reserves, such as `con` or `COM1`) and appear once, compared without regard to
case (`Alice` and `alice` would be one file on macOS and Windows).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import TracerError
from ..files import FileError, read_limited

ID_HEADERS = ("id", "student", "student_id", "studentid", "username")
MAX_BYTES = 4 << 20  # 4 MiB: a roster of 100,000 students
# Names Windows reserves for devices, with any extension (`con.txt` is the console too).
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def reserved_name(vid: str) -> bool:
    return vid.split(".", 1)[0].lower() in RESERVED


def read_roster(path: str | Path) -> list[str]:
    """The ids, in file order."""
    from .variants import check_id

    try:
        text = read_limited(Path(path), MAX_BYTES).decode("utf-8-sig")
    except (FileError, UnicodeDecodeError) as err:
        reason = "not UTF-8 text" if isinstance(err, UnicodeDecodeError) else str(err)
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
        if reserved_name(vid):
            raise TracerError(f"{path}, row {n}: student id {vid!r} is a name Windows reserves for a "
                              "device; it cannot name the variant's files")
        folded = vid.casefold()
        if folded in seen:
            first, m = seen[folded]
            same = "" if first == vid else f" (as {first!r}; ids that differ only in case name the same file on many systems)"
            raise TracerError(f"{path}, row {n}: student id {vid!r} already on row {m}{same}")
        seen[folded] = (vid, n)
        ids.append(vid)
    if not ids:
        raise TracerError(f"{path}: the roster has no students")
    return ids
