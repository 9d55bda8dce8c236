"""Registrations recognised per framework: mechanisms with no failure mode of their own."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from agentsense.analyzers.detect.registrations import registrations_of
from agentsense.analyzers.facts import ModuleFacts
from tests.helpers import lint_with


def _registrations(source: str) -> list[tuple[str, str | None, tuple[str, ...]]]:
    module = cst.parse_module(textwrap.dedent(source))
    return [
        (reg.source, reg.name, tuple(p.name for p in reg.parameters or ()))
        for reg in registrations_of(ModuleFacts(module))
    ]


AGNO_TOOLKIT = '''
from agno.agent import Agent
from agno.tools import Toolkit

class FileTools(Toolkit):
    def __init__(self, enable_delete: bool = False, **kwargs):
        tools = [self.read_file]
        if enable_delete:
            tools.append(self.delete_file)
        super().__init__(name="file_tools", tools=tools, **kwargs)

    def read_file(self, file_name: str, agent=None) -> str:
        """Read a file."""
        return file_name

    def delete_file(self, file_name: str):
        return file_name

    def _helper(self, x: int) -> int:
        return x

def get_weather(city: str) -> str:
    """Get the weather."""
    return city

@tool_like
def decorated(city: str) -> str:
    return city

agent = Agent(tools=[FileTools(), get_weather])
'''


def test_agno_toolkit_methods_and_listed_functions() -> None:
    assert _registrations(AGNO_TOOLKIT) == [
        ("framework:agno", "read_file", ("file_name",)),  # `agent` is injected
        ("framework:agno", "delete_file", ("file_name",)),
        ("framework:agno", "get_weather", ("city",)),
    ]
    (finding,) = lint_with(textwrap.dedent(AGNO_TOOLKIT), ("AGT210",))
    assert "agno: tool 'delete_file' has no description" in finding.message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            """
            from agents import function_tool as ft

            @ft
            def search(query: str) -> str:
                return query
            """,
            [("framework:openai-agents", "search", ("query",))],
        ),
        (
            """
            from agents.decorators import tool

            @tool(name_override="find")
            def search(query: str) -> str:
                return query
            """,
            [("framework:openai-agents", "find", ("query",))],
        ),
        (
            """
            from anthropic import beta_tool

            @beta_tool
            def get_weather(location: str) -> str:
                return location
            """,
            [("framework:anthropic", "get_weather", ("location",))],
        ),
        (
            """
            from llama_index.core.tools import FunctionTool

            def add(a: int, b: int) -> int:
                return a + b

            tool = FunctionTool.from_defaults(fn=add, name="add_numbers")
            """,
            [("framework:llama-index", "add_numbers", ("a", "b"))],
        ),
        (
            """
            from langroid.agent.tool_message import ToolMessage

            class ReadFileTool(ToolMessage):
                request: str = "read_file_tool"
                purpose: str = "Read the contents of a <file_path>"
                file_path: str
            """,
            [("framework:langroid", "read_file_tool", ())],
        ),
        (
            """
            import marvin

            def run_shell_command(command: list[str]) -> str:
                \"\"\"e.g. ['ls', '-l']\"\"\"
                return ""

            def lookup(key: str) -> str:
                return key

            task = marvin.Task[str](instructions="find the ip", tools=[run_shell_command])
            agent = marvin.Agent(tools=[lookup])
            """,
            [
                ("framework:marvin", "run_shell_command", ("command",)),
                ("framework:marvin", "lookup", ("key",)),
            ],
        ),
        (
            # Not agno's Agent: a plain function in some other `tools=[...]` is not a tool.
            """
            from myapp import Agent

            def helper(x: int) -> int:
                return x

            agent = Agent(tools=[helper])
            """,
            [],
        ),
    ],
    ids=[
        "openai-agents-alias",
        "openai-agents-decorators",
        "anthropic",
        "llama-index",
        "langroid",
        "marvin",
        "other",
    ],
)
def test_recognised(source: str, expected: list[tuple[str, str | None, tuple[str, ...]]]) -> None:
    assert _registrations(source) == expected
