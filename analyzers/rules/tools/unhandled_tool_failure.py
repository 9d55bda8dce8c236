"""AGT204: a model-chosen tool runs with nothing to catch its failure, so one tool ends the run."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.async_apis import GATHER, task_group_names, task_group_spawns
from agentsense.analyzers.detect.dataflow import referenced_names
from agentsense.analyzers.detect.names import words_of
from agentsense.analyzers.detect.tool_dispatch import (
    RUN_METHODS,
    Lookup,
    is_tool_container,
    is_tool_invocation,
    lookup_of,
    shown_lookup,
)
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes


def _handled(path: list[cst.CSTNode], stop: cst.CSTNode | None) -> bool:
    """Some `try` with an `except` encloses the last node of `path`, below `stop`."""
    for index in range(len(path) - 1, 0, -1):
        node = path[index - 1]
        if node is stop:
            return False
        if isinstance(node, (cst.Try, cst.TryStar)) and path[index] is node.body and node.handlers:
            return True
    return False


# Words of a lookup key that the model chose (`call.name`, `tool_call.function.name`, `action`).
_MODEL_KEY_WORDS = frozenset({"name", "tool", "action", "function", "call", "choice"})


def _runs_callee(call: cst.Call) -> bool:
    """`f(...)` itself, or a run method of it (`tools[name].run(...)`), not `.append(...)`."""
    return type(call.func) is not cst.Attribute or call.func.attr.value in RUN_METHODS


def _model_chosen(lookup: Lookup) -> bool:
    """A tool container looked up by a key named like the model's choice."""
    return is_tool_container(lookup) and bool(
        words_of(referenced_names(lookup.key)) & _MODEL_KEY_WORDS
    )


