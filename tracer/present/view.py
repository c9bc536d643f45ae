"""Trace -> View: the worked example as steps, each with its value and display string.

One entry point for every kind of problem; the kind's own builder does the work
(`view_network.build_network_view` for a layered network; see tracer.problem.kinds).
"""

from __future__ import annotations

from ..problem.kinds import kind_of
from . import numfmt
from .formulas import flush
from .layout import lay_out
from .notes import add_notes
from .steps import IterationView, Part, Section, Step, View

__all__ = ["build_view", "IterationView", "Part", "Section", "Step", "View"]


def build_view(trace, notation=None, slips=()) -> View:
    """Lay out every number of `trace` as steps, in computation order; `slips`: the source's printed
    numbers that differ from the computed ones (tracer.grade.published.slips), noted at their steps."""
    with numfmt.session():  # an array shown again (the next iteration's weights) is formatted once
        view = kind_of(trace).hook("view")(trace, notation)
    flush()  # keep the formulas this View derived for the next process (tracer.present.formula_store)
    if slips:
        add_notes(view, slips, trace.problem.decimals)
    return lay_out(view)
