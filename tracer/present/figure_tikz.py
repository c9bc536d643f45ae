"""A NetworkLayout as a TikZ picture (LaTeX). Draws; decides nothing the layout decided."""

from __future__ import annotations

from .figure_layout import NetworkLayout


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
                lines.append(rf"\node[font=\scriptsize, anchor=north, inner sep=1pt] at ({_c(n.x)}, {_c(n.y + r + 0.04)}) {{${n.note}$}};")
    for e in layout.edges:
        label = f" node[weight, pos={_c(e.at)}] {{${e.label}$}}" if e.label else ""
        lines.append(rf"\draw[->] ({e.src}) --{label} ({e.dst});")
    for x, words in layout.columns:
        lines.append(rf"\node[font=\small, anchor=south] at ({_c(x)}, {_c(layout.height)}) {{{words}}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
