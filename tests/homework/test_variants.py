"""Variants: the randomize: section, reproducible draws, constraints, files, keys and finding a variant again.

Expected values come from the engine (or numpy directly), never from hard-coded numbers.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer.engine import run
from tracer.errors import SpecError, TracerError
from tracer.grade.answers import parse_answers
from tracer.grade.check import CORRECT, Checker
from tracer.grade.gradebook import Progress
from tracer.homework.randomize import plan_for
from tracer.homework.roster import read_roster
from tracer.homework.variants import (
    Generator,
    Lookup,
    VariantChecker,
    answer_key,
    key_entries,
    numbered_ids,
    problem_for,
    submission_id,
    write_variants,
)
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"


def example(name: str, **changes) -> dict:
    spec = yaml.safe_load((REPO / "examples" / f"{name}.yaml").read_text())
    spec.pop("published", None)  # a source's numbers for the spec's own iterations; changes may run fewer
    spec.update(changes)
    return spec


HOMEWORK = example("lecture-2-2-1", iterations=1, randomize=True)
SPECS = {  # (spec, the kinds drawn) covering each loss family, batch modes, labels and init:
    "lecture": HOMEWORK,
    "xor-gd": example("xor-gd", randomize={"data": "none"}),
    "softmax": example("softmax-3-class", randomize={"data": {"x": {"grid": {"low": -1, "high": 1, "step": 0.5}}, "y": True}}),
    "sse-2-2-2": example("notes-2-2-2-sse", randomize={"grids": {"x": {"low": 0, "high": 1, "step": 0.1}}}),
    "deep": example("deep-3-4-3-2", randomize={"params": ["W2", "b2", "W3", "b3"], "data": ["x"],
                                               "grids": {"x": {"low": -1, "high": 1, "step": 0.5}},
                                               "constraints": {"min_gradient": 0.5}}),
}


def generator(spec: dict = HOMEWORK, seed: int = 7) -> Generator:
    return Generator(load_problem(spec), seed)


def sheet(text: str):
    return parse_answers(text, "json")


# -- the randomize: section ------------------------------------------------------------


def with_randomize(section, base=HOMEWORK) -> dict:
    return {**base, "randomize": section}


@pytest.mark.parametrize("section,message", [
    (3, "randomize: expected true or a mapping with params, data, grids, nonzero, constraints, attempts, got 3"),
    ({"seed": 1}, "randomize.seed: unknown field; known fields: params, data, grids, nonzero, constraints, attempts"),
    ({"params": ["W9"]}, "randomize.params[0]: unknown parameter 'W9'; parameters are W1, b1, W2, b2"),
    ({"params": {"W3": True}}, "randomize.params.W3: unknown parameter; parameters are W1, b1, W2, b2"),
    ({"params": {"W1": {"grid": {"low": 1, "high": 0}}}}, "randomize.params.W1.grid.high: expected a number >= low (1), got 0"),
    ({"params": {"W1": {"grid": {"step": 0}}}}, "randomize.params.W1.grid.step: expected a step from 1e-06 to 1000, got 0"),
    ({"params": {"W1": {"grid": {"low": 0, "high": 0}}}}, "randomize.params.W1.grid: no multiple of 0.1 lies in [0, 0] other than 0"),
    ({"params": {"W1": {"size": 2}}}, "randomize.params.W1.size: unknown field; known fields: grid, nonzero"),
    ({"params": {"W1": 1}}, "randomize.params.W1: expected true, false or a mapping {grid: {low, high, step}, nonzero}, got 1"),
    ({"grids": {"params": {"low": "a"}}}, "randomize.grids.params.low: expected a number, got the text 'a'"),
    ({"grids": {"z": {}}}, "randomize.grids.z: unknown field; known fields: params, x, y"),
    ({"data": ["z"]}, "randomize.data[0]: expected x or y, got 'z'"),
    ({"data": {"y": {"grid": {"low": 0, "high": 2, "step": 1}}}},
     "randomize.data.y.grid: bce labels must lie in [0, 1], got multiples of 1 in [0, 2]"),
    ({"constraints": {"max_preactivation": -1}}, "randomize.constraints.max_preactivation: expected a number > 0 (or null: off), got -1"),
    ({"constraints": {"min_gradient": -1}}, "randomize.constraints.min_gradient: expected a number >= 0 (0: off), got -1"),
    ({"constraints": {"balanced_labels": "yes"}}, "randomize.constraints.balanced_labels: expected true or false, got the text 'yes'"),
    ({"constraints": {"saturation": 1}}, "randomize.constraints.saturation: unknown field; known fields: "
                                         "max_preactivation, min_gradient, balanced_labels, distinct_examples"),
    ({"attempts": 0}, "randomize.attempts: expected a whole number from 1 to 100000, got 0"),
    ({"params": "none", "data": "none"}, "randomize: draws nothing: name some params or data to draw"),
    (False, "randomize: this spec has no randomize section; add `randomize: true` to draw variants"),
])
def test_randomize_errors_name_the_field(section, message):
    with pytest.raises(SpecError) as err:
        plan_for(load_problem(with_randomize(section)))
    assert str(err.value) == message


def test_ce_labels_are_one_hot_only():
    with pytest.raises(SpecError, match=r"^randomize.data.y: ce labels are drawn as one-hot classes"):
        plan_for(load_problem(example("softmax-3-class", randomize={"data": {"y": {"grid": {}}}})))


def test_defaults_of_randomize_true():
    plan = plan_for(load_problem(HOMEWORK))
    assert all(g.lo * g.step == -1 and g.hi * g.step == 1 and g.step == 0.1 and g.nonzero for g in plan.params.values())
    assert (plan.x.lo, plan.x.hi, plan.x.step, plan.x.nonzero) == (0, 3, 1.0, True)
    assert plan.y == "labels"
    c = plan.constraints
    assert (c.max_preactivation, c.min_gradient, c.balanced_labels, c.distinct_examples, plan.attempts) == (3, 1, True, True, 1000)


def test_a_plain_spec_still_renders_with_its_own_values():
    """randomize: does not change what `render` does with the spec itself."""
    problem = load_problem(HOMEWORK)
    assert problem.randomize is True
    assert np.array_equal(problem.params["W1"], np.array(HOMEWORK["params"]["W1"]))


# -- reproducible and different ----------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["markdown", "latex", "moodle"])
def test_same_seed_and_ids_give_byte_identical_files(tmp_path, fmt):
    ids = numbered_ids(4)
    write_variants(generator(), ids, fmt, tmp_path / "a")
    write_variants(generator(), ids, fmt, tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a == b
    # sheet, solution, key, key.json (markdown: and the network figure, network.svg)
    assert len(a) == {"markdown": 4 * 5 + 1, "latex": 4 * 4 + 4, "moodle": 4 + 2}[fmt]


def test_a_students_files_depend_only_on_seed_and_id(tmp_path):
    """The same student's files from a whole roster and from a roster of one."""
    write_variants(generator(), ["s1", "s2", "s3", "s4"], "markdown", tmp_path / "all", student_ids=True)
    write_variants(generator(), ["s3"], "markdown", tmp_path / "one", student_ids=True)
    for suffix in ("problem.md", "solution.md", "key.json"):
        assert (tmp_path / "all" / f"s3.{suffix}").read_bytes() == (tmp_path / "one" / f"s3.{suffix}").read_bytes()
    assert problem_for(HOMEWORK, 7, "s3").params["W1"].tolist() == Generator(load_problem(HOMEWORK), 7).variant("s3").problem.params["W1"].tolist()


