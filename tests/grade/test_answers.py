"""Answer files are untrusted: the parser returns a sheet or a clean AnswerError, nothing else."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracer.errors import TracerError
from tracer.grade.answers import (
    MAX_BYTES,
    AnswerError,
    Number,
    numbers,
    parse_answers,
    parse_number,
    read_answers,
    read_bytes,
)
from tracer.grade.check import Checker
from tracer.problem.spec import load_problem

LECTURE = load_problem({
    "layers": [2, 2, 1], "activation": "sigmoid", "loss": "bce",
    "params": {"W1": [[0.1, 0.4], [0.2, 0.5]], "b1": [0.3, 0.6], "W2": [[0.7, 0.8]], "b2": [0.9]},
    "data": [{"x": [1.0, 2.0], "y": [1]}], "learning_rate": 0.5, "iterations": 2,
})


# -- the number grammar -----------------------------------------------------------------

GOOD_NUMBERS = [
    ("0.8934", 0.8934, 1e-4), ("-2", -2.0, 1.0), (".5", 0.5, 0.1), ("3.", 3.0, 1.0), ("+1.25", 1.25, 1e-2),
    ("1.2e-3", 1.2e-3, 1e-4), ("-4E5", -4e5, 1e5), ("0.8930", 0.893, 1e-4), (" 7 ", 7.0, 1.0),
    ("3/7", 3 / 7, None), ("-1/8", -0.125, None), ("12 / 5", 2.4, None), ("0e999", 0.0, 1e308),
]
BAD_NUMBERS = [
    ("nan", "must be finite"), ("NaN", "must be finite"), ("-inf", "must be finite"), (".inf", "must be finite"),
    ("Infinity", "must be finite"), ("0x1f", "is not a number"), ("1_000", "is not a number"),
    ("1:30", "is not a number"), ("1-0.5", "is not a number"), ("2**3", "is not a number"),
    ("__import__('os')", "is not a number"), ("1/0", "divides by zero"), ("1e400", "is too large"),
    ("1.5/2", "is not a number"), ("", "is not a number"), ("1" * 70, "too long"), ("٣", "is not a number"),
]


@pytest.mark.parametrize("text, value, place", GOOD_NUMBERS)
def test_numbers_parse_with_the_place_of_their_last_digit(text, value, place):
    n = parse_number(text, "k")
    assert n.value == pytest.approx(value, rel=1e-15)
    assert n.text == text.strip()
    assert (n.place is None) if place is None else n.place == pytest.approx(place)


@pytest.mark.parametrize("text, message", BAD_NUMBERS)
def test_anything_else_is_refused_naming_the_key(text, message):
    with pytest.raises(AnswerError) as err:
        parse_number(text, "iter1.yhat")
    assert str(err.value).startswith("iter1.yhat: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


# -- the three formats -------------------------------------------------------------------


def test_yaml_keeps_the_text_of_numbers_and_flattens_nested_keys():
    sheet = parse_answers("student: s1\niter1.yhat: 0.8930\niter1:\n  h1: [0.7685, '3/7', ~]\niter1.W1[2,1]: 2e-1\n")
    assert sheet.student == "s1"
    entries = {e.key: e.raw for e in sheet.entries}
    assert list(entries) == ["iter1.yhat", "iter1.h1", "iter1.W1[2,1]"]
    assert entries["iter1.yhat"] == Number(0.893, "0.8930", pytest.approx(1e-4))
    assert numbers(entries["iter1.h1"], "iter1.h1")[1].value == pytest.approx(3 / 7)
    assert numbers(entries["iter1.h1"], "iter1.h1")[2] is None
    assert entries["iter1.W1[2,1]"].place == pytest.approx(0.1)  # 2e-1: last digit in the tenths


def test_json_keeps_the_text_of_numbers():
    sheet = parse_answers('{"student_id": 42, "iter1.yhat": 0.8930, "iter1.h1": [1, 2.50]}', "json")
    assert sheet.student == "42"
    raw = {e.key: e.raw for e in sheet.entries}
    assert raw["iter1.yhat"].text == "0.8930"
    assert [n.text for n in raw["iter1.h1"]] == ["1", "2.50"]


def test_csv_rows_lists_elements_header_and_comments():
    text = 'key,value\n# a comment\nstudent,s9\niter1.yhat,0.8933\niter1.h1,"[0.7685, 0.8581]"\n' \
           'iter1.W1,"[[0.1, 0.4], [0.2, 0.5]]"\niter1.W2[1,2],0.8\niter1.a2,\n\n'
    sheet = parse_answers(text, "csv")
    assert sheet.student == "s9"
    raw = {e.key: e.raw for e in sheet.entries}
    assert list(raw) == ["iter1.yhat", "iter1.h1", "iter1.W1", "iter1.W2[1,2]", "iter1.a2"]
    assert [[n.value for n in row] for row in raw["iter1.W1"]] == [[0.1, 0.4], [0.2, 0.5]]
    assert raw["iter1.W2[1,2]"].value == 0.8
    assert raw["iter1.a2"] is None


@pytest.mark.parametrize("text, message", [
    ('a,"[1,]"', "misplaced comma"), ('a,"[1 2]"', "not a list of numbers"), ('a,"[[[1]]]"', "list of rows"),
    ('a,"[1]]"', "unbalanced"), ('a,"[1"', "unbalanced"), ("a,1,2", "expected key,value"),
    ("a,1\na,2", "duplicate key 'a'"), ("a,1+1", "is not a number"),
])
def test_bad_csv(text, message):
    with pytest.raises(AnswerError, match="row") as err:
        parse_answers(text, "csv")
    assert message in str(err.value)


HOSTILE = [
    ("aliases", "yaml", "a: &x [1, 2]\nb: *x\n", "YAML aliases are not allowed"),
    ("alias bomb", "yaml", "a: &a [1,1,1,1]\nb: &b [*a,*a,*a,*a]\nc: [*b,*b,*b,*b]\n", "YAML aliases are not allowed"),
    ("duplicate yaml", "yaml", "a: 1\na: 2\n", "duplicate key 'a'"),
    ("duplicate after flattening", "yaml", "iter1.a1: 1\niter1:\n  a1: 2\n", "duplicate key 'iter1.a1'"),
    ("duplicate json", "json", '{"a": 1, "a": 2}', "duplicate key 'a'"),
    ("yaml nan", "yaml", "a: .nan\n", "must be finite"),
    ("yaml inf", "yaml", "a: [1, -.inf]\n", "must be finite"),
    ("json NaN", "json", '{"a": NaN}', "must be finite"),
    ("json Infinity", "json", '{"a": [-Infinity]}', "must be finite"),
    ("json 1e999", "json", '{"a": 1e999}', "too large"),
    ("deep yaml", "yaml", "a: " + "[" * 40 + "]" * 40, "nested deeper than"),
    ("deep json", "json", '{"a": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper than"),
    ("deep block sequence", "yaml", "a:\n  " + "- " * 120_000 + "1\n", "nested deeper than"),  # crashed libyaml's composer
    ("deep mapping", "yaml", "".join(f"{'  ' * i}k{i}:\n" for i in range(30)) + "  " * 30 + "x: 1\n", "nested deeper than"),
    ("control char key", "yaml", '"iter1.a1\\x1b[2J": 1\n', "contains control characters"),
    ("bidi key", "json", '{"iter1.a1\\u202e": 1}', "contains control characters"),
    ("control char id", "json", '{"student": "bob\\u0007"}', "contains control characters"),
    ("long id", "json", '{"student": "' + "x" * 100 + '"}', "at most 64 characters"),
    ("id not text", "yaml", "student: [1, 2]\n", "expected an id"),
    ("two ids", "yaml", "student: a\nstudent_id: b\n", "once"),
    ("python tag", "yaml", "a: !!python/object/apply:os.system ['ls']\n", "not valid YAML"),
    ("bad date", "yaml", "a: 2024-02-30\n", "not valid YAML"),
    ("not a mapping", "yaml", "- 1\n- 2\n", "expected a mapping"),
    ("a scalar", "json", "3", "expected a mapping"),
    ("nul", "yaml", "a: 1\x00\n", "NUL"),
    ("bell in yaml", "yaml", "a: 1\x07\n", "not valid YAML"),
    ("broken json", "json", '{"a": ', "not valid JSON"),
    ("broken yaml", "yaml", "a: [1, 2\n", "not valid YAML"),
    ("too many", "yaml", "".join(f"k{i}: 1\n" for i in range(10_001)), "more than 10000 answers"),
]


@pytest.mark.parametrize("name, fmt, text, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_documents_are_refused_in_one_line(name, fmt, text, message):
    with pytest.raises(AnswerError) as err:
        parse_answers(text.encode("utf-8"), fmt)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_values_that_are_not_numbers_are_refused_when_the_key_is_known():
    checker = Checker(LECTURE)
    for text, message in [("iter1.yhat: true", "true (a boolean)"), ("iter1.yhat: abc", "'abc' is not a number"),
                          ("iter1.h1: [1, [2, [3]]]", "not deeper lists"), ("iter1.yhat: {}", None)]:
        sheet = parse_answers(text)
        if message is None:  # an empty nested mapping is no answer at all
            assert checker.check_sheet(sheet).items == []
            continue
        with pytest.raises(AnswerError, match="iter1") as err:
            checker.check_sheet(sheet)
        assert message in str(err.value)
    # ... but an unknown key's value is never looked at
    report = checker.check_sheet(parse_answers("notes: I was not sure about part 3\n"))
    assert [(i.key, i.status) for i in report.items] == [("notes", "unknown-key")]


def test_files_size_cap_binary_and_special_files(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n" + "#" * MAX_BYTES)
    with pytest.raises(AnswerError, match="limit"):
        read_answers(big)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(AnswerError, match="UTF-8"):
        read_answers(junk)
    with pytest.raises(AnswerError, match="not a regular file"):
        read_bytes(tmp_path)
    with pytest.raises(AnswerError, match="cannot read"):
        read_answers(tmp_path / "absent.yaml")
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffiter1.yhat,0.8933\n".encode("utf-8"))
    assert read_answers(bom).entries[0].key == "iter1.yhat"
    sniff = tmp_path / "answers.txt"
    sniff.write_text('{"iter1.yhat": 0.8933}')
    assert read_answers(sniff).entries[0].raw.text == "0.8933"


def test_device_files_are_refused_without_reading_them():
    with pytest.raises(AnswerError, match="not a regular file"):
        read_bytes("/dev/zero")


# -- fuzz: random bytes and random structures only ever give verdicts or "not gradable" ----

CHECKER = Checker(LECTURE)
KEYS = list(CHECKER.values) + ["iter1.W1[2,1]", "iter1.h1[3]", "student", "student_id", "iter1.u", "iter1"]


def _grade(data: bytes | str, fmt: str):
    try:
        sheet = parse_answers(data, fmt)
        report = CHECKER.check_sheet(sheet, "fuzz")
    except TracerError as err:  # the one clean failure: not gradable
        assert str(err) and "\n" not in str(err)
        return None
    assert all(i.status in ("correct", "imprecise", "follow-through", "wrong", "missing", "unknown-key") for i in report.items)
    assert math.isfinite(report.points) and 0 <= report.points <= report.max_points + 1e-9
    json.dumps(report.to_dict(), allow_nan=False)
    return report


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["yaml", "json", "csv", "txt"]))
def test_fuzz_random_bytes(data, fmt):
    _grade(data, fmt)


@FUZZ
@given(st.lists(st.sampled_from(list("iter1.aWhbyx[],:{}\"'0123456789-e/ \n&*!|>#~\t") + ["iter1.", "0.5", "yhat: "]),
                max_size=200), st.sampled_from(["yaml", "json", "csv"]))
def test_fuzz_random_text_near_the_grammar(tokens, fmt):
    _grade("".join(tokens), fmt)


_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["3/7", "0.8933", "nan", "1e999", "0x10", "", "1/0"]),
)
_value = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=30)
_doc = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=15)), _value, max_size=12)


@FUZZ
@given(st.one_of(_doc, _value))
def test_fuzz_random_structures_as_json_and_yaml(doc):
    _grade(json.dumps(doc), "json")
    _grade(yaml.safe_dump(doc, allow_unicode=True), "yaml")


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), st.floats(-3, 3, allow_nan=False), max_size=20))
def test_fuzz_plausible_sheets_always_grade(doc):
    report = _grade(yaml.safe_dump(doc), "yaml")
    if doc and "student" not in doc and "student_id" not in doc:
        assert report is not None


@FUZZ
@given(st.one_of(_doc, _value), st.booleans())
def test_fuzz_libyaml_fast_path_reads_what_the_python_loader_reads(doc, flow):
    """Well-behaved YAML goes through libyaml's parser; it must agree with the pure-Python loader."""
    from tracer.grade import answers

    if answers._FAST is None:
        pytest.skip("PyYAML without libyaml")
    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=flow)
    results = []
    for loader in (answers._FAST, answers._AnswerLoader):
        try:
            results.append(("ok", yaml.load(text, Loader=loader)))  # noqa: S506 - SafeConstructor based
        except Exception as err:  # noqa: BLE001 - compare outcomes, not messages
            results.append(("error", type(err).__name__))
    if results[0][0] == "ok":
        assert results[0] == results[1]


@pytest.mark.parametrize("fmt,text", [
    ("yaml", "student: s1\nvariant: v007\niter1.yhat: 0.8933\n"),
    ("json", '{"student": "s1", "variant": "v007", "iter1.yhat": 0.8933}'),
    ("csv", "student,s1\nvariant,v007\niter1.yhat,0.8933\n"),
])
def test_variant_is_metadata_like_student(fmt, text):
    sheet = parse_answers(text, fmt)
    assert (sheet.student, sheet.variant) == ("s1", "v007")
    assert [e.key for e in sheet.entries] == ["iter1.yhat"]


def test_variant_id_is_checked_like_a_student_id():
    with pytest.raises(AnswerError, match="variant: .* contains control characters"):
        parse_answers('{"variant": "v\\u0007x"}', "json")
