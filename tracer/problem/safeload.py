"""Load YAML or JSON that may come from anyone: specs and student answer files.

Nothing here evaluates anything. YAML goes through PyYAML's SafeLoader with
three changes: aliases are refused (no billion-laughs), duplicate keys are
refused (a silent overwrite hides mistakes), and `1e-3` reads as a float as
it does in YAML 1.2 and JSON (PyYAML's YAML 1.1 rules would read a string).
NaN and infinities are refused here, whatever the format, and so is every value
that is not a mapping, list, text, number, boolean or null (YAML dates, binary,
sets), and text UTF-8 cannot carry (lone surrogates such as "\ud800"): every
consumer only ever sees plain, finite, writable values. Only regular files are
read, and never more than MAX_BYTES.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .plain import MAX_BYTES, MAX_DEPTH, LoadError, check_value, decode, parse_json, parse_json_file, read_raw


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise LoadError(f"line {event.start_mark.line + 1}: YAML aliases are not allowed")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise LoadError(f"line {key_node.start_mark.line + 1}: a key must be a plain value")
            if duplicate:
                raise LoadError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 floats: also `1e-3`, `2E5`, `.5` without the 1.1 rule's required dot.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


try:  # libyaml's parser and composer (C), with our resolver and constructors: ~6x faster
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python loader does everything
    CParser = None


class Refused(Exception):
    """The fast loader's way of saying: let the Python loader read this file (and say what is wrong)."""


# Every level of YAML nesting starts at one of these characters ([, {, a block entry -,
# a key's : or ?), so their count bounds how deep libyaml's recursive C composer can go.
# 10,000 levels are fine, 120,000 crash the interpreter: the fast path takes files with
# at most FAST_MAX_INDICATORS (every real spec and answer sheet; the lecture's spec has ~300).
FAST_MAX_INDICATORS = 2000


def fast_loader(loader: type, max_depth: int = MAX_DEPTH) -> type | None:
    """`loader` (a SafeLoader subclass) with libyaml's C parser and composer, for well-behaved files;
    None without libyaml. The composer is C, so the Python checks of `loader.compose_node` (aliases,
    depth) run on the composed tree instead, before construction, raising Refused; its resolver and
    constructors (duplicate keys, YAML 1.2 floats) are the Python ones. `max_depth`: deeper trees are
    refused (the Python loader says where). Use it through `fast_load`."""
    if CParser is None:
        return None

    class Fast(CParser, loader):
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
                if len(seen) != nodes or depth > max_depth:
                    raise Refused  # an alias (a node met twice) or too deep: the Python loader says where
                below = []
                for n in level:
                    if type(n) is yaml.MappingNode:
                        for pair in n.value:
                            below += pair
                    elif type(n) is yaml.SequenceNode:
                        below += n.value
                level = below
            return self.construct_document(node)

    Fast.__name__ = Fast.__qualname__ = f"Fast{loader.__name__}"
    return Fast


def fast_load(text: str, fast: type | None):
    """`text` read by `fast` (from fast_loader); Refused for anything that could nest deeply and for
    any file it refuses or fails on, so that the Python loader re-reads it and every message comes
    from one place."""
    if fast is None or sum(text.count(ch) for ch in "[{-:?") > FAST_MAX_INDICATORS:
        raise Refused
    try:
        return yaml.load(text, Loader=fast)  # noqa: S506 - SafeConstructor based
    except Exception:  # noqa: BLE001 - the Python loader is authoritative
        raise Refused from None


_FAST = fast_loader(_Loader)


def parse_text(text: str, fmt: str):
    """Parse ``text`` as ``fmt`` ('yaml' or 'json'); raise LoadError on anything unsafe."""
    if fmt == "json":
        obj = parse_json(text)
    else:
        try:
            obj = fast_load(text, _FAST)
        except Refused:
            obj = _python_yaml(text)
    check_value(obj, "", 0)
    return obj


def _python_yaml(text: str):
    """The authoritative reader: PyYAML's Python loader, which says where a file goes wrong."""
    try:
        obj = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except RecursionError:
        raise LoadError(f"nested deeper than {MAX_DEPTH} levels") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        place = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise LoadError(f"not valid YAML{place}: {err.problem}") from None
    except yaml.reader.ReaderError as err:  # its str() spans two lines
        raise LoadError(f"not valid YAML (character {err.position + 1}): character #x{err.character:04x} is not allowed") from None
    except yaml.YAMLError as err:
        raise LoadError(f"not valid YAML: {str(err).splitlines()[0]}") from None
    return obj


def load_file(path: str | Path, max_bytes: int = MAX_BYTES):
    """Read a .yaml/.yml/.json file (JSON is also tried for other suffixes via YAML)."""
    return parse_raw(Path(path), read_raw(path, max_bytes))


def parse_raw(path: Path, raw: bytes):
    """A file's bytes (from plain.read_raw) parsed by its suffix; errors name the file."""
    if path.suffix.lower() == ".json":
        return parse_json_file(path, raw)
    text = decode(path, raw)
    try:
        return parse_text(text, "yaml")
    except LoadError as err:
        raise LoadError(f"{path}: {err}") from None
