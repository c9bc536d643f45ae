"""Notes on the source's slips: where a number the source printed (the spec's `published:`)
differs from the computed one beyond its rounding, the step computing it says so.

Which numbers differ is the checker's judgement (tracer.grade.published.slips); this
module only words each note and hangs it on its step, one note per step. A note is a
list of segments, ("text", prose) or ("math", LaTeX), so each format's template escapes
the prose its own way and never words anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import numfmt
from .steps import steps_of


@dataclass(frozen=True)
class Slip:
    """A number a source printed that differs from the computed one beyond its rounding."""

    paths: tuple[str, ...]  # the quantity's path, then the paths it copies (yhat -> h(L)), nearest first
    index: tuple[int, ...] | None  # the element (0-based, canonical layout), None: the whole quantity
    printed: str  # the number as the source printed it
    value: float  # the computed (float64) value


_MATRIX = re.compile(r"(?:iter\d+\.(?:ex\d+\.)?(?:grad\.|new\.)?|final\.)W\d+")


def add_notes(view, slips, decimals: int) -> None:
    """Hang a note on the step that computes each slipped quantity (else on the first step of its
    iteration); the slips of one step share one note."""
    steps, order = {}, []
    for step in steps_of(view, derivation=False):
        steps.setdefault(step.path, step)
    grouped: dict[int, tuple] = {}
    for slip in slips:
        step = next((steps[p] for p in slip.paths if p in steps), None)
        if step is None:
            head = slip.paths[0].split(".", 1)[0] + "."
            step = next((s for s in steps_of(view, derivation=False) if s.path.startswith(head)), None)
        if step is None:
            continue
        if id(step) not in grouped:
            grouped[id(step)] = (step, [])
            order.append(id(step))
        grouped[id(step)][1].append(slip)
    for key in order:
        step, group = grouped[key]
        step.notes.append(_note(group, step, view.notation, decimals))


def _shown(value: float, decimals: int) -> str:
    rel = "=" if numfmt.is_exact(value, decimals) else r"\approx"
    return f"{rel} {numfmt.number(value, decimals)}"


def _entry(slip: Slip, nt) -> str:
    index = slip.index
    if len(index) == 2 and nt.transposed and _MATRIX.fullmatch(slip.paths[0]):
        index = index[::-1]  # the handout shows this matrix transposed (in-out) ...
        if nt.augmented and nt.profile.bias_mode == "first":
            index = (index[0] + 1, index[1])  # ... below the bias row (node: x_0 = 1)
    text = ",".join(str(i + 1) for i in index)
    return f"({text})" if len(index) == 2 else text


def _and(items: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for n, item in enumerate(items):
        if n:
            out.append(("text", " and " if n == len(items) - 1 else ", "))
        out += item
    return out


def _note(group: list[Slip], step, nt, decimals: int) -> list[tuple[str, str]]:
    if len(group) == 1 and group[0].index is None:
        slip = group[0]
        return [("text", "The notes print "), ("math", slip.printed), ("text", "; "),
                ("math", f"{step.lhs} {_shown(slip.value, decimals)}"), ("text", ".")]
    one = len(group) == 1
    out = [("text", "The notes print ")] + _and([[("math", s.printed)] for s in group])
    out += [("text", f" for {'entry' if one else 'entries'} ")] + _and([[("text", _entry(s, nt))] for s in group])
    out += [("text", " of "), ("math", step.lhs), ("text", "; it is " if one else "; they are ")]
    out += _and([[("math", _shown(s.value, decimals))] for s in group])
    return out + [("text", ".")]


