"""What the network View's builders share: the trace's numbers as LaTeX operands and chains.

Every number is formatted by `numfmt`, every formula printed by `symbolic` through `formulas`.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..engine.trace import Trace
from ..problem.notation import Notation
from . import numfmt
from . import formulas as F

# How the forward pass writes g(a); `{a}` is the argument. (Derivatives come from sympy.)
ACT_TEX = {
    "sigmoid": r"\sigma({a})",
    "tanh": r"\tanh({a})",
    "relu": r"\max(0, {a})",
    "linear": "{a}",
    "softmax": r"\operatorname{{softmax}}({a})",
    "step": r"\operatorname{{step}}({a})",  # the perceptron's thresholds (rule: perceptron)
    "sign": r"\operatorname{{sgn}}({a})",
}
ACT_NAME = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "linear": "identity", "softmax": "softmax",
            "step": "step (1 if a >= 0, else 0)", "sign": "sign (1 if a >= 0, else -1)"}
LOSS_NAME = {"bce": "binary cross-entropy", "ce": "categorical cross-entropy", "mse": "mean squared error",
             "sse": "half the sum of squared errors", "mae": "mean absolute error",
             "none": "none: the output itself is differentiated, so the gradients are its sensitivities"}



class Context:
    """What every step builder needs: the trace, its notation, digits, and by-hand rounding marks."""

    def __init__(self, trace: Trace, nt: Notation):
        self.trace, self.nt = trace, nt
        self.p = trace.problem
        self.d = numfmt.digits(trace.problem)  # decimals, or SigFigs
        self.v = trace.values
        self.rounded = trace.rounded if trace.arithmetic == "by-hand" else None
        # Float residues of cancelled sums are removed where they arise, against each sum's own
        # terms (engine: Arithmetic.cancel); a value that reaches the handout is a value, however
        # small beside the trace's largest (a saturated unit's 1 - h beside a dL/dyhat of 10^7).
        self.zero = 0.0
        # a complement 1 - h printed from h keeps fewer than two significant digits below this
        self._lost = 10 * numfmt.last_place(self.d)

    def fmt(self, x, *, approx: bool = False) -> str:
        """A value: a number, or a bmatrix for several; noise prints as 0."""
        return numfmt.array(x, self.d, zero=self.zero, approx=approx)

    num = fmt

    def mat(self, x, *, approx: bool = False) -> str:
        """A matrix, a bmatrix even for one element."""
        return numfmt.array(x, self.d, scalar_if_single=False, zero=self.zero, approx=approx)

    def row(self, x, *, approx: bool = False) -> str:
        """A vector written as a row (its transpose); one element as a number."""
        return numfmt.row(x, self.d, zero=self.zero, approx=approx)

    # -- operands: parentheses from precedence (numfmt.precedence), never by special case ----
    def _text(self, x) -> str:
        return x if isinstance(x, str) else self.fmt(x)

    def factor(self, x) -> str:
        """An operand of a product: a negative or scientific number gets parentheses."""
        return numfmt.wrap(self._text(x), numfmt.ATOM)

    op = factor

    def term(self, x) -> str:
        """A summand after + or -: a negative number gets parentheses (0.5 + (-0.3))."""
        return numfmt.wrap(self._text(x), numfmt.PRODUCT)

    def product(self, *factors) -> str:
        """Factors (values, or text from fmt/mat/row) written as one product.

        Two matrices are juxtaposed (a matrix product, W h); a scalar next to anything
        gets \\cdot, so 0.5 \\cdot 0.8933 never reads as 0.50.8933."""
        texts = [self.factor(f) for f in factors]
        out = texts[0]
        for left, right in pairwise(texts):
            both = left.startswith(r"\begin{bmatrix}") and right.startswith(r"\begin{bmatrix}")
            out += (" " if both else r" \cdot ") + right
        return out

    def sum(self, terms) -> str:
        """Summands joined by +, each after the first parenthesized if negative; no summands is 0
        (the other outputs of a softmax of one unit)."""
        texts = [self._text(t) for t in terms]
        if not texts:
            return "0"
        return " + ".join([texts[0], *(self.term(t) for t in texts[1:])])

    def saturation(self, e: str, l: int) -> "Saturation | None":
        """Layer l's saturated units in this example, or None if it has none (see Saturation)."""
        comp = self.trace.aux.get(f"{e}comp{l}")
        if comp is None:
            return None
        mask = np.array([float(x) < self._lost for x in np.ravel(comp)])
        return Saturation(self.p.activations[l - 1], mask, np.ravel(comp), self) if mask.any() else None

    def chain(self, formula: str | None, substituted: str | None, value, path: str = "",
              approx: bool = False) -> list[str]:
        """[formula, substituted, value] without repeats; the last link says = or approx.

        `=` when the digits shown are the exact value; in by-hand arithmetic, when
        the computation needed no rounding at `decimals` places. A value after
        approx shows all `decimals` digits. `approx`: the value is rounded whatever its digits
        (a saturated sigmoid's 1.0 is 1 - 2 \times 10^{-17}, not 1).
        """
        links = [s for s in (formula, substituted) if s]
        if self.rounded is not None and path:
            rel = r"\approx" if self._was_rounded(path) else "="
        else:
            rel = "=" if numfmt.all_exact(value, self.d, self.zero) and not approx else r"\approx"
        final = self.fmt(value, approx=rel != "=")
        if links and links[-1] == final:
            links.pop()
        if rel == "=":
            return [*links, final]
        if links:  # `a = b \approx value`: the approx belongs to the last link only
            links[-1] = f"{links[-1]} {rel} {final}"
            return links
        return [rf"{rel} {final}"]

    def _was_rounded(self, path: str) -> bool:
        """By hand: whether computing `path` needed rounding. An augmented weight matrix
        shows the bias as a row, so its bias's rounding counts too (beside the data part of an
        L2 gradient, the bias row is the bias's gradient: biases are not regularized)."""
        if path in self.rounded:
            return True
        head, _, last = path.rpartition(".")
        bias_head = head[: -len("data_grad")] + "grad" if head.endswith("data_grad") else head
        return self.nt.augmented and last.startswith("W") and f"{bias_head}.b{last[1:]}" in self.rounded

    # -- parameters as the notation shows them ------------------------------------
    def shown(self, l: int, W, b) -> list[tuple[str, np.ndarray, str]]:
        """(symbol, matrix, canonical name) of layer l's parameters in the notation's layout."""
        nt = self.nt
        if nt.augmented:
            return [(nt.sym("weight", l), augment(nt, W, b), f"W{l}")]
        return [(nt.sym("weight", l), W.T if nt.transposed_at(l) else W, f"W{l}"), (nt.sym("bias", l), b, f"b{l}")]

    def shown_at(self, prefix: str, l: int):
        return self.shown(l, self.v[f"{prefix}W{l}"], self.v[f"{prefix}b{l}"])


