"""LaTeX -> PDF: latexmk (or pdflatex twice) in a temporary folder, never with shell escape.

The handout's LaTeX is ours, but the symbols in it come from a spec, so TeX runs with
`-no-shell-escape` and `openout_any=p` (the default "paranoid" writes), in a folder of its
own that is removed afterwards. A failure is one line: the first `! ...` error of the log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import TracerError

DEBIAN_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra latexmk lmodern"
TIMEOUT = 300  # seconds for the whole compile; a long handout takes a few


class PdfError(TracerError):
    """TeX is missing, or the LaTeX did not compile."""


def _commands() -> list[list[str]]:
    flags = ["-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return [["latexmk", "-pdf", "-quiet", f"-pdflatex=pdflatex {' '.join(flags)} %O %S", "doc.tex"]]
    if shutil.which("pdflatex"):
        return [["pdflatex", *flags, "doc.tex"]] * 2  # twice: the longtables' widths and the references settle
    raise PdfError(f"--to pdf needs pdflatex (and latexmk); on Debian or Ubuntu: "
                   f"sudo apt-get install {DEBIAN_PACKAGES}")


def require_tex() -> None:
    """Refuse at once, before anything is drawn or written, when TeX is missing (PdfError)."""
    _commands()


def first_error(log: str) -> str:
    """The first LaTeX error of a log, with the line it names (`! Undefined control sequence. l.42 ...`)."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("! "):
            where = next((l.strip() for l in lines[i + 1:i + 12] if l.startswith("l.")), "")
            return f"{line[2:].strip()}{' (' + where + ')' if where else ''}"
    return "see the LaTeX log (no error line found)"


def compile_pdf(latex: str) -> bytes:
    """The PDF of a complete LaTeX document."""
    commands = _commands()
    env = dict(os.environ, openout_any="p", openin_any="p")
    with tempfile.TemporaryDirectory(prefix="bptrace-pdf-") as tmp:
        folder = Path(tmp)
        (folder / "doc.tex").write_text(latex, encoding="utf-8")
        for cmd in commands:
            try:
                proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True,
                                      stdin=subprocess.DEVNULL, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                raise PdfError(f"LaTeX did not finish within {TIMEOUT} s") from None
            if proc.returncode != 0:
                log = folder / "doc.log"
                text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else proc.stdout
                raise PdfError(f"LaTeX failed: {first_error(text)}")
        return (folder / "doc.pdf").read_bytes()
