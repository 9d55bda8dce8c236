"""The tool contract: what a valid tool registration and a valid tool call are, as data."""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "TOOL_NAME_PATTERN",
    "CallProblem",
    "ContractError",
    "ContractProblem",
    "JsonType",
    "ParamSpec",
    "ToolCallError",
    "ToolSpec",
    "build_spec",
    "json_type_for_annotation",
    "json_type_for_type_name",
    "parameters_from_function",
    "spec_from_function",
    "spec_problems",
    "validate_call",
    "validate_call_by_name",
]

JsonType = Literal["string", "integer", "number", "boolean", "array", "object", "null"]

TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
MAX_DESCRIPTION_LENGTH = 1024

_TOOL_NAME_RE = re.compile(TOOL_NAME_PATTERN)

# One table for both the static (type names in source) and the runtime (real annotations)
# mapping, so the linter and the runtime cannot disagree about a parameter's JSON type.
_JSON_TYPE_BY_NAME: dict[str, JsonType] = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "List": "array",
    "tuple": "array",
    "Tuple": "array",
    "set": "array",
    "Set": "array",
    "frozenset": "array",
    "FrozenSet": "array",
    "Sequence": "array",
    "MutableSequence": "array",
    "Iterable": "array",
    "dict": "object",
    "Dict": "object",
    "Mapping": "object",
    "MutableMapping": "object",
    "None": "null",
    "NoneType": "null",
}

_OPTIONAL_WRAPPERS = ("Optional", "Annotated", "Required", "NotRequired")


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split on a separator outside brackets: 'dict[str, int] | None' -> two parts on '|'."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def json_type_for_type_name(name: str) -> JsonType | None:
    """Map a type as written in source ('int', 'list[str]', 'Optional[int]', 'int | None')."""
    text = name.strip().strip("'\"").strip()
    if not text:
        return None
    union_parts = _split_top_level(text, "|")
    if len(union_parts) > 1:
        return _single_non_null([json_type_for_type_name(part) for part in union_parts])
    head, bracket, rest = text.partition("[")
    head = head.strip().rsplit(".", 1)[-1]
    if bracket and head in ("Optional", "Union", *_OPTIONAL_WRAPPERS):
        inner = _split_top_level(rest.rstrip().removesuffix("]"), ",")
        if head in ("Annotated", "Required", "NotRequired"):
            return json_type_for_type_name(inner[0])
        return _single_non_null([json_type_for_type_name(part) for part in inner])
    return _JSON_TYPE_BY_NAME.get(head)


def _single_non_null(types_: Sequence[JsonType | None]) -> JsonType | None:
    """`X | None` is X (nullability is carried by the default); other unions are unknown."""
    non_null = [json_type for json_type in types_ if json_type != "null"]
    if not non_null:
        return "null"
    if len(non_null) == 1:
        return non_null[0]
    return None


def json_type_for_annotation(annotation: object) -> JsonType | None:
    """Map a real annotation (int, list[str], Optional[int], int | None) with the same table."""
    if annotation is None or annotation is type(None):
        return "null"
    if isinstance(annotation, str):
        return json_type_for_type_name(annotation)
    if isinstance(annotation, typing.ForwardRef):
        return json_type_for_type_name(annotation.__forward_arg__)
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return _single_non_null(
            [json_type_for_annotation(arg) for arg in typing.get_args(annotation)]
        )
    if origin is typing.Annotated:
        return json_type_for_annotation(typing.get_args(annotation)[0])
    target = origin if origin is not None else annotation
    name = getattr(target, "__name__", None)
    if not isinstance(name, str):
        # typing aliases such as typing.List (unsubscripted) carry the name in _name.
        name = getattr(target, "_name", None)
    if isinstance(name, str):
        return _JSON_TYPE_BY_NAME.get(name)
    return None


class ParamSpec(BaseModel):
    """One parameter of a tool as a provider sees it."""

    # The schema is built on first use, not on import (the linter imports this module and
    # builds no spec for most files).
    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    json_type: JsonType | None  # None: unannotated or a type with no JSON equivalent
    required: bool
    default: Any = None  # JSON-able default, meaningful only when not required
    description: str = ""


