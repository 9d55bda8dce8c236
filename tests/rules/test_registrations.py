"""Registration extraction from the CST: each mechanism, user registries' guards, robustness."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from agentsense.analyzers.detect.registrations import (
    Registration,
    candidate_problems,
    find_registrations,
    registrations_of,
)
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.project_model import RUNTIME_AGENTS, RUNTIME_TOOLS
from agentsense.analyzers.rules.tools._registration_rule import claiming_rules, problem_rule
from tests.helpers import lint_with


def regs(code: str) -> tuple[Registration, ...]:
    module = cst.parse_module(textwrap.dedent(code).lstrip("\n"))
    return registrations_of(ModuleFacts(module))


def one(code: str) -> Registration:
    found = regs(code)
    assert len(found) == 1, found
    return found[0]


def guard_messages(code: str) -> list[str]:
    return [p.message for reg in regs(code) for p in reg.problems if p.origin == "guard"]


# -- reference runtime -------------------------------------------------------------------


def test_runtime_tool_decorator_reads_name_description_and_signature() -> None:
    reg = one(
        '''
        from agentsense.runtime.registry import tool as register

        @register
        async def search(self, query: str, limit: int = 5, *args: str, **kw: str) -> list[str]:
            """Search the web
            for pages.

            Args:
                query: what to find.
            """
        '''
    )
    assert reg.source == "runtime-decorator"
    assert (reg.kind, reg.name, reg.registry) == ("tool", "search", RUNTIME_TOOLS)
    assert reg.description == "Search the web for pages."  # the first paragraph, joined
    assert reg.is_async and reg.accepts_var_keyword and not reg.name_is_literal
    assert [(p.name, p.annotation, p.has_default) for p in reg.parameters or ()] == [
        ("query", "str", False),
        ("limit", "int", True),
    ]
    assert reg.contract_problems == ()


def test_runtime_tool_keywords_and_literal_name() -> None:
    reg = one(
        '''
        import agentsense.runtime.registry

        @agentsense.runtime.registry.tool(name="web-search", description=None)
        def search(query: str) -> str:
            """From the docstring."""
        '''
    )
    assert reg.name == "web-search" and reg.name_is_literal
    assert isinstance(reg.name_node, cst.SimpleString)
    assert reg.description == "From the docstring."  # description=None falls back


def test_runtime_tool_name_from_module_constant_and_non_static_values() -> None:
    constant = one(
        """
        from agentsense.runtime.registry import tool
        NAME = "search"

        @tool(name=NAME, description=DESCRIPTIONS["search"])
        def run(q: str) -> str: ...
        """
    )
    assert constant.name == "search" and not constant.name_is_literal
    assert constant.description_value is None  # not static: not judged
    computed = one(
        """
        from agentsense.runtime.registry import tool
        from naming import make

        @tool(name=make("x"), **OPTIONS)
        def run(q: str) -> str: ...
        """
    )
    assert constant.contract_problems == () and computed.name_value is None
    assert computed.contract_problems == ()


def test_runtime_basetool_classes() -> None:
    found = regs(
        """
        from abc import abstractmethod
        from agentsense.runtime.registry import BaseTool

        class Abstract(BaseTool):
            abstract = True

        class Intermediate(BaseTool):
            retries = 3

        class Shared(BaseTool):
            abstract = True
            description = "Shared."

        class Fetch(Shared):
            name = "fetch"

            async def execute(self, url: str, timeout: float = 1.0) -> str:
                return url

        class Half(BaseTool):
            name = "half"
        """
    )
    assert [r.definition.name.value for r in found] == ["Fetch", "Half"]
    fetch, half = found
    assert (fetch.name, fetch.description, fetch.is_async) == ("fetch", "Shared.", True)
    assert [p.name for p in fetch.parameters or ()] == ["url", "timeout"]
    assert [p.message for p in half.problems] == [
        "tool class 'Half' is missing required attribute 'description'",
        "tool class 'Half' is missing required attribute 'execute'",
    ]
    assert half.contract_problems == ()  # refused before the contract runs
    assert not half.registers


def test_runtime_basetool_with_unknown_base_is_not_judged() -> None:
    # The mixin may set the metaclass, description or execute: nothing is claimed.
    assert (
        regs(
            """
            from agentsense.runtime.registry import BaseTool
            from elsewhere import Mixin

            class Fetch(Mixin, BaseTool):
                name = "fetch"
            """
        )
        == ()
    )


def test_runtime_agent_types() -> None:
    found = regs(
        """
        from abc import ABC, abstractmethod
        from agentsense.runtime.registry import Agent

        class Base(Agent):
            abstract = True

        class Researcher(Base, agent_type="research"):
            pass

        class Runnable(Agent, ABC):
            @abstractmethod
            def run(self): ...

        class ChainOfThought(Agent):
            agent_type = "cot"

        class Nobody(Agent, agent_type=None):
            pass

        class Bad(Agent, agent_type=""):
            pass

        class Confused(Agent, agent_type="a"):
            agent_type = "b"

        class Half(Runnable, agent_type="half"):
            pass
        """
    )
    assert [(r.kind, r.name, r.registry) for r in found] == [
        ("agent", "research", RUNTIME_AGENTS),
        ("agent", "cot", RUNTIME_AGENTS),
        ("agent", None, RUNTIME_AGENTS),
        ("agent", "", RUNTIME_AGENTS),
        ("agent", "a", RUNTIME_AGENTS),
        ("agent", "half", RUNTIME_AGENTS),
    ]
    assert [[p.message for p in r.problems] for r in found] == [
        [],
        [],
        [
            "agent class 'Nobody': no agent_type: pass agent_type=... or set agent_type in the "
            "class body, or set abstract = True on an intermediate base"
        ],
        ["agent class 'Bad': agent_type must be a non-empty string"],
        ["agent class 'Confused': agent_type is given twice, as 'a' and 'b'"],
        ["agent class 'Half': abstract method(s) run are not implemented"],
    ]


def test_user_decorator_storing_into_module_dict() -> None:
    reg = one(
        """
        TOOLS: dict[str, object] = {}

        def register_tool(fn):
            TOOLS[fn.__name__] = fn
            return fn

        @register_tool
        def add(a: int, b: int) -> int:
            '''Add two numbers.'''
            return a + b
        """
    )
    assert (reg.source, reg.kind, reg.name, reg.registry) == (
        "user-decorator",
        "tool",
        "add",
        "local:TOOLS",
    )
    assert reg.tool_contract and not reg.refuses_duplicates


def test_user_decorator_factory_with_name_and_schema_and_wrapper() -> None:
    reg = one(
        """
        REGISTRY = {}

        def tool(name=None, description=None, parameters=None):
            def decorator(fn):
                REGISTRY[name or fn.__name__] = {"fn": fn, "description": description}
                return fn
            return decorator

        @tool("calc", description="Evaluate.", parameters={"type": "object"})
        def calculate(expression: str) -> float:
            return 0.0
        """
    )
    assert reg.name == "calc" and reg.name_is_literal is False  # positional, not `name=`
    assert reg.description == "Evaluate."
    assert isinstance(reg.schema_node, cst.Dict)
    keyword = one(
        """
        REGISTRY = {}

        def tool(name=None):
            def decorator(fn):
                REGISTRY[name or fn.__name__] = fn
                return fn
            return decorator

        @tool(name="calc")
        def calculate(expression: str) -> float:
            '''Evaluate.'''
        """
    )
    assert keyword.name == "calc" and keyword.name_is_literal


def test_user_registry_object_methods_and_list_registries() -> None:
    found = regs(
        """
        class ToolRegistry:
            def __init__(self):
                self._tools = {}

            def register(self, fn):
                self._tools[fn.__name__] = fn
                return fn

        registry = ToolRegistry()
        ACTIONS = []

        def action(fn):
            ACTIONS.append(fn)
            return fn

        @registry.register
        def search(query: str) -> str:
            '''Search.'''

        @action
        def click(x: int, y: int) -> None:
            '''Click.'''
        """
    )
    assert [(r.name, r.registry) for r in found] == [
        ("search", "local:registry._tools"),
        (None, None),  # appended: no name key, so it never clashes by name
    ]


def test_user_decorator_that_refuses_duplicates() -> None:
    reg = one(
        """
        TOOLS = {}

        def register(fn):
            if fn.__name__ in TOOLS:
                raise ValueError(f"duplicate tool {fn.__name__}")
            TOOLS[fn.__name__] = fn
            return fn

        @register
        def search(q: str) -> str:
            '''Search.'''
        """
    )
    assert reg.refuses_duplicates


def test_user_registry_kind_and_contract_from_its_names() -> None:
    handlers = one(
        """
        HANDLERS = {}

        def on(fn):
            HANDLERS[fn.__name__] = fn
            return fn

        @on
        def start(event):
            return event
        """
    )
    assert handlers.kind == "tool" and not handlers.tool_contract  # not judged as a tool
    agents = one(
        """
        AGENTS = {}

        def agent(fn):
            AGENTS[fn.__name__] = fn
            return fn

        @agent
        def planner(goal):
            return goal
        """
    )
    assert agents.kind == "agent" and not agents.tool_contract


def test_plain_decorators_are_not_registrations() -> None:
    assert (
        regs(
            """
            import functools

            CACHE = {}

            def memo(fn):
                @functools.wraps(fn)
                def wrapper(*args):
                    CACHE[args] = fn(*args)
                    return CACHE[args]
                return wrapper

            @memo
            def slow(x: int) -> int:
                return x
            """
        )
        == ()
    )


# -- user-defined metaclasses and __init_subclass__ --------------------------------------


METACLASS_REGISTRY = """
import inspect

