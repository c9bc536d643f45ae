"""`bptrace`: a thin command line over the library.

Each subcommand parses its arguments, calls one library function and prints.
Heavy modules (numpy, sympy, jinja2) are imported inside the handlers, so
`bptrace --help` answers without loading them.
"""

from __future__ import annotations

import argparse
import sys

FORMATS = ("latex", "markdown", "json")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _decimals(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= 12:
        raise argparse.ArgumentTypeError(f"expected 0 to 12, got {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bptrace",
        description="Backpropagation worked examples: every intermediate number, computed and checked.",
        epilog="Example: bptrace render --example lecture-2-2-1 --to markdown",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = sub.add_parser(
        "render", help="trace a problem spec and write the worked example",
        description="Trace a problem spec (YAML or JSON) and write the worked example.",
    )
    src = render.add_mutually_exclusive_group(required=True)
    src.add_argument("spec", nargs="?", metavar="SPEC", help="problem spec file (.yaml, .yml or .json)")
    src.add_argument("--example", metavar="NAME", help="a built-in example (see `bptrace examples`)")
    render.add_argument("--to", dest="fmt", choices=FORMATS, default="markdown",
                        help="output format (default: markdown)")
    render.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    render.add_argument("--iterations", type=_positive_int, metavar="N", help="override the spec's iterations")
    render.add_argument("--decimals", type=_decimals, metavar="D", help="override the spec's decimals (digits shown)")
    render.set_defaults(handler=_cmd_render)

    examples = sub.add_parser("examples", help="list the built-in examples",
                              description="List the built-in examples: name, then a short description.")
    examples.set_defaults(handler=_cmd_examples)
    return parser


def _cmd_render(args) -> int:
    from .api import render_problem
    from .examples import example_path
    from .spec import load_problem

    problem = load_problem(example_path(args.example) if args.example else args.spec)
    if args.iterations is not None or args.decimals is not None:
        problem = problem.with_overrides(iterations=args.iterations, decimals=args.decimals)
    text = render_problem(problem, args.fmt)
    _write(text, args.output)
    return 0


def _cmd_examples(args) -> int:
    from .examples import list_examples

    for name, description in list_examples():
        print(f"{name:<22} {description}")
    return 0


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    from .errors import TracerError

    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as err:
        raise TracerError(f"{output}: cannot write: {err.strerror or err}") from None


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from .errors import TracerError

    try:
        return args.handler(args)
    except TracerError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
