"""Problem sheets: the statement says what is asked, the solution shows that much, the answer key
(LaTeX and Markdown) holds the values in the sheet's layout, and the sheet: section is validated."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer.errors import SpecError
from tracer.homework.sheet import sheet_options
from tracer.homework.variants import Generator, key_entries, write_variants
from tracer.present import numfmt
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
LECTURE.pop("published")
HOMEWORK = {**LECTURE, "randomize": True}  # three iterations; the default ask is iteration 1 to the gradients


def write(tmp_path, spec=HOMEWORK, fmt="markdown", **kw):
    gen = Generator(load_problem(spec), 3)
    written = write_variants(gen, ["v001"], fmt, tmp_path, **kw)
    return written.variants[0], {p.name: p.read_text() for p in tmp_path.iterdir()}


def test_the_default_sheet_says_iteration_1_without_update_and_no_learning_rate(tmp_path):
    _, files = write(tmp_path)
    text = files["v001.problem.md"]
    assert ("Work out iteration 1 of the training: the forward pass, the loss, the backward pass and the "
            "gradients. The update of iteration 1 is not asked.") in text
    training = next(line for line in text.splitlines() if line.startswith("- **Training**"))
    assert training.endswith("; 1 iteration") and "learning rate" not in training


def test_the_solution_is_cut_to_what_is_asked_and_full_on_request(tmp_path):
    _, files = write(tmp_path / "a")
    cut = files["v001.solution.md"]
    assert cut.count("## Iteration") == 1 and "### Update" not in cut and "## Summary" not in cut
    assert "### Gradients" in cut
    _, files = write(tmp_path / "b", solution="full")
    full = files["v001.solution.md"]
    assert full.count("## Iteration") == 3 and full.count("### Update") == 3 and "## Summary" in full


def test_asking_a_later_update_keeps_the_iterations_before_it(tmp_path):
    spec = {**HOMEWORK, "ask": ["iter1.loss", "iter2.loss", "iter2.new.W1"]}
    _, files = write(tmp_path, spec)
    assert ("Work out iteration 1 of the training in full, with its update, then of iteration 2: "
            "the forward pass, the loss, the backward pass, the gradients and the update.") in files["v001.problem.md"]
    solution = files["v001.solution.md"]
    assert solution.count("## Iteration") == 2 and solution.count("### Update") == 2
    assert "learning rate 0.5; 2 iterations" in solution


def test_asking_only_the_forward_pass_cuts_before_the_loss(tmp_path):
    _, files = write(tmp_path, {**HOMEWORK, "ask": ["iter1.a1", "iter1.h1"]})
    assert "Work out iteration 1 of the training: the forward pass." in files["v001.problem.md"]
    assert "\n### Loss\n" not in files["v001.solution.md"] and "\n### Forward pass\n" in files["v001.solution.md"]


def test_the_key_has_the_sheets_layout_with_every_value_formatted(tmp_path):
    v, files = write(tmp_path)
    key, problem = files["v001.key.md"], files["v001.problem.md"]
    d = v.problem.decimals
    entries = key_entries(v.problem, v.trace.values)
    lines = [line for line in key.splitlines() if re.match(r"\d+\. ", line)]
    assert len(lines) == len(entries) == len([line for line in problem.splitlines() if re.match(r"\d+\. ", line)])
    for line, (name, value) in zip(lines, entries.items()):
        shown = numfmt.array(np.asarray(value, dtype=float), d)
        assert line.endswith(f"{shown}$ `{name}`"), line
    assert "<br>" not in key and problem.count("<br><br><br><br>") == len(entries)


def test_latex_keys_per_variant_and_combined(tmp_path):
    _, files = write(tmp_path, fmt="latex", space=7)
    assert r"\vspace*{7\baselineskip}" in files["v001.problem.tex"]
    assert "answer key" in files["v001.key.tex"] and r"\vspace*" not in files["v001.key.tex"]
    assert files["keys.tex"].count(r"\documentclass") == 1 and "iter1.grad.W1" in files["keys.tex"]


def test_sheet_title_and_description_replace_the_specs_on_the_sheet_only(tmp_path):
    spec = {**HOMEWORK, "sheet": {"title": "Homework 3", "description": "One iteration by hand.", "space": 0}}
    _, files = write(tmp_path, spec)
    assert files["v001.problem.md"].startswith("# Homework 3 (variant v001)\n")
    assert "One iteration by hand." in files["v001.problem.md"] and "<br>" not in files["v001.problem.md"]
    assert files["v001.key.md"].startswith("# Homework 3 (variant v001): answer key\n")


@pytest.mark.parametrize("section,message", [
    (3, "sheet: expected a mapping with space, title, description, solution, got 3"),
    ({"room": 1}, "sheet.room: unknown field; known fields: space, title, description, solution"),
    ({"space": -1}, "sheet.space: expected a whole number of lines from 0 to 60, got -1"),
    ({"space": 2.5}, "sheet.space: expected a whole number of lines from 0 to 60, got 2.5"),
    ({"title": 1}, "sheet.title: expected text, got 1"),
    ({"solution": "some"}, "sheet.solution: expected asked or full, got the text 'some'"),
])
def test_a_bad_sheet_section_is_one_line_naming_its_field(section, message):
    with pytest.raises(SpecError) as err:
        Generator(load_problem({**HOMEWORK, "sheet": section}), 1)
    assert str(err.value) == message
    assert sheet_options(load_problem(HOMEWORK)).space == 4
