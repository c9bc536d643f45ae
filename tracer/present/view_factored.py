"""The backward pass as the lecture notes write it (002, 004): the chain rule factor by factor.

Instead of the error terms delta(l), the "Backward pass" part names every local
derivative and gives its value (dL/dyhat, dyhat/dz, dz/dW(2) = u, dz/db(2) = 1,
dz/du = W(2), du/da(1), da(1)/dW(1) = x^T, da(1)/db(1) = 1), and the "Gradients"
part writes each gradient as the product of its factors, first in symbols, then
with the printed factors substituted, then (for a hidden layer) the partial
products, then the value. The layer below the output substitutes the output's
two factors themselves, as the notes do; a deeper layer substitutes the upstream
product dL/da(l+1) shown as the result of the line above it.

Every number is a value of the Trace (dL/dh(l) is `aux[{e}dL_dh{l}]`), formatted
by `numfmt` through the Context. A softmax output has a Jacobian, not a vector of
local derivatives; with it the output's factor is dL/dz = yhat - y (softmax and
cross-entropy differentiated together), and the note says so.
"""

from __future__ import annotations

from ..engine.functions import loss_scale
from ..engine.trace import Iteration
from . import numfmt
from . import symbolic as S
from .steps import Section, Step
from .view_context import Context, T, augment, per_unit, tilde, unit_names, with_one


