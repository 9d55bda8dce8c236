"""The tools registered in an open document: where they are, their parameters, example calls."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import libcst as cst

from agentsense.analyzers.detect.catalog import ModelView, model_view
from agentsense.analyzers.detect.registrations import Registration, registrations_of
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.model import Span
from agentsense.analyzers.positions import StatementPositions

# `# agentsense: example query="python" limit=3` above a tool: the arguments of a run.
_EXAMPLE = re.compile(r"#\s*agentsense:\s*example\b\s*(?P<args>.*)$", re.IGNORECASE)

_JSON_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "set": "array",
    "dict": "object",
    "None": "null",
}


@dataclass(frozen=True, slots=True)
class ToolSite:
    """One registration the editor can offer to run (tools) or navigate to (tools, agents)."""

    name: str
    kind: str  # "tool" | "agent"
    span: Span  # the whole definition (decorators included): a lens goes on its first row
    name_span: Span
    parameters: tuple[dict[str, Any], ...] | None  # None: the signature is not known
    example: dict[str, Any] | None  # from an `# agentsense: example` comment
    example_error: str | None  # why that comment could not be read
    seen: ModelView | None = None  # what the model sees of it (framework tools)

    @property
    def needs_arguments(self) -> bool:
        return self.parameters is None or any(p.get("required") for p in self.parameters)


def json_type(annotation: str | None) -> str | list[str] | None:
    """The JSON type of a simple annotation (`str`, `list[str]`, `int | None`), else None."""
    if annotation is None:
        return None
    text = annotation.strip().strip("'\"")
    optional = False
    for pattern in (r"^Optional\[(.*)\]$", r"^(.*)\|\s*None$", r"^None\s*\|(.*)$"):
        match = re.match(pattern, text)
        if match:
            text, optional = match.group(1).strip(), True
            break
    head = re.split(r"[\[.]", text)[-1] if "." in text.split("[")[0] else text.split("[")[0]
    head = {"List": "list", "Dict": "dict", "Tuple": "tuple", "Set": "set"}.get(head, head)
    found = _JSON_TYPES.get(head)
    if found is None:
        return None
    return [found, "null"] if optional else found


def _literal(node: cst.BaseExpression | None, module: cst.Module) -> tuple[bool, Any]:
    if node is None:
        return False, None
    try:
        return True, ast.literal_eval(module.code_for_node(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def parameters(reg: Registration, module: cst.Module) -> tuple[dict[str, Any], ...] | None:
    if reg.parameters is None:
        return None
    out: list[dict[str, Any]] = []
    for param in reg.parameters:
        entry: dict[str, Any] = {
            "name": param.name,
            "type": json_type(param.annotation),
            "annotation": param.annotation,
            "required": not param.has_default,
        }
        known, value = _literal(param.node.default, module)
        if known:
            entry["default"] = value
        out.append(entry)
    return tuple(out)


def example_arguments(definition: cst.CSTNode) -> tuple[dict[str, Any] | None, str | None]:
    """Arguments from an `# agentsense: example key=value ...` comment above a definition."""
    lines = getattr(definition, "leading_lines", ())
    for line in reversed(lines):
        comment = line.comment.value if line.comment is not None else ""
        match = _EXAMPLE.search(comment)
        if match is None:
            continue
        text = match.group("args").strip()
        try:
            call = ast.parse(f"f({', '.join(_split_pairs(text))})", mode="eval").body
            assert isinstance(call, ast.Call)
            if call.args:
                return None, "example arguments must be name=value pairs"
            return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}, None
        except (SyntaxError, ValueError, AssertionError) as error:
            return None, f"cannot read the example arguments {text!r}: {error}"
    return None, None


def _split_pairs(text: str) -> list[str]:
    """`a="x y" b=2` -> ['a="x y"', 'b=2'] (spaces or commas separate pairs)."""
    pairs: list[str] = []
    for match in re.finditer(
        r"""([A-Za-z_]\w*\s*=\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[^\]]*\]|\{[^}]*\}|[^\s,]+))""",
        text,
    ):
        pairs.append(match.group(1))
    if not pairs and text:
        return [text]
    return pairs


def tool_sites(
    module: cst.Module, facts: ModuleFacts, positions: StatementPositions, top_level: dict[int, int]
) -> list[ToolSite]:
    """Every named registration of the module, positioned.

    `top_level` maps `id(statement)` of every statement to the index of the top-level
    statement holding it (positions are computed per top-level statement).
    """
    sites: list[ToolSite] = []
    for reg in registrations_of(facts):
        index = top_level.get(id(reg.definition))
        if index is not None:
            positions.ensure(module.body[index])
        example, problem = example_arguments(reg.definition)
        span = positions.span(reg.definition)
        if reg.definition.decorators:
            span = Span(positions.span(reg.definition.decorators[0]).start, span.end)
        sites.append(
            ToolSite(
                name=reg.display_name,
                kind=reg.kind,
                span=span,
                name_span=positions.span(reg.name_node),
                parameters=parameters(reg, module),
                example=example,
                example_error=problem,
                seen=model_view(reg),
            )
        )
    return sites
