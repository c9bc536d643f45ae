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
- every label has a box (its estimated size, `Box`); no two boxes meet and no box meets a
  unit's circle. An edge's label sits at one fraction t of every edge of its layer pair
  (`_band` first, then others); where no t stands clear the units move further apart (up
  to MAX_HEIGHT), and where that is not enough either the pair's edges are bare and the
  caption names the matrix that holds their weights. A pair with more than MAX_LABELLED
  drawn units a side, or too wide a figure, draws bare lines too;
- a bias note (`separate`) stands below, right of or above its unit, wherever it meets no
  label, no unit and, if it can, no edge;
- the column words sit NOTE_GAP below the lowest drawn thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..problem.figures import FigureChoice
from .tex_text import extent, plain

ELIDE_ABOVE = 6  # units shown in full; more are elided to 3, an ellipsis and 2
MAX_LABELLED = 4  # drawn units (bias included) a side of a layer pair whose edges are labelled
PAGE = 15.0  # cm the figure may take across (A4 with 2 cm margins is 17 cm)
RADIUS = 0.42
RADIUS_VALUES = 0.55  # a unit that also holds a value
STEP = 1.5  # cm between units of a column
STEP_VALUES = 1.75
MIN_GAP, MAX_GAP = 1.6, 3.4
MARGIN = 1.0  # cm left of the input column and right of the output column, for the words under them
_EDGE_CHAR = 0.15  # cm per character of a \scriptsize label (and of SVG's 11px), for its box
_EDGE_HEIGHT = 0.36  # cm: a \scriptsize number with its white backing
_NOTE_HEIGHT = 0.48  # cm: a \scriptsize symbol with a stacked super- and subscript
MAX_HEIGHT = 11.5  # cm down the page the units may spread to give labels room
WORDS_GAP, WORDS_LINE = 0.2, 0.45  # cm from the lowest drawn thing to the column words, and their line
_T_TRIES = (0.5, 0.4, 0.6, 0.33, 0.67, 0.28, 0.72, 0.25, 0.75)
_SPREAD = (1.0, 1.15, 1.3, 1.5, 1.7, 2.0)


@dataclass(frozen=True)
class Box:
    """A label's estimated extent, centred at (x, y)."""

    kind: str  # edge | note
    text: str
    x: float
    y: float
    w: float
    h: float

    def meets(self, other: "Box") -> bool:
        return abs(self.x - other.x) * 2 < self.w + other.w and abs(self.y - other.y) * 2 < self.h + other.h

    def meets_circle(self, x: float, y: float, r: float) -> bool:
        nx = min(max(x, self.x - self.w / 2), self.x + self.w / 2)
        ny = min(max(y, self.y - self.h / 2), self.y + self.h / 2)
        return (nx - x) ** 2 + (ny - y) ** 2 < r * r

    def crosses(self, x1: float, y1: float, x2: float, y2: float) -> bool:
        """Whether the segment passes through the box (sampled: labels are small, edges short)."""
        # every sample lies in the segment's bounding box (to within rounding): one apart from the box has none inside
        if (max(x1, x2) < self.x - self.w / 2 - 1e-9 or min(x1, x2) > self.x + self.w / 2 + 1e-9
                or max(y1, y2) < self.y - self.h / 2 - 1e-9 or min(y1, y2) > self.y + self.h / 2 + 1e-9):
            return False
        return any(abs(x1 + (x2 - x1) * k / 48 - self.x) * 2 < self.w and abs(y1 + (y2 - y1) * k / 48 - self.y) * 2 < self.h
                   for k in range(49))


def _box(kind: str, text: str, x: float, y: float) -> Box:
    return Box(kind, text, x, y, extent(text) * _EDGE_CHAR + 0.08, _NOTE_HEIGHT if kind == "note" else _EDGE_HEIGHT)


@dataclass(frozen=True)
class Node:
    """A drawn unit, bias or ellipsis of a network figure, at its place."""

    id: str
    layer: int
    x: float
    y: float
    kind: str  # unit | bias | dots
    label: str  # LaTeX math ("" for dots)
    value: str = ""  # LaTeX math: the unit's value in the chosen iteration
    note: str = ""  # LaTeX math beside the unit: its bias (`separate` profiles)
    note_x: float = 0.0  # the note's centre
    note_y: float = 0.0


@dataclass(frozen=True)
class Edge:
    """A drawn connection of a network figure, with its label's place."""

    src: str
    dst: str
    label: str  # LaTeX math, or "" for a bare line
    at: float  # where along the edge (centre to centre) the label sits, 0 (source) to 1
    label_x: float = 0.0  # the label's centre, which both emitters use
    label_y: float = 0.0


