"""LlamaIndex (llama-index-core 0.14.25): `FunctionTool.from_defaults(fn=...)`.

Without `description=` or a docstring, LlamaIndex describes the tool by its signature
(`"search(query: str) -> str"`) rather than refusing it.
"""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle

PROFILE = FrameworkProfile(
    name="llama-index",
    label="LlamaIndex",
    verified_with="llama-index-core 0.14.25",
    factory_calls=(
        "llama_index.core.tools.FunctionTool.from_defaults",
        "llama_index.core.tools.function_tool.FunctionTool.from_defaults",
    ),
    factory_function_keyword="fn",
    describes_by_signature=True,
    schema_style=SchemaStyle(description="signature"),
    context_annotations=("Context",),
)
