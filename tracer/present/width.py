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
from contextlib import contextmanager

# Whitespace is no token: `\S` skips it as the old `\s+` alternative, dropped afterwards, did.
_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}&^_]|\S", re.S)

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
    return _TOKEN.findall(tex)


def _group(toks: list[str], i: int) -> tuple[list[str], int]:
    """The argument starting at toks[i]: a braced group or one token; returns (tokens, next index)."""
    if i >= len(toks):
        return [], i
    if toks[i] != "{":
        if toks[i] == _MAT:  # the walker would have read the environment's tokens one by one
            raise _Fallback
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
    return _TALL if r"\begin" in inner or _MAT in inner else 0.5 if r"\frac" in inner else _PAREN


def _width(toks: list[str], scale: float = 1.0) -> float:
    w, i, prev = 0.0, 0, None  # prev: the last atom, to tell a binary minus from a unary one
    opened: list[float] = []  # the widths of the \left delimiters still open
    limits = False  # a display \sum sets its scripts below and above it
    while i < len(toks):
        t = toks[i]
        i += 1
        if t == _MAT:  # a matrix set aside by _set_aside: what the \\begin branch below gives it
            w += t.memo.matrix(t.body, scale)
            prev = "atom"
            continue
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
            if _MAT in arg:  # text counts the environment's tokens
                raise _Fallback
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
                if delim == _MAT:
                    raise _Fallback
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
    memo = _session if _session is not None else _Memo()
    return memo.width(tex)


def slow_width(tex: str) -> float:
    """width(tex) token by token, no matrix set aside and nothing remembered: the definition
    the fast path is tested against (tests/present/test_width_fast.py)."""
    return _CALIBRATION * _width(_tokens(tex))


# -- the fast path -----------------------------------------------------------------------
# A large net's handout is mostly bmatrix cells of numbers, and its steps are measured again
# and again (per medium, and per trial line of a broken sum): token by token that was 97% of
# a 16-64-64-64-10 handout. The fast path gives the same floats, in the same order of
# operations: a digit's width is a digit's (every digit is a token of its own, measured
# alike), so every digit is read as 0 and most cells look alike; a matrix whose cells are
# plainly written is cut into cells by str.split, not token by token, each distinct cell
# measured once per scale; a matrix and a text already measured are remembered, within one
# session (lay_out's) or one call of width().

_ZEROS = str.maketrans("123456789", "000000000")
_MAT = "\x00matrix"  # the token a set-aside matrix stands as (no text has a NUL)
# \begin{name} and \end{name} as tokens: a backslash after a backslash is part of a \\ token
_ENV = re.compile(r"(?<!\\)\\(begin|end)\{([A-Za-z*]*)\}")
# Cells that str.split cuts where _split does: groups not nested, no & or backslash in them...
_FLAT = re.compile(r"[^{}]*(?:\{[^{}&\\]*\}[^{}]*)*")
# ... no escaped &, { or } (\& is no column separator), and no \left or \right (_tall reads
# them through the environment)
_UNPLAIN = re.compile(r"\\[&{}]|\\left|\\right")
_MEMO_CHARS = 50_000_000  # what a session keeps before it starts over (memory, not speed)


class _Fallback(Exception):
    """A set-aside matrix met where the walker reads an environment's raw tokens (a script's
    one-token argument, a delimiter, \\text): measure that text token by token instead."""


class _Matrix(str):
    """A matrix environment of the text set aside as one token, equal to _MAT."""

    def __new__(cls, body: str, memo: "_Memo"):
        obj = super().__new__(cls, _MAT)
        obj.body, obj.memo = body, memo
        return obj


class _Cells(dict):
    """Cell text -> its width at one scale, measured on first use."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def __missing__(self, cell: str) -> float:
        w = self[cell] = _width(_tokens(cell), self.scale)
        return w


class _Memo:
    def __init__(self):
        self.texts: dict[str, float] = {}
        self.matrices: dict[tuple[str, float], float] = {}
        self.cells: dict[float, _Cells] = {}
        self.chars = 0

    def _keep(self, n: int) -> None:
        self.chars += n
        if self.chars > _MEMO_CHARS:
            self.texts.clear()
            self.matrices.clear()
            self.chars = n

    def width(self, tex: str) -> float:
        tex = tex.translate(_ZEROS)
        w = self.texts.get(tex)
        if w is None:
            toks = _set_aside(tex, self)
            try:
                w = _width(toks if toks is not None else _tokens(tex))
            except _Fallback:
                w = _width(_tokens(tex))
            w *= _CALIBRATION
            self._keep(len(tex))
            self.texts[tex] = w
        return w

    def matrix(self, body: str, scale: float) -> float:
        """_matrix(_tokens(body), scale), for a body _set_aside passed."""
        w = self.matrices.get((body, scale))
        if w is None:
            cells = self.cells.get(scale) or self.cells.setdefault(scale, _Cells(scale))
            rows = [list(map(cells.__getitem__, r.split("&"))) for r in body.split("\\\\")]
            cols = max(map(len, rows))
            if all(len(r) == cols for r in rows):
                widest = list(map(max, zip(*rows)))
            else:
                widest = [max((r[c] for r in rows if c < len(r)), default=0.0) for c in range(cols)]
            bracket = _BRACKET if len(rows) <= 2 else _TALL
            w = sum(widest) + (cols - 1) * _COLSEP * scale + 2 * bracket * scale
            self._keep(len(body))
            self.matrices[(body, scale)] = w
        return w


def _set_aside(tex: str, memo: _Memo) -> list[str] | None:
    """The tokens of `tex`, each innermost matrix environment with plainly written cells as
    one _Matrix token; None where an environment is not written as \\begin{name} ... \\end{name}."""
    if "\\begin" not in tex:
        return _tokens(tex)
    found = list(_ENV.finditer(tex))
    if tex.count("\\begin") + tex.count("\\end") != len(found):
        return None
    toks: list[str] = []
    start, stack = 0, []
    for m in found:
        if m.group(1) == "begin":
            if stack:
                stack[-1][1] = False  # it has an environment inside: not innermost
            stack.append([m, True])
            continue
        if not stack:
            return None
        begin, innermost = stack.pop()
        body = tex[begin.end():m.start()]
        if innermost and begin.group(2).endswith("matrix") and _FLAT.fullmatch(body) and not _UNPLAIN.search(body):
            toks += _tokens(tex[start:begin.start()])
            toks.append(_Matrix(body, memo))
            start = m.end()
    if stack:
        return None
    toks += _tokens(tex[start:])
    return toks


_session: _Memo | None = None


@contextmanager
def session():
    """Remember measured texts and matrices until the block ends (one lay_out)."""
    global _session
    outer, _session = _session, _Memo()
    try:
        yield
    finally:
        _session = outer
