"""A graph node's expression tree (tracer.problem.expr) as sympy: to print it, and to derive
its local derivatives.

Two readings of one tree: `as_written` keeps the order and grouping the spec wrote
(x*x stays x x, y + x stays y + x), for the forward pass; `derivable` lets sympy
combine terms, for `sp.diff`. The printer is the handout's (symbolic.HandoutPrinter)
with the graph's functions: sigmoid as σ(·), exp as exp(·) (a substituted e^{...}
would read as a symbol), relu as max(0, ·).
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from ..problem import expr as E
from .symbolic import HandoutPrinter


class sigmoid(sp.Function):  # noqa: N801 (sympy names functions in lower case)
    """σ(x) = 1 / (1 + e^{-x}); its derivative is σ(x)(1 - σ(x)), as lectures write it."""

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)


class Paren(sp.Function):  # noqa: N801
    """Parentheses the spec wrote and sympy would drop: -(-x). Only in the as-written reading."""


def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _literal(text: str, evaluate: bool):
    if re.fullmatch(r"\d+", text):
        return sp.Integer(int(text))
    return sp.Float(text, 15)


def to_sympy(tree: E.Expr, evaluate: bool = False) -> sp.Expr:
    """The sympy expression of `tree`; unevaluated (as written) unless `evaluate`."""
    ev = {"evaluate": evaluate}
    tag = tree[0]
    if tag == "num":
        return _literal(tree[1], evaluate)
    if tag == "const":
        return sp.pi if tree[1] == "pi" else sp.E
    if tag == "name":
        return symbol(tree[1])
    if tag == "neg" and tree[1][0] == "num":
        return -_literal(tree[1][1], evaluate)  # a negative number, as written
    if tag == "neg":
        inner = to_sympy(tree[1], evaluate)
        if not evaluate and tree[1][0] in ("neg", "num") and inner.could_extract_minus_sign():
            inner = Paren(inner)  # -(-x) as written, not sympy's flat (-1)(-1)x
        return sp.Mul(-1, inner, **ev)
    if tag == "call":
        args = [to_sympy(a, evaluate) for a in tree[2]]
        fn = tree[1]
        if fn == "relu":
            return sp.Max(0, args[0], **ev)
        if fn in ("max", "min"):
            return (sp.Max if fn == "max" else sp.Min)(*args, **ev)
        if fn == "abs":
            return sp.Abs(args[0], **ev)
        if fn == "sqrt":
            return sp.Pow(args[0], sp.Rational(1, 2), **ev)
        if fn == "sigmoid":
            return sigmoid(args[0], **ev)
        return getattr(sp, fn)(args[0], **ev)
    a, b = to_sympy(tree[1], evaluate), to_sympy(tree[2], evaluate)
    if tag == "+":
        return sp.Add(a, b, **ev)
    if tag == "-":
        return sp.Add(a, sp.Mul(-1, b, **ev), **ev)
    if tag == "*":
        return sp.Mul(a, b, **ev)
    if tag == "/":
        return sp.Mul(a, sp.Pow(b, -1, **ev), **ev)
    return sp.Pow(a, b, **ev)


def local_derivative(tree: E.Expr, arg: str) -> sp.Expr:
    """d tree / d arg, derived by sympy from the whole expression."""
    return sp.diff(to_sympy(tree, evaluate=True), symbol(arg))


class GraphPrinter(HandoutPrinter):
    """The handout printer, with the graph's functions written as lectures write them."""

    def _print_sigmoid(self, expr, exp=None):
        tex = rf"\sigma\left({self._print(expr.args[0])}\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_exp(self, expr, exp=None):
        tex = rf"\exp\left({self._print(expr.args[0])}\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_Pow(self, expr):
        # tanh(x)^2, not sympy's \tanh^{2}(x): the square of a value reads plainly once substituted
        if expr.base.is_Function and expr.exp.is_Integer and expr.exp > 1:
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Paren(self, expr, exp=None):
        return rf"\left({self._print(expr.args[0])}\right)"

    def _print_Add(self, expr, order=None):
        # As the handout printer, but a term that still prints with a leading minus after
        # " - " (x - (-x) as written, or minus a negative value) is parenthesized: x - \left(-x\right)
        terms = sorted(expr.args, key=lambda t: t.could_extract_minus_sign())
        tex = self._print(terms[0])
        for term in terms[1:]:
            sign, body = (" - ", -term) if term.could_extract_minus_sign() else (" + ", term)
            text = self._print_term(body)
            tex += sign + (rf"\left({text}\right)" if text.startswith("-") else text)
        return tex

    def _print_Heaviside(self, expr, exp=None):
        tex = rf"\mathbf{{1}}[{self._print(expr.args[0])} > 0]"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _print_Mul(self, expr):
        # A product as written, pi * (2 * x): a factor that starts with a number after another
        # gets \cdot (\pi \cdot 2 x_{1}), never "\pi 2 x_{1}", a number set beside its neighbour
        # (sympy only separates two numbers). A leading minus is the handout printer's.
        args = expr.args
        over = any((a.is_Pow and a.exp.is_negative) or (a.is_Rational and not a.is_Integer) for a in args)
        # with values substituted the handout printer already separates every number (its own rule)
        if self._values or len(args) < 2 or expr.could_extract_minus_sign() or over:  # a fraction: sympy's layout
            return super()._print_Mul(expr)
        # a product inside a product as written needs no parentheses, unless it starts with a minus
        parts = [self._print(a) if isinstance(a, sp.Mul) and not a.could_extract_minus_sign()
                 else self.parenthesize(a, PRECEDENCE["Mul"]) for a in args]
        # \cdot before a factor that starts with a number, and between two constants (\pi \cdot \pi);
        # 2 \pi and \pi x stay as algebra writes them
        def lead(x):  # the factor a printed product starts with
            return lead(x.args[0]) if isinstance(x, sp.Mul) and not x.could_extract_minus_sign() else x

        cdot = [bool(re.match(r"-?[0-9]", part)) or (a.is_number and lead(b).is_number and not a.is_Integer)
                for a, b, part in zip(args, args[1:], parts[1:])]
        if not any(cdot):
            return super()._print_Mul(expr)
        tex = parts[0]
        for dot, part in zip(cdot, parts[1:]):
            tex += (r" \cdot " if dot else " ") + part
        return tex


def latex(expr: sp.Expr, names: dict | None = None, values: dict | None = None) -> str:
    return GraphPrinter(names, values).doprint(expr)
