"""Moodle XML per element (`--to moodle-elements`): parsed back, one numerical question per asked element, the checker's tolerance."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer.engine import run
from tracer.grade.answers import parse_answers
from tracer.grade.check import CORRECT, Checker
from tracer.grade.recompute import rounding_bounds
from tracer.homework.moodle import problem_quiz, tolerance_text
from tracer.homework.variants import Generator, numbered_ids, write_variants
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
LECTURE.pop("published")  # the notes' numbers of iterations 2 and 3; these specs run fewer
HOMEWORK = {**LECTURE, "iterations": 1, "randomize": True,
            "ask": ["iter1.yhat", "iter1.loss", "iter1.delta1[2]", "iter1.grad.W1"]}  # in computation order


def numerical(root: ET.Element) -> list[ET.Element]:
    return root.findall("question[@type='numerical']")


def asked_elements(problem, values) -> list[tuple[str, float]]:
    """(name, value) per asked element, worked out here from the ask list and the engine's values."""
    out = []
    for entry in problem.ask:
        path, _, index = entry.partition("[")
        arr = np.asarray(values[path], dtype=float)
        if index:
            out.append((entry, float(arr.reshape(-1)[int(index[:-1]) - 1])))
        elif arr.size == 1:
            out.append((path, float(arr.reshape(-1)[0])))
        else:
            out += [(f"{path}[{','.join(str(i + 1) for i in idx)}]", float(arr[idx])) for idx in np.ndindex(arr.shape)]
    return out


def test_variants_quiz_parses_with_one_question_per_asked_element(tmp_path):
    written = write_variants(Generator(load_problem(HOMEWORK), 5), numbered_ids(3), "moodle-elements", tmp_path)
    root = ET.parse(tmp_path / "quiz.xml").getroot()
    assert root.tag == "quiz"
    categories = [q.findtext("category/text") for q in root.findall("question[@type='category']")]
    assert categories == [f"$course$/top/{LECTURE['title']}/{vid}" for vid in numbered_ids(3)]
    questions = numerical(root)
    per_variant = len(questions) // 3
    expected_names = []
    for v in written.variants:
        values = run(v.problem, arithmetic="float").values
        elements = asked_elements(v.problem, values)
        assert per_variant == len(elements) == 1 + 1 + 4 + 1
        expected_names += [name for name, _ in elements]
        mine = questions[:per_variant]
        questions = questions[per_variant:]
        for q, (name, value) in zip(mine, elements):
            assert q.findtext("name/text") == f"{v.id} {name}"
            assert float(q.findtext("answer/text")) == pytest.approx(value, rel=1e-14, abs=1e-15)
            assert q.find("answer").get("fraction") == "100"
            text = q.findtext("questiontext/text")
            assert f"<code>{name}</code>" in text and f"(variant {v.id})" in text and r"\(W^{(1)} = " in text
    assert len(expected_names) == 21


def test_tolerance_is_what_check_allows_an_answer_written_to_decimals():
    problem = load_problem({**LECTURE, "ask": ["iter1.a2", "iter1.yhat", "iter1.grad.W1"]})
    root = ET.fromstring(problem_quiz(problem))
    checker = Checker(problem)
    bounds = rounding_bounds(checker.trace, checker.rules, checker.order)
    floor = 10.0 ** -problem.decimals
    questions = numerical(root)
    elements = asked_elements(problem, checker.values)
    assert len(questions) == len(elements) == 6
    for q, (name, value) in zip(questions, elements):
        path, _, index = name.partition("[")
        b = float(np.asarray(bounds[path]).reshape(-1)[0 if not index else
                   (lambda r, c: (r - 1) * 2 + c - 1)(*map(int, index[:-1].split(",")))])
        allowed = floor * max(0.5, b)
        tol = float(q.findtext("answer/tolerance"))
        assert tol == float(tolerance_text(allowed)) and allowed * (1 - 1e-6) <= tol <= allowed * 1.1
        # the answer a student writes to `decimals` places passes both Moodle and check
        rounded = round(value, problem.decimals)
        assert abs(rounded - float(q.findtext("answer/text"))) <= tol
        report = checker.check_sheet(parse_answers(f"{name}: {rounded:.{problem.decimals}f}\n"))
        assert [i.status for i in report.items if i.key == name] == [CORRECT]


def test_grading_abs_tol_is_the_tolerance():
    problem = load_problem({**LECTURE, "ask": ["iter1.loss"], "grading": {"abs_tol": 0.002}})
    [q] = numerical(ET.fromstring(problem_quiz(problem)))
    assert q.findtext("answer/tolerance") == "0.0020"


@pytest.mark.parametrize("x,text", [(5.0000000001e-05, "0.000050"), (6.81e-05, "0.000069"), (0.002, "0.0020"), (0.5, "0.50"),
                                    (12.3, "13")])
def test_tolerance_text_rounds_up(x, text):
    assert tolerance_text(x) == text


def test_cli_render_to_moodle_elements():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "tracer.cli", "render", "--example", "lecture-2-2-1", "--to", "moodle-elements"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    root = ET.fromstring(done.stdout)
    problem = load_problem(REPO / "examples" / "lecture-2-2-1.yaml")
    values = run(problem, arithmetic="float").values
    # no ask: in the spec -> the variants' default, iteration 1's forward and backward pass
    sizes = [np.size(values[p]) for p in ("iter1.a1", "iter1.h1", "iter1.a2", "iter1.yhat", "iter1.loss", "iter1.delta2",
                                          "iter1.delta1", "iter1.grad.W2", "iter1.grad.b2", "iter1.grad.W1", "iter1.grad.b1")]
    assert len(numerical(root)) == sum(sizes)
    assert [q.findtext("category/text") for q in root.findall("question[@type='category']")] == [f"$course$/top/{LECTURE['title']}"]
