"""smolagents (1.26.0): `@tool` functions and `Tool` subclasses.

`@tool` builds the schema from the docstring's Google-style `Args:` section and the type hints
when it runs (at import): a parameter without an `Args:` entry is a DocstringParsingException,
a missing return annotation a TypeHintParsingException.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import (
    DecoratedTool,
    FrameworkProblem,
    FrameworkProfile,
)

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
)