@dataclass
class NetworkLayout:
    """A network figure laid out (inches): nodes, edges, labels, for the TikZ and SVG emitters alike."""

    key: str  # the figure's choice as written (its file name's stem)
    caption: str
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float
    radius: float
    columns: list[tuple[float, str]] = field(default_factory=list)  # (x, words) under each column
    boxes: list[Box] = field(default_factory=list)  # every edge label's and note's box

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

    # What is drawn, before where: (layer, row, kind, id, label, value, note) and the edges per pair.
    drawn, ids = [], {}
    for l, slots in enumerate(columns):
        n = p.layers[l]
        for k, (kind, i) in enumerate(slots):
            row = k + (tallest - len(slots)) / 2
            if kind == "dots":
                drawn.append((l, row, "dots", f"d{l}", r"\vdots", "", ""))
                continue
            if kind == "bias":
                ids[(l, "bias", None)] = f"b{l}"
                drawn.append((l, row, "bias", f"b{l}", "1", "", ""))
                continue
            node_id = f"u{l}_{i + 1}"
            sym = nt.x if l == 0 else (nt.yhat if l == L else nt.sym("act", l))
            value = ""
            if values:
                value = num(v[f"{ex}x" if l == 0 else f"{ex}h{l}"][i])
            note = ""
            if mode == "separate" and l > 0:
                bias = _indexed(nt.sym("bias", l), i + 1, n)
                if values and choice.edges == "gradients":  # the bias's gradient, not the bias
                    bias = rf"\partial {nt.loss} / \partial {bias}"
                note = f"{bias} = {num(b[l][i])}"
            drawn.append((l, row, "unit", node_id, _indexed(sym, i + 1, n), value, note))
            ids[(l, "unit", i)] = node_id
    pairs: list[list[tuple[str, str, str]]] = []
    for l in range(1, L + 1):
        pair = []
        for kind_src, i in columns[l - 1]:
            if kind_src == "dots":
                continue
            for kind_dst, j in columns[l]:
                if kind_dst == "unit":
                    weight = b[l][j] if kind_src == "bias" else W[l][j, i]
                    pair.append((ids[(l - 1, kind_src, i)], ids[(l, "unit", j)], num(weight)))
        pairs.append(pair)

    best = None
    for spread in _SPREAD:
        s = step * spread
        if spread > 1 and top + (tallest - 1) * s + radius + 1.0 > MAX_HEIGHT:
            break
        placed = _place(drawn, pairs, labelled, xs, top, s, radius)
        if best is None or placed[-1] > best[-1]:
            best = placed
        if placed[-1] == (True, sum(labelled), sum(1 for d in drawn if d[6])):
            break
    pos, boxes, ts, notes, _ = best
    shift = max(0.0, 0.1 - min([y - radius for _, y in pos.values()] + [bx.y - bx.h / 2 for bx in boxes]))
    pos = {k: (x, y + shift) for k, (x, y) in pos.items()}
    boxes = [Box(bx.kind, bx.text, bx.x, bx.y + shift, bx.w, bx.h) for bx in boxes]
    bottom = max([y + radius for _, y in pos.values()] + [bx.y + bx.h / 2 for bx in boxes])
    height = bottom + WORDS_GAP + WORDS_LINE

    nodes = []
    for l, _row, kind, node_id, label, value, note in drawn:
        x, y = pos[node_id]
        nx, ny = notes.get(node_id, (0.0, -shift))
        nodes.append(Node(node_id, l, x, y, kind, label, value, note, nx, ny + shift))
    edges = []
    for l, pair in enumerate(pairs):
        t = 0.5 if ts[l] is None else ts[l]
        for src, dst, text in pair:
            (x1, y1), (x2, y2) = pos[src], pos[dst]
            edges.append(Edge(src, dst, text if ts[l] is not None else "", t,
                              x1 + (x2 - x1) * t, y1 + (y2 - y1) * t))

    words = ["input"] + [("output" if l == L else f"hidden {l}") for l in range(1, L + 1)]
    col_words = [(xs[l], f"{words[l]} ({p.layers[l]})") for l in range(L + 1)]
    bare = "" if all(labelled) else " (some edges too many or too close to label)"
    dropped = [l for l in range(1, L + 1) if labelled[l - 1] and ts[l - 1] is None]
    if dropped:
        gradients = it is not None and choice.edges == "gradients"
        # the caption is plain text that LaTeX reads too: a symbol that is not ASCII is named in words
        names = [plain(nt.sym("weight", l)) for l in dropped]
        names = [w if w.isascii() else f"layer {l}'s weight matrix" for l, w in zip(dropped, names)]
        names = [f"the gradient of {w}" if gradients else w for w in names]
        where = "; ".join(f"between {words[l - 1]} and {words[l]} are in {w}" for l, w in zip(dropped, names))
        bare += f" (too dense to label: the {'gradients' if gradients else 'weights'} {where}, below)"
    if it is None:
        caption = "The network with its starting weights" + bare
    else:
        what = {"weights": "its starting weights", "gradients": "the gradients",
                "updated": "the weights after the update"}[choice.edges]
        first = " of the first example" if len(it.examples) > 1 else ""
        caption = f"Iteration {it.t}: the activations{first} in the units, {what} on the edges{bare}"
    return NetworkLayout(choice.key, caption, nodes, edges, xs[-1] + margin, height, radius, col_words, boxes)


