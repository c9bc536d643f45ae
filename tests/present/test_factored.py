"""The `lecture` profile against the notes (seed 002) and the factored chain rule on every example."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from tracer.api import render_trace
from tracer.engine import run
from tracer.present.numfmt import ATOM, array, digits, number, row, wrap
from tracer.present.view import build_view
from tracer.problem.examples import example_path, list_examples
from tracer.problem.spec import load_problem

# the factored backward pass is the network's: a perceptron has none, a graph its own
EXAMPLES = [name for name, _ in list_examples() if load_problem(example_path(name)).kind == "network"]
PROFILES = ["default", "lecture", "hidden-output", "layered", "node"]


def _factored(name: str, profile: str):
    spec = load_problem(example_path(name)).source
    return load_problem({**spec, "notation": {"base": profile, "name": profile, "backward": "factored"}})


def _iteration_1(tex: str) -> str:
    return tex[tex.index(r"\section*{Iteration 1"):tex.index(r"\section*{Iteration 2")]


def _one_line(tex: str) -> str:
    """The rendered LaTeX with each step on one line again: the layout breaks a long step
    at its = and approx signs into an align* block (`lhs &= a \\\\`, `&\\approx b`)."""
    def join(m):
        lines = [line.strip() for line in m.group(1).strip().split(" \\\\\n")]
        return r"\[ " + " ".join(line.replace("&", "", 1) for line in lines) + r" \]"
    return re.sub(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", join, tex, flags=re.S)


def _times(*xs) -> str:
    """Scalar factors as the printer writes a product: (-1.1195) \\cdot 0.0953."""
    return r" \cdot ".join(wrap(x if isinstance(x, str) else number(x, 4), ATOM) for x in xs)


def test_lecture_profile_reads_like_notes_002_iteration_1():
    """Every line of iteration 1 of the notes (symbols and order), with the engine's numbers."""
    problem = load_problem(example_path("lecture-2-2-1")).with_overrides(notation="lecture")
    t = run(problem)
    v = t.values
    n = lambda x: number(x, 4)  # noqa: E731
    dl, gp2 = v["iter1.dL_dyhat"][0], v["iter1.gprime2"][0]
    prod = _times(dl, gp2)  # the notes' (-1.1195)(0.0953)
    d = r"\frac{\partial %s}{\partial %s}"
    notes = [  # seed 002, "Iteration 1", line by line
        r"a^{(1)} = W^{(1)} x + b^{(1)} = \begin{bmatrix} 0.1 & 0.4 \\ 0.2 & 0.5 \end{bmatrix} " + array(v["iter1.x"], 4),
        r"u = g(a^{(1)}) = \begin{bmatrix} g(1.2) \\ g(1.8) \end{bmatrix} \approx " + array(v["iter1.h1"], 4),
        r"z = {W^{(2)}}^\top u + b^{(2)} = \begin{bmatrix} 0.7 & 0.8 \end{bmatrix} " + array(v["iter1.h1"], 4) + " + 0.9",
        rf"\hat{{y}} = g(z) = g({n(v['iter1.a2'][0])}) \approx {n(v['iter1.yhat'][0])}",
        r"L = - y \log",
        d % ("L", r"\hat{y}") + r" = \frac{1 - y}{1 - \hat{y}} - \frac{y}{\hat{y}}",
        d % (r"\hat{y}", "z") + r" = \hat{y} \left(1 - \hat{y}\right) = ",
        d % ("z", "W^{(2)}") + " = u",
        d % ("z", "b^{(2)}") + " = 1",
        d % ("z", "u") + r" = W^{(2)} = \begin{bmatrix} 0.7 \\ 0.8 \end{bmatrix}",  # used by the notes, not listed there
        d % ("u", "a^{(1)}") + r" = u \odot \left(1 - u\right) = ",
        d % ("a^{(1)}", "W^{(1)}") + r" = {x}^\top = " + row(v["iter1.x"], 4),
        d % ("a^{(1)}", "b^{(1)}") + r" = \begin{bmatrix} 1 \\ 1 \end{bmatrix}",
        d % ("L", "W^{(2)}") + " = " + d % ("L", r"\hat{y}") + " " + d % (r"\hat{y}", "z") + " " + d % ("z", "W^{(2)}")
        + rf" = {prod} \cdot " + array(v["iter1.h1"], 4),
        d % ("L", "b^{(2)}") + " = " + d % ("L", r"\hat{y}") + " " + d % (r"\hat{y}", "z") + " " + d % ("z", "b^{(2)}")
        + rf" = {prod} \cdot 1",
        d % ("L", "W^{(1)}") + r" = \left(" + d % ("L", r"\hat{y}") + " " + d % (r"\hat{y}", "z") + " " + d % ("z", "u")
        + r" \odot " + d % ("u", "a^{(1)}") + r"\right) " + d % ("a^{(1)}", "W^{(1)}")
        + rf" = \left({prod} \cdot \begin{{bmatrix}} 0.7 \\ 0.8 \end{{bmatrix}} \odot {array(v['iter1.gprime1'], 4)}\right)"
        + rf" \cdot {row(v['iter1.x'], 4)}"
        + rf" \approx \left({array(t.aux['iter1.dL_dh1'], 4, approx=True)} \odot {array(v['iter1.gprime1'], 4)}\right)"
        + rf" \cdot {row(v['iter1.x'], 4)} \approx {array(v['iter1.delta1'], 4, approx=True)} {row(v['iter1.x'], 4)}"
        + rf" \approx {array(v['iter1.grad.W1'], 4, approx=True)}",
        d % ("L", "b^{(1)}") + r" = \left(" + d % ("L", r"\hat{y}"),
        r"W^{(2)}_{\text{new}} = W^{(2)} - \eta",  # the notes update the output layer first
        r"b^{(2)}_{\text{new}} = b^{(2)} - \eta",
        r"W^{(1)}_{\text{new}} = W^{(1)} - \eta",
        r"b^{(1)}_{\text{new}} = b^{(1)} - \eta",
    ]
    text = _one_line(_iteration_1(render_trace(t, "latex")))
    at = 0
    for line in notes:
        found = text.find(line, at)
        assert found >= 0, f"not found after position {at}: {line}"
        at = found + len(line)
    assert r"\delta" not in text and r"\sigma" not in text  # the notes write g, and no error terms


