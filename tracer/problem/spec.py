"""Problem specs: load a YAML/JSON spec and validate it into the `Problem` of its kind.

The kind is chosen by the spec's section (`layers` for a network; see
`tracer.problem.kinds`); the kind's parser validates the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..errors import SpecError
from .kinds import kind_of_spec
from .plain import LoadError
from .spec_cache import load_file
from .validate import describe


def load_problem(source: str | Path | Mapping) :
    """A `Problem` from a spec file path or an already-parsed mapping."""
    if isinstance(source, Mapping):
        return problem_from_dict(dict(source))
    if not isinstance(source, (str, Path)):
        return problem_from_dict(source)  # says what it got instead of a mapping
    try:
        spec = load_file(source)
    except LoadError as err:
        raise SpecError("", str(err)) from None
    return problem_from_dict(spec)


def problem_from_dict(spec: Any):
    """The `Problem` a spec mapping describes, validated by its kind's parser."""
    if not isinstance(spec, dict):
        raise SpecError("spec", f"expected a mapping of fields, got {describe(spec)}")
    return kind_of_spec(spec).hook("parse")(spec)
