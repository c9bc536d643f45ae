"""Batch grading: one gradebook row per file, whatever the file contains."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tracer.engine import run
from tracer.grade.answers import MAX_BYTES
from tracer.grade.check import Checker
from tracer.grade.gradebook import (
    COLUMNS,
    Progress,
    answer_files,
    inert,
    write_gradebook,
)
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE_FILE = REPO / "examples" / "lecture-2-2-1.yaml"
PROBLEM = load_problem(LECTURE_FILE)
TRUE = run(PROBLEM).values


def f4(x) -> str:
    return f"{float(np.ravel(x)[0]):.4f}"


GOOD = {
    "alice.yaml": f"student: alice\niter1.yhat: {f4(TRUE['iter1.yhat'])}\niter1.loss: {f4(TRUE['iter1.loss'])}\n",
    "bob.json": json.dumps({"student_id": "bob", "iter1.a2": "2.2", "iter1.yhat": f4(1 / (1 + np.exp(-2.2)))}),
    "carol.csv": f"key,value\nstudent,carol\niter1.yhat,{f4(TRUE['iter1.yhat'])}\n",
    "nobody.yml": f"iter1.yhat: {f4(TRUE['iter1.yhat'])}\n",
}
BAD = {  # file name -> (bytes, a piece of the reason)
    "alias-bomb.yaml": (b"a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
                        "YAML aliases are not allowed"),
    "huge.yaml": (b"iter1.yhat: 0.8933\n" + b"#" * (MAX_BYTES + 10), "byte limit"),
    "nan.json": (b'{"iter1.yhat": NaN}', "must be finite"),
    "deep.yaml": (b"iter1.yhat: " + b"[" * 500 + b"]" * 500, "nested deeper than"),
    "ctrl-key.yaml": (b'"iter1.yhat\\x1b]0;pwned\\x07": 0.5\n', "control characters"),
    "junk.bin": (bytes(range(256)) * 8, "not UTF-8"),
    "nul.yaml": (b"iter1.yhat: 0.8933\x00\n", "NUL"),
    "twice.yaml": (b"iter1.h1: [0.7685, 0.8581]\niter1.h1[1]: 0.7685\n", "answered more than once"),
    "words.csv": (b"iter1.yhat,=1+2\n", "is not a number"),
    "list.yaml": (b"- 1\n- 2\n", "expected a mapping"),
    "=cmd|' -C calc'!A0.yaml": (b"student: '@SUM(1+1)'\niter1.yhat: nan\n", "must be finite"),
}


@pytest.fixture()
def submissions(tmp_path):
    folder = tmp_path / "submissions"
    (folder / "late").mkdir(parents=True)
    for name, text in GOOD.items():
        (folder / name).write_text(text)
    for name, (data, _) in BAD.items():
        (folder / name).write_bytes(data)
    (folder / "late" / "dave.yaml").write_text("student: '-dave'\niter1.yhat: 0.5\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.yaml")  # would block a naive reader forever
    return folder


def read_rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_one_row_per_file_good_malformed_and_hostile(submissions, tmp_path):
    out = tmp_path / "gradebook.csv"
    files = answer_files([submissions])
    batch = write_gradebook(Checker(PROBLEM), files, out, progress=False)
    rows = read_rows(out)
    assert list(rows[0]) == list(COLUMNS)
    names = [Path(r["file"].lstrip("'")).name for r in rows]
    expected = sorted(list(GOOD) + list(BAD) + (["pipe.yaml"] if hasattr(os, "mkfifo") else [])) + ["dave.yaml"]
    assert names == expected  # every file once, in order, the subfolder after; hidden files skipped
    by_name = dict(zip(names, rows))
    for name in GOOD:
        assert by_name[name]["status"] == "graded", (name, by_name[name])
    for name, (_, reason) in BAD.items():
        assert by_name[name]["status"].startswith("not gradable: "), name
        assert reason in by_name[name]["status"], (name, by_name[name]["status"])
        assert by_name[name]["points"] == by_name[name]["max"] == ""
    if hasattr(os, "mkfifo"):
        assert by_name["pipe.yaml"]["status"] == "not gradable: not a regular file"
    assert batch.exit_code == 2
    assert batch.summary() == f"graded {len(GOOD) + 1} of {len(rows)} files; {len(rows) - len(GOOD) - 1} not gradable"


def test_graded_rows_carry_id_points_and_first_error(submissions, tmp_path):
    out = tmp_path / "gradebook.csv"
    write_gradebook(Checker(PROBLEM), answer_files([submissions]), out, progress=False)
    rows = {Path(r["file"]).name: r for r in read_rows(out)}
    assert [rows["alice.yaml"][k] for k in ("student", "points", "max", "first_error", "status")] == ["alice", "2", "2", "", "graded"]
    assert [rows["bob.json"][k] for k in ("student", "points", "max", "first_error")] == ["bob", "0.5", "2", "iter1.a2"]
    assert [rows["carol.csv"][k] for k in ("student", "points", "max")] == ["carol", "1", "1"]
    assert [rows["nobody.yml"][k] for k in ("student", "points")] == ["", "1"]
    assert [rows["dave.yaml"][k] for k in ("student", "points", "first_error")] == ["'-dave", "0", "iter1.yhat"]


def test_csv_injection_is_made_inert(submissions, tmp_path, monkeypatch):
    out = tmp_path / "gradebook.csv"
    monkeypatch.chdir(submissions)  # file names as given: `bptrace check SPEC . --gradebook ...`
    write_gradebook(Checker(PROBLEM), answer_files(["."]), out, progress=False)
    for row in read_rows(out):
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    hostile = [r for r in read_rows(out) if "calc" in r["file"]][0]
    assert hostile["file"] == "'=cmd|' -C calc'!A0.yaml"
    assert hostile["student"] == ""  # not gradable: its id is not read


@pytest.mark.parametrize("cell, out", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t'=1"), ("\r=1", "'\r=1"),
    ("x;=cmd", "x;'=cmd"), ("a\t-1", "a\t'-1"), ("a;b", "a;b"),
    ("alice", "alice"), ("iter1.a2", "iter1.a2"), ("0.5", "0.5"), ("", ""), ("a=b", "a=b"),
])
def test_inert_cells(cell, out):
    assert inert(cell) == out


def test_a_crash_on_one_file_costs_only_that_row(tmp_path, monkeypatch):
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (tmp_path / name).write_text(f"iter1.yhat: {f4(TRUE['iter1.yhat'])}\n")
    checker = Checker(PROBLEM)
    real = checker.check_sheet

    def flaky(sheet, source=""):
        if source.endswith("b.yaml"):
            raise ZeroDivisionError("a bug")
        return real(sheet, source)

    monkeypatch.setattr(checker, "check_sheet", flaky)
    out = tmp_path / "out" / "gb.csv"
    out.parent.mkdir()
    write_gradebook(checker, answer_files([tmp_path]), out, progress=False)
    assert [r["status"] for r in read_rows(out)] == [
        "graded", "not gradable: internal error (ZeroDivisionError); please report it", "graded"]


def test_the_gradebook_inside_the_graded_folder_is_skipped(tmp_path):
    (tmp_path / "a.yaml").write_text("iter1.yhat: 0.8933\n")
    out = tmp_path / "gradebook.csv"
    out.write_text("old run\n")
    assert answer_files([tmp_path], exclude=out) == [tmp_path / "a.yaml"]


def test_progress_bar():
    stream = io.StringIO()
    bar = Progress(40, stream, enabled=True)
    for n in range(1, 41):
        bar.update(n)
    text = stream.getvalue()
    assert text.startswith("\rgrading [") and text.endswith("] 40/40\n")
    assert "#" * 30 in text
    quiet = io.StringIO()
    Progress(1000, quiet).update(1000)  # not a terminal: nothing
    assert quiet.getvalue() == ""


def test_command_line_gradebook(submissions, tmp_path):
    out = tmp_path / "gradebook.csv"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-m", "tracer.cli", "check", str(LECTURE_FILE), str(submissions),
                             "--gradebook", str(out)], capture_output=True, text=True, env=env, timeout=120)
    rows = read_rows(out)
    assert result.returncode == 2  # some files were not gradable
    assert result.stdout.strip() == f"graded {len(GOOD) + 1} of {len(rows)} files; {len(rows) - len(GOOD) - 1} not gradable; gradebook: {out}"
    assert result.stderr == ""  # not a terminal: no progress bar
    good = tmp_path / "good"
    good.mkdir()
    (good / "a.yaml").write_text(GOOD["alice.yaml"])
    result = subprocess.run([sys.executable, "-m", "tracer.cli", "check", str(LECTURE_FILE), str(good),
                             "--gradebook", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0 and len(read_rows(out)) == 1