def test_different_ids_and_seeds_give_different_numbers():
    gen = generator()
    variants = list(gen.generate([f"s{k}" for k in range(40)]))
    fingerprints = {json.dumps(key_entries(v.problem, v.trace.values)) for v in variants}
    assert len(fingerprints) == 40
    params = {tuple(np.concatenate([v.problem.params[n].ravel() for n in v.problem.param_names()])) for v in variants}
    assert len(params) == 40
    other = generator(seed=8).variant("s0").problem
    assert not all(np.array_equal(other.params[n], variants[0].problem.params[n]) for n in other.param_names())


def test_variant_problem_keeps_the_spec_and_names_the_variant():
    v = generator().variant("s9")
    p = v.problem
    assert p.title == f"{HOMEWORK['title']} (variant s9)"
    assert (p.layers, p.loss, p.learning_rate, p.iterations) == ((2, 2, 1), "bce", 0.5, 1)
    assert p.randomize is None and "init" not in p.source


# -- constraints ---------------------------------------------------------------------------


def _on_grid(values, grid) -> bool:
    k = np.asarray(values) / grid.step
    on = np.allclose(k, np.round(k), atol=1e-9) and np.all(np.round(k) >= grid.lo) and np.all(np.round(k) <= grid.hi)
    return bool(on and (not grid.nonzero or np.all(np.asarray(values) != 0)))


