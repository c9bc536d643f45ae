"""The `bptrace` command line, run as a real subprocess against this source tree."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.suffix in (".yaml", ".yml", ".json"))
EXAMPLE_NAMES = [p.stem for p in EXAMPLES]
# Networks only, for the tests that read layers and iterations (a graph's JSON: tests/present/test_render.py).
NETWORKS = [p for p in EXAMPLES if not p.stem.startswith("graph-")]
NETWORK_NAMES = [p.stem for p in NETWORKS]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def bptrace(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tracer.cli", *map(str, args)],
        capture_output=True, text=True, env=_env(), cwd=cwd or REPO, timeout=300,
    )


GOOD = {
    "layers": [2, 2, 1],
    "activation": "sigmoid",
    "loss": "bce",
    "params": {"W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6], "W2": [[0.7, 0.8]], "b2": [0.9]},
    "data": [{"x": [1.0, 2.0], "y": [1]}],
    "learning_rate": 0.5,
    "iterations": 3,
}


def _spec(**changes) -> str:
    spec = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        spec[key] = value
    return yaml.safe_dump(spec, sort_keys=False)


# (name of the file, its text, a piece the one error line must contain)
BAD_SPECS = [
    ("shape.yaml", _spec(params={**GOOD["params"], "W2": [[0.7], [0.8]]}),
     "error: params.W2: expected shape 1x2 (layers [2, 2, 1]), got 2x1"),
    ("unknown-key.yaml", _spec(epochs=3), "error: epochs: unknown field; known fields: "),
    ("activation.yaml", _spec(activation="swish"), "error: activation: unknown value 'swish'; expected one of: "),
    ("label.yaml", _spec(data=[{"x": [1, 2], "y": 3}]), "error: data[0].y: bce labels must lie in [0, 1], got [3]"),
    ("lr.yaml", _spec(learning_rate=0), "error: learning_rate: expected a positive number, got 0"),
    ("nan.yaml", _spec().replace("learning_rate: 0.5", "learning_rate: .nan"),
     "learning_rate: nan is not allowed: numbers must be finite"),
    ("alias.yaml", "a: &x [1]\nb: *x\n", "line 2: YAML aliases are not allowed"),
    ("dup.yaml", _spec() + "loss: mse\n", "duplicate key 'loss'"),
    ("garbage.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xd8", "not UTF-8 text"),
    ("broken.json", '{"layers": [2, 2, 1],', "not valid JSON (line 1, column 22)"),
    ("list.yaml", "- 1\n- 2\n", "error: spec: expected a mapping of fields, got a list of 2"),
    ("missing.yaml", None, "missing.yaml: cannot read: No such file or directory"),
]


@pytest.mark.parametrize("name, content, expected", BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_bad_spec_is_one_error_line(tmp_path, name, content, expected):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = bptrace("render", path, "--to", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]


def test_unknown_example_lists_the_available_ones():
    result = bptrace("render", "--example", "nope")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: --example: no built-in example 'nope'; available: {', '.join(EXAMPLE_NAMES)}"
    )


def test_examples_lists_every_file_with_its_description():
    result = bptrace("examples")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == EXAMPLE_NAMES
    for line, path in zip(lines, EXAMPLES):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert line.split(None, 1)[1] == " ".join(spec["description"].split())


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_NAMES)
def test_example_has_title_and_one_line_description(path):
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(spec.get("title"), str) and spec["title"].strip()
    assert isinstance(spec.get("description"), str) and spec["description"].strip()
    assert "\n" not in spec["description"].strip()


def _render_json(*args) -> dict:
    result = bptrace("render", *args, "--to", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


@pytest.mark.parametrize("path", NETWORKS, ids=NETWORK_NAMES)
def test_every_example_renders_to_json(path):
    doc = _render_json(path)
    assert set(doc) == {"spec", "values"}
    spec, values = doc["spec"], doc["values"]
    given = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert spec["layers"] == given["layers"]
    assert spec["iterations"] == given["iterations"]
    depth = len(spec["layers"]) - 1
    scored = "error" if spec.get("rule") == "perceptron" else "loss"  # a perceptron has no loss
    for t in range(1, spec["iterations"] + 1):
        # a perceptron scores its error; loss none has no loss, only the output's sensitivities
        assert (f"iter{t}.{scored}" in values) == (spec.get("loss") != "none")
        assert (f"iter{t}.new.W{depth}" in values) == ("learning_rate" in spec)  # no rate, no update
    assert all(f"final.{k}{l}" in values for l in range(1, depth + 1) for k in "Wb")


@pytest.mark.parametrize("path", NETWORKS, ids=NETWORK_NAMES)
def test_examples_stay_off_the_relu_kink(path):
    """A ReLU pre-activation of exactly 0 would make g'(0) a convention, not a derivative."""
    doc = _render_json(path)
    relu_layers = [l for l, act in enumerate(doc["spec"]["activation"], start=1) if act == "relu"]
    for path_, value in doc["values"].items():
        name = path_.rsplit(".", 1)[-1]
        if name in {f"a{l}" for l in relu_layers}:
            assert all(abs(v) > 1e-6 for v in value), (path_, value)


