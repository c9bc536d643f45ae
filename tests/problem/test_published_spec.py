"""The spec's published: section: validated against the problem's own paths and shapes, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracer.errors import SpecError
from tracer.problem.spec import load_problem

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "examples" / "lecture-2-2-1.yaml").read_text())
BASE.pop("published")


def with_published(published):
    return {**BASE, "published": published}


def test_entries_keep_the_text_a_source_printed():
    p = load_problem(with_published({"iter1.yhat": 0.8934, "iter1.h1": [0.7685, "0.8580"], "iter1.W1[2,1]": 0.2,
                                     "iter1.grad.W2": [[-0.08196, -0.09153]], "final.b2": 1}))
    assert p.published == (("iter1.yhat", "0.8934"), ("iter1.h1", ["0.7685", "0.8580"]), ("iter1.W1[2,1]", "0.2"),
                           ("iter1.grad.W2", [["-0.08196", "-0.09153"]]), ("final.b2", "1"))


@pytest.mark.parametrize("published,message", [
    ([1], "published: expected a mapping of quantity paths to numbers, got a list of 1"),
    ({"iter1.zz": 1}, "published.iter1.zz: not a quantity path (see docs/quantities.md)"),
    ({"iter9.yhat": 1}, "published.iter9.yhat: iteration 9 is not run (iterations: 3)"),
    ({"iter1.W3": 1}, "published.iter1.W3: no such quantity in this problem (see docs/quantities.md)"),
    ({"iter1.ex1.loss": 1}, "published.iter1.ex1.loss: no such quantity in this problem (see docs/quantities.md)"),
    ({"iter1.W1[3,1]": 1}, "published.iter1.W1[3,1]: iter1.W1 has shape 2x2; no such element"),
    ({"iter1.h1": [1]}, "published.iter1.h1: expected a list of 2 numbers, got a list of 1"),
    ({"iter1.h1": 0.5}, "published.iter1.h1: expected a list of 2 numbers, got a single number"),
    ({"iter1.W1": [1, 2, 3, 4]}, "published.iter1.W1: expected a 2x2 matrix as a list of 2 rows, got a flat list of 4"),
    ({"iter1.W1": [[1, 2], [3]]}, "published.iter1.W1: expected a 2x2 matrix as a list of 2 rows, got 2 rows of 2, 1"),
    ({"iter1.loss": ".nan"}, "published.iter1.loss: expected a finite number, got the text '.nan'"),
    ({"iter1.loss": float("inf")}, "published.iter1.loss: expected a finite number, got inf"),
    ({"iter1.loss": True}, "published.iter1.loss: expected a number, got true (a boolean)"),
    ({"iter1.loss": "about 0.1"}, "published.iter1.loss: expected a finite number, got the text 'about 0.1'"),
    ({"iter1.W1": [[1, 2], [3, None]]}, "published.iter1.W1[2][2]: expected a number, got nothing"),
])
def test_a_bad_entry_is_one_line_naming_its_field(published, message):
    with pytest.raises(SpecError) as err:
        load_problem(with_published(published))
    assert str(err.value) == message and "\n" not in str(err.value)


def test_fewer_iterations_by_override_keep_only_the_entries_still_run():
    p = load_problem(REPO / "examples" / "lecture-2-2-1.yaml")
    assert any(k.startswith("iter3.") for k, _ in p.published)
    one = p.with_overrides(iterations=1)
    assert one.published and all(k.startswith("iter1.") for k, _ in one.published)
