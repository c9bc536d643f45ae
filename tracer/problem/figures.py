"""`figures:` in a spec (and `render --figures`): which pictures a handout shows.

    figures: none                              no figure
    figures: [network]                         the network with its starting weights
    figures: [network, "network@2:gradients"]  ... and iteration 2: activations in the units,
                                               its gradients on the edges (or :weights, :updated)
    figures: [network, loss, yhat]             ... and, beside the summary, the loss and the
                                               outputs per iteration (the default past one
                                               iteration; loss only where there is one)

One grammar for the spec and the command line (where the entries are comma-separated),
read here so the presenter receives a checked tuple of FigureChoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from .fields import CURVE_NAMES, FIGURE_EDGES, FIGURE_NAMES, FIGURES_DEFAULT

_ENTRY = re.compile(r"^(?P<name>[a-z]+)(?:@(?P<t>[0-9]+)(?::(?P<edges>[a-z]+))?)?$")


@dataclass(frozen=True)
class FigureChoice:
    name: str  # "network", or a curve over the iterations: "loss", "yhat"
    iteration: int | None = None  # None: the problem as given (starting weights, no values)
    edges: str = "weights"  # with an iteration: weights (at its start), gradients or updated

    @property
    def key(self) -> str:
        """The entry as written, and the stem of its file (`lecture.network-2-gradients.svg`)."""
        return self.name if self.iteration is None else f"{self.name}-{self.iteration}-{self.edges}"


def default_figures(iterations: int, loss: bool = True) -> list[str]:
    """The network; past one iteration also the outputs per iteration, and the loss where there is one."""
    curves = [name for name in CURVE_NAMES if iterations > 1 and (loss or name != "loss")]
    return [*FIGURES_DEFAULT, *curves]


def parse_figures(value: Any, iterations: int, where: str = "figures", *,
                  updates: bool = True, loss: bool = True) -> tuple[FigureChoice, ...]:
    """The checked figure choices; `iterations` bounds an entry's @T, and `updated` edges need
    `updates` (a problem that updates its weights: not loss none without a learning rate);
    a loss curve needs a `loss`, and a curve two iterations or more."""
    if value is None:
        value = default_figures(iterations, loss)
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
            curves = " or ".join(CURVE_NAMES)
            raise SpecError(at, f"expected network, optionally @T (an iteration) and :{'|'.join(FIGURE_EDGES)} "
                                f"(e.g. network@1:gradients), or {curves}")
        t = int(m.group("t")) if m.group("t") else None
        if m.group("name") in CURVE_NAMES:
            _check_curve(m.group("name"), t, iterations, loss, at)
            out += [c for c in [FigureChoice(m.group("name"))] if c not in out]
            continue
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


def _check_curve(name: str, t: int | None, iterations: int, loss: bool, at: str) -> None:
    if t is not None:
        raise SpecError(at, f"{name} is plotted over every iteration and takes no @T; write {name}")
    if name == "loss" and not loss:
        raise SpecError(at, "the problem has no loss (loss none): there is no loss curve; use yhat")
    if iterations < 2:
        raise SpecError(at, f"{name} plots one point per iteration: it needs 2 iterations or more, got {iterations}")


def figures_within(entries: list, iterations: int) -> list:
    """The entries that draw an iteration still run (`--iterations N` keeps the others out, and
    with one iteration the curves); anything malformed is kept, for parse_figures to report."""
    def runs(entry) -> bool:
        m = _ENTRY.match(entry) if isinstance(entry, str) else None
        if m and m.group("name") in CURVE_NAMES and not m.group("t"):
            return iterations > 1
        return not (m and m.group("t")) or int(m.group("t")) <= iterations
    return [e for e in entries if runs(e)]
