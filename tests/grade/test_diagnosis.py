"""Diagnosis: the sheet a student making exactly one mistake would write is named at that mistake.

The sheets are generated, never typed: the engine's local formulas (recompute.py, which
tests/grade/test_recompute.py holds to the engine) are replayed with one quantity computed
the mistaken way, written here from the issue's definitions, and everything after it
computed correctly from the mistaken numbers (correct before the mistake, consistent after).
The student works by hand: every number is rounded to the sheet's 4 decimals as it is
written and used further as written (a student who keeps every digit in the calculator
can land further from a mistaken formula than its tolerance: docs/diagnosis.md).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import assume, event, given, note, settings
from hypothesis import strategies as st

from tracer.engine import run
from tracer.grade.answers import parse_answers
from tracer.grade.check import Checker
from tracer.grade.diagnosis import CODES, class_summary, diagnose, quantity_of
from tracer.grade.recompute import COPY, GIVEN
from tracer.grade.report import format_many, format_report
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
SHEET = re.compile(r"^iter\d+\.(a\d+|h\d+|yhat|loss|dL_dyhat|gprime\d+|delta\d+|grad\.[Wb]\d+|new\.[Wb]\d+)$")


# -- the mistaken student --------------------------------------------------------------


def replay(checker: Checker, overrides: dict, decimals: int = 4) -> dict[str, np.ndarray]:
    """Every value, with `overrides` ({path: f(get) -> value}) computed the mistaken way, by hand:
    each rounded to `decimals` as it is written, and used further as written."""
    trace, rules, memo = checker.trace, checker.rules, {}

    def get(path):
        if path not in memo:
            rule = rules[path]
            if path in overrides:
                v = overrides[path](get)
            elif rule.kind == GIVEN:
                v = trace.values[path]
            elif rule.kind == COPY:
                v = get(rule.inputs[0])
            else:
                v = rule.formulas[0](*[get(i) for i in rule.inputs])
            memo[path] = np.round(np.broadcast_to(np.asarray(v, dtype=np.float64), np.shape(trace.values[path])), decimals)
        return memo[path]

    with np.errstate(all="ignore"):
        return {p: get(p) for p in trace.values}


def correct_formula(checker: Checker, path: str):
    rule = checker.rules[path]
    return lambda get: get(rule.inputs[0]) if rule.kind == COPY else rule.formulas[0](*[get(i) for i in rule.inputs])


def sheet_text(values: dict, paths) -> str:
    def text(v):
        v = np.asarray(v, dtype=float)
        if v.size == 1:
            return f"{v.reshape(-1)[0]:.4f}"
        return json.dumps(np.round(v, 4).tolist())
    return "".join(f"{p}: {text(values[p])}\n" for p in paths)


def sheet_paths(checker: Checker) -> list[str]:
    return [p for p in checker.order if SHEET.match(p)]


def mistake(code: str, checker: Checker, draw, t: int | None = None):
    """(target path, override) of one student's mistake; None if it does not apply to this network."""
    prob = checker.problem
    L, lr, T = prob.depth, prob.learning_rate, len(checker.trace.iterations)
    t = draw(st.integers(2 if code == "other-iteration" else 1, T)) if t is None else t
    if code == "other-iteration" and t < 2:
        return None
    p = f"iter{t}."
    names = prob.param_names()
    if code == "stale-weights":
        if L < 2:
            return None
        l = draw(st.integers(1, L - 1))
        return p + f"delta{l}", lambda get: get(f"{p}gprime{l}") * (get(f"{p}new.W{l + 1}").T @ get(f"{p}delta{l + 1}"))
    if code == "missing-gprime":
        l = draw(st.integers(1, L))
        if l == L:
            return p + f"delta{L}", lambda get: get(f"{p}dL_dyhat")
        return p + f"delta{l}", lambda get: get(f"{p}W{l + 1}").T @ get(f"{p}delta{l + 1}")
    if code in ("update-sign", "missing-learning-rate"):
        name = draw(st.sampled_from(names))
        step = (lambda g: lr * g) if code == "update-sign" else (lambda g: -g)
        return f"{p}new.{name}", lambda get: get(p + name) + step(get(f"{p}grad.{name}"))
    if code == "wrong-loss-derivative":
        if prob.loss == "bce":
            return p + "dL_dyhat", lambda get: get(p + "yhat") - get(p + "y")
        return p + "dL_dyhat", lambda get: -get(p + "y") / get(p + "yhat") + (1 - get(p + "y")) / (1 - get(p + "yhat"))
    if code == "transposed":
        square = [l for l in range(1, L + 1) if prob.layers[l] == prob.layers[l - 1] > 1]
        if not square:
            return None
        target = f"{p}grad.W{draw(st.sampled_from(square))}"
        f = correct_formula(checker, target)
        return target, lambda get: np.asarray(f(get)).T
    if code == "preactivation":
        l = draw(st.integers(1, L))
        return f"{p}h{l}", lambda get: get(f"{p}a{l}")
    if code == "sign":
        target = draw(st.sampled_from([q for q in sheet_paths(checker) if q.startswith(p) and checker.rules[q].kind != COPY]))
        f = correct_formula(checker, target)
        return target, lambda get: -np.asarray(f(get))
    if code == "other-iteration":
        if draw(st.booleans()):
            name = draw(st.sampled_from(names))
            return f"{p}new.{name}", lambda get: get(p + name)  # the old weights in the update
        q = draw(st.sampled_from([q.split(".", 1)[1] for q in sheet_paths(checker) if q.startswith(p)]))
        return p + q, lambda get: get(f"iter{t - 1}.{q}")
    if code == "other-example":
        own = checker.trace.iterations[t - 1].examples[0]
        others = [j for j, ex in enumerate(prob.data) if not np.array_equal(ex.x, prob.data[own].x)]
        if not others:
            return None
        x = np.asarray(prob.data[draw(st.sampled_from(others))].x, dtype=float)
        return p + "a1", lambda get: get(p + "W1") @ x + get(p + "b1")
    raise AssertionError(code)


