"""Formatters for a check `Report`: text, Markdown, JSON. They format; they never judge."""

from __future__ import annotations

import html
import json
import re

from ..errors import printable
from .check import Report
from .diagnosis import CODES, class_summary

FORMATS = ("text", "markdown", "json")
HEADER = ("quantity", "given", "expected", "recomputed", "verdict")


def _num(x: float) -> str:
    return f"{x:.6g}" if x != int(x) else str(int(x))


def _rows(report: Report) -> list[tuple[str, ...]]:
    return [
        (i.key, i.got_text, i.display(i.expected), i.display(i.recomputed), i.status)
        for i in report.items
    ]


def _heading(report: Report) -> str:
    who = f" (student {report.student})" if report.student else ""
    return f"{report.source or 'answers'}{who}"


def _score_line(report: Report) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in report.counts().items() if v)
    return f"{_num(report.points)} / {_num(report.max_points)}" + (f"  ({counts})" if counts else "")


def to_text(report: Report) -> str:
    """Plain text for a terminal: whatever came from a student is shown with escapes."""
    rows = [HEADER, *[tuple(map(printable, r)) for r in _rows(report)]]
    widths = [max(len(r[c]) for r in rows) for c in range(len(HEADER))]
    lines = [
        f"Answers: {printable(_heading(report))}",
        f"Problem: {report.title}",
        f"Tolerance: {report.tolerance}",
        "",
    ]
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not report.items:
        lines.append("(no answers)")
    lines += ["", f"First error: {printable(report.first_error or 'none')}", f"Score: {_score_line(report)}"]
    notes = [(i.key, i.note) for i in report.items if i.note]
    if notes:
        lines.append("Notes:")
        lines += [f"  {printable(key)}: {printable(note)}" for key, note in notes]
    found = _diagnoses(report)
    if found:
        lines.append("Likely mistakes:")
        lines += [f"  {printable(key)} ({code}): {printable(text)}" for key, code, text in found]
    return "\n".join(lines) + "\n"


def _diagnoses(report: Report) -> list[tuple[str, str, str]]:
    """(keys, code, sentence): the elements of one quantity with the same sentence share a line."""
    lines: dict[tuple[str, str], list[str]] = {}
    for i in report.items:
        if getattr(i, "diagnosis", None):
            lines.setdefault((i.diagnosis, i.diagnosis_text), []).append(i.key)
    return [(", ".join(keys), code, text) for (code, text), keys in lines.items()]


# With <, >, & as entities: no markup, links, HTML or math ($ would open TeX math in Pandoc,
# where ^^5c spells a backslash: `$^^5cinput{/etc/passwd}$` must stay text).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$^#])")


def _md(text: str) -> str:
    """A cell or line of Markdown from text that may come from a student."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(printable(text), quote=False))


def to_markdown(report: Report) -> str:
    lines = [
        f"### Answers: {_md(_heading(report))}",
        "",
        f"Problem: {_md(report.title)}. Tolerance: {_md(report.tolerance)}.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|---:|---:|---:|---|",
    ]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in _rows(report)]
    first = _md(report.first_error) if report.first_error else "none"
    lines += ["", f"**First error:** {first}  ", f"**Score:** {_md(_score_line(report))}"]
    notes = [(i.key, i.note) for i in report.items if i.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {_md(key)}: {_md(note)}" for key, note in notes]
    found = _diagnoses(report)
    if found:
        lines += ["", "Likely mistakes:", ""]
        lines += [f"- {_md(key)} (`{code}`): {_md(text)}" for key, code, text in found]
    return "\n".join(lines) + "\n"


def class_summary_markdown(reports: list[Report]) -> str:
    """Which mistakes how many students made, by quantity: the batch's diagnoses."""
    rows = class_summary(reports)
    lines = [f"### Class summary: likely mistakes ({len(reports)} sheets graded)", ""]
    if not rows:
        return "\n".join(lines + ["No mistake was diagnosed."]) + "\n"
    lines += ["| mistake | quantity | students | items |", "|---|---|---:|---:|"]
    lines += [f"| `{code}` | {_md(q)} | {students} | {items} |" for code, q, students, items in rows]
    lines += ["", "Mistakes: " + "; ".join(f"`{c}`: {_md(CODES[c])}" for c in dict.fromkeys(r[0] for r in rows)) + "."]
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=1, allow_nan=False) + "\n"


def format_report(report: Report, fmt: str) -> str:
    return {"text": to_text, "markdown": to_markdown, "json": to_json}[fmt](report)


def format_many(results: list[tuple[str, Report | str]], fmt: str) -> str:
    """Several files: (source, report or the reason it is not gradable)."""
    if fmt == "json":
        docs = [r.to_dict() if isinstance(r, Report) else {"source": src, "status": f"not gradable: {r}"}
                for src, r in results]
        return json.dumps(docs, indent=1, allow_nan=False) + "\n"
    parts = []
    for src, r in results:
        if isinstance(r, Report):
            parts.append(format_report(r, fmt))
        elif fmt == "markdown":
            parts.append(f"### Answers: {_md(src)}\n\nnot gradable: {_md(r)}\n")
        else:
            parts.append(f"Answers: {printable(src)}\nnot gradable: {printable(r)}\n")
    if fmt == "markdown":
        parts.append(class_summary_markdown([r for _, r in results if isinstance(r, Report)]))
    return "\n".join(parts)
