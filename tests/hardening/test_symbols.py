"""Notation symbols come from a whitelist: what passes typesets as a symbol, what does not is refused."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tracer.api import render_problem
from tracer.errors import SpecError
from tracer.problem.examples import examples_dir
from tracer.problem.notation import BUILTIN
from tracer.problem.spec import load_problem
from tracer.problem.symbols import ACCENTS, COMMANDS, FONTS, GREEK, symbol_problem

LECTURE = yaml.safe_load((examples_dir() / "lecture-2-2-1.yaml").read_text())


def with_symbol(sym: str, kind: str = "loss") -> dict:
    spec = {k: v for k, v in LECTURE.items() if k != "published"}
    return {**spec, "iterations": 1, "notation": {"base": "default", "symbols": {kind: sym}}}


@pytest.mark.parametrize("sym, why", [
    (r"\input{/etc/passwd}", r"\input"),
    ("x^^5cinput{/etc/passwd}", "'^^'"),
    (r"\def\x{y}", r"\def"),
    (r"\catcode", r"\catcode"),
    ("<img src=x onerror=alert(1)>", "'<'"),
    ("$x$", "'$'"),
    ("a%b", "'%'"),
    ("a#b", "'#'"),
    ("a&b", "'&'"),
    ("a~b", "'~'"),
    ("ŷ", r"'\u0177'"),
    ("{x", "unbalanced braces"),
    ("x}{", "a '}' with no '{'"),
    (r"\text{x}", r"\text"),
    (r"x\\y", r"\\"),
    (" ", "an empty symbol"),
    ("a^{b}'", "a prime after a superscript"),
    ("x_{1}_{2}", "two subscripts in a row"),
    ("a^b^c", "two superscripts in a row"),
    ("a'_{a}'", "a prime after a prime and a subscript"),  # TeX: Double superscript
    ("x'_1^2", "a superscript after a prime and a subscript"),
    ("a^", "a script with nothing after it"),
])
def test_refused_symbols_name_the_reason(sym, why):
    assert why in symbol_problem(sym)
    with pytest.raises(SpecError, match=r"^notation\.symbols\.loss: .* is not allowed in a symbol: "):
        load_problem(with_symbol(sym))


@pytest.mark.parametrize("sym", [r"\hat{y}", "W^{(1)}", r"\mathbf{W}_{ij}", r"\tilde{h}^{(1)}", "J", r"\mathcal{L}",
                                 r"\delta^{o}", "x'", "x''", "x'^{2}", "x'_{1}", "x_{1}'", "{x'}_{1}'",
                                 r"\operatorname{err}", r"E_{\text{}}"[:1] + "E"])
def test_ordinary_symbols_pass(sym):
    assert symbol_problem(sym) is None
    load_problem(with_symbol(sym))


@pytest.mark.parametrize("sym", ["L_{a}", "E^{2}", "J'"])
def test_a_symbol_with_a_script_takes_the_handouts_scripts_too(tmp_path, sym):
    """The handout writes L_{data}, y_k, W_ij: a user symbol with its own script is braced first."""
    if not shutil.which("pdflatex"):
        if os.environ.get("CI"):
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    spec = {**with_symbol(sym), "l2": 0.01}  # l2: the handout writes L_{data}
    text = render_problem(load_problem(spec), "latex")
    assert "{" + sym + "}" + r"_{\text{data}}" in text
    (tmp_path / "h.tex").write_text(text)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "h.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-1500:]


def test_a_trailing_line_break_is_refused():
    with pytest.raises(SpecError, match="one line"):
        load_problem(with_symbol("L\n"))


def test_every_built_in_symbol_passes_the_whitelist():
    import dataclasses

    def strings(o):
        if isinstance(o, str):
            yield o
        elif isinstance(o, dict):
            for v in o.values():
                yield from strings(v)
        elif isinstance(o, (list, tuple)):
            for v in o:
                yield from strings(v)

    for name, profile in BUILTIN.items():
        for s in strings(dataclasses.asdict(profile)):
            if any(ch in s for ch in "\\^_{"):
                assert symbol_problem(s.replace("{l}", "1").replace("{L}", "2")) is None, (name, s)


_atoms = st.sampled_from(list("abxyzLWJE") + ["1", "2"] + [f"\\{g}" for g in GREEK[:8]])
_symbol = st.recursive(
    _atoms,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(" ".join),  # a space: \\alpha then a is not \\alphaa
        st.tuples(inner, st.sampled_from(["^", "_"]), inner).map(lambda t: f"{t[0]}{t[1]}{{{t[2]}}}"),
        st.tuples(st.sampled_from(ACCENTS[:5] + FONTS[:4]), inner).map(lambda t: f"\\{t[0]}{{{t[1]}}}"),
        inner.map(lambda s: f"({s})"),
        inner.map(lambda s: s + "'"),
    ),
    max_leaves=6,
)


@settings(max_examples=6, deadline=None)
@given(sym=_symbol)
def test_whitelisted_symbols_compile(tmp_path_factory, sym):
    if not shutil.which("pdflatex"):
        if os.environ.get("CI"):
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    assume(symbol_problem(sym) is None)  # the draw can stack scripts (a^{b}'), which is refused below
    folder = tmp_path_factory.mktemp("sym")
    (folder / "h.tex").write_text(render_problem(load_problem(with_symbol(sym)), "latex"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "h.tex"],
                          cwd=folder, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]


@pytest.mark.parametrize("chunk", range(10))
def test_every_allowed_command_compiles(tmp_path, chunk):
    """Each command of the whitelist, used once, in a handout that pdflatex compiles."""
    if not shutil.which("pdflatex"):
        if os.environ.get("CI"):
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    names = sorted(COMMANDS)[chunk::10]
    sym = " ".join(f"\\{c}{{x}}" if c in ACCENTS or c in FONTS else f"\\{c}" for c in names)
    assert len(sym) <= 80  # a symbol's limit: more chunks if the list grows
    spec = with_symbol(sym)
    (tmp_path / "h.tex").write_text(render_problem(load_problem(spec), "latex"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "h.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (sym, proc.stdout[-2000:])
