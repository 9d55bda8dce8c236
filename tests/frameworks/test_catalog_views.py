"""The catalog's own renderings for frameworks outside pydantic (no framework needed): what
smolagents, agno and LlamaIndex send, and what the catalog leaves unknown rather than guess.
The parity tests (test_catalog_parity.py) compare the same with the real frameworks."""

from __future__ import annotations

import textwrap

import libcst as cst

from agentsense.analyzers.detect.catalog import ModelView, tool_catalog


def seen(source: str) -> list[ModelView]:
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    return [view.seen for view in tool_catalog(module, "tools.py")]


def test_smolagents_tool_function_and_class() -> None:
    function, cls = seen(
        '''
        from smolagents import Tool, tool

        @tool
        def lookup(key: str, limit: int = 3) -> str:
            """Look a key up.

            Args:
                key: the key
                limit: how many
            """
            return key

        class Weather(Tool):
            name = "weather"
            description = "Get the weather."
            inputs = {"city": {"type": "any", "description": "the city"}}
            output_type = "string"

            def forward(self, city):
                return city
        '''
    )
    assert function.description == "Look a key up."
    assert function.parameters == {
        "type": "object",
        "properties": {
            "key": {"type": "string", "description": "the key"},
            "limit": {"type": "integer", "nullable": True, "description": "how many"},
        },
        "required": ["key"],
    }
    # `any` is sent as `string`.
    assert (cls.name, cls.description) == ("weather", "Get the weather.")
    assert cls.parameters == {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "the city"}},
        "required": ["city"],
    }


def test_smolagents_unknown_types_are_not_rendered() -> None:
    (view,) = seen(
        '''
        from smolagents import tool
        from PIL.Image import Image

        @tool
        def caption(picture: Image) -> str:
            """Caption a picture.

            Args:
                picture: the picture
            """
            return ""
        '''
    )
    assert view.description == "Caption a picture."
    assert view.parameters is None


def test_agno_listed_function_and_decorated_tool() -> None:
    listed, decorated = seen(
        '''
        from typing import Optional

        from agno.agent import Agent
        from agno.tools import tool

        def search(query: str, tags: Optional[list[str]] = None, agent=None) -> str:
            """Search.

            Args:
                query (str): the query
            """
            return query

        @tool
        def add(a: int, b: int) -> int:
            """Add."""
            return a + b

        agent = Agent(tools=[search])
        '''
    )
    assert listed.parameters == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "(str) the query"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["query"],
    }
    assert decorated.parameters is not None
    assert decorated.parameters["additionalProperties"] is False


def test_agno_union_with_none_operator_is_not_rendered() -> None:
    (view,) = seen(
        '''
        from agno.tools import tool

        @tool
        def search(query: str | None = None) -> str:
            """Search."""
            return ""
        '''
    )
    assert (view.description, view.parameters) == ("Search.", None)


def test_llama_index_description_starts_with_the_signature() -> None:
    printed, typing_annotation = seen(
        '''
        from typing import Optional

        from llama_index.core.tools import FunctionTool

        def search(query: str, /, limit: int = 5, *, exact=False, **rest: str) -> list[str]:
            """Search."""
            return []

        def fetch(url: Optional[str] = None) -> str:
            """Fetch."""
            return ""

        search_tool = FunctionTool.from_defaults(fn=search)
        fetch_tool = FunctionTool.from_defaults(fn=fetch)
        '''
    )
    assert printed.description == (
        "search(query: str, /, limit: int = 5, *, exact=False, **rest: str) -> list[str]\nSearch."
    )
    # typing's reprs changed in Python 3.14 (`Optional[str]` prints as `str | None`).
    assert typing_annotation.description is None


def test_agno_docstrings_docstring_parser_may_read_otherwise_are_not_rendered() -> None:
    # Entries flush with their title, and a title word inside an entry: agno's docstring_parser
    # reads these differently from the Google style rendered (checked against agno 3.1.10's
    # own toolkits: zendesk.py, sofya.py).
    flush, nested = seen(
        '''
        from agno.agent import Agent

        def search(query: str) -> str:
            """Search articles.

            Parameters:
            query (str): the query
            """
            return query

        def fetch(urls: str) -> str:
            """Fetch pages.

            Args:
                urls (str): comma-separated URLs.
                    Example: "https://example.com"
            """
            return urls

        agent = Agent(tools=[search, fetch])
        '''
    )
    assert (flush.description, flush.parameters) == (None, None)
    assert (nested.description, nested.parameters) == (None, None)


def test_crewai_names_are_sanitized_and_the_schema_strict() -> None:
    function, cls = seen(
        '''
        from crewai.tools import BaseTool, tool

        @tool("Search the Web")
        def search(query: str, limit: int = 5) -> str:
            """Search the web."""
            return query

        class WeatherTool(BaseTool):
            name: str = "WeatherTool"
            description: str = "Get the weather."

            def _run(self, city: str, config: dict[str, str] | None = None) -> str:
                return city
        '''
    )
    assert (function.name, function.description) == ("search_the_web", "Search the web.")
    assert function.parameters == {
        "properties": {
            "query": {"title": "Query", "type": "string"},
            "limit": {"default": 5, "title": "Limit", "type": "integer"},
        },
        "required": ["query", "limit"],
        "type": "object",
        "additionalProperties": False,
    }
    # A dict parameter: CrewAI's strict form rewrites it, not rendered.
    assert (cls.name, cls.parameters) == ("weather_tool", None)


def test_marvin_listed_functions_render_as_pydantic_ai_plain_tools() -> None:
    # marvin hands the functions of `tools=[...]` to a pydantic-ai Agent: its schema, with a
    # first `RunContext` parameter left to the framework.
    listed, in_task = seen(
        '''
        import marvin
        from pydantic_ai import RunContext

        def lookup_weather(city: str, days: int = 3) -> str:
            """Look the weather up.

            Args:
                city: the city
            """
            return city

        def remember(ctx: RunContext[None], note: str) -> None:
            """Remember a note."""

        agent = marvin.Agent(name="W", tools=[lookup_weather])
        task = marvin.Task[str](instructions="note it", tools=[remember])
        '''
    )
    assert (listed.framework, listed.name, listed.description) == (
        "marvin",
        "lookup_weather",
        "Look the weather up.",
    )
    assert listed.parameters == {
        "additionalProperties": False,
        "properties": {
            "city": {"description": "the city", "type": "string"},
            "days": {"default": 3, "type": "integer"},
        },
        "required": ["city"],
        "type": "object",
    }
    assert in_task.name == "remember"
    assert in_task.parameters == {
        "additionalProperties": False,
        "properties": {"note": {"type": "string"}},
        "required": ["note"],
        "type": "object",
    }
