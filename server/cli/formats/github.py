"""The `github` format: GitHub Actions workflow commands that annotate the pull request."""

from __future__ import annotations

from agentsense.analyzers.model import Finding, Severity
from agentsense.server.cli.formats import Report, display_path

COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.HINT: "notice",
}


def escape_data(text: str) -> str:
    """Escape a command's message, as the Actions toolkit does (`%`, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: the message escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, report: Report) -> str:
    start, end = finding.span.start, finding.span.end
    properties = {
        "file": display_path(finding.path, report.cwd),
        "line": str(start.row),
        "col": str(start.column),
        "endLine": str(end.row),
        "endColumn": str(end.column),
        "title": f"agentsense ({finding.code})",
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    # GitHub shows a notebook's annotation by its JSON lines: name the cell in the message.
    message = f"cell {finding.cell}: {finding.message}" if finding.cell else finding.message
    return f"::{COMMANDS[finding.severity]} {joined}::{escape_data(message)}"


def render(report: Report) -> str:
    return "".join(annotation(f, report) + "\n" for f in report.findings)