@st.composite
def networks(draw):
    layers = draw(st.lists(st.integers(1, 3), min_size=3, max_size=4))
    hidden = draw(st.sampled_from(["sigmoid", "tanh", "relu"]))
    out_act, loss = draw(st.sampled_from([("sigmoid", "bce"), ("sigmoid", "mse"), ("linear", "sse"), ("tanh", "sse")]))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    data = [{"x": [round(float(v), 1) for v in rng.uniform(-1, 1, layers[0])],
             "y": [float(v) for v in rng.integers(0, 2, layers[-1])]} for _ in range(2)]
    spec = {"layers": layers, "activation": [hidden] * (len(layers) - 2) + [out_act], "loss": loss,
            "init": {"seed": draw(st.integers(0, 10_000)), "decimals": 1}, "learning_rate": 0.5,
            "iterations": 2, "mode": "sgd", "decimals": 4, "data": data}
    note(json.dumps(spec))
    return Checker(load_problem(spec))


def grade(checker: Checker, overrides: dict, drawn: bool = True):
    values = replay(checker, overrides)
    finite = all(np.all(np.isfinite(values[p])) for p in sheet_paths(checker))  # a mistake may leave the loss's domain
    if drawn:
        assume(finite)
    assert finite
    text = sheet_text(values, sheet_paths(checker))
    sheet = parse_answers(text)
    report = checker.check_sheet(sheet, "generated.yaml")
    given_, wrong_shape, _ = checker._resolve(sheet)
    fitted = diagnose(checker, [i for i in report.items], given_, wrong_shape, checker._bounds)  # ties too
    report.values = values
    return report, fitted


def clearly_off(checker, report, item, target: str) -> bool:
    """The mistaken value (unrounded) is off the true and the recomputed value by twice the tolerance:
    nearer, the checker rightly declines to name it (a candidate must be off every correct value)."""
    idx = [k for k, (_, key, _) in enumerate(checker._elements(target)) if key == item.key][0]
    v = float(np.reshape(report.values[target], -1)[idx])
    bound = float(np.reshape(np.broadcast_to(checker._bounds[target], np.shape(checker.values[target])), -1)[idx])
    allowed = lambda r: checker.policy.tolerance.allowed(1e-4, r, bound, checker.policy.floor)  # noqa: E731
    return all(abs(v - r) > 2 * allowed(r) for r in (item.expected, item.recomputed) if r is not None)


