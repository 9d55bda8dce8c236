"""What counts as a tool function or an agent step, judged from one `def` and its classes."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from agentsense.analyzers.detect.registrations import tool_entries
from agentsense.analyzers.facts import ModuleFacts, dotted_name

# Methods that run a tool when defined on a class whose base is a tool class
# (`BaseTool._run`, smolagents `Tool.forward`, the reference runtime's `execute`).
TOOL_METHODS = frozenset(
    {"execute", "aexecute", "run", "arun", "_run", "_arun", "__call__", "forward", "call"}
)
# Function and method names that run one step of an agent loop.
AGENT_STEP_NAMES = frozenset(
    {
        "step",
        "astep",
        "run_step",
        "arun_step",
        "act",
        "aact",
        "run_agent",
        "arun_agent",
        "agent_loop",
        "run_agent_loop",
        "agent_step",
    }
)


# Verbs of functions that build, find or manage tools rather than run one (`get_tool`,
# `as_tool`, `register_tool`): a name ending in `tool` after one of them is not a tool body.
_MANAGING_VERBS = frozenset(
    {
        "as",
        "to",
        "make",
        "create",
        "get",
        "register",
        "unregister",
        "convert",
        "find",
        "add",
        "remove",
        "load",
        "build",
        "wrap",
        "lookup",
        "resolve",
        "is",
        "has",
        "validate",
        "format",
        "parse",
        "from",
        "new",
        "init",
        "set",
        "list",
        "describe",
        "select",
        "choose",
        "pick",
        "render",
        "serialize",
        "deserialize",
        "prepare",
        "normalize",
    }
)


def is_tool_name(name: str) -> bool:
    """A function named like a tool or a tool runner: `search_tool`, `call_tool`,
    `invoke_mcp_tool`; not `get_tool`/`as_tool`/`tool_names`/`set_agent_tool_state`.

    Only the name's end counts: framework internals mention tools everywhere
    (`to_tool_definitions`), and swallowing errors there is not a tool's business.
    """
    words = name.lower().strip("_").split("_")
    if not words or words[-1] != "tool":
        return False
    return len(words) == 1 or words[0] not in _MANAGING_VERBS


def _decorator_target(decorator: cst.Decorator) -> cst.BaseExpression:
    """`mcp.tool` for `@mcp.tool(name="x")`, the expression itself otherwise."""
    expr = decorator.decorator
    return expr.func if type(expr) is cst.Call else expr


def _last_segment(expr: cst.BaseExpression, facts: ModuleFacts) -> list[str]:
    """The last dotted segment of `expr` as written and after import resolution."""
    names = [dotted_name(expr), facts.qualified_name(expr)]
    return [n.rsplit(".", 1)[-1] for n in names if n]


def has_tool_decorator(node: cst.FunctionDef, facts: ModuleFacts) -> bool:
    """Decorated with something whose name ends in `tool` (`@tool`, `@mcp.tool()`,
    `@function_tool`, `@agent.tool_plain`), as written or after import resolution."""
    for decorator in node.decorators:
        for segment in _last_segment(_decorator_target(decorator), facts):
            lowered = segment.lower()
            if lowered.endswith("tool") or lowered == "tool_plain":
                return True
    return False


def is_tool_class(node: cst.ClassDef, facts: ModuleFacts) -> bool:
    """A class with a base whose name ends in `Tool` (`BaseTool`, `Tool`, `StructuredTool`)."""
    for base in node.bases:
        if base.keyword is not None:
            continue
        value = base.value
        if isinstance(value, cst.Subscript):  # `BaseTool[Args]`
            value = value.value
        if any(s.endswith("Tool") for s in _last_segment(value, facts)):
            return True
    return False


def is_registered_tool(node: cst.FunctionDef, facts: ModuleFacts) -> bool:
    """Whether a registration found in this module runs `node` when the model calls it.

    The registration index knows user-defined registries too (a decorator storing into a
    `TOOLS` dict, a metaclass, `__init_subclass__`), which no naming convention can.
    """
    return id(node) in tool_entries(facts)


def is_tool_function(
    node: cst.FunctionDef,
    facts: ModuleFacts,
    class_stack: Sequence[cst.ClassDef],
    *,
    by_name: bool = True,
) -> bool:
    """Whether `node` is the body of a tool: code whose errors and resources the model relies on.

    A tool is what a registration in this module runs (`is_registered_tool`), a function
    decorated with a tool decorator, a run method (`execute`, `_run`, `forward`, ...) of a
    class deriving from a `*Tool` base, or, with `by_name`, a function named like a tool
    (`call_tool`, `run_tool`, `search_tool`: see `is_tool_name`). `class_stack` holds the
    classes whose bodies directly define `node`, innermost last (empty for a plain
    function): see `method_class_stack`.
    """
    if is_registered_tool(node, facts) or has_tool_decorator(node, facts):
        return True
    name = node.name.value
    if by_name and is_tool_name(name):
        return True
    return bool(class_stack) and name in TOOL_METHODS and is_tool_class(class_stack[-1], facts)


def is_agent_step(node: cst.FunctionDef) -> bool:
    """A function that runs one agent step or the agent loop (`step`, `act`, `plan_step`,
    `run_agent`, `agent_loop`), by name."""
    name = node.name.value.lstrip("_")
    return name in AGENT_STEP_NAMES or name.endswith("_step")


def method_class_stack(ancestors: Sequence[cst.CSTNode]) -> tuple[cst.ClassDef, ...]:
    """The classes around a `def` whose ancestors (outermost first) are `ancestors`.

    Non-empty only when the `def` sits directly in a class body (a method): a function nested
    inside a method is not a method, so it gets `()`. Innermost class last.
    """
    classes: list[cst.ClassDef] = []
    direct = True
    # Exact types (the parser makes no subclasses; isinstance against libcst's abstract
    # classes is slow).
    for node in reversed(ancestors):
        kind = type(node)
        if type(node) is cst.ClassDef:
            if direct:
                classes.append(node)
        elif kind is cst.FunctionDef or kind is cst.Lambda:
            if not classes:
                return ()
            direct = False
        elif not classes and kind is not cst.IndentedBlock and kind is not cst.SimpleStatementSuite:
            # Only a class body may sit between a method and its class (no `if` blocks).
            return ()
    return tuple(reversed(classes))
