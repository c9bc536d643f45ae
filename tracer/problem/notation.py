"""Notation profiles: how a course writes backprop.

A profile sets display symbols (with per-layer overrides), the weight layout
(`out-in`: W(l) is n_l x n_(l-1) as in docs/quantities.md; `in-out`: the transpose,
W_ij from unit i of layer l-1 to unit j of layer l), the bias convention
(`separate` vectors, or a row of the in-out weight matrix acting on an input
augmented with 1: `last` row or `first` row, the latter the lectures' node
x_0 = 1), and aliases that answer files may use for canonical names. The layout may
differ per layer (`lecture`: W(1) is k x d, W(2) a column with z = W(2)^T u). A profile
also says how the backward pass reads (`delta`: the error terms delta(l); `factored`:
each local factor of the chain rule named and valued, each gradient their product),
which letter stands for an activation function (`g`, or empty: sigma, tanh, ... by name),
and the order of the updates (`input-first` or `output-first`).

Built-in profiles follow the course notes the project started from:
    default        a(l), h(l), yhat, W(l), b(l), delta(l)      (docs/quantities.md)
    lecture        notes 002: a^(1), u, z, yhat = g(z), W^(1) k x d, column W^(2), factored chain rule
    hidden-output  notes 001: x -> hidden h (weights W) -> output d-hat (weights V), targets d
    layered        notes 003: z^(l), h^(l), output o, biases as the last row of W^(l), z = W^T h
    node           notes 004: node outputs x^(k), net inputs theta^(k), W_ij^(k) from node i to j, x_0 = 1
                   (superscripts in parentheses: a bare x^2 would read as a square)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from ..errors import SpecError
from .symbols import protect, symbol_problem

KINDS = ("pre", "act", "weight", "bias", "delta")
LAYOUTS = ("out-in", "in-out")
BIAS_MODES = ("separate", "last", "first")
BACKWARDS = ("delta", "factored")
UPDATE_ORDERS = ("input-first", "output-first")
SCALARS = ("x", "y", "yhat", "loss", "lr", "g")
INLINE_KEYS = ("name", "base", "symbols", "layers", "layout", "bias", "aliases",
               "backward", "update_order")  # an inline profile's fields
SYMBOL_PATTERN = r"^[^\n\r\x00-\x1f]{1,80}$"  # a display symbol: LaTeX, one line, 1 to 80 characters
ALIAS_PATTERN = r"[A-Za-z][A-Za-z0-9_]*"  # an answer-file alias (whole string)


@dataclass(frozen=True)
class Profile:
    """A notation profile: the symbols, layouts and orders a handout writes its quantities with."""

    name: str = "default"
    description: str = "the names of docs/quantities.md"
    x: str = "x"
    y: str = "y"
    yhat: str = r"\hat{y}"
    loss: str = "L"
    lr: str = r"\eta"
    g: str = ""  # the letter for every element-wise activation (g(a)); empty: its own name (sigma, tanh)
    # Per-kind symbol templates; `{l}` is the layer number.
    pre: str = "a^{{({l})}}"
    act: str = "h^{{({l})}}"
    weight: str = "W^{{({l})}}"
    bias: str = "b^{{({l})}}"
    delta: str = r"\delta^{{({l})}}"
    # Overrides: {kind: {layer: symbol}}, layer a number or "out" for the output layer.
    layers: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    layout: str = "out-in"
    layouts: Mapping[Any, str] = field(default_factory=dict)  # per-layer layout: {layer or "out": layout}
    bias_mode: str = "separate"
    backward: str = "delta"  # `factored`: local factors and their products instead of delta(l)
    update_order: str = "input-first"  # `output-first`: W(L), b(L), ..., W(1), b(1) as the notes do
    # Answer-file aliases: {alias: canonical}, per iteration (`iter1.u` -> `iter1.h1`);
    # `{L}` in a canonical name is the output layer's number.
    aliases: Mapping[str, str] = field(default_factory=dict)

    def bind(self, depth: int) -> "Notation":
        return Notation(self, depth)


class Notation:
    """A profile for a network of a given depth: symbols per layer."""

    def __init__(self, profile: Profile, depth: int):
        self.profile = profile
        self.depth = depth
        for name in SCALARS:
            setattr(self, name, getattr(profile, name))

    @property
    def augmented(self) -> bool:
        """Biases live in a row of the weight matrix (layered, node)."""
        return self.profile.bias_mode != "separate"

    @property
    def transposed(self) -> bool:
        """Some layer's displayed weights are the transpose of the canonical W(l)."""
        return self.augmented or any(self.layout(l) == "in-out" for l in range(1, self.depth + 1))

    def layout(self, l: int) -> str:
        over = self.profile.layouts
        if l == self.depth and "out" in over:
            return over["out"]
        return over.get(l, self.profile.layout)

    def transposed_at(self, l: int) -> bool:
        """Layer l's displayed weights are the transpose of the canonical W(l)."""
        return self.layout(l) == "in-out" or self.augmented

    @property
    def factored(self) -> bool:
        return self.profile.backward == "factored"

    def update_layers(self) -> list[int]:
        layers = list(range(1, self.depth + 1))
        return layers[::-1] if self.profile.update_order == "output-first" else layers

    def sym(self, kind: str, l: int) -> str:
        if kind == "act" and l == 0:
            over = self.profile.layers.get("act", {})
            return over.get(0, self.profile.x)
        over = self.profile.layers.get(kind, {})
        if l == self.depth and "out" in over:
            return over["out"]
        if l in over:
            return over[l]
        return getattr(self.profile, kind).format(l=l)

    def param(self, name: str) -> str:
        kind, l = name[0], int(name[1:])
        return self.sym("weight" if kind == "W" else "bias", l)

    def grad(self, name: str) -> str:
        return rf"\frac{{\partial {self.loss}}}{{\partial {self.param(name)}}}"

    def windex(self, out: str, inp: str, l: int) -> str:
        """Subscript of one weight of layer l: unit `out` of layer l, input `inp` of layer l-1."""
        return f"{inp}{out}" if self.transposed_at(l) else f"{out}{inp}"

    def aliases(self) -> dict[str, str]:
        return {k: v.replace("{L}", str(self.depth)) for k, v in self.profile.aliases.items()}


