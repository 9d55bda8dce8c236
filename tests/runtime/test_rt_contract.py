"""The tool contract: spec validation messages, JSON types, schemas and call validation."""

from __future__ import annotations

from typing import Any, List, Optional, Union  # noqa: UP035

import pytest

from agentsense.runtime.contract import (
    MAX_DESCRIPTION_LENGTH,
    TOOL_NAME_PATTERN,
    ContractError,
    ContractProblem,
    ParamSpec,
    ToolCallError,
    ToolSpec,
    build_spec,
    json_type_for_annotation,
    json_type_for_type_name,
    spec_from_function,
    spec_problems,
    validate_call,
    validate_call_by_name,
)


def test_valid_registration_has_no_problems() -> None:
    assert spec_problems("web_search", "Search the web.") == []
    assert TOOL_NAME_PATTERN == r"^[a-zA-Z0-9_-]{1,64}$"
    assert MAX_DESCRIPTION_LENGTH == 1024


@pytest.mark.parametrize("name", ["web search", "", "a" * 65, "naïve", "a.b"])
def test_invalid_names_are_refused_with_the_pattern(name: str) -> None:
    problems = spec_problems(name, "ok")
    assert problems == [
        ContractProblem("name", f"tool name {name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$")
    ]


def test_name_of_64_characters_and_dashes_is_accepted() -> None:
    assert spec_problems("a-" * 32, "ok") == []


def test_non_string_name() -> None:
    assert spec_problems(42, "ok") == [
        ContractProblem("name", "tool name must be a string, got int")
    ]


@pytest.mark.parametrize("description", [None, "", "   \n "])
def test_missing_description(description: object) -> None:
    assert spec_problems("search", description) == [
        ContractProblem("description", "tool 'search' has no description")
    ]


def test_description_over_the_limit() -> None:
    assert spec_problems("x", "d" * 1300) == [
        ContractProblem(
            "description", "tool 'x': description is 1300 characters, over the 1024 limit"
        )
    ]
    assert spec_problems("x", "d" * 1024) == []


def test_description_of_wrong_type() -> None:
    [problem] = spec_problems("x", 12)
    assert problem.message == "tool 'x': description must be a string, got int"


def test_invalid_name_still_names_the_tool_in_description_problem() -> None:
    messages = [problem.message for problem in spec_problems("web search", "")]
    assert messages == [
        "tool name 'web search' must match ^[a-zA-Z0-9_-]{1,64}$",
        "tool 'web search' has no description",
    ]


def test_duplicate_and_invalid_parameter_names() -> None:
    param = ParamSpec(name="q", json_type="string", required=True)
    assert [p.message for p in spec_problems("x", "d", [param, param])] == [
        "tool 'x': parameter 'q' is declared twice"
    ]
    bad = ParamSpec(name="not valid", json_type=None, required=True)
    assert [p.field for p in spec_problems("x", "d", [bad])] == ["parameters"]


def test_build_spec_raises_contract_error_with_the_same_messages() -> None:
    with pytest.raises(ContractError) as caught:
        build_spec("bad name", "")
    assert isinstance(caught.value, TypeError)
    assert caught.value.problems == spec_problems("bad name", "")
    assert str(caught.value) == (
        "tool name 'bad name' must match ^[a-zA-Z0-9_-]{1,64}$; tool 'bad name' has no description"
    )


