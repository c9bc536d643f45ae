"""repr's text of float64 arrays, byte for byte, in a fraction of repr's time (the JSON export's numbers).

`repr(a.tolist())` writes each float as the shortest decimal that reads back to it. orjson writes the
same digits many times faster (a large net's JSON is millions of numbers), and in the same form from
1e-4 up. Below 1e-4 repr writes an exponent of two digits or more (1.5e-05, 6.6e-10) where orjson
writes none from 1e-5 to 1e-4 (0.000015) and one digit below (1.5e-7): those numbers are written
apart and rewritten in repr's form, all at once (re.sub with groups, or a function per number, would
run Python for every number: as slow as repr). orjson is used only if the installed version writes a
probe of every form as repr does; else, and without orjson, repr writes everything.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np

try:
    import orjson
except ImportError:  # an interpreter orjson has no wheel for: repr writes the same text
    orjson = None

# Floats where a writer's form could differ from repr's: the switch to an exponent at 1e16 and below
# 1e-4, the exponent's sign and width, the band from 1e-5 to 1e-4 and its edges, subnormals.
_PROBE = (1e16, 1.25e22, 1.5e300, 1.7976931348623157e308, 9999999999999998.0, 1e15, 123456789.0,
          0.1, 1e-4, 9.999999999999999e-05, 6.612248326276985e-05, 1e-05, 1.5e-05, 9.99999999999999e-06,
          2.5e-07, 1e-09, 6.6e-10, 1.5e-300, 5e-324, 0.0)
_OPTION = orjson.OPT_SERIALIZE_NUMPY if orjson is not None else 0


def floats_texts(arrays: list[np.ndarray]) -> Iterator[bytes]:
    """`repr((a + 0.0).tolist())` for each finite float64 array `a` in turn, as ASCII bytes: repr's
    text, but -0.0 written 0.0 (the JSON export's rule, applied here in place, where adding 0.0 to
    each array would copy them all).

    The texts are made one at a time: a large net's are tens of megabytes, which a caller that
    writes each one out and drops it never holds at once (memory a process touches for the first
    time costs about as much here as writing the text into it)."""
    if not arrays:
        return iter(())
    if not _orjson_agrees():
        return (repr((a + 0.0).tolist()).encode() for a in arrays)
    return _orjson_texts(arrays)


def _orjson_texts(arrays: list[np.ndarray]) -> Iterator[bytes]:
    """The small numbers of all the arrays are rewritten at once. In each array orjson writes them as
    NaN, which it spells `null` (the arrays are finite, so every `null` is one of them), and each
    `null` is then replaced, in order. orjson joins items with "," where repr writes ", ": the text
    holds only numbers and brackets, so every comma is one such join. The numbers are copied once,
    into one array that is then changed in place (no temporary copy of them all)."""
    flat = np.concatenate([a.ravel() for a in arrays])  # C order, as tolist() and orjson read
    flat += 0.0  # -0.0 -> 0.0
    small = np.flatnonzero((flat > -1e-4) & (flat < 1e-4) & (flat != 0))
    written = _small_texts(flat[small]) if small.size else []
    flat[small] = np.nan
    bounds = np.cumsum([0] + [a.size for a in arrays]).tolist()
    before = np.searchsorted(small, bounds).tolist()  # how many small numbers come before each array
    for k, a in enumerate(arrays):
        text = orjson.dumps(flat[bounds[k]:bounds[k + 1]].reshape(a.shape), option=_OPTION)
        lo, hi = before[k], before[k + 1]
        if hi > lo:
            parts = text.split(b"null")
            pieces = [b""] * (2 * len(parts) - 1)
            pieces[0::2] = parts
            pieces[1::2] = written[lo:hi]
            text = b"".join(pieces)
        yield text.replace(b",", b", ")


def _small_texts(values: np.ndarray) -> list[bytes]:
    """repr's texts of nonzero floats below 1e-4 in magnitude, in order."""
    texts = np.empty(values.size, dtype=object)
    band = np.abs(values) >= 1e-5
    if band.any():
        texts[band] = _exponent_form(_joined(values[band])).split(b",")[:-1]
    if not band.all():
        text = _joined(values[~band])
        for digit in b"123456789":  # 1.5e-7 -> 1.5e-07
            text = text.replace(b"e-%c," % digit, b"e-0%c," % digit)
        texts[~band] = text.split(b",")[:-1]
    return texts.tolist()


def _joined(values: np.ndarray) -> bytes:
    """orjson's texts of `values`, each followed by a comma."""
    return orjson.dumps(values, option=_OPTION)[1:-1] + b","


def _exponent_form(text: bytes) -> bytes:
    """Numbers `0.0000DDD,` (or negative) as `D.DDe-05,`, as one byte array, with no insertions
    (np.insert sorts its places: it was most of the time here). The new form of a number ends at its
    comma, as the old one did, and is one byte shorter (two for a single digit: 0.00001 -> 1e-05).
    So the text moved four bytes left puts every digit after the first in its new place; the first
    digit, the point, `e-05`, the sign and the comma are written in; the bytes left over at the
    front of each number (its `0`, and for a single digit the next byte too) are dropped."""
    raw = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord(","))
    starts = np.r_[0, ends[:-1] + 1]
    zeros = starts + (raw[starts] == ord("-"))  # where `0.0000` starts
    several = ends - zeros > 7  # more than one digit after `0.0000`
    first = zeros + 2 - several  # where the first digit goes: a point follows it, if others do
    out = np.empty_like(raw)
    out[:-4] = raw[4:]
    out[starts] = raw[starts]  # the sign (or a `0`, dropped)
    out[first] = raw[zeros + 6]
    out[first[several] + 1] = ord(".")
    for k, byte in enumerate(b"e-05"):
        out[ends - 4 + k] = byte
    out[ends] = ord(",")
    keep = np.ones(raw.size, dtype=bool)
    keep[zeros] = False
    keep[zeros[~several] + 1] = False
    return out[keep].tobytes()


@functools.cache
def _orjson_agrees() -> bool:
    """Whether the installed orjson, rewritten as above, writes every form in _PROBE as repr does
    (checked once per process; the test suite checks far more floats)."""
    if orjson is None:
        return False
    probe = np.array(_PROBE + tuple(-x for x in _PROBE[:-1]))
    arrays = [probe, probe.reshape(3, -1), probe[:0]]
    return list(_orjson_texts(arrays)) == [repr(a.tolist()).encode() for a in arrays]
