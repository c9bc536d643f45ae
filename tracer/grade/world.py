"""The student's world: every quantity's value as the student holds it, for follow-through.

    world = student_world(paths, rules, values, given)
    world.recomputed[path]   # the values q's formula gives from the student's inputs (None: untouched)

S[q] is what the student wrote for q (element by element), else what q's formula gives
from S of its inputs, so with nothing written upstream it is the true value. Two things
make S the same whichever intermediate steps a student wrote down:

- **Every textbook route.** An unwritten quantity with two routes (g'(a) from h or from a;
  delta(L) as a product or simplified) may have been computed either way, and the routes
  differ once the student's inputs are inconsistent. So S[q] is a short list of
  candidates, one per distinct route (and combination of the inputs' candidates), primary
  first; follow-through needs any of them to match.
- **A copy is the same number.** yhat is h(L), grad.b(l) is delta(l) (one example),
  iter{t}.W is iter{t-1}.new.W. An answer to any name of the number is the student's value
  for all of them: an unwritten h(L) takes the student's yhat, so g'(L) is recomputed from
  it (and, as another candidate, from h(L) as computed: a student may write a name rounded
  and compute on from more digits). The back-filled value never feeds the check of the name
  that supplied it: a copy is recomputed from its source as the source stands before back-filling.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .recompute import COPY, GIVEN, Rule

MAX_CANDIDATES = 8  # distinct values kept per quantity: routes x inputs' candidates, capped
MAX_EVALUATIONS = 64  # formula evaluations per quantity


@dataclass
class World:
    """The values recomputed from a student's own answers (follow-through), per path."""

    recomputed: dict[str, list[np.ndarray]] = field(default_factory=dict)


def copy_sources(rules: dict[str, Rule], paths: list[str]) -> dict[str, list[str]]:
    """path -> the paths that copy it (directly or through other copies), nearest first."""
    out: dict[str, list[str]] = {}
    for path in paths:
        rule = rules[path]
        hops = 1
        while rule.kind == COPY:
            source = rule.inputs[0]
            out.setdefault(source, []).append((hops, path))
            rule, hops = rules[source], hops + 1
    return {p: [c for _, c in sorted(copies)] for p, copies in out.items()}


def student_world(paths: list[str], rules: dict[str, Rule], values, given: dict,
                  copies: dict[str, list[str]] | None = None) -> World:
    """`given`: {path: {index: (Number, key)}}. Candidates for every path fed by an answer."""
    copies = copy_sources(rules, paths) if copies is None else copies
    ahead: dict[str, dict] = {}  # answers of a path's copies, for the elements it lacks
    for path, names in copies.items():
        for name in names:
            for idx, answer in given.get(name, {}).items():
                if idx not in given.get(path, {}):
                    ahead.setdefault(path, {}).setdefault(idx, answer)
    before: dict[str, list] = {}  # candidates with the path's own answers, before back-filling
    world: dict[str, list] = {}
    dirty: set[str] = set()
    out = World()
    with np.errstate(all="ignore"):
        for path in paths:
            rule = rules[path]
            cands = [values[path]]
            if rule.kind != GIVEN and any(i in dirty for i in rule.inputs):
                if rule.kind == COPY:
                    cands = before[rule.inputs[0]]
                else:
                    cands = _evaluate(rule, [world[i] for i in rule.inputs], np.shape(values[path]))
                out.recomputed[path] = cands
                dirty.add(path)
            if path in given:
                cands = _overlay(cands, given[path])
                dirty.add(path)
            before[path] = cands
            if path in ahead:  # the value written under a later name first; as computed, in case
                # the student wrote that name rounded but computed on from more digits
                cands = _distinct(_overlay(cands, ahead[path]) + cands)
                dirty.add(path)
            world[path] = cands
    return out


def _evaluate(rule: Rule, inputs: list[list], shape: tuple) -> list[np.ndarray]:
    """Each route applied to each combination of the inputs' candidates: primary first, distinct, capped."""
    found: dict[bytes, np.ndarray] = {}
    combos = itertools.product(rule.formulas, *inputs)
    for f, *args in itertools.islice(combos, MAX_EVALUATIONS):
        value = np.broadcast_to(np.asarray(f(*args), dtype=np.float64), shape)
        found.setdefault(_key(value), value)
        if len(found) == MAX_CANDIDATES:
            break
    return list(found.values())


def _overlay(cands: list, answers: dict) -> list[np.ndarray]:
    """Each candidate with the answered elements replaced by the answers (distinct ones kept)."""
    found: dict[bytes, np.ndarray] = {}
    for c in cands:
        value = np.array(c, dtype=np.float64)
        for idx, (number, _) in answers.items():
            value[idx] = number.value
        found.setdefault(_key(value), value)
    return list(found.values())


def _distinct(cands: list) -> list[np.ndarray]:
    found: dict[bytes, np.ndarray] = {}
    for c in cands:
        found.setdefault(_key(c), c)
    return list(found.values())[:MAX_CANDIDATES]


def _key(value: np.ndarray) -> bytes:
    """Candidates equal to 12 decimals are one (two routes agree up to float noise)."""
    with np.errstate(all="ignore"):
        return np.asarray(value, dtype=np.float64).round(12).tobytes()
