"""The engine's product: a `Trace`, every number of a run by its path, in computation order.

Every kind of problem records into one: the network engine (`tracer.engine.network`)
today, other kinds behind the same seam (see `tracer.problem.kinds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import MissingDependency, TracerError
from ..problem.network import Problem
from ..problem.paths import split_element


def plain(value):
    """A recorded value as plain Python: a float (or int) for a number, nested lists for an
    array. Exact arithmetic's mpmath numbers become the nearest floats (their digits stay in
    `Trace.values`)."""
    arr = np.asarray(value)
    if arr.dtype == object:
        arr = np.vectorize(float, otypes=[np.float64])(arr) if arr.size else arr.astype(np.float64)
    return arr.tolist()


@dataclass(frozen=True)
class Iteration:
    """Iteration t and the examples of its batch."""

    t: int  # 1-based
    examples: tuple[int, ...]  # 0-based indices into problem.data, in batch order

    @property
    def prefix(self) -> str:
        return f"iter{self.t}."

    def example_prefix(self, n: int) -> str:
        """Prefix of the n-th (1-based) example's quantities in this iteration."""
        return self.prefix if len(self.examples) == 1 else f"{self.prefix}ex{n}."


@dataclass
class Trace:
    """Every number of a run, by path, in computation order."""

    problem: Problem  # or the Problem of another kind (tracer.problem.kinds), e.g. a GraphProblem
    iterations: list[Iteration]  # empty for a kind without iterations (a graph)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    # Not in docs/quantities.md but shown in handouts: data-only loss and gradient when l2 > 0;
    # dL/dh(l) of each hidden layer (`{e}dL_dh{l}`), for the factored chain rule.
    aux: dict[str, np.ndarray] = field(default_factory=dict)
    arithmetic: str = "float"  # see tracer.arithmetic; values are mpmath numbers when "exact"
    rounded: set = field(default_factory=set)  # by-hand: paths whose value rounding changed
    # (iteration, first path) where a value stopped being finite; the run ends with that iteration
    diverged: tuple[int, str] | None = None
    # (trace, format, iteration=None) -> text; set by tracer.api so that to_markdown() etc. work
    # in notebooks (formats: markdown, latex, html, json, and notebook: the HTML page in an iframe)
    presenter: Callable[..., str] | None = field(default=None, repr=False, compare=False)

    def value(self, path: str):
        """The value at `path` as plain Python: a float for a number, a list for a vector,
        a list of rows for a matrix (never numpy); `iter1.W1[2,1]` picks one element (1-based).
        The arrays themselves are in `values` (read-only)."""
        base, idx = split_element(path)
        arr = self.values[base]
        if idx is None:
            return plain(arr)
        if len(idx) != np.ndim(arr):
            raise KeyError(path)
        try:
            return plain(arr[idx])
        except IndexError:
            raise KeyError(path) from None

    def iteration(self, t: int) -> IterationShown:
        """Iteration `t` (1-based) alone: shown in a notebook as the handout writes it."""
        if not 1 <= t <= len(self.iterations):
            raise TracerError(f"iteration {t}: expected 1 to {len(self.iterations)} (the iterations run)"
                              if self.iterations else f"iteration {t}: this problem has no iterations")
        return IterationShown(self, t)

    def paths(self) -> list[str]:
        return list(self.values)

    # Rendering, for notebooks and scripts: the handout in each format. The engine
    # knows no format; whoever runs it (tracer.api) passes the presenter in.
    def to_markdown(self) -> str:
        return self._present("markdown")

    def to_latex(self) -> str:
        return self._present("latex")

    def to_json(self) -> str:
        return self._present("json")

    def to_html(self) -> str:
        """The page `bptrace render --to html` writes (needs latex2mathml)."""
        return self._present("html")

    def _present(self, fmt: str, iteration: int | None = None) -> str:
        if self.presenter is None:
            raise TracerError("this Trace has no presenter: make it with tracer.trace(), "
                              "or render it with tracer.api.render_trace(trace, fmt)")
        if iteration is None:
            return self.presenter(self, fmt)
        return self.presenter(self, fmt, iteration=iteration)

    def _repr_html_(self) -> str | None:
        """Jupyter shows a trace as the `--to html` page, figures and curves included; without
        latex2mathml (None) it falls back to the Markdown."""
        return _html_or_none(self, None)

    def _repr_markdown_(self) -> str:
        """The Markdown handout (its figures need files: see `bptrace render -o`)."""
        return self.to_markdown()

    def __repr__(self) -> str:
        p = self.problem
        shape = f"layers {list(p.layers)}" if hasattr(p, "layers") else f"a {p.kind}"
        return f"<Trace {p.title!r}: {shape}, {len(self.iterations)} iterations, {len(self.values)} values>"


def _html_or_none(trace: Trace, t: int | None) -> str | None:
    try:
        return trace._present("notebook", t)
    except MissingDependency:
        return None


@dataclass(frozen=True)
class IterationShown:
    """One iteration of a Trace, for a notebook: `trace.iteration(2)` in a cell shows it alone."""

    trace: Trace
    t: int

    def to_markdown(self) -> str:
        return self.trace._present("markdown", self.t)

    def to_latex(self) -> str:
        """The iteration's section, without a preamble (nbconvert sets it into its document)."""
        return self.trace._present("latex", self.t)

    def to_html(self) -> str:
        return self.trace._present("html", self.t)

    def _repr_html_(self) -> str | None:
        return _html_or_none(self.trace, self.t)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return self.to_latex()

    def __repr__(self) -> str:
        it = self.trace.iterations[self.t - 1]
        return f"<Iteration {self.t} of {self.trace.problem.title!r}: examples {[i + 1 for i in it.examples]}>"
