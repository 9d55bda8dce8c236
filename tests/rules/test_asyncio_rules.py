"""AGT501-AGT504 beyond their embedded examples: name resolution, fix edge cases, odd trees."""

from __future__ import annotations

import textwrap

import pytest

from agentsense.analyzers.model import Finding
from tests.helpers import fix_all, lint_with

ASYNC_CODES = ("AGT501", "AGT502", "AGT503", "AGT504")


def _lint(source: str, code: str) -> list[Finding]:
    return [f for f in lint_with(_dedent(source), (code,)) if f.code == code]


def _fix(source: str, code: str) -> str:
    return fix_all(_dedent(source), (code,))


def _dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


# -- AGT501 blocking-call-in-async ------------------------------------------------------


def test_sleep_fix_keeps_an_asyncio_alias() -> None:
    source = """
    import asyncio as aio
    import time

    async def wait():
        time.sleep(0.5)
    """
    assert "await aio.sleep(0.5)" in _fix(source, "AGT501")
    assert "import asyncio\n" not in _fix(source, "AGT501")


def test_sleep_in_an_expression_or_with_keywords_is_reported_without_fix() -> None:
    source = """
    import time

    async def wait():
        value = time.sleep(1) or 2
        time.sleep(*[1])
        return value
    """
    findings = _lint(source, "AGT501")
    assert len(findings) == 2
    assert all(f.fix is None for f in findings)


def test_no_sleep_fix_when_asyncio_means_something_else() -> None:
    source = """
    import time
    from compat import asyncio

    async def wait():
        time.sleep(1)
    """
    findings = _lint(source, "AGT501")
    assert len(findings) == 1 and findings[0].fix is None


def test_lambda_and_nested_def_inside_async_def_are_not_flagged() -> None:
    source = """
    import asyncio
    import subprocess
    import time

    async def run(cmd):
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: subprocess.run(cmd))
        await asyncio.to_thread(lambda: time.sleep(1))

        class Helper:
            def wait(self):
                time.sleep(1)
    """
    assert _lint(source, "AGT501") == []


def test_sync_client_by_parameter_annotation_and_class_field() -> None:
    source = """
    from dataclasses import dataclass
    from openai import OpenAI

    async def ask(client: OpenAI, prompt: str):
        return client.chat.completions.create(model="m", messages=[])

    @dataclass
    class Agent:
        llm: OpenAI

        async def step(self):
            return self.llm.responses.create(model="m", input="hi")
    """
    rows = [f.span.start.row for f in _lint(source, "AGT501")]
    assert rows == [5, 12]


def test_client_with_mixed_or_unknown_bindings_is_not_flagged() -> None:
    source = """
    from openai import AsyncOpenAI, OpenAI

    client = OpenAI() if SYNC else AsyncOpenAI()
    other = OpenAI()
    other = make_client()

    async def ask():
        await client.chat.completions.create(model="m", messages=[])
        await other.chat.completions.create(model="m", messages=[])
        return get_client().chat.completions.create(model="m", messages=[])
    """
    assert _lint(source, "AGT501") == []


def test_requests_session_methods_and_module_functions() -> None:
    source = """
    import requests

    session = requests.Session()

    async def fetch(url):
        requests.post(url)
        session.get(url)
        requests.Session().head(url)
        requests.exceptions.HTTPError("x")
        return requests.codes.ok
    """
    assert [f.span.start.row for f in _lint(source, "AGT501")] == [6, 7, 8]


def test_shadowed_builtin_input_is_not_flagged() -> None:
    source = """
    def input(prompt):
        return prompt

    async def ask(read=None):
        input("x")

    async def ask_again(input):
        return input("y")
    """
    assert _lint(source, "AGT501") == []


# -- AGT502 dangling-task ---------------------------------------------------------------


def test_dangling_task_at_module_level_or_in_a_one_line_suite_has_no_fix() -> None:
    source = """
    import asyncio

    asyncio.ensure_future(main())

    async def go(flag):
        if flag: asyncio.create_task(work())
    """
    findings = _lint(source, "AGT502")
    assert len(findings) == 2
    assert all(f.fix is None for f in findings)


def test_two_dangling_tasks_share_one_set() -> None:
    source = """
    import asyncio

    async def go():
        asyncio.create_task(a())
        asyncio.create_task(b())
    """
    fixed = _fix(source, "AGT502")
    assert fixed.count("_background_tasks: set[asyncio.Task[object]] = set()") == 1
    # Both fixes apply in one pass; `task` is free in the function, so rebinding it is fine.
    assert "task = asyncio.create_task(a())" in fixed
    assert "task = asyncio.create_task(b())" in fixed
    assert fixed.count("_background_tasks.add(task)") == 2
    compile(fixed, "fixed.py", "exec")
    assert _lint(fixed, "AGT502") == []


def test_existing_task_set_is_reused() -> None:
    source = """
    import asyncio

    _background_tasks = set()

    async def go():
        asyncio.create_task(a())
    """
    fixed = _fix(source, "AGT502")
    assert fixed.count("_background_tasks") == 3
    assert "set[asyncio.Task" not in fixed


