"""AGT605: an HTTP or model request in agent code that can wait forever."""

from __future__ import annotations

import re

import libcst as cst

from agentsense.analyzers.detect.around import mentioned_around
from agentsense.analyzers.detect.async_apis import (
    ASYNC_LLM_CLIENTS,
    HTTP_METHODS,
    SYNC_LLM_CLIENTS,
)
from agentsense.analyzers.detect.functions import (
    is_agent_step,
    is_tool_function,
    method_class_stack,
)
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes

# `requests` functions: no timeout unless one is passed (they wait forever by default).
_REQUESTS_FUNCTIONS = frozenset(f"requests.{method}" for method in HTTP_METHODS)
# Constructors and functions where `timeout=None` switches off a default timeout.
_TIMEOUT_NONE_CALLS = (
    SYNC_LLM_CLIENTS
    | ASYNC_LLM_CLIENTS
    | frozenset(f"httpx.{method}" for method in HTTP_METHODS | {"stream"})
    | frozenset({"httpx.Client", "httpx.AsyncClient", "aiohttp.ClientTimeout"})
)
# The last part of each name checked above (`post`, `OpenAI`, `ClientTimeout`).
_CHECKED_LAST_PARTS = frozenset(
    name.rpartition(".")[2] for name in _REQUESTS_FUNCTIONS | _TIMEOUT_NONE_CALLS
)
# Class and function names that make code part of an agent.
_AGENT_NAMES = re.compile(r"agent|assistant|tool|react|planner|executor", re.IGNORECASE)
# Anything in the code around a call that bounds how long it may take.
_TIMEOUT_WORDS = re.compile(r"timeout|deadline|fail_after|move_on_after|wait_for", re.IGNORECASE)
_DEFAULT_TIMEOUT = "30"


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _with_timeout(call: cst.Call) -> cst.Call:
    arg = cst.Arg(
        keyword=cst.Name("timeout"),
        value=cst.Integer(_DEFAULT_TIMEOUT),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    args = list(call.args)
    if args:
        last = args[-1]
        if last.comma is cst.MaybeSentinel.DEFAULT or isinstance(last.comma, cst.MaybeSentinel):
            args[-1] = last.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
    return call.with_changes(args=[*args, arg])


class MissingTimeout(Rule):
    code = "AGT605"
    name = "missing-timeout"
    summary = "An HTTP or model request in agent code has no timeout and can wait forever."
    rationale = (
        "A request without a timeout waits as long as the server keeps the socket open. In a "
        "tool or an agent loop that means one slow API, a half-open connection or a stuck "
        "model stream freezes the whole run: no error reaches the model, no retry starts, the "
        "user waits on a spinner. `requests` has no default timeout at all, `timeout=None` "
        "switches off the default of `httpx` and the model SDKs, and an awaited model call in "
        "an agent loop is only as bounded as what surrounds it. Pass `timeout=` (or wrap the "
        "await in `asyncio.wait_for`/`asyncio.timeout`) and treat the timeout as a tool error "
        "the model can react to."
    )
    fix_description = (
        "Unsafe: add `timeout=30` to a `requests` call, or replace `timeout=None` with "
        "`timeout=30` (seconds; pick what suits the API)."
    )
    flagged = (
        Flagged(
            """
            import requests

            def search_tool(query: str) -> str:
                response = requests.get("https://api.example.com/search", params={"q": query})
                return response.text
            """,
            line=4,
            column=16,
            message="no timeout",
            fixed="""
            import requests

            def search_tool(query: str) -> str:
                response = requests.get("https://api.example.com/search", params={"q": query}, timeout=30)
                return response.text
            """,
        ),
        Flagged(
            """
            from openai import AsyncOpenAI

            client = AsyncOpenAI(timeout=None)
            """,
            line=3,
            message="(timeout=None)`",
            fixed="""
            from openai import AsyncOpenAI

            client = AsyncOpenAI(timeout=30)
            """,
        ),
        Flagged(
            """
            class ResearchAgent:
                async def run(self, task):
                    messages = [{"role": "user", "content": task}]
                    while True:
                        reply = await self.llm.ainvoke(messages)
                        if reply.tool_calls:
                            messages.append(reply)
                            continue
                        return reply.content
            """,
            line=5,
            message="agent loop",
        ),
        Flagged(
            """
            import httpx

            async def fetch_tool(url: str) -> str:
                return httpx.get(url, timeout=None).text
            """,
            line=4,
            fixed="""
            import httpx

            async def fetch_tool(url: str) -> str:
                return httpx.get(url, timeout=30).text
            """,
        ),
    )
    clean = (
        # A timeout on the request.
        Clean(
            """
            import requests

            def search_tool(query: str) -> str:
                return requests.get(URL, params={"q": query}, timeout=10).text
            """
        ),
        # `httpx` functions time out after 5 s unless told otherwise.
        Clean(
            """
            import httpx

            def fetch_tool(url: str) -> str:
                return httpx.get(url).text
            """
        ),
        # Not agent code: a plain helper script (another linter's business).
        Clean(
            """
            import requests

            def download(url):
                return requests.get(url).content
            """
        ),
        # The model call in the loop is bounded by `asyncio.timeout`.
        Clean(
            """
            import asyncio

            class ResearchAgent:
                async def run(self, task):
                    while True:
                        async with asyncio.timeout(60):
                            reply = await self.llm.ainvoke(task)
                        if not reply.tool_calls:
                            return reply.content
            """
        ),
        # The client's timeout is set where it is built.
        Clean(
            """
            from openai import AsyncOpenAI

            client = AsyncOpenAI(timeout=30.0)

            async def run_agent(messages):
                while True:
                    reply = await client.chat.completions.create(messages=messages)
                    if reply.choices[0].finish_reason == "stop":
                        return reply
            """
        ),
        Clean(
            """
            from openai import AsyncOpenAI

            class Agent:
                def __init__(self):
                    self.client = AsyncOpenAI(timeout=30.0)

                async def run(self, messages):
                    while True:
                        reply = await self.client.chat.completions.create(messages=messages)
                        if reply.choices[0].finish_reason == "stop":
                            return reply
            """
        ),
        # `**kwargs` may carry the timeout.
        Clean(
            """
            import requests

            def call_tool(url, **kwargs):
                return requests.post(url, **kwargs)
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute and func.attr.value not in _CHECKED_LAST_PARTS:
            return  # it resolves to a name ending so (imports rename only the head): none here
        qualified = self.context.qualified_name(func)
        if qualified is None:
            return
        timeout = _keyword(node, "timeout")
        if qualified in _TIMEOUT_NONE_CALLS:
            if (
                timeout is not None
                and isinstance(timeout.value, cst.Name)
                and timeout.value.value == "None"
            ):
                new = timeout.with_changes(value=cst.Integer(_DEFAULT_TIMEOUT))
                self.report(
                    timeout,
                    f"`{qualified.rsplit('.', 1)[-1]}(timeout=None)` switches off the "
                    "timeout: a stalled request blocks the agent forever; set one",
                    fix=FixPlan("Set `timeout=30`", (Replace(timeout, new),), Applicability.UNSAFE),
                )
            return
        if qualified not in _REQUESTS_FUNCTIONS or timeout is not None:
            return
        if any(a.star == "**" for a in node.args) or not self._in_agent_code():
            return
        self.report(
            node,
            f"`{qualified}` with no timeout waits forever on a stalled server, freezing the "
            "tool or agent: pass `timeout=`",
            fix=FixPlan(
                "Add `timeout=30`", (Replace(node, _with_timeout(node)),), Applicability.UNSAFE
            ),
        )

    def _in_agent_code(self) -> bool:
        """Inside a tool, an agent step, a method of an agent/tool class, or a function that
        also calls a model."""
        function = self.context.enclosing_function()
        if function is None:
            return False
        ancestors = self.context.ancestors
        index = max(i for i, n in enumerate(ancestors) if n is function)
        classes = method_class_stack(ancestors[:index])
        facts = self.context.facts
        if is_tool_function(function, facts, classes) or is_agent_step(function):
            return True
        if any(_AGENT_NAMES.search(c.name.value) for c in classes):
            return True
        if _AGENT_NAMES.search(function.name.value):
            return True
        return any(
            isinstance(n, cst.Call) and is_llm_call(n, facts)
            for n in iter_subtree_no_scopes(function.body)
        )

    def visit_Await(self, node: cst.Await) -> None:
        call = node.expression
        if not isinstance(call, cst.Call) or not is_llm_call(call, self.context.facts):
            return
        if _keyword(call, "timeout") is not None:
            return
        loop = self.context.enclosing(cst.While, cst.FunctionDef)
        if not isinstance(loop, cst.While):
            return
        function = self.context.enclosing_function()
        if function is None or function.asynchronous is None:
            return
        ancestors = self.context.ancestors
        index = max(i for i, n in enumerate(ancestors) if n is function)
        classes = method_class_stack(ancestors[:index])
        if not (
            is_agent_step(function)
            or any(_AGENT_NAMES.search(c.name.value) for c in classes)
            or _AGENT_NAMES.search(function.name.value)
        ):
            return
        if mentioned_around(self.context, function, classes, _TIMEOUT_WORDS):
            return
        self.report(
            node,
            "model call awaited in an agent loop with no timeout around it: a hung request "
            "stalls the loop (SDK defaults are minutes long); wrap it in "
            "`asyncio.wait_for(..., timeout)` or `async with asyncio.timeout(...)`",
        )