class UnhandledToolFailure(Rule):
    code = "AGT204"
    name = "unhandled-tool-failure"
    summary = (
        "A model-chosen tool runs with nothing to catch its failure: one failing tool ends "
        "the whole run."
    )
    rationale = (
        "Tools fail all the time: a web page times out, a file is missing, the model passes "
        "an argument the API rejects. When the agent loop calls the chosen tool with no "
        "`try` around it, the first such error escapes the loop and ends the run, losing "
        "the conversation so far, instead of going back to the model as an observation "
        "(`Error: file not found`) that it can recover from. `asyncio.gather` over tool calls "
        "without `return_exceptions=True` (or a `TaskGroup` with no `except*`) does the same "
        "for parallel calls, and cancels the other tools half-way. Catch the tool's errors "
        "where it is dispatched and return them to the model."
    )
    flagged = (
        Flagged(
            """
            def run_agent(llm, tools, messages):
                for _ in range(10):
                    reply = llm.invoke(messages)
                    if not reply.tool_calls:
                        return reply.content
                    for call in reply.tool_calls:
                        result = tools[call.name](**call.args)
                        messages.append({"role": "tool", "content": str(result)})
            """,
            line=7,
            column=22,
            message="`tools[call.name]`",
        ),
        Flagged(
            """
            import asyncio

            async def run_tools(session, tool_calls):
                return await asyncio.gather(
                    *(session.call_tool(c.name, c.arguments) for c in tool_calls)
                )
            """,
            line=4,
            message="return_exceptions=True",
        ),
        Flagged(
            """
            import asyncio

            class Executor:
                async def step(self, calls):
                    async with asyncio.TaskGroup() as group:
                        tasks = [group.create_task(self.tools[c.name].arun(c.args)) for c in calls]
                    return [t.result() for t in tasks]
            """,
            line=5,
            message="TaskGroup",
        ),
        Flagged(
            """
            def loop(self, action_registry, steps):
                for step in steps:
                    fn = action_registry[step.action]
                    step.observation = fn(**step.action_input)
            """,
            line=4,
        ),
    )
    clean = (
        # The seeds' fix: the error goes back to the model as the observation.
        Clean(
            """
            def run_agent(llm, tools, messages):
                for _ in range(10):
                    reply = llm.invoke(messages)
                    for call in reply.tool_calls:
                        try:
                            result = tools[call.name](**call.args)
                        except Exception as exc:
                            result = f"Error: {exc}"
                        messages.append({"role": "tool", "content": str(result)})
            """
        ),
        # Exceptions returned as results; or the gather itself handled.
        Clean(
            """
            import asyncio

            async def run_tools(session, tool_calls):
                return await asyncio.gather(
                    *(session.call_tool(c.name, c.arguments) for c in tool_calls),
                    return_exceptions=True,
                )

            async def run_guarded(session, tool_calls):
                try:
                    return await asyncio.gather(*[session.call_tool(c.name) for c in tool_calls])
                except Exception as exc:
                    return [f"Error: {exc}"]
            """
        ),
        # A wrapper that catches the tool's errors itself.
        Clean(
            """
            import asyncio

            class Executor:
                async def _safe_call_tool(self, call):
                    try:
                        return await self.tools[call.name].arun(call.args)
                    except Exception as exc:
                        return f"Error: {exc}"

                async def step(self, calls):
                    return await asyncio.gather(*(self._safe_call_tool(c) for c in calls))
            """
        ),
        # A dispatch helper outside any loop: its caller decides (precision first).
        Clean(
            """
            def dispatch(tools, name, args):
                return tools[name](**args)
            """
        ),
        # Gathering model calls or fetches, not tools; a static tool name.
        Clean(
            """
            import asyncio

            async def summarize_all(llm, docs, urls, fetch):
                for doc in docs:
                    TOOLS["search"](doc)
                await asyncio.gather(*(fetch(u) for u in urls))
                return await asyncio.gather(*(llm.ainvoke(d) for d in docs))
            """
        ),
        # Not a model-chosen tool run: building tools from config, grouping calls, and a
        # gather over a fixed list of calls the programmer wrote.
        Clean(
            """
            import asyncio

            async def setup(tool_names, calls, tool):
                tools = []
                calls_by_kind = {}
                for tool_name in tool_names:
                    tools.append(TOOL_MAPPING[tool_name]())
                for call in calls:
                    calls_by_kind[call.kind].append(call)
                    tool_cls = TOOL_TYPES.get(call.kind)
                    tool_cls.from_dict(call.config)
                return await asyncio.gather(tool.arun(task_id=1), tool.arun(task_id=2))
            """
        ),
        # A TaskGroup inside `try`/`except*`.
        Clean(
            """
            import asyncio

            async def step(tools, calls):
                try:
                    async with asyncio.TaskGroup() as group:
                        for c in calls:
                            group.create_task(tools[c.name].arun(c.args))
                except* Exception as errors:
                    return [str(e) for e in errors.exceptions]
            """
        ),
    )

    def _path(self) -> list[cst.CSTNode]:
        return list(self.context.path_stack)

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args:
            return  # `TOOLS[name]()` builds a tool; a gather over tool calls has a `*` argument
        # The name is resolved only when it decides something: a gather can be reported
        # only with a starred comprehension; any other call only when it runs a tool.
        starred = any(
            arg.star == "*" and isinstance(arg.value, (cst.GeneratorExp, cst.ListComp))
            for arg in node.args
        )
        if starred and self.context.qualified_name(node.func) in GATHER:
            self._check_gather(node)
            return
        function = self.context.enclosing_function()
        if function is None:
            return
        if not _runs_callee(node):
            return  # `tools[kind].append(x)` is no tool run
        lookup = lookup_of(node.func)
        if lookup is None:
            lookup = self._two_step_lookup(node, function)
        if lookup is None or not _model_chosen(lookup):
            return
        if not starred and self.context.qualified_name(node.func) in GATHER:
            return  # a gather with no starred comprehension (`_check_gather` reports none)
        path = self._path()
        # Inside a loop of this function (the agent loop, or one over the tool calls).
        loops = [n for n in path if isinstance(n, (cst.For, cst.While))]
        function_index = max(i for i, n in enumerate(path) if n is function)
        if not any(path.index(loop) > function_index for loop in loops):
            return
        if _handled(path, function):
            return
        shown = shown_lookup(lookup, self.context.module)
        self.report(
            node,
            f"tool `{shown}` is chosen by the model and called with no `try` around it: one "
            "failing tool ends the whole run; catch its errors and return them to the model",
        )

    def _two_step_lookup(self, call: cst.Call, function: cst.FunctionDef) -> Lookup | None:
        """The lookup bound to `fn` by `fn = TOOLS[name]` in this function, for `fn(...)`."""
        head = call.func.value if type(call.func) is cst.Attribute else call.func
        if not isinstance(head, cst.Name):
            return None
        # The first `name = ...` of the body, from a table built once per function.
        assign = self.context.index.first_assignments(function.body).get(head.value)
        return lookup_of(assign.value) if assign is not None else None

    def _tool_calls_in(self, node: cst.CSTNode) -> bool:
        return any(
            isinstance(n, cst.Call) and is_tool_invocation(n, self.context.module)
            for n in iter_subtree_no_scopes(node)
        )

    def _check_gather(self, node: cst.Call) -> None:
        for arg in node.args:
            if (
                arg.keyword is not None
                and arg.keyword.value == "return_exceptions"
                and not (isinstance(arg.value, cst.Name) and arg.value.value == "False")
            ):
                return
        # Over calls the model chose (`*(run(c) for c in tool_calls)`), not a fixed list.
        if not any(
            arg.star == "*"
            and isinstance(arg.value, (cst.GeneratorExp, cst.ListComp))
            and self._tool_calls_in(arg.value.elt)
            for arg in node.args
        ):
            return
        if _handled(self._path(), self.context.enclosing_function()):
            return
        self.report(
            node,
            "`asyncio.gather` over tool calls without `return_exceptions=True`: the first "
            "failing tool raises out of the gather and the other results are lost; pass "
            "`return_exceptions=True` and report each failure to the model",
        )

    def visit_With(self, node: cst.With) -> None:
        groups = task_group_names(node, self.context)
        if not groups:
            return
        spawns_tools = any(
            self._tool_calls_in(arg.value)
            for spawn in task_group_spawns(node.body, groups)
            for arg in spawn.args
        )
        if not spawns_tools or _handled(self._path(), self.context.enclosing_function()):
            return
        self.report(
            node,
            "`TaskGroup` runs tool calls with no `except*` around it: one failing tool "
            "cancels the others and ends the run; catch the errors inside each task or "
            "around the group",
            end_node=node.items[-1],
        )