def test_render_by_example_name_matches_file():
    by_name = bptrace("render", "--example", "lecture-2-2-1", "--to", "json")
    by_file = bptrace("render", REPO / "examples" / "lecture-2-2-1.yaml", "--to", "json")
    assert by_name.returncode == 0 and by_name.stdout == by_file.stdout


def test_iterations_and_decimals_overrides():
    doc = _render_json("--example", "lecture-2-2-1", "--iterations", "1", "--decimals", "2")
    assert doc["spec"]["iterations"] == 1
    assert doc["spec"]["decimals"] == 2
    assert "iter1.yhat" in doc["values"] and "iter2.yhat" not in doc["values"]
    assert doc["spec"]["params"]["W1"] == [[0.1, 0.4], [0.2, 0.5]]


def test_iterations_override_alone_keeps_decimals():
    doc = _render_json("--example", "lecture-2-2-1", "--iterations", "5")
    assert doc["spec"]["iterations"] == 5 and doc["spec"]["decimals"] == 4
    assert "iter5.yhat" in doc["values"]


@pytest.mark.parametrize("args, phrase", [
    (("--iterations", "0"), "argument --iterations: expected a whole number >= 1, got 0"),
    (("--iterations", "two"), "argument --iterations: expected a whole number, got 'two'"),
    (("--decimals", "13"), "argument --decimals: expected 0 to 12, got 13"),
])
def test_bad_override_values(args, phrase):
    result = bptrace("render", "--example", "lecture-2-2-1", "--to", "json", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert phrase in result.stderr
    assert "Traceback" not in result.stderr


def test_output_file(tmp_path):
    out = tmp_path / "trace.json"
    result = bptrace("render", "--example", "lecture-2-2-1", "--to", "json", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"spec", "values"}
    assert doc["spec"]["title"] == "2-2-1 network, three iterations of SGD"


def test_output_file_that_cannot_be_written(tmp_path):
    out = tmp_path / "no-such-dir" / "trace.json"
    result = bptrace("render", "--example", "lecture-2-2-1", "--to", "json", "-o", out)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {out}: cannot write: No such file or directory"


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from tracer.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('numpy', 'sympy', 'jinja2') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: bptrace" in result.stdout
    assert result.stdout.splitlines()[-1] == "HEAVY []"


def test_help_exits_zero_and_names_the_subcommands():
    result = bptrace("--help")
    assert result.returncode == 0
    assert "render" in result.stdout and "examples" in result.stdout


def test_render_help_lists_the_formats():
    result = bptrace("render", "--help")
    assert result.returncode == 0
    assert "{latex,markdown,pdf,html,json,answers,moodle,moodle-elements}" in result.stdout


def test_no_command_prints_usage_and_exits_2():
    result = bptrace()
    assert result.returncode == 2
    assert "usage: bptrace" in result.stdout


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_NAMES)
def test_every_example_renders_to_latex_and_markdown(path, fmt):
    result = bptrace("render", path, "--to", fmt)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Traceback" not in result.stdout
    # The title is the one piece of text every format must carry.
    title = yaml.safe_load(path.read_text(encoding="utf-8"))["title"]
    first_word = title.split()[0]
    assert first_word in result.stdout


