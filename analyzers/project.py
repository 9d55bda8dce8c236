"""Project-wide analysis: per-file results plus the findings that need every file (AGT212)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath

import libcst as cst

from agentsense.analyzers.config import Config
from agentsense.analyzers.detect.frameworks.agent_tools import (
    AGENT_LIST_SOURCES,
    EXPORTED,
    LISTED,
    agent_tool_lists,
)
from agentsense.analyzers.detect.frameworks.instances import (
    framework_instances,
    imported_instance_tools,
    module_names,
)
from agentsense.analyzers.detect.registrations import (
    RUNTIME_AGENTS,
    RUNTIME_TOOLS,
    Registration,
    kind_label,
    registry_label,
    runtime_duplicate_message,
)
from agentsense.analyzers.engine import lint_module, parse, syntax_error_findings
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.model import Finding, RelatedLocation, Span
from agentsense.analyzers.positions import Positions
from agentsense.analyzers.registry import rules_by_code
from agentsense.analyzers.suppression import Suppressions, find_suppressions
from agentsense.analyzers.walk import find_path

DUPLICATE_TOOL_NAME = "AGT212"
ALL_CODES = "*"  # in `suppressed_codes`: a noqa comment without codes, or a file-level ignore
# Registries shared by every module of a process; any other registry is file-local.
GLOBAL_REGISTRIES = frozenset({RUNTIME_TOOLS, RUNTIME_AGENTS})
# The registry of a tool registered on an imported object (`import:app.server.mcp`): the
# project index joins it to the framework instance that module defines, if any.
IMPORTED = "import:"


@dataclass(frozen=True, slots=True)
class RegistrationSummary:
    """What the project index keeps of one registration (enough for cross-file rules)."""

    name: str  # the tool / agent name it registers under
    kind: str  # "tool" or "agent"
    registry: str  # which registry it targets (duplicates only clash within one)
    path: str
    span: Span
    suppressed_codes: tuple[str, ...] = ()  # codes a noqa comment on its row silences ("*": all)
    noqa_row: int = 0  # the row a noqa comment for a finding here goes on
    source: str = ""  # the mechanism (Registration.source)
    refuses_duplicates: bool = False  # its registry raises on a taken name


@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything one file contributes to a run."""

    path: str
    findings: tuple[Finding, ...]
    registrations: tuple[RegistrationSummary, ...] = ()
    # Module-level framework instances with their own tool registry (`mcp = FastMCP(...)`).
    instances: tuple[str, ...] = ()


def analyze(source: str, path: str, config: Config) -> FileResult:
    """Lint one file and summarise its registrations for the project index (one parse)."""
    enabled = config.enabled_codes(path)
    suppressions = find_suppressions(source)
    tree = parse(source)
    if not isinstance(tree, cst.Module):
        if suppressions.file_ignored or not enabled:
            return FileResult(path, ())
        return FileResult(path, tuple(syntax_error_findings(tree, source, path, config)))
    findings: list[Finding] = []
    if enabled and not suppressions.file_ignored:
        findings = lint_module(tree, source, path, config, enabled, suppressions)
    return FileResult(
        path, tuple(findings), summarize(tree, path, suppressions), instances_of(tree)
    )


def instances_of(module: cst.Module) -> tuple[str, ...]:
    """The file's framework instances that other modules may import and register on."""
    try:
        return framework_instances(module, ModuleFacts(module))
    except RecursionError:
        return ()


def summarize(
    module: cst.Module, path: str, suppressions: Suppressions
) -> tuple[RegistrationSummary, ...]:
    """The registrations of a parsed file that can clash with other files' (named, keyed)."""
    facts = ModuleFacts(module)
    try:
        registrations = facts.registrations
        imported = imported_instance_tools(module, facts)
    except RecursionError:
        return ()
    # Registrations inside functions run only when called (tests, factories): not indexed.
    named = [
        reg
        for reg in registrations
        if reg.registry is not None
        and reg.name is not None
        and reg.registers
        and not reg.in_function
    ]
    # Agents' tools lists naming tools of other modules, and this module's tools they may
    # name (joined by `_agent_list_sites`).
    listed = [
        (listing.registry, qualified, node)
        for listing in agent_tool_lists(facts)
        for qualified, node in listing.imported
    ]
    exported = [
        reg
        for reg in registrations
        if reg.source in AGENT_LIST_SOURCES
        and reg.name is not None
        and reg.registers
        and not reg.in_function
    ]
    if not named and not imported and not listed and not exported:
        return ()
    positions = Positions(module)
    out: list[RegistrationSummary] = [
        RegistrationSummary(
            qualified,
            "tool",
            f"{LISTED}{_project_registry(registry, path)}",
            path,
            positions.span(node),
        )
        for registry, qualified, node in listed
    ]
    named.extend(
        replace(reg, registry=f"{EXPORTED}{reg.definition.name.value}") for reg in exported
    )
    for tool in imported:
        span = positions.span(tool.node)
        out.append(
            RegistrationSummary(
                name=tool.name,
                kind="tool",
                registry=f"{IMPORTED}{tool.qualified}",
                path=path,
                span=span,
                suppressed_codes=_suppressed_codes(suppressions, {span.start.row}),
                noqa_row=span.start.row,
                source="framework:imported",
            )
        )
    for reg in named:
        assert reg.registry is not None and reg.name is not None
        span = positions.span(reg.name_node)
        noqa_row = _statement_row(reg, positions) or span.start.row
        out.append(
            RegistrationSummary(
                name=reg.name,
                kind=reg.kind,
                registry=_project_registry(reg.registry, path),
                path=path,
                span=span,
                suppressed_codes=_suppressed_codes(suppressions, {span.start.row, noqa_row}),
                noqa_row=noqa_row,
                source=reg.source,
                refuses_duplicates=reg.refuses_duplicates,
            )
        )
    return tuple(out)


