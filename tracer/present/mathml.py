"""LaTeX math -> MathML, for `--to html`: the page's math needs no script, font or network.

latex2mathml (an optional extra: `pip install 'backprop-tracer[html]'`) is pure Python and
converts every equation the built-in examples print under every profile; current Chromium,
Firefox and Safari render MathML Core natively. KaTeX would need node (or its fonts and CSS
embedded, some 300 kB a page) and pandoc is no Python dependency. latex2mathml has no
`aligned`, so a step broken at its `=` signs becomes rows of (left, right) MathML, which the
template sets in a two-column table aligned at the `=`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..errors import MissingDependency

_NS = re.compile(r'\s+xmlns="[^"]*"')  # a namespace name, not a link: HTML's parser needs none


def _convert():
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise MissingDependency("--to html needs latex2mathml (MathML from the LaTeX); install it with "
                          "pip install 'backprop-tracer[html]' (or pip install latex2mathml)") from None
    return convert


def require() -> None:
    """Refuse at once, before anything is drawn or written, when latex2mathml is missing."""
    _convert()


_SIGNS = {"\u2212", "-", "+"}
_CLOSING = {")", "]", "}", "|", "\u2016", "\u232a", "\u27e9"}
_PRIMES = {"\u2032", "\u2033", "\u2034"}
_TALL = {"mfrac", "mtable", "munder", "munderover", "msqrt", "mroot"}  # what makes TeX's \left( grow


def _bold(ch: str) -> str:
    """A letter or digit as its Mathematical Bold character (MathML Core renders no mathvariant="bold")."""
    if "0" <= ch <= "9":
        return chr(0x1D7CE + ord(ch) - ord("0"))
    if "A" <= ch <= "Z":
        return chr(0x1D400 + ord(ch) - ord("A"))
    if "a" <= ch <= "z":
        return chr(0x1D41A + ord(ch) - ord("a"))
    return ch


def _text(el: ET.Element) -> str:
    return "".join(el.itertext())


def _tidy(element: ET.Element) -> None:
    r"""Where latex2mathml's MathML and a browser's rendering differ from the TeX, in the tree:

    - a sign after an operator (`= -0.5`, `(-0.5`) gets form="prefix": latex2mathml leaves it a
      bare <mo> inside the row, which browsers space as a binary minus (`= − 0.5`);
    - a fence of \left( \right) around nothing taller than a line (no fraction, matrix, sum, root)
      is not stretched: TeX sets such a fence at its normal size, while Chromium's stretched glyph
      stands off from the content (`log ( ŷ )`);
    - a prime (`g'`, a superscript ′) is set after its base, not raised again: the glyph is already
      a superscript, so msup lifts it to an accent's height;
    - \mathbf{1} (the indicator) is set in the Mathematical Bold characters, since browsers ignore
      mathvariant="bold" (MathML Core keeps only "normal");
    - a function name (`log`, `tanh`, \operatorname{step}) is an <mi> (latex2mathml makes an operator
      name an <mo>, spaced as an infix operator: `= step (0.2)`), after a symbol with TeX's thin
      space (`y log`, not `ylog`)."""
    children = list(element)
    if element.get("mathvariant") == "bold" and element.text and element.text.isascii() and element.text.isalnum():
        element.text = "".join(map(_bold, element.text))
        del element.attrib["mathvariant"]
    if element.tag == "msup" and len(children) == 2 and _text(children[1]) in _PRIMES \
            and not any(c.tag not in ("mi", "mo", "mrow") for c in children[1].iter()):
        element.tag = "mrow"
    fenced = element.tag == "mrow" and any(c.get("fence") == "true" for c in children)
    tall = fenced and any(d.tag in _TALL for c in children for d in c.iter())
    before = None
    for child in children:
        if child.tag == "mo" and len(child.text or "") > 1 and (child.text or "").isalpha() and not child.attrib:
            child.tag = "mi"  # \operatorname{step}: a name, not an infix operator spaced on both sides
        if (child.tag == "mo" and (child.text or "") in _SIGNS and "form" not in child.attrib
                and before is not None and before.tag == "mo" and (before.text or "") not in _CLOSING
                and before.get("form") != "postfix"):
            child.set("form", "prefix")
        if fenced and not tall and child.get("fence") == "true" and child.get("stretchy") == "true":
            child.set("stretchy", "false")
        if (child.tag == "mi" and len(child.text or "") > 1 and (child.text or "").isalpha()
                and before is not None and before.tag != "mo" and before.tag != "mspace"):
            element.insert(list(element).index(child), ET.Element("mspace", width="0.1667em"))
        _tidy(child)
        before = child


def mathml(tex: str, display: bool = False) -> str:
    """One formula as a <math> element."""
    if not tex:
        return ""
    root = ET.fromstring(_NS.sub("", _convert()(tex, display="block" if display else "inline"), count=1))
    _tidy(root)
    return ET.tostring(root, encoding="unicode")


def _split_top(line: str) -> tuple[str, str]:
    """A line `lhs &= rhs` at its first & outside every environment (a bmatrix has its own)."""
    depth = 0
    for m in re.finditer(r"\\begin\{|\\end\{|&", line):
        token = m.group()
        if token == r"\begin{":
            depth += 1
        elif token == r"\end{":
            depth -= 1
        elif depth == 0:
            return line[:m.start()], line[m.end():]
    return "", line


def aligned_rows(lines: list[str]) -> list[tuple[str, str]]:
    """A step's lines (`lhs &= a`, `&= b`, ...) as (left, right) MathML pairs."""
    # display style in both cells, so a fraction keeps its size as in a one-line display
    return [(mathml(left, display=True) if left.strip() else "", mathml(right, display=True))
            for left, right in map(_split_top, lines)]
