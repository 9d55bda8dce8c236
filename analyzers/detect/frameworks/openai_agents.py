"""OpenAI Agents SDK (`openai-agents` 0.24.0): `@function_tool` and its aliases.

`function_tool` builds a strict JSON schema by default; what strict mode cannot express is a
`UserError` when the decorator runs (at import): `**kwargs`, and any `dict` parameter
(pydantic's schema for it has `additionalProperties`). `strict_mode=False` allows both. The
run context (`RunContextWrapper`/`ToolContext`) must be the first parameter.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentsense.analyzers.detect.frameworks.base import (
    DecoratedTool,
    FrameworkProblem,
    FrameworkProfile,
    all_params,
    annotation_names,
    is_false,
    keyword,
)
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle

LABEL = "OpenAI Agents SDK"
CONTEXT_TYPES = ("RunContextWrapper", "ToolContext")
# Annotations whose pydantic schema is an object with additionalProperties.
_OPEN_OBJECT_TYPES = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "defaultdict"})


def strict_schema_breakers(tool: DecoratedTool) -> Iterator[FrameworkProblem]:
    """`**kwargs` and `dict` parameters under the default `strict_mode=True`."""
    if is_false(keyword(tool.call, "strict_mode")):
        return
    function = tool.function
    star_kwarg = function.params.star_kwarg
    if star_kwarg is not None:
        name = star_kwarg.name.value
        yield FrameworkProblem(
            f"{LABEL} raises UserError at import: Variadic keyword parameter `**{name}` in "
            f"function {function.name.value} cannot use a strict schema "
            "(pass strict_mode=False to function_tool)",
            star_kwarg,
        )
    for param in tool.model_params:
        if set(annotation_names(param.annotation)) & _OPEN_OBJECT_TYPES:
            yield FrameworkProblem(
                f"{LABEL} raises UserError at import: parameter {param.name.value!r} is a dict, "
                "and additionalProperties should not be set for object types in a strict "
                "schema (use a pydantic model or TypedDict, or pass strict_mode=False)",
                param,
            )


def context_position(tool: DecoratedTool) -> Iterator[FrameworkProblem]:
    """The run context anywhere but first."""
    for index, param in enumerate(all_params(tool.function)):
        if index > 0 and set(annotation_names(param.annotation)) & set(CONTEXT_TYPES):
            yield FrameworkProblem(
                f"{LABEL} raises UserError at import: RunContextWrapper/ToolContext param "
                f"found at non-first position in function {tool.function.name.value}",
                param,
            )


PROFILE = FrameworkProfile(
    name="openai-agents",
    label=LABEL,
    verified_with="openai-agents 0.24.0",
    decorators=(
        "agents.function_tool",
        "agents.tool.function_tool",
        # `from agents.decorators import tool`: the same function under another name.
        "agents.decorators.tool",
        "agents.decorators.function_tool",
    ),
    # Its tools list keeps the last tool of a name (agent_tools.py).
    agent_list_calls=("agents.Agent", "agents.agent.Agent"),
    name_keywords=("name_override",),
    description_keywords=("description_override",),
    context_annotations=CONTEXT_TYPES,
    # agents/function_schema.py + strict_schema.py: griffe reads the docstring.
    schema_style=SchemaStyle(model_title="{name}_args", argument_descriptions=True, strict=True),
    function_checks=(strict_schema_breakers, context_position),
)
