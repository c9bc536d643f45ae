"""Formulas derived by sympy from the network definition, and their printing.

Nothing here is written out per case: each activation and loss is given once
as a sympy expression, and sympy differentiates and simplifies. The handout's
formula line and its substituted line are the *same* expression printed twice,
once with symbols and once with each symbol mapped to its formatted value, so
the substituted line keeps the order of the formula (sympy never gets a chance
to re-sort a rebuilt sum).

Scalar symbols, per unit: `a` pre-activation, `h` activation, `y` label,
`yh` output. Index-free: a vector formula is the scalar one applied per element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from . import numfmt

a, h, y, yh = sp.symbols("a h y yh", real=True)
err = sp.Symbol("e", real=True)  # the error y - yh, where a handout names it

# The activations, once each. `inverse` expresses a in terms of h = g(a), so
# that sympy can write g'(a) in terms of the unit's own output, as lectures do.
ACTIVATION = {
    "sigmoid": 1 / (1 + sp.exp(-a)),
    "tanh": sp.tanh(a),
    "relu": sp.Max(0, a),
    "linear": a,
}
_INVERSE = {"sigmoid": sp.log(h / (1 - h)), "tanh": sp.atanh(h), "linear": h}


def loss_expr(loss: str, n: int, scale=1) -> sp.Expr:
    """The loss's term for one output unit (the loss is the sum of these over units).

    `scale` is functions.loss_scale (loss_half): 2 turns 1/2 (y - yh)^2 into (y - yh)^2.
    With loss none the "loss" is the output itself."""
    if scale != 1:
        return sp.nsimplify(scale) * loss_expr(loss, n)
    if loss == "none":
        return yh
    if loss == "bce":
        return -(y * sp.log(yh) + (1 - y) * sp.log(1 - yh))
    if loss == "ce":
        return -y * sp.log(yh)
    if loss == "mse":
        return (y - yh) ** 2 / n
    if loss == "sse":
        return sp.Rational(1, 2) * (y - yh) ** 2
    if loss == "mae":
        return sp.Abs(y - yh) / n
    raise ValueError(loss)


def _prefers_flip(f: sp.Expr) -> bool:
    """Whether the sum `f` reads better negated: yh - y (not y - yh), 1 - h (not h - 1)."""
    if not isinstance(f, sp.Add):
        return False
    coeff = dict(f.as_coefficients_dict())
    if coeff.get(yh, 0) < 0 and coeff.get(y, 0) > 0:
        return True
    if coeff.get(y, 0) < 0 and coeff.get(yh, 0) > 0:
        return False
    const = coeff.get(sp.S.One, 0)
    return const < 0 and any(v > 0 for k, v in coeff.items() if k != sp.S.One)


def tidy(expr: sp.Expr) -> sp.Expr:
    """A product in the orientation lectures write: flip factors (y - yh) -> (yh - y),
    (h - 1) -> (1 - h) and carry the signs; then keep the expanded form if it is shorter
    (1 - h^2 rather than (1 - h)(1 + h))."""
    sign = 1
    num, den = sp.fraction(sp.factor(expr))
    parts = []
    for part in (num, den):
        factors = []
        for f in sp.Mul.make_args(part):
            base, exp = f.as_base_exp()
            if _prefers_flip(base) and exp.is_integer:
                sign *= (-1) ** int(exp)
                base = -base
            factors.append(base**exp)
        parts.append(factors)
    tidied = sign * sp.Mul(*parts[0]) / sp.Mul(*parts[1])
    expanded = sp.expand(expr)
    return expanded if sp.count_ops(expanded) < sp.count_ops(tidied) else tidied


def simplify(expr: sp.Expr) -> sp.Expr:
    """The one simplification these formulas need: every g'(h), dL/dyhat * g' and the softmax
    delta is a rational function of h, yh, y (Heaviside(a) a generator), and `cancel` writes it as
    a polynomial over a polynomial with common factors removed, which `tidy` then orients; it
    gives what `sp.simplify` gave for every activation x loss (tests/present/test_symbolic_simplify.py).
    Not `sp.simplify`: its first call imports sympy.physics.units, a fifth of a handout's time."""
    return sp.cancel(expr)


