"""The spec's JSON Schema (`bptrace schema`) and its reference, docs/spec.md.

`jsonschema` is the reference validator here (a test-only dependency); the schema must
accept every built-in example, reject what `parse` rejects at the top level, and be built
from the code's own constants. The docs' YAML examples are run through both the schema and
`parse`, so the reference cannot show a spec bptrace refuses.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from tracer.errors import SpecError
from tracer.problem import fields, network, notation
from tracer.problem.safeload import load_file, parse_text
from tracer.problem.schema import PARAM_NAMES, spec_schema
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.suffix in (".yaml", ".yml", ".json"))
LECTURE = REPO / "examples" / "lecture-2-2-1.yaml"
SPEC_MD = REPO / "docs" / "spec.md"

SCHEMA = spec_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
VALIDATOR_7 = Draft7Validator(SCHEMA)  # what editors whose support stops at draft-07 see


def errors(spec) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(spec)]


def lecture() -> dict:
    return load_file(LECTURE)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def bptrace(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)],
                          capture_output=True, text=True, env=_env(), cwd=REPO, timeout=120)


# -- the schema itself -------------------------------------------------------------------


def test_schema_is_valid_under_2020_12_and_draft_07():
    Draft202012Validator.check_schema(SCHEMA)
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].startswith("urn:")
    assert SCHEMA["title"] and SCHEMA["description"]


def test_schema_is_plain_json_and_fresh_each_time():
    assert json.loads(json.dumps(SCHEMA)) == SCHEMA
    first = spec_schema()
    first["properties"]["randomize"]["anyOf"][2]["properties"]["grids"]["properties"]["x"]["default"]["low"] = 99
    assert spec_schema() == SCHEMA


def _all_subschemas(node, where="#"):
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _all_subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _all_subschemas(value, f"{where}/{i}")


def test_every_field_has_a_description():
    """Editors show descriptions on hover: every property at every level has one."""
    for where, node in _all_subschemas(SCHEMA):
        if where.endswith("/properties") or "/allOf/" in where:  # names, not schemas; rules, not fields
            continue
        for name, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{where}/properties/{name} has no description"


def test_no_refs_and_no_keywords_that_changed_after_draft_07():
    """The same constraints for a draft-07 reader: no $ref/$defs, prefixItems, unevaluated*, dependent*."""
    changed = {"$ref", "$defs", "definitions", "prefixItems", "unevaluatedProperties", "unevaluatedItems",
               "dependentRequired", "dependentSchemas", "dependencies", "$dynamicRef", "$anchor"}
    for where, node in _all_subschemas(SCHEMA):
        if where.endswith("/properties"):  # property names, not keywords
            continue
        used = changed & set(node)
        assert not used, f"{where} uses {used}"
        if "items" in node:
            assert isinstance(node["items"], dict), f"{where}: items must be one schema"


# -- built from the code's constants -------------------------------------------------------


def test_top_level_properties_are_known_keys():
    assert list(SCHEMA["properties"]) == list(network.KNOWN_KEYS)
    assert SCHEMA["additionalProperties"] is False
    kinds = SCHEMA["allOf"][0]  # the network's required fields, unless the spec is a graph
    assert kinds["if"] == {"required": ["graph"]} and kinds["else"]["required"] == [k for k in fields.REQUIRED_KEYS if k != "loss"]
    assert kinds["then"]["propertyNames"]["enum"] == list(fields.GRAPH_SPEC_KEYS)
    # loss: required by the backprop rule only (the next allOf entry)


def test_groups_cover_known_keys_once():
    grouped = [key for _, keys in fields.GROUPS for key in keys]
    assert sorted(grouped) == sorted(fields.KNOWN_KEYS) and len(grouped) == len(set(grouped))


def _enums(node) -> list[list]:
    return [sub["enum"] for _, sub in _all_subschemas(node) if "enum" in sub]


def test_enums_are_the_codes_tuples():
    props = SCHEMA["properties"]
    assert _enums(props["activation"]) == [list(network.ACTIVATIONS + fields.PERCEPTRON_ACTIVATIONS)] * 2
    assert _enums(props["loss"]) == [list(network.LOSSES)]
    assert _enums(props["mode"]) == [list(network.MODES)]
    assert _enums(props["arithmetic"]) == [list(network.ARITHMETIC)]
    assert props["frozen"]["items"]["enum"] == list(PARAM_NAMES)
    profiles, inline, _ = props["notation"]["anyOf"]
    assert profiles["enum"] == list(notation.BUILTIN)
    assert inline["properties"]["base"]["enum"] == list(notation.BUILTIN)
    assert _enums(inline["properties"]["layout"]) == [list(notation.LAYOUTS)] * 2
    assert inline["properties"]["backward"]["enum"] == list(notation.BACKWARDS)
    assert inline["properties"]["update_order"]["enum"] == list(notation.UPDATE_ORDERS)
    assert inline["properties"]["bias"]["enum"] == list(notation.BIAS_MODES)
    assert inline["properties"]["layers"]["propertyNames"]["enum"] == list(notation.KINDS)
    assert list(inline["properties"]["symbols"]["properties"]) == list(notation.KINDS + notation.SCALARS)


def test_sections_have_the_codes_keys():
    props = SCHEMA["properties"]
    assert list(props["init"]["properties"]) == list(network.INIT_KEYS)
    assert list(props["data"]["items"]["properties"]) == list(fields.EXAMPLE_KEYS)
    assert list(props["params"]["properties"]) == list(PARAM_NAMES)
    assert list(props["grading"]["properties"]) == list(fields.GRADING_KEYS)
    assert list(props["notation"]["anyOf"][1]["properties"]) == list(notation.INLINE_KEYS)
    section = props["randomize"]["anyOf"][2]["properties"]
    assert list(section) == list(fields.RANDOMIZE_KEYS)
    assert list(section["constraints"]["properties"]) == list(fields.RANDOMIZE_CONSTRAINT_KEYS)
    assert list(section["grids"]["properties"]) == list(fields.RANDOMIZE_DEFAULT_GRIDS)
    for kind, grid in section["grids"]["properties"].items():
        assert list(grid["properties"]) == list(fields.RANDOMIZE_GRID_KEYS)
        assert grid["default"] == fields.RANDOMIZE_DEFAULT_GRIDS[kind]
    sheet = props["sheet"]["anyOf"][0]
    assert list(sheet["properties"]) == list(fields.SHEET_KEYS)
    assert sheet["additionalProperties"] is False
    assert sheet["properties"]["solution"]["enum"] == list(fields.SHEET_SOLUTIONS)
    assert sheet["properties"]["solution"]["default"] == fields.SHEET_DEFAULT_SOLUTION
    assert sheet["properties"]["space"]["default"] == fields.SHEET_DEFAULT_SPACE


def test_limits_are_the_codes():
    props = SCHEMA["properties"]
    assert props["layers"]["maxItems"] == network.MAX_LAYERS
    assert props["layers"]["items"]["maximum"] == network.MAX_UNITS
    assert props["iterations"]["maximum"] == network.MAX_ITERATIONS
    assert props["data"]["maxItems"] == network.MAX_EXAMPLES
    assert props["decimals"]["maximum"] == fields.MAX_DECIMALS
    assert props["init"]["properties"]["high"]["maximum"] == network.INIT_MAX
    assert props["grading"]["properties"]["sig_figs"]["maximum"] == fields.MAX_SIG_FIGS
    assert props["randomize"]["anyOf"][2]["properties"]["attempts"]["maximum"] == fields.RANDOMIZE_MAX_ATTEMPTS
    assert props["sheet"]["anyOf"][0]["properties"]["space"]["maximum"] == fields.SHEET_MAX_SPACE


def test_the_constants_are_shared_not_copied():
    """network.py, randomize.py, sheet.py and grading.py read the problem stage's fields.py."""
    from tracer.grade import grading
    from tracer.homework import randomize, sheet

    for name in ("KNOWN_KEYS", "ACTIVATIONS", "LOSSES", "MODES", "ARITHMETIC", "INIT_KEYS", "MAX_UNITS",
                 "MAX_LAYERS", "MAX_ITERATIONS", "MAX_EXAMPLES", "INIT_MAX"):
        assert getattr(network, name) is getattr(fields, name), name
    assert grading.GRADING_KEYS is fields.GRADING_KEYS
    assert randomize.KEYS is fields.RANDOMIZE_KEYS
    assert randomize.CONSTRAINT_KEYS is fields.RANDOMIZE_CONSTRAINT_KEYS
    assert randomize.DEFAULT_GRIDS is fields.RANDOMIZE_DEFAULT_GRIDS
    assert sheet.SHEET_KEYS is fields.SHEET_KEYS
    assert sheet.SOLUTIONS is fields.SHEET_SOLUTIONS
    assert (sheet.DEFAULT_SPACE, sheet.MAX_SPACE) == (fields.SHEET_DEFAULT_SPACE, fields.SHEET_MAX_SPACE)


