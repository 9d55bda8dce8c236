"""The JSON schema and description a framework sends for a function tool, computed statically.

Each framework builds a pydantic model from the signature and post-processes its JSON schema
in its own way (titles, `additionalProperties`, strict mode, docstring argument descriptions);
`SchemaStyle` is that way as data. Only annotations and defaults whose schema is certain are
rendered; anything else makes the schema unknown (None), never a guess.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

import libcst as cst

JsonValue = object
Description = Literal["summary", "raw", "raw_stripped", "joined_summary"]


@dataclass(frozen=True, slots=True)
class SchemaStyle:
    """How one framework turns a function into the tool definition sent to the model."""

    # The schema's title: "{name}_args" (the tool's name), "{function}Arguments" (the
    # function's); None: no title.
    model_title: str | None = None
    property_titles: bool = True  # pydantic's "title": "Query" on each property
    argument_descriptions: bool = False  # Google-style `Args:` entries become descriptions
    forbid_extra: bool = False  # "additionalProperties": false on the object
    strict: bool = False  # OpenAI strict mode: every property required, null defaults dropped
    # summary: the cleaned docstring before its Args:/Returns:/Raises: sections;
    # raw / raw_stripped: `__doc__` as Python 3.10-3.12 keep it (3.13 dedents it);
    # joined_summary: the summary's lines joined by spaces (LangChain parse_docstring).
    description: Description = "summary"


_SECTION = re.compile(r"\n\s*(Args|Arguments|Returns|Raises|Yields|Examples?):\s*\n", re.IGNORECASE)
_ARGS_BLOCK = re.compile(
    r"\n\s*(?:Args|Arguments):\n(.*?)(?:\n\s*(?:Returns|Raises|Yields|Examples?):|\Z)", re.DOTALL
)
_ARG_ENTRY = re.compile(r"^(\s*)(\*{0,2}\w+)\s*(?:\([^)]*\))?:\s*(.*)$")


def docstring_summary(doc: str) -> str:
    """The cleaned docstring's text before its first Google-style section."""
    match = _SECTION.search("\n" + doc)
    text = doc if match is None else ("\n" + doc)[: match.start()]
    return text.strip()


def argument_descriptions(doc: str) -> dict[str, str]:
    """Google-style `Args:` entries of a cleaned docstring: name -> description."""
    block = _ARGS_BLOCK.search("\n" + doc)
    if block is None:
        return {}
    out: dict[str, str] = {}
    indent: int | None = None
    current: str | None = None
    for line in block.group(1).split("\n"):
        if not line.strip():
            continue
        match = _ARG_ENTRY.match(line)
        width = len(line) - len(line.lstrip())
        if match is not None and (indent is None or width <= indent):
            indent = width
            current = match.group(2).lstrip("*")
            out[current] = match.group(3).strip()
        elif current is not None:
            # griffe keeps the entry's lines, dedented.
            out[current] = f"{out[current]}\n{line.strip()}".strip()
    return out


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _title(name: str) -> str:
    return name.title().replace("_", " ")


_SIMPLE: dict[str, dict[str, JsonValue]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "Any": {},
}


