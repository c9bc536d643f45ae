"""The engine stage: run a Problem and record every number it computes in a Trace.

    network.py     the layered-network engine (forward, backward, update)
    functions.py   the primitives: activations and losses, each beside its local derivative
    arithmetic.py  float, exact (mpmath) and by-hand (rounded) arithmetic
    trace.py       the Trace every kind of problem records into
"""

from __future__ import annotations

from ..problem.kinds import kind_of


def run(problem, arithmetic: str | None = None):
    """Trace `problem` in its arithmetic (or `arithmetic`), with its kind's engine."""
    return kind_of(problem).hook("run")(problem, arithmetic)