DEFAULT = Profile()

BUILTIN: dict[str, Profile] = {
    "default": DEFAULT,
    "lecture": Profile(
        name="lecture", description="the scribe notes 002 (a column of output weights, separate biases, "
                                    "the chain rule factor by factor)",
        g="g", layers={"act": {1: "u", "out": r"\hat{y}"}, "pre": {"out": "z"}}, layouts={"out": "in-out"},
        backward="factored", update_order="output-first",
        aliases={"u": "h1", "z": "a{L}"},
    ),
    "hidden-output": Profile(
        name="hidden-output", description="the handwritten notes 001 (hidden layer and output layer, targets d)",
        y="d", yhat=r"\hat{d}", loss="f", lr=r"\alpha",
        layers={"act": {1: "h", "out": r"\hat{d}"}, "weight": {1: "W", "out": "V"}, "bias": {1: "b", "out": "c"},
                "pre": {1: "s", "out": "r"}, "delta": {1: r"\delta^{h}", "out": r"\delta^{o}"}},
        aliases={"h": "h1", "dhat": "yhat", "V": "W{L}", "c": "b{L}"},
    ),
    "layered": Profile(
        name="layered", description="the slides 003 (biases as the last row of each weight matrix)",
        yhat="o", loss="J", lr=r"\mu", pre="z^{{({l})}}",
        layers={"act": {"out": "o"}},
        layout="in-out", bias_mode="last",
        aliases={"o": "yhat"},
    ),
    "node": Profile(
        name="node", description="the slides 004 (weights from node i to node j, a bias node fixed to 1)",
        x="x^{(0)}", y="t", yhat="x^{({L})}", loss="E",
        pre=r"\theta^{{({l})}}", act="x^{{({l})}}", weight="W^{{({l})}}", bias="b^{{({l})}}", delta=r"\delta^{{({l})}}",
        layout="in-out", bias_mode="first",
        aliases={"t": "y"},
    ),
}

_SYMBOL = re.compile(SYMBOL_PATTERN)


