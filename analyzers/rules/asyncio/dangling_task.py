"""AGT502: a task created with `create_task`/`ensure_future` whose reference is thrown away."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.async_apis import (
    LOOP_FACTORIES,
    TASK_SPAWNERS,
    ScopeIndex,
    asyncio_reference,
    in_expected_failure,
)
from agentsense.analyzers.detect.flow import is_docstring
from agentsense.analyzers.detect.name_gates import may_resolve_among
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import (
    AddImport,
    Clean,
    FixPlan,
    Flagged,
    InsertStatements,
    Replace,
    Rule,
)
from agentsense.analyzers.walk import iter_subtree

TASK_SET = "_background_tasks"
# The last part of each task spawner's name (`create_task`, `ensure_future`).
_SPAWNER_LAST_PARTS = frozenset(name.rpartition(".")[2] for name in TASK_SPAWNERS)


def _is_loop_name(name: str) -> bool:
    """`loop`, `_loop`, `event_loop`, `self._loop`: the names event loops go by."""
    return name.lstrip("_") == "loop" or name.endswith("_loop")


def _is_leading_import(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


class DanglingTask(Rule):
    code = "AGT502"
    name = "dangling-task"
    summary = "A task whose reference is discarded can be garbage-collected mid-flight."
    rationale = (
        "The event loop keeps only a weak reference to tasks. A fire-and-forget "
        "`asyncio.create_task(save_memory(...))` whose result is dropped can be "
        "garbage-collected before it finishes, so the tool call, the memory write or the "
        "telemetry upload silently never completes; and nobody ever retrieves its exception, "
        "so a failing background step only shows up as 'Task exception was never retrieved' "
        "at shutdown, if at all. Keep a reference until the task is done (a set plus "
        "`add_done_callback(set.discard)`), await it, or use an `asyncio.TaskGroup`."
    )
    fix_description = (
        "Unsafe: keep the task in a module-level `_background_tasks` set (added when absent) "
        "and discard it when done with `task.add_done_callback(_background_tasks.discard)`."
    )
    flagged = (
        Flagged(
            """
            import asyncio

            async def handle(message, memory):
                asyncio.create_task(memory.save(message))  # fire and forget
                return "ok"
            """,
            line=4,
            column=5,
            message="asyncio.create_task",
            fixed="""
            import asyncio

            _background_tasks: set[asyncio.Task[object]] = set()

            async def handle(message, memory):
                task = asyncio.create_task(memory.save(message))  # fire and forget
                _background_tasks.add(task)
                task.add_done_callback(_background_tasks.discard)
                return "ok"
            """,
        ),
        Flagged(
            """
            import asyncio

            class Agent:
                def on_event(self, event, task):
                    loop = asyncio.get_running_loop()
                    loop.create_task(self.process(event, task))
            """,
            line=6,
            message="loop.create_task",
            fixed="""
            import asyncio

            _background_tasks: set[asyncio.Task[object]] = set()

            class Agent:
                def on_event(self, event, task):
                    loop = asyncio.get_running_loop()
                    task_1 = loop.create_task(self.process(event, task))
                    _background_tasks.add(task_1)
                    task_1.add_done_callback(_background_tasks.discard)
            """,
        ),
        Flagged(
            """
            from asyncio import ensure_future

            async def notify(webhook, payload):
                if payload:
                    ensure_future(webhook.send(payload))
            """,
            line=5,
            message="asyncio.ensure_future",
            fixed="""
            from asyncio import ensure_future
            import asyncio

            _background_tasks: set[asyncio.Task[object]] = set()

            async def notify(webhook, payload):
                if payload:
                    task = ensure_future(webhook.send(payload))
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
            """,
        ),
        Flagged(
            """
            import asyncio

            class Server:
                async def start(self):
                    self._loop.create_task(self.serve())
            """,
            line=5,
            message="create_task",
            fixed="""
            import asyncio

            _background_tasks: set[asyncio.Task[object]] = set()

            class Server:
                async def start(self):
                    task = self._loop.create_task(self.serve())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
            """,
        ),
    )
    clean = (
        # The fixed version: the task is kept until it is done.
        Clean(
            """
            import asyncio

            _background_tasks: set[asyncio.Task[object]] = set()

            async def handle(message, memory):
                task = asyncio.create_task(memory.save(message))
                _background_tasks.add(task)
                task.add_done_callback(_background_tasks.discard)
            """
        ),
        # Stored, awaited, gathered.
        Clean(
            """
            import asyncio

            async def run(agent, tools):
                self_task = asyncio.create_task(agent.think())
                results = await asyncio.gather(*(asyncio.create_task(t()) for t in tools))
                await asyncio.create_task(agent.reflect())
                return await self_task, results
            """
        ),
        # A TaskGroup keeps references to its tasks and awaits them.
        Clean(
            """
            import asyncio

            async def run_tools(calls):
                async with asyncio.TaskGroup() as tg:
                    for call in calls:
                        tg.create_task(call())
            """
        ),
        # `create_task` on something that is not an event loop.
        Clean(
            """
            async def plan(scheduler, job):
                scheduler.create_task(job)
            """
        ),
        # A test that expects the call to fail creates no task.
        Clean(
            """
            import asyncio
            import unittest

            class TestTasks(unittest.TestCase):
                def test_no_loop(self):
                    coro = work()
                    with self.assertRaisesRegex(RuntimeError, "no current event loop"):
                        asyncio.ensure_future(coro)
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
        label = self._spawner(call.func)
        # Tests that expect the call to fail (`with pytest.raises(...)`) create no task.
        if label is None or in_expected_failure(self.context.ancestors):
            return
        self.report(
            call,
            f"the task from `{label}(...)` is not stored: it can be garbage-collected before "
            "it finishes and its exception is never seen",
            fix=self._fix(call),
        )

    def _spawner(self, func: cst.BaseExpression) -> str | None:
        """`asyncio.create_task` / `loop.create_task` when `func` spawns a task, else None."""
        # A method call resolves to a name ending in its attribute (imports rename only the
        # head): resolved only when that ends a spawner's name.
        if (
            type(func) is not cst.Attribute or func.attr.value in _SPAWNER_LAST_PARTS
        ) and may_resolve_among(self.context, func, TASK_SPAWNERS):
            qualified = self.scopes.qualified_among(func, TASK_SPAWNERS)
            if qualified is not None:
                return qualified
        if type(func) is not cst.Attribute or func.attr.value != "create_task":
            return None
        receiver = func.value
        if isinstance(receiver, cst.Call):
            # `asyncio.get_running_loop().create_task(...)`
            factory = self.scopes.qualified_among(receiver.func, LOOP_FACTORIES)
            return "loop.create_task" if factory is not None else None
        if self.scopes.instance_class(receiver, LOOP_FACTORIES) is not None:
            return "loop.create_task"
        name = dotted_name(receiver)
        if name is not None and _is_loop_name(name.split(".")[-1]):
            return f"{name}.create_task"
        return None

    def _fix(self, call: cst.Call) -> FixPlan | None:
        """Keep the task in a module-level set until it is done."""
        ancestors = self.context.ancestors
        if len(ancestors) < 2:
            return None
        line, block = ancestors[-1], ancestors[-2]
        if not (
            isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1
            and isinstance(block, cst.IndentedBlock)
        ):
            return None
        function = self.context.enclosing_function()
        if function is None or self.scopes.locally_bound(TASK_SET):
            return None
        reference = asyncio_reference(self.context, self.scopes)
        if reference is None:
            return None
        module_name, needs_import = reference
        used = {n.value for n in iter_subtree(function) if isinstance(n, cst.Name)}
        task = "task"
        counter = 0
        while task in used:
            counter += 1
            task = f"task_{counter}"
        statements: list[cst.BaseStatement] = [
            line.with_changes(
                body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(task))], value=call)]
            ),
            cst.parse_statement(f"{TASK_SET}.add({task})\n"),
            cst.parse_statement(f"{task}.add_done_callback({TASK_SET}.discard)\n"),
        ]
        index = next((i for i, s in enumerate(block.body) if s is line), None)
        if index is None:
            return None
        new_block = block.with_changes(
            body=[*block.body[:index], *statements, *block.body[index + 1 :]]
        )
        changes: list[Replace | InsertStatements | AddImport] = [Replace(block, new_block)]
        if needs_import:
            changes.append(AddImport("asyncio"))
        if TASK_SET not in self.context.facts.local_definitions:
            changes.append(InsertStatements(self._task_set_code(module_name, needs_import)))
        return FixPlan(
            f"Keep a reference to the task in `{TASK_SET}`",
            tuple(changes),
            Applicability.UNSAFE,
        )

    def _task_set_code(self, module_name: str, needs_import: bool) -> str:
        body = self.context.module.body
        leading = 0
        while leading < len(body) and (
            _is_leading_import(body[leading]) or (leading == 0 and is_docstring(body[0]))
        ):
            leading += 1
        # Module annotations are evaluated at import: `asyncio` must be bound by then.
        bound_before = needs_import or any(
            module_name in _bound_names(stmt) for stmt in body[:leading]
        )
        element = f"{module_name}.Task[object]"
        annotation = f"set[{element}]" if bound_before else f'"set[{element}]"'
        separator = "\n" if leading or needs_import else ""
        return f"{separator}{TASK_SET}: {annotation} = set()\n"


def _bound_names(stmt: cst.BaseStatement) -> set[str]:
    names: set[str] = set()
    if not isinstance(stmt, cst.SimpleStatementLine):
        return names
    for small in stmt.body:
        if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(
            small.names, cst.ImportStar
        ):
            for alias in small.names:
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    names.add(alias.asname.name.value)
                elif isinstance(small, cst.Import):
                    names.add((dotted_name(alias.name) or "").split(".")[0])
                else:
                    names.add(dotted_name(alias.name) or "")
    return names
