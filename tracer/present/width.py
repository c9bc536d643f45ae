"""A rough width, in em, of a LaTeX math string as pdflatex sets it in display style.

Layout needs to know whether an equation fits the line before any TeX runs (and
Markdown never runs TeX at all), so this reads the math the View writes: glyphs
count by kind (a digit is narrower than a relation with its spaces), a bmatrix
counts as its widest entry per column, a fraction as its wider half, scripts at
script size. It is calibrated against pdflatex (`tests/present/test_width.py`
measures every step of the built-in examples with `\\wd` and checks the estimate
stays within a few per cent); it only has to be right about which side of a
line's width an equation falls, with a margin.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}&^_]|\s+|.", re.S)

# Widths in em of cmr/cmmi at 10pt design size (11pt documents scale both alike).
_DIGIT, _LETTER, _UPPER = 0.5, 0.52, 0.72
_BIN = 0.78 + 2 * 0.222  # a binary operator with its medium spaces
_REL = 0.78 + 2 * 0.278  # a relation with its thick spaces
_SCRIPT = 0.7  # script size
_COLSEP = 10 / 11  # amsmath matrices: 2\arraycolsep = 10pt between columns
_BRACKET = 0.42  # one bmatrix bracket (with \nulldelimiterspace)
_PAREN = 0.39
_TALL = 0.6  # a delimiter around three or more rows

_BINARY = {"+", "-", r"\cdot", r"\odot", r"\times", r"\pm"}
_RELATION = {"=", r"\approx", r"\le", r"\ge", "<", ">", r"\leq", r"\geq"}
_SPACES = {r"\quad": 1.0, r"\qquad": 2.0, r"\,": 0.167, r"\;": 0.278, r"\:": 0.222, r"\ ": 0.333,
           r"\!": -0.167, "~": 0.333}
_NAMED = {r"\log": 1.3, r"\tanh": 1.9, r"\max": 1.7, r"\exp": 1.4, r"\sum": 1.44, r"\infty": 1.0,
          r"\partial": 0.57, r"\top": 0.78, r"\lVert": 0.5, r"\rVert": 0.5, r"\Big": 0.0, r"\big": 0.0,
          r"\displaystyle": 0.0, r"\textstyle": 0.0, r"\left": 0.0, r"\right": 0.0, r"\hline": 0.0}
_ARG_TEXT = {r"\text", r"\operatorname", r"\mathrm", r"\textbf", r"\mathbf"}
_ACCENT = {r"\hat", r"\tilde", r"\bar", r"\vec", r"\mathit", r"\boldsymbol", r"\mathbf"}
_OPEN = {"(", "[", r"\{", "|", r"\lVert"}


def _tokens(tex: str) -> list[str]:
    return [t for t in _TOKEN.findall(tex) if not t.isspace()]


def _group(toks: list[str], i: int) -> tuple[list[str], int]:
    """The argument starting at toks[i]: a braced group or one token; returns (tokens, next index)."""
    if i >= len(toks):
        return [], i
    if toks[i] != "{":
        return [toks[i]], i + 1
    depth, j = 0, i
    while j < len(toks):
        depth += {"{": 1, "}": -1}.get(toks[j], 0)
        if depth == 0:
            return toks[i + 1:j], j + 1
        j += 1
    return toks[i + 1:], len(toks)


def _env(toks: list[str], i: int) -> tuple[list[str], int]:
    """The body of the environment whose \\begin{name} starts at toks[i]."""
    _, j = _group(toks, i + 1)
    depth, k = 1, j
    while k < len(toks):
        if toks[k] == r"\begin":
            depth += 1
        elif toks[k] == r"\end":
            depth -= 1
            if depth == 0:
                _, end = _group(toks, k + 1)
                return toks[j:k], end
        k += 1
    return toks[j:], len(toks)


def _split(toks: list[str], sep: str) -> list[list[str]]:
    """Split at `sep` outside braces and nested environments."""
    parts, cur, depth = [], [], 0
    for t in toks:
        if t in ("{", r"\begin"):
            depth += 1
        elif t in ("}", r"\end"):
            depth -= 1
        if t == sep and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    return parts


def _matrix(body: list[str], scale: float) -> float:
    rows = [_split(r, "&") for r in _split(body, r"\\")]
    cols = max(len(r) for r in rows)
    widest = [max((_width(r[c], scale) for r in rows if c < len(r)), default=0.0) for c in range(cols)]
    bracket = _BRACKET if len(rows) <= 2 else _TALL  # an extensible bracket is wider
    return sum(widest) + (cols - 1) * _COLSEP * scale + 2 * bracket * scale


def _tall(toks: list[str], i: int) -> float:
    """The width of the \\left delimiter at toks[i]: wider around a matrix or a fraction."""
    depth, j = 0, i
    while j < len(toks):
        if toks[j] == r"\left":
            depth += 1
        elif toks[j] == r"\right":
            depth -= 1
            if depth == 0:
                break
        j += 1
    inner = toks[i:j]
    return _TALL if r"\begin" in inner else 0.5 if r"\frac" in inner else _PAREN


def _width(toks: list[str], scale: float = 1.0) -> float:
    w, i, prev = 0.0, 0, None  # prev: the last atom, to tell a binary minus from a unary one
    opened: list[float] = []  # the widths of the \left delimiters still open
    limits = False  # a display \sum sets its scripts below and above it
    while i < len(toks):
        t = toks[i]
        i += 1
        if t == r"\begin":
            name, _ = _group(toks, i)
            body, i = _env(toks, i - 1)
            w += _matrix(body, scale) if "".join(name).endswith("matrix") or name == ["array"] else _width(body, scale)
            prev = "atom"
            continue
        if t in ("^", "_"):
            arg, i = _group(toks, i)
            sw = _width(arg, scale * _SCRIPT)
            if i < len(toks) and toks[i] in ("^", "_"):  # sub and superscript stack: the wider counts
                arg2, i = _group(toks, i + 1)
                sw = max(sw, _width(arg2, scale * _SCRIPT))
            w += max(0.0, sw - _NAMED[r"\sum"]) if limits else sw
            limits = False
            continue
        if t == "{":
            arg, i = _group(toks, i - 1)
            w += _width(arg, scale)
            prev = "atom"
            continue
        if t in (r"\frac", r"\dfrac", r"\tfrac"):
            num, i = _group(toks, i)
            den, i = _group(toks, i)
            inner = scale if scale == 1.0 and t != r"\tfrac" else scale * _SCRIPT
            w += max(_width(num, inner), _width(den, inner)) + 0.24 * scale
            prev = "atom"
            continue
        if t in _ARG_TEXT:
            arg, i = _group(toks, i)
            w += 0.5 * scale * sum(len(a) if not a.startswith("\\") else 1 for a in arg) + (0.17 if t == r"\operatorname" else 0)
            prev = "atom"
            continue
        if t in _ACCENT:
            arg, i = _group(toks, i)
            w += _width(arg, scale)
            prev = "atom"
            continue
        if t in _SPACES:
            w += _SPACES[t] * scale
            continue
        if t in _RELATION:
            w += (_REL if scale == 1.0 else 0.78 * scale)
            prev = "rel"
            continue
        if t in _BINARY:
            unary = prev in (None, "rel", "open", "bin", "punct")
            w += 0.78 * scale if unary or scale < 1.0 else _BIN
            prev = "bin"
            continue
        if t in (r"\left", r"\right", r"\Big", r"\big", r"\Bigg", r"\bigg"):
            if t == r"\left":
                opened.append(_tall(toks, i - 1))
            size = opened.pop() if t == r"\right" and opened else opened[-1] if t == r"\left" else _PAREN
            if i < len(toks):
                delim = toks[i]
                i += 1
                w += 0.0 if delim == "." else (0.5 if delim in ("|", r"\|") else size) * scale
                prev = "open" if t == r"\left" else "atom"
            continue
        if t in _NAMED:
            limits = t == r"\sum" and scale == 1.0
            w += _NAMED[t] * scale
            prev = "atom" if t not in (r"\lVert",) else "open"
            continue
        if t == ",":
            w += (0.28 + 0.167) * scale
            prev = "punct"
            continue
        if t in _OPEN:
            w += _PAREN * scale
            prev = "open"
            continue
        if t in (")", "]", r"\}"):
            w += _PAREN * scale
            prev = "atom"
            continue
        if t.startswith("\\"):
            w += 0.6 * scale  # a Greek letter or another symbol
        elif t.isdigit():
            w += _DIGIT * scale
        elif t == ".":
            w += 0.28 * scale
        elif t.isupper():
            w += _UPPER * scale
        elif t == "'":
            w += 0.3 * scale
        else:
            w += _LETTER * scale
        prev = "atom"
    return w


# The sums above come out 3 to 4 per cent narrow on the examples' wide steps (pdflatex's
# thin spaces around operators in fractions and scripts, which they leave out).
_CALIBRATION = 1.035


def width(tex: str) -> float:
    """The estimated width in em (of the document's font size) of display math `tex`."""
    return _CALIBRATION * _width(_tokens(tex))
