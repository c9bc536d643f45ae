"""Fuzzers: specs, answer files, rosters, command lines and output paths.

Whatever they draw, bptrace ends with exit status 0, 1 or 2; on 2 with one `error:` line;
with no traceback and no Python warning; without changing an input or any file outside
the output it was told to write. The CI profile runs a few hundred cases; before a release:

    FUZZ_EXAMPLES=3000 python -m pytest -q tests/hardening/test_fuzz.py     # about 10 minutes
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import warnings
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracer import cli
from tracer.errors import TracerError
from tracer.grade.answers import AnswerError, parse_answers
from tracer.grade.check import Checker
from tracer.homework.roster import read_roster
from tracer.problem.examples import examples_dir
from tracer.problem.spec import load_problem

N = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=N or 60, deadline=None, derandomize=not N,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LECTURE_TEXT = (examples_dir() / "lecture-2-2-1.yaml").read_text()
LECTURE = {k: v for k, v in yaml.safe_load(LECTURE_TEXT).items() if k != "published"}
CHECKER = Checker(load_problem(LECTURE))

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["sigmoid", "bce", "sgd", "gd", "exact", "by-hand", "lecture",
                                           "1/3", "nan", "-inf", "1e400", "W1", "iter1.yhat", "\ud800", "\x1b[2J"]),
)
_values = st.recursive(_scalars, lambda v: st.one_of(st.lists(v, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), v, max_size=4)),
                       max_leaves=12)
_fields = st.sampled_from([*LECTURE, "init", "mode", "batch_size", "shuffle_seed", "l2", "frozen", "ask",
                           "grading", "arithmetic", "notation", "randomize", "sheet", "published", "bogus"])


@contextlib.contextmanager
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@FUZZ
@given(changes=st.dictionaries(_fields, _values, max_size=3), drop=st.lists(st.sampled_from(list(LECTURE)), max_size=2))
def test_fuzz_specs(changes, drop):
    spec = {k: v for k, v in {**LECTURE, **changes}.items() if k not in drop}
    if isinstance(spec.get("iterations"), int):
        spec["iterations"] = min(spec["iterations"], 3)
    with no_warnings():
        try:
            problem = load_problem(spec)
        except TracerError as err:
            assert "\n" not in str(err) and str(err)
            return
        from tracer.api import render_problem

        for fmt in ("markdown", "json"):
            try:
                render_problem(problem, fmt)
            except TracerError as err:
                assert "\n" not in str(err)


@FUZZ
@given(text=st.one_of(
    st.text(max_size=300),
    st.dictionaries(st.sampled_from(["iter1.yhat", "iter1.W1", "iter1.W1[1,2]", "student", "variant", "iter9.a1",
                                     "iter1.grad.W2", "x" * 300, "iter1.h1"]), _values, max_size=5)
    .map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
), fmt=st.sampled_from(["yaml", "json", "csv"]))
def test_fuzz_answer_files(text, fmt):
    with no_warnings():
        try:
            report = CHECKER.check_sheet(parse_answers(text.encode("utf-8", "surrogatepass"), fmt), source="fuzz")
        except AnswerError as err:  # not gradable, with its reason
            assert "\n" not in str(err) and str(err)
            return
        assert report.exit_code in (0, 1)


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=10), max_size=3), max_size=6))
def test_fuzz_rosters(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("roster") / "r.csv"
    path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8", errors="surrogatepass")
    try:
        ids = read_roster(path)
    except TracerError as err:
        assert "\n" not in str(err)
        return
    assert len({i.casefold() for i in ids}) == len(ids)


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
            for p in sorted(folder.rglob("*")) if not p.is_symlink()}


_paths = st.sampled_from(["spec.yaml", "rand.yaml", "alice.yaml", "roster.csv", "out.md", "out", "link.md", "-",
                          "missing/x.md", ".", "gb.csv", "/dev/null"])
_argvs = st.one_of(
    st.tuples(st.just("render"), _paths, st.sampled_from(["--to"]), st.sampled_from(["latex", "markdown", "json",
              "answers", "moodle", "pdf"]), st.just("-o"), _paths),
    st.tuples(st.just("render"), _paths, st.sampled_from(["--iterations", "--decimals", "--budget"]),
              st.sampled_from(["0", "1", "-3", "13", "1e9", "x", "100000"])),
    st.tuples(st.just("check"), _paths, _paths, st.sampled_from(["--gradebook", "--format"]), _paths),
    st.tuples(st.just("check"), _paths, _paths, st.just("--seed"), st.sampled_from(["1", "-1", "x"]),
              st.sampled_from(["--count", "--roster"]), st.sampled_from(["2", "roster.csv", "0"])),
    st.tuples(st.just("variants"), _paths, st.sampled_from(["--count", "--roster"]),
              st.sampled_from(["1", "2", "roster.csv", "0"]), st.just("--seed"), st.just("1"), st.just("-o"), _paths,
              st.sampled_from(["--force", "--to=latex", "--to=moodle", "--space=2"])),
    st.lists(st.sampled_from(["render", "check", "variants", "schema", "examples", "-o", "--to", "json", "spec.yaml",
                              "--example", "lecture-2-2-1", "--help", "--seed", "1", "x"]), max_size=6).map(tuple),
)


@FUZZ
@given(argv=_argvs)
def test_fuzz_command_lines_and_output_paths(tmp_path_factory, argv):
    root = tmp_path_factory.mktemp("cli")
    work, outside = root / "work", root / "outside"
    work.mkdir()
    outside.mkdir()
    (outside / "precious.txt").write_text("keep\n")
    (work / "spec.yaml").write_text(LECTURE_TEXT)
    (work / "rand.yaml").write_text(LECTURE_TEXT + "randomize: true\n")
    (work / "alice.yaml").write_text("student: alice\niter1.yhat: 0.8933\n")
    (work / "roster.csv").write_text("id\nalice\nbob\n")
    (work / "link.md").symlink_to(outside / "precious.txt")
    inputs = {n: (work / n).read_bytes() for n in ("spec.yaml", "rand.yaml", "alice.yaml", "roster.csv")}
    before_outside = _digest(outside)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(work)
    try:
        with no_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(argv))
            except SystemExit as exit_:  # argparse: usage errors and --help
                code = exit_.code
    finally:
        os.chdir(cwd)
    assert code in (0, 1, 2), (argv, code, err.getvalue())
    lines = err.getvalue().splitlines()
    assert "Traceback" not in err.getvalue()
    if code == 2 and lines and lines[0].startswith("error:"):
        assert len(lines) == 1, lines
    # Only what the command was told to write may change, and never one of its inputs.
    outputs = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-o", "--gradebook")}
    named_inputs = {a for i, a in enumerate(argv) if a in inputs and (i == 0 or argv[i - 1] not in ("-o", "--gradebook"))}
    changed = {n for n, data in inputs.items() if (work / n).read_bytes() != data}
    assert not changed & named_inputs, (argv, changed)
    assert changed <= outputs, (argv, changed)
    assert _digest(outside) == before_outside, argv
    assert (work / "link.md").is_symlink()
