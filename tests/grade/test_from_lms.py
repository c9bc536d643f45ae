"""`bptrace check SPEC --from-lms FILE.csv`: an LMS responses export graded exactly as the same
answers handed in as answer files (follow-through, diagnoses, gradebook), and hostile exports
refused with one line or given a verdict per row."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tracer.cli import main
from tracer.grade import lms_csv
from tracer.grade.check import FOLLOW, Checker, element_key
from tracer.grade.lms_csv import parse_lms, split_cloze
from tracer.homework.asking import asked_keys
from tracer.homework.moodle import variant_questions
from tracer.homework.variants import Generator
from tracer.present.view import build_view
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
LECTURE.pop("published")
HOMEWORK = {**LECTURE, "iterations": 1, "randomize": True,
            "ask": ["iter1.yhat", "iter1.loss", "iter1.delta1[2]", "iter1.grad.W1"]}
SEED = 7
MOODLE_HEAD = ["Surname", "First name", "ID number", "Email address", "State", "Started on", "Completed",
               "Time taken", "Grade/10.00"]
CANVAS_HEAD = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted", "attempt"]


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "hw.yaml"
    path.write_text(yaml.safe_dump(HOMEWORK))
    return path


@pytest.fixture(scope="module")
def variants():
    gen = Generator(load_problem(HOMEWORK), SEED)
    return {vid: gen.variant(vid) for vid in ("v001", "v002", "v003")}


def _f(x: float) -> str:
    return f"{x:.4f}"


def _bce(y: float, p: float) -> float:
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


@pytest.fixture(scope="module")
def students(variants):
    """(student id, variant, {key: text or None}) in computation order: right, carried errors, blanks, wrong."""
    out = []
    for sid, vid, style in [("s001", "v001", "right"), ("s002", "v002", "carried"), ("s003", "v003", "blank"),
                            ("s004", "v001", "wrong"), ("s005", "v002", "imprecise"), ("s006", "v003", "right")]:
        v = variants[vid]
        values = v.trace.values
        keys = asked_keys(v.problem, values)
        every = element_values(v.problem, values)
        flat = {k: every[k] for k in keys}
        ans = {k: _f(x) for k, x in flat.items()}
        if style == "carried":  # yhat off by 0.03, the loss worked from it: follow-through
            y = float(v.problem.data[0].y[0])
            yhat = flat["iter1.yhat"] + 0.03
            ans["iter1.yhat"], ans["iter1.loss"] = _f(yhat), _f(_bce(y, yhat))
            ans["iter1.delta1[2]"] = None
        elif style == "blank":
            ans = {k: None for k in keys} | {"iter1.loss": ans["iter1.loss"]}
        elif style == "wrong":
            ans["iter1.grad.W1[1,2]"] = _f(-flat["iter1.grad.W1[1,2]"] + 0.01)
            ans["iter1.loss"] = _f(flat["iter1.loss"] * 2)
        elif style == "imprecise":
            key = next(k for k, x in flat.items() if round(x, 2) != round(x, 4))  # 0.45 would be 0.4500
            ans[key] = f"{flat[key]:.2f}"
        out.append((sid, vid, ans))
    return out


def element_values(problem, values) -> dict:
    """{element key: value} of every element of every quantity."""
    out = {}
    for path, v in values.items():
        arr = np.asarray(v, dtype=float)
        out.update({element_key(path, idx, arr.shape): float(arr[idx]) for idx in np.ndindex(arr.shape)})
    return out


def write_answer_files(folder: Path, students) -> Path:
    folder.mkdir()
    for sid, vid, ans in students:
        lines = ["key,value", f"student,{sid}", f"variant,{vid}"]
        lines += [f'"{k}",{t}' for k, t in ans.items() if t is not None]
        (folder / f"{sid}.csv").write_text("\n".join(lines) + "\n")
    return folder


def csv_text(rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def cloze_summary(responses) -> str:
    """Moodle's qtype_multianswer summarise_response: 'part k: <response>' joined by '; ', trimmed."""
    return "; ".join(f"part {k}: {r or ''}" for k, r in enumerate(responses, start=1)).strip()


def moodle_rows(students, question=True, variant_text="Variant {vid}"):
    head = MOODLE_HEAD + (["Question 1"] if question else []) + ["Response 1", "Right answer 1"]
    rows = [head]
    for n, (sid, vid, ans) in enumerate(students):
        responses = list(ans.values())
        cell = "-" if all(r is None for r in responses) else cloze_summary(responses)
        qtext = variant_text.format(vid=vid) + "\nA 2-2-1 network. Compute _____ (iter1.yhat) and _____ ..."
        rows.append([f"Name{n}", "Ann", sid, f"{sid}@uni.example", "Finished", "1 December 2026  10:00 AM",
                     "1 December 2026  10:20 AM", "20 mins", "7.00"] + ([qtext] if question else [])
                    + [cell, cloze_summary(["1"] * len(responses))])
    return rows


