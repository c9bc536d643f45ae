"""A JSON Schema of the network problem spec, for editors (`bptrace schema`).

Built from the constants the validators enforce (fields.py, notation.py), so the
names, choices and limits here are the code's own. The schema is a helper: it
gives an editor completion, hover text and the first checks, but `parse`
(network.py) stays the authority and also checks what a schema cannot say, such
as each parameter's shape against `layers` or which activations a loss allows.

Only keywords that mean the same in draft-07 and draft 2020-12 are used, and no
`$ref`, so editors whose support stops at draft-07 read the same constraints.
Imports no numpy: `bptrace schema` stays light.
"""

from __future__ import annotations

from typing import Any

from .expr import FUNCTIONS
from .expr import MAX_CHARS as MAX_EXPR_CHARS
from .fields import (
    ACTIVATIONS,
    CURVE_NAMES,
    FIGURE_EDGES,
    FIGURE_NAMES,
    FIGURES_DEFAULT,
    GRAPH_FIGURE_LABELS,
    GRAPH_FIGURES_DEFAULT,
    ARITHMETIC,
    BATCH_LOSSES,
    DEFAULT_ARITHMETIC,
    DEFAULT_BATCH_LOSS,
    DEFAULT_DECIMALS,
    DEFAULT_FOLLOW_THROUGH,
    DEFAULT_IMPRECISE,
    DEFAULT_MODE,
    DEFAULT_POINTS,
    DEFAULT_RULE,
    DEFAULT_TITLE,
    EXAMPLE_KEYS,
    GRADING_KEYS,
    GRAPH_SECTION_KEYS,
    GRAPH_SPEC_KEYS,
    INIT_DEFAULTS,
    INIT_KEYS,
    INIT_MAX,
    KNOWN_KEYS,
    LOSSES,
    MAX_DECIMALS,
    MAX_EXAMPLES,
    MAX_GRAPH_INPUTS,
    MAX_GRAPH_NODES,
    MAX_INIT_DECIMALS,
    MAX_ITERATIONS,
    MAX_LAYERS,
    MAX_NAME_LENGTH,
    MAX_SIG_FIGS,
    MAX_SIG_FIGS_SHOWN,
    MAX_UNITS,
    MODES,
    PERCEPTRON_ACTIVATIONS,
    RANDOMIZE_CONSTRAINT_KEYS,
    RANDOMIZE_DEFAULT_ATTEMPTS,
    RANDOMIZE_DEFAULT_CONSTRAINTS,
    RANDOMIZE_DEFAULT_GRIDS,
    RANDOMIZE_ENTRY_KEYS,
    RANDOMIZE_GRID_KEYS,
    RANDOMIZE_GRID_MAX,
    RANDOMIZE_KEYS,
    RANDOMIZE_LABELS,
    RANDOMIZE_MAX_ATTEMPTS,
    RANDOMIZE_MAX_REQUIRE,
    RANDOMIZE_MIN_STEP,
    REQUIRED_KEYS,
    RULES,
    SHEET_DEFAULT_SOLUTION,
    SHEET_DEFAULT_SPACE,
    SHEET_KEYS,
    SHEET_MAX_SPACE,
    SHEET_SOLUTIONS,
    SHOW,
    SQUARED_LOSSES,
)
from .notation import (
    ALIAS_PATTERN,
    BACKWARDS,
    BIAS_MODES,
    BUILTIN,
    INLINE_KEYS,
    KINDS,
    LAYOUTS,
    SCALARS,
    SYMBOL_PATTERN,
    UPDATE_ORDERS,
)
from .quantities import GRAPH_QUANTITIES, QUANTITIES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:backprop-tracer:spec"
DOCS = "docs/spec.md"

MAX_DEPTH = MAX_LAYERS - 1  # weight matrices W1 .. W{MAX_DEPTH}
PARAM_NAMES = tuple(f"{kind}{l}" for l in range(1, MAX_DEPTH + 1) for kind in ("W", "b"))


