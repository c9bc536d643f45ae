"""The spec's `randomize:` section: which numbers to draw, on which grids, under which constraints.

    randomize: true                    # every default below
    randomize:
      params: all                      # all | none | [W1, b1] | {W1: ENTRY, ...}; the rest keep the spec's values
      data: all                        # all | none | [x] | {x: ENTRY, y: ENTRY}
      grids:                           # the default grid of each kind
        params: {low: -1, high: 1, step: 0.1}
        x: {low: 0, high: 3, step: 1}
        y: {low: 0, high: 1, step: 0.1}  # mse/sse/mae; bce and ce labels are drawn 0/1 and one-hot
      nonzero: true                    # leave 0 out of the params and x grids (an ENTRY may say otherwise)
      constraints:
        max_preactivation: 3           # |a| <= 3 in sigmoid, tanh and softmax layers (null: off)
        min_gradient: 1                # each gradient >= 1 unit of the last digit shown (0: off)
        balanced_labels: true          # each drawn label value (class) as often as any other, within one
        distinct_examples: true        # no two examples with the same x
      attempts: 1000                   # draws per variant before giving up

An ENTRY is true (the kind's grid), false (keep the spec's value) or
{grid: {low, high, step}, nonzero: bool}; y also takes `labels`. A grid holds
the multiples of `step` in [low, high], written with step's decimals (grids.py).
A graph problem draws its inputs instead, in the same grammar: randomize_graph.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..problem.fields import (
    RANDOMIZE_CONSTRAINT_KEYS,
    RANDOMIZE_DEFAULT_ATTEMPTS,
    RANDOMIZE_DEFAULT_CONSTRAINTS,
    RANDOMIZE_DEFAULT_GRIDS,
    RANDOMIZE_KEYS,
    RANDOMIZE_LABELS,
    RANDOMIZE_MAX_ATTEMPTS,
    RANDOMIZE_NETWORK_CONSTRAINTS,
    RANDOMIZE_NETWORK_GRIDS,
    RANDOMIZE_NETWORK_KEYS,
)
from ..problem.network import Problem
from ..problem.validate import (
    describe as _describe,  # one wording for values in every spec error
)
from ..problem.validate import name_of as _name_of
from ..problem.validate import with_written_text
from . import randomize_graph
from .grids import ENTRY_KEYS, GRID_KEYS, GRID_MAX, MIN_STEP, Grid, _bool, _entry, _grid, _grid_fields, _known, _number  # noqa: F401
from .randomize_graph import GraphPlan

# The section's keys, grids and defaults live with the other spec fields (tracer.problem.fields).
KEYS = RANDOMIZE_KEYS
CONSTRAINT_KEYS = RANDOMIZE_CONSTRAINT_KEYS
DEFAULT_GRIDS = RANDOMIZE_DEFAULT_GRIDS
DEFAULT_CONSTRAINTS = RANDOMIZE_DEFAULT_CONSTRAINTS
DEFAULT_ATTEMPTS = RANDOMIZE_DEFAULT_ATTEMPTS
MAX_ATTEMPTS = RANDOMIZE_MAX_ATTEMPTS
SATURATING = ("sigmoid", "tanh", "softmax")
LABELS = RANDOMIZE_LABELS


@dataclass(frozen=True)
class Constraints:
    max_preactivation: float | None
    min_gradient: float  # in units of the last digit shown
    balanced_labels: bool
    distinct_examples: bool


@dataclass(frozen=True)
class Plan:
    """A validated `randomize:` section for one problem."""

    params: dict  # name -> Grid, or None (kept)
    x: Grid | None
    y: Grid | str | None  # a Grid, LABELS, or None (kept)
    constraints: Constraints
    attempts: int

    def space(self, problem: Problem) -> int:
        """How many distinct draws the grids allow (a Python int; may be astronomically large)."""
        n = 1
        for name, grid in self.params.items():
            if grid is not None:
                n *= grid.size ** int(np.size(problem.params[name]))
        examples, n_in, n_out = len(problem.data), problem.layers[0], problem.layers[-1]
        if self.x is not None:
            n *= self.x.size ** (examples * n_in)
        if isinstance(self.y, Grid):
            n *= self.y.size ** (examples * n_out)
        elif self.y == LABELS:
            n *= (n_out if problem.loss == "ce" else 2 ** n_out) ** examples
        return n


# -- validation ----------------------------------------------------------------------


def plan_for(problem: Problem) -> "Plan | GraphPlan":
    """The problem's `randomize:` section, validated; SpecError names the field."""
    raw = problem.randomize
    if raw is None or raw is False:
        raise SpecError("randomize", "this spec has no randomize section; add `randomize: true` to draw variants")
    if raw is True:
        raw = {}
    if problem.kind == "graph":
        return randomize_graph.plan_for(problem, raw)
    if not isinstance(raw, dict):
        raise SpecError("randomize", f"expected true or a mapping with {', '.join(RANDOMIZE_NETWORK_KEYS)}, got {_describe(raw)}")
    if "inputs" in raw:
        raise SpecError("randomize.inputs", "a graph's inputs; a network draws its params and data")
    _known(raw, RANDOMIZE_NETWORK_KEYS, "randomize")
    nonzero = _bool(raw.get("nonzero", True), "randomize.nonzero")
    grids_raw = raw.get("grids", {})
    if not isinstance(grids_raw, dict):
        raise SpecError("randomize.grids", f"expected a mapping params/x/y -> grid, got {_describe(grids_raw)}")
    _known(grids_raw, RANDOMIZE_NETWORK_GRIDS, "randomize.grids")
    defaults = {kind: _grid_fields(grids_raw.get(kind, {}), DEFAULT_GRIDS[kind], f"randomize.grids.{kind}")
                for kind in RANDOMIZE_NETWORK_GRIDS}
    for kind in grids_raw:  # a bad default grid is named where it is written
        _grid(defaults[kind], False, f"randomize.grids.{kind}")

    names = problem.param_names()
    params = {name: None for name in names}
    p_raw = raw.get("params", "all")
    where = "randomize.params"
    if p_raw is True or p_raw == "all":
        chosen = {name: True for name in names}
    elif p_raw is False or p_raw == "none":
        chosen = {}
    elif isinstance(p_raw, list):
        chosen = {}
        for i, name in enumerate(p_raw):
            if name not in names:
                raise SpecError(f"{where}[{i}]", f"unknown parameter {_name_of(name)}; parameters are {', '.join(names)}")
            chosen[name] = True
    elif isinstance(p_raw, dict):
        for name in p_raw:
            if name not in names:
                raise SpecError(f"{where}.{name}", f"unknown parameter; parameters are {', '.join(names)}")
        chosen = p_raw
    else:
        raise SpecError(where, f"expected all, none, a list of parameter names or a mapping name -> entry, got {_describe(p_raw)}")
    for name, entry in chosen.items():
        params[name] = _entry(entry, defaults["params"], nonzero, f"{where}.{name}")

    d_raw = raw.get("data", "all")
    where = "randomize.data"
    if d_raw is True or d_raw == "all":
        d_raw = {"x": True, "y": True}
    elif d_raw is False or d_raw == "none":
        d_raw = {}
    elif isinstance(d_raw, list):
        for i, kind in enumerate(d_raw):
            if kind not in ("x", "y"):
                raise SpecError(f"{where}[{i}]", f"expected x or y, got {_name_of(kind)}")
        d_raw = {kind: True for kind in d_raw}
    elif isinstance(d_raw, dict):
        _known(d_raw, ("x", "y"), where)
    else:
        raise SpecError(where, f"expected all, none, [x], [x, y] or a mapping x/y -> entry, got {_describe(d_raw)}")
    x = _entry(d_raw.get("x", False), defaults["x"], nonzero, f"{where}.x")
    y = _labels_entry(d_raw.get("y", False), defaults["y"], problem, f"{where}.y")

    c_raw = raw.get("constraints", {})
    if not isinstance(c_raw, dict):
        raise SpecError("randomize.constraints", f"expected a mapping with {', '.join(RANDOMIZE_NETWORK_CONSTRAINTS)}, got {_describe(c_raw)}")
    if "require" in c_raw:
        raise SpecError("randomize.constraints.require", "conditions on named values are for graph problems; "
                        f"a network's constraints are {', '.join(RANDOMIZE_NETWORK_CONSTRAINTS)}")
    _known(c_raw, RANDOMIZE_NETWORK_CONSTRAINTS, "randomize.constraints")
    c = {**DEFAULT_CONSTRAINTS, **c_raw}
    bound = c["max_preactivation"]
    if bound is not None and bound is not False:
        bound = _number(bound, "randomize.constraints.max_preactivation")
        if bound <= 0:
            raise SpecError("randomize.constraints.max_preactivation", f"expected a number > 0 (or null: off), got {bound:g}")
    else:
        bound = None
    units = _number(c["min_gradient"], "randomize.constraints.min_gradient")
    if units < 0:
        raise SpecError("randomize.constraints.min_gradient", f"expected a number >= 0 (0: off), got {units:g}")
    constraints = Constraints(bound, units, _bool(c["balanced_labels"], "randomize.constraints.balanced_labels"),
                              _bool(c["distinct_examples"], "randomize.constraints.distinct_examples"))

    attempts = raw.get("attempts", DEFAULT_ATTEMPTS)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= MAX_ATTEMPTS:
        raise SpecError("randomize.attempts", f"expected a whole number from 1 to {MAX_ATTEMPTS}, got {_describe(attempts)}")
    if all(g is None for g in params.values()) and x is None and y is None:
        raise SpecError("randomize", "draws nothing: name some params or data to draw")
    return Plan(params, x, y, constraints, attempts)


