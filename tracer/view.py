"""Trace -> View: the worked example as rows of steps, each with its value and display string.

A step reads `lhs = chain[0] = chain[1] = ... `: the general formula, the
formula with numbers substituted, and the result. Every string here is LaTeX
math (Markdown handouts use the same math), every number comes from the
trace and is formatted by `numfmt`; templates only lay steps out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import numfmt
from . import symbolic as S
from .arithmetic import EXACT_DIGITS
from .engine import Iteration, Trace


@dataclass(frozen=True)
class Notation:
    """Display symbols. `l` is substituted with the layer number."""

    pre: str = "a^{{({l})}}"
    act: str = "h^{{({l})}}"
    weight: str = "W^{{({l})}}"
    bias: str = "b^{{({l})}}"
    delta: str = r"\delta^{{({l})}}"
    x: str = "x"
    y: str = "y"
    yhat: str = r"\hat{y}"
    loss: str = "L"
    lr: str = r"\eta"

    def sym(self, kind: str, l: int) -> str:
        if kind == "act" and l == 0:
            return self.x
        return getattr(self, kind).format(l=l)

    def param(self, name: str) -> str:
        kind, l = name[0], int(name[1:])
        return self.sym("weight" if kind == "W" else "bias", l)

    def grad(self, name: str) -> str:
        return rf"\frac{{\partial {self.loss}}}{{\partial {self.param(name)}}}"


# How the forward pass writes g(a); `{a}` is the argument. (Derivatives come from sympy.)
ACT_TEX = {
    "sigmoid": r"\sigma({a})",
    "tanh": r"\tanh({a})",
    "relu": r"\max(0, {a})",
    "linear": "{a}",
    "softmax": r"\operatorname{{softmax}}({a})",
}
ACT_NAME = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "linear": "identity", "softmax": "softmax"}
LOSS_NAME = {"bce": "binary cross-entropy", "ce": "categorical cross-entropy", "mse": "mean squared error",
             "sse": "half the sum of squared errors", "mae": "mean absolute error"}


@dataclass
class Step:
    """One displayed equation: `lhs = chain[0] = ... = chain[-1]`."""

    lhs: str
    chain: list[str]
    path: str = ""  # the quantity this step computes, if any
    value: object = None

    @property
    def tex(self) -> str:
        return " = ".join([self.lhs, *self.chain])


@dataclass
class Part:
    title: str
    steps: list[Step] = field(default_factory=list)


@dataclass
class Section:
    title: str
    steps: list[Step] = field(default_factory=list)
    note: str = ""
    parts: list[Part] = field(default_factory=list)  # the steps again, grouped by phase

    def part(self, title: str) -> list[Step]:
        """Start a new phase; steps appended to the returned list also go to `steps`."""
        self.parts.append(Part(title))
        return self.parts[-1].steps


@dataclass
class IterationView:
    t: int
    caption: str  # which example(s)
    examples: list[Section]  # forward and backward pass per example
    aggregate: Section | None  # batch mean and regularization
    update: Section


@dataclass
class View:
    title: str
    description: str
    setup: list[tuple[str, str]]  # (label, text) lines about the problem
    initial: list[list[Step]]  # one row per layer: W(l), b(l)
    data_head: list[str]
    data_rows: list[list[str]]  # example number, x as a row, y as a row
    derivation: list[Step]  # the chain rule for an output and a hidden weight, simplified by sympy
    iterations: list[IterationView]
    summary_head: list[str]
    summary_rows: list[list[str]]
    notation: Notation


def build_view(trace: Trace, notation: Notation | None = None) -> View:
    """Lay out every number of `trace` as steps, in computation order."""
    nt = notation or Notation()
    p = trace.problem
    d = p.decimals
    fmt = lambda v: numfmt.array(v, d)  # noqa: E731

    setup = [
        ("Network", "layers " + " \u2013 ".join(str(n) for n in p.layers) + " (input first)"),
        ("Activations", ", ".join(f"layer {l}: {ACT_NAME[a]}" for l, a in enumerate(p.activations, 1))),
        ("Loss", LOSS_NAME[p.loss]),
        ("Training", _mode_text(p)),
    ]
    arith = {
        "exact": f"exact: every value carried with {EXACT_DIGITS} significant digits, so each digit shown is certified",
        "by-hand": f"by hand: every intermediate rounded to {d} decimal places before it is used further, as with a calculator",
    }.get(trace.arithmetic)
    if arith:
        setup.append(("Arithmetic", arith))
    if p.l2:
        setup.append(("Regularization", f"L2 with strength {numfmt.plain(p.l2, 12)} on the weights"))
    if p.frozen:
        setup.append(("Frozen", ", ".join(p.frozen) + " (never updated)"))

    initial = [[Step(nt.param(name), [fmt(p.params[name])], path=f"iter1.{name}", value=p.params[name])
                for name in (f"W{l}", f"b{l}")] for l in range(1, p.depth + 1)]
    data_head = [r"\text{Example}", _T(nt.x), _T(nt.y) if p.layers[-1] > 1 else nt.y]
    data_rows = [[str(i), numfmt.row(ex.x, d), numfmt.row(ex.y, d)] for i, ex in enumerate(p.data, 1)]

    iterations = [_iteration_view(trace, it, nt) for it in trace.iterations]
    head, rows = _summary(trace, nt)
    derivation = _derivation(p, nt)
    return View(p.title, p.description, setup, initial, data_head, data_rows, derivation, iterations, head, rows, nt)


def _mode_text(p) -> str:
    lr = numfmt.plain(p.learning_rate, 12)
    n = len(p.data)
    if p.mode == "sgd":
        how = "stochastic gradient descent, one example per iteration"
    elif p.mode == "gd":
        how = f"full-batch gradient descent, the gradient averaged over all {n} examples"
    else:
        how = f"mini-batch gradient descent, batches of {p.batch_size}"
    if p.shuffle_seed is not None and p.mode != "gd":
        how += f", order shuffled each epoch (seed {p.shuffle_seed})"
    return f"{how}; learning rate {lr}; {p.iterations} iteration{'s' if p.iterations != 1 else ''}"


def _rel(values, decimals) -> str:
    """`=` when the shown digits are exact, else `\\approx`."""
    return "=" if numfmt.all_exact(values, decimals) else r"\approx"


def _result(values, decimals) -> str:
    return numfmt.array(values, decimals)


def _rounded_paths(trace: Trace) -> set | None:
    """By-hand arithmetic: the paths whose recorded value was rounded (shown with approx)."""
    return trace.rounded if trace.arithmetic == "by-hand" else None


def _chain(formula: str | None, substituted: str | None, value, d: int,
           path: str = "", rounded: set | None = None) -> list[str]:
    """[formula, substituted, value] without repeats; the last link says = or approx.

    The relation is `=` when the digits shown are the exact value; in by-hand
    arithmetic, when the computation needed no rounding at `decimals` places.
    """
    links = [s for s in (formula, substituted) if s]
    final = _result(value, d)
    if links and links[-1] == final:
        links.pop()
    if rounded is not None and path:
        rel = r"\approx" if path in rounded else "="
    else:
        rel = _rel(value, d)
    if rel == "=":
        return [*links, final]
    # `a = b = c \approx value`: the approx belongs to the last link only.
    if links:
        links[-1] = f"{links[-1]} {rel} {final}"
        return links
    return [rf"{rel} {final}"]


def _example_section(trace: Trace, it: Iteration, n: int, nt: Notation) -> Section:
    R = _rounded_paths(trace)
    p = trace.problem
    d = p.decimals
    v = trace.values
    e = it.example_prefix(n)
    L = p.depth
    fmt = lambda x: numfmt.array(x, d)  # noqa: E731
    index = it.examples[n - 1] + 1
    title = f"Example {index}" if len(p.data) > 1 else "Example"
    sec = Section(title)
    steps = sec.part("Forward pass")
    out_act = p.activations[-1]

    for l in range(1, L + 1):
        W, b, hp = v[f"{it.prefix}W{l}"], v[f"{it.prefix}b{l}"], v[f"{e}h{l - 1}"] if l > 1 else v[e + "x"]
        a = v[f"{e}a{l}"]
        formula = f"{nt.sym('weight', l)} {nt.sym('act', l - 1)} + {nt.sym('bias', l)}"
        subst = f"{numfmt.array(W, d, scalar_if_single=False)} {_op(hp, d)} + {_op(b, d)}"
        steps.append(Step(nt.sym("pre", l), _chain(formula, subst, a, d, f"{e}a{l}", R), f"{e}a{l}", a))
        act = p.activations[l - 1]
        g_tex = ACT_TEX[act]
        h = v[f"{e}h{l}"]
        formula = g_tex.format(a=nt.sym("pre", l))
        if act == "softmax":
            subst = g_tex.format(a=fmt(a))
        else:
            subst = _elementwise(lambda s: g_tex.format(a=s), a, d)
        lhs = nt.sym("act", l) if l < L else f"{nt.yhat} = {nt.sym('act', l)}"
        steps.append(Step(lhs, _chain(formula, subst, h, d, f"{e}h{l}", R), f"{e}h{l}", h))

    steps = sec.part("Loss")
    y, yhat = v[e + "y"], v[e + "yhat"]
    n_out = p.layers[-1]
    form, subst = _loss_lines(p.loss, n_out, y, yhat, d, nt)
    if len(it.examples) == 1 and p.l2:
        loss_val = trace.aux[it.prefix + "data_loss"]
        steps.append(Step(nt.loss + r"_{\text{data}}", _chain(form, subst, loss_val, d), "", loss_val))
    else:
        loss_val = v[e + "loss"]
        steps.append(Step(nt.loss, _chain(form, subst, loss_val, d, e + "loss", R), e + "loss", loss_val))

    steps = sec.part("Backward pass")
    dl = v[e + "dL_dyhat"]
    out_names = _names(nt, L)
    dl_expr = S.loss_derivative(p.loss, n_out)
    dl_lhs = rf"\frac{{\partial {nt.loss}}}{{\partial {nt.yhat}}}"
    steps.append(Step(dl_lhs, _chain(S.to_latex(dl_expr, out_names),
                                     _per_unit(dl_expr, out_names, {S.y: y, S.yh: yhat}, d), dl, d, e + "dL_dyhat", R),
                      e + "dL_dyhat", dl))
    for l in range(L, 0, -1):
        act = p.activations[l - 1]
        delta = v[f"{e}delta{l}"]
        names = _names(nt, l)
        units = {S.h: v[f"{e}h{l}"], S.a: v[f"{e}a{l}"]}
        gp_sym = f"g'({nt.sym('pre', l)})"
        if act != "softmax":
            gp = v[f"{e}gprime{l}"]
            gexpr = S.activation_derivative(act).expr
            steps.append(Step(gp_sym, _chain(S.to_latex(gexpr, names), _per_unit(gexpr, names, units, d), gp, d, f"{e}gprime{l}", R),
                              f"{e}gprime{l}", gp))
        if l == L:
            simplified = S.output_delta(p.loss, act, n_out)
            unit_vals = {S.y: y, S.yh: yhat, S.a: v[f"{e}a{l}"]}
            chain_rule = None if act == "softmax" else rf"\frac{{\partial {nt.loss}}}{{\partial {nt.yhat}}} \odot {gp_sym}"
            form = S.to_latex(simplified, out_names)
            links = [x for x in (chain_rule, form) if x]
            steps.append(Step(nt.sym("delta", l), [*links[:-1], *_chain(links[-1], _per_unit(simplified, out_names, unit_vals, d), delta, d, f"{e}delta{l}", R)],
                              f"{e}delta{l}", delta))
        else:
            Wn = v[f"{it.prefix}W{l + 1}"]
            form = rf"{gp_sym} \odot \left({_T(nt.sym('weight', l + 1))} {nt.sym('delta', l + 1)}\right)"
            subst = (rf"{fmt(v[f'{e}gprime{l}'])} \odot \left({numfmt.array(Wn.T, d, scalar_if_single=False)}"
                     rf" {_op(v[f'{e}delta{l + 1}'], d)}\right)")
            steps.append(Step(nt.sym("delta", l), _chain(form, subst, delta, d, f"{e}delta{l}", R), f"{e}delta{l}", delta))

    steps = sec.part("Gradients" if len(it.examples) == 1 else "Gradients for this example")
    for l in range(L, 0, -1):
        hp = v[f"{e}h{l - 1}"] if l > 1 else v[e + "x"]
        for kind in ("W", "b"):
            name = f"{kind}{l}"
            if len(it.examples) > 1:
                path = f"{e}grad.{name}"
                g = v[path]
            elif p.l2 and kind == "W":
                path, g = "", trace.aux[f"{it.prefix}data_grad.{name}"]
            else:
                path = f"{it.prefix}grad.{name}"
                g = v[path]
            lhs = nt.grad(name) + (r"\Big|_{\text{data}}" if (p.l2 and kind == "W" and len(it.examples) == 1) else "")
            if kind == "W":
                form = rf"{nt.sym('delta', l)} \, {_T(nt.sym('act', l - 1))}"
                subst = rf"{_op(v[f'{e}delta{l}'], d)} {numfmt.row(hp, d)}"
            else:
                form, subst = nt.sym("delta", l), None
            steps.append(Step(lhs, _chain(form, subst, g, d, path, R), path, g))
    sec.steps = [s for part in sec.parts for s in part.steps]
    return sec


def _aggregate(trace: Trace, it: Iteration, nt: Notation) -> Section | None:
    R = _rounded_paths(trace)
    p = trace.problem
    d = p.decimals
    v = trace.values
    m = len(it.examples)
    if m == 1 and not p.l2:
        return None
    sec = Section("Gradient of the iteration" if m > 1 else "Regularization")
    if m > 1:
        sec.note = f"The loss and the gradients are means over the {m} examples of this iteration."
        losses = [v[f"{it.example_prefix(n)}loss"] for n in range(1, m + 1)]
        subst = rf"\frac{{1}}{{{m}}}\left(" + " + ".join(_paren(x, d) for x in losses) + r"\right)"
        if p.l2:
            data_loss = trace.aux[it.prefix + "data_loss"]
            sec.steps.append(Step(nt.loss + r"_{\text{data}}", _chain(None, subst, data_loss, d)))
        else:
            sec.steps.append(Step(nt.loss, _chain(None, subst, v[it.prefix + "loss"], d, it.prefix + "loss", R), it.prefix + "loss", v[it.prefix + "loss"]))
    if p.l2:
        wsum = " + ".join(rf"\lVert {nt.sym('weight', l)} \rVert_F^2" for l in range(1, p.depth + 1))
        lam = numfmt.number(p.l2, 12)
        data_loss = trace.aux[it.prefix + "data_loss"]
        loss = v[it.prefix + "loss"]
        sec.steps.append(Step(nt.loss, _chain(
            rf"{nt.loss}_{{\text{{data}}}} + \frac{{\lambda}}{{2}}\left({wsum}\right)",
            rf"{_paren(data_loss, p.decimals)} + \frac{{{lam}}}{{2}} \cdot {numfmt.number(trace.aux[it.prefix + 'sq_weights'], d)}",
            loss, d, it.prefix + "loss", R), it.prefix + "loss", loss))
    for l in range(p.depth, 0, -1):
        for kind in ("W", "b"):
            name = f"{kind}{l}"
            g = v[f"{it.prefix}grad.{name}"]
            if m > 1:
                terms = " + ".join(numfmt.array(v[f"{it.example_prefix(n)}grad.{name}"], d) for n in range(1, m + 1))
                mean = rf"\frac{{1}}{{{m}}}\left({terms}\right)"
            else:
                mean = None
            if p.l2 and kind == "W":
                data_g = trace.aux[f"{it.prefix}data_grad.{name}"]
                form = rf"{nt.grad(name)}\Big|_{{\text{{data}}}} + \lambda {nt.param(name)}"
                subst = rf"{numfmt.array(data_g, d)} + {lam} {_op(v[f'{it.prefix}{name}'], d)}"
                if mean:
                    sec.steps.append(Step(nt.grad(name) + r"\Big|_{\text{data}}", _chain(mean, None, data_g, d)))
                sec.steps.append(Step(nt.grad(name), _chain(form, subst, g, d, f"{it.prefix}grad.{name}", R), f"{it.prefix}grad.{name}", g))
            elif mean:
                sec.steps.append(Step(nt.grad(name), _chain(None, mean, g, d, f"{it.prefix}grad.{name}", R), f"{it.prefix}grad.{name}", g))
    return sec


def _update(trace: Trace, it: Iteration, nt: Notation) -> Section:
    R = _rounded_paths(trace)
    p = trace.problem
    d = p.decimals
    v = trace.values
    sec = Section("Update")
    lr = numfmt.number(p.learning_rate, 12)
    for name in p.param_names():
        old, g, new = v[f"{it.prefix}{name}"], v[f"{it.prefix}grad.{name}"], v[f"{it.prefix}new.{name}"]
        sym = nt.param(name)
        if name in p.frozen:
            sec.steps.append(Step(sym + r"_{\text{new}}", [rf"{sym} = {numfmt.array(new, d)} \quad \text{{(frozen)}}"],
                                  f"{it.prefix}new.{name}", new))
            continue
        form = rf"{sym} - {nt.lr} \, {nt.grad(name)}"
        subst = rf"{numfmt.array(old, d)} - {lr} {_op(g, d)}"
        sec.steps.append(Step(sym + r"_{\text{new}}", _chain(form, subst, new, d, f"{it.prefix}new.{name}", R), f"{it.prefix}new.{name}", new))
    return sec


def _iteration_view(trace: Trace, it: Iteration, nt: Notation) -> IterationView:
    idx = [i + 1 for i in it.examples]
    if len(idx) == 1:
        caption = f"example {idx[0]}" if len(trace.problem.data) > 1 else "the training example"
    else:
        caption = "examples " + ", ".join(map(str, idx))
    sections = [_example_section(trace, it, n, nt) for n in range(1, len(it.examples) + 1)]
    return IterationView(it.t, caption, sections, _aggregate(trace, it, nt), _update(trace, it, nt))


def _summary(trace: Trace, nt: Notation) -> tuple[list[str], list[list[str]]]:
    """One row per iteration: its output(s), its loss and the parameters it started from."""
    p = trace.problem
    d = p.decimals
    v = trace.values
    names = p.param_names()
    head = [r"\text{Iteration}", nt.yhat, nt.loss, *(nt.param(n) for n in names)]
    rows = []
    for it in trace.iterations:
        yh = [v[f"{it.example_prefix(n)}yhat"] for n in range(1, len(it.examples) + 1)]
        yh_tex = ",\\ ".join(numfmt.array(y, d) for y in yh)
        rows.append([str(it.t), yh_tex, numfmt.number(v[f"{it.prefix}loss"], d),
                     *(numfmt.array(v[f"{it.prefix}{n}"], d) for n in names)])
    rows.append([r"\text{final}", "", "", *(numfmt.array(v[f"final.{n}"], d) for n in names)])
    return head, rows


def _op(values, d: int) -> str:
    """An operand in a substituted product or sum: a bmatrix, or a scalar in parentheses if negative."""
    arr = np.asarray(values)
    return numfmt.array(arr, d) if arr.size > 1 else _paren(arr.reshape(-1)[0], d)


def _T(sym: str) -> str:
    """The transpose of a symbol that may already carry a superscript."""
    return f"{{{sym}}}^\\top"


def _paren(x: float, d: int) -> str:
    s = numfmt.number(x, d)
    return f"({s})" if s.startswith("-") or "times" in s else s


def _names(nt: Notation, l: int) -> dict:
    """Display names of the symbolic unit variables for layer l."""
    return {S.y: nt.y, S.yh: nt.yhat, S.h: nt.sym("act", l), S.a: nt.sym("pre", l)}


def _value_tex(x: float, d: int) -> str:
    """A number standing in for a symbol: parenthesized where it could misparse."""
    return _paren(x, d)


def _per_unit(expr, names: dict, arrays: dict, d: int) -> str:
    """`expr` printed once per unit with that unit's values; a column for several units."""
    n = len(next(iter(arrays.values())))
    items = [S.to_latex(expr, names, {sym: _value_tex(vals[k], d) for sym, vals in arrays.items()}) for k in range(n)]
    if n == 1:
        return items[0]
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def _loss_lines(loss: str, n_out: int, y, yhat, d: int, nt: Notation) -> tuple[str, str]:
    """The loss formula and its substitution; several outputs are written out term by term."""
    term = S.loss_expr(loss, n_out)
    if n_out == 1:
        names = {S.y: nt.y, S.yh: nt.yhat}
        return S.to_latex(term, names), S.to_latex(term, names, {S.y: _value_tex(y[0], d), S.yh: _value_tex(yhat[0], d)})
    names = {S.y: f"{nt.y}_k", S.yh: f"{nt.yhat}_k"}
    form = rf"\sum_{{k=1}}^{{{n_out}}} \left[{S.to_latex(term, names)}\right]"
    parts = [S.to_latex(term, names, {S.y: _value_tex(y[k], d), S.yh: _value_tex(yhat[k], d)}) for k in range(n_out)]
    return form, " + ".join(rf"\left[{t}\right]" for t in parts)