PLUGINS = {}
REQUIRED_ATTRS = ("name", "description")

class PluginMeta(type):
    def __new__(mcls, name, bases, namespace, **kwargs):
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        if not bases or inspect.isabstract(cls):
            return cls
        for attr in REQUIRED_ATTRS:
            if attr not in namespace:
                raise TypeError(f"{name} must define {attr!r}")
        PLUGINS[namespace["name"]] = cls
        return cls

class Plugin(metaclass=PluginMeta):
    pass
"""


def test_metaclass_registry_registers_and_reads_not_in_namespace_guards() -> None:
    found = regs(
        METACLASS_REGISTRY
        + """
class Search(Plugin):
    name = "search"
    description = "Search."

class Fetch(Plugin):
    name = "fetch"

class Inherits(Search):
    pass
"""
    )
    assert [(r.source, r.definition.name.value, r.name, r.registry) for r in found] == [
        ("user-metaclass", "Search", "search", "local:PLUGINS"),
        ("user-metaclass", "Fetch", None, None),
        ("user-metaclass", "Inherits", None, None),
    ]
    assert [p.message for p in found[1].problems] == ["Fetch must define 'description'"]
    # `"name" not in namespace` looks at the class body only: inheriting is not enough.
    assert [p.message for p in found[2].problems] == ["Inherits must define 'name'"]
    related = found[1].problems[0].related
    assert len(related) == 1 and isinstance(related[0][0], cst.Raise)


def test_metaclass_skips_abstract_classes() -> None:
    found = regs(
        "from abc import ABCMeta, abstractmethod\n"
        + METACLASS_REGISTRY.replace("class PluginMeta(type)", "class PluginMeta(ABCMeta)")
        + """
