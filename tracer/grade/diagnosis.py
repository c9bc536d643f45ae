"""Name the student's mistake: re-run one quantity's formula with a known misconception.

For an element whose verdict is `wrong` (neither correct nor consistent with the student's
own upstream values), each misconception of `CODES` that applies to the quantity gives a
candidate value: the quantity's local formula (recompute.py's) applied to the student's
world (their answers where given, the formulas of those elsewhere, as follow-through uses),
with that one mistake made. The element gets the code whose candidate reproduces the
student's number within the tolerance of the check. Never a guess (docs/diagnosis.md):

- the candidate must itself be off every correct value (the true one and each
  follow-through route) by more than the tolerance, so a number near the right one is
  never "explained";
- if candidates of two different codes reproduce the number, the element gets neither
  (ties are reported as no diagnosis, never as a pick), and a candidate near the right
  value that reproduces the number counts in that tie: it is a competing explanation.

The network's misconceptions (stale-weights, missing-gprime, update-sign,
missing-learning-rate, wrong-loss-derivative, preactivation) read the network's paths;
sign, transposed, other-iteration and other-example read only paths and shapes, so they
apply to every kind.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ..engine import functions as F
from .recompute import COPY, GIVEN

CODES = {
    "stale-weights": "a hidden delta computed with the next layer's already-updated weights",
    "missing-gprime": "delta without the g'(a) factor",
    "update-sign": "new = old + learning_rate * grad",
    "missing-learning-rate": "new = old - grad",
    "wrong-loss-derivative": "the output delta (or dL/dyhat) of another loss",
    "transposed": "a matrix answered transposed",
    "preactivation": "a where h was meant, or h where a was meant",
    "sign": "the right magnitude with the wrong sign",
    "other-iteration": "the value of the previous or next iteration (old weights in the update)",
    "other-example": "the value computed from another example of the data",
}
WRONG = "wrong"  # check.WRONG; not imported, check imports this module

_PATH = re.compile(r"^iter(?P<t>\d+)\.(?:ex(?P<n>\d+)\.)?(?P<name>.+)$")


@dataclass(frozen=True)
class Candidate:
    code: str
    value: np.ndarray  # the quantity's shape
    text: str  # the sentence for the student


class World:
    """The student's world (answers where given, formulas elsewhere) and its references."""

    def __init__(self, checker, given: dict):
        self.checker = checker
        self.true = checker.values
        self.rules = checker.rules
        self.problem = checker.problem
        # The student's own values of every path: their answer where given, else the path's
        # formula over these values (the first route; world.py keeps every route for the
        # verdicts); an array stays the true one wherever nothing upstream was answered.
        values: dict = {}
        dirty: set = set()
        with np.errstate(all="ignore"):
            for path in checker.order:
                rule = self.rules[path]
                value = self.true[path]
                if rule.kind != GIVEN and any(i in dirty for i in rule.inputs):
                    value = self._apply(rule, [values[i] for i in rule.inputs], path)[0]
                    dirty.add(path)
                if path in given:
                    value = np.array(value, dtype=np.float64)
                    for idx, (number, _) in given[path].items():
                        value[idx] = number.value
                    dirty.add(path)
                values[path] = value
        self.values = {p: np.asarray(v, dtype=np.float64) for p, v in values.items()}

    def _apply(self, rule, inputs, path) -> list[np.ndarray]:
        shape = np.shape(self.true[path])
        if rule.kind == COPY:
            return [np.asarray(inputs[0], dtype=np.float64)]
        return [np.broadcast_to(np.asarray(f(*inputs), dtype=np.float64), shape) for f in rule.formulas]

    def __getitem__(self, path: str) -> np.ndarray:
        return self.values[path]

    def references(self, path: str) -> list[np.ndarray]:
        """The values a correct answer may have: the true one and each route from the student's inputs."""
        rule = self.rules[path]
        refs = [np.asarray(self.true[path], dtype=np.float64)]
        if rule.kind != GIVEN:
            with np.errstate(all="ignore"):
                refs += self._apply(rule, [self.values[i] for i in rule.inputs], path)
        return refs

    def formula(self, path: str, **swap) -> list[np.ndarray]:
        """The routes of `path`'s formula with some inputs replaced ({input path: value})."""
        rule = self.rules[path]
        with np.errstate(all="ignore"):
            return self._apply(rule, [swap.get(i, self.values[i]) for i in rule.inputs], path)


# -- the misconceptions ------------------------------------------------------------------


