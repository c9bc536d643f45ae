"""Read a handout's substituted line back into numbers and operations, and re-evaluate it.

A small recursive-descent parser over the LaTeX the View prints, written apart from the
printer so that it cannot share its mistakes. It accepts what a careful reader accepts:

    link    := ['\\approx'] expr ['\\approx' expr] ['\\quad' \\text{...}]
    expr    := ['-'] term (('+' | '-') term)*       a minus only at the start: 0.5 + -0.3 is refused
    term    := factor (('\\cdot' | '\\odot' | juxtaposition) factor)*
    factor  := primary ('^' '{' expr '}' | '^' digit | '^\\top')*
    primary := number | (expr) | \\left( expr \\right) | \\left[ expr \\right] | \\left| expr \\right|
             | bmatrix | \\frac{expr}{expr} | \\sigma(..) | \\tanh(..) | \\log{..} | \\exp(..)
             | \\max(0, expr) | \\mathbf{1}[expr > 0] | \\operatorname{softmax}(..) | \\operatorname{step}(..) | \\operatorname{sgn}(..)
             | \\max(a, b) | \\min(a, b) | \\sin | \\cos | \\sqrt{..} | \\pi     (a graph's)

Juxtaposition is a product only where it cannot be misread: two matrices (W h) and a
fraction before a parenthesized group (\\frac{1}{4}(...)). Two numbers side by side
(0.5 0.8933), a number before a matrix, a minus directly before 0 are parse errors, and
so are sums of different shapes. A symbol (any letter or unknown command) raises
`Symbolic`: the link is a formula, not a substitution.

Every number carries the uncertainty its printed digits allow (half a unit of its last
digit if it shows all `decimals` digits or is in scientific form; none if it shows fewer,
which numfmt prints only for values exact at `decimals`), propagated to first order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np


class ParseError(ValueError):
    """The text is not a well-formed numeric line."""


class Symbolic(ValueError):
    """The text names a symbol: it is a formula line, not a substituted one."""


class Unsupported(ValueError):
    """Well-formed, but not checkable (infinity, undefined)."""


_NUM = r"\d+(?:\.\d+)?(?:\s*\\times\s*10\^\{-?\d+\})?"
_TOKEN = re.compile(rf"\s*(?:(?P<num>{_NUM})|(?P<cmd>\\[A-Za-z]+|\\\\|\\[,;!: ])|(?P<ch>[-+()\[\]{{}}^&,>=|<_'])|(?P<letter>[A-Za-z]))")


@dataclass
class Num:
    text: str
    value: float
    unc: float
    decimals: int | None  # digits after the point, None in scientific form


@dataclass(frozen=True)
class Sig:
    """`sig_figs: n`: passed where the decimals go; a number shows n significant figures."""

    n: int


def _significant(whole: str, frac: str) -> int:
    """Significant figures a printed number shows (leading zeros do not count)."""
    return len((whole + frac).lstrip("0"))


def shows_all(num: Num, decimals) -> bool:
    """True if `num` shows every digit the precision allows (all decimals, or all figures)."""
    if isinstance(decimals, Sig):
        whole, _, frac = num.text.partition(".")
        if not frac:  # an integer's trailing zeros may be placeholders (1020 shows 3 figures, or 4)
            return len(whole.strip("0")) <= decimals.n <= len(whole.lstrip("0"))
        return _significant(whole, frac) == decimals.n
    return num.decimals == decimals


def number(text: str, decimals: int) -> Num:
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:\s*\\times\s*10\^\{(-?\d+)\})?", text)
    if not m:
        raise ParseError(f"not a number: {text!r}")
    whole, frac, exp = m.groups()
    mantissa = float(f"{whole}.{frac or 0}")
    if exp is not None and abs(int(exp)) > 300:  # exact arithmetic's 10^-628: past float64, not checkable here
        raise Unsupported(text)
    if exp is not None:
        scale = 10.0 ** int(exp)
        return Num(text, mantissa * scale, 0.5 * 10.0 ** -len(frac or "") * scale, None)
    places = len(frac or "")
    if isinstance(decimals, Sig):
        figures = _significant(whole, frac or "")
        if not frac and figures > decimals.n:  # 1020 at 3 figures: its trailing zeros are placeholders
            return Num(text, mantissa, 0.5 * 10.0 ** (figures - decimals.n), places)
        unc = 0.5 * 10.0**-places if figures >= decimals.n else 0.0
        return Num(text, mantissa, unc, places)
    unc = 0.5 * 10.0**-places if places >= decimals else 0.0
    return Num(text, mantissa, unc, places)


@dataclass
class Q:
    """A value with its first-order uncertainty; `cat` is its syntactic kind for juxtaposition."""

    v: np.ndarray
    u: np.ndarray
    cat: str = "expr"  # number, matrix, group, frac, call, expr

    @property
    def scalar(self) -> bool:
        return self.v.size == 1 and (self.v.ndim == 0 or self.cat != "matrix")


def _same_shape(a: Q, b: Q, what: str):
    if a.v.size == 1 and b.v.size == 1:
        return a.v.reshape(()), a.u.reshape(()), b.v.reshape(()), b.u.reshape(())
    if a.v.shape != b.v.shape:
        raise ParseError(f"{what} of shapes {a.v.shape} and {b.v.shape}")
    return a.v, a.u, b.v, b.u


def _scalar_or_same(a: Q, b: Q, what: str):
    if a.scalar or b.scalar:
        av, bv = (a.v.reshape(()) if a.scalar else a.v), (b.v.reshape(()) if b.scalar else b.v)
        au, bu = (a.u.reshape(()) if a.scalar else a.u), (b.u.reshape(()) if b.scalar else b.u)
        return av, au, bv, bu
    return _same_shape(a, b, what)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


class Parser:
    def __init__(self, text: str, decimals: int):
        self.text, self.d = text, decimals
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise ParseError(f"cannot read {text[pos:pos + 20]!r}")
            pos = m.end()
            kind = m.lastgroup
            tok = m.group(kind)
            if kind == "cmd" and tok in (r"\,", r"\;", r"\!", r"\:", "\\ "):
                continue
            self.toks.append((kind, tok))
        self.i = 0
        self.literals: list[Num] = []
        self.rel_literals: list[list[Num]] = []

    # -- tokens ---------------------------------------------------------------------------
    def peek(self, k: int = 0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("end", "")

    def next(self):
        tok = self.peek()
        self.i += 1
        return tok

    def accept(self, tok: str) -> bool:
        if self.peek()[1] == tok:
            self.i += 1
            return True
        return False

    def expect(self, tok: str):
        if not self.accept(tok):
            raise ParseError(f"expected {tok!r}, found {self.peek()[1]!r} in {self.text!r}")

    def _open(self, delim: str) -> bool:
        """`delim` or \\left`delim`."""
        if self.peek()[1] == delim:
            self.i += 1
            return True
        if self.peek()[1] == r"\left" and self.peek(1)[1] == delim:
            self.i += 2
            return True
        return False

    def _close(self, delim: str):
        if self.accept(r"\right"):
            self.expect(delim)
        else:
            self.expect(delim)

    # -- grammar --------------------------------------------------------------------------
    def link(self) -> list[tuple[str, Q, list[Num]]]:
        """[(relation, value, literals)]: `a \\approx b` gives [("=", a), ("\\approx", b)]."""
        parts = []
        rel = "\\approx" if self.accept(r"\approx") else "="
        while True:
            self.literals = []
            q = self.expr()
            parts.append((rel, q, self.literals))
            if self.accept(r"\approx"):
                rel = r"\approx"
                continue
            if self.accept("="):
                rel = "="
                continue
            break
        if self.accept(r"\quad"):  # a trailing note: \quad \text{(b1 frozen)}
            self.expect(r"\text")
            self.i = len(self.toks)
        if self.peek()[0] != "end":
            raise ParseError(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return parts

    def expr(self) -> Q:
        neg = self.accept("-")
        if neg and self.peek()[0] == "num" and float(number(self.peek()[1], self.d).value) == 0:
            raise ParseError(f"-0 in {self.text!r}")
        q = self.term()
        if neg:
            q = Q(-q.v, q.u, q.cat if q.cat in ("number", "matrix") and self.peek()[0] == "end" else "expr")
        while self.peek()[1] in ("+", "-"):
            op = self.next()[1]
            if self.peek()[1] == "-":
                raise ParseError(f"a negative operand after {op!r} needs parentheses: {self.text!r}")
            r = self.term()
            av, au, bv, bu = _same_shape(q, r, "a sum")
            q = Q(av + bv if op == "+" else av - bv, au + bu)
        return q

    def _starts_factor(self) -> bool:
        kind, tok = self.peek()
        if kind == "cmd":  # any command but an operator or a closing one starts a factor (or a symbol)
            return tok not in (r"\cdot", r"\odot", r"\approx", r"\right", r"\end", r"\quad", "\\\\")
        return kind in ("num", "letter") or tok == "("

    def term(self) -> Q:
        q = self.factor()
        while True:
            tok = self.peek()[1]
            if tok == r"\cdot":
                self.next()
                r = self.factor()
                if q.scalar or r.scalar:
                    av, au, bv, bu = _scalar_or_same(q, r, "a product")
                    q = Q(av * bv, np.abs(av) * bu + np.abs(bv) * au)
                else:
                    q = self._matmul(q, r)
            elif tok == r"\odot":
                self.next()
                r = self.factor()
                av, au, bv, bu = _scalar_or_same(q, r, "a Hadamard product")
                q = Q(av * bv, np.abs(av) * bu + np.abs(bv) * au)
            elif self._starts_factor():
                r = self.factor()
                if q.cat == "matrix" and r.cat == "matrix":
                    q = self._matmul(q, r)
                elif q.cat == "number" and r.cat == "constant":  # 2 \\pi: a coefficient, as algebra writes it
                    q = Q(q.v * r.v, q.u * r.v)
                elif q.cat == "frac" and r.cat == "group":
                    av, au, bv, bu = _scalar_or_same(q, r, "a product")
                    q = Q(av * bv, np.abs(av) * bu + np.abs(bv) * au)
                else:
                    raise ParseError(f"juxtaposition of a {q.cat} and a {r.cat} in {self.text!r}")
            else:
                return q

    @staticmethod
    def _matmul(a: Q, b: Q) -> Q:
        A, B = np.atleast_2d(a.v), np.atleast_2d(b.v)
        if A.shape[1] != B.shape[0]:
            raise ParseError(f"matrix product of shapes {A.shape} and {B.shape}")
        return Q(A @ B, np.abs(A) @ np.atleast_2d(b.u) + np.atleast_2d(a.u) @ np.abs(B), "matrix")

    def factor(self) -> Q:
        q = self.primary()
        while self.accept("^"):
            if self.accept(r"\top"):
                q = Q(np.atleast_2d(q.v).T, np.atleast_2d(q.u).T, q.cat)
                continue
            if self.accept("{"):
                if self.accept(r"\top"):
                    self.expect("}")
                    q = Q(np.atleast_2d(q.v).T, np.atleast_2d(q.u).T, q.cat)
                    continue
                e = self.expr()
                self.expect("}")
            else:
                e = self.primary()
            if e.u.any():
                raise ParseError("uncertain exponent")
            n = e.v.reshape(())
            # a power of a constant is a constant (3 \\pi^{3}: a coefficient, as algebra writes it)
            q = Q(q.v**n, np.abs(n * q.v ** (n - 1)) * q.u, "constant" if q.cat == "constant" else "expr")
        return q

    def primary(self) -> Q:
        kind, tok = self.peek()
        if kind == "num":
            self.next()
            n = number(tok, self.d)
            self.literals.append(n)
            return Q(np.array(n.value), np.array(n.unc), "number")
        if kind == "letter":
            raise Symbolic(tok)
        if self._open("("):
            q = self.expr()
            self._close(")")
            return Q(q.v, q.u, "group")
        if self.peek()[1] == r"\left" and self.peek(1)[1] == "[":
            self.i += 2
            q = self.expr()
            self._close("]")
            return Q(q.v, q.u, "group")
        if self.peek()[1] == r"\left" and self.peek(1)[1] == "|":
            self.i += 2
            q = self.expr()
            self._close("|")
            return Q(np.abs(q.v), q.u, "group")
        if tok == "{":
            self.next()
            q = self.expr()
            self.expect("}")
            return Q(q.v, q.u, "group")
        if tok == r"\begin":
            return self.bmatrix()
        if tok == r"\frac":
            self.next()
            self.expect("{")
            a = self.expr()
            self.expect("}")
            self.expect("{")
            b = self.expr()
            self.expect("}")
            av, au, bv, bu = _scalar_or_same(a, b, "a fraction")
            if np.any(bv == 0):
                raise ParseError(f"division by 0 in {self.text!r}")
            return Q(av / bv, au / np.abs(bv) + np.abs(av) * bu / bv**2, "frac")
        if tok in (r"\sigma", r"\tanh", r"\log", r"\exp"):
            self.next()
            x = self._argument()
            if tok == r"\sigma":
                s = _sigmoid(x.v)
                return Q(s, s * (1 - s) * x.u, "call")
            if tok == r"\tanh":
                t = np.tanh(x.v)
                return Q(t, (1 - t**2) * x.u, "call")
            if tok == r"\log":
                if np.any(x.v <= 0):
                    raise ParseError(f"log of {x.v} in {self.text!r}")
                return Q(np.log(x.v), x.u / np.abs(x.v), "call")
            e = np.exp(x.v)
            return Q(e, e * x.u, "call")
        if tok in (r"\max", r"\min"):  # max(0, x) of relu, and a graph's max(a, b), min(a, b)
            self.next()
            self._open("(") or self._fail("(")
            a = self.expr()
            self.expect(",")
            b = self.expr()
            self._close(")")
            pick = np.maximum if tok == r"\max" else np.minimum
            first = (a.v >= b.v) if tok == r"\max" else (a.v <= b.v)
            return Q(pick(a.v, b.v), np.where(first, a.u, b.u), "call")
        if tok in (r"\sin", r"\cos"):
            self.next()
            x = self._argument()
            if tok == r"\sin":
                return Q(np.sin(x.v), np.abs(np.cos(x.v)) * x.u, "call")
            return Q(np.cos(x.v), np.abs(np.sin(x.v)) * x.u, "call")
        if tok == r"\sqrt":
            self.next()
            self.expect("{")
            x = self.expr()
            self.expect("}")
            if np.any(x.v < 0):
                raise ParseError(f"sqrt of {x.v} in {self.text!r}")
            r = np.sqrt(x.v)
            return Q(r, np.where(r > 0, x.u / (2 * np.where(r > 0, r, 1)), np.sqrt(x.u)), "call")
        if tok == r"\pi":
            self.next()
            return Q(np.array(np.pi), np.array(0.0), "constant")
        if tok == r"\mathbf":
            self.next()
            for t in ("{",):
                self.expect(t)
            one = self.next()
            if one[1] != "1":
                raise ParseError("\\mathbf{1} expected")
            self.expect("}")
            self.expect("[")
            x = self.expr()
            self.expect(">")
            zero = self.next()
            if zero[1] != "0":
                raise ParseError("> 0 expected")
            self.expect("]")
            return Q((x.v > 0).astype(float), np.zeros_like(x.u), "call")
        if tok == r"\operatorname":
            self.next()
            self.expect("{")
            name = ""
            while self.peek()[0] == "letter":
                name += self.next()[1]
            self.expect("}")
            x = self._argument()
            if name == "softmax":
                s = _softmax(x.v.reshape(-1)).reshape(x.v.shape)
                flat = s.reshape(-1)
                jac = np.abs(np.diag(flat) - np.outer(flat, flat))
                return Q(s, (jac @ x.u.reshape(-1)).reshape(x.v.shape), "call")
            if name == "sign":
                return Q(np.sign(x.v), np.zeros_like(x.u), "call")
            if name in ("step", "sgn"):  # the perceptron's thresholds: a >= 0 is the positive side
                return Q(np.where(x.v >= 0, 1.0, 0.0 if name == "step" else -1.0), np.zeros_like(x.u), "call")
            raise Symbolic(name)
        if tok in (r"\infty", r"\text"):
            raise Unsupported(tok)
        if kind == "cmd":
            raise Symbolic(tok)
        raise ParseError(f"unexpected {tok!r} in {self.text!r}")

    def _fail(self, what):
        raise ParseError(f"expected {what!r} in {self.text!r}")

    def _argument(self) -> Q:
        """(x), \\left(x\\right) or sympy's {\\left(x \\right)}."""
        braced = self.accept("{")
        if not self._open("("):
            self._fail("(")
        x = self.expr()
        self._close(")")
        if braced:
            self.expect("}")
        return x

    def bmatrix(self) -> Q:
        self.expect(r"\begin")
        self.expect("{")
        name = ""
        while self.peek()[0] == "letter":
            name += self.next()[1]
        self.expect("}")
        if name != "bmatrix":
            raise ParseError(f"environment {name!r}")
        rows, row, literals = [], [], []
        outer = self.literals
        while True:
            self.literals = []
            cell = self.expr()
            literals.extend(self.literals)
            if cell.v.size != 1:
                raise ParseError(f"a matrix cell of shape {cell.v.shape}")
            row.append(cell)
            if self.accept("&"):
                continue
            rows.append(row)
            row = []
            if self.accept("\\\\"):
                continue
            self.expect(r"\end")
            self.expect("{")
            while self.peek()[0] == "letter":
                self.next()
            self.expect("}")
            break
        if len({len(r) for r in rows}) != 1:
            raise ParseError("ragged matrix")
        self.literals = outer + literals
        v = np.array([[c.v.reshape(()) for c in r] for r in rows], dtype=float)
        u = np.array([[c.u.reshape(()) for c in r] for r in rows], dtype=float)
        return Q(v, u, "matrix")


