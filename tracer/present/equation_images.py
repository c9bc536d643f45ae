"""LaTeX math -> Canvas equation images, for the Canvas QTI export (tracer.homework.canvas).

Canvas keeps a formula as its own Equation Editor does: an <img class="equation_image"> whose
src is /equation_images/ followed by the LaTeX URL-escaped twice. Canvas's server renders that
path (EquationImagesController: "Usually, the latex string is stored in the db double escaped"),
so it shows with no feature flag and no script; where the account has MathJax
(new_math_equation_handling) the page typesets the same LaTeX from the image instead. The
importer leaves an equation_image's src alone (canvas_link_migrator's LinkParser), and a
relative src survives the sanitizer. docs/lms.md weighs this against MathML and \\( \\).

A step of several lines (`lhs &= a`, `&= b`) is one `aligned` formula: one image, aligned at
its `=` signs by the renderer.
"""

from __future__ import annotations

import html
from urllib.parse import quote


def equation_image(tex: str, display: bool = False) -> str:
    """One formula as Canvas's equation image (display: set in display style, as a handout's step)."""
    if not tex:
        return ""
    latex = rf"\displaystyle {tex}" if display else tex
    src = "/equation_images/" + quote(quote(latex, safe=""), safe="") + "?scale=1"
    text = html.escape(latex, quote=True)
    return (f'<img class="equation_image" title="{text}" src="{src}" alt="LaTeX: {text}" '
            f'data-equation-content="{text}" />')


def aligned_rows(lines: list[str]) -> list[tuple[str, str]]:
    """A step's lines as one (left, right) row: the right cell one aligned image of every line."""
    body = r" \\ ".join(lines)
    return [("", equation_image(rf"\begin{{aligned}}{body}\end{{aligned}}"))]
