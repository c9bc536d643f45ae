"""The engine's results, bit for bit, as they were before its speed work (commit 3db1aea).

Every case of frozen_engine.json (the examples, handmade saturated and cancelling nets, 240 drawn
networks over every activation, loss, mode, l2, frozen, show and loss convention, some diverging,
and 30 perceptrons; float for all, by-hand and exact for a share) is run again and must give the
same digest of every recorded number's bits, the same divergence, warnings and errors.
See tests/tools/frozen_engine.py for how the fixture was written and what a digest covers.

The fixture's digests hold where numpy's primitives give the bits they gave where it was written
(the platform probe); elsewhere the base tree is run from git instead (skipped without it).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import frozen_engine as fe

FIXTURE = Path(__file__).with_name("frozen_engine.json")
HEAD, *CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict:
    """{name: {arithmetic: result}} of the base tree on this machine."""
    if HEAD["probe"] == fe.platform_probe():
        return {c["name"]: c["runs"] for c in CASES}
    archive = subprocess.run(["git", "archive", HEAD["base"]], cwd=fe.REPO, capture_output=True, check=False)
    if archive.returncode != 0:
        pytest.skip(f"numpy's primitives give other bits here than where {FIXTURE.name} was written, "
                    f"and git has no commit {HEAD['base']} to run instead")
    base = tmp_path_factory.mktemp("base")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(base, filter="data")
    out = base / "frozen.json"
    subprocess.run([sys.executable, str(Path(fe.__file__)), "--write", str(out)], check=True, cwd=base,
                   env={"PYTHONPATH": str(base), "PATH": ""}, capture_output=True)
    return {c["name"]: c["runs"] for c in json.loads(out.read_text(encoding="utf-8"))[1:]}


def test_the_fixture_covers_what_it_says():
    specs = [c["spec"] for c in CASES]
    runs = [r for c in CASES for r in c["runs"].values()]
    assert {s.get("loss") for s in specs} >= {"bce", "ce", "mse", "sse", "mae", "none"}
    acts = {a for s in specs if "layers" in s
            for a in (s["activation"] if isinstance(s["activation"], list) else [s["activation"]])}
    assert acts >= {"sigmoid", "tanh", "relu", "linear", "softmax", "step", "sign"}
    assert {s.get("mode", "sgd") for s in specs if "layers" in s} == {"sgd", "gd", "minibatch"}
    assert any(s.get("l2") for s in specs) and any(s.get("frozen") for s in specs) and any("graph" in s for s in specs)
    assert {m for c in CASES for m in c["runs"]} == {"float", "by-hand", "exact"}
    assert sum(1 for r in runs if r["diverged"]) >= 20 and not any(r["error"] for r in runs)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_recorded_number_has_its_old_bits(case, expected):
    for mode, want in expected[case["name"]].items():
        got = fe.run_case(case, mode)
        assert got == want, f"{case['name']} in {mode} arithmetic"