def profile_from_spec(value: Any, depth: int) -> Profile:
    """`notation:` in a spec: a built-in name, or a mapping {base, symbols, layers, layout, bias, aliases}."""
    if value is None:
        return DEFAULT
    if isinstance(value, str):
        if value not in BUILTIN:
            raise SpecError("notation", f"unknown profile {value!r}; built-in profiles: {', '.join(BUILTIN)}")
        return _fix_output_symbol(BUILTIN[value], depth)
    if not isinstance(value, dict):
        raise SpecError("notation", "expected a profile name or a mapping {base, symbols, layers, layout, bias, aliases}")
    for key in value:
        if key not in INLINE_KEYS:
            raise SpecError(f"notation.{key}", f"unknown field; known fields: {', '.join(INLINE_KEYS)}")
    base_name = value.get("base", "default")
    if base_name not in BUILTIN:
        raise SpecError("notation.base", f"unknown profile {base_name!r}; built-in profiles: {', '.join(BUILTIN)}")
    changes: dict[str, Any] = {"name": str(value.get("name", "inline"))}
    symbols = value.get("symbols", {})
    if not isinstance(symbols, dict):
        raise SpecError("notation.symbols", "expected a mapping of symbol kinds to LaTeX")
    for key, sym in symbols.items():
        if key not in KINDS + SCALARS:
            raise SpecError(f"notation.symbols.{key}", f"unknown symbol; known: {', '.join(KINDS + SCALARS)}")
        _check_symbol(sym, f"notation.symbols.{key}")
        sym = protect(sym)  # the handout adds scripts of its own (L_data, y_k, W_ij)
        if key in KINDS:
            sym = sym.replace("{", "{{").replace("}", "}}").replace("{{l}}", "{l}")
        changes[key] = sym
    layers = value.get("layers", {})
    if not isinstance(layers, dict):
        raise SpecError("notation.layers", "expected {kind: {layer: symbol}}")
    merged = {k: dict(v) for k, v in BUILTIN[base_name].layers.items()}
    for kind, per_layer in layers.items():
        if kind not in KINDS:
            raise SpecError(f"notation.layers.{kind}", f"unknown symbol kind; known: {', '.join(KINDS)}")
        if not isinstance(per_layer, dict):
            raise SpecError(f"notation.layers.{kind}", "expected {layer: symbol}, layer a number or 'out'")
        for layer, sym in per_layer.items():
            if not (layer == "out" or (isinstance(layer, int) and 0 <= layer <= depth)):
                raise SpecError(f"notation.layers.{kind}.{layer}", f"expected a layer 1..{depth} or 'out'")
            _check_symbol(sym, f"notation.layers.{kind}.{layer}")
            merged.setdefault(kind, {})[layer] = protect(sym)
    changes["layers"] = merged
    if "layout" in value:
        layout = value["layout"]
        if isinstance(layout, dict):  # per layer: {1: out-in, out: in-out}
            for layer, one in layout.items():
                if not (layer == "out" or (isinstance(layer, int) and not isinstance(layer, bool) and 1 <= layer <= depth)):
                    raise SpecError(f"notation.layout.{layer}", f"expected a layer 1..{depth} or 'out'")
                if one not in LAYOUTS:
                    raise SpecError(f"notation.layout.{layer}", f"unknown value {one!r}; expected one of: {', '.join(LAYOUTS)}")
            changes["layouts"] = {**BUILTIN[base_name].layouts, **layout}
        elif layout not in LAYOUTS:
            raise SpecError("notation.layout", f"unknown value {layout!r}; expected one of: {', '.join(LAYOUTS)}"
                                               " or a mapping {layer: layout}")
        else:
            changes["layout"], changes["layouts"] = layout, {}
    for key, choices in (("backward", BACKWARDS), ("update_order", UPDATE_ORDERS)):
        if key in value:
            if value[key] not in choices:
                raise SpecError(f"notation.{key}", f"unknown value {value[key]!r}; expected one of: {', '.join(choices)}")
            changes[key] = value[key]
    if "bias" in value:
        if value["bias"] not in BIAS_MODES:
            raise SpecError("notation.bias", f"unknown value {value['bias']!r}; expected one of: {', '.join(BIAS_MODES)}")
        changes["bias_mode"] = value["bias"]
    if "aliases" in value:
        aliases = value["aliases"]
        if not isinstance(aliases, dict) or not all(
            isinstance(k, str) and re.fullmatch(ALIAS_PATTERN, k) and isinstance(v, str) for k, v in aliases.items()
        ):
            raise SpecError("notation.aliases", "expected {alias: canonical name}, e.g. {u: h1, z: a2}")
        changes["aliases"] = {**BUILTIN[base_name].aliases, **aliases}
    return _fix_output_symbol(replace(BUILTIN[base_name], **changes), depth)


