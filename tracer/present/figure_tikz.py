"""A NetworkLayout or a GraphLayout as a TikZ picture (LaTeX). Draws; decides nothing the layout decided."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .figure_layout import NetworkLayout

if TYPE_CHECKING:  # a graph's layout module is imported only to draw a graph
    from .figure_graph import GraphLayout


def _c(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def tikz(layout: NetworkLayout) -> str:
    r = layout.radius
    lines = [
        # y grows downwards in the layout, as in SVG: y=-1cm flips it
        r"\begin{tikzpicture}[x=1cm, y=-1cm, >=stealth,",
        rf"  unit/.style={{circle, draw, thick, minimum size={_c(2 * r)}cm, inner sep=0pt, align=center}},",
        rf"  bias/.style={{circle, draw, dashed, minimum size={_c(2 * r)}cm, inner sep=0pt}},",
        r"  weight/.style={fill=white, inner sep=0.6pt, font=\scriptsize}]",
    ]
    for n in layout.nodes:
        at = f"({_c(n.x)}, {_c(n.y)})"
        if n.kind == "dots":
            lines.append(rf"\node ({n.id}) at {at} {{${n.label}$}};")
        elif n.kind == "bias":
            lines.append(rf"\node[bias] ({n.id}) at {at} {{${n.label}$}};")
        else:
            body = f"${n.label}$" + (rf"\\[-1pt]{{\scriptsize ${n.value}$}}" if n.value else "")
            lines.append(rf"\node[unit] ({n.id}) at {at} {{{body}}};")
            if n.note:
                lines.append(rf"\node[font=\scriptsize, fill=white, inner sep=1pt] at ({_c(n.note_x)}, {_c(n.note_y)}) {{${n.note}$}};")
    for e in layout.edges:
        lines.append(rf"\draw[->] ({e.src}) -- ({e.dst});")
    for e in layout.edges:  # after every line, so no line crosses a label's white backing
        if e.label:
            lines.append(rf"\node[weight] at ({_c(e.label_x)}, {_c(e.label_y)}) {{${e.label}$}};")
    for x, words in layout.columns:
        lines.append(rf"\node[font=\small, anchor=south] at ({_c(x)}, {_c(layout.height)}) {{{words}}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"{{rgb,255:red,{r};green,{g};blue,{b}}}"


def graph_tikz(layout: GraphLayout) -> str:
    """A GraphLayout (figure_graph) as a tikzpicture: every coordinate is the layout's."""
    from .figure_graph import BOX_HALF_HEIGHT

    scaled = rf"scale={_c(layout.scale)}, every node/.append style={{transform shape}}," if layout.scale < 1 else ""
    lines = [
        rf"\begin{{tikzpicture}}[x=1cm, y=-1cm, >=stealth, {scaled}",
        r"  gate/.style={circle, draw, thick, inner sep=0pt},",
        rf"  box/.style={{rectangle, rounded corners=2pt, draw, thick, inner sep=2pt, minimum height={_c(2 * BOX_HALF_HEIGHT)}cm}},",
        r"  leaf/.style={anchor=east, inner sep=1pt},",
        r"  name/.style={font=\scriptsize, anchor=south, inner sep=1pt},",
        rf"  value/.style={{font=\scriptsize, anchor=south, inner sep=1.5pt, text={_rgb(layout.colours['value'])}}},",
        rf"  gradient/.style={{font=\scriptsize, anchor=north, inner sep=1.5pt, text={_rgb(layout.colours['gradient'])}}}]",
    ]
    for s in layout.segments:
        lines.append(rf"\draw{'[->]' if s.arrow else ''} ({_c(s.x1)}, {_c(s.y1)}) -- ({_c(s.x2)}, {_c(s.y2)});")
        if s.branch:
            lines.append(rf"\fill ({_c(s.x2)}, {_c(s.y2)}) circle (1.5pt);")
    for w in layout.wires:
        lines.append(rf"\draw{'[->]' if w.output else ''} ({_c(w.x1)}, {_c(w.y)}) -- ({_c(w.x2)}, {_c(w.y)});")
        if w.branch:
            lines.append(rf"\fill ({_c(w.x2)}, {_c(w.y)}) circle (1.5pt);")
        mid = f"({_c((w.x1 + w.x2) / 2)}, {_c(w.y)})"
        if w.value:
            lines.append(rf"\node[value] at {mid} {{${w.value}$}};")
        if w.gradient:
            lines.append(rf"\node[gradient] at {mid} {{${w.gradient}$}};")
    for n in layout.nodes:
        if n.kind == "dots":
            lines.append(rf"\node at ({_c(n.x)}, {_c(n.y)}) {{${n.label}$}};")
            continue
        if n.kind in ("input", "elided"):
            lines.append(rf"\node[leaf] at ({_c(n.x + n.half)}, {_c(n.y)}) {{${n.label}$}};")
            continue
        if n.kind == "gate":
            lines.append(rf"\node[gate, minimum size={_c(2 * n.half)}cm] at ({_c(n.x)}, {_c(n.y)}) {{${n.label}$}};")
            top = n.y - n.half
        else:
            lines.append(rf"\node[box, minimum width={_c(2 * n.half)}cm] at ({_c(n.x)}, {_c(n.y)}) {{${n.label}$}};")
            top = n.y - BOX_HALF_HEIGHT
        if n.name:
            lines.append(rf"\node[name] at ({_c(n.x)}, {_c(top)}) {{${n.name}$}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
