"""The `json` format: a JSON array of findings with ruff's field names."""

from __future__ import annotations

import json
from typing import Any

from agentsense.analyzers.model import Finding, Location
from agentsense.server.formats import Report, absolute_path


def _location(location: Location) -> dict[str, int]:
    return {"row": location.row, "column": location.column}


def finding_to_json(finding: Finding, report: Report) -> dict[str, Any]:
    """One finding as ruff's JSON object, plus `severity`, `name` and `related`.

    `Finding.secrets` is deliberately absent: it holds the raw secret values.
    """
    fix = finding.fix
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "severity": finding.severity.value,
        "filename": absolute_path(finding.path, report.cwd),
        # In a notebook, the cell (1-based) that the rows are counted in, as ruff's `cell`.
        "cell": finding.cell or None,
        "location": _location(finding.span.start),
        "end_location": _location(finding.span.end),
        "fix": None
        if fix is None
        else {
            "applicability": fix.applicability.value,
            "message": fix.title,
            "edits": [
                {
                    "content": edit.content,
                    "location": _location(edit.span.start),
                    "end_location": _location(edit.span.end),
                }
                for edit in fix.edits
            ],
        },
        "url": None,  # ruff's shape; no rule has a web page (`agentsense rule CODE` explains it)
        "noqa_row": finding.noqa_row,
        "related": [
            {
                "filename": absolute_path(related.path, report.cwd),
                "location": _location(related.span.start),
                "end_location": _location(related.span.end),
                "message": related.message,
            }
            for related in finding.related
        ],
    }


def render(report: Report) -> str:
    return json.dumps([finding_to_json(f, report) for f in report.findings], indent=2) + "\n"
