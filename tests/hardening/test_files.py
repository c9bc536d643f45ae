"""Writes never lose data; reads take only regular files, capped (tracer.files and its users)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracer.files import (
    FileError,
    OutputFolder,
    atomic_open,
    check_output,
    read_limited,
    write_text,
)

REPO = Path(__file__).resolve().parents[2]
LECTURE = REPO / "examples" / "lecture-2-2-1.yaml"


def bptrace(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def one_error(result, *words):
    assert result.returncode == 2, result
    assert result.stdout == "" or "error" not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# -- the library ---------------------------------------------------------------------


def test_atomic_open_leaves_the_old_file_whole_when_the_block_fails(tmp_path):
    target = tmp_path / "out.md"
    target.write_text("old contents\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half of the new")
            raise RuntimeError("render failed")
    assert target.read_text() == "old contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md"]  # no temporary left behind


def test_an_unencodable_character_is_an_error_and_the_old_file_stays(tmp_path):
    target = tmp_path / "out.md"
    target.write_text("old\n")
    with pytest.raises(FileError, match="UTF-8 cannot carry"):
        write_text(target, "title \ud800")
    assert target.read_text() == "old\n"


def test_written_files_get_the_usual_permissions(tmp_path):
    write_text(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_check_output_refuses_links_folders_and_inputs(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("x: 1\n")
    (tmp_path / "link.md").symlink_to(spec)
    with pytest.raises(FileError, match="symbolic link"):
        check_output(tmp_path / "link.md")
    with pytest.raises(FileError, match="is a folder"):
        check_output(tmp_path)
    with pytest.raises(FileError, match="also an input"):
        check_output(tmp_path / "." / "spec.yaml", [spec])
    (tmp_path / "hard.yaml").hardlink_to(spec)
    with pytest.raises(FileError, match="also an input"):
        check_output(tmp_path / "hard.yaml", [spec])
    assert check_output(tmp_path / "new.md", [spec]) == tmp_path / "new.md"


def test_read_limited_takes_only_capped_regular_files(tmp_path):
    f = tmp_path / "a"
    f.write_bytes(b"12345")
    assert read_limited(f, 5) == b"12345"
    with pytest.raises(FileError, match="more than the 4-byte limit"):
        read_limited(f, 4)
    with pytest.raises(FileError, match="not a regular file"):
        read_limited("/dev/zero", 1 << 20)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FileError, match="not a regular file"):  # opened non-blocking: no hang
        read_limited(fifo, 10)


def test_output_folder_refuses_links_and_existing_files_unless_forced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (out / "v001.md").symlink_to(outside)
    folder = OutputFolder(out, force=True)
    with pytest.raises(FileError, match="symbolic links .* v001.md"):
        folder.check(["v001.md", "v002.md"])
    (out / "v001.md").unlink()
    (out / "v001.md").write_text("earlier\n")
    with pytest.raises(FileError, match=r"would replace existing files \(v001.md\); pass --force"):
        OutputFolder(out).check(["v001.md", "v002.md"])
    OutputFolder(out, force=True).check(["v001.md"])
    (tmp_path / "linked").symlink_to(out)
    with pytest.raises(FileError, match="output folder is a symbolic link"):
        OutputFolder(tmp_path / "linked")
    assert outside.read_text() == "precious\n"


# -- the commands --------------------------------------------------------------------


@pytest.fixture
def sheets(tmp_path):
    for who in ("alice", "bob"):
        (tmp_path / f"{who}.yaml").write_text(f"student: {who}\niter1.yhat: 0.8933\n")
    return tmp_path


@pytest.mark.parametrize("target", ["alice.yaml", "spec.yaml"])
def test_gradebook_never_overwrites_an_input(sheets, target):
    (sheets / "spec.yaml").write_bytes(LECTURE.read_bytes())
    before = {p.name: p.read_bytes() for p in sheets.iterdir()}
    one_error(bptrace("check", "spec.yaml", "alice.yaml", "bob.yaml", "--gradebook", target, cwd=sheets),
              "also an input", "refusing")
    assert {p.name: p.read_bytes() for p in sheets.iterdir()} == before


def test_gradebook_refuses_a_link_and_a_file_that_is_not_a_gradebook(sheets):
    victim = sheets / "notes.txt"
    victim.write_text("my notes\n")
    (sheets / "gb.csv").symlink_to(victim)
    one_error(bptrace("check", LECTURE, "alice.yaml", "--gradebook", "gb.csv", cwd=sheets), "symbolic link")
    one_error(bptrace("check", LECTURE, "alice.yaml", "--gradebook", "notes.txt", cwd=sheets), "not a gradebook")
    assert victim.read_text() == "my notes\n"


def test_a_gradebook_is_replaced_by_the_next_run(sheets):
    assert bptrace("check", LECTURE, "alice.yaml", "bob.yaml", "--gradebook", "gb.csv", cwd=sheets).returncode == 0
    assert bptrace("check", LECTURE, "alice.yaml", "--gradebook", "gb.csv", cwd=sheets).returncode == 0
    assert (sheets / "gb.csv").read_text().splitlines()[1:] == ["alice.yaml,alice,1,1,,graded,0,0"]  # imprecise, diagnoses


def test_gradebook_cells_with_separators_are_quoted(sheets):
    (sheets / "carol.yaml").write_text('student: "x;=cmd,1"\niter1.yhat: 0.8933\n')
    assert bptrace("check", LECTURE, "carol.yaml", "--gradebook", "gb.csv", cwd=sheets).returncode == 0
    import csv

    for sep in (",", ";"):
        rows = list(csv.reader((sheets / "gb.csv").open(newline=""), delimiter=sep))
        cells = [c for row in rows for c in row]
        assert not any(c.startswith("=") for c in cells), (sep, rows)
    assert list(csv.reader((sheets / "gb.csv").open(newline="")))[1][1] == "x;'=cmd,1"


def test_render_refuses_to_write_onto_its_spec(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(LECTURE.read_bytes())
    one_error(bptrace("render", spec, "-o", spec), "also an input")
    assert spec.read_bytes() == LECTURE.read_bytes()


def test_render_through_a_symlink_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    (tmp_path / "out.md").symlink_to(victim)
    one_error(bptrace("render", "--example", "lecture-2-2-1", "-o", tmp_path / "out.md"), "symbolic link")
    assert victim.read_text() == "keep\n"


def test_a_refused_spec_leaves_an_existing_output_whole(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(LECTURE.read_text() + 'shuffle_seed: 1\nnotation: {base: lecture, symbols: {loss: "\\ud800"}}\n')
    out = tmp_path / "out.md"
    out.write_text("earlier handout\n")
    one_error(bptrace("render", spec, "-o", out), "notation.symbols.loss", "UTF-8 cannot carry")
    assert out.read_text() == "earlier handout\n"


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_specs_and_rosters_must_be_regular_files(tmp_path, kind):
    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    one_error(bptrace("render", path), "not a regular file")
    spec = tmp_path / "rand.yaml"
    spec.write_text(LECTURE.read_text() + "randomize: true\n")
    one_error(bptrace("variants", spec, "--roster", path, "--seed", "1", "-o", tmp_path / "out"), "not a regular file")


@pytest.mark.parametrize("value, words", [
    ("!!timestamp 2001-12-14", ("title", "a date")),
    ("2001-12-14 10:00:00", ("title", "a date and time")),
    ("!!binary aGVsbG8=", ("title", "binary data")),
    ('"\\ud800"', ("title", "UTF-8 cannot carry")),
])
def test_non_plain_values_in_a_spec_are_refused(tmp_path, value, words):
    spec = tmp_path / "spec.yaml"
    spec.write_text(LECTURE.read_text().replace('title: "2-2-1 network, three iterations of SGD"', f"title: {value}"))
    assert f"title: {value}" in spec.read_text()
    one_error(bptrace("render", spec), *words)


def test_a_key_with_a_line_break_cannot_forge_a_second_error_line(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"layers\nerror: forged": 1}))
    one_error(bptrace("render", spec), "control characters")


@pytest.mark.parametrize("rows, words", [
    ("alice\nAlice\n", ("'Alice' already on row 2", "differ only in case")),
    ("bob\ncon\n", ("'con'", "reserves")),
    ("bob\nCOM1.txt\n", ("'COM1.txt'", "reserves")),
])
def test_roster_ids_clash_case_insensitively_and_avoid_reserved_names(tmp_path, rows, words):
    spec = tmp_path / "rand.yaml"
    spec.write_text(LECTURE.read_text() + "randomize: true\n")
    (tmp_path / "roster.csv").write_text("id\n" + rows)
    one_error(bptrace("variants", spec, "--roster", tmp_path / "roster.csv", "--seed", "1", "-o", tmp_path / "o"), *words)
    assert not (tmp_path / "o").exists()


def test_symlinked_answer_files_are_not_followed(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "alice.yaml").write_text("student: alice\niter1.yhat: 0.8933\n")
    (folder / "os.csv").symlink_to("/etc/os-release")
    (folder / "pw.yaml").symlink_to("/etc/passwd")
    result = bptrace("check", LECTURE, folder, "--gradebook", tmp_path / "gb.csv")
    assert result.returncode == 2
    rows = (tmp_path / "gb.csv").read_text().splitlines()
    assert len(rows) == 4
    assert all("not gradable: symbolic link" in r for r in rows if "os.csv" in r or "pw.yaml" in r)
    assert "root:" not in (tmp_path / "gb.csv").read_text() and "ID=" not in (tmp_path / "gb.csv").read_text()
    direct = bptrace("check", LECTURE, folder / "pw.yaml")
    assert direct.returncode == 2 and "symbolic link" in direct.stderr and "root:" not in direct.stderr + direct.stdout
