"""Moodle Cloze (`--to moodle`): a question per variant, read back with a parser of the test's own.

The sub-answers are read with Moodle's documented multianswer grammar (docs.moodle.org,
"Embedded Answers (Cloze) question type"; its parser, question/type/multianswer/questiontype.php):

    {weight:NUMERICAL:alternative~alternative...}
    alternative := ['=' | '%' percent '%'] number [':' tolerance] ['#' feedback]

written here from those pages, not from tracer's writer. The read-back values must grade the
variant's own key correct with `bptrace check`'s Checker, and another variant's not.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.engine import run
from tracer.grade.answers import parse_answers
from tracer.grade.check import CORRECT
from tracer.homework.asking import key_entries
from tracer.homework.moodle import Question, variant_questions
from tracer.homework.moodle_cloze import part_code, problem_cloze_quiz, weights
from tracer.homework.variants import Generator, VariantChecker, numbered_ids, write_variants
from tracer.present.view import build_view
from tracer.problem.examples import example_path, list_examples
from tracer.problem.spec import load_problem

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import readback as R  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LECTURE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
LECTURE.pop("published")
HOMEWORK = {**LECTURE, "iterations": 1, "randomize": True,
            "ask": ["iter1.yhat", "iter1.loss", "iter1.delta1[2]", "iter1.grad.W1"]}
GRAPH = yaml.safe_load((REPO / "examples" / "graph-homework.yaml").read_text())
SEED = 5

# -- Moodle's grammar, from its documentation -----------------------------------------------
NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
START = re.compile(r"\{([0-9]*):([A-Z_]+):")  # any sub-question's opening, to count them
PART = re.compile(r"\{([0-9]*):(NUMERICAL|NM):((?:[^}\\]|\\.)*)\}", re.S)  # ends at the first unescaped }
ALTERNATIVE = re.compile(rf"(=|%-?[0-9]+(?:[.,][0-9]*)?%)?({NUMBER})(?::({NUMBER}))?(?:#(.*))?", re.S)


def read_parts(text: str) -> list[dict]:
    """Every NUMERICAL sub-answer of a question text: weight, then per alternative its fraction,
    value, tolerance and feedback (as Moodle stores it: entities decoded, \\} and \\# unescaped)."""
    parts = []
    for m in PART.finditer(text):
        alternatives = []
        for alt in re.split(r"(?<!\\)~", m.group(3)):
            a = ALTERNATIVE.fullmatch(alt)
            assert a, f"not an alternative of Moodle's grammar: {alt!r}"
            fraction = 100.0 if a.group(1) == "=" else float(a.group(1)[1:-1].replace(",", ".")) if a.group(1) else 0.0
            feedback = html.unescape(a.group(4) or "").replace("\\}", "}").replace("\\#", "#")
            alternatives.append({"fraction": fraction, "value": float(a.group(2).replace(",", ".")),
                                 "tolerance": float((a.group(3) or "0").replace(",", ".")), "feedback": feedback})
        parts.append({"weight": int(m.group(1) or 1), "alternatives": alternatives})
    assert len(parts) == len(START.findall(text)), "a sub-question that does not parse"
    return parts


def correct(part: dict) -> dict:
    [best] = [a for a in part["alternatives"] if a["fraction"] == 100]
    return best


@pytest.fixture(scope="module")
def quiz(tmp_path_factory):
    out = tmp_path_factory.mktemp("cloze")
    written = write_variants(Generator(load_problem(HOMEWORK), SEED), numbered_ids(3), "moodle", out)
    return written, ET.parse(out / "quiz.xml").getroot()


def clozes(root) -> list[ET.Element]:
    return root.findall("question[@type='cloze']")


def test_one_category_and_a_cloze_question_per_variant_named_on_its_first_line(quiz):
    written, root = quiz
    assert [q.findtext("category/text") for q in root.findall("question[@type='category']")] == \
        [f"$course$/top/{LECTURE['title']}"]
    assert root.findall("question[@type='numerical']") == []
    questions = clozes(root)
    assert [q.findtext("name/text") for q in questions] == [f"{LECTURE['title']} {vid}" for vid in numbered_ids(3)]
    for q, vid in zip(questions, numbered_ids(3)):
        assert q.findtext("questiontext/text").startswith(f"<p>Variant {vid}</p>\n")
        assert q.find("questiontext").get("format") == "html" and q.find("generalfeedback").get("format") == "html"


