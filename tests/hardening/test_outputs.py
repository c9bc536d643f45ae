"""Every writing command against a hostile output folder: links and read-only files planted
where outputs go, the inputs among them. Nothing outside the folder may change, no input may
change, and every refusal is one `error:` line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LECTURE = REPO / "examples" / "lecture-2-2-1.yaml"


def bptrace(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def snapshot(root: Path) -> dict:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(root))] = ("link", os.readlink(p))
        elif p.is_file():
            out[str(p.relative_to(root))] = ("file", hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode)
    return out


@pytest.fixture
def world(tmp_path):
    """inputs/ (spec, rand spec, roster, answers), outside/ (precious), out/ (hostile)."""
    inputs, outside, out = tmp_path / "inputs", tmp_path / "outside", tmp_path / "out"
    for d in (inputs, outside, out):
        d.mkdir()
    (inputs / "spec.yaml").write_bytes(LECTURE.read_bytes())
    (inputs / "rand.yaml").write_text(LECTURE.read_text() + "randomize: true\n")
    (inputs / "roster.csv").write_text("id\nalice\nbob\n")
    (inputs / "alice.yaml").write_text("student: alice\niter1.yhat: 0.8933\n")
    (outside / "precious.txt").write_text("keep me\n")
    names = ["out.md", "out.tex", "out.json", "gb.csv", "schema.json", "alice.problem.md", "alice.key.json",
             "v001.problem.md", "v001.key.json", "variants.json", "quiz.xml", "v001.problem.tex", "problems.tex",
             "canvas_qti.zip"]
    for i, name in enumerate(names):
        target = outside / "precious.txt" if i % 2 == 0 else inputs / "spec.yaml"
        (out / name).symlink_to(target)
    (out / "readonly.md").write_text("read only\n")
    (out / "readonly.md").chmod(0o444)
    return tmp_path


COMMANDS = [
    ("render", "inputs/spec.yaml", "-o", "out/out.md"),
    ("render", "inputs/spec.yaml", "--to", "latex", "-o", "out/out.tex"),
    ("render", "inputs/spec.yaml", "--to", "json", "-o", "out/out.json"),
    ("render", "inputs/spec.yaml", "-o", "inputs/spec.yaml"),
    ("render", "inputs/spec.yaml", "-o", "out"),
    ("schema", "-o", "out/schema.json"),
    ("check", "inputs/spec.yaml", "inputs/alice.yaml", "--gradebook", "out/gb.csv"),
    ("check", "inputs/spec.yaml", "inputs/alice.yaml", "--gradebook", "inputs/alice.yaml"),
    ("check", "inputs/spec.yaml", "inputs/alice.yaml", "--gradebook", "inputs/roster.csv"),
    ("variants", "inputs/rand.yaml", "--roster", "inputs/roster.csv", "--seed", "1", "-o", "out"),
    ("variants", "inputs/rand.yaml", "--roster", "inputs/roster.csv", "--seed", "1", "-o", "out", "--force"),
    ("variants", "inputs/rand.yaml", "--count", "1", "--seed", "1", "-o", "out", "--force"),
    ("variants", "inputs/rand.yaml", "--count", "1", "--seed", "1", "--to", "latex", "-o", "out", "--force"),
    ("variants", "inputs/rand.yaml", "--count", "1", "--seed", "1", "--to", "moodle", "-o", "out", "--force"),
    ("variants", "inputs/rand.yaml", "--count", "1", "--seed", "1", "--to", "canvas", "-o", "out", "--force"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_no_write_escapes_the_output_folder(world, args):
    before_outside, before_inputs = snapshot(world / "outside"), snapshot(world / "inputs")
    before_out = snapshot(world / "out")
    proc = bptrace(*args, cwd=world)
    assert "Traceback" not in proc.stderr
    assert snapshot(world / "outside") == before_outside
    assert snapshot(world / "inputs") == before_inputs
    assert proc.returncode == 2, (proc.stdout, proc.stderr)  # every one of these meets a link, an input or a folder
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert snapshot(world / "out") == before_out  # refused before anything was written


def test_read_only_target_is_an_error_and_stays(world):
    out = world / "out" / "readonly.md"
    proc = bptrace("render", "inputs/spec.yaml", "-o", out, cwd=world)
    if os.geteuid() == 0:  # root may replace a read-only file by renaming over it: then it is replaced whole
        assert proc.returncode == 0 and out.read_text().startswith("# ")
    else:
        assert proc.returncode == 2 and out.read_text() == "read only\n"


def test_variants_into_an_empty_folder_then_again(tmp_path):
    (tmp_path / "rand.yaml").write_text(LECTURE.read_text() + "randomize: true\n")
    first = bptrace("variants", "rand.yaml", "--count", "2", "--seed", "1", "-o", "out", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    stamp = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    again = bptrace("variants", "rand.yaml", "--count", "2", "--seed", "1", "-o", "out", cwd=tmp_path)
    assert again.returncode == 2 and "pass --force" in again.stderr and "v001.problem.md" in again.stderr
    forced = bptrace("variants", "rand.yaml", "--count", "2", "--seed", "1", "-o", "out", "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == stamp  # same seed, same files


def test_a_huge_variant_id_is_not_gradable_at_once(tmp_path):
    (tmp_path / "rand.yaml").write_text(LECTURE.read_text() + "randomize: true\n")
    (tmp_path / "a.yaml").write_text("variant: v99999999\niter1.yhat: 0.5\n")
    start = time.perf_counter()
    proc = bptrace("check", "rand.yaml", "a.yaml", "--seed", "1", cwd=tmp_path)
    assert time.perf_counter() - start < 20
    assert proc.returncode == 2 and "past the numbered variants drawn" in proc.stderr
    gb = bptrace("check", "rand.yaml", "a.yaml", "--seed", "1", "--count", "3", "--gradebook", "gb.csv", cwd=tmp_path)
    assert gb.returncode == 2
    assert "not gradable: v99999999: past the numbered variants drawn (--count 3)" in (tmp_path / "gb.csv").read_text()


def test_count_is_for_numbered_variants_with_a_seed(tmp_path):
    proc = bptrace("check", LECTURE, LECTURE, "--count", "3", cwd=tmp_path)
    assert proc.returncode == 2 and "--count goes with --seed" in proc.stderr


def test_variants_beside_their_inputs_add_files_and_change_none(world):
    before = snapshot(world / "inputs")
    proc = bptrace("variants", "inputs/rand.yaml", "--count", "1", "--seed", "1", "-o", "inputs", cwd=world)
    assert proc.returncode == 0, proc.stderr
    after = snapshot(world / "inputs")
    assert {k: after[k] for k in before} == before and len(after) > len(before)
