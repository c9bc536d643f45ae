"""Biases folded into the weights: `params:` written in a notation profile's own layout.

A profile with `bias: last` (layered) or `bias: first` (node) writes each weight
matrix in-out with the bias as one more row: W(l) is (n_(l-1) + 1) x n_l, row
n_(l-1) + 1 (last) or row 0 (first, the bias node x_0 = 1) holding the biases, and
there is no b(l). A spec may give its params that way, exactly as answer files
already may (`notation.canonical_key`). This module turns such a mapping into the
canonical one (W(l) n_l x n_(l-1), b(l) length n_l) before the network's validation
reads it, so the Problem, the Trace and the JSON never see the folded layout.

Which layout a W(l) is in is decided per layer by b(l): given, W(l) is canonical;
absent, W(l) must be folded. The two shapes never coincide (they would need
n_l = n_(l-1) + 1 and n_(l-1) = n_l at once), so a folded W(l) next to a b(l), or a
folded W(l) under a profile without a bias row, is recognised and named.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from .notation import Profile
from .validate import matrix, shape_of

_WHERE = {"last": "the last row", "first": "the first row (the bias node x_0 = 1)"}


def folded_shape(layers, l: int) -> tuple[int, int]:
    """(rows, columns) of W(l) with its bias row folded in: in-out plus one row."""
    return layers[l - 1] + 1, layers[l]


def layout_text(profile: Profile) -> str:
    """`layered: in-out with the bias as the last row`, for error messages and docs."""
    return f"{profile.name}: in-out with the bias as {_WHERE[profile.bias_mode]}"


def _shape(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        widths = {len(r) for r in value}
        if len(widths) == 1:
            return len(value), widths.pop()
    return None


def unfold_params(raw: dict, layers, profile: Profile) -> dict:
    """`raw` with every folded W{l} split into canonical W{l} and b{l} (nested lists).

    Layers whose b{l} is given are left as they are, for the network's validation to
    check. SpecError names the field and the shape expected in the profile's layout.
    """
    depth = len(layers) - 1
    out = dict(raw)
    for l in range(1, depth + 1):
        w, b = f"W{l}", f"b{l}"
        if w not in raw:
            continue
        rows, cols = folded_shape(layers, l)
        got = _shape(raw[w])
        if profile.bias_mode == "separate":
            if b not in raw and got == (rows, cols):
                raise SpecError(f"params.{w}", f"shape {rows}x{cols} carries a bias row, but notation "
                                f"{profile.name} keeps biases separate; give {w} as {layers[l]}x{layers[l - 1]} "
                                f"and {b}, or use a profile with a bias row (layered, node)")
            continue
        if b in raw:
            if got == (rows, cols):
                raise SpecError(f"params.{b}", f"the biases of layer {l} are already the bias row of params.{w} "
                                f"({layout_text(profile)}); remove {b}, or give {w} as {layers[l]}x{layers[l - 1]}")
            continue
        if got != (rows, cols):
            raise SpecError(f"params.{w}", f"expected shape {rows}x{cols} ({layout_text(profile)}), "
                            f"got {shape_of(raw[w])}")
        matrix(raw[w], rows, cols, f"params.{w}", list(layers))  # numbers checked, element by element
        bias_row = 0 if profile.bias_mode == "first" else rows - 1
        weight_rows = [r for r in range(rows) if r != bias_row]
        # the entries as written (a "1/3" stays text, for exact arithmetic), moved to canonical places
        out[w] = [[raw[w][r][c] for r in weight_rows] for c in range(cols)]
        out[b] = list(raw[w][bias_row])
    return out
