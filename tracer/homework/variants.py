"""Homework variants: a problem of its own for every student, drawn from the spec's `randomize:`.

    gen = Generator(load_problem("hw.yaml"), seed=7)
    gen.variant("s123")                                  # a Variant: problem, float trace, attempt
    write_variants(gen, ["s1", "s2"], "markdown", "out/", student_ids=True)

A variant's draw depends only on (seed, id): attempt k of id uses
`default_rng(SeedSequence([seed, *sha256(id)[:16] as 4 words, k]))`, and the first
attempt that meets the constraints is the variant. In a batch, an attempt that
repeats an earlier variant's numbers is also rejected; that (rare) redraw depends
on the ids before it, so `Lookup` replays the batch order (the roster, or v001,
v002, ...) to find the same variant again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import run
from ..engine.trace import Trace
from ..errors import SpecError, TracerError
from ..files import OutputFolder
from ..grade.answers import VARIANT_KEY, AnswerError, AnswerSheet, read_answers
from ..grade.check import Checker
from ..grade.grading import asked_elements, notation_aliases
from ..pool import ordered_map, portable
from ..problem.network import Problem
from ..problem.spec import load_problem, problem_from_dict
from .asking import default_ask, key_entries, precision_words, step_symbols
from .randomize import Plan, describe, draw, plan_for, unmet_before_run, unmet_in_trace
from .randomize_graph import UNDEFINED
from .sheet import Scope, SheetOptions, scope_of, sheet_options, sheet_setup, solution_view, statement

ID_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NUMBERED = re.compile(r"v(\d{3,})")
SHEET_FORMATS = {"latex": ".tex", "markdown": ".md", "pdf": ".pdf", "html": ".html"}
TEMPLATE_SET = {"pdf": "latex"}  # a format drawn from another's templates (a PDF is its LaTeX compiled)
COMBINED = ("latex", "pdf")  # also problems, solutions and keys: every variant in one file, a page each
MOODLE_FORMATS = ("moodle", "moodle-elements")  # a Cloze question per variant; a question per element


def check_id(vid: str, where: str = "variant id") -> str:
    if not isinstance(vid, str) or not ID_RULE.fullmatch(vid):
        raise TracerError(f"{where}: {vid!r} is not usable as a variant id (letters, digits, '.', '_', '-'; "
                          "up to 64, starting with a letter or digit)")
    return vid


def numbered_ids(count: int) -> list[str]:
    """v001, v002, ... (v1000 and on past 999)."""
    return [f"v{k:03d}" for k in range(1, count + 1)]


def _rng(seed: int, vid: str, attempt: int) -> np.random.Generator:
    digest = hashlib.sha256(vid.encode("utf-8")).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([seed, *words, attempt]))


def _fingerprint(problem: Problem) -> tuple:
    if problem.kind == "graph":
        return tuple(round(float(v), 12) for _, v in problem.inputs)
    parts = [problem.params[n].ravel() for n in problem.param_names()]
    parts += [np.concatenate([e.x, e.y]) for e in problem.data]
    return tuple(np.round(np.concatenate(parts), 12).tolist())


@dataclass(frozen=True)
class Variant:
    id: str
    problem: Problem
    trace: Trace  # float64: the constraints were checked on it, and keys and checks use it
    attempt: int  # the draw that was used (0 = the first)
    redrawn: bool = False  # a draw was rejected for repeating an earlier variant of the batch


class Generator:
    """Draws the variants of one spec with one seed."""

    def __init__(self, base: Problem, seed: int):
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise TracerError(f"--seed: expected a whole number >= 0, got {seed!r}")
        self.base, self.seed = base, seed
        self.plan: Plan = plan_for(base)
        values = run(base, arithmetic="float").values
        self.ask = list(base.ask) or default_ask(base, values)
        asked_elements(self.ask, values, notation_aliases(base))  # a bad ask: fails once, naming ask[i]
        self.options = sheet_options(base)  # a bad sheet: section fails here too, before any file

    def variant(self, vid: str, taken=frozenset()) -> Variant:
        """The first draw for `vid` that meets every constraint and is not in `taken` (fingerprints)."""
        return self.settle(*self.candidate(vid), taken)

    def candidate(self, vid: str) -> tuple[Variant, Counter]:
        """The first draw for `vid` that meets every constraint, whatever the other variants
        (and the failures before it). It is the variant unless an earlier one took its numbers:
        the draws before it fail a constraint, so `taken` would not have changed them. This is
        what a pool's workers draw (`write_variants` with jobs); `settle` then needs the order."""
        return self._search(vid, 0, Counter(), None)

    def settle(self, candidate: Variant, failures: Counter, taken=frozenset()) -> Variant:
        """`variant(vid, taken)` from `vid`'s candidate: it, or (when it repeats an earlier
        variant) the draws after it, as the sequential search would go on."""
        if _fingerprint(candidate.problem) not in taken:
            return candidate
        failures = Counter(failures)
        failures["duplicate"] += 1
        return self._search(candidate.id, candidate.attempt + 1, failures, taken)[0]

    def _search(self, vid: str, start: int, failures: Counter, taken) -> tuple[Variant, Counter]:
        for attempt in range(start, self.plan.attempts):
            spec = draw(self.plan, self.base, _rng(self.seed, vid, attempt))
            spec["title"] = f"{self.base.title} (variant {vid})"
            spec["ask"] = list(self.ask)
            spec.pop("published", None)  # a source's printed numbers belong to the spec's own numbers
            try:
                problem = problem_from_dict(spec)
                reason = unmet_before_run(self.plan, problem)
                trace = None
                if reason is None:
                    trace = run(problem, arithmetic="float")
                    reason = unmet_in_trace(self.plan, problem, trace.values)
            except SpecError as err:
                if not err.where.startswith("graph.nodes."):  # a drawn graph's node undefined: redrawn
                    raise
                failures[f"{UNDEFINED}:{err}"] += 1
                continue
            if reason is None and taken and _fingerprint(problem) in taken:  # last: so `redrawn` means it mattered
                reason = "duplicate"
            if reason is None:
                return Variant(vid, problem, trace, attempt, redrawn=failures["duplicate"] > 0), failures
            failures[reason] += 1
        raise TracerError(self._give_up(vid, failures))

    def _give_up(self, vid: str, failures: Counter) -> str:
        n = self.plan.attempts
        reason, count = failures.most_common(1)[0]
        text = (f"variant {vid}: no draw met the constraints in {n} attempts (randomize.attempts); "
                f"unmet most often: {describe(self.plan, self.base, reason)}, in {count} of {n} draws")
        space = self.plan.space(self.base)
        if space < 10 ** 6:
            text += f"; the grids allow only {space} distinct draws"
        return text + "; widen the grids or relax the constraints"

    def generate(self, ids: list[str], progress=None):
        """Variants for `ids`, yielded in order; none repeats an earlier one's numbers."""
        check_ids(ids)
        taken: set = set()
        for n, vid in enumerate(ids, start=1):
            v = self.variant(vid, taken)
            taken.add(_fingerprint(v.problem))
            yield v
            if progress is not None:
                progress.update(n)