@dataclass(frozen=True)
class Derivative:
    """g'(a) of an activation: in terms of h (the unit's output) where that exists, else of a."""

    expr: sp.Expr
    of_output: bool


@lru_cache(maxsize=None)
def activation_derivative(act: str) -> Derivative:
    gp = sp.diff(ACTIVATION[act], a)
    if act in _INVERSE:
        return Derivative(tidy(simplify(gp.subs(a, _INVERSE[act]))), True)
    return Derivative(gp, False)


@lru_cache(maxsize=None)
def loss_derivative(loss: str, n: int, scale=1) -> sp.Expr:
    """d loss / d yhat for one unit."""
    d = sp.diff(loss_expr(loss, n, scale), yh)
    # |y - yh| differentiates to -sign(y - yh); lectures write sign(yh - y).
    return d.xreplace({sp.sign(y - yh): -sp.sign(yh - y, evaluate=False)})


@lru_cache(maxsize=None)
def output_delta(loss: str, act: str, n: int, scale=1) -> sp.Expr:
    """delta(L) = dL/dyhat * g'(a(L)), simplified by sympy, in terms of yh and y."""
    if act == "softmax":
        return _softmax_ce_delta(n)
    gp = activation_derivative(act)
    g = gp.expr.subs(h, yh) if gp.of_output else gp.expr
    d = loss_derivative(loss, n, scale)
    if d.has(sp.sign):  # simplify would split sign() into cases; the product is already simple
        return d * g
    return tidy(simplify(d * g))


def _softmax_ce_delta(n: int) -> sp.Expr:
    """d/da_1 of -sum_j y_j log softmax_j(a), with sum_j y_j = 1, in terms of yh_1 and y_1."""
    n = max(n, 2)
    avec = sp.symbols(f"a1:{n + 1}", real=True)
    yvec = sp.symbols(f"y1:{n + 1}", real=True)
    total = sum(sp.exp(ai) for ai in avec)
    loss = -sum(yj * (aj - sp.log(total)) for yj, aj in zip(yvec, avec))
    d = sp.diff(loss, avec[0])
    d = d.subs(sp.exp(avec[0]) / total, yh)  # softmax_1 -> yh
    d = d.subs(yvec[-1], 1 - sum(yvec[:-1]))  # labels sum to one
    return simplify(d.subs(yvec[0], y))


# A saturated unit's complement as a value of its own: 1 - h (sigmoid, softmax), 1 - h^2 (tanh).
comp = sp.Symbol("comp", positive=True)


def saturated_form(expr: sp.Expr, act: str, high: bool = True, label_one: bool = False) -> sp.Expr:
    """`expr` with the unit's complement as the symbol `comp`, replaced structurally (xreplace:
    no other sum is rewritten). Sigmoid and softmax: 1 - h. Tanh: 1 - h^2, and where sympy wrote it
    as (1 + h)(1 - h), the factor that vanishes (1 - h for h near 1, `high`; else 1 + h) as
    comp / (the other), which the product cancels. With the label 1 also yh - y, then -(1 - yh)."""
    rules = {}
    for u in (h, yh):
        if act == "tanh":
            rules[1 - u**2] = comp
            rules[1 - u if high else 1 + u] = comp / (1 + u if high else 1 - u)
        else:
            rules[1 - u] = comp
    out = expr.xreplace(rules)
    return out.xreplace({yh - y: -comp}) if label_one and act != "tanh" else out


def hidden_delta_factor(act: str) -> Derivative:
    """delta(l) = g'(a(l)) * (W(l+1)^T delta(l+1)): the g' factor."""
    return activation_derivative(act)


# -- printing ----------------------------------------------------------------------


# numfmt's precedence of printed numbers on sympy's scale.
_LEVEL = {numfmt.SUM: PRECEDENCE["Add"], numfmt.PRODUCT: PRECEDENCE["Mul"], numfmt.ATOM: PRECEDENCE["Atom"]}