def _labels_entry(raw: Any, default: dict, problem: Problem, where: str):
    """y: labels (0/1, one-hot for ce), a grid, or kept. A label of 0 is ordinary: nonzero defaults to false."""
    if raw is True:
        raw = LABELS if problem.loss in ("bce", "ce") else {}
    if raw == LABELS:
        return LABELS
    if isinstance(raw, dict) and problem.loss == "ce":
        raise SpecError(where, "ce labels are drawn as one-hot classes; use `labels` (or true)")
    grid = _entry(raw, default, False, where)
    if grid is not None and problem.loss == "bce" and (grid.lo < 0 or grid.hi * grid.step > 1 + 1e-9):
        raise SpecError(where + ".grid", f"bce labels must lie in [0, 1], got {grid.text()}")
    return grid


# -- drawing -------------------------------------------------------------------------


def draw(plan: Plan, problem: Problem, rng: np.random.Generator) -> dict:
    """A spec mapping like the problem's own, with the planned values drawn (and no randomize/init)."""
    if isinstance(plan, GraphPlan):
        return plan.draw(problem, rng)
    spec = {k: v for k, v in problem.source.items() if k not in ("randomize", "init", "params", "data")}
    params = {}
    for name in problem.param_names():  # parameter order, so a draw does not depend on dict order
        grid = plan.params[name]
        value = problem.params[name] if grid is None else grid.draw(rng, problem.params[name].shape)
        params[name] = np.asarray(value, dtype=float).tolist()
        if grid is None:  # kept: a "1/3" stays text, for exact arithmetic
            with_written_text(params[name], problem.written.get(name))
    n = len(problem.data)
    xs = np.array([e.x for e in problem.data]) if plan.x is None else plan.x.draw(rng, (n, problem.layers[0]))
    if plan.y is None:
        ys = np.array([e.y for e in problem.data])
    elif plan.y == LABELS:
        ys = _labels(rng, n, problem.layers[-1], problem.loss == "ce", plan.constraints.balanced_labels)
        if problem.activations[-1] == "sign":  # the perceptron's sign output takes labels -1/+1
            ys = 2 * ys - 1
    else:
        ys = plan.y.draw(rng, (n, problem.layers[-1]))
    spec["params"] = params
    spec["data"] = [{"x": x.tolist(), "y": y.tolist()} for x, y in zip(xs, ys)]
    for i, row in enumerate(spec["data"]):
        for key, drawn in (("x", plan.x), ("y", plan.y)):
            if drawn is None:
                with_written_text(row[key], problem.written.get(f"data[{i}].{key}"))
    return spec