def _label(info: ValidationInfo) -> str:
    """The tool as messages name it; spec_problems passes the raw name when it is invalid."""
    name = info.data.get("name")
    if name is None and isinstance(info.context, Mapping):
        name = info.context.get("raw_name")
    return f"tool {name!r}" if name is not None else "tool"


class ToolSpec(BaseModel):
    """A validated tool registration: what the runtime registers and a provider receives."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    # Field order matters: description's validator names the tool from the validated name.
    name: str
    description: str
    parameters: tuple[ParamSpec, ...] = ()
    is_async: bool = False
    # A parameters schema the author wrote by hand (`@tool(parameters={...})`): it is what
    # the provider receives instead of the one derived from the signature. Calls are still
    # validated against the signature, so a schema that disagrees with it (AGT213) makes
    # the model send arguments the function refuses.
    explicit_parameters: dict[str, Any] | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _check_name(cls, value: object) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError(
                "tool_name_type", f"tool name must be a string, got {type(value).__name__}"
            )
        if not _TOOL_NAME_RE.fullmatch(value):
            raise PydanticCustomError(
                "tool_name_pattern", f"tool name {value!r} must match {TOOL_NAME_PATTERN}"
            )
        return value

    @field_validator("description", mode="before")
    @classmethod
    def _check_description(cls, value: object, info: ValidationInfo) -> str:
        label = _label(info)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("tool_description_missing", f"{label} has no description")
        if not isinstance(value, str):
            raise PydanticCustomError(
                "tool_description_type",
                f"{label}: description must be a string, got {type(value).__name__}",
            )
        if len(value) > MAX_DESCRIPTION_LENGTH:
            raise PydanticCustomError(
                "tool_description_length",
                f"{label}: description is {len(value)} characters, "
                f"over the {MAX_DESCRIPTION_LENGTH} limit",
            )
        return value

    @field_validator("parameters", mode="after")
    @classmethod
    def _check_parameters(
        cls, value: tuple[ParamSpec, ...], info: ValidationInfo
    ) -> tuple[ParamSpec, ...]:
        label = _label(info)
        seen: set[str] = set()
        for param in value:
            if not param.name.isidentifier():
                raise PydanticCustomError(
                    "tool_parameter_name",
                    f"{label}: parameter name {param.name!r} is not a valid identifier",
                )
            if param.name in seen:
                raise PydanticCustomError(
                    "tool_parameter_duplicate",
                    f"{label}: parameter {param.name!r} is declared twice",
                )
            seen.add(param.name)
        return value

    def json_schema(self) -> dict[str, Any]:
        """The function schema a provider receives for this tool."""
        if self.explicit_parameters is not None:
            return {
                "name": self.name,
                "description": self.description,
                "parameters": self.explicit_parameters,
            }
        properties: dict[str, dict[str, Any]] = {}
        for param in self.parameters:
            prop: dict[str, Any] = {}
            if param.json_type is not None:
                prop["type"] = param.json_type
            if param.description:
                prop["description"] = param.description
            if not param.required and param.default is not None:
                prop["default"] = param.default
            properties[param.name] = prop
        return {
            "name": self.name,
            "description": self.description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": [param.name for param in self.parameters if param.required],
            },
        }

    def parameter(self, name: str) -> ParamSpec | None:
        """The parameter called name, if the tool has one."""
        return next((param for param in self.parameters if param.name == name), None)


@dataclass(frozen=True, slots=True)
class ContractProblem:
    """One reason a tool registration is invalid, in the words the runtime and linter use."""

    field: str
    message: str


class ContractError(TypeError):
    """A registration the contract refuses; a TypeError, as a real registry would raise."""

    def __init__(self, problems: Sequence[ContractProblem]) -> None:
        self.problems: list[ContractProblem] = list(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))


# Problems from our own validators carry their final message; the rest get a prefix.
_OWN_ERROR_TYPES = frozenset(
    {
        "tool_name_type",
        "tool_name_pattern",
        "tool_description_missing",
        "tool_description_type",
        "tool_description_length",
        "tool_parameter_name",
        "tool_parameter_duplicate",
    }
)


def spec_problems(
    name: object,
    description: object,
    parameters: Sequence[ParamSpec] = (),
    is_async: bool = False,
) -> list[ContractProblem]:
    """Every problem the contract finds with these registration values; [] when valid."""
    try:
        _validate(name, description, parameters, is_async)
    except ValidationError as error:
        return _problems_from(error, name)
    return []


def _validate(
    name: object, description: object, parameters: Sequence[ParamSpec], is_async: bool
) -> ToolSpec:
    return ToolSpec.model_validate(
        {
            "name": name,
            "description": description,
            "parameters": tuple(parameters),
            "is_async": is_async,
        },
        context={"raw_name": name},
    )


def _problems_from(error: ValidationError, name: object) -> list[ContractProblem]:
    label = f"tool {name!r}" if isinstance(name, str) else "tool"
    problems: list[ContractProblem] = []
    for detail in error.errors(include_url=False):
        location = detail["loc"]
        field = str(location[0]) if location else "spec"
        if detail["type"] in _OWN_ERROR_TYPES:
            message = detail["msg"]
        elif detail["type"] == "missing" and field == "description":
            message = f"{label} has no description"
        else:
            where = ".".join(str(part) for part in location) or "spec"
            message = f"{label}: {where}: {detail['msg']}"
        problems.append(ContractProblem(field=field, message=message))
    return problems


def build_spec(
    name: object,
    description: object,
    parameters: Sequence[ParamSpec] = (),
    is_async: bool = False,
) -> ToolSpec:
    """A validated ToolSpec, or ContractError with the messages spec_problems gives."""
    try:
        return _validate(name, description, parameters, is_async)
    except ValidationError as error:
        raise ContractError(_problems_from(error, name)) from None


_DOC_SECTION_HEADERS = ("args:", "arguments:", "parameters:", "params:")
_DOC_ARG_LINE = re.compile(r"^\s*\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_SPHINX_PARAM = re.compile(r"^\s*:param\s+(?:[\w\[\], |.]+\s+)?(\w+)\s*:\s*(.*)$")


def doc_summary(doc: str) -> str:
    """The docstring's first paragraph, lines joined, as the tool description."""
    paragraph = doc.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines()).strip()


