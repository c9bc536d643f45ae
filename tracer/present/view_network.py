"""Trace -> View for a layered network: the problem section, every iteration, the summary.

Symbols and the shape in which weights are shown come from the problem's
notation profile; the per-iteration sections are in `view_passes`.
"""

from __future__ import annotations

import copy

import numpy as np

from ..engine.arithmetic import EXACT_DIGITS
from ..engine.trace import Trace
from ..problem.notation import Notation
from . import numfmt
from .derivation import derivation_steps
from .figures import curve_figures, network_figures
from .steps import Step, View
from .view_context import ACT_NAME, LOSS_NAME, Context, T, parameter_lines
from .view_passes import iteration_view


def build_network_view(trace: Trace, notation: Notation | None = None) -> View:
    """Lay out every number of `trace` as steps, in computation order."""
    p = trace.problem
    nt = notation or p.notation.bind(p.depth)
    if p.loss == "none":  # no loss: every derivative is the output's own, d yhat / d ...
        nt = copy.copy(nt)
        nt.loss = nt.yhat
    c = Context(trace, nt)
    d = p.decimals

    setup = [
        ("Network", "layers " + " \u2013 ".join(str(n) for n in p.layers) + " (input first)"),
        ("Activations", ", ".join(f"layer {l}: {ACT_NAME[a]}" for l, a in enumerate(p.activations, 1))),
        ("Loss", loss_text(p, nt)),
        ("Training", mode_text(p)),
    ]
    if p.sig_figs is not None:
        setup.append(("Rounding", f"every number shown to {p.sig_figs} significant figures"))
    arith = {
        "exact": f"exact: every value carried with {EXACT_DIGITS} significant digits, so each digit shown is certified",
        "by-hand": f"by hand: every intermediate rounded to "
                   f"{f'{p.sig_figs} significant figures' if p.sig_figs else f'{d} decimal places'} "
                   "before it is used further, as with a calculator",
    }.get(trace.arithmetic)
    if arith:
        setup.append(("Arithmetic", arith))
    if p.l2:
        setup.append(("Regularization", f"L2 with strength {numfmt.plain(p.l2, 12)} on the weights"))
    setup += parameter_lines(p, nt, "each weight matrix", "; backpropagation leaves that row out")

    initial = [[Step(sym, [c.fmt(mat)], path=f"iter1.{name}", value=mat)
                for sym, mat, name in c.shown(l, p.params[f"W{l}"], p.params[f"b{l}"])]
               for l in range(1, p.depth + 1)]
    data_head = [r"\text{Example}", T(nt.x), T(nt.y) if p.layers[-1] > 1 else nt.y]
    data_rows = [[str(i), numfmt.row(ex.x, c.d), numfmt.row(ex.y, c.d)] for i, ex in enumerate(p.data, 1)]
    if p.loss == "none":  # no targets
        data_head, data_rows = data_head[:2], [row[:2] for row in data_rows]

    iterations = [iteration_view(c, it) for it in trace.iterations]
    head, rows, words, owner = _summary(c)
    symbols = _symbols(c) if nt.profile.name != "default" else ""
    figures = network_figures(c, p.figures)
    return View(p.title, p.description, setup, initial, data_head, data_rows, derivation_steps(p, nt),
                iterations, head, rows, nt, summary_words=words, summary_layers=owner, symbols=symbols,
                diverged=_divergence(trace, iterations), figures=figures,
                curves=curve_figures(c, p.figures, len(figures) + 1))


def _divergence(trace: Trace, iterations) -> list[tuple[str, str]]:
    """The sentence that says where training stopped being finite (segments of text and math)."""
    if trace.diverged is None:
        return []
    t, path = trace.diverged
    steps = [s for it in iterations if it.t == t
             for sec in [*it.examples, *([it.aggregate] if it.aggregate else []), it.update] for s in sec.steps]
    # loss_terms is recorded before the loss, but only the loss is a step of the handout
    symbol = next((s.lhs for name in (path, path.replace("loss_terms", "loss")) for s in steps if s.path == name), None)
    what = [("math", symbol)] if symbol else [("text", path)]
    if _rounded_onto_a_bound(trace, t):
        return [("text", f"In iteration {t}, "), *what,
                ("text", " is no longer a finite number: by hand, the output rounds to exactly 0 or 1 at the "
                         "digits shown, so a log or a division in the loss has no value, and the worked example "
                         "stops with this iteration. Show more digits (decimals or sig_figs), or use float or "
                         "exact arithmetic, to follow this saturated unit further.")]
    return [("text", f"In iteration {t}, "), *what,
            ("text", " is no longer a finite number: the training diverges (a value overflowed), so the "
                     "worked example stops with this iteration.")]


def _rounded_onto_a_bound(trace: Trace, t: int) -> bool:
    """By hand with a log loss: whether an output of iteration t rounded onto 0 or 1 (a saturated
    sigmoid or softmax unit), which is what makes its loss infinite there."""
    p = trace.problem
    if trace.arithmetic != "by-hand" or p.loss not in ("bce", "ce"):
        return False
    prefix = f"iter{t}."
    return any(np.any((np.asarray(v) == 0) | (np.asarray(v) == 1))
               for path, v in trace.values.items()
               if path.startswith(prefix) and path.endswith("yhat"))


