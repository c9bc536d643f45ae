"""A figure label's LaTeX as runs of plain text, for SVG.

A label is either a notation symbol (the whitelist of tracer.problem.symbols: letters,
digits, ^ _ { } ( ) ', Greek letters, accents, fonts and a few symbols) or a number
printed by numfmt (`-0.5`, `1.2 \\times 10^{-5}`, `\\infty`, `\\text{undefined}`). Both are
small languages, so this reads them exactly, and nothing else: anything unknown is kept
as its name, never passed on as markup (the SVG emitter escapes every run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..problem.symbols import GREEK

_GREEK_CHARS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ",
    "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
assert set(_GREEK_CHARS) == set(GREEK)
_SYMBOL_CHARS = {
    "ell": "ℓ", "partial": "∂", "nabla": "∇", "top": "⊤", "intercal": "⊺", "prime": "′", "ast": "∗",
    "star": "⋆", "circ": "∘", "bullet": "•", "cdot": "·", "odot": "⊙", "times": "×", "infty": "∞",
    "imath": "ı", "jmath": "ȷ", "vdots": "⋮", "approx": "≈",
    "cdots": "⋯", "div": "÷", "surd": "√",  # a graph figure's gates and elisions
}
# Accents as combining characters, placed after the accented text's first character.
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
            "overline": "\u0305", "underline": "\u0332", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308",
            "check": "\u030c", "breve": "\u0306", "acute": "\u0301", "grave": "\u0300"}
_UPRIGHT = {"mathrm", "text", "operatorname", "mathsf", "mathtt"}
_FONTS = _UPRIGHT | {"mathbf", "mathit", "mathcal", "mathbb", "mathfrak", "boldsymbol"}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ"}
_SPACES = {",": "\u2009", ";": " ", "!": "", " ": " ", "quad": "  "}

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(.)", re.S)


@dataclass(frozen=True)
class Run:
    """A stretch of text at one baseline: 0 on the line, +1 superscript, -1 subscript (nesting adds)."""

    text: str
    level: int = 0
    italic: bool = False


def runs(tex: str) -> list[Run]:
    """`tex` as text runs, adjacent runs of the same style merged."""
    tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(tex)]
    out: list[Run] = []
    _read(tokens, 0, len(tokens), 0, None, out)
    merged: list[Run] = []
    for r in out:
        if merged and (merged[-1].level, merged[-1].italic) == (r.level, r.italic):
            merged[-1] = Run(merged[-1].text + r.text, r.level, r.italic)
        elif r.text:
            merged.append(r)
    return merged


def plain(tex: str) -> str:
    """The text alone (superscripts and subscripts inline): what a reader or a test compares."""
    return "".join(r.text for r in runs(tex))


def _group_end(tokens, i: int) -> int:
    """Index just past the group or single token starting at i."""
    if i < len(tokens) and tokens[i] == (None, "{"):
        depth = 0
        for k in range(i, len(tokens)):
            if tokens[k] == (None, "{"):
                depth += 1
            elif tokens[k] == (None, "}"):
                depth -= 1
                if depth == 0:
                    return k + 1
        return len(tokens)
    return i + 1


def _inner(tokens, i: int, end: int) -> tuple[int, int]:
    """The contents of the group at i (without braces), as a range."""
    if i < len(tokens) and tokens[i] == (None, "{"):
        return i + 1, end - 1
    return i, end


def _read(tokens, i: int, stop: int, level: int, font: str | None, out: list[Run]) -> None:
    while i < stop:
        command, char = tokens[i]
        if command is None:
            if char in "^_":
                end = _group_end(tokens, i + 1)
                a, b = _inner(tokens, i + 1, end)
                _read(tokens, a, b, level + (1 if char == "^" else -1), font, out)
                i = end
                continue
            if char in "{}":
                i += 1
                continue
            if char == "'":
                out.append(Run("′", level))
            elif char == "-":
                out.append(Run("−", level))
            elif char == "=":
                out.append(Run(" = ", level))  # a relation: TeX spaces it
            elif char.isalpha():
                if font == "mathbb":
                    out.append(Run(_BLACKBOARD.get(char, char), level))
                else:
                    out.append(Run(char, level, italic=font is None))
            elif char == " ":
                pass  # TeX math ignores spaces
            else:
                out.append(Run(char, level))
            i += 1
            continue
        if command in _FONTS:
            end = _group_end(tokens, i + 1)
            a, b = _inner(tokens, i + 1, end)
            if command == "text":  # text mode keeps its spaces
                out.append(Run("".join(c or "" for _, c in tokens[a:b]), level))
            else:
                _read(tokens, a, b, level, command, out)
            i = end
            continue
        if command in _ACCENTS:
            end = _group_end(tokens, i + 1)
            a, b = _inner(tokens, i + 1, end)
            inner: list[Run] = []
            _read(tokens, a, b, level, font, inner)
            if inner:
                first = inner[0]
                inner[0] = Run(first.text[:1] + _ACCENTS[command] + first.text[1:], first.level, first.italic)
            out.extend(inner)
            i = end
            continue
        if command in ("left", "right"):
            i += 1
            continue
        text = _GREEK_CHARS.get(command) or _SYMBOL_CHARS.get(command)
        if text is None:
            text = _SPACES.get(command, command)
        out.append(Run(text, level, italic=command in _GREEK_CHARS and command.islower()))
        i += 1


def extent(tex: str) -> float:
    """The label's estimated width in characters of its base size: a script counts 0.7, and a
    superscript and subscript stacked on one base (as TeX sets them, and the SVG emitter does) count
    as the wider of the two."""
    total, prev = 0.0, None
    for r in runs(tex):
        w = len(r.text) * 0.7 ** abs(r.level)
        if prev is not None and r.level and prev.level and (r.level > 0) != (prev.level > 0):
            w_prev = len(prev.text) * 0.7 ** abs(prev.level)
            total += max(0.0, w - w_prev)  # stacked under (or over) the previous script
            prev = None
            continue
        total += w
        prev = r
    return total


def stacked(rs: list[Run]) -> list[bool]:
    """For each run, whether it is stacked on the run before it (a subscript under a superscript, or over)."""
    out, prev = [], None
    for r in rs:
        s = prev is not None and bool(r.level) and bool(prev.level) and (r.level > 0) != (prev.level > 0)
        out.append(s)
        prev = None if s else r
    return out
