"""The network View's per-iteration sections: forward pass, loss, backward pass, gradients,
the batch mean and regularization, and the update."""

from __future__ import annotations

import numpy as np

from ..engine.functions import loss_scale
from ..engine.trace import Iteration
from ..problem.notation import Notation
from . import numfmt
from . import formulas as F
from .steps import IterationView, Section, Step
from .view_context import (
    Context,
    T,
    act_tex,
    augment,
    column,
    per_unit,
    tilde,
    unit_latex,
    unit_names,
    with_one,
)
from .view_factored import factored_backward


def _forward(c: Context, it: Iteration, e: str, steps: list[Step]) -> None:
    nt, p, v = c.nt, c.p, c.v
    L = p.depth
    for l in range(1, L + 1):
        W, b = v[f"{it.prefix}W{l}"], v[f"{it.prefix}b{l}"]
        hp = v[f"{e}h{l - 1}"] if l > 1 else v[e + "x"]
        a = v[f"{e}a{l}"]
        wsym, prev = nt.sym("weight", l), nt.sym("act", l - 1)
        if nt.augmented:
            formula = f"{T(wsym)} {tilde(prev)}"
            subst = c.product(c.mat(augment(nt, W, b).T), with_one(nt, hp))
        else:
            formula = f"{T(wsym) if nt.transposed_at(l) else wsym} {prev} + {nt.sym('bias', l)}"
            subst = f"{c.product(c.mat(W), hp)} + {c.term(b)}"
        steps.append(Step(nt.sym("pre", l), c.chain(formula, subst, a, f"{e}a{l}"), f"{e}a{l}", a))
        act = p.activations[l - 1]
        g_tex = act_tex(nt, act)
        h = v[f"{e}h{l}"]
        formula = g_tex.format(a=nt.sym("pre", l))
        if act == "softmax":
            subst = g_tex.format(a=c.fmt(a))
        else:
            subst = column([g_tex.format(a=c.num(x)) for x in np.ravel(a)])
        out = nt.sym("act", l)
        lhs = out if l < L or out == nt.yhat else f"{nt.yhat} = {out}"
        sat = c.saturation(e, l)
        steps.append(Step(lhs, c.chain(formula, subst, h, f"{e}h{l}", approx=sat is not None), f"{e}h{l}", h))
        if sat is not None:
            steps.append(_complement_step(c, e, l, act, a, sat))


def _complement_step(c: Context, e: str, l: int, act: str, a, sat) -> Step:
    """1 - h(l) (1 - h(l)^2 for tanh) of a saturated layer, computed from a(l) without cancellation
    (view_context.Saturation): sigmoid(-a), 4 / (e^a + e^-a)^2, or the other softmax outputs."""
    nt = c.nt
    out = nt.yhat if l == nt.depth else nt.sym("act", l)
    a_sym = nt.sym("pre", l)
    a = np.ravel(a)
    if act == "sigmoid":
        lhs, form = f"1 - {out}", rf"\sigma(-{a_sym})"
        subst = column([rf"\sigma({c.num(-x)})" for x in a])
    elif act == "tanh":
        lhs, form = rf"1 - \left({out}\right)^{{2}}", rf"\frac{{4}}{{\left(e^{{{a_sym}}} + e^{{-{a_sym}}}\right)^{{2}}}}"
        subst = column([rf"\frac{{4}}{{\left(\exp({c.num(x)}) + \exp({c.num(-x)})\right)^{{2}}}}" for x in a])
    else:  # softmax: the other outputs' sum, each as printed above
        h = np.ravel(c.v[f"{e}h{l}"])
        lhs, form = f"1 - {out}_k", rf"\sum_{{j \ne k}} {out}_j"
        subst = column([c.sum([x for j, x in enumerate(h) if j != k]) for k in range(len(h))])
    return Step(lhs, [form, rf"{subst} \approx {sat.column()}"], f"{e}comp{l}", sat.comp)


