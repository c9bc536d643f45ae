"""The library's front door: trace a problem and render it."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .spec import Problem, load_problem


def render_problem(problem: Problem, fmt: str) -> str:
    """Trace `problem` and render it as 'latex', 'markdown' or 'json'."""
    from .engine import run

    trace = run(problem)
    return render_trace(trace, fmt)


def render_trace(trace, fmt: str) -> str:
    if fmt == "json":
        from .export_json import to_json

        return to_json(trace)
    from .render import render

    return render(trace, fmt)


def trace(source: str | Path | Mapping):
    """Trace a spec file path or mapping; returns the engine's `Trace`."""
    from .engine import run

    return run(load_problem(source))
