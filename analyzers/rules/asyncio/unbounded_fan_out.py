"""AGT505: one concurrent model or tool call per input item, with no limit on how many."""

from __future__ import annotations

import re

import libcst as cst

from agentsense.analyzers.detect.around import mentioned_around
from agentsense.analyzers.detect.async_apis import GATHER, task_group_names, task_group_spawns
from agentsense.analyzers.detect.dataflow import referenced_names
from agentsense.analyzers.detect.functions import method_class_stack
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.detect.tool_dispatch import is_tool_invocation
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

_SPAWNERS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
# What bounds concurrency: a semaphore, a limiter, a batch size, a worker pool.
_LIMIT_WORDS = re.compile(
    r"semaphore|limiter|max_concurren|concurrency|batch|chunk|limit\b|limit_|\[:\s*\w+\s*\]",
    re.IGNORECASE,
)


# Words of a collection of input data (documents, user queries, rows), as opposed to a
# collection the program configures (its guardrails, agents, models, tools).
_DATA_WORDS = re.compile(
    r"doc|text|quer|question|prompt|item|input|record|row|chunk|page|file|url|link|entr"
    r"|sample|example|article|paper|review|comment|email|ticket|product|user|customer"
    r"|passage|sentence|paragraph|line|image|topic|section|request|data|batch|content",
    re.IGNORECASE,
)


def _data_iterable(node: cst.BaseExpression) -> bool:
    """The iterable is named like input data: `docs`, `request.texts`, `self.queries`."""
    name = dotted_name(node)
    if name is None and isinstance(node, cst.Call):
        name = dotted_name(node.func.value) if isinstance(node.func, cst.Attribute) else None
    return name is not None and bool(_DATA_WORDS.search(name.rsplit(".", 1)[-1]))


