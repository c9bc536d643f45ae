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


class _Base:
    """The scripts one base has taken so far (at one brace depth)."""

    def __init__(self):
        self.sup = self.prime = self.sub = False
        self.primes_closed = False  # a subscript came after the primes: they take no more (x'_1' is x^{'}_1^{'})
        self.waiting = False  # a ^ or _ waits for its argument
        self.is_argument = False  # this brace group is a script's argument


def _double_script(sym: str) -> str | None:
    """A second superscript (or subscript) on one base, which TeX refuses: a^{b}' or x_{1}_{2}.
    (Primes may repeat, x'', and a ^ may follow them, x'^{2}, as in TeX; not once a subscript has
    come between: x'_{1}' and x'_{1}^{2} are double superscripts.)"""
    stack = [_Base()]
    for m in _TOKEN.finditer(sym):
        command, plain, _ = m.groups()
        top = stack[-1]
        if plain == "{":
            stack.append(_Base())
            stack[-1].is_argument = top.waiting
            continue
        if plain == "}":
            if top.waiting:
                return "a script with nothing after it"
            was_argument = stack.pop().is_argument
            base = stack[-1]
            if was_argument:
                base.waiting = False
            else:
                base.sup = base.prime = base.sub = base.primes_closed = False  # the group was a new base
            continue
        if plain in ("^", "_") or plain == "'":
            if top.waiting:
                return "a script as the argument of a script"
            if plain == "_":
                if top.sub:
                    return "two subscripts in a row"
                top.sub, top.waiting = True, True
                top.primes_closed = top.prime
            elif plain == "^":
                if top.sup:
                    return "two superscripts in a row"
                if top.primes_closed:
                    return "a superscript after a prime and a subscript"
                top.sup, top.waiting = True, True
            else:
                if top.sup:
                    return "a prime after a superscript"
                if top.primes_closed:
                    return "a prime after a prime and a subscript"
                top.prime = True
            continue
        if plain is not None and not plain.strip():
            continue
        if top.waiting:
            top.waiting = False  # a one-token argument: a^b
        else:
            top.sup = top.prime = top.sub = top.primes_closed = False  # a new base
    if stack[-1].waiting:
        return "a script with nothing after it"
    return None


def _top_level_script(sym: str) -> bool:
    depth = 0
    for m in _TOKEN.finditer(sym):
        plain = m.group(2)
        depth += plain == "{"
        depth -= plain == "}"
        if depth == 0 and plain in ("^", "_", "'"):
            return True
    return False


def protect(sym: str) -> str:
    """A symbol the handout may give a script of its own (L_data, y_k): braced if it has one."""
    return "{" + sym + "}" if _top_level_script(sym) else sym


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
    return _double_script(sym)
