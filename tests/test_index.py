"""The per-file index (analyzers/index.py): each fact equals a plain walk, and is built once."""

from __future__ import annotations

from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings

import agentsense.analyzers.index as index_module
from agentsense.analyzers.config import Config
from agentsense.analyzers.detect.dataflow import assignments, iter_assignments
from agentsense.analyzers.engine import lint
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.index import FileIndex
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

_ROOT = Path(__file__).parent.parent
# Real code of many shapes: the example agent project and some of the engine itself.
_CORPUS = sorted((_ROOT / "examples").rglob("*.py")) + [
    _ROOT / "analyzers" / name
    for name in (
        "engine.py",
        "facts.py",
        "detect/async_apis.py",
        "detect/dataflow.py",
        "rules/loops/unbounded_agent_loop.py",
    )
]


def _roots(module: cst.Module) -> list[cst.CSTNode]:
    """What rules index: the module, every def's body, every class and every def."""
    roots: list[cst.CSTNode] = [module]
    for node in iter_subtree(module):
        if isinstance(node, cst.FunctionDef):
            roots.extend((node, node.body))
        elif isinstance(node, cst.ClassDef):
            roots.append(node)
    return roots


def _plain_first_assignments(root: cst.CSTNode) -> dict[str, cst.Assign]:
    table: dict[str, cst.Assign] = {}
    for node in iter_subtree_no_scopes(root):
        if (
            isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
        ):
            table.setdefault(node.targets[0].target.value, node)
    return table


def _shown(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _check_equal_to_plain_walks(module: cst.Module, source: str) -> None:
    index = FileIndex(module, source)
    facts = ModuleFacts(module)
    for root in _roots(module):
        plain = list(iter_subtree_no_scopes(root))
        assert list(index.nodes(root)) == plain
        assert list(index.of_kind(root, (cst.Call,))) == [
            n for n in plain if isinstance(n, cst.Call)
        ]
        assert list(index.of_kind(root, (cst.BaseCompoundStatement,))) == [
            n for n in plain if isinstance(n, cst.BaseCompoundStatement)
        ]
        assert list(index.blocks(root)) == [n for n in plain if isinstance(n, cst.IndentedBlock)]
        assert index.first_assignments(root) == _plain_first_assignments(root)
        expected = [(a.targets, _shown(a.value)) for a in iter_assignments(root)]
        assert [(a.targets, _shown(a.value)) for a in assignments(index, root)] == expected
    # Never a false "cannot": every name a call resolves to passes the word pre-check.
    for node in iter_subtree(module):
        if isinstance(node, cst.Call):
            qualified = facts.qualified_name(node.func)
            if qualified is not None:
                assert index.may_name(frozenset({qualified})), qualified
        if isinstance(node, cst.Name):
            assert index.mentions(node.value)
            assert index.word_count(node.value) >= 1


@pytest.mark.parametrize("path", _CORPUS, ids=lambda p: p.relative_to(_ROOT).as_posix())
def test_index_equals_plain_walks_on_real_code(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    _check_equal_to_plain_walks(cst.parse_module(source), source)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# hypothesmith compiles what it generates, and generated code may draw a SyntaxWarning.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@given(hypothesmith.from_node(auto_target=False))
def test_index_equals_plain_walks_on_generated_code(source: str) -> None:
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        assume(False)
        return
    _check_equal_to_plain_walks(module, source)


def test_each_fact_is_computed_once_per_root() -> None:
    source = "def f(xs):\n    for x in xs:\n        y = x\n    return y\n"
    module = cst.parse_module(source)
    index = FileIndex(module, source)
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    for _ in range(3):
        index.nodes(function.body)
        index.of_kind(function.body, (cst.Call,))
        index.first_assignments(function.body)
        assignments(index, function.body)
        index.blocks(function.body)
        index.mentions("xs")
        index.may_name(frozenset({"subprocess.run"}))
    assert index.computed == {
        "nodes": 1,
        "first_assignments": 1,
        "_scope_assignments": 1,
        "blocks": 1,
        "words": 1,
    }


def test_a_lint_walks_each_scope_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """All rules together: no root is walked twice through the index in one file."""
    walked: list[int] = []
    plain = index_module.scope_nodes

    def counting(root: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
        walked.append(id(root))
        return plain(root)

    monkeypatch.setattr(index_module, "scope_nodes", counting)
    asked = 0
    for path in sorted((_ROOT / "examples").rglob("*.py")):
        walked.clear()
        lint(path.read_text(encoding="utf-8"), str(path), Config.default())
        assert len(walked) == len(set(walked)), path
        asked += len(walked)
    assert asked, "the examples ask the index for some scope"


def test_pre_check_skips_files_without_the_words() -> None:
    source = "import shlex\n\ndef f(reply):\n    return shlex.split(reply)\n"
    index = FileIndex(cst.parse_module(source), source)
    sinks = frozenset({"subprocess.run", "os.system", "eval"})
    assert not index.may_name(sinks)
    assert index.may_name(frozenset({"shlex.split"}))
    # `<local>.` names are classes and functions of this file.
    assert index.may_name(frozenset({"<local>.f"}))
    assert not index.may_name(frozenset({"<local>.g"}))
    # A word inside another word is not the word (`evaluate` is no `eval`).
    source = "def evaluate(x):\n    return retrieval(x)\n"
    index = FileIndex(cst.parse_module(source), source)
    assert not index.mentions("eval")
    assert index.word_count("evaluate") == 1