def assert_named(report, fitted, target: str, code: str, checker=None) -> int:
    """Every wrong element of `target` is given `code` (or no code, where another one fits as well);
    returns how many were named."""
    wrong = [i for i in report.items if quantity_of(i.key) == target and i.status == "wrong"]
    named = 0
    for item in wrong:
        if checker is not None and not clearly_off(checker, report, item, target):
            assert item.diagnosis in (code, None), (item.key, item.diagnosis)
            continue
        assert code in fitted[item.key], (item.key, item.got, fitted[item.key])
        assert item.diagnosis == (code if fitted[item.key] == {code} else None), (item.key, fitted[item.key])
        if checker is not None:
            event(f"{code}: {'named' if item.diagnosis else 'tie ' + '/'.join(sorted(fitted[item.key]))}")
        named += 1
    return named


def position(checker, key: str) -> int:
    return checker.position[quantity_of(key)]


@settings(deadline=None)
@given(networks(), st.sampled_from(sorted(CODES)), st.data())
def test_one_mistake_is_named_where_it_is_made(checker, code, data):
    made = mistake(code, checker, data.draw)
    assume(made is not None)
    target, override = made
    report, fitted = grade(checker, {target: override})
    assume(assert_named(report, fitted, target, code, checker) > 0)  # the mistake moved the number beyond the tolerance
    before = [i for i in report.items if position(checker, i.key) < checker.position[target]]
    assert all(i.status == "correct" for i in before), [(i.key, i.status) for i in before if i.status != "correct"]
    others = [i for i in report.items if quantity_of(i.key) != target]
    assert not any(i.diagnosis for i in others if position(checker, i.key) < checker.position[target])


@settings(deadline=None)
@given(networks(), st.sampled_from(sorted(CODES)), st.data())
def test_after_the_mistake_work_from_it_is_follow_through(checker, code, data):
    made = mistake(code, checker, data.draw)
    assume(made is not None)
    target, override = made
    report, fitted = grade(checker, {target: override})
    assume(assert_named(report, fitted, target, code, checker) > 0)
    after = [i for i in report.items if position(checker, i.key) > checker.position[target]]
    assert all(i.status in ("correct", "follow-through") for i in after), \
        [(i.key, i.status, i.got, i.recomputed) for i in after if i.status not in ("correct", "follow-through")]


@settings(deadline=None)
@given(networks(), st.sampled_from(sorted(set(CODES) - {"other-iteration"})), st.sampled_from(sorted(CODES)), st.data())
def test_two_mistakes_in_two_iterations_are_both_named(checker, first, second, data):
    assume(first != second)
    one, two = mistake(first, checker, data.draw, t=1), mistake(second, checker, data.draw, t=2)
    assume(one is not None and two is not None)
    report, fitted = grade(checker, {one[0]: one[1], two[0]: two[1]})
    assume(assert_named(report, fitted, one[0], first, checker) > 0)
    assume(assert_named(report, fitted, two[0], second, checker) > 0)
    between = [i for i in report.items if checker.position[one[0]] < position(checker, i.key) < checker.position[two[0]]]
    assert all(i.status in ("correct", "follow-through") for i in between)


# -- each code once, on a fixed network, without ties ------------------------------------------

LECTURE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
LECTURE.pop("published")
TWO_EXAMPLES = dict(LECTURE, data=[{"x": [1.0, 2.0], "y": [1]}, {"x": [-1.0, 0.5], "y": [0]}], iterations=2)


class _Fixed:
    """A `draw` that answers each strategy from a list of picks in order."""

    def __init__(self, *picks):
        self.picks = list(picks)

    def __call__(self, strategy):
        return self.picks.pop(0)


FIXED = [  # (code, spec, the draws, the target)
    ("stale-weights", LECTURE, (1, 1), "iter1.delta1"),
    ("missing-gprime", LECTURE, (1, 1), "iter1.delta1"),
    ("missing-gprime", LECTURE, (2, 2), "iter2.delta2"),
    ("update-sign", LECTURE, (1, "W2"), "iter1.new.W2"),
    ("missing-learning-rate", LECTURE, (1, "W1"), "iter1.new.W1"),
    ("wrong-loss-derivative", LECTURE, (1,), "iter1.dL_dyhat"),
    ("transposed", LECTURE, (1, 1), "iter1.grad.W1"),
    ("preactivation", LECTURE, (1, 1), "iter1.h1"),
    ("sign", LECTURE, (2, "iter2.grad.W2"), "iter2.grad.W2"),
    ("other-iteration", LECTURE, (2, True, "W1"), "iter2.new.W1"),
    ("other-iteration", LECTURE, (3, False, "a2"), "iter3.a2"),
    ("other-example", TWO_EXAMPLES, (2, 0), "iter2.a1"),
]


