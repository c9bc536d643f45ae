"""Canvas QTI: the package compared with text2qti's for the same questions, read back as Canvas's importer
reads it, every item's accepted range the checker's, tiny values and tolerances kept, byte-identical zips.

The importer's reading (docs/lms.md links each line of it): a quiz per `imsqti_xmlv1p2` resource of
imsmanifest.xml; an item's type from its `question_type` metadata field, its points from
`points_possible`, its name from `title`; a numerical item's exact value from `varequal`, its margin
as BigDecimal(varlte) - BigDecimal(varequal) (numeric_interaction.rb), unless both bounds end in 5
around a power-of-ten width (then a "precision answer"); general feedback from an `itemfeedback`
whose ident matches /general_/; an image src `$IMS-CC-FILEBASE$/path` is the package file `path`
(canvas_link_migrator's LinkParser). A typed answer is rounded to 4 decimals (quiz taking's toFixed(4)).
"""

from __future__ import annotations

import html
import os
import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.grade.grading import Tolerance
from tracer.homework.asking import key_entries
from tracer.homework.canvas_numbers import TYPED, accepts, canvas_answer
from tracer.homework.variants import Generator, numbered_ids, write_variants
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
LECTURE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
LECTURE.pop("published")
HOMEWORK = {**LECTURE, "iterations": 1, "randomize": True,
            "ask": ["iter1.yhat", "iter1.loss", "iter1.delta1[2]", "iter1.grad.W1"]}
Q = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


def package(spec=HOMEWORK, seed=5, count=3, tmp=None) -> tuple[zipfile.ZipFile, list]:
    written = write_variants(Generator(load_problem(spec), seed), numbered_ids(count), "canvas", tmp)
    assert written.files == ["canvas_qti.zip"]
    return zipfile.ZipFile(io.BytesIO((tmp / "canvas_qti.zip").read_bytes())), written.variants


def _bytes(spec, seed, count, tmp) -> bytes:
    write_variants(Generator(load_problem(spec), seed), numbered_ids(count), "canvas", tmp)
    return (tmp / "canvas_qti.zip").read_bytes()


# -- Canvas's importer, as far as these tests rely on it ------------------------------------------


def quizzes(zf: zipfile.ZipFile) -> list[ET.Element]:
    manifest = ET.fromstring(zf.read("imsmanifest.xml"))
    return [ET.fromstring(zf.read(r.find(f"{CP}file").get("href")))
            for r in manifest.iter(f"{CP}resource") if r.get("type") == "imsqti_xmlv1p2"]


def field(item: ET.Element, label: str) -> str:
    for f in item.iter(f"{Q}qtimetadatafield"):
        if f.findtext(f"{Q}fieldlabel") == label:
            return f.findtext(f"{Q}fieldentry") or ""
    raise KeyError(label)


def read_item(item: ET.Element) -> dict:
    """What Canvas keeps of an item (AssessmentItemConverter, NumericInteraction)."""
    out = {"type": field(item, "question_type"), "name": item.get("title"),
           "text": item.find(f"{Q}presentation/{Q}material/{Q}mattext").text}
    if out["type"] != "numerical_question":
        return out
    out["points"] = float(field(item, "points_possible"))
    cond = item.find(f".//{Q}respcondition[@continue='No']/{Q}conditionvar/{Q}or")
    exact, lower, upper = (cond.findtext(f".//{Q}{tag}") for tag in ("varequal", "vargte", "varlte"))
    strip = lambda s: re.sub(r"[0.]", "", s)  # noqa: E731 (numeric_interaction.rb's precision-answer test)
    width = Decimal(upper) - Decimal(lower)
    out["precision_answer"] = (strip(lower).endswith("5") and strip(upper).endswith("5")
                               and Decimal(exact) - Decimal(lower) == Decimal(upper) - Decimal(exact)
                               and width.normalize().as_tuple().digits == (1,))
    out["exact"], out["margin"] = Decimal(exact), Decimal(upper) - Decimal(exact)
    feedback = [f for f in item.findall(f"{Q}itemfeedback") if re.search(r"general_|_all", f.get("ident"), re.I)]
    out["feedback"] = feedback[0].find(f".//{Q}mattext").text if feedback else ""
    return out


def canvas_accepts(item: dict, typed: str) -> bool:
    x = Decimal(typed).quantize(Decimal(1).scaleb(TYPED), rounding="ROUND_HALF_UP")
    return item["exact"] - item["margin"] <= x <= item["exact"] + item["margin"]