def _space(shape) -> str:
    """R, R^n (a vector or a column) or R^{r x c}, for a displayed parameter's shape."""
    shape = tuple(shape)
    if shape in ((), (1,), (1, 1)):
        return r"\mathbb{R}"
    dims = shape[:1] if len(shape) == 1 or shape[1] == 1 else shape
    times = r" \times "
    return rf"\mathbb{{R}}^{{{times.join(map(str, dims))}}}"


def _symbols(c: Context) -> str:
    """The notation's symbols in the order of a forward pass, then the parameters with their shapes."""
    nt, p = c.nt, c.p
    units = [nt.x]
    for l in range(1, p.depth + 1):
        units += [nt.sym("pre", l), nt.yhat if l == p.depth else nt.sym("act", l)]
    params = [rf"{sym} \in {_space(np.shape(m))}" for l in range(1, p.depth + 1) for sym, m, _ in c.shown_at("iter1.", l)]
    return r",\ ".join(units) + r";\quad " + r",\ ".join(params) + rf";\quad \text{{loss }} {nt.loss},\ \text{{rate }} {nt.lr}"


def loss_text(p, nt) -> str:
    """The loss's name, with its formula where a convention chose it (loss_half, batch_loss)."""
    text = LOSS_NAME[p.loss]
    if p.loss == "sse" and not p.loss_half:
        text = "the sum of squared errors, without the 1/2"
    elif p.loss == "mse" and p.loss_half:
        text = "half the mean squared error"
    if "error" in p.show:
        text += ", written in the error e (the target minus the output)"
    if p.batch_loss == "sum" and p.loss != "none" and p.mode != "sgd":
        text += "; an iteration's loss is the sum over its examples"
    return text


def mode_text(p, iterations: int | None = None, learning_rate: bool = True) -> str:
    """How the problem trains; a problem sheet passes the iterations it asks, and no learning rate
    when it asks no update."""
    learning_rate = learning_rate and p.learning_rate is not None
    lr = numfmt.plain(p.learning_rate, 12) if learning_rate else ""
    n = len(p.data)
    if getattr(p, "rule", "backprop") == "perceptron":
        how = "the perceptron rule, one example per iteration"
    elif p.mode == "sgd":
        how = "stochastic gradient descent, one example per iteration"
    elif p.mode == "gd":
        how = (f"full-batch gradient descent, the gradient {'summed' if p.batch_loss == 'sum' else 'averaged'} "
               f"over all {n} examples")
    else:
        how = f"mini-batch gradient descent, batches of {p.batch_size}"
    if p.shuffle_seed is not None and p.mode != "gd":
        how += f", order shuffled each epoch (seed {p.shuffle_seed})"
    count = p.iterations if iterations is None else iterations
    rate = f"; learning rate {lr}" if learning_rate else ""
    if p.learning_rate is None:
        rate = "; no learning rate: the gradients only, no update"
    return f"{how}{rate}; {count} iteration{'s' if count != 1 else ''}"


def _summary(c: Context) -> tuple[list[str], list[list[str]], list[str], list[int]]:
    """One row per iteration: its output(s), its loss and the parameters it started from.

    Returns the symbols, the rows, the words that head each symbol, and each column's layer.
    """
    nt, p, v, d = c.nt, c.p, c.v, c.d
    layers = range(1, p.depth + 1)
    several = p.layers[-1] > 1 or any(len(it.examples) > 1 for it in c.trace.iterations)
    head = ["", nt.yhat, nt.loss]
    words = ["iteration", "predicted outputs" if several else "predicted output", "loss"]
    owner = [0, 0, 0]
    for l in layers:
        for sym, _, name in c.shown_at("iter1.", l):
            head.append(sym)
            words.append(("weights and biases" if nt.augmented else "weights") if name.startswith("W") else "biases")
            owner.append(l)
    rows = []
    for it in c.trace.iterations:
        yh = [v[f"{it.example_prefix(n)}yhat"] for n in range(1, len(it.examples) + 1)]
        loss = v.get(f"{it.prefix}loss")
        rows.append([str(it.t), ",\\ ".join(numfmt.array(y, d) for y in yh), "" if loss is None else numfmt.number(loss, d),
                     *(c.fmt(m) for l in layers for _, m, _ in c.shown_at(it.prefix, l))])
    # where training ended: the output of every example and the loss over all of them
    final_yhat = ",\\ ".join(numfmt.array(y, d) for y in v["final.yhat"])
    final_loss = numfmt.number(v["final.loss"], d) if "final.loss" in v else ""
    rows.append([r"\text{final}", final_yhat, final_loss, *(c.fmt(m) for l in layers for _, m, _ in c.shown_at("final.", l))])
    if p.loss == "none":  # no loss column
        head, words, owner = head[:2] + head[3:], words[:2] + words[3:], owner[:2] + owner[3:]
        rows = [row[:2] + row[3:] for row in rows]
    return head, rows, words, owner
