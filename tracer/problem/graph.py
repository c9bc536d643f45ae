"""Computational-graph problems: a `graph:` section of inputs and nodes, validated into a GraphProblem.

    graph:
      inputs: {w: 5, x: 3, y: 2, z: 4}
      nodes:                 # in order; each an expression of inputs and earlier nodes
        v: x*y
        u: w + v
        f: u + z
      output: f

A graph has one evaluation and no iterations: forward pass, local derivatives,
backward pass. Its expressions are read by `expr.py` (a whitelist, never eval).
Every mistake raises SpecError("graph.nodes.u", ...), the first one found wins;
so does a node whose value is undefined at the given inputs (division by zero,
log of a non-positive number), found by evaluating the graph once in float here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from ..errors import SpecError
from . import expr as E
from .fields import (
    ARITHMETIC,
    DEFAULT_ARITHMETIC,
    DEFAULT_DECIMALS,
    GRAPH_SECTION_KEYS,
    GRAPH_SPEC_KEYS,
    MAX_DECIMALS,
    MAX_GRAPH_INPUTS,
    MAX_GRAPH_NODES,
    MAX_NAME_LENGTH,
)
from .figures import GRAPH_ALL, FigureChoice, parse_figures
from .validate import choice, describe, integer, name_of, number

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
RESERVED = ("grad", "local")  # the heads of the graph's quantity paths


@dataclass(frozen=True)
class Node:
    name: str
    expr: E.Expr  # the tree (tracer.problem.expr)
    text: str  # as written in the spec
    args: tuple[str, ...]  # the names it uses, in order of first appearance


@dataclass(frozen=True, eq=False)
class GraphProblem:
    """A validated computational graph: inputs with their values, nodes in order, the output."""

    kind: ClassVar[str] = "graph"  # see tracer.problem.kinds
    notation: ClassVar[None] = None  # no notation profile: names are the graph's own

    title: str
    inputs: tuple[tuple[str, float], ...]  # (name, value); a value written as text is an expr.Written
    nodes: tuple[Node, ...]
    output: str
    decimals: int = DEFAULT_DECIMALS
    sig_figs: ClassVar[None] = None  # a graph rounds to `decimals` places (numfmt.digits reads this)
    description: str = ""
    arithmetic: str = DEFAULT_ARITHMETIC
    ask: tuple[str, ...] = ()
    grading: Mapping[str, Any] = field(default_factory=dict)
    randomize: Any = None  # the raw `randomize:` section; validated by tracer.homework.randomize_graph
    sheet: Any = None
    published: tuple = ()
    figures: tuple = (FigureChoice("graph", None, GRAPH_ALL),)  # the handout's figures (tracer.problem.figures)
    source: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        """Every input and node, in definition order."""
        return [n for n, _ in self.inputs] + [n.name for n in self.nodes]

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def consumers(self, name: str) -> list[Node]:
        """The nodes that use `name` as an argument, in order."""
        return [n for n in self.nodes if name in n.args]

    def with_overrides(self, *, iterations: int | None = None, decimals: int | None = None,
                       arithmetic: str | None = None, notation: str | None = None,
                       figures: str | None = None) -> "GraphProblem":
        """The same graph with `decimals`/`arithmetic`/`figures` replaced; a graph has no iterations and no
        notation profile, so those are refused (iterations) or have nothing to change (notation)."""
        if iterations is not None:
            raise SpecError("iterations", "a graph problem has one evaluation and no iterations")
        spec = dict(self.source)
        if figures is not None:
            spec["figures"] = figures  # the command line's comma-separated form
        if arithmetic is not None:
            spec["arithmetic"] = arithmetic
        if decimals is not None:
            spec["decimals"] = decimals
        return parse(spec)


def parse(spec: dict) -> GraphProblem:
    """A GraphProblem from a spec mapping (the kind whose section is `graph`)."""
    for key in spec:
        if key not in GRAPH_SPEC_KEYS:
            raise SpecError(str(key), f"not a field of a graph problem; its fields: {', '.join(GRAPH_SPEC_KEYS)}")
    raw = spec["graph"]
    if not isinstance(raw, dict):
        raise SpecError("graph", f"expected a mapping {{inputs, nodes, output}}, got {describe(raw)}")
    for key in raw:
        if key not in GRAPH_SECTION_KEYS:
            raise SpecError(f"graph.{key}", f"unknown field; a graph has {', '.join(GRAPH_SECTION_KEYS)}")
    for key in GRAPH_SECTION_KEYS:
        if key not in raw:
            raise SpecError(f"graph.{key}", "required field is missing")

    inputs_raw = raw["inputs"]
    if not isinstance(inputs_raw, dict) or not inputs_raw:
        raise SpecError("graph.inputs", f"expected a mapping of names to numbers, e.g. {{x: 3, y: 2}}, got {describe(inputs_raw)}")
    if len(inputs_raw) > MAX_GRAPH_INPUTS:
        raise SpecError("graph.inputs", f"at most {MAX_GRAPH_INPUTS} inputs, got {len(inputs_raw)}")
    inputs = []
    for name, value in inputs_raw.items():
        where = f"graph.inputs.{name}"
        _check_name(name, where)
        inputs.append((name, number(value, where)))
    known = {n: "input" for n, _ in inputs}

    nodes_raw = raw["nodes"]
    if not isinstance(nodes_raw, dict) or not nodes_raw:
        raise SpecError("graph.nodes", f"expected a mapping of names to expressions, in order, got {describe(nodes_raw)}")
    if len(nodes_raw) > MAX_GRAPH_NODES:
        raise SpecError("graph.nodes", f"at most {MAX_GRAPH_NODES} nodes, got {len(nodes_raw)}")
    later = [str(k) for k in nodes_raw]
    nodes = []
    for i, (name, text) in enumerate(nodes_raw.items()):
        where = f"graph.nodes.{name}"
        _check_name(name, where)
        if name in known:
            raise SpecError(where, f"{name!r} is already an input; a node needs a name of its own")
        tree = E.parse(text, where)
        args = E.names(tree)
        for arg in args:
            if arg in known:
                continue
            if arg == name:
                raise SpecError(where, f"a cycle: {name!r} uses itself")
            if arg in later[i + 1:]:
                raise SpecError(where, f"{arg!r} is used before it is defined (a forward reference; "
                                       "nodes are evaluated in the order written, each from inputs and earlier nodes)")
            if arg in E.FUNCTIONS:
                raise SpecError(where, f"{arg!r} is a function: call it, e.g. {arg}(x)")
            raise SpecError(where, f"unknown name {arg!r}; the inputs and earlier nodes are {', '.join(known)}")
        nodes.append(Node(name, tree, text if isinstance(text, str) else repr(text), tuple(args)))
        known[name] = "node"

    output = raw["output"]
    if not isinstance(output, str) or known.get(output) != "node":
        what = "an input" if isinstance(output, str) and known.get(output) == "input" else "not a node"
        raise SpecError("graph.output", f"{name_of(output)} is {what}; the output must be one of the nodes: "
                                        f"{', '.join(n.name for n in nodes)}")

    env = dict(inputs)
    for node in nodes:  # undefined values are spec errors, found here once
        try:
            env[node.name] = E.evaluate(node.expr, env)
        except E.EvalError as err:
            raise SpecError(f"graph.nodes.{node.name}", f"{err} at the given values") from None

    title = spec.get("title", f"Computational graph: {output} = {nodes[-1].text if nodes[-1].name == output else output}")
    if not isinstance(title, str):
        raise SpecError("title", f"expected text, got {describe(title)}")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise SpecError("description", f"expected text, got {describe(description)}")
    decimals = integer(spec.get("decimals", DEFAULT_DECIMALS), "decimals", 0, MAX_DECIMALS)
    arithmetic = choice(spec.get("arithmetic", DEFAULT_ARITHMETIC), ARITHMETIC, "arithmetic")
    ask_raw = spec.get("ask", [])
    if not isinstance(ask_raw, list) or not all(isinstance(a, str) and a for a in ask_raw):
        raise SpecError("ask", "expected a list of quantity paths or patterns, e.g. [f, 'grad.*']")
    grading = spec.get("grading", {})
    if not isinstance(grading, dict):
        raise SpecError("grading", f"expected a mapping, got {describe(grading)}")
    return GraphProblem(title=title, inputs=tuple(inputs), nodes=tuple(nodes), output=output, decimals=decimals,
                        description=description, arithmetic=arithmetic, ask=tuple(ask_raw), grading=grading,
                        randomize=spec.get("randomize"), sheet=spec.get("sheet"),
                        figures=parse_figures(spec.get("figures"), 0, kind="graph"), source=spec)


def _check_name(name: Any, where: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise SpecError(where, f"a name is a letter, then letters, digits or _ (at most {MAX_NAME_LENGTH}), "
                               f"got {name_of(name)}")
    if name in E.FUNCTIONS or name in E.CONSTANTS or name in RESERVED:
        raise SpecError(where, f"{name!r} is reserved (a function, a constant or a path's head); choose another name")

