"""Trace -> View for the perceptron rule: the network's handout layout, the perceptron's steps.

Each iteration: the forward pass (a = W x + b, yhat = step(a) or sgn(a)), the error
e = y - yhat, and the update W <- W + eta e x^T, b <- b + eta e, with the numbers
substituted through the same printing API as backprop's (Context.product/sum/chain),
so the two handouts of one data set read side by side.
"""

from __future__ import annotations

import numpy as np

from ..engine.trace import Iteration, Trace
from ..problem.notation import Notation
from . import numfmt
from .figures import network_figures
from .steps import IterationView, Section, Step, View
from .view_context import (
    ACT_NAME,
    ACT_TEX,
    Context,
    T,
    augment,
    column,
    parameter_lines,
    tilde,
    with_one,
)
from .view_network import _symbols, mode_text

RULE_TEXT = ("the perceptron rule: the error is the target minus the output, and each weight moves by the "
             "learning rate times the error times its input (a bias's input is 1); no loss, no gradient")


def build_perceptron_view(trace: Trace, notation: Notation | None = None) -> View:
    p = trace.problem
    nt = notation or p.notation.bind(p.depth)
    c = Context(trace, nt)
    d = p.decimals
    act = p.activations[0]
    setup = [
        ("Network", "layers " + " \u2013 ".join(str(k) for k in p.layers) + " (input first), a single layer"),
        ("Activation", ACT_NAME[act]),
        ("Rule", RULE_TEXT),
        ("Training", mode_text(p)),
    ]
    if p.sig_figs is not None:
        setup.append(("Rounding", f"every number shown to {p.sig_figs} significant figures"))
    if trace.arithmetic == "by-hand":
        places = f"{p.sig_figs} significant figures" if p.sig_figs else f"{d} decimal places"
        setup.append(("Arithmetic", f"by hand: every intermediate rounded to {places} before it is used further"))
    setup += parameter_lines(p, nt, "the weight matrix")
    initial = [[Step(sym, [c.fmt(mat)], path=f"iter1.{name}", value=mat)
                for sym, mat, name in c.shown(1, p.params["W1"], p.params["b1"])]]
    data_head = [r"\text{Example}", T(nt.x), T(nt.y) if p.layers[-1] > 1 else nt.y]
    data_rows = [[str(i), numfmt.row(ex.x, d), numfmt.row(ex.y, d)] for i, ex in enumerate(p.data, 1)]
    iterations = [_iteration(c, it, act) for it in trace.iterations]
    head, rows, words, owner = _summary(c)
    symbols = _symbols(c).replace(rf"\text{{loss }} {nt.loss},\ ", "") if nt.profile.name != "default" else ""
    return View(p.title, p.description, setup, initial, data_head, data_rows, [], iterations, head, rows, nt,
                summary_words=words, summary_layers=owner, symbols=symbols,
                figures=network_figures(c, p.figures))  # a single-layer network: the network's figure


def error_symbol(nt: Notation) -> str:
    return "e"


def _iteration(c: Context, it: Iteration, act: str) -> IterationView:
    nt, v, p = c.nt, c.v, c.p
    pre = it.prefix
    index = it.examples[0] + 1
    sec = Section(f"Example {index}" if len(p.data) > 1 else "Example")
    steps = sec.part("Forward pass")
    W, b, x, a = v[pre + "W1"], v[pre + "b1"], v[pre + "x"], v[pre + "a1"]
    wsym, asym = nt.sym("weight", 1), nt.sym("pre", 1)
    if nt.augmented:
        formula = f"{T(wsym)} {tilde(nt.x)}"
        subst = c.product(c.mat(augment(nt, W, b).T), with_one(nt, x))
    else:
        formula = f"{T(wsym) if nt.transposed_at(1) else wsym} {nt.x} + {nt.sym('bias', 1)}"
        subst = f"{c.product(c.mat(W), x)} + {c.term(b)}"
    steps.append(Step(asym, c.chain(formula, subst, a, pre + "a1"), pre + "a1", a))
    tex = ACT_TEX[act]
    yhat = v[pre + "yhat"]
    steps.append(Step(nt.yhat, c.chain(tex.format(a=asym), column([tex.format(a=c.num(z)) for z in np.ravel(a)]),
                                       yhat, pre + "yhat"), pre + "yhat", yhat))
    steps = sec.part("Error")
    y, e = v[pre + "y"], v[pre + "error"]
    esym = error_symbol(nt)
    steps.append(Step(esym, c.chain(f"{nt.y} - {nt.yhat}", f"{c.fmt(y)} - {c.term(yhat)}", e, pre + "error"),
                      pre + "error", e))
    sec.steps = [s for part in sec.parts for s in part.steps]
    caption = f"example {index}" if len(p.data) > 1 else "the training example"
    return IterationView(it.t, caption, [sec], None, _update(c, it))


