"""Read every substituted line back and check that its printed result follows from its
printed operands (tests/tools/readback.py: a parser of our own, numpy to re-evaluate).

Each Step's chain is what both the LaTeX and the Markdown templates print, link by link
(formula, substituted line, result), so reading the chain reads both formats. Over every
built-in example x every built-in profile x every arithmetic, and over hypothesis specs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import readback as R  # noqa: E402

from tracer.engine import run  # noqa: E402
from tracer.present.view import build_view  # noqa: E402
from tracer.problem.examples import example_path, list_examples  # noqa: E402
from tracer.problem.notation import BUILTIN  # noqa: E402
from tracer.problem.spec import load_problem  # noqa: E402

EXAMPLES = [name for name, _ in list_examples()]
MODES = ("float", "exact", "by-hand")

# Lines known not to read back, each with its reason: (arithmetic, lhs pattern, reason).
ALLOWED: list[tuple[str, str, str]] = [  # (arithmetic, lhs pattern, why): empty, and it should stay so
]


def _allowed(mode: str, lhs: str) -> str | None:
    for m, pattern, reason in ALLOWED:
        if m == mode and re.search(pattern, lhs):
            return reason
    return None


def _steps(view):
    for it in view.iterations:
        for sec in [*it.examples, *(s for s in (it.aggregate, it.update) if s)]:
            yield from sec.steps
    for sec in view.passes:  # a graph's forward pass, local derivatives and backward pass
        yield from sec.steps


def _problems(problem, mode: str) -> tuple[list[str], int]:
    view = build_view(run(problem, mode))
    out, checked = [], 0
    for step in _steps(view):
        try:
            found = R.check_chain(step.chain, R.Sig(problem.sig_figs) if problem.sig_figs else problem.decimals)
        except R.Unsupported:
            continue  # infinities and undefined values: nothing to re-evaluate
        except R.ParseError as err:
            found = [f"does not parse: {err}"]
        checked += 1
        if found and not _allowed(mode, step.lhs):
            out.extend(f"{mode} {step.lhs}: {p}" for p in found)
    return out, checked


# -- the parser itself -------------------------------------------------------------------

def test_parser_refuses_a_scalar_juxtaposed_with_a_number():
    """Today's update line: 0.5 0.8933 typesets as 0.50.8933."""
    with pytest.raises(R.ParseError, match="juxtaposition"):
        R.parse_link(r"0.9 - 0.5 0.8933", 4)
    with pytest.raises(R.ParseError, match="juxtaposition"):
        R.parse_link(r"0.2 - 1 0.1007", 4)
    assert R.parse(r"0.9 - 0.5 \cdot 0.8933").v == pytest.approx(0.9 - 0.5 * 0.8933)


@pytest.mark.parametrize("text", [
    r"0.5958 + -0.4862",  # a negative operand after +
    r"0.5 \cdot -0.3",  # and in a product
    r"- 0 \log{\left(0.3749 \right)}",  # -0
    r"\begin{bmatrix} 0.7685 \\ 0.8581 \\ 1 \end{bmatrix} - 0.1067",  # a vector minus a number
    r"0.5 \begin{bmatrix} 1 \\ 2 \end{bmatrix}",  # a scalar juxtaposed with a vector
])
def test_parser_refuses_misreadable_arithmetic(text):
    with pytest.raises(R.ParseError):
        R.parse_link(text, 4)


def test_parser_reads_matrices_functions_and_uncertainty():
    q = R.parse(r"\begin{bmatrix} 0.1 & 0.4 \\ 0.2 & 0.5 \end{bmatrix} \begin{bmatrix} 1 \\ 2 \end{bmatrix}"
                r" + \begin{bmatrix} 0.3 \\ 0.6 \end{bmatrix}")
    assert q.v.ravel().tolist() == pytest.approx([1.2, 1.8]) and not q.u.any()  # given data are exact
    q = R.parse(r"\sigma(0.8933) \cdot \left(-0.1067\right)^{2} - \frac{1}{4}\left(\tanh(0.5) + \log{\left(2 \right)}\right)")
    assert float(q.v) == pytest.approx(1 / (1 + 2.718281828459045**-0.8933) * 0.1067**2 - (0.46211715726 + 0.69314718056) / 4)
    assert float(q.u) > 0  # 0.8933 and 0.1067 show all 4 decimals: each is +-0.00005
    with pytest.raises(R.Symbolic):
        R.parse_link(r"W^{(2)} h^{(1)} + b^{(2)}", 4)