def check_ids(ids: list[str]) -> None:
    seen = set()
    for vid in ids:
        check_id(vid)
        if vid in seen:
            raise TracerError(f"variant id {vid!r} appears twice")
        seen.add(vid)


def problem_for(source, seed: int, variant_id: str, before: list[str] = ()) -> Problem:
    """The problem of `variant_id` (a spec path, mapping or Problem with `randomize:`);
    `before`: the ids drawn before it in its batch, in order (needed only after a duplicate redraw)."""
    base = source if isinstance(source, Problem) else load_problem(source)
    return Lookup(Generator(base, seed), list(before) + [variant_id]).variant(variant_id).problem


# -- finding a submission's variant again -----------------------------------------------


MAX_NUMBERED = 1000  # numbered variants `check --seed` replays when not told --count


class Lookup:
    """Variants by id, drawn as the batch drew them: in `order` (a roster), else v001, v002, ... for
    numbered ids (at most `count` of them: a variant is found by replaying the batch up to it, so
    an id past the batch would cost a draw per id below it), else on their own."""

    def __init__(self, generator: Generator, order: list[str] | None = None, count: int | None = None):
        self.gen = generator
        self.order = order
        self.count = count
        self.position = {vid: n for n, vid in enumerate(order)} if order else {}
        self._batch: list[Variant] = []
        self._taken: set = set()
        self._alone: dict[str, Variant] = {}

    def variant(self, vid: str) -> Variant:
        if self.order is not None:
            if vid not in self.position:
                raise AnswerError(f"{vid!r} is not on the roster")
            return self._replay(self.order, self.position[vid])
        m = NUMBERED.fullmatch(vid)
        if m and int(m.group(1)) >= 1 and vid == f"v{int(m.group(1)):03d}":
            k = int(m.group(1))
            limit = self.count or MAX_NUMBERED
            if k > limit:
                told = f"--count {self.count}" if self.count else f"the first {MAX_NUMBERED:,} without --count"
                raise AnswerError(f"past the numbered variants drawn ({told}); "
                                  "check with the --count given to bptrace variants")
            return self._replay(numbered_ids(k), k - 1)
        if vid not in self._alone:
            self._alone[vid] = self.gen.variant(check_id(vid))
        return self._alone[vid]

    def prefetch(self, n: int, jobs: int) -> None:
        """Draw the batch's first `n` variants (all of a roster) ahead, the draws in a pool of `jobs`
        (Generator.candidate) and settled here in order, so that forked checkers inherit them
        instead of each replaying the batch. Only speed changes: `variant` finds the same ones,
        and a draw that fails is left for `variant` to meet (and report) again."""
        ids = self.order if self.order is not None else numbered_ids(min(n, self.count or MAX_NUMBERED))
        todo = ids[len(self._batch):]
        for found in ordered_map(_candidate, todo, state=self.gen, jobs=jobs):
            if isinstance(found, Exception):
                return
            try:
                v = self.gen.settle(*found, self._taken)
            except Exception:  # noqa: BLE001 - as above: met again in its turn
                return
            self._taken.add(_fingerprint(v.problem))
            self._batch.append(v)

    def _replay(self, ids: list[str], index: int) -> Variant:
        while len(self._batch) <= index:
            v = self.gen.variant(ids[len(self._batch)], self._taken)
            self._taken.add(_fingerprint(v.problem))
            self._batch.append(v)
        return self._batch[index]