def _project_registry(registry: str, path: str) -> str:
    """Registries of one file (a dict in it, a FastMCP server) never clash with another's."""
    return registry if registry in GLOBAL_REGISTRIES else f"{path}::{registry}"


def _statement_row(reg: Registration, positions: Positions) -> int | None:
    """The first row of the innermost statement holding the name (where a noqa comment goes)."""
    chain = find_path(reg.definition, reg.name_node) or [reg.definition]
    statement = next(
        (
            n
            for n in reversed(chain)
            if isinstance(n, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        ),
        None,
    )
    return positions.span(statement).start.row if statement is not None else None


def _suppressed_codes(suppressions: Suppressions, rows: set[int]) -> tuple[str, ...]:
    if suppressions.file_ignored:
        return (ALL_CODES,)
    codes: set[str] = set()
    for row in rows:
        found = suppressions.by_row.get(row)
        if found is None:
            continue
        if not found.codes:
            return (ALL_CODES,)
        codes.update(found.codes)
    return tuple(sorted(codes))


def cross_file_message(site: RegistrationSummary, others: Sequence[RegistrationSummary]) -> str:
    """The AGT212 message on one site of a name registered in several files."""
    what = f"{kind_label('agent' if site.kind == 'agent' else 'tool', site.registry)} {site.name!r}"
    # File names only: outputs show paths relative to where they run; related locations
    # carry the full ones.
    where = ", ".join(f"{PurePath(other.path).name}:{other.span.start.row}" for other in others)
    if site.registry in GLOBAL_REGISTRIES:
        runtime = runtime_duplicate_message("agent" if site.kind == "agent" else "tool", site.name)
        return f'{what} is also registered in {where}; importing both modules raises "{runtime}"'
    label = registry_label(site.registry)
    if site.refuses_duplicates:
        return f"{what} is also registered in {where}; {label} raises on a name already taken"
    return f"{what} is also registered in {where}; {label} keeps only one of them"


def _shared_instances(results: Sequence[FileResult]) -> dict[str, str]:
    """`app.server.mcp` -> the registry key of the instance `mcp` that app/server.py defines,
    for every dotted name the file may be imported as (ambiguous names are left out)."""
    found: dict[str, set[str]] = defaultdict(set)
    for result in results:
        for instance in result.instances:
            registry = _project_registry(f"local:{instance}", result.path)
            for dotted in module_names(result.path):
                found[f"{dotted}.{instance}"].add(registry)
    return {name: next(iter(keys)) for name, keys in found.items() if len(keys) == 1}


def _agent_list_sites(results: Sequence[FileResult]) -> list[RegistrationSummary]:
    """The sites of the agents' tools lists that name tools of other modules: each listed
    tool's definition (as the registration of its list's registry) and the list's own module's
    tools. Lists naming only their own module's tools are the file's lint's."""
    exports: dict[str, list[RegistrationSummary]] = defaultdict(list)
    listings: list[RegistrationSummary] = []
    for result in results:
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
        site for result in results for site in result.registrations if site.registry in registries
    )
    return out


def cross_file_findings(
    results: Sequence[FileResult], config_for: Callable[[str], Config]
) -> list[Finding]:
    """AGT212 for names registered in one registry from more than one file.

    A site that also has a duplicate in its own file is already reported by the lint of that
    file (with related locations there), so it is not reported again; the sites in the other
    files are, each pointing to every site elsewhere. Each site follows its own file's
    configuration: the rule enabled, its severity, a noqa comment on the registration's row.
    """
    shared = _shared_instances(results)
    groups: dict[tuple[str, str], list[RegistrationSummary]] = defaultdict(list)
    for result in results:
        for site in result.registrations:
            if site.registry in GLOBAL_REGISTRIES:
                groups[(site.registry, site.name)].append(site)
            elif site.registry.startswith(IMPORTED):
                registry = shared.get(site.registry.removeprefix(IMPORTED))
                if registry is not None:
                    groups[(registry, site.name)].append(replace(site, registry=registry))
            elif site.registry in shared.values():
                groups[(site.registry, site.name)].append(site)
    for site in _agent_list_sites(results):
        groups[(site.registry, site.name)].append(site)
    rule = rules_by_code().get(DUPLICATE_TOOL_NAME)
    if rule is None:
        return []
    findings: list[Finding] = []
    for sites in groups.values():
        if len({site.path for site in sites}) < 2:
            continue
        for site in sites:
            if any(o is not site and o.path == site.path for o in sites):
                continue  # the file's own lint reports it, pointing at its twin
            if ALL_CODES in site.suppressed_codes or DUPLICATE_TOOL_NAME in site.suppressed_codes:
                continue
            config = config_for(site.path)
            if DUPLICATE_TOOL_NAME not in config.enabled_codes(site.path):
                continue
            others = [o for o in sites if o.path != site.path]
            findings.append(
                Finding(
                    code=rule.code,
                    name=rule.name,
                    message=cross_file_message(site, others),
                    severity=config.severity_for(rule),
                    path=site.path,
                    span=site.span,
                    related=tuple(
                        RelatedLocation(
                            other.path, other.span, f"the other registration of {other.name!r}"
                        )
                        for other in others
                    ),
                    noqa_row=site.noqa_row,
                )
            )
    findings.sort(key=lambda f: (f.path, f.span.start))
    return findings
