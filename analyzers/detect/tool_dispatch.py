"""Tool dispatch: a tool looked up by a dynamic name (`TOOLS[name]`), and calls that run a tool."""

from __future__ import annotations

from dataclasses import dataclass, replace

import libcst as cst

from agentsense.analyzers.detect.dataflow import referenced_names
from agentsense.analyzers.detect.functions import is_tool_name
from agentsense.analyzers.detect.llm import call_method_name
from agentsense.analyzers.detect.names import words_of
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

# Words that make a container, a lookup key or an argument mapping look like tool dispatch.
CONTAINER_WORDS = frozenset(
    {
        "tool",
        "tools",
        "function",
        "functions",
        "func",
        "funcs",
        "fn",
        "fns",
        "action",
        "actions",
        "registry",
        "command",
        "commands",
        "skill",
        "skills",
        "capability",
        "capabilities",
        "plugin",
        "plugins",
        "dispatch",
        "dispatcher",
    }
)
# Methods that run a tool object (`tool.run(...)`, `self.tools[name].arun(...)`).
RUN_METHODS = frozenset(
    {"run", "arun", "execute", "aexecute", "invoke", "ainvoke", "call", "acall", "forward"}
)
# Receiver words that make `x.run(...)` a tool run.
_TOOL_RECEIVER_WORDS = frozenset({"tool", "tools"})


def _is_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer))


@dataclass(frozen=True, slots=True)
class Lookup:
    """A dynamic lookup of a callable: `container[key]`, `getattr(container, key)`, `.get`."""

    expression: cst.BaseExpression
    container: cst.BaseExpression
    key: cst.BaseExpression
    instantiates: bool = False  # `REGISTRY[name]()`: a tool class looked up and instantiated


def lookup_of(node: cst.BaseExpression) -> Lookup | None:
    """The dynamic lookup `node` is (or whose attribute it is: `tools[name].execute`).

    A class looked up and instantiated (`REGISTRY[name]().execute`) counts too.
    """
    # Exact types (the parser makes no subclasses; isinstance against libcst's abstract
    # classes is slow): asked for most expressions.
    target = node.value if type(node) is cst.Attribute else node
    if type(target) is cst.Call and not target.args and type(target.func) is cst.Subscript:
        inner = lookup_of(target.func)
        return None if inner is None else replace(inner, instantiates=True)
    if type(target) is cst.Subscript:
        if len(target.slice) != 1:
            return None
        index = target.slice[0].slice
        if not isinstance(index, cst.Index) or _is_literal(index.value):
            return None
        return Lookup(target, target.value, index.value)
    if type(target) is cst.Call:
        positional = [a for a in target.args if a.keyword is None and not a.star]
        if len(positional) != len(target.args):
            return None
        func = target.func
        if isinstance(func, cst.Name) and func.value == "getattr" and len(positional) == 2:
            container, key = positional[0].value, positional[1].value
        elif isinstance(func, cst.Attribute) and func.attr.value == "get" and len(positional) == 1:
            # `tools.get(name, default)` has a fallback: only the one-argument form counts.
            container, key = func.value, positional[0].value
        else:
            return None
        if _is_literal(key):
            return None
        return Lookup(target, container, key)
    return None


def shown_lookup(lookup: Lookup, module: cst.Module) -> str:
    """The lookup's source text for a message, cut to 40 characters."""
    shown = module.code_for_node(lookup.expression)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def is_tool_container(lookup: Lookup) -> bool:
    """The looked-up container is named like a tool registry (`tools`, `available_functions`)."""
    return bool(words_of(referenced_names(lookup.container)) & CONTAINER_WORDS)


def is_tool_invocation(call: cst.Call, module: cst.Module) -> bool:
    """`call_tool(...)`, `session.call_tool(...)`, `tools[name](...)`, `tool.arun(...)`,
    unless the callee is a function of this module/class that catches errors itself."""
    method = call_method_name(call) or ""
    lookup = lookup_of(call.func)
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
    tool_like = is_tool_name(method) and not method.startswith(("safe", "_safe"))
    if lookup is not None and is_tool_container(lookup):
        tool_like = True
    if (
        receiver is not None
        and method in RUN_METHODS
        and words_of(referenced_names(receiver)) & _TOOL_RECEIVER_WORDS
    ):
        tool_like = True
    if not tool_like:
        return False
    return not _local_callee_catches(call, module)


def _local_callee_catches(call: cst.Call, module: cst.Module) -> bool:
    """The callee is defined here (a module function or a `self.` method) and has a
    `try`/`except` of its own."""
    name = dotted_name(call.func) or ""
    target = name.removeprefix("self.")
    if "." in target:
        return False
    for stmt in iter_subtree(module):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == target:
            return any(
                isinstance(n, (cst.Try, cst.TryStar)) and n.handlers
                for n in iter_subtree_no_scopes(stmt.body)
            )
    return False
