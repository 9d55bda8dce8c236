"""Hover: rule documentation over a finding or a suppression comment's code, and what the model
sees of a tool over its name."""

from __future__ import annotations

import json
import re

from lsprotocol import types as lsp

from agentsense.analyzers.detect.catalog import ModelView
from agentsense.analyzers.model import Location, Span
from agentsense.analyzers.registry import find_rule
from agentsense.analyzers.rule import Rule
from agentsense.server.lsp.analysis import current, sites
from agentsense.server.lsp.convert import TextLines
from agentsense.server.lsp.state import State

_DIRECTIVE = re.compile(
    r"#\s*(?:noqa\s*:\s*(?P<noqa>[A-Za-z0-9_, \t]+)|agentsense:\s*ignore\[(?P<ignore>[^\]]*)\])",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Za-z]+[0-9]+")


def code_at(line: str, column: int) -> str | None:
    """The rule code at `column` (0-based) inside a `# noqa: ...` / `ignore[...]` comment."""
    for match in _DIRECTIVE.finditer(line):
        group = "noqa" if match.group("noqa") is not None else "ignore"
        base = match.start(group)
        for code in _CODE.finditer(match.group(group)):
            if base + code.start() <= column <= base + code.end():
                return code.group(0).upper()
    return None


def _example(title: str, source: str) -> str:
    return f"{title}\n\n```python\n{source.rstrip()}\n```"


def rule_markdown(rule: type[Rule], message: str | None = None) -> str:
    """A rule's summary, rationale, fix and one flagged and one clean example, in Markdown."""
    parts = [f"**{rule.code}** `{rule.name}` · {rule.severity.value}"]
    if message:
        parts.append(f"_{message}_")
    parts.append(rule.summary)
    parts.append(rule.rationale)
    if rule.fix_description:
        parts.append(f"**Fix:** {rule.fix_description}")
    if rule.flagged:
        parts.append(_example("**Flagged:**", rule.flagged[0].source))
    if rule.clean:
        parts.append(_example("**Clean:**", rule.clean[0].source))
    return "\n\n".join(parts)


def model_view_markdown(seen: ModelView) -> str:
    """What the model sees of a tool: the definition its framework sends to the provider."""
    where = f" · {seen.registry}" if seen.registry is not None else ""
    name = seen.name if seen.name is not None else "(name not known statically)"
    parts = [f"**What the model sees** ({seen.framework}{where})", f"`{name}`"]
    if seen.description is None:
        parts.append("_description not known statically_")
    elif seen.description.strip():
        parts.append(seen.description)
    else:
        parts.append("_no description_")
    if seen.parameters is None:
        parts.append("_parameters schema not known statically_")
    else:
        schema = json.dumps(seen.parameters, indent=2)
        parts.append(f"```json\n{schema}\n```")
    return "\n\n".join(parts)


async def hover(state: State, params: lsp.HoverParams) -> lsp.Hover | None:
    """A rule's documentation over its finding or its code in a `# noqa`; what the model sees
    of a tool over the tool's name."""
    doc = state.documents.get(params.text_document.uri)
    if doc is None:
        return None
    lines = TextLines(doc.text, state.encoding())
    location = lines.from_client(params.position)
    code = code_at(lines.line(location.row - 1), location.column - 1)
    if code is not None:
        rule = find_rule(code)
        return None if rule is None else _markdown(rule_markdown(rule))
    result = doc.result
    if result is None or result.text != doc.text:
        result = await current(state, doc, timeout=2.0)
    if result is None:
        return None
    parts: list[str] = []
    for site in await sites(state, doc):
        if site.seen is not None and _contains(site.name_span, location):
            parts.append(model_view_markdown(site.seen))
    seen: set[str] = set()
    for finding in result.findings:
        if not _contains(finding.span, location) or finding.code in seen:
            continue
        seen.add(finding.code)
        rule = find_rule(finding.code)
        if rule is not None:
            parts.append(rule_markdown(rule))
    return _markdown("\n\n---\n\n".join(parts)) if parts else None


def _markdown(text: str) -> lsp.Hover:
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))


def _contains(span: Span, location: Location) -> bool:
    start, end = span.start, span.end
    if (location.row, location.column) < (start.row, start.column):
        return False
    return (location.row, location.column) <= (end.row, end.column)