def test_every_part_follows_the_grammar_in_the_order_of_variant_questions(quiz):
    written, root = quiz
    for v, q in zip(written.variants, clozes(root)):
        parts = read_parts(q.findtext("questiontext/text"))
        expected = variant_questions(v.problem, v.trace, build_view(v.trace), label=v.id)
        assert len(parts) == len(expected) == 1 + 1 + 1 + 4
        for part, e in zip(parts, expected):
            best = correct(part)
            assert best["value"] == pytest.approx(e.value, rel=1e-14, abs=1e-15)
            assert e.tolerance <= best["tolerance"] <= 1.1 * e.tolerance
            assert e.key in best["feedback"] and r"\(" in best["feedback"]
        # a point per quantity, shared by its asked elements: 1, 1, 1, 1/4 x 4 -> 4, 4, 4, 1 x 4
        assert [p["weight"] for p in parts] == [4, 4, 4, 1, 1, 1, 1]


def answer_sheet(v, values: list[float]) -> str:
    """An answer file for `check`: variant `v`'s keys holding `values`, in key order (a matrix as its rows)."""
    doc, k = {"variant": v.id}, 0
    for key, entry in key_entries(v.problem, v.trace.values).items():
        shape = np.shape(entry)
        n = int(np.prod(shape)) if shape else 1
        chunk = values[k:k + n]
        doc[key] = chunk[0] if not shape else np.reshape(chunk, shape).tolist()
        k += n
    assert k == len(values)
    return json.dumps(doc)


def test_round_trip_grades_its_own_key_correct_and_another_variants_not(quiz):
    written, root = quiz
    checker = VariantChecker(load_problem(HOMEWORK), SEED)
    read = [[correct(p) for p in read_parts(q.findtext("questiontext/text"))] for q in clozes(root)]
    for v, parts in zip(written.variants, read):
        report = checker.check_sheet(parse_answers(answer_sheet(v, [p["value"] for p in parts])))
        assert {i.status for i in report.items} == {CORRECT}, v.id
        # what a student writes, the key rounded to the spec's decimals, passes Moodle too
        for p in parts:
            assert abs(round(p["value"], v.problem.decimals) - p["value"]) <= p["tolerance"]
    mine, other = written.variants[0], read[1]
    report = checker.check_sheet(parse_answers(answer_sheet(mine, [p["value"] for p in other])))
    assert any(i.status != CORRECT for i in report.items)
    assert any(abs(a["value"] - b["value"]) > a["tolerance"] for a, b in zip(read[0], other))


def test_the_figure_is_attached_as_svg_and_shown_in_the_text(quiz):
    _, root = quiz
    for q in clozes(root):
        text = q.find("questiontext")
        files = text.findall("file")
        assert [f.get("name") for f in files] == [f"{q.findtext('name/text').split()[-1]}.network.svg"]
        for f in files:
            assert f.get("path") == "/" and f.get("encoding") == "base64"
            svg = ET.fromstring(base64.b64decode(f.text, validate=True))
            assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.findall(".//{http://www.w3.org/2000/svg}text")
            assert f'src="@@PLUGINFILE@@/{f.get("name")}"' in text.findtext("text")
        # everything the text or feedback shows from @@PLUGINFILE@@ travels with it
        for field in (text, q.find("generalfeedback")):
            shown = set(re.findall(r"@@PLUGINFILE@@/([^\"]+)", field.findtext("text")))
            assert shown == {f.get("name") for f in field.findall("file")}


def test_general_feedback_is_the_worked_solution_with_the_asked_values(quiz):
    written, root = quiz
    for v, q in zip(written.variants, clozes(root)):
        feedback = q.findtext("generalfeedback/text")
        assert "Forward pass" in feedback and "Backward pass" in feedback and "Update" not in feedback
        for key, value in key_entries(v.problem, v.trace.values).items():
            for x in np.ravel(value):
                shown = f"{x:.4f}"
                assert shown in feedback or shown.rstrip("0").rstrip(".") in feedback, (v.id, key, shown)
                assert f"<code>{key}</code>" in feedback


# -- the printing rules: every math span of every LMS text ---------------------------------

_REL = re.compile(r"(\\[,;:! ]|\\begin|\\end|\\left(?:\\[{|]|[(\[|.])|\\right(?:\\[}|]|[)\]|.])|\\approx|\\quad|\\\\|[{}()=&,])")


def links(tex: str, at=("=", r"\approx", "&", r"\\", ",", r"\quad")) -> list[str]:
    """A math span cut at its top-level relations `at` (=, \\approx, aligned's & and \\\\, ", \\quad")."""
    tex = tex.replace(r"\begin{aligned}", "").replace(r"\end{aligned}", "")
    out, depth, cur = [], 0, ""
    for tok in _REL.split(tex):
        if tok in ("{", "(", r"\begin") or tok.startswith(r"\left"):
            depth += 1
        if tok in ("}", ")", r"\end") or tok.startswith(r"\right"):
            depth -= 1
        if depth == 0 and tok in at:
            out.append(cur)
            cur = ""
            continue
        cur += tok
    return [s.strip() for s in [*out, cur] if s.strip()]


