"""AGT212 on an openai-agents `Agent(tools=[...])` list: two tools of one name in one agent.

openai-agents 0.24.0 raises nothing for them: the model is offered both definitions and the
Runner's lookup (`build_function_tool_lookup_map`, last one wins) runs the last one listed for
every call of that name. The parity test imports each example with the real SDK and reads
exactly that: the names `Agent.get_all_tools` hands the model, and which tool the lookup
picks.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import lint_with

HEADER = '''
from agents import Agent, function_tool


@function_tool
def search(query: str) -> str:
    """Search the web."""
    return query


@function_tool(name_override="search")
def search_docs(query: str) -> str:
    """Search the documentation."""
    return query


@function_tool
def fetch(url: str) -> str:
    """Fetch a page."""
    return url

'''

# (id, agent construction, AGT212 findings)
FLAGGED = [
    ("literal-list", 'agent = Agent(name="Assistant", tools=[search, search_docs])\n', 2),
    (
        "list-variable",
        'TOOLS = [search, fetch]\nagent = Agent(name="Assistant", tools=[*TOOLS, search_docs])\n',
        2,
    ),
    (
        "built-in-a-function",
        "def build() -> Agent:\n"
        '    return Agent(name="Assistant", tools=[fetch] + [search, search_docs])\n',
        2,
    ),
]
CLEAN = [
    ("distinct-names", 'agent = Agent(name="Assistant", tools=[search, fetch])\n'),
    # Each agent keeps its own list: the same name in two agents does not clash.
    (
        "two-agents",
        'web = Agent(name="Web", tools=[search, fetch])\n'
        'docs = Agent(name="Docs", tools=[search_docs])\n',
    ),
    # openai-agents' documented usage (docs/tools.md).
    (
        "documented",
        'agent = Agent(name="Assistant", tools=[search, fetch])\n'
        'triage = Agent(name="Triage", instructions="Hand off.", handoffs=[agent])\n',
    ),
]


def source(construction: str) -> str:
    return textwrap.dedent(HEADER).lstrip("\n") + "\n" + construction


@pytest.mark.parametrize(("case", "construction", "count"), FLAGGED, ids=[f[0] for f in FLAGGED])
def test_duplicate_names_in_one_agent_are_reported(
    case: str, construction: str, count: int
) -> None:
    findings = lint_with(source(construction), ["AGT212"])
    assert len(findings) == count, findings
    where = "agent 'Assistant'" if case == "built-in-a-function" else "agent"
    assert findings[0].message == (
        f"tool 'search' is registered again below in the tools of {where}, which keeps only "
        "one of them"
    )
    assert [f.span.start.row for f in findings] == [5, 10]


@pytest.mark.parametrize(("case", "construction"), CLEAN, ids=[c[0] for c in CLEAN])
def test_distinct_names_or_separate_agents_are_clean(case: str, construction: str) -> None:
    assert lint_with(source(construction), ["AGT212"]) == []


def test_a_tool_in_two_agents_takes_no_single_registry() -> None:
    construction = (
        'a = Agent(name="A", tools=[search])\nb = Agent(name="B", tools=[search, search_docs])\n'
    )
    # `search` is in two lists: no single registry, so the clash in B is not judged.
    assert lint_with(source(construction), ["AGT212"]) == []


# For each Agent of a module: the tool names it hands the model, and for each name the index
# (in that list) of the tool a call of that name runs.
_DRIVER = r"""
import asyncio, importlib.util, json, sys, warnings
warnings.simplefilter("ignore")
from agents import Agent, RunContextWrapper
from agents._tool_identity import build_function_tool_lookup_map, get_function_tool_lookup_key

def inspect_agent(agent):
    tools = asyncio.run(agent.get_all_tools(RunContextWrapper(None)))
    lookup = build_function_tool_lookup_map(tools)
    runs = {
        tool.name: next(i for i, t in enumerate(tools) if t is lookup[get_function_tool_lookup_key(tool.name, None)])
        for tool in tools
    }
    return {"names": [t.name for t in tools], "runs": runs}

out = {}
for index, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"agent_example_{index}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    agents = [v for v in vars(module).values() if isinstance(v, Agent)]
    if hasattr(module, "build"):
        agents.append(module.build())
    out[path] = [inspect_agent(agent) for agent in agents]
