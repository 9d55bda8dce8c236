"""AGT503: `asyncio.get_event_loop()` inside a coroutine, where `get_running_loop()` is meant."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.async_apis import (
    ScopeIndex,
    asyncio_reference,
    in_assertion,
    in_expected_failure,
)
from agentsense.analyzers.detect.name_gates import may_resolve_among
from agentsense.analyzers.rule import AddImport, Clean, FixPlan, Flagged, Replace, Rule

GET_EVENT_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
GET_RUNNING_LOOP = frozenset({"asyncio.get_running_loop", "asyncio.events.get_running_loop"})


class GetEventLoopInCoroutine(Rule):
    code = "AGT503"
    name = "get-event-loop-in-coroutine"
    summary = "`asyncio.get_event_loop()` inside `async def`: use `asyncio.get_running_loop()`."
    rationale = (
        "Inside a coroutine a loop is always running, and `asyncio.get_running_loop()` says "
        "so: it returns that loop or raises. `get_event_loop()` is deprecated for this use and "
        "its fallback policy behaviour (creating or returning a loop that is not running, a "
        "DeprecationWarning, a RuntimeError on Python 3.14 when none is set) hides the bug when "
        "the same helper is later called from a thread or from synchronous agent code. Inside "
        "`async def` the two return the same loop, so the change is safe."
    )
    fix_description = "Safe: call `asyncio.get_running_loop()` instead (same alias)."
    flagged = (
        Flagged(
            """
            import asyncio

            async def call_tool(tool, args):
                loop = asyncio.get_event_loop()
                return await loop.run_in_executor(None, tool, args)
            """,
            line=4,
            column=12,
            message="get_running_loop",
            fixed="""
            import asyncio

            async def call_tool(tool, args):
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(None, tool, args)
            """,
        ),
        Flagged(
            """
            import asyncio as aio

            class Agent:
                async def run(self):
                    started = aio.get_event_loop().time()
                    return started
            """,
            line=5,
            fixed="""
            import asyncio as aio

            class Agent:
                async def run(self):
                    started = aio.get_running_loop().time()
                    return started
            """,
        ),
        Flagged(
            """
            from asyncio import get_event_loop

            async def stream(agent):
                loop = get_event_loop()
                future = loop.create_future()
                agent.on_done(future.set_result)
                return await future
            """,
            line=4,
            fixed="""
            from asyncio import get_event_loop
            import asyncio

            async def stream(agent):
                loop = asyncio.get_running_loop()
                future = loop.create_future()
                agent.on_done(future.set_result)
                return await future
            """,
        ),
        Flagged(
            # `import asyncio` local to the function (and a nested coroutine).
            """
            def start_bot(app):
                import asyncio

                async def on_message(event):
                    loop = asyncio.get_event_loop()
                    return await loop.run_in_executor(None, app.handle, event)

                return on_message
            """,
            line=5,
            message="get_running_loop",
            fixed="""
            def start_bot(app):
                import asyncio

                async def on_message(event):
                    loop = asyncio.get_running_loop()
                    return await loop.run_in_executor(None, app.handle, event)

                return on_message
            """,
        ),
    )
    clean = (
        # A local name `asyncio` that is not the module.
        Clean(
            """
            async def run(loops):
                import trio as asyncio

                return asyncio.get_event_loop()

            async def other(asyncio):
                return asyncio.get_event_loop()
            """
        ),
        # The fixed version.
        Clean(
            """
            import asyncio

            async def call_tool(tool, args):
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(None, tool, args)
            """
        ),
        # Synchronous code may still ask for the policy's loop.
        Clean(
            """
            import asyncio

            def main():
                loop = asyncio.get_event_loop()
                loop.run_until_complete(run())
            """
        ),
        # A sync callback defined inside a coroutine runs wherever it is called.
        Clean(
            """
            import asyncio

            async def schedule(pool):
                def on_done(_):
                    asyncio.get_event_loop().stop()
                pool.submit(lambda: asyncio.get_event_loop()).add_done_callback(on_done)
            """
        ),
        # Someone else's `get_event_loop`.
        Clean(
            """
            from trio_compat import get_event_loop

            async def run():
                return get_event_loop()
            """
        ),
        # Tests of `get_event_loop` itself.
        Clean(
            """
            import asyncio

            async def check(test, loop):
                test.assertIs(asyncio.get_event_loop(), loop)
                assert asyncio.get_event_loop() is loop
            """
        ),
    )

    @property
    def scopes(self) -> ScopeIndex:
        return self.context.shared(ScopeIndex)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute:
            # A method call resolves to a name ending in its attribute (imports rename only
            # the head): any other method is not `get_event_loop`, with no scope walk.
            if func.attr.value != "get_event_loop":
                return
        elif type(func) is not cst.Name:
            return
        if not self.context.in_async_function():
            return
        if not may_resolve_among(self.context, func, GET_EVENT_LOOP):
            return  # no import can make it `get_event_loop`: no scope walk
        if self.scopes.qualified_among(func, GET_EVENT_LOOP) is None:
            return
        # Tests of `get_event_loop` itself check what it returns or raises.
        ancestors = self.context.ancestors
        if in_assertion(ancestors) or in_expected_failure(ancestors):
            return
        self.report(
            node,
            "`asyncio.get_event_loop()` inside `async def`: use `asyncio.get_running_loop()`",
            fix=self._fix(func),
        )

    def _fix(self, func: cst.Name | cst.Attribute) -> FixPlan | None:
        title = "Use `asyncio.get_running_loop()`"
        if isinstance(func, cst.Attribute):
            # `asyncio.get_event_loop` / `aio.get_event_loop`: keep the module alias.
            return FixPlan(title, (Replace(func.attr, cst.Name("get_running_loop")),))
        # `from asyncio import get_event_loop`: reuse an imported `get_running_loop` if any.
        for local, qualified in sorted(self.context.facts.imports.items()):
            if qualified in GET_RUNNING_LOOP and not self.scopes.locally_bound(local):
                return FixPlan(title, (Replace(func, cst.Name(local)),))
        reference = asyncio_reference(self.context, self.scopes)
        if reference is None:
            return None
        module, needs_import = reference
        new = cst.Attribute(value=cst.Name(module), attr=cst.Name("get_running_loop"))
        changes: tuple[Replace | AddImport, ...] = (Replace(func, new),)
        if needs_import:
            changes = (*changes, AddImport("asyncio"))
        return FixPlan(title, changes)