def read_back(text: str, digits) -> tuple[int, list[str]]:
    """Each displayed step of `text` read back as the handouts' are (tests/tools/readback.py): its
    numeric links evaluate to its result, and after \\approx every number shows all its digits."""
    checked, problems = 0, []
    for _, display in math_spans(text):
        if not display or r"\quad" in display:  # a list of given values, not a step
            continue
        try:
            problems += R.check_chain(links(display, at=("=", "&", r"\\")), digits)
            checked += 1
        except R.Unsupported:
            continue
    return checked, problems


_BREAK = re.compile(r"(?:\\right\.)?\s*\\\\\s*&\\quad\s*(?:\\left\.)?")  # a long expression's line break


def math_spans(text: str) -> list[str]:
    text = _BREAK.sub(" ", html.unescape(re.sub(r"<[^>]+>", " ", text)))
    return re.findall(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", text, re.S)


def printing_problems(text: str, decimals: int) -> list[str]:
    problems = []
    for inline, display in math_spans(text):
        for link in links(inline or display):
            try:
                R.parse_link(link, decimals)
            except (R.Symbolic, R.Unsupported):
                continue
            except R.ParseError as err:
                problems.append(f"{link!r}: {err}")
    return problems


@pytest.mark.parametrize("spec", ["lecture", "graph", "softmax"])
def test_no_lms_text_juxtaposes_numbers(tmp_path, spec):
    specs = {"lecture": HOMEWORK, "graph": GRAPH,
             "softmax": {**yaml.safe_load((REPO / "examples" / "softmax-3-class.yaml").read_text()),
                         "randomize": {"data": "none"}, "iterations": 1}}
    specs["softmax"].pop("published", None)
    write_variants(Generator(load_problem(specs[spec]), 2), numbered_ids(2), "moodle", tmp_path)
    root = ET.parse(tmp_path / "quiz.xml").getroot()
    seen = 0
    for q in clozes(root):
        for field in ("questiontext/text", "generalfeedback/text"):
            text = q.findtext(field)
            seen += len(math_spans(text))
            assert printing_problems(text, 4) == []
        for part in read_parts(q.findtext("questiontext/text")):
            assert printing_problems(correct(part)["feedback"], 4) == []
    assert seen > 20


@pytest.mark.parametrize("name", [name for name, _ in list_examples()])
def test_every_examples_question_follows_the_printing_rules(name):
    root = ET.fromstring(problem_cloze_quiz(load_problem(example_path(name))))
    [q] = clozes(root)
    text, feedback = q.findtext("questiontext/text"), q.findtext("generalfeedback/text")
    parts = read_parts(text)
    assert parts and printing_problems(text, 4) == [] and printing_problems(feedback, 4) == []
    assert all(printing_problems(correct(p)["feedback"], 4) == [] for p in parts)
    problem = load_problem(example_path(name))
    checked, problems = read_back(feedback, R.Sig(problem.sig_figs) if problem.sig_figs else problem.decimals)
    assert problems == [] and checked >= 2


def test_the_rule_catches_juxtaposed_numbers():
    assert printing_problems(r"<p>\[a = 0.9 - 0.5 0.8933\]</p>", 4)
    assert printing_problems(r"<p>\(\begin{aligned}x &= 0.5 \begin{bmatrix} 1 \\ 2 \end{bmatrix}\end{aligned}\)</p>", 4)
    assert printing_problems(r"<p>\[a = 0.9 - 0.5 \cdot 0.8933 \approx 0.4533\]</p>", 4) == []
    assert read_back(r"<p>\[a = 0.9 - 0.5 \cdot 0.8933 \approx 0.4533\]</p>", 4) == (1, [])
    assert read_back(r"<p>\[a = 0.9 - 0.5 \cdot 0.8933 \approx 0.4480\]</p>", 4)[1]  # a wrong result
    assert read_back(r"<p>\[\begin{aligned}a &= 0.3 - 0.218 \\ &\approx 0.082\end{aligned}\]</p>", 4)[1]  # ragged


# -- the graph kind, weights, render, the CLI -----------------------------------------------


def test_a_graph_variant_asks_its_values_and_shows_its_worked_graph_in_the_feedback(tmp_path):
    written = write_variants(Generator(load_problem(GRAPH), 1), numbered_ids(2), "moodle", tmp_path)
    root = ET.parse(tmp_path / "quiz.xml").getroot()
    for v, q in zip(written.variants, clozes(root)):
        parts = [correct(p) for p in read_parts(q.findtext("questiontext/text"))]
        assert [p["value"] for p in parts] == pytest.approx(
            [float(np.ravel(x)[0]) for x in key_entries(v.problem, v.trace.values).values()])
        # the sheet shows no figure for a graph (its default figure shows values); the feedback does
        assert q.find("questiontext").findall("file") == []
        [svg] = q.find("generalfeedback").findall("file")
        ET.fromstring(base64.b64decode(svg.text))


@pytest.mark.parametrize("points,expected", [([1, 1, 0.25, 0.25], [4, 4, 1, 1]), ([2, 3], [2, 3]), ([0.5], [1]),
                                             ([1, 1 / 3], [3, 1]), ([1, 0.001], [100, 1]), ([1, 0], [1, 0])])
def test_weights_are_whole_numbers_in_the_ratio_of_the_points(points, expected):
    assert weights(points) == expected


def bptrace(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "tracer.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300, cwd=cwd)


def test_cli_render_to_moodle_is_one_cloze_question_without_a_variant_line():
    done = bptrace("render", "--example", "lecture-2-2-1", "--to", "moodle")
    assert done.returncode == 0, done.stderr
    root = ET.fromstring(done.stdout)
    [q] = clozes(root)
    assert q.findtext("name/text") == LECTURE["title"]
    text = q.findtext("questiontext/text")
    assert not text.startswith("<p>Variant") and text.startswith(f"<p><b>{LECTURE['title']}</b></p>")
    # no ask: the variants' default, iteration 1's forward and backward pass, element by element
    problem = load_problem(REPO / "examples" / "lecture-2-2-1.yaml")
    trace = run(problem, arithmetic="float")
    expected = variant_questions(problem, trace, build_view(trace))
    assert [correct(p)["value"] for p in read_parts(text)] == pytest.approx([q.value for q in expected], rel=1e-14)
    assert len(expected) == 19


def test_cli_variants_moodle_and_moodle_elements(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(yaml.safe_dump(HOMEWORK))
    for fmt, kind in (("moodle", "cloze"), ("moodle-elements", "numerical")):
        done = bptrace("variants", spec, "--seed", SEED, "--count", 2, "--to", fmt, "-o", tmp_path / fmt)
        assert done.returncode == 0, done.stderr
        root = ET.parse(tmp_path / fmt / "quiz.xml").getroot()
        assert len(root.findall(f"question[@type='{kind}']")) == {"cloze": 2, "numerical": 2 * 7}[kind]
    assert "moodle-elements" in bptrace("variants", "--help").stdout


@pytest.mark.parametrize("fmt", ["moodle", "moodle-elements"])
def test_a_value_moodle_cannot_take_is_one_error_line(tmp_path, fmt):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**LECTURE, "params": {**LECTURE["params"], "W1": [[1e308, 1e308], [1e308, 1e308]]},
                                    "ask": ["iter1.a1"]}))
    done = bptrace("render", spec, "--to", fmt)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "error: iter1.a1[1]: the value is nan; a Moodle numerical answer needs a finite number\n"


