"""Real editors and browsers the end-to-end tests drive: skip with a reason when one is missing.

`.ci/run` installs them all and sets AGENTSENSE_REQUIRE_REAL_EDITORS=1, so in CI a missing
editor fails the run instead of passing as a skip.
"""

from __future__ import annotations

import os

import pytest


def missing(what: str, how: str, detail: str = "") -> None:
    """Skip the calling test (fail it where real editors are required): `what` is absent."""
    message = f"{what} not installed ({how}; .ci/run installs it)" + (
        f": {detail}" if detail else ""
    )
    if os.environ.get("AGENTSENSE_REQUIRE_REAL_EDITORS") == "1":
        pytest.fail(f"{message}, and AGENTSENSE_REQUIRE_REAL_EDITORS=1")
    pytest.skip(message)