def parse_link(text: str, decimals: int) -> list[tuple[str, Q, list[Num]]]:
    return Parser(text, decimals).link()


def parse(text: str, decimals: int = 4) -> Q:
    """One expression (for tests of the parser itself)."""
    parts = parse_link(text, decimals)
    if len(parts) != 1:
        raise ParseError(f"a relation in {text!r}")
    return parts[0][1]


@dataclass
class Mismatch:
    text: str
    computed: np.ndarray
    printed: np.ndarray
    tolerance: np.ndarray


def check_chain(links: list[str], decimals: int) -> list[str]:
    """Problems with one step's chain: every numeric link must evaluate to the printed result
    within the rounding its digits show; after \\approx every number shows `decimals` digits.
    Raises ParseError for a numeric link that does not parse, Unsupported if not checkable."""
    parts: list[tuple[str, Q, list[Num], str]] = []
    for text in links:
        try:
            got = parse_link(text, decimals)
        except Symbolic:
            if parts:
                return [f"a formula after the numbers: {text!r}"]
            continue
        parts.extend((rel, q, lits, text) for rel, q, lits in got)
    if not parts:
        return []
    rel, result, lits, text = parts[-1]
    problems = []
    if result.cat not in ("number", "matrix") or (result.cat == "matrix" and result.u.size != len(lits)):
        problems.append(f"the result is not a plain value: {text!r}")
    if rel == r"\approx":
        ragged = [n.text for n in lits if n.decimals is not None and not shows_all(n, decimals) and n.value != 0]
        if ragged:
            what = f"{decimals.n} significant figures" if isinstance(decimals, Sig) else f"{decimals} decimals"
            problems.append(f"after \\approx, {ragged} do not show {what}: {text!r}")
    res_unc = result.u if rel == r"\approx" else np.zeros_like(result.u)
    if rel == r"\approx":  # a 0 after approx may be a value rounded to 0 (by hand, the engine keeps that 0)
        floor = 0.5 * 10.0**-(4 if isinstance(decimals, Sig) else decimals)
        res_unc = np.where(result.v == 0, floor, res_unc)
    for k, (_, q, qlits, qtext) in enumerate(parts[:-1]):
        if k == 0 and q.v.size == 1 and result.v.size > 1 and not q.u.any():
            q = Q(np.full(result.v.shape, float(q.v.reshape(()))), np.zeros(result.v.shape))  # g'(a) = 1, per unit
        try:
            qv, qu, rv, ru = _same_shape(q, Q(result.v, res_unc), "a result")
        except ParseError as err:
            problems.append(f"{err}: {qtext!r}")
            continue
        worst = max((n.unc for n in qlits), default=0.0)
        tol = 1.001 * (qu + ru) + 4 * worst**2 * max(1, len(qlits)) + 1e-9 * (1 + np.abs(rv))
        bad = np.abs(qv - rv) > tol
        if np.any(bad):
            problems.append(f"{qtext!r} evaluates to {np.round(qv, 12).tolist()}, printed {rv.tolist()} "
                            f"(tolerance {np.asarray(tol).tolist()})")
    return problems
