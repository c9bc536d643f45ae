"""Spec validation: every bad input raises one `SpecError` whose one-line message
names the field and says what was expected. Good inputs load as documented."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tracer.errors import SpecError
from tracer.problem.spec import load_problem

NAN, INF = float("nan"), float("inf")
KNOWN = (
    "title, description, layers, activation, loss, rule, params, init, graph, data, learning_rate, "
    "iterations, mode, batch_size, shuffle_seed, decimals, l2, frozen, ask, grading, arithmetic, notation, randomize, sheet, published, "
    "loss_half, batch_loss, sig_figs, show, figures"
)
SIGMOID_ETC = "sigmoid, tanh, relu, linear, softmax"


def base() -> dict:
    """The lecture's 2-2-1 problem (QUANTITIES.md), as a fresh mapping."""
    return {
        "layers": [2, 2, 1],
        "activation": "sigmoid",
        "loss": "bce",
        "params": {"W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6], "W2": [[0.7, 0.8]], "b2": [0.9]},
        "data": [{"x": [1.0, 2.0], "y": [1]}],
        "learning_rate": 0.5,
        "iterations": 3,
    }


def base_ce() -> dict:
    """A 2-2-3 softmax / cross-entropy problem."""
    return {
        "layers": [2, 2, 3],
        "activation": ["tanh", "softmax"],
        "loss": "ce",
        "params": {
            "W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6],
            "W2": [[0.7, 0.8], [0.1, -0.2], [0.3, 0.3]], "b2": [0.1, 0.2, 0.3],
        },
        "data": [{"x": [1.0, 2.0], "y": [0, 1, 0]}],
        "learning_rate": 0.5,
        "iterations": 1,
    }


# -- tiny mutation helpers, so each table row reads as one change ---------------------


def put(path, value, start=base):
    """Set spec[path[0]][path[1]]... = value (path given as 'a.b.0.c')."""
    def make():
        spec = start()
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = spec
        for p in parents:
            node = node[p]
        node[last] = value
        return spec
    return make


def drop(path, start=base):
    def make():
        spec = start()
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = spec
        for p in parents:
            node = node[p]
        del node[last]
        return spec
    return make


def change(start=base, **fields):
    def make():
        spec = start()
        spec.update(copy.deepcopy(fields))
        return spec
    return make


def with_init(init=None, **fields):
    """The base problem with `init` (a mapping, or any bad value) instead of params."""
    def make():
        spec = base()
        del spec["params"]
        spec["init"] = copy.deepcopy(fields if init is None else init)
        return spec
    return make


BAD = [
    # unknown keys
    ("unknown top-level key", put("epochs", 3), f"epochs: unknown field; known fields: {KNOWN}"),
    ("unknown param", put("params.W3", [[1.0]]),
     "params.W3: unknown parameter; for layers [2, 2, 1] the parameters are W1, b1, W2, b2"),
    ("unknown example key", put("data.0.label", 1), "data[0].label: unknown field; an example has x and y"),
    ("unknown init key", with_init(seed=1, scale=2), "init.scale: unknown field; known fields: seed, low, high, decimals"),
    # missing required fields
    *[(f"missing {key}", drop(key), f"{key}: required field is missing")
      for key in ("layers", "activation", "loss", "data", "learning_rate", "iterations")],
    ("missing W2", drop("params.W2"), "params.W2: missing"),
    ("missing b1", drop("params.b1"), "params.b1: missing"),
    ("missing x", drop("data.0.x"), "data[0].x: required field is missing"),
    ("missing y", drop("data.0.y"), "data[0].y: required field is missing"),
    ("missing init seed", with_init(low=-1, high=1), "init.seed: required field is missing"),
    # shapes, from layers
    ("W2 transposed", put("params.W2", [[0.7], [0.8]]), "params.W2: expected shape 1x2 (layers [2, 2, 1]), got 2x1"),
    ("W1 flat", put("params.W1", [0.1, 0.4, 0.2, 0.5]),
     "params.W1: expected shape 2x2 (layers [2, 2, 1]), got a flat list of 4"),
    ("W1 ragged", put("params.W1", [[0.1, 0.4], [0.2]]),
     "params.W1: expected shape 2x2 (layers [2, 2, 1]), got 2 rows of unequal length"),
    ("W1 scalar", put("params.W1", 1.0), "params.W1: expected shape 2x2 (layers [2, 2, 1]), got 1.0"),
    ("W1 mapping", put("params.W1", {"a": 1}), "params.W1: expected shape 2x2 (layers [2, 2, 1]), got a mapping"),
    ("W1 3x2", put("params.W1", [[1, 2], [3, 4], [5, 6]]),
     "params.W1: expected shape 2x2 (layers [2, 2, 1]), got 3x2"),
    ("params not a mapping", put("params", [1, 2]), "params: expected a mapping W1, b1, W2, ..., got a list of 2"),
    # vector lengths
    ("b1 too long", put("params.b1", [1, 2, 3]), "params.b1: expected 2 numbers, got 3"),
    ("b1 scalar for 2 units", put("params.b1", 0.3), "params.b1: expected a list of 2 numbers, got 0.3"),
    ("x too long", put("data.0.x", [1, 2, 3]), "data[0].x: expected 2 numbers, got 3"),
    ("x scalar for 2 inputs", put("data.0.x", 1), "data[0].x: expected a list of 2 numbers, got 1"),
    ("y too long", put("data.0.y", [1, 0]), "data[0].y: expected 1 number, got 2"),
    ("activation list too short", put("activation", ["sigmoid"]),
     "activation: expected 2 names, one per non-input layer (layers [2, 2, 1]), got 1"),
    # layers
    ("layers one entry", put("layers", [2]),
     "layers: expected a list of 2 to 12 layer sizes, input first, got a list of 1"),
    ("layers as text", put("layers", "2-2-1"),
     "layers: expected a list of 2 to 12 layer sizes, input first, got the text '2-2-1'"),
    ("layer of 0 units", put("layers", [2, 0, 1]), "layers[1]: expected a whole number >= 1, got 0"),
    ("layer too wide", put("layers", [2, 100, 1]), "layers[1]: expected a whole number <= 64, got 100"),
    # unknown names list the valid ones
    ("unknown activation", put("activation", "swish"),
     f"activation: unknown value 'swish'; expected one of: {SIGMOID_ETC}"),
    ("unknown activation in list", put("activation", ["sigmoid", "swish"]),
     f"activation[1]: unknown value 'swish'; expected one of: {SIGMOID_ETC}"),
    ("activation a number", put("activation", 3), f"activation: unknown value 3; expected one of: {SIGMOID_ETC}"),
    ("unknown loss", put("loss", "hinge"), "loss: unknown value 'hinge'; expected one of: bce, ce, mse, sse, mae, none"),
    ("unknown mode", put("mode", "adam"), "mode: unknown value 'adam'; expected one of: sgd, gd, minibatch"),
    # softmax and probability losses
    ("softmax on hidden layer", put("activation", ["softmax", "sigmoid"]),
     "activation[0]: softmax is only allowed on the output layer"),
    ("softmax everywhere", change(base_ce, activation="softmax"),
     "activation: softmax is only allowed on the output layer"),
    ("softmax with mse", change(base_ce, loss="mse"), "loss: a softmax output needs loss ce, got mse"),
    ("softmax with bce", change(base_ce, loss="bce"), "loss: a softmax output needs loss ce, got bce"),
    ("bce with relu output", put("activation", ["sigmoid", "relu"]),
     "loss: bce takes log(yhat), so the output activation must be sigmoid or softmax, got relu"),
    ("bce with linear output", put("activation", "linear"),
     "loss: bce takes log(yhat), so the output activation must be sigmoid or softmax, got linear"),
    ("ce with tanh output", change(base_ce, activation=["sigmoid", "tanh"]),
     "loss: ce takes log(yhat), so the output activation must be sigmoid or softmax, got tanh"),
    # labels
    ("bce label above 1", put("data.0.y", [2]), "data[0].y: bce labels must lie in [0, 1], got [2]"),
    ("bce label below 0", put("data.0.y", -0.1), "data[0].y: bce labels must lie in [0, 1], got [-0.1]"),
    ("ce labels sum to 2", put("data.0.y", [1, 1, 0], base_ce),
     "data[0].y: ce labels must be a probability vector (>= 0, summing to 1; e.g. one-hot), got [1, 1, 0]"),
    ("ce label negative", put("data.0.y", [1.5, -0.5, 0], base_ce),
     "data[0].y: ce labels must be a probability vector (>= 0, summing to 1; e.g. one-hot), got [1.5, -0.5, 0]"),
    ("ce labels all 0", put("data.0.y", [0, 0, 0], base_ce),
     "data[0].y: ce labels must be a probability vector (>= 0, summing to 1; e.g. one-hot), got [0, 0, 0]"),
    # non-finite numbers given directly as Python floats (YAML's .nan is refused by safeload)
    ("NaN weight", put("params.W1.0.0", NAN), "params.W1[0][0]: expected a finite number"),
    ("inf input", put("data.0.x.1", INF), "data[0].x[1]: expected a finite number"),
    ("NaN label", put("data.0.y", NAN), "data[0].y: expected a finite number"),
    ("NaN bias", put("params.b2", [NAN]), "params.b2[0]: expected a finite number"),
    ("NaN learning rate", put("learning_rate", NAN), "learning_rate: expected a finite number"),
    ("-inf learning rate", put("learning_rate", -INF), "learning_rate: expected a finite number"),
    ("NaN l2", put("l2", NAN), "l2: expected a finite number"),
    ("NaN iterations", put("iterations", NAN), "iterations: expected a whole number, got nan"),
    ("inf iterations", put("iterations", INF), "iterations: expected a whole number, got inf"),
    ("NaN init low", with_init(seed=1, low=NAN), "init.low: expected a finite number"),
    ("int too big for a float", put("params.W1.0.0", 10**400),
     "params.W1[0][0]: expected a finite number, got an integer too large to use"),
    # booleans, strings and nothing where numbers go
    ("boolean weight", put("params.W1.0.0", True), "params.W1[0][0]: expected a number, got true (a boolean)"),
    # text is read as an expression over constants ("1/3"): a word is an unknown name
    ("string weight", put("params.W1.0.1", "0.4x"), "params.W1[0][1]: not an expression: '0.4x'"),
    ("null weight", put("params.W1.1.0", None), "params.W1[1][0]: expected a number, got nothing"),
    ("boolean label", put("data.0.y", False), "data[0].y: expected a number, got false (a boolean)"),
    ("boolean learning rate", put("learning_rate", True), "learning_rate: expected a number, got true (a boolean)"),
    ("string learning rate", put("learning_rate", "fast"),
     "learning_rate: unknown name 'fast': a number may use only pi, e and the functions exp, log, sqrt, sin, cos, "
     "tanh, sigmoid, relu, max, min, abs"),
    ("expression learning rate of 0", put("learning_rate", "1 - 1"), "learning_rate: expected a positive number, got 1 - 1"),
    ("boolean iterations", put("iterations", True), "iterations: expected a whole number, got true (a boolean)"),
    ("string iterations", put("iterations", "3"), "iterations: expected a whole number, got the text '3'"),
    ("fractional iterations", put("iterations", 2.5), "iterations: expected a whole number, got 2.5"),
    ("boolean layer size", put("layers", [2, True, 1]), "layers[1]: expected a whole number, got true (a boolean)"),
    ("string layer size", put("layers", [2, "2", 1]), "layers[1]: expected a whole number, got the text '2'"),
    # data
    ("empty data", put("data", []), "data: expected at least one example, got an empty list"),
    ("data a mapping", put("data", {"x": [1, 2], "y": 1}),
     "data: expected a list of examples {x: [...], y: [...]}, got a mapping"),
    ("example a list", put("data.0", [1, 2]), "data[0]: expected a mapping {x: [...], y: [...]}, got a list of 2"),
    # learning rate, iterations, decimals, l2
    ("learning rate 0", put("learning_rate", 0), "learning_rate: expected a positive number, got 0"),
    ("learning rate negative", put("learning_rate", -0.1), "learning_rate: expected a positive number, got -0.1"),
    ("iterations 0", put("iterations", 0), "iterations: expected a whole number >= 1, got 0"),
    ("iterations negative", put("iterations", -2), "iterations: expected a whole number >= 1, got -2"),
    ("iterations too many", put("iterations", 10**9), "iterations: expected a whole number <= 100000, got 1000000000"),
    ("decimals 13", put("decimals", 13), "decimals: expected a whole number <= 12, got 13"),
    ("decimals negative", put("decimals", -1), "decimals: expected a whole number >= 0, got -1"),
    ("l2 negative", put("l2", -0.1), "l2: expected a number >= 0, got -0.1"),
    ("shuffle seed negative", put("shuffle_seed", -1), "shuffle_seed: expected a whole number >= 0, got -1"),
    # batch size
    ("batch_size without minibatch", put("batch_size", 1), "batch_size: only used with mode minibatch (mode is sgd)"),
    ("batch_size with gd", change(mode="gd", batch_size=1), "batch_size: only used with mode minibatch (mode is gd)"),
    ("minibatch without batch_size", put("mode", "minibatch"), "batch_size: required when mode is minibatch"),
    ("batch larger than data", change(mode="minibatch", batch_size=2),
     "batch_size: expected at most the number of examples (1), got 2"),
    ("batch_size 0", change(mode="minibatch", batch_size=0), "batch_size: expected a whole number >= 1, got 0"),
    # frozen
    ("frozen unknown name", put("frozen", ["W3"]), "frozen[0]: unknown parameter 'W3'; parameters are W1, b1, W2, b2"),
    ("frozen second unknown", put("frozen", ["W1", "w2"]),
     "frozen[1]: unknown parameter 'w2'; parameters are W1, b1, W2, b2"),
    ("frozen a number", put("frozen", [1]), "frozen[0]: unknown parameter 1; parameters are W1, b1, W2, b2"),
    ("frozen not a list", put("frozen", "W1"), "frozen: expected a list of parameter names, got the text 'W1'"),
    # params / init
    ("both params and init", put("init", {"seed": 1}),
     "params: give exactly one of params (the values) or init (a seeded draw)"),
    ("neither params nor init", drop("params"),
     "params: give exactly one of params (the values) or init (a seeded draw)"),
    ("init not a mapping", with_init(5), "init: expected a mapping {seed, low, high, decimals}, got 5"),
    ("init no grid value", with_init(seed=1, low=0.11, high=0.19, decimals=1),
     "init: no multiple of 0.1 lies in [0.11, 0.19]; widen the range or raise init.decimals"),
    ("init no grid value, 0 decimals", with_init(seed=1, low=0.2, high=0.8, decimals=0),
     "init: no multiple of 1 lies in [0.2, 0.8]; widen the range or raise init.decimals"),
    ("init low above high", with_init(seed=1, low=1, high=-1), "init.high: expected a number >= init.low (1), got -1"),
    ("init range too wide", with_init(seed=1, low=-1e20, high=1e20, decimals=6),
     "init.low: expected a number from -1000 to 1000, got -1e+20"),
    ("init seed negative", with_init(seed=-1), "init.seed: expected a whole number >= 0, got -1"),
    ("init decimals 7", with_init(seed=1, decimals=7), "init.decimals: expected a whole number <= 6, got 7"),
    ("init low text", with_init(seed=1, low="a"), "init.low: unknown name 'a': a number may use only pi, e and the "
     "functions exp, log, sqrt, sin, cos, tanh, sigmoid, relu, max, min, abs"),
    # other fields
    ("title a number", put("title", 5), "title: expected text, got 5"),
    ("description a list", put("description", [1]), "description: expected text, got a list of 1"),
    ("ask a string", put("ask", "iter1.yhat"),
     "ask: expected a list of quantity paths or patterns, e.g. [iter1.yhat, 'iter1.grad.*']"),
    ("grading a list", put("grading", [1]), "grading: expected a mapping, got a list of 1"),
]


@pytest.mark.parametrize("make, message", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_spec_message(make, message):
    with pytest.raises(SpecError) as info:
        load_problem(make())
    assert str(info.value) == message
    assert "\n" not in str(info.value)
    where = message.split(":", 1)[0]
    assert info.value.where == where


def test_table_ids_are_unique():
    ids = [row[0] for row in BAD]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("value", [[1, 2], None, 3.5])
def test_not_a_mapping(value):
    with pytest.raises(SpecError, match=r"^spec: expected a mapping of fields, got "):
        load_problem(value)


# -- files: load_problem(path) goes through safeload ---------------------------------


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


GOOD_YAML = """\
layers: [2, 2, 1]
activation: sigmoid
loss: bce
params:
  W1: [[0.1, 0.4], [0.2, 0.5]]
  b1: [0.3, 0.6]
  W2: [[0.7, 0.8]]
  b2: [0.9]
data:
  - {x: [1.0, 2.0], y: [1]}
learning_rate: 0.5
iterations: 3
"""

BAD_FILES = [
    ("binary garbage", "spec.yaml", b"\x00\xff\xfe\x01\x89PNG garbage", "not UTF-8 text"),
    ("NUL character", "spec.yaml", "layers: [2, 2, 1]\nti\x00tle: x\n",
     "not valid YAML (character 21): character #x0000 is not allowed"),
    ("invalid YAML", "spec.yaml", "layers: [2, 2\nloss: bce\n",
     "not valid YAML (line 2, column 5): expected ',' or ']', but got ':'"),
    ("YAML tab", "spec.yaml", "\t- x\n",
     "not valid YAML (line 1, column 1): found character '\\t' that cannot start any token"),
    ("python tag", "spec.yaml", '!!python/object/apply:os.system ["echo hi"]\n',
     "not valid YAML (line 1, column 1): could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("invalid JSON", "spec.json", '{"layers": [2, 2, 1],}',
     "not valid JSON (line 1, column 22): Expecting property name enclosed in double quotes"),
    ("JSON NaN", "spec.json", '{"learning_rate": NaN}', "NaN is not allowed: numbers must be finite"),
    ("JSON Infinity", "spec.json", '{"learning_rate": -Infinity}', "-Infinity is not allowed: numbers must be finite"),
    ("JSON overflow", "spec.json", '{"learning_rate": 1e400}', "learning_rate: inf is not allowed: numbers must be finite"),
    ("YAML .nan", "spec.yaml", GOOD_YAML.replace("learning_rate: 0.5", "learning_rate: .nan"),
     "learning_rate: nan is not allowed: numbers must be finite"),
    ("YAML .inf in a matrix", "spec.yaml", GOOD_YAML.replace("[[0.7, 0.8]]", "[[0.7, -.inf]]"),
     "params.W2[0][1]: -inf is not allowed: numbers must be finite"),
    ("YAML alias", "spec.yaml", "a: &x [1]\nb: *x\n", "line 2: YAML aliases are not allowed"),
    ("YAML merge via alias", "spec.yaml", "base: &b {x: 1}\nother:\n  <<: *b\n", "line 3: YAML aliases are not allowed"),
    ("duplicate key", "spec.yaml", GOOD_YAML + "loss: mse\n", "line 13: duplicate key 'loss'"),
    ("duplicate nested key", "spec.yaml", GOOD_YAML.replace("  b2: [0.9]", "  b2: [0.9]\n  W1: [[1, 1], [1, 1]]"),
     "line 9: duplicate key 'W1'"),
    ("too deep", "spec.json", "[" * 40 + "]" * 40, "nested deeper than 32 levels"),
]


@pytest.mark.parametrize("name, content, message", [r[1:] for r in BAD_FILES], ids=[r[0] for r in BAD_FILES])
def test_bad_file(tmp_path, name, content, message):
    path = _write(tmp_path, name, content)
    with pytest.raises(SpecError) as info:
        load_problem(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: "), text
    assert text.endswith(message), text


def test_file_over_size_cap(tmp_path):
    path = _write(tmp_path, "big.yaml", GOOD_YAML + "# " + "x" * (1 << 20) + "\n")
    with pytest.raises(SpecError, match=r"more than the 1048576-byte limit$"):
        load_problem(path)


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match=r"nope\.yaml: cannot read: No such file or directory$"):
        load_problem(tmp_path / "nope.yaml")


@pytest.mark.parametrize("content, got", [("- 1\n- 2\n", "a list of 2"), ("", "nothing"), ("just text\n", "the text 'just text'")])
def test_file_top_level_not_a_mapping(tmp_path, content, got):
    with pytest.raises(SpecError) as info:
        load_problem(_write(tmp_path, "spec.yaml", content))
    assert str(info.value) == f"spec: expected a mapping of fields, got {got}"


def test_file_field_errors_keep_their_path(tmp_path):
    path = _write(tmp_path, "spec.yaml", GOOD_YAML.replace("[[0.7, 0.8]]", "[[0.7], [0.8]]"))
    with pytest.raises(SpecError) as info:
        load_problem(path)
    assert str(info.value) == "params.W2: expected shape 1x2 (layers [2, 2, 1]), got 2x1"


@pytest.mark.parametrize("text, value", [("1e-3", 1e-3), ("2E5", 2e5), ("+1.5e-2", 0.015), (".5e1", 5.0), ("0.25", 0.25)])
def test_yaml_exponent_is_a_float(tmp_path, text, value):
    problem = load_problem(_write(tmp_path, "spec.yaml", GOOD_YAML.replace("learning_rate: 0.5", f"learning_rate: {text}")))
    assert problem.learning_rate == value


def _same(p, q) -> bool:
    # Problem's dataclass == would compare numpy arrays and raise; compare fields.
    return (
        (p.layers, p.activations, p.loss, p.learning_rate, p.iterations, p.mode, p.decimals, p.l2, p.frozen)
        == (q.layers, q.activations, q.loss, q.learning_rate, q.iterations, q.mode, q.decimals, q.l2, q.frozen)
        and list(p.params) == list(q.params)
        and all(np.array_equal(p.params[n], q.params[n]) for n in p.params)
        and len(p.data) == len(q.data)
        and all(np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) for a, b in zip(p.data, q.data))
    )


def test_yaml_and_json_agree(tmp_path):
    from_yaml = load_problem(_write(tmp_path, "spec.yaml", GOOD_YAML))
    from_json = load_problem(_write(tmp_path, "spec.json", json.dumps(base())))
    assert _same(from_yaml, from_json)


# -- good paths -------------------------------------------------------------------------


def test_base_problem_loads():
    p = load_problem(base())
    assert p.layers == (2, 2, 1)
    assert p.activations == ("sigmoid", "sigmoid")
    assert p.param_names() == ["W1", "b1", "W2", "b2"]
    assert list(p.params) == ["W1", "b1", "W2", "b2"]
    assert p.params["W2"].shape == (1, 2)
    assert p.params["b1"].shape == (2,)
    assert (p.mode, p.decimals, p.l2, p.frozen, p.batch_size) == ("sgd", 4, 0.0, (), None)
    assert p.depth == 2


def test_arrays_are_read_only():
    p = load_problem(base())
    with pytest.raises(ValueError):
        p.params["W1"][0, 0] = 9.0
    with pytest.raises(ValueError):
        p.data[0].x[0] = 9.0


def test_scalar_y_and_bias_for_one_output():
    spec = base()
    spec["data"][0]["y"] = 1
    spec["params"]["b2"] = 0.9
    p = load_problem(spec)
    assert p.data[0].y.tolist() == [1.0]
    assert p.params["b2"].tolist() == [0.9]


def test_activation_as_list():
    p = load_problem(put("activation", ["tanh", "sigmoid"])())
    assert p.activations == ("tanh", "sigmoid")
    deep = with_init(seed=3)()
    deep.update(layers=[3, 4, 3, 2], activation=["tanh", "relu", "sigmoid"], loss="mse",
                data=[{"x": [1, 2, 3], "y": [0, 1]}])
    p = load_problem(deep)
    assert p.activations == ("tanh", "relu", "sigmoid")
    assert [p.params[n].shape for n in p.param_names()] == [(4, 3), (4,), (3, 4), (3,), (2, 3), (2,)]


def test_frozen_kept_in_parameter_order():
    p = load_problem(put("frozen", ["b2", "W1"])())
    assert p.frozen == ("W1", "b2")


def test_softmax_ce_soft_labels_ok():
    p = load_problem(put("data.0.y", [0.25, 0.5, 0.25], base_ce)())
    assert p.data[0].y.tolist() == [0.25, 0.5, 0.25]


def test_minibatch_fields():
    spec = change(mode="minibatch", batch_size=2, shuffle_seed=0,
                  data=[{"x": [1, 2], "y": 1}, {"x": [0, 1], "y": 0}, {"x": [1, 1], "y": 0}])()
    p = load_problem(spec)
    assert (p.mode, p.batch_size, p.shuffle_seed, len(p.data)) == ("minibatch", 2, 0, 3)


@pytest.mark.parametrize("seed, low, high, decimals", [(0, -1, 1, 1), (7, -0.5, 0.5, 2), (42, 0.1, 0.1, 1), (3, 0, 2, 0)])
def test_init_draw_on_grid_and_reproducible(seed, low, high, decimals):
    init = {"seed": seed, "low": low, "high": high, "decimals": decimals}
    first = load_problem(with_init(**init)())
    again = load_problem(with_init(**init)())
    for name in first.param_names():
        a, b = first.params[name], again.params[name]
        assert np.array_equal(a, b)
        assert np.all(a >= low) and np.all(a <= high)
        scaled = a * 10**decimals
        assert np.allclose(scaled, np.round(scaled), atol=1e-9)
    assert first.params["W1"].shape == (2, 2) and first.params["b2"].shape == (1,)


def test_init_seed_changes_the_draw():
    one = load_problem(with_init(seed=1, decimals=2)())
    two = load_problem(with_init(seed=2, decimals=2)())
    assert any(not np.array_equal(one.params[n], two.params[n]) for n in one.param_names())


def test_init_defaults():
    p = load_problem(with_init(seed=5)())
    values = np.concatenate([v.ravel() for v in p.params.values()])
    assert np.all(values >= -1) and np.all(values <= 1)
    assert np.allclose(values * 10, np.round(values * 10))


def test_with_overrides():
    p = load_problem(base())
    q = p.with_overrides(iterations=7)
    assert (q.iterations, q.decimals) == (7, 4)
    r = p.with_overrides(decimals=2)
    assert (r.iterations, r.decimals) == (3, 2)
    assert r.params["W1"].tolist() == p.params["W1"].tolist()
    assert p.iterations == 3 and p.decimals == 4  # the original is untouched
    assert _same(p.with_overrides(), p)


def test_with_overrides_validates():
    p = load_problem(base())
    with pytest.raises(SpecError, match=r"^iterations: expected a whole number >= 1, got 0$"):
        p.with_overrides(iterations=0)
    with pytest.raises(SpecError, match=r"^decimals: expected a whole number <= 12, got 13$"):
        p.with_overrides(decimals=13)


def test_with_overrides_keeps_init_draw():
    p = load_problem(with_init(seed=11, decimals=2)())
    q = p.with_overrides(iterations=5)
    for name in p.param_names():
        assert np.array_equal(p.params[name], q.params[name])


def test_mapping_input_is_not_mutated():
    spec = base()
    before = copy.deepcopy(spec)
    load_problem(spec).with_overrides(iterations=9)
    assert spec == before


# -- libyaml's fast path reads specs as the Python loader does ------------------------

_yaml_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["1e-3", "2E5", ".5", "0x10", "1_000", "yes", "~", "2024-02-30", "0o17", "+1e+3"]),
)
_yaml_value = st.recursive(
    _yaml_leaf, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)