print(json.dumps(out))
"""


@pytest.mark.skipif(
    importlib.util.find_spec("agents") is None,
    reason="openai-agents is not installed (pip install -e '.[frameworks]')",
)
def test_parity_with_openai_agents(tmp_path: Path) -> None:
    paths: dict[str, str] = {}
    for case, construction, *_ in [*FLAGGED, *CLEAN]:
        path = tmp_path / f"{case.replace('-', '_')}.py"
        path.write_text(source(construction), encoding="utf-8")
        paths[case] = str(path)
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, *paths.values()],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    for case, *_ in FLAGGED:
        (agent,) = seen[paths[case]]
        # Both are offered to the model (nothing raised), and a call runs the last one.
        assert agent["names"].count("search") == 2, agent
        assert agent["runs"]["search"] == max(
            i for i, name in enumerate(agent["names"]) if name == "search"
        )
    for case, _ in CLEAN:
        for agent in seen[paths[case]]:
            assert len(agent["names"]) == len(set(agent["names"])), agent


# -- across files: a tool defined in one module, imported into another's agent ---------------
WEB = '''from agents import function_tool


@function_tool
def search(query: str) -> str:
    """Search the web."""
    return query


@function_tool
def fetch(url: str) -> str:
    """Fetch a page."""
    return url
'''
AGENT = '''from agents import Agent, function_tool

from app.web import fetch, search


@function_tool(name_override="search")
def search_docs(query: str) -> str:
    """Search the documentation."""
    return query


agent = Agent(name="Assistant", tools=[search, fetch, search_docs])
'''


def run_project(files: dict[str, str]) -> list[tuple[str, int, str]]:
    from agentsense.analyzers.config import Config, Settings
    from agentsense.analyzers.project import analyze, cross_file_findings

    cfg = Config(Path.cwd(), None, Settings.model_validate({}))
    results = [analyze(text, path, cfg) for path, text in files.items()]
    in_files = [f for r in results for f in r.findings if f.code == "AGT212"]
    findings = [*in_files, *cross_file_findings(results, lambda path: cfg)]
    return [(f.path, f.span.start.row, f.message) for f in findings if f.code == "AGT212"]


def test_a_tool_imported_into_an_agent_clashes_with_a_local_one() -> None:
    found = run_project({"app/web.py": WEB, "app/agent.py": AGENT})
    assert found == [
        (
            "app/agent.py",
            6,
            "tool 'search' is also registered in web.py:5; the tools of agent keeps only one "
            "of them",
        ),
        (
            "app/web.py",
            5,
            "tool 'search' is also registered in agent.py:6; the tools of agent keeps only one "
            "of them",
        ),
    ]


def test_two_imported_tools_of_one_name() -> None:
    docs = WEB.replace("Search the web.", "Search the docs.").replace(
        "@function_tool\ndef fetch", '@function_tool(name_override="search")\ndef fetch'
    )
    agent = 'from agents import Agent\n\nfrom app.docs import fetch\nfrom app.web import search\n\nagent = Agent(name="A", tools=[search, fetch])\n'
    found = run_project({"app/web.py": WEB, "app/docs.py": docs, "app/agent.py": agent})
    assert sorted((path, row) for path, row, _ in found) == [("app/docs.py", 10), ("app/web.py", 5)]


def test_cross_file_clean() -> None:
    # Distinct names; the clash lives in an agent that lists only one of them; the tool
    # module is not in the project (unknown, not judged).
    clean_agent = AGENT.replace('name_override="search"', 'name_override="search_docs"')
    assert run_project({"app/web.py": WEB, "app/agent.py": clean_agent}) == []
    other_agent = AGENT.replace("tools=[search, fetch, search_docs]", "tools=[fetch, search_docs]")
    assert run_project({"app/web.py": WEB, "app/agent.py": other_agent}) == []
    assert run_project({"app/agent.py": AGENT}) == []


@pytest.mark.skipif(
    importlib.util.find_spec("agents") is None,
    reason="openai-agents is not installed (pip install -e '.[frameworks]')",
)
def test_cross_file_parity_with_openai_agents(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "web.py").write_text(WEB, encoding="utf-8")
    (tmp_path / "app" / "agent.py").write_text(AGENT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(tmp_path / "app" / "agent.py")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ((agent,),) = json.loads(done.stdout.strip().splitlines()[-1]).values()
    assert agent["names"] == ["search", "fetch", "search"]
    assert agent["runs"]["search"] == 2  # the local one, listed last
