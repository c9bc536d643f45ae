"""The computational-graph figure as data: where each node, wire and label sits, computed once.

Drawn the way seed 004 and the CS231n notes draw a graph: inputs are leaves at the left,
each node a gate (its operation: +, ×, σ, exp, ...; a node that is more than one operation
shows its expression in a box), columns by depth left to right. Every input and node has
one output wire: its value above the wire, the gradient of the output by it below (each
optional, `figures: graph:values` ...). A wire that feeds several nodes runs to a branch
point (a dot) and splits there, so a value and its gradient are written once, on the trunk,
and the gradients that add at the branch are the backward pass's sum.

Coordinates are centimetres, x to the right, y downwards (TikZ flips it), as in
`figure_layout`; `figure_tikz.graph_tikz` and `figure_svg.graph_svg` draw this layout.

Legibility rules:
- an edge that skips columns runs as a straight wire at a row of its own through each column
  it passes (a relay), so no wire crosses a node or a label, only other wires between columns;
- rows are ordered by a few barycentre sweeps (fewer crossings) and placed near the mean of
  their sources (straight chains stay straight);
- a graph too big for the page even at MIN_SCALE is cut back to the part nearest the output: breadth-first
  from the output while at most MAX_DRAWN nodes and leaves are drawn; a node left out is a
  leaf written `⋯ name` (its value and gradient still on its wire). What still does not
  fit is scaled down to the page; an output of more than MAX_LEAVES arguments shows its first 6
  and last 5 with a vertical ellipsis between, and a box whose expression is longer than
  MAX_LABEL shows the node's name (the handout lists its definition).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..problem.figures import FigureChoice
from .tex_text import plain, runs

PAGE = 15.0  # cm across (A4 with 2 cm margins is 17 cm), as the network figure
MAX_HEIGHT = 19.0  # cm down, leaving room for the caption on a page
MAX_DRAWN = 30  # nodes and leaves drawn before the part far from the output is left out
MAX_LEAVES = 12  # the output's arguments drawn in full; more show 6, a vertical ellipsis and 5
MIN_SCALE = 0.6  # a figure drawn at least this large is scaled to the page rather than cut
MAX_LABEL = 24  # characters of a box's expression; a longer one shows the node's name
DOTS = "\u22ee"  # the ellipsis's id: no name can be it
STEP = 1.25  # cm between rows
RADIUS = 0.32  # a gate's circle, at least
FAN = 0.9  # cm between a column's branch points and the next column, at least
MARGIN = 0.3
_CHAR = 0.2  # cm per character of a label at normal size (an overestimate: boxes must hold them)
_SMALL = 0.15  # cm per character of a \scriptsize wire label
BOX_HALF_HEIGHT = 0.3  # cm: a box's half height, as both emitters draw it
_GATE_CHARS = 4  # a gate label of at most this many characters sits in a circle

_BINARY = {"+": "+", "-": "-", "*": r"\times", "/": r"\div"}
_FUNCTION = {"sigmoid": r"\sigma", "exp": r"\exp", "log": r"\log", "tanh": r"\tanh", "sin": r"\sin",
             "cos": r"\cos", "sqrt": r"\surd", "relu": r"\mathrm{ReLU}", "abs": r"|\cdot|",
             "max": r"\max", "min": r"\min"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


@dataclass(frozen=True)
class GNode:
    id: str  # the input's or node's name
    column: int
    x: float  # centre
    y: float
    kind: str  # input | elided (a node left out, drawn as a leaf) | gate (a circle) | box (an expression) | dots
    label: str  # LaTeX: a leaf's name, a gate's operation, a box's expression
    half: float  # half its width (a circle's radius); a leaf's text ends at x + half, where its wire starts
    name: str = ""  # LaTeX above a gate or box: the node's name


@dataclass(frozen=True)
class Wire:
    """A node's output from its east side to its branch point: the value above, the gradient below."""

    src: str
    x1: float
    x2: float
    y: float
    value: str = ""
    gradient: str = ""
    output: bool = False  # the graph's output: the wire ends in an arrow
    branch: bool = False  # it splits at x2: a dot there


@dataclass(frozen=True)
class Segment:
    """A straight piece of an edge: from a branch point to a node (arrow) or through a relay."""

    x1: float
    y1: float
    x2: float
    y2: float
    arrow: bool
    branch: bool = False  # a relay that splits at (x2, y2): a dot there


