"""The tools lists of agents (openai-agents `Agent(name=..., tools=[...])`): one registry each.

openai-agents 0.24.0 accepts two tools of one name in an Agent's list: `Agent(...)` and the
Runner raise nothing (`_tool_identity.validate_function_tool_lookup_configuration` only
refuses namespaced or deferred clashes), the model is offered both definitions, and
`build_function_tool_lookup_map` keeps the last one listed, so every call of that name runs
the last tool. The list is read from the source: literal elements, a module-level list
variable (`tools=TOOLS`, `[*COMMON, extra]`, `COMMON + [extra]`), functions of this module and
names imported from others (for the project index to join up).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from agentsense.analyzers.detect.frameworks import PROFILES
from agentsense.analyzers.detect.frameworks.base import FrameworkProfile, keyword
from agentsense.analyzers.facts import ModuleFacts, call_binding
from agentsense.analyzers.walk import iter_subtree_no_scopes

_LIST_CALLS = {call: profile for profile in PROFILES for call in profile.agent_list_calls}
_ROOTS = frozenset(call.split(".")[0] for call in _LIST_CALLS)
# Registration.source of the tools such lists take.
AGENT_LIST_SOURCES = frozenset(f"framework:{p.name}" for p in PROFILES if p.agent_list_calls)


@dataclass(frozen=True, slots=True)
class AgentToolList:
    """One agent's tools list, as far as the source says."""

    # `local:the tools of <module-level name>`, else `local:the tools of agent '<its name>'`
    # (messages name the registry by what follows `local:`).
    registry: str
    profile: FrameworkProfile
    functions: tuple[cst.FunctionDef, ...]  # decorated functions of this module, in order
    # Names imported from other modules: (qualified name, the element naming it).
    imported: tuple[tuple[str, cst.Name], ...]


def _module_lists(facts: ModuleFacts) -> dict[str, cst.BaseExpression]:
    """Module-level names bound exactly once, to a list or tuple expression."""
    bound: dict[str, list[cst.BaseExpression]] = {}
    for stmt in facts.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            else:
                continue
            if isinstance(target, cst.Name):
                bound.setdefault(target.value, []).append(value)
    return {name: values[0] for name, values in bound.items() if len(values) == 1}


def _elements(
    node: cst.BaseExpression, lists: dict[str, cst.BaseExpression], depth: int = 0
) -> Iterator[cst.Name]:
    """The plain names a tools expression lists, through list variables (bounded)."""
    if depth > 8:
        return
    if isinstance(node, (cst.List, cst.Tuple)):
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                yield from _elements(element.value, lists, depth + 1)
            elif isinstance(element.value, cst.Name):
                yield element.value
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        yield from _elements(node.left, lists, depth + 1)
        yield from _elements(node.right, lists, depth + 1)
    elif isinstance(node, cst.Name) and node.value in lists:
        yield from _elements(lists[node.value], lists, depth + 1)


def _registry(call: cst.Call, binding: str | None) -> str | None:
    if binding is not None:
        return f"local:the tools of {binding}"
    name = keyword(call, "name")
    if name is None:
        name = next((a for a in call.args if a.keyword is None and not a.star), None)
    if name is not None and isinstance(name.value, cst.SimpleString):
        value = name.value.evaluated_value
        if isinstance(value, str):
            return f"local:the tools of agent {value!r}"
    return None


def agent_tool_lists(facts: ModuleFacts) -> list[AgentToolList]:
    """Every agent construction of the module with a `tools=` list it can name."""
    if not _LIST_CALLS or not {q.split(".")[0] for q in facts.imports.values()} & _ROOTS:
        return []
    lists = _module_lists(facts)
    functions = facts.top_level_functions
    top_level = facts.top_level_ids
    out: list[AgentToolList] = []
    for stmt in facts.statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        bindings = {
            id(found[1]): found[0]
            for small in stmt.body
            if id(stmt) in top_level and (found := call_binding(small)) is not None
        }
        for node in iter_subtree_no_scopes(stmt):
            if not isinstance(node, cst.Call):
                continue
            profile = _LIST_CALLS.get(facts.qualified_name(node.func) or "")
            tools = keyword(node, "tools")
            if profile is None or tools is None:
                continue
            registry = _registry(node, bindings.get(id(node)))
            if registry is None:
                continue
            listed: list[cst.FunctionDef] = []
            imported: list[tuple[str, cst.Name]] = []
            for element in _elements(tools.value, lists):
                function = functions.get(element.value)
                qualified = facts.imports.get(element.value)
                if function is not None and function.decorators:
                    listed.append(function)
                elif function is None and qualified is not None and "." in qualified:
                    imported.append((qualified, element))
            out.append(AgentToolList(registry, profile, tuple(listed), tuple(imported)))
    return out
