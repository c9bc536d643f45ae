"""The LaTeX a spec may put in a notation symbol: a whitelist, so that a symbol can only ever
typeset as a symbol.

A symbol reaches LaTeX, Markdown math (KaTeX, MathJax, Pandoc) and LMS text raw, so what is
not listed here is refused at the spec, with `error:`: no `\\input`, no `\\def`, no `^^5c`
(TeX's spelling of a backslash), no `$`, `%`, `#`, `&`, `<` or `~`, no unbalanced braces, no
letters outside ASCII (pdflatex with the default fonts would stop on them).
"""

from __future__ import annotations

import re

GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
).split()
ACCENTS = "hat tilde bar vec dot ddot check breve acute grave widehat widetilde overline underline".split()
FONTS = "mathbf mathrm mathit mathsf mathtt mathcal mathbb mathfrak boldsymbol operatorname".split()
SYMBOLS = "ell partial nabla top intercal prime ast star circ bullet cdot odot times infty imath jmath".split()
SPACING = {",", ";", "!", " "}  # \, \; \! and "\ "
COMMANDS = frozenset(GREEK + ACCENTS + FONTS + SYMBOLS)

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([A-Za-z0-9^_{}()'\[\] ,.+\-*/|=])|(.)", re.S)


def symbol_problem(sym: str) -> str | None:
    """Why `sym` is not an acceptable symbol, or None."""
    if not sym.strip():
        return "an empty symbol"
    if "^^" in sym:
        return "'^^' (TeX reads ^^5c as a backslash)"
    depth = 0
    for m in _TOKEN.finditer(sym):
        command, plain, other = m.groups()
        if command is not None:
            if command not in COMMANDS and command not in SPACING:
                return f"the command \\{command} (allowed: Greek letters, accents such as \\hat, fonts such as \\mathbf, and {', '.join(sorted(SYMBOLS))})"
        elif other is not None:
            return f"the character {other!a}"
        elif plain == "{":
            depth += 1
        elif plain == "}":
            depth -= 1
            if depth < 0:
                return "a '}' with no '{'"
    if depth:
        return "unbalanced braces"
    return None
