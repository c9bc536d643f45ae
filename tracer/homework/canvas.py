"""Canvas: one QTI 1.2 package (a .zip for Course > Import > QTI .zip file) with a quiz per variant.

    pkg = Package(title, seed)
    pkg.add(variant, view, sheet, solution)          # per variant, in order (variants.write_variants)
    pkg.zip()                                        # the .zip's bytes

A Canvas question group draws each of its questions independently and groups do not nest, so no
group keeps one student on one variant across parts; a quiz per variant does: the instructor assigns
quiz v001 to a section or student (Assign to), every part of it is that variant's. Each quiz holds,
in sheet order: a text-only item with the problem (and the network figure, an image of the package
under images/), then a numerical item per asked element, titled with its canonical quantity name,
graded with the checker's tolerance (canvas_numbers: scaled where Canvas's 4 typed decimals would
lose digits); the first numerical item's general feedback is the variant's worked solution. Every
text begins with the line `Variant <id>`. Math is Canvas's equation images (present.equation_images).

The package is byte-identical for the same spec, seed and ids: identifiers are hashes of (title,
seed, id), zip entries are written in a fixed order with a fixed timestamp. docs/lms.md lists the
fields Canvas's importer reads, with links to its source.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from urllib.parse import quote

from ..grade.grading import notation_aliases, policy_for
from .asking import precision_words, step_symbols
from .canvas_numbers import Answer, canvas_answer
from .moodle import Question, variant_questions

PACKAGE = "canvas_qti.zip"
QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CC_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
META_NS = "http://canvas.instructure.com/xsd/cccv1p0"
_STAMP = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date: no clock in the bytes
_FILEBASE = "%24IMS-CC-FILEBASE%24"  # the package's root, as Canvas's link migrator resolves it


@dataclasses.dataclass
class _Text:
    """A View (or sheet) plus what a Canvas text adds; everything else is the wrapped view's."""

    view: object
    variant_id: str
    figures: list
    curves: list
    canvas_note: str = ""

    def __getattr__(self, name):
        return getattr(self.view, name)


def _ident(*parts) -> str:
    return "bptrace_" + hashlib.sha256("\0".join(map(str, parts)).encode("utf-8")).hexdigest()[:24]


def _image_figures(figs, vid: str) -> tuple[list, dict]:
    """Each figure drawn as an <img> of its SVG file under images/; returns (figures, {file: svg})."""
    out, files = [], {}
    for fig in figs:
        name = f"{vid}.{fig.key}.svg"
        files[f"images/{name}"] = fig.svg
        img = (f'<img src="{_FILEBASE}/images/{quote(name)}" alt="{html.escape(fig.caption, quote=True)}" '
               'style="max-width: 100%;" />')
        out.append(dataclasses.replace(fig, svg_inline=img))
    return out, files


def _question_html(vid: str, q: Question, symbol: str, answer: Answer, problem, math, explicit: str) -> str:
    """`explicit`: the spec's abs_tol/rel_tol in the checker's words, for an item with no asked place."""
    key = q.name
    what = (math(symbol) + " " if symbol else "") + f"(<code>{html.escape(key)}</code>)"
    if symbol and "[" in key:
        what += ", element " + ", ".join(key[key.index("[") + 1:-1].split(","))
    if answer.place is None:
        precision = explicit
    elif getattr(problem, "sig_figs", None):
        precision = "to " + precision_words(problem)
    else:
        d = -answer.place
        precision = f"to {d} decimal place{'s' if d != 1 else ''}"
    text = f"<p>Variant {html.escape(vid)}</p>\n<p>Compute {what}. "  # a line of its own in Canvas's CSV
    if answer.scale:
        # the factor as an image and as digits: Canvas's response CSV keeps only a text's words
        factor = math(f"10^{{{answer.scale}}}") + f" (= {10 ** answer.scale})"
        text += f"Enter it multiplied by {factor}, {precision}"
        if answer.place is not None and not getattr(problem, "sig_figs", None):
            d = answer.scale - answer.place
            text += f": its value to {d} decimal place{'s' if d != 1 else ''}, times {10 ** answer.scale}"
        text += ". Canvas keeps 4 decimal places of a typed answer, so the value is asked scaled.</p>"
    else:
        text += f"Give it {precision}.</p>"
    return text


# What XML 1.0 cannot carry (C0 controls but tab and line breaks, surrogates, U+FFFE/F), from a spec's
# title or description: dropped at this boundary, as the Moodle writer does
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
    if text is not None:
        el.text = _NOT_XML.sub("", text)
    return el


