"""The `concise` format: one line per finding, then the summary."""

from __future__ import annotations

from rich.text import Text

from agentsense.server.cli.formats import Report, summary
from agentsense.server.cli.formats.full import header


def render(report: Report) -> Text:
    out = Text()
    for finding in report.findings:
        out.append_text(header(finding, report))
        out.append("\n")
    if report.findings and not report.quiet:
        out.append("\n")
    out.append_text(summary(report))
    return out
