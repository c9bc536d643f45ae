"""Homework variants of a computational graph: `randomize:` over graph inputs.

The drawn inputs are checked directly (on the grid, nonzero, the kept ones unchanged),
the conditions by evaluating them by hand on the engine's values, and the keys by
grading them through `bptrace check --seed`.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.engine import run
from tracer.errors import SpecError, TracerError
from tracer.homework.randomize import plan_for
from tracer.homework.variants import Generator, numbered_ids, write_variants
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
HOMEWORK = yaml.safe_load((REPO / "examples" / "graph-homework.yaml").read_text())
SEED004 = yaml.safe_load((REPO / "examples" / "graph-seed004.yaml").read_text())
NEURON = yaml.safe_load((REPO / "examples" / "graph-sigmoid-neuron.yaml").read_text())


def with_randomize(section, base=SEED004) -> dict:
    spec = copy.deepcopy(base)
    spec["randomize"] = section
    return spec


def inputs_of(problem) -> dict:
    return {name: float(value) for name, value in problem.inputs}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- the section ---------------------------------------------------------------------------


@pytest.mark.parametrize("section,message", [
    ({"params": "all"}, "randomize.params: a network's field; a graph draws its inputs (randomize.inputs)"),
    ({"data": ["x"]}, "randomize.data: a network's field; a graph draws its inputs (randomize.inputs)"),
    ({"seed": 1}, "randomize.seed: unknown field; known fields: inputs, grids, nonzero, constraints, attempts"),
    (3, "randomize: expected true or a mapping with inputs, grids, nonzero, constraints, attempts, got 3"),
    ({"inputs": ["q"]}, "randomize.inputs[0]: unknown input 'q'; the inputs are w, x, y, z"),
    ({"inputs": {"v": True}}, "randomize.inputs.v: unknown input; the inputs are w, x, y, z"),
    ({"inputs": 7}, "randomize.inputs: expected all, none, a list of input names or a mapping name -> entry, got 7"),
    ({"inputs": {"x": {"grid": {"low": 2, "high": 1}}}}, "randomize.inputs.x.grid.high: expected a number >= low (2), got 1"),
    ({"inputs": {"x": {"grid": {"low": 0, "high": 0}}}}, "randomize.inputs.x.grid: no multiple of 1 lies in [0, 0] other than 0"),
    ({"grids": {"x": {}}}, "randomize.grids.x: unknown field; known fields: inputs"),
    ({"grids": {"inputs": {"step": 0}}}, "randomize.grids.inputs.step: expected a step from 1e-06 to 1000, got 0"),
    ({"constraints": {"max_preactivation": 3}},
     "randomize.constraints.max_preactivation: a network's constraint; a graph's are min_gradient, require"),
    ({"constraints": {"saturation": 3}}, "randomize.constraints.saturation: unknown field; known fields: min_gradient, require"),
    ({"constraints": {"min_gradient": -1}}, "randomize.constraints.min_gradient: expected a number >= 0 (0: off), got -1"),
    ({"constraints": {"require": "u > 0"}},
     "randomize.constraints.require: expected a list of conditions such as \"u > 0\", got the text 'u > 0'"),
    ({"constraints": {"require": ["u"]}},
     "randomize.constraints.require[0]: expected one comparison EXPR OP EXPR, OP one of < <= > >= == !=, e.g. \"u > 0\""),
    ({"constraints": {"require": ["0 < u < 9"]}},
     "randomize.constraints.require[0]: expected one comparison EXPR OP EXPR, OP one of < <= > >= == !=, e.g. \"u > 0\""),
    ({"constraints": {"require": ["u > 0", "grad > 1"]}},
     "randomize.constraints.require[1]: unknown name 'grad'; the inputs and nodes are w, x, y, z, v, u, f"),
    ({"constraints": {"require": ["u > __import__('os')"]}},
     "randomize.constraints.require[0]: unknown function '__import__'; functions are exp, log, sqrt, sin, cos, "
     "tanh, sigmoid, relu, max, min, abs"),
    ({"constraints": {"require": [3]}},
     "randomize.constraints.require[0]: expected a condition as text, e.g. \"u > 0\", got 3"),
    ({"attempts": 0}, "randomize.attempts: expected a whole number from 1 to 100000, got 0"),
    ({"inputs": "none"}, "randomize: draws nothing: name some inputs to draw"),
])
def test_graph_randomize_errors_name_the_field(section, message):
    with pytest.raises(SpecError) as err:
        plan_for(load_problem(with_randomize(section)))
    assert str(err.value) == message


def test_a_network_refuses_the_graphs_fields():
    spec = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
    for section, message in (
        ({"inputs": "all"}, "randomize.inputs: a graph's inputs; a network draws its params and data"),
        ({"constraints": {"require": ["a > 0"]}}, "randomize.constraints.require: conditions on named values are "
         "for graph problems; a network's constraints are max_preactivation, min_gradient, balanced_labels, distinct_examples"),
        ({"grids": {"inputs": {}}}, "randomize.grids.inputs: unknown field; known fields: params, x, y"),
    ):
        with pytest.raises(SpecError) as err:
            plan_for(load_problem({**spec, "randomize": section}))
        assert str(err.value) == message


def test_defaults_of_randomize_true_for_a_graph():
    plan = plan_for(load_problem(with_randomize(True)))
    assert list(plan.inputs) == ["w", "x", "y", "z"]
    assert all((g.lo, g.hi, g.step, g.nonzero) == (-5, 5, 1.0, True) for g in plan.inputs.values())
    assert (plan.min_gradient, plan.require, plan.attempts) == (1.0, (), 1000)


def test_the_spec_itself_still_renders_with_its_own_values():
    problem = load_problem(HOMEWORK)
    assert inputs_of(problem) == {"a": 2.0, "b": 1.0, "c": 3.0}
    assert run(problem).values["f"] == pytest.approx(2 * math.log(5))


# -- deterministic, distinct, on the grids, under the conditions ------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "latex", "moodle"])
def test_same_seed_gives_byte_identical_files(tmp_path, fmt):
    ids = numbered_ids(3)
    write_variants(Generator(load_problem(HOMEWORK), 5), ids, fmt, tmp_path / "a")
    write_variants(Generator(load_problem(HOMEWORK), 5), ids, fmt, tmp_path / "b")
    a = _files(tmp_path / "a")
    assert a == _files(tmp_path / "b")
    # markdown: each variant's problem, solution, key (md, json) and its solution's graph figure (SVG)
    assert len(a) == {"markdown": 3 * 5 + 1, "latex": 3 * 4 + 4, "moodle": 3 + 2}[fmt]


def test_variants_differ_by_id_and_seed_and_never_repeat():
    gen = Generator(load_problem(HOMEWORK), 5)
    variants = list(gen.generate(numbered_ids(25)))
    drawn = [tuple(inputs_of(v.problem).values()) for v in variants]
    assert len(set(drawn)) == 25
    other = Generator(load_problem(HOMEWORK), 6).variant("v001")
    assert inputs_of(other.problem) != inputs_of(variants[0].problem)
    assert variants[0].problem.title == f"{HOMEWORK['title']} (variant v001)" and variants[0].problem.randomize is None


def test_a_grid_too_small_for_the_batch_is_a_clear_error():
    spec = with_randomize({"inputs": {"x": {"grid": {"low": 1, "high": 2}}}, "attempts": 30})
    gen = Generator(load_problem(spec), 1)
    with pytest.raises(TracerError) as err:
        list(gen.generate(numbered_ids(3)))  # only x = 1 and x = 2
    assert str(err.value).startswith("variant v003: no draw met the constraints in 30 attempts (randomize.attempts); "
                                     "unmet most often: different from every earlier variant")
    assert "the grids allow only 2 distinct draws" in str(err.value)


def _holds(text: str, env: dict) -> bool:
    """A condition evaluated by hand (the test's own reading, not randomize_graph's)."""
    checks = {"q > 1": lambda e: e["q"] > 1, "abs(f) < 20": lambda e: abs(e["f"]) < 20,
              "s != 0": lambda e: e["s"] != 0, "x*y >= w": lambda e: e["x"] * e["y"] >= e["w"]}
    return checks[text](env)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), vid=st.sampled_from(["v001", "s7", "alice"]))
def test_every_variant_is_on_its_grids_and_meets_its_conditions(seed, vid):
    base = load_problem(HOMEWORK)
    plan = plan_for(base)
    v = Generator(base, seed).variant(vid)
    values = run(v.problem, arithmetic="float").values  # traced afresh
    for name, x in inputs_of(v.problem).items():
        assert x == int(x) and -3 <= x <= 4 and x != 0, (name, x)
    for text in HOMEWORK["randomize"]["constraints"]["require"]:
        assert _holds(text, values), text
    for path, g in values.items():
        if path.startswith("grad."):
            assert abs(g) >= 1e-4, path
    assert plan.space(base) == 7 ** 3


def test_kept_inputs_keep_their_written_values():
    spec = with_randomize({"inputs": {"x1": {"grid": {"low": -1, "high": 1, "step": 0.5}}}}, base=NEURON)
    v = Generator(load_problem(spec), 2).variant("v001")
    got, given = inputs_of(v.problem), inputs_of(load_problem(spec))
    assert {k: got[k] for k in got if k != "x1"} == {k: given[k] for k in given if k != "x1"}
    assert got["x1"] in (-1.0, -0.5, 0.5, 1.0)
    assert v.problem.source["graph"]["inputs"]["b"] == "1/4"  # still the text written


def test_a_condition_holds_in_every_variant():
    spec = with_randomize({"constraints": {"require": ["x*y >= w"]}})
    gen = Generator(load_problem(spec), 3)
    for v in gen.generate(numbered_ids(15)):
        x = inputs_of(v.problem)
        assert x["x"] * x["y"] >= x["w"]
    assert any(v.attempt > 0 for v in Generator(load_problem(spec), 3).generate(numbered_ids(15)))


def test_a_draw_with_an_undefined_node_is_redrawn():
    """d = 1 / (a - b): draws with a = b divide by zero and are drawn again."""
    spec = {"title": "division", "graph": {"inputs": {"a": 1, "b": 2}, "nodes": {"d": "1/(a - b)", "f": "d*a"},
                                           "output": "f"},
            "randomize": {"grids": {"inputs": {"low": 1, "high": 3}}, "constraints": {"min_gradient": 0}}}
    gen = Generator(load_problem(spec), 0)
    variants = list(gen.generate(numbered_ids(6)))  # the 6 pairs with a != b
    assert all(inputs_of(v.problem)["a"] != inputs_of(v.problem)["b"] for v in variants)
    assert any(v.attempt > 0 for v in variants)


def test_a_node_undefined_at_every_draw_is_one_clear_line(tmp_path):
    spec = {"title": "division", "graph": {"inputs": {"a": 1, "b": 2}, "nodes": {"d": "1/(a - b)", "f": "d*a"},
                                           "output": "f"},
            "randomize": {"inputs": {"a": True, "b": False}, "grids": {"inputs": {"low": 2, "high": 2}}, "attempts": 40}}
    path = tmp_path / "div.yaml"
    path.write_text(yaml.safe_dump(spec))
    done = bptrace("variants", path, "--count", 2, "--seed", 1, "-o", tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == ("error: variant v001: no draw met the constraints in 40 attempts (randomize.attempts); "
                           "unmet most often: every node defined at the drawn inputs (graph.nodes.d: division by zero "
                           "at the given values), in 40 of 40 draws; the grids allow only 1 distinct draws; "
                           "widen the grids or relax the constraints\n")


# -- sheets, quiz and check -------------------------------------------------------------------


def test_the_problem_sheet_asks_without_giving_the_answers(tmp_path):
    write_variants(Generator(load_problem(HOMEWORK), 5), ["v001"], "markdown", tmp_path)
    sheet = (tmp_path / "v001.problem.md").read_text()
    key = json.loads((tmp_path / "v001.key.json").read_text())
    assert list(key) == ["variant", "q", "r", "s", "grad.c", "grad.b", "grad.a"]
    assert "## Forward pass" not in sheet and "## Backward pass" not in sheet
    assert "Work out the forward pass, the local derivatives and the backward pass. Work to 4 decimal places." in sheet
    solution = (tmp_path / "v001.solution.md").read_text()
    assert "## Forward pass" in solution and "## Backward pass" in solution


def test_a_sheet_asking_the_forward_pass_only_cuts_the_solution(tmp_path):
    spec = {**HOMEWORK, "ask": ["q", "r"]}
    write_variants(Generator(load_problem(spec), 5), ["v001"], "markdown", tmp_path)
    sheet = (tmp_path / "v001.problem.md").read_text()
    solution = (tmp_path / "v001.solution.md").read_text()
    assert "Work out the forward pass. Work to 4 decimal places." in sheet
    assert "## Forward pass" in solution and "## Local derivatives" not in solution and "## Backward pass" not in solution


def test_the_quiz_has_one_question_per_asked_value(tmp_path):
    write_variants(Generator(load_problem(HOMEWORK), 5), numbered_ids(2), "moodle-elements", tmp_path)
    root = ET.parse(tmp_path / "quiz.xml").getroot()
    names = [q.find("name/text").text for q in root.iter("question") if q.get("type") == "numerical"]
    assert names == [f"{v} {k}" for v in ("v001", "v002") for k in ("q", "r", "s", "grad.c", "grad.b", "grad.a")]


def bptrace(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_variants_then_check_grades_every_key_correct(tmp_path):
    spec = REPO / "examples" / "graph-homework.yaml"
    done = bptrace("variants", spec, "--count", 4, "--seed", 11, "--to", "markdown", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    keys = sorted((tmp_path / "out").glob("v*.key.json"))
    assert len(keys) == 4
    done = bptrace("check", spec, *keys, "--seed", 11, "--gradebook", tmp_path / "gb.csv")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [row.split(",") for row in (tmp_path / "gb.csv").read_text().splitlines()]
    assert rows[0] == ["file", "student", "points", "max", "first_error", "status", "imprecise", "diagnoses"]
    assert [row[2:] for row in rows[1:]] == [["6", "6", "", "graded", "0", "0"]] * 4
    wrong = json.loads(keys[0].read_text())
    wrong["r"] += 0.1
    (tmp_path / "wrong.json").write_text(json.dumps(wrong))
    done = bptrace("check", spec, tmp_path / "wrong.json", "--seed", 11)
    assert done.returncode == 1 and "First error: r" in done.stdout
    assert bptrace("check", spec, keys[0], "--seed", 12).returncode == 1  # another seed: other numbers
