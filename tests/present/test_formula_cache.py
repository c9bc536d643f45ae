"""The formula cache (tracer.present.formulas, formula_store): what it keeps is what sympy gives.

- every pre-filled entry equals a fresh sympy derivation from its key (the file cannot drift);
- a template filled with any names and numbers equals HandoutPrinter's direct output, byte for byte;
- the by-hand "which terms are defined" answer, remembered by the values' pattern, equals sympy's;
- concurrent writers never leave a torn file; an unreadable file is a miss; --no-cache reads and
  writes nothing; `bptrace cache clear` removes our files only;
- with a warm cache a handout (LaTeX, Markdown, a variants run) imports neither sympy nor mpmath.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer import cache as tracer_cache
from tracer.cli import main
from tracer.present import formula_store as store
from tracer.present import formulas as F
from tracer.present import numfmt
from tracer.present import symbolic as S

ROOT = Path(__file__).resolve().parents[2]
LECTURE = ROOT / "examples" / "lecture-2-2-1.yaml"
SYM = {F.y: S.y, F.yh: S.yh, F.h: S.h, F.a: S.a, F.err: S.err, F.comp: S.comp}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of this test's own, and no pre-filled entries (every template derived here)."""
    monkeypatch.setenv("BPTRACE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BPTRACE_NO_CACHE", raising=False)
    monkeypatch.setattr(store, "use_builtin", False)
    store.reset()
    yield tmp_path / "cache"
    store.reset()


def _run(*argv) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


# -- the pre-filled file --------------------------------------------------------------------------


def test_every_prefilled_entry_equals_a_fresh_sympy_derivation():
    entries = store.builtin_entries()
    assert entries, "formulas_builtin.json is missing, or for another sympy: python -m tracer.present.formulas_prefill"
    assert {k.split("|")[0] for k in entries} == {"t", "p", "d"}
    stale = [k for k, v in entries.items() if F.fresh(k) != v]
    assert not stale, f"{len(stale)} stale entries, e.g. {stale[0]}: python -m tracer.present.formulas_prefill"


def test_the_prefill_covers_the_lecture_handout(tmp_path, monkeypatch):
    """The lecture's handout needs nothing beyond the wheel's file: no user file is written."""
    monkeypatch.setenv("BPTRACE_CACHE_DIR", str(tmp_path))
    store.reset()
    for fmt in ("latex", "markdown"):
        _run("render", str(LECTURE), "--to", fmt)
    assert not list(tmp_path.glob("formulas-*.json"))
    store.reset()


# -- templates: fill == direct print ----------------------------------------------------------------

# Every formula the views print: each activation's g', and each loss's term, derivative and delta
# for every output activation, size and scale, with their saturated and error forms.
ACTS = ("sigmoid", "tanh", "relu", "linear")
LOSSES = ("bce", "ce", "mse", "sse", "mae", "none")


def _formulas():
    out = [F.activation_derivative(act) for act in ACTS]
    for loss in LOSSES:
        for n in (1, 2, 3):
            for scale in (1.0, 2.0, 0.5):
                out += [F.loss_expr(loss, n, scale), F.loss_derivative(loss, n, scale)]
                out += [F.output_delta(loss, act, n, scale) for act in (*ACTS, "softmax") if not (act == "softmax" and n == 1)]
    out += [f.saturated(act, high, one) for f in list(out) for act in ("sigmoid", "tanh") for high in (True, False)
            for one in (True, False) if f.recipe[0] != "gprime" or f.recipe[1] == act]
    out += [F.loss_expr(loss, 1, s).with_error() for loss in ("mse", "sse") for s in (1.0, 2.0, 0.5)]
    return out


FORMULAS = _formulas()
_DIGITS = st.one_of(st.integers(0, 6), st.builds(numfmt.SigFigs, st.integers(1, 6)))
_FLOATS = st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.floats(-1e-7, 1e-7, allow_nan=False),
                    st.integers(-50, 50).map(float), st.sampled_from([0.0, 1.0, -1.0, 0.5, -0.25]))
NUMBERS = st.one_of(
    st.builds(lambda x, d, approx: numfmt.number(x, d, approx=approx), _FLOATS, _DIGITS, st.booleans()),
    st.builds(numfmt.scientific, _FLOATS.filter(bool), st.integers(1, 6)),
    st.sampled_from([r"\infty", r"-\infty", r"\text{undefined}", r"\left(0.5\right)", r"\frac{1}{2}", "(-3)"]),
)
NAMES = st.one_of(
    st.sampled_from([r"\hat{y}", "y", r"y_{k}", r"a^{(2)}", r"h^{(1)}_{i}", r"W^{2}", r"\hat{y}_k", "u", "z_2",
                     r"\delta^{[2]}", "2", r"\frac{1}{2}", "-x", r"\left(s\right)", r"\mathbf{o}"]),
    st.text("ahyz^_{}()0123\\ -", min_size=1, max_size=8),
)


