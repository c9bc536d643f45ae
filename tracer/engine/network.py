"""The engine: run the iterations of a `Problem` and record every quantity.

Each recorded value is stored under its path from docs/quantities.md, in the order it
is computed. The forward and backward passes are the textbook ones:

    a(l) = W(l) h(l-1) + b(l),  h(l) = g_l(a(l))
    delta(L) = dL/dyhat * g_L'(a(L))          (simplified where exact, see functions.py)
    delta(l) = g_l'(a(l)) * (W(l+1)^T delta(l+1))
    grad W(l) = delta(l) h(l-1)^T,  grad b(l) = delta(l)

An iteration's loss and gradient are means (or, with `batch_loss: sum`, sums) over its examples
plus the L2 term
    (l2 / 2) * sum_l ||W(l)||_F^2      (weights only; biases are not regularized)
whose gradient is l2 * W(l). Then new = old - learning_rate * grad, except for
frozen parameters, which keep their value, and except with loss none and no learning rate
(sensitivities only: no update). With loss none the backward pass starts from d yhat/d yhat = 1.
Every example also records grad.x = W(1)^T delta(1), and the run ends with final.yhat and
final.loss at the last parameters.
"""

from __future__ import annotations

from itertools import islice

import numpy as np

from ..problem.network import Problem
from . import functions as F
from . import network_small as small
from .arithmetic import make as make_arithmetic
from .trace import Iteration, Trace


def batches(problem: Problem):
    """The 0-based example indices of each iteration, in order."""
    n = len(problem.data)
    size = {"sgd": 1, "gd": n, "minibatch": problem.batch_size}[problem.mode]
    rng = np.random.default_rng(problem.shuffle_seed) if problem.shuffle_seed is not None else None
    produced = 0
    while True:
        order = list(range(n)) if rng is None else [int(i) for i in rng.permutation(n)]
        for start in range(0, n, size):
            yield tuple(order[start : start + size])
            produced += 1
            if produced == problem.iterations:
                return


