"""View -> text, through Jinja2 templates: one template set per format.

A format is a folder of templates plus a few filters (nbconvert's exporters
are the model). LaTeX and Markdown templates both use nbconvert's delimiters,
`((* *))` for blocks and `((( )))` for values, so TeX braces never clash with
Jinja. The math strings in a View are already LaTeX and are never escaped
again; prose (titles, descriptions) goes through `escape_latex` or
`escape_markdown`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from .. import cache
from ..errors import TemplateNotFound, TracerError
from . import formula_store
from .view import View, build_view

_HERE = Path(__file__).resolve().parent.parent  # the tracer package (its wheel carries the folder)

FORMATS = {
    # format: (folder, default template, file suffix)
    "latex": ("latex", "handout.tex.j2", ".tex"),
    "markdown": ("markdown", "handout.md.j2", ".md"),
    "html": ("html", "handout.html.j2", ".html"),  # one self-contained page: MathML, inline SVG
    # an LMS's HTML fragments (a question's text, its feedback): TeX in \( \) for its MathJax filter
    "lms": ("lms", "solution.html.j2", ".html"),
    # Canvas QTI texts: the html templates as fragments, math as Canvas equation images (homework.canvas)
    "canvas": ("canvas", "feedback.html.j2", ".html"),
}
_FALLBACK = {"canvas": "html"}  # a template set that reuses another's templates under its own

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "\u2013": "--", "\u2014": "---",
}
_MARKDOWN_SPECIALS = set("\\`*_{}[]<>#|$")


def escape_latex(text: str) -> str:
    """Prose -> LaTeX: one pass over the characters, each special mapped once."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in str(text))


def escape_markdown(text: str) -> str:
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))


def builtin_templates_dir() -> Path:
    for candidate in (_HERE / "templates", _HERE.parent / "templates"):
        if candidate.is_dir():
            return candidate
    return _HERE / "templates"


def make_environment(fmt: str, extra_dirs: list[str | Path] = ()) -> jinja2.Environment:
    """The one environment factory: user folders first, then the built-in templates.

    One environment per format and folders for the whole process, so each template is compiled
    once (Jinja keeps compiled templates per environment, and re-reads a file only when it changed
    on disk). Treat the result as read-only: every caller shares it. A relative folder is keyed
    by where it points as well, so a change of directory gets an environment of its own."""
    dirs = tuple((str(Path(d)), os.path.abspath(d)) for d in extra_dirs)
    # keyed by the cache folder too: a process that changes BPTRACE_CACHE_DIR (tests, a notebook) gets its own
    folder = None if cache.disabled() else str(cache.cache_dir() / formula_store.JINJA_FOLDER)
    return _environment(fmt, dirs, folder)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between processes (Jinja writes each through a temporary file and
    os.replace); a file that cannot be read back is a miss, so the template is compiled again."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a torn or foreign file: jinja's own reader raises whatever unpickling raises
            bucket.reset()


def _bytecode_cache(folder: str, fmt: str) -> jinja2.BytecodeCache | None:
    """A folder per format: Jinja folds a filter of a constant into the compiled code (`{{ "k" | math }}`
    is compiled to its MathML, or to a Canvas equation image), so one template file compiled for two
    formats (canvas reuses the html templates) is two different programs."""
    folder = Path(folder) / f"jinja-{jinja2.__version__}" / fmt
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