# -- examples in, mistakes out -------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_validates(path):
    spec = load_file(path)
    assert errors(spec) == []
    assert list(VALIDATOR_7.iter_errors(spec)) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_spec_of_a_json_export_validates(path):
    """`--to json` writes the problem as run under "spec"; it is a spec again."""
    from tracer import trace

    spec = json.loads(trace(path).to_json())["spec"]
    assert errors(spec) == []
    load_problem(spec)


def accepted(spec) -> None:
    """bptrace's own checks pass: parse (with `published:`), and the homework sections' readers where present."""
    problem = load_problem(spec)
    if "sheet" in spec:
        from tracer.homework.sheet import sheet_options

        sheet_options(problem)
    if spec.get("randomize"):
        from tracer.homework.randomize import plan_for

        plan_for(problem)
    if "ask" in spec or "grading" in spec:
        from tracer import trace
        from tracer.grade.grading import notation_aliases, policy_for

        values = trace(spec).values
        policy_for(problem, values, aliases=notation_aliases(problem, values))


def _rejected_by_parse(spec) -> SpecError:
    with pytest.raises(SpecError) as err:
        load_problem(spec)
    return err.value


def test_unknown_top_level_key_is_rejected():
    spec = dict(lecture(), epochs=3)
    assert errors(spec) == ["Additional properties are not allowed ('epochs' was unexpected)"]
    assert _rejected_by_parse(spec).where == "epochs"


