"""The project-wide pass as plain data: what each file contributes, what cross-file rules read
(`Project`) and what they report (`ProjectReport`).

Cross-file rules (`Rule.check_project`) see only this, never source text: the command line
builds it from every file's `FileResult` (cached on disk, sent back by worker processes), the
editor from its workspace index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from agentsense.analyzers.model import Finding, RelatedLocation, Span

# The registry keys registrations carry, which this pass joins across files (kept here, free
# of libcst, because a warm `check` reads cached results without loading the engine).
# One namespace for @tool functions and BaseTool classes: the runtime refuses a name taken
# by either (registry._refuse_duplicate).
RUNTIME_TOOLS = "runtime:tools"
RUNTIME_AGENTS = "runtime:agents"
# A module-level tool another module's list may name (`export:<function>`), and a list naming
# an imported one (`listed:<its registry>`, the site's name being the qualified name imported).
EXPORTED = "export:"
LISTED = "listed:"
# Registries shared by every module of a process; any other registry is file-local.
GLOBAL_REGISTRIES = frozenset({RUNTIME_TOOLS, RUNTIME_AGENTS})
# The registry of a tool registered on an imported object (`import:app.server.mcp`): the
# project joins it to the framework instance that module defines, if any.
IMPORTED = "import:"


def module_names(path: str) -> list[str]:
    """The dotted names a file may be imported as: `src/app/server.py` -> app.server,
    server, src.app.server (every suffix of its folders)."""
    parts = path.replace("\\", "/").split("/")
    if not parts or not parts[-1].endswith(".py"):
        return []
    parts[-1] = parts[-1][: -len(".py")]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    parts = [p for p in parts if p]
    return [".".join(parts[index:]) for index in range(len(parts)) if parts[index:]]


@dataclass(frozen=True, slots=True)
class RegistrationSummary:
    """What the project index keeps of one registration (enough for cross-file rules)."""

    name: str  # the tool / agent name it registers under
    kind: str  # "tool" or "agent"
    registry: str  # which registry it targets (duplicates only clash within one)
    path: str
    span: Span
    noqa_row: int = 0  # the row a noqa comment for a finding here goes on
    source: str = ""  # the mechanism (Registration.source)
    refuses_duplicates: bool = False  # its registry raises on a taken name


@dataclass(frozen=True, slots=True)
class NoqaRows:
    """A file's suppression comments, kept for the findings of the project-wide pass."""

    file_ignored: bool = False  # `# agentsense: ignore-file`
    # (row, codes) of each suppression comment; no codes: every code on that row.
    rows: tuple[tuple[int, tuple[str, ...]], ...] = ()

    def suppresses(self, code: str, rows: Sequence[int]) -> bool:
        """Whether a finding of `code` whose noqa comment may sit on `rows` is silenced."""
        return self.suppressing_row(code, rows) is not None

    def suppressing_row(self, code: str, rows: Sequence[int]) -> int | None:
        """The row of the comment that silences a finding of `code` whose noqa comment may
        sit on `rows` (0: the whole file is ignored; None: nothing silences it)."""
        if self.file_ignored:
            return 0
        for row, codes in self.rows:
            if row > 0 and row in rows and (not codes or code in codes):
                return row
        return None


@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything one file contributes to a run."""

    path: str
    findings: tuple[Finding, ...]
    registrations: tuple[RegistrationSummary, ...] = ()
    # Module-level framework instances with their own tool registry (`mcp = FastMCP(...)`).
    instances: tuple[str, ...] = ()
    noqa: NoqaRows = NoqaRows()


@dataclass(frozen=True, slots=True)
class ProjectReport:
    """A finding a cross-file rule reports; the pass adds code, name and severity, and drops
    it when its file's configuration disables the rule or a noqa comment silences it."""

    path: str
    span: Span
    message: str
    related: tuple[RelatedLocation, ...] = ()
    noqa_row: int = 0  # the first row of its statement (0: the span's row)