@dataclass
class GraphLayout:
    key: str
    caption: str
    nodes: list[GNode]
    wires: list[Wire]
    segments: list[Segment]
    width: float
    height: float
    scale: float = 1.0  # < 1: drawn smaller to fit the page
    left_out: int = 0  # nodes not drawn
    colours: dict = field(default_factory=lambda: {"value": "#1b6b2f", "gradient": "#a4262c"})

    def node(self, id_: str) -> GNode:
        return next(n for n in self.nodes if n.id == id_)

    def labels(self) -> list[str]:
        """Every label's text (LaTeX), nodes then wires: what both emitters must show."""
        out = []
        for n in self.nodes:
            out += [t for t in (n.label, n.name) if t]
        for w in self.wires:
            out += [t for t in (w.value, w.gradient) if t]
        return out


def text_width(tex: str, per_char: float) -> float:
    """An estimate of a label's width: scripts at 0.7 size, thin spaces a third of a character."""
    width = 0.0
    for r in runs(tex):
        for ch in r.text:
            # TeX puts a medium space either side of a binary operator, a thin one for \,
            factor = {"\u2009": 0.35, "+": 2.0, "\u2212": 2.0, "=": 2.2}.get(ch, 1.0)
            width += per_char * factor * (0.7 ** abs(r.level))
    return width


# -- labels ---------------------------------------------------------------------------------


def gate_label(tree, args: tuple[str, ...], show) -> str:
    """A node's label: its operation when it is one operation on distinct names (and at most one
    constant), else its expression."""
    tag = tree[0]
    kids = list(tree[1:]) if tag in _PRECEDENCE else (list(tree[2]) if tag == "call" else [])
    named = [k for k in kids if k[0] == "name"]
    consts = [k for k in kids if k[0] in ("num", "const")]
    single = kids and len(named) == len(args) and len(named) + len(consts) == len(kids) and len(consts) <= 1
    if single and not (tag == "call" and consts):
        if tag == "call":
            return _FUNCTION[tree[1]]
        if tag == "neg":
            return "-"
        if tag == "**":
            return r"(\cdot)^{" + _infix(kids[1], show) + "}" if kids[1][0] != "name" else r"(\cdot)^{(\cdot)}"
        op = _BINARY[tag]
        if not consts:
            return op
        const = _infix(consts[0], show)
        return rf"{op}\,{const}" if kids[1] is consts[0] else rf"{const}\,{op}"
    return _infix(tree, show)


def _infix(tree, show, parent: int = 0) -> str:
    """The tree as LaTeX of the small language the SVG text reader knows (no fractions)."""
    tag = tree[0]
    if tag == "num":
        return tree[1]
    if tag == "const":
        return r"\pi" if tree[1] == "pi" else "e"
    if tag == "name":
        return show(tree[1])
    if tag == "call":
        inner = ", ".join(_infix(a, show) for a in tree[2])
        return f"{_FUNCTION[tree[1]]}({inner})" if tree[1] != "abs" else f"|{inner}|"
    prec = _PRECEDENCE[tag]
    if tag == "neg":
        text = "-" + _infix(tree[1], show, prec)
    elif tag == "**":
        text = _infix(tree[1], show, prec + 1) + "^{" + _infix(tree[2], show) + "}"
    else:
        a, b = _infix(tree[1], show, prec), _infix(tree[2], show, prec + (tag in "-/"))
        op = {"+": " + ", "-": " - ", "*": r"\,", "/": "/"}[tag]
        text = a + op + b
    return f"({text})" if prec < parent else text


# -- which nodes are drawn ------------------------------------------------------------------


def _drawn(p, budget: int) -> tuple[list[str], list[str]]:
    """(nodes drawn as gates, leaves): breadth-first from the output while at most `budget` are drawn."""
    nodes = {n.name: n for n in p.nodes}
    gates, leaves = [p.output], list(dict.fromkeys(nodes[p.output].args))
    queue = deque(a for a in leaves if a in nodes)
    while queue:
        name = queue.popleft()
        if name not in leaves:
            continue
        new = [a for a in dict.fromkeys(nodes[name].args) if a not in gates and a not in leaves]
        if len(gates) + len(leaves) + len(new) > budget:
            continue  # left out: stays a leaf
        leaves.remove(name)
        gates.append(name)
        leaves += new
        queue.extend(a for a in new if a in nodes)
    order = {n: i for i, n in enumerate(p.names)}
    return sorted(gates, key=order.__getitem__), sorted(leaves, key=order.__getitem__)


# -- the layout -----------------------------------------------------------------------------


def graph_layout(c, choice: FigureChoice, show) -> GraphLayout:
    """The layout of `choice` for the graph of GraphContext `c`; `show` gives a name's LaTeX."""
    p = c.trace.problem
    total = len(p.nodes)
    budget = MAX_DRAWN
    while True:
        layout = _layout(c, choice, show, *_drawn(p, budget))
        # a graph a little too wide is drawn whole and smaller: a student needs every node of a
        # homework graph; only past MIN_SCALE is the part far from the output left out
        if min(PAGE / layout.width, MAX_HEIGHT / layout.height) >= MIN_SCALE or budget <= 2:
            break
        budget = max(2, int(budget * 0.8))
    layout.scale = min(1.0, PAGE / layout.width, MAX_HEIGHT / layout.height)
    layout.left_out = total - sum(n.kind in ("gate", "box") for n in layout.nodes)
    return layout


