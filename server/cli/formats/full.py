"""The `full` format: each finding with its source lines, a caret range and the fix."""

from __future__ import annotations

import difflib

from rich.cells import cell_len
from rich.text import Text

from agentsense.analyzers.model import Applicability, Finding
from agentsense.server.cli.formats import (
    SEVERITY_STYLE,
    Report,
    display_path,
    is_applicable,
    position,
    redact_line,
    secrets_by_path,
    source_key,
    source_lines,
    summary,
)

TAB_WIDTH = 4
MAX_SHOWN_LINES = 6  # a finding spanning a whole function shows its head and its tail


def _width(text: str) -> int:
    """Terminal cells `text` takes once tabs are expanded."""
    return cell_len(text.expandtabs(TAB_WIDTH))


def header(finding: Finding, report: Report) -> Text:
    """`path:row:col: CODE [*] message` (`path:cell N:row:col: ...` in a notebook)."""
    line = Text()
    line.append(display_path(finding.path, report.cwd), style="bold")
    line.append(f":{position(finding)}:", style="dim")
    line.append(" ")
    line.append(finding.code, style=SEVERITY_STYLE[finding.severity])
    if is_applicable(finding, report.unsafe_fixes):
        line.append(" ")
        line.append("[*]", style="cyan")
    line.append(" ")
    line.append(finding.message)
    return line


def _snippet(finding: Finding, lines: list[str], secrets: tuple[str, ...]) -> Text:
    start, end = finding.span.start, finding.span.end
    last_row = end.row if end.column > 1 or end.row == start.row else end.row - 1
    last_row = max(min(last_row, len(lines)), start.row)
    rows = list(range(start.row, last_row + 1))
    if len(rows) > MAX_SHOWN_LINES:
        half = MAX_SHOWN_LINES // 2
        rows = [*rows[:half], 0, *rows[-half:]]  # 0 marks the elision
    gutter = len(str(last_row))
    out = Text()
    blank = " " * gutter + " |"
    out.append(blank + "\n", style="blue")
    for row in rows:
        if row == 0:
            out.append(" " * gutter + " :\n", style="blue")
            continue
        raw = lines[row - 1] if row - 1 < len(lines) else ""
        shown = redact_line(raw, secrets)
        out.append(f"{row:>{gutter}} | ", style="blue")
        out.append(shown.expandtabs(TAB_WIDTH) + "\n")
        first = row == start.row
        final = row == last_row
        if not (first or final):
            continue
        begin = start.column - 1 if first else len(raw) - len(raw.lstrip())
        stop = end.column - 1 if final and end.row == row else len(raw)
        stop = max(stop, begin + 1)
        # Measure the masked prefixes, so carets stay under a secret that masking shortened.
        left = _width(redact_line(raw[:begin], secrets))
        carets = max(_width(redact_line(raw[:stop], secrets)) - left, 1)
        out.append(blank, style="blue")
        out.append(" " * (left + 1))
        out.append("^" * carets, style=SEVERITY_STYLE[finding.severity])
        if final:
            out.append(f" {finding.code}", style=SEVERITY_STYLE[finding.severity])
        out.append("\n")
    out.append(blank + "\n", style="blue")
    return out


def _fix_diff(finding: Finding, text: str, secrets: tuple[str, ...]) -> Text:
    """The lines this finding's fix changes, as `-`/`+` lines (for --show-fixes)."""
    from agentsense.analyzers.fixes import apply_fixes  # libcst: only --show-fixes needs it

    assert finding.fix is not None
    fixed, _ = apply_fixes(text, [finding.fix])
    out = Text()
    old, new = source_lines(text), source_lines(fixed)
    for line in difflib.unified_diff(old, new, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        shown = redact_line(line, secrets)
        out.append("    " + shown + "\n", style="red" if line.startswith("-") else "green")
    return out


def render_finding(finding: Finding, report: Report, secrets: tuple[str, ...]) -> Text:
    out = header(finding, report)
    out.append("\n")
    text = report.sources.get(source_key(finding.path, finding.cell))
    if text is not None:
        out.append_text(_snippet(finding, source_lines(text), secrets))
    if finding.fix is not None:
        out.append("  = ", style="blue")
        out.append("help", style="bold")
        out.append(f": {finding.fix.title}")
        if finding.fix.applicability is Applicability.UNSAFE:
            out.append(" (unsafe fix)", style="dim")
        out.append("\n")
        if report.show_fixes and text is not None:
            out.append_text(_fix_diff(finding, text, secrets))
    for related in finding.related:
        out.append("  = ", style="blue")
        out.append("note", style="bold")
        where = f"{display_path(related.path, report.cwd)}:{related.span.start.row}"
        out.append(f": {where}:{related.span.start.column}: {related.message}\n")
    return out


def render(report: Report) -> Text:
    out = Text()
    secrets = secrets_by_path(report.findings)
    for finding in report.findings:
        out.append_text(render_finding(finding, report, secrets.get(finding.path, ())))
        out.append("\n")
    out.append_text(summary(report))
    return out
