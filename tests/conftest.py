"""Hypothesis profiles. `ci` (the default) is reproducible; `dev` is quick.

    HYPOTHESIS_PROFILE=dev python -m pytest tests/
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The formula and template caches (tracer.present.formula_store) of a test run live in a folder of
# their own, never the user's; a test that needs an empty one sets BPTRACE_CACHE_DIR itself.
if not os.environ.get("BPTRACE_CACHE_DIR"):
    import atexit
    import shutil
    import tempfile

    os.environ["BPTRACE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bptrace-test-cache-")
    atexit.register(shutil.rmtree, os.environ["BPTRACE_CACHE_DIR"], ignore_errors=True)