def spec_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a network problem spec, as a fresh dict."""
    properties = _properties()
    assert tuple(properties) == KNOWN_KEYS, "every known field, in order, and no other"
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "backprop-tracer problem spec",
        "description": (
            "A layered-network backpropagation problem for `bptrace` (YAML or JSON); "
            f"every field is described in {DOCS}. This schema helps editors: bptrace's own "
            "validation is the authority and also checks what a schema cannot, e.g. each "
            "parameter's shape against `layers` and which output activation a loss needs."
        ),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "allOf": [
            {
                "description": ("A graph (`graph:`) has only the graph's fields; a network needs its required "
                                "fields and exactly one of `params` (the values) or `init` (a seeded draw)."),
                "if": {"required": ["graph"]},
                "then": {"propertyNames": {"enum": list(GRAPH_SPEC_KEYS)}},
                # (loss: required by the backprop rule only, see the next entry)
                "else": {"required": [k for k in REQUIRED_KEYS if k != "loss"],
                         "oneOf": [{"required": ["params"]}, {"required": ["init"]}]},
            },
            {
                "description": ("rule perceptron: one layer, activation step or sign, no loss, mode sgd, no l2; "
                                "otherwise (backprop) a loss is required and step/sign are not allowed."),
                "if": {"properties": {"rule": {"const": "perceptron"}}, "required": ["rule"]},
                "then": {
                    "properties": {
                        "layers": {"minItems": 2, "maxItems": 2},
                        "activation": {"anyOf": [{"enum": list(PERCEPTRON_ACTIVATIONS)},
                                                 {"type": "array", "maxItems": 1,
                                                  "items": {"enum": list(PERCEPTRON_ACTIVATIONS)}}]},
                        "mode": {"const": "sgd"}, "l2": {"const": 0},
                    },
                    "not": {"required": ["loss"]},
                },
                "else": {  # backprop: a network needs its loss (a graph has neither rule nor loss)
                    "if": {"required": ["graph"]},
                    "then": {},
                    "else": {
                        "required": ["loss"],
                        "properties": {"activation": {"anyOf": [{"enum": list(ACTIVATIONS)},
                                                                {"type": "array", "items": {"enum": list(ACTIVATIONS)}}]}},
                    },
                },
            },
            {
                "description": "`batch_size` is required with mode minibatch and not allowed otherwise.",
                "if": {"properties": {"mode": {"const": "minibatch"}}, "required": ["mode"]},
                "then": {"required": ["batch_size"]},
                "else": {"not": {"required": ["batch_size"]}},
            },
        ],
    }


# -- building blocks -----------------------------------------------------------------------

# A number may be written as an expression over constants ("1/3", "1 + sin(pi/4)"; tracer.problem.expr):
# text, which parse reads and checks. JSON Schema's numeric limits apply to numbers only.
_EXPR_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_EXPR_CHARS}
NUMBER = {"anyOf": [{"type": "number"}, _EXPR_TEXT]}


def _number(description: str, **limits: Any) -> dict:
    return {"description": description, "type": ["number", "string"], "maxLength": MAX_EXPR_CHARS, **limits}


def _whole(description: str, minimum: int | None = None, maximum: int | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"description": description, "type": "integer"}
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return {**out, **extra}


def _text(description: str, **extra: Any) -> dict:
    return {"description": description, "type": "string", **extra}


def _choice(description: str, options: tuple[str, ...], **extra: Any) -> dict:
    return {"description": description, "type": "string", "enum": list(options), **extra}


def _vector(description: str, *, scalar_ok: bool) -> dict:
    items = {"type": "array", "minItems": 1, "maxItems": MAX_UNITS, "items": NUMBER}
    if not scalar_ok:
        return {"description": description, **items}
    return {"description": description, "anyOf": [{"type": "number"}, _EXPR_TEXT, items]}


def _matrix(description: str) -> dict:
    row = {"type": "array", "minItems": 1, "maxItems": MAX_UNITS, "items": NUMBER}
    return {"description": description, "type": "array", "minItems": 1, "maxItems": MAX_UNITS, "items": row}


def _object(description: str, properties: dict, **extra: Any) -> dict:
    return {"description": description, "type": "object", "properties": properties,
            "additionalProperties": False, **extra}


def _symbol(description: str) -> dict:
    return _text(description, pattern=SYMBOL_PATTERN)


# -- the fields ----------------------------------------------------------------------------

def _properties() -> dict:
    return {
        "title": _text("Shown at the top of the handout.", default=DEFAULT_TITLE),
        "description": _text(
            "Shown under the title; also the line `bptrace examples` lists for a built-in example.", default=""),
        "layers": {
            "description": (f"Layer sizes, input first: 2 to {MAX_LAYERS} layers of 1 to {MAX_UNITS} units. "
                            "Example: [2, 2, 1]."),
            "type": "array", "minItems": 2, "maxItems": MAX_LAYERS,
            "items": _whole("Units in this layer.", 1, MAX_UNITS),
        },
        "activation": {
            "description": ("One name for every non-input layer, or a list with one per non-input layer. "
                            "softmax only on the output layer, and only with loss ce; step and sign only with rule perceptron."),
            "anyOf": [
                _choice("The activation of every non-input layer.", ACTIVATIONS + PERCEPTRON_ACTIVATIONS),
                {"type": "array", "minItems": 1, "maxItems": MAX_DEPTH,
                 "items": _choice("The activation of one layer (layer 1 first).", ACTIVATIONS + PERCEPTRON_ACTIVATIONS)},
            ],
        },
        "loss": _choice(
            "The per-example loss. bce: sigmoid output, labels in [0, 1]; ce: softmax (or sigmoid) output, "
            "labels a probability vector such as one-hot; mse, sse, mae: any output; none: no loss, the "
            "single output's own gradient (d yhat/d yhat = 1), data of x only.", LOSSES),
        "rule": _choice(
            "How the weights learn. backprop: gradient descent on the loss; perceptron: a single layer with a "
            "step (labels 0/1) or sign (labels -1/+1) output, no loss, updated by W <- W + eta (y - yhat) x^T, "
            "b <- b + eta (y - yhat), one example per iteration.", RULES, default=DEFAULT_RULE),
        "params": _params(),
        "init": _init(),
        "graph": _graph(),
        "data": {
            "description": (f"The training examples, 1 to {MAX_EXAMPLES}: each {{x: [...], y: [...]}}, x of "
                            "length n_0 and y of length n_L (a one-element x or y may be a plain number)."),
            "type": "array", "minItems": 1, "maxItems": MAX_EXAMPLES,
            "items": _object("One example.", {
                "x": _vector("The input, one number per input unit.", scalar_ok=True),
                "y": _vector("The target, one number per output unit (required with a loss, not allowed "
                             "with loss none).", scalar_ok=True),
            }, required=list(EXAMPLE_KEYS[:1])),
        },
        "learning_rate": _number("The step size eta, > 0: new = old - eta * grad. Required, except with "
                                 "loss none (then no update without it).", exclusiveMinimum=0),
        "iterations": _whole(f"The number of parameter updates, 1 to {MAX_ITERATIONS}.", 1, MAX_ITERATIONS),
        "mode": _choice(
            "sgd: one example per iteration, cycling through data in order; gd: every example per iteration, "
            "gradient averaged; minibatch: batch_size consecutive examples per iteration (the last batch "
            "of an epoch may be smaller).", MODES, default=DEFAULT_MODE),
        "batch_size": _whole(
            "Examples per iteration with mode minibatch (required there, not allowed otherwise); "
            "at most the number of examples.", 1),
        "shuffle_seed": {
            "description": ("Shuffle the examples: each epoch's order is the next permutation drawn from "
                            "numpy's default_rng(shuffle_seed). Omit (or null) for the order written."),
            "type": ["integer", "null"], "minimum": 0,
        },
        "decimals": _whole(
            f"Digits after the point in the handout, 0 to {MAX_DECIMALS} (JSON is always full precision; "
            "by-hand arithmetic rounds to these).", 0, MAX_DECIMALS, default=DEFAULT_DECIMALS),
        "l2": _number(
            "L2 weight decay lambda >= 0: the loss gains (lambda/2) sum_l ||W(l)||_F^2 (weights only, "
            "not biases), the gradient lambda W(l).", minimum=0, default=0),
        "frozen": {
            "description": "Parameters never updated, e.g. [b1, b2]; their gradients are still shown.",
            "type": "array", "items": _choice("A parameter name of this network.", PARAM_NAMES), "default": [],
        },
        "ask": {
            "description": ("The quantities a homework asks for: paths, elements or glob patterns, e.g. "
                            "[iter1.yhat, 'iter1.grad.*', 'iter2.W1[2,1]']; checked against the problem's "
                            "quantities by `bptrace check` (docs/answers.md)."),
            "type": "array", "items": _text("A quantity path, element or glob pattern.", minLength=1), "default": [],
        },
        "grading": _grading(),
        "arithmetic": _choice(
            "float: float64, displayed rounded; exact: 50 significant digits, every digit shown certified; "
            "by-hand: every intermediate rounded to `decimals` before it is used further.",
            ARITHMETIC, default=DEFAULT_ARITHMETIC),
        "notation": _notation(),
        "randomize": _randomize(),
        "sheet": _sheet(),
        "published": _published(),
        "loss_half": {
            "description": (f"The 1/2 of a squared error ({', '.join(SQUARED_LOSSES)} only): sse is 1/2 sum_k "
                            "(y_k - yhat_k)^2 by default, sum_k e_k^2 (Hagan) with false; mse is (1/n) sum_k "
                            "(y_k - yhat_k)^2 by default, 1/(2n) sum with true."),
            "type": "boolean",
        },
        "batch_loss": _choice(
            "An iteration's loss and gradient over its examples: their mean, or their sum (the lectures' "
            "E = sum over the patterns).", BATCH_LOSSES, default=DEFAULT_BATCH_LOSS),
        "sig_figs": _whole(
            f"Round to this many significant figures, 1 to {MAX_SIG_FIGS_SHOWN}, instead of `decimals` "
            "(not both): the handout, and by-hand arithmetic.", 1, MAX_SIG_FIGS_SHOWN),
        "show": {
            "description": ("Extra quantities the handout shows: error (e = y - yhat, with a squared error), "
                            "grad.x (the gradient by the input), loss_terms (the loss's term per output)."),
            "type": "array", "items": _choice("An extra quantity.", SHOW), "uniqueItems": True, "default": [],
        },
        "figures": _figures(),
    }


def _params() -> dict:
    props = {}
    for l in range(1, MAX_DEPTH + 1):
        props[f"W{l}"] = _matrix(f"The weights into layer {l}: n_{l} rows of n_{l - 1} numbers "
                                 f"(a({l}) = W{l} h({l - 1}) + b{l}); with a notation whose bias is a row (layered, node) and no "
                                 f"b{l}: n_{l - 1} + 1 rows of n_{l} numbers, in-out with the bias row folded in.")
        props[f"b{l}"] = _vector(f"The biases of layer {l}: n_{l} numbers (one bias may be a plain number).",
                                 scalar_ok=True)
    return _object(
        "The starting parameters W1, b1, W2, b2, ... (every one of the network's, no other); W{l} has shape "
        "n_l x n_(l-1), b{l} length n_l, or W{l} in the notation's in-out layout with the bias row folded in "
        "and no b{l}. Give this or init.", props)


def _graph() -> dict:
    name = {"type": "string", "pattern": f"^[A-Za-z][A-Za-z0-9_]{{0,{MAX_NAME_LENGTH - 1}}}$"}
    return _object(
        "A computational graph instead of layers: inputs with their values, nodes in order (each an "
        "expression of inputs and earlier nodes), the output node. Its problem has one evaluation, no "
        "training: only title, description, graph, decimals, arithmetic, ask, grading, randomize (its inputs), sheet, figures.",
        {
            "inputs": {"description": f"Each input's value (a number or a constant expression), 1 to {MAX_GRAPH_INPUTS}.",
                       "type": "object", "propertyNames": name, "additionalProperties": NUMBER,
                       "minProperties": 1, "maxProperties": MAX_GRAPH_INPUTS},
            "nodes": {"description": ("Each node's expression, in order: numbers, names of inputs and earlier nodes, "
                                      "+ - * / ^ (or **), parentheses, pi, e and the functions "
                                      + ", ".join(FUNCTIONS) + "."),
                      "type": "object", "propertyNames": name, "additionalProperties": NUMBER,
                      "minProperties": 1, "maxProperties": MAX_GRAPH_NODES},
            "output": {"description": "The node whose derivatives the backward pass computes.", **name},
        }, required=list(GRAPH_SECTION_KEYS))


def _init() -> dict:
    props = {
        "seed": _whole("The seed, a whole number >= 0 (required).", 0),
        "low": _number(f"The smallest value, from {-INIT_MAX:g} to {INIT_MAX:g}.", minimum=-INIT_MAX,
                       maximum=INIT_MAX, default=INIT_DEFAULTS["low"]),
        "high": _number(f"The largest value, >= low, at most {INIT_MAX:g}.", minimum=-INIT_MAX,
                        maximum=INIT_MAX, default=INIT_DEFAULTS["high"]),
        "decimals": _whole(f"Decimals of the drawn values, 0 to {MAX_INIT_DECIMALS}.", 0, MAX_INIT_DECIMALS,
                           default=INIT_DEFAULTS["decimals"]),
    }
    assert tuple(props) == INIT_KEYS
    return _object(
        "Instead of params: draw every starting value (W1, b1, W2, ... in that order) with numpy's "
        "default_rng(seed), uniformly among the multiples of 10^-decimals in [low, high].",
        props, required=["seed"])


def _grading() -> dict:
    points = _number("Points, >= 0.", minimum=0)
    props = {
        "points": {
            "description": ("Points per quantity (its elements share them): one number for every quantity, or "
                            "a mapping of paths or glob patterns to points, with `default` for the rest."),
            "anyOf": [points, {"type": "object", "additionalProperties": points}],
            "default": DEFAULT_POINTS,
        },
        "follow_through": _number("The share of a quantity's points for a follow-through answer, 0 to 1.",
                                  minimum=0, maximum=1, default=DEFAULT_FOLLOW_THROUGH),
        "imprecise": _number("The share of a quantity's points for an imprecise answer (right to the digits "
                             "written, fewer than asked), 0 to 1.", minimum=0, maximum=1, default=DEFAULT_IMPRECISE),
        "abs_tol": {"description": "Pass within this absolute tolerance (with rel_tol: whichever is larger).",
                    "type": ["number", "null"], "minimum": 0},
        "rel_tol": {"description": "Pass within this tolerance relative to the value's size.",
                    "type": ["number", "null"], "minimum": 0},
        "sig_figs": {"description": (f"Judge every answer to this many significant figures, 1 to {MAX_SIG_FIGS}; "
                                     "not together with abs_tol or rel_tol."),
                     "type": ["integer", "null"], "minimum": 1, "maximum": MAX_SIG_FIGS},
    }
    assert tuple(props) == GRADING_KEYS
    return _object(
        "How `bptrace check` scores answers (docs/answers.md); the command line's tolerance options replace "
        "the tolerance given here. Default tolerance: the precision each answer is written with, plus carried "
        "rounding.", props, default={})


def _notation() -> dict:
    builtins = "; ".join(f"{name}: {p.description}" for name, p in BUILTIN.items())
    kinds, scalars = ", ".join(KINDS), ", ".join(SCALARS)
    inline = {
        "name": {"description": "The profile's name (any text)."},
        "base": _choice("The built-in profile to start from.", tuple(BUILTIN), default="default"),
        "symbols": _object(
            f"LaTeX symbols to replace: per layer kind ({kinds}; `{{l}}` is the layer number) or the "
            f"scalars ({scalars}).",
            {key: _symbol(f"The symbol of {key}.") for key in KINDS + SCALARS}),
        "layers": {
            "description": f"Per-layer symbols: {{kind: {{layer: symbol}}}}, kind one of {kinds}, layer a number "
                           "or `out` (the output layer).",
            "type": "object", "propertyNames": {"enum": list(KINDS)},
            "additionalProperties": {
                "type": "object", "propertyNames": {"pattern": "^(out|[0-9]+)$"},
                "additionalProperties": _symbol("The symbol of this kind in this layer."),
            },
        },
        "layout": {
            "description": ("out-in: W(l) is n_l x n_(l-1); in-out: the transpose, W_ij from unit i to unit j. "
                            "One layout for every layer, or a mapping {layer: layout}, layer a number or `out`."),
            "anyOf": [
                _choice("The layout of every layer.", LAYOUTS),
                {"type": "object", "propertyNames": {"pattern": "^(out|[1-9][0-9]*)$"},
                 "additionalProperties": _choice("The layout of this layer.", LAYOUTS)},
            ],
        },
        "bias": _choice("separate bias vectors, or the last / first row of the in-out weight matrix acting on an "
                        "input augmented with 1.", BIAS_MODES),
        "aliases": {
            "description": "Names answer files may use for canonical ones, e.g. {u: h1, z: a2}; {L} is the "
                           "output layer's number.",
            "type": "object", "propertyNames": {"pattern": f"^{ALIAS_PATTERN}$"},
            "additionalProperties": {"type": "string"},
        },
        "backward": _choice("How the backward pass reads: delta, the error terms delta(l); factored, each local "
                            "factor of the chain rule named and valued, each gradient their product.", BACKWARDS),
        "update_order": _choice("The order of the updates: input-first (W(1), b(1), ...) or output-first "
                                "(W(L), b(L), ..., W(1), b(1)).", UPDATE_ORDERS),
    }
    assert tuple(inline) == INLINE_KEYS
    return {
        "description": ("How the handout writes symbols and weights (never the numbers): a built-in profile "
                        f"name or an inline profile. Built-ins: {builtins}."),
        "anyOf": [
            _choice("A built-in profile.", tuple(BUILTIN)),
            _object("An inline profile: a built-in base with changes.", inline),
            {"type": "null"},
        ],
        "default": "default",
    }


def _randomize() -> dict:
    names = list(PARAM_NAMES)
    low_high = {"minimum": -RANDOMIZE_GRID_MAX, "maximum": RANDOMIZE_GRID_MAX}

    def grid(description: str, default: dict | None = None) -> dict:
        props = {
            "low": _number(f"The grid's smallest value, from {-RANDOMIZE_GRID_MAX:g} to {RANDOMIZE_GRID_MAX:g}.",
                           **low_high),
            "high": _number("The grid's largest value, >= low.", **low_high),
            "step": _number(f"The grid's step, from {RANDOMIZE_MIN_STEP:g} to {RANDOMIZE_GRID_MAX:g}; values "
                            "are written with its decimals.", minimum=RANDOMIZE_MIN_STEP,
                            maximum=RANDOMIZE_GRID_MAX),
        }
        assert tuple(props) == RANDOMIZE_GRID_KEYS
        return _object(description, props, **({"default": default} if default else {}))

    def entry(description: str) -> dict:
        props = {"grid": grid("This entry's grid (unset fields: the kind's default grid)."),
                 "nonzero": {"description": "Leave 0 out of this grid.", "type": "boolean"}}
        assert tuple(props) == RANDOMIZE_ENTRY_KEYS
        return {"description": description,
                "anyOf": [{"type": "boolean"}, _object("A grid of its own.", props)]}

    kinds_of_grid = {
        "params": "The default grid of drawn parameters.",
        "x": "The default grid of drawn inputs.",
        "y": "The default grid of drawn targets (mse, sse, mae; bce and ce labels are drawn 0/1 and one-hot).",
        "inputs": "The default grid of a graph's drawn inputs.",
    }
    assert tuple(kinds_of_grid) == tuple(RANDOMIZE_DEFAULT_GRIDS)
    c = RANDOMIZE_DEFAULT_CONSTRAINTS
    constraints = {
        "max_preactivation": {
            "description": "|a| at most this in sigmoid, tanh and softmax layers, so no unit saturates "
                           "(null or false: off).",
            "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}, {"const": False}],
            "default": c["max_preactivation"],
        },
        "min_gradient": _number("Each gradient element at least this many units of the last digit shown "
                                "(0: off).", minimum=0, default=c["min_gradient"]),
        "balanced_labels": {"description": "Drawn labels: each value (class) as often as any other, within one.",
                            "type": "boolean", "default": c["balanced_labels"]},
        "distinct_examples": {"description": "No two examples with the same x.", "type": "boolean",
                              "default": c["distinct_examples"]},
        "require": {"description": "A graph's conditions on its inputs' and nodes' values, each EXPR OP EXPR "
                                   "(OP one of < <= > >= == !=), e.g. \"q > 0\".",
                    "type": "array", "items": {"type": "string"}, "maxItems": RANDOMIZE_MAX_REQUIRE},
    }
    assert tuple(constraints) == RANDOMIZE_CONSTRAINT_KEYS
    section = {
        "params": {
            "description": "Which parameters to draw: all, none, a list of names, or a mapping name -> entry "
                           "(true: the params grid; false: keep; or {grid, nonzero}). The rest keep the spec's values.",
            "anyOf": [
                {"type": "string", "enum": ["all", "none"]},
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string", "enum": names}},
                {"type": "object", "propertyNames": {"enum": names},
                 "additionalProperties": entry("How to draw this parameter.")},
            ],
            "default": "all",
        },
        "data": {
            "description": "Which data to draw: all, none, [x], [x, y], or a mapping x/y -> entry "
                           f"(y also takes `{RANDOMIZE_LABELS}`: 0/1 labels, one-hot for ce).",
            "anyOf": [
                {"type": "string", "enum": ["all", "none"]},
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string", "enum": list(EXAMPLE_KEYS)}},
                _object("x and y -> entry.", {
                    "x": entry("How to draw the inputs."),
                    "y": {"description": f"How to draw the targets: an entry, or `{RANDOMIZE_LABELS}`.",
                          "anyOf": [entry("An entry."), {"const": RANDOMIZE_LABELS}]},
                }),
            ],
            "default": "all",
        },
        "inputs": {
            "description": "A graph's inputs to draw: all, none, a list of names, or a mapping name -> entry "
                           "(true: the inputs grid; false: keep; or {grid, nonzero}). The rest keep the spec's values.",
            "anyOf": [
                {"type": "string", "enum": ["all", "none"]},
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "additionalProperties": entry("How to draw this input.")},
            ],
            "default": "all",
        },
        "grids": _object("The default grid of each kind: the multiples of step in [low, high].",
                         {kind: grid(text, dict(RANDOMIZE_DEFAULT_GRIDS[kind])) for kind, text in kinds_of_grid.items()}),
        "nonzero": {"description": "Leave 0 out of the params, x and inputs grids (an entry may say otherwise).",
                    "type": "boolean", "default": True},
        "constraints": _object("What every draw must satisfy; a draw that does not is redrawn.", constraints),
        "attempts": _whole(f"Draws per variant before giving up, 1 to {RANDOMIZE_MAX_ATTEMPTS}.", 1,
                           RANDOMIZE_MAX_ATTEMPTS, default=RANDOMIZE_DEFAULT_ATTEMPTS),
    }
    assert tuple(section) == RANDOMIZE_KEYS
    return {
        "description": ("Homework variants (`bptrace variants`): which numbers to draw per student, on which "
                        "grids, under which constraints. true: every default."),
        "anyOf": [{"type": "boolean"}, {"type": "null"},
                  _object("The parts of the section that differ from the defaults.", section)],
    }


def _figures() -> dict:
    network = f"network(?:@[0-9]+(?::(?:{'|'.join(FIGURE_EDGES)}))?)?"
    graph = f"graph(?::(?:{'|'.join(GRAPH_FIGURE_LABELS)}))?"
    curves = "|".join(CURVE_NAMES)
    assert set(FIGURE_NAMES) == {"network", "graph", *CURVE_NAMES}
    return {
        "description": ("The handout's figures: none, or a list. A network's: network (the starting weights), "
                        "network@T[:weights|gradients|updated] (iteration T's activations and edge values), "
                        "loss and yhat (the loss and the outputs per iteration, beside the summary); default: "
                        "network, and past one iteration yhat and (with a loss) loss. A graph's (graph:): graph "
                        f"(values above the wires, gradients below) or graph:{'|'.join(GRAPH_FIGURE_LABELS)}; "
                        f"default {list(GRAPH_FIGURES_DEFAULT)}."),
        "anyOf": [{"const": "none"},
                  {"type": "array", "items": {"type": "string", "pattern": f"^(?:{network}|{graph}|{curves})$"},
                   "uniqueItems": True}],
        "default": list(FIGURES_DEFAULT),
    }


def _sheet() -> dict:
    props = {
        "space": _whole(f"Blank lines of working room under each question, 0 to {SHEET_MAX_SPACE} (0: a compact "
                        "list); --space overrides it.", 0, SHEET_MAX_SPACE, default=SHEET_DEFAULT_SPACE),
        "title": {"description": "The sheet's title (default, or null: the spec's title); the answer key adds "
                                 "': answer key'.", "type": ["string", "null"]},
        "description": {"description": "The sheet's description (default, or null: the spec's description).",
                        "type": ["string", "null"]},
        "solution": _choice("asked: the solution handout shows what the sheet asks (the asked iterations and "
                            "parts); full: the whole handout. --solution overrides it.", SHEET_SOLUTIONS,
                            default=SHEET_DEFAULT_SOLUTION),
    }
    assert tuple(props) == SHEET_KEYS
    return {
        "description": ("How `bptrace variants` writes problem sheets: working room, title, description and how "
                        "much the solution shows. null: every default."),
        "anyOf": [_object("The parts of the section that differ from the defaults.", props), {"type": "null"}],
    }


# A network's quantity path of docs/quantities.md, optionally with a 1-based element index (the
# `published:` keys; a graph has no published: numbers).
_INDEX = r"\s*0*[1-9][0-9]*\s*"
PATH_PATTERN = ("^(?:" + "|".join(q.regex().pattern for q in QUANTITIES if q not in GRAPH_QUANTITIES) + ")"
                + rf"(?:\[{_INDEX}(?:,{_INDEX})?\])?$")
# A number written as text, so that it keeps its zeros ("0.0900"): the decimal forms published.py reads.
NUMERIC_TEXT_PATTERN = r"^\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$"


def _published() -> dict:
    number = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMERIC_TEXT_PATTERN}]}
    row = {"type": "array", "minItems": 1, "maxItems": MAX_UNITS, "items": number}
    value = {
        "description": ("The number printed: a number for a scalar or one element, a list for a vector, a list "
                        "of rows for a matrix; quoted text keeps trailing zeros (\"0.0900\"), the precision "
                        "it was printed with."),
        "anyOf": [number, row, {"type": "array", "minItems": 1, "maxItems": MAX_UNITS, "items": row}],
    }
    return {
        "description": ("The numbers a source (lecture notes, a book) printed, by quantity path or element "
                        "(docs/quantities.md), e.g. {iter1.yhat: 0.8934, iter1.h1: [0.7685, 0.8581], "
                        "'iter1.W1[2,1]': 0.2}. Each must be a quantity of the problem, in its shape. The "
                        "handout notes where one differs beyond its printed rounding; `bptrace check SPEC "
                        "--published` grades them like an answer file (docs/answers.md)."),
        "anyOf": [{"type": "object", "propertyNames": {"pattern": PATH_PATTERN}, "additionalProperties": value},
                  {"type": "null"}],
    }
