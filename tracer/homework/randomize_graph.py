"""`randomize:` for a computational graph: its inputs drawn on grids, under conditions on its values.

    randomize:
      inputs: all                      # all | none | [x, y] | {x: ENTRY, ...}; the rest keep the spec's values
      grids:
        inputs: {low: -5, high: 5, step: 1}
      nonzero: true                    # leave 0 out of the inputs' grids (an ENTRY may say otherwise)
      constraints:
        min_gradient: 1                # each grad.{name} on a path to the output >= 1 unit of the last digit shown
        require: ["u > 0", "x*y != w"] # conditions on the inputs' and nodes' values, in the expression grammar
      attempts: 1000

The same grammar as a network's section (tracer.homework.randomize): `inputs:` is the
graph's counterpart of `params:` and `data:`, with the same ENTRY (grids.py). A draw at
which a node is undefined (division by zero, log of a non-positive number: what the
graph's parser refuses in a spec) is redrawn like a draw that breaks a condition; so
is one that breaks `require`. A condition is `EXPR OP EXPR` with OP one of
< <= > >= == !=, over the names of the inputs and nodes; `require: ["v > 0"]` keeps
the argument v of a `log(v)` positive before the parser would have to refuse it.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.graph import relevant
from ..errors import SpecError
from ..problem import expr as E
from ..problem.fields import (
    RANDOMIZE_DEFAULT_ATTEMPTS,
    RANDOMIZE_DEFAULT_CONSTRAINTS,
    RANDOMIZE_DEFAULT_GRIDS,
    RANDOMIZE_GRAPH_CONSTRAINTS,
    RANDOMIZE_GRAPH_KEYS,
    RANDOMIZE_MAX_ATTEMPTS,
    RANDOMIZE_MAX_REQUIRE,
    RANDOMIZE_NETWORK_CONSTRAINTS,
)
from ..problem.graph import GraphProblem
from ..problem.validate import describe as _describe
from ..problem.validate import name_of as _name_of
from .grids import Grid, _bool, _entry, _grid, _grid_fields, _known, _number

UNDEFINED = "undefined"  # the reason of a draw at which a node has no value (its message follows a colon)
_COMPARE = re.compile(r"(<=|>=|==|!=|<|>)")
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class Condition:
    text: str
    op: str
    lhs: E.Expr
    rhs: E.Expr

    def holds(self, env: dict) -> bool:
        try:
            return bool(_OPS[self.op](E.evaluate(self.lhs, env), E.evaluate(self.rhs, env)))
        except (E.EvalError, ZeroDivisionError, OverflowError, ValueError):
            return False  # undefined at these values: not met


@dataclass(frozen=True)
class GraphPlan:
    """A validated `randomize:` section for a graph problem."""

    inputs: dict  # name -> Grid, or None (kept)
    min_gradient: float  # in units of the last digit shown
    require: tuple[Condition, ...]
    attempts: int

    def space(self, problem: GraphProblem) -> int:
        n = 1
        for grid in self.inputs.values():
            if grid is not None:
                n *= grid.size
        return n

    def draw(self, problem: GraphProblem, rng: np.random.Generator) -> dict:
        """The spec with the planned inputs drawn (in the inputs' order) and no randomize."""
        spec = {k: v for k, v in problem.source.items() if k != "randomize"}
        graph = dict(spec["graph"])
        inputs = dict(graph["inputs"])
        for name, _ in problem.inputs:
            grid = self.inputs[name]
            if grid is not None:
                value = float(grid.draw(rng, ()))
                inputs[name] = int(value) if grid.digits == 0 else value  # 3, not 3.0, on an integer grid
        graph["inputs"] = inputs
        spec["graph"] = graph
        return spec

    def unmet_in_trace(self, problem: GraphProblem, values: dict) -> str | None:
        if not all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values.values()):
            return "finite"
        env = {name: float(values[name]) for name in problem.names}
        for i, cond in enumerate(self.require):
            if not cond.holds(env):
                return f"require[{i}]"
        if self.min_gradient > 0:
            smallest = self.min_gradient * 10.0 ** -problem.decimals * (1 - 1e-9)
            for name in sorted(relevant(problem), key=problem.names.index):
                if abs(float(values[f"grad.{name}"])) < smallest:
                    return "min_gradient"
        return None

    def describe(self, problem: GraphProblem, reason: str) -> str:
        if reason.startswith(UNDEFINED + ":"):
            return f"every node defined at the drawn inputs ({reason.partition(':')[2].strip()})"
        if reason == "min_gradient":
            return (f"randomize.constraints.min_gradient (every gradient on a path to {problem.output} at least "
                    f"{self.min_gradient:g} x 10^-{problem.decimals} in size)")
        if reason.startswith("require["):
            i = int(reason[len("require["):-1])
            return f"randomize.constraints.{reason} ({self.require[i].text})"
        return {"finite": "every value finite", "duplicate": "different from every earlier variant"}.get(reason, reason)

    def fingerprint(self, problem: GraphProblem) -> tuple:
        return tuple(round(float(v), 12) for _, v in problem.inputs)


