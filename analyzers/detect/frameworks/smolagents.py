"""smolagents (1.26.0): `@tool` functions and `Tool` subclasses.

`@tool` builds the schema from the docstring's Google-style `Args:` section and the type hints
when it runs (at import): a parameter without an `Args:` entry is a DocstringParsingException,
a missing return annotation a TypeHintParsingException.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import (
    DecoratedTool,
    FrameworkProblem,
    FrameworkProfile,
    Rendered,
    ToolFunction,
    code_of,
)
from agentsense.analyzers.detect.frameworks.schema import JsonValue, annotation_head

LABEL = "smolagents"

# smolagents/_function_type_hints_utils.py (1.26.0): how the docstring is split.
_ARGS_BLOCK = re.compile(r"\n\s*Args:\n\s*(.*?)[\n\s]*(Returns:|Raises:|\Z)", re.DOTALL)
_ARG_ENTRY = re.compile(
    r"(?:^|\n)"
    r"\s*(\w+)\s*(?:\([^)]*?\))?:\s*"
    r"(.*?)\s*"
    r"(?=\n\s*\w+\s*(?:\([^)]*?\))?:|\Z)",
    re.DOTALL | re.VERBOSE,
)


def documented_arguments(doc: str) -> dict[str, str]:
    """The `Args:` entries smolagents reads from a (cleaned) docstring: name -> description."""
    block = _ARGS_BLOCK.search(doc.strip())
    if block is None:
        return {}
    text = "\n".join(line for line in block.group(1).strip().split("\n") if line.strip())
    return {m[0]: re.sub(r"\s*\n+\s*", " ", m[1].strip()) for m in _ARG_ENTRY.findall(text)}


def docstring_arguments(tool: DecoratedTool) -> Iterator[FrameworkProblem]:
    if tool.method is not None:
        return
    function = tool.function
    doc = function.get_docstring(clean=True)
    if not doc:
        return  # no docstring at all: AGT210's finding
    documented = documented_arguments(doc)
    for param in tool.model_params:
        if param.annotation is not None and param.name.value not in documented:
            yield FrameworkProblem(
                f"{LABEL} raises DocstringParsingException at import: Cannot generate JSON "
                f"schema for {function.name.value} because the docstring has no description "
                f"for the argument '{param.name.value}' (add it under Args:)",
                param.name,
            )


def return_annotation(tool: DecoratedTool) -> Iterator[FrameworkProblem]:
    if tool.method is None and tool.function.returns is None:
        yield FrameworkProblem(
            f"{LABEL} raises TypeHintParsingException at import: Tool return type not found: "
            "make sure your function has a return type hint!",
            tool.function.name,
        )


# smolagents/tools.py AUTHORIZED_TYPES (1.26.0).
AUTHORIZED_TYPES = (
    "string",
    "boolean",
    "integer",
    "number",
    "image",
    "audio",
    "array",
    "object",
    "any",
    "null",
)


def _class_value(node: cst.ClassDef, name: str) -> cst.BaseExpression | None:
    """The value assigned to `name` in the class's own body (`inputs = {...}`)."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    found: cst.BaseExpression | None = None
    for stmt in body.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if (
                isinstance(small, cst.Assign)
                and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                )
            ) or (
                isinstance(small, cst.AnnAssign)
                and isinstance(small.target, cst.Name)
                and small.target.value == name
                and small.value is not None
            ):
                found = small.value
    return found


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def tool_class_contract(node: cst.ClassDef) -> Iterator[FrameworkProblem]:
    """What `Tool.validate_arguments` refuses when the tool is instantiated."""
    when = f"{LABEL} raises {{error}} when the tool is instantiated: "
    inputs = _class_value(node, "inputs")
    if isinstance(inputs, cst.Dict):
        for element in inputs.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(element.value, cst.Dict):
                continue
            name = _string(element.key)
            entries = element.value.elements
            keys = [_string(e.key) if isinstance(e, cst.DictElement) else None for e in entries]
            if name is None or None in keys:
                continue
            if "type" not in keys or "description" not in keys:
                yield FrameworkProblem(
                    when.format(error="AssertionError")
                    + f"Input '{name}' should have keys 'type' and 'description', has only "
                    f"{keys}.",
                    element.value,
                )
                continue
            kind = next(
                e.value
                for e in entries
                if isinstance(e, cst.DictElement) and _string(e.key) == "type"
            )
            kinds = (
                [_string(kind)]
                if isinstance(kind, cst.SimpleString)
                else [_string(e.value) for e in kind.elements]
                if isinstance(kind, cst.List)
                else [None]
            )
            if None in kinds:
                continue
            invalid = [k for k in kinds if k not in AUTHORIZED_TYPES]
            if invalid:
                yield FrameworkProblem(
                    when.format(error="ValueError")
                    + f"Input '{name}': types {invalid} must be one of {list(AUTHORIZED_TYPES)}",
                    kind,
                )
    output = _class_value(node, "output_type")
    value = _string(output) if output is not None else None
    if output is not None and value is not None and value not in AUTHORIZED_TYPES:
        yield FrameworkProblem(
            when.format(error="AssertionError")
            + f"output_type {value!r} must be one of {list(AUTHORIZED_TYPES)}",
            output,
        )


