"""What a framework profile is: how one framework registers tools, as data, plus its checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from agentsense.analyzers.detect.frameworks.schema import JsonValue, SchemaStyle


@dataclass(frozen=True, slots=True)
class FrameworkProblem:
    """Something the framework raises for a registration (AGT211): where, and its message."""

    message: str
    node: cst.CSTNode


@dataclass(frozen=True, slots=True)
class DecoratedTool:
    """A function registered by one of a framework's decorators, as its checks see it."""

    function: cst.FunctionDef
    call: cst.Call | None  # the decorator's call; None when used bare (`@tool`)
    method: str | None  # the instance method (`tool`, `tool_plain`) or None for a decorator
    # The parameters the model fills in (self, injected context and *args/**kwargs left out).
    model_params: tuple[cst.Param, ...]


FunctionCheck = Callable[[DecoratedTool], Iterator[FrameworkProblem]]
ClassCheck = Callable[[cst.ClassDef], Iterator[FrameworkProblem]]


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a framework that does not build its schema with pydantic sends for a tool: its
    description and the JSON schema of its arguments (None: not known statically)."""

    description: str | None
    parameters: dict[str, JsonValue] | None
    name: str | None = None  # the name sent, when the framework rewrites the tool's (CrewAI)


@dataclass(frozen=True, slots=True)
class ToolFunction:
    """A function tool as a framework's view (`FunctionView`) reads it."""

    function: cst.FunctionDef
    params: tuple[cst.Param, ...]  # the parameters the model fills in
    name: str  # the tool's name
    # `from __future__ import annotations` is in effect (annotations are strings at run
    # time); None when unknown.
    postponed_annotations: bool | None


FunctionView = Callable[[ToolFunction], Rendered]
# (a tool class, its registered name) -> what the framework sends (the description comes
# from the class).
ClassView = Callable[[cst.ClassDef, str | None], Rendered]


@dataclass(frozen=True, slots=True)
class FrameworkProfile:
    """How one framework registers, names and describes a tool (RULES.md PROFILES)."""

    name: str  # `framework:<name>` in Registration.source
    label: str  # how messages name the framework
    # The release whose behaviour the profile encodes (the `frameworks` extra pins it; the
    # parity tests in tests/frameworks/ import the examples with it).
    verified_with: str = ""
    # Qualified names of decorators that make a function a tool (`@tool`, `@tool(...)`).
    decorators: tuple[str, ...] = ()
    # Classes whose instances register tools with a decorator method (`mcp = FastMCP(...)`).
    instance_factories: tuple[str, ...] = ()
    instance_methods: tuple[str, ...] = ()  # the decorator methods: `@mcp.tool()`
    # Instance methods whose decorated function takes the run context first (`@agent.tool`).
    context_first_methods: tuple[str, ...] = ()
    # Base classes whose subclasses are tools, the attributes naming and describing them,
    # and the method whose signature gives the parameters.
    class_bases: tuple[str, ...] = ()
    class_methods: tuple[str, ...] = ()
    schema_attributes: tuple[str, ...] = ()  # a literal schema on the class (`inputs = {...}`)
    # The class attributes naming and describing a class-based tool (langroid: request/purpose).
    name_attribute: str = "name"
    description_attribute: str = "description"
    name_positional: bool = False  # `@tool("name")`
    name_keywords: tuple[str, ...] = ("name",)
    description_keywords: tuple[str, ...] = ("description",)
    schema_keywords: tuple[str, ...] = ()  # `@tool(args_schema={...})`
    # Annotation names of parameters the framework injects (never sent to the model).
    context_annotations: tuple[str, ...] = ()
    # Parameter names the framework injects whatever their annotation (agno's `agent`).
    injected_names: tuple[str, ...] = ()
    checks_name_pattern: bool = True  # names reach a provider that enforces the pattern
    requires_call: bool = False  # the decorator must be called: `@mcp.tool()`, not `@mcp.tool`
    # Tools are kept per instance (one FastMCP server, one pydantic-ai agent), by name.
    per_instance_registry: bool = False
    # A keyword that makes same-named tools coexist (fastmcp's `version=`).
    version_keyword: str | None = None
    # Tool classes are pydantic models: `name: str = ""` declares a field that the toolkit or
    # the caller fills in (a placeholder, not the tool's name).
    pydantic_fields: bool = False
    # Calls that make a tool from a function: `StructuredTool.from_function(func=f, ...)`.
    factory_calls: tuple[str, ...] = ()
    factory_function_keyword: str = "func"  # the function's keyword (else the first positional)
    # Constructors whose `tools=[...]` list takes plain functions (agno's `Agent`).
    tool_list_calls: tuple[str, ...] = ()
    # Constructors whose `tools=[...]` list is a registry of its own: two tools of one name
    # in it clash (openai-agents' `Agent`; see agent_tools.py).
    agent_list_calls: tuple[str, ...] = ()
    # Bases whose subclasses register the methods their `__init__` lists (agno's `Toolkit`).
    toolkit_bases: tuple[str, ...] = ()
    # Without a docstring or `description=`, the framework describes the tool by its signature
    # (LlamaIndex) instead of refusing it: the description is then not judged.
    describes_by_signature: bool = False
    # What the framework raises for a tool without any description (None: it accepts it).
    missing_description_error: str | None = None
    # How it turns a function into what the model sees (None: not rendered).
    schema_style: SchemaStyle | None = None
    # Frameworks with their own (non-pydantic) rendering: used instead of `schema_style`.
    function_view: FunctionView | None = None
    class_view: ClassView | None = None
    # What the framework raises that the shared contract does not cover.
    function_checks: tuple[FunctionCheck, ...] = ()
    class_checks: tuple[ClassCheck, ...] = ()


def code_of(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def annotation_names(annotation: cst.Annotation | None) -> list[str]:
    """Every name in an annotation, outermost first (`Optional[dict[str, Any]]` ->
    Optional, dict, str, Any); attribute chains give their last part (`typing.Dict` -> Dict).
    String annotations are read as the text of their names."""
    if annotation is None:
        return []
    out: list[str] = []
    stack: list[cst.CSTNode] = [annotation.annotation]
    while stack:
        node = stack.pop(0)
        if isinstance(node, cst.Name):
            out.append(node.value)
        elif isinstance(node, cst.Attribute):
            out.append(node.attr.value)
        elif isinstance(node, cst.SimpleString):
            text = node.evaluated_value
            if isinstance(text, str):
                out.extend(part for part in _identifiers(text))
        elif isinstance(node, cst.Subscript):
            stack.append(node.value)
            stack.extend(element.slice for element in node.slice)
        elif isinstance(node, cst.Index):
            stack.append(node.value)
        elif isinstance(node, cst.BinaryOperation):
            stack.extend((node.left, node.right))
        elif isinstance(node, (cst.List, cst.Tuple)):
            stack.extend(element.value for element in node.elements)
    return out


def _identifiers(text: str) -> Iterator[str]:
    token: list[str] = []
    for char in text + " ":
        if char.isalnum() or char == "_":
            token.append(char)
        elif token:
            yield "".join(token).rsplit(".", 1)[-1]
            token = []


def keyword(call: cst.Call | None, name: str) -> cst.Arg | None:
    if call is None:
        return None
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def is_false(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "False"


def all_params(function: cst.FunctionDef) -> Sequence[cst.Param]:
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]
