"""The part of safeload that needs no YAML parser: what every loaded value must be, the capped file
read, and JSON.

Kept apart from tracer.problem.safeload so that a JSON spec, and a YAML spec's parse read back
from the cache (tracer.problem.spec_cache), are read and checked exactly as safeload reads and
checks them, without importing PyYAML.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from ..errors import TracerError
from ..files import FileError, read_limited

MAX_BYTES = 1 << 20  # 1 MiB: far more than any spec or answer sheet needs
MAX_DEPTH = 32


class LoadError(TracerError):
    """The file could not be read as YAML/JSON of an acceptable size and shape."""


def read_raw(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """A regular file's bytes, at most max_bytes; LoadError naming the file otherwise."""
    path = Path(path)
    try:
        return read_limited(path, max_bytes)
    except FileError as err:
        raise LoadError(f"{path}: {err}") from None


def reject_constant(name):
    """json.loads's parse_constant: NaN and infinities are refused."""
    raise LoadError(f"{name} is not allowed: numbers must be finite")


_PLAIN = (str, int, float, bool, type(None))


# Control characters other than tab and line breaks: no output format can carry them
# (XML 1.0 forbids them, terminals act on them).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _plain_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise LoadError(f"{where or 'document'}: text with a character UTF-8 cannot carry "
                        f"({text[err.start:err.end]!a})") from None
    bad = _CONTROL.search(text)
    if bad:
        raise LoadError(f"{where or 'document'}: text with a control character ({bad.group()!a})")


def check_value(obj, where: str, depth: int) -> None:
    """LoadError naming the place of the first value that is not plain, finite and printable text."""
    if depth > MAX_DEPTH:
        raise LoadError(f"{where or 'document'}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(obj, float) and not math.isfinite(obj):
        raise LoadError(f"{where or 'document'}: {obj} is not allowed: numbers must be finite")
    if isinstance(obj, str):
        _plain_text(obj, where)
    elif not isinstance(obj, (dict, list, *_PLAIN)):
        kind = {"date": "a date", "datetime": "a date and time", "bytes": "binary data", "set": "a set"}.get(
            type(obj).__name__, f"a value of type {type(obj).__name__}")
        raise LoadError(f"{where or 'document'}: {kind} is not allowed here; write a number or "
                        "quoted text")
    if isinstance(obj, dict):
        for key, value in obj.items():
            name = f"{where}.{key!s}" if where else f"{key!s}"
            if not isinstance(key, _PLAIN):
                raise LoadError(f"{name!a}: a key must be text or a number")
            if isinstance(key, str):
                _plain_text(key, where or "document")
                if not key.isprintable():
                    raise LoadError(f"{where or 'document'}: key {key!a} contains control characters")
            check_value(value, name, depth + 1)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            check_value(value, f"{where}[{i}]", depth + 1)


def decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LoadError(f"{path}: not UTF-8 text") from None


def parse_json(text: str):
    """JSON text as Python values (unchecked); NaN and infinities refused; LoadError for bad JSON."""
    try:
        return json.loads(text, parse_constant=reject_constant)
    except RecursionError:
        raise LoadError(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as err:
        raise LoadError(f"not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}") from None


def parse_json_file(path: Path, raw: bytes):
    """A .json file's bytes parsed and checked (no YAML parser needed); errors name the file."""
    text = decode(path, raw)
    try:
        obj = parse_json(text)
        check_value(obj, "", 0)
    except LoadError as err:
        raise LoadError(f"{path}: {err}") from None
    return obj
