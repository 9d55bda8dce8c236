"""CrewAI (crewai 1.15.30, in its own venv in CI, see .ci/run): `@tool("name")` and `BaseTool`
subclasses.

CrewAI's `BaseTool` is a pydantic model like LangChain's: its documented usage annotates the
fields (`name: str = "..."`), and an unannotated override is a PydanticUserError.

What the model sees, with native function calling (`convert_tools_to_openai_schema`): the
name through `sanitize_tool_name` ("Search the Web" -> `search_the_web`), the description as
written (a `@tool` function's raw `__doc__`), and pydantic's schema of the signature (`_run`'s
for a class) in strict form: every property required, `additionalProperties: false`, defaults
kept, no title. Checked against crewai 1.15.30 in its own environment (it pins mcp < 2 and
openai < 3): tests/frameworks/test_catalog_parity.py runs in `.venv-crewai` (.ci/run) or with
AGENTSENSE_CREWAI_PYTHON.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import (
    FrameworkProfile,
    Rendered,
    ToolFunction,
    all_params,
)
from agentsense.analyzers.detect.frameworks.langchain import unannotated_fields
from agentsense.analyzers.detect.frameworks.schema import (
    JsonValue,
    SchemaStyle,
    parameters_schema,
)

# crewai/utilities/string_utils.py
_QUOTE = re.compile(r"[\'\"]+")
_CAMEL_LOWER_UPPER = re.compile(r"([a-z])([A-Z])")
_CAMEL_UPPER_LOWER = re.compile(r"([A-Z]+)([A-Z][a-z])")
_DISALLOWED = re.compile(r"[^a-zA-Z0-9]+")
_UNDERSCORES = re.compile(r"_+")
_MAX_NAME = 64


def sanitized_name(name: str) -> str:
    """`sanitize_tool_name`: the name CrewAI sends."""
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    name = _CAMEL_UPPER_LOWER.sub(r"\1_\2", name)
    name = _CAMEL_LOWER_UPPER.sub(r"\1_\2", name)
    name = _QUOTE.sub("", name.lower())
    name = _UNDERSCORES.sub("_", _DISALLOWED.sub("_", name)).strip("_")
    if len(name) > _MAX_NAME:
        suffix = "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name[: _MAX_NAME - len(suffix)].rstrip("_") + suffix
    return name


def _open_object(value: JsonValue) -> bool:
    """A dict-typed part (CrewAI's strict form rewrites those): not rendered."""
    if isinstance(value, dict):
        return "additionalProperties" in value or any(_open_object(v) for v in value.values())
    if isinstance(value, list):
        return any(_open_object(v) for v in value)
    return False


def _strict_parameters(
    name: str, function: cst.FunctionDef, params: tuple[cst.Param, ...]
) -> dict[str, JsonValue] | None:
    schema = parameters_schema(name, function.name.value, params, None, SchemaStyle())
    if schema is None or not params:
        return None
    properties = schema["properties"]
    if _open_object(properties) or not isinstance(properties, dict):
        return None
    schema["required"] = list(properties)
    schema["additionalProperties"] = False
    return schema


def function_view(tool: ToolFunction) -> Rendered:
    function = tool.function
    return Rendered(
        function.get_docstring(clean=False),
        _strict_parameters(tool.name, function, tool.params),
        sanitized_name(tool.name),
    )


def class_view(node: cst.ClassDef, name: str | None) -> Rendered:
    """A BaseTool subclass: its sanitized `name` and the schema of its own `_run`."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return Rendered(None, None)
    run = next(
        (s for s in body.body if isinstance(s, cst.FunctionDef) and s.name.value == "_run"),
        None,
    )
    assigned = {
        small.target.value
        for stmt in body.body
        if isinstance(stmt, cst.SimpleStatementLine)
        for small in stmt.body
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)
    }
    sent = sanitized_name(name) if name is not None else None
    if run is None or "args_schema" in assigned or run.decorators:
        return Rendered(None, None, sent)
    params = tuple(all_params(run))[1:]  # self
    return Rendered(None, _strict_parameters(node.name.value, run, params), sent)


LABEL = "CrewAI"

PROFILE = FrameworkProfile(
    name="crewai",
    label=LABEL,
    verified_with="crewai 1.15.30",
    decorators=("crewai.tools.tool", "crewai.tool", "crewai_tools.tool"),
    class_bases=("crewai.tools.BaseTool", "crewai.tools.base_tool.BaseTool"),
    class_methods=("_run",),
    name_positional=True,
    # CrewAI tool names are free text ("Search the internet"); it adapts them itself.
    checks_name_pattern=False,
    pydantic_fields=True,
    class_checks=(unannotated_fields(LABEL, ("name", "description", "args_schema")),),
    function_view=function_view,
    class_view=class_view,
)
