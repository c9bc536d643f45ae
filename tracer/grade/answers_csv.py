"""Answer files as CSV: `key,value` rows, a value a number or a bracketed list like [0.1, 0.2]."""

from __future__ import annotations

import csv
import io
import re

from .answer_values import META_KEYS, AnswerError, parse_number, show

_TOKEN = re.compile(r"\s*(?:(\[)|(\])|(,)|([^\[\],\s]+))")


def _cell_value(cell: str, where: str):
    """A CSV value cell: empty (not answered), a number, or a bracketed list like [0.1, 0.2]."""
    cell = cell.strip()
    if not cell:
        return None
    if not cell.startswith("["):
        return parse_number(cell, where)
    stack: list[list] = []
    result = None
    expect_item = True
    for m in _TOKEN.finditer(cell):  # every character falls in some token
        if m.group(1):
            if len(stack) >= 2 or not expect_item:
                raise AnswerError(f"{where}: {show(cell)}: a value is a number, a list or a list of rows")
            stack.append([])
        elif m.group(2):
            if not stack:
                raise AnswerError(f"{where}: {show(cell)}: unbalanced brackets")
            if expect_item and stack[-1]:
                raise AnswerError(f"{where}: {show(cell)}: misplaced comma")
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            else:
                result = done
            expect_item = False
        elif m.group(3):
            if not stack or expect_item:
                raise AnswerError(f"{where}: {show(cell)}: misplaced comma")
            expect_item = True
        else:
            if not stack or not expect_item or result is not None:
                raise AnswerError(f"{where}: {show(cell)} is not a list of numbers")
            stack[-1].append(parse_number(m.group(4), where))
            expect_item = False
    if stack or result is None:
        raise AnswerError(f"{where}: {show(cell)}: unbalanced brackets")
    return result


def from_csv(text: str):
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise AnswerError(f"not valid CSV: {err}") from None
    doc: dict = {}
    for n, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells or cells[0].startswith("#"):
            continue
        if n == 1 and [c.lower() for c in cells] == ["key", "value"]:
            continue
        while "[" in cells[0] and "]" not in cells[0] and len(cells) > 1:  # iter1.W1[2,1] unquoted
            cells[0:2] = [cells[0] + "," + cells[1]]
        if len(cells) > 2:
            raise AnswerError(f"row {n}: expected key,value (put a list in quotes: \"[0.1, 0.2]\"), got {len(cells)} cells")
        key = cells[0]
        if key in doc:
            raise AnswerError(f"row {n}: duplicate key {show(key)}")
        value = cells[1] if len(cells) > 1 else ""
        doc[key] = value if key in META_KEYS else _cell_value(value, f"row {n} ({show(key)})")
    return doc


