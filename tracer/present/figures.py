"""The handout's figures: each chosen figure's layout and its drawings, carried by the View.

The network's figures go in the problem section (`View.figures`), the curves over the
iterations beside the summary (`View.curves`). Templates place a Figure (`tikz` in LaTeX; in
Markdown an image `file` beside the document, or `note` when there is none); they never draw. `place_files` names the files a Markdown
document refers to: only its writer knows where the document goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from .figure_curve import CURVES
from .figure_curve_pgf import pgfplot
from .figure_curve_svg import curve_svg
from .figure_layout import NetworkLayout, network_layout
from .figure_svg import graph_svg, svg
from .figure_tikz import graph_tikz, tikz

if TYPE_CHECKING:  # a graph's layout module is imported only to draw a graph
    from .figure_graph import GraphLayout


@dataclass
class Figure:
    """A figure ready for every format: its layout, TikZ and SVG texts, and its file name."""

    key: str  # the choice as written, e.g. network, network-2-gradients or graph-values
    caption: str
    layout: NetworkLayout | GraphLayout  # or a figure_curve.CurveLayout
    tikz: str  # a tikzpicture (a curve's: a pgfplots axis)
    svg: str  # a standalone SVG file's text
    svg_inline: str  # the same picture for an HTML page (no XML namespace)
    given: bool = True  # the problem as given (no iteration's values): fit for a problem sheet
    file: str = ""  # Markdown: the SVG's file name, relative to the document ("" : none written)
    href: str = ""  # the same, percent-encoded for a Markdown link
    number: int = 0  # a curve's figure number in an HTML page (after the network's figures)


def network_figures(c, choices) -> list[Figure]:
    out = []
    for choice in choices:
        if choice.name != "network":
            continue
        layout = network_layout(c, choice)
        out.append(Figure(layout.key, layout.caption, layout, tikz(layout), svg(layout), svg(layout, standalone=False),
                          given=choice.iteration is None))
    return out


def curve_figures(c, choices, first_number: int = 1) -> list[Figure]:
    """The chosen curves (loss, yhat) in the order chosen; a curve with no finite point is left out."""
    out = []
    for choice in choices:
        if choice.name not in CURVES:
            continue
        layout = CURVES[choice.name](c, choice.key)
        if not layout.series:
            continue
        out.append(Figure(layout.key, layout.caption, layout, pgfplot(layout), curve_svg(layout),
                          curve_svg(layout, standalone=False), given=False, number=first_number + len(out)))
    return out


def graph_figures(c, choices, show) -> list[Figure]:
    """The computational graph's figures; `show` gives a name's LaTeX (view_graph.display_names)."""
    out = []
    for choice in choices:
        if choice.name != "graph":
            continue
        from .figure_graph import graph_layout

        layout = graph_layout(c, choice, show)
        out.append(Figure(layout.key, layout.caption, layout, graph_tikz(layout), graph_svg(layout),
                          graph_svg(layout, standalone=False), given=choice.edges == "given"))
    return out


def place_files(view, stem: str | None) -> dict[str, str]:
    """Name each figure's SVG file `{stem}.{key}.svg`; returns {file name: SVG text} to write."""
    files = {}
    for fig in [*getattr(view, "figures", []), *getattr(view, "curves", [])]:
        fig.file = f"{stem}.{fig.key}.svg" if stem else ""
        fig.href = quote(fig.file)
        if stem:
            files[fig.file] = fig.svg
    return files
