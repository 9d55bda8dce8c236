"""The project index: AGT212 across files, both sites reported, each pointing at the other."""

from __future__ import annotations

import pickle
from pathlib import Path

from pydantic import TypeAdapter

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.model import Finding, Severity
from agentsense.analyzers.project import FileResult, analyze, cross_file_findings

SEARCH_TOOL = '''from agentsense.runtime.registry import tool


@tool
def search(query: str) -> list[str]:
    """Search the web."""
    return []
'''

SEARCH_CLASS = """from agentsense.runtime.registry import BaseTool


class WebSearch(BaseTool):
    name = "search"
    description = "Search the web, with retries."

    def execute(self, query: str) -> list[str]:
        return []
"""


def config(**settings: object) -> Config:
    return Config(Path.cwd(), None, Settings.model_validate(settings))


def run(files: dict[str, str], cfg: Config | None = None) -> tuple[list[FileResult], list[Finding]]:
    cfg = cfg or config()
    results = [analyze(source, path, cfg) for path, source in files.items()]
    return results, cross_file_findings(results, lambda path: cfg)


def test_duplicate_across_two_files_is_reported_on_both_with_related_locations() -> None:
    results, findings = run({"tools/a.py": SEARCH_TOOL, "tools/b.py": SEARCH_CLASS})
    assert [f.code for r in results for f in r.findings] == []  # nothing in either file alone
    assert [(f.code, f.path, f.span.start.row, f.span.start.column) for f in findings] == [
        ("AGT212", "tools/a.py", 5, 5),
        ("AGT212", "tools/b.py", 5, 12),
    ]
    first, second = findings
    assert [(r.path, r.span) for r in first.related] == [(second.path, second.span)]
    assert [(r.path, r.span) for r in second.related] == [(first.path, first.span)]
    assert "tool 'search' is also registered in b.py:5" in first.message
    # The runtime's own message for the second import, verbatim.
    assert "\"tool 'search' is already registered\"" in first.message
    assert first.severity is Severity.WARNING and first.noqa_row == 5


def test_summaries_are_plain_picklable_json_data() -> None:
    results, _ = run({"a.py": SEARCH_TOOL})
    [result] = results
    [summary] = result.registrations
    assert (summary.name, summary.kind, summary.registry, summary.path) == (
        "search",
        "tool",
        "runtime:tools",
        "a.py",
    )
    adapter = TypeAdapter(FileResult)
    assert adapter.validate_json(adapter.dump_json(result)) == result
    assert pickle.loads(pickle.dumps(result)) == result


def test_in_file_duplicates_are_reported_once_with_in_file_related_locations() -> None:
    twice = SEARCH_TOOL + SEARCH_TOOL.replace("def search", "def search_again").replace(
        "@tool", '@tool(name="search")'
    ).replace("from agentsense.runtime.registry import tool\n", "")
    results, findings = run({"a.py": twice, "b.py": SEARCH_CLASS})
    in_file = [f for f in results[0].findings if f.code == "AGT212"]
    assert len(in_file) == 2
    assert all(f.related and f.related[0].path == "a.py" for f in in_file)
    # Cross-file: only b.py's site is new; a.py's sites already carry AGT212.
    assert [(f.path, len(f.related)) for f in findings] == [("b.py", 2)]


def test_noqa_on_one_site_silences_only_that_site() -> None:
    suppressed = SEARCH_TOOL.replace(
        "def search(query: str) -> list[str]:",
        "def search(query: str) -> list[str]:  # noqa: AGT212",
    )
    _, findings = run({"a.py": suppressed, "b.py": SEARCH_CLASS})
    assert [f.path for f in findings] == ["b.py"]
    bare = SEARCH_CLASS.replace('name = "search"', 'name = "search"  # noqa')
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": bare})
    assert [f.path for f in findings] == ["a.py"]
    ignored = "# agentsense: ignore-file\n" + SEARCH_CLASS
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": ignored})
    assert [f.path for f in findings] == ["a.py"]


