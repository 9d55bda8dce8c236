"""The registry interpreter's semantics (analyzers/detect/README.md), one behaviour per test."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from agentsense.analyzers.detect import registrations
from agentsense.analyzers.detect.static import ClassIndex, Evaluator
from agentsense.analyzers.facts import ModuleFacts
from tests.rules.test_registrations import guard_messages, regs

META = """
TOOLS = {{}}

class Meta(type):
    def __new__(mcs, name, bases, namespace):
        cls = super().__new__(mcs, name, bases, namespace)
{hook}
        return cls

class Base(metaclass=Meta):
    __abstract__ = True

class Search(Base):
    \"\"\"Search the web.\"\"\"
    name = "search"
    query: str = ""
"""


def meta(hook: str) -> str:
    return META.format(hook="\n".join("        " + line for line in hook.strip().splitlines()))


def names(code: str) -> list[tuple[str, str | None]]:
    return [(r.definition.name.value, r.name) for r in regs(code)]


def test_namespace_holds_the_dunders_python_adds_and_no_others() -> None:
    hook = """
if namespace.get("__abstract__", False):
    return cls
if "__doc__" in namespace and "__module__" in namespace and "__annotations__" in namespace:
    TOOLS[namespace["__qualname__"]] = cls
if "__slots__" in namespace or "__init__" in namespace:
    raise TypeError("no slots, no __init__")
"""
    assert names(meta(hook)) == [("Search", "Search")]


def test_namespace_without_a_docstring_has_no_doc_key() -> None:
    hook = """
if namespace.get("__abstract__", False):
    return cls
if "__doc__" not in namespace:
    raise TypeError(f"{name} needs a docstring")
TOOLS[name] = cls
"""
    source = meta(hook).replace('    """Search the web."""\n', "")
    assert guard_messages(source) == ["Search needs a docstring"]


def test_enum_member_value_and_name() -> None:
    source = """
    from enum import Enum

    TOOLS = {}

    class Names(str, Enum):
        SEARCH = "search"

    def register(cls):
        TOOLS[cls.key.value + "_" + cls.key.name.lower()] = cls
        return cls

    @register
    class Search:
        key = Names.SEARCH
    """
    assert names(source) == [("Search", "search_search")]


def test_unknown_condition_both_sides_must_agree() -> None:
    agree = """
if os.environ.get("X"):
    TOOLS[namespace["name"]] = cls
else:
    TOOLS[namespace["name"]] = cls
"""
    disagree = """
if os.environ.get("X"):
    TOOLS[namespace["name"]] = cls
"""
    assert names("import os\n" + meta("if not bases:\n    return cls\n" + agree)) == [
        ("Search", "search")
    ]
    assert names("import os\n" + meta("if not bases:\n    return cls\n" + disagree)) == []


def test_keys_that_differ_between_paths_are_unknown() -> None:
    hook = """
if not bases:
    return cls
key = name.lower() if os.environ.get("X") else namespace["name"]
if os.environ.get("Y"):
    key = "other"
TOOLS[key] = cls
"""
    found = regs("import os\n" + meta(hook))
    assert [(r.definition.name.value, r.name, r.registry) for r in found] == [
        ("Search", None, "local:TOOLS")
    ]


def test_path_cap_gives_up() -> None:
    checks = "\n".join(f'if os.environ.get("V{i}"):\n    pass' for i in range(8))
    hook = f"if not bases:\n    return cls\n{checks}\nTOOLS[name] = cls"
    assert names("import os\n" + meta(hook)) == []


def test_try_except_finally() -> None:
    caught = """
if not bases:
    return cls
try:
    TOOLS[cls.missing_attribute] = cls
except AttributeError:
    TOOLS[name] = cls
finally:
    pass
