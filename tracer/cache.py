"""Where our caches live and whether they are on (base: every stage may keep one).

The caches (printed formulas and compiled templates in tracer.present.formula_store, parsed specs
in tracer.problem.spec_cache) share one folder: `$BPTRACE_CACHE_DIR`, else the user's cache folder
(`platformdirs.user_cache_dir("backprop-tracer")`). `--no-cache`, or BPTRACE_NO_CACHE=1 (which the
CLI sets so that worker processes inherit it), turns every one of them off: nothing read, nothing
written. `bptrace cache clear` removes their files (formula_store.clear).
"""

from __future__ import annotations

import os
from pathlib import Path

_disabled: bool | None = None  # None: read BPTRACE_NO_CACHE


def disabled() -> bool:
    if _disabled is not None:
        return _disabled
    return os.environ.get("BPTRACE_NO_CACHE", "") not in ("", "0")


def set_disabled(value: bool | None) -> None:
    """--no-cache for this process (None: back to the environment's choice)."""
    global _disabled
    _disabled = value


def cache_dir() -> Path:
    """The folder of every cache of ours: $BPTRACE_CACHE_DIR, else the user's cache folder."""
    env = os.environ.get("BPTRACE_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs  # here: a run with $BPTRACE_CACHE_DIR set never needs it

    return Path(platformdirs.user_cache_dir("backprop-tracer"))