@pytest.mark.parametrize("code, spec, picks, target", FIXED, ids=[f"{c}-{t}" for c, _, _, t in FIXED])
def test_each_code_on_a_fixed_network(code, spec, picks, target):
    checker = Checker(load_problem(spec))
    made = mistake(code, checker, _Fixed(*picks))
    assert made[0] == target
    report, fitted = grade(checker, {target: made[1]}, drawn=False)
    named = [i for i in report.items if quantity_of(i.key) == target and i.status == "wrong"]
    assert named and all(i.diagnosis == code for i in named), [(i.key, i.diagnosis, fitted.get(i.key)) for i in named]
    assert all(i.diagnosis_text.startswith("Your value matches") or i.diagnosis_text.startswith("Your value is")
               for i in named)
    data = json.loads(json.dumps(report.to_dict()))
    assert {i["diagnosis"] for i in data["items"] if i["key"] in {n.key for n in named}} == {code}
    assert named[0].diagnosis_text in format_report(report, "text")
    assert all(i.diagnosis is None for i in report.items if i.status != "wrong")


def test_a_matrix_of_the_transposed_shape_is_named_as_a_whole():
    checker = Checker(load_problem(LECTURE))
    grad = checker.values["iter1.grad.W2"]  # 1x2; answered as a 2x1 column
    report = checker.check_sheet(parse_answers(f"iter1.grad.W2: {json.dumps(np.round(grad.T, 4).tolist())}\n"))
    (item,) = report.items
    assert (item.status, item.diagnosis) == ("wrong", "transposed")


# -- never a guess --------------------------------------------------------------------------


def test_a_wrong_number_no_mistake_reproduces_gets_none():
    checker = Checker(load_problem(LECTURE))
    true = checker.values["iter1.grad.b2"].item()
    report = checker.check_sheet(parse_answers(f"iter1.grad.b2: {-true:.4f}\n"))
    assert report.items[0].diagnosis == "sign"
    report = checker.check_sheet(parse_answers(f"iter1.grad.b2: {true + 0.0007:.4f}\n"))
    assert (report.items[0].status, report.items[0].diagnosis) == ("wrong", None)


def test_two_codes_that_fit_equally_give_no_diagnosis():
    """With b2 = 0, new.b2 = b2 + lr * grad (update-sign) is also -(b2 - lr * grad) (sign): a tie, so neither."""
    spec = dict(LECTURE, params=dict(LECTURE["params"], b2=[0.0]))
    checker = Checker(load_problem(spec))
    step = 0.5 * checker.values["iter1.grad.b2"].item()
    sheet = parse_answers(f"iter1.new.b2: {step:.4f}\n")
    report = checker.check_sheet(sheet)
    given_, wrong_shape, _ = checker._resolve(sheet)
    fitted = diagnose(checker, report.items, given_, wrong_shape, checker._bounds)
    assert fitted == {"iter1.new.b2": {"sign", "update-sign"}}
    assert (report.items[0].status, report.items[0].diagnosis, report.items[0].diagnosis_text) == ("wrong", None, "")


def test_no_diagnosis_when_switched_off():
    checker = Checker(load_problem(LECTURE), diagnosis=False)
    true = checker.values["iter1.grad.b2"].item()
    report = checker.check_sheet(parse_answers(f"iter1.grad.b2: {-true:.4f}\n"))
    assert (report.items[0].status, report.items[0].diagnosis) == ("wrong", None)


# -- the class summary ----------------------------------------------------------------------


def test_class_summary_counts_students_by_mistake_and_quantity():
    checker = Checker(load_problem(LECTURE))
    T = checker.values
    sheets = {
        "a": {"iter1.delta1": T["iter1.W2"].T @ T["iter1.delta2"], "iter1.grad.b2": -T["iter1.grad.b2"]},
        "b": {"iter1.delta1": T["iter1.W2"].T @ T["iter1.delta2"]},
        "c": {"iter1.grad.b2": T["iter1.grad.b2"]},
    }
    results = []
    for name, answers in sheets.items():
        text = sheet_text({k: np.asarray(v) for k, v in answers.items()}, answers)
        results.append((name, checker.check_sheet(parse_answers(text), name)))
    rows = class_summary([r for _, r in results])
    assert rows == [("missing-gprime", "iter1.delta1", 2, 4), ("sign", "iter1.grad.b2", 1, 1)]
    md = format_many(results, "markdown")
    assert "| `missing-gprime` | iter1.delta1 | 2 | 4 |" in md
    assert "| `sign` | iter1.grad.b2 | 1 | 1 |" in md


