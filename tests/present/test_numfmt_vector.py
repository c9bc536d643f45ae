"""numfmt's one-pass array formatting gives number()'s text for every element, and array() and
row() the bmatrix they wrote number by number: random arrays over every sign, zero and -0.0,
noise, tiny and huge magnitudes (scientific form), rounding ties, integers, every decimals and
significant figures, exact (mpmath) numbers, NaN and infinities; and the session memo returns what
a fresh formatting would."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer.present import numfmt
from tracer.present.numfmt import SigFigs, array, number, numbers, row


def _old_array(values, decimals, *, scalar_if_single=True, zero=0.0, approx=False) -> str:
    """numfmt.array as it was: number() element by element."""
    arr = numfmt._asarray(values)
    if arr.ndim == 0 or (scalar_if_single and arr.size == 1):
        return number(arr.reshape(-1)[0], decimals, zero=zero, approx=approx)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    rows = [" & ".join(number(v, decimals, zero=zero, approx=approx) for v in r) for r in arr]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


# Values where number()'s cases meet: rounding ties at 2 and 3 decimals (0.125 is a binary tie,
# 2.675 lies just below its decimal tie), the scientific thresholds at each decimals, 10^6, values
# within 1e-12 of a decimal (exact) and just past it, integers, and the half-units that round to 0.
_SPECIAL = [0.0, -0.0, 0.5, 0.125, -0.125, 2.675, -2.675, 1.005, 0.045, 2.5, 3.5, 1e6, -1e6, 999999.99999,
            1e6 - 1e-10, 0.1 + 0.2, 0.3 - 1e-13, 0.3 + 1e-11, 1.0, -7.0, 12345.0, 5e-324, 1e-300, 1e300,
            *(0.5 * 10.0**-d for d in range(13)), *(10.0**-d for d in range(13)),
            *(-0.5 * 10.0**-d for d in range(13)), *(0.49999999 * 10.0**-d for d in range(13)),
            *(0.50000001 * 10.0**-d for d in range(13))]

_finite = st.one_of(
    st.sampled_from(_SPECIAL),
    st.floats(-10, 10, allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.builds(lambda m, e: m * 10.0**e, st.floats(-10, 10, allow_nan=False), st.integers(-15, 9)),
    st.builds(lambda n, d: n / 10**d, st.integers(-10**7, 10**7), st.integers(0, 9)),  # exact decimals
    st.builds(lambda n, d, k: n / 10**d + k * 1e-13, st.integers(-10**5, 10**5), st.integers(0, 6),
              st.integers(-30, 30)),  # within 1e-12 of a decimal, and just beyond
    st.integers(-10**6, 10**6).map(float),
)
_value = st.one_of(_finite, st.sampled_from([float("nan"), float("inf"), float("-inf")]))
_digits = st.one_of(st.integers(0, 12), st.integers(1, 12).map(SigFigs))
_zero = st.sampled_from([0.0, 0.0, 1e-12, 1e-4, 0.05])


@given(st.lists(_value, min_size=0, max_size=40), _digits, _zero, st.booleans())
def test_numbers_equal_number_element_by_element(values, digits, zero, approx):
    arr = np.array(values, dtype=np.float64)
    assert numbers(arr, digits, zero=zero, approx=approx) == [
        number(v, digits, zero=zero, approx=approx) for v in arr]


@given(st.integers(1, 7), st.integers(1, 7), st.data(), _digits, st.booleans(), st.booleans())
def test_array_and_row_equal_the_element_by_element_bmatrix(rows, cols, data, digits, approx, single):
    arr = np.array(data.draw(st.lists(_value, min_size=rows * cols, max_size=rows * cols)),
                   dtype=np.float64).reshape(rows, cols)
    for values in (arr, arr[:, 0], arr[0]):
        expected = _old_array(values, digits, scalar_if_single=single, approx=approx)
        assert array(values, digits, scalar_if_single=single, approx=approx) == expected
        with numfmt.session():  # formatted twice in one session: the memo gives the same text
            assert array(values, digits, scalar_if_single=single, approx=approx) == expected
            assert array(values, digits, scalar_if_single=single, approx=approx) == expected
    flat = arr.reshape(-1)
    assert row(flat, digits, approx=approx) == _old_array(flat.reshape(1, -1), digits, approx=approx) if flat.size > 1 \
        else number(flat[0], digits, approx=approx)


_ctx = mpmath.MPContext()
_ctx.dps = 50


@given(st.lists(st.one_of(_finite, st.builds(lambda n, d: n / d, st.integers(-10**6, 10**6), st.integers(1, 999))),
                min_size=1, max_size=12), _digits, st.booleans())
def test_exact_numbers_equal_number_element_by_element(values, digits, approx):
    # exact arithmetic's arrays hold mpmath numbers with 50 digits (an object array)
    arr = np.array([_ctx.mpf(repr(v)) / 3 for v in values], dtype=object)
    assert numbers(arr, digits, approx=approx) == [number(v, digits, approx=approx) for v in arr]
    assert array(arr, digits, approx=approx) == _old_array(arr, digits, approx=approx)


def test_memo_tells_arrays_apart_by_shape_digits_and_approx():
    a = np.linspace(-1, 1, 24)
    with numfmt.session():
        texts = {(shape, d, approx): array(a.reshape(shape), d, approx=approx)
                 for shape in [(24,), (4, 6), (6, 4)] for d in (2, 4, SigFigs(3)) for approx in (False, True)}
    assert len(set(texts.values())) == len(texts)
    for (shape, d, approx), text in texts.items():
        assert text == _old_array(a.reshape(shape), d, approx=approx)


@pytest.mark.parametrize("decimals", range(13))
def test_every_case_at_every_decimals(decimals):
    arr = np.array(_SPECIAL + [-v for v in _SPECIAL] + [float("nan"), float("inf"), float("-inf")])
    for approx in (False, True):
        for zero in (0.0, 1e-9):
            assert numbers(arr, decimals, zero=zero, approx=approx) == [
                number(v, decimals, zero=zero, approx=approx) for v in arr]
