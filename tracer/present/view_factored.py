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
by `numfmt` through the Context, and every product of printed numbers is written by
`Context.product`: a scalar beside anything gets \\cdot and a negative factor
parentheses, so the notes' "(-1.1195)(0.0953)u" reads (-1.1195) \\cdot 0.0953 \\cdot u.
A softmax output has a Jacobian, not a vector of local derivatives; with it the
output's factor is dL/dz = yhat - y (softmax and cross-entropy differentiated
together), and the note says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.functions import loss_scale
from ..engine.trace import Iteration
from . import numfmt
from . import formulas as F
from .steps import Section, Step
from .view_context import (
    ACT_NAME,
    Context,
    T,
    augment,
    per_unit,
    tilde,
    unit_names,
    with_one,
)

# Output layers whose delta the engine computes in its simplified form (engine.functions.output_delta):
# by hand, the rounded yhat minus y, not the rounded factors multiplied.
_SIMPLIFIED = {("sigmoid", "bce"), ("sigmoid", "ce")}


def _d(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def _ones(n: int) -> str:
    return "1" if n == 1 else r"\begin{bmatrix} " + r" \\ ".join(["1"] * n) + r" \end{bmatrix}"


def _col(items) -> str:
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def _row(items) -> str:
    return r"\begin{bmatrix} " + " & ".join(items) + r" \end{bmatrix}"


def _odot(c: Context, *xs) -> str:
    """An element-wise product; each operand parenthesized by precedence, as in c.product."""
    return r" \odot ".join(c.factor(x) for x in xs)


def _named(c: Context, formula: str, value, show) -> list[str]:
    """`formula = value`, or `formula \\approx value` (all digits shown) where the value is rounded."""
    if numfmt.all_exact(value, c.d, c.zero):
        return [formula, show(value)]
    return [rf"{formula} \approx {show(value, approx=True)}"]


@dataclass
class _Factors:
    """dL/da(l) as the product of its factors: in symbols, substituted, and rounded on the way.

    `col` is the substituted product written as a column (for F h^T), `row` as a row (for
    h F^T); `mids` / `mids_row` the same product with its partial products rounded, each line
    closer to the value. `scalars` are the factors themselves when they are scalars (the
    output unit of notes 002), which the gradients multiply by their own last factor.
    `path` is the trace's rounded product (delta(l)) when `col` writes the factors
    rather than that value."""

    sym: str
    col: str
    row: str
    mids: list[str] = field(default_factory=list)
    mids_row: list[str] = field(default_factory=list)
    scalars: list = field(default_factory=list)
    path: str = ""

    atom: bool = False  # `sym` is one fraction: no parentheses needed around it

    @property
    def grouped(self) -> str:
        """The symbols as one operand: in parentheses unless a product of scalars or one fraction."""
        return self.sym if self.scalars or self.atom else rf"\left({self.sym}\right)"


def _grad_target(c: Context, it: Iteration, e: str, name: str):
    """(path, value, lhs mark) of the gradient this example's step computes (as the delta view does)."""
    v, p = c.v, c.p
    if len(it.examples) > 1:
        return f"{e}grad.{name}", v[f"{e}grad.{name}"], ""
    if p.l2 and name.startswith("W"):
        aux = f"{it.prefix}data_grad.{name}"  # the gradient before the L2 term (trace.aux)
        return aux, c.trace.aux[aux], r"\Big|_{\text{data}}"
    return f"{it.prefix}grad.{name}", v[f"{it.prefix}grad.{name}"], ""


def _links(c: Context, formula: str, subs: list[str], value, path: str) -> list[str]:
    """formula = subs[0] ~ subs[1] ~ ... ~ value: each later line rounds the partial products."""
    head = subs[0] + "".join(rf" \approx {s}" for s in subs[1:])
    return c.chain(formula, head, value, path)


def factored_backward(c: Context, it: Iteration, e: str, sec: Section) -> None:
    """Add the parts "Backward pass" (local factors) and "Gradients" (their products) to `sec`."""
    _local_factors(c, it, e, sec.part("Backward pass"))
    _gradients(c, it, e, sec.part("Gradients" if len(it.examples) == 1 else "Gradients for this example"))


def _out(c: Context, l: int) -> str:
    """The layer's output symbol (the output layer's is yhat)."""
    return c.nt.yhat if l == c.p.depth else c.nt.sym("act", l)


def _below_sym(c: Context, l: int) -> str:
    """What layer l reads: x, h(l-1), or the augmented vector."""
    prev = c.nt.sym("act", l - 1)
    return tilde(prev) if c.nt.augmented else prev


def _below_val(c: Context, e: str, l: int):
    hp = c.v[f"{e}h{l - 1}"] if l > 1 else c.v[e + "x"]
    return with_one(c.nt, hp) if c.nt.augmented else hp


def _local_factors(c: Context, it: Iteration, e: str, steps: list[Step]) -> None:
    """Each local derivative named and valued, from the loss down to the first layer."""
    nt, p, v = c.nt, c.p, c.v
    L, n_out = p.depth, p.layers[-1]
    yhat = v[e + "yhat"]
    y = v.get(e + "y", yhat * 0)  # loss none: no target (the expressions have none)
    names_out = unit_names(nt, L)
    dl_expr = F.loss_derivative(p.loss, n_out, loss_scale(p.loss, p.loss_half))
    dl = v[e + "dL_dyhat"]
    if p.loss == "none":  # d yhat / d yhat = 1: no formula to substitute
        dl_chain = c.chain(None, None, dl, e + "dL_dyhat")
    else:
        dl_chain = c.chain(dl_expr.latex(names_out),
                           per_unit(dl_expr, names_out, {F.y: y, F.yh: yhat}, c, c.saturation(e, L)), dl, e + "dL_dyhat")
    steps.append(Step(_d(nt.loss, nt.yhat), dl_chain, e + "dL_dyhat", dl))
    for l in range(L, 0, -1):
        act, a_sym = p.activations[l - 1], nt.sym("pre", l)
        names = unit_names(nt, l)
        if l == L and act == "softmax":
            delta = v[f"{e}delta{L}"]
            expr = F.output_delta(p.loss, act, n_out, loss_scale(p.loss, p.loss_half))
            chain = c.chain(expr.latex(names_out),
                            per_unit(expr, names_out, {F.y: y, F.yh: yhat}, c, c.saturation(e, L)),
                            delta, f"{e}delta{L}")
            chain[-1] += r" \quad \text{(softmax and cross-entropy together)}"
            steps.append(Step(_d(nt.loss, a_sym), chain, f"{e}delta{L}", delta))
        else:
            gp = v[f"{e}gprime{l}"]
            gexpr = F.activation_derivative(act)
            units = {F.h: v[f"{e}h{l}"], F.a: v[f"{e}a{l}"]}
            form = gexpr.latex_elementwise(names) if p.layers[l] > 1 else gexpr.latex(names)
            steps.append(Step(_d(_out(c, l), a_sym), c.chain(form, per_unit(gexpr, names, units, c, c.saturation(e, l)), gp,
                                                               f"{e}gprime{l}"),
                              f"{e}gprime{l}", gp))
        wsym = nt.sym("weight", l)
        inp = _below_sym(c, l)
        # da(l)/dW(l) is the column h(l-1) (in-out layout), else the row h(l-1)^T
        if nt.transposed_at(l):
            steps.append(Step(_d(a_sym, wsym), _named(c, inp, _below_val(c, e, l), c.fmt)))
        else:
            steps.append(Step(_d(a_sym, wsym), _named(c, T(inp), _below_val(c, e, l), c.row)))
        if not nt.augmented:
            steps.append(Step(_d(a_sym, nt.sym("bias", l)), [_ones(p.layers[l])]))
        if l > 1:
            Wd = v[f"{it.prefix}W{l}"].T  # column per unit of layer l-1: dz/du as the notes write it
            wform = wsym if nt.transposed_at(l) else T(wsym)
            if nt.augmented:
                wform = rf"{wsym}_{{\text{{weights}}}}"
            # dz/du = W(2) (in-out) or W(l)^T (out-in): the matrix that carries dL/da(l) down to h(l-1)
            jac = _d(a_sym, nt.sym("act", l - 1))
            steps.append(Step(jac if nt.transposed_at(l) else rf"\left({jac}\right)^{{\top}}",
                              _named(c, wform, Wd, c.mat)))


def _output_factors(c: Context, e: str) -> _Factors:
    """dL/da(L): dL/dyhat times dyhat/da(L), unit by unit (with softmax, dL/dz itself)."""
    nt, p, v = c.nt, c.p, c.v
    L, n_out = p.depth, p.layers[-1]
    a_sym, err = nt.sym("pre", L), v[f"{e}delta{L}"]
    if p.activations[-1] == "softmax":
        return _Factors(_d(nt.loss, a_sym), c.fmt(err), c.row(err), atom=True)
    dl, gp = v[e + "dL_dyhat"], v[f"{e}gprime{L}"]
    if n_out == 1:
        prod = c.product(dl[0], gp[0])
        return _Factors(rf"{_d(nt.loss, nt.yhat)} {_d(nt.yhat, a_sym)}", prod, prod, scalars=[dl[0], gp[0]],
                        path=f"{e}delta{L}")
    units = [c.product(a, b) for a, b in zip(dl, gp)]
    return _Factors(rf"{_d(nt.loss, nt.yhat)} \odot {_d(nt.yhat, a_sym)}", _col(units), _row(units),
                    [c.fmt(err, approx=True)], [c.row(err, approx=True)], path=f"{e}delta{L}")


def _hidden_factors(c: Context, it: Iteration, e: str, l: int, up: _Factors) -> _Factors:
    """dL/da(l) = (dz(l+1)/dh(l) dL/da(l+1)) \\odot dh(l)/da(l), the upstream product substituted:
    the output's own scalar factors (notes 002), else the value of the line above."""
    nt, p, v = c.nt, c.p, c.v
    a_sym, gp = nt.sym("pre", l), v[f"{e}gprime{l}"]
    jac, gfac = _d(nt.sym("pre", l + 1), nt.sym("act", l)), _d(_out(c, l), a_sym)
    Wd = c.mat(v[f"{it.prefix}W{l + 1}"].T)
    upstream = up.scalars or [v[f"{e}delta{l + 1}"]]
    if p.layers[l + 1] == 1:  # a scalar upstream is written first, as in the notes
        sym = rf"{up.grouped} {jac} \odot {gfac}"
        sub = _odot(c, c.product(*upstream, Wd), gp)
    else:
        jt = jac if nt.transposed_at(l + 1) else rf"\left({jac}\right)^{{\top}}"
        sym = rf"{jt} {up.grouped} \odot {gfac}"
        sub = _odot(c, c.product(Wd, *upstream), gp)
    dl_dh = rf"\left({_odot(c, c.fmt(c.trace.aux[f'{e}dL_dh{l}'], approx=True), gp)}\right)"
    err = v[f"{e}delta{l}"]
    return _Factors(sym, rf"\left({sub}\right)", rf"\left({sub}\right)^{{\top}}",
                    [dl_dh, c.fmt(err, approx=True)], [rf"{dl_dh}^{{\top}}", c.row(err, approx=True)],
                    path=f"{e}delta{l}")


def _rounded_first(c: Context, e: str, l: int, f: _Factors, steps: list[Step]) -> _Factors:
    """By hand: dL/da(l) computed and rounded in a line of its own, and the gradients from that value.

    A by-hand reader rounds the product of the factors before multiplying it by the input,
    as the engine does (delta(l) is rounded, then the gradient is delta(l) h^T); a single line
    from the factors to the gradient would hide that rounding, and with |h| > 1 its last
    digit would not follow from the factors."""
    err, p = c.v[f.path], c.p
    if l == p.depth and (p.activations[-1], p.loss) in _SIMPLIFIED:
        # the engine rounds yhat - y, not the product of the rounded factors (which can differ
        # from it in the last digit): show that form, as the softmax output does
        names = unit_names(c.nt, l)
        expr = F.output_delta(p.loss, p.activations[-1], p.layers[-1])
        vals = {F.y: c.v[e + "y"], F.yh: c.v[e + "yhat"]}
        why = rf"\quad \text{{({ACT_NAME[p.activations[-1]]} and cross-entropy together)}}"
        chain = [f.sym, *c.chain(rf"{expr.latex(names)} {why}", per_unit(expr, names, vals, c), err, f.path)]
    else:
        chain = _links(c, f.sym, [f.col, *f.mids[:-1]], err, f.path)
    steps.append(Step(_d(c.nt.loss, c.nt.sym("pre", l)), chain, f.path, err))
    if f.scalars:
        return _Factors(f.sym, c.fmt(err), c.fmt(err), scalars=[err])
    return _Factors(f.sym, c.fmt(err), c.row(err))


def _gradients(c: Context, it: Iteration, e: str, steps: list[Step]) -> None:
    """Each gradient as the product of its factors: in symbols, substituted, rounded, the value."""
    nt, p, v = c.nt, c.p, c.v
    L = p.depth
    f = None
    for l in range(L, 0, -1):
        f = _output_factors(c, e) if l == L else _hidden_factors(c, it, e, l, f)
        if c.rounded is not None and f.path:
            f = _rounded_first(c, e, l, f, steps)
        a_sym, n_l = nt.sym("pre", l), p.layers[l]
        path, g, mark = _grad_target(c, it, e, f"W{l}")
        bpath, bg, _ = _grad_target(c, it, e, f"b{l}")
        inp_val = _below_val(c, e, l)
        dw = _d(a_sym, nt.sym("weight", l))
        if f.scalars:  # the scalar factors, then the input as a column or a row
            inp = c.fmt(inp_val) if nt.transposed_at(l) else c.row(inp_val)
            form, subs = rf"{f.sym} {dw}", [c.product(*f.scalars, inp)]
        elif nt.transposed_at(l):  # da/dW = h(l-1), a column: h F^T
            form = rf"{dw} {f.grouped}^{{\top}}"
            subs = [c.product(c.fmt(inp_val), r) for r in [f.row, *f.mids_row]]
        else:  # da/dW = h(l-1)^T, a row: F h^T
            form = rf"{f.grouped} {dw}"
            subs = [c.product(m, c.row(inp_val)) for m in [f.col, *f.mids]]
        shown = augment(nt, g, bg) if nt.augmented else (g.T if nt.transposed_at(l) else g)
        steps.append(Step(nt.grad(f"W{l}") + mark, _links(c, form, subs, shown, path), path, shown))
        if not nt.augmented:  # (with the bias in a row of W, its gradient is in the line above)
            db = _d(a_sym, nt.sym("bias", l))
            if f.scalars:
                bform, bsub = rf"{f.sym} {db}", c.product(*f.scalars, 1)
            else:  # the hidden layer's product was shown in the line above: its value
                bform = rf"{f.grouped} \odot {db}"
                bsub = _odot(c, f.col if l == L else c.fmt(v[f"{e}delta{l}"]), _ones(n_l))
            steps.append(Step(nt.grad(f"b{l}"), _links(c, bform, [bsub], bg, bpath), bpath, bg))