def _assert_constraints(spec: dict, problem, values: dict) -> None:
    """Every constraint, checked directly on the engine's values (not with randomize's own helpers)."""
    base = load_problem(spec)
    plan = plan_for(base)
    c = plan.constraints
    for name, grid in plan.params.items():
        if grid is None:
            assert np.array_equal(problem.params[name], base.params[name]), name
        else:
            assert _on_grid(problem.params[name], grid), (name, problem.params[name])
    xs = np.array([e.x for e in problem.data])
    ys = np.array([e.y for e in problem.data])
    if plan.x is not None:
        assert _on_grid(xs, plan.x)
    if c.distinct_examples:
        assert len({tuple(x) for x in xs}) == len(xs)
    if plan.y == "labels" and c.balanced_labels:
        counts = ys.sum(axis=0)
        if problem.loss == "ce":
            assert counts.max() - counts.min() <= 1 and np.all(ys.sum(axis=1) == 1)
        else:
            assert np.all(np.abs(2 * counts - len(ys)) <= 1)
    assert all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values.values())
    for path, v in values.items():
        m = re.fullmatch(r"iter\d+\.(?:ex\d+\.)?a(\d+)", path)
        if m and c.max_preactivation is not None and problem.activations[int(m.group(1)) - 1] in ("sigmoid", "tanh", "softmax"):
            assert np.max(np.abs(v)) <= c.max_preactivation, path
        if re.fullmatch(r"iter\d+\.grad\.[Wb]\d+", path):
            assert np.min(np.abs(v)) >= c.min_gradient * 10.0 ** -problem.decimals, path


@pytest.mark.parametrize("name", SPECS)
def test_every_variant_meets_its_constraints_over_many_seeds(name):
    spec = SPECS[name]
    base = load_problem(spec)
    count = 0
    for seed in range(100 if name == "lecture" else 30):
        v = Generator(base, seed).variant(f"s{seed % 7}")
        values = run(v.problem, arithmetic="float").values  # traced afresh, not the generator's trace
        _assert_constraints(spec, v.problem, values)
        count += 1
    assert count


def test_constraints_reject_draws():
    """Draws that break a constraint are redrawn: with the defaults, some first draws saturate."""
    attempts = [generator(seed=s).variant("s1").attempt for s in range(30)]
    assert max(attempts) > 0


def test_impossible_constraints_give_a_clear_error():
    spec = with_randomize({"params": ["b2"], "data": "none", "constraints": {"max_preactivation": 0.01}, "attempts": 50})
    with pytest.raises(TracerError) as err:
        generator(spec).variant("v001")
    assert str(err.value) == (
        "variant v001: no draw met the constraints in 50 attempts (randomize.attempts); unmet most often: "
        "randomize.constraints.max_preactivation (|a| <= 0.01 in every sigmoid, tanh and softmax layer), in 50 of 50 draws; "
        "the grids allow only 20 distinct draws; widen the grids or relax the constraints")


# -- duplicates -------------------------------------------------------------------------


TINY = with_randomize({"params": "none", "data": {"x": {"grid": {"low": 1, "high": 2, "step": 1}}},
                       "constraints": {"min_gradient": 0, "max_preactivation": None}})  # 4 possible draws


