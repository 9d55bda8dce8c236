"""langroid (0.69.16): `ToolMessage` subclasses.

The tool's name is the `request` field's default and its description the `purpose` field's;
both are pydantic fields, so a `request` without an annotation fails like LangChain's.
langroid's import downloads a tiktoken encoding (a class default builds a tokenizer): the
parity tests stub that out and run it in its own environment (`.venv-langroid`, see .ci/run).

What the model sees: with the functions API (`use_functions_api=True`), the
`llm_function_schema(defaults=True)` of the class: pydantic's schema of its own fields
(`request`, `purpose`, `id` left out), the docstring's `Args:` as descriptions, and `title` and
`additionalProperties` purged from every schema that has a `type`. By default langroid instead
shows tools in the system prompt as JSON examples of the same fields.
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile, Rendered, code_of
from agentsense.analyzers.detect.frameworks.langchain import unannotated_fields
from agentsense.analyzers.detect.frameworks.schema import (
    JsonValue,
    annotation_schema,
    argument_descriptions,
)

LABEL = "langroid"
_EXCLUDED = frozenset({"request", "purpose", "id"})
# Field names that would collide with the schema keys langroid purges.
_RESERVED = frozenset({"type", "title", "additionalProperties", "properties", "required"})
_OTHER_STYLES = re.compile(r":param|@param|^\s*-{3,}\s*$", re.MULTILINE)
_UNKNOWN = object()


def _purge(value: JsonValue, key: str) -> None:
    """langroid's `_recursive_purge_dict_key`: drop `key` from every dict that has a `type`
    (dicts only: lists, such as `anyOf`, are not entered)."""
    if isinstance(value, dict):
        for name in list(value):
            if name == key and "type" in value:
                del value[name]
            else:
                _purge(value[name], key)


def _default(node: cst.BaseExpression) -> object:
    try:
        value = ast.literal_eval(code_of(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _UNKNOWN
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return _UNKNOWN


def _direct_subclass(node: cst.ClassDef) -> bool:
    """Subclasses ToolMessage itself (an intermediate base may add fields)."""
    if len(node.bases) != 1 or node.keywords:
        return False
    base = node.bases[0].value
    name = base.attr.value if isinstance(base, cst.Attribute) else getattr(base, "value", None)
    return name == "ToolMessage"


def class_view(node: cst.ClassDef, name: str | None) -> Rendered:
    """The `parameters` langroid's functions API sends for a ToolMessage subclass."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock) or not _direct_subclass(node):
        return Rendered(None, None)
    doc = node.get_docstring(clean=True) or ""
    if _OTHER_STYLES.search(doc):
        return Rendered(None, None)
    described = argument_descriptions(doc)
    properties: dict[str, JsonValue] = {}
    required: list[str] = []
    for stmt in body.body:
        if isinstance(stmt, cst.ClassDef) or (
            isinstance(stmt, cst.SimpleStatementLine)
            and any(
                isinstance(small, cst.Assign)
                and any(
                    isinstance(t.target, cst.Name) and t.target.value == "model_config"
                    for t in small.targets
                )
                for small in stmt.body
            )
        ):
            return Rendered(None, None)  # a config can change the schema
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.AnnAssign) or not isinstance(small.target, cst.Name):
                continue
            name = small.target.value
            if name in _EXCLUDED or name.startswith("_"):
                continue
            if name in _RESERVED or small.annotation is None:
                return Rendered(None, None)
            schema = annotation_schema(small.annotation.annotation)
            if schema is None:
                return Rendered(None, None)  # ClassVar, a model, anything uncertain
            if small.value is not None:
                default = _default(small.value)
                if default is _UNKNOWN:
                    return Rendered(None, None)  # Field(...), a call
                schema["default"] = default
            else:
                required.append(name)
            schema["title"] = name.replace("_", " ").title()
            if described.get(name):
                schema["description"] = described[name]
            properties[name] = schema
    parameters: dict[str, JsonValue] = {
        "properties": properties,
        "required": sorted(required),
        "type": "object",
    }
    _purge(parameters, "title")
    _purge(parameters, "additionalProperties")
    return Rendered(None, parameters)


PROFILE = FrameworkProfile(
    name="langroid",
    label=LABEL,
    verified_with="langroid 0.69.16",
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
    class_view=class_view,
)
