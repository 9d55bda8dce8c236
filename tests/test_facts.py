"""The module facts: one walk of each top-level statement's statements for every fact read
from them, kept with the statement across versions of the module (the editor's memo)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import libcst as cst
import pytest

from agentsense.analyzers import facts as facts_module
from agentsense.analyzers.detect.registrations import registrations_of
from agentsense.analyzers.facts import BindingReads, ModuleFacts, iter_statements
from agentsense.analyzers.walk import iter_subtree

SOURCE = textwrap.dedent(
    """
    import os
    from typing import Any as A

    if os.name == "nt":
        import ntpath as paths
    elif os.name == "posix":
        import posixpath as paths
    else:
        paths = None

    try:
        import json
    except* ImportError:
        json = None

    try:
        import yaml
    except ImportError as error:
        yaml = None
    else:
        loaded = True
    finally:
        done = True

    for item in range(3):
        seen = item
    else:
        seen = None

    while False:
        pass
    else:
        ended = True

    with open("f") as handle:
        text = handle.read()

    match text:
        case "a":
            import a
        case _:
            import b

    class Tool:
        name = "tool"

        async def run(self) -> None:
            import asyncio
            await asyncio.sleep(0)

        def sync(self): return 1

    async def main() -> None:
        def inner(): import inner_module; x = 1
        client = make_client()
        if x: y = 1; z = 2
    """
)


def _reference_statements(body: cst.CSTNode) -> Iterator[cst.BaseStatement]:
    """The walk `iter_statements` has always made (isinstance against libcst's classes):
    the exact-type version must visit the same statements in the same order."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        inner: object = getattr(node, "body", None)
        if isinstance(node, cst.BaseStatement):
            yield node
        if isinstance(node, cst.SimpleStatementLine):
            continue
        extra: list[cst.CSTNode] = []
        for name in ("orelse", "finalbody"):
            branch = getattr(node, name, None)
            if isinstance(branch, cst.CSTNode):
                extra.append(branch)
        handlers = getattr(node, "handlers", ())
        extra.extend(h for h in handlers if isinstance(h, cst.CSTNode))
        if isinstance(node, cst.Match):
            extra.extend(node.cases)
        if isinstance(inner, cst.CSTNode):
            stack.append(inner)
        elif isinstance(inner, (list, tuple)):
            stack.extend(reversed([n for n in inner if isinstance(n, cst.CSTNode)]))
        stack.extend(reversed(extra))


def test_iter_statements_visits_what_it_always_visited() -> None:
    module = cst.parse_module(SOURCE)
    roots: list[cst.CSTNode] = [module, *module.body]
    roots.extend(s for s in _reference_statements(module) if isinstance(s, cst.FunctionDef))
    for root in roots:
        assert [id(s) for s in iter_statements(root)] == [
            id(s) for s in _reference_statements(root)
        ]


def test_statements_are_each_top_level_statements_own_in_order() -> None:
    module = cst.parse_module(SOURCE)
    facts = ModuleFacts(module)
    assert [id(s) for s in facts.statements] == [id(s) for s in _reference_statements(module)]
    for stmt in module.body:
        assert facts.statements_in(stmt) == tuple(_reference_statements(stmt))


def _counted_walks(monkeypatch: pytest.MonkeyPatch) -> list[cst.CSTNode]:
    walked: list[cst.CSTNode] = []
    real = facts_module.iter_statements

    def counting(body: cst.CSTNode) -> Iterator[cst.BaseStatement]:
        walked.append(body)
        return real(body)

    monkeypatch.setattr(facts_module, "iter_statements", counting)
    return walked


def test_each_top_level_statement_is_walked_once_for_every_fact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = cst.parse_module(SOURCE)
    walked = _counted_walks(monkeypatch)
    facts = ModuleFacts(module, source=SOURCE)
    assert facts.imports["A"] == "typing.Any"
    assert "paths" in facts.imports
    assert facts.imports["a"] == "a"
    assert facts.async_function_names == frozenset({"run", "main"})
    assert facts.statements
    registrations_of(facts)  # its `name = call(...)` bindings read the same walk
    assert sorted(map(id, walked)) == sorted(map(id, module.body))


def test_kept_answers_follow_the_statements_of_each_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The editor keeps `memo` across versions: an unchanged statement is not walked again,
    a replaced one is (its answers are those of the new statement)."""
    module = cst.parse_module(SOURCE)
    first = ModuleFacts(module)
    assert first.imports["os"] == "os"
    assert first.async_function_names == frozenset({"run", "main"})
    old_main = module.body[-1]
    new_main = cst.parse_statement("def main():\n    import subprocess as os\n")
    edited = module.with_changes(body=[*module.body[:-1], new_main])
    walked = _counted_walks(monkeypatch)
    second = ModuleFacts(edited)
    second.memo = first.memo
    assert second.imports["os"] == "subprocess"
    assert second.async_function_names == frozenset({"run"})
    assert walked == [new_main]
    assert second.statements_in(new_main)[0] is new_main
    assert all(s is not old_main for s in second.statements)


def test_a_qualified_name_is_resolved_once_per_expression_and_read_on_every_ask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = cst.parse_module("from time import sleep as nap\nnap(1)\nnap(2)\nos.path.join('a')\n")
    facts = ModuleFacts(module)
    first, second, join = (n.func for n in iter_subtree(module) if type(n) is cst.Call)
    resolved: list[cst.CSTNode | None] = []
    real = facts_module.dotted_name

    def counting(node: cst.BaseExpression | cst.ImportFrom | None) -> str | None:
        resolved.append(node)
        return real(node)

    monkeypatch.setattr(facts_module, "dotted_name", counting)
    assert facts.qualified_name(first) == "time.sleep"
    for expression, answer, head in [
        (first, "time.sleep", "nap"),
        (second, "time.sleep", "nap"),
        (join, "os.path.join", "os"),
        (join, "os.path.join", "os"),
    ]:
        # The engine gives each statement walked its own reads: a kept answer is read too.
        facts.reads = BindingReads()
        assert facts.qualified_name(expression) == answer
        assert facts.reads.names == {head}
    asked = {id(first), id(second), id(join)}  # (not the imports' names, read once)
    assert [id(n) for n in resolved if id(n) in asked] == [id(first), id(second), id(join)]
