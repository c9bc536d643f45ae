"""The handout's Derivation section: the chain rule for one output weight and one
hidden weight, in the course's notation, with the simplification sympy finds (through `formulas`)."""

from __future__ import annotations

from ..engine.functions import loss_scale
from ..problem.notation import Notation
from . import formulas as F
from .steps import Step


def _sub(sym: str, idx: str) -> str:
    return f"{sym}_{{{idx}}}" if idx else sym


def _factor(expr, names: dict) -> str:
    """`expr` printed as a factor of a product: a sum gets parentheses."""
    tex = expr.latex(names)
    return rf"\left({tex}\right)" if expr.is_sum else tex


def _product(a, b, names: dict) -> str:
    """a times b as a factor pair: a number beside anything gets a \\cdot (1 \\cdot g', never "1 g'"),
    the printing rule every line follows."""
    join = r" \cdot " if a.is_number or b.is_number else " "
    return f"{_factor(a, names)}{join}{_factor(b, names)}"


def _error(nt: Notation, l: int, idx: str) -> str:
    """The error term of unit `idx` of layer l: delta, or dL/da where the profile factors the chain rule."""
    if nt.factored:
        return rf"\frac{{\partial {nt.loss}}}{{\partial {_sub(nt.sym('pre', l), idx)}}}"
    return _sub(nt.sym("delta", l), idx)


def derivation_steps(p, nt: Notation) -> list[Step]:
    """General formulas for output unit k and hidden unit i (input j), derived by sympy."""
    L = p.depth
    n_out = p.layers[-1]
    out_act = p.activations[-1]
    k = "k" if n_out > 1 else ""
    out_names = {F.y: _sub(nt.y, k), F.yh: _sub(nt.yhat, k), F.h: _sub(nt.yhat, k), F.a: _sub(nt.sym("pre", L), k)}
    yhk, ak = out_names[F.yh], out_names[F.a]
    steps = []
    scale = loss_scale(p.loss, p.loss_half)
    term = F.loss_expr(p.loss, n_out, scale).latex(out_names)
    if p.loss != "none":  # with loss none the output is differentiated itself: no loss to write
        steps.append(Step(nt.loss, [rf"\sum_{{k=1}}^{{{n_out}}} \left[{term}\right]" if n_out > 1 else term]))
    dl = F.loss_derivative(p.loss, n_out, scale)
    steps.append(Step(rf"\frac{{\partial {nt.loss}}}{{\partial {yhk}}}", [dl.latex(out_names)]))
    delta_out = F.output_delta(p.loss, out_act, n_out, scale)
    dL = _error(nt, L, k)
    if out_act == "softmax":
        steps.append(Step(rf"\frac{{\partial {nt.yhat}_j}}{{\partial {ak}}}", [rf"{nt.yhat}_j \left([j = k] - {yhk}\right)"]))
        chain = rf"\sum_j \frac{{\partial {nt.loss}}}{{\partial {nt.yhat}_j}} \frac{{\partial {nt.yhat}_j}}{{\partial {ak}}}"
        steps.append(Step(dL, [chain, delta_out.latex(out_names)
                               + rf" \quad \text{{(as }} \textstyle\sum_j {nt.y}_j = 1\text{{)}}"]))
    else:
        g = F.activation_derivative(out_act)
        steps.append(Step(rf"\frac{{\partial {yhk}}}{{\partial {ak}}}", [g.latex(out_names)]))
        steps.append(Step(dL, [rf"\frac{{\partial {nt.loss}}}{{\partial {yhk}}} \frac{{\partial {yhk}}}{{\partial {ak}}}",
                               _product(dl, g, out_names),
                               delta_out.latex(out_names)]))
    prev = _sub(nt.sym("act", L - 1), "j")
    w_out = rf"\frac{{\partial {nt.loss}}}{{\partial {_sub(nt.sym('weight', L), nt.windex(k or '1', 'j', L))}}}"
    steps.append(Step(w_out, [rf"{dL} \, {prev}", rf"{_factor(delta_out, out_names)} \, {prev}"]))
    if L >= 2:
        l = L - 1
        hid = {F.h: _sub(nt.sym("act", l), "i"), F.a: _sub(nt.sym("pre", l), "i")}
        gexpr = F.activation_derivative(p.activations[l - 1])
        g = _factor(gexpr, hid)
        inp = _sub(nt.sym("act", l - 1), "j")
        w_next = lambda m: _sub(nt.sym("weight", l + 1), nt.windex(m, "i", l + 1))  # noqa: E731
        if n_out == 1:
            back = rf"{_factor(delta_out, out_names)} \, {w_next('1')}"
        else:
            back = rf"\sum_m {_error(nt, l + 1, 'm')} \, {w_next('m')}"
        general = rf"g'({hid[F.a]}) \sum_m {_error(nt, l + 1, 'm')} \, {w_next('m')}"
        with_g = rf"{g} \, {back}" if g != "1" else back
        dl_hidden = _error(nt, l, "i")
        steps.append(Step(dl_hidden, [general, with_g]))
        w_hid = _sub(nt.sym("weight", l), nt.windex("i", "j", l))
        steps.append(Step(rf"\frac{{\partial {nt.loss}}}{{\partial {w_hid}}}", [rf"{dl_hidden} \, {inp}", rf"{with_g} \, {inp}"]))
    return steps
