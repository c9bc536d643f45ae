"""The network engine's float path for small networks: the same run as `network.run`, number for
number and bit for bit, with the elementwise arithmetic on Python floats.

On a vector of two numbers a numpy call costs some 30 times a Python float operation, and a
2-2-1 iteration makes a few hundred of them. What a Python float gives bit for bit is what numpy
gives: +, -, *, / (Python raises on x / 0: `_div` returns IEEE's inf or nan instead), abs,
negation and comparisons are single IEEE-754 operations either way. What it does not give, numpy
still computes, on the arrays the general path passes it:
- exp, tanh and logaddexp: numpy's are its own SIMD code (AVX-512 here) and differ from math.exp
  and friends in the last bit for about 5 % of arguments (tanh: 13 %);
- W @ h: numpy's matmul is BLAS's, whose fused multiply-adds and summation order a Python sum does
  not reproduce (it differs for about 45 % of entries from n = 2 on);
- the sums np.sum takes (the loss over the outputs, ||W||^2).
Where a sum is judged for cancellation (`Arithmetic.cancel`: |v| <= 1e-12 t, t = |W| @ |h| + |b|),
t is BLAS's too; it is computed here in Python floats with a bound on how far any order of
summation can put it from BLAS's, and only where |v| lies within that bound of the threshold is
BLAS asked for t itself. So every decision is BLAS's decision.

An iteration's values are gathered as it runs and recorded at its end as read-only views of one
array (`IterationValues`), the parameters are one flat list updated as one vector.

`applies` says which problems take this path (see docs/architecture.md, "The engine's two paths").
"""

from __future__ import annotations

import math
from itertools import islice
from operator import add, itemgetter, mul, sub

import numpy as np

from .arithmetic import Arithmetic
from .functions import loss_scale
from .iteration_values import IterationValues
from .trace import Iteration, Trace

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
LOSSES = ("bce", "mse", "sse")
# The widest layer this path takes: past it the general path's whole-array calls win (measured by
# bench/bench_engine.py --crossover; see docs/architecture.md).
MAX_UNITS = 6

_CANCELLATION = Arithmetic.cancellation
_U = 2.0**-53  # unit roundoff of float64
_INF = math.inf


def applies(problem, arithmetic: str) -> bool:
    """Float arithmetic, hidden and output activations and loss of this path, no layer wider than MAX_UNITS."""
    return (arithmetic == "float" and problem.loss in LOSSES and all(a in ACTIVATIONS for a in problem.activations)
            and max(problem.layers) <= MAX_UNITS)


def _div(a: float, b: float) -> float:
    """a / b as IEEE-754 (and numpy) divides: +-inf for a nonzero a over 0, nan for 0/0 or nan/0."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a:
            return a
        if a == 0:
            return _INF - _INF  # the machine's default nan, as numpy's 0/0 gives it
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _noise(values: list, terms: list) -> list:
    """Arithmetic.cancel of a vector whose terms are known exactly (elementwise sums)."""
    for v, t in zip(values, terms):
        if abs(v) <= _CANCELLATION * t:
            return [v * 0 if abs(v) <= _CANCELLATION * t else v for v, t in zip(values, terms)]
    return values


def _abs_sum(a: list, b: list) -> list:
    """|a| + |b|, elementwise."""
    return list(map(add, map(abs, a), map(abs, b)))


def _cancel_matvec(values: list, abs_rows: list, abs_vec: list, abs_bias, exact_terms) -> list:
    """Arithmetic.cancel of values = W @ h (+ b), judged against t = |W| @ |h| (+ |b|) as BLAS sums it.

    t is summed here in Python floats. Any order of summing n + 1 nonnegative terms (with or
    without fused multiply-adds) lands within gamma_(n+1) = (n+1) u / (1 - (n+1) u) of the exact sum,
    relatively, so BLAS's t and this one are within about 2 (n+1) u of each other; with the
    roundings of 1e-12 t, a margin of 8 (n+2) u decides every |v| outside it exactly as BLAS's t
    would. Inside the margin, or where t is not a normal finite number (overflow, underflow,
    nan), `exact_terms()` gives BLAS's t and the comparison is the one Arithmetic.cancel makes."""
    rel = 8 * (len(abs_vec) + 2) * _U
    below, above = 1 - rel, 1 + rel
    noise = None  # made at the first value that cancels (most sums have none)
    for i, v in enumerate(values):
        # any order of summation is within the bound, so sum()'s (naive to 3.11, compensated after)
        t = sum(map(mul, abs_rows[i], abs_vec))
        if abs_bias is not None:
            t += abs_bias[i]
        if not 1e-250 < t < 1e300:
            break
        av = abs(v)
        threshold = _CANCELLATION * t
        if av > threshold * above:  # the common case: far from cancelled
            continue
        if av != av:  # nan: |v| <= anything is false
            continue
        if av < threshold * below:
            if noise is None:
                noise = [False] * len(values)
            noise[i] = True
        else:
            break
    else:
        if noise is None:
            return values
        return [v * 0 if z else v for v, z in zip(values, noise)]
    terms = exact_terms().tolist()
    return _noise(values, terms)