def run(problem: Problem, arithmetic: str | None = None) -> Trace:
    """Trace `problem.iterations` parameter updates in the problem's arithmetic (or `arithmetic`)."""
    ar = make_arithmetic(arithmetic or problem.arithmetic, problem.decimals, problem.sig_figs)
    ops = ar.ops
    acts = [F.activations(ops)[a] for a in problem.activations]
    if small.applies(problem, ar.name):  # the same numbers, elementwise work on Python floats
        return small.run(problem, ar, batches, lambda params, put: _final_pass(problem, ar, params, acts, put))
    params = {k: ar.array(v, problem.written.get(k)) for k, v in problem.params.items()}
    iterations = [Iteration(t, ex) for t, ex in enumerate(batches(problem), start=1)]
    trace = Trace(problem, iterations, arithmetic=ar.name)
    rec = trace.values
    L = problem.depth
    names = problem.param_names()
    out_act = problem.activations[-1]
    loss_name = problem.loss
    # spec numbers in the problem's arithmetic: exact reads 0.1 as 1/10, not as the double
    l2 = ar.scalar(problem.l2)
    learning_rate = None if problem.learning_rate is None else ar.scalar(problem.learning_rate)
    has_loss = loss_name != "none"
    scale = F.loss_scale(loss_name, problem.loss_half)
    mean = problem.batch_loss == "mean"
    # each example's x and y, made once: the same array under every iteration's path (read-only)
    examples: dict[int, tuple] = {}

    if ar.by_hand:
        def put(path, value, store=rec):
            """Record a value (rounded, in by-hand arithmetic) and return what is used further."""
            rounded = ar.round(value)
            if not np.allclose(rounded, value, rtol=1e-12, atol=0.0):  # ignore binary noise
                trace.rounded.add(path)
            store[path] = rounded
            return rounded
    else:
        def put(path, value, store=rec):  # nothing is rounded: the value itself
            store[path] = value
            return value

    # Overflow, inf - inf and the like are not warned about: they are found below, and the
    # run stops with the iteration where they happened (trace.diverged says where).
    with np.errstate(all="ignore"):
        for it in iterations:
            p = it.prefix
            first = len(rec)
            for name in names:  # no copy: no parameter array is ever changed in place (all are frozen at the end)
                rec[p + name] = params[name]
            # |W(l)| and |b(l)|, the terms of every sum cancel judges this iteration (the parameters
            # change only at its end); |W|^T is |W^T|, elementwise
            absW = [None] + [np.abs(params[f"W{l}"]) for l in range(1, L + 1)]
            absb = [None] + [np.abs(params[f"b{l}"]) for l in range(1, L + 1)]
            # rounded as the handout prints it, so that by hand the L2 term follows from the shown ||W||^2;
            # read only where l2 is set (with l2 = 0 there is no L2 term to show or add)
            if l2:
                sq_weights = ar.round(sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1)))
                reg = l2 * sq_weights / 2
            single = len(it.examples) == 1
            losses, grads = [], []
            for n, index in enumerate(it.examples, start=1):
                e = it.example_prefix(n)
                if index not in examples:
                    ex = problem.data[index]
                    x = ar.array(ex.x, problem.written.get(f"data[{index}].x"))
                    y = ar.array(ex.y, problem.written.get(f"data[{index}].y"))
                    examples[index] = x, y, np.abs(x), np.abs(y), np.abs(1 - y)
                x, y, abs_x, abs_y, abs_1my = examples[index]
                rec[e + "x"] = x
                if has_loss:
                    rec[e + "y"] = y
                h = [x]
                abs_h = abs_x
                pre = [None]
                comps = [None]  # 1 - h (sigmoid), 1 - h^2 (tanh), 1 - h_k (softmax); None by hand
                for l in range(1, L + 1):
                    W, b = params[f"W{l}"], params[f"b{l}"]
                    pre.append(put(f"{e}a{l}", ar.cancel(W @ h[-1] + b, absW[l] @ abs_h + absb[l])))
                    if problem.activations[l - 1] == "sigmoid" and not ar.by_hand:
                        # h = sigmoid(a) and comp = sigmoid(-a) from one exponential (the same numbers
                        # as g(a) and F.complement; put does not round outside by-hand arithmetic)
                        value, comp = F._sigmoid_pair(pre[l], ops)
                        h.append(put(f"{e}h{l}", value))
                    else:
                        h.append(put(f"{e}h{l}", acts[l - 1][0](pre[l])))
                        comp = None if ar.by_hand else F.complement(problem.activations[l - 1], pre[l], h[l], ops)
                    if comp is not None:  # 1 - h, or 1 - h^2: for handouts of saturated units (trace.aux)
                        trace.aux[f"{e}comp{l}"] = comp
                    comps.append(comp)
                    if l < L:
                        abs_h = np.abs(h[l])
                yhat = h[-1]
                rec[e + "yhat"] = yhat
                if f"{e}h{L}" in trace.rounded:
                    trace.rounded.add(e + "yhat")
                one_minus = (1 - yhat) if ar.by_hand else None
                # the forward pass's sigmoid(-a(L)) where the output is a sigmoid (1 - yhat without
                # cancellation), for dL/dyhat and delta(L): no exponential of its own
                sig_comp = comps[L] if out_act == "sigmoid" else None
                if has_loss:
                    if "error" in problem.show:
                        put(e + "error", ar.cancel(y - yhat, abs_y + np.abs(yhat)))
                    terms, value = F.loss_terms_and_value(loss_name, out_act, y, yhat, pre[L], ops,
                                                          from_output=ar.by_hand)
                    put(e + "loss_terms", scale * terms)
                    loss = ar.scalar(scale * value)
                    if single and l2:  # the iteration's loss is data + L2 term; the data part is shown on its own
                        data = put(e + "data_loss", loss, trace.aux)
                        put(e + "loss", ar.scalar(data + reg))
                    else:
                        data = put(e + "loss", loss)
                    losses.append(data)
                    # bce on a sigmoid output needs 1 - yhat = sigmoid(-a): the forward pass has it
                    known = sig_comp if one_minus is None else one_minus
                    dl = scale * F.loss_grad(loss_name, out_act, y, yhat, pre[L], ops, known, quiet=True)
                    if loss_name in ("mse", "sse"):  # (yhat - y) times a constant
                        dl = ar.cancel(dl, abs(scale) * (abs_y + np.abs(yhat)))
                    dl_dyhat = put(e + "dL_dyhat", dl)
                else:  # the output's own sensitivities: d yhat / d yhat = 1
                    dl_dyhat = put(e + "dL_dyhat", F.loss_grad(loss_name, out_act, y, yhat, pre[L], ops))
                grad = {}
                delta = None
                for l in range(L, 0, -1):
                    deriv = acts[l - 1][1]
                    gprime = None
                    act = problem.activations[l - 1]
                    if deriv is not None:
                        comp = comps[l]
                        if ar.by_hand:
                            g = F.gprime_from_output(act, h[l], pre[l])
                        elif act == "sigmoid":
                            # sigmoid(a) sigmoid(-a), as deriv computes it, from the forward pass's
                            # h = sigmoid(a) and comp = sigmoid(-a) (unrounded here): no exponential
                            g = h[l] * comp
                        elif act == "tanh":
                            g = comp  # sech^2(a): deriv is the complement's own formula
                        else:
                            g = deriv(pre[l])
                        gprime = put(f"{e}gprime{l}", g)
                    if l == L:
                        delta = F.output_delta(loss_name, out_act, y, yhat, pre[L], dl_dyhat, gprime, ops, one_minus,
                                               sigmoid_comp=sig_comp)
                        if out_act == "softmax":  # yhat sum(y) - y
                            delta = ar.cancel(delta, np.abs(yhat) * np.sum(abs_y) + abs_y)
                        elif (out_act, loss_name) == ("sigmoid", "bce"):  # (1 - y) - (1 - yhat) where a > 0
                            comp = 1 - yhat if sig_comp is None else sig_comp
                            delta = ar.cancel(delta, np.where(pre[L] > 0, abs_1my + np.abs(comp), np.abs(yhat) + abs_y))
                    else:
                        # dL/dh(l), kept for handouts that show the chain rule factor by factor;
                        # delta uses the unrounded product, as before
                        back = ar.cancel(params[f"W{l + 1}"].T @ delta, absW[l + 1].T @ np.abs(delta))
                        trace.aux[f"{e}dL_dh{l}"] = put(f"{e}dL_dh{l}", back)
                        delta = gprime * back
                    delta = put(f"{e}delta{l}", delta)
                    # np.outer(delta, h(l-1)), without its ravel and reshaping: the same products
                    grad[f"W{l}"] = delta[:, None] * h[l - 1][None, :]
                    grad[f"b{l}"] = delta
                    if not single:
                        grad[f"W{l}"] = put(f"{e}grad.W{l}", grad[f"W{l}"])
                        rec[f"{e}grad.b{l}"] = grad[f"b{l}"]
                put(e + "grad.x", ar.cancel(params["W1"].T @ delta, absW[1].T @ np.abs(delta)))  # dL/dx (d yhat / dx with loss none)
                grads.append(grad)

            if not has_loss:
                pass  # no loss to record; the gradients below are those of yhat
            elif single:
                data_loss = losses[0]
            else:  # rounded (by hand) and marked where it needed it, like every recorded value
                total = ar.scalar(sum(losses[1:], losses[0]))
                total = total / len(losses) if mean else total
                data_loss = put(p + "data_loss", total, trace.aux) if l2 else put(p + "loss", total)
            if has_loss and l2:
                trace.aux[p + "data_loss"] = data_loss
                trace.aux[p + "sq_weights"] = sq_weights
                if not single:
                    put(p + "loss", ar.scalar(data_loss + reg))
            for l in range(L, 0, -1):
                for kind in ("W", "b"):
                    name = f"{kind}{l}"
                    g = grads[0][name] if single else sum((gr[name] for gr in grads[1:]), grads[0][name])
                    if not single:
                        g = ar.cancel(g, sum((np.abs(gr[name]) for gr in grads[1:]), np.abs(grads[0][name])))
                    if not single and mean:
                        g = g / len(grads)
                    if kind == "W" and l2:
                        g = put(f"{p}data_grad.{name}", g, trace.aux)
                        g = ar.cancel(g + l2 * params[name], np.abs(g) + l2 * absW[l])
                    put(f"{p}grad.{name}", g)
            if learning_rate is not None:
                _update(ar, params, names, problem.frozen, learning_rate, p, rec, put)
            # this iteration's values, in the order recorded: read from the end, so that each iteration
            # costs its own values, not a copy of every value so far (quadratic in the iterations)
            recent = list(islice(reversed(rec.items()), len(rec) - first))[::-1]
            bad = ar.first_nonfinite(recent)
            if bad is not None:
                trace.diverged = (it.t, bad)
                del iterations[it.t:]  # trace.iterations: the ones that ran
                break
        for name in names:
            rec[f"final.{name}"] = params[name]
        _final_pass(problem, ar, params, acts, put)
    # Some paths share one array (yhat is h{L}, grad.b{l} is delta{l}): freeze them all,
    # so no consumer can change one quantity by editing another in place.
    for store in (rec, trace.aux):
        for value in store.values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)  # a third of the time of flags.writeable = False
    return trace