def parameter_lines(p, nt: Notation, matrices: str, bias_note: str = "") -> list[tuple[str, str]]:
    """The problem section's lines on frozen parameters, the notation and where biases live."""
    lines = []
    if p.frozen:
        lines.append(("Frozen", ", ".join(p.frozen) + " (never updated)"))
    if nt.profile.name != "default":
        lines.append(("Notation", f"{nt.profile.name}: {nt.profile.description}"))
    if nt.augmented:
        where = "last" if nt.profile.bias_mode == "last" else "first"
        lines.append(("Biases", f"the {where} row of {matrices}, acting on an input augmented with 1{bias_note}"))
    return lines


def augment(nt: Notation, W, b):
    """The in-out weight matrix with the bias as its last (layered) or first (node: x_0 = 1) row."""
    rows = [W.T, np.asarray(b).reshape(1, -1)]
    return np.vstack(rows if nt.profile.bias_mode == "last" else rows[::-1])


def with_one(nt: Notation, h):
    h = np.asarray(h).reshape(-1)
    one = h[:1] * 0 + 1
    return np.concatenate([h, one] if nt.profile.bias_mode == "last" else [one, h])


def act_tex(nt: Notation, act: str) -> str:
    """How the forward pass writes g(a) for `act` in this notation: the profile's letter, or the function's name."""
    if nt.g and act != "softmax":  # softmax is not element-wise: it keeps its name
        return nt.g + "({a})"
    return ACT_TEX[act]