def _labels(rng: np.random.Generator, n: int, n_out: int, one_hot: bool, balanced: bool) -> np.ndarray:
    """0/1 labels per output (one-hot rows for ce); balanced: built balanced, then shuffled."""
    if one_hot:
        classes = (np.arange(n) + rng.integers(n_out)) % n_out if balanced else rng.integers(0, n_out, size=n)
        if balanced:
            classes = rng.permutation(classes)
        return np.eye(n_out)[classes]
    if not balanced:
        return rng.integers(0, 2, size=(n, n_out)).astype(float)
    cols = [rng.permutation((np.arange(n) + rng.integers(2)) % 2) for _ in range(n_out)]
    return np.array(cols, dtype=float).T.reshape(n, n_out)


# -- constraints ---------------------------------------------------------------------


def describe(plan: Plan, problem: Problem, name: str) -> str:
    """A constraint's field path and what it asks, for error messages."""
    if isinstance(plan, GraphPlan):
        return plan.describe(problem, name)
    c = plan.constraints
    if name == "max_preactivation":
        text = f"|a| <= {c.max_preactivation:g} in every sigmoid, tanh and softmax layer"
    elif name == "min_gradient":
        text = f"every gradient element at least {c.min_gradient:g} x 10^-{problem.decimals} in size"
    else:
        text = {"balanced_labels": "drawn labels balanced", "distinct_examples": "no two examples with the same x"}.get(name)
    if text:
        return f"randomize.constraints.{name} ({text})"
    return {"finite": "every value finite", "duplicate": "different from every earlier variant"}.get(name, name)


