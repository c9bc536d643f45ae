"""Checking answers: verdicts, follow-through, tolerance rules, scoring, reports, exit codes.

Expected values come from the engine (or a direct numpy computation), never from lecture notes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer.engine import run
from tracer.errors import SpecError
from tracer.grade.answer_template import answer_template
from tracer.grade.answers import AnswerError, parse_answers
from tracer.grade.check import Checker
from tracer.grade.grading import Tolerance, notation_aliases
from tracer.grade.report import format_report
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE_FILE = REPO / "examples" / "lecture-2-2-1.yaml"
LECTURE = yaml.safe_load(LECTURE_FILE.read_text())
LECTURE.pop("published")  # the notes' numbers of all three iterations; these tests run fewer


def problem(**changes):
    spec = json.loads(json.dumps(LECTURE))
    spec.update(changes)
    return load_problem(spec)


TRUE = run(problem()).values


def f4(x) -> str:
    return f"{float(x):.4f}"


def as_yaml(answers: dict) -> str:
    """{key: float | array} -> YAML with every number written to 4 decimals."""
    def text(v):
        v = np.asarray(v, dtype=float)
        if v.size == 1:
            return f4(v.reshape(-1)[0])
        if v.ndim == 1:
            return "[" + ", ".join(f4(x) for x in v) + "]"
        return "[" + ", ".join("[" + ", ".join(f4(x) for x in row) + "]" for row in v) + "]"
    return "".join(f"{k}: {v if isinstance(v, str) else text(v)}\n" for k, v in answers.items())


def check(answers, prob=None, tolerance=None, **kw):
    text = answers if isinstance(answers, str) else as_yaml(answers)
    return Checker(prob or problem(), tolerance, **kw).check_sheet(parse_answers(text), "sheet.yaml")


def verdicts(report) -> dict[str, str]:
    return {i.key: i.status for i in report.items}


# -- the issue's acceptance test: a slip in iteration 1, correct method afterwards ---------

ITER_QUANTITIES = ["a1", "h1", "a2", "yhat", "loss", "dL_dyhat", "gprime2", "delta2", "gprime1", "delta1",
                   "grad.W2", "grad.b2", "grad.W1", "grad.b1", "new.W1", "new.b1", "new.W2", "new.b2"]


def test_slip_in_iteration_1_then_follow_through():
    sheet = {f"iter1.{q}": TRUE[f"iter1.{q}"] for q in ITER_QUANTITIES}
    slip = np.array(TRUE["iter1.new.W2"])
    slip[0, 0] = 0.7 + 0.5 * TRUE["iter1.grad.W2"][0, 0]  # the slip: + instead of - in the update
    sheet["iter1.new.W2"] = slip
    # The student's iteration 2, computed correctly from their own (rounded) parameters:
    # an independent engine run started from those parameters.
    own = {k: [[float(f4(x)) for x in row] for row in sheet[f"iter1.new.{k}"]] if k[0] == "W"
           else [float(f4(x)) for x in sheet[f"iter1.new.{k}"]] for k in ("W1", "b1", "W2", "b2")}
    theirs = run(problem(params=own, iterations=1)).values
    sheet.update({f"iter2.{q}": theirs[f"iter1.{q}"] for q in ITER_QUANTITIES})

    report = check(sheet)
    got = verdicts(report)
    assert report.first_error == "iter1.new.W2[1,1]"
    assert [k for k, v in got.items() if v == "wrong"] == ["iter1.new.W2[1,1]"]
    assert all(v == "correct" for k, v in got.items() if k.startswith("iter1.") and k != "iter1.new.W2[1,1]")
    # iteration 2: what does not depend on W2 is correct, everything W2 feeds is follow-through
    independent = ["iter2.a1[1]", "iter2.a1[2]", "iter2.h1[1]", "iter2.h1[2]", "iter2.gprime1[1]", "iter2.gprime1[2]"]
    assert all(got[k] == "correct" for k in independent)
    downstream = [k for k in got if k.startswith("iter2.") and k not in independent]
    assert len(downstream) == 26
    assert {got[k] for k in downstream} == {"follow-through"}, {k: got[k] for k in downstream if got[k] != "follow-through"}
    items = {i.key: i for i in report.items}
    # recomputed = the formula fed with the student's own values (here: their a2 through the sigmoid)
    a2 = float(f4(theirs["iter1.a2"][0]))
    assert items["iter2.yhat"].recomputed == pytest.approx(1 / (1 + np.exp(-a2)))
    credit = {"correct": 1.0, "follow-through": 0.5}
    assert report.max_points == pytest.approx(2 * len(ITER_QUANTITIES))  # 1 point a quantity, shared by its elements
    assert report.points == pytest.approx(sum(credit.get(i.status, 0) * i.max_points for i in report.items))
    assert report.exit_code == 1


def test_the_issue_example_sigmoid_of_a_wrong_a2_is_follow_through():
    wrong_a2 = TRUE["iter2.a2"][0] + 0.05
    report = check({"iter2.a2": wrong_a2, "iter2.yhat": 1 / (1 + np.exp(-float(f4(wrong_a2))))})
    assert verdicts(report) == {"iter2.a2": "wrong", "iter2.yhat": "follow-through"}
    assert report.first_error == "iter2.a2"


def test_a_wrong_update_feeds_the_next_iteration_under_either_name():
    wrong = TRUE["iter1.new.W2"] + np.array([[0.1, 0.0]])
    a2 = float(wrong[0] @ TRUE["iter2.h1"] + TRUE["iter2.b2"][0])
    for key in ("iter1.new.W2", "iter2.W2"):  # the same quantity: either answer feeds iteration 2
        report = check({key: wrong, "iter2.a2": a2})
        assert verdicts(report) == {f"{key}[1,1]": "wrong", f"{key}[1,2]": "correct", "iter2.a2": "follow-through"}
    # and iter2.W2 copied from a wrong iter1.new.W2 is itself follow-through
    report = check({"iter1.new.W2": wrong, "iter2.W2": wrong})
    assert verdicts(report)["iter2.W2[1,1]"] == "follow-through"


def test_follow_through_in_a_full_batch_iteration():
    xor = load_problem(REPO / "examples" / "xor-gd.yaml")
    true = run(xor).values
    slip = true["iter1.ex1.delta2"] + 0.01
    report = check({
        "iter1.ex1.delta2": slip,
        "iter1.ex1.grad.b2": slip,                                   # = delta for one example
        "iter1.grad.b2": (slip + sum(true[f"iter1.ex{n}.delta2"] for n in (2, 3, 4))) / 4,  # the batch mean
        "iter1.ex2.delta2": true["iter1.ex2.delta2"],
    }, xor)
    assert verdicts(report) == {"iter1.ex1.delta2": "wrong", "iter1.ex1.grad.b2": "follow-through",
                                "iter1.ex2.delta2": "correct", "iter1.grad.b2": "follow-through"}


def test_both_routes_to_gprime_and_delta_earn_follow_through():
    h2 = float(f4(TRUE["iter1.h2"][0] + 0.02))  # a slip in yhat
    report = check({"iter1.yhat": h2, "iter1.gprime2": h2 * (1 - h2), "iter1.delta2": h2 - 1.0})
    assert set(verdicts(report).values()) == {"wrong", "follow-through"}
    assert verdicts(report)["iter1.delta2"] == "follow-through"  # the simplified route yhat - y


# -- every verdict, missing and unknown keys -----------------------------------------------------


def test_every_verdict_kind():
    prob = problem(ask=["iter1.yhat", "iter1.loss", "iter1.h1", "iter1.grad.W1[2,1]"])
    yhat = TRUE["iter1.yhat"][0] + 0.01
    loss = -np.log(float(f4(yhat)))
    report = check(f"iter1.yhat: {f4(yhat)}\niter1.loss: {f4(loss)}\niter1.h1[1]: {f4(TRUE['iter1.h1'][0])}\n"
                   "iter1.yaht: 0.9\n", prob)
    assert [(i.key, i.status) for i in report.items] == [
        ("iter1.h1[1]", "correct"), ("iter1.h1[2]", "missing"), ("iter1.yhat", "wrong"),
        ("iter1.loss", "follow-through"), ("iter1.grad.W1[2,1]", "missing"), ("iter1.yaht", "unknown-key"),
    ]
    unknown = report.items[-1]
    assert "did you mean iter1.yhat?" in unknown.note
    assert unknown.got == 0.9 and unknown.max_points == 0


@pytest.mark.parametrize("key, note", [
    ("iter1.W1[3,1]", "iter1.W1 has shape 2x2; no element [3, 1]"),
    ("iter9.a1", "no such quantity; did you mean iter3.a1?"),
    ("iter1.grad.w1", "did you mean iter1.grad.W1?"),
    ("iter1.h1[2", "not a quantity path"),
    ("iter1.h1[0]", "not a quantity path"),
    ("student.name", "no such quantity"),
])
def test_unknown_keys_say_why(key, note):
    report = check(f'"{key}": 1\n')
    assert verdicts(report) == {key: "unknown-key"}
    assert note in report.items[0].note


# -- shapes and keys ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["iter1.yhat: {v}", "iter1.yhat: [{v}]", "iter1.yhat: [[{v}]]", "iter1.yhat[1]: {v}",
                                  "iter1:\n  yhat: {v}", '"iter1.yhat": "{v}"'])
def test_one_element_quantities_in_every_spelling(text):
    report = check(text.format(v=f4(TRUE["iter1.yhat"][0])) + "\n")
    assert verdicts(report) == {"iter1.yhat": "correct"}


def test_matrices_rows_elements_and_wrong_shapes():
    w2 = TRUE["iter1.new.W2"]
    flat = f"iter1.new.W2: [{f4(w2[0, 0])}, {f4(w2[0, 1])}]\n"  # a one-row matrix may be a flat list
    assert set(verdicts(check(flat)).values()) == {"correct"}
    column = f"iter1.new.W2: [[{f4(w2[0, 0])}], [{f4(w2[0, 1])}]]\n"  # the transpose: wrong, as a whole
    report = check(column)
    assert verdicts(report) == {"iter1.new.W2": "wrong"}
    assert report.items[0].note == "expected a 1x2 matrix (a list of rows), got 2x1"
    assert report.items[0].max_points == 1
    w1 = TRUE["iter1.grad.W1"]
    report = check("iter1.grad.W1: [" + ", ".join(f4(x) for x in w1.ravel()) + "]\n")  # flat 2x2: ambiguous
    assert verdicts(report) == {"iter1.grad.W1": "wrong"}
    report = check(f"iter1.grad.W1[2,1]: {f4(w1[1, 0])}\niter1.grad.W1[1, 2]: {f4(w1[0, 1])}\n")
    assert verdicts(report) == {"iter1.grad.W1[1,2]": "correct", "iter1.grad.W1[2,1]": "correct"}


def test_the_same_element_twice_is_not_gradable():
    with pytest.raises(AnswerError, match=r"iter1.h1\[2\] is answered more than once"):
        check("iter1.h1: [0.7685, 0.8581]\niter1.h1[2]: 0.8581\n")
    with pytest.raises(AnswerError, match="more than once"):
        check("iter1.h1: [0.7685, 0.8581]\niter1.u: [0.7685, 0.8581]\n", aliases={"iter1.u": "iter1.h1"})


def test_aliases_hook_resolves_answer_keys_and_ask():
    assert notation_aliases(problem()) == {}  # until the spec's notation profile provides some
    prob = problem(ask=["iter1.z"])
    report = check(f"iter1.u[2]: {f4(TRUE['iter1.h1'][1])}\niter1.z: 9\n", prob,
                   aliases={"iter1.u": "iter1.h1", "iter1.z": "iter1.a2"})
    assert [(i.key, i.status, i.note) for i in report.items] == [
        ("iter1.h1[2]", "correct", "answered as iter1.u[2]"), ("iter1.a2", "wrong", "answered as iter1.z"),
    ]
    assert report.max_points == 1  # only the asked iter1.a2 scores


# -- tolerance ------------------------------------------------------------------------------------

SHARP = dict(params={"W1": [[0.11111, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6], "W2": [[0.7, 0.8]], "b2": [0.9]})


@pytest.mark.parametrize("answer, decimals, verdict", [
    ("1.2111", 4, "correct"),    # 1.21111: within half a unit of the 4th decimal
    ("1.2112", 4, "wrong"),      # 0.89 units off
    ("1.21111", 4, "correct"),
    ("1.21112", 4, "wrong"),     # written to 5 decimals: judged there (1 unit off)
    ("1.2111e0", 4, "correct"),
    ("12111e-4", 4, "correct"),
    ("1.21", 4, "imprecise"),    # coarser than the spec's decimals: right to the 2 written
    ("1.22", 4, "wrong"),        # ... and wrong there too
    ("1.21", 2, "correct"),
    ("121111/100000", 4, "correct"),  # a fraction: judged at the spec's decimals
    ("1211/1000", 4, "wrong"),
])
def test_default_rule_precision_as_written_never_coarser_than_decimals(answer, decimals, verdict):
    # a1 has only exact inputs (x, W1, b1 from the spec), so no carried rounding: half a unit
    report = check(f"iter1.a1[1]: {answer}\n", problem(decimals=decimals, **SHARP))
    assert verdicts(report) == {"iter1.a1[1]": verdict}


def _bound_a2():
    """Carried rounding of iter1.a2 by hand: 1/2 + sum_j |W2_j| (1/2 + sigma'(a1_j) 1/2)."""
    s = 1 / (1 + np.exp(-np.array([1.2, 1.8])))
    return 0.5 + float(np.array([0.7, 0.8]) @ (0.5 + s * (1 - s) * 0.5))


def test_default_rule_allows_the_rounding_a_hand_computation_carries():
    true_a2 = TRUE["iter1.a2"][0]
    bound = _bound_a2()
    for answer, verdict in [("2.1244", "correct"), ("2.1246", "correct"), ("2.1243", "wrong"), ("2.1247", "wrong")]:
        off = abs(float(answer) - true_a2) / 1e-4
        assert (off <= bound) == (verdict == "correct")  # the cases straddle the bound ...
        assert verdict == "wrong" or off > 0.5 or answer == "2.1245"  # ... and exceed half a unit
        assert verdicts(check(f"iter1.a2: {answer}\n")) == {"iter1.a2": verdict}, answer


@pytest.mark.parametrize("tolerance, answer, verdict", [
    (Tolerance(abs_tol=1e-4), "2.1244", "correct"),
    (Tolerance(abs_tol=5e-5), "2.1244", "wrong"),
    (Tolerance(abs_tol=5e-5), "2.12449", "correct"),
    (Tolerance(rel_tol=1e-4), "2.1243", "correct"),     # 1.86e-4 <= 2.12e-4
    (Tolerance(rel_tol=5e-5), "2.1243", "wrong"),
    (Tolerance(abs_tol=1e-6, rel_tol=1e-4), "2.1243", "correct"),  # either one passes
    (Tolerance(abs_tol=0.0), "2.124486496528922", "correct"),
    (Tolerance(sig_figs=3), "2.12", "correct"),
    (Tolerance(sig_figs=3), "2.1244", "correct"),
    (Tolerance(sig_figs=3), "2.13", "correct"),   # u = 0.01, carried rounding 1.361 u
    (Tolerance(sig_figs=3), "2.14", "wrong"),
    (Tolerance(sig_figs=5), "2.1244", "correct"),
    (Tolerance(sig_figs=6), "2.1244", "wrong"),
    (Tolerance(sig_figs=6), "2.12", "imprecise"),  # right to the 3 figures written
])
def test_explicit_tolerances(tolerance, answer, verdict):
    assert verdicts(check(f"iter1.a2: {answer}\n", tolerance=tolerance)) == {"iter1.a2": verdict}


def test_spec_grading_sets_the_tolerance_and_the_command_line_replaces_it():
    prob = problem(grading={"abs_tol": 0.01})
    assert verdicts(check("iter1.a2: 2.13\n", prob)) == {"iter1.a2": "correct"}
    assert verdicts(check("iter1.a2: 2.13\n", prob, Tolerance(sig_figs=4))) == {"iter1.a2": "wrong"}


# -- points, ask, grading section -------------------------------------------------------------


def test_points_follow_through_credit_and_shares():
    prob = problem(ask=["iter2.a2", "iter2.yhat", "iter1.h1"],
                   grading={"points": {"default": 2, "iter2.yhat": 4, "iter1.*": 1}, "follow_through": 0.25})
    wrong_a2 = TRUE["iter2.a2"][0] + 0.05
    report = check({"iter2.a2": wrong_a2, "iter2.yhat": 1 / (1 + np.exp(-float(f4(wrong_a2)))),
                    "iter1.h1[1]": TRUE["iter1.h1"][0], "iter1.loss": TRUE["iter1.loss"]}, prob)
    # h1: 1 point over 2 elements; a2 wrong 0 of 2; yhat follow-through 0.25 * 4; loss not asked: 0 of 0
    assert [(i.key, i.status, i.points, i.max_points) for i in report.items] == [
        ("iter1.h1[1]", "correct", 0.5, 0.5), ("iter1.h1[2]", "missing", 0, 0.5), ("iter1.loss", "correct", 0, 0),
        ("iter2.a2", "wrong", 0, 2), ("iter2.yhat", "follow-through", 1.0, 4),
    ]
    assert (report.points, report.max_points) == (1.5, 7)


def test_ask_patterns_and_elements():
    prob = problem(ask=["iter1.grad.*", "iter2.W1[2,1]", "iter2.W1[1,2]"])
    report = check("", prob)
    keys = [i.key for i in report.items]
    # grad.* is every gradient, the input's (dL/dx) too
    assert keys == ["iter1.grad.x[1]", "iter1.grad.x[2]", "iter1.grad.W2[1,1]", "iter1.grad.W2[1,2]", "iter1.grad.b2", "iter1.grad.W1[1,1]",
                    "iter1.grad.W1[1,2]", "iter1.grad.W1[2,1]", "iter1.grad.W1[2,2]", "iter1.grad.b1[1]",
                    "iter1.grad.b1[2]", "iter2.W1[1,2]", "iter2.W1[2,1]"]
    assert {i.status for i in report.items} == {"missing"}
    assert report.exit_code == 0  # missing answers do not make a sheet "not correct"


@pytest.mark.parametrize("changes, message", [
    ({"ask": ["iter9.*"]}, "ask[0]: the pattern 'iter9.*' matches no quantity of this problem"),
    ({"ask": ["iter1.yhat", "iter1.yhta"]}, "ask[1]: 'iter1.yhta': no such quantity; did you mean iter1.yhat?"),
    ({"ask": ["iter1.W1[3,3]"]}, "ask[0]: 'iter1.W1[3,3]': iter1.W1 has shape 2x2; no element [3, 3]"),
    ({"grading": {"follow_through": 2}}, "grading.follow_through: expected a share of the points from 0 to 1, got 2"),
    ({"grading": {"follow_through": "half"}}, "grading.follow_through: expected a number, got 'half'"),
    ({"grading": {"points": -1}}, "grading.points: expected a number >= 0, got -1"),
    ({"grading": {"points": {"iter1.yhta": 2}}}, "grading.points.iter1.yhta: matches no quantity of this problem; did you mean iter1.yhat?"),
    ({"grading": {"points": {"iter1.W1[1,1]": 2}}}, "grading.points.iter1.W1[1,1]: points are per quantity, not per element (the elements share them)"),
    ({"grading": {"points": {"default": True}}}, "grading.points.default: expected a number, got True"),
    ({"grading": {"sig_figs": 0}}, "grading.sig_figs: expected a whole number from 1 to 15, got 0"),
    ({"grading": {"abs_tol": -0.1}}, "grading.abs_tol: expected a number >= 0, got -0.1"),
    ({"grading": {"abs_tol": 0.1, "sig_figs": 3}}, "grading.sig_figs: give either sig_figs or abs_tol/rel_tol, not both"),
    ({"grading": {"bonus": 1}}, "grading.bonus: unknown field; known fields: points, follow_through, imprecise, abs_tol, rel_tol, sig_figs"),
])
def test_bad_ask_and_grading_are_spec_errors_naming_the_place(changes, message):
    with pytest.raises(SpecError) as err:
        Checker(problem(**changes))
    assert str(err.value) == message


def test_the_truth_is_float_whatever_the_spec_arithmetic():
    for arithmetic in ("by-hand", "exact"):
        checker = Checker(problem(arithmetic=arithmetic))
        np.testing.assert_allclose(checker.values["iter3.new.W1"], TRUE["iter3.new.W1"], rtol=0, atol=1e-15)


# -- reports ---------------------------------------------------------------------------------------


def test_text_markdown_and_json_reports():
    report = check(f"student: s42\niter1.a2: 2.2\niter1.yhat: {f4(1 / (1 + np.exp(-2.2)))}\n'a|b<i>*x*': 1\n")
    text = format_report(report, "text")
    lines = text.splitlines()
    header = next(l for l in lines if l.startswith("quantity"))
    assert header.split() == ["quantity", "given", "expected", "recomputed", "verdict"]
    assert "Answers: sheet.yaml (student s42)" in lines[0]
    assert "First error: iter1.a2" in lines
    assert any(l.startswith("Score: 0.5 / 2") for l in lines)
    assert "iter1.yhat  0.9002  0.893260  0.900250    follow-through" in text
    md = format_report(report, "markdown")
    assert "| quantity | given | expected | recomputed | verdict |" in md
    assert r"| a\|b&lt;i&gt;\*x\* | 1 |  |  | unknown-key |" in md
    doc = json.loads(format_report(report, "json"))
    assert set(doc) >= {"items", "first_error", "score"}
    assert doc["first_error"] == "iter1.a2" and doc["score"] == {"points": 0.5, "max": 2}
    assert [set(i) >= {"key", "status", "got", "expected", "recomputed"} for i in doc["items"]] == [True] * 3
    assert doc["items"][1]["recomputed"] == pytest.approx(1 / (1 + np.exp(-2.2)))


def test_json_report_survives_infinite_expected_values():
    saturated = problem(params={"W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6], "W2": [[400.0, 400.0]], "b2": [400.0]},
                        data=[{"x": [1.0, 2.0], "y": [0]}])
    report = check("iter1.dL_dyhat: 1\n", saturated)
    doc = json.loads(format_report(report, "json"))
    assert doc["items"][0]["expected"] == "inf" and doc["items"][0]["status"] == "wrong"


# -- answer templates ------------------------------------------------------------------------------


def test_template_lists_the_asked_keys_and_fills_in_cleanly():
    prob = problem(ask=["iter1.yhat", "iter1.h1", "iter1.grad.W1", "iter2.W1[2,1]"])
    checker = Checker(prob)
    template = answer_template(checker, "yaml")
    keys = [l.split(":")[0] for l in template.splitlines() if not l.startswith("#")]
    assert keys == ["student", "iter1.h1", "iter1.yhat", "iter1.grad.W1", "iter2.W1[2,1]"]
    blank = checker.check_sheet(parse_answers(template))
    assert {i.status for i in blank.items} == {"missing"}
    filled = template.replace("student:", "student: s1", 1)
    for key in keys[1:]:
        path = key.split("[")[0]
        value = TRUE[path][1, 0] if "[" in key else TRUE[path]
        filled = filled.replace(f"{key}:", as_yaml({key: value}).rstrip("\n"), 1)
    report = checker.check_sheet(parse_answers(filled))
    assert report.student == "s1"
    assert {i.status for i in report.items} == {"correct"} and report.points == report.max_points == 4  # an asked element: its quantity's point
    for fmt in ("json", "csv"):
        assert {i.status for i in checker.check_sheet(parse_answers(answer_template(checker, fmt), fmt)).items} == {"missing"}


def test_template_without_ask_lists_what_a_student_computes():
    keys = [l.split(":")[0] for l in answer_template(Checker(problem(iterations=1))).splitlines() if l[0] != "#"]
    assert keys == ["student"] + [f"iter1.{q}" for q in ["a1", "h1", "a2", "h2", "yhat", "loss", "dL_dyhat", "gprime2",
                                                          "delta2", "gprime1", "delta1", "grad.W2", "grad.b2", "grad.W1",
                                                          "grad.b1", "new.W1", "new.b1", "new.W2", "new.b2"]]


# -- the command line: exit status 0 / 1 / 2 ---------------------------------------------------------


def bptrace(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd or REPO, timeout=120)


@pytest.mark.parametrize("name, text, code", [
    ("right.yaml", as_yaml({"iter1.a1": TRUE["iter1.a1"], "iter1.yhat": TRUE["iter1.yhat"]}), 0),
    ("empty.yaml", "", 0),
    ("slip.yaml", as_yaml({"iter1.a1": TRUE["iter1.a1"], "iter1.yhat": TRUE["iter1.yhat"] + 0.01}), 1),
    ("follow.yaml", "iter1.a2: 2.2\niter1.yhat: " + f4(1 / (1 + np.exp(-2.2))) + "\n", 1),
    ("typo.yaml", "iter1.yhta: 0.8933\n", 1),
    ("nan.yaml", "iter1.yhat: .nan\n", 2),
    ("garbage.json", "{not json", 2),
    ("words.csv", "iter1.yhat,about 0.9\n", 2),
])
def test_exit_status(tmp_path, name, text, code):
    path = tmp_path / name
    path.write_text(text)
    result = bptrace("check", LECTURE_FILE, path)
    assert result.returncode == code, result.stderr
    if code == 2:
        assert result.stdout == ""
        assert result.stderr.startswith(f"error: {path}: ") and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
    else:
        assert "First error:" in result.stdout and result.stderr == ""


def test_exit_status_for_spec_errors_options_and_missing_answers(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**LECTURE, "ask": ["iter1.yhat"], "grading": {"follow_through": 2}}))
    answers = tmp_path / "a.yaml"
    answers.write_text("iter1.yhat: 0.8933\n")
    result = bptrace("check", spec, answers)
    assert (result.returncode, result.stderr) == (2, "error: grading.follow_through: expected a share of the points from 0 to 1, got 2\n")
    result = bptrace("check", LECTURE_FILE, answers, "--sig-figs", "3", "--abs-tol", "0.1")
    assert result.returncode == 2 and "cannot be combined" in result.stderr
    result = bptrace("check", LECTURE_FILE, answers, "--rel-tol", "nan")
    assert result.returncode == 2
    result = bptrace("check", LECTURE_FILE, answers, "--format", "json", "--abs-tol", "0.001")
    assert result.returncode == 0 and json.loads(result.stdout)["items"][0]["status"] == "correct"


def test_several_files_print_a_report_each(tmp_path):
    (tmp_path / "a.yaml").write_text("iter1.yhat: 0.8933\n")
    (tmp_path / "b.json").write_text('{"iter1.yhat": 0.5}')
    (tmp_path / "c.yaml").write_text("a: &x 1\nb: *x\n")
    result = bptrace("check", LECTURE_FILE, tmp_path, "--format", "json")
    assert result.returncode == 2
    docs = json.loads(result.stdout)
    assert [d.get("status", "graded") for d in docs] == ["graded", "graded", "not gradable: line 2: YAML aliases are not allowed"]
    assert [d["items"][0]["status"] for d in docs[:2]] == ["correct", "wrong"]


def test_render_to_answers_on_the_command_line(tmp_path):
    result = bptrace("render", LECTURE_FILE, "--to", "answers", "--iterations", "1")
    assert result.returncode == 0 and result.stdout.startswith("# Answers: 2-2-1 network")
    out = tmp_path / "blank.csv"
    assert bptrace("render", LECTURE_FILE, "--to", "answers", "-o", out).returncode == 0
    assert out.read_text().splitlines()[:3] == ["key,value", "student,", "iter1.a1[1],"]
    assert bptrace("check", LECTURE_FILE, out).returncode == 0
