"""repr's text of float64 arrays, byte for byte, in a fraction of repr's time (the JSON export's numbers).

`repr(a.tolist())` writes each float as the shortest decimal that reads back to it. orjson writes the
same digits many times faster (a large net's JSON is millions of numbers), and in the same form from
1e-4 up and below 1e-9. In between repr writes an exponent of two digits (1.5e-05, 2.5e-07) where
orjson writes none from 1e-5 to 1e-4 (0.000015) and one digit from 1e-9 to 1e-5 (2.5e-7): the numbers
below 1e-4 are written apart and rewritten in repr's form, all at once (re.sub with groups, or a
function per number, would run Python for every number: as slow as repr). orjson is used only if the
installed version writes a probe of every form as repr does; else, and without orjson, repr writes
everything.
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
_ONE_DIGIT = np.array([float(f"{d}e-05") for d in range(1, 10)])


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
    """repr's texts of nonzero floats below 1e-4 in magnitude, in order. orjson writes each range in
    its own form, mended here a range at a time: from 1e-5 `0.000015` (repr: 1.5e-05), from 1e-9
    `2.5e-7` (2.5e-07), below that as repr does. The nine numbers of one digit from 1e-5 (`0.00003`,
    repr: 3e-05) are left to repr: the band's rewriting counts on two digits or more."""
    size = np.abs(values)
    one_digit = np.isin(size, _ONE_DIGIT)
    texts = np.empty(values.size, dtype=object)
    for where, write in (((size >= 1e-5) & ~one_digit, _band_texts),
                         ((size >= 1e-9) & (size < 1e-5), _exponent_texts),
                         (size < 1e-9, _orjson_items),
                         (one_digit, _repr_texts)):
        if where.any():
            texts[where] = write(values[where])
    return texts.tolist()


def _joined(values: np.ndarray) -> bytes:
    """orjson's texts of `values`, each followed by a comma."""
    return orjson.dumps(values, option=_OPTION)[1:-1] + b","


def _orjson_items(values: np.ndarray) -> list[bytes]:
    return _joined(values).split(b",")[:-1]


def _exponent_texts(values: np.ndarray) -> list[bytes]:
    """From 1e-9 to 1e-5 every exponent has one digit, and is the only text starting `e-`."""
    return _joined(values).replace(b"e-", b"e-0").split(b",")[:-1]


def _repr_texts(values: np.ndarray) -> list[bytes]:
    return [repr(x).encode() for x in values.tolist()]


def _band_texts(values: np.ndarray) -> list[bytes]:
    """repr's texts of numbers from 1e-5 to 1e-4 of two digits or more, from orjson's `0.0000DDD,`
    (or negative): `D.DDe-05`. They are rewritten in one byte array, with nothing inserted or
    removed (np.insert sorts its places, a mask copies the whole text: either was most of the time
    here). A number's new form is one byte shorter and starts where the old one did, so the text
    moved five bytes left puts every digit after the first in its new place; the first digit, the
    point, `e-05`, the sign and the comma are written in, and the byte left over before each comma
    is an `x`, which the split drops with the comma."""
    text = _joined(values)
    raw = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord(","))
    starts = np.r_[0, ends[:-1] + 1]
    negative = raw[starts] == ord("-")
    zeros = starts + negative  # where `0.0000` starts, and now the first digit
    out = np.empty_like(raw)
    out[:-5] = raw[5:]
    out[starts[negative]] = ord("-")
    out[zeros] = raw[zeros + 6]
    out[zeros + 1] = ord(".")
    for k, byte in enumerate(b"e-05x,"):
        out[ends - 5 + k] = byte
    return out.tobytes().split(b"x,")[:-1]


@functools.cache
def _orjson_agrees() -> bool:
    """Whether the installed orjson, rewritten as above, writes every form in _PROBE as repr does
    (checked once per process; the test suite checks far more floats)."""
    if orjson is None:
        return False
    probe = np.array(_PROBE + tuple(-x for x in _PROBE[:-1]))
    arrays = [probe, probe.reshape(3, -1), probe[:0]]
    return list(_orjson_texts(arrays)) == [repr(a.tolist()).encode() for a in arrays]
