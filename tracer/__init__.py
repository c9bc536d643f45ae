"""backprop-tracer: backpropagation worked examples, every number computed and checked.

    from tracer import trace
    t = trace("examples/lecture-2-2-1.yaml")     # or a dict
    t.value("iter2.delta1")          # plain Python: a float, or (nested) lists
    t.iteration(2)                   # one iteration alone, for a notebook's display
    t.to_markdown(); t.to_latex(); t.to_html(); t.to_json()

Attributes are imported on first use, so importing the package (as the CLI does
for `--help`) loads neither numpy nor sympy.
"""

__version__ = "0.1.0"
__all__ = ["trace", "load_problem", "TracerError", "SpecError"]


def __getattr__(name):
    if name == "trace":
        from .api import trace

        return trace
    if name == "load_problem":
        from .problem.spec import load_problem

        return load_problem
    if name in ("TracerError", "SpecError"):
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'tracer' has no attribute {name!r}")
