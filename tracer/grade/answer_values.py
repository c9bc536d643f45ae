"""What a student's answer is made of: numbers as written, entries, sheets, and their limits.

Numbers are matched against one strict grammar (`NUMBER_RULE`) and converted with
float() or Fraction, never evaluated; the text as written is kept, because the
default tolerance judges a number to the precision it was written with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import TracerError

MAX_BYTES = 256 * 1024
MAX_DEPTH = 16
MAX_ENTRIES = 10_000
MAX_KEY = 200
MAX_NUMBER = 60  # characters in one number
MAX_ID = 64
STUDENT_KEYS = ("student", "student_id")
VARIANT_KEY = "variant"  # which homework variant a sheet answers (see tracer.variants)
META_KEYS = (*STUDENT_KEYS, VARIANT_KEY)  # metadata, never quantities
NUMBER_RULE = "a decimal (0.8934, -2, .5), scientific (1.2e-3) or a fraction of whole numbers (3/7)"

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_FRACTION = re.compile(r"([+-]?\d{1,18})\s*/\s*(\d{1,18})", re.ASCII)
_NOT_FINITE = re.compile(r"[+-]?\.?(?:nan|inf|infinity)", re.IGNORECASE)


class AnswerError(TracerError):
    """An answer file that cannot be graded; str() is the reason."""


@dataclass(frozen=True)
class Number:
    """A number as the student wrote it."""

    value: float
    text: str
    place: float | None  # place value of the last written digit (0.8934 -> 1e-4); None: exact fraction


@dataclass(frozen=True)
class Entry:
    """One answered key of a sheet and its value as read."""

    key: str
    raw: Any  # Number, None, a list of those or of lists, or anything else (checked in `numbers`)


@dataclass(frozen=True)
class AnswerSheet:
    """An answer file as read: the student, the entries in file order, the variant answered."""

    student: str | None
    entries: tuple[Entry, ...]
    variant: str | None = None


def show(text: Any, limit: int = 40) -> str:
    """A student's text, safe for one line of a report: quoted, escaped, shortened."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)


def parse_number(text: str, where: str) -> Number:
    """`text` as a Number, or AnswerError naming `where`."""
    s = text.strip()
    if len(s) > MAX_NUMBER:
        raise AnswerError(f"{where}: a number of {len(s)} characters is too long")
    if _DECIMAL.fullmatch(s):
        value = float(s)
        if value in (float("inf"), float("-inf")):
            raise AnswerError(f"{where}: {show(s)} is too large")
        mantissa, _, exponent = s.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        place = 10.0 ** min(int(exponent or 0) - decimals, 308)  # 0e999 is a finite 0 with a huge place
        return Number(value, s, place)
    m = _FRACTION.fullmatch(s)
    if m:
        if int(m.group(2)) == 0:
            raise AnswerError(f"{where}: {show(s)} divides by zero")
        from fractions import Fraction  # here: only a number written as a fraction needs it

        return Number(float(Fraction(int(m.group(1)), int(m.group(2)))), s, None)
    if _NOT_FINITE.fullmatch(s):
        raise AnswerError(f"{where}: {show(s)} is not allowed: numbers must be finite")
    raise AnswerError(f"{where}: {show(s)} is not a number; write {NUMBER_RULE}")


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, Number):
        return f"the number {value.text}"
    if isinstance(value, str):
        return f"the text {show(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"



def numbers(raw: Any, where: str):
    """An answer's value as Number | None | [Number | None, ...] | [[...], ...] (rows).

    Strings are parsed with the number grammar; anything else that is not a number,
    a list of numbers or a list of rows is an AnswerError naming `where`.
    """
    def leaf(v, w):
        if v is None or isinstance(v, Number):
            return v
        if isinstance(v, str):
            return None if not v.strip() else parse_number(v, w)
        raise AnswerError(f"{w}: expected a number, got {describe(v)}")

    if not isinstance(raw, list):
        return leaf(raw, where)
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, list):
            out.append(leaf(item, f"{where}[{i}]"))
            continue
        if any(isinstance(v, list) for v in item):
            raise AnswerError(f"{where}: a value is a number, a list or a list of rows, not deeper lists")
        out.append([leaf(v, f"{where}[{i}][{j}]") for j, v in enumerate(item, start=1)])
    return out
