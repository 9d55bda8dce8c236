"""LangChain (langchain-core 1.8.3): `@tool`, `StructuredTool.from_function`, `BaseTool`.

`BaseTool` is a pydantic model: overriding its `name`/`description` field with a plain
assignment (`name = "x"`, no annotation) is a PydanticUserError when the class is created.
`name: str = ""` is a field placeholder that the toolkit or the caller fills in.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import (
    ClassCheck,
    FrameworkProblem,
    FrameworkProfile,
)
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle

LABEL = "LangChain"
# BaseTool's pydantic fields a subclass commonly overrides.
TOOL_FIELDS = ("name", "description", "args_schema", "return_direct")


def required_fields(node: cst.ClassDef) -> frozenset[str]:
    """Fields declared without a value (`description: str`): the caller or the subclass's
    `super().__init__(description=...)` provides them when the tool is made."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return frozenset()
    return frozenset(
        small.target.value
        for stmt in body.body
        if isinstance(stmt, cst.SimpleStatementLine)
        for small in stmt.body
        if isinstance(small, cst.AnnAssign)
        and small.value is None
        and isinstance(small.target, cst.Name)
    )


def unannotated_fields(label: str, fields: tuple[str, ...]) -> ClassCheck:
    """A class check: a tool field overridden without an annotation."""

    def check(node: cst.ClassDef) -> Iterator[FrameworkProblem]:
        body = node.body
        if not isinstance(body, cst.IndentedBlock):
            return
        for stmt in body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.Assign):
                    continue
                for target in small.targets:
                    if isinstance(target.target, cst.Name) and target.target.value in fields:
                        field = target.target.value
                        yield FrameworkProblem(
                            f"{label} raises PydanticUserError when the class is created: "
                            f"Field {field!r} defined on a base class was overridden by a "
                            f"non-annotated attribute (write `{field}: str = ...`)"
                            if field in ("name", "description")
                            else f"{label} raises PydanticUserError when the class is "
                            f"created: Field {field!r} defined on a base class was overridden "
                            "by a non-annotated attribute (annotate it)",
                            target.target,
                        )

    return check


PROFILE = FrameworkProfile(
    name="langchain",
    label=LABEL,
    verified_with="langchain-core 1.8.3",
    decorators=(
        "langchain_core.tools.tool",
        "langchain_core.tools.convert.tool",
        "langchain.tools.tool",
        "langchain.agents.tool",
    ),
    class_bases=(
        "langchain_core.tools.BaseTool",
        "langchain_core.tools.base.BaseTool",
        "langchain.tools.BaseTool",
    ),
    class_methods=("_run", "_arun"),
    name_positional=True,
    schema_keywords=("args_schema",),
    factory_calls=(
        "langchain_core.tools.StructuredTool.from_function",
        "langchain_core.tools.structured.StructuredTool.from_function",
        "langchain.tools.StructuredTool.from_function",
    ),
    factory_function_keyword="func",
    missing_description_error=(
        "ValueError at import: Function must have a docstring if description not provided."
    ),
    context_annotations=(
        "RunnableConfig",
        "InjectedToolArg",
        "InjectedToolCallId",
        "InjectedState",
        "InjectedStore",
        "ToolRuntime",
        "CallbackManagerForToolRun",
        "AsyncCallbackManagerForToolRun",
    ),
    pydantic_fields=True,
    # convert_to_openai_tool: titles removed; the description is `__doc__`, stripped.
    schema_style=SchemaStyle(property_titles=False, description="raw_stripped"),
    class_checks=(unannotated_fields(LABEL, TOOL_FIELDS),),
)
