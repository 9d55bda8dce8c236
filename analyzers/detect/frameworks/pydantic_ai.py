"""pydantic-ai (pydantic-ai-slim 2.68.0): `Agent.tool`, `Agent.tool_plain`.

`@agent.tool` passes the run context first: a first parameter annotated with anything but
`RunContext[...]` is a UserError at import; `@agent.tool_plain` refuses a `RunContext` one.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentsense.analyzers.detect.frameworks.base import (
    DecoratedTool,
    FrameworkProblem,
    FrameworkProfile,
    all_params,
    annotation_names,
)
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle

LABEL = "pydantic-ai"
# Annotations that are certainly not a RunContext (an alias of RunContext could be anything
# else, so only these are judged).
_PLAIN_TYPES = frozenset(
    {"str", "int", "float", "bool", "bytes", "list", "dict", "set", "tuple", "List", "Dict"}
    | {"Optional", "Union", "Literal", "Any", "None"}
)


def context_parameter(tool: DecoratedTool) -> Iterator[FrameworkProblem]:
    params = all_params(tool.function)
    if not params:
        return
    first = params[0]
    names = annotation_names(first.annotation)
    if tool.method == "tool" and names and names[0] in _PLAIN_TYPES:
        yield FrameworkProblem(
            f"{LABEL} raises UserError at import: First parameter of tools that take context "
            "must be annotated with RunContext[...] (use @agent.tool_plain for a tool "
            "without context)",
            first,
        )
    if tool.method == "tool_plain" and names and names[0] == "RunContext":
        yield FrameworkProblem(
            f"{LABEL} raises UserError at import: RunContext annotations can only be used "
            "with tools that take context (use @agent.tool)",
            first,
        )


PROFILE = FrameworkProfile(
    name="pydantic-ai",
    label=LABEL,
    verified_with="pydantic-ai-slim 2.68.0",
    instance_factories=("pydantic_ai.Agent", "pydantic_ai.agent.Agent"),
    instance_methods=("tool", "tool_plain"),
    context_first_methods=("tool",),
    context_annotations=("RunContext",),
    per_instance_registry=True,
    # pydantic-ai's own schema generator: no titles, closed objects, griffe docstrings.
    schema_style=SchemaStyle(property_titles=False, argument_descriptions=True, forbid_extra=True),
    function_checks=(context_parameter,),
)
