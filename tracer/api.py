"""The library's front door: trace a problem and render it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

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
    text_fmt = {"pdf": "latex", "html": "markdown"}.get(fmt, fmt)  # a PDF is smaller than its LaTeX
    return numbers * _OUTPUT_BYTES[text_fmt] * (problem.decimals + 2)


def _check_budget(problem, fmt: str, budget: float) -> None:
    from .engine import BudgetError, megabytes

    size = output_estimate(problem, fmt)
    if size > budget * 1e6:
        raise BudgetError(
            f"iterations: the {fmt} output would be about {megabytes(size)}, over the budget of "
            f"{budget:g} MB; render fewer iterations (--iterations N), or raise the budget with --budget MB")


def render_problem(problem, fmt: str, budget_mb: float | None = None) -> str:
    """Trace `problem` and render it as 'latex', 'markdown' or 'json'.

    Refused before any work (BudgetError) if the run's memory or the output would
    be over `budget_mb` (default: the engine's BUDGET_MB; None there means no limit).
    """
    from .engine import BUDGET_MB, run

    budget = BUDGET_MB if budget_mb is None else budget_mb
    _check_budget(problem, fmt, budget)
    return render_trace(run(problem, budget_mb=budget), fmt)


def render_json(problem, budget_mb: float | None = None) -> Iterator[bytes]:
    """`render_problem(problem, 'json')` as UTF-8 pieces made in turn, to be written one after
    another (the CLI's `--to json`: a large net's JSON is tens of megabytes, never held whole)."""
    from .engine import BUDGET_MB, run
    from .present.export_json import json_pieces

    budget = BUDGET_MB if budget_mb is None else budget_mb
    _check_budget(problem, "json", budget)
    return json_pieces(run(problem, budget_mb=budget))


def render_document(problem, fmt: str, budget_mb: float | None = None, stem: str | None = None):
    """Trace `problem` and render it as a Document (tracer.present.render): its text, the files it
    refers to, and for 'pdf' the compiled PDF. `stem`: the output file's name without its suffix;
    Markdown's figures go beside it as `{stem}.{figure}.svg` (None: standard output, figures left out)."""
    from .engine import BUDGET_MB, run
    from .present.render import document

    budget = BUDGET_MB if budget_mb is None else budget_mb
    _check_budget(problem, fmt, budget)
    traced = run(problem, budget_mb=budget)
    found = ()
    if problem.published:  # the checker is imported only for a spec that has printed numbers to compare
        from .grade.published import slips

        found = slips(problem, trace=traced)
    return document(traced, fmt, stem, slips=found)


def render_trace(trace, fmt: str, iteration: int | None = None) -> str:
    """`trace` as 'latex', 'markdown', 'html' or 'json' text; 'notebook' is the HTML page set in
    an iframe for a notebook's output. `iteration`: that iteration alone (not for json)."""
    if fmt == "json":
        if iteration is not None:
            from .errors import TracerError

            raise TracerError("json holds the whole run; for one iteration pick its paths (iter2.*)")
        from .present.export_json import to_json

        return to_json(trace)
    from .grade.published import slips
    from .present.render import embedded, render, render_iteration

    noted = slips(trace.problem, trace=trace) if trace.problem.published else ()
    page_fmt = "html" if fmt == "notebook" else fmt
    if iteration is None:
        text = render(trace, page_fmt, slips=noted)
    else:
        text = render_iteration(trace, page_fmt, iteration, slips=noted)
    return embedded(text) if fmt == "notebook" else text


def trace(source: str | Path | Mapping):
    """Trace a spec file path or mapping; the `Trace` renders itself (`.to_markdown()`, ...)."""
    from .engine import run

    traced = run(load_problem(source))
    traced.presenter = render_trace
    return traced
