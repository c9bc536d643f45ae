"""The engine's product: a `Trace`, every number of a run by its path, in computation order.

Every kind of problem records into one: the network engine (`tracer.engine.network`)
today, other kinds behind the same seam (see `tracer.problem.kinds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import TracerError
from ..problem.network import Problem
from ..problem.paths import split_element


@dataclass(frozen=True)
class Iteration:
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
    # (trace, format) -> text; set by tracer.api so that to_markdown() etc. work in notebooks
    presenter: Callable[["Trace", str], str] | None = field(default=None, repr=False, compare=False)

    def value(self, path: str):
        """The value at `path`; `iter1.W1[2,1]` picks one element (1-based)."""
        base, idx = split_element(path)
        arr = self.values[base]
        if idx is None:
            return arr
        if len(idx) != arr.ndim:
            raise KeyError(path)
        try:
            return arr[idx]
        except IndexError:
            raise KeyError(path) from None

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

    def _present(self, fmt: str) -> str:
        if self.presenter is None:
            raise TracerError("this Trace has no presenter: make it with tracer.trace(), "
                              "or render it with tracer.api.render_trace(trace, fmt)")
        return self.presenter(self, fmt)

    def _repr_markdown_(self) -> str:
        """Jupyter shows a trace as its Markdown handout."""
        return self.to_markdown()

    def __repr__(self) -> str:
        p = self.problem
        shape = f"layers {list(p.layers)}" if hasattr(p, "layers") else f"a {p.kind}"
        return f"<Trace {p.title!r}: {shape}, {len(self.iterations)} iterations, {len(self.values)} values>"
