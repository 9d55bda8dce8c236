"""analyzers/cst_parse.py: libcst's parse without re-validating what its parser guarantees
gives libcst's own trees and errors, and every node built elsewhere is still validated."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentsense.analyzers.engine as engine
import agentsense.analyzers.statement_rows as statement_rows_module
from agentsense.analyzers import cst_parse, positions
from agentsense.analyzers.cst_parse import parse_valid_python
from agentsense.analyzers.engine import lint, parse
from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.statement_rows import python_tree

_ROOT = Path(__file__).parent.parent

# Valid Python whose tree libcst's own checks reject (a keyword glued to what follows it).
UNREPRESENTABLE = (
    "def f():\n    return.0\n",
    "assert.0\n",
    "def f():\n    yield.0\n",
    "raise.0\n",
    "x = not.0\n",
    "x = 1 if.0else.0\n",
    "x = [x for x in y if.0]\n",
    "x = .0or.0\n",
    "x = .0and.0\n",
    "x = a if b else.0\n",
    "async def f():\n    await.0\n",
    "with.0:\n    pass\n",
    "for x in.0:\n    pass\n",
    "while.0:\n    pass\n",
    "if.0:\n    pass\n",
)


def _validated_parse(source: str) -> object:
    """What `engine.parse` gave when every node was validated: its result or exception."""
    try:
        return engine._parse_with_libcst(source, cst.parse_module)
    except Exception as error:  # compared, not handled
        return error


def _ours(source: str) -> object:
    try:
        return parse(source)
    except Exception as error:  # compared, not handled
        return error


def _assert_same_parse(source: str) -> None:
    expected, got = _validated_parse(source), _ours(source)
    if isinstance(expected, cst.Module):
        assert isinstance(got, cst.Module), (source, got)
        assert got.deep_equals(expected), source
        assert got.code == expected.code
    else:
        assert type(got) is type(expected), (source, got, expected)
        assert str(got) == str(expected), source


def _examples() -> Iterator[str]:
    for rule in all_rules():
        for flagged in rule.flagged:
            yield flagged.source
            if flagged.fixed_source is not None:
                yield flagged.fixed_source
        for clean in rule.clean:
            yield clean.source


def test_every_rule_example_parses_to_libcsts_tree() -> None:
    sources = list(_examples())
    assert len(sources) > 300
    for source in sources:
        _assert_same_parse(source)


def test_real_files_parse_to_libcsts_tree() -> None:
    paths = sorted((_ROOT / "examples").rglob("*.py")) + sorted((_ROOT / "analyzers").glob("*.py"))
    assert len(paths) > 30
    for path in paths:
        _assert_same_parse(path.read_text(encoding="utf-8"))


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node(auto_target=False))
def test_generated_code_parses_to_libcsts_tree(source: str) -> None:
    _assert_same_parse(source)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar(auto_target=False))
def test_generated_grammar_text_parses_to_libcsts_tree(source: str) -> None:
    _assert_same_parse(source)


@pytest.mark.parametrize("source", UNREPRESENTABLE)
def test_code_libcst_cannot_represent_is_reported_as_before(source: str) -> None:
    python_tree(source)  # valid Python
    with pytest.raises(cst.CSTValidationError):
        cst.parse_module(source)
    error = parse(source)
    assert isinstance(error, cst.ParserSyntaxError)
    assert error.message.startswith("libcst cannot represent this code: Must have at least one")
    _assert_same_parse(source)
    [finding] = lint(source, "t.py")
    assert (finding.code, finding.message) == (
        "AGT001",
        "not analysed: the parser does not support this construct",
    )


@pytest.mark.parametrize(
    "source",
    ["def broken(:\n    pass\n", "x = (\n", "(no_such_global): int\n", "f(**a, b)\n", "x = $\n"],
)
def test_text_python_or_libcst_refuses_gives_the_same_error(source: str) -> None:
    _assert_same_parse(source)


def test_text_python_refuses_is_parsed_with_every_check(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(engine, "parse_valid_python", lambda source: calls.append(source))
    assert isinstance(parse("def broken(:\n"), cst.ParserSyntaxError)
    assert calls == []
    parse("x = 1\n")
    assert calls == ["x = 1\n"]


class _Counting:
    """Counts the `_validate` calls of some node classes (patched on the classes)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *classes: type[cst.CSTNode]) -> None:
        cst_parse._cheaper_inits()  # chosen from libcst's own checks, before patching
        self.calls: dict[str, int] = {cls.__name__: 0 for cls in classes}
        for cls in classes:
            monkeypatch.setattr(cls, "_validate", self._wrap(cls, cls._validate))

    def _wrap(
        self, cls: type[cst.CSTNode], validate: Callable[[Any], None]
    ) -> Callable[[Any], None]:
        def counted(node: Any) -> None:
            if type(node) is cls:
                self.calls[cls.__name__] += 1
            validate(node)

        return counted


