"""Anthropic SDK (anthropic 2.16.0): `@beta_tool` / `@beta_async_tool` tool-runner functions."""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle

PROFILE = FrameworkProfile(
    name="anthropic",
    label="Anthropic SDK",
    verified_with="anthropic 2.16.0",
    decorators=(
        "anthropic.beta_tool",
        "anthropic.beta_async_tool",
        "anthropic.lib.tools.beta_tool",
        "anthropic.lib.tools.beta_async_tool",
    ),
    schema_style=SchemaStyle(argument_descriptions=True, forbid_extra=True),
)
