"""`bptrace check` on graph homework: the same verdicts, follow-through from a student's own slip."""

from __future__ import annotations

import pytest

from tracer.errors import SpecError
from tracer.grade.check import Checker
from tracer.grade.recompute import GIVEN
from tracer.problem.examples import example_path
from tracer.problem.spec import load_problem


def test_follow_through_carries_a_wrong_node_into_its_derivatives(tmp_path):
    # s is wrong (0.5 instead of 0.4); q, f, dq/ds and df/ds follow from it correctly
    sheet = tmp_path / "a.yaml"
    sheet.write_text("student: a\ns: 0.5\nq: 0.6225\nr: 1.8\nf: 1.1205\nlocal.q.s: 0.235\ngrad.s: 0.423\n"
                     "grad.w1: 0.6487\ngrad.x1: 0.5\n")
    checker = Checker(load_problem(example_path("graph-sigmoid-neuron")))
    report = checker.check_file(sheet)
    status = {item.key: item.status for item in report.items}
    assert status["s"] == "wrong" and status["r"] == "correct"
    assert status["q"] == status["f"] == status["local.q.s"] == status["grad.s"] == "follow-through"
    assert status["grad.w1"] == "correct"  # the true value is still correct
    assert status["grad.x1"] == "wrong"
    assert report.first_error == "s"


def test_rules_cover_every_path_and_give_the_traced_values():
    checker = Checker(load_problem(example_path("graph-sigmoid-neuron")))
    assert set(checker.rules) == set(checker.values)
    for path, rule in checker.rules.items():
        if rule.kind == GIVEN:
            continue
        got = rule.formulas[0](*(checker.values[i] for i in rule.inputs))
        assert float(got) == pytest.approx(float(checker.values[path]), rel=1e-12, abs=1e-15), path


def test_randomize_is_read_by_the_homework_stage_for_graphs():
    """A graph spec with randomize: parses (variants: tests/homework/test_variants_graph.py)."""
    spec = dict(load_problem(example_path("graph-seed004")).source, randomize=True)
    assert load_problem(spec).randomize is True