def canvas_rows(students, vid):
    keys = list(next(a for s, v, a in students if v == vid))
    head = list(CANVAS_HEAD)
    for k, key in enumerate(keys):
        head += [f"{4100 + k}: Variant {vid}\nA 2-2-1 network. Compute {key}, to 4 decimal places.", "1.0"]
    rows = [head + ["n correct", "n incorrect", "score"]]
    for n, (sid, v, ans) in enumerate(students):
        if v != vid:
            continue
        row = [f"Student {n}", str(900 + n), sid, "Section 1", "77", "SEC1", "2026-12-01 10:20:00 UTC", "1"]
        for t in ans.values():
            row += [t or "", "1.0" if t else ""]
        rows.append(row + ["3", "4", "3.0"])
    return rows


def check_both(tmp_path: Path, spec, files: Path, mine, vid: str, export: Path) -> Path:
    """Check variant `vid`'s answer files (copied into files-{vid}/, which is returned) and its LMS
    export `export`, each to its own gradebook: files-{vid}.gb.csv and lms-{vid}.gb.csv."""
    sub = tmp_path / f"files-{vid}"
    sub.mkdir()
    for sid, _, _ in mine:
        (sub / f"{sid}.csv").write_bytes((files / f"{sid}.csv").read_bytes())
    run_check(spec, sub, "--seed", SEED, "--gradebook", tmp_path / f"files-{vid}.gb.csv")
    run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / f"lms-{vid}.gb.csv")
    return sub


def run_check(*argv) -> int:
    return main(["check", *map(str, argv)])


def gradebook(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def without_file(rows: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k != "file"} for r in rows), key=lambda r: r["student"])


def reports(capsys, *argv) -> dict:
    capsys.readouterr()
    run_check(*argv, "--format", "json")
    docs = json.loads(capsys.readouterr().out)
    return {d["student"]: {k: v for k, v in d.items() if k != "source"} for d in docs}


# -- the order: k-th response, k-th asked element -----------------------------------------


def test_asked_keys_is_the_order_of_the_moodle_questions(variants):
    for v in variants.values():
        names = [q.name for q in variant_questions(v.problem, v.trace, build_view(v.trace))]
        assert asked_keys(v.problem, v.trace.values) == names


# -- identical to answer files -------------------------------------------------------------


def test_moodle_cloze_export_grades_as_the_answer_files(tmp_path, spec, students, capsys):
    files = write_answer_files(tmp_path / "files", students)
    export = tmp_path / "responses.csv"
    export.write_text(csv_text(moodle_rows(students)))
    code_files = run_check(spec, files, "--seed", SEED, "--gradebook", tmp_path / "files.csv")
    code_lms = run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / "lms.csv")
    assert code_files == code_lms == 1
    by_files, by_lms = gradebook(tmp_path / "files.csv"), gradebook(tmp_path / "lms.csv")
    assert [r["status"] for r in by_lms] == ["graded"] * len(students)
    assert without_file(by_lms) == without_file(by_files)
    assert [r["file"] for r in by_lms] == [f"{export}: row {n}" for n in range(2, 2 + len(students))]
    # per student, every verdict, value, note and diagnosis
    from_files = reports(capsys, spec, files, "--seed", SEED)
    from_lms = reports(capsys, spec, "--from-lms", export, "--seed", SEED)
    assert from_lms == from_files
    statuses = {k: [i["status"] for i in r["items"]] for k, r in from_lms.items()}
    assert FOLLOW in statuses["s002"] and "missing" in statuses["s002"]  # the carried error earned follow-through
    assert statuses["s003"].count("missing") == 6 and set(statuses["s001"]) == {"correct"}
    assert "wrong" in statuses["s004"] and "imprecise" in statuses["s005"]


def test_canvas_export_grades_as_the_answer_files(tmp_path, spec, students, capsys):
    files = write_answer_files(tmp_path / "files", students)
    for vid in ("v001", "v002", "v003"):  # one quiz per variant, one report per quiz
        export = tmp_path / f"{vid}.csv"
        export.write_text(csv_text(canvas_rows(students, vid)))
        mine = [s for s in students if s[1] == vid]
        sub = check_both(tmp_path, spec, files, mine, vid, export)
        by_lms = gradebook(tmp_path / f"lms-{vid}.gb.csv")
        assert [(r["student"], r["status"]) for r in by_lms] == [(sid, "graded") for sid, _, _ in mine]
        assert without_file(by_lms) == without_file(gradebook(tmp_path / f"files-{vid}.gb.csv"))
        assert reports(capsys, spec, "--from-lms", export, "--seed", SEED) == reports(capsys, spec, sub, "--seed", SEED)


