"""A source's printed numbers (published:): graded like an answer sheet, and the handout's notes
on the ones that differ beyond their rounding, placed at the step that computes them.

Printed numbers are made from the engine's own values (rounded, or pushed off on purpose), never
copied from the notes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer.api import render_problem
from tracer.engine import run
from tracer.grade.check import CORRECT, FOLLOW, WRONG
from tracer.grade.published import check_published, slips
from tracer.present.view import build_view
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
BASE.pop("published")
TRUE = run(load_problem(BASE)).values


def r4(path):
    """The engine's value as a source printing 4 decimals would: rounded, as text keeping zeros."""
    arr = np.asarray(TRUE[path], dtype=float)
    text = np.vectorize(lambda v: f"{v:.4f}")(arr)
    return str(text.reshape(-1)[0]) if arr.size == 1 else text.tolist()


def off(path, by=0.01):
    return f"{float(np.asarray(TRUE[path]).reshape(-1)[0]) + by:.4f}"


def spec(published):
    return {**BASE, "published": published}


NOTE = "The notes print"


def test_rounded_numbers_pass_and_a_slip_is_wrong_with_follow_through_after_it():
    published = {p: r4(p) for p in ("iter1.a1", "iter1.h1", "iter1.a2", "iter1.grad.W1")}
    published["iter1.yhat"] = off("iter1.yhat")
    published["iter1.dL_dyhat"] = f"{-1 / float(published['iter1.yhat']):.4f}"  # computed from the slip
    report = check_published(load_problem(spec(published)))
    status = {i.key: i.status for i in report.items}
    assert status == {"iter1.a1[1]": CORRECT, "iter1.a1[2]": CORRECT, "iter1.h1[1]": CORRECT,
                      "iter1.h1[2]": CORRECT, "iter1.a2": CORRECT, "iter1.yhat": WRONG,
                      "iter1.dL_dyhat": FOLLOW, **{f"iter1.grad.W1[{i},{j}]": CORRECT for i in (1, 2) for j in (1, 2)}}
    assert report.first_error == "iter1.yhat" and report.exit_code == 1


def test_the_rounding_judged_is_the_precision_printed():
    """0.00004 off is within a 4-decimal print's rounding; as a 5-decimal print it is not."""
    true = float(TRUE["iter1.loss"])
    assert not slips(load_problem(spec({"iter1.loss": f"{true:.4f}"})))
    assert not slips(load_problem(spec({"iter1.loss": round(true + 4e-5, 4)})))
    five = slips(load_problem(spec({"iter1.loss": f"{true + 4e-5:.5f}"})))
    assert [(s.paths, s.printed) for s in five] == [(("iter1.loss",), f"{true + 4e-5:.5f}")]


def _notes(view):
    out = []
    for it in view.iterations:
        for sec in it.examples:
            for part in sec.parts:
                out += [(s.path, n) for s in part.steps for n in s.notes]
        out += [(s.path, n) for s in it.update.steps for n in s.notes]
    out += [(s.path, n) for row in view.initial for s in row for n in s.notes]
    return out


def test_a_note_hangs_exactly_on_the_step_of_each_slip():
    published = {p: r4(p) for p in ("iter1.h1", "iter1.a2", "iter2.loss", "iter1.new.W1")}
    published["iter1.yhat"] = off("iter1.yhat")                 # a copy of h2: noted at h2's step
    published["iter2.W2"] = [[off("iter2.W2"), r4("iter2.W2")[0][1]]]  # iter1.new.W2, entry (1,1)
    published["iter1.loss"] = off("iter1.loss", -0.02)
    problem = load_problem(spec(published))
    view = build_view(run(problem), slips=slips(problem))
    notes = _notes(view)
    assert [path for path, _ in notes] == ["iter1.h2", "iter1.loss", "iter1.new.W2"]
    text = {path: "".join(t for _, t in note) for path, note in notes}
    true = float(TRUE["iter1.loss"])
    assert text["iter1.loss"] == f"The notes print {published['iter1.loss']}; L \\approx {true:.4f}."
    assert text["iter1.new.W2"].startswith(f"The notes print {published['iter2.W2'][0][0]} for entry (1,1) of ")


def test_no_note_where_the_printed_numbers_agree():
    published = {p: r4(p) for p in TRUE if p.startswith("iter1.") and not p.endswith((".x", ".y"))}
    problem = load_problem(spec(published))
    assert not slips(problem)
    assert NOTE not in render_problem(problem, "markdown") and NOTE not in render_problem(problem, "latex")


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_the_note_is_laid_out_under_its_equation(fmt):
    problem = load_problem(spec({"iter1.loss": off("iter1.loss")}))
    text = render_problem(problem, fmt)
    assert text.count(NOTE) == 1
    before, after = text.split(NOTE)
    last_equation = before.rstrip().rsplit("\n", 3)
    assert "L = " in "".join(last_equation)  # the loss step is what the note follows
    if fmt == "markdown":
        assert before.endswith("$$\n\n> *")
    else:
        opening = "\n\n{\\small\\itshape "
        assert before.endswith(opening)  # a paragraph of its own, right under the display
        assert before[: -len(opening)].endswith((r"\]", r"\end{align*}"))


def test_the_shipped_lecture_spec_notes_the_slips_of_its_notes():
    problem = load_problem(REPO / "examples" / "lecture-2-2-1.yaml")
    found = slips(problem)
    assert found and all(s.paths[0] in dict(problem.published) or s.index is not None for s in found)
    view = build_view(run(problem), slips=found)
    assert len(_notes(view)) == len({s.paths[0] for s in found})  # one note per quantity


def test_cli_check_published(tmp_path):
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(spec({"iter1.yhat": r4("iter1.yhat")})))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(spec({"iter1.yhat": off("iter1.yhat")})))
    none = tmp_path / "none.yaml"
    none.write_text(yaml.safe_dump(BASE))

    def run_cli(*args):
        return subprocess.run([sys.executable, "-m", "tracer.cli", "check", *map(str, args)],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=120)

    assert run_cli(good, "--published").returncode == 0
    done = run_cli(bad, "--published")
    assert done.returncode == 1 and "iter1.yhat" in done.stdout and "wrong" in done.stdout
    done = run_cli(none, "--published")
    assert done.returncode == 2 and done.stderr.startswith("error: published: the spec has none to check")
    done = run_cli(good, tmp_path / "x.yaml", "--published")
    assert done.returncode == 2 and "--published grades the spec's own published: numbers" in done.stderr
