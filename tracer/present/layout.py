"""How each step sits on the page: on one line, or one link of its chain per line.

A handout is read on an A4 page (LaTeX) and in a browser column (Markdown on GitHub or
in Jupyter); an equation that does not fit is broken at its `=` and `\\approx` signs,
never scaled down. The decision is made here, once per medium, from the width estimate
of `width.py`, so templates only choose between one line and an aligned block.
"""

from __future__ import annotations

import re

from .steps import Step, Table, View, steps_of
from .width import session, width

# The width in em each medium gives a display, less a margin for the estimate's error:
# - latex: A4 with 2 cm margins at 11 pt is 483.7 pt = 44.2 em; the estimate runs up to
#   7 per cent narrow on wide matrices (tests/present/test_width.py), so 41 em;
# - markdown: an 800 px window leaves GitHub's and Jupyter's renderers about 650 px of
#   column, at about 20 px per em of MathJax/KaTeX math: 32 em.
MEDIA = {"latex": 41.0, "markdown": 32.0}
SIDEWAYS = {"latex": 62.0}  # an A4 page turned: 257 mm = 66.5 em, less the same margin
_CELL_PAD = 1.1  # \tabcolsep on both sides of a cell (GitHub pads cells 13 px a side)
_TEXT_EM = 0.5  # an average letter of the roman text font

_REL = re.compile(r"\\approx(?![A-Za-z])")


def _depth(tex: str, pos: int) -> tuple[int, int]:
    """(brace groups and environments, \\left pairs) open at `pos` of `tex`."""
    head = tex[:pos]
    braces = len(re.findall(r"(?<!\\)\{", head)) - len(re.findall(r"(?<!\\)\}", head))
    envs = head.count(r"\begin{") - head.count(r"\end{")
    lefts = len(re.findall(r"\\left(?![A-Za-z])", head)) - len(re.findall(r"\\right(?![A-Za-z])", head))
    return braces + envs, lefts


def _top_level(tex: str, pos: int) -> bool:
    """True if `pos` is outside every brace group, environment and \\left pair of `tex`."""
    return _depth(tex, pos) == (0, 0)


def _terms(rhs: str) -> list[tuple[str, bool]]:
    """`rhs` cut before each binary + or - of its sum (or of the sum in its one \\left( ... \\right)),
    else before each \\cdot of a product at the top.

    Each piece comes with whether the cut lies inside that \\left pair, where a line break
    needs `\\right.` and `\\left.` to close and reopen it.
    """
    cuts = [(m.start(), _depth(rhs, m.start())) for m in re.finditer(r" [+-] ", rhs)]
    cuts = [(pos, lefts) for pos, (groups, lefts) in cuts if groups == 0 and lefts <= 1]
    if any(lefts == 0 for _, lefts in cuts):  # a sum at the top: the bracketed ones stay whole
        cuts = [c for c in cuts if c[1] == 0]
    if not cuts:  # a product at the top (the factored chain rule's (...) \cdot x^T): cut before a factor
        cuts = [(m.start(), 0) for m in re.finditer(r" \\cdot ", rhs) if _top_level(rhs, m.start())]
    pieces, start = [], 0
    for pos, lefts in cuts:
        pieces.append((rhs[start:pos], lefts == 1))
        start = pos + 1
    pieces.append((rhs[start:], False))
    return pieces


def _break_sum(head: str, rhs: str, limit: float) -> list[str]:
    """`head rhs` over as many lines as it takes, cut between the terms of its sum."""
    lines, cur, inside = [], "", False
    for term, cut_inside in _terms(rhs):
        lead = head if not lines else r"&\quad "
        trial = cur + (" " if cur else "") + term
        if cur and width((lead + trial).replace("&", "", 1)) > limit:
            lines.append(lead + cur + (r" \right." if inside else ""))
            cur = (r"\left. " if inside else "") + term
        else:
            cur = trial
        inside = cut_inside
    lines.append((head if not lines else r"&\quad ") + cur)
    return lines


def links(step: Step) -> list[tuple[str, str]]:
    """The step's right-hand sides as (relation, expression), a link's `\\approx value` apart."""
    out = []
    for link in step.chain:
        rel, start = "=", 0
        if link.startswith(r"\approx "):
            rel, start = r"\approx", len(r"\approx ")
        cuts = [m for m in _REL.finditer(link, start) if _top_level(link, m.start())]
        for m in cuts:
            out.append((rel, link[start:m.start()].strip()))
            rel, start = r"\approx", m.end()
        out.append((rel, link[start:].strip()))
    return out


