"""`--to json`: {"spec": {...}, "values": {PATH: number | list | list of rows}}, full precision.

Non-finite values (an infinite dL/dyhat at saturation) are written as the
strings "inf", "-inf" or "nan", since JSON has no such numbers.
"""

from __future__ import annotations

import json
import math

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


def json_pieces(trace: Trace) -> list[bytes]:
    """to_json's text, UTF-8 encoded, in pieces to join or to write one after another: a large
    net's document is tens of megabytes, and a file written piece by piece never holds it whole
    in memory (`render --to json -o FILE`), nor copies it into one string and then into bytes."""
    spec = spec_dict(trace)
    # One value per line: readable, diffable, and far shorter than indent=1.
    items = list(trace.values.items())
    texts = _array_texts([v for _, v in items])
    head = '{"spec": ' + json.dumps(spec, allow_nan=False)
    # Only when training diverged: the iteration it stopped with and the first non-finite path.
    if trace.diverged is not None:
        head += ',\n"diverged": ' + json.dumps({"iteration": trace.diverged[0], "path": trace.diverged[1]})
    pieces = [(head + ',\n"values": {\n').encode()]
    for n, ((key, value), text) in enumerate(zip(items, texts)):
        pieces.append(((",\n " if n else " ") + json.dumps(key) + ": ").encode())
        pieces.append(_dumps(_plain(value)).encode() if text is None else text)
    pieces.append(b"\n}}\n")
    return pieces


def _text(value) -> str:
    """One value's JSON text, as to_json writes it."""
    text = _array_texts([value])[0]
    return _dumps(_plain(value)) if text is None else text.decode()


def _array_texts(values: list) -> list[bytes | None]:
    """The JSON texts of the finite float64 arrays among `values`, written all at once; None for
    anything else (exact numbers, non-finite values, scalars), which goes through `_plain`.

    An array's text is the repr of its `tolist()`: the JSON text `_dumps` writes number by number
    (floats print by their repr in both, items joined by ", "); adding 0.0 turns -0.0 into 0.0 as
    `_plain` does. Equal arrays (by shape and bytes: the next iteration's weights are the last
    update's) are written once: float text is most of a large net's JSON."""
    keys: list = []
    arrays: dict = {}
    for value in values:
        key = None
        if isinstance(value, np.ndarray) and value.dtype == np.float64 and value.ndim:
            key = (value.shape, value.tobytes())
            if key not in arrays:
                arrays[key] = value + 0.0 if np.isfinite(value).all() else None
            if arrays[key] is None:
                key = None
        keys.append(key)
    finite = [k for k, v in arrays.items() if v is not None]
    texts = dict(zip(finite, floats_texts([arrays[k] for k in finite])))
    return [None if k is None else texts[k] for k in keys]


def _dumps(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_dumps(v) for v in value) + "]"
    if isinstance(value, _Digits):
        return value.text
    return json.dumps(value, allow_nan=False)