def _sheet_id(path) -> str | None:
    try:
        return submission_id(read_answers(path))[0]
    except Exception:  # noqa: BLE001 - only a guess: the file's own error is reported when it is graded
        return None


def _candidate(gen: Generator, vid: str):
    try:
        return gen.candidate(vid)
    except Exception as err:  # noqa: BLE001 - prefetch stops; the lookup meets the error again in its turn
        return portable(err)


def submission_id(sheet: AnswerSheet) -> tuple[str | None, AnswerSheet]:
    """(variant id, sheet): the sheet's `variant:` if given, else its student id."""
    return sheet.variant or sheet.student, sheet


class VariantChecker:
    """Grades each answer sheet against its own variant (a drop-in for Checker in `check`)."""

    def __init__(self, base: Problem, seed: int, roster: list[str] | None = None, tolerance=None,
                 count: int | None = None, diagnosis: bool = True):
        self.lookup = Lookup(Generator(base, seed), roster, count)
        self.problem = base
        self.tolerance = tolerance
        self.diagnosis = diagnosis
        self._checkers: dict[str, Checker] = {}

    def prepare(self, files: list, jobs: int) -> None:
        """Before `files` are graded in a pool (gradebook.grade_all): their variants drawn ahead,
        a roster's, or as many numbered ones as files when --count is given or the first sheet
        that reads names a numbered variant (students' own ids, drawn alone, need no replay)."""
        lookup = self.lookup
        if lookup.order is None and lookup.count is None and not any(
                NUMBERED.fullmatch(vid or "") for vid in map(_sheet_id, files[:3])):
            return
        lookup.prefetch(len(files), jobs)

    def checker_for(self, vid: str) -> Checker:
        if vid not in self._checkers:
            v = self.lookup.variant(vid)
            self._checkers[vid] = Checker(v.problem, self.tolerance, trace=v.trace, diagnosis=self.diagnosis)
        return self._checkers[vid]

    def check_sheet(self, sheet: AnswerSheet, source: str = ""):
        vid, sheet = submission_id(sheet)
        if vid is None:
            raise AnswerError("no student or variant id: with --seed, the variant is found from it")
        try:
            checker = self.checker_for(vid)
        except TracerError as err:
            raise AnswerError(f"{vid}: {err}") from None
        return checker.check_sheet(dataclasses.replace(sheet, variant=None), source)  # found: graded as its own problem

    def check_file(self, path):
        try:
            sheet = read_answers(path)
        except AnswerError as err:
            raise AnswerError(f"{path}: {err}") from None
        return self.check_sheet(sheet, source=str(path))


