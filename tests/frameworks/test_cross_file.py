"""AGT212 across files for framework registries: one server or agent imported by several modules."""

from __future__ import annotations

from pathlib import Path

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.model import Finding
from agentsense.analyzers.project import FileResult, analyze, cross_file_findings

SERVER = 'from mcp.server.mcpserver import MCPServer\n\nmcp = MCPServer("notes")\n'
TOOLS_A = '''from app.server import mcp


@mcp.tool()
def search(query: str) -> str:
    """Search the notes."""
    return query
'''
TOOLS_B = '''from app.server import mcp


@mcp.tool(name="search")
def find_notes(text: str) -> str:
    """Find notes."""
    return text
'''


def run(files: dict[str, str]) -> tuple[list[FileResult], list[Finding]]:
    cfg = Config(Path.cwd(), None, Settings.model_validate({}))
    results = [analyze(source, path, cfg) for path, source in files.items()]
    return results, cross_file_findings(results, lambda path: cfg)


def test_one_mcp_server_imported_by_two_modules() -> None:
    results, findings = run(
        {"src/app/server.py": SERVER, "src/app/tools_a.py": TOOLS_A, "src/app/tools_b.py": TOOLS_B}
    )
    assert [f for r in results for f in r.findings] == []
    assert [(f.code, f.path, f.span.start.row) for f in findings] == [
        ("AGT212", "src/app/tools_a.py", 5),
        ("AGT212", "src/app/tools_b.py", 4),
    ]
    assert (
        "tool 'search' is also registered in tools_b.py:4; mcp keeps only one"
        in findings[0].message
    )
    assert [r.path for r in findings[0].related] == ["src/app/tools_b.py"]


def test_the_defining_module_registers_too() -> None:
    server = (
        SERVER
        + '\n\n@mcp.tool()\ndef search(query: str) -> str:\n    """Search."""\n    return query\n'
    )
    _, findings = run({"app/server.py": server, "app/tools_b.py": TOOLS_B})
    assert [(f.path, f.span.start.row) for f in findings] == [
        ("app/server.py", 7),
        ("app/tools_b.py", 4),
    ]


def test_pydantic_ai_agent_shared_by_modules() -> None:
    agent = 'from pydantic_ai import Agent\n\nagent = Agent("test")\n'
    tool = '''from bot.agent import agent


@agent.tool_plain
def roll() -> str:
    """Roll a die."""
    return "4"
'''
    _, findings = run({"bot/agent.py": agent, "bot/a.py": tool, "bot/b.py": tool})
    assert [f.path for f in findings] == ["bot/a.py", "bot/b.py"]


def test_no_clash_without_a_known_instance_or_with_versions() -> None:
    # `mcp` imported from a module that is not in the project: unknown object, not judged.
    _, findings = run({"app/tools_a.py": TOOLS_A, "app/tools_b.py": TOOLS_B})
    assert findings == []
    # Two servers: different registries.
    other = SERVER.replace('"notes"', '"other"')
    _, findings = run(
        {
            "app/server.py": SERVER,
            "app/other.py": other,
            "app/tools_a.py": TOOLS_A,
            "app/tools_b.py": TOOLS_B.replace("app.server", "app.other"),
        }
    )
    assert findings == []
    # fastmcp versions coexist.
    versioned = TOOLS_B.replace('name="search"', 'name="search", version="2.0"')
    fastmcp = 'from fastmcp import FastMCP\n\nmcp = FastMCP("notes")\n'
    _, findings = run(
        {"app/server.py": fastmcp, "app/tools_a.py": TOOLS_A, "app/tools_b.py": versioned}
    )
    assert findings == []
