"""Framework instances shared across modules: `mcp = FastMCP(...)` in one module, `@mcp.tool()`
in the modules that import it. What one file says, for the project index to join up."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from agentsense.analyzers.detect.frameworks import PROFILES
from agentsense.analyzers.facts import ModuleFacts, call_binding

# Factories whose instances keep their own tool registry, and the decorator methods.
_SHARED = {
    factory: profile
    for profile in PROFILES
    if profile.per_instance_registry
    for factory in profile.instance_factories
}
_METHODS = frozenset(m for p in PROFILES if p.per_instance_registry for m in p.instance_methods)


@dataclass(frozen=True, slots=True)
class ImportedInstanceTool:
    """`@mcp.tool()` on a function where `mcp` is imported from another module."""

    name: str  # the tool's name (the `name=` literal or the function's name)
    node: cst.CSTNode  # where a finding goes
    qualified: str  # what the decorator's object is imported as: `app.server.mcp`


def framework_instances(module: cst.Module, facts: ModuleFacts) -> tuple[str, ...]:
    """Module-level names bound to a framework object with its own tool registry."""
    out: list[str] = []
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            binding = call_binding(small)
            if binding is not None and facts.qualified_name(binding[1].func) in _SHARED:
                out.append(binding[0])
    return tuple(dict.fromkeys(out))


def imported_instance_tools(module: cst.Module, facts: ModuleFacts) -> list[ImportedInstanceTool]:
    """Module-level functions decorated by a method of an imported object (`@mcp.tool()`),
    named statically; whether the object is a framework instance is the project's to say."""
    out: list[ImportedInstanceTool] = []
    for stmt in module.body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        for decorator in stmt.decorators:
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            callee = call.func if call is not None else expr
            if not (
                isinstance(callee, cst.Attribute)
                and isinstance(callee.value, cst.Name)
                and callee.attr.value in _METHODS
            ):
                continue
            qualified = facts.imports.get(callee.value.value)
            if qualified is None or "." not in qualified:
                continue
            name: str = stmt.name.value
            node: cst.CSTNode = stmt.name
            if call is not None:
                if any(a.star for a in call.args) or any(
                    a.keyword is not None and a.keyword.value == "version" for a in call.args
                ):
                    continue  # unknown arguments, or versions that coexist
                given = next(
                    (a for a in call.args if a.keyword is not None and a.keyword.value == "name"),
                    None,
                )
                if given is not None:
                    if not isinstance(given.value, cst.SimpleString):
                        continue
                    value = given.value.evaluated_value
                    if not isinstance(value, str):
                        continue
                    name, node = value, given.value
            out.append(ImportedInstanceTool(name, node, qualified))
    return out