def _fix_output_symbol(profile: Profile, depth: int) -> Profile:
    """Profiles whose yhat names the output layer (node: x^L) get L filled in."""
    return replace(profile, yhat=profile.yhat.replace("{L}", str(depth)))


def _check_symbol(sym: Any, where: str) -> None:
    if not isinstance(sym, str) or not _SYMBOL.fullmatch(sym):
        raise SpecError(where, "expected a LaTeX symbol (1 to 80 characters, one line)")
    problem = symbol_problem(sym)
    if problem:
        raise SpecError(where, f"{sym!a} is not allowed in a symbol: {problem}")


_KEY = re.compile(r"^(?P<head>(?:iter\d+\.(?:ex\d+\.)?(?:new\.|grad\.)?)|final\.)(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                  r"(?:\[(?P<i>\d+)(?:,(?P<j>\d+))?\])?$")


def printed_matrix(key: str, layers, profile: Profile):
    """A whole weight matrix as the handout prints it, for an answer of that shape.

    For `iter1.W2`, `iter1.grad.W2`, `final.W2`, ... of a layer the profile prints
    transposed (in-out, biases in a row): (the printed shape, a function from a printed
    (row, column), 0-based, to the element key canonical_key reads, the layout in words).
    None for a key that is not a whole weight matrix so printed.
    """
    m = _KEY.match(key.replace(" ", ""))
    if not m or m.group("i") is not None:
        return None
    depth = len(layers) - 1
    nt = profile.bind(depth)
    name = nt.aliases().get(m.group("name"), m.group("name"))
    l = int(name[1:]) if re.fullmatch(r"W\d+", name) else 0
    if not (1 <= l <= depth and nt.transposed_at(l)):
        return None
    base = f"{m.group('head')}{name}"
    n_in, n_out = layers[l - 1], layers[l]
    if profile.bias_mode == "first":  # row 0 is the bias node x_0
        return (n_in + 1, n_out), (lambda r, c: f"{base}[{r},{c + 1}]"), "bias node as the first row"
    rows = n_in + (profile.bias_mode == "last")
    words = "bias as the last row" if profile.bias_mode == "last" else "inputs as rows"
    return (rows, n_out), (lambda r, c: f"{base}[{r + 1},{c + 1}]"), words


def canonical_key(key: str, layers, profile: Profile) -> str:
    """An answer-file key written in the profile's notation -> the canonical path.

    Aliases become canonical names (`iter1.u` -> `iter1.h1` in `lecture`). Element
    indices of weights follow the profile's displayed matrix: in an in-out layout
    `W1[i,j]` is canonical `W1[j,i]`; with biases in a row, that row's elements are
    the biases (`layered`: row n_(l-1) + 1; `node`: row 0, the bias node x_0 = 1).
    Keys that need no change are returned as they are.
    """
    m = _KEY.match(key.replace(" ", ""))
    if not m:
        return key
    depth = len(layers) - 1
    nt = profile.bind(depth)
    name = nt.aliases().get(m.group("name"), m.group("name"))
    head, i, j = m.group("head"), m.group("i"), m.group("j")
    l = int(name[1:]) if re.fullmatch(r"W\d+", name) else 0
    if not (l and i is not None and j is not None and 1 <= l <= depth and nt.transposed_at(l)):
        index = "" if i is None else f"[{i}]" if j is None else f"[{i},{j}]"
        return f"{head}{name}{index}"
    row, col = int(i), int(j)
    n_in = layers[l - 1]
    if profile.bias_mode == "first":
        if row == 0:
            return f"{head}b{l}[{col}]"
        return f"{head}W{l}[{col},{row}]"
    if profile.bias_mode == "last" and row == n_in + 1:
        return f"{head}b{l}[{col}]"
    return f"{head}W{l}[{col},{row}]"