def _elementwise(f, values, d: int) -> str:
    """f applied to each element's display, as a column (or scalar)."""
    vals = np.asarray(values).reshape(-1)
    items = [f(numfmt.number(x, d)) for x in vals]  # the formulas already parenthesize their argument
    if len(items) == 1:
        return items[0]
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def _derivation(p, nt: Notation) -> list[Step]:
    """The general formulas for one output unit k and one hidden unit i, derived by sympy."""
    L = p.depth
    n_out = p.layers[-1]
    out_act = p.activations[-1]
    k = "k" if n_out > 1 else ""

    def sub(sym: str, idx: str) -> str:
        return f"{sym}_{{{idx}}}" if idx else sym

    out_names = {S.y: sub(nt.y, k), S.yh: sub(nt.yhat, k), S.h: sub(nt.yhat, k), S.a: sub(nt.sym("pre", L), k)}
    yk, yhk, ak = out_names[S.y], out_names[S.yh], out_names[S.a]
    steps = []
    term = S.to_latex(S.loss_expr(p.loss, n_out), out_names)
    steps.append(Step(nt.loss, [rf"\sum_{{k=1}}^{{{n_out}}} \left[{term}\right]" if n_out > 1 else term]))
    dl = S.loss_derivative(p.loss, n_out)
    steps.append(Step(rf"\frac{{\partial {nt.loss}}}{{\partial {yhk}}}", [S.to_latex(dl, out_names)]))
    delta_out = S.output_delta(p.loss, out_act, n_out)
    dL = sub(nt.sym("delta", L), k)
    if out_act == "softmax":
        steps.append(Step(rf"\frac{{\partial {nt.yhat}_j}}{{\partial {ak}}}", [rf"{nt.yhat}_j \left([j = k] - {yhk}\right)"]))
        chain = rf"\sum_j \frac{{\partial {nt.loss}}}{{\partial {nt.yhat}_j}} \frac{{\partial {nt.yhat}_j}}{{\partial {ak}}}"
        steps.append(Step(dL, [chain, S.to_latex(delta_out, out_names) + r" \quad \text{(as } \textstyle\sum_j " + nt.y + r"_j = 1\text{)}"]))
    else:
        g = S.activation_derivative(out_act)
        steps.append(Step(rf"\frac{{\partial {yhk}}}{{\partial {ak}}}", [S.to_latex(g.expr, out_names)]))
        product = rf"{_factor(dl, out_names)} {_factor(g.expr, out_names)}"
        steps.append(Step(dL, [rf"\frac{{\partial {nt.loss}}}{{\partial {yhk}}} \frac{{\partial {yhk}}}{{\partial {ak}}}",
                               product, S.to_latex(delta_out, out_names)]))
    prev = sub(nt.sym("act", L - 1), "j")
    w_out = rf"\frac{{\partial {nt.loss}}}{{\partial {nt.sym('weight', L)}_{{{k or 1}j}}}}"
    steps.append(Step(w_out, [rf"{dL} \, {prev}", rf"{_factor(delta_out, out_names)} \, {prev}"]))
    if L >= 2:
        l = L - 1
        act = p.activations[l - 1]
        hid = {S.h: sub(nt.sym("act", l), "i"), S.a: sub(nt.sym("pre", l), "i")}
        gexpr = S.activation_derivative(act).expr
        g = _factor(gexpr, hid)
        inp = sub(nt.sym("act", l - 1), "j")
        if n_out == 1 and l + 1 == L:
            back = rf"{_factor(delta_out, out_names)} \, {nt.sym('weight', L)}_{{1i}}"
        else:
            back = rf"\sum_m {sub(nt.sym('delta', l + 1), 'm')} \, {nt.sym('weight', l + 1)}_{{mi}}"
        dl_hidden = sub(nt.sym("delta", l), "i")
        steps.append(Step(dl_hidden, [rf"g'({hid[S.a]}) \sum_m {sub(nt.sym('delta', l + 1), 'm')} \, {nt.sym('weight', l + 1)}_{{mi}}",
                                      rf"{g} \, {back}" if g != "1" else back]))
        steps.append(Step(rf"\frac{{\partial {nt.loss}}}{{\partial {nt.sym('weight', l)}_{{ij}}}}",
                          [rf"{dl_hidden} \, {inp}", rf"{g} \, {back} \, {inp}" if g != "1" else rf"{back} \, {inp}"]))
    return steps


def _factor(expr, names: dict) -> str:
    """`expr` printed as a factor of a product: a sum gets parentheses."""
    tex = S.to_latex(expr, names)
    return rf"\left({tex}\right)" if isinstance(expr, S.sp.Add) else tex
