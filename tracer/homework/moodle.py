"""Moodle XML: one numerical question per asked element, with the checker's tolerance.

    quiz_xml(title, [(category, variant_questions(problem, trace, view)), ...])

Import in Moodle under Question bank > Import > Moodle XML. Every problem (a
variant) gets its own category `$course$/top/<title>/<id>`, so a quiz can draw
one variant's questions per student. A question's text is the problem (as HTML
with \\( \\) math for Moodle's MathJax filter) and the quantity asked; its answer
is the float64 value at full precision, and its tolerance the one `bptrace check`
allows an answer written to the spec's `decimals`: 10^-decimals * max(1/2, B),
with B the carried-rounding bound (or the spec's grading abs_tol/rel_tol/sig_figs).
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

from ..errors import TracerError
from ..grade.check import Checker, element_key
from ..grade.recompute import rounding_bounds
from ..problem.network import Problem
from .asking import default_ask, precision_words, step_symbols


@dataclass(frozen=True)
class Question:
    """One asked element: `variant_questions` returns them in the order of the answer key
    (tracer.homework.asking.key_entries), part k of a variant's Cloze question is the k-th."""

    name: str
    text: str  # HTML: the problem and the quantity asked (the per-element question's text)
    value: float
    tolerance: float
    points: float
    key: str = ""  # the element's answer key, e.g. iter1.grad.W1[1,2] (the path for a scalar)
    path: str = ""  # its quantity path, e.g. iter1.grad.W1
    index: tuple = ()  # its index in the quantity's array
    shape: tuple = ()  # the quantity's shape
    whole: bool = True  # the whole quantity is asked (False: the ask list names some elements)
    symbol: str = ""  # the handout's TeX for the quantity ("" if it has none)


def tolerance_text(x: float) -> str:
    """`x` rounded up to two significant digits (float noise below 1e-6 of it aside)."""
    if x <= 0:
        return "0"
    e = math.floor(math.log10(x)) - 1
    digits = math.ceil(x / 10.0 ** e - 1e-6)
    return f"{digits * 10.0 ** e:.{max(0, -e)}f}"


def answer_text(value: float) -> str:
    """The value Moodle compares with: 15 significant digits (-0.3, not -0.29999999999999993)."""
    return repr(float(f"{value:.15g}") + 0.0)


def variant_questions(problem: Problem, trace, view, label: str = "") -> list[Question]:
    """A question per asked element (every element of the `ask:` list, or the variants' default)."""

    if not problem.ask:
        problem = _with_ask(problem, default_ask(problem, trace.values))
    checker = Checker(problem, trace=trace)
    policy, values = checker.policy, checker.values
    last = max(checker.position[p] for p in policy.asked)
    bounds = rounding_bounds(checker.trace, checker.rules, checker.order[: last + 1])
    statement = statement_html(view) if view is not None else ""  # None: the numbers alone (an LMS import)
    symbols = step_symbols(view) if view is not None else {}
    questions = []
    for path, elements in policy.asked.items():
        arr = np.asarray(values[path], dtype=float)
        points = policy.points_for(path) / (arr.size if elements is None else len(elements))  # as check shares them
        for idx in np.ndindex(arr.shape):
            if elements is not None and idx not in elements:
                continue
            key = element_key(path, idx, arr.shape)
            value = float(arr[idx])
            if not math.isfinite(value):  # a run that diverged: Moodle would refuse the file
                raise TracerError(f"{key}: the value is {value}; a Moodle numerical answer needs a finite number")
            tol = policy.tolerance.allowed(policy.floor, value, float(np.asarray(bounds[path])[idx]), policy.floor)
            sym = symbols.get(path, "")
            what = (rf"\({_html(sym)}\) " if sym else "") + f"(<code>{_html(key)}</code>)"
            if sym and key != path:
                what += f", element {', '.join(str(i + 1) for i in idx)}"
            text = (statement + f"<p>Compute {what}. Give it to {precision_words(problem)}.</p>")
            name = f"{label} {key}".strip()
            questions.append(Question(name, text, value, tol, points, key=key, path=path, index=idx,
                                      shape=arr.shape, whole=elements is None, symbol=sym))
    return questions


