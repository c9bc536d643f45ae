"""Kinds of problem: the one seam a new kind (a computational graph, say) plugs into.

A kind implements one hook per stage of the pipeline, each in its own stage's
package, and is listed here by name:

    parse   problem stage   spec mapping -> Problem (the kind's own dataclass, with `kind = name`)
    paths   problem stage   Problem -> its quantity paths, in computation order
    cost    problem stage   Problem -> (values, numbers) it would record, counted without running
    run     engine stage    (Problem, arithmetic or None) -> Trace
    view    present stage   (Trace, Notation or None) -> View
    rules   grade stage     Trace -> {path: Rule}, the local formulas follow-through uses

Hooks are named as "module:function" strings, like entry points, and imported on
first use: this module imports nothing, so every stage may ask it which kind a
problem is, and each stage calls only its own stage's hook (the engine runs, the
presenter views, the checker asks for rules). docs/architecture.md walks through
adding a kind.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

STAGE_OF_HOOK = {"parse": "problem", "paths": "problem", "cost": "problem", "run": "engine", "view": "present",
                 "rules": "grade"}


@dataclass(frozen=True)
class Kind:
    """A kind of problem: the spec field that selects it and where its stages live (module:function)."""

    name: str
    section: str  # the spec field whose presence selects this kind
    parse: str
    paths: str
    cost: str
    run: str
    view: str
    rules: str

    def hook(self, stage_hook: str) -> Callable[..., Any]:
        """The function behind one hook ('parse', 'paths', 'run', 'view', 'rules')."""
        module, _, attr = getattr(self, stage_hook).partition(":")
        return getattr(importlib.import_module(module), attr)


NETWORK = Kind(
    name="network",
    section="layers",
    parse="tracer.problem.network:parse",
    paths="tracer.problem.quantities:network_paths",
    cost="tracer.problem.quantities:network_cost",
    run="tracer.engine.network:run",
    view="tracer.present.view_network:build_network_view",
    rules="tracer.grade.recompute:build_rules",
)

# A network trained by the perceptron rule (`rule: perceptron`): no loss, no backward pass, so
# its own engine, view and rules; `rule: backprop` parses to a plain network.
PERCEPTRON = Kind(
    name="perceptron",
    section="rule",
    parse="tracer.problem.perceptron:parse",
    paths="tracer.problem.perceptron:perceptron_paths",
    cost="tracer.problem.perceptron:perceptron_cost",
    run="tracer.engine.perceptron:run",
    view="tracer.present.view_perceptron:build_perceptron_view",
    rules="tracer.grade.recompute_perceptron:perceptron_rules",
)

GRAPH = Kind(
    name="graph",
    section="graph",
    parse="tracer.problem.graph:parse",
    paths="tracer.problem.quantities:graph_paths",
    cost="tracer.problem.quantities:graph_cost",
    run="tracer.engine.graph:run",
    view="tracer.present.view_graph:build_graph_view",
    rules="tracer.grade.recompute_graph:graph_rules",
)

KINDS: dict[str, Kind] = {k.name: k for k in (NETWORK, PERCEPTRON, GRAPH)}
DEFAULT = NETWORK  # a spec with no kind's section is read as a network, whose errors then name `layers`


def kind_of_spec(spec: Mapping) -> Kind:
    """The kind whose section the spec has (the first listed, if several)."""
    for kind in KINDS.values():
        if kind.section in spec and kind is not DEFAULT:
            return kind
    return DEFAULT


def kind_of(problem_or_trace: Any) -> Kind:
    """The kind of a Problem (or of the Problem a Trace ran)."""
    problem = getattr(problem_or_trace, "problem", problem_or_trace)
    return KINDS[problem.kind]
