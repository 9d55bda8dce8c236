"""AGT102, AGT403-405, AGT601-604 beyond their examples: helpers, variants, fixes, odd input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.detect.flow import always_exits, block_statements
from agentsense.analyzers.detect.functions import (
    is_agent_step,
    is_tool_function,
    method_class_stack,
)
from agentsense.analyzers.engine import fix_source
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.walk import find_path, iter_subtree
from tests.helpers import lint_with

CODES = ("AGT102", "AGT403", "AGT404", "AGT405", "AGT601", "AGT602", "AGT603", "AGT604")


def _codes(source: str, select: tuple[str, ...] = CODES) -> list[str]:
    return [f.code for f in lint_with(textwrap.dedent(source), select)]


def _function(module: cst.Module, name: str) -> tuple[cst.FunctionDef, list[cst.CSTNode]]:
    for node in _all_nodes(module):
        if isinstance(node, cst.FunctionDef) and node.name.value == name:
            path = find_path(module, node)
            assert path is not None
            return node, path[:-1]
    raise AssertionError(name)


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    return list(iter_subtree(module))


# --- analyzers.detect.functions -------------------------------------------------------

TOOLS = """
from langchain_core.tools import tool as lc_tool
from smolagents import Tool as SmolTool

@lc_tool
def search(q: str) -> str: ...

@mcp.tool(name="x")
def fetch(url: str) -> str: ...

def call_tool(name, args): ...

def weather_tool(city): ...

def get_tool(name): ...

def to_tool_definitions(tools): ...

class Browse(SmolTool):
    def forward(self, url):
        def run(inner): ...
        return run(url)

    def helper(self): ...

class Worker:
    def run(self): ...

def plain(): ...
"""


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("search", True),
        ("fetch", True),
        ("call_tool", True),
        ("weather_tool", True),
        ("get_tool", False),
        ("to_tool_definitions", False),
        ("forward", True),
        ("helper", False),
        ("plain", False),
    ],
)
def test_is_tool_function(name: str, expected: bool) -> None:
    module = cst.parse_module(TOOLS)
    function, ancestors = _function(module, name)
    facts = ModuleFacts(module)
    assert is_tool_function(function, facts, method_class_stack(ancestors)) is expected


def test_methods_of_non_tool_classes_and_nested_functions_are_not_tools() -> None:
    module = cst.parse_module(TOOLS)
    facts = ModuleFacts(module)
    worker_run = next(
        n for n in _all_nodes(module) if isinstance(n, cst.ClassDef) and n.name.value == "Worker"
    )
    run = next(s for s in block_statements(worker_run.body) if isinstance(s, cst.FunctionDef))
    path = find_path(module, run)
    assert path is not None
    assert not is_tool_function(run, facts, method_class_stack(path[:-1]))
    nested, ancestors = _function(module, "run")  # first `run`: nested in Browse.forward
    assert method_class_stack(ancestors) == ()
    assert not is_tool_function(nested, facts, method_class_stack(ancestors))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("step", True), ("plan_step", True), ("_act", True), ("run_agent", True), ("stepper", False)],
)
def test_is_agent_step(name: str, expected: bool) -> None:
    function = cst.parse_statement(f"def {name}(): pass")
    assert isinstance(function, cst.FunctionDef)
    assert is_agent_step(function) is expected


# --- analyzers.detect.flow ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("return 1", True),
        ("if x:\n    return 1", False),
        ("if x:\n    return 1\nelif y:\n    raise E\nelse:\n    return 2", True),
        ("for _ in y:\n    return 1", False),
        ("while True:\n    pass", True),
        ("while True:\n    break", False),
        ("try:\n    return 1\nexcept E:\n    pass", False),
        ("try:\n    return 1\nexcept E:\n    raise", True),
        ("try:\n    pass\nfinally:\n    return 1", True),
        ("with x:\n    return 1", True),
    ],
)
def test_always_exits(body: str, expected: bool) -> None:
    function = cst.parse_statement("def f():\n" + textwrap.indent(body, "    ") + "\n")
    assert isinstance(function, cst.FunctionDef)

    def is_exit(small: cst.BaseSmallStatement) -> bool:
        return isinstance(small, (cst.Return, cst.Raise))

    assert always_exits(block_statements(function.body), is_exit) is expected


# --- AGT601 / AGT603 variants ---------------------------------------------------------


def test_retry_async_for_and_while_variants() -> None:
    flagged = """
    import asyncio

    async def a(client):
        for attempt in range(3):
            try:
                return await client.get()
            except OSError:
                await asyncio.sleep(0.5)

    async def b(client):
        tries = 0
        while tries < 3:
            try:
                return await client.get()
            except OSError:
                tries += 1
    """
    assert _codes(flagged, ("AGT601",)) == ["AGT601", "AGT601"]
    clean = """
    import asyncio, random

    async def a(client):
        for attempt in range(3):
            try:
                return await client.get()
            except OSError:
                await asyncio.sleep(random.uniform(0, 2 ** attempt))
    """
    assert _codes(clean, ("AGT601",)) == []


def test_raise_possibly_none_with_zero_literal_range() -> None:
    source = """
    def f(fn):
        last = None
        for _ in range(0):
            try:
                return fn()
            except OSError as e:
                last = e
        raise last
    """
    assert _codes(source, ("AGT603",)) == ["AGT603"]


# --- AGT403 fix -----------------------------------------------------------------------


def test_init_subclass_fix_is_safe_and_idempotent() -> None:
    source = "class A:\n    def __init_subclass__(cls):\n        REG.append(cls)\n"
    config = Config(Path.cwd(), None, Settings.model_validate({"select": ["AGT403"]}))
    fixed, applied, remaining = fix_source(source, "x.py", config, unsafe=False)
    assert applied == 1 and remaining == []
    assert fixed == (
        "class A:\n"
        "    def __init_subclass__(cls, **kwargs):\n"
        "        super().__init_subclass__(**kwargs)\n"
        "        REG.append(cls)\n"
    )


def test_init_subclass_fix_avoids_a_taken_name() -> None:
    source = "class A:\n    def __init_subclass__(cls, kwargs=1):\n        kw = kwargs\n"
    config = Config(Path.cwd(), None, Settings.model_validate({"select": ["AGT403"]}))
    fixed, _, remaining = fix_source(source, "x.py", config)
    assert "**class_kwargs" in fixed and remaining == []


# --- never crash ----------------------------------------------------------------------

ODD_SOURCES = [
    "",
    "x = 1\n",
    "def __new__(mcs): pass\n",
    "class A(type):\n    def __new__(mcs): return\n",
    "class A:\n    def __init_subclass__(): pass\n",
    "class A:\n    def __new__(): pass\n    def __init__(): pass\n",
    "while (x := 1) < 2:\n    try:\n        break\n    except: pass\n",
    "for x in range(*a):\n    try:\n        break\n    except Exception: continue\nraise x\n",
    "def f():\n    e = None\n    for _ in range():\n        try: pass\n        except E as e2: e = e2\n    raise e\n",
    "@tool\ndef t():\n    try: pass\n    except: ...\n    f = open()\n",
    "@tool\nasync def t():\n    async with a as (b, c): pass\n    x: int\n",
    "for _ in range(3):\n    tools[llm.invoke()[0]]()\n",
    "class S:\n    def __new__(cls):\n        cls.x[0].y = cls.__new__(cls)\n        return cls.x[0].y\n"
    "    def __init__(self, *, a):\n        self.a = a\n",
]


@pytest.mark.parametrize("source", ODD_SOURCES)
def test_odd_input_does_not_crash(source: str) -> None:
    lint_with(source, CODES)
