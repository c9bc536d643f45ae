"""Answer files from students: YAML, JSON or CSV, read as untrusted input.

Nothing a student writes is evaluated. Numbers are matched against one strict
grammar (`NUMBER_RULE`) and converted with float() or Fraction; the text as
written is kept, because the default tolerance judges a number to the precision
it was written with (0.8930 is not 0.893). Refused, each with a one-line reason
(`AnswerError`, which the batch records as "not gradable: <reason>"): files
over MAX_BYTES, anything but a regular file, non-UTF-8 text, YAML aliases,
duplicate keys, NaN and infinities, nesting deeper than MAX_DEPTH, keys or a
student id with control characters, more than MAX_ENTRIES answers.

The format is in docs/answers.md.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from .errors import TracerError
from .safeload import LoadError, _Loader

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
    key: str
    raw: Any  # Number, None, a list of those or of lists, or anything else (checked in `numbers`)


@dataclass(frozen=True)
class AnswerSheet:
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
        return Number(float(Fraction(int(m.group(1)), int(m.group(2)))), s, None)
    if _NOT_FINITE.fullmatch(s):
        raise AnswerError(f"{where}: {show(s)} is not allowed: numbers must be finite")
    raise AnswerError(f"{where}: {show(s)} is not a number; write {NUMBER_RULE}")


# -- YAML and JSON, keeping each number's text --------------------------------------


class _AnswerLoader(_Loader):
    """safeload's loader (no aliases, no duplicate keys), numbers kept as written, depth capped."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise AnswerError(f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_number(loader, node):
    return parse_number(loader.construct_scalar(node), f"line {node.start_mark.line + 1}")


for _tag in ("int", "float"):
    _AnswerLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_number)


try:  # libyaml's parser and composer (C), with our resolver and constructors: ~6x faster
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python loader does everything
    CParser = None

