"""The step model every View is made of: a Step is one displayed equation.

A step reads `lhs = chain[0] = chain[1] = ...`: the general formula, the formula
with numbers substituted, and the result. Steps group into Parts (Forward pass,
Loss, ...) and Sections (an example, an update); a View holds a whole handout.
Templates lay these out; they never compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..problem.notation import Notation


@dataclass
class Step:
    """One displayed equation: `lhs = chain[0] = ... = chain[-1]`."""

    lhs: str
    chain: list[str]
    path: str = ""  # the quantity this step computes, if any
    value: object = None
    # Per medium ("latex", "markdown"): [tex] if the step fits the line, else its aligned
    # lines, one link each (layout.py decides; templates only lay them out).
    lines: dict[str, list[str]] = field(default_factory=dict)
    notes: list = field(default_factory=list)  # segment lists [("text"|"math", str)], see present.notes

    @property
    def tex(self) -> str:
        return " = ".join([self.lhs, *self.chain])


@dataclass
class Part:
    """A phase of a section (forward pass, output error, ...): its steps."""

    title: str
    steps: list[Step] = field(default_factory=list)


@dataclass
class Section:
    """A titled run of steps (one example's passes, a batch's aggregate, an update)."""

    title: str
    steps: list[Step] = field(default_factory=list)
    note: str = ""
    parts: list[Part] = field(default_factory=list)  # the steps again, grouped by phase

    def part(self, title: str) -> list[Step]:
        """Start a new phase and return its list of steps."""
        self.parts.append(Part(title))
        return self.parts[-1].steps


@dataclass
class IterationView:
    """One iteration as the handout shows it: each example's passes, the batch's aggregate, the update."""

    t: int
    caption: str  # which example(s)
    examples: list[Section]  # forward and backward pass per example
    aggregate: Section | None  # batch mean and regularization
    update: Section


@dataclass
class Table:
    """One table as a medium shows it: its caption (numbered), header words over symbols, rows."""

    number: int
    caption: str
    words: list[list[str]]  # each column's header words, broken into lines as narrow as the column
    head: list[str]
    rows: list[list[str]]
    sideways: bool = False  # wider than the page: turned to landscape (LaTeX)


@dataclass
class View:
    """Everything a template shows, formatted: the templates only place it."""

    title: str
    description: str
    setup: list[tuple[str, str]]  # (label, text) lines about the problem
    initial: list[list[Step]]  # one row per layer: its parameters as the notation shows them
    data_head: list[str]
    data_rows: list[list[str]]  # example number, x as a row, y as a row
    derivation: list[Step]  # the chain rule for an output and a hidden weight, simplified by sympy
    iterations: list[IterationView]
    summary_head: list[str]
    summary_rows: list[list[str]]
    notation: Notation
    # The summary's columns: the words over each symbol of summary_head, and the layer each
    # column belongs to (0 for the iteration, output and loss), by which a table too wide
    # for its medium is cut into several.
    summary_words: list[str] = field(default_factory=list)
    summary_layers: list[int] = field(default_factory=list)
    summary_tables: dict[str, list[Table]] = field(default_factory=dict)  # per medium, from layout.py
    # Per medium: the rows of `initial`, a row too wide for the line split into one per step.
    initial_rows: dict[str, list[list[Step]]] = field(default_factory=dict)
    symbols: str = ""  # LaTeX (math mode): the notation's symbols and shapes, for the problem section
    diverged: list = field(default_factory=list)  # segments [("text"|"math", str)]: where training diverged
    # Sections outside any iteration (a graph's forward pass, local derivatives, backward pass),
    # laid out after the derivation, each a section whose parts are its subsections.
    passes: list[Section] = field(default_factory=list)
    initial_title: str = "Initial parameters"  # the problem section's heading over `initial`
    summary_caption: str = ""  # the summary table's caption, when not the network's
    figures: list = field(default_factory=list)  # present.figures.Figure (a network's, a graph's), for the problem section
    curves: list = field(default_factory=list)  # present.figures.Figure: loss and outputs per iteration, by the summary


def steps_of(view: View, *, derivation: bool = True, initial: bool = True):
    """Every displayed step of a View, in order (the Derivation and initial parameters first)."""
    if derivation:
        yield from view.derivation
    if initial:
        for row in view.initial:
            yield from row
    for it in view.iterations:
        for sec in it.examples:
            for part in sec.parts:
                yield from part.steps
        if it.aggregate:
            yield from it.aggregate.steps
        yield from it.update.steps
    for sec in view.passes:  # a graph's forward pass, local derivatives, backward pass
        for part in sec.parts:
            yield from part.steps