def _update(ar, params: dict, names: list, frozen: tuple, learning_rate, p: str, rec: dict, put) -> None:
    """new = old - learning_rate * grad for each parameter not frozen (a difference that cancels
    recorded as 0), recorded in parameter order. In float arithmetic, every trained parameter at
    once, as one vector: the same elementwise operations on the same numbers, a quarter of the calls."""
    trained = [name for name in names if name not in frozen]
    if ar.name == "float" and len(trained) > 1:
        old = np.concatenate([params[name].ravel() for name in trained])
        step = learning_rate * np.concatenate([rec[f"{p}grad.{name}"].ravel() for name in trained])
        flat = ar.cancel(old - step, np.abs(old) + np.abs(step))
        flat.setflags(write=False)  # the parameters are views of it: read-only through .base too
        start, new = 0, {}
        for name in trained:
            size = params[name].size
            new[name] = flat[start : start + size].reshape(params[name].shape)
            start += size
    else:
        new = None
    for name in names:
        if name in frozen:
            rec[f"{p}new.{name}"] = params[name]
        elif new is not None:
            params[name] = put(f"{p}new.{name}", new[name])
        else:
            old, step = params[name], learning_rate * rec[f"{p}grad.{name}"]
            params[name] = put(f"{p}new.{name}", ar.cancel(old - step, np.abs(old) + np.abs(step)))