# -- the gradebook and the command line --------------------------------------------------------


def _lecture_sheets(folder: Path) -> Path:
    checker = Checker(load_problem(LECTURE))
    T = checker.values
    folder.mkdir()
    (folder / "ok.yaml").write_text(sheet_text({"iter1.grad.b2": T["iter1.grad.b2"]}, ["iter1.grad.b2"]))
    (folder / "two.yaml").write_text(sheet_text({"iter1.grad.b2": -T["iter1.grad.b2"],
                                                 "iter1.delta1": T["iter1.W2"].T @ T["iter1.delta2"]},
                                                ["iter1.grad.b2", "iter1.delta1"]))
    spec = folder.parent / "spec.yaml"
    spec.write_text(yaml.safe_dump(LECTURE))
    return spec


def test_gradebook_counts_diagnoses_per_sheet(tmp_path):
    import csv

    from tracer.grade.gradebook import COLUMNS, answer_files, check_gradebook_target, write_gradebook

    spec = _lecture_sheets(tmp_path / "in")
    out = tmp_path / "gb.csv"
    for diagnosis, expected in ((True, {"ok.yaml": "0", "two.yaml": "3"}), (False, {"ok.yaml": "", "two.yaml": ""})):
        write_gradebook(Checker(load_problem(spec), diagnosis=diagnosis), answer_files([tmp_path / "in"]), out, progress=False)
        with open(out, newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == list(COLUMNS) and COLUMNS[-1] == "diagnoses"
        assert {Path(r["file"]).name: r["diagnoses"] for r in rows} == expected
    old = tmp_path / "old.csv"  # a gradebook from before the column may still be replaced
    old.write_text("file,student,points,max,first_error,status\r\n")
    assert check_gradebook_target(old, []) == old


def test_command_line_diagnosis_and_no_diagnosis(tmp_path):
    import subprocess
    import sys

    spec = _lecture_sheets(tmp_path / "in")
    run_ = lambda *a: subprocess.run([sys.executable, "-m", "tracer.cli", "check", str(spec), *a],  # noqa: E731
                                     capture_output=True, text=True, cwd=REPO)
    on = json.loads(run_(str(tmp_path / "in" / "two.yaml"), "--format", "json").stdout)
    assert [i["diagnosis"] for i in on["items"]] == ["missing-gprime", "missing-gprime", "sign"]
    assert on["items"][2]["diagnosis_text"].startswith("Your value matches iter1.grad.b2 with the opposite sign")
    off = json.loads(run_(str(tmp_path / "in" / "two.yaml"), "--format", "json", "--no-diagnosis").stdout)
    assert [i["diagnosis"] for i in off["items"]] == [None, None, None]
    text = run_(str(tmp_path / "in" / "two.yaml")).stdout
    assert "Likely mistakes:\n  iter1.delta1[1], iter1.delta1[2] (missing-gprime): Your value matches iter1.delta1 without" in text
    md = run_(str(tmp_path / "in"), "--format", "markdown").stdout
    assert "### Class summary: likely mistakes (2 sheets graded)" in md
    assert "| `missing-gprime` | iter1.delta1 | 1 | 2 |" in md


def test_no_diagnosis_on_correct_sheets_of_random_networks():
    """The false-positive count of bench/bench_diagnosis.py, on fewer sheets: 0 on correct sheets."""
    import importlib.util

    where = importlib.util.spec_from_file_location("bench_diagnosis", REPO / "bench" / "bench_diagnosis.py")
    bench = importlib.util.module_from_spec(where)
    where.loader.exec_module(bench)
    fp = bench.false_positives(40, seed=7)
    counts = fp["counts"]
    assert counts["correct items"] > 1000
    assert counts["correct: wrong verdicts"] == 0 and counts["correct: diagnoses"] == 0
    assert counts["random: wrong items"] > 50
    assert counts["random: diagnoses elsewhere"] == 0