def test_arithmetic_and_notation_flags_override_the_spec():
    result = bptrace("render", "--example", "lecture-2-2-1", "--to", "json", "--arithmetic", "by-hand")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["spec"]["arithmetic"] == "by-hand"
    assert doc["values"]["iter1.yhat"] == [0.8933] and doc["values"]["iter1.loss"] == 0.1128
    result = bptrace("render", "--example", "lecture-2-2-1", "--to", "markdown", "--notation", "lecture")
    assert result.returncode == 0 and r"u = g(a^{(1)})" in result.stdout


def test_unknown_notation_flag_is_one_line_exit_2():
    result = bptrace("render", "--example", "lecture-2-2-1", "--notation", "nodes")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: notation: unknown profile 'nodes'; built-in profiles: default, lecture, hidden-output, layered, node"]


# -- the process around main(): `entry` flushes and ends it without the interpreter's teardown -----


def test_output_through_a_pipe_is_whole(capsys):
    """entry() ends the process with os._exit: what main() printed must be flushed first."""
    from tracer.cli import main

    assert main(["render", "--example", "lecture-2-2-1", "--to", "json", "--iterations", "60"]) == 0
    in_process = capsys.readouterr().out
    result = bptrace("render", "--example", "lecture-2-2-1", "--to", "json", "--iterations", "60")
    assert result.returncode == 0, result.stderr
    assert len(in_process) > 65536  # more than a pipe holds: the flush at exit is what writes the rest
    assert result.stdout == in_process


def test_a_reader_that_leaves_early_is_no_error():
    """`bptrace render ... | head`: exit status 0 and nothing on stderr (no BrokenPipeError report)."""
    proc = subprocess.Popen([sys.executable, "-m", "tracer.cli", "render", "--example", "lecture-2-2-1",
                             "--to", "json", "--iterations", "200"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=REPO)
    assert proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 0
    assert err == b""


def test_error_status_survives_the_fast_exit(tmp_path):
    out = tmp_path / "missing" / "x.md"
    result = bptrace("render", "--example", "lecture-2-2-1", "--to", "markdown", "-o", out)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {out.parent}{os.sep}")  # the figure, written first, or the handout
    assert result.stderr.rstrip("\n").endswith(": cannot write: No such file or directory")


def test_main_in_process_leaves_the_garbage_collector_alone():
    """Only the command (entry) raises the collector's threshold; a notebook or test calling main() keeps its own."""
    import gc

    from tracer.cli import main

    before = gc.get_threshold()
    assert main(["render", "--example", "lecture-2-2-1", "--to", "json", "-o", os.devnull]) == 0
    assert gc.get_threshold() == before


def test_the_command_raises_the_collector_threshold():
    code = ("import gc, sys, tracer.cli\n"
            "tracer.cli.main = lambda: print(gc.get_threshold()) or 0\n"
            "tracer.cli.entry()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=REPO,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(200000, 30, 30)"


@pytest.mark.parametrize("name", ["render", "check", "variants", "examples", "schema", "cache"])
def test_a_command_alone_parses_and_helps_as_among_all(name):
    """main() builds only the named command's parser: its help, usage and defaults are those of the whole parser's."""
    from tracer.cli import _build_parser

    def command_parser(parser):
        (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return action.choices

    whole, alone = command_parser(_build_parser([])), command_parser(_build_parser(["--no-cache", name, "x"]))
    assert list(alone) == [name] and name in whole
    assert alone[name].format_help() == whole[name].format_help()
    assert alone[name].format_usage() == whole[name].format_usage()
    assert alone[name]._defaults == whole[name]._defaults


@pytest.mark.parametrize("argv", [[], ["-h", "render"], ["--no-cache", "--help"], ["rendr"]])
def test_help_or_an_unknown_command_lists_every_command(argv):
    from tracer.cli import _build_parser

    assert "variants" in _build_parser(argv).format_help()
