"""Parity for "what the model sees": the computed catalog equals what the frameworks send.

For every clean example (tests/frameworks/cases.py) and a signature-rich example per
framework, a child process imports the module with the real framework and reads each tool's
definition the way the framework hands it to the provider (openai-agents
`FunctionTool.params_json_schema`, LangChain `convert_to_openai_tool`, MCP and fastmcp
`list_tools()`, pydantic-ai's `ToolDefinition`, anthropic's `to_dict()`, LlamaIndex's
`to_openai_tool()`, smolagents' `get_tool_json_schema`, what an agno Agent's `parse_tools`
hands its model, the pydantic-ai agent marvin builds for a turn); the linter's catalog of the
same source must agree on every value it renders (a value it cannot know statically is None
and left out of the comparison, and the test counts that they stay few).
"""

from __future__ import annotations

import inspect
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from agentsense.analyzers.detect.catalog import tool_catalog
from tests.frameworks.cases import CASES
from tests.frameworks.interpreters import PRELUDE, missing, python_for, run_driver

_RICH_SIGNATURE = '''
def search(query: str, limit: int = 5, tags: Optional[list[str]] = None, mode: Literal["a", "b"] = "a", ratio: float = 0.5, exact: bool = False, scores: dict[str, float] | None = None) -> str:
    """Search things.

    Longer text here.

    Args:
        query: the query
        limit: max results,
            at most 50
    """
    return ""
'''

# smolagents refuses a parameter its docstring does not describe; agno's schema for `X | None`
# differs between Python versions (not rendered): each gets a signature it renders in full.
_SMOLAGENTS_SIGNATURE = '''
def search(query: str, limit: int = 5, tags: Optional[list[str]] = None, mode: Literal["a", "b"] = "a", ratio: float = 0.5, exact: bool = False, scores: dict[str, float] | None = None, extra: Any = None, pairs: list = []) -> str:
    """Search things.

    Longer text here.

    Args:
        query: the query
        limit: max results,
            at most 50
        tags (list[str]): labels to match
        mode: how to match
        ratio: a ratio
        exact: exact matches only
        scores: weights per field
        extra: anything else
        pairs: raw pairs

    Returns:
        the results
    """
    return ""
'''
_AGNO_SIGNATURE = '''
def search(query: str, limit: int = 5, tags: Optional[list[str]] = None, mode: Literal["a", "b"] = "a", ratio: float = 0.5, exact: bool = False, scores: Optional[dict[str, float]] = None, options: dict = {}, agent=None) -> str:
    """Search things
    over many lines.

    Longer text here.

    And here.

    Args:
        query: the query
        limit (int): max results,
            at most 50
        tags: labels to match

    Returns:
        the results
    """
    return ""
'''
# A signature that `inspect.signature` prints the same on every supported Python.
_PRINTED_SIGNATURE = '''
def search(query: str, limit: int = 5, tags: list[str] | None = None, *, mode: str = "a", exact=False, scores: dict[str, float] | None = None) -> list[str]:
    """Search things.

    Args:
        query: the query
    """
    return []
'''
# CrewAI rewrites dict types in its strict form (not rendered).
_CREWAI_SIGNATURE = _RICH_SIGNATURE.replace(
    ", scores: dict[str, float] | None = None", ", labels: list[str] | None = None"
)
SIGNATURES = {
    "crewai": _CREWAI_SIGNATURE,
    "smolagents": _SMOLAGENTS_SIGNATURE,
    "agno": _AGNO_SIGNATURE,
    "llama_index-printed": _PRINTED_SIGNATURE,
}