if CParser is not None:
    class _FastLoader(CParser, _AnswerLoader):
        """The C parser for well-behaved files. The composer is C, so the Python checks
        (aliases, depth) run on the composed tree before construction."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def get_single_data(self):
            node = self.get_single_node()
            if node is None:
                return None
            level, seen, depth = [node], set(), 0
            while level:  # level by level
                depth += 1
                nodes = len(seen) + len(level)
                seen.update(map(id, level))
                if len(seen) != nodes or depth > MAX_DEPTH:
                    raise _Refused  # an alias (a node met twice) or too deep: the Python loader says where
                below = []
                for n in level:
                    if type(n) is yaml.MappingNode:
                        for pair in n.value:
                            below += pair
                    elif type(n) is yaml.SequenceNode:
                        below += n.value
                level = below
            return self.construct_document(node)


class _Refused(Exception):
    pass


# Every level of YAML nesting starts at one of these characters ([, {, a block entry -,
# a key's : or ?), so their count bounds how deep libyaml's recursive C composer can go.
# 10,000 levels are fine, 120,000 crash the interpreter: the fast path takes files with
# at most FAST_MAX_INDICATORS (every real answer sheet; the lecture's has ~300).
FAST_MAX_INDICATORS = 2000


def _fast_ok(text: str) -> bool:
    return sum(text.count(ch) for ch in "[{-:?") <= FAST_MAX_INDICATORS


def _from_yaml(text: str):
    # Anything that could nest deeply goes to the Python loader, which stops at MAX_DEPTH.
    # Any file the fast path refuses or fails on is re-read by the Python loader, so every
    # message comes from one place.
    if CParser is not None and _fast_ok(text):
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - SafeConstructor based
        except Exception:  # noqa: BLE001 - the slow path below is authoritative
            pass
    try:
        return yaml.load(text, Loader=_AnswerLoader)  # noqa: S506 - a SafeLoader subclass
    except (AnswerError, LoadError) as err:
        raise AnswerError(str(err)) from None
    except RecursionError:
        raise AnswerError(f"nested deeper than {MAX_DEPTH} levels") from None
    except yaml.reader.ReaderError as err:
        raise AnswerError(f"not valid YAML (character {err.position + 1}): character #x{err.character:04x} is not allowed") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        place = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise AnswerError(f"not valid YAML{place}: {str(err.problem).splitlines()[0] if err.problem else 'syntax error'}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as err:  # e.g. a date 2024-02-30
        raise AnswerError(f"not valid YAML: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None


def _pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise AnswerError(f"duplicate key {show(key)}")
        out[key] = value
    return out


def _reject_constant(name):
    raise AnswerError(f"{name} is not allowed: numbers must be finite")


def _from_json(text: str):
    where = "JSON"
    try:
        return json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_reject_constant,
            parse_float=lambda s: parse_number(s, where), parse_int=lambda s: parse_number(s, where),
        )
    except RecursionError:
        raise AnswerError(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as err:
        raise AnswerError(f"not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}") from None


# -- CSV: key,value rows ----------------------------------------------------------------

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


def _from_csv(text: str):
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


# -- files and documents -------------------------------------------------------------


def read_bytes(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """At most `max_bytes` of a regular file; never blocks on a pipe or device."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise AnswerError(f"cannot read: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise AnswerError("not a regular file")
        if info.st_size > max_bytes:
            raise AnswerError(f"file is {info.st_size} bytes, more than the {max_bytes}-byte limit")
        chunks, size = [], 0
        while size <= max_bytes:  # the file may grow while we read
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as err:
        raise AnswerError(f"cannot read: {err.strerror or err}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise AnswerError(f"file is more than the {max_bytes}-byte limit")
    return data


def read_answers(path: str | Path) -> AnswerSheet:
    """An answer file: .csv as CSV, .json as JSON, anything else as YAML (or JSON if it starts with '{')."""
    return parse_answers(read_bytes(path), Path(path).suffix.lower().lstrip("."))


def parse_answers(data: bytes | str, fmt: str = "yaml") -> AnswerSheet:
    """Parse answer text; `fmt` is 'yaml', 'yml', 'json' or 'csv' (others: sniffed as YAML/JSON)."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise AnswerError(f"more than the {MAX_BYTES}-byte limit")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AnswerError("not UTF-8 text") from None
    if "\x00" in data:
        raise AnswerError("contains NUL bytes: not a text file")
    if fmt == "csv":
        doc = _from_csv(data)
    elif fmt == "json" or (fmt not in ("yaml", "yml") and data.lstrip().startswith("{")):
        doc = _from_json(data)
    else:
        doc = _from_yaml(data)
    return sheet_from_document(doc)


def sheet_from_document(doc: Any) -> AnswerSheet:
    """A parsed document -> AnswerSheet: nested mappings flatten to dotted keys."""
    if doc is None:
        return AnswerSheet(None, ())
    if not isinstance(doc, dict):
        raise AnswerError(f"expected a mapping of quantity: answer, got {_describe(doc)}")
    student = None
    for key in STUDENT_KEYS:
        if key in doc:
            if student is not None:
                raise AnswerError("give the student id once (student or student_id)")
            student = _student_id(doc[key], key)
    variant = _student_id(doc[VARIANT_KEY], VARIANT_KEY) if VARIANT_KEY in doc else None
    entries: list[Entry] = []
    _flatten({k: v for k, v in doc.items() if k not in META_KEYS}, "", entries, 0)
    seen = set()
    for entry in entries:
        if entry.key in seen:
            raise AnswerError(f"duplicate key {show(entry.key)}")
        seen.add(entry.key)
    return AnswerSheet(student, tuple(entries), variant)


def _flatten(mapping: dict, prefix: str, out: list, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise AnswerError(f"nested deeper than {MAX_DEPTH} levels")
    for key, value in mapping.items():
        name = prefix + _key_text(key)
        if isinstance(value, dict):
            _flatten(value, name + ".", out, depth + 1)
            continue
        out.append(Entry(name, value))
        if len(out) > MAX_ENTRIES:
            raise AnswerError(f"more than {MAX_ENTRIES} answers")


def _key_text(key: Any) -> str:
    if isinstance(key, Number):
        text = key.text
    elif isinstance(key, str):
        text = key
    elif isinstance(key, bool) or key is None:
        text = str(key).lower()
    else:
        text = str(key)
    if len(text) > MAX_KEY:
        raise AnswerError(f"key {show(text)} is longer than {MAX_KEY} characters")
    if _has_control(text):
        raise AnswerError(f"key {show(text)} contains control characters")
    return text.strip()


def _has_control(text: str) -> bool:
    """Any character of Unicode category C (control, format such as bidi overrides, unassigned, ...)."""
    return not text.isprintable() and any(unicodedata.category(ch)[0] == "C" for ch in text)


def _student_id(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, Number):
        value = value.text
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise AnswerError(f"{key}: expected an id (text), got {_describe(value)}")
    text = str(value).strip()
    if len(text) > MAX_ID:
        raise AnswerError(f"{key}: an id of at most {MAX_ID} characters, got {len(text)}")
    if _has_control(text):
        raise AnswerError(f"{key}: {show(text)} contains control characters")
    return text or None


def _describe(value: Any) -> str:
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
        raise AnswerError(f"{w}: expected a number, got {_describe(v)}")

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
