"""The Jinja environment is built once per process and format: a second render compiles nothing
and writes the same text; a user template edited on disk is still read afresh."""

from __future__ import annotations

import os
import time

import jinja2
import pytest

from tracer.api import trace
from tracer.problem.examples import example_path
from tracer.present.render import make_environment, render_view
from tracer.present.view import build_view


@pytest.fixture(scope="module")
def view():
    return build_view(trace(example_path("lecture-2-2-1")))


@pytest.fixture
def compiles(monkeypatch):
    """The templates Jinja compiles from here on (names), across every environment."""
    names = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


@pytest.mark.parametrize("fmt", ["latex", "markdown", "html"])
def test_a_second_render_reuses_the_environment_and_compiles_nothing(view, compiles, fmt):
    first = render_view(view, fmt)
    compiled_first = list(compiles)
    second = render_view(view, fmt)
    assert second == first
    assert compiles == compiled_first  # the second render compiled no template
    assert make_environment(fmt) is make_environment(fmt)
    assert make_environment(fmt) is not make_environment("latex" if fmt != "latex" else "markdown")


def test_user_folders_get_their_own_environment_and_edits_are_seen(view, tmp_path, compiles):
    mine = tmp_path / "mine.tex.j2"
    mine.write_text('((* extends "base.tex.j2" *))\n((* block summary *))FIRST((* endblock summary *))\n')
    assert make_environment("latex", [tmp_path]) is make_environment("latex", [str(tmp_path)])
    assert make_environment("latex", [tmp_path]) is not make_environment("latex")
    assert "FIRST" in render_view(view, "latex", template="mine.tex.j2", extra_dirs=[tmp_path])
    mine.write_text('((* extends "base.tex.j2" *))\n((* block summary *))SECOND((* endblock summary *))\n')
    later = time.time() + 5  # Jinja compares modification times: make the edit unmistakably newer
    os.utime(mine, (later, later))
    tex = render_view(view, "latex", template="mine.tex.j2", extra_dirs=[tmp_path])
    assert "SECOND" in tex and "FIRST" not in tex


def test_a_relative_folder_is_keyed_by_where_it_points(tmp_path, monkeypatch):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    monkeypatch.chdir(tmp_path / "one")
    here = make_environment("markdown", ["."])
    monkeypatch.chdir(tmp_path / "two")
    assert make_environment("markdown", ["."]) is not here
    assert make_environment("markdown", ["."]).globals["search_path"][0] == "."
