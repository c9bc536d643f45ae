"""`figures:` in a spec (and `render --figures`): which pictures a handout shows.

A network (and a perceptron):

    figures: none                              no figure
    figures: [network]                         the network with its starting weights
    figures: [network, "network@2:gradients"]  ... and iteration 2: activations in the units,
                                               its gradients on the edges (or :weights, :updated)
    figures: [network, loss, yhat]             ... and, beside the summary, the loss and the
                                               outputs per iteration (the default past one
                                               iteration; loss only where there is one)

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
from .fields import CURVE_NAMES, FIGURE_EDGES, FIGURES_DEFAULT, GRAPH_FIGURE_LABELS, GRAPH_FIGURES_DEFAULT

_ENTRY = re.compile(r"^(?P<name>[a-z]+)(?:@(?P<t>[0-9]+))?(?::(?P<edges>[a-z]+))?$")
GRAPH_ALL = "all"  # a graph figure's default labels: values and gradients


@dataclass(frozen=True)
class FigureChoice:
    """A figure a spec or --figures asks for: what is drawn, at which iteration, with which edge labels."""

    name: str  # "network" | "graph", or a curve over the iterations: "loss", "yhat"
    iteration: int | None = None  # None: the problem as given (starting weights, no values)
    edges: str = "weights"  # a network's with an iteration: weights (at its start), gradients or updated;
    # a graph's: all, values, gradients or given

    @property
    def key(self) -> str:
        """The entry as written, and the stem of its file (`lecture.network-2-gradients.svg`, `g.graph-values.svg`)."""
        if self.iteration is not None:
            return f"{self.name}-{self.iteration}-{self.edges}"
        return self.name if self.edges in ("weights", GRAPH_ALL) else f"{self.name}-{self.edges}"


def default_figures(iterations: int, loss: bool = True) -> list[str]:
    """The network; past one iteration also the outputs per iteration, and the loss where there is one."""
    curves = [name for name in CURVE_NAMES if iterations > 1 and (loss or name != "loss")]
    return [*FIGURES_DEFAULT, *curves]


def parse_figures(value: Any, iterations: int, where: str = "figures", *,
                  updates: bool = True, loss: bool = True, kind: str = "network") -> tuple[FigureChoice, ...]:
    """The checked figure choices; `iterations` bounds an entry's @T, and `updated` edges need
    `updates` (a problem that updates its weights: not loss none without a learning rate);
    a loss curve needs a `loss`, and a curve two iterations or more. `kind` is the problem's:
    a graph's entries are graph[:labels], a network's network[@T[:edges]], loss and yhat."""
    graph = kind == "graph"
    if value is None:
        value = list(GRAPH_FIGURES_DEFAULT) if graph else default_figures(iterations, loss)
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
        choice = _graph_entry(m, at) if graph else _network_entry(m, at, iterations, updates, loss)
        if choice not in out:
            out.append(choice)
    return tuple(out)


def _check_curve(name: str, t: int | None, iterations: int, loss: bool, at: str) -> None:
    if t is not None:
        raise SpecError(at, f"{name} is plotted over every iteration and takes no @T; write {name}")
    if name == "loss" and not loss:
        raise SpecError(at, "the problem has no loss (loss none): there is no loss curve; use yhat")
    if iterations < 2:
        raise SpecError(at, f"{name} plots one point per iteration: it needs 2 iterations or more, got {iterations}")


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


def _network_entry(m, at: str, iterations: int, updates: bool, loss: bool) -> FigureChoice:
    t = int(m.group("t")) if m and m.group("t") else None
    if m and m.group("name") in CURVE_NAMES:
        _check_curve(m.group("name"), t, iterations, loss, at)
        if m.group("edges"):
            raise SpecError(at, f"{m.group('name')} is one curve and takes no :labels; write {m.group('name')}")
        return FigureChoice(m.group("name"))
    if not m or m.group("name") != "network":
        what = "a network has no computational-graph figure; " if m and m.group("name") == "graph" else ""
        raise SpecError(at, f"{what}expected network, optionally @T (an iteration) and :{'|'.join(FIGURE_EDGES)} "
                            f"(e.g. network@1:gradients), or {' or '.join(CURVE_NAMES)}")
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
    """The entries that draw an iteration still run (`--iterations N` keeps the others out, and
    with one iteration the curves); anything malformed is kept, for parse_figures to report."""
    def runs(entry) -> bool:
        m = _ENTRY.match(entry) if isinstance(entry, str) else None
        if m and m.group("name") in CURVE_NAMES and not m.group("t"):
            return iterations > 1
        return not (m and m.group("t")) or int(m.group("t")) <= iterations
    return [e for e in entries if runs(e)]
