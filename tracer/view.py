"""Trace -> View: the worked example as rows of steps, each with its value and display string.

A step reads `lhs = chain[0] = chain[1] = ... `: the general formula, the
formula with numbers substituted, and the result. Every string here is LaTeX
math (Markdown handouts use the same math), every number comes from the
trace and is formatted by `numfmt`, every formula from `symbolic`; templates
only lay steps out. Symbols and the shape in which weights are shown come from
the problem's notation profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import numfmt
from . import symbolic as S
from .arithmetic import EXACT_DIGITS
from .engine import Iteration, Trace
from .notation import Notation

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
        """Start a new phase and return its list of steps."""
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
    initial: list[list[Step]]  # one row per layer: its parameters as the notation shows them
    data_head: list[str]
    data_rows: list[list[str]]  # example number, x as a row, y as a row
    derivation: list[Step]  # the chain rule for an output and a hidden weight, simplified by sympy
    iterations: list[IterationView]
    summary_head: list[str]
    summary_rows: list[list[str]]
    notation: Notation


class _Ctx:
    """What every step builder needs: the trace, its notation, digits, and by-hand rounding marks."""

    def __init__(self, trace: Trace, nt: Notation):
        self.trace, self.nt = trace, nt
        self.p = trace.problem
        self.d = trace.problem.decimals
        self.v = trace.values
        self.rounded = trace.rounded if trace.arithmetic == "by-hand" else None

    def fmt(self, x) -> str:
        return numfmt.array(x, self.d)

    def op(self, x) -> str:
        """An operand in a product or sum: a bmatrix, or a scalar in parentheses if negative."""
        arr = np.asarray(x)
        return numfmt.array(arr, self.d) if arr.size > 1 else _paren(arr.reshape(-1)[0], self.d)

    def mat(self, x) -> str:
        return numfmt.array(x, self.d, scalar_if_single=False)

    def chain(self, formula: str | None, substituted: str | None, value, path: str = "") -> list[str]:
        """[formula, substituted, value] without repeats; the last link says = or approx.

        `=` when the digits shown are the exact value; in by-hand arithmetic, when
        the computation needed no rounding at `decimals` places.
        """
        links = [s for s in (formula, substituted) if s]
        final = numfmt.array(value, self.d)
        if links and links[-1] == final:
            links.pop()
        if self.rounded is not None and path:
            rel = r"\approx" if path in self.rounded else "="
        else:
            rel = "=" if numfmt.all_exact(value, self.d) else r"\approx"
        if rel == "=":
            return [*links, final]
        if links:  # `a = b \approx value`: the approx belongs to the last link only
            links[-1] = f"{links[-1]} {rel} {final}"
            return links
        return [rf"{rel} {final}"]

    # -- parameters as the notation shows them ------------------------------------
    def shown(self, l: int, W, b) -> list[tuple[str, np.ndarray, str]]:
        """(symbol, matrix, canonical name) of layer l's parameters in the notation's layout."""
        nt = self.nt
        if nt.augmented:
            return [(nt.sym("weight", l), _augment(nt, W, b), f"W{l}")]
        return [(nt.sym("weight", l), W.T if nt.transposed else W, f"W{l}"), (nt.sym("bias", l), b, f"b{l}")]

    def shown_at(self, prefix: str, l: int):
        return self.shown(l, self.v[f"{prefix}W{l}"], self.v[f"{prefix}b{l}"])


def _augment(nt: Notation, W, b):
    """The in-out weight matrix with the bias as its last (layered) or first (node: x_0 = 1) row."""
    rows = [W.T, np.asarray(b).reshape(1, -1)]
    return np.vstack(rows if nt.profile.bias_mode == "last" else rows[::-1])


def _with_one(nt: Notation, h):
    h = np.asarray(h).reshape(-1)
    one = h[:1] * 0 + 1
    return np.concatenate([h, one] if nt.profile.bias_mode == "last" else [one, h])


def build_view(trace: Trace, notation: Notation | None = None) -> View:
    """Lay out every number of `trace` as steps, in computation order."""
    p = trace.problem
    nt = notation or p.notation.bind(p.depth)
    c = _Ctx(trace, nt)
    d = p.decimals

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
    if nt.profile.name != "default":
        setup.append(("Notation", f"{nt.profile.name}: {nt.profile.description}"))
    if nt.augmented:
        where = "last" if nt.profile.bias_mode == "last" else "first"
        setup.append(("Biases", f"the {where} row of each weight matrix, acting on an input augmented with 1; "
                                "backpropagation leaves that row out"))

    initial = [[Step(sym, [c.fmt(mat)], path=f"iter1.{name}", value=mat)
                for sym, mat, name in c.shown(l, p.params[f"W{l}"], p.params[f"b{l}"])]
               for l in range(1, p.depth + 1)]
    data_head = [r"\text{Example}", _T(nt.x), _T(nt.y) if p.layers[-1] > 1 else nt.y]
    data_rows = [[str(i), numfmt.row(ex.x, d), numfmt.row(ex.y, d)] for i, ex in enumerate(p.data, 1)]

    from .derivation import derivation_steps

    iterations = [_iteration_view(c, it) for it in trace.iterations]
    head, rows = _summary(c)
    return View(p.title, p.description, setup, initial, data_head, data_rows, derivation_steps(p, nt),
                iterations, head, rows, nt)


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


def _forward(c: _Ctx, it: Iteration, e: str, steps: list[Step]) -> None:
    nt, p, v = c.nt, c.p, c.v
    L = p.depth
    for l in range(1, L + 1):
        W, b = v[f"{it.prefix}W{l}"], v[f"{it.prefix}b{l}"]
        hp = v[f"{e}h{l - 1}"] if l > 1 else v[e + "x"]
        a = v[f"{e}a{l}"]
        wsym, prev = nt.sym("weight", l), nt.sym("act", l - 1)
        if nt.augmented:
            tilde = rf"\tilde{{{prev}}}"
            formula = f"{_T(wsym)} {tilde}"
            subst = f"{c.mat(_augment(nt, W, b).T)} {c.op(_with_one(nt, hp))}"
        else:
            formula = f"{_T(wsym) if nt.transposed else wsym} {prev} + {nt.sym('bias', l)}"
            subst = f"{c.mat(W)} {c.op(hp)} + {c.op(b)}"
        steps.append(Step(nt.sym("pre", l), c.chain(formula, subst, a, f"{e}a{l}"), f"{e}a{l}", a))
        act = p.activations[l - 1]
        g_tex = ACT_TEX[act]
        h = v[f"{e}h{l}"]
        formula = g_tex.format(a=nt.sym("pre", l))
        if act == "softmax":
            subst = g_tex.format(a=c.fmt(a))
        else:
            subst = _column([g_tex.format(a=numfmt.number(x, c.d)) for x in np.ravel(a)])
        out = nt.sym("act", l)
        lhs = out if l < L or out == nt.yhat else f"{nt.yhat} = {out}"
        steps.append(Step(lhs, c.chain(formula, subst, h, f"{e}h{l}"), f"{e}h{l}", h))


def _example_section(c: _Ctx, it: Iteration, n: int) -> Section:
    nt, p, v, d = c.nt, c.p, c.v, c.d
    e = it.example_prefix(n)
    L = p.depth
    index = it.examples[n - 1] + 1
    sec = Section(f"Example {index}" if len(p.data) > 1 else "Example")
    _forward(c, it, e, sec.part("Forward pass"))

    steps = sec.part("Loss")
    y, yhat = v[e + "y"], v[e + "yhat"]
    n_out = p.layers[-1]
    form, subst = _loss_lines(p.loss, n_out, y, yhat, d, nt)
    if len(it.examples) == 1 and p.l2:
        loss_val = c.trace.aux[it.prefix + "data_loss"]
        steps.append(Step(nt.loss + r"_{\text{data}}", c.chain(form, subst, loss_val), "", loss_val))
    else:
        loss_val = v[e + "loss"]
        steps.append(Step(nt.loss, c.chain(form, subst, loss_val, e + "loss"), e + "loss", loss_val))

    steps = sec.part("Backward pass")
    dl = v[e + "dL_dyhat"]
    out_names = _names(nt, L)
    dl_expr = S.loss_derivative(p.loss, n_out)
    dl_lhs = rf"\frac{{\partial {nt.loss}}}{{\partial {nt.yhat}}}"
    steps.append(Step(dl_lhs, c.chain(S.to_latex(dl_expr, out_names),
                                      _per_unit(dl_expr, out_names, {S.y: y, S.yh: yhat}, d), dl, e + "dL_dyhat"),
                      e + "dL_dyhat", dl))
    for l in range(L, 0, -1):
        act = p.activations[l - 1]
        delta = v[f"{e}delta{l}"]
        names = _names(nt, l)
        gp_sym = f"g'({nt.sym('pre', l)})"
        if act != "softmax":
            gp = v[f"{e}gprime{l}"]
            gexpr = S.activation_derivative(act).expr
            units = {S.h: v[f"{e}h{l}"], S.a: v[f"{e}a{l}"]}
            steps.append(Step(gp_sym, c.chain(S.to_latex(gexpr, names), _per_unit(gexpr, names, units, d), gp,
                                              f"{e}gprime{l}"), f"{e}gprime{l}", gp))
        if l == L:
            simplified = S.output_delta(p.loss, act, n_out)
            unit_vals = {S.y: y, S.yh: yhat, S.a: v[f"{e}a{l}"]}
            chain_rule = None if act == "softmax" else rf"\frac{{\partial {nt.loss}}}{{\partial {nt.yhat}}} \odot {gp_sym}"
            links = [x for x in (chain_rule, S.to_latex(simplified, out_names)) if x]
            tail = c.chain(links[-1], _per_unit(simplified, out_names, unit_vals, d), delta, f"{e}delta{l}")
            steps.append(Step(nt.sym("delta", l), [*links[:-1], *tail], f"{e}delta{l}", delta))
        else:
            Wn = v[f"{it.prefix}W{l + 1}"]
            if nt.transposed:  # in-out weights times delta; the bias row (if any) left out
                wsym = nt.sym("weight", l + 1)
                form = rf"{gp_sym} \odot \left({wsym} {nt.sym('delta', l + 1)}\right)"
            else:
                form = rf"{gp_sym} \odot \left({_T(nt.sym('weight', l + 1))} {nt.sym('delta', l + 1)}\right)"
            subst = rf"{c.fmt(v[f'{e}gprime{l}'])} \odot \left({c.mat(Wn.T)} {c.op(v[f'{e}delta{l + 1}'])}\right)"
            steps.append(Step(nt.sym("delta", l), c.chain(form, subst, delta, f"{e}delta{l}"), f"{e}delta{l}", delta))

    steps = sec.part("Gradients" if len(it.examples) == 1 else "Gradients for this example")
    single = len(it.examples) == 1
    for l in range(L, 0, -1):
        hp = v[f"{e}h{l - 1}"] if l > 1 else v[e + "x"]
        dsym, prev = nt.sym("delta", l), nt.sym("act", l - 1)
        grads = {}
        for kind in ("W", "b"):
            name = f"{kind}{l}"
            if not single:
                grads[name] = (f"{e}grad.{name}", v[f"{e}grad.{name}"])
            elif p.l2 and kind == "W":
                grads[name] = ("", c.trace.aux[f"{it.prefix}data_grad.{name}"])
            else:
                grads[name] = (f"{it.prefix}grad.{name}", v[f"{it.prefix}grad.{name}"])
        data_mark = r"\Big|_{\text{data}}" if (p.l2 and single) else ""
        delta = v[f"{e}delta{l}"]
        if nt.augmented:
            g = _augment(nt, grads[f"W{l}"][1], grads[f"b{l}"][1])
            tilde = rf"\tilde{{{prev}}}"
            steps.append(Step(nt.grad(f"W{l}") + data_mark,
                              c.chain(rf"{tilde} \, {_T(dsym)}", rf"{c.op(_with_one(nt, hp))} {numfmt.row(delta, d)}", g,
                                      grads[f"W{l}"][0]), grads[f"W{l}"][0], g))
            continue
        path, g = grads[f"W{l}"]
        if nt.transposed:
            form, subst, shown = rf"{prev} \, {_T(dsym)}", rf"{c.op(hp)} {numfmt.row(delta, d)}", g.T
        else:
            form, subst, shown = rf"{dsym} \, {_T(prev)}", rf"{c.op(delta)} {numfmt.row(hp, d)}", g
        steps.append(Step(nt.grad(f"W{l}") + data_mark, c.chain(form, subst, shown, path), path, g))
        path, g = grads[f"b{l}"]
        steps.append(Step(nt.grad(f"b{l}"), c.chain(dsym, None, g, path), path, g))
    return sec


def _aggregate(c: _Ctx, it: Iteration) -> Section | None:
    nt, p, v, d = c.nt, c.p, c.v, c.d
    m = len(it.examples)
    if m == 1 and not p.l2:
        return None
    sec = Section("Gradient of the iteration" if m > 1 else "Regularization")
    pre = it.prefix
    if m > 1:
        sec.note = f"The loss and the gradients are means over the {m} examples of this iteration."
        losses = [v[f"{it.example_prefix(n)}loss"] for n in range(1, m + 1)]
        subst = rf"\frac{{1}}{{{m}}}\left(" + " + ".join(_paren(x, d) for x in losses) + r"\right)"
        if p.l2:
            sec.steps.append(Step(nt.loss + r"_{\text{data}}", c.chain(None, subst, c.trace.aux[pre + "data_loss"])))
        else:
            sec.steps.append(Step(nt.loss, c.chain(None, subst, v[pre + "loss"], pre + "loss"), pre + "loss", v[pre + "loss"]))
    lam = numfmt.number(p.l2, 12)
    if p.l2:
        wsum = " + ".join(rf"\lVert {nt.sym('weight', l)} \rVert_F^2" for l in range(1, p.depth + 1))
        loss = v[pre + "loss"]
        sec.steps.append(Step(nt.loss, c.chain(
            rf"{nt.loss}_{{\text{{data}}}} + \frac{{\lambda}}{{2}}\left({wsum}\right)",
            rf"{_paren(c.trace.aux[pre + 'data_loss'], d)} + \frac{{{lam}}}{{2}} \cdot {numfmt.number(c.trace.aux[pre + 'sq_weights'], d)}",
            loss, pre + "loss"), pre + "loss", loss))
    for l in range(p.depth, 0, -1):
        per_example = [c.shown(l, v[f"{it.example_prefix(n)}grad.W{l}"], v[f"{it.example_prefix(n)}grad.b{l}"])
                       for n in range(1, m + 1)] if m > 1 else None
        data = c.shown(l, c.trace.aux[f"{pre}data_grad.W{l}"], v[f"{pre}grad.b{l}"]) if p.l2 else None
        total = c.shown_at(pre + "grad.", l)
        weights = c.shown(l, v[f"{pre}W{l}"], v[f"{pre}b{l}"] * 0)
        for i, (sym, g, name) in enumerate(total):
            lhs = rf"\frac{{\partial {nt.loss}}}{{\partial {sym}}}"
            mean = None
            if per_example:
                mean = rf"\frac{{1}}{{{m}}}\left(" + " + ".join(c.fmt(ex[i][1]) for ex in per_example) + r"\right)"
            if p.l2 and name.startswith("W"):
                if mean:
                    sec.steps.append(Step(lhs + r"\Big|_{\text{data}}", c.chain(mean, None, data[i][1])))
                form = rf"{lhs}\Big|_{{\text{{data}}}} + \lambda {sym}" + (r"_{\text{weights}}" if nt.augmented else "")
                subst = rf"{c.fmt(data[i][1])} + {lam} {c.op(weights[i][1])}"
                sec.steps.append(Step(lhs, c.chain(form, subst, g, f"{pre}grad.{name}"), f"{pre}grad.{name}", g))
            elif mean:
                sec.steps.append(Step(lhs, c.chain(None, mean, g, f"{pre}grad.{name}"), f"{pre}grad.{name}", g))
    return sec


def _update(c: _Ctx, it: Iteration) -> Section:
    nt, p = c.nt, c.p
    sec = Section("Update")
    lr = numfmt.number(p.learning_rate, 12)
    pre = it.prefix
    for l in range(1, p.depth + 1):
        old, grad, new = c.shown_at(pre, l), c.shown_at(pre + "grad.", l), c.shown_at(pre + "new.", l)
        for (sym, o, name), (_, g, _), (_, n, _) in zip(old, grad, new):
            frozen = [x for x in (f"W{l}", f"b{l}") if x in p.frozen and (x == name or nt.augmented)]
            path = f"{pre}new.{name}"
            if frozen and (not nt.augmented or len(frozen) == 2):
                sec.steps.append(Step(sym + r"_{\text{new}}", [rf"{sym} = {c.fmt(n)} \quad \text{{(frozen)}}"], path, n))
                continue
            form = rf"{sym} - {nt.lr} \, \frac{{\partial {nt.loss}}}{{\partial {sym}}}"
            subst = rf"{c.fmt(o)} - {lr} {c.op(g)}"
            note = rf" \quad \text{{({', '.join(frozen)} frozen)}}" if frozen else ""
            chain = c.chain(form, subst, n, path)
            chain[-1] += note
            sec.steps.append(Step(sym + r"_{\text{new}}", chain, path, n))
    return sec


def _iteration_view(c: _Ctx, it: Iteration) -> IterationView:
    idx = [i + 1 for i in it.examples]
    if len(idx) == 1:
        caption = f"example {idx[0]}" if len(c.p.data) > 1 else "the training example"
    else:
        caption = "examples " + ", ".join(map(str, idx))
    sections = [_example_section(c, it, n) for n in range(1, len(it.examples) + 1)]
    for sec in sections:
        sec.steps = [s for part in sec.parts for s in part.steps]
    return IterationView(it.t, caption, sections, _aggregate(c, it), _update(c, it))


def _summary(c: _Ctx) -> tuple[list[str], list[list[str]]]:
    """One row per iteration: its output(s), its loss and the parameters it started from."""
    nt, p, v, d = c.nt, c.p, c.v, c.d
    layers = range(1, p.depth + 1)
    head = [r"\text{Iteration}", nt.yhat, nt.loss,
            *(sym for l in layers for sym, _, _ in c.shown_at("iter1.", l))]
    rows = []
    for it in c.trace.iterations:
        yh = [v[f"{it.example_prefix(n)}yhat"] for n in range(1, len(it.examples) + 1)]
        rows.append([str(it.t), ",\\ ".join(numfmt.array(y, d) for y in yh), numfmt.number(v[f"{it.prefix}loss"], d),
                     *(c.fmt(m) for l in layers for _, m, _ in c.shown_at(it.prefix, l))])
    rows.append([r"\text{final}", "", "", *(c.fmt(m) for l in layers for _, m, _ in c.shown_at("final.", l))])
    return head, rows


def _T(sym: str) -> str:
    """The transpose of a symbol that may already carry a superscript."""
    return f"{{{sym}}}^\\top"


def _paren(x, d: int) -> str:
    s = numfmt.number(x, d)
    return f"({s})" if s.startswith("-") or "times" in s else s


def _column(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def _names(nt: Notation, l: int) -> dict:
    """Display names of the symbolic unit variables for layer l (the output layer's h is yhat)."""
    return {S.y: nt.y, S.yh: nt.yhat, S.h: nt.yhat if l == nt.depth else nt.sym("act", l), S.a: nt.sym("pre", l)}


def _per_unit(expr, names: dict, arrays: dict, d: int) -> str:
    """`expr` printed once per unit with that unit's values; a column for several units."""
    n = len(next(iter(arrays.values())))
    return _column([S.to_latex(expr, names, {sym: _paren(vals[k], d) for sym, vals in arrays.items()}) for k in range(n)])


def _loss_lines(loss: str, n_out: int, y, yhat, d: int, nt: Notation) -> tuple[str, str]:
    """The loss formula and its substitution; several outputs are written out term by term."""
    term = S.loss_expr(loss, n_out)
    if n_out == 1:
        names = {S.y: nt.y, S.yh: nt.yhat}
        return S.to_latex(term, names), S.to_latex(term, names, {S.y: _paren(y[0], d), S.yh: _paren(yhat[0], d)})
    names = {S.y: f"{nt.y}_k", S.yh: f"{nt.yhat}_k"}
    form = rf"\sum_{{k=1}}^{{{n_out}}} \left[{S.to_latex(term, names)}\right]"
    parts = [S.to_latex(term, names, {S.y: _paren(y[k], d), S.yh: _paren(yhat[k], d)}) for k in range(n_out)]
    return form, " + ".join(rf"\left[{t}\right]" for t in parts)
