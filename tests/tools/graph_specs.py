"""Random graph specs for hypothesis: expressions over the whole grammar, with fan-out
(every node feeds the output) and reused inputs (each input may appear in many nodes).

Values are one-decimal numbers away from 0, and the expressions keep their functions
inside their domains (log and sqrt of a square plus one), so most draws are defined;
the tests `assume` away the rest (SpecError) and the points at a kink.
"""

from __future__ import annotations

from hypothesis import strategies as st

UNARY = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs")
BINARY = ("max", "min")


@st.composite
def expressions(draw, names, depth=3):
    """Text of a random expression over `names` (at least one name appears)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(names))
    kind = draw(st.sampled_from(("+", "-", "*", "/", "^", "neg", "unary", "binary", "const")))
    a = draw(expressions(names, depth - 1))
    if kind == "neg":
        return f"-({a})"
    if kind == "const":
        c = draw(st.sampled_from(("2", "0.5", "pi", "e", "1/3")))
        return f"({c}) * ({a})"
    if kind == "unary":
        fn = draw(st.sampled_from(UNARY))
        if fn in ("log", "sqrt"):
            return f"{fn}(({a})^2 + 1)"
        if fn == "exp":
            return f"exp(tanh({a}))"  # bounded: never overflows
        return f"{fn}({a})"
    b = draw(expressions(names, depth - 1))
    if kind == "binary":
        return f"{draw(st.sampled_from(BINARY))}({a}, {b})"
    if kind == "/":
        return f"({a}) / (({b})^2 + 1)"
    if kind == "^":
        return f"({a})^{draw(st.sampled_from(('2', '3')))}"
    return f"({a}) {kind} ({b})"


_VALUE = st.integers(1, 20).flatmap(lambda k: st.sampled_from((k / 10, -k / 10)))


@st.composite
def graph_specs(draw, max_inputs=3, max_nodes=4):
    n_in = draw(st.integers(1, max_inputs))
    inputs = {f"x{i}": draw(_VALUE) for i in range(1, n_in + 1)}
    nodes: dict[str, str] = {}
    for k in range(1, draw(st.integers(1, max_nodes)) + 1):
        nodes[f"n{k}"] = draw(expressions(list(inputs) + list(nodes), depth=2))
    # the output uses every node and one input again: fan-out everywhere
    terms = list(nodes) + [draw(st.sampled_from(list(inputs)))]
    nodes["out"] = " + ".join(f"{t}*{t}" if i % 2 else t for i, t in enumerate(terms))
    return {"graph": {"inputs": inputs, "nodes": nodes, "output": "out"},
            "decimals": draw(st.sampled_from((4, 3, 2)))}
