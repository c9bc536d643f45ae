"""Trace -> View for a computational graph: the forward pass, the local derivatives, the
backward pass and a table of every gradient.

    forward:   v = x y = 3 \\cdot 2 = 6                          (formula = substitution = value)
    local:     ∂v/∂x = y = 2                                    (sympy's derivative, then its value)
    backward:  ∂f/∂x = ∂f/∂v · ∂v/∂x = 1 \\cdot 2 = 2           (upstream × local)
               ∂f/∂x = ∂f/∂s · ∂s/∂x + ∂f/∂r · ∂r/∂x = ...     (a name used twice: gradients add)

The three passes are View.passes (sections outside any iteration: a graph has
none); numbers go through Context (numfmt), formulas through symbolic_graph's printer.
The figure of the graph (figure_graph: gates, values above the wires, gradients below) is
View.figures, as a network's.
"""

from __future__ import annotations

import re

from ..engine.arithmetic import EXACT_DIGITS
from ..engine.graph import relevant
from ..engine.trace import Trace
from . import symbolic_graph as G
from .figures import graph_figures
from .steps import Section, Step, View
from .view_context import Context

_GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "lambda", "mu",
          "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega")


def display(name: str) -> str:
    """A graph name as LaTeX: x, w_{1} (w1 or w_1), \\alpha, \\mathrm{out}_{2}, h_{\\mathrm{out}}."""
    base, _, sub = name.partition("_")
    if not sub:
        m = re.fullmatch(r"([A-Za-z]+?)(\d+)", base)
        if m:
            base, sub = m.groups()
    head = base if len(base) == 1 else (rf"\{base}" if base in _GREEK else rf"\mathrm{{{base}}}")
    if not sub:
        return head
    sub_tex = sub if sub.isdigit() else r"\mathrm{" + sub.replace("_", r"\_") + "}"
    return f"{head}_{{{sub_tex}}}"


def display_names(names) -> dict[str, str]:
    """Each name's LaTeX; if two would read alike (w1 and w_1 are both w_{1}), every name spelled out."""
    shown = {n: display(n) for n in names}
    if len(set(shown.values())) < len(shown):
        shown = {n: r"\mathrm{" + n.replace("_", r"\_") + "}" for n in names}
    return shown


def partial(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


class GraphContext(Context):
    """Context without a notation profile: by hand, a value is approximate iff its path was rounded."""

    def __init__(self, trace: Trace):
        super().__init__(trace, None)

    def _was_rounded(self, path: str) -> bool:
        return path in self.rounded


def build_graph_view(trace: Trace, notation=None) -> View:
    """The View of a graph's one evaluation (`notation` is ignored: a graph names its own values)."""
    p = trace.problem
    c = GraphContext(trace)
    v = trace.values
    display = display_names(p.names).__getitem__
    names = {G.symbol(n): display(n) for n in p.names}
    out = display(p.output)

    setup = [("Graph", f"{len(p.inputs)} input{'s' if len(p.inputs) != 1 else ''}, {len(p.nodes)} "
                       f"node{'s' if len(p.nodes) != 1 else ''}, evaluated in the order given; output {p.output}")]
    arith = {
        "exact": f"exact: every value carried with {EXACT_DIGITS} significant digits, so each digit shown is certified",
        "by-hand": f"by hand: every intermediate rounded to {p.decimals} decimal places before it is used further",
    }.get(trace.arithmetic)
    if arith:
        setup.append(("Arithmetic", arith))

    inputs = [Step(display(n), [c.fmt(v[n])], path=n, value=v[n]) for n, _ in p.inputs]
    definitions = [[Step(display(node.name), [G.latex(G.to_sympy(node.expr), names)])] for node in p.nodes]

    def values_of(args):
        return {G.symbol(a): c.fmt(v[a]) for a in args}

    forward = Section("Forward pass")
    steps = forward.part("Forward pass")
    for node in p.nodes:
        e = G.to_sympy(node.expr)
        formula = G.latex(e, names)
        substituted = G.latex(e, names, values_of(node.args)) if node.args else None
        steps.append(Step(display(node.name), c.chain(formula, substituted, v[node.name], node.name),
                          path=node.name, value=v[node.name]))
    forward.steps = list(steps)

    local = Section("Local derivatives")
    steps = local.part("Local derivatives")
    for node in p.nodes:
        for arg in node.args:
            path = f"local.{node.name}.{arg}"
            d = G.local_derivative(node.expr, arg)
            free = sorted(str(s) for s in d.free_symbols)
            formula = G.latex(d, names)
            substituted = G.latex(d, names, values_of(free)) if free else None
            steps.append(Step(partial(display(node.name), display(arg)), c.chain(formula, substituted, v[path], path),
                              path=path, value=v[path]))
    local.steps = list(steps)

    backward = Section("Backward pass")
    steps = backward.part("Backward pass")
    need = relevant(p)
    for name in reversed(p.names):
        path = f"grad.{name}"
        lhs = partial(out, display(name))
        if name == p.output:
            steps.append(Step(lhs, ["1"], path=path, value=v[path]))
            continue
        users = [u for u in p.consumers(name) if u.name in need]
        if not users:
            steps.append(Step(lhs, [c.fmt(v[path])], path=path, value=v[path],
                              notes=[[("math", out), ("text", " does not depend on "), ("math", display(name)),
                                      ("text", ".")]]))
            continue
        formula = " + ".join(rf"{partial(out, display(u.name))} \cdot {partial(display(u.name), display(name))}"
                             for u in users)
        substituted = c.sum([c.product(v[f"grad.{u.name}"], v[f"local.{u.name}.{name}"]) for u in users])
        notes = []
        if len(users) > 1:
            feeds = [("math", display(users[0].name))]
            for u in users[1:-1]:
                feeds += [("text", ", "), ("math", display(u.name))]
            feeds += [("text", " and "), ("math", display(users[-1].name))]
            notes.append([("text", "Gradients add at branches: "), ("math", display(name)), ("text", " feeds "),
                          *feeds, ("text", ", so its gradient is the sum of one upstream \u00d7 local product per branch.")])
        steps.append(Step(lhs, c.chain(formula, substituted, v[path], path), path=path, value=v[path], notes=notes))
    backward.steps = list(steps)

    head = ["", "", ""]
    rows = [[display(n), c.fmt(v[n]), c.fmt(v[f"grad.{n}"])] for n in p.names]
    return View(p.title, p.description, setup, [inputs, *definitions], [], [], [], [], head, rows, None,
                summary_words=["name", "value", f"gradient of {p.output}"], passes=[forward, local, backward],
                initial_title="Inputs and nodes",
                summary_caption=f"Every input and node: its value and the derivative of the output {p.output} by it",
                figures=graph_figures(c, p.figures, display))