def test_roster_finds_the_variant_when_no_question_text_names_it(tmp_path, spec, capsys):
    """Variants drawn per student id: the row's ID number is the variant."""
    gen = Generator(load_problem(HOMEWORK), SEED)
    roster = tmp_path / "roster.csv"
    roster.write_text("id\nana\nben\n")
    people = []
    for sid in ("ana", "ben"):
        v = gen.variant(sid)
        keys = asked_keys(v.problem, v.trace.values)
        every = element_values(v.problem, v.trace.values)
        people.append((sid, sid, {k: _f(every[k]) for k in keys}))
    people[1][2]["iter1.loss"] = "0.5"
    export = tmp_path / "r.csv"
    export.write_text(csv_text(moodle_rows(people, question=False)))
    files = tmp_path / "files"
    files.mkdir()
    for sid, _, ans in people:  # an answer file with only the student id, as the sheets of a roster ask
        (files / f"{sid}.csv").write_text("\n".join([f"student,{sid}"] + [f'"{k}",{t}' for k, t in ans.items()]) + "\n")
    got = reports(capsys, spec, "--from-lms", export, "--seed", SEED, "--roster", roster)
    assert got == reports(capsys, spec, files, "--seed", SEED, "--roster", roster)
    assert [i["status"] for i in got["ben"]["items"]].count("wrong") == 1


def test_upper_case_variant_of_a_bold_title_is_found(tmp_path, spec, students, capsys):
    export = tmp_path / "r.csv"
    export.write_text(csv_text(moodle_rows(students[:2], variant_text="VARIANT {vid}")))
    got = reports(capsys, spec, "--from-lms", export, "--seed", SEED)
    files = write_answer_files(tmp_path / "files", students[:2])
    assert got == reports(capsys, spec, files, "--seed", SEED)


def test_a_named_variant_that_was_never_drawn_is_not_gradable(tmp_path, spec, students):
    """Without a roster the variants are v001, v002, ...: 'Variant analysis' is not one of them
    (drawing a variant for it would grade against numbers no student saw)."""
    export = tmp_path / "r.csv"
    export.write_text(csv_text(moodle_rows(students[:1], variant_text="Variant analysis of")))
    assert run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / "gb.csv") == 2
    [row] = gradebook(tmp_path / "gb.csv")
    assert row["status"] == ("not gradable: its questions name variant 'analysis', but without --roster the "
                             "variants are numbered (v001, v002, ...)")


def test_per_element_moodle_export_one_response_per_element(tmp_path, spec, students, capsys):
    """Today's `--to moodle` per-element questions: Response k is the k-th element; '-' unanswered."""
    keys = list(students[1][2])
    head = MOODLE_HEAD + [c for k in range(1, len(keys) + 1) for c in (f"Question {k}", f"Response {k}")]
    rows = [head]
    for sid, vid, ans in students[:3]:
        cells = []
        for key in keys:
            cells += [f"2-2-1 network (variant {vid})\nCompute {key}.", ans[key] or "-"]
        rows.append(["X", "Y", sid, "", "Finished", "", "", "", ""] + cells)
    export = tmp_path / "r.csv"
    export.write_text(csv_text(rows))
    files = write_answer_files(tmp_path / "files", students[:3])
    assert reports(capsys, spec, "--from-lms", export, "--seed", SEED) == reports(capsys, spec, files, "--seed", SEED)


def test_a_fixed_spec_without_seed(tmp_path, capsys):
    """`render --to moodle` of a spec without randomize: no variant, the spec's own default questions."""
    spec = tmp_path / "lecture.yaml"
    spec.write_text(yaml.safe_dump(LECTURE))
    problem = load_problem(spec)
    c = Checker(problem)
    keys = asked_keys(problem, c.values)
    every = element_values(problem, c.values)
    ans = {k: _f(every[k]) for k in keys}
    export = tmp_path / "r.csv"
    export.write_text(csv_text(moodle_rows([("s9", "v001", ans)], question=False)))
    assert run_check(spec, "--from-lms", export) == 0
    assert "correct" in capsys.readouterr().out


