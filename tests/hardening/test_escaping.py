"""One escaping policy per output: terminal text, Markdown reports, CSV cells."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracer.errors import printable
from tracer.grade.answers import parse_answers
from tracer.grade.check import Checker
from tracer.grade.report import to_markdown, to_text
from tracer.problem.examples import examples_dir
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE = examples_dir() / "lecture-2-2-1.yaml"


@pytest.mark.parametrize("text, shown", [
    ("alice", "alice"),
    ("a\x1b]0;pwned\x07b", "a\\x1b]0;pwned\\x07b"),  # OSC: sets the terminal title
    ("x\u202ey", "x\\u202ey"),  # right-to-left override
    ("one\rtwo", "one\\rtwo"),
    ("é 数 ŷ", "é 数 ŷ"),
])
def test_printable(text, shown):
    assert printable(text) == shown


def _report(doc: str):
    return Checker(load_problem(LECTURE)).check_sheet(parse_answers(doc), source="x.yaml")


HOSTILE_KEY = '"$^^5cinput{/etc/passwd}$": 1\n"<img src=x onerror=alert(1)>": 2\n"[a](http://evil)": 3\niter1.yhat: 0.8933\n'


def test_markdown_report_escapes_math_html_and_links():
    md = to_markdown(_report(HOSTILE_KEY))
    assert "$^^5c" not in md and r"\$\^\^5cinput" in md
    assert "<img" not in md and "&lt;img" in md
    assert "[a](http" not in md and r"\[a\](http" in md  # brackets escaped: no link


def test_markdown_report_through_pandoc_and_latex_does_not_read_files(tmp_path):
    if not (shutil_which("pandoc") and shutil_which("pdflatex")):
        if os.environ.get("CI"):
            pytest.fail("pandoc and pdflatex are required in CI")
        pytest.skip("needs pandoc and pdflatex")
    (tmp_path / "r.md").write_text(to_markdown(_report(HOSTILE_KEY)))
    subprocess.run(["pandoc", "r.md", "-s", "-o", "r.tex"], cwd=tmp_path, check=True)
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "r.tex"], cwd=tmp_path,
                   capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "r.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "5cinput" in text and "root:" not in text


def shutil_which(name):
    import shutil

    return shutil.which(name)


def test_text_report_escapes_control_characters_in_file_names(tmp_path):
    report = Checker(load_problem(LECTURE)).check_sheet(parse_answers("iter1.yhat: 0.8933\n"),
                                                        source="a\x1b]0;x\x07.yaml")
    text = to_text(report)
    assert "\x1b" not in text and "\x07" not in text and "a\\x1b]0;x\\x07.yaml" in text


def test_cli_never_prints_a_control_character(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "a\x1b]0;x\x07.yaml").write_text("iter1.yhat: 0.8933\n")
    (folder / "b\x1b[2J.yaml").write_text("iter1.yhat: [\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for fmt in ("text", "markdown"):
        proc = subprocess.run([sys.executable, "-m", "tracer.cli", "check", LECTURE, folder, "--format", fmt],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 2
        for stream in (proc.stdout, proc.stderr):
            assert not any(ch in stream for ch in "\x1b\x07\r"), stream
