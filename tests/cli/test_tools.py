"""`agentsense tools`: the tool catalog, as text and as JSON (what the model sees)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CliRunner, write

AGENTS = '''\
from agents import function_tool
from langchain_core.tools import tool


@function_tool
def search(query: str, limit: int = 5) -> str:
    """Search the catalogue.

    Args:
        query: what to look for
    """
    return query


@tool
def shout(text: str) -> str:
    """Shout it."""
    return text.upper()


@function_tool
def refused(query: str, **filters) -> str:
    """Refused by the SDK (strict schema): never reaches the model."""
    return query
'''


def test_json_catalog(cli: CliRunner, project: Path) -> None:
    write(project, "src/agent.py", AGENTS)
    write(project, "src/plain.py", "def f():\n    return 1\n")
    run = cli("tools", "--output-format", "json")
    assert run.code == 0, run.err
    catalog = json.loads(run.out)
    assert [entry["name"] for entry in catalog] == ["search", "shout"]
    search, shout = catalog
    assert search == {
        "framework": "OpenAI Agents SDK",
        "registry": None,
        "name": "search",
        "description": "Search the catalogue.",
        "parameters": {
            "additionalProperties": False,
            "properties": {
                "limit": {"default": 5, "title": "Limit", "type": "integer"},
                "query": {"description": "what to look for", "title": "Query", "type": "string"},
            },
            "required": ["query", "limit"],
            "title": "search_args",
            "type": "object",
        },
        "path": "src/agent.py",
        "line": 6,
        "column": 5,
    }
    assert shout["framework"] == "LangChain" and shout["description"] == "Shout it."


def test_text_catalog_and_a_missing_path(cli: CliRunner, project: Path) -> None:
    write(project, "agent.py", AGENTS)
    run = cli("tools", "agent.py")
    assert run.code == 0
    assert "agent.py:6:5: OpenAI Agents SDK search" in run.out
    assert run.out.rstrip().endswith("2 tools")
    missing = cli("tools", "nowhere")
    assert missing.code == 2 and "nowhere" in missing.err


def test_the_catalog_json_is_stable_for_version_control(cli: CliRunner, project: Path) -> None:
    write(project, "agent.py", AGENTS)
    first = cli("tools", "--output-format", "json").out
    assert cli("tools", "--output-format", "json").out == first
    write(project, "agent.py", AGENTS.replace("Shout it.", "Shout it, loudly."))
    changed = cli("tools", "--output-format", "json").out
    assert changed != first and "Shout it, loudly." in changed
