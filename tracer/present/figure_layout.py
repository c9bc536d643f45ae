"""The network figure as data: where each unit and edge label sits, computed once.

Two emitters draw this one layout, `figure_tikz` for LaTeX and `figure_svg` for Markdown
and HTML, so the pictures cannot disagree. Coordinates are centimetres, x to the right,
y downwards (SVG's way; TikZ flips it). Labels are LaTeX math (symbols from the notation,
numbers from numfmt); the SVG emitter reads them with `tex_text`.

Rules, as textbooks draw a network:
- one column per layer, input first; a layer of more than ELIDE_ABOVE units shows its
  first 3 and last 2 with a vertical ellipsis between (no edges to the ellipsis);
- biases the way the profile writes them: `bias: first|last` adds a unit "1" at the top or
  bottom of each column but the last, whose edges carry the biases; `separate` writes
  each unit's bias below it;
- an edge's label sits at the point of the edge where the labels of a layer pair are
  evenly spaced in one vertical band (see `_band`), so no two labels meet; a pair with
  more than MAX_LABELLED drawn units a side, or too little room, draws bare lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..problem.figures import FigureChoice
from .tex_text import plain

ELIDE_ABOVE = 6  # units shown in full; more are elided to 3, an ellipsis and 2
MAX_LABELLED = 4  # drawn units (bias included) a side of a layer pair whose edges are labelled
PAGE = 15.0  # cm the figure may take across (A4 with 2 cm margins is 17 cm)
RADIUS = 0.42
RADIUS_VALUES = 0.55  # a unit that also holds a value
STEP = 1.5  # cm between units of a column
STEP_VALUES = 1.75
MIN_GAP, MAX_GAP = 1.6, 3.4
MARGIN = 1.0  # cm left of the input column and right of the output column, for the words under them
_EDGE_CHAR = 0.14  # cm per character of a \scriptsize number, for the room an edge label needs


@dataclass(frozen=True)
class Node:
    id: str
    layer: int
    x: float
    y: float
    kind: str  # unit | bias | dots
    label: str  # LaTeX math ("" for dots)
    value: str = ""  # LaTeX math: the unit's value in the chosen iteration
    note: str = ""  # LaTeX math below the unit: its bias (`separate` profiles)


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str  # LaTeX math, or "" for a bare line
    at: float  # where along the edge the label sits, 0 (source) to 1


@dataclass
class NetworkLayout:
    key: str  # the figure's choice as written (its file name's stem)
    caption: str
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float
    radius: float
    columns: list[tuple[float, str]] = field(default_factory=list)  # (x, words) under each column

    def node(self, id_: str) -> Node:
        return next(n for n in self.nodes if n.id == id_)

    def labels(self) -> list[str]:
        """Every label's text (LaTeX), units then edges: what both emitters must show."""
        out = []
        for n in self.nodes:
            out += [t for t in (n.label, n.value, n.note) if t]
        return out + [e.label for e in self.edges if e.label]


def shown_units(n: int) -> list[int | None]:
    """The 0-based units a column of n draws; None is the ellipsis."""
    if n <= ELIDE_ABOVE:
        return list(range(n))
    return [0, 1, 2, None, n - 2, n - 1]


def _indexed(sym: str, i: int, n: int) -> str:
    """Unit i (1-based) of a layer of n: the symbol with a subscript, unless the layer has one unit."""
    if n == 1:
        return sym
    return f"{{{sym}}}_{{{i}}}" if "_" in sym else f"{sym}_{{{i}}}"


def _band(n_src: int, n_dst: int) -> float:
    """The fraction t along every edge of a layer pair at which the labels sit.

    A label at t lies at y = (1-t) y_i + t y_j. With t = 1/(n_dst+1) these are
    n_dst*i + j steps of STEP/(n_dst+1): all different and evenly spaced, in one
    vertical band; t = n_src/(n_src+1) is the mirror image. The one nearer the middle wins.
    """
    near_src, near_dst = 1 / (n_dst + 1), n_src / (n_src + 1)
    return near_src if abs(near_src - 0.5) <= abs(near_dst - 0.5) else near_dst


def _ends(src_slots, dst_slots) -> tuple[int, int]:
    """How many drawn units send edges (bias included) and receive them (a bias unit receives none)."""
    return (sum(kind != "dots" for kind, _ in src_slots), sum(kind == "unit" for kind, _ in dst_slots))