# -- what a variant hands out --------------------------------------------------------------


def answer_key(variant: Variant, student: bool = False) -> str:
    """The answer file `check` reads: the id(s), then every asked quantity at full precision."""
    doc = {"student": variant.id} if student else {}
    doc[VARIANT_KEY] = variant.id
    doc.update(key_entries(variant.problem, variant.trace.values))
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


class _Sheet:
    """A View plus what a problem sheet (or its printed answer key) adds; everything else is the View's."""

    def __init__(self, view, asked: list[dict], ask_note: str, *, title: str, description: str,
                 setup: list, space: int, key: bool):
        self._view, self.asked, self.ask_note = view, asked, ask_note
        self.title, self.description, self.setup, self.space, self.is_key = title, description, setup, space, key
        # a sheet shows the network as given; an iteration's figure would print its answers
        self.figures = [f for f in getattr(view, "figures", []) if f.given]

    def __getattr__(self, name):
        return getattr(self._view, name)


def sheet_view(view, variant: Variant, student: bool, options: SheetOptions | None = None,
               scope: Scope | None = None, key: bool = False):
    """The problem sheet of `variant` (with `key`, its answer key: the same layout, the values filled in)."""
    from ..present import numfmt

    options = options or SheetOptions()
    problem = variant.problem
    entries = key_entries(problem, variant.trace.values)
    scope = scope or scope_of(view, list(asked_elements(problem.ask, variant.trace.values, notation_aliases(problem))))
    symbols = step_symbols(view)
    d = numfmt.digits(problem)

    def answer(v) -> str:  # `= 0.7` when the digits shown are the value, else `\approx 0.6682`
        arr = np.asarray(v, dtype=float)
        return ("= " if numfmt.all_exact(arr, d) else "\\approx ") + numfmt.array(arr, d)

    asked = [{"tex": symbols.get(k.split("[")[0], ""), "key": k, "answer": answer(v) if key else ""}
             for k, v in entries.items()]
    who = f"student: {variant.id}" if student else f"variant: {variant.id}"
    note = (f"{statement(scope)} Work to {precision_words(problem)}. In your answer file write {who} "
            "and one entry per quantity below, named as shown (a vector as a list, a matrix as a list of rows).")
    if key:
        note = f"{statement(scope)} The values below are rounded to {precision_words(problem)}."
    setup = sheet_setup(view, problem, scope)
    base_title = options.title if options.title is not None else view.title.removesuffix(f" (variant {variant.id})")
    title = f"{base_title} (variant {variant.id})" + (": answer key" if key else "")
    description = options.description if options.description is not None else view.description
    return _Sheet(view, asked, note, title=title, description=description, setup=setup,
                  space=0 if key else options.space, key=key)