def _generic(world: World, path: str) -> Iterable[Candidate]:
    # the true value too: a sheet that is wrong upstream may still copy the right number with a slip
    for ref in world.references(path):
        yield Candidate("sign", -ref, f"matches {path} with the opposite sign: check the sign of each factor")
        if ref.ndim == 2 and ref.shape[0] == ref.shape[1] > 1:
            yield Candidate("transposed", ref.T, f"matches {path} transposed: it has a row per unit of its layer")
    m = _PATH.match(path)
    if m is None:
        return
    t, rest = int(m["t"]), path.split(".", 1)[1]
    before, after = f"iter{t - 1}.{rest}", f"iter{t + 1}.{rest}"
    if before in world.values:
        yield Candidate("other-iteration", world[before], f"matches {before}, the previous iteration's value")
    if after in world.true:
        yield Candidate("other-iteration", np.asarray(world.true[after], dtype=np.float64),
                        f"matches {after}, the next iteration's value")
    if m["n"] is not None:
        for other in range(1, len(world.checker.trace.iterations[t - 1].examples) + 1):
            q = f"iter{t}.ex{other}.{m['name']}"
            if other != int(m["n"]) and q in world.values:
                yield Candidate("other-example", world[q], f"matches {q}, example {other}'s value")
    yield from _other_data(world, path, t, m["n"])


def _other_data(world: World, path: str, t: int, n) -> Iterable[Candidate]:
    """The formula fed another example's x or y (sgd: the wrong row of the data)."""
    rule = world.rules[path]
    if rule.kind == GIVEN or not hasattr(world.problem, "data") or len(world.problem.data) < 2:
        return
    e = f"iter{t}." + (f"ex{n}." if n is not None else "")
    it = world.checker.trace.iterations[t - 1]
    own = it.examples[int(n) - 1 if n is not None else 0]
    for field in ("x", "y"):
        if e + field not in rule.inputs:
            continue
        for j, ex in enumerate(world.problem.data):
            other = np.asarray(getattr(ex, field), dtype=np.float64)
            if j == own or np.array_equal(other, world[e + field]):
                continue
            for value in world.formula(path, **{e + field: other}):
                yield Candidate("other-example", value,
                                f"matches {path} computed from example {j + 1}'s {field} instead of example {own + 1}'s")


