"""A NetworkLayout or a GraphLayout as SVG (Markdown's image files, HTML's inline figures).

Every label's LaTeX goes into a `data-tex` attribute and, read by `tex_text`, into the
text itself: superscripts and subscripts as shifted, smaller tspans. All text is escaped;
a label can only ever be text.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .figure_layout import NetworkLayout
from .tex_text import Run, extent, runs, stacked

if TYPE_CHECKING:  # a graph's layout module is imported only to draw a graph
    from .figure_graph import GraphLayout


# xml.sax.saxutils.escape and quoteattr, which this module used: the same output, without the import
# of urllib, http.client, ssl and email that xml.sax.saxutils brings (a tenth of a handout's time).
def escape(data: str) -> str:
    """&, > and < as entities (saxutils.escape)."""
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(data: str) -> str:
    """An attribute value escaped and quoted (saxutils.quoteattr): newline, CR and tab as character
    references, double quotes around it unless it has a double quote and no single one."""
    data = escape(data).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' in data:
        return '"%s"' % data.replace('"', "&quot;") if "'" in data else "'%s'" % data
    return '"%s"' % data


PX = 40.0  # px per cm of the layout
FONT = "font-family=\"'Latin Modern Math', 'STIX Two Math', 'Cambria Math', 'Times New Roman', serif\""
_SIZE = {"label": 15.0, "value": 11.0, "edge": 11.0, "note": 11.0, "words": 12.0}
_CHAR_EM = 0.55  # the average width of a character, in em, for a label's white backing
_SCRIPT_EM = 0.5  # a script character's advance, in em, where a stack fixes it (digits and parentheses)


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _tspans(rs: list[Run], size: float) -> str:
    """Runs as tspans; each shift is undone by the next run's dy, so the baseline returns. A script
    stacked on the one before it (h^{(1)}_1) moves back to where that one began, as TeX sets it."""
    out, shift, owed = [], 0.0, 0.0
    prev_w = 0.0
    stack = stacked(rs)
    for k, (r, on_prev) in enumerate(zip(rs, stack)):
        fs = size * (0.7 ** abs(r.level))
        w = len(r.text) * fs * _SCRIPT_EM
        # both runs of a stack take exactly their estimated width, so moving back by it lands true
        fixed = on_prev or (k + 1 < len(rs) and stack[k + 1])
        target = -0.38 * size * r.level if r.level > 0 else 0.22 * size * -r.level
        dy = target - shift
        shift = target
        dx = -prev_w if on_prev else owed
        owed = max(0.0, prev_w - w) if on_prev else 0.0
        prev_w = w
        style = ' font-style="italic"' if r.italic else ""
        move = f' dx="{_n(dx)}"' if dx else ""
        length = f' textLength="{_n(w)}" lengthAdjust="spacing"' if fixed else ""
        out.append(f'<tspan{move} dy="{_n(dy)}" font-size="{_n(fs)}"{length}{style}>{escape(r.text)}</tspan>')
    if shift or owed:
        move = f' dx="{_n(owed)}"' if owed else ""
        out.append(f'<tspan{move} dy="{_n(-shift)}"></tspan>')
    return "".join(out)


def _text(tex: str, x: float, y: float, kind: str, extra: str = "", anchor: str = "middle") -> str:
    size = _SIZE[kind]
    return (f'<text class="{kind}" x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
            f'data-tex={quoteattr(tex)}{extra}>{_tspans(runs(tex), size)}</text>')


def _width(tex: str, kind: str) -> float:
    return extent(tex) * _SIZE[kind] * _CHAR_EM


def _backdrop(x: float, y: float, bw: float, bh: float, w: float, h: float) -> str:
    """The white box behind a label centred at (x, y), cut to the figure: the layout keeps a
    label's own box inside the page, and the backdrop's padding must not poke past the viewBox."""
    x0, y0, x1, y1 = max(x - bw / 2, 0), max(y - bh / 2, 0), min(x + bw / 2, w), min(y + bh / 2, h)
    width = bw if (x0, x1) == (x - bw / 2, x + bw / 2) else x1 - x0  # uncut: the box as drawn before, digit for digit
    height = bh if (y0, y1) == (y - bh / 2, y + bh / 2) else y1 - y0
    return f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(width)}" height="{_n(height)}" fill="white"/>'


def svg(layout: NetworkLayout, *, standalone: bool = True) -> str:
    """The picture; `standalone` adds the XML namespace a file needs (inline HTML SVG does without)."""
    w, h, r = layout.width * PX, layout.height * PX, layout.radius * PX
    marker = f"arrow-{layout.key}"
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    out = [f'<svg{ns} class="network" viewBox="0 0 {_n(w)} {_n(h)}" width="{_n(w)}" height="{_n(h)}" '
           f'role="img" aria-label={quoteattr(layout.caption)} {FONT}>',
           f"<title>{escape(layout.caption)}</title>",
           f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>']
    pos = {n.id: (n.x * PX, n.y * PX) for n in layout.nodes}
    labels = []
    for e in layout.edges:
        (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
        length = math.hypot(x2 - x1, y2 - y1)
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        out.append(f'<line x1="{_n(x1 + ux * r)}" y1="{_n(y1 + uy * r)}" x2="{_n(x2 - ux * r)}" y2="{_n(y2 - uy * r)}" '
                   f'stroke="#333" stroke-width="1" marker-end="url(#{marker})"/>')
        if e.label:
            lx, ly = e.label_x * PX, e.label_y * PX
            bw, bh = _width(e.label, "edge") + 3, _SIZE["edge"] + 2
            labels.append(_backdrop(lx, ly, bw, bh, w, h))
            labels.append(_text(e.label, lx, ly + _SIZE["edge"] * 0.35, "edge"))
    out += labels
    for n in layout.nodes:
        x, y = pos[n.id]
        if n.kind == "dots":
            out.append(_text(n.label, x, y + 5, "label"))
            continue
        dash = ' stroke-dasharray="4 3"' if n.kind == "bias" else ""
        out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="white" stroke="#000" stroke-width="1.5"{dash}/>')
        if n.value:
            out.append(_text(n.label, x, y - 2, "label"))
            out.append(_text(n.value, x, y + 12, "value"))
        else:
            out.append(_text(n.label, x, y + 5, "label"))
        if n.note:
            nx, ny = n.note_x * PX, n.note_y * PX
            bw, bh = _width(n.note, "note") + 3, _SIZE["note"] + 6
            out.append(_backdrop(nx, ny, bw, bh, w, h))
            out.append(_text(n.note, nx, ny + _SIZE["note"] * 0.35, "note"))
    for x, words in layout.columns:
        out.append(f'<text class="words" x="{_n(x * PX)}" y="{_n(h - 4)}" font-size="{_n(_SIZE["words"])}" '
                   f'text-anchor="middle">{escape(words)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def graph_svg(layout: GraphLayout, *, standalone: bool = True) -> str:
    """A GraphLayout (figure_graph) as SVG, from the layout's coordinates as the TikZ is."""
    from .figure_graph import BOX_HALF_HEIGHT

    w, h = layout.width * PX, layout.height * PX
    marker = f"arrow-{layout.key}"
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    out = [f'<svg{ns} class="graph" viewBox="0 0 {_n(w)} {_n(h)}" width="{_n(w * layout.scale)}" '
           f'height="{_n(h * layout.scale)}" role="img" aria-label={quoteattr(layout.caption)} {FONT}>',
           f"<title>{escape(layout.caption)}</title>",
           f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>']

    def line(x1, y1, x2, y2, arrow):
        end = f' marker-end="url(#{marker})"' if arrow else ""
        return (f'<line x1="{_n(x1 * PX)}" y1="{_n(y1 * PX)}" x2="{_n(x2 * PX)}" y2="{_n(y2 * PX)}" '
                f'stroke="#333" stroke-width="1"{end}/>')

    def dot(x, y):
        return f'<circle class="branch" cx="{_n(x * PX)}" cy="{_n(y * PX)}" r="2.5" fill="#333"/>'

    for s in layout.segments:
        out.append(line(s.x1, s.y1, s.x2, s.y2, s.arrow))
        if s.branch:
            out.append(dot(s.x2, s.y2))
    for wire in layout.wires:
        out.append(line(wire.x1, wire.y, wire.x2, wire.y, wire.output))
        if wire.branch:
            out.append(dot(wire.x2, wire.y))
        mid = (wire.x1 + wire.x2) / 2 * PX
        if wire.value:
            out.append(_text(wire.value, mid, wire.y * PX - 4, "edge", f' fill="{layout.colours["value"]}"'))
        if wire.gradient:
            out.append(_text(wire.gradient, mid, wire.y * PX + 4 + _SIZE["edge"] * 0.8, "edge",
                             f' fill="{layout.colours["gradient"]}"'))
    for n in layout.nodes:
        x, y, half = n.x * PX, n.y * PX, n.half * PX
        if n.kind == "dots":
            out.append(_text(n.label, x, y + 5, "label"))
            continue
        if n.kind in ("input", "elided"):
            out.append(_text(n.label, x + half - 3, y + 5, "label", anchor="end"))  # TikZ: inner sep 1pt
            continue
        if n.kind == "gate":
            out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(half)}" fill="white" stroke="#000" stroke-width="1.5"/>')
            top = y - half
        else:
            hh = BOX_HALF_HEIGHT * PX
            out.append(f'<rect x="{_n(x - half)}" y="{_n(y - hh)}" width="{_n(2 * half)}" height="{_n(2 * hh)}" rx="3" '
                       f'fill="white" stroke="#000" stroke-width="1.5"/>')
            top = y - hh
        out.append(_text(n.label, x, y + 5, "label"))
        if n.name:
            out.append(_text(n.name, x, top - 3, "note"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