@dataclass
class Written:
    variants: list[Variant]
    files: list[str]

    @property
    def redrawn(self) -> list[str]:
        return [v.id for v in self.variants if v.redrawn]


class _Pages:
    def __init__(self, pages: list[str]):
        self.pages = pages


def output_names(ids: list[str], fmt: str, figures=()) -> list[str]:
    """Every file write_variants writes for `ids` in `fmt`, so clashes are found before any work."""
    if fmt in MOODLE_FORMATS:
        return [f"{vid}.key.json" for vid in ids] + ["quiz.xml", "variants.json"]
    if fmt == "canvas":  # one file: the QTI package (tracer.homework.canvas)
        return ["canvas_qti.zip"]
    ext = SHEET_FORMATS[fmt]
    names = [f"{vid}{part}" for vid in ids for part in (f".problem{ext}", f".solution{ext}", f".key{ext}", ".key.json")]
    if fmt in COMBINED:
        names += [f"problems{ext}", f"solutions{ext}", f"keys{ext}"]
    if fmt == "markdown":  # each variant's figures, beside its sheets (present.figures.place_files)
        names += [f"{vid}.{choice.key}.svg" for vid in ids for choice in figures]
    return names + ["variants.json"]


def _require_tools(fmt: str) -> None:
    """Refuse a format whose tool is missing before any folder, draw or file (one `error:` line)."""
    if fmt == "pdf":
        from ..present.pdf import require_tex

        require_tex()
    elif fmt == "html":
        from ..present.mathml import require

        require()