def test_a_json_schema_key_is_an_unknown_field_too():
    spec = {"$schema": "./spec.schema.json", **lecture()}
    assert errors(spec)
    assert _rejected_by_parse(spec).where == "$schema"


@pytest.mark.parametrize("field, value", [
    ("activation", "swish"), ("activation", ["sigmoid", "swish"]), ("loss", "hinge"), ("mode", "batch"),
    ("arithmetic", "decimal"), ("notation", "fancy"), ("notation", {"layout": "sideways"}),
    ("notation", {"layout": {"out": "sideways"}}), ("notation", {"backward": "chain"}),
    ("notation", {"update_order": "random"}),
])
def test_wrong_enum_value_is_rejected(field, value):
    spec = dict(lecture(), **{field: value})
    assert errors(spec), f"the schema accepts {field}: {value!r}"
    assert _rejected_by_parse(spec).where.startswith(field)


@pytest.mark.parametrize("change", [
    {"layers": [2]}, {"layers": [2, 0, 1]}, {"layers": [2] * 13}, {"iterations": 0}, {"iterations": 100_001},
    {"learning_rate": 0}, {"decimals": 13}, {"l2": -0.1}, {"title": 3}, {"data": []},
    {"data": [{"x": [1, 2], "y": [1], "weight": 2}]}, {"frozen": ["W9x"]}, {"ask": [""]},
    {"params": None, "init": {"seed": -1}}, {"params": None, "init": {"seed": 1, "decimals": 7}},
    {"params": None, "init": {"low": 0}},
    {"params": None},  # neither params nor init
    {"init": {"seed": 1}},  # both
    {"mode": "minibatch"},  # no batch_size
    {"batch_size": 1},  # batch_size without minibatch
    {"published": [0.8934]}, {"published": {"iter1.yhat": True}}, {"published": {"iter1.yhat": "about 0.9"}},
    {"published": {"iter1.yhat": []}}, {"published": {"iter1.yhat": {"value": 0.8934}}},
    {"published": {"iter1.zeta": 0.1}}, {"published": {"iter1.W1[0,1]": 0.1}}, {"published": {"yhat": 0.9}},
])
def test_schema_and_parse_both_reject(change):
    spec = lecture()
    for key, value in change.items():
        if value is None:
            spec.pop(key)
        else:
            spec[key] = value
    assert errors(spec), f"the schema accepts {change}"
    _rejected_by_parse(spec)


