"""What surrounds a function: its class and the module-level bindings it reads, as text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from agentsense.analyzers.detect.dataflow import referenced_names, target_names

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext


def mentioned_around(
    context: FileContext,
    function: cst.FunctionDef,
    classes: Sequence[cst.ClassDef],
    pattern: re.Pattern[str],
    extra: Sequence[cst.CSTNode] = (),
) -> bool:
    """`pattern` occurs in the function (in its outermost class when it is a method), in
    `extra` nodes, or in a module-level statement binding a name the function reads.

    For settings made once and used everywhere (a client built with `timeout=`, a module-level
    `asyncio.Semaphore`). Only statements binding a name the function reads are read, and
    those names are recorded as read (`ModuleFacts.note_read`), so the editor's incremental
    linting re-lints the function when one of them changes.
    """
    render = cst.Module([]).code_for_node
    scope: cst.CSTNode = classes[0] if classes else function
    if pattern.search(render(scope)) or any(pattern.search(render(node)) for node in extra):
        return True
    read = referenced_names(scope)
    for name in read:
        context.facts.note_read(name)  # the module-level statements binding them are read
    for stmt in context.facts.statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        bound: set[str] = set()
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    bound.update(target_names(target.target))
            elif isinstance(small, cst.AnnAssign):
                bound.update(target_names(small.target))
        if bound & read and pattern.search(render(stmt)):
            return True
    return False