def scale_of(text: str) -> int:
    m = re.search(r"multiplied by <img [^>]*title=\"10\^\{(\d+)\}\"[^>]*/> \(= (\d+)\)", text)
    if m:
        assert 10 ** int(m.group(1)) == int(m.group(2))  # the digits too, for a text stripped of its images
    return int(m.group(1)) if m else 0


# -- the package ---------------------------------------------------------------------------------


def test_zip_is_valid_and_the_manifest_lists_every_file(tmp_path):
    zf, _ = package(tmp=tmp_path)
    assert zf.testzip() is None
    manifest = ET.fromstring(zf.read("imsmanifest.xml"))
    listed = {unquote(f.get("href")) for f in manifest.iter(f"{CP}file")}
    assert listed == set(zf.namelist()) - {"imsmanifest.xml"}
    for dep in manifest.iter(f"{CP}dependency"):  # each quiz's Canvas settings file is its own resource
        assert any(r.get("identifier") == dep.get("identifierref") for r in manifest.iter(f"{CP}resource"))
    types = sorted({r.get("type") for r in manifest.iter(f"{CP}resource")})
    assert types == ["associatedcontent/imscc_xmlv1p1/learning-application-resource", "imsqti_xmlv1p2", "webcontent"]


def test_a_quiz_per_variant_items_in_sheet_order_with_the_checkers_values(tmp_path):
    zf, variants = package(tmp=tmp_path)
    found = quizzes(zf)
    assert len(found) == len(variants) == 3
    for root, v in zip(found, variants):
        items = [read_item(i) for i in root.iter(f"{Q}item")]
        assert items[0]["type"] == "text_only_question"
        names = [i["name"] for i in items[1:]]
        assert names == ["iter1.yhat", "iter1.loss", "iter1.delta1[2]",
                         "iter1.grad.W1[1,1]", "iter1.grad.W1[1,2]", "iter1.grad.W1[2,1]", "iter1.grad.W1[2,2]"]
        for item in items:
            assert item["text"].startswith(f"<p>Variant {v.id}</p>\n")
        first = items[1]
        assert "Worked solution" in first["feedback"] and f"Variant {v.id}" in first["feedback"]
        assert all(not i["feedback"] for i in items[2:])
        flat = _flat_keys(v)
        for item in items[1:]:
            value = flat[item["name"]]
            scaled = Decimal(repr(value)).scaleb(scale_of(item["text"]))
            assert item["exact"] - item["margin"] <= scaled <= item["exact"] + item["margin"]
            assert not item["precision_answer"]


def _flat_keys(v) -> dict:
    import numpy as np

    out = {}
    for key, value in key_entries(v.problem, v.trace.values).items():
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            out[key] = float(arr)
        else:
            for idx in np.ndindex(arr.shape):
                out[f"{key}[{','.join(str(i + 1) for i in idx)}]"] = float(arr[idx])
    return out


def test_quiz_settings_are_found_as_canvas_finds_them(tmp_path):
    """QuizMetadataConverter: the file `<assessment ident>/assessment_meta.xml` of a learning-application
    resource; its title, description, points and only_visible_to_overrides."""
    zf, variants = package(tmp=tmp_path, count=2)
    manifest = ET.fromstring(zf.read("imsmanifest.xml"))
    metas = [f.get("href") for r in manifest.iter(f"{CP}resource") if r.get("type").endswith("learning-application-resource")
             for f in r.iter(f"{CP}file")]
    for root, v in zip(quizzes(zf), variants):
        ident = root.find(f"{Q}assessment").get("ident")
        assert f"{ident}/assessment_meta.xml" in metas
        meta = ET.fromstring(zf.read(f"{ident}/assessment_meta.xml"))
        get = lambda tag: meta.findtext("{http://canvas.instructure.com/xsd/cccv1p0}" + tag)  # noqa: E731
        assert get("title") == root.find(f"{Q}assessment").get("title") and f"(variant {v.id})" in get("title")
        assert get("description").startswith(f"<p>Variant {v.id}</p>\n")
        assert get("only_visible_to_overrides") == "true" and get("available") == "false"
        points = sum(read_item(i).get("points", 0) for i in root.iter(f"{Q}item"))
        assert float(get("points_possible")) == pytest.approx(points)


