"""Project-wide analysis: per-file results, then the rules that need every file
(`Rule.check_project`) with each finding's file's configuration and noqa comments applied."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace

import libcst as cst

from agentsense.analyzers.config import Config
from agentsense.analyzers.detect.frameworks.agent_tools import AGENT_LIST_SOURCES, agent_tool_lists
from agentsense.analyzers.detect.frameworks.instances import (
    framework_instances,
    imported_instance_tools,
)
from agentsense.analyzers.detect.registrations import Registration, registrations_of
from agentsense.analyzers.engine import (
    lint_module,
    narrow_unused_suppression,
    parse_with_statements,
    syntax_error_findings,
)
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.model import Finding
from agentsense.analyzers.positions import Positions
from agentsense.analyzers.project_model import (
    EXPORTED,
    IMPORTED,
    LISTED,
    FileResult,
    NoqaRows,
    Project,
    ProjectFindings,
    RegistrationSummary,
    UsedSuppression,
    project_registry,
)
from agentsense.analyzers.registry import project_rules
from agentsense.analyzers.statement_rows import statement_spans
from agentsense.analyzers.suppression import Suppressions, find_suppressions
from agentsense.analyzers.walk import find_path

__all__ = [
    "FileResult",
    "ProjectFindings",
    "RegistrationSummary",
    "UsedSuppression",
    "analyze",
    "cross_file_findings",
    "instances_of",
    "noqa_rows",
    "project_findings",
    "summarize",
    "without_used_suppressions",
]


def analyze(source: str, path: str, config: Config) -> FileResult:
    """Lint one file and summarise its registrations for the project index (one parse)."""
    enabled = config.enabled_codes(path)
    tree, python = parse_with_statements(source)
    suppressions = find_suppressions(source, statement_spans(python))
    if not isinstance(tree, cst.Module):
        if suppressions.file_ignored or not enabled:
            return FileResult(path, ())
        return FileResult(path, tuple(syntax_error_findings(tree, source, path, config)))
    findings: list[Finding] = []
    # One set of facts for the lint and the summary: registrations are extracted once.
    # With the source: detectors skip work for words it does not contain.
    facts = ModuleFacts(tree, source=source)
    if enabled and not suppressions.file_ignored:
        findings = lint_module(
            tree, source, path, config, enabled, suppressions, facts=facts, python=python
        )
    return FileResult(
        path,
        tuple(findings),
        summarize(tree, path, facts),
        instances_of(tree, facts),
        noqa_rows(suppressions),
    )


def noqa_rows(suppressions: Suppressions) -> NoqaRows:
    """A file's suppression comments as plain data, for the project-wide pass."""
    return NoqaRows(
        suppressions.file_ignored,
        tuple((row, found.codes) for row, found in sorted(suppressions.by_row.items())),
    )


def instances_of(module: cst.Module, facts: ModuleFacts | None = None) -> tuple[str, ...]:
    """The file's framework instances that other modules may import and register on
    (`facts`: the module's, when the caller has them)."""
    facts = facts if facts is not None and facts.module is module else ModuleFacts(module)
    try:
        return framework_instances(module, facts)
    except RecursionError:
        return ()


def summarize(
    module: cst.Module, path: str, facts: ModuleFacts | None = None
) -> tuple[RegistrationSummary, ...]:
    """The registrations of a parsed file that can clash with other files' (named, keyed);
    `facts` are the module's when the caller has them (its lint extracted them already)."""
    facts = facts if facts is not None and facts.module is module else ModuleFacts(module)
    try:
        registrations = registrations_of(facts)
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
    # name (joined by `Project.agent_list_sites`).
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
            f"{LISTED}{project_registry(registry, path)}",
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
                noqa_row=span.start.row,
                source="framework:imported",
            )
        )
    for reg in named:
        assert reg.registry is not None and reg.name is not None
        span = positions.span(reg.name_node)
        out.append(
            RegistrationSummary(
                name=reg.name,
                kind=reg.kind,
                registry=project_registry(reg.registry, path),
                path=path,
                span=span,
                noqa_row=_statement_row(reg, positions) or span.start.row,
                source=reg.source,
                refuses_duplicates=reg.refuses_duplicates,
            )
        )
    return tuple(out)


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


def cross_file_findings(
    results: Sequence[FileResult], config_for: Callable[[str], Config]
) -> list[Finding]:
    """The findings of every cross-file rule over these files (`project_findings`)."""
    return list(project_findings(results, config_for).findings)


def project_findings(
    results: Sequence[FileResult], config_for: Callable[[str], Config]
) -> ProjectFindings:
    """The findings of every cross-file rule (`Rule.check_project`) over these files, and
    the suppression comments that silenced one.

    Each finding follows its own file's configuration, as a file's findings do: the rule
    enabled there, its severity, a noqa comment on the finding's row or its statement's first
    row, `# agentsense: ignore-file`. Linear in the number of registrations, given rules
    that are (each finding's related locations are bounded).
    """
    rules = project_rules()
    if not rules:
        return ProjectFindings((), frozenset())
    project = Project(results)
    noqa_by_path = {result.path: result.noqa for result in results}
    findings: list[Finding] = []
    used: set[UsedSuppression] = set()
    for rule in rules:
        for report in rule.check_project(project):
            config = config_for(report.path)
            if rule.code not in config.enabled_codes(report.path):
                continue
            noqa_row = report.noqa_row or report.span.start.row
            noqa = noqa_by_path.get(report.path)
            if noqa is not None:
                hit = noqa.suppressing_row(rule.code, (report.span.start.row, noqa_row))
                if hit is not None:
                    if hit > 0:  # 0: `# agentsense: ignore-file`, never reported unused
                        used.add((report.path, hit, rule.code))
                    continue
            findings.append(
                Finding(
                    code=rule.code,
                    name=rule.name,
                    message=report.message,
                    severity=config.severity_for(rule),
                    path=report.path,
                    span=report.span,
                    related=report.related,
                    noqa_row=noqa_row,
                )
            )
    findings.sort(key=lambda f: (f.path, f.span.start, f.code))
    return ProjectFindings(tuple(findings), frozenset(used))


def without_used_suppressions(
    findings: Iterable[Finding], used: Collection[UsedSuppression]
) -> list[Finding]:
    """Files' findings with the project-wide pass's `used` suppressions taken into account:
    an unused-suppression finding (AGT900) no longer names a code that silenced a cross-file
    finding, and is dropped, with its fix, when it named nothing else."""
    if not used:
        return list(findings)
    used_codes: dict[tuple[str, int], set[str]] = {}
    for path, row, code in used:
        used_codes.setdefault((path, row), set()).add(code)
    out: list[Finding] = []
    for finding in findings:
        codes = used_codes.get((finding.path, finding.span.start.row))
        if codes is not None:
            narrowed = narrow_unused_suppression(finding, codes)
            if narrowed is None:
                continue
            finding = narrowed
        out.append(finding)
    return out
