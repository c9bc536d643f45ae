"""A CurveLayout as SVG (Markdown's image files, HTML's inline figures).

A template of our own rather than matplotlib: these plots are a few lines, ticks and marks,
and the text below is the same bytes on every machine (golden files), needs no dependency,
and costs nothing at import. Each curve's polyline carries its points, as numfmt wrote them,
in `data-points` (what the tests compare with the pgfplots coordinates); every label's LaTeX
is in `data-tex`, its text set by `tex_text` as in the network figure.
"""

from __future__ import annotations

import math

from .figure_curve import CurveLayout
from .figure_curve_pgf import PALETTE
from .figure_svg import FONT, _n, _tspans, escape, quoteattr
from .tex_text import runs

PLOT_W, PLOT_H = 300.0, 180.0  # px: the plot area
LEFT, RIGHT, TOP, BOTTOM = 62.0, 16.0, 12.0, 46.0  # px around it: tick labels, axis labels
LEGEND_ROW, LEGEND_COLUMNS = 18.0, 2
TICK = 11.0  # px: the font of tick labels and the legend
_DASHES = ["", "6 3", "1.5 2.5", "6 2.5 1.5 2.5", "4 1.5", "1.5 5"]  # figure_curve_pgf.DASHES as SVG


def _color(i: int) -> str:
    r, g, b = PALETTE[i % len(PALETTE)]
    return f"#{r:02x}{g:02x}{b:02x}"


def _text(tex: str, x: float, y: float, size: float, anchor: str = "middle", cls: str = "tick") -> str:
    return (f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
            f'data-tex={quoteattr(tex)}>{_tspans(runs(tex), size)}</text>')


def curve_svg(layout: CurveLayout, *, standalone: bool = True) -> str:
    legend = [s.label for s in layout.series if s.label]
    rows = -(-len(legend) // LEGEND_COLUMNS)
    w, h = LEFT + PLOT_W + RIGHT, TOP + PLOT_H + BOTTOM + rows * LEGEND_ROW
    (x0, x1), (y0, y1) = layout.x_range, layout.y_range

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * PLOT_W

    def py(y: float) -> float:
        if layout.log:  # decades evenly spaced, as pgfplots' ymode=log
            return TOP + PLOT_H - (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) * PLOT_H
        return TOP + PLOT_H - (y - y0) / (y1 - y0) * PLOT_H

    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    out = [f'<svg{ns} class="curve" viewBox="0 0 {_n(w)} {_n(h)}" width="{_n(w)}" height="{_n(h)}" '
           f'role="img" aria-label={quoteattr(layout.caption)} {FONT}>',
           f"<title>{escape(layout.caption)}</title>"]
    bottom = TOP + PLOT_H
    for y, tex in layout.yticks:  # grid lines and labels
        out.append(f'<line class="grid" x1="{_n(LEFT)}" y1="{_n(py(y))}" x2="{_n(LEFT + PLOT_W)}" y2="{_n(py(y))}" '
                   'stroke="#e0e0e0" stroke-width="1"/>')
        out.append(_text(tex, LEFT - 5, py(y) + TICK * 0.35, TICK, "end"))
    for x, tex in layout.xticks:
        out.append(f'<line class="tick" x1="{_n(px(x))}" y1="{_n(bottom)}" x2="{_n(px(x))}" y2="{_n(bottom + 4)}" '
                   'stroke="#000" stroke-width="1"/>')
        out.append(_text(tex, px(x), bottom + 6 + TICK, TICK))
    out.append(f'<rect class="frame" x="{_n(LEFT)}" y="{_n(TOP)}" width="{_n(PLOT_W)}" height="{_n(PLOT_H)}" '
               'fill="none" stroke="#000" stroke-width="1"/>')
    out.append(f'<text class="xlabel" x="{_n(LEFT + PLOT_W / 2)}" y="{_n(bottom + 24 + TICK)}" font-size="12" '
               f'text-anchor="middle">{escape(layout.xlabel)}</text>')
    out.append(_text(layout.ylabel, 14, TOP + PLOT_H / 2 + 5, 15.0, cls="ylabel"))
    for i, (s, points) in enumerate(zip(layout.series, layout.coordinates())):
        color, dash = _color(i), _DASHES[i % len(_DASHES)]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        xy = " ".join(f"{_n(px(x))},{_n(py(y))}" for x, y in s.points)
        data = " ".join(f"{x},{y}" for x, y in points)
        out.append(f'<polyline class="series" points="{xy}" data-points="{data}" fill="none" stroke="{color}" '
                   f'stroke-width="1.8"{dashes}/>')
        if layout.marks:
            out += [f'<circle cx="{_n(px(x))}" cy="{_n(py(y))}" r="2.6" fill="{color}"/>' for x, y in s.points]
    column_w = (PLOT_W + LEFT) / LEGEND_COLUMNS
    keyed = [(i, s.label) for i, s in enumerate(layout.series) if s.label]
    for j, (i, label) in enumerate(keyed):
        lx = 8 + (j % LEGEND_COLUMNS) * column_w
        ly = bottom + BOTTOM + (j // LEGEND_COLUMNS) * LEGEND_ROW + 6
        dash = _DASHES[i % len(_DASHES)]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line class="key" x1="{_n(lx)}" y1="{_n(ly)}" x2="{_n(lx + 26)}" y2="{_n(ly)}" '
                   f'stroke="{_color(i)}" stroke-width="1.8"{dashes}/>')
        out.append(_text(label, lx + 32, ly + TICK * 0.35, TICK, "start", cls="legend"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