def test_spec_is_frozen() -> None:
    spec = build_spec("x", "d")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.name = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("str", "string"),
        ("int", "integer"),
        ("float", "number"),
        ("bool", "boolean"),
        ("list", "array"),
        ("List", "array"),
        ("tuple", "array"),
        ("Tuple", "array"),
        ("set", "array"),
        ("Sequence", "array"),
        ("Iterable", "array"),
        ("dict", "object"),
        ("Dict", "object"),
        ("Mapping", "object"),
        ("None", "null"),
        ("list[str]", "array"),
        ("typing.List[str]", "array"),
        ("Optional[int]", "integer"),
        ("int | None", "integer"),
        ("dict[str, int] | None", "object"),
        ("int | str", None),
        ("MyModel", None),
    ],
)
def test_json_type_for_type_name(name: str, expected: str | None) -> None:
    assert json_type_for_type_name(name) == expected


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "string"),
        (int, "integer"),
        (float, "number"),
        (bool, "boolean"),
        (list[str], "array"),
        (List[int], "array"),  # noqa: UP006
        (dict[str, Any], "object"),
        (Optional[int], "integer"),  # noqa: UP045
        (int | None, "integer"),
        (Union[int, str], None),  # noqa: UP007
        (None, "null"),
        ("int", "integer"),
        (object, None),
    ],
)
def test_json_type_for_annotation(annotation: object, expected: str | None) -> None:
    assert json_type_for_annotation(annotation) == expected


def test_static_and_runtime_mappings_agree() -> None:
    for annotation in (str, int, float, bool, list, tuple, set, dict, type(None)):
        assert json_type_for_annotation(annotation) == json_type_for_type_name(annotation.__name__)


class Holder:
    def method(self, query: str, limit: int = 5) -> list[str]:
        """Look something up.

        Args:
            query: what to look for,
                over two lines.
            limit (int): at most this many.
        """
        return []


def test_spec_from_function_reads_signature_and_docstring() -> None:
    async def search(
        query: str, limit: int = 5, tags: list[str] | None = None, *rest: int, **kw: Any
    ) -> None:
        """Search the web.

        Longer explanation that is not the description.

        :param query: the search terms
        """

    spec = spec_from_function(search)
    assert spec.name == "search"
    assert spec.description == "Search the web."
    assert spec.is_async is True
    assert [(p.name, p.json_type, p.required, p.default) for p in spec.parameters] == [
        ("query", "string", True, None),
        ("limit", "integer", False, 5),
        ("tags", "array", False, None),
    ]
    assert spec.parameters[0].description == "the search terms"


def test_spec_from_function_skips_self_and_parses_google_args() -> None:
    spec = spec_from_function(Holder.method, name="lookup")
    assert spec.name == "lookup"
    assert [p.name for p in spec.parameters] == ["query", "limit"]
    assert spec.parameters[0].description == "what to look for, over two lines."
    assert spec.parameters[1].description == "at most this many."
    assert spec.is_async is False


def test_spec_from_function_unannotated_and_unresolvable() -> None:
    def f(a, b: Undefined = None) -> None:  # type: ignore[no-untyped-def,name-defined]  # noqa: F821
        """Doc."""

    spec = spec_from_function(f)
    assert [(p.json_type, p.required) for p in spec.parameters] == [(None, True), (None, False)]


def test_spec_from_function_without_docstring_is_refused() -> None:
    def undocumented(x: int) -> int:
        return x

    with pytest.raises(ContractError, match="tool 'undocumented' has no description"):
        spec_from_function(undocumented)
    assert spec_from_function(undocumented, description="Given.").description == "Given."


def test_non_json_default_is_not_exported() -> None:
    def f(x: object = object()) -> None:
        """Doc."""

    [param] = spec_from_function(f).parameters
    assert param.required is False and param.default is None


def test_json_schema_is_what_a_provider_receives() -> None:
    def f(query: str, limit: int = 3, raw=None) -> None:  # type: ignore[no-untyped-def]
        """Find things.

        Args:
            query: terms
        """

    assert spec_from_function(f).json_schema() == {
        "name": "f",
        "description": "Find things.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "terms"},
                "limit": {"type": "integer", "default": 3},
                "raw": {},
            },
            "required": ["query"],
        },
    }


