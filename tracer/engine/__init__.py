"""The engine stage: run a Problem and record every number it computes in a Trace.

    network.py     the layered-network engine (forward, backward, update)
    network_small.py  its float path for small networks: the same bits, elementwise work on Python floats
    iteration_values.py  how network_small records an iteration: read-only views of one array
    perceptron.py  the perceptron rule: threshold output, error, update
    graph.py       the computational-graph engine (forward, local derivatives, backward)
    functions.py   the primitives: activations and losses, each beside its local derivative
    arithmetic.py  float, exact (mpmath) and by-hand (rounded) arithmetic
    trace.py       the Trace every kind of problem records into
"""

from __future__ import annotations

from ..errors import TracerError
from ..problem.kinds import kind_of

BUDGET_MB = 500  # what one run may take by default; `bptrace render --budget MB` changes it
# Memory a recorded value takes: the array, its path and its dict entry, plus each number
# (float64, or an mpmath number in exact arithmetic). Measured on the examples, rounded up.
_BYTES_PER_VALUE = 300
_BYTES_PER_NUMBER = {"float": 8, "by-hand": 8, "exact": 220}


class BudgetError(TracerError):
    """A request whose estimated cost is over the budget, refused before any work."""


def megabytes(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n < 1e9 else f"{n / 1e9:,.1f} GB"


def memory_estimate(problem, arithmetic: str | None = None) -> tuple[int, int]:
    """(numbers recorded, bytes of memory) a run of `problem` would take."""
    values, numbers = kind_of(problem).hook("cost")(problem)
    per_number = _BYTES_PER_NUMBER[arithmetic or problem.arithmetic]
    return numbers, values * _BYTES_PER_VALUE + numbers * per_number


def check_budget(problem, arithmetic: str | None = None, budget_mb: float = BUDGET_MB) -> None:
    numbers, need = memory_estimate(problem, arithmetic)
    if need > budget_mb * 1e6:
        raise BudgetError(
            f"iterations: this run would record {numbers:,} numbers, about {megabytes(need)} of memory, "
            f"over the budget of {budget_mb:g} MB; lower the iterations or the layer sizes "
            "(or raise the budget: bptrace render --budget MB)")


def run(problem, arithmetic: str | None = None, budget_mb: float | None = BUDGET_MB):
    """Trace `problem` in its arithmetic (or `arithmetic`), with its kind's engine.

    A run whose estimated memory is over `budget_mb` is refused before it starts
    (None: no limit).
    """
    if budget_mb is not None:
        check_budget(problem, arithmetic, budget_mb)
    return kind_of(problem).hook("run")(problem, arithmetic)