def unmet_before_run(plan: Plan, problem: Problem) -> str | None:
    """The first constraint on the drawn data alone that the problem breaks, or None."""
    if isinstance(plan, GraphPlan):
        return None
    c = plan.constraints
    if c.distinct_examples and len(problem.data) > 1:
        xs = {tuple(e.x.tolist()) for e in problem.data}
        if len(xs) < len(problem.data):
            return "distinct_examples"
    if c.balanced_labels and plan.y == LABELS and not labels_balanced(problem):
        return "balanced_labels"
    return None


def labels_balanced(problem: Problem) -> bool:
    ys = np.array([e.y for e in problem.data])
    if problem.loss == "ce":
        counts = np.bincount(ys.argmax(axis=1), minlength=ys.shape[1])
        return bool(counts.max() - counts.min() <= 1)
    ones = (ys > 0).sum(axis=0)  # 0/1 labels, or the -1/+1 of a sign output
    return bool(np.all(np.abs(2 * ones - len(ys)) <= 1))


def unmet_in_trace(plan: Plan, problem: Problem, values: dict) -> str | None:
    """The first constraint the traced (float) values break, or None."""
    if isinstance(plan, GraphPlan):
        return plan.unmet_in_trace(problem, values)
    if not all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values.values()):
        return "finite"
    c = plan.constraints
    if c.max_preactivation is not None:
        for path in preactivation_paths(problem, values):
            if np.max(np.abs(values[path])) > c.max_preactivation:
                return "max_preactivation"
    if c.min_gradient > 0:
        smallest = c.min_gradient * 10.0 ** -problem.decimals * (1 - 1e-9)
        for path in gradient_paths(values):
            if np.min(np.abs(values[path])) < smallest:
                return "min_gradient"
    return None


def preactivation_paths(problem: Problem, values: dict) -> list[str]:
    """Every `iter{t}[.ex{n}].a{l}` of a sigmoid, tanh or softmax layer."""
    layers = {f"a{l}" for l, act in enumerate(problem.activations, 1) if act in SATURATING}
    return [p for p in values if p.startswith("iter") and p.rsplit(".", 1)[-1] in layers]


def gradient_paths(values: dict) -> list[str]:
    """Every iteration's parameter gradient `iter{t}.grad.W{l}`, `.b{l}` (not the per-example ones of
    a batch, nor grad.x: a draw is judged by the gradients the update uses)."""
    return [p for p in values if p.startswith("iter") and p.split(".")[1] == "grad" and p.split(".")[2] != "x"]
