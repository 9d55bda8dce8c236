"""Rules' cheap "cannot fire here" tests: cases a too-eager early exit would miss.

Each rule decides with a cheap test first (a text test, the enclosing function, a sink found
before the model calls are resolved) before its costly one; these examples sit right at the
edge of those tests, so an exit that skipped too much would lose their findings.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst

from agentsense.analyzers.context import FileContext
from agentsense.analyzers.detect.name_gates import import_bound_names
from agentsense.analyzers.model import Finding
from tests.helpers import lint_with


def _lint(source: str, code: str) -> list[Finding]:
    text = textwrap.dedent(source).lstrip("\n")
    return [f for f in lint_with(text, (code,)) if f.code == code]


# --- AGT101: the recursion is found from the calls the walk sees ------------------------------


def test_recursion_after_a_nested_function_is_still_the_outer_functions() -> None:
    # The nested `def` is walked in between: the recursive call after it belongs to `solve`.
    found = _lint(
        """
        def solve(llm, task):
            def shorten(text):
                return text[:100]
            reply = llm.invoke(shorten(task))
            return solve(llm, reply)
        """,
        "AGT101",
    )
    assert [(f.span.start.row, f.span.start.column) for f in found] == [(5, 12)]


def test_recursive_method_called_on_self_after_nested_class() -> None:
    found = _lint(
        """
        class Agent:
            def step(self, llm, task):
                class Note:
                    text = "x"
                reply = llm.invoke(task)
                return self.step(llm, reply)
        """,
        "AGT101",
    )
    assert [f.span.start.row for f in found] == [6]


def test_a_call_of_the_name_in_a_lambda_or_nested_function_is_no_recursion() -> None:
    # Both would mark `solve` as maybe recursive; its own calls decide, and none is.
    assert not _lint(
        """
        def solve(llm, task):
            reply = llm.invoke(task)
            retry = lambda: solve(llm, reply)
            def again():
                return solve(llm, reply)
            return retry, again
        """,
        "AGT101",
    )


def test_recursion_in_the_outer_function_after_a_nested_recursive_one() -> None:
    # The inner function recurses on its own name; the outer one, after it, on its own.
    found = _lint(
        """
        def outer(llm, task):
            def inner(n):
                return inner(n)
            reply = llm.invoke(task)
            return outer(llm, reply)
        """,
        "AGT101",
    )
    assert [f.span.start.row for f in found] == [5]


# --- AGT501: a method call is resolved only when its attribute ends a blocking name ------------


def test_blocking_calls_through_aliases_are_still_resolved() -> None:
    found = _lint(
        """
        import time as clock
        from time import sleep as nap

        async def wait():
            nap(1)
            clock.sleep(1)
            import urllib.request as web
            web.urlopen("https://example.com")
        """,
        "AGT501",
    )
    assert [f.span.start.row for f in found] == [5, 6, 8]


def test_helper_shadowed_by_a_parameter_is_not_the_files_function() -> None:
    # The file's `fetch` blocks, but in `run` the name is the parameter: not flagged; in
    # `other` it is the file's function: flagged.
    found = _lint(
        """
        import requests

        def fetch(url):
            return requests.get(url)

        async def run(fetch):
            fetch("https://example.com")

        async def other():
            fetch("https://example.com")
        """,
        "AGT501",
    )
    assert [f.span.start.row for f in found] == [10]


# --- AGT204: a call's name is resolved only when it decides the finding -----------------------


def test_gather_through_an_alias_is_still_a_gather() -> None:
    found = _lint(
        """
        from asyncio import gather as run_all

        async def step(tools, calls):
            return await run_all(*(tools[call.name](call.args) for call in calls))
        """,
        "AGT204",
    )
    assert [f.span.start.row for f in found] == [4]


def test_a_name_bound_to_a_tool_that_resolves_to_gather_is_resolved_before_reporting() -> None:
    # `gather` is rebound to the model's tool, but the module's import makes the call resolve
    # to `asyncio.gather`: without a starred comprehension nothing is reported, as before.
    source = """
        from asyncio import gather

        def run(tools, reply):
            for call in reply.tool_calls:
                gather = tools[call.name]
                gather(call.args)
        """
    assert not _lint(source, "AGT204")
    assert [
        f.span.start.row
        for f in _lint(source.replace("from asyncio import gather", "import json"), "AGT204")
    ] == [6]


# --- AGT303: sinks are found in the walk, before any model call is resolved ------------------


def test_sinks_through_aliases_after_nested_scopes_are_the_functions_own() -> None:
    # A bare alias and a module alias; a nested function, lambda and class walked in between
    # hand the sinks after them back to `step`; the nested method's own sink is its own.
    found = _lint(
        """
        import subprocess as sp
        from os import system as sh

        def step(llm, goal):
            def quote(text):
                return text
            pick = lambda text: text
            class Note:
                def show(self, llm):
                    return eval(llm.invoke("x").content)
            command = llm.invoke(goal).content
            sh(command)
            return sp.run(command, shell=True)
        """,
        "AGT303",
    )
    assert [f.span.start.row for f in found] == [10, 12, 13]


def test_a_sink_whose_name_is_a_local_of_another_function_is_still_a_sink() -> None:
    # `run` is a parameter of `helper`, and the module binds nothing named so.
    found = _lint(
        """
        from subprocess import run

        def helper(run):
            return run("ls")

        def step(llm):
            return run(llm.invoke("a shell command").content, shell=True)
        """,
        "AGT303",
    )
    assert [f.span.start.row for f in found] == [7]


# --- AGT504/AGT502: coroutine functions found in the text first --------------------------------


def test_async_def_split_by_a_line_continuation_is_still_found() -> None:
    found = _lint(
        """
        import asyncio as aio

        async \\
            def fetch(url):
            return url

        class Client:
            async    def close(self):
                pass

            def shutdown(self):
                self.close()

        def main():
            fetch("x")
            aio.sleep(1)
        """,
        "AGT504",
    )
    assert [f.span.start.row for f in found] == [12, 15, 16]


def test_spawners_through_aliases_are_still_resolved() -> None:
    found = _lint(
        """
        import asyncio as aio
        from asyncio import ensure_future as spawn

        async def main(job):
            spawn(job())
            aio.create_task(job())
        """,
        "AGT502",
    )
    assert [f.span.start.row for f in found] == [5, 6]


# --- AGT211: an import's module text is rendered only when its first name is the package ------


def test_removed_mcp_module_found_in_every_import_form(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["mcp>=2"]\n')
    path = tmp_path / "server.py"
    source = textwrap.dedent(
        """
        import mcp.server.fastmcp
        import json, mcp.server.fastmcp.tools as tools
        from mcp.server.fastmcp.prompts import base
        import mcpx.server.fastmcp
        from mcp.server import fastmcp
        """
    ).lstrip("\n")
    found = [f for f in lint_with(source, ("AGT211",), str(path)) if f.code == "AGT211"]
    assert [f.span.start.row for f in found] == [1, 2, 3]


# --- AGT503/AGT605: a method call is resolved only when its attribute ends a checked name -----


def test_get_event_loop_through_aliases() -> None:
    found = _lint(
        """
        import asyncio as aio
        from asyncio import get_event_loop as current_loop

        async def main():
            aio.get_event_loop()
            current_loop()
            aio.events.get_event_loop()
        """,
        "AGT503",
    )
    assert [f.span.start.row for f in found] == [5, 6, 7]


def test_timeouts_checked_through_aliases() -> None:
    found = _lint(
        """
        import openai
        import requests as http
        from openai import OpenAI as Client

        def search_tool(url):
            return http.post(url)

        def make():
            return Client(timeout=None), openai.OpenAI(timeout=None)
        """,
        "AGT605",
    )
    assert [f.span.start.row for f in found] == [6, 9, 9]


# --- AGT203: a tool's sinks are found before its data flow is computed -----------------------


def test_tool_sinks_through_aliases() -> None:
    found = _lint(
        """
        import pickle as pk
        import subprocess as sp
        from os import system as shell
        from agentsense.runtime.registry import tool

        @tool
        def restore(blob: bytes, command: str) -> object:
            \"\"\"Restore a saved object.\"\"\"
            shell(command)
            sp.run(command, shell=True)
            sp.run(command)
            return pk.loads(blob)
        """,
        "AGT203",
    )
    assert [f.span.start.row for f in found] == [9, 10, 12]


# --- AGT603: only functions with a `raise <name>` of their own are checked ------------------


def test_raise_after_nested_functions_is_checked_in_the_outer_function() -> None:
    found = _lint(
        """
        def call(fn, n):
            def note(error):
                raise error
            last_error = None
            for _ in range(n):
                try:
                    return fn()
                except OSError as error:
                    last_error = error
            class Report:
                def fail(self):
                    raise RuntimeError("x")
            raise (last_error)
        """,
        "AGT603",
    )
    assert [f.span.start.row for f in found] == [13]


# --- AGT50x: a name is resolved through the scopes only when some import can make it one ------


def test_import_bound_names_holds_every_import_of_the_file() -> None:
    source = textwrap.dedent(
        """
        import os.path
        from asyncio import sleep as pause, gather
        from json import *

        class Client:
            import socket

        async def main():
            if True: import time as clock; from subprocess import run as sh
            try:
                import urllib.request
            finally:
                pass
        """
    )
    context = FileContext(source, "x.py", cst.parse_module(source))
    assert import_bound_names(context) == {
        "os",
        "pause",
        "gather",
        "socket",
        "clock",
        "sh",
        "urllib",
    }


def test_calls_resolved_through_imports_in_one_line_suites() -> None:
    source = """
        async def main():
            if True: from time import sleep as nap; import asyncio as aio
            nap(1)
            aio.get_event_loop()
            aio.sleep(1)
            aio.ensure_future(main())
        """
    assert [f.span.start.row for f in _lint(source, "AGT501")] == [3]
    assert [f.span.start.row for f in _lint(source, "AGT503")] == [4]
    assert [f.span.start.row for f in _lint(source, "AGT504")] == [5]
    assert [f.span.start.row for f in _lint(source, "AGT502")] == [6]


# --- AGT301: a scope's assignments are read only for text that goes to a prompt --------------


def test_names_assigned_from_secrets_still_found_where_text_goes_to_a_prompt() -> None:
    # `key` is assigned after the first f-string (the data flow is the whole scope's), and
    # `token` reaches the prompt through `str()`, a `+` chain and `.strip()`.
    found = _lint(
        """
        import os

        def run(agent):
            log = f"starting with {key}"
            key = os.environ["STRIPE_SECRET_KEY"]
            token = key
            prompt = "Use " + f"the token {str(token)}".strip() + " please"
            agent.run(prompt)
            return log

        def other(agent, key):
            prompt = f"the key {key}"
        """,
        "AGT301",
    )
    assert [(f.span.start.row, f.span.start.column) for f in found] == [(7, 36)]


def test_a_long_chain_of_interpolations_reports_the_secret_at_its_end() -> None:
    parts = " + ".join(f'f"{{x{i}}}"' for i in range(300))
    source = f"""
        import os

        def run(agent, {", ".join(f"x{i}" for i in range(300))}):
            key = os.getenv("OPENAI_API_KEY")
            instructions = {parts} + f"{{key}}"
        """
    found = _lint(source, "AGT301")
    assert len(found) == 1 and "`key`" in found[0].message


# --- AGT601: a tenacity retrier is resolved only for a matching attribute --------------------


def test_tenacity_retriers_through_aliases() -> None:
    found = _lint(
        """
        import tenacity as t
        from tenacity import retry as again

        @t.retry
        def one():
            pass

        @again(wait=t.wait_fixed(1), stop=t.stop_after_attempt(3))
        def two():
            pass

        for attempt in t.Retrying():
            pass
        """,
        "AGT601",
    )
    assert [f.span.start.row for f in found] == [4, 8, 12]
