"""Crash sites found by fuzzing: each input, saved, now gives a result or one error line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracer.engine.arithmetic import ByHand

REPO = Path(__file__).resolve().parents[2]
LECTURE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())


def bptrace(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="default")
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.parametrize("x", [1e23, -1.23456e25, 1e300, 1.7976931348623157e308, 5e-324, float("inf")])
@pytest.mark.parametrize("decimals", [0, 4, 12])
def test_by_hand_rounding_of_huge_and_tiny_values(x, decimals):
    got = ByHand(decimals).round(x)
    if not np.isfinite(x):
        assert got == x
    else:
        assert abs(got - x) <= 0.5 * 10.0 ** -decimals + abs(x) * 1e-15


@pytest.mark.parametrize("arithmetic", ["float", "exact", "by-hand"])
@pytest.mark.parametrize("case", ["huge-weight", "saturated-output", "saturated-hidden"])
@pytest.mark.parametrize("fmt", ["markdown", "latex", "json"])
def test_huge_and_saturated_values_render_in_every_arithmetic(tmp_path, arithmetic, case, fmt):
    params = dict(LECTURE["params"])
    if case == "huge-weight":
        params["W1"] = [[1e25, 0.4], [0.2, 0.5]]
    elif case == "saturated-output":
        params["W2"] = [[1000, 800]]
    else:
        params["W1"] = [[1000, 0.4], [0.2, -900]]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**LECTURE, "params": params, "arithmetic": arithmetic, "iterations": 2}))
    proc = bptrace("render", spec, "--to", fmt)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 2), proc.stderr
    if proc.returncode == 2:
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    else:
        assert proc.stderr == ""  # no Python warning (overflow, invalid value) reaches the user


DIVERGING = {**LECTURE, "l2": 1e308, "iterations": 5}


def test_divergence_stops_the_run_and_says_where():
    from tracer.engine import run
    from tracer.problem.spec import load_problem

    trace = run(load_problem(DIVERGING))
    assert trace.diverged == (2, "iter2.loss")
    assert [it.t for it in trace.iterations] == [1, 2]
    assert not any(p.startswith(("iter3.", "iter4.")) for p in trace.values)
    assert all(f"final.{n}" in trace.values for n in ("W1", "b1", "W2", "b2"))


@pytest.mark.parametrize("fmt, sentence", [
    ("markdown", "> **Training diverged.** In iteration 2, $L$ is no longer a finite number"),
    ("latex", r"\paragraph{Training diverged.} In iteration 2, $L$ is no longer a finite number"),
    ("json", '"diverged": {"iteration": 2, "path": "iter2.loss"}'),
])
def test_a_diverging_handout_says_so_once_and_warns_nothing(tmp_path, fmt, sentence):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(DIVERGING))
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="error")  # any warning would be an error
    proc = subprocess.run([sys.executable, "-m", "tracer.cli", "render", spec, "--to", fmt], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.count(sentence) == 1
    assert "Iteration 3" not in proc.stdout


@pytest.mark.parametrize("change", [{"l2": 1e308}, {"learning_rate": 1e308}, {"title": "x \u2028 y"}])
def test_moodle_export_of_extreme_specs_is_well_formed_xml(tmp_path, change):
    import xml.etree.ElementTree as ET

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**LECTURE, **change}))
    proc = bptrace("render", spec, "--to", "moodle")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    ET.fromstring(proc.stdout.encode("utf-8"))


def test_control_characters_in_spec_text_are_refused_where_read(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**LECTURE, "title": "bad \x01 title"}))
    proc = bptrace("render", spec, "--to", "moodle")
    assert proc.returncode == 2 and "title: text with a control character ('\\x01')" in proc.stderr