def _final_pass(problem: Problem, ar, params: dict, acts: list, put) -> None:
    """final.yhat (one row per example, in data order) and final.loss (over every example, combined
    as an iteration combines its examples, plus the L2 term) at the parameters training ended with:
    where a table of iterations ends, without running one more."""
    L, ops = problem.depth, ar.ops
    rows, losses = [], []
    for index, ex in enumerate(problem.data):
        h, a = ar.array(ex.x, problem.written.get(f"data[{index}].x")), None
        for l in range(1, L + 1):
            W, b = params[f"W{l}"], params[f"b{l}"]
            a = ar.round(ar.cancel(W @ h + b, np.abs(W) @ np.abs(h) + np.abs(b)))
            h = ar.round(acts[l - 1][0](a))
        rows.append(h)
        if problem.loss != "none":
            y = ar.array(ex.y, problem.written.get(f"data[{index}].y"))
            value = F.loss_value(problem.loss, problem.activations[-1], y, h, a, ops, from_output=ar.by_hand)
            losses.append(ar.scalar(F.loss_scale(problem.loss, problem.loss_half) * value))
    put("final.yhat", np.stack(rows))
    if losses:
        total = sum(losses[1:], losses[0])
        if problem.batch_loss == "mean":
            total = total / len(losses)
        if problem.l2:
            total = total + ar.scalar(problem.l2) * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1)) / 2
        put("final.loss", ar.scalar(total))