def annotation_head(node: cst.BaseExpression) -> str | None:
    """The type an annotation names: `Optional` for `Optional`, `typing.Optional` or
    `t.Optional`; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value in ("typing", "typing_extensions", "t")
    ):
        return node.attr.value
    return None


def _elements(node: cst.Subscript) -> list[cst.BaseExpression] | None:
    out: list[cst.BaseExpression] = []
    for element in node.slice:
        if not isinstance(element.slice, cst.Index):
            return None
        out.append(element.slice.value)
    return out


def annotation_schema(node: cst.BaseExpression) -> dict[str, JsonValue] | None:
    """pydantic's JSON schema for an annotation, or None when not certain."""
    if isinstance(node, cst.Name) and node.value == "None":
        return {"type": "null"}
    head = annotation_head(node)
    if head is not None and head in _SIMPLE:
        return dict(_SIMPLE[head])
    if head in ("list", "List"):
        return {"items": {}, "type": "array"}
    if head in ("dict", "Dict"):
        return {"additionalProperties": True, "type": "object"}
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left = annotation_schema(node.left)
        right = annotation_schema(node.right)
        if left is None or right is None:
            return None
        return _union([left, right])
    if not isinstance(node, cst.Subscript):
        return None
    head = annotation_head(node.value)
    elements = _elements(node)
    if head is None or elements is None:
        return None
    if head in ("list", "List", "Sequence") and len(elements) == 1:
        items = annotation_schema(elements[0])
        return None if items is None else {"items": items, "type": "array"}
    if head in ("dict", "Dict") and len(elements) == 2:
        key = annotation_schema(elements[0])
        values = annotation_schema(elements[1])
        if key != {"type": "string"} or values is None:
            return None
        return {"additionalProperties": values if values else True, "type": "object"}
    if head == "Optional" and len(elements) == 1:
        inner = annotation_schema(elements[0])
        return None if inner is None else _union([inner, {"type": "null"}])
    if head == "Union":
        members = [annotation_schema(e) for e in elements]
        if any(m is None for m in members):
            return None
        return _union([m for m in members if m is not None])
    if head == "Literal":
        literals: list[object] = [_literal(e) for e in elements]
        if any(v is _UNKNOWN for v in literals):
            return None
        kinds = {type(v) for v in literals}
        if kinds == {str}:
            kind = "string"
        elif kinds == {int}:
            kind = "integer"
        else:
            return None
        if len(literals) == 1:
            return {"const": literals[0], "type": kind}
        return {"enum": literals, "type": kind}
    return None


def _union(members: list[dict[str, JsonValue]]) -> dict[str, JsonValue] | None:
    flat: list[dict[str, JsonValue]] = []
    for member in members:
        nested = member.get("anyOf")
        if isinstance(nested, list):
            flat.extend(item for item in nested if isinstance(item, dict))
        else:
            flat.append(member)
    if {} in flat:
        return {}
    if len(flat) == 1:
        return flat[0]
    return {"anyOf": flat}


_UNKNOWN = object()


def _literal(node: cst.BaseExpression) -> object:
    try:
        return ast.literal_eval(_code(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _UNKNOWN


def _json_default(node: cst.BaseExpression) -> object:
    value = _literal(node)
    if isinstance(value, tuple):
        return _UNKNOWN  # pydantic renders tuples as lists; not worth the doubt
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return _UNKNOWN


def parameters_schema(
    tool_name: str,
    function_name: str,
    params: tuple[cst.Param, ...],
    doc: str | None,
    style: SchemaStyle,
) -> dict[str, JsonValue] | None:
    """The `parameters` JSON schema a framework sends for these model parameters."""
    descriptions = argument_descriptions(doc or "") if style.argument_descriptions else {}
    properties: dict[str, JsonValue] = {}
    required: list[str] = []
    for param in params:
        if param.annotation is None:
            return None
        schema = annotation_schema(param.annotation.annotation)
        if schema is None:
            return None
        name = param.name.value
        if param.default is not None:
            default = _json_default(param.default)
            if default is _UNKNOWN:
                return None
            if not (style.strict and default is None):
                schema["default"] = default
        else:
            required.append(name)
        if name in descriptions:
            schema["description"] = descriptions[name]
        if style.property_titles:
            schema["title"] = _title(name)
        properties[name] = schema
    out: dict[str, JsonValue] = {"properties": properties, "type": "object"}
    if style.strict:
        required = list(properties)
    if required:
        out["required"] = required
    if style.forbid_extra or style.strict:
        out["additionalProperties"] = False
    if style.model_title is not None:
        out["title"] = style.model_title.format(name=tool_name, function=function_name)
    return out


def describe(function: cst.FunctionDef, style: SchemaStyle, name: str) -> str | None:
    """The description a framework derives from the function (no `description=` given)."""
    raw = function.get_docstring(clean=False)
    cleaned = function.get_docstring(clean=True)
    if style.description == "raw":
        return raw
    if style.description == "raw_stripped":
        return raw.strip() if raw is not None else None
    if cleaned is None:
        return None
    summary = docstring_summary(cleaned)
    if style.description == "joined_summary":
        return " ".join(line.strip() for line in summary.split("\n") if line.strip())
    return summary