def test_each_range_excludes_another_variants_value(tmp_path):
    zf, variants = package(tmp=tmp_path)
    items = [[read_item(i) for i in root.iter(f"{Q}item")][1:] for root in quizzes(zf)]
    checked = 0
    for mine, other in ((0, 1), (1, 2), (2, 0)):
        theirs = _flat_keys(variants[other])
        for item in items[mine]:
            value = theirs[item["name"]]
            scaled = Decimal(repr(value)).scaleb(scale_of(item["text"]))
            if abs(scaled - item["exact"]) > 2 * item["margin"]:  # the variants differ there
                assert not canvas_accepts(item, str(scaled.quantize(Decimal("1e-4"))))
                checked += 1
    assert checked >= 10


def test_the_figure_is_a_package_file_the_statement_points_to(tmp_path):
    zf, variants = package(tmp=tmp_path)
    for root, v in zip(quizzes(zf), variants):
        statement = read_item(next(root.iter(f"{Q}item")))["text"]
        srcs = re.findall(r'<img src="([^"]+)"', statement)
        assert srcs == [f"%24IMS-CC-FILEBASE%24/images/{v.id}.network.svg"]
        path = re.fullmatch(r"\$IMS(?:-|_)CC(?:-|_)FILEBASE\$/(.*)", unquote(srcs[0])).group(1)  # LinkParser
        svg = zf.read(path).decode()
        assert svg.startswith("<svg") or svg.startswith("<?xml")
        assert "<svg" not in statement  # inline SVG would not survive Canvas's sanitizer


def test_math_is_canvas_equation_images_of_the_handouts_latex(tmp_path):
    zf, _ = package(tmp=tmp_path, count=1)
    statement = read_item(next(quizzes(zf)[0].iter(f"{Q}item")))["text"]
    images = re.findall(r'<img class="equation_image" title="([^"]*)" src="/equation_images/([^"?]*)\?scale=1"',
                        statement)
    assert images
    for title, src in images:  # the LaTeX, URL-escaped twice, as Canvas's equation editor stores it
        assert unquote(unquote(src)) == html.unescape(title)
    assert r"\(" not in statement and "<math" not in statement


GRAPH = yaml.safe_load((REPO / "examples" / "graph-homework.yaml").read_text())
NO_DECIMALS = {k: v for k, v in HOMEWORK.items() if k != "decimals"}


@pytest.mark.parametrize("spec, wording", [
    ({**HOMEWORK, "decimals": 2}, "to 2 decimal places"),
    ({**NO_DECIMALS, "sig_figs": 3}, "to 3 significant figures"),
    ({**HOMEWORK, "grading": {"abs_tol": 0.01}}, "within abs 0.01"),
    ({**HOMEWORK, "arithmetic": "by-hand"}, "to 4 decimal places"),
    (GRAPH, "decimal places"),
], ids=["decimals-2", "sig-figs", "abs-tol", "by-hand", "graph"])
def test_every_kind_of_spec_gets_items_that_accept_their_key(tmp_path, spec, wording):
    zf, variants = package(spec=spec, tmp=tmp_path, count=2)
    for root, v in zip(quizzes(zf), variants):
        flat = _flat_keys(v)
        items = [read_item(i) for i in root.iter(f"{Q}item")][1:]
        assert [i["name"] for i in items] == list(flat)
        for item in items:
            assert wording in item["text"] and item["margin"] > 0
            scaled = Decimal(repr(flat[item["name"]])).scaleb(scale_of(item["text"]))
            assert item["exact"] - item["margin"] <= scaled <= item["exact"] + item["margin"]


def test_text_xml_cannot_carry_is_dropped(tmp_path):
    spec = {**HOMEWORK, "title": "Bell\x07 and form feed\x0c", "description": "nul\x00 here"}
    zf, _ = package(spec=spec, tmp=tmp_path, count=1)
    for name in zf.namelist():
        if name.endswith(".xml"):
            ET.fromstring(zf.read(name))  # well-formed
    assert "Bell and form feed" in zf.read(next(n for n in zf.namelist() if n.endswith("meta.xml"))).decode()


def test_byte_identical_for_the_same_seed(tmp_path):
    a = _bytes(HOMEWORK, 5, 2, tmp_path / "a")
    b = _bytes(HOMEWORK, 5, 2, tmp_path / "b")
    c = _bytes(HOMEWORK, 6, 2, tmp_path / "c")
    assert a == b and a != c
    infos = zipfile.ZipFile(io.BytesIO(a)).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


# -- tolerances: the checker's, on the grid of answers it asks for, tiny values included ----------


