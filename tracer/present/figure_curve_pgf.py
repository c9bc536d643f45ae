"""A CurveLayout as a pgfplots axis (LaTeX). Draws; decides nothing the layout decided.

The ranges, the ticks and their labels are given explicitly, so pgfplots neither rounds
nor rescales them (`scaled ticks=false`), and each point is written as numfmt wrote it.
"""

from __future__ import annotations

from .figure_curve import CurveLayout
from .numfmt import coordinate

# (red, green, blue) of the Okabe-Ito palette, told apart in colour-blind vision; the
# dashes tell the curves apart in black and white. figure_curve_svg uses the same pairs.
PALETTE = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0), (86, 180, 233)]
DASHES = ["solid", "dashed", "dotted", "dashdotted", "densely dashed", "loosely dotted"]
WIDTH_CM, HEIGHT_CM = 6.2, 4.0  # the plot area; two plots and their labels fit side by side on A4


def _ticks(ticks) -> tuple[str, str]:
    return ",".join(coordinate(x) for x, _ in ticks), ",".join(f"{{${t}$}}" for _, t in ticks)


def pgfplot(layout: CurveLayout) -> str:
    xt, xl = _ticks(layout.xticks)
    yt, yl = _ticks(layout.yticks)
    legend = any(s.label for s in layout.series)
    options = [
        f"width={WIDTH_CM}cm, height={HEIGHT_CM}cm, scale only axis",
        f"xmin={coordinate(layout.x_range[0])}, xmax={coordinate(layout.x_range[1])}",
        f"ymin={coordinate(layout.y_range[0])}, ymax={coordinate(layout.y_range[1])}",
        f"xtick={{{xt}}}, xticklabels={{{xl}}}",
        f"ytick={{{yt}}}, yticklabels={{{yl}}}",
        "scaled x ticks=false, scaled y ticks=false, minor tick num=0" + (", ymode=log" if layout.log else ""),
        r"tick label style={font=\footnotesize}, ymajorgrids, grid style={black!12}",
        rf"xlabel={{\small {layout.xlabel}}}",
        rf"ylabel={{${layout.ylabel}$}}, ylabel style={{rotate=-90}}",
    ]
    if legend:
        options.append(r"legend style={font=\footnotesize, draw=none, at={(0.5,-0.28)}, anchor=north, "
                       "legend columns=2, /tikz/every even column/.append style={column sep=0.8em}}")
    # baseline at the top: plots set side by side in [t] minipages line up by their top edges
    lines = [r"\begin{tikzpicture}[baseline=(current bounding box.north)]", r"\begin{axis}[", *(f"  {o}," for o in options), "]"]
    for i, (s, points) in enumerate(zip(layout.series, layout.coordinates())):
        r, g, b = PALETTE[i % len(PALETTE)]
        mark = r"mark=*, mark size=1.3pt, mark options={solid}" if layout.marks else "no marks"
        coords = " ".join(f"({x},{y})" for x, y in points)
        lines.append(rf"\addplot[color={{rgb,255:red,{r};green,{g};blue,{b}}}, thick, {DASHES[i % len(DASHES)]}, "
                     rf"{mark}] coordinates {{{coords}}};")
        if legend:
            lines.append(rf"\addlegendentry{{${s.label}$}}")
    lines += [r"\end{axis}", r"\end{tikzpicture}"]
    return "\n".join(lines)