@given(st.sampled_from(FORMULAS), st.sampled_from(["plain", "odot"]),
       st.dictionaries(st.sampled_from(list(SYM)), NAMES, max_size=6),
       st.dictionaries(st.sampled_from(list(SYM)), NUMBERS, max_size=6))
def test_a_filled_template_is_the_direct_print(formula, printer, names, values):
    store.reset()
    store.use_builtin = False
    try:
        if printer == "odot":
            values = {}
        # the template is printed with placeholders (of the same shapes), then filled with these strings
        filled = formula.latex_elementwise(names) if printer == "odot" else formula.latex(names, values)
        sym_names = {SYM[k]: v for k, v in names.items()}
        if printer == "odot":
            direct = S.to_latex_elementwise(formula.expr, sym_names)
        else:
            direct = S.to_latex(formula.expr, sym_names, {SYM[k]: v for k, v in values.items()} or None)
        assert filled == direct
    finally:
        store.use_builtin = True
        store.reset()


@given(st.sampled_from([f for f in FORMULAS if f.recipe[0] != "gprime"]),
       st.dictionaries(st.sampled_from([F.y, F.yh, F.a]), st.sampled_from([0.0, 1.0, -1.0, 0.5, 0.25, 0.9999, 2.0]),
                       min_size=1))
def test_the_defined_terms_depend_only_on_the_values_pattern(formula, values):
    """defined_at remembers its answer by each value's class (0, 1, -1, other) and which are equal:
    the answer sympy gives at these values is the one remembered for any values of that pattern."""
    store.reset()
    try:
        kept = formula.defined_terms(values)  # sympy, at these values
        assert (formula.defined_at(values) is formula) == (kept == "all")
        items = sorted(values.items())  # this pattern's entry (the wheel's entries of others are in memory too)
        sig = ",".join(f"{k}:{F._value_class(v)}" for k, v in items)
        eq = "".join(str(int(items[i][1] == items[j][1])) for i in range(len(items)) for j in range(i + 1, len(items)))
        key = f"d|{formula.key}|{sig}|{eq}"
        assert key in store._memory
        assert F.fresh(key) == kept  # sympy, at other values of the same pattern
    finally:
        store.reset()


def test_a_placeholder_has_the_shape_of_what_it_stands_for():
    for s in ["0.5", "-0.5", r"1.2 \times 10^{-5}", r"-1.2 \times 10^{-5}", r"\left(x\right)", r"\begin{bmatrix} 1 \end{bmatrix}",
              r"\frac{1}{2}", r"\frac{-1", r"\hat{y}^{(2)}", "W^{2}", "-x", r"\infty", "(3)"]:
        assert F.shape(F.placeholder(F.shape(s), 7)) == F.shape(s), s


# -- the store ----------------------------------------------------------------------------------------

WRITER = """
import sys
from tracer.present import formula_store as store
for i in range(40):
    store.put(f"x|{sys.argv[1]}|{i}", list(range(i)))
    store.flush()
"""


def test_concurrent_writers_never_leave_a_torn_file(cache):
    env = {**os.environ, "BPTRACE_CACHE_DIR": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, name], cwd=ROOT, env=env) for name in ("a", "b")]
    seen = 0
    while any(p.poll() is None for p in procs):
        for path in cache.glob("formulas-*.json"):
            try:
                text = path.read_text()
            except FileNotFoundError:
                continue
            json.loads(text)  # never a half-written file: each write is a whole file moved into place
            seen += 1
    assert all(p.wait() == 0 for p in procs)
    entries = store._read(store.user_file())
    assert list(range(39)) in (entries.get("x|a|39"), entries.get("x|b|39"))  # the last write is whole
    assert not list(cache.glob(".formulas-*.tmp"))  # no temporary file left behind


def test_a_corrupted_file_is_a_miss(cache):
    expected = _run("--no-cache", "render", str(LECTURE), "--to", "latex")
    cache.mkdir(parents=True)
    store.user_file().write_text('{"format": 1, "entries": {"t|')  # torn
    store.reset()
    assert _run("render", str(LECTURE), "--to", "latex") == expected
    assert store._read(store.user_file())  # replaced by a whole file with what this run derived
    store.user_file().write_bytes(b"\xff\xfe garbage")
    store.reset()
    assert _run("render", str(LECTURE), "--to", "latex") == expected


