"""langroid (0.x, read from its documentation and its own tools; not installed in CI: its
install pulls a vector store and document parsers): `ToolMessage` subclasses.

The tool's name is the `request` field's default and its description the `purpose` field's;
both are pydantic fields, so a `request` without an annotation fails like LangChain's.
"""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile
from agentsense.analyzers.detect.frameworks.langchain import unannotated_fields

LABEL = "langroid"

PROFILE = FrameworkProfile(
    name="langroid",
    label=LABEL,
    verified_with="langroid documentation (not installed)",
    class_bases=(
        "langroid.agent.tool_message.ToolMessage",
        "langroid.agent.ToolMessage",
        "langroid.ToolMessage",
        "langroid.agent.xml_tool_message.XMLToolMessage",
    ),
    name_attribute="request",
    description_attribute="purpose",
    pydantic_fields=True,
    class_checks=(unannotated_fields(LABEL, ("request", "purpose")),),
)
