"""agno (3.1.10): `@tool` functions, plain functions in `Agent(tools=[...])`, and `Toolkit`
subclasses, whose tools are the methods their `__init__` lists (`tools=[self.search]`,
`tools.append(self.search)`)."""

from __future__ import annotations

import ast
import re

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import (
    FrameworkProfile,
    Rendered,
    ToolFunction,
    all_params,
    code_of,
)
from agentsense.analyzers.detect.frameworks.schema import (
    JsonValue,
    annotation_head,
    argument_descriptions,
    docstring_summary,
)
from agentsense.analyzers.walk import children

_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})


def toolkit_methods(node: cst.ClassDef) -> list[cst.FunctionDef]:
    """The methods a Toolkit subclass's `__init__` puts in its tools list, in class order."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return []
    methods = {s.name.value: s for s in body.body if isinstance(s, cst.FunctionDef)}
    init = methods.get("__init__")
    if init is None:
        return []
    listed: set[str] = set()
    stack: list[cst.CSTNode] = [init.body]
    while stack:
        current = stack.pop()
        # Exact types: asked of every node of `__init__` (the parser makes no subclasses,
        # and isinstance against libcst's abstract classes is slow).
        kind = type(current)
        elements: list[cst.BaseExpression] = []
        if type(current) is cst.List or type(current) is cst.Tuple:
            elements = [element.value for element in current.elements]
        elif (
            type(current) is cst.Call
            and isinstance(current.func, cst.Attribute)
            and current.func.attr.value == "append"
            and current.args
        ):
            elements = [current.args[0].value]
        for element in elements:
            if (
                isinstance(element, cst.Attribute)
                and isinstance(element.value, cst.Name)
                and element.value.value == "self"
            ):
                listed.add(element.attr.value)
        if kind in _SCOPES and current is not init:
            continue
        stack.extend(children(current))  # (libcst's `.children` re-visits the node: slow)
    return [method for name, method in methods.items() if name in listed and name != "__init__"]


# -- what the model sees (agno/utils/json_schema.py, agno/tools/function.py, 3.1.10) --
_SIMPLE: dict[str, dict[str, JsonValue]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "list": {"type": "array"},
    "dict": {"type": "object", "additionalProperties": True},
}
_LITERAL_TYPES: dict[type, str] = {str: "string", int: "integer", bool: "boolean"}
# docstring_parser picks the docstring's style from these; only Google style is rendered.
_OTHER_STYLES = re.compile(r":param|:returns?:|@param|^\s*-{3,}\s*$", re.MULTILINE)
_TITLE_LIKE = re.compile(
    r"^(\s*)(Args|Arguments|Parameters|Params|Returns?|Raises|Yields?|Examples?|Attributes|"
    r"Notes?|Todo):(.*)$"
)
# A Google `Args:` entry with its type: `limit (int): ...`.
_TYPED_ENTRY = re.compile(r"^\s*\*{0,2}(\w+)\s*\(([^)]*)\)\s*:", re.MULTILINE)


def type_schema(node: cst.BaseExpression) -> dict[str, JsonValue] | None:
    """agno's `get_json_schema_for_arg` for an annotation (after `Optional[X]` is unwrapped),
    or None when not certain. `X | None` is left out: Python 3.10-3.13 and 3.14 give agno
    different origins for it, hence different schemas."""
    head = annotation_head(node)
    if head is not None:
        simple = _SIMPLE.get(head)
        return None if simple is None else dict(simple)
    if not isinstance(node, cst.Subscript):
        return None
    head = annotation_head(node.value)
    elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
    if len(elements) != len(node.slice) or not elements:
        return None
    if head in ("list", "List", "set", "Set", "frozenset") and len(elements) == 1:
        items = type_schema(elements[0])
        return None if items is None else {"type": "array", "items": items}
    if head in ("dict", "Dict") and len(elements) == 2:
        keys, values = type_schema(elements[0]), type_schema(elements[1])
        if keys is None or values is None:
            return None
        return {"type": "object", "propertyNames": keys, "additionalProperties": values}
    if head == "Literal":
        try:
            literals = [ast.literal_eval(code_of(e)) for e in elements]
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
        kinds = {_LITERAL_TYPES.get(type(v)) for v in literals}
        if len(kinds) != 1 or None in kinds:
            return None
        return {"type": kinds.pop(), "enum": literals}
    if head == "Annotated":
        return type_schema(elements[0])
    return None


def _unwrap_optional(node: cst.BaseExpression) -> cst.BaseExpression:
    """`Optional[X]` and `Union[X, None]` -> X (agno drops the None)."""
    if isinstance(node, cst.Subscript) and annotation_head(node.value) in ("Optional", "Union"):
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if annotation_head(node.value) == "Optional" and len(elements) == 1:
            return elements[0]
        rest = [e for e in elements if annotation_head(e) != "None"]
        if len(elements) == 2 and len(rest) == 1:
            return rest[0]
    return node


def description_of(doc: str) -> str:
    """`get_entrypoint_docstring`: the short description, then the long one's lines."""
    summary = docstring_summary(doc)
    short, _, long = summary.partition("\n")
    long = long.strip()
    return "\n".join([short.strip(), *long.split("\n")]) if long else short.strip()