@lru_cache(maxsize=64)
def _environment(fmt: str, dirs: tuple, cache_folder: str | None) -> jinja2.Environment:
    folder = FORMATS[fmt][0]
    search = [Path(d) for d, _ in dirs] + [builtin_templates_dir() / folder]
    if fmt in _FALLBACK:
        search.append(builtin_templates_dir() / FORMATS[_FALLBACK[fmt]][0])
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in search]),
        bytecode_cache=_bytecode_cache(cache_folder, fmt) if cache_folder else None,
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if fmt in ("html", "lms", "canvas"):
        import html  # here: the LaTeX and Markdown handouts never load its table of entities

    if fmt == "html":
        from .mathml import aligned_rows, mathml

        env.filters["escape"] = lambda text: html.escape(str(text), quote=True)
        env.filters["math"] = mathml
        env.filters["display"] = lambda s: mathml(s, display=True)
        env.filters["aligned"] = aligned_rows
    elif fmt == "lms":
        env.filters["escape"] = lambda text: html.escape(str(text), quote=True)
        env.filters["math"] = lambda s: rf"\({html.escape(s, quote=False)}\)" if s else ""
        env.filters["display"] = lambda s: rf"\[{html.escape(s, quote=False)}\]"
        env.filters["aligned"] = lambda lines: r"\[\begin{aligned}" + html.escape(" \\\\ ".join(lines), quote=False) + r"\end{aligned}\]"
    elif fmt == "canvas":
        from .equation_images import aligned_rows as image_rows
        from .equation_images import equation_image

        env.filters["escape"] = lambda text: html.escape(str(text), quote=True)
        env.filters["math"] = equation_image
        env.filters["display"] = lambda s: equation_image(s, display=True)
        env.filters["aligned"] = image_rows
    else:
        env.filters["escape"] = escape_latex if fmt == "latex" else escape_markdown
        env.filters["math"] = lambda s: f"${s}$" if s else ""
    env.globals["search_path"] = [str(p) for p in search]
    return env


def render_view(view: View, fmt: str, template: str | None = None, extra_dirs: list[str | Path] = ()) -> str:
    env = make_environment(fmt, extra_dirs)
    name = template or FORMATS[fmt][1]
    try:
        tpl = env.get_template(name)
    except jinja2.TemplateNotFound as err:
        places = ", ".join(env.globals["search_path"])
        raise TemplateNotFound(f"template {err.name!r} not found (searched: {places})") from None
    return tpl.render(view=view)


def render(trace, fmt: str, template: str | None = None, slips=()) -> str:
    return render_view(build_view(trace, slips=slips), fmt, template)


def render_iteration(trace, fmt: str, t: int, slips=()) -> str:
    """Iteration `t` alone, as the handout writes it (`iteration.*.j2`): for a notebook's
    `trace.iteration(t)`. LaTeX is the section's body, without a preamble."""
    if not trace.iterations:
        raise TracerError(f"iteration {t}: this problem has no iterations (a {trace.problem.kind})")
    if not 1 <= t <= len(trace.iterations):
        raise TracerError(f"iteration {t}: expected 1 to {len(trace.iterations)} (the iterations run)")
    view = build_view(trace, slips=slips)
    it = next(i for i in view.iterations if i.t == t)
    diverged = view.diverged if trace.diverged and trace.diverged[0] == t else []
    alone = dataclasses.replace(view, iterations=[it], diverged=diverged, figures=[], curves=[])
    return render_view(alone, fmt, f"iteration{FORMATS[fmt][2]}.j2")


def embedded(page: str) -> str:
    """An HTML page as a notebook cell's output: in an iframe of its own, so its style sheet
    stays off the notebook; it grows to its content's height once loaded."""
    import html

    return (f'<iframe class="bptrace" srcdoc="{html.escape(page, quote=True)}" '
            'style="width: 100%; height: 80vh; border: 1px solid #ddd;" '
            "onload=\"this.style.height = (this.contentDocument.documentElement.scrollHeight + 16) + 'px'\">"
            "</iframe>")


@dataclass
class Document:
    """What a render writes: the text, the files beside it that it refers to, or a PDF."""

    text: str
    files: dict[str, str] = field(default_factory=dict)  # file name (beside the document) -> text
    pdf: bytes | None = None


def document(trace, fmt: str, stem: str | None = None, slips=()) -> Document:
    """`trace` as a Document in `fmt` (latex, markdown, pdf, html); `stem`: see place_files."""
    from .figures import place_files

    view = build_view(trace, slips=slips)
    if fmt == "pdf":
        from .pdf import compile_pdf

        return Document("", pdf=compile_pdf(render_view(view, "latex")))
    files = place_files(view, stem) if fmt == "markdown" else {}
    return Document(render_view(view, fmt), files)
