"""The JSON fast path (one `tolist()` per array) writes byte for byte what the number-by-number
export wrote: on every example in each arithmetic mode, a large random net, and random arrays."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracer.cli import main
from tracer.engine import run
from tracer.present import export_json as J
from tracer.present import float_text as F
from tracer.problem.examples import example_path, list_examples
from tracer.problem.spec import load_problem


def _old_plain(value):
    """export_json._plain and _dumps as they were before the fast path, number by number."""
    if isinstance(value, np.ndarray):
        return [_old_plain(v) for v in value]
    if not isinstance(value, (float, int, np.floating, np.integer)):
        if math.isfinite(float(value)):
            return J._Digits(value)
    value = float(value)
    if math.isfinite(value):
        return value + 0.0
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _old_dumps(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_old_dumps(v) for v in value) + "]"
    if isinstance(value, J._Digits):
        return value.text
    return json.dumps(value, allow_nan=False)


def _old_to_json(trace) -> str:
    spec = J.spec_dict(trace)
    lines = [f" {json.dumps(k)}: {_old_dumps(_old_plain(v))}" for k, v in trace.values.items()]
    diverged = ""
    if trace.diverged is not None:
        diverged = ',\n"diverged": ' + json.dumps({"iteration": trace.diverged[0], "path": trace.diverged[1]})
    return '{"spec": ' + json.dumps(spec, allow_nan=False) + diverged + ',\n"values": {\n' + ",\n".join(lines) + "\n}}\n"


def _spec(name: str, arithmetic: str) -> dict:
    spec = yaml.safe_load(example_path(name).read_text())
    if "graph" not in spec and "rule" not in spec:
        spec["arithmetic"] = arithmetic
    return spec


@pytest.mark.parametrize("arithmetic", ["float", "by-hand", "exact"])
@pytest.mark.parametrize("name", [e if isinstance(e, str) else e[0] for e in list_examples()])
def test_every_example_exports_as_before(name, arithmetic):
    t = run(load_problem(_spec(name, arithmetic)))
    assert J.to_json(t) == _old_to_json(t)


_LARGE = {"title": "16-64-64-64-10", "layers": [16, 64, 64, 64, 10],
          "activation": ["tanh", "relu", "sigmoid", "softmax"], "loss": "ce",
          "init": {"seed": 3, "low": -0.5, "high": 0.5},
          "data": [{"x": list(np.linspace(-1, 1, 16)), "y": [0] * 9 + [1]}],
          "learning_rate": 0.1, "iterations": 5, "mode": "sgd"}


def test_a_large_random_net_exports_as_before():
    t = run(load_problem(_LARGE))
    assert J.to_json(t) == _old_to_json(t)


def test_the_cli_writes_the_pieces_to_a_file_as_the_text_to_standard_output(tmp_path, capsys):
    """`render --to json -o FILE` writes the document piece by piece, as bytes; standard output
    gets the joined text. Both are the number-by-number export's."""
    spec = tmp_path / "large.json"
    spec.write_text(json.dumps(_LARGE), encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["render", str(spec), "--to", "json", "-o", str(out)]) == 0
    assert main(["render", str(spec), "--to", "json"]) == 0
    expected = _old_to_json(run(load_problem(_LARGE)))
    assert out.read_bytes() == expected.encode()
    assert capsys.readouterr().out == expected


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=5),
                  elements=st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)))
def test_any_float_array_is_written_as_before(arr):
    assert J._text(arr) == _old_dumps(_old_plain(arr))


def _every_kind_of_float(rng) -> np.ndarray:
    """Random bit patterns (every exponent), random magnitudes, powers of ten and their neighbours
    (where repr changes form), the extremes, and the band below 1e-4 where orjson's form differs."""
    bits = rng.integers(0, 2**63, 20_000, dtype=np.uint64).view(np.float64)
    powers = 10.0 ** np.arange(-320, 308)
    parts = [bits[np.isfinite(bits)], rng.standard_normal(20_000) * 10.0 ** rng.integers(-30, 30, 20_000),
             powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf), rng.uniform(1e-5, 1e-4, 2_000),
             [0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e16, 9999999999999998.0,
              1e-4, 9.999999999999999e-05, 0.1, 0.2, 0.3, 1.0, 123456789.0]]
    values = np.concatenate(parts)
    return np.concatenate([values, -values])


@pytest.mark.skipif(F.orjson is None, reason="orjson is not installed: repr writes the text")
@pytest.mark.parametrize("seed", [7, 8])
def test_orjson_writes_each_float_as_repr_does(seed):
    values = _every_kind_of_float(np.random.default_rng(seed))
    values = values[: values.size // 30 * 30] + 0.0
    arrays = [values, values.reshape(-1, 2), values.reshape(-1, 5, 3), values[:0], values[:7]]
    assert list(F.floats_texts(arrays)) == [repr(a.tolist()).encode() for a in arrays]


@given(st.lists(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
                           elements=st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)
                           | st.floats(1e-6, 2e-4) | st.floats(-2e-4, -1e-6)), max_size=4))
def test_any_finite_arrays_written_together_read_as_repr(arrays):
    arrays = [a + 0.0 for a in arrays]
    assert list(F.floats_texts(arrays)) == [repr(a.tolist()).encode() for a in arrays]


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3), (3, 0, 2), (1, 1), (4, 1, 2), (2, 3)])
@pytest.mark.parametrize("scale", [1.0, 1e-5])  # the fast join, and numbers repr writes among orjson's
def test_empty_thin_and_transposed_arrays_nest_as_repr_does(shape, scale):
    arr = np.arange(math.prod(shape), dtype=np.float64).reshape(shape) * scale
    assert list(F.floats_texts([arr, arr.T])) == [repr(arr.tolist()).encode(), repr(arr.T.tolist()).encode()]  # arr.T: not C-ordered


@pytest.mark.skipif(F.orjson is None, reason="orjson is not installed")
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_numbers_of_one_digit_at_every_small_exponent_read_as_repr(sign):
    """The band from 1e-5 to 1e-4 leaves its one-digit numbers (3e-05) to repr; its edges and the
    one-digit exponents around them are mended by range. orjson's path itself: floats_texts would
    fall back to repr if the probe failed."""
    values = sign * np.array([float(f"{d}e-{e:02d}") for d in range(1, 10) for e in range(3, 12)]
                             + [d * 1e-5 for d in range(1, 10)] + [1.5e-5, 2.5e-9, 1e-9, 9.999999999999999e-10])
    assert list(F._orjson_texts([values, values[::-1].copy()])) == [repr(values.tolist()).encode(),
                                                                   repr(values[::-1].tolist()).encode()]


def test_without_orjson_the_standard_library_writes_the_same(monkeypatch):
    t = run(load_problem(_spec("lecture-2-2-1", "float")))
    fast = J.to_json(t)
    monkeypatch.setattr(F, "_orjson_agrees", lambda: False)
    assert J.to_json(t) == fast == _old_to_json(t)


@pytest.mark.skipif(F.orjson is None, reason="orjson is not installed")
def test_the_installed_orjson_passes_the_probe():
    """Else the fast path would silently be repr's (right, but slow)."""
    assert F._orjson_agrees()