def _bounded_iterable(node: cst.BaseExpression) -> bool:
    """A literal collection, `range(...)`, or a slice with an upper bound (`items[:10]`)."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return True
    if isinstance(node, cst.Call):
        name = dotted_name(node.func)
        if name == "range":
            return True
        if name in ("enumerate", "zip", "sorted", "reversed", "list", "tuple"):
            return any(_bounded_iterable(a.value) for a in node.args if a.keyword is None)
        return False
    if isinstance(node, cst.Subscript):
        return any(isinstance(e.slice, cst.Slice) and e.slice.upper is not None for e in node.slice)
    return False


# Callables that keep a constant collection constant (`map(str.strip, "a b".split())`).
_DATA_BUILTINS = frozenset(
    {"map", "filter", "sorted", "list", "tuple", "set", "str", "int", "enumerate", "zip"}
)


def _constant_data(value: cst.BaseExpression) -> bool:
    """A value built only from literals (`[...]`, `map(lambda x: x.strip(), "...".split())`):
    fixed data written in the source, however it is reshaped."""
    lambda_params = {
        p.name.value
        for node in iter_subtree(value)
        if isinstance(node, cst.Lambda)
        for p in node.params.params
    }
    has_literal = any(
        isinstance(n, (cst.List, cst.Tuple, cst.Set, cst.SimpleString, cst.ConcatenatedString))
        for n in iter_subtree(value)
    )
    reads = {name.split(".")[0] for name in referenced_names(value)}
    return has_literal and reads - lambda_params <= _DATA_BUILTINS


class UnboundedFanOut(Rule):
    code = "AGT505"
    name = "unbounded-fan-out"
    summary = (
        "One concurrent model or tool call per input item, with no semaphore or limit on "
        "how many run at once."
    )
    rationale = (
        "`asyncio.gather(*(summarize(doc) for doc in docs))` starts every request at once. "
        "With ten documents that is fast; with the thousand a user uploads it is a thousand "
        "simultaneous model calls: the provider answers with 429 rate-limit errors (which "
        "then all retry together), sockets and memory run out, and one failure cancels "
        "nothing while the rest burn tokens. Bound the concurrency: an `asyncio.Semaphore` "
        "acquired around each call, batches of a fixed size, or a worker pool reading a "
        "queue."
    )
    flagged = (
        Flagged(
            """
            import asyncio

            async def summarize_all(llm, documents):
                return await asyncio.gather(*(llm.ainvoke(doc) for doc in documents))
            """,
            line=4,
            column=18,
            message="no semaphore",
        ),
        Flagged(
            """
            import asyncio

            async def summarize(client, doc):
                return await client.chat.completions.create(messages=[{"role": "user", "content": doc}])

            async def summarize_all(client, docs):
                tasks = [asyncio.create_task(summarize(client, d)) for d in docs]
                return await asyncio.gather(*tasks)
            """,
            line=8,
            message="model",
        ),
        Flagged(
            """
            import asyncio

            async def run_all(session, urls):
                async with asyncio.TaskGroup() as group:
                    for url in urls:
                        group.create_task(session.call_tool("fetch", {"url": url}))
            """,
            line=5,
            message="tool",
        ),
    )
    clean = (
        # A semaphore bounds the calls.
        Clean(
            """
            import asyncio

            async def summarize_all(llm, documents):
                semaphore = asyncio.Semaphore(8)

                async def one(doc):
                    async with semaphore:
                        return await llm.ainvoke(doc)

                return await asyncio.gather(*(one(doc) for doc in documents))
            """
        ),
        # A bounded input: a literal list, a slice, `range`.
        Clean(
            """
            import asyncio

            async def compare(llm, question, docs):
                answers = await asyncio.gather(*[llm.ainvoke(p) for p in ("brief", "detailed")])
                first = await asyncio.gather(*(llm.ainvoke(d) for d in docs[:5]))
                votes = await asyncio.gather(*(llm.ainvoke(question) for _ in range(3)))
                return answers, first, votes
            """
        ),
        # Fetches, not model or tool calls.
        Clean(
            """
            import asyncio

            async def fetch_all(http, urls):
                return await asyncio.gather(*(http.get(u) for u in urls))
            """
        ),
        # Batches of a fixed size.
        Clean(
            """
            import asyncio

            async def embed_all(llm, docs, batch_size=16):
                results = []
                for start in range(0, len(docs), batch_size):
                    batch = docs[start : start + batch_size]
                    results += await asyncio.gather(*(llm.ainvoke(d) for d in batch))
                return results
            """
        ),
        # Over what the program configures (its guardrails), not over input data.
        Clean(
            """
            import asyncio

            async def run_guardrails(agent, guardrails, text):
                tasks = [asyncio.create_task(g.run(agent, text)) for g in guardrails]
                return await asyncio.gather(*tasks)
            """
        ),
        # Fixed data written in the source, however reshaped.
        Clean(
            """
            import asyncio

            DOCS = map(lambda d: d.strip(), "first text --- second text".split("---"))

            async def main(llm):
                return await asyncio.gather(*[llm.ainvoke(doc) for doc in DOCS])
            """
        ),
        # A module-level semaphore the callee acquires.
        Clean(
            """
            import asyncio

            LIMIT = asyncio.Semaphore(4)

            async def summarize(llm, doc):
                async with LIMIT:
                    return await llm.ainvoke(doc)

            async def summarize_all(llm, docs):
                return await asyncio.gather(*(summarize(llm, d) for d in docs))
            """
        ),
    )

    def _function_context(self) -> tuple[cst.FunctionDef, tuple[cst.ClassDef, ...]] | None:
        function = self.context.enclosing_function()
        if function is None:
            return None
        ancestors = self.context.ancestors
        index = max(i for i, n in enumerate(ancestors) if n is function)
        return function, method_class_stack(ancestors[:index])

    def _callee(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this module (or `self.` method) that `call` runs."""
        name = (dotted_name(call.func) or "").removeprefix("self.")
        if not name or "." in name:
            return None
        for node in iter_subtree(self.context.module):
            if isinstance(node, cst.FunctionDef) and node.name.value == name:
                return node
        return None

    def _kind(self, call: cst.Call) -> tuple[str, cst.FunctionDef | None] | None:
        """'model' or 'tool' when `call` (or the local function it runs) makes one."""
        if self.context.qualified_name(call.func) in _SPAWNERS and call.args:
            inner = call.args[0].value
            if not isinstance(inner, cst.Call):
                return None
            call = inner
        facts = self.context.facts
        module = self.context.module
        if is_llm_call(call, facts):
            return "model", None
        if is_tool_invocation(call, module):
            return "tool", None
        callee = self._callee(call)
        if callee is None:
            return None
        for node in iter_subtree_no_scopes(callee.body):
            if isinstance(node, cst.Call) and is_llm_call(node, facts):
                return "model", callee
            if isinstance(node, cst.Call) and is_tool_invocation(node, module):
                return "tool", callee
        return None

    def _comprehension_for(
        self, value: cst.BaseExpression, function: cst.FunctionDef
    ) -> cst.ListComp | cst.GeneratorExp | None:
        """The comprehension `*value` spreads: written in place, or bound to a name."""
        if isinstance(value, (cst.ListComp, cst.GeneratorExp)):
            return value
        if isinstance(value, cst.Name):
            found = None
            for node in iter_subtree(function.body):
                if (
                    isinstance(node, cst.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0].target, cst.Name)
                    and node.targets[0].target.value == value.value
                ):
                    if found is not None or not isinstance(node.value, cst.ListComp):
                        return None  # rebound: not sure what it holds
                    found = node.value
            return found
        return None

    def _report(
        self,
        node: cst.CSTNode,
        kind: str,
        callee: cst.FunctionDef | None,
        where: tuple[cst.FunctionDef, tuple[cst.ClassDef, ...]],
        end_node: cst.CSTNode | None = None,
    ) -> None:
        function, classes = where
        extra = () if callee is None else (callee,)
        if mentioned_around(self.context, function, classes, _LIMIT_WORDS, extra):
            return
        if callee is not None and mentioned_around(self.context, callee, (), _LIMIT_WORDS):
            return
        self.report(
            node,
            f"one concurrent {kind} call per input item, with no semaphore or limit: a large "
            "input starts them all at once (rate limits, memory); bound the concurrency with "
            "`asyncio.Semaphore` or batches",
            end_node=end_node,
        )

    def visit_Call(self, node: cst.Call) -> None:
        # Only a starred argument can fan out (`gather(*(f(x) for x in items))`): the name
        # is resolved for those calls alone.
        if not any(arg.star == "*" for arg in node.args):
            return
        if self.context.qualified_name(node.func) not in GATHER:
            return
        where = self._function_context()
        if where is None:
            return
        for arg in node.args:
            if arg.star != "*":
                continue
            comprehension = self._comprehension_for(arg.value, where[0])
            if comprehension is None or not isinstance(comprehension.elt, cst.Call):
                continue
            if comprehension.for_in.inner_for_in is not None:
                continue
            iterable = comprehension.for_in.iter
            if not _data_iterable(iterable) or self._bounded(iterable, where[0]):
                continue
            kind = self._kind(comprehension.elt)
            if kind is not None:
                self._report(node, kind[0], kind[1], where)
                return

    def _bounded(self, iterable: cst.BaseExpression, function: cst.FunctionDef) -> bool:
        """A bounded iterable, or a name bound (once, in the function or at module level)
        to constant data written in the source."""
        if _bounded_iterable(iterable):
            return True
        if type(iterable) is not cst.Name:
            return False
        values: list[cst.BaseExpression] = []
        for node in iter_subtree(function.body):
            if (
                type(node) is cst.Assign
                and len(node.targets) == 1
                and type(node.targets[0].target) is cst.Name
                and node.targets[0].target.value == iterable.value
            ):
                values.append(node.value)
        self.context.facts.note_read(iterable.value)  # its module-level assignments are read
        for stmt in self.context.facts.statements:
            if type(stmt) is cst.SimpleStatementLine:
                for small in stmt.body:
                    if (
                        type(small) is cst.Assign
                        and len(small.targets) == 1
                        and type(small.targets[0].target) is cst.Name
                        and small.targets[0].target.value == iterable.value
                    ):
                        values.append(small.value)
        return len(values) == 1 and (_bounded_iterable(values[0]) or _constant_data(values[0]))

    def visit_For(self, node: cst.For) -> None:
        """`for item in items: group.create_task(call(item))` inside a `TaskGroup`."""
        where = self._function_context()
        if where is None or not _data_iterable(node.iter) or self._bounded(node.iter, where[0]):
            return
        groups: set[str] = set()
        for ancestor in self.context.ancestors:
            if isinstance(ancestor, cst.With):
                groups |= task_group_names(ancestor, self.context)
        if not groups:
            return
        for spawn in task_group_spawns(node.body, groups):
            if spawn.args and isinstance(spawn.args[0].value, cst.Call):
                kind = self._kind(spawn.args[0].value)
                if kind is not None:
                    self._report(node, kind[0], kind[1], where, end_node=node.iter)
                    return
