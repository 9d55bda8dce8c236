"""The workspace's registrations (tools and agents by name), for cross-file rules and navigation."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from agentsense.analyzers.budget import NotLinted, text_too_large, too_large
from agentsense.analyzers.config import Config, ConfigError, ConfigResolver
from agentsense.analyzers.discovery import discover
from agentsense.analyzers.engine import parse_with_statements
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.model import Finding
from agentsense.analyzers.project import (
    FileResult,
    RegistrationSummary,
    UsedSuppression,
    instances_of,
    noqa_rows,
    project_findings,
    summarize,
)
from agentsense.analyzers.statement_rows import statement_spans
from agentsense.analyzers.suppression import find_suppressions

# A string literal under the cursor in a registry lookup: `get_tool("search")`, `create("react")`,
# `TOOLS["search"]`. Group 1: the callee or subscripted name, group 2: the quote, 3: the text.
_LOOKUP = re.compile(
    r"""(?P<callee>[A-Za-z_][\w.]*)\s*(?:\(\s*(?:[A-Za-z_]\w*\s*=\s*)?|\[\s*)"""
    r"""(?P<quote>['"])(?P<name>[^'"\\\n]{1,200})(?P=quote)"""
)
# Callees whose first string argument names a registered tool or agent.
LOOKUP_CALLEES = frozenset(
    {
        "get_tool",
        "get",
        "create",
        "create_agent",
        "get_agent",
        "lookup",
        "tool",
        "agent",
        "run_tool",
        "call_tool",
        "load_tool",
        "load_tools",
    }
)


def summarize_file(path: str) -> FileResult | None:
    """The registrations of one file on disk (no lint: the index needs only these)."""
    try:
        if too_large(Path(path).stat().st_size) is not None:
            return None
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return summarize_text(source, path)


def summarize_text(source: str, path: str) -> FileResult:
    if text_too_large(source) is not None:
        return FileResult(path, ())
    try:
        tree, python = parse_with_statements(source)
    except NotLinted:  # nested too deeply: nothing to index
        return FileResult(path, ())
    if not isinstance(tree, cst.Module):
        return FileResult(path, ())
    # One set of facts for both summaries, with the source (detectors skip absent words).
    facts = ModuleFacts(tree, source=source)
    try:
        registrations = summarize(tree, path, facts)
    except RecursionError:
        registrations = ()
    return FileResult(
        path,
        (),
        registrations,
        instances_of(tree, facts),
        noqa_rows(find_suppressions(source, statement_spans(python))),
    )


def workspace_files(root: Path) -> list[str]:
    """The Python files of a workspace, honouring its configured excludes and .gitignore."""
    try:
        found = discover([root], ConfigResolver())
    except ConfigError:
        return [str(p) for p in sorted(root.rglob("*.py")) if ".venv" not in p.parts]
    # Notebooks are linted when open (their cells), not indexed for cross-file rules.
    return [str(p) for p in found.files if p.suffix != ".ipynb"]


@dataclass
class WorkspaceIndex:
    """Registrations by file; cross-file findings are recomputed on every change.

    `roots` are the workspace folders. Each is its own project: a tool name used in two
    folders is not a clash, so cross-file rules compare the files of one folder only.
    """

    files: dict[str, FileResult] = field(default_factory=dict)
    cross: dict[str, list[Finding]] = field(default_factory=dict)
    # Per file, the suppression comments the cross-file pass used (path, row, code).
    used: dict[str, frozenset[UsedSuppression]] = field(default_factory=dict)
    roots: tuple[str, ...] = ()

    def update(self, result: FileResult) -> None:
        self.files[result.path] = result

    def remove(self, path: str) -> None:
        self.files.pop(path, None)

    def folder_of(self, path: str) -> str | None:
        """The innermost workspace folder holding `path` (None: outside every folder)."""
        holding = [root for root in self.roots if _is_within(path, root)]
        return max(holding, key=len) if holding else None

    def remove_folder(self, root: str) -> None:
        """Forget a folder and its files (those also inside another folder stay)."""
        self.roots = tuple(r for r in self.roots if r != root)
        for path in [p for p in self.files if _is_within(p, root)]:
            if self.folder_of(path) is None:
                del self.files[path]

    def recompute(self, config_for: Callable[[str], Config]) -> set[str]:
        """Recompute cross-file findings; returns the paths whose findings changed."""
        projects: dict[str | None, list[FileResult]] = {}
        for result in self.files.values():
            projects.setdefault(self.folder_of(result.path), []).append(result)
        fresh: dict[str, list[Finding]] = {}
        used: dict[str, frozenset[UsedSuppression]] = {}
        for results in projects.values():
            project = project_findings(results, config_for)
            for finding in project.findings:
                fresh.setdefault(finding.path, []).append(finding)
            for suppression in project.used:
                path = suppression[0]
                used[path] = used.get(path, frozenset()) | {suppression}
        # A file whose used suppressions changed is analysed again too: its AGT900 changes.
        changed = {
            path
            for path in set(fresh) | set(self.cross) | set(used) | set(self.used)
            if fresh.get(path) != self.cross.get(path) or used.get(path) != self.used.get(path)
        }
        self.cross = fresh
        self.used = used
        return changed

    def findings_for(self, path: str) -> list[Finding]:
        return list(self.cross.get(path, ()))

    def used_suppressions_for(self, path: str) -> frozenset[UsedSuppression]:
        """The suppression comments of `path` that silenced a cross-file finding."""
        return self.used.get(path, frozenset())

    def registrations(self) -> Iterable[RegistrationSummary]:
        for result in self.files.values():
            yield from result.registrations

    def find(self, name: str) -> list[RegistrationSummary]:
        return [reg for reg in self.registrations() if reg.name == name]

    def search(self, query: str) -> list[RegistrationSummary]:
        """Registrations whose name contains the query's characters in order (any case)."""
        wanted = query.lower()
        out = [reg for reg in self.registrations() if _subsequence(wanted, reg.name.lower())]
        out.sort(key=lambda reg: (reg.name.lower().find(wanted) < 0, reg.name, reg.path))
        return out


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(char in it for char in needle)


def lookup_name_at(line: str, column: int, known: Sequence[str] = ()) -> str | None:
    """The registered name a lookup string on this line holds at `column` (0-based), if any."""
    for match in _LOOKUP.finditer(line):
        start, end = match.start("quote"), match.end()
        if not start <= column <= end:
            continue
        callee = match.group("callee").split(".")[-1]
        name = match.group("name")
        if callee in LOOKUP_CALLEES or name in known or callee.isupper():
            return name
    return None
