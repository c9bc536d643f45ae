"""Parsed specs kept between processes: a warm handout reads its spec without importing PyYAML.

Importing PyYAML (its reader compiles one large regular expression) takes a handout longer than
parsing its spec does. So what tracer.problem.safeload makes of a YAML spec is kept as JSON in
the cache folder (tracer.cache), `specs/<key>.json`, the key the SHA-256 of everything the parse
depends on: FORMAT, our version, PyYAML's version, the source of safeload and plain, and the file's
bytes. A spec is kept only when JSON carries it exactly (every key text: a YAML key such as `1:`
would come back as "1"). Read back, it passes the same checks as a fresh parse (plain.check_value);
a kept file that cannot be read or does not pass is a miss, and a write that fails is skipped.
With --no-cache nothing is read or written. `bptrace cache clear` removes the folder.

JSON specs (`.json`) are parsed by json (plain.parse_json_file, as safeload does) and kept nowhere.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from .. import cache
from .plain import MAX_BYTES, check_value, parse_json_file, read_raw, reject_constant

FOLDER = "specs"
FORMAT = 1  # bump when what is kept changes meaning


def load_file(path: str | Path, max_bytes: int = MAX_BYTES):
    """safeload.load_file, with the parse of a YAML file remembered by its bytes."""
    path = Path(path)
    raw = read_raw(path, max_bytes)
    if path.suffix.lower() == ".json":
        return parse_json_file(path, raw)
    kept = None if cache.disabled() else cache.cache_dir() / FOLDER / f"{_key(raw)}.json"
    obj = _MISS if kept is None else _read(kept)
    if obj is _MISS:
        from .safeload import parse_raw  # here: only a spec not seen before pays for PyYAML

        obj = parse_raw(path, raw)
        if kept is not None:
            _write(kept, obj)
    return obj


_MISS = object()


def _read(kept: Path):
    try:
        obj = json.loads(kept.read_bytes(), parse_constant=reject_constant)
        check_value(obj, "", 0)
    except Exception:  # noqa: BLE001 - unreadable, torn or tampered with: parse the spec afresh
        return _MISS
    return obj


def _write(kept: Path, obj) -> None:
    if not _json_exact(obj):
        return
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    tmp = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, kept)  # concurrent writers write the same text: whichever lands is whole
    except OSError:  # a read-only or full cache folder: the next run parses again
        try:
            tmp.unlink()
        except OSError:
            pass


def _json_exact(obj) -> bool:
    """Whether json.loads(json.dumps(obj)) gives obj back, type for type (checked values: only keys can differ)."""
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _json_exact(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(map(_json_exact, obj))
    return True


def _key(raw: bytes) -> str:
    digest = hashlib.sha256(_parser_identity())
    digest.update(raw)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _parser_identity() -> bytes:
    """What a parse depends on besides the file: our version, PyYAML's, and safeload's own code
    (so an edited checkout never reads back what an older safeload made of a file)."""
    import importlib.util
    import sys

    here = Path(__file__).parent
    parts = [f"format {FORMAT}".encode(), sys.modules["tracer"].__version__.encode()]
    spec = importlib.util.find_spec("yaml")
    for source in (Path(spec.origin) if spec and spec.origin else None, here / "safeload.py", here / "plain.py"):
        try:
            parts.append(source.read_bytes() if source else b"no yaml")
        except OSError:
            parts.append(b"unreadable")
    return b"\0".join(hashlib.sha256(p).digest() for p in parts)
