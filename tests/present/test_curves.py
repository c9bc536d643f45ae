"""The curves over the iterations (figures `loss` and `yhat`): one layout, drawn by pgfplots and
by SVG with the same points and ticks; on by default past one iteration; legible and compiling
for long, flat and diverged runs; placed by the summary in every format."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tracer.engine import run
from tracer.errors import SpecError
from tracer.present.figure_curve import MAX_POINTS, MAX_SERIES
from tracer.present.render import render_view
from tracer.present.tex_text import plain
from tracer.present.view import build_view
from tracer.problem.examples import example_path, list_examples
from tracer.problem.figures import FigureChoice, parse_figures
from tracer.problem.spec import load_problem, problem_from_dict

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "curves"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
IN_CI = os.environ.get("CI") == "true"
SVG_NS = "{http://www.w3.org/2000/svg}"
EXAMPLES = [name for name, _ in list_examples() if load_problem(example_path(name)).kind == "network"]
# a linear unit whose learning rate makes every step overshoot: the loss overflows in iteration 48
DIVERGING = {"layers": [1, 1], "activation": "linear", "loss": "mse", "params": {"W1": [[1.0]], "b1": [0.0]},
             "data": [{"x": [10], "y": [1]}, {"x": [-10], "y": [2]}], "learning_rate": 10, "iterations": 200,
             "mode": "sgd"}


def _curves(problem):
    return build_view(run(problem)).curves


def _example(name: str, iterations: int = 3):
    problem = load_problem(example_path(name))
    return problem.with_overrides(iterations=max(iterations, problem.iterations))


def _pgf_points(tikz: str) -> list[list[tuple[str, str]]]:
    return [re.findall(r"\(([^,()]+),([^,()]+)\)", body) for body in re.findall(r"coordinates \{([^}]*)\}", tikz)]


def _svg_points(svg: str) -> tuple[list[list[tuple[str, str]]], ET.Element]:
    root = ET.fromstring(svg)  # parses as XML, or the test fails here
    lines = [p for p in root.iter(f"{SVG_NS}polyline") if p.get("class") == "series"]
    for t in root.iter(f"{SVG_NS}text"):
        if "data-tex" in t.attrib:
            assert "".join(t.itertext()) == plain(t.attrib["data-tex"])
    return [[tuple(xy.split(",")) for xy in p.get("data-points").split()] for p in lines], root


def _tick_labels(tikz: str, axis: str) -> list[str]:
    return re.findall(r"\{\$([^$]*)\$\}", re.search(axis + r"ticklabels=\{(.*?)\}," + "\n", tikz).group(1))


# -- one layout, two drawings -----------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_pgfplots_and_svg_plot_the_same_points(name):
    curves = _curves(_example(name))
    assert [f.key for f in curves] == (["loss", "yhat"] if load_problem(example_path(name)).loss != "none"
                                       else ["yhat"])
    for fig in curves:
        expected = fig.layout.coordinates()
        assert _pgf_points(fig.tikz) == expected
        svg_points, root = _svg_points(fig.svg)
        assert svg_points == expected
        # the same ticks, with the same labels, and the axis symbol of the notation
        texs = [t.get("data-tex") for t in root.iter(f"{SVG_NS}text") if t.get("class") == "tick"]
        assert texs == [t for _, t in fig.layout.yticks] + [t for _, t in fig.layout.xticks]
        assert _tick_labels(fig.tikz, "x") == [t for _, t in fig.layout.xticks]
        assert _tick_labels(fig.tikz, "y") == [t for _, t in fig.layout.yticks]
        ET.fromstring(fig.svg_inline.replace("<svg ", f'<svg xmlns="{SVG_NS[1:-1]}" ', 1))


def test_the_loss_curve_holds_each_iterations_loss_and_the_final_one():
    problem = _example("xor-gd")
    trace = run(problem)
    fig = build_view(trace).curves[0]
    (series,) = fig.layout.series
    losses = [float(trace.values[f"iter{t}.loss"]) for t in range(1, problem.iterations + 1)]
    assert [y for _, y in series.points] == [*losses, float(trace.values["final.loss"])]
    assert [x for x, _ in series.points[:-1]] == list(range(1, problem.iterations + 1))
    assert fig.layout.xticks[-1] == (series.points[-1][0], r"\text{final}")
    assert fig.layout.ylabel == problem.notation.bind(problem.depth).loss
    lo, hi = fig.layout.y_range
    assert lo <= min(losses) and max(losses) <= hi  # every point inside the axis


def test_outputs_per_example_in_stochastic_training():
    """SGD: each example's curve has a point in the iterations that computed its output."""
    problem = _example("hidden-output-sgd", 5)
    trace = run(problem)
    fig = build_view(trace).curves[1]
    n = len(problem.data)
    assert len(fig.layout.series) == min(n * problem.layers[-1], MAX_SERIES)
    first = fig.layout.series[0]
    seen = [it.t for it in trace.iterations if 0 in it.examples]
    assert [x for x, _ in first.points[:-1]] == seen
    assert first.label  # a legend tells the curves apart


