"""Moodle Cloze: one embedded-answers question per variant, every asked element a NUMERICAL part.

    quiz = cloze_quiz_xml(title, [cloze_question(problem, trace, view, options, variant="v003"), ...])

Import in Moodle under Question bank > Import > Moodle XML. Every variant's question goes in
one category, `$course$/top/<title>`, so a quiz slot "random question from this category"
gives each student one whole variant (per-element questions, one category per variant, are
`--to moodle-elements`: tracer.homework.moodle). A question's text starts with the line
`Variant <id>`, so a responses report names the variant of every attempt (`bptrace check
--from-lms` reads it back), then gives the problem as its sheet does (the network figure
attached as an SVG file, `@@PLUGINFILE@@/<name>`) and what to compute, each asked quantity in
the sheet's notation with a field per element, in the order of `variant_questions` (part k of
the Cloze is its k-th Question). The general feedback is the variant's worked solution as the
sheet asks it (tracer.homework.sheet.solution_view) and the asked values rounded as the sheet
asks. Math is TeX in \\( \\) and \\[ \\] for Moodle's MathJax filter (its default); every
number is the handout's (tracer.present.numfmt).

A part is `{w:NUMERICAL:=value:tolerance#feedback}` (Moodle's multianswer grammar,
question/type/multianswer/questiontype.php: `=` is 100%, `w` a whole-number weight, the tolerance
an absolute error, `.` the decimal point): the value at full precision and the tolerance
`bptrace check` allows an answer written to the spec's digits (tracer.homework.moodle). The
feedback ends at an unescaped `~` or `}` and Moodle decodes HTML entities in it, so its
special characters are written as character references.
"""

from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..grade.grading import asked_elements, notation_aliases
from .asking import key_entries, precision_words, step_symbols
from .moodle import Question, _category_part, _text, _with_ask, answer_text, tolerance_text, variant_questions
from .sheet import SheetOptions, scope_of, sheet_setup, solution_view, statement

VARIANT_LINE = "Variant {id}"  # the first line of a question's text; check --from-lms parses it
PLUGINFILE = "@@PLUGINFILE@@/"  # where Moodle's HTML finds a file attached to the same field
MAX_WEIGHT = 100  # weights past this are rounded to a 1..100 scale instead of kept exact


@dataclass
class Cloze:
    name: str
    text: str  # HTML with a Cloze code per part
    feedback: str  # HTML: the worked solution
    parts: list[Question]
    weights: list[int]
    files: dict[str, str] = field(default_factory=dict)  # the text's attached files: name -> SVG text
    feedback_files: dict[str, str] = field(default_factory=dict)