RICH: dict[str, tuple[str, str]] = {
    # framework import name -> (header, registration)
    "agents": (
        "from agents import function_tool",
        "@function_tool(strict_mode=False)",
    ),
    "langchain_core": ("from langchain_core.tools import tool", "@tool"),
    "mcp": (
        "from mcp.server.mcpserver import MCPServer\nserver = MCPServer('x')",
        "@server.tool()",
    ),
    "fastmcp": ("from fastmcp import FastMCP\nserver = FastMCP('x')", "@server.tool"),
    "pydantic_ai": ("from pydantic_ai import Agent\nagent = Agent('test')", "@agent.tool_plain"),
    "anthropic": ("from anthropic import beta_tool", "@beta_tool"),
    "llama_index": ("from llama_index.core.tools import FunctionTool", ""),
    "smolagents": ("from smolagents import tool", "@tool"),
    "agno": ("from agno.agent import Agent", ""),
    "crewai": ("from crewai.tools import tool", '@tool("Search the Web")'),
    "marvin": ("import marvin", ""),
}
# Examples of a framework beyond its first: id suffix -> framework.
MORE_RICH = {"llama_index-printed": "llama_index"}


def _rich_example(key: str) -> str:
    framework = MORE_RICH.get(key, key)
    header, decorator = RICH[framework]
    body = textwrap.dedent(SIGNATURES.get(key, _RICH_SIGNATURE)).strip("\n")
    source = f"from typing import Any, Literal, Optional\n{header}\n\n{decorator}\n{body}\n"
    if framework == "llama_index":
        source += "\nsearch_tool = FunctionTool.from_defaults(fn=search)\n"
    if framework == "agno":
        source += "\nagent = Agent(tools=[search])\n"
    if framework == "marvin":
        source += "\nagent = marvin.Agent(name='searcher', tools=[search])\n"
    return source.replace("\n\n\ndef", "\n\ndef").replace("\n\ndef", "\ndef")


# Frameworks whose tools are classes: no function signature to vary.
CLASS_FRAMEWORKS = {"langroid"}
_LANGROID_CLASS = '''
from typing import Literal, Optional

from langroid.agent.tool_message import ToolMessage


class SearchTool(ToolMessage):
    """Search things.

    Args:
        query: the query
        limit: max results
    """

    request: str = "search"
    purpose: str = "To search for a <query>."
    query: str
    limit: int = 5
    tags: Optional[list[str]] = None
    mode: Literal["a", "b"] = "a"
    ratio: float = 0.5
    exact: bool = False
    scores: dict[str, float] = {}
    pairs: list[dict[str, int]] = []
'''

EXAMPLES: list[tuple[str, str, str]] = [
    (case.id, case.framework, case.text)
    for case in CASES
    if case.code is None and (case.framework in RICH or case.framework in CLASS_FRAMEWORKS)
]
EXAMPLES += [
    (f"{key}-rich-signature", MORE_RICH.get(key, key), _rich_example(key))
    for key in [*RICH, *MORE_RICH]
]
EXAMPLES.append(("langroid-rich-fields", "langroid", _LANGROID_CLASS.lstrip("\n")))
# Postponed annotations: `inspect.signature` prints each annotation's text as a string.
EXAMPLES.append(
    (
        "llama_index-postponed-annotations",
        "llama_index",
        "from __future__ import annotations\n"
        "from typing import Optional\n"
        "from llama_index.core.tools import FunctionTool\n\n"
        "def search(query: str, tags: Optional[list[str]] = None, *rest: int) -> str:\n"
        '    """Search."""\n'
        "    return query\n\n"
        "search_tool = FunctionTool.from_defaults(fn=search, name='find')\n",
    )
)