def test_check_chain_catches_a_wrong_result_and_ragged_digits():
    assert R.check_chain([r"0.5 \cdot 0.8933 \approx 0.4467"], 4) == []
    assert R.check_chain([r"0.5 \cdot 0.8933 \approx 0.4480"], 4)  # off by 13 units
    assert R.check_chain([r"0.1 + 0.2 = 0.3"], 4) == []
    assert R.check_chain([r"0.1 + 0.2 = 0.3001"], 4)  # = claims exactness
    assert any("decimals" in p for p in R.check_chain([r"0.3 - 0.218 \approx 0.082"], 4))


# -- every built-in example x profile x arithmetic ----------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("profile", list(BUILTIN))
def test_builtin_examples_read_back(name, profile):
    base = load_problem(example_path(name)).with_overrides(notation=profile)
    problems, checked = [], 0
    for mode in MODES:
        found, n = _problems(base, mode)
        problems += found
        checked += n
    assert checked > 20
    assert not problems, "\n".join(problems[:20])


FACTORED = [name for name, profile in BUILTIN.items() if profile.backward != "factored"]


def test_lecture_profile_is_factored_by_default():
    """The test above reads the lecture profile's factored backward pass; the one below the others'."""
    assert BUILTIN["lecture"].backward == "factored"


# the factored backward pass is a network's (a perceptron has none, a graph its own)
NETWORKS = [name for name in EXAMPLES if load_problem(example_path(name)).kind == "network"]


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("profile", FACTORED)
def test_builtin_examples_read_back_factored(name, profile):
    """`backward: factored` over every other profile: each factor's value and each product of factors."""
    base = load_problem(example_path(name)).with_overrides(notation={"base": profile, "backward": "factored"})
    assert base.notation.backward == "factored"
    problems, checked = [], 0
    for mode in MODES:
        found, n = _problems(base, mode)
        problems += found
        checked += n
    assert checked > 15  # the one-neuron example checks 19 lines in all
    assert not problems, "\n".join(problems[:20])


# -- hypothesis specs ---------------------------------------------------------------------

_ONE_DECIMAL = st.integers(-15, 15).map(lambda k: k / 10)
# weights up to 20: |a| up to ~90, past float64's sigmoid(a) = 1 (a > 37) and tanh(a) = 1 (a > 19)
_SATURATED = st.one_of(st.integers(-30, 30), st.integers(-200, 200)).map(lambda k: k / 10)


@st.composite
def specs(draw):
    """Printed-handout-like specs: numbers with a decimal or two, every sign, eta = 1,
    labels 0 and 1, L2, saturating weights, sgd/gd/minibatch."""
    loss = draw(st.sampled_from(("bce", "mse", "sse", "ce", "mae")))
    depth = draw(st.integers(1, 3))
    layers = [draw(st.integers(1, 3)) for _ in range(depth + 1)]
    if loss == "ce":
        layers[-1] = max(layers[-1], 2)
        out = "softmax"
    elif loss == "bce":
        out = "sigmoid"
    else:
        out = draw(st.sampled_from(("sigmoid", "tanh", "linear", "relu")))
    acts = [draw(st.sampled_from(("sigmoid", "tanh", "relu", "linear"))) for _ in range(depth - 1)] + [out]
    hot = draw(st.integers(0, depth))  # the layer with saturating weights (0: none)
    params = {}
    for l in range(1, depth + 1):
        weight = _SATURATED if l == hot else _ONE_DECIMAL
        params[f"W{l}"] = [[draw(weight) for _ in range(layers[l - 1])] for _ in range(layers[l])]
        params[f"b{l}"] = [draw(_ONE_DECIMAL) for _ in range(layers[l])]
    n = draw(st.integers(1, 3))

    def label():
        if loss == "bce":
            return [draw(st.sampled_from((0.0, 1.0))) for _ in range(layers[-1])]
        if loss == "ce":
            hot = draw(st.integers(0, layers[-1] - 1))
            return [1.0 if k == hot else 0.0 for k in range(layers[-1])]
        return [draw(_ONE_DECIMAL) for _ in range(layers[-1])]

    data = [{"x": [draw(_ONE_DECIMAL) for _ in range(layers[0])], "y": label()} for _ in range(n)]
    mode = draw(st.sampled_from(("sgd", "gd", "minibatch")))
    spec = {
        "layers": layers, "activation": acts, "loss": loss, "params": params, "data": data,
        "learning_rate": draw(st.sampled_from((1.0, 0.5, 0.1, 0.05))),
        "iterations": draw(st.integers(1, 2)), "mode": mode,
        "l2": draw(st.sampled_from((0.0, 0.0, 0.01, 0.1))),
        "decimals": draw(st.sampled_from((4, 4, 3, 2))),
    }
    if mode == "minibatch":
        spec["batch_size"] = draw(st.integers(1, n))
    if draw(st.integers(0, 3)) == 0:  # Hagan's tables: significant figures instead of decimals
        spec["sig_figs"] = draw(st.sampled_from((3, 4)))
        del spec["decimals"]
    return spec


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), mode=st.sampled_from(MODES), profile=st.sampled_from(list(BUILTIN)),
       backward=st.sampled_from(("delta", "factored")))
