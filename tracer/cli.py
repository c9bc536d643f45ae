"""`bptrace`: a thin command line over the library.

Each subcommand parses its arguments, calls one library function and prints.
Heavy modules (numpy, sympy, jinja2) are imported inside the handlers, so
`bptrace --help` answers without loading them.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterable

FORMATS = ("latex", "markdown", "pdf", "html", "json", "answers", "moodle", "moodle-elements")  # answers: a blank answer file for `check`
VARIANT_FORMATS = ("latex", "markdown", "pdf", "html", "moodle", "moodle-elements", "canvas")
CHECK_FORMATS = ("text", "markdown", "json")


def _whole(low: int, high: int | None = None):
    """An argparse type: a whole number in [low, high] (no upper bound if high is None)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if high is None and value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {value}")
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, got {value}")
        return value

    return convert


_positive_int = _whole(1)
_decimals = _whole(0, 12)
_sig_figs = _whole(1, 15)
_seed = _whole(0)
_space = _whole(0, 60)


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = _nonneg_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a number > 0")
    return value


_NO_CACHE = ("derive and print every formula with sympy and compile every template, reading and writing no "
             "cache (see `bptrace cache`)")
JOBS_HELP = ("worker processes for a batch (default: the CPUs this process may use; 1: no pool, one process); "
             "the output is the same whatever N")