def test_annotation_is_quoted_when_asyncio_is_imported_late() -> None:
    source = """
    VERSION = 1
    import asyncio

    async def go():
        asyncio.create_task(a())
    """
    fixed = _fix(source, "AGT502")
    assert '_background_tasks: "set[asyncio.Task[object]]" = set()' in fixed
    compile(fixed, "fixed.py", "exec")


def test_loops_from_factories_and_get_running_loop_calls() -> None:
    source = """
    import asyncio

    def start():
        lp = asyncio.new_event_loop()
        lp.create_task(serve())
        asyncio.get_running_loop().create_task(serve())
        queue.create_task(serve())
    """
    assert [f.span.start.row for f in _lint(source, "AGT502")] == [5, 6]


# -- AGT503 get-event-loop-in-coroutine -------------------------------------------------


def test_get_event_loop_reuses_an_imported_get_running_loop() -> None:
    source = """
    from asyncio import get_event_loop, get_running_loop

    async def run():
        return get_event_loop()
    """
    assert "return get_running_loop()" in _fix(source, "AGT503")


def test_get_event_loop_through_asyncio_events() -> None:
    source = """
    import asyncio

    async def run():
        return asyncio.events.get_event_loop()
    """
    assert "asyncio.events.get_running_loop()" in _fix(source, "AGT503")


def test_get_event_loop_in_a_lambda_inside_a_coroutine_is_clean() -> None:
    source = """
    import asyncio

    async def run(pool):
        return await pool.submit(lambda: asyncio.get_event_loop())
    """
    assert _lint(source, "AGT503") == []


# -- AGT504 unawaited-coroutine ---------------------------------------------------------


def test_unawaited_in_a_nested_sync_def_is_reported_without_fix() -> None:
    source = """
    async def save(x):
        ...

    async def outer():
        def callback():
            save(1)
        return callback
    """
    findings = _lint(source, "AGT504")
    assert len(findings) == 1 and findings[0].fix is None
    assert "asyncio.run" in findings[0].message


def test_known_async_api_through_an_import_alias() -> None:
    source = """
    from asyncio import sleep as pause, gather

    async def wait(a, b):
        pause(1)
        gather(a(), b())
    """
    findings = _lint(source, "AGT504")
    assert len(findings) == 2
    assert "results and errors are lost" in findings[1].message
    assert "await pause(1)" in _fix(source, "AGT504")


def test_parameter_shadowing_an_async_function_is_clean() -> None:
    source = """
    async def fetch():
        ...

    async def run(fetch):
        fetch()
    """
    assert _lint(source, "AGT504") == []


def test_async_method_through_a_local_base_and_self_attribute() -> None:
    source = """
    class Base:
        async def close(self):
            ...

    class Tool(Base):
        pass

    class Runner:
        def __init__(self):
            self.tool = Tool()

        async def stop(self):
            self.tool.close()
    """
    findings = _lint(source, "AGT504")
    assert [f.span.start.row for f in findings] == [13]
    assert "await self.tool.close()" in _fix(source, "AGT504")


def test_unknown_base_or_class_attribute_keeps_the_method_unknown() -> None:
    source = """
    from library import Base

    class Tool(Base):
        pass

    class Other:
        async def close(self):
            ...

    class Aliased:
        close = staticmethod(print)

        async def close(self):
            ...

        async def stop(self):
            self.close()

    async def stop(tool: Tool):
        Tool().close()
    """
    assert _lint(source, "AGT504") == []


def test_awaited_and_used_calls_are_clean() -> None:
    source = """
    async def fetch():
        ...

    async def run():
        await fetch()
        result = fetch()
        return await result
    """
    assert _lint(source, "AGT504") == []


# -- never crash ------------------------------------------------------------------------

ODD_SOURCES = [
    "",
    "async def f(): (yield)\n",
    "async def f():\n    await (lambda: time.sleep(1))()\n",
    "class A:\n    async def f(*, self=None): self.f()\n",
    "class A:\n    async def f(): A.f()\n",
    "async def f(*args, **kw):\n    (yield from_)\n",
    "x = [asyncio.create_task(c) for c in cs]\n",
    "async def f():\n    [await g() async for g in h()]\n    (lambda: None)()\n",
    "def f():\n    global loop\n    loop.create_task(x())\n",
    "async def f():\n    match x:\n        case [time, *rest]:\n            time.sleep(1)\n",
    "async def f():\n    with a as (b, c), d as e.f:\n        b.get(1)\n",
    "async def f():\n    (client := OpenAI()).chat.completions.create()\n",
    "class A(B[int], metaclass=M):\n    async def f(self): self.g()\n    g = f\n",
    "import asyncio\nasync def f():\n    asyncio.create_task(x()); y()\n",
]


@pytest.mark.parametrize("source", ODD_SOURCES)
def test_odd_trees_do_not_crash(source: str) -> None:
    findings = lint_with(source, ASYNC_CODES)
    fix_all(source, ASYNC_CODES)
    assert all(f.code in ASYNC_CODES for f in findings)
