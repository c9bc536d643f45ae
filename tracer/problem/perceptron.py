"""The perceptron rule: a single layer with a threshold output, trained without a gradient.

A spec with `rule: perceptron` is a layered network of one layer (`layers: [n, k]`) whose
activation is `step` (labels 0/1) or `sign` (labels -1/+1), trained one example at a time by

    a = W x + b,   yhat = step(a) or sign(a),   e = y - yhat,
    W <- W + eta e x^T,   b <- b + eta e        (the bias is a weight from a constant input 1)

It is its own kind (`tracer.problem.kinds.PERCEPTRON`), not a branch of the network's
engine: it has no loss, no backward pass and no gradient, so every hook but the parse
differs. The parse is the network's (layers, params, data, notation, homework fields are
validated by the same code, so errors read alike) after the perceptron's own checks.
`rule: backprop` (the default) is the network kind, written out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import SpecError
from . import network
from .fields import DEFAULT_RULE, PERCEPTRON_ACTIVATIONS, PERCEPTRON_LABELS, RULES
from .validate import choice, describe

PERCEPTRON = "perceptron"


@dataclass(frozen=True, eq=False)
class PerceptronProblem(network.Problem):
    """A validated perceptron problem: one layer, `activations` ("step",) or ("sign",), no loss."""

    kind: ClassVar[str] = "perceptron"
    rule: str = PERCEPTRON


def parse(spec: dict):
    """The Problem of a spec with a `rule:` field: a perceptron, or (backprop) a network."""
    rule = choice(spec.get("rule", DEFAULT_RULE), RULES, "rule")
    if rule != PERCEPTRON:
        return network.parse(spec)
    layers = spec.get("layers")
    if isinstance(layers, list) and len(layers) != 2:
        raise SpecError("layers", f"the perceptron rule trains a single layer: expected [n, k] (inputs, outputs), got {layers}")
    if "activation" not in spec:
        raise SpecError("activation", "required field is missing; the perceptron rule takes step (labels 0/1) or sign (labels -1/+1)")
    act = spec["activation"]
    where = "activation"
    if isinstance(act, list):
        if len(act) != 1:
            raise SpecError("activation", f"expected one name for the single layer, got {describe(act)}")
        act, where = act[0], "activation[0]"
    if not (isinstance(act, str) and act in PERCEPTRON_ACTIVATIONS):
        raise SpecError(where, f"the perceptron rule takes a threshold output: expected one of: "
                               f"{', '.join(PERCEPTRON_ACTIVATIONS)}, got {describe(act)}")
    if "loss" in spec:
        raise SpecError("loss", "the perceptron rule follows no loss (its update is eta (y - yhat) x); leave loss out")
    if spec.get("mode", "sgd") != "sgd":
        raise SpecError("mode", f"the perceptron rule updates after each example: expected sgd, got {describe(spec['mode'])}")
    if spec.get("l2", 0) not in (0, 0.0):
        raise SpecError("l2", "the perceptron rule has no loss to regularize; leave l2 out")
    # The shared fields through the network's own validation: a linear layer stands in for
    # the threshold while the network checks shapes, numbers and the homework sections.
    stand_in = {k: v for k, v in spec.items() if k not in ("rule", "published")}
    stand_in.update(activation="linear", loss="mse")
    base = network.parse(stand_in)
    if any(ch.iteration is not None for ch in base.figures):
        raise SpecError("figures", "a perceptron's figure is its network as given: network (no @T; the perceptron "
                                   "records no activations or gradients to draw)")
    low, high = PERCEPTRON_LABELS[act]
    for i, ex in enumerate(base.data):
        if not np.all((ex.y == low) | (ex.y == high)):
            labels = "0 or 1" if act == "step" else "-1 or 1"
            got = "[" + ", ".join(f"{v:g}" for v in ex.y) + "]"
            raise SpecError(f"data[{i}].y", f"a {act} output takes labels {labels}, got {got}")
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(network.Problem)}
    fields.update(activations=(act,), loss="none", source=spec, published=())
    problem = PerceptronProblem(**fields)
    if spec.get("published") is not None:
        from .published import parse_published

        problem = dataclasses.replace(problem, published=parse_published(spec["published"], problem))
    return problem


# -- the paths and cost hooks -----------------------------------------------------------------

ITERATION_NAMES = ("W1", "b1", "x", "y", "a1", "h1", "yhat", "error", "new.W1", "new.b1")


def perceptron_paths(problem) -> list[str]:
    """Every path a perceptron records, in computation order (the `paths` hook)."""
    out = [f"iter{t}.{name}" for t in range(1, problem.iterations + 1) for name in ITERATION_NAMES]
    return out + ["final.W1", "final.b1"]


def perceptron_cost(problem) -> tuple[int, int]:
    """(values, numbers) the perceptron engine would record, counted without running it."""
    n_in, k = problem.layers
    params = k * n_in + k
    per_iteration = 2 * params + n_in + 5 * k  # W, b, new W, new b; x; y, a, h, yhat, error
    return len(ITERATION_NAMES) * problem.iterations + 2, per_iteration * problem.iterations + params
