"""agno (3.1.10): the `@tool` decorator (`agno.tools.tool`), which makes a `Function`."""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile

PROFILE = FrameworkProfile(
    name="agno",
    label="agno",
    verified_with="agno 3.1.10",
    decorators=("agno.tools.tool", "agno.tools.decorator.tool"),
    # agno/utils/schema.py FRAMEWORK_INJECTED_PARAMS and AGNO_INJECTED_PARAMS.
    injected_names=(
        "agent",
        "team",
        "run_context",
        "images",
        "videos",
        "audios",
        "files",
        "_agno_agent",
        "_agno_team",
        "_agno_run_context",
    ),
)