class Base(Plugin):
    @abstractmethod
    def run(self): ...

class Concrete(Base):
    name = "concrete"
    description = "Concrete."

    def run(self):
        return 1
"""
    )
    assert [r.definition.name.value for r in found] == ["Concrete"]


def test_init_subclass_guards_hasattr_loop_and_class_keywords() -> None:
    source = """
    REQUIRED = ["name", "run"]

    class Handler:
        registry = {}

        def __init_subclass__(cls, *, event=None, **kwargs):
            super().__init_subclass__(**kwargs)
            if event is None:
                raise TypeError(f"{cls.__name__} needs event=")
            for attr in REQUIRED:
                if not hasattr(cls, attr):
                    raise TypeError(f"{cls.__name__} lacks {attr}")
            cls.registry[event] = cls

    class Named:
        name = "named"

        def run(self):
            return None

    class Good(Named, Handler, event="start"):
        pass

    class NoEvent(Named, Handler):
        pass

    class NoRun(Handler, event="stop"):
        name = "stop"
    """
    found = regs(source)
    assert [(r.source, r.name, r.registry) for r in found] == [
        ("user-init-subclass", "start", "local:Handler.registry"),
        ("user-init-subclass", None, None),
        ("user-init-subclass", None, None),
    ]
    assert guard_messages(source) == ["NoEvent needs event=", "NoRun lacks run"]


def test_guards_that_are_not_static_are_not_judged() -> None:
    # Whether STRICT is set is unknown: one path raises, the other registers.
    assert (
        guard_messages(
            """
            import os

            class Handler:
                registry = {}

                def __init_subclass__(cls, **kwargs):
                    if os.environ.get("STRICT") and not hasattr(cls, "event"):
                        raise TypeError("needs event")
                    cls.registry[cls.__name__] = cls

            class OnStart(Handler):
                pass
            """
        )
        == []
    )
    assert (
        guard_messages(
            """
            from mixins import Evented

            class Handler:
                def __init_subclass__(cls, **kwargs):
                    if not hasattr(cls, "event"):
                        raise TypeError("needs event")

            class OnStart(Evented, Handler):
                pass
            """
        )
        == []
    )


def test_every_path_raising_is_a_refusal_whatever_the_unknown_condition() -> None:
    # Both sides of the unknown condition raise TypeError: refused either way.
    assert guard_messages(
        """
        import os

        class Handler:
            def __init_subclass__(cls, **kwargs):
                if os.environ.get("STRICT"):
                    raise TypeError("strict mode")
                if not hasattr(cls, "event"):
                    raise TypeError("needs event")

        class OnStart(Handler):
            pass
        """
    ) == [
        "class 'OnStart' is refused by Handler.__init_subclass__: it raises TypeError when "
        "the class is created"
    ]


def test_guard_with_local_list_and_percent_message() -> None:
    assert guard_messages(
        """
        REQUIRED = ("name", "description")

        class Base:
            def __init_subclass__(cls, **kwargs):
                missing = []
                for attr in REQUIRED:
                    if getattr(cls, attr, None) is None:
                        missing.append(attr)
                if missing:
                    raise TypeError("%s is missing: %s" % (cls.__name__, ", ".join(missing)))

        class Tool(Base):
            name = "tool"
        """
    ) == ["Tool is missing: description"]


# -- frameworks --------------------------------------------------------------------------


def test_framework_decorators_by_import_path() -> None:
    found = regs(
        '''
        from langchain_core.tools import tool
        from agents import function_tool
        from crewai.tools import tool as crew_tool
        import smolagents

        @tool("lookup")
        def lookup(ticker: str, config: RunnableConfig) -> float:
            """Look up."""

        @function_tool(name_override="weather")
        def get_weather(wrapper: RunContextWrapper[Ctx], city: str) -> str:
            """Weather."""

        @crew_tool("Search the internet")
        def search(query: str) -> str:
            """Search."""

        @smolagents.tool
        def add(a: int, b: int) -> int:
            """Add."""
        '''
    )
    assert [(r.source, r.name, [p.name for p in r.parameters or ()]) for r in found] == [
        ("framework:langchain", "lookup", ["ticker"]),
        ("framework:openai-agents", "weather", ["city"]),
        ("framework:crewai", "Search the internet", ["query"]),
        ("framework:smolagents", "add", ["a", "b"]),
    ]
    assert [p.message for p in found[2].contract_problems] == []  # CrewAI: free-text names
    assert all(r.registry is None for r in found)


def test_framework_instance_decorators() -> None:
    found = regs(
        '''
        from mcp.server.fastmcp import FastMCP
        from pydantic_ai import Agent

        mcp = FastMCP("notes")
        agent = Agent("openai:gpt-4o")

        @mcp.tool()
        def add_note(text: str, ctx: Context) -> str:
            """Add a note."""

        @mcp.tool
        def bare(text: str) -> str:
            """Bare."""

        @agent.tool
        def roll(ctx, sides: int) -> int:
            """Roll a die."""

        @agent.tool_plain(name="now")
        def current_time() -> str:
            """Now."""
        '''
    )
    assert [(r.source, r.name, r.registry) for r in found] == [
        ("framework:mcp", "add_note", "local:mcp"),
        ("framework:mcp", "bare", "local:mcp"),
        ("framework:pydantic-ai", "roll", "local:agent"),
        ("framework:pydantic-ai", "now", "local:agent"),
    ]
    assert [p.name for p in found[0].parameters or ()] == ["text"]
    assert [p.name for p in found[2].parameters or ()] == ["sides"]
    assert "Use @tool() instead of @tool" in found[1].problems[0].message


def test_framework_tool_classes() -> None:
    reg = one(
        """
        from smolagents import Tool

        class Weather(Tool):
            name = "weather"
            description = "Weather."
            inputs = {"city": {"type": "string", "description": "City"}}
            output_type = "string"

            def forward(self, city: str) -> str:
                return city
        """
    )
    assert (reg.source, reg.name, reg.description) == (
        "framework:smolagents",
        "weather",
        "Weather.",
    )
    assert isinstance(reg.schema_node, cst.Dict)
    assert [p.name for p in reg.parameters or ()] == ["city"]


# -- the contract ------------------------------------------------------------------------


def test_candidate_json_types_from_annotations() -> None:
    reg = one(
        '''
        from typing import Optional
        from agentsense.runtime.registry import tool

        @tool
        def f(a: Optional[int], b: "str | None", c: list[str], d: dict[str, int] | None = None) -> None:
            """F."""
        '''
    )
    from agentsense.runtime.contract import json_type_for_type_name

    assert [json_type_for_type_name(p.annotation or "") for p in reg.parameters or ()] == [
        "integer",
        "string",
        "array",
        "object",
    ]
    assert candidate_problems(reg) == []


def test_problem_codes_by_kind() -> None:
    found = regs(
        f"""
        from agentsense.runtime.registry import tool

        @tool(name="a b")
        def one() -> None: ...

        @tool(name=3, description="x")
        def two() -> None: ...

        @tool(description="{"d" * 1100}")
        def three() -> None: ...
        """
    )
    codes = [[problem_rule(r, p).code for p in r.contract_problems] for r in found]
    assert codes == [["AGT214", "AGT210"], ["AGT211"], ["AGT215"]]


@pytest.mark.parametrize(
    "code",
    [
        "class A(A):\n    pass\n",
        "class A(B):\n    pass\nclass B(A):\n    pass\n",
        "X = Y\nY = X\nfrom agentsense.runtime.registry import tool\n@tool(name=X)\ndef f(): ...\n",
        "class M(type):\n    def __new__(*args):\n        raise TypeError('x')\nclass C(metaclass=M): ...\n",
        "class M(type):\n    def __new__(m, n, b, ns):\n        while True:\n            D[n] = 1\n"
        "class C(metaclass=M): ...\n",
        "class B:\n    def __init_subclass__(cls):\n        for x in range(10**9):\n"
        "            R[x] = cls\nclass C(B): ...\n",
        "class C(*bases, **kw): ...\n",
        "from agentsense.runtime.registry import tool\n@tool(name=('a' * 10**9))\ndef f(): ...\n",
        "x = " + "(" * 200 + "1" + ")" * 200 + "\n",
    ],
)
def test_never_crashes(code: str) -> None:
    regs(code)
    lint_with(code, ["AGT2"])


def test_rules_share_the_registrations_fact() -> None:
    module = cst.parse_module(
        "from agentsense.runtime.registry import tool\n@tool\ndef f(x): ...\n"
    )
    facts = ModuleFacts(module)
    assert registrations_of(facts) is registrations_of(facts)
    assert find_registrations(module, facts)[0].name == "f"


def test_factory_body_runs_before_the_decorator() -> None:
    # The factory rebinds its argument or returns early: the key is not the raw argument.
    assert (
        regs(
            """
            import typing

            LOOKUP = {}

            def register(type_, *, module=typing):
                if isinstance(type_, str):
                    type_ = getattr(module, type_, None)
                    if type_ is None:
                        return lambda f: f

                def inner(func):
                    LOOKUP[type_] = func
                    return func

                return inner

            @register("Type")
            def resolve_type(thing): ...

            @register("Type", module=None)
            def resolve_type_again(thing): ...
            """
        )
        == ()
    )


def test_metaclass_with_prepare_is_not_read_as_the_class_body() -> None:
    assert (
        guard_messages(
            """
            class Meta(type):
                @classmethod
                def __prepare__(mcls, name, bases, **kwargs):
                    return {"_ignore_": []}

                def __new__(mcls, name, bases, namespace, **kwargs):
                    ignore = namespace["_ignore_"]
                    REGISTRY[name] = super().__new__(mcls, name, bases, namespace)
                    return REGISTRY[name]

            REGISTRY = {}

            class Color(metaclass=Meta):
                RED = 1
            """
        )
        == []
    )


def test_never_crashes_on_mutilated_registrations() -> None:
    # Every parity snippet with each of its lines removed in turn: half-written code as an
    # editor sees it while typing.
    from tests.rules.test_registration_parity import SNIPPETS

    for snippet in SNIPPETS:
        lines = snippet.source.splitlines(keepends=True)
        for index in range(len(lines)):
            mutilated = "".join(lines[:index] + lines[index + 1 :])
            try:
                module = cst.parse_module(mutilated)
            except cst.ParserSyntaxError:
                continue
            found = find_registrations(module, ModuleFacts(module))
            for reg in found:
                candidate_problems(reg)
            lint_with(mutilated, ["AGT2"])


def test_init_subclass_under_an_unknown_metaclass_is_not_judged() -> None:
    # pydantic's metaclass (or any unseen one) may rewrite the class namespace first.
    assert (
        regs(
            """
            from pydantic import BaseModel

            class ToolModel(BaseModel):
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    if "name" not in cls.__dict__:
                        raise TypeError("tools need a name")

            class Search(ToolModel):
                query: str
            """
        )
        == ()
    )


def test_entry_is_the_function_a_model_call_runs() -> None:
    found = regs(
        '''
        from agentsense.runtime.registry import BaseTool, tool
        from smolagents import Tool

        @tool
        def search(query: str) -> str:
            """Search."""

        class Fetch(BaseTool):
            name = "fetch"
            description = "Fetch."

            def execute(self, url: str) -> str:
                return url

        class Weather(Tool):
            name = "weather"
            description = "Weather."

            def forward(self, city: str) -> str:
                return city
        '''
    )
    assert [(r.entry.name.value if r.entry else None) for r in found] == [
        "search",
        "execute",
        "forward",
    ]


def test_each_contract_problem_has_one_rule() -> None:
    """Names and descriptions of every kind the contract refuses: no two rules claim one
    problem (a blank description longer than the limit is missing, not verbose)."""
    found = regs(
        f"""
        from agentsense.runtime.registry import tool

        @tool(name="a b", description="")
        def one() -> None: ...

        @tool(name=3, description="   ")
        def two() -> None: ...

        @tool(description="{" " * 1100}")
        def three() -> None: ...

        @tool(name="{"n" * 70}", description="{"d" * 1100}")
        def four() -> None: ...
        """
    )
    problems = [(r, p) for r in found for p in r.contract_problems]
    assert len(problems) >= 6
    assert all(len(claiming_rules(r, p)) <= 1 for r, p in problems)
    codes = [[problem_rule(r, p).code for p in r.contract_problems] for r in found]
    assert codes == [["AGT214", "AGT210"], ["AGT211", "AGT210"], ["AGT210"], ["AGT214", "AGT215"]]
