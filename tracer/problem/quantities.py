"""Quantity paths: the one list of every number a problem records, with its meaning.

The JSON export, answer files, answer keys and the tests all name values by
these paths (`iter1.a1`, `iter2.grad.W1`, `iter1.W1[2,1]`). `QUANTITIES` is the
list docs/quantities.md is generated from (`python -m tracer.problem.quantities`),
and a test checks that every path the engine records matches exactly one row,
so the reference cannot drift from the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    """A canonical quantity name (pattern), what it means, its formula and its shape."""

    pattern: str  # {t} iteration, {l} layer, {n} example in the batch
    meaning: str
    formula: str
    shape: str

    def regex(self) -> re.Pattern:
        text = re.escape(self.pattern)
        for name in ("t", "l", "n"):
            text = text.replace(re.escape("{" + name + "}"), r"[1-9]\d*")
        for name in ("name", "node", "arg"):  # a graph's input or node name (tracer.problem.graph)
            text = text.replace(re.escape("{" + name + "}"), r"[A-Za-z][A-Za-z0-9_]*")
        return re.compile(text)


# Network quantities, in the order an iteration computes them.
NETWORK_QUANTITIES = (
    Quantity("iter{t}.W{l}", "weights of layer l at the start of iteration t", "", "n_l x n_(l-1)"),
    Quantity("iter{t}.b{l}", "biases of layer l at the start of iteration t", "", "n_l"),
    Quantity("iter{t}.x", "the input of a one-example iteration", "", "n_0"),
    Quantity("iter{t}.y", "the target of a one-example iteration (absent with loss none)", "", "n_L"),
    Quantity("iter{t}.a{l}", "pre-activation of layer l", "a(l) = W(l) h(l-1) + b(l), h(0) = x", "n_l"),
    Quantity("iter{t}.h{l}", "activation of layer l", "h(l) = g_l(a(l))", "n_l"),
    Quantity("iter{t}.yhat", "the output, the same as h{L}", "yhat = h(L)", "n_L"),
    Quantity("iter{t}.error", "the error: the perceptron's (rule: perceptron), or a network's when the spec "
             "shows it (`show: [error]`)", "e = y - yhat (perceptron: yhat = step(a(1)) or sign(a(1)))", "n_L"),
    Quantity("iter{t}.loss_terms", "the loss's term of each output unit (absent with loss none)",
             "loss = sum (bce, ce, sse) or mean (mse, mae) of the terms", "n_L"),
    Quantity("iter{t}.loss", "the iteration's loss: mean (or sum, batch_loss) over its examples, plus "
             "regularization (absent with loss none)",
             "L = mean of loss(y, yhat) + (l2/2) sum ‖W(l)‖²", "scalar"),
    Quantity("iter{t}.dL_dyhat", "derivative of the loss by the output (1 with loss none: dyhat/dyhat)",
             "dL/dyhat", "n_L"),
    Quantity("iter{t}.gprime{l}", "derivative of the activation, elementwise (absent for a softmax output)",
             "g_l'(a(l))", "n_l"),
    Quantity("iter{t}.dL_dh{l}", "derivative of the loss by a hidden layer's output, before g' (l < L)",
             "W(l+1)^T delta(l+1)", "n_l"),
    Quantity("iter{t}.delta{l}", "derivative of the loss by the pre-activation",
             "delta(L) = dL/da(L); delta(l) = g_l'(a(l)) * (W(l+1)^T delta(l+1))", "n_l"),
    Quantity("iter{t}.grad.W{l}", "the iteration's gradient of W(l) (batch mean, plus l2 W(l))",
             "delta(l) h(l-1)^T", "n_l x n_(l-1)"),
    Quantity("iter{t}.grad.b{l}", "the iteration's gradient of b(l) (batch mean)", "delta(l)", "n_l"),
    Quantity("iter{t}.grad.x", "derivative of the loss by the input (of yhat, with loss none)",
             "W(1)^T delta(1)", "n_0"),
    Quantity("iter{t}.new.W{l}", "weights after the update (unchanged if frozen; absent without a learning rate)",
             "W(l) - learning_rate * grad W(l); perceptron: W(1) + learning_rate * error x^T", "n_l x n_(l-1)"),
    Quantity("iter{t}.new.b{l}", "biases after the update (unchanged if frozen)",
             "b(l) - learning_rate * grad b(l); perceptron: b(1) + learning_rate * error", "n_l"),
    Quantity("final.W{l}", "weights after the last iteration", "", "n_l x n_(l-1)"),
    Quantity("final.b{l}", "biases after the last iteration", "", "n_l"),
    Quantity("final.yhat", "the output of every example (a row each, in data order) at the final parameters",
             "", "N x n_L"),
    Quantity("final.loss", "the loss over every example at the final parameters, combined as batch_loss "
             "says, plus regularization (absent with loss none)", "", "scalar"),
)
# In an iteration of several examples (gd, minibatch), these are recorded per example
# as iter{t}.ex{n}.NAME; iter{t}.loss and iter{t}.grad.* stay the batch means.
PER_EXAMPLE = ("x", "y", "a{l}", "h{l}", "yhat", "error", "loss_terms", "loss", "dL_dyhat", "gprime{l}", "dL_dh{l}",
               "delta{l}", "grad.W{l}", "grad.b{l}", "grad.x")
_EXAMPLE_MEANING = {
    "x": "the input of example n of the batch", "y": "the target of example n of the batch",
    "loss": "the loss of example n alone", "grad.W{l}": "example n's gradient of W(l)",
    "grad.b{l}": "example n's gradient of b(l)",
}
EXAMPLE_QUANTITIES = tuple(
    Quantity("iter{t}.ex{n}." + name, _EXAMPLE_MEANING.get(name, q.meaning + ", for example n of the batch"),
             "loss(y, yhat)" if name == "loss" else q.formula, q.shape)
    for name in PER_EXAMPLE for q in NETWORK_QUANTITIES if q.pattern == "iter{t}." + name
)
# Graph quantities (a `graph:` problem has one evaluation: no iterations, no `iter{t}.`).
GRAPH_QUANTITIES = (
    Quantity("{name}", "the value of an input or a node of a graph", "node = its expression of earlier names",
             "scalar"),
    Quantity("local.{node}.{arg}", "local derivative of a node by one name its expression uses",
             "d node / d arg, at the forward values", "scalar"),
    Quantity("grad.{name}", "derivative of the graph's output by an input or a node",
             "grad.output = 1; grad.n = sum over consumers c of grad.c * local.c.n", "scalar"),
)
QUANTITIES = NETWORK_QUANTITIES + EXAMPLE_QUANTITIES + GRAPH_QUANTITIES


# Recorded for every network, but a by-hand exercise computes them only when it asks: an answer
# template without `ask:` lists them only if the spec's `show:` names them.
OPTIONAL = {"loss_terms": "loss_terms", "grad.x": "grad.x", "dL_dh{l}": None, "final.yhat": None, "final.loss": None}


def is_optional(path: str, problem) -> bool:
    """True for a path of OPTIONAL whose quantity the spec does not show."""
    row = describe_path(path)
    if row is None:
        return False
    name = row.pattern.split(".", 2)[-1] if row.pattern.startswith("iter{t}.ex{n}.") else \
        row.pattern.split(".", 1)[-1] if row.pattern.startswith("iter{t}.") else row.pattern
    return name in OPTIONAL and OPTIONAL[name] not in problem.show


def batch_sizes(problem) -> list[int]:
    """The number of examples in each iteration (shuffling changes which, never how many)."""
    n = len(problem.data)
    size = {"sgd": 1, "gd": n, "minibatch": problem.batch_size}[problem.mode]
    epoch = [min(size, n - start) for start in range(0, n, size)]
    return [epoch[i % len(epoch)] for i in range(problem.iterations)]


def network_paths(problem) -> list[str]:
    """Every path a network problem records, in computation order (the `paths` hook)."""
    L = problem.depth
    names = problem.param_names()
    has_loss = problem.loss != "none"
    out: list[str] = []
    for t, size in enumerate(batch_sizes(problem), start=1):
        p = f"iter{t}."
        out += [p + name for name in names]
        for n in range(1, size + 1):
            e = p if size == 1 else f"{p}ex{n}."
            out += [e + "x"] + ([e + "y"] if has_loss else [])
            for l in range(1, L + 1):
                out += [f"{e}a{l}", f"{e}h{l}"]
            out.append(e + "yhat")
            if has_loss:
                out += [e + "error"] if "error" in problem.show else []
                out += [e + "loss_terms", e + "loss"]
            out.append(e + "dL_dyhat")
            for l in range(L, 0, -1):
                if problem.activations[l - 1] != "softmax":
                    out.append(f"{e}gprime{l}")
                if l < L:
                    out.append(f"{e}dL_dh{l}")
                out.append(f"{e}delta{l}")
                if size > 1:
                    out += [f"{e}grad.W{l}", f"{e}grad.b{l}"]
            out.append(e + "grad.x")
        if size > 1 and has_loss:
            out.append(p + "loss")
        for l in range(L, 0, -1):
            out += [f"{p}grad.W{l}", f"{p}grad.b{l}"]
        if problem.learning_rate is not None:
            out += [f"{p}new.{name}" for name in names]
    return out + [f"final.{name}" for name in names] + ["final.yhat"] + (["final.loss"] if has_loss else [])


def network_cost(problem) -> tuple[int, int]:
    """(values, numbers) the engine would record, counted without running it."""
    n, L = problem.layers, problem.depth
    params = sum(n[l] * n[l - 1] + n[l] for l in range(1, L + 1))
    units = sum(n[1:])
    gprime = sum(n[l] for l in range(1, L + 1) if problem.activations[l - 1] != "softmax")
    g_paths = sum(1 for a in problem.activations if a != "softmax")
    has_loss = problem.loss != "none"
    error = has_loss and "error" in problem.show
    hidden = sum(n[1:-1])  # dL_dh of every hidden layer
    # per example: x, yhat, dL_dyhat, a and h, g', dL_dh, delta, grad.x; with a loss y, loss_terms
    # and loss, and the error if shown
    per_values = 3 + 2 * L + g_paths + (L - 1) + L + 1 + (3 if has_loss else 0) + error
    per_numbers = (2 * n[0] + 2 * n[-1] + 2 * units + gprime + hidden + units
                   + (2 * n[-1] + 1 if has_loss else 0) + error * n[-1])
    updates = problem.learning_rate is not None
    values = numbers = 0
    for size in batch_sizes(problem):
        batch = 1 if size > 1 and has_loss else 0
        values += 2 * L * (2 + updates) + size * (per_values + (2 * L if size > 1 else 0)) + batch
        numbers += (2 + updates) * params + size * (per_numbers + (params if size > 1 else 0)) + batch
    final_values = 2 * L + 1 + has_loss
    final_numbers = params + len(problem.data) * n[-1] + has_loss
    return values + final_values, numbers + final_numbers


def graph_paths(problem) -> list[str]:
    """Every path a graph problem records, in computation order (the `paths` hook): values in
    definition order, local derivatives node by node, gradients from the output backwards."""
    out = list(problem.names)
    out += [f"local.{node.name}.{arg}" for node in problem.nodes for arg in node.args]
    return out + [f"grad.{name}" for name in reversed(problem.names)]


def graph_cost(problem) -> tuple[int, int]:
    """(values, numbers) of a graph: one scalar per path."""
    n = 2 * len(problem.names) + sum(len(node.args) for node in problem.nodes)
    return n, n


def describe_path(path: str) -> Quantity | None:
    """The row of QUANTITIES a path (without an element index) belongs to."""
    for q in QUANTITIES:
        if q.regex().fullmatch(path):
            return q
    return None


_INTRO = """\
# Quantities: the names every output and every answer file shares