@settings(max_examples=300, deadline=None)
@given(mantissa=st.floats(-9.99, 9.99, allow_nan=False), exponent=st.integers(-9, 3),
       decimals=st.integers(0, 9), bound=st.floats(0.0, 6.0))
def test_canvas_accepts_exactly_the_grid_answers_check_accepts(mantissa, exponent, decimals, bound):
    value = mantissa * 10.0 ** exponent
    floor = 10.0 ** -decimals
    t = Tolerance().allowed(floor, value, bound, floor)
    answer = canvas_answer(value, t, floor)
    assert answer.place >= TYPED  # every digit asked survives Canvas's 4 typed decimals
    assert not _precision_answer(answer.lower, answer.upper, answer.exact)
    centre = round(value / floor)
    for n in range(centre - 8, centre + 9):
        typed_value = Decimal(n).scaleb(-decimals)
        checker = abs(float(typed_value) - value) <= t
        typed = typed_value.scaleb(answer.scale)
        assert typed.as_tuple().exponent >= TYPED  # typed with at most 4 decimals: Canvas keeps it whole
        assert accepts(answer, str(typed)) == checker, (n, answer)


def _precision_answer(lower: str, upper: str, exact: str) -> bool:
    strip = lambda s: re.sub(r"[0.]", "", s)  # noqa: E731
    width = Decimal(upper) - Decimal(lower)
    return (strip(lower).endswith("5") and strip(upper).endswith("5")
            and Decimal(exact) - Decimal(lower) == Decimal(upper) - Decimal(exact)
            and width.normalize().as_tuple().digits == (1,))


@pytest.mark.parametrize("value, decimals, scale, exact", [
    (3.1e-6, 6, 2, "0.00031"),  # below 1e-4: asked times 10^2, so 0.000003 is typed 0.0003
    (-4.567e-5, 8, 4, "-0.4567"),
    (0.1234567, 4, 0, "0.1234567"),
])
def test_tiny_values_are_asked_scaled(value, decimals, scale, exact):
    floor = 10.0 ** -decimals
    answer = canvas_answer(value, Tolerance().allowed(floor, value, 0.5, floor), floor)
    assert (answer.scale, answer.exact) == (scale, exact)
    assert Decimal(answer.margin) >= Decimal("0.00005")  # half a typed unit: Canvas cannot round it away


def test_a_six_decimal_spec_says_so_in_its_questions(tmp_path):
    spec = {**HOMEWORK, "decimals": 6}
    zf, _ = package(spec=spec, tmp=tmp_path, count=1)
    items = [read_item(i) for i in quizzes(zf)[0].iter(f"{Q}item")][1:]
    for item in items:
        assert scale_of(item["text"]) == 2 and "to 4 decimal places" in item["text"]
        assert "Canvas keeps 4 decimal places" in item["text"]


# -- text2qti: the same numerical questions, element by element ---------------------------------

# Deliberate differences from text2qti 0.8 (what is compared is everything else):
#  - identifiers: ours are hashes of (title, seed, variant id), theirs of the question text; both opaque.
#  - original_answer_ids: ours numeric, as Canvas's own export writes them (the importer's
#    get_or_generate_answer_id takes .to_i of each and replaces a 0 with a random id, as text2qti's become);
#  - the numbers: ours exact decimals, theirs formatted `.4f`, which collapses a margin below 5e-5
#    (0.1234 +- 0.00005 is written as 0.1234 to 0.1234: see test_our_numbers_keep_what_text2qtis_round_away);
#  - mattext: our HTML (equation images, tables) against their Markdown's;
#  - points: ours the spec's points per element (a 2x2 gradient's 1 point is 0.25 each), text2qti takes
#    only whole or half points (compared: both positive, the text item's 0);
#  - the root carries no xsi:schemaLocation (the importer reads no schema).
_OPAQUE_FIELDS = {"original_answer_ids", "assessment_question_identifierref"}
_NUMBERS = {"varequal", "vargte", "varlte"}


def _shape(el: ET.Element, label: str = "") -> list:
    tag = el.tag.split("}")[-1]
    attrs = {k.split("}")[-1]: ("*" if k in ("ident", "title") else v) for k, v in el.attrib.items()
             if "schemaLocation" not in k}
    text = (el.text or "").strip()
    if tag == "mattext" or (tag == "fieldentry" and label in _OPAQUE_FIELDS):
        text = "*"
    elif tag in _NUMBERS:
        text = "number"
    elif tag == "fieldentry" and label == "points_possible":
        text = "points" if float(text) > 0 else 0
    out = [(tag, attrs, text)]
    current = ""
    for child in el:
        if child.tag.endswith("fieldlabel"):
            current = child.text
        out += _shape(child, current)
    return out


