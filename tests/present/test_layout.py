"""Layout: wide steps are broken at = (never scaled), headings stay with what follows,
the summary is a captioned table that fits its medium."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tracer.api import render_trace, trace
from tracer.present.layout import MEDIA, line_widths, links, step_lines, steps_of
from tracer.present.view import build_view
from tracer.present.width import width
from tracer.problem.examples import example_path, list_examples
from tracer.problem.notation import BUILTIN

EXAMPLES = [name for name, _ in list_examples() if not name.startswith("graph-")]  # networks (notation profiles)


def _views():
    for name in EXAMPLES:
        t = trace(example_path(name))
        for prof in BUILTIN:
            yield name, prof, build_view(t, BUILTIN[prof].bind(t.problem.depth))


@pytest.mark.parametrize("medium", list(MEDIA))
def test_every_wide_step_is_split_and_every_line_fits(medium):
    limit, split = MEDIA[medium], 0
    for name, prof, view in _views():
        for step in steps_of(view):
            lines = step.lines[medium]
            if width(step.tex) > limit:
                assert len(lines) > 1, (name, prof, step.tex)
                split += 1
            else:
                assert lines == [step.tex]
            for line in lines if len(lines) > 1 else []:
                assert width(line.replace("&", "", 1)) <= limit, (name, prof, medium, line)
    assert split > 10  # the examples do have wide steps


def test_split_lines_keep_every_link_in_order():
    view = build_view(trace(example_path("deep-3-4-3-2")))
    step = max(steps_of(view), key=lambda s: width(s.tex))
    lines = step_lines(step, MEDIA["markdown"])
    assert lines[0].startswith(step.lhs + " &=")
    assert all(line.startswith("&") for line in lines[1:])
    # Glued back together, the lines are the step (the relations at the cuts put back).
    glued = " ".join(line.replace("&", "", 1).replace(r"\right. ", "").replace(r"\left. ", "").replace(r"\quad ", "")
                     for line in lines)
    assert re.sub(r"\s+", "", glued) == re.sub(r"\s+", "", step.tex)
    assert [rel for rel, _ in links(step)][-1] == r"\approx"


def test_approx_is_cut_only_at_the_top_level():
    from tracer.present.steps import Step

    step = Step("a", [r"\frac{1}{3 \approx 2} + b \approx 0.3"])
    assert links(step) == [("=", r"\frac{1}{3 \approx 2} + b"), (r"\approx", "0.3")]


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_scaling_and_headings_keep_with_next(name):
    tex = render_trace(trace(example_path(name)), "latex")
    assert not re.search(r"\\(resizebox|scalebox|adjustbox)", tex)
    headings = re.findall(r"^(.*)\\(?:sub)*section\*", tex, re.M)
    assert headings and all(h.startswith(r"\needspace{") for h in headings)


def test_markdown_summary_is_a_pipe_table_per_layer_group():
    t = trace(example_path("lecture-2-2-1"))
    view = build_view(t)
    md = render_trace(t, "markdown")
    summary = md[md.index("## Summary"):]
    assert r"\begin{array}" not in md
    tables = view.summary_tables["markdown"]
    assert [tb.number for tb in tables] == list(range(1, len(tables) + 1))
    for tb in tables:
        assert f"*Table {tb.number}: " in summary
        block = [ln for ln in summary.splitlines() if ln.startswith("|")]
        assert block
    rows = [ln for ln in summary.splitlines() if ln.startswith("|")]
    # header, rule, one row per iteration and the final row; the cells match their header
    first = tables[0]
    assert rows[0].count(" | ") == len(first.head) - 1 + 1  # trailing cell separator
    assert rows[1] == "|" + ":-:|" * len(first.head)
    assert "predicted output $\\hat{y}$" in rows[0] and "loss $L$" in rows[0]
    body = rows[2:2 + len(t.iterations) + 1]
    assert all(r.count("|") == len(first.head) + 1 for r in body)
    assert body[-1].startswith(r"| $\text{final}$")


def test_markdown_parts_share_one_heading_level():
    md = render_trace(trace(example_path("lecture-2-2-1")), "markdown")
    for part in ("Forward pass", "Loss", "Backward pass", "Gradients", "Update"):
        assert f"\n### {part}\n" in md
    assert "**Forward pass**" not in md
    md = render_trace(trace(example_path("xor-gd")), "markdown")
    assert "\n#### Forward pass\n" in md and "\n### Update\n" in md  # examples at ###, their parts below


def test_summary_tables_are_cut_between_layers_and_keep_every_column():
    for name, prof, view in _views():
        for medium in MEDIA:
            tables = view.summary_tables[medium]
            cols = sum(len(tb.head) for tb in tables) - (len(tables) - 1)  # the iteration column repeats
            assert cols == len(view.summary_head)
            assert " ".join(tables[0].words[1]).startswith("predicted output")
            assert all(tb.head[0] == "" and tb.words[0] == ["iteration"] for tb in tables)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_width_estimate_matches_pdflatex(tmp_path):
    """The estimate is within a few per cent of what pdflatex sets, on the widest steps."""
    view = build_view(trace(example_path("xor-gd")))
    texs = sorted({s.tex for s in steps_of(view)}, key=width)[-25:]
    body = "\n".join(rf"\sbox0{{$\displaystyle {x}$}}\typeout{{W{i}:\the\wd0}}" for i, x in enumerate(texs))
    (tmp_path / "m.tex").write_text(r"\documentclass[11pt]{article}\usepackage[T1]{fontenc}\usepackage{lmodern}"
                                    r"\usepackage{amsmath,amssymb}\begin{document}" + body + r"\end{document}")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "m.tex"], cwd=tmp_path, capture_output=True, timeout=120)
    measured = {int(i): float(w) / 10.95 for i, w in re.findall(r"W(\d+):([\d.]+)pt", (tmp_path / "m.log").read_text())}
    assert len(measured) == len(texs)
    for i, tex in enumerate(texs):
        assert 0.9 <= width(tex) / measured[i] <= 1.1, tex


def test_line_widths_of_a_short_step_is_one_line():
    view = build_view(trace(example_path("lecture-2-2-1")))
    step = view.iterations[0].examples[0].parts[0].steps[-1]  # yhat = sigma(a)
    assert len(line_widths(step)) == 1
