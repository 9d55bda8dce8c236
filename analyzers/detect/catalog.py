"""What the model sees: each framework tool's name, description and parameters schema.

For every registration a framework profile can render (`SchemaStyle`), the definition the
framework would send to the provider, computed from the source (nothing is imported). A value
the linter cannot know statically is None, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import keyword
from agentsense.analyzers.detect.frameworks.schema import (
    JsonValue,
    SchemaStyle,
    describe,
    parameters_schema,
)
from agentsense.analyzers.detect.profiles import profile_named
from agentsense.analyzers.detect.registrations import Registration, registrations_of, registry_label
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.positions import Positions


@dataclass(frozen=True, slots=True)
class ModelView:
    """One tool as the model sees it."""

    framework: str  # the profile's label
    registry: str | None  # the instance holding it (`mcp`, `agent`), when it is one
    name: str | None
    description: str | None
    parameters: dict[str, JsonValue] | None  # the JSON schema of its arguments


@dataclass(frozen=True, slots=True)
class ToolView:
    """A tool as the model sees it, and where it is defined."""

    seen: ModelView
    path: str
    line: int
    column: int

    @property
    def name(self) -> str | None:
        return self.seen.name

    def as_json(self) -> dict[str, JsonValue]:
        return {
            "framework": self.seen.framework,
            "registry": self.seen.registry,
            "name": self.seen.name,
            "description": self.seen.description,
            "parameters": self.seen.parameters,
            "path": self.path,
            "line": self.line,
            "column": self.column,
        }


def _style_for(reg: Registration, style: SchemaStyle) -> SchemaStyle:
    """The style as the registration's own options change it."""
    call = _decorator_call(reg)
    if reg.source == "framework:openai-agents":
        strict = keyword(call, "strict_mode")
        if (
            strict is not None
            and isinstance(strict.value, cst.Name)
            and strict.value.value == "False"
        ):
            return SchemaStyle(
                model_title=style.model_title, argument_descriptions=style.argument_descriptions
            )
    if reg.source == "framework:langchain":
        parse = keyword(call, "parse_docstring")
        if parse is not None and isinstance(parse.value, cst.Name) and parse.value.value == "True":
            return SchemaStyle(
                property_titles=False, argument_descriptions=True, description="joined_summary"
            )
    return style


def _decorator_call(reg: Registration) -> cst.Call | None:
    definition = reg.definition
    if not isinstance(definition, cst.FunctionDef):
        return None
    for decorator in definition.decorators:
        if isinstance(decorator.decorator, cst.Call):
            return decorator.decorator
    return None


def _docstring_value(function: cst.FunctionDef) -> cst.CSTNode | None:
    body = function.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    first = body.body[0]
    if isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr):
        return first.body[0].value
    return None


def model_view(reg: Registration) -> ModelView | None:
    """What the model sees of a registration; None when no profile renders it or the
    framework refuses it (it never reaches the model)."""
    profile = profile_named(reg.source)
    function = reg.definition
    if reg.problems or profile is None or profile.schema_style is None:
        return None
    if not isinstance(function, cst.FunctionDef):
        return None
    style = _style_for(reg, profile.schema_style)
    name = reg.name
    doc = function.get_docstring(clean=True)
    explicit = reg.description_node is not None and reg.description_node is not _docstring_value(
        function
    )
    description = reg.description if explicit else describe(function, style, name or "")
    params = tuple(p.node for p in reg.parameters) if reg.parameters is not None else None
    # `**kwargs` becomes a property in some frameworks and nothing in others: not rendered.
    schema = (
        None
        if params is None or reg.has_schema or reg.accepts_var_keyword
        else parameters_schema(name or function.name.value, function.name.value, params, doc, style)
    )
    return ModelView(
        framework=profile.label,
        registry=registry_label(reg.registry) if reg.registry is not None else None,
        name=name,
        description=description,
        parameters=schema,
    )


def tool_catalog(module: cst.Module, path: str) -> list[ToolView]:
    """Every framework tool of a module, as the model sees it, in source order."""
    try:
        registrations = registrations_of(ModuleFacts(module))
    except RecursionError:
        return []
    if not registrations:
        return []
    positions: Positions | None = None
    out: list[ToolView] = []
    for reg in registrations:
        seen = model_view(reg)
        if seen is None:
            continue
        positions = positions or Positions(module)
        start = positions.span(reg.node).start
        out.append(ToolView(seen, path, start.row, start.column))
    return out
