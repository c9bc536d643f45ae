"""Quantity paths of docs/quantities.md: `iter1.a1`, `iter2.grad.W1`, `iter1.W1[2,1]`."""

from __future__ import annotations

import re

_ELEMENT = re.compile(r"^(?P<base>[A-Za-z0-9_.]+)(?:\[(?P<idx>\s*\d+\s*(?:,\s*\d+\s*)?)\])?$")


def split_element(path: str) -> tuple[str, tuple[int, ...] | None]:
    """`iter1.W1[2,1]` -> ('iter1.W1', (1, 0)); indices become 0-based. None if no index."""
    m = _ELEMENT.match(path)
    if not m:
        raise KeyError(path)
    idx = m.group("idx")
    if idx is None:
        return m.group("base"), None
    parts = tuple(int(p) - 1 for p in idx.split(","))
    if any(p < 0 for p in parts):
        raise KeyError(path)
    return m.group("base"), parts