def _example_section(c: Context, it: Iteration, n: int) -> Section:
    nt, p, v = c.nt, c.p, c.v
    e = it.example_prefix(n)
    L = p.depth
    index = it.examples[n - 1] + 1
    sec = Section(f"Example {index}" if len(p.data) > 1 else "Example")
    _forward(c, it, e, sec.part("Forward pass"))

    yhat = v[e + "yhat"]
    y = v.get(e + "y", np.zeros_like(yhat))  # loss none: no target (no formula below uses it)
    n_out = p.layers[-1]
    scale = loss_scale(p.loss, p.loss_half)
    if p.loss != "none":
        _loss_part(c, it, e, sec.part("Loss"), scale)

    if nt.factored:  # the chain rule factor by factor (notes 002, 004), in its own module
        factored_backward(c, it, e, sec)
        return sec
    steps = sec.part("Backward pass")
    dl = v[e + "dL_dyhat"]
    out_names = unit_names(nt, L)
    dl_expr = F.loss_derivative(p.loss, n_out, scale)
    dl_lhs = rf"\frac{{\partial {nt.loss}}}{{\partial {nt.yhat}}}"
    if p.loss == "none":  # the start of the backward pass: d yhat / d yhat
        steps.append(Step(dl_lhs, c.chain(None, None, dl, e + "dL_dyhat"), e + "dL_dyhat", dl))
    else:
        steps.append(Step(dl_lhs, c.chain(dl_expr.latex(out_names),
                                          per_unit(dl_expr, out_names, {F.y: y, F.yh: yhat}, c, c.saturation(e, L)),
                                          dl, e + "dL_dyhat"),
                          e + "dL_dyhat", dl))
    for l in range(L, 0, -1):
        act = p.activations[l - 1]
        delta = v[f"{e}delta{l}"]
        names = unit_names(nt, l)
        gp_sym = f"g'({nt.sym('pre', l)})"
        if act != "softmax":
            gp = v[f"{e}gprime{l}"]
            gexpr = F.activation_derivative(act)
            units = {F.h: v[f"{e}h{l}"], F.a: v[f"{e}a{l}"]}
            steps.append(Step(gp_sym, c.chain(gexpr.latex(names), per_unit(gexpr, names, units, c, c.saturation(e, l)), gp,
                                              f"{e}gprime{l}"), f"{e}gprime{l}", gp))
        if l == L:
            simplified = F.output_delta(p.loss, act, n_out, scale)
            unit_vals = {F.y: y, F.yh: yhat, F.a: v[f"{e}a{l}"]}
            chain_rule = None if act == "softmax" else rf"\frac{{\partial {nt.loss}}}{{\partial {nt.yhat}}} \odot {gp_sym}"
            if c.rounded is not None and chain_rule and not (act == "sigmoid" and p.loss in ("bce", "ce")):
                # By hand the engine multiplies the two rounded values above (no exact simplification
                # applies), so the line does too: the simplified formula would not give its digits.
                gp = v[f"{e}gprime{l}"]
                subst = column([c.product(dl[k], gp[k]) for k in range(n_out)])
                steps.append(Step(nt.sym("delta", l), c.chain(chain_rule, subst, delta, f"{e}delta{l}"),
                                  f"{e}delta{l}", delta))
                continue
            links = [x for x in (chain_rule, simplified.latex(out_names)) if x]
            tail = c.chain(links[-1], per_unit(simplified, out_names, unit_vals, c, c.saturation(e, l)), delta,
                           f"{e}delta{l}")
            steps.append(Step(nt.sym("delta", l), [*links[:-1], *tail], f"{e}delta{l}", delta))
        else:
            Wn = v[f"{it.prefix}W{l + 1}"]
            if nt.transposed_at(l + 1):  # in-out weights times delta; the bias row (if any) left out
                wsym = nt.sym("weight", l + 1)
                form = rf"{gp_sym} \odot \left({wsym} {nt.sym('delta', l + 1)}\right)"
            else:
                form = rf"{gp_sym} \odot \left({T(nt.sym('weight', l + 1))} {nt.sym('delta', l + 1)}\right)"
            subst = rf"{c.fmt(v[f'{e}gprime{l}'])} \odot \left({c.product(c.mat(Wn.T), v[f'{e}delta{l + 1}'])}\right)"
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
                grads[name] = (f"{it.prefix}data_grad.{name}", c.trace.aux[f"{it.prefix}data_grad.{name}"])
            else:
                grads[name] = (f"{it.prefix}grad.{name}", v[f"{it.prefix}grad.{name}"])
        data_mark = r"\Big|_{\text{data}}" if (p.l2 and single) else ""
        delta = v[f"{e}delta{l}"]
        if nt.augmented:
            g = augment(nt, grads[f"W{l}"][1], grads[f"b{l}"][1])
            steps.append(Step(nt.grad(f"W{l}") + data_mark,
                              c.chain(rf"{tilde(prev)} \, {T(dsym)}", c.product(with_one(nt, hp), c.row(delta)), g,
                                      grads[f"W{l}"][0]), grads[f"W{l}"][0], g))
            continue
        path, g = grads[f"W{l}"]
        if nt.transposed_at(l):
            form, subst, shown = rf"{prev} \, {T(dsym)}", c.product(hp, c.row(delta)), g.T
        else:
            form, subst, shown = rf"{dsym} \, {T(prev)}", c.product(delta, c.row(hp)), g
        steps.append(Step(nt.grad(f"W{l}") + data_mark, c.chain(form, subst, shown, path), path, g))
        path, g = grads[f"b{l}"]
        steps.append(Step(nt.grad(f"b{l}"), c.chain(dsym, None, g, path), path, g))
    if "grad.x" in p.show:  # the gradient by the input, one more step back
        gx, W1 = v[e + "grad.x"], v[f"{it.prefix}W1"]
        form = rf"{T(nt.sym('weight', 1))} {nt.sym('delta', 1)}" if not nt.transposed_at(1) else \
            rf"{nt.sym('weight', 1)} {nt.sym('delta', 1)}"
        steps.append(Step(rf"\frac{{\partial {nt.loss}}}{{\partial {nt.x}}}",
                          c.chain(form, c.product(c.mat(W1.T), v[f"{e}delta1"]), gx, e + "grad.x"), e + "grad.x", gx))
    return sec