def _plain_google(doc: str) -> bool:
    """Whether docstring_parser reads the docstring as the Google style we render: every
    section title alone on its line, at one indentation, its entries indented below it. (A
    title word inside an entry, or entries flush with their title, make it pick another
    reading.)"""
    lines = doc.split("\n")
    indents: set[int] = set()
    for index, line in enumerate(lines):
        match = _TITLE_LIKE.match(line)
        if match is None:
            continue
        following = next((n for n in lines[index + 1 :] if n.strip()), None)
        if match.group(3).strip() or following is None:
            return False
        indent = len(match.group(1))
        if len(following) - len(following.lstrip()) <= indent:
            return False
        indents.add(indent)
    return len(indents) <= 1


def function_view(tool: ToolFunction) -> Rendered:
    """What an agno Agent sends for a tool function (not in strict mode: the default)."""
    function, params = tool.function, tool.params
    doc = function.get_docstring(clean=True) or ""
    everything = all_params(function)
    if function.decorators and everything and everything[0].name.value == "self":
        return Rendered(None, None)  # a decorated Toolkit method: processed another way
    if _OTHER_STYLES.search(doc) or not _plain_google(doc):
        return Rendered(None, None)
    described = argument_descriptions(doc)
    for name, kind in _TYPED_ENTRY.findall(doc):
        if name in described:
            if "," in kind:
                return Rendered(description_of(doc), None)  # `(int, optional)`: not rendered
            # agno puts docstring_parser's type name before the text.
            described[name] = f"({kind.strip()}) {described[name]}"
    properties: dict[str, JsonValue] = {}
    required: list[str] = []
    for param in params:
        if param.annotation is None:
            return Rendered(description_of(doc), None)
        schema = type_schema(_unwrap_optional(param.annotation.annotation))
        if schema is None:
            return Rendered(description_of(doc), None)
        if described.get(param.name.value):
            schema["description"] = described[param.name.value]
        properties[param.name.value] = schema
        if param.default is None:
            required.append(param.name.value)
    parameters: dict[str, JsonValue] = {
        "type": "object",
        "properties": properties,
        "required": required,
    }
    if function.decorators:
        # `@tool` processes the function once when it runs; the Agent processes that
        # Function again and then treats its parameters as given, closing them.
        parameters["additionalProperties"] = False
    return Rendered(description_of(doc), parameters)


PROFILE = FrameworkProfile(
    name="agno",
    label="agno",
    verified_with="agno 3.1.10",
    decorators=("agno.tools.tool", "agno.tools.decorator.tool"),
    tool_list_calls=("agno.agent.Agent", "agno.agent.agent.Agent", "agno.team.Team"),
    toolkit_bases=("agno.tools.Toolkit", "agno.tools.toolkit.Toolkit"),
    # agno/utils/schema.py FRAMEWORK_INJECTED_PARAMS and AGNO_INJECTED_PARAMS.
    injected_names=(
        "agent",
        "team",
        "run_context",
        "images",
        "videos",
        "audios",
        "files",
        "_agno_agent",
        "_agno_team",
        "_agno_run_context",
    ),
    function_view=function_view,
)