def _text2qti_item(title: str, points: float, exact: Decimal, margin: Decimal, feedback: bool) -> list:
    """text2qti's items (its text region, then the numerical question) for one numerical question."""
    text2qti = pytest.importorskip("text2qti")  # noqa: F841 (a test-only dependency: pip install text2qti)
    from text2qti.config import Config
    from text2qti.qti import QTI
    from text2qti.quiz import Quiz

    source = (f"Quiz title: T\n\nText title: Problem\nText: the problem\n\nTitle: {title}\nPoints: {points:g}\n"
              f"1.  Compute {title}.\n" + ("... The worked solution.\n" if feedback else "")
              + f"=   {exact} +- {margin}\n")
    zf = zipfile.ZipFile(io.BytesIO(QTI(Quiz(source, config=Config(), source_name="t.txt")).zip_bytes()))
    assessment = next(n for n in zf.namelist() if n.endswith(".xml") and "/" in n and "meta" not in n)
    items = list(ET.fromstring(zf.read(assessment)).iter(f"{Q}item"))
    return items


def test_numerical_items_match_text2qtis_element_by_element(tmp_path):
    zf, _ = package(tmp=tmp_path, count=1)
    ours = list(quizzes(zf)[0].iter(f"{Q}item"))
    for n, item in enumerate(ours[1:], start=1):
        mine = read_item(item)
        margin = max(mine["margin"], Decimal("0.0001"))  # text2qti refuses what it would round to nothing
        text_item, theirs = _text2qti_item(mine["name"], 1, mine["exact"], margin, feedback=n == 1)
        assert _shape(item) == _shape(theirs)
        assert _shape(ours[0]) == _shape(text_item)


def test_our_numbers_keep_what_text2qtis_round_away():
    items = _text2qti_item("x", 1, Decimal("0.1234"), Decimal("0.00005"), feedback=False)
    bounds = [items[1].findtext(f".//{Q}{tag}") for tag in ("vargte", "varlte")]
    assert bounds == ["0.1234", "0.1234"]  # text2qti: a margin of zero
    ours = canvas_answer(0.1234, Tolerance().allowed(1e-4, 0.1234, 0.5, 1e-4), 1e-4)
    assert Decimal(ours.upper) - Decimal(ours.exact) > Decimal("0.00005")
    assert accepts(ours, "0.1234") and not accepts(ours, "0.1235") and not accepts(ours, "0.1233")


def _resource_shapes(manifest: ET.Element) -> set:
    """Each resource as (type, its attribute names, its children's tags and attribute names)."""
    return {(r.get("type"), tuple(sorted(r.attrib)), tuple((c.tag.split("}")[-1], tuple(sorted(c.attrib))) for c in r))
            for r in manifest.iter(f"{CP}resource")}


def test_manifest_resources_match_text2qtis(tmp_path):
    pytest.importorskip("text2qti")
    from text2qti.config import Config
    from text2qti.qti import QTI
    from text2qti.quiz import Quiz

    zf, _ = package(tmp=tmp_path, count=1)
    figure = tmp_path / "v001.network.svg"
    figure.write_bytes(zf.read("images/v001.network.svg"))
    source = f"Quiz title: T\n\n1.  ![The network]({figure})\n=   0.5 +- 0.01\n"
    theirs = zipfile.ZipFile(io.BytesIO(QTI(Quiz(source, config=Config(), source_name="t.txt")).zip_bytes()))
    mine = ET.fromstring(zf.read("imsmanifest.xml"))
    assert _resource_shapes(mine) == _resource_shapes(ET.fromstring(theirs.read("imsmanifest.xml")))
    their_src = re.search(r'src="([^"]+)"', html.unescape(ET.tostring(
        ET.fromstring(theirs.read(next(n for n in theirs.namelist() if n.endswith(".xml") and "/" in n
                                       and "meta" not in n))), encoding="unicode"))).group(1)
    assert their_src == "%24IMS-CC-FILEBASE%24/images/v001.network.svg"  # the form our statement uses


# -- the command line ----------------------------------------------------------------------------


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tracer.cli", *args], capture_output=True, text=True, cwd=REPO)


