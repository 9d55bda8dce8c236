"""Rule documentation for hovers, and the rule code under the cursor in a suppression comment."""

from __future__ import annotations

import json
import re

from agentsense.analyzers.detect.catalog import ModelView
from agentsense.analyzers.rule import Rule

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