def _doc_param_descriptions(doc: str) -> dict[str, str]:
    """Parameter descriptions from Google-style 'Args:' sections and Sphinx ':param x:' lines."""
    found: dict[str, str] = {}
    section_indent: int | None = None  # indentation of the 'Args:' header while inside it
    item_indent: int | None = None  # indentation of the argument lines in the section
    current: str | None = None
    for line in doc.splitlines():
        sphinx = _SPHINX_PARAM.match(line)
        if sphinx:
            found[sphinx.group(1)] = sphinx.group(2).strip()
            continue
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.lower() in _DOC_SECTION_HEADERS:
            section_indent, item_indent, current = indent, None, None
            continue
        if section_indent is None or not stripped:
            continue
        if indent <= section_indent:
            section_indent, current = None, None
            continue
        if item_indent is None:
            item_indent = indent
        match = _DOC_ARG_LINE.match(line)
        if match and indent <= item_indent:
            current = match.group(1)
            found[current] = match.group(3).strip()
        elif current is not None:
            found[current] = f"{found[current]} {stripped}"
    return found


def _json_able(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def parameters_from_function(fn: Callable[..., Any]) -> tuple[ParamSpec, ...]:
    """The parameters a model may pass to fn, from its signature, annotations and docstring."""
    signature = inspect.signature(fn)
    try:
        hints: Mapping[str, object] = typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        hints = {}
    doc_params = _doc_param_descriptions(inspect.getdoc(fn) or "")
    params: list[ParamSpec] = []
    for index, param in enumerate(signature.parameters.values()):
        if index == 0 and param.name in ("self", "cls"):
            continue
        # *args / **kwargs cannot be described to a model as named JSON properties.
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(param.name, param.annotation)
        json_type = (
            None if annotation is inspect.Parameter.empty else json_type_for_annotation(annotation)
        )
        required = param.default is inspect.Parameter.empty
        default = None if required or not _json_able(param.default) else param.default
        params.append(
            ParamSpec(
                name=param.name,
                json_type=json_type,
                required=required,
                default=default,
                description=doc_params.get(param.name, ""),
            )
        )
    return tuple(params)


def spec_from_function(
    fn: Callable[..., Any],
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> ToolSpec:
    """The validated ToolSpec of a function; ContractError if the registration is invalid."""
    tool_name = name if name is not None else getattr(fn, "__name__", None)
    tool_description = (
        description if description is not None else doc_summary(inspect.getdoc(fn) or "")
    )
    spec = build_spec(
        tool_name,
        tool_description,
        parameters_from_function(fn),
        is_async=inspect.iscoroutinefunction(fn),
    )
    if parameters is None:
        return spec
    return spec.model_copy(update={"explicit_parameters": dict(parameters)})


CallProblemKind = Literal["unknown_tool", "missing_argument", "unexpected_argument", "wrong_type"]


@dataclass(frozen=True, slots=True)
class CallProblem:
    """One reason a model's tool call is invalid; fed back to the model so it can correct it."""

    kind: CallProblemKind
    argument: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "argument": self.argument, "message": self.message}


class ToolCallError(ValueError):
    """A tool call whose arguments the tool's spec refuses."""

    def __init__(self, tool: str, errors: Sequence[CallProblem]) -> None:
        self.tool = tool
        self.errors: list[CallProblem] = list(errors)
        super().__init__("; ".join(problem.message for problem in self.errors))

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "errors": [problem.to_dict() for problem in self.errors]}


