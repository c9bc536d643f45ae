"""symbolic.simplify (sp.cancel) in place of sp.simplify: the same printed formulas, and no
sympy.physics (sp.simplify's first call imports sympy.physics.units, a fifth of a handout)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from tracer.present import symbolic as S

REPO = Path(__file__).resolve().parents[2]
ACTS = ["sigmoid", "tanh", "relu", "linear"]
LOSSES = ["bce", "ce", "mse", "sse", "none"]  # mae: its sign() product is never simplified
NAMES = {S.y: "y", S.yh: r"\hat{y}", S.h: "h", S.a: "a"}


def _same(old: sp.Expr, new: sp.Expr) -> None:
    """Structurally the same expression (so every printer prints it the same), and equal."""
    assert new == old
    assert S.to_latex(new, NAMES) == S.to_latex(old, NAMES)
    assert sp.simplify(new - old) == 0


@pytest.mark.parametrize("act", sorted(S._INVERSE))
def test_activation_derivative_is_what_simplify_gave(act):
    gp = sp.diff(S.ACTIVATION[act], S.a).subs(S.a, S._INVERSE[act])
    _same(S.tidy(sp.simplify(gp)), S.activation_derivative(act).expr)


@pytest.mark.parametrize("loss,act", list(itertools.product(LOSSES, ACTS)))
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("scale", [1, 2.0, 0.5])  # functions.loss_scale's values
def test_output_delta_is_what_simplify_gave(loss, act, n, scale):
    gp = S.activation_derivative(act)
    g = gp.expr.subs(S.h, S.yh) if gp.of_output else gp.expr
    product = S.loss_derivative(loss, n, scale) * g
    _same(S.tidy(sp.simplify(product)), S.output_delta(loss, act, n, scale))


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_softmax_delta_is_what_simplify_gave(n):
    m = max(n, 2)
    avec = sp.symbols(f"a1:{m + 1}", real=True)
    yvec = sp.symbols(f"y1:{m + 1}", real=True)
    total = sum(sp.exp(ai) for ai in avec)
    loss = -sum(yj * (aj - sp.log(total)) for yj, aj in zip(yvec, avec))
    d = sp.diff(loss, avec[0]).subs(sp.exp(avec[0]) / total, S.yh).subs(yvec[-1], 1 - sum(yvec[:-1]))
    new = S.output_delta("ce", "softmax", n)
    _same(sp.simplify(d.subs(yvec[0], S.y)), new)
    assert new == S.yh - S.y


@pytest.mark.parametrize("example,fmt", [("lecture-2-2-1", "latex"), ("lecture-2-2-1", "markdown"),
                                         ("softmax-3-class", "latex"), ("xor-gd", "markdown"),
                                         ("graph-sigmoid-neuron", "latex")])
def test_a_render_never_imports_sympy_physics(example, fmt):
    code = ("import sys\n"
            "from tracer.cli import main\n"
            f"rc = main(['render', '--example', {example!r}, '--to', {fmt!r}])\n"
            "print('PHYSICS', sorted(m for m in sys.modules if m.startswith('sympy.physics')), 'SYMPY', 'sympy' in sys.modules)\n")
    # with the formula cache off, so sympy derives and prints everything (a cached render imports no sympy at all:
    # tests/present/test_formula_cache.py)
    env = {**os.environ, "PYTHONPATH": str(REPO), "BPTRACE_NO_CACHE": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "PHYSICS [] SYMPY True"  # sympy did run: the check means something
