"""The network figure: one layout, two drawings (TikZ, SVG) that show the same labels; legible
at the spec's limits; Markdown's SVG files beside -o; --to pdf."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from figure_checks import outside_viewbox, svg_labels as _svg_labels, tikz_labels as _tikz_labels

from tracer.engine import run
from tracer.errors import SpecError
from tracer.present.figure_layout import ELIDE_ABOVE, PAGE, shown_units
from tracer.present.pdf import first_error
from tracer.present.render import render_view
from tracer.present.view import build_view
from tracer.problem.examples import example_path, list_examples
from tracer.problem.figures import FigureChoice, parse_figures
from tracer.problem.spec import load_problem, problem_from_dict

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [name for name, _ in list_examples() if load_problem(example_path(name)).kind == "network"]
IN_CI = os.environ.get("CI") == "true"
SVG_NS = "{http://www.w3.org/2000/svg}"
CHOICES = "network,network@1:gradients,network@1:updated"
NO_UPDATE = "network,network@1:gradients,network@1:weights"  # loss none without a learning rate


def _with_figures(name: str, **overrides):
    """The example with three figures: the network, iteration 1's gradients, and its updated
    weights (its weights, where the example makes no update)."""
    problem = load_problem(example_path(name))
    choices = CHOICES if problem.learning_rate is not None else NO_UPDATE
    return problem.with_overrides(figures=choices, **overrides)


def _need(tool: str):
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} is required in CI (.ci/run installs it)")
        pytest.skip(f"{tool} not installed")


def _figures(problem):
    return build_view(run(problem)).figures




@pytest.mark.parametrize("notation", [None, "lecture", "node", "layered", "hidden-output"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_tikz_and_svg_come_from_one_layout(name, notation):
    problem = _with_figures(name, notation=notation)
    figures = _figures(problem)
    last = "network-1-updated" if problem.learning_rate is not None else "network-1-weights"
    assert [f.key for f in figures] == ["network", "network-1-gradients", last]
    for fig in figures:
        expected = Counter(fig.layout.labels())
        assert _tikz_labels(fig.tikz) == expected
        svg_labels, root = _svg_labels(fig.svg)
        assert svg_labels == expected
        assert len(list(root.iter(f"{SVG_NS}circle"))) == sum(n.kind != "dots" for n in fig.layout.nodes)
        assert len(list(root.iter(f"{SVG_NS}line"))) == len(fig.layout.edges) == fig.tikz.count(r"\draw[->]")
        assert fig.layout.width <= PAGE + 2.0
        assert not outside_viewbox(fig.svg), fig.key


def test_units_are_labelled_with_the_profile_and_edges_with_the_weights():
    problem = load_problem(example_path("lecture-2-2-1")).with_overrides(notation="lecture")
    layout = _figures(problem)[0].layout
    units = [n.label for n in layout.nodes if n.kind == "unit"]
    assert units == ["x_{1}", "x_{2}", "u_{1}", "u_{2}", r"\hat{y}"]  # the lecture's u and yhat
    edges = {(e.src, e.dst): e.label for e in layout.edges}
    assert edges[("u0_2", "u1_1")] == "0.4"  # W1[1,2]: from input 2 to unit 1
    assert edges[("u1_2", "u2_1")] == "0.8"
    notes = [n.note for n in layout.nodes if n.note]
    assert notes[0] == "b^{(1)}_{1} = 0.3"  # separate biases: written under their units


@pytest.mark.parametrize("notation,where", [("node", 0), ("layered", -1)])
def test_bias_units_where_the_profile_puts_the_bias_row(notation, where):
    problem = load_problem(example_path("lecture-2-2-1")).with_overrides(notation=notation)
    layout = _figures(problem)[0].layout
    for layer in (0, 1):  # every column but the output's
        column = sorted((n for n in layout.nodes if n.layer == layer), key=lambda n: n.y)
        assert column[where].kind == "bias" and column[where].label == "1"
    assert not any(n.kind == "bias" for n in layout.nodes if n.layer == 2)
    from_bias = {e.dst: e.label for e in layout.edges if e.src == "b0"}
    assert from_bias == {"u1_1": "0.3", "u1_2": "0.6"}
    assert not any(n.note for n in layout.nodes)


def test_iteration_figure_shows_activations_and_gradients():
    problem = load_problem(example_path("lecture-2-2-1")).with_overrides(figures="network@1")
    traced = run(problem)
    fig = build_view(traced).figures[0]
    units = {n.id: n.value for n in fig.layout.nodes if n.kind == "unit"}
    assert units["u1_1"] == "0.7685" and units["u2_1"] == "0.8933"  # h1 and yhat (the notes round yhat up to 0.8934)
    edges = {(e.src, e.dst): e.label for e in fig.layout.edges}
    assert edges[("u1_1", "u2_1")] == "-0.0820"  # dL/dW2[1,1] = -0.08196


def _wide_spec(layers):
    return {"layers": layers, "activation": "sigmoid", "loss": "mse", "init": {"seed": 1},
            "data": [{"x": [0.5] * layers[0], "y": [0.5] * layers[-1]}], "learning_rate": 0.1, "iterations": 1}


def test_shown_units_elide_the_middle():
    assert shown_units(ELIDE_ABOVE) == list(range(ELIDE_ABOVE))
    assert shown_units(64) == [0, 1, 2, None, 62, 63]


@pytest.mark.parametrize("layers", [[64, 64], [3, 7, 2], [64] * 12, [1] * 12])
def test_figures_at_the_limits_stay_on_the_page(layers):
    fig = _figures(problem_from_dict(_wide_spec(layers)))[0]
    assert fig.layout.width <= PAGE + 0.01 and fig.layout.height < 12
    drawn = Counter(n.layer for n in fig.layout.nodes)
    assert max(drawn.values()) <= ELIDE_ABOVE
    if max(layers) > ELIDE_ABOVE:
        assert any(n.kind == "dots" for n in fig.layout.nodes)
        assert all(e.label == "" for e in fig.layout.edges)  # 5 x 5 edges: too many to read
    ET.fromstring(fig.svg)


def test_figures_at_the_limits_compile(tmp_path):
    _need("pdflatex")
    figures = _figures(problem_from_dict({**_wide_spec([64] * 12), "figures": ["network", "network@1"]}))
    body = "\n".join(rf"\begin{{figure}}[!htb]\centering {f.tikz}\caption{{x}}\end{{figure}}" for f in figures)
    tex = ("\\documentclass[11pt]{article}\\usepackage[a4paper,margin=2cm]{geometry}\\usepackage{tikz}"
           f"\\begin{{document}}{body}\\end{{document}}")
    (tmp_path / "f.tex").write_text(tex)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "f.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Overfull \\hbox" not in proc.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_compiles_with_iteration_figures(name, tmp_path):
    _need("pdflatex")
    problem = _with_figures(name)
    tex = render_view(build_view(run(problem)), "latex")
    assert tex.count(r"\begin{tikzpicture}") == 3
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, [l for l in proc.stdout.splitlines() if l.startswith("!")]
    assert "Overfull \\hbox" not in proc.stdout


# -- figures: and --figures ----------------------------------------------------------------


def test_parse_figures():
    assert parse_figures(None, 1) == (FigureChoice("network"),)
    # past one iteration the curves too, the loss only where there is one
    assert parse_figures(None, 3) == (FigureChoice("network"), FigureChoice("loss"), FigureChoice("yhat"))
    assert parse_figures(None, 3, loss=False) == (FigureChoice("network"), FigureChoice("yhat"))
    assert parse_figures("none", 3) == () == parse_figures([], 3)
    assert parse_figures("network, network@2:updated", 3) == (
        FigureChoice("network"), FigureChoice("network", 2, "updated"))
    assert parse_figures(["network@1"], 3)[0].edges == "gradients"


@pytest.mark.parametrize("value,message", [
    (["graph"], "figures[0]: a network has no computational-graph figure; expected network"),
    (["network:gradients"], "figures[0]: edge labels need an iteration: network@1:gradients"),
    (["network@4"], "figures[0]: iteration 4 is not run; expected 1 to 3"),
    (["network@1:deltas"], "figures[0]: unknown edge labels 'deltas'"),
    ({"network": 1}, "figures: expected none or a list"),
])
def test_bad_figures_name_the_entry(value, message):
    with pytest.raises(SpecError) as err:
        parse_figures(value, 3)
    assert str(err.value).startswith(message)


def test_updated_weights_need_an_update():
    problem = load_problem(example_path("neuron-sensitivity"))
    assert problem.learning_rate is None
    with pytest.raises(SpecError) as err:
        problem.with_overrides(figures="network,network@1:updated")
    assert str(err.value).startswith("figures[1]: no weights are updated")


def test_figures_none_leaves_the_figure_out():
    problem = load_problem(example_path("lecture-2-2-1")).with_overrides(figures="none")
    view = build_view(run(problem))
    assert view.figures == []
    assert r"\begin{tikzpicture}" not in render_view(view, "latex")


def _bptrace(*args, cwd=REPO):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def test_markdown_writes_its_figures_beside_the_output(tmp_path):
    out = tmp_path / "lecture notes.md"
    proc = _bptrace("render", "--example", "lecture-2-2-1", "--to", "markdown", "-o", out,
                    "--figures", "network,network@2:updated")
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "![The network with its starting weights](lecture%20notes.network.svg)" in text
    assert "(lecture%20notes.network-2-updated.svg)" in text
    for name in ("lecture notes.network.svg", "lecture notes.network-2-updated.svg"):
        root = ET.parse(tmp_path / name).getroot()
        assert root.tag == f"{SVG_NS}svg"
    stdout = _bptrace("render", "--example", "lecture-2-2-1", "--to", "markdown").stdout
    notes = [line for line in stdout.splitlines() if line.startswith("*Figure left out")]
    # the network, the loss and the outputs per iteration (the default past one iteration)
    assert len(notes) == 3 and all("-o FILE.md" in n for n in notes) and ".svg" not in stdout


def test_markdown_never_writes_a_figure_through_a_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (tmp_path / "doc.network.svg").symlink_to(victim)
    proc = _bptrace("render", "--example", "lecture-2-2-1", "--to", "markdown", "-o", tmp_path / "doc.md")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "symbolic link" in proc.stderr
    assert victim.read_text() == "keep" and not (tmp_path / "doc.md").exists()


def test_pdf_is_written_and_has_pages(tmp_path):
    _need("latexmk")
    _need("pdfinfo")
    out = tmp_path / "lecture.pdf"
    proc = _bptrace("render", "--example", "lecture-2-2-1", "--to", "pdf", "-o", out)
    assert proc.returncode == 0, proc.stderr
    info = subprocess.run(["pdfinfo", out], capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 5
    assert [p.name for p in tmp_path.iterdir()] == ["lecture.pdf"]  # nothing of TeX's left beside it


def test_pdf_needs_an_output_and_tex(tmp_path):
    proc = _bptrace("render", "--example", "lecture-2-2-1", "--to", "pdf")
    assert proc.returncode == 2 and proc.stderr.strip() == (
        "error: --to pdf needs -o FILE.pdf (a PDF is not written to the terminal)")
    env_path = tmp_path / "bin"
    env_path.mkdir()
    (env_path / "python").symlink_to(sys.executable)
    proc = subprocess.run([str(env_path / "python"), "-m", "tracer.cli", "render", "--example", "lecture-2-2-1",
                           "--to", "pdf", "-o", tmp_path / "x.pdf"], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PATH=str(env_path), PYTHONPATH=str(REPO)), timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --to pdf needs pdflatex")
    assert "texlive-latex-extra latexmk lmodern" in lines[0]
    assert not (tmp_path / "x.pdf").exists()


def test_first_error_is_one_line():
    log = "This is pdfTeX\n(./doc.tex\n! Undefined control sequence.\nl.42 \\foo\n          bar\n! Emergency stop.\n"
    assert first_error(log) == "Undefined control sequence. (l.42 \\foo)"


def test_fewer_iterations_drop_the_figures_of_iterations_not_run():
    problem = problem_from_dict({**_wide_spec([2, 2, 1]), "iterations": 3,
                                 "figures": ["network", "network@3:updated", "network@1"]})
    assert [f.key for f in problem.with_overrides(iterations=2).figures] == ["network", "network-1-gradients"]
    with pytest.raises(SpecError, match=r"figures\[0\]: iteration 3 is not run"):
        problem.with_overrides(iterations=2, figures="network@3")  # asked for on the command line: an error


def test_variants_write_each_variants_figures_and_sheets_show_only_the_given_network(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("layers: [2, 2, 1]\nactivation: sigmoid\nloss: bce\ninit: {seed: 3}\n"
                    "data: [{x: [1, 2], y: [1]}]\nlearning_rate: 0.5\niterations: 1\nrandomize: true\n"
                    "figures: [network, 'network@1:gradients']\n")
    proc = _bptrace("variants", spec, "--count", "2", "--seed", "5", "--to", "markdown", "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    for vid in ("v001", "v002"):
        sheet = (out / f"{vid}.problem.md").read_text()
        assert f"]({vid}.network.svg)" in sheet and "network-1-gradients" not in sheet  # no answers in a picture
        assert f"]({vid}.network-1-gradients.svg)" in (out / f"{vid}.solution.md").read_text()
        ET.parse(out / f"{vid}.network.svg")
    assert (out / "v001.network.svg").read_text() != (out / "v002.network.svg").read_text()


# -- legibility: every label's box stands clear ------------------------------------------------


def _assert_clear(layout):
    """No two label boxes meet, no box meets a unit's circle, and the words sit a fixed gap below."""
    from tracer.present.figure_layout import WORDS_GAP, WORDS_LINE
    labelled = [e for e in layout.edges if e.label]
    notes = [n for n in layout.nodes if n.note]
    assert len(layout.boxes) == len(labelled) + len(notes)
    assert sorted(b.text for b in layout.boxes) == sorted([e.label for e in labelled] + [n.note for n in notes])
    for k, a in enumerate(layout.boxes):
        for other in layout.boxes[k + 1:]:
            assert not a.meets(other), (a, other)
        for n in layout.nodes:
            if n.kind != "dots":
                assert not a.meets_circle(n.x, n.y, layout.radius), (a, n.id)
    for e in labelled:  # the emitters draw the label where the box is
        assert any(abs(b.x - e.label_x) + abs(b.y - e.label_y) < 1e-9 for b in layout.boxes)
    lowest = max([n.y + layout.radius for n in layout.nodes] + [b.y + b.h / 2 for b in layout.boxes])
    assert layout.height == pytest.approx(lowest + WORDS_GAP + WORDS_LINE)
    assert min([n.y - layout.radius for n in layout.nodes] + [b.y - b.h / 2 for b in layout.boxes]) >= 0