class HandoutPrinter(LatexPrinter):
    """LaTeX for handouts: symbols named by the course's notation, optionally replaced by values.

    `names` maps a sympy Symbol to its display LaTeX; `values` (for a substituted
    line) maps it to a formatted number instead, given bare (-0.5, not (-0.5)). Sums
    print positive terms first (yh - y rather than -y + yh), in the same order for
    formula and substitution.

    A substituted number is an atom to sympy, but not to a reader: -0.5 binds like a
    sum and 1.2 \\times 10^{-5} like a product (numfmt.precedence). The printer asks
    for that precedence wherever sympy decides on parentheses, so they come out of
    the same rule as for any subexpression: (-0.5)^{2}, 0.5 - (-0.3), 0.5 \\cdot (-0.3).
    In a substituted line every product is written with \\cdot (two numbers side by side
    would read as one), and a leading minus never touches a number: -\\left(0 \\cdot
    \\log(0.37)\\right), not -0 \\log(0.37).
    """

    def __init__(self, names: dict | None = None, values: dict | None = None):
        super().__init__({"order": "none", **({"mul_symbol": "dot"} if values else {})})
        self._names = names or {}
        self._values = values or {}

    def _value_level(self, expr):
        """sympy's precedence level of a substituted number, or None for anything else."""
        if isinstance(expr, sp.Symbol) and expr in self._values:
            return _LEVEL[numfmt.precedence(self._values[expr])]
        return None

    def _print_Symbol(self, expr, style="plain"):
        if expr in self._values:
            return self._values[expr]
        if expr in self._names:
            return self._names[expr]
        return super()._print_Symbol(expr, style=style)

    def parenthesize(self, item, level, is_neg=False, strict=False) -> str:
        own = self._value_level(item)
        if own is None:
            return super().parenthesize(item, level, is_neg, strict)
        if own < level or (not strict and own <= level):
            return self._add_parens(self._print(item))
        return self._print(item)

    def parenthesize_super(self, s):
        return s if s.startswith(r"\left(") else super().parenthesize_super(s)

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        own = self._value_level(expr)
        if own is None:
            return super()._needs_mul_brackets(expr, first, last)
        return own <= PRECEDENCE["Mul"]  # (-0.5) \cdot h and (1.2 \times 10^{-5}) \cdot h

    def _print_Mul(self, expr):
        if self._values and expr.could_extract_minus_sign():
            inner = self._print(-expr)
            # - 0 \log(..) would read as the number -0, and - -0.1 (minus a negative value) not at all
            if re.match(r"(\\frac\{)?-?[0-9]", inner):
                return rf"- \left({inner}\right)"
        return super()._print_Mul(expr)

    def _print_Heaviside(self, expr, exp=None):
        return rf"\mathbf{{1}}[{self._print(expr.args[0])} > 0]"

    def _print_Add(self, expr, order=None):
        terms = sorted(expr.args, key=lambda t: t.could_extract_minus_sign())  # stable: positives first
        tex = self._print(terms[0])
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                tex += " - " + self._print_term(-term)
            else:
                tex += " + " + self._print_term(term)
        return tex

    def _print_term(self, term):
        """A summand after + or -: parenthesized if it binds no tighter than a sum."""
        return self.parenthesize(term, PRECEDENCE["Add"])


def to_latex(expr: sp.Expr, names: dict | None = None, values: dict | None = None) -> str:
    return HandoutPrinter(names, values).doprint(expr)


def evaluate(expr: sp.Expr, values: dict) -> float:
    """The expression's value at `values` (Symbol -> float), for consistency checks."""
    return float(expr.subs(values).evalf(30))


class ElementwisePrinter(HandoutPrinter):
    """A unit's formula read as a vector formula: the factors of a product joined by \\odot
    (u \\odot (1 - u), as notes 002 write du/da(1)); a number in front stays a plain factor."""

    def _print_Mul(self, expr):
        coeff, factors = expr.as_coeff_mul()
        if len(factors) < 2:
            return super()._print_Mul(expr)
        tex = r" \odot ".join(self._print_term(f) for f in factors)
        if coeff == 1:
            return tex
        if coeff == -1:
            return "-" + tex
        return f"{self._print(coeff)} {tex}"


def to_latex_elementwise(expr: sp.Expr, names: dict | None = None) -> str:
    return ElementwisePrinter(names).doprint(expr)
