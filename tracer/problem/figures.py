"""`figures:` in a spec (and `render --figures`): which pictures a handout shows.

    figures: none                              no figure
    figures: [network]                         the network with its starting weights (the default)
    figures: [network, "network@2:gradients"]  ... and iteration 2: activations in the units,
                                               its gradients on the edges (or :weights, :updated)

One grammar for the spec and the command line (where the entries are comma-separated),
read here so the presenter receives a checked tuple of FigureChoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from .fields import FIGURE_EDGES, FIGURE_NAMES, FIGURES_DEFAULT

_ENTRY = re.compile(r"^(?P<name>[a-z]+)(?:@(?P<t>[0-9]+)(?::(?P<edges>[a-z]+))?)?$")


@dataclass(frozen=True)
class FigureChoice:
    name: str  # "network"
    iteration: int | None = None  # None: the problem as given (starting weights, no values)
    edges: str = "weights"  # with an iteration: weights (at its start), gradients or updated

    @property
    def key(self) -> str:
        """The entry as written, and the stem of its file (`lecture.network-2-gradients.svg`)."""
        return self.name if self.iteration is None else f"{self.name}-{self.iteration}-{self.edges}"


def parse_figures(value: Any, iterations: int, where: str = "figures", *,
                  updates: bool = True) -> tuple[FigureChoice, ...]:
    """The checked figure choices; `iterations` bounds an entry's @T, and `updated` edges need
    `updates` (a problem that updates its weights: not loss none without a learning rate)."""
    if value is None:
        value = list(FIGURES_DEFAULT)
    if value == "none" or value == []:
        return ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list):
        raise SpecError(where, "expected none or a list of figures, e.g. [network, 'network@1:gradients']")
    out: list[FigureChoice] = []
    for i, entry in enumerate(value):
        at = f"{where}[{i}]"
        m = _ENTRY.match(entry) if isinstance(entry, str) else None
        if not m or m.group("name") not in FIGURE_NAMES:
            raise SpecError(at, f"expected {' or '.join(FIGURE_NAMES)}, optionally @T (an iteration) and "
                                f":{'|'.join(FIGURE_EDGES)}, e.g. network@1:gradients")
        t = int(m.group("t")) if m.group("t") else None
        if t is not None and not 1 <= t <= iterations:
            raise SpecError(at, f"iteration {t} is not run; expected 1 to {iterations}")
        edges = m.group("edges") or ("weights" if t is None else "gradients")
        if edges not in FIGURE_EDGES:
            raise SpecError(at, f"unknown edge labels {edges!r}; expected one of: {', '.join(FIGURE_EDGES)}")
        if edges == "updated" and not updates:
            raise SpecError(at, "no weights are updated (loss none without learning_rate); "
                                "use :weights or :gradients")
        choice = FigureChoice(m.group("name"), t, edges)
        if choice not in out:
            out.append(choice)
    return tuple(out)


def figures_within(entries: list, iterations: int) -> list:
    """The entries that draw an iteration still run (`--iterations N` keeps the others out);
    anything malformed is kept, for parse_figures to report."""
    def runs(entry) -> bool:
        m = _ENTRY.match(entry) if isinstance(entry, str) else None
        return not (m and m.group("t")) or int(m.group("t")) <= iterations
    return [e for e in entries if runs(e)]
