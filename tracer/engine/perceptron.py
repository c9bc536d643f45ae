"""The perceptron engine: one example per iteration, a threshold output, the perceptron update.

    a = W x + b,   yhat = step(a) (1 if a >= 0, else 0) or sign(a) (1 if a >= 0, else -1)
    error = y - yhat
    W <- W + eta error x^T,   b <- b + eta error     (frozen parameters keep their value)

The threshold at a = 0 counts as the positive side, so every example gets a label
and the error is always defined; |a| < 1e-12 counts as 0 (binary noise, see ZERO). Recorded under the paths of
`tracer.problem.perceptron.perceptron_paths`, in that order.
"""

from __future__ import annotations

import numpy as np

from .arithmetic import make as make_arithmetic
from .network import batches
from .trace import Iteration, Trace

LOW = {"step": 0.0, "sign": -1.0}
# A pre-activation this close to 0 is 0: 0.1 + 0.2 - 0.3 is -5.6e-17 in binary, and a hand
# computation (and the printed handout) says 0, which is on the positive side.
ZERO = 1e-12


def threshold(act: str, a, ar) -> np.ndarray:
    """step(a) or sign(a), elementwise, in the arithmetic `ar` (a >= 0 is the positive side)."""
    positive = np.array([bool(v >= -ZERO) for v in np.ravel(a)])
    return ar.array(np.where(positive, 1.0, LOW[act]))


def run(problem, arithmetic: str | None = None) -> Trace:
    """Trace `problem.iterations` perceptron updates in the problem's arithmetic (or `arithmetic`)."""
    ar = make_arithmetic(arithmetic or problem.arithmetic, problem.decimals, problem.sig_figs)
    params = {k: ar.array(v, problem.written.get(k)) for k, v in problem.params.items()}
    iterations = [Iteration(t, ex) for t, ex in enumerate(batches(problem), start=1)]
    trace = Trace(problem, iterations, arithmetic=ar.name)
    rec = trace.values
    act = problem.activations[0]
    learning_rate = ar.scalar(problem.learning_rate)

    def put(path, value):
        rounded = ar.round(value)
        if ar.by_hand and not np.allclose(np.asarray(rounded, dtype=float), np.asarray(value, dtype=float),
                                          rtol=1e-12, atol=0.0):
            trace.rounded.add(path)
        rec[path] = rounded
        return rounded

    with np.errstate(all="ignore"):
        for it in iterations:
            p = it.prefix
            for name in ("W1", "b1"):
                rec[p + name] = params[name].copy()
            index = it.examples[0]
            ex = problem.data[index]
            x, y = ar.array(ex.x, problem.written.get(f"data[{index}].x")), ar.array(ex.y, problem.written.get(f"data[{index}].y"))
            rec[p + "x"], rec[p + "y"] = x, y
            a = put(p + "a1", params["W1"] @ x + params["b1"])
            yhat = threshold(act, a, ar)
            rec[p + "h1"] = yhat
            rec[p + "yhat"] = yhat
            error = y - yhat
            rec[p + "error"] = error
            steps = {"W1": learning_rate * np.outer(error, x), "b1": learning_rate * error}
            for name in ("W1", "b1"):
                if name in problem.frozen:
                    rec[f"{p}new.{name}"] = params[name].copy()
                else:
                    params[name] = put(f"{p}new.{name}", params[name] + steps[name])
            bad = next((path for path in (p + "a1", p + "new.W1", p + "new.b1") if not ar.finite(rec[path])), None)
            if bad is not None:
                trace.diverged = (it.t, bad)
                del iterations[it.t:]
                break
        for name in ("W1", "b1"):
            rec[f"final.{name}"] = params[name].copy()
    for value in rec.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # a third of the time of flags.writeable = False
    return trace