def test_random_specs_read_back(spec, mode, profile, backward):
    problem = load_problem(spec).with_overrides(notation={"base": profile, "backward": backward})
    trace = run(problem, mode)
    # Past |a| = 350 (a softmax gap of 700) float64's exp over- and underflows: sigmoid(a) is exactly 0, -y / yhat infinite,
    # and the run stops as diverged (trace.diverged). That is a float range, not a saturated unit.
    assume(_largest_preactivation(run(problem, "float")) < 350)
    # By hand, every value is rounded to the digits shown, so a saturated output may round onto 0
    # or 1. A loss term it leaves with coefficient 0 is absent (left out of the substitution); one
    # it leaves infinite (-log 0) stops the run, and the handout says why rather than reading on.
    if mode == "by-hand" and trace.diverged and _rounded_onto_boundary(trace):
        note = "".join(text for _, text in build_view(trace).diverged)
        assert "the output rounds to exactly 0 or 1 at the digits shown" in note, note
        event("by hand: stopped at an output rounded onto 0 or 1")
        return
    event(f"saturated: {_saturation(trace, problem)}")
    problems, _ = _problems(problem, mode)
    assert not problems, "\n".join(problems[:10])


def _rounded_onto_boundary(trace) -> bool:
    """By hand: a sigmoid or softmax output rounded to exactly 0 or 1, a tanh output to +-1."""
    acts = trace.problem.activations
    for path, value in trace.values.items():
        name = path.rpartition(".")[2]
        if not (name[:1] == "h" and name[1:].isdigit() and int(name[1:]) >= 1):
            continue
        act, x = acts[int(name[1:]) - 1], np.abs(np.asarray(value, dtype=float))
        if (act == "tanh" and np.any(x == 1)) or (act in ("sigmoid", "softmax") and np.any(np.isin(x, (0.0, 1.0)))):
            return True
    return False


def _largest_preactivation(trace) -> float:
    return max(float(np.max(np.abs(np.asarray(v, dtype=float)))) for path, v in trace.values.items()
               if path.rpartition(".")[2][:1] == "a" and path.rpartition(".")[2][1:].isdigit())


def _saturation(trace, problem) -> str:
    """How saturated the spec's units are: 'no', 'yes' (a complement 1 - h, 1 - h^2 keeps fewer
    than two significant digits at the digits shown) or 'underflow' (float64 gives h = 1 exactly)."""
    from tracer.present.numfmt import digits, last_place

    floor = 10 * last_place(digits(problem))
    found = "no"
    for path, value in trace.values.items():
        name = path.rpartition(".")[2]
        if name == "yhat" or (name.startswith("h") and name[1:].isdigit()):
            for x in np.ravel(np.asarray(value, dtype=float)):
                if abs(x) == 1.0 and trace.arithmetic == "float":
                    return "underflow"
                if 1 - abs(x) < floor:
                    found = "yes"
    return found


