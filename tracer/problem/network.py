"""Layered-network problems: the spec fields of a network, validated into a `Problem`.

Every mistake raises `SpecError(field_path, message)`; the first one found wins,
and the message says what was expected. See docs/spec.md for every field.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

import numpy as np

from ..errors import SpecError
from . import conventions
from .fields import (  # the spec's names, choices and limits (importable from here too)
    ACTIVATIONS,
    ARITHMETIC,
    DEFAULT_ARITHMETIC,
    DEFAULT_DECIMALS,
    DEFAULT_MODE,
    DEFAULT_RULE,
    DEFAULT_TITLE,
    EXAMPLE_KEYS,
    INIT_DEFAULTS,
    INIT_KEYS,
    INIT_MAX,
    KNOWN_KEYS,
    LOSSES,
    MAX_DECIMALS,
    MAX_EXAMPLES,
    MAX_INIT_DECIMALS,
    MAX_ITERATIONS,
    MAX_LAYERS,
    MAX_UNITS,
    MODES,
    PERCEPTRON_ACTIVATIONS,
    REQUIRED_KEYS,
)
from .folded import unfold_params
from .figures import FigureChoice, figures_within, parse_figures
from .notation import DEFAULT as DEFAULT_PROFILE
from .notation import Profile, profile_from_spec
from .validate import (
    choice,
    describe,
    integer,
    matrix,
    name_of,
    number,
    readonly,
    vector,
)
from .validate import written as validate_written

# Losses that take log(yhat): the output must lie in (0, 1).
_PROBABILITY_LOSSES = ("bce", "ce")
_PROBABILITY_OUTPUTS = ("sigmoid", "softmax")


@dataclass(frozen=True, eq=False)
class Example:
    """One training example: its input x and target y (read-only arrays)."""

    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity, not elementwise
class Problem:
    """A validated layered-network problem. Arrays are read-only float64."""

    kind: ClassVar[str] = "network"  # see tracer.problem.kinds

    title: str
    layers: tuple[int, ...]
    activations: tuple[str, ...]  # one per non-input layer
    loss: str
    params: Mapping[str, np.ndarray]  # W1, b1, W2, b2, ... in that order
    data: tuple[Example, ...]
    learning_rate: float | None  # None: no update (loss none without a learning rate)
    iterations: int
    mode: str = "sgd"
    batch_size: int | None = None
    shuffle_seed: int | None = None
    decimals: int = 4
    l2: float = 0.0
    frozen: tuple[str, ...] = ()
    description: str = ""
    arithmetic: str = "float"  # float | exact | by-hand (see tracer.arithmetic)
    notation: Profile = DEFAULT_PROFILE  # how the handout writes symbols and weights (tracer.notation)
    ask: tuple[str, ...] = ()  # paths or glob patterns a homework asks for (see check)
    grading: Mapping[str, Any] = field(default_factory=dict)  # validated by the checker
    randomize: Any = None  # the raw `randomize:` section; validated by tracer.randomize
    sheet: Any = None  # the raw `sheet:` section; validated by tracer.homework.sheet
    published: tuple = ()  # (path, number as written) a source printed; see tracer.problem.published
    figures: tuple = (FigureChoice("network"),)  # the handout's figures (tracer.problem.figures)
    source: dict = field(default_factory=dict, compare=False, repr=False)
    # the textbooks' conventions (tracer.problem.conventions)
    loss_half: bool = True  # sse = 1/2 sum (y - yhat)^2; false: sum (y - yhat)^2 (mse: mean, or 1/(2n) with true)
    batch_loss: str = "mean"  # mean | sum over an iteration's examples
    sig_figs: int | None = None  # round to significant figures instead of `decimals` places
    show: tuple[str, ...] = ()  # extra quantities the handout shows (error, grad.x, loss_terms)
    # The numbers written as text ("1/3"), so exact arithmetic reads them with every digit (the
    # arrays hold their doubles): {"W1" | "b1" | "data[0].x" | "data[0].y": {index: expr.Written}}.
    written: Mapping[str, Mapping[tuple, Any]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def depth(self) -> int:
        """L, the number of non-input layers."""
        return len(self.layers) - 1

    def param_names(self) -> list[str]:
        return [f"{kind}{l}" for l in range(1, self.depth + 1) for kind in ("W", "b")]

    def with_overrides(self, *, iterations: int | None = None, decimals: int | None = None,
                       arithmetic: str | None = None, notation: str | None = None,
                       figures: str | None = None) -> "Problem":
        """The same problem with `iterations`/`decimals`/`arithmetic` replaced (validated as in a spec)."""
        spec = dict(self.source)
        if arithmetic is not None:
            spec["arithmetic"] = arithmetic
        if notation is not None:
            spec["notation"] = notation
        if iterations is not None:
            spec["iterations"] = iterations
            if isinstance(spec.get("published"), dict):  # printed numbers of iterations still run
                spec["published"] = {k: v for k, v in spec["published"].items()
                                     if isinstance(k, str) and k.startswith("iter")
                                     and int(k[4:].split(".")[0] or 0) <= iterations}
            if isinstance(spec.get("figures"), list):  # the spec's figures of iterations still run
                spec["figures"] = figures_within(spec["figures"], iterations)
        if figures is not None:
            spec["figures"] = figures  # the command line's comma-separated form
        if decimals is not None:
            spec["decimals"] = decimals
            spec.pop("sig_figs", None)
        from .spec import (
            problem_from_dict,  # the spec's kind parses it again (a perceptron stays one)
        )

        return problem_from_dict(spec)


def parse(spec: dict) -> Problem:
    """A layered-network `Problem` from a spec mapping (the kind whose section is `layers`)."""
    for key in spec:
        if key not in KNOWN_KEYS:
            raise SpecError(str(key), f"unknown field; known fields: {', '.join(KNOWN_KEYS)}")
    for key in REQUIRED_KEYS:
        if key not in spec:
            raise SpecError(key, "required field is missing")

    layers_raw = spec["layers"]
    if not isinstance(layers_raw, list) or not 2 <= len(layers_raw) <= MAX_LAYERS:
        raise SpecError("layers", f"expected a list of 2 to {MAX_LAYERS} layer sizes, input first, got {describe(layers_raw)}")
    layers = [integer(n, f"layers[{i}]", 1, MAX_UNITS) for i, n in enumerate(layers_raw)]
    depth = len(layers) - 1

    act = spec["activation"]
    if spec.get("rule", DEFAULT_RULE) == DEFAULT_RULE and any(a in PERCEPTRON_ACTIVATIONS for a in (act if isinstance(act, list) else [act])):
        raise SpecError("activation", "step and sign have no gradient; they go with rule: perceptron (a single layer, no loss)")
    if isinstance(act, list):
        if len(act) != depth:
            raise SpecError("activation", f"expected {depth} names, one per non-input layer (layers {layers}), got {len(act)}")
        activations = [choice(a, ACTIVATIONS, f"activation[{i}]") for i, a in enumerate(act)]
    else:
        activations = [choice(act, ACTIVATIONS, "activation")] * depth
    for i, a in enumerate(activations[:-1]):
        if a == "softmax":
            where = f"activation[{i}]" if isinstance(act, list) else "activation"
            raise SpecError(where, "softmax is only allowed on the output layer")

    loss = choice(spec["loss"], LOSSES, "loss")
    out_act = activations[-1]
    if out_act == "softmax" and loss != "ce":
        raise SpecError("loss", f"a softmax output needs loss ce, got {loss}")
    if loss in _PROBABILITY_LOSSES and out_act not in _PROBABILITY_OUTPUTS:
        raise SpecError("loss", f"{loss} takes log(yhat), so the output activation must be sigmoid or softmax, got {out_act}")
    if loss == "bce" and out_act == "softmax":
        raise SpecError("loss", "bce goes with a sigmoid output; use ce with softmax")

    conventions.check_loss(loss, layers)
    params, written = _params(spec, layers)

    data_raw = spec["data"]
    if not isinstance(data_raw, list):
        raise SpecError("data", f"expected a list of examples {{x: [...], y: [...]}}, got {describe(data_raw)}")
    if not data_raw:
        raise SpecError("data", "expected at least one example, got an empty list")
    if len(data_raw) > MAX_EXAMPLES:
        raise SpecError("data", f"at most {MAX_EXAMPLES} examples, got {len(data_raw)}")
    data = tuple(_example(e, i, layers, loss) for i, e in enumerate(data_raw))
    for i, e in enumerate(data_raw):
        for key in EXAMPLE_KEYS:
            if written_here := validate_written(e.get(key)):
                written[f"data[{i}].{key}"] = written_here

    learning_rate = conventions.learning_rate(spec, loss)
    iterations = integer(spec["iterations"], "iterations", 1, MAX_ITERATIONS)

    mode = choice(spec.get("mode", DEFAULT_MODE), MODES, "mode")
    batch_size = None
    if mode == "minibatch":
        if "batch_size" not in spec:
            raise SpecError("batch_size", "required when mode is minibatch")
        batch_size = integer(spec["batch_size"], "batch_size", 1)
        if batch_size > len(data):
            raise SpecError("batch_size", f"expected at most the number of examples ({len(data)}), got {batch_size}")
    elif "batch_size" in spec:
        raise SpecError("batch_size", f"only used with mode minibatch (mode is {mode})")
    shuffle_seed = None
    if spec.get("shuffle_seed") is not None:
        shuffle_seed = integer(spec["shuffle_seed"], "shuffle_seed", 0)

    decimals = integer(spec.get("decimals", DEFAULT_DECIMALS), "decimals", 0, MAX_DECIMALS)
    l2 = number(spec.get("l2", 0.0), "l2")
    if l2 < 0:
        raise SpecError("l2", f"expected a number >= 0, got {spec['l2']}")

    frozen_raw = spec.get("frozen", [])
    if not isinstance(frozen_raw, list):
        raise SpecError("frozen", f"expected a list of parameter names, got {describe(frozen_raw)}")
    names = list(params)
    for i, name in enumerate(frozen_raw):
        if name not in names:
            got = name_of(name)
            raise SpecError(f"frozen[{i}]", f"unknown parameter {got}; parameters are {', '.join(names)}")
    frozen = tuple(n for n in names if n in frozen_raw)  # in parameter order

    title = spec.get("title", DEFAULT_TITLE)
    if not isinstance(title, str):
        raise SpecError("title", f"expected text, got {describe(title)}")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise SpecError("description", f"expected text, got {describe(description)}")

    arithmetic = choice(spec.get("arithmetic", DEFAULT_ARITHMETIC), ARITHMETIC, "arithmetic")
    notation = profile_from_spec(spec.get("notation"), depth)
    ask_raw = spec.get("ask", [])
    if not isinstance(ask_raw, list) or not all(isinstance(a, str) and a for a in ask_raw):
        raise SpecError("ask", "expected a list of quantity paths or patterns, e.g. [iter1.yhat, 'iter1.grad.*']")
    grading = spec.get("grading", {})
    if not isinstance(grading, dict):
        raise SpecError("grading", f"expected a mapping, got {describe(grading)}")

    problem = Problem(
        title=title, layers=tuple(layers), activations=tuple(activations), loss=loss,
        params={k: readonly(v) for k, v in params.items()}, data=data,
        learning_rate=learning_rate, iterations=iterations, mode=mode, batch_size=batch_size,
        shuffle_seed=shuffle_seed, decimals=decimals, l2=l2, frozen=frozen,
        description=description, arithmetic=arithmetic, notation=notation, ask=tuple(ask_raw), grading=grading,
        randomize=spec.get("randomize"), sheet=spec.get("sheet"), source=spec, written=written,
        **conventions.parse(spec, loss),
        figures=parse_figures(spec.get("figures"), iterations, updates=learning_rate is not None, loss=loss != "none"),
    )
    if spec.get("published") is not None:  # checked against the problem's own paths and shapes
        from .published import parse_published

        problem = dataclasses.replace(problem, published=parse_published(spec["published"], problem))
    return problem


def _params(spec: dict, layers: list[int]) -> tuple[dict[str, np.ndarray], dict]:
    """The parameters, and those of their entries written as text (see Problem.written)."""
    depth = len(layers) - 1
    has_params, has_init = "params" in spec, "init" in spec
    if has_params == has_init:
        raise SpecError("params", "give exactly one of params (the values) or init (a seeded draw)")
    if has_init:
        return _draw_params(spec["init"], layers), {}
    raw = spec["params"]
    if not isinstance(raw, dict):
        raise SpecError("params", f"expected a mapping W1, b1, W2, ..., got {describe(raw)}")
    # W{l} in the profile's layout with its bias row folded in -> canonical W{l}, b{l}
    raw = unfold_params(raw, layers, profile_from_spec(spec.get("notation"), depth))
    expected = [f"{k}{l}" for l in range(1, depth + 1) for k in ("W", "b")]
    for key in raw:
        if key not in expected:
            raise SpecError(f"params.{key}", f"unknown parameter; for layers {layers} the parameters are {', '.join(expected)}")
    params = {}
    for l in range(1, depth + 1):
        w, b = f"W{l}", f"b{l}"
        for name in (w, b):
            if name not in raw:
                raise SpecError(f"params.{name}", "missing")
        params[w] = matrix(raw[w], layers[l], layers[l - 1], f"params.{w}", layers)
        params[b] = vector(raw[b], layers[l], f"params.{b}", scalar_ok=True)
    written = {name: w for name in params if (w := validate_written(raw[name]))}
    return params, written


def _draw_params(init: Any, layers: list[int]) -> dict[str, np.ndarray]:
    """Reproducible draw on a grid: each value is k / 10**decimals, uniform in [low, high]."""
    if not isinstance(init, dict):
        raise SpecError("init", f"expected a mapping {{seed, low, high, decimals}}, got {describe(init)}")
    for key in init:
        if key not in INIT_KEYS:
            raise SpecError(f"init.{key}", f"unknown field; known fields: {', '.join(INIT_KEYS)}")
    if "seed" not in init:
        raise SpecError("init.seed", "required field is missing")
    seed = integer(init["seed"], "init.seed", 0)
    low = number(init.get("low", INIT_DEFAULTS["low"]), "init.low")
    high = number(init.get("high", INIT_DEFAULTS["high"]), "init.high")
    for name, value in (("low", low), ("high", high)):
        if abs(value) > INIT_MAX:  # keeps low * 10**decimals inside int64
            raise SpecError(f"init.{name}", f"expected a number from {-INIT_MAX:g} to {INIT_MAX:g}, got {value:g}")
    if low > high:
        raise SpecError("init.high", f"expected a number >= init.low ({low:g}), got {high:g}")
    decimals = integer(init.get("decimals", INIT_DEFAULTS["decimals"]), "init.decimals", 0, MAX_INIT_DECIMALS)
    scale = 10 ** decimals
    lo, hi = math.ceil(low * scale - 1e-9), math.floor(high * scale + 1e-9)
    if lo > hi:
        raise SpecError("init", f"no multiple of {1 / scale:g} lies in [{low:g}, {high:g}]; widen the range or raise init.decimals")
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(layers)):
        params[f"W{l}"] = rng.integers(lo, hi, size=(layers[l], layers[l - 1]), endpoint=True) / scale
        params[f"b{l}"] = rng.integers(lo, hi, size=layers[l], endpoint=True) / scale
    return params


def _example(raw: Any, i: int, layers: list[int], loss: str) -> Example:
    where = f"data[{i}]"
    if loss == "none":
        return Example(*conventions.example_without_target(raw, i, layers))
    if not isinstance(raw, dict):
        raise SpecError(where, f"expected a mapping {{x: [...], y: [...]}}, got {describe(raw)}")
    for key in raw:
        if key not in EXAMPLE_KEYS:
            raise SpecError(f"{where}.{key}", "unknown field; an example has x and y")
    for key in EXAMPLE_KEYS:
        if key not in raw:
            raise SpecError(f"{where}.{key}", "required field is missing")
    x = vector(raw["x"], layers[0], f"{where}.x", scalar_ok=True)
    y = vector(raw["y"], layers[-1], f"{where}.y", scalar_ok=True)
    if loss == "bce" and np.any((y < 0) | (y > 1)):
        raise SpecError(f"{where}.y", f"bce labels must lie in [0, 1], got {_fmt_list(y)}")
    if loss == "ce":
        if np.any(y < 0) or abs(y.sum() - 1) > 1e-9:
            raise SpecError(f"{where}.y", f"ce labels must be a probability vector (>= 0, summing to 1; e.g. one-hot), got {_fmt_list(y)}")
    return Example(readonly(x), readonly(y))


def _fmt_list(arr: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:g}" for v in arr) + "]"