# Reads every tool a module defines as its framework would send it: name, description,
# parameters JSON schema.
_DRIVER = r"""
import asyncio, importlib.util, json, sys, warnings
warnings.simplefilter("ignore")

def definitions(module):
    out = []
    for value in list(vars(module).values()):
        kind = type(value).__module__ + "." + type(value).__name__
        if kind.startswith("agents.") and hasattr(value, "params_json_schema"):
            out.append((value.name, value.description, value.params_json_schema))
        elif kind.startswith("langchain_core.tools"):
            from langchain_core.utils.function_calling import convert_to_openai_tool
            function = convert_to_openai_tool(value)["function"]
            out.append((function["name"], function.get("description"), function["parameters"]))
        elif kind.startswith("mcp.server.mcpserver"):
            for tool in asyncio.run(value.list_tools()):
                out.append((tool.name, tool.description, tool.input_schema))
        elif kind.startswith("fastmcp.server"):
            for tool in asyncio.run(value.list_tools()):
                out.append((tool.name, tool.description, tool.parameters))
        elif kind.startswith("pydantic_ai.agent"):
            for tool in value._function_toolset.tools.values():
                d = tool.tool_def
                out.append((d.name, d.description, d.parameters_json_schema))
        elif kind.startswith("anthropic.") and hasattr(value, "to_dict"):
            d = value.to_dict()
            out.append((d["name"], d.get("description"), d["input_schema"]))
        elif kind.startswith("llama_index.core.tools"):
            function = value.metadata.to_openai_tool()["function"]
            out.append((function["name"], function.get("description"), function["parameters"]))
        elif kind.startswith("crewai.tools") or (
            isinstance(value, type) and value.__module__ == module.__name__ and is_crewai_tool(value)
        ):
            from crewai.utilities.agent_utils import convert_tools_to_openai_schema
            tool = value() if isinstance(value, type) else value
            function = convert_tools_to_openai_schema([tool])[0][0]["function"]
            out.append((function["name"], function["description"], function["parameters"]))
        elif isinstance(value, type) and value.__module__ == module.__name__ and is_langroid_tool(value):
            spec = value.llm_function_schema(defaults=True)
            out.append((spec.name, spec.description, spec.parameters))
        elif kind.startswith("smolagents.") or (
            isinstance(value, type) and value.__module__ == module.__name__ and is_smolagents_tool(value)
        ):
            from smolagents.models import get_tool_json_schema
            tool = value() if isinstance(value, type) else value
            function = get_tool_json_schema(tool)["function"]
            out.append((function["name"], function["description"], function["parameters"]))
    out.extend(agno_definitions(module))
    out.extend(marvin_definitions(module))
    return out

def is_crewai_tool(value):
    if "crewai" not in sys.modules:
        return False
    from crewai.tools import BaseTool
    return issubclass(value, BaseTool)

def is_langroid_tool(value):
    if "langroid" not in sys.modules:
        return False
    from langroid.agent.tool_message import ToolMessage
    return issubclass(value, ToolMessage)

def is_smolagents_tool(value):
    if "smolagents" not in sys.modules:
        return False
    from smolagents import Tool
    return issubclass(value, Tool) and value is not Tool

# What agno Agents of the module hand their model, and the module's `@tool` functions as an
# Agent given them would.
def agno_definitions(module):
    values = list(vars(module).values())
    kinds = {type(v).__module__.split(".")[0] for v in values}
    if "agno" not in kinds:
        return []
    from agno.agent import Agent
    from agno.agent._tools import parse_tools
    from agno.models.openai import OpenAIChat
    from agno.tools.function import Function
    agents = [v for v in values if isinstance(v, Agent)]
    loose = [v for v in values if isinstance(v, Function)]
    if loose:
        agents.append(Agent(tools=loose))
    out = []
    model = OpenAIChat(id="gpt-4o", api_key="unused")
    for agent in agents:
        for function in parse_tools(agent, tools=agent.tools, model=model):
            d = function.to_dict()
            out.append((d["name"], d.get("description"), d["parameters"]))
    return out

# What marvin hands pydantic-ai for the module's Agents and Tasks: the pydantic-ai Agent it
# builds for a turn (marvin's `get_agentlet`; the `test` model makes no call).
def marvin_definitions(module):
    if "marvin" not in sys.modules:
        return []
    import marvin
    marvin.defaults.model = "test"
    out = []
    for value in list(vars(module).values()):
        if isinstance(value, marvin.Agent):
            agentlet = asyncio.run(value.get_agentlet(tools=[], end_turn_tools=[]))
        elif isinstance(value, marvin.Task):
            agent = marvin.Agent(name="parity")
            agentlet = asyncio.run(agent.get_agentlet(tools=value.get_tools(), end_turn_tools=[]))
        else:
            continue
        for tool in agentlet._function_toolset.tools.values():
            d = tool.tool_def
            out.append((d.name, d.description, d.parameters_json_schema))
    return out

result = {}
for index, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"catalog_example_{index}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result[path] = definitions(module)
print(json.dumps(result))
"""