def network_layout(c, choice: FigureChoice) -> NetworkLayout:
    """The layout of `choice` for the network of Context `c` (view_context.Context)."""
    p, nt, v = c.p, c.nt, c.v
    L = p.depth
    mode = nt.profile.bias_mode
    it = None if choice.iteration is None else c.trace.iterations[choice.iteration - 1]
    values = it is not None
    radius, step = (RADIUS_VALUES, STEP_VALUES) if values else (RADIUS, STEP)

    if it is None:
        W = {l: p.params[f"W{l}"] for l in range(1, L + 1)}
        b = {l: p.params[f"b{l}"] for l in range(1, L + 1)}
    else:
        source = {"weights": it.prefix, "gradients": it.prefix + "grad.", "updated": it.prefix + "new."}[choice.edges]
        W = {l: v[f"{source}W{l}"] for l in range(1, L + 1)}
        b = {l: v[f"{source}b{l}"] for l in range(1, L + 1)}
        ex = it.example_prefix(1)
    num = (lambda x: c.fmt(x, approx=True)) if values else c.fmt

    # Each column's drawn slots: ("unit", i) | ("bias", None) | ("dots", None), top to bottom.
    columns: list[list[tuple[str, int | None]]] = []
    for l, n in enumerate(p.layers):
        slots = [("dots", None) if i is None else ("unit", i) for i in shown_units(n)]
        if mode != "separate" and l < L:
            slots = [("bias", None), *slots] if mode == "first" else [*slots, ("bias", None)]
        columns.append(slots)

    # Which layer pairs are labelled, and the gap each needs for its band of labels.
    labelled, gaps = [], []
    for l in range(1, L + 1):
        n_src, n_dst = _ends(columns[l - 1], columns[l])
        ok = n_src <= MAX_LABELLED and n_dst <= MAX_LABELLED
        widest = max((len(plain(num(x))) for x in [*W[l].ravel(), *b[l].ravel()]), default=1)
        t = _band(n_src, n_dst)
        room = radius + widest * _EDGE_CHAR / 2 + 0.35  # from a unit's centre to the band's edge, arrowhead clear
        gap = max(MIN_GAP, room / min(t, 1 - t)) if ok else MIN_GAP
        labelled.append(ok)
        gaps.append(min(max(gap, 3.2 if ok else MIN_GAP), 6.0))
    margin = max(radius, MARGIN)  # the column words are wider than a unit
    if sum(gaps) + 2 * margin > PAGE:
        labelled = [False] * L  # too wide for the page: bare lines, evenly spread
        gaps = [min(MAX_GAP, (PAGE - 2 * margin) / L)] * L

    xs = [margin]
    for g in gaps:
        xs.append(xs[-1] + g)
    tallest = max(len(col) for col in columns)
    top = 0.1 + radius
    # below the lowest unit: its bias note (separate biases), then a line of column words
    height = top + (tallest - 1) * step + radius + (0.45 if mode == "separate" else 0.0) + 0.6

    nodes: list[Node] = []
    ids: dict[tuple[int, str, int | None], str] = {}
    for l, slots in enumerate(columns):
        n = p.layers[l]
        y0 = top + (tallest - len(slots)) * step / 2
        for k, (kind, i) in enumerate(slots):
            y = y0 + k * step
            if kind == "dots":
                nodes.append(Node(f"d{l}", l, xs[l], y, "dots", r"\vdots"))
                continue
            if kind == "bias":
                node_id = f"b{l}"
                nodes.append(Node(node_id, l, xs[l], y, "bias", "1"))
                ids[(l, "bias", None)] = node_id
                continue
            node_id = f"u{l}_{i + 1}"
            sym = nt.x if l == 0 else (nt.yhat if l == L else nt.sym("act", l))
            label = _indexed(sym, i + 1, n)
            value = ""
            if values:
                path = f"{ex}x" if l == 0 else f"{ex}h{l}"
                value = num(v[path][i])
            note = ""
            if mode == "separate" and l > 0:
                bias = _indexed(nt.sym("bias", l), i + 1, n)
                if values and choice.edges == "gradients":  # the bias's gradient, not the bias
                    bias = rf"\partial {nt.loss} / \partial {bias}"
                note = f"{bias} = {num(b[l][i])}"
            nodes.append(Node(node_id, l, xs[l], y, "unit", label, value, note))
            ids[(l, "unit", i)] = node_id

    edges: list[Edge] = []
    for l in range(1, L + 1):
        t = _band(*_ends(columns[l - 1], columns[l]))
        for kind_src, i in columns[l - 1]:
            if kind_src == "dots":
                continue
            for kind_dst, j in columns[l]:
                if kind_dst != "unit":
                    continue
                weight = b[l][j] if kind_src == "bias" else W[l][j, i]
                label = num(weight) if labelled[l - 1] else ""
                edges.append(Edge(ids[(l - 1, kind_src, i)], ids[(l, "unit", j)], label, t))

    words = ["input"] + [("output" if l == L else f"hidden {l}") for l in range(1, L + 1)]
    col_words = [(xs[l], f"{words[l]} ({p.layers[l]})") for l in range(L + 1)]
    bare = "" if all(labelled) else " (some edges too many or too close to label)"
    if it is None:
        caption = "The network with its starting weights" + bare
    else:
        what = {"weights": "its starting weights", "gradients": "the gradients",
                "updated": "the weights after the update"}[choice.edges]
        first = " of the first example" if len(it.examples) > 1 else ""
        caption = f"Iteration {it.t}: the activations{first} in the units, {what} on the edges{bare}"
    return NetworkLayout(choice.key, caption, nodes, edges, xs[-1] + margin, height, radius, col_words)
