"""The `sarif` format: SARIF 2.1.0, as GitHub code scanning loads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agentsense.analyzers import __version__
from agentsense.analyzers.model import Finding, Severity, Span
from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.rule import Rule
from agentsense.server.formats import Report, absolute_path

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"

LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.HINT: "note",
}


def _rule(rule: type[Rule]) -> dict[str, Any]:
    fix = rule.fix_description or "No automatic fix."
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {
            "text": f"{rule.summary}\n\n{rule.rationale}\n\nFix: {fix}",
            "markdown": (
                f"**{rule.code} {rule.name}**: {rule.summary}\n\n{rule.rationale}\n\n"
                f"**Fix:** {fix}\n\n`agentsense rule {rule.code}` shows its examples."
            ),
        },
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def _artifact(path: str, cwd: Path) -> dict[str, Any]:
    """A URI relative to %SRCROOT% (the working directory) when the file lies below it."""
    absolute = Path(absolute_path(path, cwd))
    if path == "-":
        return {"uri": "stdin"}
    try:
        relative = absolute.relative_to(cwd).as_posix()
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict[str, int]:
    # SARIF end columns are exclusive, as our spans are; columns count code points.
    return {
        "startLine": span.start.row,
        "startColumn": span.start.column,
        "endLine": span.end.row,
        "endColumn": span.end.column,
    }


def _result(finding: Finding, index: dict[str, int], cwd: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(finding.path, cwd),
                    "region": _region(finding.span),
                }
            }
        ],
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.cell:
        # SARIF has no notebook cells: the region's lines are counted within this cell.
        result["properties"] = {"cell": finding.cell}
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": number,
                "message": {"text": related.message},
                "physicalLocation": {
                    "artifactLocation": _artifact(related.path, cwd),
                    "region": _region(related.span),
                },
            }
            for number, related in enumerate(finding.related, start=1)
        ]
    if finding.fix is not None:
        result["fixes"] = [
            {
                "description": {"text": finding.fix.title},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact(finding.path, cwd),
                        "replacements": [
                            {
                                "deletedRegion": _region(edit.span),
                                "insertedContent": {"text": edit.content},
                            }
                            for edit in finding.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result


def sarif_log(report: Report) -> dict[str, Any]:
    rules = all_rules()
    index = {rule.code: number for number, rule in enumerate(rules)}
    cwd = report.cwd
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "agentsense",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": cwd.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [{"executionSuccessful": report.complete}],
                "results": [_result(f, index, cwd) for f in report.findings],
            }
        ],
    }


def render(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2) + "\n"