@given(st.dictionaries(st.text(max_size=12), _yaml_value, max_size=10), st.booleans())
def test_fast_yaml_reads_what_the_python_loader_reads(doc, flow):
    from tracer.problem import safeload

    if safeload._FAST is None:
        pytest.skip("PyYAML without libyaml")
    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=flow)
    outcomes = []
    for read in (lambda: safeload.fast_load(text, safeload._FAST), lambda: safeload._python_yaml(text)):
        try:
            outcomes.append(("ok", read()))
        except Exception as err:  # noqa: BLE001 - compare outcomes, not messages
            outcomes.append(("error", type(err).__name__))
    if outcomes[0][0] == "ok":
        assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("text", [
    "a: &x [1]\nb: *x\n",  # an alias: the Python loader names its line
    "a: 1\na: 2\n",  # a duplicate key
    "a: " + "[" * 40 + "]" * 40 + "\n",  # deeper than MAX_DEPTH
    "a: [" + "1, " * 3000 + "1]\n",  # more indicators than the fast path takes
])
def test_the_fast_path_leaves_refusals_to_the_python_loader(text):
    from tracer.problem import safeload
    from tracer.problem.plain import check_value

    if safeload._FAST is None:
        pytest.skip("PyYAML without libyaml")
    if text.count(",") < 1000:
        with pytest.raises(safeload.Refused):
            safeload.fast_load(text, safeload._FAST)
    try:
        expected = ("ok", safeload._python_yaml(text))
        check_value(expected[1], "", 0)
    except safeload.LoadError as err:
        expected = ("error", str(err))
    try:
        got = ("ok", safeload.parse_text(text, "yaml"))
    except safeload.LoadError as err:
        got = ("error", str(err))
    assert got == expected