def project_registry(registry: str, path: str) -> str:
    """Registries of one file (a dict in it, a FastMCP server) never clash with another's."""
    return registry if registry in GLOBAL_REGISTRIES else f"{path}::{registry}"


class Project:
    """What cross-file rules read: every file's result, and registrations joined across files."""

    def __init__(self, files: Sequence[FileResult]) -> None:
        self.files = files

    @cached_property
    def shared_instances(self) -> dict[str, str]:
        """`app.server.mcp` -> the registry key of the instance `mcp` that app/server.py
        defines, for every dotted name the file may be imported as (ambiguous names are left
        out)."""
        found: dict[str, set[str]] = defaultdict(set)
        for result in self.files:
            for instance in result.instances:
                registry = project_registry(f"local:{instance}", result.path)
                for dotted in module_names(result.path):
                    found[f"{dotted}.{instance}"].add(registry)
        return {name: next(iter(keys)) for name, keys in found.items() if len(keys) == 1}

    @cached_property
    def registration_groups(self) -> tuple[tuple[RegistrationSummary, ...], ...]:
        """Registrations taking one name in one registry that more than one file can reach
        (the runtime's, or a framework instance other modules import), each group ordered by
        file and position. A tool registered on an imported instance carries the registry
        of the instance it joins."""
        shared = self.shared_instances
        targets = frozenset(shared.values())
        groups: dict[tuple[str, str], list[RegistrationSummary]] = defaultdict(list)
        for result in self.files:
            for site in result.registrations:
                if site.registry in GLOBAL_REGISTRIES or site.registry in targets:
                    groups[(site.registry, site.name)].append(site)
                elif site.registry.startswith(IMPORTED):
                    registry = shared.get(site.registry.removeprefix(IMPORTED))
                    if registry is not None:
                        groups[(registry, site.name)].append(replace(site, registry=registry))
        for site in self.agent_list_sites:
            groups[(site.registry, site.name)].append(site)
        return tuple(
            tuple(sorted(sites, key=lambda s: (s.path, s.span.start))) for sites in groups.values()
        )

    @cached_property
    def agent_list_sites(self) -> tuple[RegistrationSummary, ...]:
        """The sites of agents' tools lists (openai-agents `Agent(tools=[...])`) that name
        tools of other modules: each listed tool's definition, as a registration in its list's
        registry, and the tools the list's own module puts in it. Lists naming only their own
        module's tools are that file's lint's. Summaries carry the module-level tools such a
        list may name (`export:<function>`) and the names a list imports
        (`listed:<registry>`, its name the qualified name imported)."""
        exports: dict[str, list[RegistrationSummary]] = defaultdict(list)
        listings: list[RegistrationSummary] = []
        for result in self.files:
            for site in result.registrations:
                if site.registry.startswith(f"{result.path}::{EXPORTED}"):
                    function = site.registry.rsplit(EXPORTED, 1)[1]
                    for dotted in module_names(result.path):
                        exports[f"{dotted}.{function}"].append(site)
                elif site.registry.startswith(LISTED):
                    listings.append(site)
        out: list[RegistrationSummary] = []
        registries: set[str] = set()
        for listing in listings:
            found = exports.get(listing.name, [])
            if len(found) == 1:  # one file defines it under that dotted name
                registry = listing.registry.removeprefix(LISTED)
                out.append(replace(found[0], registry=registry))
                registries.add(registry)
        out.extend(
            site
            for result in self.files
            for site in result.registrations
            if site.registry in registries
        )
        return tuple(out)


# A suppression comment the project-wide pass used: (path, row, code).
UsedSuppression = tuple[str, int, str]


@dataclass(frozen=True, slots=True)
class ProjectFindings:
    """What the project-wide pass found, and the suppression comments it used.

    A per-file lint cannot know that a `# noqa: AGT212` silences a duplicate registered in
    another file: it reports the comment as unused (AGT900). `without_used_suppressions`
    corrects a file's findings with `used`.
    """

    findings: tuple[Finding, ...]
    used: frozenset[UsedSuppression]