def _steps(view, part):
    return [s for it in view.iterations for sec in it.examples for p in sec.parts if p.title.startswith(part)
            for s in p.steps]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", EXAMPLES)
def test_factored_products_follow_from_the_trace(name, profile):
    """The factors shown multiply to the gradients shown, and every shown value is the trace's."""
    problem = _factored(name, profile)
    t = run(problem)
    view = build_view(t)
    nt = view.notation
    for step in _steps(view, "Gradients") + _steps(view, "Backward pass"):
        if step.path and not nt.augmented:  # (augmented: the bias row is added, checked by the products below)
            # a quantity, or (under L2) the data part of a gradient, kept in trace.aux
            canon = np.asarray(t.values[step.path] if step.path in t.values else t.aux[step.path], dtype=float)
            name = step.path.rpartition(".")[2]
            if name.startswith("W") and nt.transposed_at(int(name[1:])):
                canon = canon.T
            np.testing.assert_array_equal(np.asarray(step.value, dtype=float), canon)
    v, L = t.values, problem.depth
    for it in t.iterations:
        for k in range(1, len(it.examples) + 1):
            e = it.example_prefix(k)
            W = lambda l: np.asarray(v[f"{it.prefix}W{l}"], dtype=float)  # noqa: E731
            f = lambda key: np.asarray(v[e + key], dtype=float)  # noqa: E731
            if problem.activations[-1] != "softmax":  # dL/dz = dL/dyhat * dyhat/dz, unit by unit
                np.testing.assert_allclose(f("dL_dyhat") * f(f"gprime{L}"), f(f"delta{L}"), rtol=1e-9, atol=1e-12)
            for l in range(L - 1, 0, -1):  # dL/dh(l) = W(l+1)^T dL/da(l+1); dL/da(l) = dL/dh(l) * g'(a(l))
                back = np.asarray(t.aux[f"{e}dL_dh{l}"], dtype=float)
                np.testing.assert_allclose(W(l + 1).T @ f(f"delta{l + 1}"), back, rtol=1e-9, atol=1e-12)
                np.testing.assert_allclose(back * f(f"gprime{l}"), f(f"delta{l}"), rtol=1e-9, atol=1e-12)
            if len(it.examples) == 1 and not problem.l2:
                for l in range(L, 0, -1):
                    inp = f(f"h{l - 1}") if l > 1 else f("x")
                    np.testing.assert_allclose(np.outer(f(f"delta{l}"), inp), np.asarray(v[f"{it.prefix}grad.W{l}"], dtype=float),
                                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", EXAMPLES)
def test_factored_output_factors_are_the_printed_ones(name):
    """The output layer's substituted product is made of the two factors printed above it."""
    problem = _factored(name, "default")
    t = run(problem)
    if problem.activations[-1] == "softmax":
        pytest.skip("a softmax output has one factor, dL/dz")
    view = build_view(t)
    sec = view.iterations[0].examples[0]
    e = t.iterations[0].example_prefix(1)
    dl, gp = t.values[e + "dL_dyhat"], t.values[f"{e}gprime{problem.depth}"]
    grad_w = next(s for s in sec.parts[-1].steps if "W^{(%d)}" % problem.depth in s.lhs)
    for a, b in zip(dl, gp):
        d = digits(problem)  # decimals, or significant figures
        assert _times(number(a, d), number(b, d)) in grad_w.chain[1]
    assert r"\delta" not in "".join(s.tex for p in sec.parts for s in p.steps)


def test_softmax_output_says_how_it_is_factored():
    tex = render_trace(run(_factored("softmax-3-class", "default")), "latex")
    assert r"\text{(softmax and cross-entropy together)}" in tex


@pytest.mark.parametrize("profile", ["default", "lecture", "layered", "node"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_factored_compiles_with_pdflatex(name, profile, tmp_path):
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    tex = render_trace(run(_factored(name, profile)), "latex")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, [line for line in proc.stdout.splitlines() if line.startswith("!")]
    assert "Overfull \\hbox" not in proc.stdout