def _metadata(parent, fields) -> None:
    qti = _sub(parent, "qtimetadata")
    for label, entry in fields:
        f = _sub(qti, "qtimetadatafield")
        _sub(f, "fieldlabel", label)
        _sub(f, "fieldentry", entry)


def _material(parent, html_text: str) -> None:
    _sub(_sub(parent, "material"), "mattext", html_text, texttype="text/html")


def _text_item(section, ident: str, title: str, text: str) -> None:
    item = _sub(section, "item", ident=ident, title=title)
    _metadata(_sub(item, "itemmetadata"), [("question_type", "text_only_question"), ("points_possible", "0"),
                                            ("original_answer_ids", ""),
                                            ("assessment_question_identifierref", f"{ident}_ref")])
    _material(_sub(item, "presentation"), text)


def _numerical_item(section, ident: str, n: int, q: Question, text: str, answer: Answer, feedback: str) -> None:
    """text2qti's numerical item (an exact answer with its range), the answer id numeric as Canvas's own."""
    item = _sub(section, "item", ident=ident, title=q.name)
    _metadata(_sub(item, "itemmetadata"), [("question_type", "numerical_question"),
                                            ("points_possible", f"{q.points:.7g}"),
                                            ("original_answer_ids", str(1000 + n)),
                                            ("assessment_question_identifierref", f"{ident}_ref")])
    presentation = _sub(item, "presentation")
    _material(presentation, text)
    fib = _sub(_sub(presentation, "response_str", ident="response1", rcardinality="Single"),
               "render_fib", fibtype="Decimal")
    _sub(fib, "response_label", ident="answer1")
    proc = _sub(item, "resprocessing")
    _sub(_sub(proc, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    if feedback:
        general = _sub(proc, "respcondition", **{"continue": "Yes"})
        _sub(_sub(general, "conditionvar"), "other")
        _sub(general, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    correct = _sub(proc, "respcondition", **{"continue": "No"})
    either = _sub(_sub(correct, "conditionvar"), "or")
    _sub(either, "varequal", answer.exact, respident="response1")
    both = _sub(either, "and")
    _sub(both, "vargte", answer.lower, respident="response1")
    _sub(both, "varlte", answer.upper, respident="response1")
    _sub(correct, "setvar", "100", action="Set", varname="SCORE")
    if feedback:
        _material(_sub(_sub(item, "itemfeedback", ident="general_fb"), "flow_mat"), feedback)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def _meta_xml(ident: str, title: str, description: str, points: float) -> bytes:
    """Canvas's quiz settings (assessment_meta.xml): an unpublished graded quiz, one attempt, seen only by the
    students it is assigned to (only_visible_to_overrides), so a variant reaches only its students."""
    quiz = ET.Element("quiz", {"identifier": ident, "xmlns": META_NS})
    for tag, text in [("title", title), ("description", description), ("shuffle_answers", "false"),
                      ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                      ("points_possible", f"{points:.7g}"), ("show_correct_answers", "false"),
                      ("allowed_attempts", "1"), ("one_question_at_a_time", "false"), ("cant_go_back", "false"),
                      ("available", "false"), ("only_visible_to_overrides", "true")]:
        _sub(quiz, tag, text)
    assignment = _sub(quiz, "assignment", identifier=f"{ident}_assignment")
    for tag, text in [("title", title), ("workflow_state", "unpublished"), ("quiz_identifierref", ident),
                      ("points_possible", f"{points:.7g}"), ("grading_type", "points"),
                      ("submission_types", "online_quiz"), ("only_visible_to_overrides", "true")]:
        _sub(assignment, tag, text)
    return _xml(quiz)


def _manifest(ident: str, quizzes: list[str], files: list[str]) -> bytes:
    manifest = ET.Element("manifest", {"identifier": ident, "xmlns": CC_NS})
    metadata = _sub(manifest, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    _sub(manifest, "organizations")
    resources = _sub(manifest, "resources")
    for q in quizzes:
        res = _sub(resources, "resource", identifier=q, type="imsqti_xmlv1p2")
        _sub(res, "file", href=f"{q}/{q}.xml")
        _sub(res, "dependency", identifierref=f"{q}_meta")
        meta = _sub(resources, "resource", identifier=f"{q}_meta",
                    type="associatedcontent/imscc_xmlv1p1/learning-application-resource", href=f"{q}/assessment_meta.xml")
        _sub(meta, "file", href=f"{q}/assessment_meta.xml")
    for name in files:
        res = _sub(resources, "resource", identifier=_ident(ident, name), type="webcontent", href=quote(name))
        _sub(res, "file", href=quote(name))
    return _xml(manifest)


def variant_quiz(title: str, seed: int, v, view, sheet, solved, env) -> tuple[str, bytes, bytes, dict]:
    """(quiz identifier, assessment XML, assessment_meta XML, {image path: SVG}) of variant `v`, from its
    View, its problem sheet and its solution (variants.sheet_view, solution_view)."""
    from ..present import equation_images

    figures, files = _image_figures(sheet.figures, v.id)
    solved_figures, more = _image_figures(getattr(solved, "figures", []), v.id)
    curves, curve_files = _image_figures(getattr(solved, "curves", []), v.id)
    files.update(more)
    files.update(curve_files)
    note = (f"Answer each question below for this problem (variant {v.id}); "
            f"work to {precision_words(v.problem)}.")
    statement = env.get_template("statement.html.j2").render(
        view=_Text(sheet, v.id, figures, [], canvas_note=note))
    feedback = env.get_template("feedback.html.j2").render(view=_Text(solved, v.id, solved_figures, curves))
    questions = variant_questions(v.problem, v.trace, view)
    policy = policy_for(v.problem, v.trace.values, aliases=notation_aliases(v.problem))
    symbols = step_symbols(view)

    ident = _ident(title, seed, v.id)
    root = ET.Element("questestinterop", {"xmlns": QTI_NS})
    assessment = _sub(root, "assessment", ident=ident, title=sheet.title)
    _metadata(assessment, [("cc_maxattempts", "1")])
    section = _sub(assessment, "section", ident="root_section")
    _text_item(section, f"{ident}_000", "Problem", statement)
    for n, (q, answer) in enumerate(zip(questions, _answers(questions, policy)), start=1):
        text = _question_html(v.id, q, symbols.get(q.name.split("[")[0], ""), answer, v.problem,
                              equation_images.equation_image, policy.tolerance.describe(v.problem.decimals))
        _numerical_item(section, f"{ident}_{n:03d}", n, q, text, answer, feedback if n == 1 else "")
    description = f"<p>Variant {html.escape(v.id)}</p>\n<p>{html.escape(sheet.title)}</p>"
    meta = _meta_xml(ident, sheet.title, description, sum(q.points for q in questions))
    return ident, _xml(root), meta, files


def _answers(questions: list[Question], policy) -> list[Answer]:
    """Each question's numerical answer as Canvas grades it (scaled where the asked place is finer than
    Canvas keeps): one rule for the package and for reading its responses back (item_answers)."""
    return [canvas_answer(q.value, q.tolerance, policy.tolerance.place_asked(q.value, policy.floor)) for q in questions]


def item_answers(problem, trace) -> dict[str, Answer]:
    """{element key: Answer} of a variant's numerical items, as variant_quiz writes them: what
    `check --from-lms` needs to read a Canvas response (its scale and asked place)."""
    questions = variant_questions(problem, trace, None)
    policy = policy_for(problem, trace.values, aliases=notation_aliases(problem))
    return {q.key: a for q, a in zip(questions, _answers(questions, policy))}


class Package:
    """The .zip of a batch: add each variant in order, then `zip()`."""

    def __init__(self, title: str, seed: int):
        from ..present.render import make_environment

        self.title, self.seed = title, seed
        self.env = make_environment("canvas")
        self.entries: list[tuple[str, bytes]] = []
        self.quizzes: list[str] = []
        self.images: dict[str, str] = {}

    def add(self, v, view, sheet, solved) -> None:
        self.add_quiz(*variant_quiz(self.title, self.seed, v, view, sheet, solved, self.env))

    def add_quiz(self, ident: str, assessment: bytes, meta: bytes, files: dict) -> None:
        """A quiz variant_quiz made (in this process or a worker's)."""
        self.quizzes.append(ident)
        self.entries += [(f"{ident}/{ident}.xml", assessment), (f"{ident}/assessment_meta.xml", meta)]
        self.images.update(files)

    def zip(self) -> bytes:
        names = list(self.images)
        manifest = _manifest(_ident(self.title, self.seed, "manifest"), self.quizzes, names)
        entries = [("imsmanifest.xml", manifest), *self.entries,
                   *((name, self.images[name].encode("utf-8")) for name in names)]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=_STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3  # Unix, whatever the machine: the same bytes everywhere
                zf.writestr(info, data)
        return out.getvalue()