def _installed(framework: str) -> bool:
    return python_for(framework) is not None


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """What each framework sends for each example's tools, by example id (one driver run per
    interpreter, in the session's child for it: a framework in its own venv runs there)."""
    root = tmp_path_factory.mktemp("catalog")
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for example_id, framework, text in EXAMPLES:
        python = python_for(framework)
        if python is None:
            continue
        path = root / f"{example_id.replace('-', '_')}.py"
        path.write_text(text, encoding="utf-8")
        groups.setdefault((python, PRELUDE.get(framework, "")), {})[example_id] = str(path)
    out: dict[str, list[Any]] = {}
    for (python, prelude), paths in groups.items():
        outcome = run_driver(python, prelude, _DRIVER, list(paths.values()))
        out.update({example_id: outcome[path] for example_id, path in paths.items()})
    return out


def _same_text(ours: str, theirs: str | None) -> bool:
    if sys.version_info >= (3, 13):
        # 3.13 dedents `__doc__` at compile time; the catalog renders 3.10-3.12's.
        return inspect.cleandoc(ours) == inspect.cleandoc(theirs or "")
    return ours == theirs


UNKNOWN_SCHEMAS = {
    ("openai-agents-documented", "fetch_weather"),  # a TypedDict parameter
    ("openai-agents-non-strict", "search"),  # **kwargs
    ("llama_index-printed-rich-signature", "search"),  # `exact=False`: not annotated
}


@pytest.mark.parametrize(
    ("example_id", "framework", "text"), EXAMPLES, ids=[e[0] for e in EXAMPLES]
)
def test_catalog_matches_the_framework(
    example_id: str, framework: str, text: str, sent: dict[str, list[Any]]
) -> None:
    if not _installed(framework):
        missing(framework)
    views = tool_catalog(cst.parse_module(text), "example.py")
    if example_id == "fastmcp-versions-coexist":
        # list_tools() shows a name's highest version: the catalog lists each; compare the last.
        views = [views[-1]]
    theirs = {name: (description, schema) for name, description, schema in sent[example_id]}
    named = sorted(v.name for v in views if v.name is not None)
    unmatched = sorted(set(theirs) - set(named))
    # A name the linter cannot know (an Enum member's value) is None: it stands for the one
    # tool left.
    assert len(views) == len(theirs) and set(named) <= set(theirs), (views, theirs)
    assert len(unmatched) <= 1
    for view in views:
        name = view.name if view.name is not None else unmatched[0]
        description, schema = theirs[name]
        if (example_id, name) in UNKNOWN_SCHEMAS:
            assert view.seen.parameters is None
        else:
            assert view.seen.parameters == schema, (
                name,
                json.dumps(view.seen.parameters),
                json.dumps(schema),
            )
        if view.seen.description is not None:
            assert _same_text(view.seen.description, description), (
                view.seen.description,
                description,
            )
        elif framework != "llama_index":
            raise AssertionError(f"{name}: description not rendered ({description!r})")


def test_examples_cover_every_rendering_framework() -> None:
    assert {framework for _, framework, _ in EXAMPLES} == set(RICH) | CLASS_FRAMEWORKS
    assert Path(__file__).with_name("cases.py").exists()