def test_a_graph_homework_through_canvas(tmp_path, capsys):
    """The graph kind: one evaluation, its gradients asked; the same mapping by asked_keys."""
    spec = REPO / "examples" / "graph-homework.yaml"
    gen = Generator(load_problem(spec), SEED)
    people = []
    for sid in ("g1", "g2"):
        v = gen.variant("v002")
        every = element_values(v.problem, v.trace.values)
        people.append((sid, "v002", {k: _f(every[k]) for k in asked_keys(v.problem, v.trace.values)}))
    first = next(iter(people[1][2]))
    people[1][2][first] = "12.5"
    export = tmp_path / "v002.csv"
    export.write_text(csv_text(canvas_rows(people, "v002")))
    files = write_answer_files(tmp_path / "files", people)
    got = reports(capsys, spec, "--from-lms", export, "--seed", SEED)
    assert got == reports(capsys, spec, files, "--seed", SEED)
    assert {i["status"] for i in got["g1"]["items"]} == {"correct"} and got["g2"]["first_error"] == first


def test_bom_and_crlf_read_the_same(tmp_path, spec, students, capsys):
    plain = tmp_path / "a.csv"
    plain.write_text(csv_text(moodle_rows(students[:2])))
    bom = tmp_path / "b.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert reports(capsys, spec, "--from-lms", bom, "--seed", SEED) == reports(capsys, spec, "--from-lms", plain, "--seed", SEED)


# -- a verdict per row ------------------------------------------------------------------------


@pytest.mark.parametrize("cell,reason", [("nan", "numbers must be finite"), ("inf", "numbers must be finite"),
                                         ("-Infinity", "numbers must be finite"), ("=1+1", "is not a number"),
                                         ("1/0", "divides by zero"), ("1e999", "too large"),
                                         ("0.5; part 3: 0.9", "is not a number")])
def test_hostile_cell_makes_that_row_not_gradable(tmp_path, spec, students, cell, reason):
    bad = [(sid, vid, dict(ans)) for sid, vid, ans in students[:3]]
    bad[1][2]["iter1.loss"] = cell
    export = tmp_path / "r.csv"
    export.write_text(csv_text(moodle_rows(bad)))
    assert run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / "gb.csv") == 2
    rows = gradebook(tmp_path / "gb.csv")
    assert [r["status"] for r in rows][::2] == ["graded", "graded"]
    status = rows[1]["status"]
    assert status.startswith("not gradable: response ") and reason in status, status
    assert rows[1]["student"] == "s002"  # known, though the row is not gradable


def test_without_gradebook_each_report_and_a_line_per_ungradable_row(tmp_path, spec, students, capsys):
    bad = [(sid, vid, dict(ans)) for sid, vid, ans in students[:2]]
    bad[1][2]["iter1.yhat"] = "NaN"
    export = tmp_path / "r.csv"
    export.write_text(csv_text(moodle_rows(bad)))
    capsys.readouterr()
    assert run_check(spec, "--from-lms", export, "--seed", SEED) == 2
    out, err = capsys.readouterr()
    assert err == (f"error: {export}: row 3: not gradable: response 1 (iter1.yhat): 'NaN' is not allowed: "
                   "numbers must be finite\n")
    assert f"Answers: {export}: row 2 (student s001)" in out and f"Answers: {export}: row 3\nnot gradable: response 1" in out
    # graded without --seed, a row naming a variant of a randomized spec says how to grade it
    assert run_check(spec, "--from-lms", export) == 2
    assert "names variant v001 of a randomized spec; check it with --seed S" in capsys.readouterr().err


def test_injected_part_label_stays_in_its_own_part():
    assert split_cloze("part 1: 1; part 2: 0.5; part 3: 0.9; part 3: 0.7") == ("1", "0.5", "0.9; part 3: 0.7")
    assert split_cloze("part 1: ; part 2: 3; part 3:") == (None, "3", None)
    assert split_cloze("partie 1 : 2; partie 2 : 4", "partie", " :") == ("2", "4")


def test_duplicated_student_rows_are_each_not_gradable(tmp_path, spec, students):
    rows = moodle_rows(students[:3])
    rows.append(list(rows[1]))
    export = tmp_path / "r.csv"
    export.write_text(csv_text(rows))
    assert run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / "gb.csv") == 2
    got = [r["status"] for r in gradebook(tmp_path / "gb.csv")]
    assert got == ["not gradable: student 's001' is also on row 5: export one attempt per student", "graded", "graded",
                   "not gradable: student 's001' is also on row 2: export one attempt per student"]


def test_a_cloze_summary_among_several_questions_is_that_rows_verdict():
    """A student may type `part 1: 2` into a numerical question: it costs their row, not the class's."""
    data = b"ID number,Response 1,Response 2\ns1,part 1: 2; part 2: 3,4\ns2,0.5,-\n"
    rows = parse_lms(data).rows
    assert [(r.student, r.responses, r.error) for r in rows] == [
        ("s1", (), "a Cloze response among 2 questions; export one Cloze question per variant, or one numerical "
                   "question per element"),
        ("s2", ("0.5", None), "")]