def write_variants(gen: Generator, ids: list[str], fmt: str, out_dir: str | Path, *,
                   student_ids: bool = False, progress=None, space: int | None = None,
                   solution: str | None = None, force: bool = False, inputs=(), jobs: int = 1) -> Written:
    """Per variant: a problem sheet, a solution, a printable answer key and the JSON key `check` reads
    (LaTeX, Markdown, PDF or a self-contained HTML page each; for latex and pdf also problems, solutions
    and keys with a page per variant), or for 'moodle' the JSON keys and one quiz.xml (a Cloze question
    per variant, tracer.homework.moodle_cloze; 'moodle-elements': a question per element); and a manifest
    variants.json. A PDF is its LaTeX compiled (tracer.present.pdf), one compile per file.
    `space` (lines of working room per question) and `solution` (asked or full) override the
    spec's `sheet:`. Nothing is written through a symbolic link or onto an input, and existing files
    are replaced only with `force` (checked before any variant is drawn, as is TeX for pdf and
    latex2mathml for html); each file is written whole or not at all. Returns the variants and the
    files written, in order.

    `jobs` > 1 draws and renders the variants in a pool of processes (tracer.pool) and changes
    nothing else: the files are written here, in the same order, and a draw that repeats an
    earlier variant is settled here in id order (`Generator.settle`), as one process would."""
    if fmt not in (*SHEET_FORMATS, *MOODLE_FORMATS, "canvas"):
        raise TracerError(f"unknown variants format {fmt!r}; expected {', '.join((*SHEET_FORMATS, *MOODLE_FORMATS, 'canvas'))}")
    check_ids(ids)
    _require_tools(fmt)
    options = gen.options
    if space is not None or solution is not None:
        options = sheet_options(gen.base, space, solution)
    folder = OutputFolder(out_dir, force=force, inputs=inputs)
    folder.check(output_names(ids, fmt, getattr(gen.base, "figures", ())))  # a graph has no figures yet
    folder.create()
    files: list[str] = []

    def put(name: str, data) -> None:
        if isinstance(data, bytes):  # a PDF
            folder.write_bytes(name, data)
        else:
            folder.write(name, data)
        files.append(name)

    render = _Render(fmt, options, student_ids, gen.base.title, gen.seed)
    if fmt not in MOODLE_FORMATS:
        render.environment()  # before any draw, as a broken template folder should fail
    variants, groups = [], []
    pages: tuple[list, list, list] = ([], [], [])
    taken: set = set()
    for n, (found, rendered) in enumerate(_drawn(gen, ids, render, jobs), start=1):
        if isinstance(found, Exception):  # no acceptable draw: the variants before it are written
            raise found
        v = gen.settle(*found, taken)
        if v is not found[0]:  # a duplicate of an earlier variant, redrawn: rendered again here
            rendered = render(v)
        taken.add(_fingerprint(v.problem))
        variants.append(v)
        for name, data in rendered.files:
            put(name, data)
        if rendered.error is not None:  # what came before the error is written, as in one process
            raise rendered.error
        if rendered.group is not None:
            groups.append(rendered.group)
        for book, page in zip(pages, rendered.pages):
            book.append(page)
        if progress is not None:
            progress.update(n)
    if fmt == "canvas":  # one package: a quiz per variant, each made with its files
        from .canvas import PACKAGE, Package

        package = Package(gen.base.title, gen.seed)
        for quiz in groups:
            package.add_quiz(*quiz)
        folder.write_bytes(PACKAGE, package.zip())
        return Written(variants, [PACKAGE])
    if fmt == "moodle":
        from .moodle_cloze import cloze_quiz_xml

        put("quiz.xml", cloze_quiz_xml(gen.base.title, groups))
    elif fmt == "moodle-elements":
        from .moodle import quiz_xml

        put("quiz.xml", quiz_xml(gen.base.title, groups))
    elif fmt in COMBINED:
        ext = SHEET_FORMATS[fmt]
        for name, book in zip(("problems", "solutions", "keys"), pages):
            put(f"{name}{ext}", render.sheet("variants.tex.j2", _Pages(book)))
    manifest = {
        "title": gen.base.title, "seed": gen.seed, "format": fmt, "ids": "roster" if student_ids else "numbered",
        "solution": options.solution, "space": options.space,
        "variants": [{"id": v.id, "attempt": v.attempt, "redrawn_for_duplicate": v.redrawn} for v in variants],
    }
    put("variants.json", json.dumps(manifest, indent=1) + "\n")
    return Written(variants, files)


def _drawn(gen: Generator, ids: list[str], render: "_Render", jobs: int):
    """(candidate and its failures, or the error that stopped the draws; its rendered files) per id,
    in order, ending at the first error. In a pool the candidate is drawn and rendered in a worker
    (the draw is a tenth of the work, the rendering the rest); `write_variants` settles it."""
    for found, rendered in ordered_map(_draw_and_render, ids, state=(gen, render), jobs=jobs):
        yield found, rendered
        if isinstance(found, Exception):
            return


def _draw_and_render(state, vid: str):
    gen, render = state
    try:
        found = gen.candidate(vid)
    except TracerError as err:
        return portable(err), None
    return found, render(found[0])


@dataclass
class _Rendered:
    """One variant's files (name, text or PDF bytes) in the order they are written, what it adds to
    the combined files, and the error that stopped its rendering, if one did."""
    files: list = dataclasses.field(default_factory=list)
    pages: tuple = ()  # (problem, solution, key) pages, for latex and pdf
    group: tuple | None = None  # its Moodle questions
    error: Exception | None = None


