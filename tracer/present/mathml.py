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

from ..errors import TracerError

_NS = re.compile(r'\s+xmlns="[^"]*"')  # a namespace name, not a link: HTML's parser needs none


def _convert():
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise TracerError("--to html needs latex2mathml (MathML from the LaTeX); install it with "
                          "pip install 'backprop-tracer[html]' (or pip install latex2mathml)") from None
    return convert


def require() -> None:
    """Refuse at once, before anything is drawn or written, when latex2mathml is missing."""
    _convert()


_SIGNS = {"\u2212", "-", "+"}
_CLOSING = {")", "]", "}", "|", "\u2016", "\u232a", "\u27e9"}


def _mark_signs(element: ET.Element) -> None:
    """A sign after an operator (`= -0.5`, `(-0.5`) gets form="prefix": latex2mathml leaves the
    sign a bare <mo> inside the row, which browsers then space as a binary minus (`= − 0.5`)."""
    before = None
    for child in element:
        if (child.tag == "mo" and (child.text or "") in _SIGNS and "form" not in child.attrib
                and before is not None and before.tag == "mo" and (before.text or "") not in _CLOSING
                and before.get("form") != "postfix"):
            child.set("form", "prefix")
        _mark_signs(child)
        before = child


def mathml(tex: str, display: bool = False) -> str:
    """One formula as a <math> element."""
    if not tex:
        return ""
    root = ET.fromstring(_NS.sub("", _convert()(tex, display="block" if display else "inline"), count=1))
    _mark_signs(root)
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