@pytest.mark.parametrize("change", [
    {"activation": ["tanh", "sigmoid"]}, {"shuffle_seed": None}, {"shuffle_seed": 3}, {"notation": None},
    {"notation": "node"}, {"notation": {"base": "layered", "layers": {"act": {1: "v", "out": "o"}}}},
    {"notation": {"layout": {1: "out-in", "out": "in-out"}, "backward": "factored", "update_order": "output-first"}},
    {"data": [{"x": [1, 2], "y": 1}]}, {"params": {"W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6],
                                                   "W2": [[0.7, 0.8]], "b2": 0.9}},
    {"randomize": True}, {"randomize": False}, {"randomize": None},
    {"randomize": {"params": ["W1"], "data": {"x": True, "y": "labels"},
                   "constraints": {"max_preactivation": None, "min_gradient": 0}}},
    {"randomize": {"params": {"W2": {"grid": {"step": 0.5}, "nonzero": False}}, "data": "none"}},
    {"grading": {"points": {"default": 1, "iter1.grad.*": 3}, "follow_through": 0, "abs_tol": 0.01}},
    {"grading": {"sig_figs": None, "points": 2}},
    {"ask": ["iter1.yhat", "iter1.grad.*"]},
    {"published": None}, {"published": {}},
    {"published": {"iter1.yhat": 0.8934, "iter1.h1": [0.7685, "0.8580"], "iter1.W1[2, 1]": 0.2,
                   "iter2.W1": [[0.1066, 0.4133], ["0.2052", 0.5104]], "final.b2": [" 1.05 "], "iter1.loss": 1e-1}},
    {"sheet": None}, {"sheet": {}}, {"sheet": {"space": 0}}, {"sheet": {"space": 60, "solution": "full"}},
    {"sheet": {"title": "Homework 3", "description": None}},
])
def test_schema_accepts_what_parse_accepts(change):
    spec = dict(lecture(), **change)
    assert errors(spec) == []
    accepted(spec)


def _rejected_by_sheet(spec) -> SpecError:
    from tracer.homework.sheet import sheet_options

    with pytest.raises(SpecError) as err:
        sheet_options(load_problem(spec))
    return err.value


@pytest.mark.parametrize("sheet", [
    [4], {"space": -1}, {"space": 61}, {"space": 2.5}, {"space": True}, {"space": None}, {"title": 3},
    {"solution": "none"}, {"solution": None}, {"margin": 2},
])
def test_schema_and_the_sheet_reader_both_reject(sheet):
    spec = dict(lecture(), sheet=sheet)
    assert errors(spec), f"the schema accepts sheet: {sheet!r}"
    assert _rejected_by_sheet(spec).where.startswith("sheet")


# -- bptrace schema --------------------------------------------------------------------------


def test_cli_prints_the_schema():
    result = bptrace("schema")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == SCHEMA
    assert result.stdout == json.dumps(SCHEMA, indent=2) + "\n"


