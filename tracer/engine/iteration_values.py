"""One iteration's recorded values for the small-network path, gathered while the iteration runs
and recorded at its end as read-only views of one array.

Why: an iteration of a 2-2-1 net records some 30 arrays of one to four numbers. Made one at a
time, each costs an np.array and a setflags(write=False), about 1 us together, a fifth of the
iteration. Here the numbers go into one flat list of Python floats, which becomes one float64
array, made read-only once; each value is recorded as the view of its slice (reshaped for a
matrix): the same numbers, dtype and shape, and read-only because the array under it is (a view
of a read-only array cannot be made writeable). The values are recorded in the order they were
put, so each store keeps the order of computation that network.run records in.

Nothing downstream depends on a recorded array owning its memory: the general path records its
parameter updates as views of one vector too (network._update). A view used in a later matmul
(a parameter, in the next iteration) gives BLAS's bits for the same numbers whatever its offset
in the array (checked for every offset mod 64 bytes, every shape up to 6 x 6, with and without
a transpose).
"""

from __future__ import annotations

import numpy as np

_fromiter = np.fromiter
_FLOAT64 = np.float64


class IterationValues:
    __slots__ = ("numbers", "entries")

    def __init__(self):
        self.numbers: list[float] = []
        # (store, path, start, stop, shape) for numbers put; (store, path, value, None, None) for a value kept
        self.entries: list[tuple] = []

    def put(self, store: dict, path: str, values: list, shape: tuple | None = None) -> None:
        """Record `values` (Python floats; a matrix's in row order, with its `shape`) at `path`."""
        numbers = self.numbers
        start = len(numbers)
        numbers += values
        self.entries.append((store, path, start, len(numbers), shape))

    def keep(self, store: dict, path: str, value) -> None:
        """Record `value` itself at `path`, in its place in the order: a scalar, or an array that is
        read-only already (an example's x, a frozen parameter)."""
        self.entries.append((store, path, value, None, None))

    def finish(self) -> float:
        """Record every value; return the sum of the numbers put, which is finite only if each of them
        is (an inf or a nan makes every sum it enters inf or nan; an overflow of the sum itself
        only sends the caller to look at the values one by one)."""
        numbers = self.numbers
        base = _fromiter(numbers, _FLOAT64, len(numbers))  # a third faster than np.array on a list of floats
        base.setflags(write=False)
        for store, path, start, stop, shape in self.entries:
            if stop is None:
                store[path] = start
            elif shape is None:
                store[path] = base[start:stop]
            else:
                store[path] = base[start:stop].reshape(shape)
        return sum(numbers)