def plan_for(problem: GraphProblem, raw: Any) -> GraphPlan:
    """A graph's `randomize:` section (true already read as {}), validated; SpecError names the field."""
    keys = RANDOMIZE_GRAPH_KEYS
    if not isinstance(raw, dict):
        raise SpecError("randomize", f"expected true or a mapping with {', '.join(keys)}, got {_describe(raw)}")
    for key in ("params", "data"):
        if key in raw:
            raise SpecError(f"randomize.{key}", "a network's field; a graph draws its inputs (randomize.inputs)")
    _known(raw, keys, "randomize")
    nonzero = _bool(raw.get("nonzero", True), "randomize.nonzero")
    grids_raw = raw.get("grids", {})
    if not isinstance(grids_raw, dict):
        raise SpecError("randomize.grids", f"expected a mapping inputs -> grid, got {_describe(grids_raw)}")
    _known(grids_raw, ("inputs",), "randomize.grids")
    default = _grid_fields(grids_raw.get("inputs", {}), RANDOMIZE_DEFAULT_GRIDS["inputs"], "randomize.grids.inputs")
    if "inputs" in grids_raw:
        _grid(default, False, "randomize.grids.inputs")

    names = [name for name, _ in problem.inputs]
    where = "randomize.inputs"
    i_raw = raw.get("inputs", "all")
    if i_raw is True or i_raw == "all":
        chosen = {name: True for name in names}
    elif i_raw is False or i_raw == "none":
        chosen = {}
    elif isinstance(i_raw, list):
        chosen = {}
        for i, name in enumerate(i_raw):
            if name not in names:
                raise SpecError(f"{where}[{i}]", f"unknown input {_name_of(name)}; the inputs are {', '.join(names)}")
            chosen[name] = True
    elif isinstance(i_raw, dict):
        for name in i_raw:
            if name not in names:
                raise SpecError(f"{where}.{name}", f"unknown input; the inputs are {', '.join(names)}")
        chosen = i_raw
    else:
        raise SpecError(where, f"expected all, none, a list of input names or a mapping name -> entry, got {_describe(i_raw)}")
    inputs: dict[str, Grid | None] = {name: None for name in names}
    for name, entry in chosen.items():
        inputs[name] = _entry(entry, default, nonzero, f"{where}.{name}")

    c_raw = raw.get("constraints", {})
    where = "randomize.constraints"
    if not isinstance(c_raw, dict):
        raise SpecError(where, f"expected a mapping with {', '.join(RANDOMIZE_GRAPH_CONSTRAINTS)}, got {_describe(c_raw)}")
    for key in c_raw:
        if key in RANDOMIZE_NETWORK_CONSTRAINTS and key not in RANDOMIZE_GRAPH_CONSTRAINTS:
            raise SpecError(f"{where}.{key}", f"a network's constraint; a graph's are {', '.join(RANDOMIZE_GRAPH_CONSTRAINTS)}")
    _known(c_raw, RANDOMIZE_GRAPH_CONSTRAINTS, where)
    units = _number(c_raw.get("min_gradient", RANDOMIZE_DEFAULT_CONSTRAINTS["min_gradient"]), f"{where}.min_gradient")
    if units < 0:
        raise SpecError(f"{where}.min_gradient", f"expected a number >= 0 (0: off), got {units:g}")
    require = _conditions(c_raw.get("require", []), problem, f"{where}.require")

    attempts = raw.get("attempts", RANDOMIZE_DEFAULT_ATTEMPTS)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= RANDOMIZE_MAX_ATTEMPTS:
        raise SpecError("randomize.attempts", f"expected a whole number from 1 to {RANDOMIZE_MAX_ATTEMPTS}, got {_describe(attempts)}")
    if all(g is None for g in inputs.values()):
        raise SpecError("randomize", "draws nothing: name some inputs to draw")
    return GraphPlan(inputs, units, require, attempts)


def _conditions(raw: Any, problem: GraphProblem, where: str) -> tuple[Condition, ...]:
    if not isinstance(raw, list):
        raise SpecError(where, f"expected a list of conditions such as \"u > 0\", got {_describe(raw)}")
    if len(raw) > RANDOMIZE_MAX_REQUIRE:
        raise SpecError(where, f"at most {RANDOMIZE_MAX_REQUIRE} conditions, got {len(raw)}")
    known = problem.names
    out = []
    for i, text in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(text, str):
            raise SpecError(at, f"expected a condition as text, e.g. \"u > 0\", got {_describe(text)}")
        parts = _COMPARE.split(text)
        if len(parts) != 3:
            raise SpecError(at, "expected one comparison EXPR OP EXPR, OP one of < <= > >= == !=, e.g. \"u > 0\"")
        lhs, rhs = E.parse(parts[0], at), E.parse(parts[2], at)
        for name in E.names(lhs) + E.names(rhs):
            if name not in known:
                raise SpecError(at, f"unknown name {name!r}; the inputs and nodes are {', '.join(known)}")
        out.append(Condition(text, parts[1], lhs, rhs))
    return tuple(out)