def _network(world: World, path: str) -> Iterable[Candidate]:
    m = _PATH.match(path)
    if m is None or world.problem.kind != "network":
        return
    p = f"iter{m['t']}."
    e = p + (f"ex{m['n']}." if m["n"] else "")
    name = m["name"]
    prob = world.problem
    L, acts, lr = prob.depth, prob.activations, prob.learning_rate
    w = world.values
    if (hit := re.fullmatch(r"(dL_dh|delta)(\d+)", name)) and int(hit[2]) < L:
        l = int(hit[2])
        W, d = w[f"{p}W{l + 1}"], w[f"{e}delta{l + 1}"]
        back = W.T @ d
        gp = w.get(f"{e}gprime{l}", np.ones_like(back))  # a softmax hidden layer has none
        if lr is not None and f"W{l + 1}" not in prob.frozen and f"{p}new.W{l + 1}" in w:
            stale = w[f"{p}new.W{l + 1}"].T @ d
            yield Candidate("stale-weights", stale if hit[1] == "dL_dh" else gp * stale,
                            f"matches {path} computed with the updated weights {p}new.W{l + 1} instead of {p}W{l + 1}: "
                            "the backward pass uses the weights the forward pass used")
        if hit[1] == "delta":
            yield Candidate("missing-gprime", back, f"matches {path} without the factor g'(a{l}): "
                            f"delta{l} = g'(a{l}) * (W{l + 1}^T delta{l + 1}), elementwise")
            for alt, how in _gprime_slips(acts[l - 1], w[f"{e}h{l}"], w[f"{e}a{l}"]):
                yield Candidate("preactivation", alt * back, f"matches {path} with g'{how}")
    elif name == f"delta{L}" and acts[-1] != "softmax":
        gp, dl = w[f"{e}gprime{L}"], w[f"{e}dL_dyhat"]
        yield Candidate("missing-gprime", np.broadcast_to(dl, gp.shape).copy(),
                        f"matches {path} without the factor g'(a{L}): delta{L} = dL/dyhat * g'(a{L})")
        for alt, how in _gprime_slips(acts[-1], w[f"{e}h{L}"], w[f"{e}a{L}"]):
            yield Candidate("preactivation", dl * alt, f"matches {path} with g'{how}")
        if prob.loss != "none":
            for d, loss in _loss_derivatives(w[e + "y"], w[e + "yhat"]):
                yield Candidate("wrong-loss-derivative", d * gp,
                                f"matches {path} from the derivative of {loss} instead of the spec's loss, {prob.loss}")
    elif name == "dL_dyhat" and prob.loss != "none":
        for d, loss in _loss_derivatives(w[e + "y"], w[e + "yhat"]):
            yield Candidate("wrong-loss-derivative", d, f"matches {path} as the derivative of {loss} "
                            f"instead of the spec's loss, {prob.loss}")
    elif hit := re.fullmatch(r"a(\d+)", name):
        l = int(hit[1])
        g = F.ACTIVATIONS[acts[l - 1]][0]
        with np.errstate(all="ignore"):
            yield Candidate("preactivation", g(world.references(path)[-1]),
                            f"matches {e}h{l} = g(a{l}): {path} is the value before the activation")
            if l > 1:
                for v in world.formula(path, **{f"{e}h{l - 1}": w[f"{e}a{l - 1}"]}):
                    yield Candidate("preactivation", v, f"matches {path} computed from a{l - 1} instead of h{l - 1}: "
                                    "the next layer takes the activation h")
    elif (hit := re.fullmatch(r"h(\d+)", name)) or name == "yhat":
        l = int(hit[1]) if hit else L
        yield Candidate("preactivation", w[f"{e}a{l}"], f"matches {e}a{l}: the activation g was not applied to it")
    elif hit := re.fullmatch(r"gprime(\d+)", name):
        l = int(hit[1])
        for alt, how in _gprime_slips(acts[l - 1], w[f"{e}h{l}"], w[f"{e}a{l}"]):
            yield Candidate("preactivation", alt, f"matches g'{how}")
    elif (hit := re.fullmatch(r"grad\.W(\d+)", name)) and int(hit[1]) > 1 and world.rules[path].kind != COPY:
        l = int(hit[1])
        if f"{e}h{l - 1}" in world.rules[path].inputs:
            for v in world.formula(path, **{f"{e}h{l - 1}": w[f"{e}a{l - 1}"]}):
                yield Candidate("preactivation", v, f"matches {path} computed with a{l - 1} instead of h{l - 1}")
    elif (hit := re.fullmatch(r"new\.([Wb]\d+)", name)) and lr is not None and hit[1] not in prob.frozen:
        old, grad = w[p + hit[1]], w[f"{p}grad.{hit[1]}"]
        yield Candidate("update-sign", old + lr * grad, f"matches {path} = {hit[1]} + learning_rate * grad: "
                        "gradient descent subtracts the gradient")
        if lr != 1:
            yield Candidate("missing-learning-rate", old - grad,
                            f"matches {path} = {hit[1]} - grad: the step is learning_rate * grad")
        yield Candidate("other-iteration", old, f"matches {p}{hit[1]}, the value before the update")


def _gprime_slips(act: str, h, a) -> list[tuple[np.ndarray, str]]:
    """g' taken at h instead of a, and the output form h(1 - h) fed a instead of h."""
    if act not in ("sigmoid", "tanh"):
        return []  # relu and linear: g'(h) and g'(a) agree wherever it matters
    with np.errstate(all="ignore"):
        return [(F.ACTIVATIONS[act][1](h), " evaluated at h instead of a (g'(h) for g'(a))"),
                (F.gprime_from_output(act, a, a), " written from the output with a in place of h")]


def _loss_derivatives(y, yhat) -> list[tuple[np.ndarray, str]]:
    """d loss / d yhat of the usual losses, in their usual scalings."""
    n = len(y)
    diff = yhat - y
    with np.errstate(all="ignore"):
        out = [
            (-np.where(y == 0, 0.0, y / yhat) + np.where(y == 1, 0.0, (1 - y) / (1 - yhat)), "binary cross-entropy"),
            (-np.where(y == 0, 0.0, y / yhat), "cross-entropy"),
            (diff, "(1/2) squared error"),
            (2 * diff, "squared error"),
        ]
        if n > 1:
            out += [(2 * diff / n, "mean squared error"), (diff / n, "(1/2) mean squared error")]
    return out


CANDIDATES: tuple[Callable[[World, str], Iterable[Candidate]], ...] = (_network, _generic)


# -- judging ----------------------------------------------------------------------------


def candidates(world: World, path: str) -> list[Candidate]:
    """Every misconception's value for `path` (finite ones), from the student's world."""
    out = []
    for fn in CANDIDATES:
        for cand in fn(world, path):
            value = np.asarray(cand.value, dtype=np.float64)
            if value.shape == np.shape(world.true[path]):
                out.append(Candidate(cand.code, value, cand.text))
    return out