def test_many_curves_are_capped_and_the_caption_says_so():
    fig = _curves(_example("softmax-3-class"))[1]
    assert len(fig.layout.series) == MAX_SERIES
    assert f"{MAX_SERIES} of 12 curves shown" in fig.caption


def test_a_long_run_is_thinned():
    spec = {**DIVERGING, "learning_rate": 0.001, "iterations": 1000}
    fig = _curves(problem_from_dict(spec))[0]
    xs = [x for x, _ in fig.layout.series[0].points]
    assert len(xs) <= MAX_POINTS + 2 and xs[0] == 1 and 1000 in xs
    assert "of the 1000 iterations plotted" in fig.caption
    assert not fig.layout.marks
    assert len(fig.layout.xticks) <= 10


def test_a_flat_curve_gets_a_band():
    spec = {**DIVERGING, "learning_rate": 0.1, "iterations": 3, "mode": "gd", "frozen": ["W1", "b1"]}
    fig = _curves(problem_from_dict(spec))[0]
    lo, hi = fig.layout.y_range
    assert lo < fig.layout.series[0].points[0][1] < hi


def test_a_diverged_run_plots_what_ran():
    problem = problem_from_dict(DIVERGING)
    trace = run(problem)
    assert trace.diverged is not None
    loss, yhat = build_view(trace).curves
    t = trace.diverged[0]
    assert f"diverged in iteration {t}" in loss.caption
    assert all(x < t for x, _ in loss.layout.series[0].points)  # the last iteration's loss overflowed
    # a loss over 300 decades: a logarithmic axis, in both drawings, every point on it
    assert loss.layout.log and "ymode=log" in loss.tikz and "logarithmic" in loss.caption
    lo, hi = loss.layout.y_range
    assert all(lo <= y <= hi for _, y in loss.layout.series[0].points)
    assert not yhat.layout.log  # outputs of both signs stay linear
    for fig in (loss, yhat):
        _svg_points(fig.svg)


# -- figures: ---------------------------------------------------------------------------------


def test_curves_are_on_by_default_past_one_iteration_and_none_turns_them_off():
    problem = load_problem(example_path("lecture-2-2-1"))
    assert problem.iterations > 1
    assert [f.key for f in _curves(problem)] == ["loss", "yhat"]
    assert _curves(problem.with_overrides(iterations=1)) == []
    assert _curves(problem.with_overrides(figures="none")) == []
    assert [f.key for f in _curves(problem.with_overrides(figures="yhat"))] == ["yhat"]
    # loss none: no loss to plot, the outputs still
    assert [c.name for c in load_problem(example_path("neuron-sensitivity")).with_overrides(iterations=2).figures] \
        == ["network", "yhat"]


def test_a_spec_keeps_its_curves_only_while_they_have_two_iterations():
    spec = {**DIVERGING, "iterations": 3, "learning_rate": 0.001, "figures": ["network", "loss"]}
    problem = problem_from_dict(spec)
    assert [c.name for c in problem.figures] == ["network", "loss"]
    assert [c.name for c in problem.with_overrides(iterations=1).figures] == ["network"]


@pytest.mark.parametrize("value,kwargs,message", [
    (["loss@2"], {}, "figures[0]: loss is plotted over every iteration and takes no @T; write loss"),
    (["yhat@1:gradients"], {}, "figures[0]: yhat is plotted over every iteration and takes no @T"),
    (["network", "loss"], {"loss": False}, "figures[1]: the problem has no loss (loss none): there is no loss curve"),
    (["yhat"], {"iterations": 1}, "figures[0]: yhat plots one point per iteration: it needs 2 iterations or more, got 1"),
    (["curve"], {}, "figures[0]: expected network, optionally @T"),
])
def test_bad_curve_entries_name_the_entry(value, kwargs, message):
    with pytest.raises(SpecError) as err:
        parse_figures(value, kwargs.pop("iterations", 3), **kwargs)
    assert str(err.value).startswith(message)