def test_duplicates_are_redrawn_and_their_variants_found_again():
    gen = generator(TINY)
    variants = list(gen.generate(numbered_ids(4)))
    xs = [tuple(v.problem.data[0].x) for v in variants]
    assert sorted(xs) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    redrawn = [v for v in variants if v.redrawn]
    assert redrawn and all(v.attempt > 0 for v in redrawn)  # 4 ids in a space of 4: some first draws collide
    lookup = Lookup(generator(TINY))
    for v in reversed(variants):  # in any order: numbered ids replay v001, v002, ...
        assert tuple(lookup.variant(v.id).problem.data[0].x) == tuple(v.problem.data[0].x)
    roster = ["c", "a", "d", "b"]
    by_roster = {v.id: tuple(v.problem.data[0].x) for v in generator(TINY).generate(roster)}
    assert len(set(by_roster.values())) == 4
    found = Lookup(generator(TINY), roster)
    assert {vid: tuple(found.variant(vid).problem.data[0].x) for vid in roster} == by_roster


def test_more_variants_than_distinct_draws_is_an_error():
    with pytest.raises(TracerError, match=r"^variant v005: no draw met the constraints in 1000 attempts .*"
                                          r"unmet most often: different from every earlier variant, in 1000 of 1000 draws; "
                                          r"the grids allow only 4 distinct draws"):
        list(generator(TINY).generate(numbered_ids(5)))


def test_ids_are_checked():
    with pytest.raises(TracerError, match="appears twice"):
        list(generator().generate(["a", "a"]))
    with pytest.raises(TracerError, match="is not usable as a variant id"):
        list(generator().generate(["../x"]))


# -- keys and checking ----------------------------------------------------------------------


def test_key_graded_against_its_own_variant_is_all_correct_and_against_another_not():
    variants = list(generator().generate(numbered_ids(6)))
    for i, v in enumerate(variants):
        vid, answers = submission_id(sheet(answer_key(v)))
        assert vid == v.id
        report = Checker(v.problem).check_sheet(answers)
        n_elements = sum(np.size(v.trace.values[k.split("[")[0]]) if "[" not in k else 1 for k in key_entries(v.problem, v.trace.values))
        assert [i.status for i in report.items] == [CORRECT] * n_elements
        other = variants[(i + 1) % len(variants)]
        report = Checker(other.problem).check_sheet(answers)
        assert any(item.status != CORRECT for item in report.items)


def test_variant_checker_finds_each_sheets_variant():
    gen = generator()
    variants = list(gen.generate(["s1", "s2", "s3"]))
    checker = VariantChecker(load_problem(HOMEWORK), 7, ["s1", "s2", "s3"])
    for v in variants:
        report = checker.check_sheet(sheet(answer_key(v, student=True)))
        assert report.student == v.id and report.exit_code == 0
        assert all(i.status == CORRECT for i in report.items)
    # s1's answers handed in under s2's id are graded against s2's numbers
    swapped = json.loads(answer_key(variants[0], student=True))
    swapped["student"] = swapped["variant"] = "s2"
    assert checker.check_sheet(sheet(json.dumps(swapped))).exit_code == 1
    with pytest.raises(TracerError, match="not on the roster"):
        checker.check_sheet(sheet('{"student": "s9", "iter1.yhat": 0.5}'))
    with pytest.raises(TracerError, match="no student or variant id"):
        checker.check_sheet(sheet('{"iter1.yhat": 0.5}'))


def test_key_holds_the_asked_quantities_at_full_precision():
    spec = {**HOMEWORK, "ask": ["iter1.yhat", "iter1.grad.W1[2,1]", "iter1.delta*"]}
    v = generator(spec).variant("s1")
    key = json.loads(answer_key(v))
    values = run(v.problem, arithmetic="float").values
    assert list(key) == ["variant", "iter1.yhat", "iter1.delta2", "iter1.delta1", "iter1.grad.W1[2,1]"]
    assert key["iter1.yhat"] == float(values["iter1.yhat"][0])
    assert key["iter1.grad.W1[2,1]"] == float(values["iter1.grad.W1"][1, 0])
    assert key["iter1.delta1"] == values["iter1.delta1"].tolist()


def test_default_ask_is_iteration_ones_forward_and_backward_pass():
    v = generator().variant("s1")
    assert list(json.loads(answer_key(v))) == [
        "variant", "iter1.a1", "iter1.h1", "iter1.a2", "iter1.yhat", "iter1.loss", "iter1.delta2", "iter1.delta1",
        "iter1.grad.W2", "iter1.grad.b2", "iter1.grad.W1", "iter1.grad.b1"]


