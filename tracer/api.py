"""The library's front door: trace a problem and render it."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .problem.spec import load_problem

# Bytes of output per recorded number, per digit shown (handouts) or flat (JSON, full
# precision): measured on the built-in examples at 2 to 40 iterations, rounded up.
_OUTPUT_BYTES = {"markdown": 16, "latex": 24}
_JSON_BYTES = 34


def output_estimate(problem, fmt: str) -> int:
    """About how many bytes `render_problem(problem, fmt)` writes."""
    from .engine import memory_estimate

    numbers, _ = memory_estimate(problem)
    if fmt == "json":
        return numbers * _JSON_BYTES
    return numbers * _OUTPUT_BYTES[fmt] * (problem.decimals + 2)


def render_problem(problem, fmt: str, budget_mb: float | None = None) -> str:
    """Trace `problem` and render it as 'latex', 'markdown' or 'json'.

    Refused before any work (BudgetError) if the run's memory or the output would
    be over `budget_mb` (default: the engine's BUDGET_MB; None there means no limit).
    """
    from .engine import BUDGET_MB, BudgetError, megabytes, run

    budget = BUDGET_MB if budget_mb is None else budget_mb
    size = output_estimate(problem, fmt)
    if size > budget * 1e6:
        raise BudgetError(
            f"iterations: the {fmt} output would be about {megabytes(size)}, over the budget of "
            f"{budget:g} MB; render fewer iterations (--iterations N), or raise the budget with --budget MB")
    return render_trace(run(problem, budget_mb=budget), fmt)


def render_trace(trace, fmt: str) -> str:
    if fmt == "json":
        from .present.export_json import to_json

        return to_json(trace)
    from .grade.published import slips
    from .present.render import render

    return render(trace, fmt, slips=slips(trace.problem, trace=trace) if trace.problem.published else ())


def trace(source: str | Path | Mapping):
    """Trace a spec file path or mapping; the `Trace` renders itself (`.to_markdown()`, ...)."""
    from .engine import run

    traced = run(load_problem(source))
    traced.presenter = render_trace
    return traced