def test_student_ids_are_checked_as_an_answer_files_are():
    data = csv_text([["ID number", "Email address", "Response 1"], ["", "a@x.org", "1"], ["s" * 70, "", "1"],
                     ["s\x1b[2J", "", "1"], ["\u202es1", "", "1"]]).encode()
    rows = parse_lms(data).rows
    assert [(r.student, r.error) for r in rows] == [
        ("a@x.org", ""), (None, "ID number: an id of at most 64 characters, got 70"),
        (None, "ID number: 's\\x1b[2J' contains control characters"),
        (None, "ID number: '\\u202es1' contains control characters")]


def test_wrong_count_of_parts_is_not_gradable(tmp_path, spec, students):
    short = [(sid, vid, dict(list(ans.items())[:-1])) for sid, vid, ans in students[:1]]
    export = tmp_path / "r.csv"
    export.write_text(csv_text(moodle_rows(short)))
    assert run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / "gb.csv") == 2
    [row] = gradebook(tmp_path / "gb.csv")
    assert row["status"] == ("not gradable: 6 responses, but variant v001 asks 7 elements; is this the export "
                             "of its quiz?")


def test_formula_like_student_id_is_inert_in_the_gradebook(tmp_path, spec, students):
    rows = moodle_rows(students[:1])
    rows[1][2], rows[1][3] = "", "=HYPERLINK(1)"
    export = tmp_path / "r.csv"
    export.write_text(csv_text(rows))
    run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / "gb.csv")
    [row] = gradebook(tmp_path / "gb.csv")
    assert row["student"] == "'=HYPERLINK(1)" and row["status"] == "graded"  # the variant from its question


def test_a_blank_row_without_a_variant_or_id_says_what_to_give(tmp_path, spec, students):
    rows = moodle_rows(students[:1], question=False)
    rows[1][2] = rows[1][3] = ""
    export = tmp_path / "r.csv"
    export.write_text(csv_text(rows))
    assert run_check(spec, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / "gb.csv") == 2
    [row] = gradebook(tmp_path / "gb.csv")
    assert row["status"].startswith("not gradable: no variant named by its questions and no student id: give --variant")


def test_variant_option_for_a_canvas_quiz_whose_items_do_not_name_it(tmp_path, spec, students, capsys):
    rows = canvas_rows(students, "v002")
    rows[0] = [c.replace("Variant v002\n", "") for c in rows[0]]
    export = tmp_path / "r.csv"
    export.write_text(csv_text(rows))
    files = write_answer_files(tmp_path / "files", [s for s in students if s[1] == "v002"])
    assert (reports(capsys, spec, "--from-lms", export, "--seed", SEED, "--variant", "v002")
            == reports(capsys, spec, files, "--seed", SEED))
    # without it, each row's variant would be its student id: not a numbered variant, drawn on its own,
    # so its count of elements matches but its numbers are another problem's; --variant disagreeing with a
    # named variant is refused
    rows = canvas_rows(students, "v002")
    export.write_text(csv_text(rows))
    run_check(spec, "--from-lms", export, "--seed", SEED, "--variant", "v001", "--gradebook", tmp_path / "gb.csv")
    assert {r["status"] for r in gradebook(tmp_path / "gb.csv")} == {
        "not gradable: its questions name variant v002, not --variant v001"}


# -- one line, exit 2 ----------------------------------------------------------------------------


