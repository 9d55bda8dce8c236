"""Node kinds told apart by exact type (`type(node) is cst.X`, `type(node) in kinds`) give
what `isinstance` gives, and the rules' and facts' hottest node tests use them.

Every libcst node class is an `ABC`: an `isinstance` against one that fails (the common case
in an `if`/`elif` chain over node kinds) goes through `ABCMeta.__instancecheck__`, a Python
call. On the 100 k-line stdlib slice the sites listed below made ~1 M of them a lint.
"""

from __future__ import annotations

import abc
import contextlib
import importlib
import inspect
import sys
from collections import Counter
from collections.abc import Iterator
from functools import cached_property
from types import CodeType

import libcst as cst
import pytest

from agentsense.analyzers.budget import NotLinted
from agentsense.analyzers.config import Config
from agentsense.analyzers.engine import lint
from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.walk import concrete_types


def _node_classes() -> set[type]:
    """Every libcst node class, public or not (`__subclasses__` from `CSTNode`, transitively)."""
    found: set[type] = set()
    stack: list[type] = [cst.CSTNode]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


_ABSTRACT_BASES = sorted(
    (c for c in _node_classes() if inspect.isabstract(c)), key=lambda c: c.__qualname__
)


@pytest.mark.parametrize("base", _ABSTRACT_BASES, ids=lambda c: c.__qualname__)
def test_concrete_types_are_the_classes_isinstance_accepts(base: type) -> None:
    kinds = concrete_types(base)
    assert kinds
    for kind in _node_classes():
        assert (kind in kinds) == (issubclass(kind, base) and not inspect.isabstract(kind)), kind


def test_concrete_types_agree_with_isinstance_on_parsed_nodes() -> None:
    source = (
        "import os\nfrom x import *\n@d\nclass A(B, metaclass=M):\n    x: int = 1\n"
        "async def f(a, /, b=[], *c, d, **e) -> str:\n"
        "    global g\n    del a[0]\n    y = lambda z: (z, *c, {**e}, [i async for i in b])\n"
        "    match y:\n        case [1, *r] | {'k': v, **rest} if v: pass\n"
        "    try:\n        return f'{a!r:>{b}}' 'x' + b'y'\n    except* E as err:\n        raise\n"
    )
    nodes = _all_nodes(cst.parse_module(source))
    bases = (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseCompoundStatement)
    for base in (*bases, cst.BaseStatement, cst.BaseSuite, cst.BaseString, cst.BaseElement):
        kinds = concrete_types(base)
        assert any(type(n) in kinds for n in nodes), base
        for node in nodes:
            assert (type(node) in kinds) == isinstance(node, base), (base, node)


def _all_nodes(root: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children)
    return out


def test_concrete_node_classes_have_no_subclasses() -> None:
    """So `type(node) is cst.X` is `isinstance(node, cst.X)` for any concrete `cst.X`: the one
    concrete class with subclasses is `BaseValueToken`, which no rule tests for."""
    with_subclasses = {
        c.__name__ for c in _node_classes() if not inspect.isabstract(c) and c.__subclasses__()
    }
    assert with_subclasses == {"BaseValueToken"}


# The hottest libcst-class tests a lint made (cProfile, callers of `ABCMeta.__instancecheck__`
# over the 100 k-line stdlib and frameworks slices): module, then qualified names.
_HOT_SITES = {
    "facts": ["_import_pairs", "ModuleFacts._local_names"],
    "detect.async_apis": ["_collect_node", "_self_attribute_bindings"],
    "rules.defaults.slots_pitfall": ["SlotsPitfall._index", "SlotsPitfall.visit_ClassDef"],
    "rules.defaults.shared_mutable_class_attribute": ["SharedMutableClassAttribute._classify"],
    "rules.defaults.mutable_default_argument": ["_value_names", "_bindings"],
    "rules.loops.unbounded_transcript": [
        "UnboundedTranscript._budgeted",
        "UnboundedTranscript._check",
    ],
    "rules.loops.unbounded_agent_loop": ["_iter_body", "_scan"],
    "rules.resilience.retry_without_backoff": ["_counts_attempts", "_own_tries"],
    "rules.resilience._retry_quality": ["tenacity_problem"],
    "rules.resilience.unclosed_resource_in_tool": ["UnclosedResourceInTool.visit_FunctionDef"],
    "rules.tools.unvalidated_tool_dispatch": ["_Scope.lookups"],
    "rules.tools.code_execution_in_tool": ["CodeExecutionInTool.visit_FunctionDef"],
    "rules.secrets.hardcoded_secret": [
        "HardcodedSecret._name_and_call",
        "HardcodedSecret.visit_SimpleString",
    ],
    "rules.secrets.model_output_executed": ["_Taint.carries"],
    "rules.secrets.secret_in_prompt": ["SecretInPrompt._sink", "SecretInPrompt._source"],
    "rules.asyncio.unbounded_fan_out": ["UnboundedFanOut._bounded"],
}


def _code_of(module: str, qualname: str) -> CodeType:
    found: object = importlib.import_module(f"agentsense.analyzers.{module}")
    for part in qualname.split("."):
        found = inspect.getattr_static(found, part)
    if isinstance(found, cached_property):
        found = found.func
    elif isinstance(found, staticmethod | classmethod):
        found = found.__func__
    code = getattr(found, "__code__", None)
    assert isinstance(code, CodeType), (module, qualname)
    return code


def _examples() -> Iterator[str]:
    for rule in all_rules():
        for example in (*rule.flagged, *rule.clean):
            yield example.source


def test_the_hottest_node_tests_make_no_abc_instance_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites = {
        _code_of(module, name): f"{module}.{name}"
        for module, names in _HOT_SITES.items()
        for name in names
    }
    calls: Counter[str] = Counter()
    real = abc.ABCMeta.__instancecheck__

    def counting(cls: abc.ABCMeta, instance: object) -> bool:
        site = sites.get(sys._getframe(1).f_code)
        if site is not None:
            calls[site] += 1
        return real(cls, instance)

    sources = list(_examples())
    config = Config.default()
    monkeypatch.setattr(abc.ABCMeta, "__instancecheck__", counting)
    for index, source in enumerate(sources):
        with contextlib.suppress(NotLinted):
            lint(source, f"example_{index}.py", config)
    monkeypatch.undo()
    assert dict(calls) == {}
