"""MCP Python SDK: `FastMCP` (mcp 1.x, verified with 1.30.0) and `MCPServer` (mcp 2.x, 2.3.0).

Both raise the same way for tools: `@server.tool` must be called (TypeError at import), and a
parameter whose name starts with `_` is refused (`InvalidSignature` at import). mcp 2.x removed
the `mcp.server.fastmcp` module (FastMCP was renamed MCPServer).
"""

from __future__ import annotations

from collections.abc import Iterator

from agentsense.analyzers.detect.frameworks.base import (
    DecoratedTool,
    FrameworkProblem,
    FrameworkProfile,
)
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle

LABEL = "MCP"
# The module mcp 2.x no longer has; importing it is a ModuleNotFoundError there.
REMOVED_IN_2 = "mcp.server.fastmcp"


def underscore_parameter(tool: DecoratedTool) -> Iterator[FrameworkProblem]:
    for param in tool.model_params:
        name = param.name.value
        if name.startswith("_"):
            yield FrameworkProblem(
                f"{LABEL} raises InvalidSignature at import: Parameter {name} of "
                f"{tool.function.name.value} cannot start with '_'",
                param.name,
            )


PROFILE = FrameworkProfile(
    name="mcp",
    label=LABEL,
    verified_with="mcp 1.30.0 and 2.3.0",
    instance_factories=(
        "mcp.server.fastmcp.FastMCP",
        "mcp.server.fastmcp.server.FastMCP",
        "mcp.server.MCPServer",
        "mcp.server.mcpserver.MCPServer",
        "mcp.server.mcpserver.server.MCPServer",
    ),
    instance_methods=("tool",),
    context_annotations=("Context",),
    requires_call=True,
    per_instance_registry=True,
    # func_metadata's `{name}Arguments` model; the description is `__doc__` as is.
    schema_style=SchemaStyle(model_title="{function}Arguments", description="raw"),
    function_checks=(underscore_parameter,),
)