# -- sheets ------------------------------------------------------------------------------------


def test_problem_sheet_shows_the_problem_but_no_computed_values(tmp_path):
    [v] = write_variants(generator(), ["s1"], "markdown", tmp_path, student_ids=True).variants
    text = (tmp_path / "s1.problem.md").read_text()
    solution = (tmp_path / "s1.solution.md").read_text()
    values = v.trace.values
    from tracer.present.numfmt import array, number

    assert array(v.problem.params["W1"], 4) in text  # the drawn parameters are shown
    for path in ("iter1.h1", "iter1.a2", "iter1.yhat", "iter1.loss", "iter1.grad.W1", "iter1.delta1"):
        assert f"`{path}`" in text
        shown = array(values[path], 4)
        assert shown in solution and shown not in text, path
    assert number(float(values["iter1.loss"]), 4) not in text
    assert "student: s1" in text and "## Iteration" not in text and "## Derivation" not in text


def _need(tool: str):
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} is required in CI")
        pytest.skip(f"{tool} not installed")


def test_combined_latex_and_a_problem_sheet_compile_with_a_page_per_variant(tmp_path):
    _need("pdflatex")
    write_variants(generator(), numbered_ids(3), "latex", tmp_path, space=0)  # no working room: one page each
    for name in ("problems.tex", "v002.problem.tex", "solutions.tex", "keys.tex", "v002.key.tex"):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]
        assert "Overfull" not in (tmp_path / name.replace(".tex", ".log")).read_text(errors="replace")
    text = (tmp_path / "problems.tex").read_text()
    assert text.count(r"\documentclass") == 1 and text.count(r"\clearpage") == 2
    for vid in numbered_ids(3):
        assert f"(variant {vid})" in text
    _need("pdftoppm")  # one PNG per page: each variant starts a page and takes what its own sheet takes
    subprocess.run(["pdftoppm", "-png", "-r", "30", "problems.pdf", "page"], cwd=tmp_path, check=True, timeout=120)
    subprocess.run(["pdftoppm", "-png", "-r", "30", "v002.problem.pdf", "one"], cwd=tmp_path, check=True, timeout=120)
    pages = sorted(p for p in tmp_path.iterdir() if p.name.startswith("page") and p.suffix == ".png")
    one = [p for p in tmp_path.iterdir() if p.name.startswith("one") and p.suffix == ".png"]
    assert len(one) <= 2  # the sheet with its network figure: a page and a little
    assert len(pages) == 3 * len(one) and all(p.stat().st_size > 1000 for p in pages)


def test_progress_bar_on_stderr(tmp_path):
    stream = io.StringIO()
    write_variants(generator(), numbered_ids(3), "markdown", tmp_path, progress=Progress(3, stream, True, label="variants"))
    assert stream.getvalue().startswith("\rvariants [") and stream.getvalue().endswith("3/3\n")


# -- rosters ------------------------------------------------------------------------------


@pytest.mark.parametrize("text,ids", [
    ("id,name\ns1,Ann\ns2,Bob\n", ["s1", "s2"]),
    ("Name,Student ID\nAnn,a-1\n\n# dropped\nBob,b.2\n", ["a-1", "b.2"]),
    ("s1\ns2\n", ["s1", "s2"]),
])
def test_roster(tmp_path, text, ids):
    (tmp_path / "r.csv").write_text(text)
    assert read_roster(tmp_path / "r.csv") == ids


@pytest.mark.parametrize("text,message", [
    ("id\ns1\ns1\n", "row 3: student id 's1' already on row 2"),
    ("id\nAnn Lee\n", "row 2: 'Ann Lee' is not usable as a variant id"),
    ("id\n", "the roster has no students"),
])
def test_roster_errors(tmp_path, text, message):
    (tmp_path / "r.csv").write_text(text)
    with pytest.raises(TracerError, match=re.escape(message)):
        read_roster(tmp_path / "r.csv")


# -- the command line --------------------------------------------------------------------------