def test_cli_writes_one_zip(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(yaml.safe_dump(HOMEWORK))
    result = _cli("variants", str(spec), "--seed", "5", "--count", "2", "--to", "canvas", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["canvas_qti.zip"]


def test_cli_output_that_is_a_file_is_one_error_line(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(yaml.safe_dump(HOMEWORK))
    target = tmp_path / "a-file"
    target.write_text("x")
    result = _cli("variants", str(spec), "--seed", "5", "--count", "2", "--to", "canvas", "-o", str(target))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


# -- through Canvas's own converter, where it is at hand ------------------------------------------

MIGRATE = os.environ.get("BPTRACE_QTI_MIGRATION_TOOL")  # instructure/QTIMigrationTool's migrate.py (needs lxml)
Q2 = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"


@pytest.mark.skipif(not MIGRATE, reason="set BPTRACE_QTI_MIGRATION_TOOL to QTIMigrationTool's migrate.py")
def test_canvas_converter_reads_our_exact_values_margins_and_feedback(tmp_path):
    """Canvas runs `migrate.py --ucvars --nogui --overwrite --cpout=OUT IN` (lib/qti.rb) and reads the QTI 2.1
    items: NumericInteraction takes `or > stringMatch > baseValue` as the exact value and
    BigDecimal(`customOperator[class=varlte] > baseValue`) - BigDecimal(exact) as the margin; a modalFeedback
    whose identifier matches /general_/ is the general feedback."""
    zf, _ = package(tmp=tmp_path, count=2)
    source, out = tmp_path / "in", tmp_path / "out"
    zf.extractall(source)
    python = os.environ.get("BPTRACE_QTI_MIGRATION_PYTHON", sys.executable)
    done = subprocess.run([python, MIGRATE, "--ucvars", "--nogui", "--overwrite", f"--cpout={out}", str(source)],
                          capture_output=True, text=True, cwd=Path(MIGRATE).parent)
    assert done.returncode == 0, done.stdout[-2000:]
    ours = {i.get("ident"): read_item(i) for root in quizzes(zf) for i in root.iter(f"{Q}item")}
    manifest = ET.parse(out / "imsmanifest.xml").getroot()
    items = [r for r in manifest.iter() if r.get("type", "").startswith("imsqti_item_xmlv2p")]
    assert len(items) == len(ours)
    for resource in items:
        doc = ET.parse(out / resource.get("href")).getroot()
        mine = ours[doc.get("identifier")]
        fields = {f.get("name"): f.get("value") for f in doc.iter(f"{Q2}instructureField")}
        assert fields["question_type"] == mine["type"] and doc.get("title") == mine["name"]
        if mine["type"] != "numerical_question":
            continue
        either = doc.find(f".//{Q2}responseIf/{Q2}or")
        exact = either.find(f"{Q2}stringMatch/{Q2}baseValue").text
        upper = either.find(f"{Q2}and/{Q2}customOperator[@class='varlte']/{Q2}baseValue").text
        assert (Decimal(exact), Decimal(upper) - Decimal(exact)) == (mine["exact"], mine["margin"])
        assert float(fields["points_possible"]) == mine["points"]
        feedback = [f for f in doc.iter(f"{Q2}modalFeedback") if re.search(r"general_|_all", f.get("identifier"))]
        assert bool(feedback) == bool(mine["feedback"])


def test_cli_an_existing_package_is_replaced_only_with_force(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(yaml.safe_dump(HOMEWORK))
    args = ["variants", str(spec), "--seed", "5", "--count", "1", "--to", "canvas", "-o", str(tmp_path / "out")]
    assert _cli(*args).returncode == 0
    again = _cli(*args)
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "canvas_qti.zip" in again.stderr
    assert _cli(*args, "--force").returncode == 0


def test_canvas_then_html_in_one_process_with_the_template_cache(tmp_path, monkeypatch):
    """Canvas reuses the html templates, and Jinja folds a filter of a constant into the compiled
    code ({{ "k" | math }} becomes an equation image): with one bytecode folder for both, an html
    page written after a Canvas package showed Canvas's <img> math. Each format compiles its own."""
    pytest.importorskip("latex2mathml")
    from tracer.present import render

    monkeypatch.setenv("BPTRACE_CACHE_DIR", str(tmp_path / "cache"))
    render._environment.cache_clear()  # environments built for this cache folder, in this order
    package(tmp=tmp_path / "canvas")
    write_variants(Generator(load_problem(HOMEWORK), 5), ["v001"], "html", tmp_path / "html")
    for part in ("problem", "solution", "key"):
        page = (tmp_path / "html" / f"v001.{part}.html").read_text()
        assert "equation_image" not in page and "<math" in page, part