def test_a_wrong_entry_is_what_the_handout_shows(cache):
    """The cache is what is printed: so the drift test above is what keeps handouts right."""
    _run("render", str(LECTURE), "--to", "latex")
    entries = store._read(store.user_file())
    for key in [k for k in entries if k.startswith('t|["gprime","sigmoid"]|plain|')]:
        entries[key] = ["WRONG"]
    store.user_file().write_text(json.dumps({"format": store.FORMAT, "sympy": store.sympy_version(), "entries": entries}))
    store.reset()
    assert "WRONG" in _run("render", str(LECTURE), "--to", "latex")
    assert "WRONG" not in _run("render", "--no-cache", str(LECTURE), "--to", "latex")


def test_no_cache_reads_and_writes_nothing(cache):
    before = _run("render", str(LECTURE), "--to", "markdown", "--no-cache")
    assert not cache.exists()
    assert _run("--no-cache", "render", str(LECTURE), "--to", "latex")
    assert not cache.exists()
    assert os.environ.get("BPTRACE_NO_CACHE") is None and not tracer_cache.disabled()  # only for that call
    assert _run("render", str(LECTURE), "--to", "markdown") == before
    assert list(cache.glob("formulas-*.json")) and (cache / "jinja").is_dir()


def test_cache_path_and_clear(cache, capsys):
    _run("render", str(LECTURE), "--to", "latex")
    (cache / "keep.txt").write_text("not ours")
    assert _run("cache", "path").strip() == str(cache)
    out = _run("cache", "clear")
    assert f"removed {store.user_file()}" in out and f"removed {cache / 'jinja'}" in out
    assert [p.name for p in cache.iterdir()] == ["keep.txt"]
    assert _run("cache", "clear").strip() == f"nothing to remove in {cache}"


# -- no sympy with a warm cache ------------------------------------------------------------------------

CHECK_MODULES = """
import contextlib, io, json, sys
import tracer.present.formula_store as store
store.use_builtin = sys.argv[1] == "builtin"
from tracer import cache as tracer_cache
from tracer.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[2:])
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] in ("sympy", "mpmath"))]))
"""


def _modules(cache, tmp_path, builtin, *argv):
    env = {**os.environ, "BPTRACE_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}  # this tree's tracer
    env.pop("BPTRACE_NO_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", CHECK_MODULES, builtin, *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    code, modules = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0
    return modules


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_a_warm_render_imports_neither_sympy_nor_mpmath(tmp_path, fmt):
    cache = tmp_path / "cache"
    argv = ["render", "--example", "lecture-2-2-1", "--to", fmt, "-o", "out.tex" if fmt == "latex" else "out.md"]
    assert _modules(cache, tmp_path, "builtin", *argv) == []  # the wheel's file covers it
    assert "sympy" in _modules(cache, tmp_path, "user", *argv)  # without it: derived, stored
    assert _modules(cache, tmp_path, "user", *argv) == []  # and from the user's cache


def test_warm_variants_import_neither_sympy_nor_mpmath(tmp_path):
    """Each variant has numbers of its own: one template serves them all."""
    (tmp_path / "rand.yaml").write_text(LECTURE.read_text() + "randomize: true\n")
    cache = tmp_path / "cache"
    argv = ["variants", "rand.yaml", "--count", "4", "--seed", "3", "-o", "out", "--force"]
    _modules(cache, tmp_path, "user", *argv)
    first = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert _modules(cache, tmp_path, "user", *argv) == []
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == first


UNUSED = ("html", "difflib", "fractions", "csv", "multiprocessing", "tracer.grade.answers", "tracer.grade.answers_csv",
          "tracer.grade.diagnosis", "tracer.present.figure_graph", "tracer.present.mathml")


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_a_handout_loads_no_module_it_does_not_use(tmp_path, fmt):
    """Start-up is most of a handout's time: what only other commands, formats or kinds need stays unloaded
    (the answer-file reader, the diagnosis of mistakes, the pool, the graph layout, HTML's entities)."""
    script = ("import json, sys\nfrom tracer.cli import main\n"
              f"code = main(['render', '--example', 'lecture-2-2-1', '--to', '{fmt}', '-o', 'out'])\n"
              f"print(json.dumps([code, [m for m in {UNUSED!r} if m in sys.modules]]))\n")
    env = {**os.environ, "BPTRACE_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [0, []]
