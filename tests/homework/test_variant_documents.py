"""`variants --to pdf` and `--to html`: each variant's sheet, solution and key as a PDF or a page.

A couple of variants only: a PDF costs a LaTeX compile per file. Without pdflatex/latexmk
the PDF tests skip (fail with CI=true); without latex2mathml the HTML ones do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tracer.homework.variants import Generator, numbered_ids, output_names, write_variants
from tracer.present.numfmt import array
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
SPEC = {  # the lecture's net, one iteration, its network and iteration 1's gradients as figures
    **{k: v for k, v in yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text()).items()
       if k != "published"},
    "iterations": 1, "randomize": True, "figures": ["network", "network@1:gradients"],
}


def _generator(seed: int = 7) -> Generator:
    return Generator(load_problem(SPEC), seed)


def _need(tool: str):
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} is required in CI (.ci/run installs it)")
        pytest.skip(f"{tool} not installed")


def _need_mathml():
    try:
        import latex2mathml  # noqa: F401
    except ImportError:
        if IN_CI:
            raise
        pytest.skip("latex2mathml not installed (pip install 'backprop-tracer[html]')")


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_pdf_variants_are_compiled_sheets_solutions_and_keys(tmp_path):
    _need("latexmk")
    _need("pdfinfo")
    ids = numbered_ids(2)
    written = write_variants(_generator(), ids, "pdf", tmp_path, space=0)
    names = output_names(ids, "pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # nothing of TeX's left behind
    assert written.files == [n for n in names if n in written.files] and len(written.files) == len(names)
    pages = {}
    for name in names:
        if name.endswith(".pdf"):
            data = (tmp_path / name).read_bytes()
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), name
            pages[name] = _pages(tmp_path / name)
    for part in ("problem", "solution", "key"):  # the combined file: each variant's pages, one after another
        assert pages[f"{part}s.pdf"] == sum(pages[f"{vid}.{part}.pdf"] for vid in ids)
    assert json.loads((tmp_path / "variants.json").read_text())["format"] == "pdf"
    assert json.loads((tmp_path / "v002.key.json").read_text())["variant"] == "v002"


def test_pdf_sheets_hold_each_variants_numbers(tmp_path):
    _need("latexmk")
    _need("pdftotext")
    [v] = write_variants(_generator(), ["s1"], "pdf", tmp_path, student_ids=True, space=0).variants
    text = {part: " ".join(subprocess.run(["pdftotext", str(tmp_path / f"s1.{part}.pdf"), "-"], capture_output=True,
                                          text=True, check=True, timeout=60).stdout.split())
            for part in ("problem", "key")}
    assert "variant s1" in text["problem"] and "student: s1" in text["problem"]
    assert "iter1.loss" in text["problem"] and "iter1.loss" in text["key"]
    loss = array(v.trace.values["iter1.loss"], 4)
    assert loss in text["key"] and loss not in text["problem"]  # the key has the answers, the sheet not


def _links_outside_text(page: str) -> list[str]:
    found = [link for tag in re.findall(r"<[^>]*>", page) for link in re.findall(r"https?://", tag)]
    for style in re.findall(r"<style>(.*?)</style>", page, re.S):
        found += re.findall(r"https?://", style)
    return found


def test_html_variants_are_self_contained_pages(tmp_path):
    _need_mathml()
    ids = ["s1", "s2"]
    written = write_variants(_generator(), ids, "html", tmp_path, student_ids=True)
    assert sorted(written.files) == sorted(output_names(ids, "html")) == sorted(p.name for p in tmp_path.iterdir())
    for vid, v in zip(ids, written.variants):
        pages = {part: (tmp_path / f"{vid}.{part}.html").read_text() for part in ("problem", "solution", "key")}
        for part, page in pages.items():
            assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>"), part
            assert _links_outside_text(page) == [] and not re.search(r"<(script|link|img|iframe|object)\b", page)
            assert page.count("<math") > 10 and "$" not in re.sub(r"<[^>]*>", "", page)  # all math converted
            for svg in re.findall(r"<svg.*?</svg>", page, re.S):  # figures inline, well-formed
                ET.fromstring(svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1))
        # a sheet or key shows the network as given; the solution also iteration 1's gradients
        assert [pages[p].count("<svg") for p in ("problem", "key", "solution")] == [1, 1, 2]
        assert f"student: {vid}" in pages["problem"] and "<code>iter1.grad.W1</code>" in pages["problem"]
        assert f"(variant {vid}): answer key" in pages["key"]
        loss = array(v.trace.values["iter1.loss"], 4)
        assert loss in pages["key"] and loss in pages["solution"] and loss not in pages["problem"]
    assert pages["problem"] != (tmp_path / "s1.problem.html").read_text()  # each student's own numbers


def test_html_working_room_and_none(tmp_path):
    _need_mathml()
    write_variants(_generator(), ["v001"], "html", tmp_path / "a", space=3)
    write_variants(_generator(), ["v001"], "html", tmp_path / "b", space=0)
    assert '<ol class="asked" style="--space: 3">' in (tmp_path / "a" / "v001.problem.html").read_text()
    assert '<ol class="asked">' in (tmp_path / "b" / "v001.problem.html").read_text()
    assert "--space" not in (tmp_path / "a" / "v001.key.html").read_text().split("</style>")[1]  # a key: no room


def test_html_variants_are_byte_identical_for_the_same_seed(tmp_path):
    _need_mathml()
    for d in ("a", "b"):
        write_variants(_generator(), numbered_ids(3), "html", tmp_path / d)
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert a == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()} and len(a) == 3 * 4 + 1


# -- the command line: the same folder rules, and one error line without the tool ------------


def _bptrace(*args, env=None, python=sys.executable, pre=""):
    code = f"import sys; {pre}from tracer.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([python, "-c", code, *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)


@pytest.fixture
def spec_file(tmp_path) -> Path:
    path = tmp_path / "hw.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    return path


def test_cli_html_then_force(tmp_path, spec_file):
    _need_mathml()
    out = tmp_path / "out"
    done = _bptrace("variants", spec_file, "--count", 2, "--seed", 3, "--to", "html", "-o", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote 2 variants (9 files) to {out}\n"
    before = (out / "v001.problem.html").read_text()
    done = _bptrace("variants", spec_file, "--count", 2, "--seed", 4, "--to", "html", "-o", out)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: {out}: would replace existing files (v001.problem.html, ")
    assert (out / "v001.problem.html").read_text() == before
    done = _bptrace("variants", spec_file, "--count", 2, "--seed", 4, "--to", "html", "-o", out, "--force")
    assert done.returncode == 0 and (out / "v001.problem.html").read_text() != before


def test_cli_without_latex2mathml_is_one_error_line_and_writes_nothing(tmp_path, spec_file):
    out = tmp_path / "out"
    done = _bptrace("variants", spec_file, "--count", 2, "--seed", 3, "--to", "html", "-o", out,
                    pre="sys.modules['latex2mathml'] = None; ")  # an import of it now fails
    assert done.returncode == 2
    assert done.stderr == ("error: --to html needs latex2mathml (MathML from the LaTeX); install it with "
                           "pip install 'backprop-tracer[html]' (or pip install latex2mathml)\n")
    assert not out.exists()


def test_cli_without_tex_is_one_error_line_and_writes_nothing(tmp_path, spec_file):
    bin_dir = tmp_path / "bin"  # a PATH with python and nothing of TeX
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    out = tmp_path / "out"
    done = _bptrace("variants", spec_file, "--count", 2, "--seed", 3, "--to", "pdf", "-o", out,
                    env={"PATH": str(bin_dir)}, python=str(bin_dir / "python"))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --to pdf needs pdflatex (and latexmk); on Debian")
    assert "texlive-latex-extra latexmk lmodern" in lines[0]
    assert not out.exists()


def test_cli_a_failed_compile_leaves_no_partial_file(tmp_path, spec_file, monkeypatch):
    """A compile failing half-way: the files before it are whole, the one it failed on absent."""
    _need("latexmk")
    from tracer.errors import TracerError
    from tracer.present import pdf

    calls = []
    real = pdf.compile_pdf

    def flaky(latex: str) -> bytes:
        calls.append(1)
        if len(calls) == 3:  # the key
            return real(latex.replace(r"\begin{document}", r"\begin{document}\undefinedcommandhere"))
        return real(latex)

    monkeypatch.setattr(pdf, "compile_pdf", flaky)
    with pytest.raises(TracerError, match=r"^LaTeX failed: Undefined control sequence"):
        write_variants(_generator(), ["v001"], "pdf", tmp_path / "out")
    left = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert left == ["v001.problem.pdf", "v001.solution.pdf"]
    assert all((tmp_path / "out" / n).read_bytes().startswith(b"%PDF-") for n in left)
