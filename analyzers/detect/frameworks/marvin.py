"""marvin (3.x, read from its examples; not installed in CI): plain functions given in
`tools=[...]` to `marvin.Agent`, `marvin.Task` (also `marvin.Task[T]`) and `marvin.run`."""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile

PROFILE = FrameworkProfile(
    name="marvin",
    label="marvin",
    verified_with="marvin examples (not installed)",
    tool_list_calls=(
        "marvin.Agent",
        "marvin.Task",
        "marvin.run",
        "marvin.run_async",
        "marvin.agents.Agent",
        "marvin.tasks.Task",
    ),
)