def _spec() -> ToolSpec:
    return build_spec(
        "lookup",
        "Look up.",
        [
            ParamSpec(name="query", json_type="string", required=True),
            ParamSpec(name="limit", json_type="integer", required=False, default=5),
            ParamSpec(name="ratio", json_type="number", required=False, default=0.5),
            ParamSpec(name="flag", json_type="boolean", required=False, default=False),
            ParamSpec(name="tags", json_type="array", required=False),
            ParamSpec(name="meta", json_type="object", required=False),
            ParamSpec(name="anything", json_type=None, required=False),
        ],
    )


def test_validate_call_accepts_valid_arguments() -> None:
    arguments = {
        "query": "q",
        "limit": 2,
        "ratio": 1,  # an integer is a valid JSON number
        "flag": True,
        "tags": ["a"],
        "meta": {"k": 1},
        "anything": object(),
    }
    assert validate_call(_spec(), arguments) == arguments
    # null for an optional parameter whose default is None
    assert validate_call(_spec(), {"query": "q", "tags": None}) == {"query": "q", "tags": None}


def _kinds(error: ToolCallError) -> list[tuple[str, str | None]]:
    return [(problem.kind, problem.argument) for problem in error.errors]


def test_validate_call_missing_argument() -> None:
    with pytest.raises(ToolCallError) as caught:
        validate_call(_spec(), {})
    assert _kinds(caught.value) == [("missing_argument", "query")]
    assert str(caught.value) == "tool 'lookup': missing required argument 'query'"
    assert isinstance(caught.value, ValueError)


def test_validate_call_unexpected_argument() -> None:
    with pytest.raises(ToolCallError) as caught:
        validate_call(_spec(), {"query": "q", "qeury": "q"})
    assert _kinds(caught.value) == [("unexpected_argument", "qeury")]
    assert "unexpected argument 'qeury'" in caught.value.errors[0].message


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("limit", True, "must be integer, got boolean"),
        ("limit", 2.5, "must be integer, got number"),
        ("limit", "2", "must be integer, got string"),
        ("ratio", False, "must be number, got boolean"),
        ("flag", 1, "must be boolean, got integer"),
        ("tags", "a", "must be array, got string"),
        ("meta", [], "must be object, got array"),
        ("query", None, "must be string, got null"),
    ],
)
def test_validate_call_wrong_type(argument: str, value: object, expected: str) -> None:
    arguments = {"query": "q", argument: value}
    with pytest.raises(ToolCallError) as caught:
        validate_call(_spec(), arguments)
    assert _kinds(caught.value) == [("wrong_type", argument)]
    assert expected in caught.value.errors[0].message


def test_validate_call_reports_every_problem_and_to_dict() -> None:
    with pytest.raises(ToolCallError) as caught:
        validate_call(_spec(), {"limit": "x", "extra": 1})
    assert caught.value.to_dict() == {
        "tool": "lookup",
        "errors": [
            {
                "kind": "missing_argument",
                "argument": "query",
                "message": "tool 'lookup': missing required argument 'query'",
            },
            {
                "kind": "wrong_type",
                "argument": "limit",
                "message": "tool 'lookup': argument 'limit' must be integer, got string",
            },
            {
                "kind": "unexpected_argument",
                "argument": "extra",
                "message": "tool 'lookup': unexpected argument 'extra' "
                "(expected: query, limit, ratio, flag, tags, meta, anything)",
            },
        ],
    }


def test_validate_call_non_mapping_arguments() -> None:
    with pytest.raises(ToolCallError) as caught:
        validate_call(_spec(), ["q"])  # type: ignore[arg-type]
    assert _kinds(caught.value) == [("wrong_type", None)]


def test_validate_call_by_name() -> None:
    registry = {"lookup": _spec()}
    assert validate_call_by_name(registry, "lookup", {"query": "q"}) == {"query": "q"}
    with pytest.raises(ToolCallError) as caught:
        validate_call_by_name(registry, "lokup", {})
    assert _kinds(caught.value) == [("unknown_tool", None)]
    assert caught.value.errors[0].message == "unknown tool 'lokup' (available: lookup)"