# -- what the model sees (smolagents/_function_type_hints_utils.py and models.py, 1.26.0) --
_DESCRIPTION = re.compile(r"^(.*?)(?=\n\s*(Args:|Returns:|Raises:)|\Z)", re.DOTALL)
_CHOICES = re.compile(r"\(choices:\s*(.*?)\)\s*$", re.IGNORECASE)
# _BASE_TYPE_MAPPING; any other class becomes "object" (or "image"/"audio" for PIL/torch
# types), which is not rendered: the name alone does not say which.
_BASE_TYPES: dict[str, str] = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "List": "array",
    "dict": "object",
    "Dict": "object",
    "Any": "any",
    "None": "null",
}
_LITERAL_TYPES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_UNKNOWN = object()


def _literal(node: cst.BaseExpression) -> object:
    try:
        return ast.literal_eval(code_of(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _UNKNOWN


def _union_members(node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The members of `A | B | None`, `Optional[A]` and `Union[A, B]`; None if not a union."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left = _union_members(node.left) or [node.left]
        right = _union_members(node.right) or [node.right]
        return [*left, *right]
    if isinstance(node, cst.Subscript) and annotation_head(node.value) in ("Optional", "Union"):
        members = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if len(members) != len(node.slice):
            return None
        if annotation_head(node.value) == "Optional":
            return [*members, cst.Name("None")] if len(members) == 1 else None
        return members
    return None


def _union(types: list[dict[str, JsonValue]], nullable: bool) -> dict[str, JsonValue] | None:
    """`_parse_union_type`: one member as is, else the sorted list of their types."""
    if len(types) == 1:
        out = dict(types[0])
    elif types and all(isinstance(t.get("type"), str) for t in types):
        out = {"type": sorted(str(t["type"]) for t in types)}
    else:
        return None  # an anyOf: rare, and models.py flattens it lossily
    if nullable:
        out["nullable"] = True
    return out


def type_schema(node: cst.BaseExpression) -> dict[str, JsonValue] | None:
    """smolagents' `_parse_type_hint` for an annotation, or None when not certain."""
    members = _union_members(node)
    if members is not None:
        nullable = any(annotation_head(m) == "None" for m in members)
        parsed = [type_schema(m) for m in members if annotation_head(m) != "None"]
        if any(p is None for p in parsed):
            return None
        return _union([p for p in parsed if p is not None], nullable)
    head = annotation_head(node)
    if head is not None:
        kind = _BASE_TYPES.get(head)
        return None if kind is None else {"type": kind}
    if not isinstance(node, cst.Subscript):
        return None
    head = annotation_head(node.value)
    elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
    if len(elements) != len(node.slice):
        return None
    if head in ("list", "List") and len(elements) == 1:
        items = type_schema(elements[0])
        return None if items is None else {"type": "array", "items": items}
    if head in ("dict", "Dict") and len(elements) == 2:
        if type_schema(elements[0]) is None:
            return None
        values = type_schema(elements[1])
        return None if values is None else {"type": "object", "additionalProperties": values}
    if head == "Literal":
        literals = [_literal(e) for e in elements]
        kinds = [_LITERAL_TYPES.get(type(v)) for v in literals]
        if not literals or any(k is None for k in kinds):
            return None
        unique = sorted({k for k in kinds if k is not None})
        out: dict[str, JsonValue] = {"type": unique[0] if len(unique) == 1 else unique}
        out["enum"] = literals
        return out
    return None


def sent_parameters(inputs: dict[str, dict[str, JsonValue]]) -> dict[str, JsonValue] | None:
    """`get_tool_json_schema`: the `parameters` smolagents sends for a tool's `inputs`."""
    properties = copy.deepcopy(inputs)
    required: list[str] = []
    for key, value in properties.items():
        if "anyOf" in value or not isinstance(value.get("type"), (str, list)):
            return None  # flattened lossily by smolagents: not rendered
        if value["type"] == "any":
            value["type"] = "string"
        if not value.get("nullable"):
            required.append(key)
    return {"type": "object", "properties": dict(properties), "required": required}


def function_view(tool: ToolFunction) -> Rendered:
    """What `@tool` makes of a function: the docstring's text before its sections, and each
    parameter's type with its `Args:` entry."""
    function, params = tool.function, tool.params
    doc = (function.get_docstring(clean=True) or "").strip()
    match = _DESCRIPTION.search(doc)
    description = match.group(1).strip() if match else None
    documented = documented_arguments(doc)
    inputs: dict[str, dict[str, JsonValue]] = {}
    for param in params:
        if param.annotation is None or param.name.value not in documented:
            return Rendered(description, None)
        schema = type_schema(param.annotation.annotation)
        text = documented[param.name.value]
        if schema is None or _CHOICES.search(text):
            return Rendered(description, None)
        if param.default is not None:
            schema["nullable"] = True
        schema["description"] = text
        inputs[param.name.value] = schema
    return Rendered(description, sent_parameters(inputs))


def class_view(node: cst.ClassDef, name: str | None) -> Rendered:
    """A `Tool` subclass sends its literal `inputs` (its name and description are its own)."""
    value = _class_value(node, "inputs")
    inputs = _literal(value) if value is not None else _UNKNOWN
    if not isinstance(inputs, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in inputs.items()
    ):
        return Rendered(None, None)
    return Rendered(None, sent_parameters(inputs))


PROFILE = FrameworkProfile(
    name="smolagents",
    label=LABEL,
    verified_with="smolagents 1.26.0",
    decorators=("smolagents.tool", "smolagents.tools.tool"),
    class_bases=("smolagents.Tool", "smolagents.tools.Tool"),
    class_methods=("forward",),
    schema_attributes=("inputs",),
    name_keywords=(),
    description_keywords=(),
    function_checks=(docstring_arguments, return_annotation),
    class_checks=(tool_class_contract,),
    function_view=function_view,
    class_view=class_view,
)
