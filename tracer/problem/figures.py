"""`figures:` in a spec (and `render --figures`): which pictures a handout shows.

A network (and a perceptron):

    figures: none                              no figure
    figures: [network]                         the network with its starting weights (the default)
    figures: [network, "network@2:gradients"]  ... and iteration 2: activations in the units,
                                               its gradients on the edges (or :weights, :updated)

A computational graph (`graph:`), which has one evaluation and no iterations:

    figures: [graph]                           every value above its wire, every gradient below (the default)
    figures: ["graph:values"]                  values only (or :gradients; :given, the inputs' values only)

One grammar for the spec and the command line (where the entries are comma-separated),
read here so the presenter receives a checked tuple of FigureChoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from .fields import FIGURE_EDGES, FIGURES_DEFAULT, GRAPH_FIGURE_LABELS, GRAPH_FIGURES_DEFAULT

_ENTRY = re.compile(r"^(?P<name>[a-z]+)(?:@(?P<t>[0-9]+))?(?::(?P<edges>[a-z]+))?$")
GRAPH_ALL = "all"  # a graph figure's default labels: values and gradients


@dataclass(frozen=True)
class FigureChoice:
    name: str  # "network" | "graph"
    iteration: int | None = None  # None: the problem as given (starting weights, no values)
    edges: str = "weights"  # a network's with an iteration: weights (at its start), gradients or updated;
    # a graph's: all, values, gradients or given

    @property
    def key(self) -> str:
        """The entry as written, and the stem of its file (`lecture.network-2-gradients.svg`, `g.graph-values.svg`)."""
        if self.iteration is not None:
            return f"{self.name}-{self.iteration}-{self.edges}"
        return self.name if self.edges in ("weights", GRAPH_ALL) else f"{self.name}-{self.edges}"


def parse_figures(value: Any, iterations: int, where: str = "figures", *,
                  updates: bool = True, kind: str = "network") -> tuple[FigureChoice, ...]:
    """The checked figure choices; `iterations` bounds an entry's @T, and `updated` edges need
    `updates` (a problem that updates its weights: not loss none without a learning rate).
    `kind` is the problem's: a graph's entries are graph[:labels], a network's network[@T[:edges]]."""
    graph = kind == "graph"
    if value is None:
        value = list(GRAPH_FIGURES_DEFAULT if graph else FIGURES_DEFAULT)
    if value == "none" or value == []:
        return ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list):
        example = "[graph, 'graph:values']" if graph else "[network, 'network@1:gradients']"
        raise SpecError(where, f"expected none or a list of figures, e.g. {example}")
    out: list[FigureChoice] = []
    for i, entry in enumerate(value):
        at = f"{where}[{i}]"
        m = _ENTRY.match(entry) if isinstance(entry, str) else None
        choice = _graph_entry(m, at) if graph else _network_entry(m, at, iterations, updates)
        if choice not in out:
            out.append(choice)
    return tuple(out)


def _graph_entry(m, at: str) -> FigureChoice:
    labels = "|".join(GRAPH_FIGURE_LABELS)
    if not m or m.group("name") != "graph":
        raise SpecError(at, f"a graph problem's figure is graph or graph:{labels}, e.g. graph:values")
    if m.group("t"):
        raise SpecError(at, "a graph problem has one evaluation and no iterations; write graph or graph:" + labels)
    edges = m.group("edges") or GRAPH_ALL
    if edges not in (GRAPH_ALL, *GRAPH_FIGURE_LABELS):
        raise SpecError(at, f"unknown labels {edges!r}; expected one of: {', '.join(GRAPH_FIGURE_LABELS)}")
    return FigureChoice("graph", None, edges)


def _network_entry(m, at: str, iterations: int, updates: bool) -> FigureChoice:
    if not m or m.group("name") != "network":
        what = "a network has no computational-graph figure; " if m and m.group("name") == "graph" else ""
        raise SpecError(at, f"{what}expected network, optionally @T (an iteration) and "
                            f":{'|'.join(FIGURE_EDGES)}, e.g. network@1:gradients")
    t = int(m.group("t")) if m.group("t") else None
    if t is None and m.group("edges"):
        raise SpecError(at, f"edge labels need an iteration: network@1:{m.group('edges')}")
    if t is not None and not 1 <= t <= iterations:
        raise SpecError(at, f"iteration {t} is not run; expected 1 to {iterations}")
    edges = m.group("edges") or ("weights" if t is None else "gradients")
    if edges not in FIGURE_EDGES:
        raise SpecError(at, f"unknown edge labels {edges!r}; expected one of: {', '.join(FIGURE_EDGES)}")
    if edges == "updated" and not updates:
        raise SpecError(at, "no weights are updated (loss none without learning_rate); "
                            "use :weights or :gradients")
    return FigureChoice("network", t, edges)


def figures_within(entries: list, iterations: int) -> list:
    """The entries that draw an iteration still run (`--iterations N` keeps the others out);
    anything malformed is kept, for parse_figures to report."""
    def runs(entry) -> bool:
        m = _ENTRY.match(entry) if isinstance(entry, str) else None
        return not (m and m.group("t")) or int(m.group("t")) <= iterations
    return [e for e in entries if runs(e)]
