"""`bptrace render SPEC SPEC ... -o DIR`: several specs, each into DIR as `<spec name><suffix>`.

Each spec is rendered as `bptrace render SPEC -o DIR/<name><suffix>` would render it (its
figures beside it), in a pool of processes with `jobs` > 1 (tracer.pool): the workers render,
this process writes, in the order the specs were given. A spec that fails stops the batch with
its one-line error (exit 2) after the specs before it were written, as one process would.
Files are replaced as `render -o FILE` replaces its file: never through a link, never an input.
"""

from __future__ import annotations

from pathlib import Path

from .errors import TracerError
from .files import OutputFolder
from .pool import ordered_map

SUFFIX = {"latex": ".tex", "markdown": ".md", "pdf": ".pdf", "html": ".html", "json": ".json",
          "answers": ".answers.yaml", "moodle": ".moodle.xml"}


def render_many(specs: list[str], fmt: str, out_dir: str | None, overrides: dict | None = None,
                budget: float | None = None, jobs: int = 1) -> list[str]:
    """Render every spec of `specs` in `fmt` into the folder `out_dir`; returns the files written."""
    if out_dir is None or out_dir == "-":
        raise TracerError("several SPECs need -o DIR: each is written into DIR as <spec name>" + SUFFIX[fmt])
    seen: dict[str, str] = {}
    for spec in specs:
        name = Path(spec).stem + SUFFIX[fmt]
        if name in seen:
            raise TracerError(f"{spec}: {seen[name]} is also written to {name}; render specs of the same name "
                              "into different folders")
        seen[name] = spec
    folder = OutputFolder(out_dir, force=True, inputs=specs)
    folder.check(seen)
    folder.create()
    written: list[str] = []
    task = (fmt, {k: v for k, v in (overrides or {}).items() if v is not None}, budget)
    for files in ordered_map(_render_one, specs, state=task, jobs=jobs):
        for name, data in files:
            folder.check([name])  # a figure's name is known only now: not an input, not a link
            if isinstance(data, bytes):
                folder.write_bytes(name, data)
            else:
                folder.write(name, data)
            written.append(name)
    return written


def _render_one(task, spec: str) -> list[tuple[str, str | bytes]]:
    """(file name, text or PDF bytes) of one spec's output, its figures first, as `render -o` writes them."""
    fmt, overrides, budget = task
    from .problem.spec import load_problem

    stem = Path(spec).stem
    problem = load_problem(spec)
    if overrides:
        problem = problem.with_overrides(**overrides)
    main = stem + SUFFIX[fmt]
    if fmt == "answers":
        from .grade.answer_template import answer_template
        from .grade.check import Checker

        return [(main, answer_template(Checker(problem), "yaml"))]
    if fmt == "moodle":
        from .homework.moodle import problem_quiz

        return [(main, problem_quiz(problem))]
    if fmt == "json":
        from .api import render_problem

        return [(main, render_problem(problem, fmt, budget))]
    from .api import render_document

    doc = render_document(problem, fmt, budget, stem=stem)
    return [*doc.files.items(), (main, doc.pdf if doc.pdf is not None else doc.text)]