class _Render:
    """Renders one variant's files; each process builds its own Jinja environment, on first use."""

    def __init__(self, fmt: str, options: SheetOptions, student_ids: bool, title: str = "", seed: int = 0):
        self.fmt, self.options, self.student_ids = fmt, options, student_ids
        self.title, self.seed = title, seed  # a Canvas quiz's identifiers come from them
        self.source = TEMPLATE_SET.get(fmt, fmt)
        self._env = None

    def __getstate__(self):  # sent to a spawned worker without the environment
        return {**self.__dict__, "_env": None}

    def environment(self):
        if self._env is None:
            from ..present.render import make_environment

            self._env = make_environment(self.source)
        return self._env

    def template(self, name: str):
        return _template(self.environment(), name)

    def sheet(self, name: str, view):
        """A template filled; for pdf compiled to a PDF's bytes."""
        text = self.template(name).render(view=view)
        if self.fmt == "pdf":
            from ..present.pdf import compile_pdf

            return compile_pdf(text)
        return text

    def __call__(self, v: Variant) -> _Rendered:
        out = _Rendered()
        try:
            self._fill(v, out)
        except Exception as err:  # noqa: BLE001 - raised by write_variants once the files before it are written
            out.error = portable(err)
        return out

    def _fill(self, v: Variant, out: _Rendered) -> None:
        from ..present.view import build_view

        put = lambda name, data: out.files.append((name, data))  # noqa: E731
        if self.fmt == "moodle":  # its Cloze question; the handout in the spec's arithmetic, the key in float
            from .moodle_cloze import cloze_question

            put(f"{v.id}.key.json", answer_key(v, self.student_ids))
            handout = v.trace if v.problem.arithmetic == "float" else run(v.problem)
            out.group = cloze_question(v.problem, v.trace, build_view(handout), self.options, variant=v.id)
            return
        if self.fmt == "moodle-elements":
            from .moodle import variant_questions

            put(f"{v.id}.key.json", answer_key(v, self.student_ids))
            out.group = (v.id, variant_questions(v.problem, v.trace, build_view(v.trace), label=v.id))
            return
        if self.fmt == "canvas":  # its quiz: (identifier, assessment XML, meta XML, image files)
            from .canvas import variant_quiz

            view = build_view(v.trace if v.problem.arithmetic == "float" else run(v.problem))
            scope = scope_of(view, list(asked_elements(v.problem.ask, v.trace.values, notation_aliases(v.problem))))
            out.group = variant_quiz(self.title, self.seed, v, view, sheet_view(view, v, self.student_ids, self.options, scope),
                                     solution_view(view, v.problem, scope, self.options), self.environment())
            return
        from ..present.figures import place_files

        src, ext, options = SHEET_FORMATS[self.source], SHEET_FORMATS[self.fmt], self.options
        trace = v.trace if v.problem.arithmetic == "float" else run(v.problem)
        view = build_view(trace)
        if self.fmt == "markdown":
            for name, svg in place_files(view, v.id).items():
                put(name, svg)
        asked = list(asked_elements(v.problem.ask, v.trace.values, notation_aliases(v.problem)))
        scope = scope_of(view, asked)
        sheet = sheet_view(view, v, self.student_ids, options, scope)
        key = sheet_view(view, v, self.student_ids, options, scope, key=True)
        solved = solution_view(view, v.problem, scope, options)
        put(f"{v.id}.problem{ext}", self.sheet(f"problem{src}.j2", sheet))
        put(f"{v.id}.solution{ext}", self.sheet(f"solution{src}.j2", solved))
        put(f"{v.id}.key{ext}", self.sheet(f"problem{src}.j2", key))
        put(f"{v.id}.key.json", answer_key(v, self.student_ids))
        if self.fmt in COMBINED:
            out.pages = tuple(self.template(f"{name}-page.tex.j2").render(view=view)
                              for name, view in (("problem", sheet), ("solution", solved), ("problem", key)))


def _template(env, name: str):
    import jinja2

    from ..errors import TemplateNotFound

    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as err:
        places = ", ".join(env.globals["search_path"])
        raise TemplateNotFound(f"template {err.name!r} not found (searched: {places})") from None

