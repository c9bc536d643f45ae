"""A problem sheet's scope and options: what it asks, said in words, and the handout cut to it.

The spec's optional `sheet:` section (validated here, like `randomize:` in randomize.py;
its names, choices and limits are tracer.problem.fields' SHEET_*):

    sheet:
      space: 4            # blank lines of working room under each question (0: a compact list)
      title: "..."        # the sheet's title (default: the spec's title)
      description: "..."  # the sheet's description (default: the spec's description)
      solution: asked     # asked: the solution shows what the sheet asks; full: the whole handout

What a sheet asks is read from the steps of the View: the last asked iteration, and in it
the parts (forward pass, loss, ...) up to the last one holding an asked quantity. The same
scope cuts the solution and words the sheet's statement, so the two cannot disagree.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..errors import SpecError
from ..problem.fields import SHEET_DEFAULT_SOLUTION as DEFAULT_SOLUTION
from ..problem.fields import SHEET_DEFAULT_SPACE as DEFAULT_SPACE
from ..problem.fields import SHEET_KEYS
from ..problem.fields import SHEET_MAX_SPACE as MAX_SPACE
from ..problem.fields import SHEET_SOLUTIONS as SOLUTIONS
from ..problem.validate import describe


@dataclass(frozen=True)
class SheetOptions:
    space: int = DEFAULT_SPACE
    title: str | None = None
    description: str | None = None
    solution: str = DEFAULT_SOLUTION


def sheet_options(problem, space: int | None = None, solution: str | None = None) -> SheetOptions:
    """The spec's `sheet:` section, validated (SpecError names the field); CLI values override it."""
    raw = getattr(problem, "sheet", None)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SpecError("sheet", f"expected a mapping with {', '.join(SHEET_KEYS)}, got {describe(raw)}")
    for key in raw:
        if key not in SHEET_KEYS:
            raise SpecError(f"sheet.{key}", f"unknown field; known fields: {', '.join(SHEET_KEYS)}")
    got = raw.get("space", DEFAULT_SPACE)
    if isinstance(got, bool) or not isinstance(got, int) or not 0 <= got <= MAX_SPACE:
        raise SpecError("sheet.space", f"expected a whole number of lines from 0 to {MAX_SPACE}, got {describe(got)}")
    texts = {}
    for key in ("title", "description"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise SpecError(f"sheet.{key}", f"expected text, got {describe(value)}")
        texts[key] = value
    how = raw.get("solution", DEFAULT_SOLUTION)
    if how not in SOLUTIONS:
        raise SpecError("sheet.solution", f"expected asked or full, got {describe(how)}")
    return SheetOptions(space=got if space is None else space, solution=how if solution is None else solution, **texts)


# -- the scope: which iterations and parts a sheet asks ------------------------------------

_ITER = re.compile(r"iter(\d+)\.(?:ex\d+\.)?(.+)")


@dataclass(frozen=True)
class Scope:
    last: int  # the last iteration asked (1-based)
    parts: tuple[str, ...]  # the titles of the last iteration's parts that are asked or lead to one
    aggregate: bool  # the last iteration's batch mean (gd, minibatch) is asked
    update: bool  # the last iteration's update is asked
    total: int  # the problem's iterations
    passes: bool = False  # a graph's: `parts` are the titles of its passes (View.passes), no iterations


def step_paths(asked: list[str], view) -> set[str]:
    """The paths of the steps that compute the asked quantities (yhat is h(L); iter t+1's W is iter t's new W)."""
    depth, total = view.notation.depth, len(view.iterations)
    out = set()
    for path in asked:
        if path.startswith("final."):
            path = f"iter{total}.new.{path[len('final.'):]}"
        m = _ITER.fullmatch(path)
        if m and re.fullmatch(r"[Wb]\d+", m.group(2)) and int(m.group(1)) > 1:
            path = f"iter{int(m.group(1)) - 1}.new.{m.group(2)}"
        if path.endswith(".yhat"):
            path = path[: -len("yhat")] + f"h{depth}"
        out.add(path)
        m = _ITER.fullmatch(path)
        if m:  # a batch mean needs every example's own value: iter1.loss -> iter1.ex{n}.loss
            out.add(f"iter{m.group(1)}.ex*.{m.group(2)}")
    return out


def _hit(step_path: str, needed: set[str]) -> bool:
    if step_path in needed:
        return True
    m = re.fullmatch(r"iter(\d+)\.ex\d+\.(.+)", step_path)
    return bool(m) and f"iter{m.group(1)}.ex*.{m.group(2)}" in needed


def scope_of(view, asked: list[str]) -> Scope:
    """The iterations and parts of `view` the asked paths (canonical, in computation order) need."""
    if view.passes and not view.iterations:  # a graph: its passes up to the last holding an asked value
        wanted = set(asked)
        titles = [sec.title for sec in view.passes]
        upto = 1 + max((k for k, sec in enumerate(view.passes)
                        if any(s.path in wanted for part in sec.parts for s in part.steps)), default=-1)
        return Scope(0, tuple(titles[:upto]), False, False, 0, passes=True)
    needed = step_paths(asked, view)
    last = 0
    for it in view.iterations:
        if any(_hit(s.path, needed) for s in _all_steps(it)):
            last = it.t
    if last == 0:  # only given values asked (iter1.W1): the problem itself
        return Scope(0, (), False, False, len(view.iterations))
    it = view.iterations[last - 1]
    update = any(_hit(s.path, needed) for s in it.update.steps)
    aggregate = update or bool(it.aggregate and any(_hit(s.path, needed) for s in it.aggregate.steps))
    titles = [p.title for p in it.examples[0].parts]
    upto = len(titles) if aggregate else 1 + max(
        (k for sec in it.examples for k, part in enumerate(sec.parts) if any(_hit(s.path, needed) for s in part.steps)),
        default=-1)
    return Scope(last, tuple(titles[:upto]), aggregate and it.aggregate is not None, update, len(view.iterations))


def _all_steps(it):
    for sec in it.examples:
        yield from sec.steps
        for part in sec.parts:
            yield from part.steps
    if it.aggregate:
        yield from it.aggregate.steps
    yield from it.update.steps


def cut_view(view, scope: Scope):
    """The View with only what `scope` asks: iterations up to the last asked, that one cut to its parts;
    the summary keeps the rows of the iterations shown whole (and `final` if the last update is asked).
    A graph keeps the passes asked, and its table of every value and gradient if the backward pass is."""
    if scope.passes:
        passes = [sec for sec in view.passes if sec.title in scope.parts]
        whole = len(passes) == len(view.passes)
        return dataclasses.replace(view, passes=passes, summary_rows=view.summary_rows if whole else [])
    its = list(view.iterations[: max(scope.last - 1, 0)])
    if scope.last:
        it = view.iterations[scope.last - 1]
        examples = [dataclasses.replace(sec, parts=[p for p in sec.parts if p.title in scope.parts],
                                        steps=[s for p in sec.parts if p.title in scope.parts for s in p.steps])
                    for sec in it.examples]
        its.append(dataclasses.replace(
            it, examples=examples, aggregate=it.aggregate if scope.aggregate else None,
            update=it.update if scope.update else dataclasses.replace(it.update, steps=[])))
    whole = scope.last if scope.update else scope.last - 1
    rows = view.summary_rows[: max(whole, 0)]
    if scope.update and scope.last == scope.total:
        rows = view.summary_rows[: scope.total + 1]
    return dataclasses.replace(view, iterations=its, summary_rows=rows)


def statement(scope: Scope) -> str:
    """The sheet's first sentence: what to work out, and whether the update is asked."""
    if scope.passes:  # a graph: its passes, in order
        if not scope.parts:
            return "Answer from the problem as given."
        parts = ["the " + p[0].lower() + p[1:] for p in scope.parts]
        return "Work out " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]) + "."
    if scope.last == 0:
        return "Answer from the problem as given."
    parts = ["the " + p[0].lower() + p[1:] for p in scope.parts]
    if scope.aggregate:
        parts.append("the gradient of the iteration")
    if scope.update:
        parts.append("the update")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if scope.last == 1:
        text = f"Work out iteration 1 of the training: {listed}."
    else:
        before = ("iteration 1 of the training in full, with its update" if scope.last == 2 else
                  f"iterations 1 to {scope.last - 1} of the training in full, each with its update")
        text = f"Work out {before}, then of iteration {scope.last}: {listed}."
    if not scope.update:
        text += f" The update of iteration {scope.last} is not asked."
    return text


def sheet_setup(view, problem, scope: Scope) -> list:
    """The View's setup lines with Training saying the iterations asked, and the learning rate only
    when an update is asked."""
    from ..present.view_network import mode_text

    rate = scope.update or scope.last > 1
    return [(label, mode_text(problem, max(scope.last, 1), learning_rate=rate) if label == "Training" else text)
            for label, text in view.setup]


def solution_view(view, problem, scope: Scope, options: SheetOptions):
    """The solution handout: cut to what the sheet asks (its setup saying so), or whole with `solution: full`."""
    if options.solution == "full":
        return view
    return dataclasses.replace(cut_view(view, scope), setup=sheet_setup(view, problem, scope))
