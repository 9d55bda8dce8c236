"""Each framework check's flagged and clean examples, with what the real framework does.

A flagged case names the finding the linter gives (code, a fragment of the message) and the
exception the framework raises when the module is imported (its class name and a fragment of
its message: the same words the finding quotes). A clean case is linted without any
registration finding and imports without error; clean cases include each framework's
documented usage.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    id: str
    framework: str  # the import name whose absence skips the parity test
    source: str
    code: str | None = None  # the finding a flagged case gives; None: clean
    says: str = ""  # in the finding's message and in the exception's text
    error: str = ""  # the exception's class name

    @property
    def text(self) -> str:
        return textwrap.dedent(self.source).lstrip("\n")


def flagged(id: str, framework: str, source: str, code: str, error: str, says: str) -> Case:
    return Case(id, framework, source, code, says, error)


def clean(id: str, framework: str, source: str) -> Case:
    return Case(id, framework, source)


OPENAI_AGENTS = (
    flagged(
        "openai-agents-var-keyword",
        "agents",
        '''
        from agents import function_tool

        @function_tool
        def search(query: str, **filters) -> str:
            """Search the catalogue."""
            return query
        ''',
        "AGT211",
        "UserError",
        "Variadic keyword parameter `**filters` in function search cannot use a strict schema",
    ),
    flagged(
        "openai-agents-dict-parameter",
        "agents",
        '''
        from typing import Any

        from agents import function_tool

        @function_tool
        def save(record: dict[str, Any]) -> str:
            """Save a record."""
            return "ok"
        ''',
        "AGT211",
        "UserError",
        "additionalProperties should not be set for object types",
    ),
    flagged(
        "openai-agents-optional-dict-through-alias",
        "agents",
        '''
        from typing import Optional

        from agents import function_tool as ft

        @ft(name_override="save_all")
        def save(records: Optional[list[dict]] = None) -> str:
            """Save records."""
            return "ok"
        ''',
        "AGT211",
        "UserError",
        "additionalProperties should not be set for object types",
    ),
    flagged(
        "openai-agents-decorators-alias",
        "agents",
        '''
        from agents.decorators import tool

        @tool
        def lookup(key: str, **extra: str) -> str:
            """Look a key up."""
            return key
        ''',
        "AGT211",
        "UserError",
        "cannot use a strict schema",
    ),
    flagged(
        "openai-agents-context-not-first",
        "agents",
        '''
        from agents import RunContextWrapper, function_tool

        @function_tool
        def greet(name: str, ctx: RunContextWrapper) -> str:
            """Greet someone."""
            return name
        ''',
        "AGT211",
        "UserError",
        "RunContextWrapper/ToolContext param found at non-first position in function greet",
    ),
    clean(
        "openai-agents-documented",
        "agents",
        # The SDK's documented example (docs/tools.md).
        '''
        from typing import Any

        from typing_extensions import TypedDict

        from agents import RunContextWrapper, function_tool

        class Location(TypedDict):
            lat: float
            long: float

        @function_tool
        async def fetch_weather(location: Location) -> str:
            """Fetch the weather for a given location.

            Args:
                location: The location to fetch the weather for.
            """
            return "sunny"

        @function_tool(name_override="fetch_data")
        def read_file(ctx: RunContextWrapper[Any], path: str, directory: str | None = None) -> str:
            """Read the contents of a file.

            Args:
                path: The path to the file to read.
                directory: The directory to read the file from.
            """
            return "<file contents>"
        ''',
    ),
    clean(
        "openai-agents-non-strict",
        "agents",
        '''
        from typing import Any

        from agents import function_tool

        @function_tool(strict_mode=False)
        def search(query: str, record: dict[str, Any], **filters: str) -> str:
            """Search with free-form filters."""
            return query
        ''',
    ),
    clean(
        "openai-agents-context-only-dict",
        "agents",
        '''
        from agents import RunContextWrapper, function_tool

        @function_tool
        def whoami(ctx: RunContextWrapper[dict], verbose: bool = False) -> str:
            """Say who the user is."""
            return "me"
        ''',
    ),
)

MCP = (
    flagged(
        "mcp2-tool-not-called",
        "mcp",
        '''
        from mcp.server.mcpserver import MCPServer

        server = MCPServer("notes")

        @server.tool
        def add_note(text: str) -> str:
            """Add a note."""
            return text
        ''',
        "AGT211",
        "TypeError",
        "Did you forget to call it? Use @tool() instead of @tool",
    ),
    flagged(
        "mcp2-underscore-parameter",
        "mcp",
        '''
        from mcp.server.mcpserver import MCPServer

        server = MCPServer("notes")

        @server.tool()
        def list_notes(_offset: int = 0) -> list[str]:
            """List the notes."""
            return []
        ''',
        "AGT211",
        "InvalidSignature",
        "Parameter _offset of list_notes cannot start with '_'",
    ),
    clean(
        "mcp2-documented",
        "mcp",
        # The SDK's quickstart, with 2.x's MCPServer.
        '''
        from mcp.server.mcpserver import Context, MCPServer

        mcp = MCPServer("Demo")

        @mcp.tool()
        def add(a: int, b: int) -> int:
            """Add two numbers"""
            return a + b

        @mcp.tool(name="long_task", description="Run a long task.")
        async def long_task(task_name: str, ctx: Context, offset: int = 0) -> str:
            return task_name
        ''',
    ),
)

MCP_ENUM_NAMES = (
    clean(
        "mcp2-enum-member-names",
        "mcp",
        # mcp-server-git names its tools by a str Enum's members.
        """
        from enum import Enum

        from mcp.server.mcpserver import MCPServer

        class GitTools(str, Enum):
            STATUS = "git_status"

        server = MCPServer("git")

        @server.tool(name=GitTools.STATUS.value, description="Shows the working tree status")
        def git_status(repo_path: str) -> str:
            return repo_path
        """,
    ),
)

FASTMCP = (
    clean(
        "fastmcp-tool-from-function",
        "fastmcp",
        '''
        from fastmcp import FastMCP
        from fastmcp.tools import Tool

        def add(x: int, y: int) -> int:
            """Add two numbers."""
            return x + y

        mcp = FastMCP("Demo")
        mcp.add_tool(Tool.from_function(add, name="add_numbers"))
        ''',
    ),
    clean(
        "fastmcp-versions-coexist",
        "fastmcp",
        # fastmcp's documented component versioning: one name, several versions.
        '''
        from fastmcp import FastMCP

        mcp = FastMCP("Demo")

        @mcp.tool(version="1.0")
        def add(x: int, y: int) -> int:
            """Add two numbers."""
            return x + y

        @mcp.tool(name="add", version="2.0")
        def add_v2(x: int, y: int, z: int = 0) -> int:
            """Add two or three numbers."""
            return x + y + z
        ''',
    ),
    clean(
        "fastmcp-bare-decorator-underscore",
        "fastmcp",
        # Standalone fastmcp takes the bare decorator and `_`-prefixed parameters.
        '''
        from fastmcp import FastMCP

        mcp = FastMCP("Demo")

        @mcp.tool
        def page(_offset: int = 0) -> list[str]:
            """One page of results."""
            return []
        ''',
    ),
)

LANGCHAIN = (
    flagged(
        "langchain-unannotated-name",
        "langchain_core",
        """
        from langchain_core.tools import BaseTool

        class Calculator(BaseTool):
            name = "calculator"
            description: str = "Multiply two numbers."

            def _run(self, a: int, b: int) -> int:
                return a * b
        """,
        "AGT211",
        "PydanticUserError",
        "Field 'name' defined on a base class was overridden by a non-annotated attribute",
    ),
    flagged(
        "langchain-unannotated-description",
        "langchain_core",
        """
        from langchain_core.tools import BaseTool

        class Calculator(BaseTool):
            name: str = "calculator"
            description = "Multiply two numbers."

            def _run(self, a: int, b: int) -> int:
                return a * b
        """,
        "AGT211",
        "PydanticUserError",
        "Field 'description' defined on a base class was overridden by a non-annotated",
    ),
    clean(
        "langchain-documented-basetool",
        "langchain_core",
        # LangChain's documented custom tool (how-to: custom tools).
        """
        from typing import Optional

        from langchain_core.callbacks import CallbackManagerForToolRun
        from langchain_core.tools import BaseTool
        from pydantic import BaseModel, Field

        class CalculatorInput(BaseModel):
            a: int = Field(description="first number")
            b: int = Field(description="second number")

        class CustomCalculatorTool(BaseTool):
            name: str = "Calculator"
            description: str = "useful for when you need to answer questions about math"
            args_schema: type[BaseModel] = CalculatorInput
            return_direct: bool = True

            def _run(
                self, a: int, b: int, run_manager: Optional[CallbackManagerForToolRun] = None
            ) -> int:
                return a * b
        """,
    ),
    clean(
        "langchain-toolkit-placeholders",
        "langchain_core",
        # A toolkit's tool (langchain-community's GitLabAction): the toolkit names it.
        """
        from langchain_core.tools import BaseTool

        class GitLabAction(BaseTool):
            mode: str
            name: str = ""
            description: str = ""

            def _run(self, instructions: str) -> str:
                return instructions

        tools = [
            GitLabAction(mode="get_issues", name="Get Issues", description="List the issues."),
        ]
        """,
    ),
    clean(
        "langchain-description-given-by-init",
        "langchain_core",
        # langchain-community's E2BDataAnalysisTool: a required field passed up by __init__.
        '''
        from langchain_core.tools import BaseTool

        class DataAnalysis(BaseTool):
            """Run Python in a sandbox."""

            name: str = "data_analysis"
            description: str

            def __init__(self, **kwargs: object) -> None:
                super().__init__(description="Evaluates Python code in a sandbox.", **kwargs)

            def _run(self, python_code: str) -> str:
                return python_code

        DataAnalysis()
        ''',
    ),
    clean(
        "langchain-documented-decorator",
        "langchain_core",
        '''
        from langchain_core.tools import tool

        @tool
        def multiply(a: int, b: int) -> int:
            """Multiply two numbers."""
            return a * b
        ''',
    ),
)

LANGCHAIN_FUNCTIONS = (
    flagged(
        "langchain-from-function-without-description",
        "langchain_core",
        """
        from langchain_core.tools import StructuredTool

        def search(query: str) -> str:
            return query

        search_tool = StructuredTool.from_function(func=search)
        """,
        "AGT210",
        "ValueError",
        "Function must have a docstring if description not provided.",
    ),
    flagged(
        "langchain-decorator-without-docstring",
        "langchain_core",
        """
        from langchain_core.tools import tool

        @tool("lookup")
        def lookup(key: str) -> str:
            return key
        """,
        "AGT210",
        "ValueError",
        "Function must have a docstring if description not provided.",
    ),
    clean(
        "langchain-documented-from-function",
        "langchain_core",
        # LangChain's documented StructuredTool example.
        '''
        from langchain_core.tools import StructuredTool

        def multiply(a: int, b: int) -> int:
            """Multiply two numbers."""
            return a * b

        async def amultiply(a: int, b: int) -> int:
            """Multiply two numbers."""
            return a * b

        def search(query: str) -> str:
            return query

        calculator = StructuredTool.from_function(func=multiply, coroutine=amultiply)
        searcher = StructuredTool.from_function(search, name="search", description="Search.")
        ''',
    ),
)

LLAMA_INDEX = (
    clean(
        "llama-index-documented",
        "llama_index",
        # LlamaIndex describes a function without a docstring by its signature.
        '''
        from llama_index.core.tools import FunctionTool

        def multiply(a: int, b: int) -> int:
            """Multiply two integers and return the result."""
            return a * b

        def add(a: int, b: int) -> int:
            return a + b

        multiply_tool = FunctionTool.from_defaults(fn=multiply)
        add_tool = FunctionTool.from_defaults(add, name="add_numbers")
        ''',
    ),
)

PYDANTIC_AI = (
    flagged(
        "pydantic-ai-tool-without-context",
        "pydantic_ai",
        '''
        from pydantic_ai import Agent

        agent = Agent("test")

        @agent.tool
        def roll_die(sides: int) -> str:
            """Roll a die."""
            return "4"
        ''',
        "AGT211",
        "UserError",
        "First parameter of tools that take context must be annotated with RunContext[...]",
    ),
    flagged(
        "pydantic-ai-plain-tool-with-context",
        "pydantic_ai",
        '''
        from pydantic_ai import Agent, RunContext

        agent = Agent("test", deps_type=str)

        @agent.tool_plain
        def player(ctx: RunContext[str]) -> str:
            """The player's name."""
            return ctx.deps
        ''',
        "AGT211",
        "UserError",
        "RunContext annotations can only be used with tools that take context",
    ),
    clean(
        "pydantic-ai-documented",
        "pydantic_ai",
        # pydantic-ai's dice game example (docs/tools.md).
        '''
        import random

        from pydantic_ai import Agent, RunContext

        agent = Agent("test", deps_type=str)

        @agent.tool_plain
        def roll_dice() -> str:
            """Roll a six-sided die and return the result."""
            return str(random.randint(1, 6))

        @agent.tool
        def get_player_name(ctx: RunContext[str]) -> str:
            """Get the player's name."""
            return ctx.deps
        ''',
    ),
)

SMOLAGENTS = (
    flagged(
        "smolagents-argument-not-documented",
        "smolagents",
        '''
        from smolagents import tool

        @tool
        def get_weather(city: str, unit: str = "celsius") -> str:
            """Get the weather in a city.

            Args:
                city: The city.
            """
            return city
        ''',
        "AGT211",
        "DocstringParsingException",
        "the docstring has no description for the argument 'unit'",
    ),
    flagged(
        "smolagents-no-args-section",
        "smolagents",
        '''
        from smolagents import tool

        @tool
        def shout(text: str) -> str:
            """Shout the text."""
            return text.upper()
        ''',
        "AGT211",
        "DocstringParsingException",
        "the docstring has no description for the argument 'text'",
    ),
    flagged(
        "smolagents-no-return-annotation",
        "smolagents",
        '''
        from smolagents import tool

        @tool
        def shout(text: str):
            """Shout the text.

            Args:
                text: What to shout.
            """
            return text.upper()
        ''',
        "AGT211",
        "TypeHintParsingException",
        "Tool return type not found",
    ),
    flagged(
        "smolagents-tool-input-type",
        "smolagents",
        """
        from smolagents import Tool

        class ModelDownloads(Tool):
            name = "model_download_counter"
            description = "The most downloaded model of a task."
            inputs = {"task": {"type": "str", "description": "the task category"}}
            output_type = "string"

            def forward(self, task: str) -> str:
                return task

        ModelDownloads()
        """,
        "AGT211",
        "ValueError",
        "Input 'task': types ['str'] must be one of",
    ),
    flagged(
        "smolagents-tool-input-without-description",
        "smolagents",
        """
        from smolagents import Tool

        class ModelDownloads(Tool):
            name = "model_download_counter"
            description = "The most downloaded model of a task."
            inputs = {"task": {"type": "string"}}
            output_type = "string"

            def forward(self, task: str) -> str:
                return task

        ModelDownloads()
        """,
        "AGT211",
        "AssertionError",
        "Input 'task' should have keys 'type' and 'description', has only ['type'].",
    ),
    clean(
        "smolagents-documented-tool-class",
        "smolagents",
        # smolagents' guided tour: a Tool subclass.
        """
        from smolagents import Tool

        class HFModelDownloadsTool(Tool):
            name = "model_download_counter"
            description = "Returns the most downloaded model of a given task on the Hugging Face Hub."
            inputs = {
                "task": {
                    "type": "string",
                    "description": "the task category (such as text-classification)",
                },
                "limit": {"type": ["integer", "null"], "description": "how many", "nullable": True},
            }
            output_type = "string"

            def forward(self, task: str, limit: int | None = None) -> str:
                return task

        HFModelDownloadsTool()
        """,
    ),
    clean(
        "smolagents-documented",
        "smolagents",
        # smolagents' guided tour example.
        '''
        from smolagents import tool

        @tool
        def get_travel_duration(start_location: str, destination_location: str, transportation_mode: str | None = None) -> str:
            """Gets the travel time between two places.

            Args:
                start_location (str): the place from which you start your ride
                destination_location: the place of arrival
                transportation_mode: The transportation mode, in 'driving', 'walking'.
            """
            return "10 minutes"
        ''',
    ),
)

AGNO = (
    clean(
        "agno-toolkit-and-listed-functions",
        "agno",
        # agno's documented Toolkit (tools listed in __init__) and plain functions as tools.
        '''
        from agno.agent import Agent
        from agno.tools import Toolkit

        class ShellTools(Toolkit):
            def __init__(self, **kwargs):
                tools = [self.run_shell_command]
                super().__init__(name="shell_tools", tools=tools, **kwargs)

            def run_shell_command(self, args: list[str], tail: int = 100) -> str:
                """Runs a shell command and returns the output or error.

                Args:
                    args (List[str]): The command to run as a list of strings.
                    tail (int): The number of lines to return from the output.
                """
                return ""

        def get_weather(city: str) -> str:
            """Get the weather for a city."""
            return "sunny"

        agent = Agent(tools=[ShellTools(), get_weather])
        ''',
    ),
    clean(
        "agno-documented",
        "agno",
        '''
        from agno.tools import tool

        @tool(name="fetch_hn", description="Fetch the top Hacker News stories.")
        def get_top_hackernews_stories(num_stories: int = 5) -> str:
            return "[]"

        @tool
        def add(a: int, b: int, agent=None) -> int:
            """Add two numbers."""
            return a + b
        ''',
    ),
)

CREWAI = (
    flagged(
        "crewai-name-not-annotated",
        "crewai",
        """
        from crewai.tools import BaseTool

        class WeatherTool(BaseTool):
            name = "Weather"
            description: str = "Get the weather for a city."

            def _run(self, city: str) -> str:
                return city
        """,
        "AGT211",
        "PydanticUserError",
        "Field 'name' defined on a base class was overridden by a non-annotated attribute",
    ),
    clean(
        "crewai-documented",
        "crewai",
        # CrewAI's tools guide (docs/concepts/tools.mdx).
        '''
        from crewai.tools import BaseTool, tool

        class MyCustomTool(BaseTool):
            name: str = "Name of my tool"
            description: str = "What this tool does. It's vital for effective utilization."

            def _run(self, argument: str, limit: int = 3) -> str:
                return "Tool's result"

        @tool("Question Answerer")
        def my_tool(question: str) -> str:
            """Clear description for what this tool is useful for, your agent will need this information to use it."""
            return "Result from your custom tool"
        ''',
    ),
)

LANGROID = (
    flagged(
        "langroid-request-not-annotated",
        "langroid",
        """
        from langroid.agent.tool_message import ToolMessage

        class SquareTool(ToolMessage):
            request = "square"
            purpose: str = "To compute the square of a <number>."
            number: int
        """,
        "AGT211",
        "PydanticUserError",
        "Field 'request' defined on a base class was overridden by a non-annotated attribute",
    ),
    flagged(
        "langroid-purpose-not-annotated",
        "langroid",
        """
        from langroid import ToolMessage

        class CityTool(ToolMessage):
            request: str = "city_tool"
            purpose = "To show the <city> to the user."
            city: str
        """,
        "AGT211",
        "PydanticUserError",
        "Field 'purpose' defined on a base class was overridden by a non-annotated attribute",
    ),
    clean(
        "langroid-documented",
        "langroid",
        # langroid's tools guide (docs/quick-start/chat-agent-tool.md).
        '''
        import langroid as lr
        from langroid.agent.tool_message import ToolMessage

        class ProbeTool(lr.agent.ToolMessage):
            request: str = "probe"
            purpose: str = "To find how many numbers in my list are less than or equal to the <number> you specify."
            number: int

        class PolinskyTool(ToolMessage):
            """Compute the Polinsky transform.

            Args:
                value: the number to transform
                rounds: how many times
            """

            request: str = "polinsky"
            purpose: str = "To compute the Polinsky transform of a <value>."
            value: int
            rounds: int = 1
            mode: str | None = None
            weights: dict[str, float] = {}
        ''',
    ),
)

ANTHROPIC = (
    clean(
        "anthropic-documented",
        "anthropic",
        '''
        from anthropic import beta_tool

        @beta_tool
        def get_weather(location: str) -> str:
            """Lookup the weather for a given city.

            Args:
                location: The city and state, e.g. San Francisco, CA
            """
            return "sunny"
        ''',
    ),
)

# marvin has no checks of its own: its documented usage must import (and, in
# test_catalog_parity.py, render as marvin sends it).
MARVIN = (
    clean(
        "marvin-documented",
        "marvin",
        # marvin's README (agents and tasks with tools).
        '''
        import random

        import marvin
        from pydantic_ai import RunContext


        def roll_dice(n_dice: int = 1, sides: int = 6) -> list[int]:
            """Roll dice and return the results.

            Args:
                n_dice: how many dice to roll
            """
            return [random.randint(1, sides) for _ in range(n_dice)]


        async def search_web(query: str, max_results: int | None = None) -> list[str]:
            """Search the web for a query."""
            return [query]


        def remember(ctx: RunContext[None], note: str) -> None:
            """Remember a note for later turns."""


        agent = marvin.Agent(name="Gambler", instructions="Play dice.", tools=[roll_dice])
        task = marvin.Task[list[str]](instructions="find the news", tools=[search_web, remember])
        ''',
    ),
)

CASES: tuple[Case, ...] = (
    *OPENAI_AGENTS,
    *MCP,
    *MCP_ENUM_NAMES,
    *FASTMCP,
    *LANGCHAIN,
    *LANGCHAIN_FUNCTIONS,
    *LLAMA_INDEX,
    *PYDANTIC_AI,
    *SMOLAGENTS,
    *AGNO,
    *CREWAI,
    *LANGROID,
    *ANTHROPIC,
    *MARVIN,
)