def _place(drawn, pairs, labelled, xs, top, step, radius):
    """Positions at one vertical step: each labelled pair's t (None: it cannot stand clear), each
    note's centre, every box, and a score (pairs labelled, notes clear of edges) to compare steps by."""
    pos = {d[3]: (xs[d[0]], top + d[1] * step) for d in drawn}
    circles = [pos[d[3]] for d in drawn if d[2] != "dots"]
    pad = radius + 0.1  # the circle and the arrowhead that meets it
    boxes: list[Box] = []
    ts: list[float | None] = []
    for l, pair in enumerate(pairs):
        chosen = None
        if labelled[l]:
            n_src = len({src for src, _, _ in pair})
            n_dst = len({dst for _, dst, _ in pair})
            for t in (_band(n_src, n_dst), *_T_TRIES):
                bs = []
                for src, dst, text in pair:
                    (x1, y1), (x2, y2) = pos[src], pos[dst]
                    bs.append(_box("edge", text, x1 + (x2 - x1) * t, y1 + (y2 - y1) * t))
                if _clear(bs, boxes, circles, pad):
                    chosen = t
                    boxes += bs
                    break
        ts.append(chosen)
    segments = [(*pos[src], *pos[dst]) for pair in pairs for src, dst, _ in pair]
    forced = False
    while True:
        notes, note_boxes, clean, blocked = _notes(drawn, pos, boxes, circles, segments, pad, xs[-1] + xs[0])
        if blocked is None:
            break
        # a bias that finds no room outranks the weights of the pair in its way: they go bare
        l = next((l for l, t in enumerate(ts) if t is not None
                  and any(b.meets(blocked) for b in _pair_boxes(boxes, pairs[l]))), None)
        if l is None:  # nothing to clear away: the note takes its first spot (the test would say so)
            notes, note_boxes, clean, _ = _notes(drawn, pos, boxes, circles, segments, pad, xs[-1] + xs[0], force=True)
            forced = True  # a worse score than any spread where every note found room
            break
        ts[l] = None
        gone = {id(b) for b in _pair_boxes(boxes, pairs[l])}
        boxes = [b for b in boxes if id(b) not in gone]
    return pos, boxes + note_boxes, ts, notes, (not forced, sum(t is not None for t in ts), clean)


def _pair_boxes(boxes: list[Box], pair) -> list[Box]:
    """The edge boxes of one pair (they were appended in the pair's order, one per edge)."""
    texts = [text for _, _, text in pair]
    for k in range(len(boxes) - len(texts) + 1):
        window = boxes[k:k + len(texts)]
        if [b.text for b in window] == texts and all(b.kind == "edge" for b in window):
            return window
    return []


def _notes(drawn, pos, boxes, circles, segments, pad, right, force=False):
    """Each bias note's spot: the first candidate clear of labels and units, and of edges if one is.
    Returns the spots, their boxes, how many are clear of edges, and a note that found no spot."""
    notes, placed, clean = {}, [], 0
    for _l, _row, _kind, node_id, _label, _value, note in drawn:
        if not note:
            continue
        x, y = pos[node_id]
        w = _box("note", note, 0, 0).w
        below, beside = pad + _NOTE_HEIGHT / 2 + 0.02, pad + w / 2
        tries = [(x, y + below), (x + beside, y + pad * 0.8), (x + beside, y - pad * 0.8), (x, y - below),
                 (x + beside, y + pad * 0.8 + 0.3), *((x, y + below + 0.3 * k) for k in range(1, 6))]
        # inside the figure's width: a wide note by the last column moves in
        boxed = [_box("note", note, min(max(nx, w / 2), right - w / 2), ny) for nx, ny in tries]
        fits = [bx for bx in boxed if _clear([bx], boxes + placed, circles, pad)]
        if not fits and not force:
            return notes, placed, clean, boxed[0]
        fits = fits or boxed
        free = [bx for bx in fits if not any(bx.crosses(*sg) for sg in segments)]
        pick = (free or fits)[0]
        clean += bool(free)
        placed.append(pick)
        notes[node_id] = (pick.x, pick.y)
    return notes, placed, clean, None


def _clear(new: list[Box], placed: list[Box], circles, r: float) -> bool:
    """No box of `new` meets another, a placed box, or a unit's circle."""
    for k, bx in enumerate(new):
        if any(bx.meets(o) for o in new[k + 1:]) or any(bx.meets(o) for o in placed):
            return False
        if any(bx.meets_circle(cx, cy, r) for cx, cy in circles):
            return False
    return True
