"""Grids and the small readers `randomize:` sections share, for every kind of problem.

A grid holds the multiples of `step` in [low, high] (0 left out with `nonzero`), written
with step's decimals; an ENTRY is true (the kind's default grid), false (keep the spec's
value) or {grid: {low, high, step}, nonzero: bool}. SpecError names the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ..errors import SpecError
from ..problem.fields import (
    RANDOMIZE_ENTRY_KEYS,
    RANDOMIZE_GRID_KEYS,
    RANDOMIZE_GRID_MAX,
    RANDOMIZE_MIN_STEP,
)
from ..problem.validate import describe as _describe

GRID_KEYS = RANDOMIZE_GRID_KEYS
ENTRY_KEYS = RANDOMIZE_ENTRY_KEYS
GRID_MAX = RANDOMIZE_GRID_MAX
MIN_STEP = RANDOMIZE_MIN_STEP


@dataclass(frozen=True)
class Grid:
    """The multiples k * step for k in [lo, hi] (0 left out if nonzero), rounded to `digits`."""

    lo: int
    hi: int
    step: float
    digits: int
    nonzero: bool

    @property
    def size(self) -> int:
        skip = self.nonzero and self.lo <= 0 <= self.hi
        return self.hi - self.lo + 1 - skip

    def draw(self, rng: np.random.Generator, shape) -> np.ndarray:
        skip = self.size < self.hi - self.lo + 1
        k = rng.integers(self.lo, self.hi - skip, size=shape, endpoint=True)
        if skip:
            k = np.where(k >= 0, k + 1, k)  # step over 0
        return np.round(k * self.step, self.digits) + 0.0

    def text(self) -> str:
        return f"multiples of {self.step:g} in [{self.lo * self.step:g}, {self.hi * self.step:g}]" + (
            ", not 0" if self.nonzero else "")


def _entry(raw: Any, default: dict, nonzero: bool, where: str) -> Grid | None:
    if raw is False:
        return None
    if raw is True:
        return _grid(default, nonzero, where + ".grid")
    if not isinstance(raw, dict):
        raise SpecError(where, f"expected true, false or a mapping {{grid: {{low, high, step}}, nonzero}}, got {_describe(raw)}")
    _known(raw, ENTRY_KEYS, where)
    fields = _grid_fields(raw.get("grid", {}), default, where + ".grid")
    return _grid(fields, _bool(raw.get("nonzero", nonzero), where + ".nonzero"), where + ".grid")


def _grid_fields(raw: Any, default: dict, where: str) -> dict:
    if not isinstance(raw, dict):
        raise SpecError(where, f"expected a mapping {{low, high, step}}, got {_describe(raw)}")
    _known(raw, GRID_KEYS, where)
    return {**default, **raw}


def _grid(fields: dict, nonzero: bool, where: str) -> Grid:
    low, high, step = (_number(fields[k], f"{where}.{k}") for k in GRID_KEYS)
    for name, value in (("low", low), ("high", high)):
        if abs(value) > GRID_MAX:
            raise SpecError(f"{where}.{name}", f"expected a number from {-GRID_MAX:g} to {GRID_MAX:g}, got {value:g}")
    if not MIN_STEP <= step <= GRID_MAX:
        raise SpecError(f"{where}.step", f"expected a step from {MIN_STEP:g} to {GRID_MAX:g}, got {step:g}")
    if low > high:
        raise SpecError(f"{where}.high", f"expected a number >= low ({low:g}), got {high:g}")
    try:
        digits = max(0, -Decimal(repr(step)).normalize().as_tuple().exponent)
    except InvalidOperation:  # pragma: no cover - step is finite here
        raise SpecError(f"{where}.step", "expected a decimal number") from None
    lo, hi = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    grid = Grid(lo, hi, step, min(digits, 12), nonzero)
    if lo > hi or grid.size < 1:
        raise SpecError(where, f"no multiple of {step:g} lies in [{low:g}, {high:g}]" + (" other than 0" if nonzero and lo <= hi else ""))
    return grid


def _known(raw: dict, keys: tuple, where: str) -> None:
    for key in raw:
        if key not in keys:
            raise SpecError(f"{where}.{key}", f"unknown field; known fields: {', '.join(keys)}")


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(where, f"expected true or false, got {_describe(value)}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise SpecError(where, f"expected a number, got {_describe(value)}")
    return float(value)