"""
    not_caught = caught.replace("except AttributeError", "except KeyError")
    assert names(meta(caught)) == [("Search", "Search")]
    assert guard_messages(meta(not_caught)) == [
        "type object 'Search' has no attribute 'missing_attribute'"
    ]


def test_helpers_are_inlined_with_their_return_value() -> None:
    source = """
    TOOLS = {}

    def key_for(cls, prefix="tool"):
        return f"{prefix}_{cls.__name__.lower()}"

    def check(cls):
        if not hasattr(cls, "run"):
            raise TypeError(f"{cls.__name__} needs run")

    class Base:
        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            check(cls)
            TOOLS[key_for(cls)] = cls

    class Search(Base):
        def run(self):
            return None

    class Fetch(Base):
        pass
    """
    assert names(source)[0] == ("Search", "tool_search")
    assert guard_messages(source) == ["Fetch needs run"]


def test_a_local_container_passed_to_an_unknown_call_becomes_unknown() -> None:
    # `fill` is not this module's: it may add "name"; no AGT216.
    source = """
    from plugins import fill

    class Base:
        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            info = {}
            fill(info, cls)
            if "name" not in info:
                raise TypeError("no name")

    class Search(Base):
        pass
    """
    assert guard_messages(source) == []


def test_callable_isinstance_and_str_methods() -> None:
    source = """
    TOOLS = {}

    def register(cls):
        if not callable(getattr(cls, "execute", None)):
            raise TypeError("execute must be a method")
        if not isinstance(cls.name, str) or not cls.name.isidentifier():
            raise ValueError(f"bad name {cls.name!r}")
        TOOLS[cls.name.strip()] = cls
        return cls

    @register
    class Search:
        name = "search"

        def execute(self):
            return None

    @register
    class Fetch:
        name = "fetch it"

        def execute(self):
            return None
    """
    assert names(source)[0] == ("Search", "search")
    assert guard_messages(source) == ["bad name 'fetch it'"]


def test_explicit_module_level_registrations() -> None:
    source = """
    TOOLS = {}

    class Registry:
        def __init__(self):
            self.tools = {}

        def add(self, cls):
            self.tools[cls.name] = cls

    registry = Registry()

    class Search:
        name = "search"

    def fetch(url: str) -> str:
        \"\"\"Fetch a URL.\"\"\"
        return url

    registry.add(Search)
    TOOLS["fetch"] = fetch
    """
    found = regs(source)
    assert [(r.source, r.name, r.registry) for r in found] == [
        ("user-explicit", "search", "local:registry.tools"),
        ("user-explicit", "fetch", "local:TOOLS"),
    ]


def test_classcell_is_in_the_namespace_only_when_a_method_may_need_it() -> None:
    hook = """
if namespace.get("__abstract__", False):
    return cls
if "__classcell__" in namespace:
    raise TypeError("a class cell")
TOOLS[name] = cls
"""
    assert names(meta(hook)) == [("Search", "Search")]
    with_super = meta(hook).replace(
        '    query: str = ""\n',
        '    query: str = ""\n\n    def run(self):\n        return super().run()\n',
    )
    # Python adds `__classcell__` when a method says `super()`: whether it does is unknown.
    assert names(with_super) == []


def test_class_index_does_not_walk_class_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a class needs a class cell is asked for rarely: the index does not walk every
    class body to know it in advance."""
    from agentsense.analyzers import walk
    from agentsense.analyzers.detect import static

    walked: list[cst.CSTNode] = []
    original = walk.iter_subtree

    def counting(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
        walked.append(root)
        return original(root)

    monkeypatch.setattr(static, "iter_subtree", counting)
    module = cst.parse_module("class A:\n    def f(self):\n        return super().f()\n")
    facts = ModuleFacts(module)
    info = ClassIndex(module, facts).all[0]
    assert walked == []
    assert info.may_have_class_cell
    assert walked == [info.node.body]


def test_missing_class_keyword_is_pythons_type_error() -> None:
    source = """
    class Plugin:
        registry = {}

        def __init_subclass__(cls, *, category, kind, **kwargs):
            super().__init_subclass__(**kwargs)
            cls.registry[category] = cls

    class Search(Plugin):
        pass
    """
    assert guard_messages(source) == [
        "Plugin.__init_subclass__() missing 2 required keyword-only arguments: 'category' "
        "and 'kind'"
    ]


def _reader_for(source: str) -> registrations.RuntimeReader:
    module = cst.parse_module(textwrap.dedent(source))
    facts = ModuleFacts(module)
    classes = ClassIndex(module, facts)
    return registrations.RuntimeReader(classes, Evaluator(facts, classes))


def test_runtime_tool_meta_is_read_from_the_runtime_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = """
    from agentsense.runtime.registry import BaseTool

    class Search(BaseTool):
        description = "Search the web."

        def execute(self, query: str) -> list[str]:
            return []
    """
    assert [p.message for r in regs(source) for p in r.problems] == [
        "tool class 'Search' is missing required attribute 'name'"
    ]
    # A runtime whose ToolMeta also requires `version`: the linter follows its source.
    real = registrations.runtime_reader()
    assert real is not None
    text = Path(registrations.__file__).parents[2] / "runtime" / "registry.py"
    changed_source = text.read_text(encoding="utf-8").replace(
        'for attribute in ("name", "description")',
        'for attribute in ("name", "description", "version")',
    )
    assert changed_source != text.read_text(encoding="utf-8")
    monkeypatch.setattr(registrations, "runtime_reader", lambda: _reader_for(changed_source))
    assert [p.message for r in regs(source) for p in r.problems] == [
        "tool class 'Search' is missing required attribute 'name'",
        "tool class 'Search' is missing required attribute 'version'",
    ]
