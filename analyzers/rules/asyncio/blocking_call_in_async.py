"""AGT501: a blocking call (sleep, sync HTTP, subprocess, sync LLM client) inside `async def`."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.async_apis import (
    BLOCKING_FUNCTIONS,
    HTTP_METHODS,
    SYNC_HTTP_SESSIONS,
    SYNC_LLM_CLIENTS,
    ScopeIndex,
    asyncio_reference,
    in_expected_failure,
)
from agentsense.analyzers.detect.name_gates import may_resolve_among
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.rule import AddImport, Clean, FixPlan, Flagged, Replace, Rule

_LLM_ADVICE = "use the async client (`AsyncOpenAI`, `AsyncAnthropic`) and `await` the call"
_HTTP_ADVICE = BLOCKING_FUNCTIONS["requests.get"]
# The last part of each blocking function's name (`sleep`, `urlopen`, `ask`).
_BLOCKING_LAST_PARTS = frozenset(name.rpartition(".")[2] for name in BLOCKING_FUNCTIONS)


class BlockingCallInAsync(Rule):
    code = "AGT501"
    name = "blocking-call-in-async"
    summary = "A blocking call inside `async def` stalls the event loop and every other task."
    rationale = (
        "An event loop runs one thing at a time. `time.sleep`, `requests.get`, "
        "`subprocess.run`, `input()` or a synchronous LLM client's `.create(...)` inside "
        "`async def` freeze the whole loop until they return: an agent serving many "
        "conversations, streaming tokens or running tools concurrently stops for all of them "
        "while one model call takes its 20 seconds, and timeouts elsewhere fire spuriously. "
        "Use the async counterpart (`await asyncio.sleep`, `httpx.AsyncClient`, "
        "`AsyncOpenAI`) or push the call to a thread with `await asyncio.to_thread(...)`."
    )
    fix_description = (
        "Safe, for `time.sleep(x)` used as a statement: `await asyncio.sleep(x)` "
        "(adds `import asyncio` when missing). Other calls need a different library."
    )
    flagged = (
        Flagged(
            """
            import time

            async def poll(agent):
                while not agent.done:
                    time.sleep(1)
            """,
            line=5,
            column=9,
            message="time.sleep",
            fixed="""
            import time
            import asyncio

            async def poll(agent):
                while not agent.done:
                    await asyncio.sleep(1)
            """,
        ),
        Flagged(
            """
            import asyncio
            from time import sleep as nap

            async def backoff(attempt: int) -> None:
                nap(2 ** attempt)  # wait before retrying
            """,
            line=5,
            message="time.sleep",
            fixed="""
            import asyncio
            from time import sleep as nap

            async def backoff(attempt: int) -> None:
                await asyncio.sleep(2 ** attempt)  # wait before retrying
            """,
        ),
        Flagged(
            """
            import requests

            async def search_tool(query: str) -> str:
                response = requests.get("https://api.example.com", params={"q": query})
                return response.text
            """,
            line=4,
            column=16,
            message="requests.get",
        ),
        Flagged(
            """
            from openai import OpenAI

            client = OpenAI()

            async def answer(question: str) -> str:
                completion = client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": question}]
                )
                return completion.choices[0].message.content
            """,
            line=6,
            message="AsyncOpenAI",
        ),
        Flagged(
            """
            import anthropic

            class Agent:
                def __init__(self) -> None:
                    self.llm = anthropic.Anthropic()

                async def step(self, messages):
                    return self.llm.messages.create(model="claude", messages=messages)
            """,
            line=8,
            message="anthropic.Anthropic",
        ),
        Flagged(
            """
            import subprocess
            import requests
            from urllib.request import urlopen

            async def run_tools(cmd, url):
                subprocess.run(cmd, check=True)
                with requests.Session() as session:
                    session.post(url)
                answer = input("continue? ")
                return urlopen(url).read(), answer
            """,
            line=6,
            count=4,
            message="subprocess.run",
        ),
        Flagged(
            # Sync HTTP through httpx's module functions and a shell command in an async tool.
            """
            import os
            import httpx

            async def fetch_page(url: str) -> str:
                os.system(f"mkdir -p cache")
                return httpx.get(url).text
            """,
            line=5,
            count=2,
            message="os.system",
        ),
        Flagged(
            # A synchronous client chosen in an `if`/`elif`: every branch blocks.
            """
            import anthropic

            async def answer(provider, messages):
                if provider == "bedrock":
                    client = anthropic.AnthropicBedrock()
                elif provider == "vertex":
                    client = anthropic.AnthropicVertex()
                else:
                    client = anthropic.Anthropic()
                return client.messages.create(model="claude", messages=messages)
            """,
            line=10,
            message="synchronous client",
        ),
        Flagged(
            # A synchronous helper of the class that posts over HTTP, called from the
            # async chat loop, and rich's prompt read in `async def`.
            """
            import requests
            from rich.prompt import Prompt

            class Chat:
                def send(self, text):
                    return requests.post("https://api.example.com/chat", json={"q": text}).json()

                async def loop(self):
                    while True:
                        question = Prompt.ask("You")
                        print(self.send(question))
            """,
            line=10,
            count=2,
            message="Prompt.ask",
        ),
    )
    clean = (
        # The helper pushed to a thread, async clients chosen in an `if`, a helper that
        # blocks on nothing.
        Clean(
            """
            import asyncio
            import anthropic
            import requests

            class Chat:
                def send(self, text):
                    return requests.post("https://api.example.com/chat", json={"q": text})

                def render(self, text):
                    return text.strip()

                async def loop(self, provider, messages):
                    if provider == "bedrock":
                        client = anthropic.AsyncAnthropicBedrock()
                    else:
                        client = anthropic.AsyncAnthropic()
                    reply = await client.messages.create(model="claude", messages=messages)
                    await asyncio.to_thread(self.send, self.render(reply.content))
            """
        ),
        # The fixed versions of the same code.
        Clean(
            """
            import asyncio

            async def poll(agent):
                while not agent.done:
                    await asyncio.sleep(1)
            """
        ),
        Clean(
            """
            from openai import AsyncOpenAI

            client = AsyncOpenAI()

            async def answer(question: str) -> str:
                completion = await client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": question}]
                )
                return completion.choices[0].message.content
            """
        ),
        # Blocking work handed to a thread: the nested def and the lambda run off the loop.
        Clean(
            """
            import asyncio
            import time
            import requests

            async def fetch(url):
                def blocking():
                    time.sleep(1)
                    return requests.get(url)

                loop = asyncio.get_running_loop()
                first = await loop.run_in_executor(None, blocking)
                second = await asyncio.to_thread(lambda: requests.get(url))
                third = await asyncio.to_thread(time.sleep, 1)
                return first, second, third
            """
        ),
        # A local function that happens to be called `sleep` is not `time.sleep`.
        Clean(
            """
            async def sleep(seconds):
                return seconds

            async def wait():
                await sleep(1)
            """
        ),
        # Blocking calls in synchronous code are fine.
        Clean(
            """
            import time
            import requests

            def fetch(url):
                time.sleep(1)
                return requests.get(url)
            """
        ),
        # The name `client` is rebound locally to an async client.
        Clean(
            """
            from openai import AsyncOpenAI, OpenAI

            client = OpenAI()

            async def answer(question):
                client = AsyncOpenAI()
                return await client.chat.completions.create(model="m", messages=[])
            """
        ),
        # `time` here is a parameter, not the module.
        Clean(
            """
            import time

            async def wait(time):
                time.sleep(1)
            """
        ),
        # A test that blocks the loop on purpose to check a timeout fires.
        Clean(
            """
            import asyncio
            import time
            import pytest

            async def test_timeout_fires():
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.01):
                        time.sleep(0.1)
                        await asyncio.sleep(1)
            """
        ),
    )

    @property
    def scopes(self) -> ScopeIndex:
        return self.context.shared(ScopeIndex)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.in_async_function():
            return
        found = self._blocking(node)
        # Tests that expect an error (`with pytest.raises(...)`) block on purpose.
        if found is None or in_expected_failure(self.context.ancestors):
            return
        what, advice = found
        fix = self._sleep_fix(node) if what == "time.sleep" else None
        self.report(
            node,
            f"blocking call `{what}` inside `async def` stalls the event loop: {advice}",
            fix=fix,
        )

    def _blocking(self, node: cst.Call) -> tuple[str, str] | None:
        """(what is called, what to use instead) for a blocking call, else None."""
        func = node.func
        # A method call resolves to a name ending in its own attribute (`x.sleep` ->
        # `....sleep`, imports and aliases only rename the head): one whose attribute ends no
        # blocking function's name is not one. A bare name may be an alias of anything
        # (`from time import sleep as nap`). Neither is resolved through the scopes when
        # no import can make it a blocking function (`may_resolve_among`).
        if (
            type(func) is cst.Name
            or (type(func) is cst.Attribute and func.attr.value in _BLOCKING_LAST_PARTS)
        ) and may_resolve_among(self.context, func, BLOCKING_FUNCTIONS):
            qualified = self.scopes.qualified_among(func, BLOCKING_FUNCTIONS)
            if qualified is not None:
                return qualified, BLOCKING_FUNCTIONS[qualified]
        helper = self._blocking_helper(func)
        if helper is not None:
            return helper
        if type(func) is not cst.Attribute:
            return None
        method = func.attr.value
        if method in HTTP_METHODS:
            session = self.scopes.instance_class(func.value, SYNC_HTTP_SESSIONS)
            if session is not None:
                what = dotted_name(func) or f"{session}().{method}"
                return what, f"`{session}` is synchronous; {_HTTP_ADVICE}"
        if method == "create":
            # `client.messages.create` / `client.chat.completions.create`: the client is
            # one or more attributes below the method.
            receiver = func.value
            while isinstance(receiver, cst.Attribute):
                receiver = receiver.value
                client = self.scopes.instance_class(receiver, SYNC_LLM_CLIENTS, any_of=True)
                if client is not None:
                    what = dotted_name(func) or f"{client}(...).create"
                    return what, f"`{client}` is a synchronous client; {_LLM_ADVICE}"
        return None

    def _blocking_helper(self, func: cst.BaseExpression) -> tuple[str, str] | None:
        """A call of a synchronous function of this file that itself makes a blocking call
        (`self.post_message(...)` whose body calls `requests.post`): one level deep."""
        helper: cst.FunctionDef | None = None
        shown = dotted_name(func)
        if type(func) is cst.Name:
            # A function of this file by that name first (a dict lookup): only then is the
            # scope walk for a local binding of the name worth its cost.
            helper = self.context.facts.top_level_functions.get(func.value)
            if helper is None or self.scopes.locally_bound(func.value):
                return None
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method = self.scopes.enclosing_method()
            if method is None:
                return None
            function, class_def = method
            params = [*function.params.posonly_params, *function.params.params]
            if not params or params[0].name.value != func.value.value:
                return None
            body = class_def.body.body if isinstance(class_def.body, cst.IndentedBlock) else ()
            found = [
                s for s in body if type(s) is cst.FunctionDef and s.name.value == func.attr.value
            ]
            helper = found[0] if len(found) == 1 else None
        if helper is None or helper.asynchronous is not None or shown is None:
            return None
        if helper.decorators:
            return None  # a decorator may run it elsewhere (a thread, a task)
        # The helper's calls from the file's index: a helper called from many places is
        # walked once.
        for inner in self.context.index.of_kind(helper.body, (cst.Call,)):
            if isinstance(inner.func, (cst.Name, cst.Attribute)):
                qualified = self.context.facts.qualified_name(inner.func)
                if qualified in BLOCKING_FUNCTIONS and qualified != "input":
                    return (
                        shown,
                        f"it calls `{qualified}`, which blocks; make `{helper.name.value}` "
                        f"async or call it with `await asyncio.to_thread(...)`",
                    )
        return None

    def _sleep_fix(self, node: cst.Call) -> FixPlan | None:
        """`await asyncio.sleep(x)` for a `time.sleep(x)` statement."""
        ancestors = self.context.ancestors
        if not ancestors or not isinstance(ancestors[-1], cst.Expr):
            return None
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            return None
        reference = asyncio_reference(self.context, self.scopes)
        if reference is None:
            return None
        module, needs_import = reference
        new_call = node.with_changes(
            func=cst.Attribute(value=cst.Name(module), attr=cst.Name("sleep"))
        )
        changes: tuple[Replace | AddImport, ...] = (Replace(node, cst.Await(expression=new_call)),)
        if needs_import:
            changes = (*changes, AddImport("asyncio"))
        return FixPlan("Use `await asyncio.sleep(...)`", changes)