def _build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of `bptrace`. With `argv` naming a command, the other commands' parsers are left
    out: building all of them (their help texts' translations looked up one by one) takes longer
    than parsing, and the one command parses and prints its help and errors exactly as it would
    among all. `--help`, no command or an unknown one: every command, so the listing is whole."""
    parser = argparse.ArgumentParser(
        prog="bptrace",
        description="Backpropagation worked examples: every intermediate number, computed and checked.",
        epilog="Example: bptrace render --example lecture-2-2-1 --to markdown",
    )
    parser.add_argument("--no-cache", action="store_true", help=_NO_CACHE)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    command = None
    for arg in sys.argv[1:] if argv is None else argv:
        if arg != "--no-cache":  # the one option before a command that is not the top level's help
            command = arg
            break
    for name, add in _COMMANDS.items():
        if command not in _COMMANDS or name == command:
            add(sub)
    return parser


def _add_no_cache_option(command) -> None:
    """--no-cache after the command too; SUPPRESS keeps one given before it."""
    command.add_argument("--no-cache", action="store_true", default=argparse.SUPPRESS, help=_NO_CACHE)


def _add_render(sub) -> None:
    render = sub.add_parser(
        "render", help="trace a problem spec and write the worked example",
        description="Trace a problem spec (YAML or JSON) and write the worked example.",
    )
    src = render.add_mutually_exclusive_group(required=True)
    src.add_argument("spec", nargs="?", metavar="SPEC", help="problem spec file (.yaml, .yml or .json)")
    src.add_argument("--example", metavar="NAME", help="a built-in example (see `bptrace examples`)")
    render.add_argument("more", nargs="*", metavar="SPEC",
                        help="more specs: each is written into -o DIR as <spec name>.<format's suffix>")
    render.add_argument("--to", dest="fmt", choices=FORMATS, default="markdown",
                        help="output format (default: markdown); pdf: the LaTeX compiled with latexmk (needs TeX and -o); html: one self-contained page (MathML, inline SVG; needs latex2mathml); answers: a blank answer file for "
                             "`bptrace check` (YAML; JSON or CSV with -o FILE.json / FILE.csv); moodle: Moodle XML, "
                             "one Cloze question with a numerical field per asked element (docs/lms.md); "
                             "moodle-elements: a numerical question per asked element")
    render.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE instead of standard output (required for pdf); Markdown's figures "
                             "are written beside it as FILE-stem.network.svg; with several SPECs, a folder "
                             "(created if missing)")
    render.add_argument("--figures", metavar="LIST",
                        help="the figures to show: none, or a comma-separated list such as network,network@1:gradients (a graph: graph,graph:values) "
                             "(overrides the spec's figures:; see docs/spec.md)")
    render.add_argument("--iterations", type=_positive_int, metavar="N", help="override the spec's iterations")
    render.add_argument("--decimals", type=_decimals, metavar="D", help="override the spec's decimals (digits shown)")
    render.add_argument("--arithmetic", choices=("float", "exact", "by-hand"),
                        help="float64 (default), exact (50 digits, every shown digit certified), or by-hand "
                             "(every intermediate rounded to `decimals` before use)")
    render.add_argument("--budget", type=_positive_float, metavar="MB",
                        help="refuse a run whose memory or output would pass MB megabytes (default 500)")
    render.add_argument("--notation", metavar="PROFILE",
                        help="notation profile: default, lecture, hidden-output, layered or node (overrides the spec's)")
    render.add_argument("--jobs", metavar="N", help=JOBS_HELP + " (with several SPECs)")
    render.set_defaults(handler=_cmd_render)
    _add_no_cache_option(render)


def _add_check(sub) -> None:
    check = sub.add_parser(
        "check", help="check answer files against a problem spec",
        description="Check students' answer files (YAML, JSON or CSV; see docs/answers.md) against a "
                    "problem spec: a verdict per answered quantity (correct, follow-through, wrong, "
                    "missing, unknown-key), the first error and the score. Exit status: 0 every "
                    "answered quantity correct, 1 some not, 2 unusable input.",
    )
    check.add_argument("spec", metavar="SPEC", help="problem spec file (.yaml, .yml or .json)")
    check.add_argument("answers", nargs="*", metavar="ANSWERS", help="answer files, or folders of them")
    lms = check.add_argument_group("LMS responses (docs/lms.md): grade a Moodle Responses report or a Canvas "
                                   "Student Analysis report, a student per row, as if each had handed in an answer file")
    lms.add_argument("--from-lms", metavar="FILE.csv",
                     help="the LMS export (CSV) instead of answer files; the gradebook's student is the row's "
                          "ID number, Username or Email address (Moodle), sis_id or id (Canvas)")
    lms.add_argument("--lms", choices=("moodle", "canvas"), help="the export's format (default: found from its header)")
    lms.add_argument("--variant", metavar="ID",
                     help="the variant every row answers, when the questions' text does not name it (with --seed)")
    check.add_argument("--published", action="store_true",
                       help="grade the spec's published: numbers (what a source printed) instead of answer files")
    tol = check.add_argument_group("tolerance (default: to the precision each number is written with, "
                                   "at least the spec's decimals, plus carried rounding)")
    tol.add_argument("--abs-tol", type=_nonneg_float, metavar="A", help="pass within A of the value")
    tol.add_argument("--rel-tol", type=_nonneg_float, metavar="R", help="pass within R times the value's size")
    tol.add_argument("--sig-figs", type=_sig_figs, metavar="N", help="judge every answer to N significant figures")
    check.add_argument("--format", dest="fmt", choices=CHECK_FORMATS, default="text",
                       help="report format (default: text)")
    check.add_argument("--no-diagnosis", dest="diagnosis", action="store_false",
                       help="do not name the likely mistake of each wrong answer (docs/diagnosis.md)")
    check.add_argument("--gradebook", metavar="FILE.csv",
                       help="grade every file into a CSV gradebook, one row per file, instead of printing reports")
    check.add_argument("--jobs", metavar="N", help=JOBS_HELP)
    variant = check.add_argument_group("variants (a spec with randomize:; see `bptrace variants`)")
    variant.add_argument("--seed", type=_seed, metavar="S",
                         help="grade each file against its own variant, found from its `variant:` or student id")
    variant.add_argument("--roster", metavar="FILE.csv", help="the roster the variants were drawn for (with --seed)")
    variant.add_argument("--count", type=_positive_int, metavar="N",
                         help="how many numbered variants were drawn (with --seed; default: ids up to v1000 are found)")
    check.set_defaults(handler=_cmd_check)
    _add_no_cache_option(check)


def _add_variants(sub) -> None:
    variants = sub.add_parser(
        "variants", help="draw a variant of a randomized spec per student, with solutions and answer keys",
        description="Draw homework variants from a spec's randomize: section. Per variant: a problem sheet, "
                    "a solution handout, a printable answer key and the JSON key `bptrace check` reads; for latex "
                    "and pdf also problems, solutions and keys with a page per variant; for moodle one quiz.xml "
                    "(a Cloze question per variant, all in one category); for canvas one QTI package, "
                    "canvas_qti.zip, with a quiz per variant (docs/lms.md). "
                    "A variant depends only on the seed and its id.",
    )
    variants.add_argument("spec", metavar="SPEC", help="problem spec file with a randomize: section")
    who = variants.add_mutually_exclusive_group(required=True)
    who.add_argument("--count", type=_positive_int, metavar="N", help="N variants, named v001, v002, ...")
    who.add_argument("--roster", metavar="FILE.csv", help="one variant per student id of the roster (CSV)")
    variants.add_argument("--seed", type=_seed, required=True, metavar="S", help="the seed (a whole number >= 0)")
    variants.add_argument("--to", dest="fmt", choices=VARIANT_FORMATS, default="markdown",
                          help="format of the sheets (default: markdown); pdf: each sheet's LaTeX compiled (needs TeX); "
                               "html: a self-contained page per sheet (needs latex2mathml); moodle: one Moodle XML quiz, "
                               "a Cloze question per variant with its figure and worked solution; moodle-elements: "
                               "a numerical question per asked element, a category per variant; "
                               "canvas: one QTI .zip to import into Canvas, a quiz per variant")
    variants.add_argument("-o", "--output", metavar="DIR", required=True, help="folder to write into (created if missing)")
    variants.add_argument("--force", action="store_true",
                          help="replace files an earlier run left in DIR (without it, existing files are an error)")
    variants.add_argument("--space", type=_space, metavar="LINES",
                          help="blank lines of working room under each question (default: the spec's sheet.space, else 4)")
    variants.add_argument("--solution", choices=("asked", "full"),
                          help="asked: the solution shows what the sheet asks (default); full: the whole handout")
    variants.add_argument("--jobs", metavar="N", help=JOBS_HELP)
    variants.set_defaults(handler=_cmd_variants)
    _add_no_cache_option(variants)


def _add_examples(sub) -> None:
    examples = sub.add_parser("examples", help="list the built-in examples",
                              description="List the built-in examples: name, then a short description.")
    examples.set_defaults(handler=_cmd_examples)


def _add_schema(sub) -> None:
    schema = sub.add_parser(
        "schema", help="print the JSON Schema of a problem spec, for editors",
        description="Print the JSON Schema (draft 2020-12) of a problem spec: editors such as VS Code's "
                    "YAML extension use it for completion, hover text and checks while a spec is written "
                    "(see docs/spec.md). bptrace's own validation stays the authority.",
    )
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    schema.set_defaults(handler=_cmd_schema)


def _add_cache(sub) -> None:
    cache = sub.add_parser(
        "cache", help="where the formula, template and spec cache is, or clear it",
        description="Printed formulas, compiled templates and parsed specs are kept in the user's cache folder "
                    "($BPTRACE_CACHE_DIR, if set) so a handout need not import sympy or PyYAML. "
                    "`path` prints the folder, `clear` removes the cache's files and lists them.",
    )
    cache.add_argument("action", choices=("path", "clear"))
    cache.set_defaults(handler=_cmd_cache)


_COMMANDS = {"render": _add_render, "check": _add_check, "variants": _add_variants, "examples": _add_examples,
             "schema": _add_schema, "cache": _add_cache}


def _cmd_render(args) -> int:
    from .problem.examples import example_path
    from .problem.spec import load_problem

    jobs = _jobs(args.jobs)
    if args.more:  # several specs, into a folder
        from .render_many import render_many

        overrides = {k: getattr(args, k) for k in ("iterations", "decimals", "arithmetic", "notation", "figures")}
        render_many([args.spec, *args.more], args.fmt, args.output, overrides, args.budget, jobs)
        return 0
    output = _output(args.output, [args.spec])
    problem = load_problem(example_path(args.example) if args.example else args.spec)
    if args.fmt == "pdf" and output is None:
        from .errors import TracerError

        raise TracerError("--to pdf needs -o FILE.pdf (a PDF is not written to the terminal)")
    overrides = {k: getattr(args, k) for k in ("iterations", "decimals", "arithmetic", "notation", "figures")}
    if any(v is not None for v in overrides.values()):
        problem = problem.with_overrides(**overrides)
    if args.fmt == "answers":
        from .grade.answer_template import answer_template
        from .grade.check import Checker

        suffix = (args.output or "").lower().rsplit(".", 1)[-1]
        text = answer_template(Checker(problem), suffix if suffix in ("json", "csv") else "yaml")
    elif args.fmt == "moodle":
        from .homework.moodle_cloze import problem_cloze_quiz

        text = problem_cloze_quiz(problem)
    elif args.fmt == "moodle-elements":
        from .homework.moodle import problem_quiz

        text = problem_quiz(problem)
    elif args.fmt == "json":
        from .api import render_json

        _write_pieces(render_json(problem, args.budget), output)
        return 0
    else:
        from .api import render_document

        doc = render_document(problem, args.fmt, args.budget, stem=output.stem if output is not None else None)
        _write_document(doc, output, [args.spec])
        return 0
    _write(text, output)
    return 0


def _write_document(doc, output, inputs) -> None:
    """The document and the files it refers to (its figures), each checked and atomic, beside it."""
    if output is None:
        sys.stdout.write(doc.text)
        return
    from .files import check_output, write_bytes, write_text

    folder = output.parent
    extra = [check_output(folder / name, [*inputs, output], what="figure file") for name in doc.files]
    for path, name in zip(extra, doc.files):
        write_text(path, doc.files[name], [*inputs, output])
    if doc.pdf is not None:
        write_bytes(output, doc.pdf, inputs)
    else:
        write_text(output, doc.text, inputs)


def _cmd_check(args) -> int:
    from .errors import TracerError, printable
    from .grade.check import Checker
    from .grade.gradebook import (
        answer_files,
        check_gradebook_target,
        grade_all,
        write_gradebook,
    )
    from .grade.grading import Tolerance
    from .grade.report import format_many, format_report
    from .problem.spec import load_problem

    if args.sig_figs is not None and (args.abs_tol is not None or args.rel_tol is not None):
        raise TracerError("--sig-figs cannot be combined with --abs-tol or --rel-tol")
    tolerance = None
    if args.sig_figs is not None or args.abs_tol is not None or args.rel_tol is not None:
        tolerance = Tolerance(abs_tol=args.abs_tol, rel_tol=args.rel_tol, sig_figs=args.sig_figs)
    jobs = _jobs(args.jobs)
    if args.published:
        return _check_published(args, tolerance)
    if args.from_lms is None and (args.lms is not None or args.variant is not None):
        raise TracerError("--lms and --variant go with --from-lms FILE.csv")
    if args.from_lms is not None and args.answers:
        raise TracerError("--from-lms reads every student's answers from the LMS export; give no answer files with it")
    if args.variant is not None and args.seed is None:
        raise TracerError("--variant needs --seed: the variants are drawn from the seed")
    if not args.answers and args.from_lms is None:
        raise TracerError("no answer files given (or --published, to grade the spec's published: numbers)")
    if args.roster is not None and args.seed is None:
        raise TracerError("--roster needs --seed: the variants are drawn from the seed")
    if args.count is not None and (args.seed is None or args.roster is not None):
        raise TracerError("--count goes with --seed, for numbered variants (not with --roster)")
    if args.gradebook:  # before anything runs: never onto the spec, the roster or a named answer file
        check_gradebook_target(args.gradebook, [args.spec, args.roster, args.from_lms, *args.answers])
    if args.seed is not None:
        from .homework.roster import read_roster
        from .homework.variants import VariantChecker

        roster = read_roster(args.roster) if args.roster else None
        checker = VariantChecker(load_problem(args.spec), args.seed, roster, tolerance, count=args.count,
                                 diagnosis=args.diagnosis)
    else:
        checker = Checker(load_problem(args.spec), tolerance, diagnosis=args.diagnosis)
    if args.from_lms is not None:  # read first, graded below like files (a Submission per row)
        from .homework.lms import lms_submissions

        files = lms_submissions(args.from_lms, checker, args.lms, args.variant)
        if not files:
            raise TracerError(f"{args.from_lms}: no student rows below the header")
    else:
        files = answer_files(args.answers, exclude=args.gradebook)
    if not files:
        raise TracerError("no answer files found in " + ", ".join(args.answers))
    if args.gradebook:
        batch = write_gradebook(checker, files, args.gradebook, jobs=jobs)
        print(f"{batch.summary()}; gradebook: {printable(args.gradebook)}")
        return batch.exit_code
    if args.from_lms is None and len(args.answers) == 1 and not os.path.isdir(args.answers[0]):
        report = checker.check_file(files[0])
        sys.stdout.write(format_report(report, args.fmt))
        return report.exit_code
    results, code = [], 0
    for row in grade_all(checker, files, jobs):
        if row.report is None:
            print(f"error: {printable(row.file)}: {printable(row.status)}", file=sys.stderr)
            code = 2
        else:
            code = max(code, row.report.exit_code)
        results.append((row.file, row.report or row.status.removeprefix("not gradable: ")))
    sys.stdout.write(format_many(results, args.fmt))
    return code


def _check_published(args, tolerance) -> int:
    from .errors import SpecError, TracerError
    from .grade.published import check_published
    from .grade.report import format_report
    from .problem.spec import load_problem

    if args.answers or args.seed is not None or args.roster is not None or args.gradebook or args.from_lms:
        raise TracerError("--published grades the spec's own published: numbers; give no answer files, "
                          "--from-lms, --seed, --roster or --gradebook with it")
    problem = load_problem(args.spec)
    if not problem.published:
        raise SpecError("published", "the spec has none to check; add a mapping of quantity paths to the numbers a source printed")
    report = check_published(problem, tolerance)
    sys.stdout.write(format_report(report, args.fmt))
    return report.exit_code


def _cmd_variants(args) -> int:
    from .errors import printable
    from .grade.gradebook import Progress
    from .homework.roster import read_roster
    from .homework.variants import Generator, numbered_ids, write_variants
    from .problem.spec import load_problem

    jobs = _jobs(args.jobs)
    generator = Generator(load_problem(args.spec), args.seed)
    ids = read_roster(args.roster) if args.roster else numbered_ids(args.count)
    written = write_variants(generator, ids, args.fmt, args.output, student_ids=args.roster is not None,
                             progress=Progress(len(ids), label="variants"), space=args.space, solution=args.solution,
                             force=args.force, inputs=[args.spec, args.roster], jobs=jobs)
    for vid in written.redrawn:
        print(f"note: {vid}'s first acceptable draw repeated an earlier variant and was redrawn; "
              "`check --seed` finds it again with the same roster (or numbering)", file=sys.stderr)
    print(f"wrote {len(written.variants)} variants ({len(written.files)} files) to {printable(args.output)}")
    return 0


def _cmd_examples(args) -> int:
    from .problem.examples import list_examples

    for name, description in list_examples():
        print(f"{name:<22} {description}")
    return 0


def _cmd_schema(args) -> int:
    import json

    from .problem.schema import spec_schema

    _write(json.dumps(spec_schema(), indent=2) + "\n", _output(args.output))
    return 0


def _cmd_cache(args) -> int:
    from .cache import cache_dir
    from .present import formula_store

    if args.action == "path":
        print(cache_dir())
        return 0
    removed = formula_store.clear()
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print(f"nothing to remove in {cache_dir()}")
    return 0
def _jobs(text: str | None) -> int:
    from .pool import parse_jobs

    return parse_jobs(text)


def _output(output: str | None, inputs=()):
    """The -o path, checked before anything runs: never a link, a folder or an input."""
    if output is None or output == "-":
        return None
    from .files import check_output

    return check_output(output, inputs)


def _write(text: str, output) -> None:
    """Standard output, or the file `output`, replaced only once the text is complete."""
    if output is None:
        sys.stdout.write(text)
        return
    from .files import write_text

    write_text(output, text)


def _write_pieces(pieces: Iterable[bytes], output) -> None:
    """UTF-8 `pieces` (a large JSON document), as `_write` writes their text."""
    if output is None:
        sys.stdout.write(b"".join(pieces).decode())
        return
    from .files import write_pieces

    write_pieces(output, pieces)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from .errors import TracerError, printable

    if args.no_cache:  # this process, and (through the environment) any worker it starts
        from . import cache

        cache.set_disabled(True)
        os.environ["BPTRACE_NO_CACHE"] = "1"
    try:
        return args.handler(args)
    except TracerError as err:
        print(f"error: {printable(err)}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if args.no_cache:  # main() called in-process (tests, notebooks): the next call chooses again
            from . import cache

            cache.set_disabled(None)
            os.environ.pop("BPTRACE_NO_CACHE", None)


def entry() -> None:
    """The `bptrace` command (and `python -m tracer.cli`): main() in a process that ends with it.

    Two settings only a whole process may choose, both as mypy's command line makes them:
    - the garbage collector's first threshold raised from 700 to 200,000 allocations: starting up
      allocates some 300,000 objects (numpy's, Jinja's, the templates'), nearly none of them garbage, and
      at the default every 700 of them a collection walks the young ones (some 10 % of a handout's time);
      reference counting still frees everything at once, and cycles are collected later, not never;
    - no teardown: once main() has returned, every file it wrote is closed and its pool joined, and
      freeing each of those objects one by one before exiting takes longer (some 50 ms) than the
      handout's own arithmetic. The output streams are flushed, then the process ends (os._exit)."""
    gc.set_threshold(200_000, 30, 30)
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # `bptrace ... | head`: the reader has gone, as main() treats it
            pass
        except (OSError, ValueError):  # a full disk or a closed stream: as the interpreter's exit would say
            status = status or 120
    os._exit(status)


if __name__ == "__main__":
    entry()