def problem_quiz(problem: Problem) -> str:
    """`bptrace render --to moodle`: the quiz of one (not randomized) problem."""
    from ..engine import run
    from ..present.view import build_view

    trace = run(problem, arithmetic="float")
    return quiz_xml(problem.title, [("", variant_questions(problem, trace, build_view(trace)))])


def _with_ask(problem: Problem, ask: list[str]) -> Problem:
    from ..problem.spec import problem_from_dict

    return problem_from_dict({**problem.source, "ask": ask})


def _html(text: str) -> str:
    return html.escape(text, quote=False)


def statement_html(view) -> str:
    """The problem as HTML: title, setup, initial parameters, data. Math stays TeX inside \\( \\)."""
    m = lambda tex: rf"\({_html(tex)}\)" if tex else ""  # noqa: E731
    parts = [f"<p><b>{_html(view.title)}</b></p>"]
    if view.description:
        parts.append(f"<p>{_html(view.description)}</p>")
    parts.append("<ul>" + "".join(f"<li><b>{_html(label)}</b>: {_html(text)}</li>" for label, text in view.setup)
                 + (f"<li><b>Symbols</b>: \\({_html(view.symbols)}\\)</li>" if view.symbols else "") + "</ul>")
    params = ", ".join(m(step.tex) for row in view.initial for step in row)
    parts.append(f"<p>{_html(view.initial_title)}: {params}</p>")
    if view.data_head:  # a graph has no training data
        head = "".join(f"<th>{m(h)}</th>" for h in view.data_head)
        rows = "".join("<tr>" + "".join(f"<td>{m(c)}</td>" for c in row) + "</tr>" for row in view.data_rows)
        parts.append(f"<p>Training data:</p><table border=\"1\"><tr>{head}</tr>{rows}</table>")
    return "".join(parts)


def quiz_xml(title: str, groups: list[tuple[str, list[Question]]]) -> str:
    """The Moodle XML document: per group, a category question (`title/group`, or `title` for "")
    and its numerical questions."""
    quiz = ET.Element("quiz")
    for category, questions in groups:
        cat = ET.SubElement(quiz, "question", type="category")
        path = "/".join(_category_part(p) for p in (title, category) if p)
        _text(ET.SubElement(cat, "category"), f"$course$/top/{path}")
        for q in questions:
            el = ET.SubElement(quiz, "question", type="numerical")
            _text(ET.SubElement(el, "name"), q.name)
            _text(ET.SubElement(el, "questiontext", format="html"), q.text)
            _text(ET.SubElement(el, "generalfeedback", format="html"), "")
            ET.SubElement(el, "defaultgrade").text = _number(q.points)
            ET.SubElement(el, "penalty").text = "0.3333333"
            ET.SubElement(el, "hidden").text = "0"
            answer = ET.SubElement(el, "answer", fraction="100", format="moodle_auto_format")
            _text(answer, answer_text(q.value))
            ET.SubElement(answer, "tolerance").text = tolerance_text(q.tolerance)
            _text(ET.SubElement(answer, "feedback", format="html"), "")
            ET.SubElement(el, "unitgradingtype").text = "0"
            ET.SubElement(el, "unitpenalty").text = "0.1000000"
            ET.SubElement(el, "showunits").text = "3"
            ET.SubElement(el, "unitsleft").text = "0"
    ET.indent(quiz, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


# What XML 1.0 cannot carry (C0 controls but tab and line breaks, surrogates, U+FFFE/F):
# dropped at this boundary, whatever reached it.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "text").text = _NOT_XML.sub("", text)


def _number(x: float) -> str:
    return f"{x:.7g}"


def _category_part(text: str) -> str:
    """Moodle splits category paths at '/': keep one level."""
    return " ".join(text.replace("/", "-").split())
