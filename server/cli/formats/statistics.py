"""`--statistics`: how many findings of each code, like ruff's table."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from rich.text import Text

from agentsense.server.cli.formats import SEVERITY_STYLE, Report, is_applicable


@dataclass(frozen=True, slots=True)
class CodeCount:
    code: str
    name: str
    count: int
    fixable: bool  # every finding of the code has a fix --fix would apply


def count_codes(report: Report) -> list[CodeCount]:
    """Most frequent first, then by code."""
    counts = Counter(f.code for f in report.findings)
    names = {f.code: f.name for f in report.findings}
    fixable = {
        code: all(is_applicable(f, report.unsafe_fixes) for f in report.findings if f.code == code)
        for code in counts
    }
    return [
        CodeCount(code, names[code], count, fixable[code])
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render_text(report: Report) -> Text:
    rows = count_codes(report)
    out = Text()
    if not rows:
        return out
    count_width = max(len(str(r.count)) for r in rows)
    code_width = max(len(r.code) for r in rows)
    name_width = max(len(r.name) for r in rows)
    styles = {f.code: SEVERITY_STYLE[f.severity] for f in report.findings}
    for row in rows:
        out.append(f"{row.count:>{count_width}}  ")
        out.append(f"{row.code:<{code_width}}", style=styles[row.code])
        out.append(f"  {row.name:<{name_width}}" if row.fixable else f"  {row.name}")
        if row.fixable:
            out.append("  ")
            out.append("[*]", style="cyan")
        out.append("\n")
    return out


def render_json(report: Report) -> str:
    rows = [
        {"code": r.code, "name": r.name, "count": r.count, "fixable": r.fixable}
        for r in count_codes(report)
    ]
    return json.dumps(rows, indent=2) + "\n"