@pytest.mark.parametrize("notation", [None, "lecture", "node", "layered", "hidden-output"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_no_label_meets_another_or_a_unit(name, notation):
    for fig in _figures(_with_figures(name, notation=notation)):
        _assert_clear(fig.layout)


@pytest.mark.parametrize("layers", [[4, 4, 4], [3, 4, 3, 2], [4, 4], [64, 64], [1] * 12])
def test_dense_pairs_stand_clear_or_say_where_their_weights_are(layers):
    figures = _figures(problem_from_dict({**_wide_spec(layers), "decimals": 4,
                                          "figures": ["network", "network@1:gradients"]}))
    for fig in figures:
        _assert_clear(fig.layout)
        assert fig.layout.height <= 12
    dense = _figures(problem_from_dict({**_wide_spec([4, 4, 4]), "decimals": 4, "figures": ["network@1:gradients"]}))
    caption = dense[0].layout.caption
    bare = [e for e in dense[0].layout.edges if not e.label]
    assert bare and "too dense to label: the gradients between" in caption and "are in the gradient of W(" in caption


def test_deep_example_labels_every_weight():
    """3-4-3-2: room enough, once the units spread, for every edge's weight and every bias."""
    layout = _figures(load_problem(example_path("deep-3-4-3-2")))[0].layout
    assert all(e.label for e in layout.edges) and "too dense" not in layout.caption
    assert sum(bool(n.note) for n in layout.nodes) == 4 + 3 + 2


def test_svg_stacks_a_subscript_under_a_superscript():
    from tracer.present.figure_svg import _tspans
    from tracer.present.tex_text import runs
    spans = re.findall(r"<tspan([^>]*)>([^<]*)</tspan>", _tspans(runs("h^{(1)}_{1}"), 15.0))
    assert [text for _, text in spans[:3]] == ["h", "(1)", "1"]
    dx = lambda attrs: float(re.search(r'dx="([-\d.]+)"', attrs).group(1)) if "dx=" in attrs else 0.0
    width_sup = 3 * 15.0 * 0.7 * 0.5
    assert dx(spans[2][0]) == pytest.approx(-width_sup, abs=0.01)  # back to where the superscript began
    assert dx(spans[3][0]) == pytest.approx(width_sup - 15.0 * 0.7 * 0.5, abs=0.01)  # then past the wider
    assert "dx" not in _tspans(runs("x_{1}"), 15.0) and "dx" not in _tspans(runs(r"1.2 \times 10^{-5}"), 11.0)


def test_label_boxes_stay_inside_the_figure():
    for layers in ([64] * 12, [3, 4, 3, 2], [2, 1]):
        for fig in _figures(problem_from_dict({**_wide_spec(layers), "figures": ["network", "network@1"]})):
            assert all(b.x - b.w / 2 >= 0 and b.x + b.w / 2 <= fig.layout.width for b in fig.layout.boxes)


def _sampled_crosses(box, x1, y1, x2, y2) -> bool:
    """Box.crosses as the sampling alone decides it (before its bounding-box shortcut)."""
    return any(abs(x1 + (x2 - x1) * k / 48 - box.x) * 2 < box.w and abs(y1 + (y2 - y1) * k / 48 - box.y) * 2 < box.h
               for k in range(49))


def test_crosses_shortcut_decides_as_the_samples_do():
    """The bounding-box shortcut only skips segments no sample of which can land in the box: same layouts."""
    from hypothesis import given, settings, strategies as st

    from tracer.present.figure_layout import Box

    coord = st.floats(-3, 3, allow_nan=False) | st.sampled_from([-0.5, 0.0, 0.25, 0.5, 1.0])
    size = st.floats(0.01, 2, allow_nan=False) | st.sampled_from([0.5, 1.0])

    @settings(max_examples=1000, deadline=None)
    @given(coord, coord, size, size, coord, coord, coord, coord)
    def check(x, y, w, h, x1, y1, x2, y2):
        box = Box("edge", "t", x, y, w, h)
        assert box.crosses(x1, y1, x2, y2) == _sampled_crosses(box, x1, y1, x2, y2)

    check()
