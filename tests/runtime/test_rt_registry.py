"""Registries: class tools (ToolMeta), @tool functions and Agent types, validated at import."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import pytest

from agentsense.runtime.contract import ContractError, ToolCallError, ToolSpec, validate_call
from agentsense.runtime.registry import (
    AGENT_TYPES,
    FUNCTION_TOOLS,
    TOOL_REGISTRY,
    Agent,
    BaseTool,
    ClassTool,
    DuplicateToolError,
    FunctionTool,
    all_tools,
    as_tool,
    clear_registries,
    create_agent,
    get_tool,
    isolated_registries,
    tool,
)


def test_concrete_tool_class_registers_with_spec_from_execute() -> None:
    class Search(BaseTool):
        name = "search"
        description = "Search the web."

        def execute(self, query: str, limit: int = 3) -> list[str]:
            return [query] * limit

    assert TOOL_REGISTRY["search"] is Search
    spec = Search.__tool_spec__
    assert [(p.name, p.json_type, p.required) for p in spec.parameters] == [
        ("query", "string", True),
        ("limit", "integer", False),
    ]
    entry = get_tool("search")
    assert isinstance(entry, ClassTool)
    assert entry.bind()(query="q", limit=2) == ["q", "q"]


def test_async_execute_marks_spec_async() -> None:
    class Fetch(BaseTool):
        name = "fetch"
        description = "Fetch a URL."

        async def execute(self, url: str) -> str:
            return url

    assert Fetch.__tool_spec__.is_async is True


def test_missing_description_attribute_is_refused_with_exact_message() -> None:
    with pytest.raises(ContractError) as caught:

        class NoDescription(BaseTool):
            name = "nodesc"

            def execute(self) -> None:
                return None

    assert (
        str(caught.value)
        == "tool class 'NoDescription' is missing required attribute 'description'"
    )
    assert isinstance(caught.value, TypeError)
    assert "nodesc" not in TOOL_REGISTRY


def test_missing_name_attribute_is_refused() -> None:
    with pytest.raises(
        ContractError, match="tool class 'Nameless' is missing required attribute 'name'"
    ):

        class Nameless(BaseTool):
            description = "d"

            def execute(self) -> None:
                return None


def test_tool_class_without_execute_is_refused() -> None:
    with pytest.raises(ContractError, match="missing required attribute 'execute'"):

        class NoExecute(BaseTool):
            name = "noexec"
            description = "d"


def test_invalid_name_and_long_description_use_contract_messages() -> None:
    with pytest.raises(ContractError, match=r"tool name 'web search' must match"):

        class Spaced(BaseTool):
            name = "web search"
            description = "d"

            def execute(self) -> None:
                return None

    with pytest.raises(ContractError, match="description is 2000 characters, over the 1024 limit"):

        class Wordy(BaseTool):
            name = "wordy"
            description = "w" * 2000

            def execute(self) -> None:
                return None


def test_abstract_bases_are_skipped_and_subclasses_registered() -> None:
    class HttpTool(BaseTool):
        abstract = True
        timeout = 5

    class AbstractMethodBase(BaseTool):
        def helper(self) -> int:
            return 1

    class Ping(HttpTool):
        name = "ping"
        description = "Ping a host."

        def execute(self, host: str) -> str:
            return host

    assert dict(TOOL_REGISTRY) == {"ping": Ping}


def test_duplicate_names_are_refused_across_both_registries() -> None:
    class First(BaseTool):
        name = "dup"
        description = "d"

        def execute(self) -> None:
            return None

    with pytest.raises(DuplicateToolError) as caught:

        class Second(BaseTool):
            name = "dup"
            description = "d"

            def execute(self) -> None:
                return None

    assert str(caught.value) == "tool 'dup' is already registered"
    assert isinstance(caught.value, ContractError)
    assert TOOL_REGISTRY["dup"] is First

    with pytest.raises(DuplicateToolError, match="tool 'dup' is already registered"):

        @tool(name="dup", description="d")
        def other() -> None:
            return None


def test_bare_tool_decorator_registers_and_returns_the_function() -> None:
    def add(a: int, b: int = 1) -> int:
        """Add two numbers."""
        return a + b

    decorated = tool(add)
    assert decorated is add
    spec: ToolSpec = add.__tool_spec__  # type: ignore[attr-defined]
    assert spec.name == "add" and spec.description == "Add two numbers."
    assert FUNCTION_TOOLS["add"] == FunctionTool(spec=spec, fn=add)
    assert add(2) == 3


def test_tool_decorator_with_arguments() -> None:
    @tool(name="web-search", description="Search.")
    async def search(query: str) -> str:
        return query

    entry = get_tool("web-search")
    assert isinstance(entry, FunctionTool)
    assert entry.spec.is_async and entry.fn is search


def test_tool_decorator_refuses_undocumented_function() -> None:
    with pytest.raises(ContractError, match="tool 'mystery' has no description"):

        @tool
        def mystery() -> None:
            return None

    assert "mystery" not in FUNCTION_TOOLS


def test_get_tool_unknown_name_and_all_tools() -> None:
    @tool(description="B.")
    def b_tool() -> None:
        return None

    class ATool(BaseTool):
        name = "a_tool"
        description = "A."

        def execute(self) -> None:
            return None

    assert [entry.spec.name for entry in all_tools()] == ["a_tool", "b_tool"]
    with pytest.raises(
        KeyError, match=r"no tool registered as 'c_tool' \(registered: a_tool, b_tool\)"
    ):
        get_tool("c_tool")


def test_as_tool_accepts_plain_functions_without_registering() -> None:
    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    entry = as_tool(shout)
    assert isinstance(entry, FunctionTool) and entry.spec.name == "shout"
    assert "shout" not in FUNCTION_TOOLS
    with pytest.raises(TypeError):
        as_tool(42)


class Flavoured:
    """A cooperative mixin with its own class keyword."""

    flavour: str = "plain"

    def __init_subclass__(cls, *, flavour: str = "plain", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.flavour = flavour


def test_agent_subclass_registers_and_passes_other_keywords_on() -> None:
    class Researcher(Agent, Flavoured, agent_type="researcher", flavour="spicy"):
        def __init__(self, topic: str) -> None:
            self.topic = topic

    assert AGENT_TYPES["researcher"] is Researcher
    assert Researcher.agent_type == "researcher"
    assert Researcher.flavour == "spicy"  # the mixin received its keyword through super()
    agent = Agent.create("researcher", "llamas")
    assert isinstance(agent, Researcher) and agent.topic == "llamas"
    assert isinstance(create_agent("researcher", topic="x"), Researcher)


def test_abstract_agent_base_is_not_registered_and_duplicates_refused() -> None:
    class Base(Agent):
        abstract = True

    class Writer(Base, agent_type="writer"):
        pass

    assert dict(AGENT_TYPES) == {"writer": Writer}
    with pytest.raises(ContractError, match="agent type 'writer' is already registered"):

        class Writer2(Agent, agent_type="writer"):
            pass

    with pytest.raises(ContractError, match="agent_type must be a non-empty string"):

        class Blank(Agent, agent_type=" "):
            pass


def test_agent_type_as_a_class_attribute_registers() -> None:
    class ChainOfThought(Agent):
        agent_type = "cot"

    class Careful(Agent, agent_type="careful"):
        agent_type = "careful"  # the same type both ways is no conflict

    assert dict(AGENT_TYPES) == {"cot": ChainOfThought, "careful": Careful}
    assert isinstance(Agent.create("cot"), ChainOfThought)
    with pytest.raises(ContractError, match="agent type 'cot' is already registered"):

        class Another(Agent):
            agent_type = "cot"

    with pytest.raises(ContractError, match="agent_type must be a non-empty string"):

        class Numbered(Agent):
            agent_type = 7  # type: ignore[assignment]


def test_concrete_agent_without_a_type_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match="agent class 'Nameless': no agent_type"):

        class Nameless(Agent):
            def run(self) -> str:
                return "?"

    class Researcher(Agent, agent_type="research"):
        pass

    # An inherited type does not count: it would register a second class under "research".
    with pytest.raises(TypeError, match="agent class 'DeepResearcher': no agent_type"):

        class DeepResearcher(Researcher):
            pass

    with pytest.raises(TypeError, match="agent_type is given twice, as 'a' and 'b'"):

        class Confused(Agent, agent_type="a"):
            agent_type = "b"

    assert dict(AGENT_TYPES) == {"research": Researcher}


def test_abstract_base_subclasses_are_concrete_and_abc_bases_are_not() -> None:
    class Base(Agent):
        abstract = True

    with pytest.raises(TypeError, match="no agent_type"):

        class Forgot(Base):  # `abstract` is read from the class body only
            pass

    class Runnable(Agent, ABC):
        @abstractmethod
        def run(self, task: str) -> str: ...

    class Echo(Runnable, agent_type="echo"):
        def run(self, task: str) -> str:
            return task

    assert dict(AGENT_TYPES) == {"echo": Echo}
    with pytest.raises(TypeError, match=r"abstract method\(s\) run are not implemented"):

        class Half(Runnable, agent_type="half"):
            pass


def test_unknown_agent_type_lists_known_types() -> None:
    class Planner(Agent, agent_type="planner"):
        pass

    with pytest.raises(KeyError, match=r"unknown agent type 'plannr' \(known types: planner\)"):
        Agent.create("plannr")


def test_isolated_registries_restore_and_clear() -> None:
    @tool(description="Outer.")
    def outer() -> None:
        return None

    with isolated_registries():
        clear_registries()
        assert FUNCTION_TOOLS == {}

        @tool(description="Inner.")
        def inner() -> None:
            return None

    assert set(FUNCTION_TOOLS) == {"outer"}


def test_tool_with_explicit_parameters_sends_that_schema_and_validates_the_signature() -> None:
    schema = {"type": "object", "properties": {"location": {"type": "string"}}}
    with isolated_registries():

        @tool(parameters=schema)
        def weather(city: str) -> str:
            """Current weather for a city."""
            return city

        spec = weather.__tool_spec__  # type: ignore[attr-defined]
        assert spec.json_schema()["parameters"] == schema
        assert validate_call(spec, {"city": "Paris"}) == {"city": "Paris"}
        with pytest.raises(ToolCallError):
            validate_call(spec, {"location": "Paris"})
