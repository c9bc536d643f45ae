"""`--to json`: {"spec": {...}, "values": {PATH: number | list | list of rows}}, full precision.

Non-finite values (an infinite dL/dyhat at saturation) are written as the
strings "inf", "-inf" or "nan", since JSON has no such numbers.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator

import numpy as np

from ..engine.trace import Trace
from ..problem.validate import with_written_text as _as_written
from .float_text import floats_texts


class _Digits(float):
    """An exact-arithmetic number: a float to Python, all its digits in the JSON text."""

    def __new__(cls, value):
        obj = super().__new__(cls, float(value))
        obj.text = str(value)
        return obj

    def __repr__(self):
        return self.text


def _plain(value):
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value]
    if not isinstance(value, (float, int, np.floating, np.integer)):  # mpmath: keep every digit
        if math.isfinite(float(value)):
            return _Digits(value)
    value = float(value)
    if math.isfinite(value):
        return value + 0.0  # -0.0 (e.g. a gradient through a zero input) exports as 0.0
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def spec_dict(trace: Trace) -> dict:
    """The problem as run: its fields with parameters and data resolved (after init draws)."""
    p = trace.problem
    if p.kind == "graph":
        return _graph_spec(trace)
    spec = {
        "title": p.title,
        "layers": list(p.layers),
        "activation": list(p.activations),
        "loss": p.loss,
        "params": {k: _as_written(_plain(v), p.written.get(k)) for k, v in p.params.items()},
        # loss none has no targets; a perceptron (whose loss is also "none") learns from its labels
        "data": [{"x": _as_written(_plain(e.x), p.written.get(f"data[{i}].x")),
                  "y": _as_written(_plain(e.y), p.written.get(f"data[{i}].y"))}
                 if p.loss != "none" or p.kind == "perceptron"
                 else {"x": _as_written(_plain(e.x), p.written.get(f"data[{i}].x"))} for i, e in enumerate(p.data)],
        "learning_rate": getattr(p.learning_rate, "text", p.learning_rate),
        "iterations": p.iterations,
        "mode": p.mode,
        "decimals": p.decimals,
        "l2": getattr(p.l2, "text", p.l2),
        "frozen": list(p.frozen),
        "arithmetic": trace.arithmetic,
    }
    if getattr(p, "rule", "backprop") != "backprop":  # a perceptron: its rule, and no loss
        del spec["loss"]
        spec["rule"] = p.rule
    if p.learning_rate is None:
        del spec["learning_rate"]
    if p.sig_figs is not None:  # the conventions, where they are not the defaults
        del spec["decimals"]
        spec["sig_figs"] = p.sig_figs
    if p.loss in ("sse", "mse"):
        spec["loss_half"] = p.loss_half
    if p.batch_loss != "mean":
        spec["batch_loss"] = p.batch_loss
    if p.show:
        spec["show"] = list(p.show)
    if p.batch_size is not None:
        spec["batch_size"] = p.batch_size
    if p.shuffle_seed is not None:
        spec["shuffle_seed"] = p.shuffle_seed
    return spec


def _graph_spec(trace: Trace) -> dict:
    """A graph as run: inputs (a value written as an expression keeps its text), nodes as written."""
    p = trace.problem
    inputs = {n: getattr(v, "text", None) or float(v) for n, v in p.inputs}
    return {
        "title": p.title,
        "graph": {"inputs": inputs, "nodes": {n.name: n.text for n in p.nodes}, "output": p.output},
        "decimals": p.decimals,
        "arithmetic": trace.arithmetic,
    }


def to_json(trace: Trace) -> str:
    return b"".join(json_pieces(trace)).decode()


def json_pieces(trace: Trace) -> Iterator[bytes]:
    """to_json's text, UTF-8 encoded, in pieces made one after another, to join or to write in
    turn: a large net's document is tens of megabytes, which a file written piece by piece
    (`render --to json -o FILE`) never holds whole, nor copies into one string and then into bytes."""
    spec = spec_dict(trace)
    # One value per line: readable, diffable, and far shorter than indent=1.
    items = list(trace.values.items())
    head = '{"spec": ' + json.dumps(spec, allow_nan=False)
    # Only when training diverged: the iteration it stopped with and the first non-finite path.
    if trace.diverged is not None:
        head += ',\n"diverged": ' + json.dumps({"iteration": trace.diverged[0], "path": trace.diverged[1]})
    yield (head + ',\n"values": {\n').encode()
    for n, ((key, value), text) in enumerate(zip(items, _array_texts([v for _, v in items]))):
        yield ((",\n " if n else " ") + json.dumps(key) + ": ").encode()
        yield _dumps(_plain(value)).encode() if text is None else text
    yield b"\n}}\n"


def _text(value) -> str:
    """One value's JSON text, as to_json writes it."""
    text = next(_array_texts([value]))
    return _dumps(_plain(value)) if text is None else text.decode()


def _array_texts(values: list) -> Iterator[bytes | None]:
    """The JSON texts of the finite float64 arrays among `values`, in turn; None for anything else
    (exact numbers, non-finite values, scalars), which goes through `_plain`.

    An array's text is the repr of its `tolist()` after adding 0.0 (so -0.0 is 0.0, as in `_plain`):
    the JSON text `_dumps` writes number by number (floats print by their repr in both, items joined
    by ", "). An array met again (the same object: the next iteration's weights are the last
    update's) is written once, and its text kept only until its last use: float text is most of a
    large net's JSON."""
    arrays: dict[int, np.ndarray | None] = {}  # by id: the values are alive, in the trace, meanwhile
    uses: Counter = Counter()
    keys = []
    for value in values:
        key = None
        if isinstance(value, np.ndarray) and value.dtype == np.float64 and value.ndim:
            if id(value) not in arrays:
                arrays[id(value)] = value if np.isfinite(value).all() else None
            if arrays[id(value)] is not None:
                key = id(value)
                uses[key] += 1
        keys.append(key)
    # The arrays in the order of their first use, which is the order the loop below asks for them.
    texts = floats_texts([v for v in arrays.values() if v is not None])
    kept: dict[int, bytes] = {}
    for key in keys:
        if key is None:
            yield None
            continue
        if key not in kept:
            kept[key] = next(texts)
        uses[key] -= 1
        yield kept[key] if uses[key] else kept.pop(key)


def _dumps(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_dumps(v) for v in value) + "]"
    if isinstance(value, _Digits):
        return value.text
    return json.dumps(value, allow_nan=False)
