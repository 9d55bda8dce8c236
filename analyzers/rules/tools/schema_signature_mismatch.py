"""AGT213: an explicit parameters schema that disagrees with the tool function's signature."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from agentsense.analyzers.detect.registrations import (
    SCHEMA_ATTRIBUTES,
    Registration,
    ToolParameter,
)
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace
from agentsense.analyzers.rules.tools._registration_rule import RegistrationRule
from agentsense.analyzers.walk import iter_subtree_no_scopes
from agentsense.runtime.contract import json_type_for_type_name

SchemaStyle = Literal["json-schema", "properties"]


@dataclass(frozen=True, slots=True)
class ParsedSchema:
    """A literal schema: JSON Schema (`properties`/`required`) or a properties mapping."""

    style: SchemaStyle
    value: dict[str, object]
    properties: Mapping[str, Mapping[str, object]]
    required: tuple[str, ...] | None  # None: the schema has no `required` list


def parse_schema(node: cst.Dict) -> ParsedSchema | None:
    """The schema a literal dict states, or None when it is not a literal schema we know."""
    try:
        value = ast.literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return None
    properties = value.get("properties")
    if isinstance(properties, dict) or value.get("type") == "object":
        if properties is None:
            properties = {}
        if not isinstance(properties, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in properties.items()
        ):
            return None
        required = value.get("required")
        if required is not None and (
            not isinstance(required, list) or not all(isinstance(r, str) for r in required)
        ):
            return None
        return ParsedSchema(
            "json-schema", value, properties, tuple(required) if required is not None else None
        )
    # A mapping of parameter name -> {"type": ...} (smolagents `inputs` and similar).
    if value and all(isinstance(v, dict) and "type" in v for v in value.values()):
        return ParsedSchema("properties", value, value, None)
    return None


def _schema_type(prop: Mapping[str, object]) -> str | None:
    declared = prop.get("type")
    if isinstance(declared, list):
        non_null = [t for t in declared if t != "null"]
        declared = non_null[0] if len(non_null) == 1 else None
    return declared if isinstance(declared, str) else None


def _contradicts(schema_type: str | None, annotation_type: str | None) -> bool:
    if schema_type is None or annotation_type is None or schema_type == annotation_type:
        return False
    # An integer schema for a float parameter only narrows what the model sends.
    return not (schema_type == "integer" and annotation_type == "number") and (
        schema_type in ("string", "integer", "number", "boolean", "array", "object", "null")
    )


def mismatches(
    schema: ParsedSchema, params: Sequence[ToolParameter], accepts_var_keyword: bool
) -> list[str]:
    """How the schema disagrees with the parameters, one phrase per disagreement."""
    by_name = {param.name: param for param in params}
    out: list[str] = []
    for declared in schema.properties:
        if declared not in by_name and not accepts_var_keyword:
            out.append(f"property {declared!r} is not a parameter")
    for param in params:
        if not param.has_default and param.name not in schema.properties:
            out.append(f"required parameter {param.name!r} is missing from the schema")
    for listed in schema.required or ():
        with_default = by_name.get(listed)
        if with_default is not None and with_default.has_default:
            out.append(f"{listed!r} is listed as required but has a default")
    for prop_name, prop in schema.properties.items():
        typed = by_name.get(prop_name)
        if typed is None or typed.annotation is None:
            continue
        annotation_type = json_type_for_type_name(typed.annotation)
        schema_type = _schema_type(prop)
        if _contradicts(schema_type, annotation_type):
            out.append(
                f"{prop_name!r} is {schema_type!r} in the schema but annotated "
                f"`{typed.annotation}` ({annotation_type})"
            )
    return out


def added_properties(definition: cst.ClassDef) -> list[tuple[str, cst.Dict, dict[str, object]]]:
    """Properties a tool class adds to its schema by subscript: `inputs["year"] = {...}` in
    the class body or `self.inputs["year"] = {...}` in a method (name, dict node, value)."""
    out: list[tuple[str, cst.Dict, dict[str, object]]] = []
    body = definition.body.body if isinstance(definition.body, cst.IndentedBlock) else ()
    statements: list[cst.CSTNode] = []
    for statement in body:
        if isinstance(statement, cst.FunctionDef):
            statements.extend(iter_subtree_no_scopes(statement.body))
        else:
            statements.append(statement)
    for node in statements:
        if isinstance(node, cst.SimpleStatementLine):
            smalls: Sequence[cst.CSTNode] = node.body
        elif isinstance(node, cst.Assign):
            smalls = [node]
        else:
            continue
        for small in smalls:
            if not isinstance(small, cst.Assign) or not isinstance(small.value, cst.Dict):
                continue
            for target in small.targets:
                found = _schema_subscript(target.target)
                if found is None:
                    continue
                try:
                    value = ast.literal_eval(cst.Module([]).code_for_node(small.value))
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
                if isinstance(value, dict) and "type" in value:
                    out.append((found, small.value, value))
    return out


def _schema_subscript(target: cst.BaseExpression) -> str | None:
    """`"year"` for `inputs["year"]` / `self.inputs["year"]` (a schema attribute)."""
    if not isinstance(target, cst.Subscript) or len(target.slice) != 1:
        return None
    owner = target.value
    if isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name):
        owner = owner.attr
    if not isinstance(owner, cst.Name) or owner.value not in SCHEMA_ATTRIBUTES:
        return None
    index = target.slice[0].slice
    if not isinstance(index, cst.Index) or not isinstance(index.value, cst.SimpleString):
        return None
    key = index.value.evaluated_value
    return key if isinstance(key, str) else None


def regenerated(schema: ParsedSchema, params: Sequence[ToolParameter]) -> dict[str, object]:
    """The schema rebuilt from the signature, keeping what still applies of the old one."""
    properties: dict[str, object] = {}
    for param in params:
        old = dict(schema.properties.get(param.name, {}))
        annotation_type = (
            json_type_for_type_name(param.annotation) if param.annotation is not None else None
        )
        prop: dict[str, object]
        if annotation_type is not None and _schema_type(old) != annotation_type:
            # The type changed: keep the description only (enum/items may no longer fit).
            prop = {"type": annotation_type}
            if "description" in old:
                prop["description"] = old["description"]
        else:
            prop = old
            if "type" not in prop:
                prop = {"type": annotation_type or "any", **prop}
                if annotation_type is None and schema.style == "json-schema":
                    del prop["type"]
        if schema.style == "properties":
            prop.setdefault("description", "")
            if param.has_default:
                prop["nullable"] = True
            else:
                prop.pop("nullable", None)
        properties[param.name] = prop
    if schema.style == "properties":
        return properties
    required = [param.name for param in params if not param.has_default]
    out: dict[str, object] = {}
    if "type" not in schema.value:
        out["type"] = "object"
    for key, value in schema.value.items():
        if key == "properties":
            out[key] = properties
        elif key == "required":
            out[key] = required
        else:
            out[key] = value
    if "properties" not in out:
        out["properties"] = properties
    if "required" not in out and required:
        out["required"] = required
    return out


def python_literal(value: object) -> str:
    """Python source for a JSON-like value, with double-quoted strings."""
    if isinstance(value, dict):
        items = ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _leading_space(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def literal_like(value: object, original: cst.BaseExpression) -> str:
    """`python_literal(value)`, laid out as `original` was: a dict written one item per line
    stays one item per line (at the original's indentation), nested dicts alike; one written
    on one line stays on one line."""
    code = cst.Module([]).code_for_node(original)
    if not isinstance(value, dict) or not isinstance(original, cst.Dict) or "\n" not in code:
        return python_literal(value)
    lines = code.splitlines()
    item_indent = next((_leading_space(line) for line in lines[1:] if line.strip()), "    ")
    close_indent = _leading_space(lines[-1]) if lines[-1].strip().startswith("}") else ""
    originals: dict[object, cst.BaseExpression] = {}
    for element in original.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            originals[element.key.evaluated_value] = element.value
    items = []
    for key, sub in value.items():
        nested = originals.get(key)
        rendered = literal_like(sub, nested) if nested is not None else python_literal(sub)
        items.append(f"{item_indent}{python_literal(key)}: {rendered},")
    return "{\n" + "\n".join(items) + "\n" + close_indent + "}"


class SchemaSignatureMismatch(RegistrationRule):
    code = "AGT213"
    name = "schema-signature-mismatch"
    summary = "An explicit parameters schema disagrees with the tool function's signature."
    rationale = (
        "When a tool's schema is written by hand (`parameters={...}`, `args_schema=`, an "
        "`inputs` dict), it drifts from the function: the model is told about a property the "
        "function does not accept, is not told about one it requires, is forced to send a "
        "parameter that has a default, or sends a string where the code expects a number. "
        "Every such call fails at run time, in front of the user. Checked: properties that "
        "are not parameters (unless the function takes `**kwargs`), required parameters "
        "missing from the schema, `required` entries that have defaults, and JSON types "
        "that contradict the annotation."
    )
    fix_description = (
        "Safe, when the schema is a literal dict: regenerate it from the signature, keeping "
        "each remaining property's description."
    )
    flagged = (
        Flagged(
            # A schema written one item per line is regenerated one item per line.
            """
            from agentsense.runtime.registry import tool

            @tool(
                parameters={
                    "type": "object",
                    "properties": {
                        "q": {"type": "string"},
                    },
                    "required": ["q"],
                }
            )
            def search(query: str, limit: int = 5) -> list[str]:
                \"\"\"Search the web.\"\"\"
                return []
            """,
            line=4,
            message="property 'q' is not a parameter",
            fixed="""
            from agentsense.runtime.registry import tool

            @tool(
                parameters={
                    "type": "object",
                    "properties": {
                        "query": {"type": "string"},
                        "limit": {"type": "integer"},
                    },
                    "required": ["query"],
                }
            )
            def search(query: str, limit: int = 5) -> list[str]:
                \"\"\"Search the web.\"\"\"
                return []
            """,
        ),
        Flagged(
            '''
            TOOLS = {}

            def register_tool(name, parameters):
                def decorator(fn):
                    TOOLS[name] = {"fn": fn, "parameters": parameters}
                    return fn
                return decorator

            @register_tool("search", parameters={"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]})
            def search(query: str, limit: int = 5) -> list[str]:
                """Search the web."""
                return []
            ''',
            line=9,
            column=37,
            message="property 'q' is not a parameter; required parameter 'query' is missing",
            fixed='''
            TOOLS = {}

            def register_tool(name, parameters):
                def decorator(fn):
                    TOOLS[name] = {"fn": fn, "parameters": parameters}
                    return fn
                return decorator

            @register_tool("search", parameters={"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}}, "required": ["query"]})
            def search(query: str, limit: int = 5) -> list[str]:
                """Search the web."""
                return []
            ''',
        ),
        Flagged(
            """
            from smolagents import Tool

            class WeatherTool(Tool):
                name = "weather"
                description = "Current weather for a city."
                inputs = {"city": {"type": "string", "description": "City name"}, "days": {"type": "string", "description": "Days ahead"}}
                output_type = "string"

                def forward(self, city: str, days: int) -> str:
                    return city
            """,
            line=6,
            message="'days' is 'string' in the schema but annotated `int` (integer)",
            fixed="""
            from smolagents import Tool

            class WeatherTool(Tool):
                name = "weather"
                description = "Current weather for a city."
                inputs = {"city": {"type": "string", "description": "City name"}, "days": {"type": "integer", "description": "Days ahead"}}
                output_type = "string"

                def forward(self, city: str, days: int) -> str:
                    return city
            """,
        ),
        Flagged(
            '''
            from langchain_core.tools import tool

            @tool(args_schema={"type": "object", "properties": {"ticker": {"type": "string"}, "exchange": {"type": "string"}}, "required": ["ticker", "exchange"]})
            def lookup(ticker: str, exchange: str = "NYSE") -> float:
                """Look up a stock price."""
                return 0.0
            ''',
            line=3,
            message="'exchange' is listed as required but has a default",
            fixed='''
            from langchain_core.tools import tool

            @tool(args_schema={"type": "object", "properties": {"ticker": {"type": "string"}, "exchange": {"type": "string"}}, "required": ["ticker"]})
            def lookup(ticker: str, exchange: str = "NYSE") -> float:
                """Look up a stock price."""
                return 0.0
            ''',
        ),
        Flagged(
            # A property added by subscript is part of the schema too.
            """
            from smolagents import Tool

            class FilingsTool(Tool):
                name = "filings"
                description = "Search company filings."
                inputs = {"query": {"type": "string", "description": "What to find"}}
                inputs["filter_year"] = {"type": "string", "description": "Year", "nullable": True}
                output_type = "string"

                def forward(self, query: str, filter_year: int | None = None) -> str:
                    return query
            """,
            line=7,
            column=29,
            message="'filter_year' is 'string' in the schema but annotated `int | None`",
        ),
    )
    clean = (
        # Properties added by subscript that agree with the signature.
        Clean(
            """
            from smolagents import Tool

            class FilingsTool(Tool):
                name = "filings"
                description = "Search company filings."
                inputs = {"query": {"type": "string", "description": "What to find"}}
                inputs["filter_year"] = {"type": "integer", "description": "Year", "nullable": True}
                output_type = "string"

                def forward(self, query: str, filter_year: int | None = None) -> str:
                    return query
            """
        ),
        Clean(
            '''
            from langchain_core.tools import tool

            @tool(args_schema={"type": "object", "properties": {"ticker": {"type": "string"}, "exchange": {"type": "string"}}, "required": ["ticker"]})
            def lookup(ticker: str, exchange: str = "NYSE") -> float:
                """Look up a stock price."""
                return 0.0
            '''
        ),
        Clean(
            # **kwargs accepts any property; an integer schema for a float only narrows it.
            '''
            TOOLS = {}

            def register_tool(name, parameters):
                def decorator(fn):
                    TOOLS[name] = fn
                    return fn
                return decorator

            @register_tool("scale", parameters={"type": "object", "properties": {"factor": {"type": "integer"}, "unit": {"type": "string"}}, "required": ["factor"]})
            def scale(factor: float, **options: str) -> float:
                """Scale a value."""
                return factor
            '''
        ),
        Clean(
            # A schema that is not a literal (a pydantic model) is not compared.
            '''
            from langchain_core.tools import tool
            from schemas import LookupArgs

            @tool(args_schema=LookupArgs)
            def lookup(ticker: str) -> float:
                """Look up a stock price."""
                return 0.0
            '''
        ),
        Clean(
            # A dict passed to something that is not a registration.
            'CONFIG = {"type": "object", "properties": {"q": {"type": "string"}}}\n'
        ),
    )

    def check(self, reg: Registration) -> None:
        if reg.parameters is None:
            return
        added = added_properties(reg.definition) if isinstance(reg.definition, cst.ClassDef) else []
        for name, prop_node, prop in added:
            single = ParsedSchema("properties", {name: prop}, {name: prop}, None)
            params = [p for p in reg.parameters if p.name == name]
            found = mismatches(single, params, reg.accepts_var_keyword or not params)
            if found:
                self.report(
                    prop_node,
                    reg.message(
                        f"the schema of tool {reg.display_name!r} disagrees with its "
                        "signature: " + "; ".join(found)
                    ),
                )
        node = reg.schema_node
        if node is None:
            return
        schema = parse_schema(node)
        if schema is None:
            return
        if added:
            merged = {**schema.properties, **{name: prop for name, _, prop in added}}
            schema = ParsedSchema(schema.style, schema.value, merged, schema.required)
        problems = mismatches(schema, reg.parameters, reg.accepts_var_keyword)
        # The properties added by subscript were reported on their own lines.
        problems = [p for p in problems if not any(repr(name) in p for name, _, _ in added)]
        if not problems:
            return
        new_schema = regenerated(schema, reg.parameters)
        fix = None
        try:
            new_node = cst.parse_expression(literal_like(new_schema, node))
        except cst.ParserSyntaxError:
            new_node = None
        if added:
            new_node = None  # the rebuilt literal would repeat the subscript additions
        if isinstance(new_node, cst.Dict):
            fix = FixPlan("Regenerate the schema from the signature", (Replace(node, new_node),))
        self.report(
            node,
            reg.message(
                f"the schema of tool {reg.display_name!r} disagrees with its signature: "
                + "; ".join(problems)
            ),
            fix=fix,
        )
