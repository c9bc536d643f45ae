"""Hypothesis profiles. `ci` (the default) is reproducible; `dev` is quick.

    HYPOTHESIS_PROFILE=dev python -m pytest tests/
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
