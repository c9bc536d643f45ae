"""The library's front door: trace a problem and render it."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .problem.spec import load_problem


def render_problem(problem, fmt: str) -> str:
    """Trace `problem` and render it as 'latex', 'markdown' or 'json'."""
    from .engine import run

    return render_trace(run(problem), fmt)


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