def weights(points: list[float]) -> list[int]:
    """Whole-number part weights in the ratio of `points` (a Cloze weight is `[0-9]*`): exact
    where the ratios are simple (1, 1, 1/4, 1/4 -> 4, 4, 1, 1), else on a scale of 1 to 100."""
    if not points:
        return []
    fractions = [Fraction(p).limit_denominator(1000) for p in points]
    if all(abs(float(f) - p) <= 1e-9 * max(1.0, p) for f, p in zip(fractions, points)):
        lcm = math.lcm(*(f.denominator for f in fractions))
        whole = [int(f * lcm) for f in fractions]
        g = math.gcd(*whole) or 1
        whole = [w // g for w in whole]
        if max(whole) <= MAX_WEIGHT:
            return whole
    top = max(points)
    return [max(1, round(MAX_WEIGHT * p / top)) if p > 0 else 0 for p in points]


# A Cloze feedback ends at `~` or `}` (unless after a backslash). Moodle decodes HTML entities in it,
# then reads \} as } and \# as #, and stores the result as HTML: so a backslash run before # or } gets
# one more backslash, `&`, `<` and `>` are escaped twice and the grammar's characters once.
_FEEDBACK = {ch: f"&#{ord(ch)};" for ch in "{}~#\\"}
_BEFORE_ESCAPED = re.compile(r"(\\+)(?=[#}])")


def feedback_code(html_text: str) -> str:
    """HTML as a Cloze part's feedback: what Moodle stores is `html_text` itself."""
    text = _BEFORE_ESCAPED.sub(lambda m: m.group(1) + "\\", html_text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(_FEEDBACK.get(ch, ch) for ch in text)


def part_code(q: Question, weight: int, feedback_html: str = "") -> str:
    """`{w:NUMERICAL:=value:tolerance#feedback}`."""
    code = f"{{{weight}:NUMERICAL:={answer_text(q.value)}:{tolerance_text(q.tolerance)}"
    return code + (f"#{feedback_code(feedback_html)}" if feedback_html else "") + "}"


class _Page:
    """A View with what a question's text or its feedback adds; everything else is the View's."""

    def __init__(self, view, **extra):
        self._view = view
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._view, name)


def cloze_question(problem, trace, view, options: SheetOptions | None = None, variant: str = "") -> Cloze:
    """The Cloze question of one problem: `trace` its float run (the key, as `check` grades),
    `view` its handout (in the spec's arithmetic); `variant`: its id ("" for a problem of its own)."""
    if not problem.ask:
        from .asking import default_ask

        problem = _with_ask(problem, default_ask(problem, trace.values))
    parts = variant_questions(problem, trace, view, label=variant)
    part_weights = weights([q.points for q in parts])
    codes = [part_code(q, w, f"<code>{_esc(q.key)}</code> \\({_esc(shown_value(problem, q.value))}\\)")
             for q, w in zip(parts, part_weights)]
    pages = lms_pages(problem, trace, view, parts, codes, options, variant,
                      note=f"Give each value to {precision_words(problem)}: each field is graded on its own.")
    return Cloze(pages.name, pages.text, pages.feedback, parts, part_weights, pages.files, pages.feedback_files)


def shown_value(problem, value) -> str:
    """`= 0.7` when the digits shown are the value, else `\\approx 0.6682` (as the printed answer key)."""
    from ..present import numfmt

    d = numfmt.digits(problem)
    arr = np.asarray(value, dtype=float)
    return ("= " if numfmt.all_exact(arr, d) else "\\approx ") + numfmt.array(arr, d)


@dataclass
class Pages:
    """A problem's LMS question text and worked-solution feedback (HTML), and the files each shows."""

    name: str  # `<title> <variant id>`
    text: str
    feedback: str
    files: dict[str, str]  # name -> SVG text, shown in `text` as `<file_base><name>`
    feedback_files: dict[str, str]


def lms_pages(problem, trace, view, parts: list[Question], fields: list[str], options: SheetOptions | None = None,
              variant: str = "", *, file_base: str = PLUGINFILE, note: str = "") -> Pages:
    """The question text (the `Variant` line, the problem as its sheet gives it, what to compute with
    `fields[k]`, any HTML, standing for `parts[k]`) and the worked solution as feedback, for any LMS:
    `file_base` is where its HTML finds an attached file (Moodle's @@PLUGINFILE@@/); `note` ends
    the statement of what to compute. `problem` must have its `ask:` (see cloze_question)."""
    from ..present.figures import place_files
    from ..present.render import make_environment

    options = options or SheetOptions()
    scope = scope_of(view, list(asked_elements(problem.ask, trace.values, notation_aliases(problem))))
    svgs = place_files(view, variant or "problem")
    base_title = options.title if options.title is not None else view.title.removesuffix(f" (variant {variant})")
    given = [f for f in view.figures if f.given]
    env = make_environment("lms")
    question = _Page(
        view, variant_line=VARIANT_LINE.format(id=variant) if variant else "",
        title=f"{base_title} (variant {variant})" if variant else base_title,
        description=options.description if options.description is not None else view.description,
        setup=sheet_setup(view, problem, scope), figures=given, file_base=file_base, diverged=[],
        asked=_asked_items(parts, fields),
        ask_note=f"{statement(scope)} Work to {precision_words(problem)}." + (f" {note}" if note else ""))
    text = env.get_template("question.html.j2").render(view=question)

    solved = solution_view(view, problem, scope, options)
    shown = [f for f in solved.figures if not f.given]  # the given figure is in the question already
    symbols = step_symbols(view)
    key = [{"tex": symbols.get(k.split("[")[0], ""), "key": k, "answer": shown_value(problem, v)}
           for k, v in key_entries(problem, trace.values).items()]
    feedback = env.get_template("solution.html.j2").render(view=_Page(
        solved, figures=shown, file_base=file_base, asked=key,
        answer_note=f"The values asked, rounded to {precision_words(problem)}:"))
    return Pages(f"{base_title} {variant}".strip(), text, feedback,
                 {f.file: svgs[f.file] for f in given}, {f.file: svgs[f.file] for f in shown})


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def _asked_items(parts: list[Question], codes: list[str]) -> list[dict]:
    """The sheet's list of asked quantities: a whole vector or matrix a grid of fields (a vector a
    column, as the handout prints it), anything else a field of its own after its key."""
    items: list[dict] = []
    k = 0
    while k < len(parts):
        q = parts[k]
        size = int(np.prod(q.shape)) if q.shape else 1
        if q.whole and size > 1:
            group = codes[k:k + size]
            cols = q.shape[-1] if len(q.shape) > 1 else 1
            rows = [group[i:i + cols] for i in range(0, size, cols)]
            items.append({"tex": q.symbol, "key": q.path, "grid": True, "rows": rows})
            k += size
        else:
            items.append({"tex": q.symbol, "key": q.key, "grid": False, "rows": [[codes[k]]]})
            k += 1
    return items


def cloze_quiz_xml(title: str, questions: list[Cloze]) -> str:
    """The Moodle XML document: one category, `$course$/top/<title>`, and a Cloze question per variant."""
    quiz = ET.Element("quiz")
    cat = ET.SubElement(quiz, "question", type="category")
    _text(ET.SubElement(cat, "category"), f"$course$/top/{_category_part(title)}")
    for q in questions:
        el = ET.SubElement(quiz, "question", type="cloze")
        _text(ET.SubElement(el, "name"), q.name)
        text = ET.SubElement(el, "questiontext", format="html")
        _text(text, q.text)
        _files(text, q.files)
        general = ET.SubElement(el, "generalfeedback", format="html")
        _text(general, q.feedback)
        _files(general, q.feedback_files)
        ET.SubElement(el, "penalty").text = "0.3333333"
        ET.SubElement(el, "hidden").text = "0"
        ET.SubElement(el, "idnumber").text = ""
    ET.indent(quiz, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _files(parent: ET.Element, files: dict[str, str]) -> None:
    for name, content in files.items():
        f = ET.SubElement(parent, "file", name=name, path="/", encoding="base64")
        f.text = base64.b64encode(content.encode("utf-8")).decode("ascii")


def problem_cloze_quiz(problem) -> str:
    """`bptrace render --to moodle`: the Cloze question of one (not randomized) problem."""
    from ..engine import run
    from ..present.view import build_view

    trace = run(problem, arithmetic="float")
    handout = trace if problem.arithmetic == "float" else run(problem)
    return cloze_quiz_xml(problem.title, [cloze_question(problem, trace, build_view(handout))])