def test_cli_writes_the_schema_to_a_file(tmp_path):
    out = tmp_path / "spec.schema.json"
    result = bptrace("schema", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == json.dumps(SCHEMA, indent=2) + "\n"


def test_cli_unwritable_file_is_one_error_line(tmp_path):
    out = tmp_path / "no-such-dir" / "spec.schema.json"
    result = bptrace("schema", "-o", out)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {out}: cannot write: No such file or directory"


def test_cli_schema_is_listed_in_help():
    result = bptrace("--help")
    assert result.returncode == 0 and "schema" in result.stdout


def test_cli_schema_does_not_import_heavy_modules(tmp_path):
    code = (
        "import sys\n"
        "from tracer.cli import main\n"
        f"assert main(['schema', '-o', {str(tmp_path / 's.json')!r}]) == 0\n"
        "print('HEAVY', [m for m in ('numpy', 'sympy', 'jinja2', 'yaml') if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=REPO,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "HEAVY []"


# -- docs/spec.md ------------------------------------------------------------------------------


DOC = SPEC_MD.read_text(encoding="utf-8")
HEADINGS = re.findall(r"^(#{2,3}) (.+)$", DOC, flags=re.M)
YAML_BLOCKS = re.findall(r"^```yaml\n(.*?)^```", DOC, flags=re.M | re.S)


def _heading_of(key: str) -> int | None:
    for n, (_, text) in enumerate(HEADINGS):
        if text.strip() in (f"`{key}`", key):
            return n
    return None


@pytest.mark.parametrize("key", network.KNOWN_KEYS)
def test_docs_describe_every_field(key):
    in_table = re.search(rf"^\| \[?`{re.escape(key)}`", DOC, flags=re.M)
    assert _heading_of(key) is not None or in_table, f"docs/spec.md has no heading or table row for {key}"


def test_docs_follow_the_groups():
    order = [_heading_of(key) for _, keys in fields.GROUPS for key in keys]
    assert None not in order, "every field has a section of its own"
    assert order == sorted(order), "docs/spec.md describes the fields out of the order of fields.GROUPS"
    groups = [text.lower() for level, text in HEADINGS if level == "##"]
    positions = [groups.index(name) for name, _ in fields.GROUPS]
    assert positions == sorted(positions)


def test_docs_have_a_notation_section():
    """Other docs link spec.md#notation."""
    assert ("##", "notation") in HEADINGS


def test_docs_open_with_the_lecture_example():
    assert YAML_BLOCKS[0] == LECTURE.read_text(encoding="utf-8")


def test_docs_links_stay_inside_the_repo():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", DOC):
        assert not re.match(r"[a-z]+:", target), f"external link {target}"
        path = (SPEC_MD.parent / target).resolve()
        assert path.is_relative_to(REPO) and path.exists(), f"docs/spec.md links {target}, not in the repo"


def _slugs(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-") for text in headings}


def test_docs_anchors_exist():
    for target, anchor in re.findall(r"\]\(([^)#]*)#([^)]+)\)", DOC):
        page = (SPEC_MD.parent / target) if target else SPEC_MD
        assert anchor in _slugs(page.read_text(encoding="utf-8")), f"docs/spec.md links {target}#{anchor}: no such heading"


@pytest.mark.parametrize("n", range(len(YAML_BLOCKS)))
def test_every_yaml_example_in_the_docs_is_accepted(n):
    """Each YAML block, put into the lecture example, passes the schema and bptrace's own checks.

    The lecture's `published:` numbers are its own problem's: a block that changes the problem drops them."""
    block = parse_text(YAML_BLOCKS[n], "yaml")
    if "graph" in block:  # a graph problem is a spec of its own
        assert errors(block) == []
        accepted(block)
        return
    spec = copy.deepcopy(lecture())
    if "init" in block:
        spec.pop("params")
    if block.get("rule") == "perceptron":  # a perceptron follows no loss
        spec.pop("loss")
    problem_keys = {key for group, keys in fields.GROUPS if group in ("network", "data and training") for key in keys}
    if problem_keys & set(block):
        spec.pop("published")
    spec.update(block)
    assert errors(spec) == []
    accepted(spec)