def _matches(json_type: JsonType, value: object) -> bool:
    # bool is a subclass of int in Python but never an integer or number in JSON.
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "array":
        return isinstance(value, list | tuple)
    if json_type == "object":
        return isinstance(value, Mapping)
    return value is None


def _json_type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def validate_call(spec: ToolSpec, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as a dict if the call matches spec, else ToolCallError with every problem.

    A null is accepted for an optional parameter whose default is None (`x: int | None = None`),
    since the spec records the non-null type of such parameters.
    """
    if not isinstance(arguments, Mapping):
        raise ToolCallError(
            spec.name,
            [
                CallProblem(
                    "wrong_type",
                    None,
                    f"tool {spec.name!r}: arguments must be a JSON object, "
                    f"got {_json_type_of(arguments)}",
                )
            ],
        )
    problems: list[CallProblem] = []
    for param in spec.parameters:
        if param.required and param.name not in arguments:
            problems.append(
                CallProblem(
                    "missing_argument",
                    param.name,
                    f"tool {spec.name!r}: missing required argument {param.name!r}",
                )
            )
    known = {param.name: param for param in spec.parameters}
    for key, value in arguments.items():
        declared = known.get(key)
        if declared is None:
            expected = ", ".join(known) or "none"
            problems.append(
                CallProblem(
                    "unexpected_argument",
                    str(key),
                    f"tool {spec.name!r}: unexpected argument {key!r} (expected: {expected})",
                )
            )
            continue
        if declared.json_type is None or _matches(declared.json_type, value):
            continue
        if value is None and not declared.required and declared.default is None:
            continue
        problems.append(
            CallProblem(
                "wrong_type",
                key,
                f"tool {spec.name!r}: argument {key!r} must be {declared.json_type}, "
                f"got {_json_type_of(value)}",
            )
        )
    if problems:
        raise ToolCallError(spec.name, problems)
    return dict(arguments)


def validate_call_by_name(
    registry: Mapping[str, ToolSpec], name: str, arguments: Mapping[str, Any]
) -> dict[str, Any]:
    """validate_call against the tool called name; an unknown name is an `unknown_tool` problem."""
    spec = registry.get(name)
    if spec is None:
        available = ", ".join(sorted(registry)) or "none"
        raise ToolCallError(
            name,
            [CallProblem("unknown_tool", None, f"unknown tool {name!r} (available: {available})")],
        )
    return validate_call(spec, arguments)