def _loss_part(c: Context, it: Iteration, e: str, steps: list[Step], scale: float) -> None:
    """The error (if shown), the loss's terms (if shown) and the loss of one example."""
    nt, p, v, d = c.nt, c.p, c.v, c.d
    y, yhat = v[e + "y"], v[e + "yhat"]
    n_out = p.layers[-1]
    if "error" in p.show:
        err = v[e + "error"]
        steps.append(Step("e", c.chain(f"{nt.y} - {nt.yhat}", f"{c.fmt(y)} - {c.term(yhat)}", err, e + "error"),
                          e + "error", err))
    if "loss_terms" in p.show and n_out > 1:
        terms = v[e + "loss_terms"]
        steps.append(Step(rf"{nt.loss}_k", c.chain(None, None, terms, e + "loss_terms"), e + "loss_terms", terms))
    form, subst = _loss_lines(c, p.loss, n_out, y, yhat, scale, error=v.get(e + "error"), sat=c.saturation(e, p.depth))
    if len(it.examples) == 1 and p.l2:
        aux = it.prefix + "data_loss"  # not a quantity: the loss before the L2 term (trace.aux)
        loss_val = c.trace.aux[aux]
        steps.append(Step(nt.loss + r"_{\text{data}}", c.chain(form, subst, loss_val, aux), aux, loss_val))
    else:
        loss_val = v[e + "loss"]
        steps.append(Step(nt.loss, c.chain(form, subst, loss_val, e + "loss"), e + "loss", loss_val))