def tilde(sym: str) -> str:
    """The augmented vector: the tilde on the base letter, not over its superscript (\\tilde{h}^{(1)})."""
    base, sep, rest = sym.partition("^")
    return rf"\tilde{{{base}}}{sep}{rest}"


def T(sym: str) -> str:
    """The transpose of a symbol that may already carry a superscript."""
    return f"{{{sym}}}^\\top"


def paren(x, d: int) -> str:
    """A number as an operand of a product (see Context.factor, which also knows the noise floor)."""
    return numfmt.wrap(numfmt.number(x, d), numfmt.ATOM)


def column(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def unit_names(nt: Notation, l: int) -> dict:
    """Display names of the symbolic unit variables for layer l (the output layer's h is yhat)."""
    return {F.y: nt.y, F.yh: nt.yhat, F.h: nt.yhat if l == nt.depth else nt.sym("act", l), F.a: nt.sym("pre", l)}


class Saturation:
    """A layer's units whose complement (1 - h for a sigmoid or softmax, 1 - h^2 for tanh) keeps
    fewer than two significant digits when computed from h at the digits shown (h = 1.0000).

    The rule for printing them: the complement is a value of its own, computed without
    cancellation by the engine (trace.aux `{e}comp{l}`: sigmoid(-a), sech^2(a)), shown in a
    line of its own and in scientific form with all the handout's digits (2.061 \times 10^{-9}),
    and substituted wherever a formula has 1 - h (or 1 - h^2) in place of 1 - 1.0000. The unit's
    own output is shown rounded (1.0000, after \approx), never as the exact-looking 1 that float64
    underflow leaves. So no line prints log(1 - 1), 1/0 or infinity.
    """

    def __init__(self, act: str, mask: np.ndarray, comp: np.ndarray, c: Context):
        self.act, self.mask, self.comp, self._c = act, mask, comp, c

    def text(self, k: int) -> str:
        """The complement of unit k as printed: scientific, all digits."""
        return numfmt.scientific(self.comp[k], self._c.d)

    def column(self) -> str:
        """Every unit's complement: the saturated in scientific form, the others as usual."""
        return column([self.text(k) if self.mask[k] else self._c.fmt(x, approx=True) for k, x in enumerate(self.comp)])


def per_unit(expr: F.Formula, names: dict, arrays: dict, c: Context, sat: Saturation | None = None) -> str:
    """`expr` printed once per unit with that unit's values; a column for several units.

    The values go in bare: the printer parenthesizes each by its precedence. A saturated
    unit (`sat`) is printed in its complement (symbolic.saturated_form) with that value substituted."""
    n = len(next(iter(arrays.values())))
    return column([unit_latex(expr, names, arrays, c, k, sat) for k in range(n)])


def unit_latex(expr: F.Formula, names: dict, arrays: dict, c: Context, k: int, sat: Saturation | None = None) -> str:
    """`expr` substituted with unit k's values (see per_unit).

    By hand, a saturated output rounds onto 0 or 1, and a loss term whose coefficient is then
    exactly 0 meets a factor with no value: (1 - y) log(1 - yhat) with y = 1 and yhat = 1.0000,
    (1 - y)/(1 - yhat) likewise. Such a term is absent from this example's loss (the convention
    0 log 0 = 0 the engine computes with), so it is left out of the substitution rather than
    printed as 0 log(0) or 0/0 (Formula.defined_at)."""
    if sat is None or not sat.mask[k]:
        if c.trace.arithmetic == "by-hand":
            expr = expr.defined_at({sym: float(vals[k]) for sym, vals in arrays.items()})
        return expr.latex(names, {sym: c.num(vals[k]) for sym, vals in arrays.items()})
    label_one = F.y in arrays and float(arrays[F.y][k]) == 1
    out = next((vals[k] for sym, vals in arrays.items() if sym in (F.h, F.yh)), 1)
    values = {sym: c.num(vals[k], approx=sym in (F.h, F.yh)) for sym, vals in arrays.items()}
    form = expr.saturated(sat.act, high=float(out) > 0, label_one=label_one)
    return form.latex(names, {**values, F.comp: sat.text(k)})
