"""Standalone fastmcp (4.2.3): `FastMCP(...).tool`, bare or called, with coexisting versions.

Unlike the MCP SDK's FastMCP, `@mcp.tool` may be used bare and `_`-prefixed parameters are
accepted. `@mcp.tool(version="2.0")` registers `name@2.0` next to other versions of the name.
"""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle

PROFILE = FrameworkProfile(
    name="fastmcp",
    label="FastMCP",
    verified_with="fastmcp 4.2.3",
    instance_factories=(
        "fastmcp.FastMCP",
        "fastmcp.server.FastMCP",
        "fastmcp.server.server.FastMCP",
    ),
    instance_methods=("tool",),
    context_annotations=("Context",),
    per_instance_registry=True,
    version_keyword="version",
    schema_style=SchemaStyle(property_titles=False, argument_descriptions=True, forbid_extra=True),
    factory_calls=("fastmcp.tools.Tool.from_function", "fastmcp.tools.tool.Tool.from_function"),
    factory_function_keyword="fn",
)