def _aggregate(c: Context, it: Iteration) -> Section | None:
    nt, p, v = c.nt, c.p, c.v
    m = len(it.examples)
    if m == 1 and not p.l2:
        return None
    sec = Section("Gradient of the iteration" if m > 1 else "Regularization")
    pre = it.prefix
    summed = p.batch_loss == "sum"
    if m > 1:
        what = "sums" if summed else "means"
        sec.note = (f"The gradients are {what} over the {m} examples of this iteration." if p.loss == "none" else
                    f"The loss and the gradients are {what} over the {m} examples of this iteration.")
    if m > 1 and p.loss != "none":
        losses = [v[f"{it.example_prefix(n)}loss"] for n in range(1, m + 1)]
        subst = c.sum(losses) if summed else rf"\frac{{1}}{{{m}}}\left(" + c.sum(losses) + r"\right)"
        if p.l2:
            aux = pre + "data_loss"
            sec.steps.append(Step(nt.loss + r"_{\text{data}}", c.chain(None, subst, c.trace.aux[aux], aux), aux,
                                  c.trace.aux[aux]))
        else:
            sec.steps.append(Step(nt.loss, c.chain(None, subst, v[pre + "loss"], pre + "loss"), pre + "loss", v[pre + "loss"]))
    lam = numfmt.number(p.l2, 12)
    if p.l2:
        wsum = " + ".join(rf"\lVert {nt.sym('weight', l)} \rVert_F^2" for l in range(1, p.depth + 1))
        loss = v[pre + "loss"]
        sec.steps.append(Step(nt.loss, c.chain(
            rf"{nt.loss}_{{\text{{data}}}} + \frac{{\lambda}}{{2}}\left({wsum}\right)",
            c.sum([c.trace.aux[pre + 'data_loss'], c.product(rf"\frac{{{lam}}}{{2}}", c.trace.aux[pre + 'sq_weights'])]),
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
                mean = c.sum([ex[i][1] for ex in per_example])
                if not summed:
                    mean = rf"\frac{{1}}{{{m}}}\left(" + mean + r"\right)"
            if p.l2 and name.startswith("W"):
                if mean:
                    aux = f"{pre}data_grad.{name}"
                    sec.steps.append(Step(lhs + r"\Big|_{\text{data}}", c.chain(mean, None, data[i][1], aux), aux,
                                          data[i][1]))
                form = rf"{lhs}\Big|_{{\text{{data}}}} + \lambda {sym}" + (r"_{\text{weights}}" if nt.augmented else "")
                subst = c.sum([data[i][1], c.product(lam, weights[i][1])])
                sec.steps.append(Step(lhs, c.chain(form, subst, g, f"{pre}grad.{name}"), f"{pre}grad.{name}", g))
            elif mean:
                sec.steps.append(Step(lhs, c.chain(None, mean, g, f"{pre}grad.{name}"), f"{pre}grad.{name}", g))
    return sec


def _update(c: Context, it: Iteration) -> Section:
    nt, p = c.nt, c.p
    sec = Section("Update")
    if p.learning_rate is None:  # sensitivities only: nothing is updated
        return sec
    lr = numfmt.number(p.learning_rate, 12)
    pre = it.prefix
    for l in nt.update_layers():
        old, grad, new = c.shown_at(pre, l), c.shown_at(pre + "grad.", l), c.shown_at(pre + "new.", l)
        for (sym, o, name), (_, g, _), (_, n, _) in zip(old, grad, new):
            frozen = [x for x in (f"W{l}", f"b{l}") if x in p.frozen and (x == name or nt.augmented)]
            path = f"{pre}new.{name}"
            if frozen and (not nt.augmented or len(frozen) == 2):
                sec.steps.append(Step(sym + r"_{\text{new}}", [rf"{sym} = {c.fmt(n)} \quad \text{{(frozen)}}"], path, n))
                continue
            form = rf"{sym} - {nt.lr} \, \frac{{\partial {nt.loss}}}{{\partial {sym}}}"
            subst = f"{c.fmt(o)} - {c.product(lr, g)}"
            note = rf" \quad \text{{({', '.join(frozen)} frozen)}}" if frozen else ""
            chain = c.chain(form, subst, n, path)
            chain[-1] += note
            sec.steps.append(Step(sym + r"_{\text{new}}", chain, path, n))
    return sec


def iteration_view(c: Context, it: Iteration) -> IterationView:
    idx = [i + 1 for i in it.examples]
    if len(idx) == 1:
        caption = f"example {idx[0]}" if len(c.p.data) > 1 else "the training example"
    else:
        caption = "examples " + ", ".join(map(str, idx))
    sections = [_example_section(c, it, n) for n in range(1, len(it.examples) + 1)]
    for sec in sections:
        sec.steps = [s for part in sec.parts for s in part.steps]
    return IterationView(it.t, caption, sections, _aggregate(c, it), _update(c, it))



def _loss_lines(c: Context, loss: str, n_out: int, y, yhat, scale: float = 1.0, error=None, sat=None) -> tuple[str, str]:
    """The loss formula and its substitution; several outputs are written out term by term.

    With the error shown (a squared error), the one-output loss is written in e, as Hagan does: e^2."""
    nt = c.nt
    term = F.loss_expr(loss, n_out, scale)
    if n_out == 1 and error is not None:
        term_e = term.with_error()
        names = {F.err: "e"}
        return term_e.latex(names), term_e.latex(names, {F.err: c.num(error[0])})
    values = {F.y: y, F.yh: yhat}
    if n_out == 1:
        names = {F.y: nt.y, F.yh: nt.yhat}
        return term.latex(names), unit_latex(term, names, values, c, 0, sat)
    names = {F.y: f"{nt.y}_k", F.yh: f"{nt.yhat}_k"}
    form = rf"\sum_{{k=1}}^{{{n_out}}} \left[{term.latex(names)}\right]"
    parts = [unit_latex(term, names, values, c, k, sat) for k in range(n_out)]
    return form, " + ".join(rf"\left[{t}\right]" for t in parts)
