"""Batch commands in a process pool (`--jobs N`, tracer/pool.py): the output of one process.

Every comparison runs the same command with `--jobs 1` (no pool) and `--jobs 2` in the same
folder, with relative paths, and compares the files byte for byte, stdout, stderr and the
exit status. Batches are large enough to go to the pool (at least 2 x jobs items).
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer import pool
from tracer.engine import run
from tracer.errors import SpecError, TracerError
from tracer.grade.check import Checker
from tracer.grade.gradebook import answer_files, write_gradebook
from tracer.homework.variants import Generator, _fingerprint, answer_key, numbered_ids, write_variants
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE = REPO / "examples" / "lecture-2-2-1.yaml"


def example(name: str, **changes) -> dict:
    spec = yaml.safe_load((REPO / "examples" / f"{name}.yaml").read_text())
    spec.pop("published", None)
    spec.update(changes)
    return spec


HOMEWORK = example("lecture-2-2-1", iterations=1, randomize=True)
# 4 possible draws: 4 variants take them all, and some first draws repeat an earlier variant
TINY = {**HOMEWORK, "randomize": {"params": "none", "data": {"x": {"grid": {"low": 1, "high": 2, "step": 1}}},
                                  "constraints": {"min_gradient": 0, "max_preactivation": None}}}


def bptrace(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def both(cwd: Path, *args, out: str):
    """(stdout, stderr, exit status, files of `out`) for --jobs 1 and for --jobs 2, `out` emptied between."""
    results = []
    for jobs in (1, 2):
        target = cwd / out
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        done = bptrace(*args, "--jobs", jobs, cwd=cwd)
        files = tree(target) if target.is_dir() else ({out: target.read_bytes()} if target.exists() else {})
        results.append((done.stdout, done.stderr, done.returncode, files))
    return results


def f4(x) -> str:
    return f"{float(np.ravel(x)[0]):.4f}"


@pytest.fixture()
def submissions(tmp_path):
    """Correct, wrong, partial and not gradable answer files of the lecture example."""
    true = run(load_problem(LECTURE)).values
    folder = tmp_path / "subs"
    folder.mkdir()
    for n in range(6):
        lines = [f"student: s{n}", f"iter1.yhat: {f4(true['iter1.yhat'])}", f"iter1.loss: {f4(true['iter1.loss'])}"]
        if n % 3 == 1:
            lines[1] = "iter1.yhat: 0.1234"  # wrong
        if n % 3 == 2:
            lines.append(f"iter1.delta2: {f4(true['iter1.delta2'])}")
        (folder / f"s{n}.yaml").write_text("\n".join(lines) + "\n")
    (folder / "bad.json").write_bytes(b'{"iter1.yhat": NaN}')
    (folder / "bomb.yaml").write_bytes(b"a: &a [1,1]\nb: [*a,*a]\n")
    (folder / "words.csv").write_bytes(b"iter1.yhat,=1+2\n")
    (folder / "unknown.yaml").write_text("student: z\niter1.nope: 1\n")
    shutil.copy(LECTURE, tmp_path / "spec.yaml")
    return tmp_path


# -- check ----------------------------------------------------------------------------------


def test_check_to_a_gradebook_is_the_same_with_a_pool(submissions):
    one, two = both(submissions, "check", "spec.yaml", "subs", "--gradebook", "gb.csv", out="gb.csv")
    assert one == two
    stdout, _, code, files = one
    assert code == 2 and stdout == "graded 7 of 10 files; 3 not gradable; gradebook: gb.csv\n"
    rows = files["gb.csv"].decode().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == [str(p.relative_to(submissions))
                                                   for p in answer_files([submissions / "subs"])]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_check_reports_and_their_errors_are_the_same_with_a_pool(submissions, fmt):
    one, two = both(submissions, "check", "spec.yaml", "subs", "--format", fmt, out="none")
    assert one == two
    _, stderr, code, _ = one
    assert code == 2
    assert [line.split(":")[1].strip() for line in stderr.splitlines()] == [
        "subs/bad.json", "subs/bomb.yaml", "subs/words.csv"]  # one line each, in file order


@pytest.mark.parametrize("count", [("--count", 4), ()])
def test_check_with_seed_is_the_same_with_a_pool(tmp_path, count):
    """Keys of variants drawn with duplicate redraws, a wrong one, one past --count, one without an id."""
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump(TINY))
    gen = Generator(load_problem(TINY), 7)
    variants = list(gen.generate(numbered_ids(4)))
    assert any(v.redrawn for v in variants)
    subs = tmp_path / "subs"
    subs.mkdir()
    for v in variants:
        (subs / f"{v.id}.json").write_text(answer_key(v))
        wrong = json.loads(answer_key(v))
        wrong["iter1.yhat"] = 0.5
        (subs / f"{v.id}-wrong.json").write_text(json.dumps(wrong))
    (subs / "past.json").write_text(json.dumps({"variant": "v009", "iter1.yhat": 0.5}))
    (subs / "nobody.json").write_text(json.dumps({"iter1.yhat": 0.5}))
    one, two = both(tmp_path, "check", "hw.yaml", "subs", "--seed", 7, *count, "--gradebook", "gb.csv", out="gb.csv")
    assert one == two
    rows = {r["file"]: r["status"] for r in csv.DictReader(io.StringIO(one[3]["gb.csv"].decode()))}
    assert all(rows[f"subs/{v.id}.json"] == rows[f"subs/{v.id}-wrong.json"] == "graded" for v in variants)
    assert rows["subs/past.json"].startswith("not gradable: v009: past the numbered variants drawn (--count 4)" if count
                                             else "not gradable: v009: variant v005: no draw met the constraints")
    assert rows["subs/nobody.json"] == "not gradable: no student or variant id: with --seed, the variant is found from it"
    assert one[2] == 2


def test_a_spawned_pool_gives_the_same_gradebook(submissions, monkeypatch):
    """Elsewhere than Linux workers are spawned: the checker travels pickled."""
    checker = Checker(load_problem(submissions / "spec.yaml"))
    files = answer_files([submissions / "subs"])
    write_gradebook(checker, files, submissions / "one.csv", progress=False, jobs=1)
    monkeypatch.setattr(pool, "FORK", False)
    write_gradebook(checker, files, submissions / "two.csv", progress=False, jobs=2)
    assert (submissions / "one.csv").read_bytes() == (submissions / "two.csv").read_bytes()


# -- variants -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "latex", "moodle"])
def test_variants_are_the_same_with_a_pool_duplicate_redraws_included(tmp_path, fmt):
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump(TINY))
    one, two = both(tmp_path, "variants", "hw.yaml", "--count", 4, "--seed", 7, "--to", fmt, "-o", "out", out="out")
    assert one == two
    stdout, stderr, code, files = one
    assert code == 0 and stdout.startswith("wrote 4 variants")
    manifest = json.loads(files["variants.json"])
    redrawn = [v["id"] for v in manifest["variants"] if v["redrawn_for_duplicate"]]
    assert redrawn and all(f"note: {vid}'s first acceptable draw repeated" in stderr for vid in redrawn)


def test_variants_of_a_roster_are_the_same_with_a_pool(tmp_path):
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump(HOMEWORK))
    (tmp_path / "roster.csv").write_text("id\n" + "".join(f"s{k}\n" for k in range(6)))
    one, two = both(tmp_path, "variants", "hw.yaml", "--roster", "roster.csv", "--seed", 3, "--to", "markdown",
                    "-o", "out", out="out")
    assert one == two and one[2] == 0 and len(one[3]) == 6 * 5 + 1


def test_a_variant_that_cannot_be_drawn_stops_at_the_same_place_with_a_pool(tmp_path):
    """Five variants of four possible draws: v005 fails, v001 to v004 are written, no manifest."""
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump({**TINY, "randomize": {**TINY["randomize"], "attempts": 60}}))
    one, two = both(tmp_path, "variants", "hw.yaml", "--count", 5, "--seed", 7, "--to", "markdown", "-o", "out",
                    out="out")
    assert one == two
    stdout, stderr, code, files = one
    assert code == 2 and stdout == ""
    assert stderr.splitlines()[-1].startswith("error: variant v005: no draw met the constraints in 60 attempts")
    assert sorted({name.split(".")[0] for name in files}) == ["v001", "v002", "v003", "v004"]


def test_a_rendering_error_writes_the_same_files_with_a_pool(tmp_path, monkeypatch):
    """An error in the middle of one variant: the files before it are written, as in one process
    (the patch is inherited by forked workers)."""
    import tracer.homework.variants as variants

    real = variants.answer_key

    def failing(v, student=False):
        if v.id == "v005":
            raise TracerError("v005: the key cannot be written")
        return real(v, student)

    monkeypatch.setattr(variants, "answer_key", failing)
    outcomes = []
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}"
        with pytest.raises(TracerError, match="^v005: the key cannot be written$"):
            write_variants(Generator(load_problem(HOMEWORK), 7), numbered_ids(8), "markdown", out, jobs=jobs)
        outcomes.append(tree(out))
    assert outcomes[0] == outcomes[1]
    assert "v005.key.md" in outcomes[0] and "v005.key.json" not in outcomes[0] and "v006.problem.md" not in outcomes[0]


def test_candidate_then_settle_is_the_sequential_draw():
    """What the pool relies on: variant(vid, taken) == settle(candidate(vid), taken), redraws included."""
    gen = Generator(load_problem(TINY), 7)
    taken: set = set()
    for vid in numbered_ids(4):
        v = gen.variant(vid, taken)
        w = gen.settle(*gen.candidate(vid), taken)
        assert (v.attempt, v.redrawn, v.problem.data[0].x.tolist()) == (w.attempt, w.redrawn, w.problem.data[0].x.tolist())
        taken.add(_fingerprint(v.problem))
    assert any(v.redrawn for v in gen.generate(numbered_ids(4)))


# -- render of several specs ------------------------------------------------------------------


SPECS = ["lecture-2-2-1", "graph-homework", "xor-gd", "softmax-3-class", "perceptron-and"]


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_render_of_several_specs_is_the_same_with_a_pool_and_as_one_by_one(tmp_path, fmt):
    for name in SPECS:
        shutil.copy(REPO / "examples" / f"{name}.yaml", tmp_path)
    specs = [f"{name}.yaml" for name in SPECS]
    one, two = both(tmp_path, "render", *specs, "--to", fmt, "-o", "out", out="out")
    assert one == two
    stdout, stderr, code, files = one
    assert (stdout, stderr, code) == ("", "", 0)
    suffix = {"markdown": ".md", "json": ".json"}[fmt]
    (tmp_path / "single").mkdir()
    for name in SPECS:
        done = bptrace("render", f"{name}.yaml", "--to", fmt, "-o", f"single/{name}{suffix}", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert files == tree(tmp_path / "single")


def test_render_of_several_specs_stops_at_the_first_bad_one(tmp_path):
    for name in SPECS:
        shutil.copy(REPO / "examples" / f"{name}.yaml", tmp_path)
    (tmp_path / "bad.yaml").write_text("layers: [2, 2, 1]\nepochs: 3\n")
    specs = ["lecture-2-2-1.yaml", "xor-gd.yaml", "bad.yaml", "softmax-3-class.yaml", "perceptron-and.yaml"]
    one, two = both(tmp_path, "render", *specs, "--to", "json", "-o", "out", out="out")
    assert one == two
    stdout, stderr, code, files = one
    assert code == 2 and stdout == "" and stderr.startswith("error: ") and len(stderr.splitlines()) == 1
    assert sorted(files) == ["lecture-2-2-1.json", "xor-gd.json"]


@pytest.mark.parametrize("args,message", [
    (("a.yaml", "b.yaml"), "error: several SPECs need -o DIR: each is written into DIR as <spec name>.md"),
    (("a.yaml", "sub/a.yaml", "-o", "out"), "error: sub/a.yaml: a.yaml is also written to a.md; render specs of "
                                            "the same name into different folders"),
])
def test_render_of_several_specs_errors(tmp_path, args, message):
    done = bptrace("render", *args, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message + "\n")


# -- --jobs and the pool ----------------------------------------------------------------------


@pytest.mark.parametrize("value,message", [
    ("0", "--jobs: expected a whole number >= 1, got 0"),
    ("-2", "--jobs: expected a whole number >= 1, got -2"),
    ("two", "--jobs: expected a whole number, got 'two'"),
    ("1.5", "--jobs: expected a whole number, got '1.5'"),
])
@pytest.mark.parametrize("command", [
    ("check", str(LECTURE), str(LECTURE)),
    ("variants", str(LECTURE), "--count", "2", "--seed", "1", "-o", "out"),
    ("render", str(LECTURE)),
])
def test_jobs_must_be_a_whole_number_from_1(tmp_path, command, value, message):
    done = bptrace(*command, f"--jobs={value}", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()


def _square(offset, x):
    if x == 13:
        raise SpecError("data[13]", "unlucky")
    return x * x + offset


def test_ordered_map_keeps_order_and_raises_an_error_in_its_turn():
    got = []
    with pytest.raises(SpecError) as err:
        for value in pool.ordered_map(_square, range(40), state=1, jobs=2, chunksize=3):
            got.append(value)
    assert got == [x * x + 1 for x in range(13)]
    assert (err.value.where, str(err.value)) == ("data[13]", "data[13]: unlucky")
    assert multiprocessing.active_children() == []  # the pool is gone


def test_a_small_batch_stays_in_this_process():
    assert not pool.pooled(3, 2) and pool.pooled(4, 2) and not pool.pooled(1000, 1)
    assert list(pool.ordered_map(_square, range(3), state=0, jobs=2)) == [0, 1, 4]
    assert multiprocessing.active_children() == []


def test_an_exception_that_does_not_pickle_crosses_as_its_text():
    class Local(TracerError):
        exit_code = 3

    stand_in = pool.portable(Local("a reason"))
    assert type(stand_in) is TracerError and str(stand_in) == "a reason" and stand_in.exit_code == 3
    back = pickle.loads(pickle.dumps(stand_in))
    assert str(back) == "a reason" and back.exit_code == 3
    assert pool.portable(SpecError("x", "y")).where == "x"


def test_prefetched_variants_are_the_ones_a_lookup_replays():
    """check --seed with --count or a roster draws the batch ahead in a pool (Lookup.prefetch):
    the same variants, and a draw that fails is met again, with the same error, in its turn."""
    from tracer.homework.variants import Lookup

    spec = {**TINY, "randomize": {**TINY["randomize"], "attempts": 60}}  # v005 cannot be drawn
    ahead, replayed = Lookup(Generator(load_problem(spec), 7), count=6), Lookup(Generator(load_problem(spec), 7), count=6)
    ahead.prefetch(6, jobs=2)
    assert len(ahead._batch) == 4
    for vid in numbered_ids(4):
        a, b = ahead.variant(vid), replayed.variant(vid)
        assert (a.attempt, a.redrawn, a.problem.data[0].x.tolist()) == (b.attempt, b.redrawn, b.problem.data[0].x.tolist())
    errors = []
    for lookup in (ahead, replayed):
        with pytest.raises(TracerError) as err:
            lookup.variant("v006")
        errors.append(str(err.value))
    assert errors[0] == errors[1] and errors[0].startswith("variant v005: no draw met the constraints")


def test_ctrl_c_leaves_no_half_written_file_and_no_worker(tmp_path):
    """Ctrl-C reaches the whole process group: the workers ignore it, the parent stops the pool,
    removes the file it was writing and exits 130."""
    import signal
    import time

    (tmp_path / "hw.yaml").write_text(yaml.safe_dump(HOMEWORK))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "tracer.cli", "variants", "hw.yaml", "--count", "200", "--seed", "1",
                             "-o", "out", "--jobs", "2"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((tmp_path / "out").glob("*.md"))) < 20 and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stdout, stderr) == (130, "", "error: interrupted\n")
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]
    assert not (tmp_path / "out" / "variants.json").exists()
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # nothing of the group is left running
        os.killpg(proc.pid, 0)


def test_no_processes_to_be_had_means_the_work_is_done_here(monkeypatch):
    class NoProcesses:
        def Pool(self, *args, **kwargs):  # noqa: N802 - multiprocessing's name
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: NoProcesses())  # tracer.pool imports it when it starts a pool
    assert list(pool.ordered_map(_square, range(6), state=2, jobs=2)) == [x * x + 2 for x in range(6)]
