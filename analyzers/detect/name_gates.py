"""Cheap tests that an expression cannot resolve to one of some qualified names, asked before
`ScopeIndex.qualified_among`, whose scope walk (every binding of the enclosing functions) is
what costs: most calls of a file name nothing the rule looks for."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import libcst as cst

from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.walk import statement_children

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext


def import_bound_names(context: FileContext) -> frozenset[str]:
    """Every name an import statement of the file binds, at module level, in a class or in a
    function (`import a.b` binds `a`; `import a as b`, `from a import c as b` bind `b`).

    Asked through `context.shared(import_bound_names)`: one statement walk per file (no
    expressions: an import is always a statement)."""
    names: set[str] = set()
    stack: list[cst.CSTNode] = [context.module]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.SimpleStatementLine or kind is cst.SimpleStatementSuite:
            # Small statements hold no statements: only their imports are looked at.
            for small in node.body:  # type: ignore[attr-defined]  # a SimpleStatement*
                small_kind = type(small)
                if small_kind is cst.Import or small_kind is cst.ImportFrom:
                    _add_bound(small, names)
            continue
        stack.extend(statement_children(node))
    return frozenset(names)


def _add_bound(node: cst.Import | cst.ImportFrom, names: set[str]) -> None:
    aliases = node.names
    if isinstance(aliases, cst.ImportStar):
        return  # binds what the module exports: `qualified_name` cannot tell either
    for alias in aliases:
        if alias.asname is not None and type(alias.asname.name) is cst.Name:
            names.add(alias.asname.name.value)
        else:
            names.add((dotted_name(alias.name) or "").partition(".")[0])


def may_resolve_among(
    context: FileContext, expr: cst.BaseExpression, names: Collection[str]
) -> bool:
    """False only when `ScopeIndex.qualified_among(expr, names)` is certainly None.

    That resolves `expr` through an import in an enclosing function when one binds its head
    (the head is then one of `import_bound_names`), and through the module's imports
    (`facts.qualified_name`) otherwise: so when neither can give one of `names`, no scope
    needs walking. (A head bound in a function by something else than an import resolves to
    nothing there; `qualified_among` itself says so.)"""
    dotted = dotted_name(expr)
    if dotted is None:
        return False
    if dotted.partition(".")[0] in context.shared(import_bound_names):
        return True
    return context.facts.qualified_name(expr) in names