def _update(c: Context, it: Iteration) -> Section:
    """new = old + eta e x^T (weights), old + eta e (biases), shown in the notation's layout."""
    nt, v, p = c.nt, c.v, c.p
    pre = it.prefix
    sec = Section("Update")
    lr = numfmt.number(p.learning_rate, 12)
    e, x = v[pre + "error"], v[pre + "x"]
    esym = error_symbol(nt)
    old, new = c.shown_at(pre, 1), c.shown_at(pre + "new.", 1)
    for (sym, o, name), (_, n, _) in zip(old, new):
        path = f"{pre}new.{name}"
        frozen = [q for q in ("W1", "b1") if q in p.frozen and (q == name or nt.augmented)]
        if frozen and (not nt.augmented or len(frozen) == 2):
            sec.steps.append(Step(sym + r"_{\text{new}}", [rf"{sym} = {c.fmt(n)} \quad \text{{(frozen)}}"], path, n))
            continue
        if nt.augmented:  # the bias row's input is the constant 1
            form = rf"{sym} + {nt.lr} \, {tilde(nt.x)} \, {esym}^\top"
            subst = c.sum([c.fmt(o), c.product(lr, with_one(nt, x), c.row(e))])
        elif name == "W1":
            if nt.transposed_at(1):
                form = rf"{sym} + {nt.lr} \, {nt.x} \, {esym}^\top"
                subst = c.sum([c.fmt(o), c.product(lr, x, c.row(e))])
            else:
                form = rf"{sym} + {nt.lr} \, {esym} \, {T(nt.x)}"
                subst = c.sum([c.fmt(o), c.product(lr, e, c.row(x))])
        else:
            form = rf"{sym} + {nt.lr} \, {esym}"
            subst = c.sum([c.fmt(o), c.product(lr, e)])
        chain = c.chain(form, subst, n, path)
        if frozen:
            chain[-1] += rf" \quad \text{{({', '.join(frozen)} frozen)}}"
        sec.steps.append(Step(sym + r"_{\text{new}}", chain, path, n))
    return sec


def _summary(c: Context):
    """One row per iteration: the output, the error and the parameters it started from."""
    nt, v, d = c.nt, c.v, c.d
    head, words, owner = ["", nt.yhat, error_symbol(nt)], ["iteration", "predicted output", "error"], [0, 0, 0]
    for sym, _, name in c.shown_at("iter1.", 1):
        head.append(sym)
        words.append(("weights and biases" if nt.augmented else "weights") if name.startswith("W") else "biases")
        owner.append(1)
    rows = []
    for it in c.trace.iterations:
        rows.append([str(it.t), numfmt.array(v[it.prefix + "yhat"], d), numfmt.array(v[it.prefix + "error"], d),
                     *(c.fmt(m) for _, m, _ in c.shown_at(it.prefix, 1))])
    rows.append([r"\text{final}", "", "", *(c.fmt(m) for _, m, _ in c.shown_at("final.", 1))])
    return head, rows, words, owner