def test_each_site_follows_its_own_files_config() -> None:
    cfg = config(**{"per-file-ignores": {"b.py": ["AGT212"]}, "severity": {"AGT212": "error"}})
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": SEARCH_CLASS}, cfg)
    assert [(f.path, f.severity) for f in findings] == [("a.py", Severity.ERROR)]
    assert findings[0].related[0].path == "b.py"  # still points at the silenced site
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": SEARCH_CLASS}, config(ignore=["AGT212"]))
    assert findings == []


def test_refused_registrations_and_file_local_registries_do_not_clash() -> None:
    refused = SEARCH_CLASS.replace('    description = "Search the web, with retries."\n', "")
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": refused})
    assert findings == []  # b.py's class never takes the name: its import fails first
    local = '''TOOLS = {}


def register(fn):
    TOOLS[fn.__name__] = fn
    return fn


@register
def search(query: str) -> list[str]:
    """Search."""
    return []
'''
    _, findings = run({"a.py": local, "b.py": local, "c.py": SEARCH_TOOL})
    assert findings == []  # each file's TOOLS is its own dict
    agents = "from agentsense.runtime.registry import Agent\n\n\nclass R(Agent, agent_type='search'):\n    pass\n"
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": agents})
    assert findings == []  # a tool and an agent type do not share a registry


def test_agent_types_clash_across_files() -> None:
    agents = "from agentsense.runtime.registry import Agent\n\n\nclass R(Agent, agent_type='research'):\n    pass\n"
    _, findings = run({"a.py": agents, "b.py": agents.replace("class R", "class S")})
    assert [f.path for f in findings] == ["a.py", "b.py"]
    assert "agent type 'research'" in findings[0].message
    assert "agent type 'research' is already registered" in findings[0].message


def test_syntax_errors_and_empty_files() -> None:
    results, findings = run({"bad.py": "def (:\n", "empty.py": ""})
    assert [f.code for f in results[0].findings] == ["AGT001"]
    assert results[0].registrations == () and results[1].registrations == ()
    assert findings == []


def test_registrations_inside_functions_are_not_indexed() -> None:
    in_tests = '''from agentsense.runtime.registry import tool


def test_search() -> None:
    @tool
    def search(query: str) -> list[str]:
        """Search."""
        return []
'''
    results, findings = run({"test_a.py": in_tests, "b.py": SEARCH_TOOL})
    assert results[0].registrations == () and findings == []


def test_a_name_in_many_files_gives_findings_of_bounded_size() -> None:
    """N files registering one name: N findings, each with at most 3 related locations and a
    message that does not grow with N (it names the first files and counts the rest)."""
    sizes = {}
    for count in (2, 5, 40):
        files = {f"tools/t{i:03}.py": SEARCH_TOOL for i in range(count)}
        _, findings = run(files)
        assert len(findings) == count
        assert all(len(f.related) == min(count - 1, 3) for f in findings)
        sizes[count] = max(len(f.message) for f in findings)
    assert sizes[40] - sizes[5] <= 2  # only the count's digits differ
    first, last = findings[0], findings[-1]
    assert "is also registered in t001.py:5, t002.py:5, t003.py:5 and 36 other places" in (
        first.message
    )
    assert "importing two of these modules raises" in first.message
    assert [r.path for r in last.related] == ["tools/t000.py", "tools/t001.py", "tools/t002.py"]


def test_project_findings_follow_the_generic_noqa_rows() -> None:
    """The pass reads each file's suppression comments: a noqa naming another code does not
    silence AGT212, an `agentsense: ignore[...]` naming it does."""
    other_code = SEARCH_CLASS.replace('name = "search"', 'name = "search"  # noqa: AGT401')
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": other_code})
    assert [f.path for f in findings] == ["a.py", "b.py"]
    ignored = SEARCH_CLASS.replace(
        'name = "search"', 'name = "search"  # agentsense: ignore[AGT212]'
    )
    _, findings = run({"a.py": SEARCH_TOOL, "b.py": ignored})
    assert [f.path for f in findings] == ["a.py"]