<!-- Generated by `python -m tracer.problem.quantities > docs/quantities.md`; a test
     compares this file with the code's list, so edit tracer/problem/quantities.py. -->

One naming of every number the tracer computes. The JSON export (`--to json`),
the answer files that `bptrace check` reads, the answer keys of variants and the
tests all use these paths, so a value is looked up the same way everywhere.
Display symbols (u, z, ŷ, θ, ...) are a separate concern: a notation profile
maps these canonical names to the symbols of a course and may add aliases
(see [spec.md](spec.md#notation)).

## The network

Layers l = 0..L, layer l has n_l units; layer 0 is the input.

    h(0) = x
    a(l) = W(l) h(l-1) + b(l)        W(l) has shape n_l x n_(l-1), b(l) length n_l
    h(l) = g_l(a(l))                 g_l: the activation of layer l
    yhat = h(L)

Per example: loss l(y, yhat). Backward:

    delta(L)  = d loss / d a(L)
    delta(l)  = g_l'(a(l)) * (W(l+1)^T delta(l+1))     (elementwise *)
    grad W(l) = delta(l) h(l-1)^T
    grad b(l) = delta(l)

An iteration is one parameter update. Its gradient is the mean over the
examples it used (plus the regularization term l2 W(l), if any); then
`new = old - learning_rate * grad`, except for frozen parameters.

The perceptron rule (`rule: perceptron`, one layer, a `step` or `sign` output)
records no loss and no gradient: per iteration W1, b1, x, y, a1, h1 = yhat =
step(a1) or sign(a1), error = y - yhat, then new.W1 = W1 + learning_rate *
error x^T and new.b1 = b1 + learning_rate * error.

## Paths

`{t}` is the iteration, 1-based; `{l}` the layer, 1-based for parameters; `{n}`
the example's 1-based position in its iteration's batch.

"""

_OUTRO = """
A graph problem (a `graph:` section instead of `layers`) records the last three
rows: `{name}` for the value of every input and node (`f`, `x`), `grad.{name}`
for the derivative of the output by it (`grad.f` = 1), `local.{node}.{arg}` for
each local derivative (`local.v.x`). A graph has one evaluation, so its paths
carry no `iter{t}.`.

In an iteration that uses several examples (mode `gd` or `minibatch`), the
per-example quantities are `iter{t}.ex{n}.NAME` (the `ex` rows above);
`iter{t}.loss` and `iter{t}.grad.*` stay the batch means, and `iter{t}.x`,
`iter{t}.y`, `iter{t}.a{l}` ... are not recorded.

## Elements and scalars

- One element: `iter1.W1[2,1]` (row 2, column 1) or `iter1.h1[2]`, 1-based.
- A quantity with exactly one element may be written and read as a plain
  number: `iter1.yhat: 0.8933` and `iter1.yhat: [0.8933]` mean the same.
- Vectors are lists, matrices are lists of rows.

## The lecture's 2-2-1 example in these names

W(1) = [[0.1, 0.4], [0.2, 0.5]], b(1) = [0.3, 0.6], W(2) = [[0.7, 0.8]],
b(2) = [0.9], x = [1.0, 2.0], y = [1], sigmoid everywhere, binary
cross-entropy, learning rate 0.5 (`bptrace render --example lecture-2-2-1`).
In the lecture's own symbols, `a1` is a^(1), `h1` is u, `a2` is z, `yhat` is ŷ;
the `lecture` profile accepts `iter1.u` and `iter1.z` as aliases of `iter1.h1`
and `iter1.a2`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def quantities_markdown() -> str:
    rows = ["| path | meaning | formula | shape |", "|---|---|---|---|"]
    for q in QUANTITIES:
        formula = f"`{_cell(q.formula)}`" if q.formula else ""
        rows.append(f"| `{q.pattern}` | {_cell(q.meaning)} | {formula} | {q.shape} |")
    return _INTRO + "\n".join(rows) + "\n" + _OUTRO


if __name__ == "__main__":
    import sys

    sys.stdout.write(quantities_markdown())
