"""Parsed specs kept in the cache folder (tracer.problem.spec_cache): what comes back is what a fresh
parse gives, type for type; what cannot come back exactly is not kept; a damaged file is a miss."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer import cache as tracer_cache
from tracer.problem import plain, safeload, spec_cache
from tracer.problem.examples import list_examples
from tracer.problem.plain import LoadError
from tracer.problem.spec import load_problem

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BPTRACE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BPTRACE_NO_CACHE", raising=False)
    return tmp_path / "cache" / spec_cache.FOLDER


def _same(a, b) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True for ==)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b or (a != a and b != b)


def _text_keys(obj) -> bool:
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _text_keys(v) for k, v in obj.items())
    return all(map(_text_keys, obj)) if isinstance(obj, list) else True


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_comes_back_as_parsed(path, folder):
    fresh = safeload.load_file(path)
    assert _same(spec_cache.load_file(path), fresh)  # a miss: parsed, kept
    assert len(list(folder.glob("*.json"))) == 1
    assert _same(spec_cache.load_file(path), fresh)  # a hit


_keys = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=8).filter(str.isprintable)
_scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(st.characters(codec="utf-8",
                                                                               categories=("L", "N", "P", "S", "Zs")),
                                                                 max_size=12))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
                       max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _values, min_size=1, max_size=5))
def test_any_spec_comes_back_as_parsed(tmp_path_factory, spec):
    root = tmp_path_factory.mktemp("spec")
    path = root / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    suite_cache = os.environ["BPTRACE_CACHE_DIR"]  # the suite's own (tests/conftest.py)
    os.environ["BPTRACE_CACHE_DIR"] = str(root / "cache")
    try:
        fresh = safeload.load_file(path)
        assert _same(spec_cache.load_file(path), fresh)
        kept = list((root / "cache" / spec_cache.FOLDER).glob("*.json"))
        assert bool(kept) == _text_keys(fresh)  # `0E0: 1` reads as {0.0: 1}: not kept
        assert _same(spec_cache.load_file(path), fresh)
    finally:
        os.environ["BPTRACE_CACHE_DIR"] = suite_cache


def test_keys_json_cannot_carry_are_not_kept(tmp_path, folder):
    path = tmp_path / "spec.yaml"
    path.write_text("layers: [2, 1]\nnotation:\n  layers:\n    weight: {1: V}\n", encoding="utf-8")
    first = spec_cache.load_file(path)
    assert first["notation"]["layers"]["weight"] == {1: "V"}
    assert not folder.exists() or not list(folder.iterdir())
    assert _same(spec_cache.load_file(path), first)


@pytest.mark.parametrize("damage", ['{"layers": [2, NaN]}', '{"layers": [2, 1', '{"title": "a\\u0007b"}',
                                    "\xff\xfe", "[" * 100 + "]" * 100])
def test_a_damaged_kept_file_is_a_miss(tmp_path, folder, damage):
    path = tmp_path / "spec.yaml"
    path.write_text("layers: [2, 1]\ntitle: t\n", encoding="utf-8")
    spec_cache.load_file(path)
    (kept,) = folder.glob("*.json")
    kept.write_bytes(damage.encode("utf-8", "surrogateescape") if damage != "\xff\xfe" else b"\xff\xfe")
    assert spec_cache.load_file(path) == {"layers": [2, 1], "title": "t"}
    assert json.loads(kept.read_text(encoding="utf-8")) == {"layers": [2, 1], "title": "t"}  # written again


def test_a_bad_spec_says_what_a_fresh_parse_says(tmp_path, folder):
    path = tmp_path / "spec.yaml"
    path.write_text("layers: [2, 1]\nlayers: [3, 1]\n", encoding="utf-8")
    with pytest.raises(LoadError) as fresh:
        safeload.load_file(path)
    for _ in range(2):
        with pytest.raises(LoadError) as cached:
            spec_cache.load_file(path)
        assert str(cached.value) == str(fresh.value)
    assert not folder.exists()
    with pytest.raises(LoadError, match="cannot read|No such file"):
        spec_cache.load_file(tmp_path / "missing.yaml")


def test_no_cache_reads_and_writes_no_spec(tmp_path, folder, monkeypatch):
    path = tmp_path / "spec.yaml"
    path.write_text("layers: [2, 1]\n", encoding="utf-8")
    tracer_cache.set_disabled(True)
    try:
        assert spec_cache.load_file(path) == {"layers": [2, 1]}
    finally:
        tracer_cache.set_disabled(None)
    assert not folder.exists()


def test_an_edit_of_the_file_or_of_the_parser_is_another_key(tmp_path, folder):
    path = tmp_path / "spec.yaml"
    path.write_text("layers: [2, 1]\n", encoding="utf-8")
    spec_cache.load_file(path)
    path.write_text("layers: [2, 2]\n", encoding="utf-8")
    assert spec_cache.load_file(path) == {"layers": [2, 2]}
    assert len(list(folder.glob("*.json"))) == 2
    identity = spec_cache._parser_identity()
    for module in (safeload, plain):
        assert hashlib.sha256(Path(module.__file__).read_bytes()).digest() in identity
    assert hashlib.sha256(Path(yaml.__file__).read_bytes()).digest() in identity


def test_a_warm_handout_does_not_import_pyyaml(tmp_path):
    script = ("import sys\nfrom tracer.cli import main\n"
              "assert main(['render', '--example', 'lecture-2-2-1', '--to', 'markdown', '-o', 'out.md']) == 0\n"
              "print('yaml' in sys.modules)\n")
    env = {**os.environ, "BPTRACE_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    env.pop("BPTRACE_NO_CACHE", None)
    runs = [subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300) for _ in range(2)]
    assert [r.stdout.split()[-1] for r in runs] == ["True", "False"], [r.stderr for r in runs]


def test_a_json_spec_is_read_without_pyyaml(tmp_path):
    (tmp_path / "spec.json").write_text(json.dumps(yaml.safe_load((ROOT / "examples" / "lecture-2-2-1.yaml").read_text())))
    script = ("import sys\nfrom tracer.problem.spec import load_problem\n"
              "load_problem('spec.json')\nprint('yaml' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.stdout.split()[-1:] == ["False"], run.stderr


def test_examples_list_and_problems_are_the_same_from_the_cache(folder):
    before = list_examples()
    problem = load_problem(ROOT / "examples" / "lecture-2-2-1.yaml")
    assert list_examples() == before
    again = load_problem(ROOT / "examples" / "lecture-2-2-1.yaml")
    assert again.title == problem.title and (again.params["W1"] == problem.params["W1"]).all()