def step_lines(step: Step, limit: float) -> list[str]:
    """[step.tex] if it fits in `limit` em, else one aligned line per link: `lhs &= a`, `&= b`, ..."""
    if width(step.tex) <= limit or len(step.chain) == 0:
        return [step.tex]
    parts = links(step)
    if len(parts) == 1:
        return [step.tex]
    out = []
    for i, (rel, rhs) in enumerate(parts):
        head = f"{step.lhs} &{rel} " if i == 0 else f"&{rel} "
        out.extend(_break_sum(head, rhs, limit))  # one line unless this link alone is too wide
    return out


def line_widths(step: Step) -> list[float]:
    """The estimated width of each line of the step once laid out for the narrowest medium."""
    lines = step_lines(step, min(MEDIA.values()))
    return [width(line.replace("&", "", 1)) for line in lines]


def lay_out(view: View) -> View:
    """Give every step its lines per medium, and split rows of initial parameters that do not fit."""
    with session():  # each medium measures the same steps: remember their widths for the render
        for step in steps_of(view):
            step.lines = {medium: step_lines(step, limit) for medium, limit in MEDIA.items()}
        view.initial_rows = {medium: _rows(view.initial, limit) for medium, limit in MEDIA.items()}
        view.summary_tables = {medium: summary_tables(view, medium) for medium in MEDIA}
    return view


def _header(words: str, cells: list[str]) -> tuple[list[str], float]:
    """A column's header words broken into lines no wider than its cells (a word at least)
    and the column's width."""
    content = max(width(c) for c in cells)
    lines: list[str] = []
    for word in words.split():
        if lines and _TEXT_EM * len(lines[-1] + " " + word) <= content:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines, max([content, *(_TEXT_EM * len(x) for x in lines)]) + _CELL_PAD


def summary_tables(view: View, medium: str) -> list[Table]:
    """The summary as one table, or cut between layers into tables that each fit `medium`.

    The first table keeps the iteration, output and loss; each further one repeats the
    iteration column. A layer too wide for the page on its own turns its table sideways.
    """
    if not view.summary_head:
        return []
    limit = MEDIA[medium]
    cols = list(range(len(view.summary_head)))
    layers = view.summary_layers or [0] * len(cols)
    words = view.summary_words or [""] * len(cols)
    heads = [_header(words[i], [view.summary_head[i], *(r[i] for r in view.summary_rows)]) for i in cols]
    widths = [w for _, w in heads]
    groups: list[list[int]] = [[i for i in cols if layers[i] == 0]]
    for layer in dict.fromkeys(x for x in layers if x):
        own = [i for i in cols if layers[i] == layer]
        if sum(widths[i] for i in groups[-1] + own) > limit and any(layers[i] for i in groups[-1]):
            groups.append([0])
        groups[-1].extend(own)
    tables = []
    for n, group in enumerate(groups, 1):
        shown = sorted({layers[i] for i in group if layers[i]})
        what = view.summary_caption or _caption(
            shown, first=n == 1, several=len(groups) > 1,
            scored=words[2] if len(words) > 2 and words[2] else "loss")  # the perceptron's column is its error
        tables.append(Table(n, what, [heads[i][0] for i in group],
                            [view.summary_head[i] for i in group], [[r[i] for i in group] for r in view.summary_rows],
                            sideways=sum(widths[i] for i in group) > limit and medium in SIDEWAYS))
    return tables


def _caption(layers: list[int], first: bool, several: bool, scored: str = "loss") -> str:
    if several:
        which = f"layer {layers[0]}" if len(layers) == 1 else f"layers {layers[0]}\u2013{layers[-1]}"
        what = (f"Output, {scored} and parameters of " if first else "Parameters of ") + which
    else:
        what = f"Output, {scored} and parameters"
    return f"{what} at the start of each iteration; the last row: the parameters after the last update"


def _rows(rows: list[list[Step]], limit: float) -> list[list[Step]]:
    """Rows of `a = ..., \\quad b = ...`; a row too wide for the line becomes one row per step."""
    out = []
    for row in rows:
        joined = r", \quad ".join(s.tex for s in row)
        out.extend([row] if width(joined) <= limit else [[s] for s in row])
    return out