@given(st.text(alphabet=st.sampled_from(list("a1.-}{~#\\&<>;=:%\"/ ")), max_size=30))
@settings(max_examples=200, deadline=None)
def test_any_feedback_survives_moodles_grammar_and_decoding(feedback):
    code = part_code(Question("q", "", -0.25, 0.00005, 1.0, key="k"), 3, feedback)
    [part] = read_parts(f"<p>before</p>{code}<p>after {{not a part}}</p>")
    [alt] = part["alternatives"]
    assert part["weight"] == 3 and alt["fraction"] == 100 and alt["value"] == -0.25 and alt["tolerance"] == 0.00005
    assert alt["feedback"] == feedback  # what Moodle stores is the HTML given


def test_every_math_span_renders_in_katex(quiz, tmp_path):
    """KaTeX, strict, as a stand-in for Moodle's MathJax: every span of the text, feedback and parts."""
    if shutil.which("node") is None or _katex_dir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and KaTeX are required in CI (.ci/run installs them and sets KATEX_NODE_PATH)")
        pytest.skip("node or KaTeX not installed (npm install katex; set KATEX_NODE_PATH)")
    _, root = quiz
    lines = []
    for q in clozes(root):
        texts = [q.findtext("questiontext/text"), q.findtext("generalfeedback/text")]
        texts += [correct(p)["feedback"] for p in read_parts(texts[0])]
        for text in texts:
            for inline, display in math_spans(PART.sub("", text)):
                lines.append(f"${' '.join(inline.split())}$" if inline else f"$$\n{display.strip()}\n$$")
    md = tmp_path / "spans.md"
    md.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(["node", str(REPO / "tests" / "tools" / "katex_check.js"), str(md)],
                          env={**os.environ, "NODE_PATH": _katex_dir()}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{len(lines)} math spans, 0 failures" in proc.stdout


def _katex_dir() -> str | None:
    for candidate in (os.environ.get("KATEX_NODE_PATH"), "/tmp/katex/node_modules"):
        if candidate and (Path(candidate) / "katex").is_dir():
            return candidate
    return None