SOURCE = "def f(a, b=1):\n    return g(a, key=b)  # done\n\nx = (f)(1)\n"


def test_our_parse_skips_what_the_parser_guarantees(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(monkeypatch, cst.Arg, cst.Param, cst.Call, cst.Name, cst.Return)
    module = parse_valid_python(SOURCE)
    # `(f)` is a parenthesised name: the cheap test does not decide, libcst's check does.
    assert counting.calls == {"Arg": 0, "Param": 0, "Call": 0, "Name": 1, "Return": 1}
    counting.calls = dict.fromkeys(counting.calls, 0)
    cst.parse_module(SOURCE)
    assert counting.calls == {"Arg": 3, "Param": 2, "Call": 2, "Name": 9, "Return": 1}
    assert module.deep_equals(cst.parse_module(SOURCE))


def _restored() -> bool:
    """No thread counts as parsing: every node built is validated by libcst's checks."""
    return not cst_parse._parsing_threads


def _invalid_nodes_raise() -> None:
    name = cst.Name("x")
    with pytest.raises(cst.CSTValidationError):
        cst.Arg(value=name, star="***")  # type: ignore[arg-type]
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not an identifier")
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("x")
    with pytest.raises(cst.CSTValidationError):
        cst.Call(func=name, args=[cst.Arg(name, star="**"), cst.Arg(name)])


def test_nodes_built_after_a_parse_are_validated() -> None:
    module = parse_valid_python(SOURCE)
    assert _restored()
    _invalid_nodes_raise()
    call = cst.ensure_type(
        cst.ensure_type(module.body[1], cst.SimpleStatementLine).body[0], cst.Assign
    ).value
    assert isinstance(call, cst.Call)
    with pytest.raises(cst.CSTValidationError):
        call.args[0].with_changes(star="***")
    with pytest.raises(cst.CSTValidationError):
        cst.parse_expression("not.0")  # what a rule's fix parses is checked by libcst


def test_a_failing_parse_restores_validation() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_valid_python("def broken(:\n")
    assert _restored()
    with pytest.raises(cst.CSTValidationError):
        parse_valid_python("def f():\n    return.0\n")
    assert _restored()
    _invalid_nodes_raise()


def test_an_exception_inside_the_parse_restores_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cst_parse._cheaper_inits()

    def failing(node: cst.Return) -> None:
        raise RuntimeError("inside the parse")

    monkeypatch.setattr(cst.Return, "_validate", failing)
    with pytest.raises(RuntimeError, match="inside the parse"):
        parse_valid_python(SOURCE)
    assert _restored()
    monkeypatch.undo()
    _invalid_nodes_raise()


def test_another_thread_still_validates_during_a_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    cst_parse._cheaper_inits()
    in_parse, checked = threading.Event(), threading.Event()
    seen: list[bool] = []
    validate_return = cst.Return._validate

    def pausing(node: cst.Return) -> None:
        in_parse.set()  # the parse is running: let the other thread build its nodes now
        assert checked.wait(10)
        validate_return(node)

    def builder() -> None:
        assert in_parse.wait(10)
        seen.append(not _restored())  # the parse is running (in the other thread)
        try:
            _invalid_nodes_raise()
            seen.append(True)
        finally:
            checked.set()

    monkeypatch.setattr(cst.Return, "_validate", pausing)
    thread = threading.Thread(target=builder)
    thread.start()
    module = parse_valid_python(SOURCE)
    thread.join(10)
    assert seen == [True, True]
    monkeypatch.undo()
    assert module.deep_equals(cst.parse_module(SOURCE))
    assert _restored()


def test_nested_and_concurrent_parses_restore_validation_once_all_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cst_parse._cheaper_inits()
    inner: list[cst.Module] = []
    validate_return = cst.Return._validate

    def nested(node: cst.Return) -> None:
        if not inner:
            inner.append(parse_valid_python("y = [1, 2]\n"))
            assert cst_parse._parsing_threads[threading.get_ident()] == 1  # the outer one
        validate_return(node)

    monkeypatch.setattr(cst.Return, "_validate", nested)
    results: list[bool] = []

    def other() -> None:
        for _ in range(3):
            results.append(
                parse_valid_python(SOURCE * 20).deep_equals(cst.parse_module(SOURCE * 20))
            )

    thread = threading.Thread(target=other)
    thread.start()
    module = parse_valid_python(SOURCE)
    thread.join(30)
    monkeypatch.undo()
    assert results == [True, True, True]
    assert inner[0].deep_equals(cst.parse_module("y = [1, 2]\n"))
    assert module.deep_equals(cst.parse_module(SOURCE))
    assert _restored()
    _invalid_nodes_raise()


def _check_messages(validate: Callable[..., None]) -> list[str]:
    source = inspect.getsource(validate)
    return [line for line in source.splitlines() if "CSTValidationError(" in line or '"' in line]


def test_no_check_skipped_while_parsing_looks_at_whitespace() -> None:
    # Whitespace checks ("at least one space after 'return'") can reject code CPython
    # accepts: those classes must keep libcst's check.
    patched = {cls for cls, _ in cst_parse._cheaper_inits()}
    trusted = [
        cls
        for cls in patched
        if cst_parse._cheap_test(cls) == cst_parse._NEVER
        and cls._validate is not cst.CSTNode._validate
    ]
    assert cst.Attribute in trusted and cst.Arg in trusted
    assert cst.Return not in patched and not _generated(cst.Return.__init__)
    for cls in trusted:
        for owner in cls.__mro__:
            validate = owner.__dict__.get("_validate")
            if validate is not None:
                text = inspect.getsource(validate).lower()
                assert "space" not in text and "whitespace" not in text, cls


def _bare(cls: type[cst.CSTNode], **values: object) -> Any:
    node = object.__new__(cls)
    for field in dataclasses.fields(cls):
        object.__setattr__(node, field.name, values.get(field.name, ()))
    return node


def _same_verdict(cls: type[cst.CSTNode], **values: object) -> None:
    """Building the node raises exactly when libcst's check does, also while the thread
    parses (when the cheap test decides)."""
    cst_parse._cheaper_inits()
    node = _bare(cls, **values)
    arguments = {field.name: getattr(node, field.name) for field in dataclasses.fields(cls)}
    try:
        node._validate()
    except cst.CSTValidationError:
        with pytest.raises(cst.CSTValidationError):
            cls(**arguments)
        with cst_parse._parser_nodes_trusted(), pytest.raises(cst.CSTValidationError):
            cls(**arguments)
    else:
        cls(**arguments)
        with cst_parse._parser_nodes_trusted():
            cls(**arguments)


_TEXT = st.text(alphabet=" \t\f\v\\\r\n#xé1_-", max_size=6)


@given(_TEXT)
def test_the_cheap_tests_decide_as_libcsts_checks(value: str) -> None:
    _same_verdict(cst.SimpleWhitespace, value=value)
    _same_verdict(cst.Name, value=value)
    _same_verdict(cst.Name, value=value, lpar=(cst.LeftParen(),))
    _same_verdict(cst.Newline, value=value)
    _same_verdict(cst.Comment, value=value)
    _same_verdict(cst.IndentedBlock, indent=value, body=())
    _same_verdict(cst.IndentedBlock, indent=None, body=())


def test_lint_compiles_the_source_once(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []
    python_tree = statement_rows_module.python_tree

    def counted(source: str) -> Any:
        compiled.append(source)
        return python_tree(source)

    monkeypatch.setattr(engine, "python_tree", counted)
    monkeypatch.setattr(statement_rows_module, "python_tree", counted)
    source = "import os\n\n\ndef f(items=[]):\n    return items\n"
    findings = lint(source, "t.py")
    assert [f.code for f in findings] == ["AGT401"]
    assert findings[0].span.start.row == 4
    assert compiled == [source]


def test_the_classes_are_patched_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each change to a class spends one of its versions in CPython's type cache (3.13: past
    # 1 000, lookups on it are no longer cached): a parse must not change any class.
    parse_valid_python(SOURCE)
    inits = {cls: cls.__dict__["__init__"] for cls, _ in cst_parse._cheaper_inits()}
    installs: list[None] = []
    monkeypatch.setattr(cst_parse, "_install", lambda: installs.append(None))
    for _ in range(3):
        parse_valid_python(SOURCE)
    assert installs == []
    assert {cls: cls.__dict__["__init__"] for cls in inits} == inits
    assert cst.Name in inits and _generated(inits[cst.Name])


def _generated(init: Callable[..., None]) -> bool:
    return init.__code__.co_filename == "<agentsense: node __init__>"


def _dataclass_init(cls: type[cst.CSTNode]) -> Callable[..., None]:
    """The `__init__` `dataclasses` generates for the class's fields (as libcst's was), on a
    twin class without libcst's `__post_init__`: it stores, and checks nothing."""
    fields: list[tuple[str, Any, Any]] = []
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            spec = dataclasses.field(default=field.default)
        elif field.default_factory is not dataclasses.MISSING:
            spec = dataclasses.field(default_factory=field.default_factory)
        else:
            spec = dataclasses.field()
        fields.append((field.name, Any, spec))
    twin = dataclasses.make_dataclass(cls.__name__, fields, frozen=True)
    init: Callable[..., None] = twin.__dict__["__init__"]
    return init


def _patched_classes() -> list[type[cst.CSTNode]]:
    return [cls for cls, _ in cst_parse._cheaper_inits()]


def test_every_node_class_the_parser_builds_is_considered() -> None:
    # The slotted classes libcst exports, not the unslotted ones `add_slots` replaced, nor ours.
    leaves = cst_parse._leaf_classes()
    assert cst.Name in leaves and cst.Comma in leaves and cst.Return in leaves
    assert [cls for cls in leaves if "__slots__" not in cls.__dict__] == []
    assert len({cls.__name__ for cls in leaves}) == len(leaves) > 150
    assert positions._Rows not in leaves  # a node class of ours
    assert len(_patched_classes()) > 100


@pytest.mark.parametrize("cls", _patched_classes(), ids=lambda cls: cls.__name__)
def test_our_init_takes_what_the_dataclass_init_takes(cls: type[cst.CSTNode]) -> None:
    ours = inspect.signature(cls.__init__)
    theirs = inspect.signature(_dataclass_init(cls))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]


class _Marker(str):
    """A value told apart by identity (a string, as the cheap tests read strings)."""

    __slots__ = ()


@pytest.mark.parametrize("cls", _patched_classes(), ids=lambda cls: cls.__name__)
def test_our_init_stores_what_the_dataclass_init_stores(
    cls: type[cst.CSTNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cls, "_validate", lambda node: None)  # markers are no valid values
    fields = dataclasses.fields(cls)
    markers = [_Marker() for _ in fields]
    by_position = cls(*markers)
    by_keyword = cls(**{f.name: m for f, m in zip(fields, markers, strict=True)})
    for node in (by_position, by_keyword):
        assert all(getattr(node, f.name) is m for f, m in zip(fields, markers, strict=True))
    # Omitted, a field gets its default, or a fresh value from its factory, as libcst's.
    required = [m for f, m in zip(fields, markers, strict=True) if _required(f)]
    ours, again = cls(*required), cls(*required)
    theirs = object.__new__(cls)
    _dataclass_init(cls)(theirs, *required)
    for field in fields:
        if _required(field):
            continue
        mine, expected = getattr(ours, field.name), getattr(theirs, field.name)
        assert type(mine) is type(expected) and repr(mine) == repr(expected), field.name
        if field.default_factory is not dataclasses.MISSING and isinstance(mine, cst.CSTNode):
            assert mine is not getattr(again, field.name)


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def test_parsed_trees_equal_those_of_an_unpatched_libcst() -> None:
    # A process that never loads agentsense parses the same files with libcst's own classes.
    files = sorted((_ROOT / "examples").rglob("*.py"))
    assert len(files) > 5
    script = (
        "import sys, libcst\n"
        "for path in sys.argv[1:]:\n"
        "    text = open(path, encoding='utf-8').read()\n"
        "    print(repr(libcst.parse_module(text)).replace('\\n', ' '))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    ours = [
        repr(parse_valid_python(path.read_text(encoding="utf-8"))).replace("\n", " ")
        for path in files
    ]
    assert result.stdout.splitlines() == ours