def bptrace(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_cli_variants_then_check_with_seed(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(yaml.safe_dump(HOMEWORK))
    (tmp_path / "roster.csv").write_text("id\ns1\ns2\n")
    done = bptrace("variants", spec, "--roster", tmp_path / "roster.csv", "--seed", 3, "--to", "markdown", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote 2 variants (11 files) to {tmp_path / 'out'}\n"
    keys = [tmp_path / "out" / "s1.key.json", tmp_path / "out" / "s2.key.json"]
    for key in keys:
        done = bptrace("check", spec, key, "--seed", 3, "--roster", tmp_path / "roster.csv")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "wrong" not in done.stdout
    assert bptrace("check", spec, keys[0], "--seed", 3).returncode == 0  # no roster needed: no duplicate redraw
    assert bptrace("check", spec, keys[0], "--seed", 4).returncode == 1  # another seed: other numbers
    done = bptrace("check", spec, *keys, "--seed", 3, "--gradebook", tmp_path / "gb.csv")
    assert done.returncode == 0, done.stderr


def test_cli_errors_are_one_line(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(yaml.safe_dump(with_randomize({"params": ["b2"], "data": "none", "attempts": 20,
                                                   "constraints": {"max_preactivation": 0.01}})))
    done = bptrace("variants", spec, "--count", 2, "--seed", 1, "-o", tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: variant v001: no draw met the constraints in 20 attempts")
    assert done.stderr.count("\n") == 1
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(example("lecture-2-2-1")))
    done = bptrace("variants", plain, "--count", 2, "--seed", 1, "-o", tmp_path / "out")
    assert (done.returncode, done.stderr) == (2, "error: randomize: this spec has no randomize section; add `randomize: true` to draw variants\n")
    done = bptrace("check", plain, spec, "--roster", tmp_path / "r.csv")
    assert (done.returncode, done.stderr) == (2, "error: --roster needs --seed: the variants are drawn from the seed\n")


def test_help_does_not_import_heavy_modules():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tracer.cli", "variants", "--help"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0
    assert not re.search(r"\| (numpy|sympy|jinja2)$", done.stderr, re.MULTILINE)


# -- sig_figs: the sheets, the quiz and the checker say and judge significant figures ----------


def test_a_sig_figs_spec_asks_significant_figures_everywhere(tmp_path):
    spec = example("hagan-1-2-1", randomize={"data": "none"})
    gen = generator(spec, seed=3)
    write_variants(gen, ["v001"], "markdown", tmp_path / "md")
    write_variants(gen, ["v001"], "moodle-elements", tmp_path / "moodle")
    texts = {name: (tmp_path / folder / name).read_text()
             for folder, name in (("md", "v001.problem.md"), ("md", "v001.key.md"), ("moodle", "quiz.xml"))}
    for name, text in texts.items():
        assert "decimal places" not in text, name
    assert "Work to 3 significant figures." in texts["v001.problem.md"]
    assert "The values below are rounded to 3 significant figures." in texts["v001.key.md"]
    assert texts["quiz.xml"].count("Give it to 3 significant figures.") == len(re.findall("<question type=\"numerical\"", texts["quiz.xml"]))
    # the key prints 3 figures (14.5, 0.750), not 4 decimals
    assert r"L \approx 14.5$" in texts["v001.key.md"] and "0.750" in texts["v001.key.md"]


def test_answers_to_the_specs_sig_figs_are_correct_without_a_grading_section():
    """A spec shown to 3 significant figures grades an answer written to 3 figures as correct
    (judged at the default 4 decimals, 1.59 for the loss 1.5897 was wrong)."""
    problem = load_problem(example("hagan-1-2-1"))
    values = run(problem, arithmetic="float").values
    answers = {p: float(f"{float(np.ravel(values[p])[0]):.3g}") for p in ("iter1.a2", "iter1.loss", "iter1.delta2")}
    checker = Checker(problem)
    report = checker.check_sheet(sheet(json.dumps(answers)), "a.json")
    assert {i.key: i.status for i in report.items if i.key in answers} == dict.fromkeys(answers, CORRECT)
    off = {"iter1.a2": float(f"{float(np.ravel(values['iter1.a2'])[0]) * 1.05:.3g}")}  # 5% off: wrong at 3 figures
    report = checker.check_sheet(sheet(json.dumps(off)), "b.json")
    assert {i.key: i.status for i in report.items if i.key == "iter1.a2"} == {"iter1.a2": "wrong"}
