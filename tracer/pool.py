"""Batch work on every core, with the output of one process.

    for result in ordered_map(grade, files, state=checker, jobs=4):
        write(result)                    # in the order of `files`, whatever finished first

`ordered_map(func, items, state, jobs)` is `(func(state, item) for item in items)`: results
come back in the order of `items`, so whatever the caller writes (gradebook rows, files,
error lines) comes out in the sequential order, and the first error a caller meets is the
first one sequential work would meet. Only the work runs elsewhere; every file is written by
the caller, in the parent, which is why a pool changes nothing a user can see but the time.

- `jobs` 1, or fewer items than `2 * jobs` (one check of one file is not slowed by starting
  workers), runs in this process, lazily: today's sequential path, no pool.
- Otherwise the first item still runs in this process, before the pool starts: it imports what
  the work needs and fills the caches, and forked workers inherit them (else each worker would
  import sympy again, costing more than a small batch gains).
- Linux forks (a worker inherits `state` without pickling it: the checker's trace, the
  variant generator); elsewhere workers are spawned (fork is unsafe on macOS, absent on
  Windows) and `state` is pickled once per worker.
- Items travel in chunks (`imap` with a chunksize), keeping a payload small: pass ids and
  paths, not objects.
- Workers ignore Ctrl-C: the parent alone gets KeyboardInterrupt, stops the pool and, as it
  writes every file through `files.atomic_open`, leaves no file half-written.
- An exception in `func` is raised in the parent when its item's turn comes (the results of
  the items before it are delivered first). It is sent back as itself when it survives
  pickling, else as a TracerError or RuntimeError with its text (a pickling failure must
  not hang the pool).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
from typing import Any, Callable, Iterable, Iterator, TypeVar

from .errors import TracerError

T = TypeVar("T")
R = TypeVar("R")

FORK = sys.platform.startswith("linux")  # elsewhere: spawn (tests set it False to run that path)
MAX_CHUNK = 32  # items per task at most: large chunks leave one worker finishing alone

_state: Any = None  # a worker's state: inherited by fork, or unpickled by _start under spawn
_in_worker = False  # a worker's own batches run in it (a pool's workers may not start processes)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_jobs(text: str | None) -> int:
    """`--jobs N`: a whole number >= 1; None: every available CPU."""
    if text is None:
        return available_cpus()
    try:
        value = int(text)
    except ValueError:
        raise TracerError(f"--jobs: expected a whole number, got {text!r}") from None
    if value < 1:
        raise TracerError(f"--jobs: expected a whole number >= 1, got {value}")
    return value


def pooled(n_items: int, jobs: int) -> bool:
    """Whether `n_items` items at `jobs` go to a pool: at least two items a worker."""
    return jobs > 1 and n_items >= 2 * jobs


def chunk_size(n_items: int, jobs: int) -> int:
    """About eight chunks a worker (so a slow chunk does not leave the others idle), at most MAX_CHUNK."""
    return max(1, min(MAX_CHUNK, n_items // (8 * jobs)))


def ordered_map(func: Callable[[Any, T], R], items: Iterable[T], state: Any = None, jobs: int = 1,
                chunksize: int | None = None) -> Iterator[R]:
    """`func(state, item)` for each item, in order; in a pool of `jobs` processes when worth it.

    `func` must be a module-level function (it is sent to workers by name)."""
    items = list(items)
    if _in_worker or not pooled(len(items), jobs):
        for item in items:
            yield func(state, item)
        return
    # The first item runs here: it imports what the work needs (sympy, the templates) and fills
    # the caches once, and every forked worker inherits them instead of paying for its own.
    yield func(state, items[0])
    rest = items[1:]
    yield from _pooled(func, rest, state, min(jobs, len(rest)), chunksize or chunk_size(len(rest), jobs))


def _pooled(func, items, state, jobs: int, chunksize: int):
    global _state
    fork = FORK
    import multiprocessing  # here, not at the top: one process (every render of one spec) never pays for it

    context = multiprocessing.get_context("fork" if fork else "spawn")
    before, _state = _state, state  # a forked worker starts with it
    if fork:  # the parent's objects (sympy's are many) out of the workers' garbage collection: a
        gc.freeze()  # collection would touch, and so copy, every page they share with the parent
    try:
        pool = context.Pool(jobs, initializer=_start, initargs=(None if fork else pickle.dumps(state),))
    except OSError:  # no processes to be had (a limit on them): the work is done here instead
        pool = None
    finally:
        _state = before  # the parent's own copy is not kept alive by this module
        if fork:
            gc.unfreeze()
    if pool is None:
        for item in items:
            yield func(state, item)
        return
    try:
        for ok, value in pool.imap(_Call(func), items, chunksize):
            if not ok:
                raise value
            yield value
        pool.close()
    finally:
        pool.terminate()  # on an error, Ctrl-C or a caller that stops early: no worker left behind
        pool.join()


def _start(pickled_state: bytes | None) -> None:
    global _state, _in_worker
    _in_worker = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if pickled_state is not None:
        _state = pickle.loads(pickled_state)


class _Call:
    """A picklable wrapper: (True, result) or (False, a portable form of the exception)."""

    def __init__(self, func):
        self.func = func

    def __call__(self, item):
        try:
            return True, self.func(_state, item)
        except Exception as err:  # noqa: BLE001 - raised again in the parent, in its item's turn
            return False, portable(err)


def portable(err: BaseException) -> BaseException:
    """`err` if it survives pickling unchanged in type and text, else the same text in a class that does."""
    try:
        back = pickle.loads(pickle.dumps(err))
        if type(back) is type(err) and str(back) == str(err):
            return err
    except Exception:  # noqa: BLE001 - any failure means: send a stand-in
        pass
    if isinstance(err, TracerError):
        stand_in = TracerError(str(err))
        stand_in.exit_code = err.exit_code
        return stand_in
    return RuntimeError(f"{type(err).__name__}: {err}")