def _batch_sum(gs: list, mean: bool) -> list:
    """The sum (or mean) of the examples' gradients `gs`, with Arithmetic.cancel judged against the sum
    of their magnitudes, as network.run adds them."""
    g = gs[0]
    for other in gs[1:]:
        g = list(map(add, g, other))
    t = list(map(abs, gs[0]))
    for other in gs[1:]:
        t = list(map(add, t, map(abs, other)))
    g = _noise(g, t)
    if mean:
        k = len(gs)
        g = [v / k for v in g]
    return g


def _slicer(slices: list):
    """A function of a list giving the tuple of its `slices`: one C call (itemgetter), where a
    comprehension over the slices is a Python frame per call."""
    if len(slices) == 1:
        only = slices[0]
        return lambda values: (values[only],)
    return itemgetter(*slices)


def _layout(names: list, shapes: dict) -> tuple[dict, list, list, list]:
    """Where each parameter lies in the flat vector of every parameter (in `names` order, each in row
    order): {name: slice}, and per layer l (1-based; index 0 gives None) functions of that vector giving
    W(l)'s rows, its columns (the rows of W(l)^T), and b(l)."""
    where, start = {}, 0
    for name in names:
        size = int(np.prod(shapes[name]))
        where[name] = slice(start, start + size)
        start += size
    def none(values):
        return None

    rows, cols, bias = [none], [none], [none]
    for l in range(1, len(names) // 2 + 1):
        (m, n), o = shapes[f"W{l}"], where[f"W{l}"].start
        rows.append(_slicer([slice(o + i * n, o + (i + 1) * n) for i in range(m)]))
        cols.append(_slicer([slice(o + j, o + m * n, n) for j in range(n)]))
        bias.append(itemgetter(where[f"b{l}"]))
    return where, rows, cols, bias


def run(problem, ar, batches, final_pass) -> Trace:
    """network.run for a problem `applies` takes (the same Trace, bit for bit)."""
    params = {}
    for k, v in problem.params.items():
        params[k] = arr = ar.array(v, problem.written.get(k))
        arr.setflags(write=False)  # every array recorded is read-only (an iteration's are views of a read-only one)
    iterations = [Iteration(t, ex) for t, ex in enumerate(batches(problem), start=1)]
    trace = Trace(problem, iterations, arithmetic=ar.name)
    rec, aux = trace.values, trace.aux
    L = problem.depth
    names = problem.param_names()
    shapes = {name: params[name].shape for name in names}
    # the parameters as one flat list of Python floats, updated as one vector (as the general path does)
    theta = [v for name in names for v in params[name].ravel().tolist()]
    where, w_rows, w_cols, b_at = _layout(names, shapes)
    acts = problem.activations
    loss_name = problem.loss
    l2 = ar.scalar(problem.l2)
    learning_rate = None if problem.learning_rate is None else ar.scalar(problem.learning_rate)
    lr = None if learning_rate is None else float(learning_rate)
    l2f = float(l2)
    scale = loss_scale(loss_name, problem.loss_half)
    abs_scale = abs(scale)
    mean = problem.batch_loss == "mean"
    show_error = "error" in problem.show
    frozen = problem.frozen
    examples: dict[int, tuple] = {}
    array = np.array
    exp = np.exp
    add_reduce = np.add.reduce
    # path names, made once: e + N_a[l] is f"{e}a{l}"
    N_a = [None] + [f"a{l}" for l in range(1, L + 1)]
    N_comp = [None] + [f"comp{l}" for l in range(1, L + 1)]
    N_dL_dh = [None] + [f"dL_dh{l}" for l in range(1, L + 1)]
    N_delta = [None] + [f"delta{l}" for l in range(1, L + 1)]
    N_gprime = [None] + [f"gprime{l}" for l in range(1, L + 1)]
    N_grad_W = [None] + [f"grad.W{l}" for l in range(1, L + 1)]
    N_grad_b = [None] + [f"grad.b{l}" for l in range(1, L + 1)]
    N_h = [None] + [f"h{l}" for l in range(1, L + 1)]
    N_W = [None] + [f"W{l}" for l in range(1, L + 1)]
    N_b = [None] + [f"b{l}" for l in range(1, L + 1)]
    NEW = {name: f"new.{name}" for name in names}
    GRAD = {name: f"grad.{name}" for name in names}
    DATA_GRAD = {name: f"data_grad.{name}" for name in names}
    # the gradients in the order they are recorded: layer L down to 1, W before b
    # (name, path, data gradient's path, shape or None for a vector)
    grad_order = [(name, GRAD[name], DATA_GRAD[name], shapes[name] if name[0] == "W" else None)
                  for l in range(L, 0, -1) for name in (N_W[l], N_b[l])]
    trained = [name for name in names if name not in frozen]
    # (name, path, where in theta or None if frozen, shape or None for a vector): new.W1, new.b1, ...
    new_order = [(name, NEW[name], None if name in frozen else where[name], shapes[name] if name[0] == "W" else None)
                 for name in names]

    def put(path, value, store=rec):  # for final_pass: float arithmetic rounds nothing
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        store[path] = value
        return value

    with np.errstate(all="ignore"):
        for it in iterations:
            p = f"iter{it.t}."
            first = len(rec)
            values = IterationValues()
            record, keep = values.put, values.keep
            for name in names:  # the arrays the previous iteration recorded as new.W1, ...
                rec[p + name] = params[name]
            # the sum of the numbers of every value recorded this iteration but those `values` holds
            # (see IterationValues.finish): finite only if each of them is. The parameters only in the
            # first: later, they are the numbers the previous iteration recorded as new.W1, ... (or kept)
            acc = sum(theta) if it.t == 1 else 0.0
            # |W(l)|'s rows and columns, |b(l)|: the terms of every sum cancel judges this iteration
            abs_theta = list(map(abs, theta))
            absW = [rows(abs_theta) for rows in w_rows]
            absWT = [cols(abs_theta) for cols in w_cols]
            absb = [bias(abs_theta) for bias in b_at]
            if l2:
                sq_weights = sum(np.sum(params[N_W[l]] ** 2) for l in range(1, L + 1))
                reg = l2 * sq_weights / 2
            single = len(it.examples) == 1
            losses, grads = [], []
            for n, index in enumerate(it.examples, start=1):
                e = p if single else f"{p}ex{n}."
                if index not in examples:
                    ex = problem.data[index]
                    x_arr = ar.array(ex.x, problem.written.get(f"data[{index}].x"))
                    y_arr = ar.array(ex.y, problem.written.get(f"data[{index}].y"))
                    x_arr.setflags(write=False)
                    y_arr.setflags(write=False)
                    x, y = x_arr.tolist(), y_arr.tolist()
                    examples[index] = x_arr, y_arr, x, y, list(map(abs, x)), sum(x) + sum(y)
                x_arr, y_arr, x, y, abs_h, xy_sum = examples[index]
                keep(rec, e + "x", x_arr)
                keep(rec, e + "y", y_arr)
                acc += xy_sum
                h_arr = x_arr
                hs, pre, comps, gprimes = [x], [None], [None], [None]
                for l in range(1, L + 1):
                    W_arr = params[N_W[l]]
                    a = list(map(add, (W_arr @ h_arr).tolist(), b_at[l](theta)))
                    a = _cancel_matvec(a, absW[l], abs_h, absb[l],
                                       lambda W_arr=W_arr, h_arr=h_arr, l=l: np.abs(W_arr) @ np.abs(h_arr)
                                       + np.abs(params[N_b[l]]))
                    record(rec, e + N_a[l], a)
                    act = acts[l - 1]
                    # exp and tanh take the list as np.array would make it: numpy's own functions, numpy's bits
                    # g'(a) too, which the backward pass records: h (1 - h) for sigmoid, 1 - h^2 for tanh
                    if act == "sigmoid":
                        # _sigmoid_pair: e = exp(-|a|), 1 / (1 + e) and e / (1 + e), chosen by the sign of a
                        h, comp, gp = [], [], []
                        for v, u in zip(a, exp([-abs(v) for v in a]).tolist()):
                            d = 1 + u
                            low, high = 1 / d, u / d
                            hv, cv = (low if v >= 0 else high), (low if v <= 0 else high)
                            h.append(hv)
                            comp.append(cv)
                            gp.append(hv * cv)
                    elif act == "tanh":
                        h = np.tanh(a).tolist()
                        gp = comp = [(4 * u) / ((1 + u) * (1 + u)) for u in exp([-2 * abs(v) for v in a]).tolist()]
                    elif act == "relu":
                        h = [v if v > 0 else v * 0 for v in a]
                        comp = None
                        gp = [v * 0 + 1 if v > 0 else v * 0 for v in a]
                    else:  # linear: a + 0
                        h = [v + 0 for v in a]
                        comp = None
                        gp = [v * 0 + 1 for v in a]
                    record(rec, e + N_h[l], h)
                    if comp is not None:
                        record(aux, e + N_comp[l], comp)
                    comps.append(comp)
                    gprimes.append(gp)
                    hs.append(h)
                    pre.append(a)
                    if l < L:  # the next layer's operand
                        h_arr = array(h)
                        abs_h = list(map(abs, h))
                yhat, aL = hs[L], pre[L]
                record(rec, e + "yhat", yhat)
                if show_error:
                    record(rec, e + "error", _noise(list(map(sub, y, yhat)), _abs_sum(y, yhat)))
                if loss_name == "bce":  # sigmoid output: -log yhat = softplus(-a), -log(1 - yhat) = softplus(a)
                    # one call for both: an elementwise function gives each number the same bits
                    # wherever it lies in the array
                    sp = np.logaddexp(0.0, [-v for v in aL] + aL).tolist()
                    terms = [u * s + (1 - u) * t for u, s, t in zip(y, sp, sp[len(aL):])]
                    value = add_reduce(terms)  # np.sum's reduction of the array of terms, without its wrappers
                else:
                    diff = list(map(sub, y, yhat))
                    squares = list(map(mul, diff, diff))
                    if loss_name == "sse":
                        terms = [v / 2 for v in squares]
                        value = add_reduce(squares) / 2
                    else:
                        terms = squares
                        value = add_reduce(squares) / len(y)
                if scale != 1.0:
                    terms = [scale * v for v in terms]
                record(rec, e + "loss_terms", terms)
                loss = ar.scalar(scale * value)
                if single and l2:
                    keep(aux, e + "data_loss", loss)
                    data, shown = loss, ar.scalar(loss + reg)
                else:
                    shown = data = loss
                keep(rec, e + "loss", shown)
                acc += float(shown)
                losses.append(data)
                if loss_name == "bce":
                    comp = comps[L]  # sigmoid(-a): 1 - yhat without cancellation
                    # _div only where Python's / would raise (a nan is true: u / nan is nan, as numpy divides)
                    dl = [scale * (-((u / v if v else _div(u, v)) if u != 0 else u * 0)
                                   + (((1 - u) / c if c else _div(1 - u, c)) if 1 - u != 0 else (1 - u) * 0))
                          for u, v, c in zip(y, yhat, comp)]
                else:
                    nout = len(y)
                    raw = [(2 * (v - u)) / nout for u, v in zip(y, yhat)] if loss_name == "mse" else \
                        list(map(sub, yhat, y))
                    dl = _noise([scale * v for v in raw], [abs_scale * (abs(u) + abs(v)) for u, v in zip(y, yhat)])
                record(rec, e + "dL_dyhat", dl)
                grad = {}
                for l in range(L, 0, -1):
                    g = gprimes[l]
                    record(rec, e + N_gprime[l], g)
                    if l == L:
                        if loss_name == "bce":  # a sigmoid output  # (1 - y) - (1 - yhat) where a > 0
                            raw, terms = [], []
                            for u, w, c, v in zip(y, yhat, comps[L], aL):
                                if v > 0:
                                    raw.append((1 - u) - c)
                                    terms.append(abs(1 - u) + abs(c))
                                else:
                                    raw.append(w - u)
                                    terms.append(abs(w) + abs(u))
                            delta = _noise(raw, terms)
                        else:
                            delta = list(map(mul, dl, g))
                    else:
                        W_next = params[N_W[l + 1]]
                        back = (W_next.T @ delta_arr).tolist()
                        back = _cancel_matvec(back, absWT[l + 1], abs_delta, None,
                                              lambda W_next=W_next, d=delta_arr: np.abs(W_next).T @ np.abs(d))
                        record(rec, e + N_dL_dh[l], back)
                        record(aux, e + N_dL_dh[l], back)
                        delta = list(map(mul, g, back))
                    record(rec, e + N_delta[l], delta)
                    delta_arr = array(delta)  # the operand of W(l)^T delta(l): dL/dh(l - 1), or grad.x
                    abs_delta = list(map(abs, delta))
                    prev = hs[l - 1]
                    gW = [d * v for d in delta for v in prev]  # delta h(l-1)^T, in row order
                    grad[N_W[l]] = gW
                    grad[N_b[l]] = delta
                    if not single:
                        record(rec, e + N_grad_W[l], gW, (len(delta), len(prev)))
                        record(rec, e + N_grad_b[l], delta)
                W1 = params["W1"]
                gx = (W1.T @ delta_arr).tolist()
                gx = _cancel_matvec(gx, absWT[1], abs_delta, None, lambda d=delta_arr: np.abs(W1).T @ np.abs(d))
                record(rec, e + "grad.x", gx)
                grads.append(grad)

            if single:
                data_loss = losses[0]
            else:
                total = ar.scalar(sum(losses[1:], losses[0]))
                total = total / len(losses) if mean else total
                if l2:
                    keep(aux, p + "data_loss", total)
                else:
                    keep(rec, p + "loss", total)
                    acc += float(total)
                data_loss = total
            if l2:
                keep(aux, p + "data_loss", data_loss)
                keep(aux, p + "sq_weights", sq_weights)
                if not single:
                    shown = ar.scalar(data_loss + reg)
                    keep(rec, p + "loss", shown)
                    acc += float(shown)
            new_grads = grads[0] if single else {name: _batch_sum([gr[name] for gr in grads], mean) for name in names}
            if l2:  # + l2 W(l), the data's gradient kept in aux
                new_grads = dict(new_grads)
                for name, _, data_path, shape in grad_order:
                    if shape is not None:
                        g = new_grads[name]
                        record(aux, p + data_path, g, shape)
                        w = theta[where[name]]
                        new_grads[name] = _noise([u + l2f * v for u, v in zip(g, w)],
                                                 [abs(u) + l2f * abs(v) for u, v in zip(g, w)])
            for name, path, _, shape in grad_order:
                record(rec, p + path, new_grads[name], shape)
            if lr is not None:
                # new = old - lr grad for every trained parameter at once (elementwise: the same numbers
                # one parameter at a time would give); a frozen one keeps its array
                old = theta if not frozen else [v for name in trained for v in theta[where[name]]]
                step = [lr * v for name in trained for v in new_grads[name]]
                new = _noise(list(map(sub, old, step)), _abs_sum(old, step))
                if frozen:
                    new_theta, start = theta[:], 0
                    for name in trained:
                        at = where[name]
                        size = at.stop - at.start
                        new_theta[at] = new[start : start + size]
                        start += size
                    new = new_theta
                for name, path, at, shape in new_order:
                    if at is None:  # frozen
                        keep(rec, p + path, params[name])
                    else:
                        record(rec, p + path, new[at], shape)
                theta = new
            acc += values.finish()
            if lr is not None:
                for name in trained:
                    params[name] = rec[p + NEW[name]]
            bad = None
            if not math.isfinite(acc):  # which value, in the order recorded (as network.run finds it)
                bad = ar.first_nonfinite(list(islice(reversed(rec.items()), len(rec) - first))[::-1])
            if bad is not None:
                trace.diverged = (it.t, bad)
                del iterations[it.t:]
                break
        for name in names:
            rec[f"final.{name}"] = params[name]
        final_pass(params, put)
    return trace