def _d(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def _times(d: int, *xs) -> str:
    """Scalars multiplied, each in parentheses as the notes write them: (-1.1195)(0.0953)."""
    return "".join(f"({numfmt.number(x, d)})" for x in xs)


def _ones(n: int) -> str:
    return "1" if n == 1 else r"\begin{bmatrix} " + r" \\ ".join(["1"] * n) + r" \end{bmatrix}"


def _grad_target(c: Context, it: Iteration, e: str, name: str):
    """(path, value, lhs mark) of the gradient this example's step computes (as the delta view does)."""
    v, p = c.v, c.p
    if len(it.examples) > 1:
        return f"{e}grad.{name}", v[f"{e}grad.{name}"], ""
    if p.l2 and name.startswith("W"):
        return "", c.trace.aux[f"{it.prefix}data_grad.{name}"], r"\Big|_{\text{data}}"
    return f"{it.prefix}grad.{name}", v[f"{it.prefix}grad.{name}"], ""


def _links(c: Context, formula: str, subs: list[str], value, path: str) -> list[str]:
    """formula = subs[0] ~ subs[1] ~ ... ~ value: each later line rounds the partial products."""
    head = subs[0] + "".join(rf" \approx {s}" for s in subs[1:])
    return c.chain(formula, head, value, path)


def factored_backward(c: Context, it: Iteration, e: str, sec: Section) -> None:
    """Add the parts "Backward pass" (local factors) and "Gradients" (their products) to `sec`."""
    nt, p, v, d = c.nt, c.p, c.v, c.d
    L, n_out = p.depth, p.layers[-1]
    yhat = v[e + "yhat"]
    y = v.get(e + "y", yhat * 0)  # loss none: no target (the expressions have none)
    out_act = p.activations[-1]
    softmax = out_act == "softmax"

    def out(l):  # the layer's output symbol (the output layer's is yhat)
        return nt.yhat if l == L else nt.sym("act", l)

    def below(l):  # what layer l reads: x, h(l-1), or the augmented vector
        prev = nt.sym("act", l - 1)
        return tilde(prev) if nt.augmented else prev

    def below_val(l):
        hp = v[f"{e}h{l - 1}"] if l > 1 else v[e + "x"]
        return with_one(nt, hp) if nt.augmented else hp

    def column_input(l):  # da(l)/dW(l) is the column h(l-1) (in-out layout), else the row h(l-1)^T
        return nt.transposed_at(l)

    # -- the local factors ------------------------------------------------------------
    steps = sec.part("Backward pass")
    names_out = unit_names(nt, L)
    dl_expr = S.loss_derivative(p.loss, n_out, loss_scale(p.loss, p.loss_half))
    dl = v[e + "dL_dyhat"]
    dl_lhs = _d(nt.loss, nt.yhat)
    steps.append(Step(dl_lhs, c.chain(S.to_latex(dl_expr, names_out),
                                      per_unit(dl_expr, names_out, {S.y: y, S.yh: yhat}, c), dl, e + "dL_dyhat"),
                      e + "dL_dyhat", dl))
    for l in range(L, 0, -1):
        act, a_sym = p.activations[l - 1], nt.sym("pre", l)
        names = unit_names(nt, l)
        if l == L and softmax:
            delta = v[f"{e}delta{L}"]
            expr = S.output_delta(p.loss, act, n_out, loss_scale(p.loss, p.loss_half))
            form = S.to_latex(expr, names_out)
            chain = c.chain(form, per_unit(expr, names_out, {S.y: y, S.yh: yhat}, c), delta, f"{e}delta{L}")
            chain[-1] += r" \quad \text{(softmax and cross-entropy together)}"
            steps.append(Step(_d(nt.loss, a_sym), chain, f"{e}delta{L}", delta))
        else:
            gp = v[f"{e}gprime{l}"]
            gexpr = S.activation_derivative(act).expr
            units = {S.h: v[f"{e}h{l}"], S.a: v[f"{e}a{l}"]}
            form = S.to_latex_elementwise(gexpr, names) if p.layers[l] > 1 else S.to_latex(gexpr, names)
            steps.append(Step(_d(out(l), a_sym), c.chain(form, per_unit(gexpr, names, units, c), gp, f"{e}gprime{l}"),
                              f"{e}gprime{l}", gp))
        wsym = nt.sym("weight", l)
        inp = below(l)
        inp_form = inp if column_input(l) else T(inp)
        inp_val = below_val(l)
        shown = c.factor(inp_val) if column_input(l) else c.row(inp_val)
        rel = "=" if numfmt.all_exact(inp_val, d) else r"\approx"
        steps.append(Step(_d(a_sym, wsym), [inp_form, shown] if rel == "=" else [rf"{inp_form} {rel} {shown}"]))
        if not nt.augmented:
            steps.append(Step(_d(a_sym, nt.sym("bias", l)), [_ones(p.layers[l])]))
        if l > 1:
            Wd = v[f"{it.prefix}W{l}"].T  # column per unit of layer l-1: dz/du as the notes write it
            wform = wsym if nt.transposed_at(l) else T(wsym)
            if nt.augmented:
                wform = rf"{wsym}_{{\text{{weights}}}}"
            # dz/du = W(2) (in-out) or W(l)^T (out-in): the matrix that carries dL/da(l) down to h(l-1)
            jac = _d(a_sym, nt.sym("act", l - 1))
            steps.append(Step(jac if nt.transposed_at(l) else rf"\left({jac}\right)^{{\top}}", [wform, c.mat(Wd)]))

    # -- the gradients as products -------------------------------------------------------
    steps = sec.part("Gradients" if len(it.examples) == 1 else "Gradients for this example")
    upstream_sym = upstream_sub = ""
    for l in range(L, 0, -1):
        a_sym, n_l = nt.sym("pre", l), p.layers[l]
        err = v[f"{e}delta{l}"]  # dL/da(l): the product of the factors above a(l), from the trace
        gp = None if (l == L and softmax) else v[f"{e}gprime{l}"]
        # F: the factors from the loss down to a(l), in symbols (fsym) and numbers (fsub)
        if l == L:
            if softmax:
                fsym, fsub = _d(nt.loss, a_sym), c.factor(err)
            elif n_out == 1:
                fsym, fsub = rf"{_d(nt.loss, nt.yhat)} {_d(nt.yhat, a_sym)}", _times(d, dl[0], gp[0])
            else:
                fsym = rf"{_d(nt.loss, nt.yhat)} \odot {_d(nt.yhat, a_sym)}"
                fsub = _col(_times(d, a, b) for a, b in zip(dl, gp))
            fsub_row = c.row(err) if softmax else _row(_times(d, a, b) for a, b in zip(dl, gp))
            mids = [] if softmax or n_out == 1 else [c.factor(err)]
            mids_row = [] if softmax or n_out == 1 else [c.row(err)]
        else:
            jac = _d(nt.sym("pre", l + 1), nt.sym("act", l))
            gfac = _d(out(l), a_sym)
            Wd = c.mat(v[f"{it.prefix}W{l + 1}"].T)
            if p.layers[l + 1] == 1:  # a scalar upstream is written first, as in the notes
                fsym = rf"{upstream_sym} {jac} \odot {gfac}"
                fsub = rf"{upstream_sub} {Wd} \odot {c.factor(gp)}"
            else:
                jt = jac if nt.transposed_at(l + 1) else rf"\left({jac}\right)^{{\top}}"
                up = rf"\left({upstream_sym}\right)" if l + 1 == L else upstream_sym  # deeper: already in parentheses
                fsym = rf"{jt} {up} \odot {gfac}"
                fsub = rf"{Wd} {upstream_sub} \odot {c.factor(gp)}"
            dl_dh = rf"{c.factor(c.trace.aux[f'{e}dL_dh{l}'])} \odot {c.factor(gp)}"
            fsym, fsub = rf"\left({fsym}\right)", rf"\left({fsub}\right)"
            mids = [rf"\left({dl_dh}\right)", c.factor(err)]
            fsub_row, mids_row = rf"{fsub}^{{\top}}", [rf"\left({dl_dh}\right)^{{\top}}", c.row(err)]
        scalar = l == L and n_out == 1 and not softmax
        path, g, mark = _grad_target(c, it, e, f"W{l}")
        bpath, bg, _ = _grad_target(c, it, e, f"b{l}")
        inp_val = below_val(l)
        dw = _d(a_sym, nt.sym("weight", l))
        if scalar:  # (dL/dyhat)(dyhat/dz) times the input, as a column or a row
            inp_sub = c.factor(inp_val) if column_input(l) else c.row(inp_val)
            form, subs = rf"{fsym} {dw}", [rf"{fsub} {inp_sub}"]
        elif column_input(l):  # da/dW = h(l-1), a column: h F^T
            inp_sub = c.factor(inp_val)
            top = fsym if l < L else rf"\left({fsym}\right)"
            form = rf"{dw} {top}^{{\top}}"
            subs = [rf"{inp_sub} {r}" for r in [fsub_row, *mids_row]]
        else:  # da/dW = h(l-1)^T, a row: F h^T
            inp_sub = c.row(inp_val)
            top = fsym if l < L else rf"\left({fsym}\right)"
            form = rf"{top} {dw}"
            subs = [rf"{m} {inp_sub}" for m in [fsub, *mids]]
        shown = augment(nt, g, bg) if nt.augmented else (g.T if column_input(l) else g)
        steps.append(Step(nt.grad(f"W{l}") + mark, _links(c, form, subs, shown, path), path, shown))
        if not nt.augmented:  # (with the bias in a row of W, its gradient is in the line above)
            db = _d(a_sym, nt.sym("bias", l))
            if scalar:
                bform, bsubs = rf"{fsym} {db}", [rf"{fsub}(1)"]
            else:
                top = fsym if l < L else rf"\left({fsym}\right)"
                bform = rf"{top} \odot {db}"
                bsubs = [rf"{fsub if l == L else c.factor(err)} \odot {_ones(n_l)}"]
            steps.append(Step(nt.grad(f"b{l}"), _links(c, bform, bsubs, bg, bpath), bpath, bg))
        # the layer below substitutes this layer's factors: the output's own two (notes 002), else the value
        upstream_sym = fsym
        upstream_sub = fsub if scalar else c.factor(err)


def _col(items) -> str:
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def _row(items) -> str:
    return r"\begin{bmatrix} " + " & ".join(items) + r" \end{bmatrix}"
