"""CrewAI (crewai 1.x, read from its documentation; not installed in CI, see pyproject):
`@tool("name")` and `BaseTool` subclasses.

CrewAI's `BaseTool` is a pydantic model like LangChain's: its documented usage annotates the
fields (`name: str = "..."`), and an unannotated override is a PydanticUserError.
"""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile
from agentsense.analyzers.detect.frameworks.langchain import unannotated_fields

LABEL = "CrewAI"

PROFILE = FrameworkProfile(
    name="crewai",
    label=LABEL,
    verified_with="crewai documentation (not installed)",
    decorators=("crewai.tools.tool", "crewai.tool", "crewai_tools.tool"),
    class_bases=("crewai.tools.BaseTool", "crewai.tools.base_tool.BaseTool"),
    class_methods=("_run",),
    name_positional=True,
    # CrewAI tool names are free text ("Search the internet"); it adapts them itself.
    checks_name_pattern=False,
    pydantic_fields=True,
    class_checks=(unannotated_fields(LABEL, ("name", "description", "args_schema")),),
)
