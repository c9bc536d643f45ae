"""The computational-graph figure: one layout, TikZ and SVG with the same labels, for every
graph example; gates and wires as seed 004 draws them; graphs at the spec's node limit stay on
the page; figures: entries of a graph problem; Markdown beside -o; every LaTeX compiles."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from figure_checks import outside_viewbox, svg_labels as _svg_labels, tikz_labels as _tikz_labels

from tracer.engine import run
from tracer.errors import SpecError
from tracer.present.figure_graph import MAX_DRAWN, MAX_HEIGHT, MIN_SCALE, PAGE, gate_label
from tracer.present.figures import graph_figures
from tracer.present.render import render_view
from tracer.present.tex_text import plain
from tracer.present.view import build_view
from tracer.present.view_graph import GraphContext, display_names
from tracer.problem import expr as E
from tracer.problem.examples import example_path, list_examples
from tracer.problem.fields import MAX_GRAPH_NODES
from tracer.problem.spec import load_problem, problem_from_dict

GRAPHS = [name for name, _ in list_examples() if load_problem(example_path(name)).kind == "graph"]
SVG_NS = "{http://www.w3.org/2000/svg}"
ALL = "graph,graph:values,graph:gradients,graph:given"


def _figures(problem):
    return build_view(run(problem)).figures




def _compile(tex: str, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, [line for line in proc.stdout.splitlines() if line.startswith("!")]
    assert "Overfull \\hbox" not in proc.stdout


@pytest.mark.parametrize("name", GRAPHS)
def test_tikz_and_svg_come_from_one_layout(name):
    problem = load_problem(example_path(name)).with_overrides(figures=ALL)
    figures = _figures(problem)
    assert [f.key for f in figures] == ["graph", "graph-values", "graph-gradients", "graph-given"]
    for fig in figures:
        layout = fig.layout
        expected = Counter(layout.labels())
        assert _tikz_labels(fig.tikz) == expected
        svg_labels, root = _svg_labels(fig.svg)
        assert svg_labels == expected
        lines = len(layout.segments) + len(layout.wires)
        assert len(list(root.iter(f"{SVG_NS}line"))) == lines == fig.tikz.count(r"\draw")
        assert layout.width * layout.scale <= PAGE + 0.01
    # every input and node on the output's path is drawn, with one wire each
    p = problem
    full = figures[0].layout
    assert sorted(w.src for w in full.wires) == sorted(p.names)
    assert [f.given for f in figures] == [False, False, False, True]


@pytest.mark.parametrize("name", GRAPHS)
def test_everything_drawn_lies_inside_the_svg(name):
    """A long edge on a row of its own below the nodes (graph-homework's b -> division) was drawn
    below the viewBox and clipped out of the HTML and Markdown figure."""
    problem = load_problem(example_path(name)).with_overrides(figures=ALL)
    for fig in _figures(problem):
        assert not outside_viewbox(fig.svg), fig.key


def test_seed004_as_the_notes_draw_it():
    fig = _figures(load_problem(example_path("graph-seed004")))[0]
    layout = fig.layout
    gates = {n.id: (n.label, n.column) for n in layout.nodes if n.kind == "gate"}
    assert gates == {"v": (r"\times", 1), "u": ("+", 2), "f": ("+", 3)}
    assert {n.id for n in layout.nodes if n.kind == "input"} == {"w", "x", "y", "z"}
    wires = {w.src: (w.value, w.gradient) for w in layout.wires}
    # forward values above, gradients df/dname below (v = 6, u = 11, f = 15; df/dx = y = 2, df/dy = x = 3)
    assert wires == {"w": ("5", "1"), "x": ("3", "2"), "y": ("2", "3"), "z": ("4", "1"),
                     "v": ("6", "1"), "u": ("11", "1"), "f": ("15", "1")}
    assert [w.src for w in layout.wires if w.output] == ["f"]
    # z skips two columns: its wire runs straight through them at its own row, never through a gate
    relays = [s for s in layout.segments if not s.arrow and s.y1 == s.y2 and s.y1 == layout.node("z").y]
    assert len(relays) >= 2
    assert "each value above its wire and the gradient of f by it below" in fig.caption


def test_fan_out_branches_once_after_its_labels():
    layout = _figures(load_problem(example_path("graph-sigmoid-neuron")))[0].layout
    wires = {w.src: w for w in layout.wires}
    assert wires["x1"].branch and wires["w2"].branch and not wires["b"].branch  # x1, w2 feed s and r
    for name in ("x1", "w2"):  # two arrows leave the branch point, one to each consumer
        out = [s for s in layout.segments if (s.x1, s.y1) == (wires[name].x2, wires[name].y)]
        assert len(out) == 2 and all(s.arrow for s in out)
    kinds = {n.id: (n.kind, n.label) for n in layout.nodes if n.name}
    assert kinds["q"] == ("gate", r"\sigma") and kinds["r"] == ("gate", "-") and kinds["f"] == ("gate", r"\times")
    assert kinds["s"][0] == "box" and plain(kinds["s"][1]) == "w1\u2009x1+w2\u2009x2+b"


def test_no_label_lies_on_another_row():
    """Wire labels sit over their own wire's stretch; no other wire or node crosses that stretch."""
    layout = _figures(load_problem(example_path("graph-sigmoid-neuron")))[0].layout
    for w in layout.wires:
        for s in layout.segments:
            if min(s.x1, s.x2) < w.x2 - 0.01 and max(s.x1, s.x2) > w.x1 + 0.01:  # overlaps the stretch in x
                assert min(abs(s.y1 - w.y), abs(s.y2 - w.y)) > 0.5 or s.y1 == s.y2 != w.y


@pytest.mark.parametrize("text,label", [
    ("x*y", r"\times"), ("x + y", "+"), ("x - y", "-"), ("x/y", r"\div"), ("exp(x)", r"\exp"),
    ("sigmoid(x)", r"\sigma"), ("2*x", r"2\,\times"), ("x + 1", r"+\,1"), ("x**2", r"(\cdot)^{2}"),
    ("-x", "-"), ("x*x", r"x\,x"), ("tanh(x + y)", r"\tanh(x + y)"),
])
def test_gate_labels(text, label):
    tree = E.parse(text, "t")
    assert gate_label(tree, tuple(E.names(tree)), lambda n: n) == label


def _chain(n):
    nodes = {"v0": "x + 1", **{f"v{i}": f"v{i - 1} + x" for i in range(1, n)}}
    return {"graph": {"inputs": {"x": 0.5}, "nodes": nodes, "output": f"v{n - 1}"}}


def _tree(leaves):
    inputs = {f"x{i}": 0.5 for i in range(leaves)}
    nodes, level = {}, [f"x{i}" for i in range(leaves)]
    while len(level) > 1:
        nxt = []
        for a, b in zip(level[::2], level[1::2]):
            name = f"s{len(nodes)}"
            nodes[name] = f"{a} + {b}"
            nxt.append(name)
        level = nxt
    return {"graph": {"inputs": inputs, "nodes": nodes, "output": level[0]}}


def _wide(n):
    return {"graph": {"inputs": {f"x{i}": 1 for i in range(n)}, "nodes": {"f": " + ".join(f"x{i}" for i in range(n))},
                      "output": "f"}}


@pytest.mark.parametrize("spec", [_chain(MAX_GRAPH_NODES), _tree(1024), _wide(60)], ids=["chain", "tree", "wide"])
def test_graphs_at_the_limit_stay_on_the_page(spec, tmp_path):
    trace = run(problem_from_dict(spec))  # the figure alone: the view's sympy over 2000 nodes is not under test
    fig = graph_figures(GraphContext(trace), trace.problem.figures, display_names(trace.problem.names).__getitem__)[0]
    layout = fig.layout
    assert layout.width * layout.scale <= PAGE + 0.01 and layout.height * layout.scale <= MAX_HEIGHT + 0.01
    assert layout.scale >= MIN_SCALE  # elided before it is shrunk past MIN_SCALE: the labels stay legible
    assert sum(n.kind != "dots" for n in layout.nodes) <= MAX_DRAWN
    if layout.left_out:
        assert any(n.kind == "elided" for n in layout.nodes) and "are left out" in fig.caption
    if len(spec["graph"]["inputs"]) == 60:  # one node of 60 arguments: 6, a vertical ellipsis, 5
        assert sum(n.kind == "input" for n in layout.nodes) == 11 and any(n.kind == "dots" for n in layout.nodes)
        assert "49 of the arguments of f are left out" in fig.caption
        assert layout.node("f").label == "f"  # its expression is too long for a box
    ET.fromstring(fig.svg)
    body = rf"\begin{{figure}}[!htb]\centering {fig.tikz}\caption{{x}}\end{{figure}}"
    _compile("\\documentclass[11pt]{article}\\usepackage[a4paper,margin=2cm]{geometry}\\usepackage{tikz}"
             f"\\begin{{document}}{body}\\end{{document}}", tmp_path)


@pytest.mark.parametrize("name", GRAPHS)
def test_every_graph_handout_compiles_with_its_figures(name, tmp_path):
    problem = load_problem(example_path(name)).with_overrides(figures=ALL)
    tex = render_view(build_view(run(problem)), "latex")
    assert tex.count(r"\begin{tikzpicture}") == 4
    _compile(tex, tmp_path)


def test_graph_figure_is_on_by_default_and_none_turns_it_off():
    problem = load_problem(example_path("graph-seed004"))
    assert [f.key for f in _figures(problem)] == ["graph"]
    view = build_view(run(problem.with_overrides(figures="none")))
    assert view.figures == []
    assert r"\begin{tikzpicture}" not in render_view(view, "latex")
    spec = {**load_problem(example_path("graph-seed004")).source, "figures": ["graph:values"]}
    assert [f.key for f in _figures(problem_from_dict(spec))] == ["graph-values"]


@pytest.mark.parametrize("value,message", [
    (["network"], "figures[0]: a graph problem's figure is graph or graph:values|gradients|given"),
    (["graph@1"], "figures[0]: a graph problem has one evaluation and no iterations"),
    (["graph:deltas"], "figures[0]: unknown labels 'deltas'; expected one of: values, gradients, given"),
    ({"graph": 1}, "figures: expected none or a list of figures, e.g. [graph, 'graph:values']"),
])
def test_bad_graph_figures_are_one_line_errors(value, message):
    spec = {**load_problem(example_path("graph-seed004")).source, "figures": value}
    with pytest.raises(SpecError) as err:
        problem_from_dict(spec)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_perceptron_draws_its_network_and_refuses_iterations():
    problem = load_problem(example_path("perceptron-and"))
    figures = _figures(problem)
    assert [f.key for f in figures] == ["network"]
    edges = sorted(e.label for e in figures[0].layout.edges)
    assert edges == ["0.1", "0.3"]  # W = [0.3, 0.1]; the bias written under the unit
    with pytest.raises(SpecError) as err:
        problem.with_overrides(figures="network@1")
    assert str(err.value).startswith("figures: a perceptron's figure is its network as given")
