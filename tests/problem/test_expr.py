"""The expression grammar (tracer.problem.expr): a whitelist read by `ast`, never evaluated by Python.

Fuzzed with random strings and random trees: the only outcomes are a tree or SpecError,
never another exception, and nothing outside the whitelist runs (a canary builtin that
would record any call stays untouched). Costs are bounded: length, depth, size, exponents.
"""

from __future__ import annotations

import builtins
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from graph_specs import expressions  # noqa: E402

from tracer.errors import SpecError  # noqa: E402
from tracer.problem import expr as E  # noqa: E402
from tracer.problem.spec import load_problem  # noqa: E402
from tracer.problem.validate import number  # noqa: E402


@pytest.mark.parametrize("text,value", [
    ("1/3", 1 / 3), ("1 + sin(pi/4)", 1 + math.sin(math.pi / 4)), ("2^10", 1024.0), ("-2**2", -4.0),
    ("e", math.e), ("sigmoid(0)", 0.5), ("max(1, min(2, 3))", 2.0), ("relu(-1) + abs(-2)", 2.0),
    ("sqrt(16) / 4", 1.0), ("exp(log(3))", 3.0), ("2 ^ 3 ^ 2", 512.0), ("+1.5e-3", 0.0015),
])
def test_constant_expressions_evaluate(text, value):
    got = number(text, "learning_rate")
    assert math.isclose(got, value, rel_tol=1e-15) and isinstance(got, E.Written) and got.text == text


@pytest.mark.parametrize("text,message", [
    ("x + 1", "unknown name 'x'"),
    ("1/0", "division by zero"),
    ("log(0)", "log of a non-positive number"),
    ("sqrt(-1)", "sqrt of a negative number"),
    ("10**10**10", "exponent larger than 1024"),
    ("9**999", "overflow"),
    ("exp(1000)", "exp of 1000 overflows"),
    ("(-8) ** (1/3)", "a negative number to a non-integer power"),
    ("__import__('os').system('true')", "a call is a function name"),
    ("open('x')", "unknown function 'open'"),
    ("(lambda: 1)()", "a call is a function name"),
    ("[1][0]", "not allowed in an expression: Subscript"),
    ("'a' + 'b'", "unexpected text"),
    ("1 if 1 else 2", "IfExp"),
    ("x == 1", "Compare"),
    ("max(1)", "max takes 2 arguments, got 1"),
    ("exp(x=1)", "a call is a function name"),
    ("1 +", "not an expression"),
    ("", "empty expression"),
    ("1" * 40, "more than 30 digits"),
    ("1" + "+1" * 300, "at most 400"),
    ("-" * 120 + "1", "nested deeper than 100"),
    ("-(" * 101 + "1" + ")" * 101, "nested deeper than 100"),
    ("1e999", "finite"),
    ("True", None),
])
def test_bad_constant_expressions_are_spec_errors(text, message):
    with pytest.raises(SpecError) as err:
        number(text, "learning_rate")
    assert err.value.where == "learning_rate"
    if message:
        assert message in err.value.message, err.value.message


def test_a_network_spec_reads_expression_numbers():
    spec = {"layers": [1, 1], "activation": "sigmoid", "loss": "mse", "params": {"W1": [["1/2"]], "b1": "-1/4"},
            "data": [{"x": "sqrt(2)", "y": 1}], "learning_rate": "1/10", "iterations": 1}
    p = load_problem(spec)
    assert p.learning_rate == 0.1 and p.params["W1"][0, 0] == 0.5 and p.params["b1"][0] == -0.25
    assert p.data[0].x[0] == math.sqrt(2)


class _Canary:
    """Any call into a non-whitelisted builtin while reading an expression would land here."""

    def __init__(self):
        self.calls = 0


_PIECES = st.sampled_from(list("xyz0123456789.+-*/^()_ ,e'[]:") + ["pi", "exp", "max(", "**", "import", "os",
                                                                   "lambda", "__class__", "sigmoid(", "1e308"])


@settings(max_examples=300, deadline=None)
@given(text=st.lists(_PIECES, max_size=30).map("".join) | st.text(max_size=40))
def test_random_strings_give_a_tree_or_a_spec_error(text):
    canary = _Canary()
    saved = builtins.__import__

    def spy(*args, **kwargs):  # an import during parsing would mean code ran
        canary.calls += 1
        return saved(*args, **kwargs)

    builtins.__import__ = spy
    try:
        try:
            tree = E.parse(text, "graph.nodes.u")
        except SpecError:
            tree = None
        if tree is not None:
            assert tree[0] in ("num", "const", "name", "neg", "call", "+", "-", "*", "/", "**")
            try:
                E.evaluate(tree, {n: 0.5 for n in E.names(tree)})
            except E.EvalError:
                pass
    finally:
        builtins.__import__ = saved
    assert canary.calls == 0


@settings(max_examples=200, deadline=None)
@given(text=expressions(["a", "b", "c"], depth=4))
def test_random_trees_parse_and_keep_their_names(text):
    tree = E.parse(text, "graph.nodes.u")
    assert set(E.names(tree)) <= {"a", "b", "c"} and E.names(tree)
    again = E.parse(E.to_text(tree), "graph.nodes.u")  # written back, read again: the same tree
    assert again == tree
    try:
        E.evaluate(tree, {"a": 0.3, "b": -1.2, "c": 2.0})
    except E.EvalError:
        pass
