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

`applies` says which problems take this path (see docs/architecture.md, "The engine's two paths").
"""

from __future__ import annotations

import math
from itertools import islice
from operator import add, mul, sub

import numpy as np

from .arithmetic import Arithmetic
from .functions import loss_scale
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
    n = len(abs_vec)
    rel = 8 * (n + 2) * _U
    noise = []
    for i, v in enumerate(values):
        # any order of summation is within the bound, so sum()'s (naive to 3.11, compensated after)
        t = sum(map(mul, abs_rows[i], abs_vec))
        if abs_bias is not None:
            t += abs_bias[i]
        av = abs(v)
        if av != av:  # nan: |v| <= anything is false
            noise.append(False)
            continue
        if not 1e-250 < t < 1e300:
            break
        threshold = _CANCELLATION * t
        if av < threshold * (1 - rel):
            noise.append(True)
        elif av > threshold * (1 + rel):
            noise.append(False)
        else:
            break
    else:
        if not any(noise):
            return values
        return [v * 0 if z else v for v, z in zip(values, noise)]
    terms = exact_terms().tolist()
    return _noise(values, terms)


def _abs_rows(W: list) -> list:
    return [[abs(w) for w in row] for row in W]


def run(problem, ar, batches, final_pass) -> Trace:
    """network.run for a problem `applies` takes (the same Trace, bit for bit)."""
    params = {k: ar.array(v, problem.written.get(k)) for k, v in problem.params.items()}
    plist = {k: v.tolist() for k, v in params.items()}
    pflat = {k: v.ravel().tolist() for k, v in params.items()}
    iterations = [Iteration(t, ex) for t, ex in enumerate(batches(problem), start=1)]
    trace = Trace(problem, iterations, arithmetic=ar.name)
    rec, aux = trace.values, trace.aux
    L = problem.depth
    names = problem.param_names()
    acts = problem.activations
    out_act = acts[-1]
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
    # path names, made once: e + N_a[l] is f"{e}a{l}"
    N_a = [None] + [f"a{l}" for l in range(1, L + 1)]
    N_comp = [None] + [f"comp{l}" for l in range(1, L + 1)]
    N_dL_dh = [None] + [f"dL_dh{l}" for l in range(1, L + 1)]
    N_delta = [None] + [f"delta{l}" for l in range(1, L + 1)]
    N_gprime = [None] + [f"gprime{l}" for l in range(1, L + 1)]
    N_grad_W = [None] + [f"grad.W{l}" for l in range(1, L + 1)]
    N_grad_b = [None] + [f"grad.b{l}" for l in range(1, L + 1)]
    N_h = [None] + [f"h{l}" for l in range(1, L + 1)]
    NEW = {name: f"new.{name}" for name in names}
    GRAD = {name: f"grad.{name}" for name in names}
    DATA_GRAD = {name: f"data_grad.{name}" for name in names}

    def put(path, value, store=rec):  # for final_pass: float arithmetic rounds nothing
        store[path] = value
        return value

    with np.errstate(all="ignore"):
        for it in iterations:
            p = it.prefix
            first = len(rec)
            # the sum of every number recorded this iteration: finite only if each of them is (an inf
            # or a nan makes any sum it enters inf or nan); where it is not, the values are scanned
            acc = 0.0
            for name in names:
                rec[p + name] = params[name]
                acc += sum(pflat[name])
            absW = [None] + [_abs_rows(plist[f"W{l}"]) for l in range(1, L + 1)]
            absWT = [None] + [[list(col) for col in zip(*absW[l])] for l in range(1, L + 1)]
            absb = [None] + [list(map(abs, plist[f"b{l}"])) for l in range(1, L + 1)]
            if l2:
                sq_weights = sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1))
                reg = l2 * sq_weights / 2
            single = len(it.examples) == 1
            losses, grads = [], []
            for n, index in enumerate(it.examples, start=1):
                e = it.example_prefix(n)
                if index not in examples:
                    ex = problem.data[index]
                    x_arr = ar.array(ex.x, problem.written.get(f"data[{index}].x"))
                    y_arr = ar.array(ex.y, problem.written.get(f"data[{index}].y"))
                    examples[index] = x_arr, y_arr, x_arr.tolist(), y_arr.tolist()
                x_arr, y_arr, x, y = examples[index]
                rec[e + "x"] = x_arr
                rec[e + "y"] = y_arr
                acc += sum(x) + sum(y)
                h_arr, h, abs_h = x_arr, x, list(map(abs, x))
                hs, pre, comps = [x], [None], [None]
                h_arrs = [x_arr]
                for l in range(1, L + 1):
                    W_arr, b = params[f"W{l}"], plist[f"b{l}"]
                    a = list(map(add, (W_arr @ h_arr).tolist(), b))
                    a = _cancel_matvec(a, absW[l], abs_h, absb[l],
                                       lambda W_arr=W_arr, h_arr=h_arr, l=l: np.abs(W_arr) @ np.abs(h_arr)
                                       + np.abs(params[f"b{l}"]))
                    a_arr = array(a)
                    rec[e + N_a[l]] = a_arr
                    acc += sum(a)
                    act = acts[l - 1]
                    if act == "sigmoid":
                        # _sigmoid_pair: e = exp(-|a|), 1 / (1 + e) and e / (1 + e), chosen by the sign of a
                        h, comp = [], []
                        for v, u in zip(a, np.exp(array([-abs(v) for v in a])).tolist()):
                            d = 1 + u
                            low, high = 1 / d, u / d
                            h.append(low if v >= 0 else high)
                            comp.append(low if v <= 0 else high)
                    elif act == "tanh":
                        h = np.tanh(a_arr).tolist()
                        ex_ = np.exp(array([-2 * abs(v) for v in a])).tolist()
                        comp = [(4 * u) / ((1 + u) * (1 + u)) for u in ex_]
                    elif act == "relu":
                        h = [v if v > 0 else v * 0 for v in a]
                        comp = None
                    else:  # linear: a + 0
                        h = [v + 0 for v in a]
                        comp = None
                    h_arr = array(h)
                    rec[e + N_h[l]] = h_arr
                    acc += sum(h)
                    if comp is not None:
                        comp_arr = array(comp)
                        aux[e + N_comp[l]] = comp_arr
                        comps.append((comp, comp_arr))
                    else:
                        comps.append(None)
                    hs.append(h)
                    h_arrs.append(h_arr)
                    pre.append(a)
                    abs_h = list(map(abs, h))
                yhat, yhat_arr, aL = hs[L], h_arrs[L], pre[L]
                rec[e + "yhat"] = yhat_arr
                if show_error:
                    error = _noise(list(map(sub, y, yhat)), _abs_sum(y, yhat))
                    rec[e + "error"] = array(error)
                    acc += sum(error)
                if loss_name == "bce":  # sigmoid output: -log yhat = softplus(-a), -log(1 - yhat) = softplus(a)
                    aL_arr = rec[f"{e}a{L}"]
                    sp_neg = np.logaddexp(0.0, -aL_arr).tolist()
                    sp_pos = np.logaddexp(0.0, aL_arr).tolist()
                    terms = [u * s + (1 - u) * t for u, s, t in zip(y, sp_neg, sp_pos)]
                    terms_arr = array(terms)
                    value = terms_arr.sum()  # np.sum's reduction, without its wrapper
                else:
                    diff = list(map(sub, y, yhat))
                    squares = list(map(mul, diff, diff))
                    squares_arr = array(squares)
                    if loss_name == "sse":
                        terms = [v / 2 for v in squares]
                        terms_arr = array(terms)
                        value = squares_arr.sum() / 2
                    else:
                        terms, terms_arr = squares, squares_arr
                        value = squares_arr.sum() / len(y)
                if scale != 1.0:
                    terms = [scale * v for v in terms]
                    rec[e + "loss_terms"] = array(terms)
                else:  # 1.0 * t is t, bit for bit
                    rec[e + "loss_terms"] = terms_arr
                acc += sum(terms)
                loss = ar.scalar(scale * value)
                if single and l2:
                    aux[e + "data_loss"] = data = loss
                    rec[e + "loss"] = shown = ar.scalar(data + reg)
                else:
                    rec[e + "loss"] = shown = data = loss
                acc += float(shown)
                losses.append(data)
                if loss_name == "bce":
                    comp = comps[L][0]  # sigmoid(-a): 1 - yhat without cancellation
                    dl = [scale * (-(_div(u, v) if u != 0 else u * 0)
                                   + (_div(1 - u, c) if 1 - u != 0 else (1 - u) * 0))
                          for u, v, c in zip(y, yhat, comp)]
                else:
                    nout = len(y)
                    raw = [(2 * (v - u)) / nout for u, v in zip(y, yhat)] if loss_name == "mse" else \
                        list(map(sub, yhat, y))
                    dl = _noise([scale * v for v in raw], [abs_scale * (abs(u) + abs(v)) for u, v in zip(y, yhat)])
                dl_arr = array(dl)
                rec[e + "dL_dyhat"] = dl_arr
                acc += sum(dl)
                grad = {}
                delta = delta_arr = None
                for l in range(L, 0, -1):
                    act, a = acts[l - 1], pre[l]
                    if act == "sigmoid":
                        g = [u * c for u, c in zip(hs[l], comps[l][0])]
                        g_arr = array(g)
                    elif act == "tanh":
                        g, g_arr = comps[l]
                    elif act == "relu":
                        g = [v * 0 + 1 if v > 0 else v * 0 for v in a]
                        g_arr = array(g)
                    else:
                        g = [v * 0 + 1 for v in a]
                        g_arr = array(g)
                    rec[e + N_gprime[l]] = g_arr
                    acc += sum(g)
                    if l == L:
                        if loss_name == "bce":  # a sigmoid output  # (1 - y) - (1 - yhat) where a > 0
                            comp = comps[L][0]
                            raw = [(1 - u) - c if v > 0 else w - u for u, w, c, v in zip(y, yhat, comp, a)]
                            delta = _noise(raw, [abs(1 - u) + abs(c) if v > 0 else abs(w) + abs(u)
                                                 for u, w, c, v in zip(y, yhat, comp, a)])
                        else:
                            delta = list(map(mul, dl, g))
                    else:
                        W_next = params[f"W{l + 1}"]
                        back = (W_next.T @ delta_arr).tolist()
                        back = _cancel_matvec(back, absWT[l + 1], list(map(abs, delta)), None,
                                              lambda W_next=W_next, d=delta_arr: np.abs(W_next).T @ np.abs(d))
                        back_arr = array(back)
                        rec[e + N_dL_dh[l]] = back_arr
                        acc += sum(back)
                        aux[e + N_dL_dh[l]] = back_arr
                        delta = list(map(mul, g, back))
                    delta_arr = array(delta)
                    rec[e + N_delta[l]] = delta_arr
                    acc += sum(delta)
                    prev = hs[l - 1]
                    gW = [[d * v for v in prev] for d in delta]
                    grad[f"W{l}"] = gW
                    grad[f"b{l}"] = delta
                    if not single:
                        rec[e + N_grad_W[l]] = array(gW).reshape(len(delta), len(hs[l - 1]))
                        rec[e + N_grad_b[l]] = delta_arr
                        acc += sum(map(sum, gW))
                    else:
                        grad[f"b{l}", "array"] = delta_arr
                W1 = params["W1"]
                gx = (W1.T @ delta_arr).tolist()
                gx = _cancel_matvec(gx, absWT[1], list(map(abs, delta)), None, lambda d=delta_arr: np.abs(W1).T @ np.abs(d))
                rec[e + "grad.x"] = array(gx)
                acc += sum(gx)
                grads.append(grad)

            if single:
                data_loss = losses[0]
            else:
                total = ar.scalar(sum(losses[1:], losses[0]))
                total = total / len(losses) if mean else total
                if l2:
                    aux[p + "data_loss"] = data_loss = total
                else:
                    rec[p + "loss"] = data_loss = total
                    acc += float(total)
            if l2:
                aux[p + "data_loss"] = data_loss
                aux[p + "sq_weights"] = sq_weights
                if not single:
                    rec[p + "loss"] = shown = ar.scalar(data_loss + reg)
                    acc += float(shown)
            new_grads = {}
            for l in range(L, 0, -1):
                for kind in ("W", "b"):
                    name = f"{kind}{l}"
                    shape = params[name].shape
                    if kind == "W":
                        gs = [[v for row in gr[name] for v in row] for gr in grads]
                    else:
                        gs = [gr[name] for gr in grads]
                    g = gs[0]
                    if not single:
                        for other in gs[1:]:
                            g = list(map(add, g, other))
                        t = list(map(abs, gs[0]))
                        for other in gs[1:]:
                            t = list(map(add, t, map(abs, other)))
                        g = _noise(g, t)
                        if mean:
                            k = len(grads)
                            g = [v / k for v in g]
                    if kind == "W" and l2:
                        aux[p + DATA_GRAD[name]] = array(g).reshape(shape)
                        w = pflat[name]
                        g = _noise([u + l2f * v for u, v in zip(g, w)], [abs(u) + l2f * abs(v) for u, v in zip(g, w)])
                    if single and kind == "b":  # delta(l) itself, as the general path records it
                        g_arr = grads[0][name, "array"]
                    else:
                        g_arr = array(g).reshape(shape)
                    rec[p + GRAD[name]] = g_arr
                    acc += sum(g)
                    new_grads[name] = g
            if lr is not None:
                for name in names:
                    if name in frozen:
                        rec[p + NEW[name]] = params[name]
                        continue
                    shape = params[name].shape
                    old = pflat[name]
                    step = [lr * v for v in new_grads[name]]
                    new = _noise(list(map(sub, old, step)), _abs_sum(old, step))
                    nested = [new[i * shape[1] : (i + 1) * shape[1]] for i in range(shape[0])] if len(shape) == 2 else new
                    arr = array(nested)
                    params[name], plist[name], pflat[name] = arr, nested, new
                    rec[p + NEW[name]] = arr
                    acc += sum(new)
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
    for store in (rec, aux):
        for value in store.values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)  # a third of the time of flags.writeable = False
    return trace
