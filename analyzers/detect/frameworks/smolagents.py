"""smolagents (1.26.0): `@tool` functions and `Tool` subclasses.

`@tool` builds the schema from the docstring's Google-style `Args:` section and the type hints
when it runs (at import): a parameter without an `Args:` entry is a DocstringParsingException,
a missing return annotation a TypeHintParsingException.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
)