def _layout(c, choice: FigureChoice, show, gates: list[str], leaves: list[str]) -> GraphLayout:
    p, v = c.trace.problem, c.trace.values
    nodes = {n.name: n for n in p.nodes}
    inputs = {n for n, _ in p.inputs}
    column = {name: 0 for name in leaves}
    # the output's own arguments are drawn whatever the budget: past MAX_LEAVES, 6, an ellipsis and 5
    many = [a for a in dict.fromkeys(nodes[p.output].args) if a in column]
    hidden = set(many[6:-5]) if len(many) > MAX_LEAVES else set()  # their edges are left out too
    leaves = [a for a in leaves if a not in hidden]
    for name in gates:  # in definition order: every argument's column is known
        column[name] = 1 + max((column[a] for a in nodes[name].args), default=-1)  # a constant node: 0
    last = column[p.output]
    consumers = {name: [g for g in gates if name in nodes[g].args] for name in column}
    consumers[DOTS] = []
    column[DOTS] = 0
    # a wire passes column k as a relay ("~a", k) when a consumer of a lies beyond k + 1
    reach = {a: max((column[g] for g in consumers[a]), default=column[a]) for a in column}
    rows: list[list] = [[] for _ in range(last + 1)]
    for name in [*leaves, *gates]:
        rows[column[name]].append(name)
    for a in [*leaves, *gates]:
        for k in range(column[a] + 1, reach[a]):
            rows[k].append(("~", a))

    def source(item):  # the name whose wire an item carries forward (a relay's), or an item's arguments
        return item[1] if isinstance(item, tuple) else item

    def preds(item, k):
        names = [item[1]] if isinstance(item, tuple) else [a for a in dict.fromkeys(nodes[item].args) if a not in hidden]
        return [("~", a) if column[a] < k - 1 else a for a in names]

    def succs(item, k):
        a = source(item)
        out = [g for g in consumers[a] if column[g] == k + 1]
        return out + ([("~", a)] if reach[a] > k + 1 else [])

    _order(rows, preds, succs)
    if hidden:
        rows[0].insert(rows[0].index(many[5]) + 1, DOTS)

    # columns: each one's widest item, its wires' longest label, and so its branch points' x
    def small(tex):
        return text_width(tex, _SMALL)

    labels, kinds, halves = {}, {}, {}
    labels[DOTS], kinds[DOTS], halves[DOTS] = ("", ""), "dots", (r"\vdots", 0.1)
    for name in column:
        if name in hidden or name == DOTS:
            continue
        value, grad = c.fmt(v[name]), c.fmt(v[f"grad.{name}"])
        shown_value = choice.edges in ("all", "values") or (choice.edges == "given" and name in inputs)
        labels[name] = (value if shown_value else "", grad if choice.edges in ("all", "gradients") else "")
        if name in leaves:
            kinds[name] = "input" if name in inputs else "elided"
            text = show(name) if name in inputs else rf"\cdots\, {show(name)}"
            halves[name] = (text, text_width(text, _CHAR) / 2 + 0.05)
        else:
            text = gate_label(nodes[name].expr, nodes[name].args, show)
            if len(plain(text)) > MAX_LABEL:
                text = show(name)  # its expression is in the handout's list of nodes
            gate = len(plain(text)) <= _GATE_CHARS
            kinds[name] = "gate" if gate else "box"
            halves[name] = (text, max(RADIUS, text_width(text, _CHAR) / 2 + 0.08) if gate
                            else text_width(text, 1.15 * _CHAR) / 2 + 0.25)
    col_half = [max((halves[i][1] for i in row if not isinstance(i, tuple)), default=RADIUS) for row in rows]
    trunk = [max([0.8, *(max(small(labels[i][0]), small(labels[i][1])) + 0.4 for i in row if not isinstance(i, tuple))])
             for row in rows]

    # rows: the first column evenly; each next one near the mean of its sources, then pushed apart
    ys: dict = {}  # by name, a relay by (("~", name), column)

    def y_of(item, k):
        return ys[(item, k) if isinstance(item, tuple) else item]

    top = 0.55 + max(h for _, h in halves.values())  # room for a name above the first row
    for k, row in enumerate(rows):
        want = []
        for n, i in enumerate(row):
            ps = preds(i, k) if k and not (not isinstance(i, tuple) and i in leaves) else []
            want.append(sum(y_of(q, k - 1) for q in ps) / len(ps) if ps else top + n * STEP)
        placed = list(want)
        for i in range(1, len(placed)):
            placed[i] = max(placed[i], placed[i - 1] + STEP)
        shift = sum(want) / len(want) - sum(placed) / len(placed)
        placed = [y + shift for y in placed]
        if placed[0] < top:
            placed = [y + top - placed[0] for y in placed]
        for i, y in zip(row, placed):
            ys[(i, k) if isinstance(i, tuple) else i] = y

    xs, bps = [], []
    x = MARGIN
    for k in range(last + 1):
        centre = x + col_half[k]
        xs.append(centre)
        bps.append(centre + col_half[k] + trunk[k])
        x = bps[-1] + FAN

    out_nodes, wires, segments = [], [], []
    for k, row in enumerate(rows):
        for item in row:
            if isinstance(item, tuple):  # a relay: a straight wire through this column, splitting at its end
                y = ys[(item, k)]
                segments.append(Segment(xs[k] - col_half[k], y, bps[k], y, False,
                                        branch=len(succs(item, k)) > 1))
                continue
            text, half = halves[item]
            if item == DOTS:
                out_nodes.append(GNode(DOTS, k, xs[k], ys[item], "dots", text, half))
                continue
            leaf = kinds[item] in ("input", "elided")
            x = xs[k] + col_half[k] - half if leaf else xs[k]
            out_nodes.append(GNode(item, k, x, ys[item], kinds[item], text, half,
                                   "" if leaf or text == show(item) else show(item)))
            value, grad = labels[item]
            wires.append(Wire(item, x + half, bps[k], ys[item], value, grad, output=item == p.output,
                              branch=len(succs(item, k)) > 1))
    incoming: dict[str, list[tuple[float, float]]] = {}  # a node's edges: (x, y) of each branch point
    for k, row in enumerate(rows[:-1]):
        for item in row:
            y0 = y_of(item, k)
            for s in succs(item, k):
                if isinstance(s, tuple):
                    segments.append(Segment(bps[k], y0, xs[k + 1] - col_half[k + 1], ys[(s, k + 1)], False))
                else:
                    incoming.setdefault(s, []).append((bps[k], y0))
    for s, sources in incoming.items():
        sources.sort(key=lambda q: q[1])
        n = len(sources)
        spread = min(0.15, 2 * (BOX_HALF_HEIGHT - 0.08) / (n - 1)) if n > 1 else 0.0
        for i, (x0, y0) in enumerate(sources):  # a box's edges meet its west side apart, top to bottom
            if kinds[s] == "gate":
                end = _arrival(x0, y0, xs[column[s]], ys[s], halves[s][1])
            else:
                end = (xs[column[s]] - halves[s][1], ys[s] + (i - (n - 1) / 2) * spread)
            segments.append(Segment(x0, y0, *end, True))

    lowest = max(ys.values())  # every row drawn: nodes, the dots, and long edges' relays on rows of their own
    height = lowest + STEP / 2 + 0.2
    width = bps[-1] + MARGIN
    what = {"all": "each value above its wire and the gradient of {o} by it below",
            "values": "each value above its wire", "gradients": "the gradient of {o} by each value below its wire",
            "given": "the inputs' values"}[choice.edges].format(o=p.output)
    left = len(p.nodes) - len(gates)
    cut = f"; the {left} nodes furthest from {p.output} are left out (written as ... and a name)" if left > 0 else ""
    if hidden:
        cut += f"; {len(hidden)} of the arguments of {p.output} are left out (the vertical dots)"
    caption = f"The computational graph of {p.output}: {what}{cut}"
    return GraphLayout(choice.key, caption, out_nodes, wires, segments, width, height)


def _order(rows, preds, succs, sweeps: int = 4) -> None:
    """Reorder each column's items by the mean row of their neighbours, down then up (barycentres)."""
    def index(row):
        return {i: n for n, i in enumerate(row)}

    for _ in range(sweeps):
        for k in range(1, len(rows)):
            at = index(rows[k - 1])
            def mean_in(i, k=k, at=at):
                s = [at[q] for q in preds(i, k)]
                return sum(s) / len(s) if s else -1
            rows[k].sort(key=mean_in)
        for k in range(len(rows) - 2, -1, -1):
            at = index(rows[k + 1])
            def mean(i, k=k, at=at):
                s = [at[q] for q in succs(i, k)]
                return sum(s) / len(s) if s else len(at)
            rows[k].sort(key=mean)


def _arrival(x0: float, y0: float, x: float, y: float, half: float) -> tuple[float, float]:
    """Where an edge from (x0, y0) meets a circle centred at (x, y): its rim, pointing at the centre."""
    dx, dy = x - x0, y - y0
    length = (dx * dx + dy * dy) ** 0.5
    return x - dx / length * half, y - dy / length * half