def one_line_error(capsys, *argv) -> str:
    capsys.readouterr()
    assert run_check(*argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err.strip()


def test_malformed_exports_are_one_line_errors(tmp_path, spec, students, capsys, monkeypatch):
    good = csv_text(moodle_rows(students[:3]))
    cases = {
        "latin1.csv": ("Surname,ID number,Response 1\nM\xfcller,s1,part 1: 0.5\n".encode("latin-1"),
                       "not UTF-8 text (byte 31)"),
        "nul.csv": (good.encode() + b"\x00", "contains NUL bytes"),
        "neither.csv": (b"a,b,c\n1,2,3\n", "row 1: not a Moodle Responses report"),
        "noid.csv": (b"Surname,First name,Response 1\nA,B,-\n", "row 1: no student id column"),
        "short.csv": ((good + "x,y\r\n").encode(), "row 5: 2 cells, but the header has 12"),
        "quote.csv": (good.encode() + b'a,"b\n', "row 5: not valid CSV: unexpected end of data"),
        "dup.csv": (b"ID number,Response 1,Response 1\ns1,1,2\n", "row 1: column 3 'Response 1' repeats column 2"),
        "huge-cell.csv": (f"ID number,Response 1\ns1,\"{'1' * 200_000}\"\n".encode(),
                          "row 2: a cell longer than 131072 characters"),
        "canvas-tail.csv": (b"name,id,submitted,1: q,1.0,n correct\nA,1,x,0.5,1,1\n",
                            "row 1: expected the columns n correct, n incorrect, score at the end"),
        "canvas-q.csv": (b"name,id,submitted,q,1.0,n correct,n incorrect,score\nA,1,x,0.5,1,1,0,1\n",
                         "row 1: column 4 'q': expected '<question id>: <question text>'"),
        "empty.csv": (b"", "empty: no header row"),
        "header-only.csv": (b"ID number,Response 1\n", "no student rows below the header"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        err = one_line_error(capsys, spec, "--from-lms", path, "--seed", SEED)
        assert err.startswith(f"error: {path}: ") and message in err, err
    sparse = tmp_path / "sparse.csv"  # over the real limit: refused by its size, before it is read
    with open(sparse, "wb") as fh:
        fh.truncate(lms_csv.MAX_BYTES + 1)
    assert f"more than the {lms_csv.MAX_BYTES}-byte limit" in one_line_error(capsys, spec, "--from-lms", sparse, "--seed", SEED)
    big = tmp_path / "big.csv"
    big.write_text(good)
    monkeypatch.setattr(lms_csv, "MAX_BYTES", 100)
    assert "more than the 100-byte limit" in one_line_error(capsys, spec, "--from-lms", big, "--seed", SEED)
    monkeypatch.setattr(lms_csv, "MAX_BYTES", 1 << 20)
    monkeypatch.setattr(lms_csv, "MAX_ROWS", 2)
    assert f"error: {big}: row 4: more than 2 rows" == one_line_error(capsys, spec, "--from-lms", big, "--seed", SEED)


def test_forced_format_that_does_not_fit(tmp_path, spec, students, capsys):
    path = tmp_path / "r.csv"
    path.write_text(csv_text(moodle_rows(students[:1])))
    assert "no 'sis_id' or 'id' column" in one_line_error(capsys, spec, "--from-lms", path, "--lms", "canvas", "--seed", SEED)


def test_option_combinations(tmp_path, spec, students, capsys):
    path = tmp_path / "r.csv"
    path.write_text(csv_text(moodle_rows(students[:1])))
    assert one_line_error(capsys, spec, "--from-lms", path, "--variant", "v001") == (
        "error: --variant needs --seed: the variants are drawn from the seed")
    assert one_line_error(capsys, spec, path, "--lms", "moodle") == "error: --lms and --variant go with --from-lms FILE.csv"
    assert "give no answer files with it" in one_line_error(capsys, spec, path, "--from-lms", path)
    assert "refusing to overwrite it" in one_line_error(capsys, spec, "--from-lms", path, "--seed", SEED,
                                                        "--gradebook", path)


def test_canvas_student_in_two_variant_groups_is_not_gradable():
    """A quiz whose items come from question groups of several variants: a row answers one group."""
    head = CANVAS_HEAD[:2] + ["submitted", "1: Variant v001 a", "1.0", "2: Variant v002 a", "1.0",
                              "n correct", "n incorrect", "score"]
    body = [["A", "1", "t", "0.5", "", "", "", "0", "0", "0"], ["B", "2", "t", "0.5", "", "0.7", "", "0", "0", "0"],
            ["C", "3", "t", "", "", "0.25", "", "0", "0", "0"]]
    rows = parse_lms(csv_text([head, *body]).encode()).rows
    assert [(r.student, r.variant, r.responses, r.error) for r in rows] == [
        ("1", "v001", ("0.5",), ""), ("2", None, (), "answers questions of different variants (v001, v002)"),
        ("3", "v002", ("0.25",), "")]


# -- random exports ------------------------------------------------------------------------------

_response = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
                      .filter(lambda t: "; part" not in t).map(lambda t: t.strip() or None))


@given(st.lists(_response, min_size=1, max_size=12))
def test_cloze_summary_splits_back_into_its_parts(responses):
    assert split_cloze(cloze_summary(responses)) == tuple(responses)


_HEADS = {"moodle": ["ID number", "Question 1", "Response 1"],
          "canvas": ["id", "submitted", "1: Variant v001 q", "1.0", "n correct", "n incorrect", "score"]}


@given(st.sampled_from(["moodle", "canvas"]), st.lists(st.lists(st.text(max_size=8), max_size=8), max_size=4),
       st.binary(max_size=40))
def test_any_export_is_rows_or_one_lms_error(lms, body, tail):
    """Whatever the cells and trailing bytes: rows with a variant and responses or a reason, or one
    LmsError line (never another exception)."""
    head = _HEADS[lms]
    try:
        export = parse_lms(csv_text([head, *body]).encode() + tail)
    except lms_csv.LmsError as err:
        assert "\n" not in str(err)
        return
    assert export.lms == lms
    for row in export.rows:
        assert row.error or row.blank or len(row.responses) >= 1
        assert all(r is None or (r and r == r.strip()) for r in row.responses)


def _canvas_quizzes(zip_bytes: bytes) -> dict:
    """{variant: [(question type, text as Canvas's report writes it, title)]} of our Canvas package,
    read from its XML: the report's question columns are the quiz's items, the HTML stripped."""
    import html as html_mod
    import re
    import xml.etree.ElementTree as ET
    import zipfile

    ns = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
    out = {}
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        for name in sorted(n for n in z.namelist() if n.endswith(".xml") and "/" in n and "assessment_meta" not in n):
            root = ET.fromstring(z.read(name))
            items = []
            for item in root.iter(f"{ns}item"):
                kind = next(f.findtext(f"{ns}fieldentry") for f in item.iter(f"{ns}qtimetadatafield")
                            if f.findtext(f"{ns}fieldlabel") == "question_type")
                text = next(item.iter(f"{ns}mattext")).text
                plain = html_mod.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", "", text)))
                items.append((kind, " ".join(plain.split()), item.get("title")))
            vid = re.search(r"Variant (v\d+)", items[0][1]).group(1)
            out[vid] = items
    return out


@pytest.mark.parametrize("padded", [False, True])
def test_our_canvas_package_read_back_grades_as_the_answer_files(tmp_path, spec, students, capsys, padded):
    """The whole loop: `variants --to canvas`, each quiz's Student Analysis report as Canvas writes it
    (the text-only Problem item a column of its own, responses of scaled items typed scaled), graded
    as the answer files. `padded`: every number stored to 4 decimals (Canvas's quiz page rounds a typed
    answer with toFixed(4)); then an answer typed to fewer digits than asked cannot be told from one
    padded with zeros, so the student who wrote 2 decimals where 4 are asked is left out."""
    if padded:
        students = [s for s in students if s[0] != "s005"]
    assert main(["variants", str(spec), "--seed", str(SEED), "--count", "3", "--to", "canvas",
                 "-o", str(tmp_path / "qti")]) == 0
    quizzes = _canvas_quizzes((tmp_path / "qti" / "canvas_qti.zip").read_bytes())
    assert sorted(quizzes) == ["v001", "v002", "v003"]
    files = write_answer_files(tmp_path / "files", students)
    for vid, items in quizzes.items():
        head = list(CANVAS_HEAD)
        for n, (_, text, _) in enumerate(items):
            head += [f"{5000 + n}: {text}", "1.0"]
        rows = [head + ["n correct", "n incorrect", "score"]]
        mine = [s for s in students if s[1] == vid]
        for n, (sid, _, ans) in enumerate(mine):
            row = [f"Student {n}", str(900 + n), sid, "Section 1", "77", "SEC1", "2026-12-01 10:20:00 UTC", "1"]
            for kind, text, title in items:
                typed = ans.get(title) if kind == "numerical_question" else None
                if typed is not None:
                    factor = re.search(r"\(= (\d+)\)", text)  # "Enter it multiplied by 10^2 (= 100)"
                    scaled = Decimal(typed) * (Decimal(factor.group(1)) if factor else 1)
                    typed = f"{scaled:.4f}" if padded else format(scaled, "f")
                row += [typed or "", "1.0" if typed else ""]
            rows.append(row + ["3", "4", "3.0"])
        export = tmp_path / f"{vid}.csv"
        export.write_text(csv_text(rows))
        sub = check_both(tmp_path, spec, files, mine, vid, export)
        assert without_file(gradebook(tmp_path / f"lms-{vid}.gb.csv")) == without_file(gradebook(tmp_path / f"files-{vid}.gb.csv"))
        assert reports(capsys, spec, "--from-lms", export, "--seed", SEED) == reports(capsys, spec, sub, "--seed", SEED)


def test_canvas_response_scaled_and_padded_reads_as_typed():
    from tracer.homework.canvas_numbers import canvas_answer
    from tracer.homework.lms import _canvas_number

    tiny = canvas_answer(3.1e-6, 5e-7, 1e-6)  # asked to 6 decimals: typed times 100, to 4 decimals
    assert tiny.scale == 2
    assert _canvas_number("0.0003", tiny, "r").text == "0.000003"
    plain = canvas_answer(0.8932, 0.005, 0.01)  # asked to 2 decimals: Canvas stores 0.89 as 0.8900
    assert [_canvas_number(t, plain, "r").text for t in ("0.8900", "0.8932", "1", "-0.5000")] == ["0.89", "0.8932", "1", "-0.50"]
    with pytest.raises(Exception, match="not allowed|not a number"):
        _canvas_number("nan", plain, "r")


def test_scaled_canvas_items_read_back_right(tmp_path, capsys):
    """Asked to 6 decimals, every item is asked times 100 (Canvas keeps 4 typed decimals): right
    answers typed scaled and padded as Canvas stores them grade all correct; unscaled, they do not."""
    path = tmp_path / "hw6.yaml"
    path.write_text(yaml.safe_dump({**HOMEWORK, "decimals": 6}))
    assert main(["variants", str(path), "--seed", str(SEED), "--count", "1", "--to", "canvas",
                 "-o", str(tmp_path / "qti")]) == 0
    items = _canvas_quizzes((tmp_path / "qti" / "canvas_qti.zip").read_bytes())["v001"]
    v = Generator(load_problem(path), SEED).variant("v001")
    every = element_values(v.problem, v.trace.values)
    numeric = [(text, title) for kind, text, title in items if kind == "numerical_question"]
    assert numeric and all("(= 100)" in text for text, _ in numeric)

    def report(scale) -> dict:
        head = list(CANVAS_HEAD)
        row = ["Ann", "901", "s001", "Section 1", "77", "SEC1", "2026-12-01 10:20:00 UTC", "1"]
        for n, (kind, text, title) in enumerate(items):
            head += [f"{6000 + n}: {text}", "1.0"]
            typed = f"{Decimal(f'{every[title]:.6f}') * scale:.4f}" if kind == "numerical_question" else ""
            row += [typed, "1.0" if typed else ""]
        export = tmp_path / f"x{scale}.csv"
        export.write_text(csv_text([head + ["n correct", "n incorrect", "score"], row + ["1", "0", "1"]]))
        run_check(path, "--from-lms", export, "--seed", SEED, "--gradebook", tmp_path / f"x{scale}.gb.csv")
        return gradebook(tmp_path / f"x{scale}.gb.csv")[0]

    right = report(100)
    assert right["status"] == "graded" and right["points"] == right["max"] and right["first_error"] == ""
    assert report(1)["first_error"] != ""


def test_our_moodle_quiz_read_back_grades_right_answers_correct(tmp_path, spec, capsys):
    """The whole loop for Moodle: `variants --to moodle`, each Cloze question's parts answered with
    their own `=value` to the sheet's decimals, in the Responses report's `part k: ...` summary with
    the question's text: every row all correct (points = max); another variant's parts are not."""
    import html as html_mod
    import xml.etree.ElementTree as ET

    assert main(["variants", str(spec), "--seed", str(SEED), "--count", "3", "--to", "moodle",
                 "-o", str(tmp_path / "m")]) == 0
    root = ET.parse(tmp_path / "m" / "quiz.xml").getroot()
    questions = [q for q in root.iter("question") if q.get("type") == "cloze"]  # Moodle XML names qtype_multianswer so
    assert len(questions) == 3
    head = MOODLE_HEAD + ["Question 1", "Response 1", "Right answer 1"]
    rows, shifted = [head], [head]
    parts_of = []
    for q in questions:
        text = q.findtext("questiontext/text")
        parts_of.append([float(v) for v in re.findall(r"\{\d*:(?:NUMERICAL|NM):=([-0-9.eE+]+):", text)])
        parts_of[-1] = [round(v, 4) for v in parts_of[-1]]
        plain = " ".join(html_mod.unescape(re.sub(r"<[^>]+>|\{[^}]*\}", " ", text)).split())
        assert plain.startswith("Variant v00")
        parts_of[-1] = (plain, parts_of[-1])
    for n, (plain, values) in enumerate(parts_of):
        other = parts_of[(n + 1) % 3][1]
        base = [f"Name{n}", "Ann", f"s{n}", f"s{n}@uni.example", "Finished", "1 December 2026  10:00 AM",
                "1 December 2026  10:20 AM", "20 mins", "7.00", plain]
        rows.append(base + [cloze_summary([f"{v:.4f}" for v in values]), ""])
        shifted.append(base + [cloze_summary([f"{v:.4f}" for v in other][:len(values)]), ""])
    for name, body in (("right", rows), ("other", shifted)):
        (tmp_path / f"{name}.csv").write_text(csv_text(body))
        run_check(spec, "--from-lms", tmp_path / f"{name}.csv", "--seed", SEED, "--gradebook", tmp_path / f"{name}.gb.csv")
    right = gradebook(tmp_path / "right.gb.csv")
    assert [r["status"] for r in right] == ["graded"] * 3
    assert all(r["points"] == r["max"] and r["first_error"] == "" for r in right)
    assert all(r["first_error"] != "" for r in gradebook(tmp_path / "other.gb.csv"))