def matches(checker, path: str, idx: tuple, number, bound: float, cands: list[Candidate],
            refs: list[np.ndarray]) -> list[tuple[Candidate, bool]]:
    """(candidate, distinct) for each candidate that reproduces the student's element; `distinct`:
    it is also off every correct value `refs` by more than the tolerance."""
    tol, floor = checker.policy.tolerance, checker.policy.floor

    def near(value: float, reference: float) -> bool:
        return math.isfinite(reference) and abs(value - reference) <= tol.allowed(number.place, reference, bound, floor)

    right = [float(r[idx]) for r in refs]
    out = []
    for c in cands:
        v = float(c.value[idx])
        if near(number.value, v):
            out.append((c, not any(near(v, r) or near(r, v) for r in right)))
    return out


def diagnose(checker, items: list, given: dict, wrong_shape: dict, bounds: dict) -> dict[str, set]:
    """Set `diagnosis` and `diagnosis_text` on the wrong items (check.Checker.check_sheet's hook).
    Returns {key: every code that fitted} for each wrong item, ties included (for tests and tools)."""
    wrong = {i.key: i for i in items if i.status == WRONG}
    fitted: dict[str, set] = {}
    if not wrong:
        return fitted
    world = World(checker, given)
    for path, answers in given.items():
        shape = np.shape(checker.values[path])
        todo = [(idx, number, wrong[_key(path, idx, shape)]) for idx, (number, _) in answers.items()
                if _key(path, idx, shape) in wrong]
        if not todo:
            continue
        cands, refs = candidates(world, path), world.references(path)
        flat_bounds = np.reshape(np.broadcast_to(bounds[path], shape), -1)
        for idx, number, item in todo:
            fitted[item.key] = _settle(item, matches(checker, path, idx, number, float(flat_bounds[_flat(idx, shape)]),
                                                     cands, refs))
    for path, (key, value, *_) in wrong_shape.items():  # (key, value, the printed layout's note)
        item = wrong.get(path)
        if item is not None:
            fitted[item.key] = _settle(item, _transposed_whole(checker, world, path, value, bounds[path]))
    return fitted


def _settle(item, found: list[tuple[Candidate, bool]]) -> set:
    """One code fits, and its value is off the right one: the diagnosis. Two codes that fit (even one
    whose value is within the tolerance of the right one, a competing explanation): none."""
    codes = {c.code for c, _ in found}
    distinct = [c for c, ok in found if ok]
    if len(codes) == 1 and distinct:
        item.diagnosis = distinct[0].code
        item.diagnosis_text = "Your value " + distinct[0].text + "."
    return codes


def _transposed_whole(checker, world: World, path: str, value, bound) -> list[Candidate]:
    """A whole matrix of the transposed shape whose every element matches a correct value."""
    arr = np.asarray(value, dtype=object)
    true = np.asarray(checker.values[path])
    if arr.ndim != 2 or true.ndim != 2 or arr.T.shape != true.shape or any(n is None for n in arr.flat):
        return []
    tol, floor = checker.policy.tolerance, checker.policy.floor
    b = np.broadcast_to(bound, true.shape)
    for ref in world.references(path):
        if all(abs(arr.T[i].value - ref[i]) <= tol.allowed(arr.T[i].place, ref[i], b[i], floor)
               for i in np.ndindex(true.shape)):
            return [(Candidate("transposed", ref.T, f"is {path} transposed: it is a {true.shape[0]}x{true.shape[1]} "
                              "matrix, a row per unit of its layer"), True)]
    return []


def _key(path: str, idx: tuple, shape: tuple) -> str:
    if math.prod(shape) == 1:
        return path
    return f"{path}[{','.join(str(i + 1) for i in idx)}]"


def _flat(idx: tuple, shape: tuple) -> int:
    return int(np.ravel_multi_index(idx, shape)) if shape else 0


# -- the class summary ------------------------------------------------------------------


def quantity_of(key: str) -> str:
    """`iter1.W1[2,1]` -> `iter1.W1`."""
    return key.split("[", 1)[0]


def class_summary(reports) -> list[tuple[str, str, int, int]]:
    """(code, quantity, students, items) for every diagnosis over a batch; most students first."""
    students: Counter = Counter()
    items: Counter = Counter()
    for report in reports:
        seen = set()
        for item in report.items:
            if getattr(item, "diagnosis", None):
                pair = (item.diagnosis, quantity_of(item.key))
                items[pair] += 1
                seen.add(pair)
        students.update(seen)
    order = list(CODES)
    rows = [(code, q, students[(code, q)], items[(code, q)]) for code, q in students]
    return sorted(rows, key=lambda r: (-r[2], order.index(r[0]), r[1]))


def count(report) -> int:
    return sum(1 for i in report.items if getattr(i, "diagnosis", None))
