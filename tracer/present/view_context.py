"""What the network View's builders share: the trace's numbers as LaTeX operands and chains.

Every number is formatted by `numfmt`, every formula printed by `symbolic`.
"""

from __future__ import annotations

import numpy as np

from ..engine.trace import Trace
from ..problem.notation import Notation
from . import numfmt
from . import symbolic as S

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



class Context:
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
        return numfmt.array(arr, self.d) if arr.size > 1 else paren(arr.reshape(-1)[0], self.d)

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
            return [(nt.sym("weight", l), augment(nt, W, b), f"W{l}")]
        return [(nt.sym("weight", l), W.T if nt.transposed_at(l) else W, f"W{l}"), (nt.sym("bias", l), b, f"b{l}")]

    def shown_at(self, prefix: str, l: int):
        return self.shown(l, self.v[f"{prefix}W{l}"], self.v[f"{prefix}b{l}"])


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


def col_times_row(c: "Context", col, row) -> str:
    """An outer product `col row^T` with numbers; a single-number row is a scalar factor, written `\\cdot (x)`."""
    row = np.asarray(row).reshape(-1)
    if row.size == 1:
        return rf"{c.op(col)} \cdot {paren(row[0], c.d)}"
    return f"{c.op(col)} {numfmt.row(row, c.d)}"


def T(sym: str) -> str:
    """The transpose of a symbol that may already carry a superscript."""
    return f"{{{sym}}}^\\top"


def paren(x, d: int) -> str:
    s = numfmt.number(x, d)
    return f"({s})" if s.startswith("-") or "times" in s else s


def column(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def unit_names(nt: Notation, l: int) -> dict:
    """Display names of the symbolic unit variables for layer l (the output layer's h is yhat)."""
    return {S.y: nt.y, S.yh: nt.yhat, S.h: nt.yhat if l == nt.depth else nt.sym("act", l), S.a: nt.sym("pre", l)}


def per_unit(expr, names: dict, arrays: dict, d: int) -> str:
    """`expr` printed once per unit with that unit's values; a column for several units."""
    n = len(next(iter(arrays.values())))
    return column([S.to_latex(expr, names, {sym: paren(vals[k], d) for sym, vals in arrays.items()}) for k in range(n)])