def test_curves_once_each():
    assert parse_figures("loss, yhat, loss", 3) == (FigureChoice("loss"), FigureChoice("yhat"))


def _bptrace(*args, cwd=REPO):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def test_a_bad_curve_on_the_command_line_is_one_error_line():
    proc = _bptrace("render", "--example", "lecture-2-2-1", "--figures", "loss@1")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["error: figures[0]: loss is plotted over every iteration and takes no @T; write loss"]


# -- placed by the summary ------------------------------------------------------------------


def test_every_format_places_the_curves_by_the_summary(tmp_path):
    view = build_view(run(load_problem(example_path("lecture-2-2-1"))))
    tex = render_view(view, "latex")
    summary = tex.index(r"\section*{Summary}")
    assert tex.count(r"\begin{axis}") == 2 and tex.index(r"\begin{axis}") > summary
    assert r"\usepackage{pgfplots}" in tex
    out = tmp_path / "lecture.md"
    proc = _bptrace("render", "--example", "lecture-2-2-1", "--to", "markdown", "-o", out)
    assert proc.returncode == 0, proc.stderr
    md = out.read_text()
    assert md.index("](lecture.loss.svg)") > md.index("## Summary")
    for key in ("loss", "yhat"):
        assert ET.parse(tmp_path / f"lecture.{key}.svg").getroot().tag == f"{SVG_NS}svg"


def test_html_inlines_the_curves_numbered_after_the_network():
    pytest.importorskip("latex2mathml")
    view = build_view(run(load_problem(example_path("lecture-2-2-1"))))
    page = render_view(view, "html")
    assert page.index('id="figure-loss"') > page.index("<h2>Summary</h2>")
    assert "Figure 2: The loss per iteration" in page and "Figure 3: The output per iteration" in page
    assert page.count('<svg class="curve"') == 2


def test_json_and_check_never_load_the_figure_code(tmp_path):
    answers = tmp_path / "answers.yaml"
    assert _bptrace("render", "--example", "xor-gd", "--to", "answers", "-o", answers).returncode == 0
    code = ("import sys, io, contextlib\nfrom tracer.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['render', '--example', 'xor-gd', '--to', 'json'])\n"
            f"    main(['check', str({str(example_path('xor-gd'))!r}), {str(answers)!r}])\n"
            "print([m for m in sys.modules if 'figure' in m and m != 'tracer.problem.figures'])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


# -- goldens and pdflatex -------------------------------------------------------------------


@pytest.mark.parametrize("key", ["loss", "yhat"])
def test_golden_curves_of_the_lecture_example(key):
    fig = next(f for f in _curves(load_problem(example_path("lecture-2-2-1"))) if f.key == key)
    for suffix, text in ((".svg", fig.svg), (".tex", fig.tikz + "\n")):
        path = GOLDEN / f"lecture-2-2-1.{key}{suffix}"
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{path.name} changed; UPDATE_GOLDEN=1 to accept"


def test_curves_compile_with_pdflatex(tmp_path):
    if shutil.which("pdflatex") is None:
        if IN_CI:
            pytest.fail("pdflatex is required in CI (.ci/run installs it)")
        pytest.skip("pdflatex not installed")
    problems = [_example(name) for name in EXAMPLES]
    problems += [problem_from_dict(DIVERGING), problem_from_dict({**DIVERGING, "learning_rate": 0.001, "iterations": 1000}),
                 problem_from_dict({**DIVERGING, "learning_rate": 0.1, "iterations": 3, "mode": "gd", "frozen": ["W1", "b1"]})]
    body = []
    for problem in problems:
        curves = _curves(problem)
        body.append(r"\begin{figure}[!htb]" + r"\hfill".join(
            rf"\begin{{minipage}}[t]{{0.495\linewidth}}\centering {f.tikz}\caption{{x}}\end{{minipage}}"
            for f in curves) + r"\end{figure}\clearpage")
    tex = ("\\documentclass[11pt]{article}\\usepackage[a4paper,margin=2cm]{geometry}\\usepackage{pgfplots}"
           "\\pgfplotsset{compat=1.16}\\usepackage{amsmath}\\begin{document}" + "\n".join(body) + "\\end{document}")
    (tmp_path / "c.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "c.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, [line for line in proc.stdout.splitlines() if line.startswith("!")] or proc.stdout[-2000:]
    assert "Overfull \\hbox" not in proc.stdout
