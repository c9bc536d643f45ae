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

import json
import os
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from ..files import FileError, read_limited
from ..problem.safeload import LoadError, Refused, _Loader, fast_load, fast_loader
from .answer_values import (  # noqa: F401 - the answer model is read from here too
    MAX_BYTES,
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_ID,
    MAX_KEY,
    MAX_NUMBER,
    META_KEYS,
    NUMBER_RULE,
    STUDENT_KEYS,
    VARIANT_KEY,
    AnswerError,
    AnswerSheet,
    Entry,
    Number,
    describe,
    numbers,
    parse_number,
    show,
)
from .answers_csv import from_csv

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


_FAST = fast_loader(_AnswerLoader, MAX_DEPTH)


def _from_yaml(text: str):
    try:  # libyaml first; anything it refuses, the Python loader reads and says what is wrong
        return fast_load(text, _FAST)
    except Refused:
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


# -- files and documents -------------------------------------------------------------


def read_bytes(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """At most `max_bytes` of a regular file; never blocks on a pipe or device; never a link."""
    if os.path.islink(path):
        raise AnswerError("symbolic link (not followed)")
    try:
        return read_limited(path, max_bytes)
    except FileError as err:
        raise AnswerError(str(err)) from None


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
        doc = from_csv(data)
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
        raise AnswerError(f"expected a mapping of quantity: answer, got {describe(doc)}")
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
        raise AnswerError(f"{key}: expected an id (text), got {describe(value)}")
    text = str(value).strip()
    if len(text) > MAX_ID:
        raise AnswerError(f"{key}: an id of at most {MAX_ID} characters, got {len(text)}")
    if _has_control(text):
        raise AnswerError(f"{key}: {show(text)} contains control characters")
    return text or None


