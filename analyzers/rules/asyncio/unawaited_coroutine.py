"""AGT504: a coroutine function called as a statement without `await`, so it never runs."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from agentsense.analyzers.detect.async_apis import (
    ASYNC_HTTP_CLIENTS,
    ASYNC_LLM_CLIENTS,
    KNOWN_ASYNC_FUNCTIONS,
    ScopeIndex,
    in_expected_failure,
    is_plain_coroutine_function,
)
from agentsense.analyzers.detect.name_gates import may_resolve_among
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext

_ASYNC_HTTP_CLASSES = frozenset(ASYNC_HTTP_CLIENTS)
_ASYNC_HTTP_METHODS = frozenset().union(*ASYNC_HTTP_CLIENTS.values())
# The last part of each known coroutine function's name (`sleep`, `gather`).
_KNOWN_LAST_PARTS = frozenset(name.rpartition(".")[2] for name in KNOWN_ASYNC_FUNCTIONS)
# `async def name` as written (a line continuation may split it; no comment can).
_ASYNC_DEF = re.compile(r"async[\s\\]+def[\s\\]+(\w+)")


def _written_async_defs(context: FileContext) -> frozenset[str]:
    """The names after `async def` anywhere in the source text: every name of
    `facts.async_function_names` and maybe more (in strings and comments). One regex pass
    per file instead of the statement walk, for the many files whose calls name none."""
    return frozenset(_ASYNC_DEF.findall(context.source))


# Bases that define no ordinary methods an agent class would call on itself.
_IGNORED_BASES = frozenset({"object", "abc.ABC", "typing.Generic", "typing.Protocol"})


class UnawaitedCoroutine(Rule):
    code = "AGT504"
    name = "unawaited-coroutine"
    summary = "A coroutine is created and dropped without `await`: the call never runs."
    rationale = (
        "Calling an `async def` only creates a coroutine object; nothing runs until it is "
        "awaited. A statement like `self.save_memory(state)` or `client.post(url, json=...)` "
        "without `await` does nothing at all: the memory is not saved, the webhook is not "
        "sent, the tool result is never produced, and the only trace is a "
        "'coroutine ... was never awaited' RuntimeWarning that is easy to miss in agent logs. "
        "Await the call, or schedule it on purpose with `asyncio.create_task` and keep the task."
    )
    fix_description = (
        "Safe: add `await` when the call is inside `async def`; in synchronous code there is "
        "no fix (await it from an async caller or run it with `asyncio.run`)."
    )
    flagged = (
        Flagged(
            """
            async def save_memory(state):
                ...

            async def step(state):
                save_memory(state)
                return state
            """,
            line=5,
            column=5,
            message="save_memory",
            fixed="""
            async def save_memory(state):
                ...

            async def step(state):
                await save_memory(state)
                return state
            """,
        ),
        Flagged(
            """
            class Agent:
                async def reflect(self) -> None:
                    ...

                async def run(self, task: str) -> None:
                    self.reflect()
            """,
            line=6,
            message="self.reflect",
            fixed="""
            class Agent:
                async def reflect(self) -> None:
                    ...

                async def run(self, task: str) -> None:
                    await self.reflect()
            """,
        ),
        Flagged(
            """
            import asyncio

            async def main():
                ...

            if __name__ == "__main__":
                main()
            """,
            line=7,
            message="asyncio.run",
        ),
        Flagged(
            """
            import asyncio
            import httpx

            async def notify(url, payload):
                async with httpx.AsyncClient() as client:
                    client.post(url, json=payload)
                asyncio.sleep(1)
            """,
            line=6,
            count=2,
            message="client.post",
            fixed="""
            import asyncio
            import httpx

            async def notify(url, payload):
                async with httpx.AsyncClient() as client:
                    await client.post(url, json=payload)
                await asyncio.sleep(1)
            """,
        ),
        Flagged(
            """
            from typing import Generic, TypeVar

            T = TypeVar("T")

            class BaseAgent(Generic[T]):
                async def run(self, task: T) -> None:
                    ...

            class Planner(BaseAgent[str]):
                pass

            def main() -> None:
                planner = Planner()
                planner.run("plan a trip")
            """,
            line=14,
            message="planner.run",
        ),
        Flagged(
            """
            from anthropic import AsyncAnthropic

            llm = AsyncAnthropic()

            async def warm_up():
                llm.messages.create(model="claude", max_tokens=1, messages=[])
            """,
            line=6,
            message="llm.messages.create",
            fixed="""
            from anthropic import AsyncAnthropic

            llm = AsyncAnthropic()

            async def warm_up():
                await llm.messages.create(model="claude", max_tokens=1, messages=[])
            """,
        ),
    )
    clean = (
        # The fixed version.
        Clean(
            """
            async def save_memory(state):
                ...

            async def step(state):
                await save_memory(state)
                return state
            """
        ),
        # Scheduled, gathered, returned, run: all hand the coroutine to someone who awaits it.
        Clean(
            """
            import asyncio

            async def fetch(url):
                ...

            async def crawl(urls):
                task = asyncio.create_task(fetch(urls[0]))
                await asyncio.gather(*(fetch(u) for u in urls[1:]))
                await task
                return fetch("https://example.com")

            def main():
                asyncio.run(crawl(["https://a.example"]))
            """
        ),
        # A sync method with the same name as another class's async method.
        Clean(
            """
            class Memory:
                async def save(self, item):
                    ...

            class AuditLog:
                def save(self, item):
                    print(item)

            def record(log: AuditLog, item):
                log.save(item)
            """
        ),
        # A sync helper of the same name shadows the module's async def.
        Clean(
            """
            async def fetch():
                ...

            def run():
                def fetch():
                    return 1
                fetch()
            """
        ),
        # The method name is async somewhere in the module, but not on this receiver: a
        # dict's `clear`, and a sync base class (in another module) calling its own hook.
        Clean(
            """
            from tracing import TracerCore

            class Cache:
                def __init__(self):
                    self._entries = {}

                async def clear(self) -> None:
                    self._entries.clear()

            class Tracer(TracerCore):
                def on_llm_end(self, run):
                    self._on_llm_end(run)

            class AsyncTracer(TracerCore):
                async def _on_llm_end(self, run):
                    ...
            """
        ),
        # An async generator is not a coroutine; a decorator may wrap the coroutine.
        Clean(
            """
            import functools

            async def events():
                yield 1

            @functools.lru_cache
            async def cached():
                ...

            def main():
                events()
                cached()
            """
        ),
        # Tests that expect an error or the "never awaited" warning.
        Clean(
            """
            import asyncio
            import pytest

            async def fetch(url):
                ...

            def test_misuse():
                with pytest.raises(TypeError):
                    fetch(link="x")
                with pytest.warns(RuntimeWarning, match="never awaited"):
                    fetch("x")
                with pytest.raises(RuntimeError, match="no current event loop"):
                    asyncio.gather()
            """
        ),
    )

    @property
    def scopes(self) -> ScopeIndex:
        return self.context.shared(ScopeIndex)

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if type(call) is not cst.Call:
            return
        found = self._awaitable(call.func)
        # Tests that expect the call to raise, or to warn "never awaited", do it on purpose.
        if found is None or in_expected_failure(self.context.ancestors):
            return
        label, is_gather = found
        in_async = self.context.in_async_function()
        if is_gather:
            message = f"`{label}(...)` is never awaited: its results and errors are lost"
        else:
            message = f"`{label}(...)` creates a coroutine that is never awaited, so it never runs"
        if in_async:
            self.report(
                call,
                f"{message}: add `await`",
                fix=FixPlan("Add `await`", (Replace(call, cst.Await(expression=call)),)),
            )
        else:
            self.report(
                call,
                f"{message}: make the caller `async def` and `await` it, "
                "or run it with `asyncio.run(...)`",
            )

    def _awaitable(self, func: cst.BaseExpression) -> tuple[str, bool] | None:
        """(label, is_gather) when calling `func` returns an awaitable, else None."""
        label = dotted_name(func)
        if type(func) is cst.Name:
            if may_resolve_among(self.context, func, KNOWN_ASYNC_FUNCTIONS):
                qualified = self.scopes.qualified_among(func, KNOWN_ASYNC_FUNCTIONS)
                if qualified is not None:
                    return func.value, qualified == "asyncio.gather"
            if self._async_def_named(func.value) and self._local_coroutine(func.value):
                return func.value, False
            return None
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        label = label or method
        # A method call resolves to a name ending in its attribute (imports rename only the
        # head): resolved only when that ends a known coroutine function's name.
        if method in _KNOWN_LAST_PARTS and may_resolve_among(
            self.context, func, KNOWN_ASYNC_FUNCTIONS
        ):
            qualified = self.scopes.qualified_among(func, KNOWN_ASYNC_FUNCTIONS)
            if qualified is not None:
                return label, qualified == "asyncio.gather"
        if method in _ASYNC_HTTP_METHODS:
            client = self.scopes.instance_class(func.value, _ASYNC_HTTP_CLASSES)
            if client is not None and method in ASYNC_HTTP_CLIENTS[client]:
                return label, False
        if method == "create":
            receiver = func.value
            while isinstance(receiver, cst.Attribute):
                receiver = receiver.value
                if self.scopes.instance_class(receiver, ASYNC_LLM_CLIENTS) is not None:
                    return label, False
        if self._async_def_named(method) and self._async_method(func):
            return label, False
        return None

    def _async_def_named(self, name: str) -> bool:
        """Whether some `async def` of this file is named `name` (the text first)."""
        return (
            name in self.context.shared(_written_async_defs)
            and name in self.context.facts.async_function_names
        )

    def _local_coroutine(self, name: str) -> bool:
        """`name` resolves, in the enclosing scopes, only to plain `async def`s."""
        found = self.scopes.lookup(name)
        if found is None:
            return False
        return all(
            b.kind == "def"
            and isinstance(b.node, cst.FunctionDef)
            and is_plain_coroutine_function(b.node, self.context)
            for b in found[1]
        )

    def _async_method(self, func: cst.Attribute) -> bool:
        """A method that is an `async def` of the receiver's class, when that class is known.

        The class is known for `self` in a method of a class of this module, and for a name
        or `self.attr` bound only to `SomeClass(...)` of a class of this module. A method
        name alone proves nothing: another class (here or in another module) may define a
        sync method of the same name.
        """
        method = func.attr.value
        receiver = func.value
        enclosing = self.scopes.enclosing_method()
        if (
            enclosing is not None
            and isinstance(receiver, cst.Name)
            and receiver.value == _first_param_name(enclosing[0])
        ):
            return self._class_coroutine(enclosing[1], method, depth=0)
        local_classes = self._local_classes
        if not local_classes:
            return False
        qualified = self.scopes.instance_class(receiver, frozenset(local_classes))
        if qualified is None:
            return False
        return self._class_coroutine(local_classes[qualified], method, depth=0)

    @cached_property
    def _local_classes(self) -> dict[str, cst.ClassDef]:
        """Module-level classes by the qualified name `qualified_name` gives their uses."""
        return {
            f"<local>.{s.name.value}": s
            for s in self.context.module.body
            if isinstance(s, cst.ClassDef)
        }

    def _class_coroutine(self, class_def: cst.ClassDef, method: str, depth: int) -> bool:
        """Whether `method`, looked up from `class_def` through bases of this module, is only
        a plain `async def`; False when it is not found or a base is not known."""
        if _class_binds(class_def, method) or depth > 8:
            return False
        defined = _class_defs(class_def, method)
        if defined:
            return all(is_plain_coroutine_function(d, self.context) for d in defined)
        for base in class_def.bases:
            if base.keyword is not None:
                continue
            base_expr = base.value
            if isinstance(base_expr, cst.Subscript):  # `Generic[T]`, `Base[int]`
                base_expr = base_expr.value
            qualified = self.context.qualified_name(base_expr)
            if qualified in _IGNORED_BASES:
                continue
            base_def = self._local_classes.get(qualified or "")
            # An unknown base may define the method, sync, ahead of any later base.
            return base_def is not None and self._class_coroutine(base_def, method, depth + 1)
        return False


def _first_param_name(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _class_defs(class_def: cst.ClassDef, name: str) -> list[cst.FunctionDef]:
    body = class_def.body.body if isinstance(class_def.body, cst.IndentedBlock) else ()
    return [s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == name]


def _class_binds(class_def: cst.ClassDef, name: str) -> bool:
    """Whether the class body binds `name` other than by `def` (an assignment, a nested class)."""
    body = class_def.body.body if isinstance(class_def.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.ClassDef) and stmt.name.value == name:
            return True
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    targets = [small.target]
                if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                    return True
    return False
