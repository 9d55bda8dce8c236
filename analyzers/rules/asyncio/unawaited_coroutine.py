"""AGT504: a coroutine function called as a statement without `await`, so it never runs."""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from analyzers.context import FileContext
from analyzers.detect.async_apis import (
    ASYNC_HTTP_CLIENTS,
    ASYNC_LLM_CLIENTS,
    KNOWN_ASYNC_FUNCTIONS,
    ScopeIndex,
    is_plain_coroutine_function,
)
from analyzers.facts import dotted_name
from analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule, RuleOptions

_ASYNC_HTTP_CLASSES = frozenset(ASYNC_HTTP_CLIENTS)


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
    )

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        super().__init__(context, options)
        self._scopes: ScopeIndex | None = None

    @property
    def scopes(self) -> ScopeIndex:
        if self._scopes is None:
            self._scopes = ScopeIndex(self.context)
        return self._scopes

    @cached_property
    def _defs_by_name(self) -> dict[str, list[cst.FunctionDef]]:
        table: dict[str, list[cst.FunctionDef]] = {}
        for stmt in self.context.facts.statements:
            if isinstance(stmt, cst.FunctionDef):
                table.setdefault(stmt.name.value, []).append(stmt)
        return table

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        found = self._awaitable(call.func)
        if found is None:
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
        if isinstance(func, cst.Name):
            qualified = self.scopes.global_qualified_name(func)
            if qualified in KNOWN_ASYNC_FUNCTIONS:
                return func.value, qualified == "asyncio.gather"
            if func.value in self.context.facts.async_function_names and self._local_coroutine(
                func.value
            ):
                return func.value, False
            return None
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        label = label or method
        if label != method:
            qualified = self.scopes.global_qualified_name(func)
            if qualified in KNOWN_ASYNC_FUNCTIONS:
                return label, qualified == "asyncio.gather"
        client = self.scopes.instance_class(func.value, _ASYNC_HTTP_CLASSES)
        if client is not None and method in ASYNC_HTTP_CLIENTS[client]:
            return label, False
        if method == "create":
            receiver = func.value
            while isinstance(receiver, cst.Attribute):
                receiver = receiver.value
                if self.scopes.instance_class(receiver, ASYNC_LLM_CLIENTS) is not None:
                    return label, False
        if method in self.context.facts.async_function_names and self._async_method(func):
            return label, False
        return None

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
        """An async method of the enclosing class called on `self`, or a method name that is
        only ever an `async def` in this module (called on something that is not a module)."""
        method = func.attr.value
        receiver = func.value
        enclosing = self.scopes.enclosing_method()
        if (
            enclosing is not None
            and isinstance(receiver, cst.Name)
            and receiver.value == _first_param_name(enclosing[0])
        ):
            defined = _class_defs(enclosing[1], method)
            if defined:
                return all(is_plain_coroutine_function(d, self.context) for d in defined)
        root = receiver
        while isinstance(root, cst.Attribute):
            root = root.value
        if (
            isinstance(root, cst.Name)
            and root.value in self.context.facts.imports
            and not self.scopes.locally_bound(root.value)
        ):
            return False  # `tools.fetch()` after `import tools`: another module's function
        return self._unique_async_name(method)

    def _unique_async_name(self, method: str) -> bool:
        defs = self._defs_by_name.get(method, [])
        return bool(defs) and all(is_plain_coroutine_function(d, self.context) for d in defs)


def _first_param_name(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _class_defs(class_def: cst.ClassDef, name: str) -> list[cst.FunctionDef]:
    body = class_def.body.body if isinstance(class_def.body, cst.IndentedBlock) else ()
    return [s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == name]