# -- hypothesis graphs --------------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from graph_specs import graph_specs  # noqa: E402

from tracer.errors import SpecError  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=graph_specs(), mode=st.sampled_from(MODES))
def test_random_graphs_read_back(spec, mode):
    """Every forward line, local derivative (sympy's formula, substituted) and backward sum of a
    random graph evaluates to its printed value."""
    try:
        problem = load_problem(spec)
        problems, _ = _problems(problem, mode)
    except SpecError:
        return  # undefined at these values: refused, nothing printed
    assert not problems, "\n".join(problems[:10])


# -- saturated units -------------------------------------------------------------------

_SATURATED_SPEC = {  # a(1) = 20 and 40: sigmoid(40) is 1.0 in float64, 1 - yhat = 4.248e-18
    "layers": [1, 1, 1], "activation": ["tanh", "sigmoid"], "loss": "bce",
    "params": {"W1": [[20]], "b1": [0], "W2": [[40]], "b2": [0]},
    "data": [{"x": [1], "y": [0]}], "learning_rate": 0.5, "iterations": 1,
}


@pytest.mark.parametrize("mode", ["float", "exact"])
@pytest.mark.parametrize("backward", ["delta", "factored"])
def test_a_saturated_unit_prints_its_complement(mode, backward):
    """1 - yhat is its own value (sigmoid(-a)), in a line of its own and substituted for 1 - 1.0000;
    yhat is shown rounded (1.0000), never as the exact-looking 1 of float64's underflow."""
    problem = load_problem(_SATURATED_SPEC).with_overrides(notation={"base": "default", "backward": backward})
    view = build_view(run(problem, mode))
    lines = {s.lhs: " = ".join(s.chain) for s in _steps(view)}
    # exact: a(2) = 40 tanh(20) is 40 - 3.4e-16, shown 40.0000
    assert re.fullmatch(r"\\sigma\(-a\^\{\(2\)\}\) = \\sigma\(-40(\.0000)?\) \\approx 4\.248 \\times 10\^\{-18\}", lines[r"1 - \hat{y}"])
    assert lines[r"1 - \left(h^{(1)}\right)^{2}"] == (r"\frac{4}{\left(e^{a^{(1)}} + e^{-a^{(1)}}\right)^{2}} = "
                                                      r"\frac{4}{\left(\exp(20) + \exp(-20)\right)^{2}} \approx 1.699 \times 10^{-17}")
    assert r"\hat{y} = h^{(2)}" in lines and lines[r"\hat{y} = h^{(2)}"].endswith(r"\approx 1.0000")
    assert r"\log{\left(4.248 \times 10^{-18} \right)}" in lines["L"]
    dl = lines[r"\frac{\partial L}{\partial \hat{y}}"]
    assert r"\frac{1 - 0}{4.248 \times 10^{-18}}" in dl and r"\approx 2.354 \times 10^{17}" in dl
    text = "\n".join(lines.values())
    assert "1 - 1" not in text and r"\infty" not in text and r"\log{\left(0 \right)}" not in text
    problems, checked = _problems(problem, mode)
    assert checked > 10 and not problems, "\n".join(problems)


def test_label_one_writes_the_output_error_as_minus_the_complement():
    """With y = 1, yhat - y of a saturated sigmoid is -(1 - yhat): 1.0000 - 1 would keep no digit."""
    spec = {**_SATURATED_SPEC, "data": [{"x": [1], "y": [1]}]}
    view = build_view(run(load_problem(spec), "float"))
    delta = next(s for s in _steps(view) if s.lhs == r"\delta^{(2)}")
    assert delta.chain[-1] == r"- \left(4.248 \times 10^{-18}\right) \approx -4.248 \times 10^{-18}"


def test_factored_loss_none_starts_from_one_once():
    base = load_problem(example_path("neuron-sensitivity")).with_overrides(notation="lecture")
    first = next(s for s in _steps(build_view(run(base, "float"))) if s.lhs == r"\frac{\partial \hat{y}}{\partial \hat{y}}")
    assert first.chain == ["1"]
