"""The engine's walk and the generic sub-walks (analyzers/walk.py, engine._walk_subtree,
index.scope_nodes) give exactly what a plain recursive walk gives: the same nodes, the same
visit/leave events in the same order, the same ancestors at each event.

The reference here reads every field of every node with `isinstance`, as the first walk of
the project did; the walks under test use code generated per node type from libcst's field
annotations, skip the children of types that never have any and run leaf handlers at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings

from agentsense.analyzers import engine, walk
from agentsense.analyzers.index import scope_nodes
from agentsense.analyzers.registry import all_rules

_ROOT = Path(__file__).parent.parent
_TRIVIA = walk._TRIVIA  # what the walks skip is not under test: which nodes carry meaning is
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)

# Every kind of statement and most expressions, in one module (3.12 type parameters too).
_EVERYTHING = (
    "from . import a as b, c\nfrom .. m import *\nimport os.path as p\n"
    "@d(x=1)\nasync def f[T: int, *Ts, **P](a: int = 1, /, *b, c, **e) -> None:\n"
    "    global g\n    nonlocal h\n    async with o as p, q: yield [i async for i in p if i]\n"
    "    return (lambda: -a)() if a else {**e, 'k': f'{a!r:>{b}}', 1: 2}\n"
    "class C(B, metaclass=M):\n    x: int = 1; del x\n    y += 2; assert y, 'm'\n"
    "match o:\n    case [1, *r] | {'a': _, **kw} if r: pass\n"
    "    case P(x=1) | (2 as z) | None | -1j: pass\n"
    "try:\n    pass\nexcept* E as e:\n    raise\nelse:\n    pass\nfinally:\n    pass\n"
    "try:\n    pass\nexcept (A, B):\n    raise X from e\n"
    "while not a < b <= c is not d in e:\n    break\nelse:\n    continue\n"
    "for i, (j, k) in z[1:2, ::3, ...]:\n    a @= b ** c // d; print(*a, **b)\n"
    "x = y = (z := 1); s = {1, 2}; t = (1,); u = '' 'x' f'y'; v = a.b.c[d](e)\n"
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n"
    "with (open(a) as f, open(b)):\n    pass\n"
    "type Alias[K] = list[K]\nw = [x for x in y if x for y in z]; g = (x async for x in y)\n"
    "def h(): return await x, (yield), (yield from y), not x, ~x, x if y else z\n"
)


def _reference_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    for field in dataclasses.fields(node):
        name = field.name
        if name.startswith("whitespace") or name in walk._FORMATTING_FIELDS:
            continue
        value = getattr(node, name)
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, cst.CSTNode) and not isinstance(item, _TRIVIA):
                out.append(item)
    return out


def _reference_statement_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    for name in ("body", "handlers", "orelse", "finalbody", "cases"):
        value = getattr(node, name, None)
        if isinstance(value, (list, tuple)):
            out.extend(value)
        elif value is not None:
            out.append(value)
    return out


def _reference_nodes(root: cst.CSTNode, scopes: bool = True) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []

    def enter(node: cst.CSTNode) -> None:
        out.append(node)
        if scopes or node is root or not isinstance(node, _SCOPES):
            for child in _reference_children(node):
                enter(child)

    enter(root)
    return out


Event = tuple[str, int, tuple[int, ...]]


def _reference_events(
    root: cst.CSTNode, visited: Iterable[type], left: Iterable[type]
) -> list[Event]:
    """(event, node, ancestors and node) of a recursive walk with handlers on these kinds."""
    visit, leave = frozenset(visited), frozenset(left)
    events: list[Event] = []
    path: list[cst.CSTNode] = []

    def enter(node: cst.CSTNode) -> None:
        path.append(node)
        if type(node) in visit:
            events.append(("visit", id(node), tuple(map(id, path))))
        for child in _reference_children(node):
            enter(child)
        if type(node) in leave:
            events.append(("leave", id(node), tuple(map(id, path))))
        path.pop()

    enter(root)
    return events


def _reference_paths(module: cst.Module) -> dict[int, tuple[int, ...]]:
    """Node id -> the ids of the node and its ancestors, the module first."""
    kinds = _all_kinds(module)
    return {node: path for _, node, path in _reference_events(module, kinds, ())}


def _engine_events(
    root: cst.CSTNode, visited: Iterable[type], left: Iterable[type], *, structural: bool = False
) -> list[Event]:
    events: list[Event] = []
    path: list[cst.CSTNode] = []

    def recorder(event: str) -> Callable[[cst.CSTNode], None]:
        def record(node: cst.CSTNode) -> None:
            events.append((event, id(node), tuple(map(id, path))))

        return record

    table = engine._Tables(
        {kind: [recorder("visit")] for kind in visited},
        {kind: [recorder("leave")] for kind in left},
        structural,
        [],
    )
    engine._walk_subtree(root, path, table, structural=structural)
    assert path == []
    return events


def _all_kinds(module: cst.Module) -> set[type]:
    return {type(node) for node in _reference_nodes(module)}


# Handlers on a few kinds only: most nodes are walked without any, leaves among them.
_SOME_VISITED = (cst.Call, cst.Name, cst.Lambda, cst.SimpleString, cst.Param, cst.Else)
_SOME_LEFT = (cst.FunctionDef, cst.Name, cst.Attribute, cst.IndentedBlock, cst.Integer)
_STATEMENT_KINDS = (cst.If, cst.SimpleStatementLine, cst.IndentedBlock, cst.Return, cst.Expr)


def _check_module(module: cst.Module) -> None:
    nodes = _reference_nodes(module)
    kinds = _all_kinds(module)
    for node in nodes:
        expected = _reference_children(node)
        found = walk.children(node)
        assert len(found) == len(expected) and all(map(_same, found, expected)), type(node)
        expected = _reference_statement_children(node)
        found = walk.statement_children(node)
        assert len(found) == len(expected) and all(map(_same, found, expected)), type(node)
    assert _same_nodes(walk.iter_subtree(module), nodes)
    for root in [module, *(n for n in nodes if isinstance(n, _SCOPES))]:
        no_scopes = _reference_nodes(root, scopes=False)
        assert _same_nodes(walk.iter_subtree_no_scopes(root), no_scopes)
        assert _same_nodes(scope_nodes(root), no_scopes)
    paths = _reference_paths(module)
    for node in nodes[:: max(1, len(nodes) // 50)]:
        found_path = walk.find_path(module, node)
        assert found_path is not None
        assert tuple(map(id, found_path)) == paths[id(node)]
    assert walk.find_path(module, cst.Name("elsewhere")) is None
    for visited, left in ((kinds, kinds), (_SOME_VISITED, _SOME_LEFT), ((), ())):
        assert _engine_events(module, visited, left) == _reference_events(module, visited, left)
    # Statement kinds only: the structural walk, which never enters expressions.
    expected_events = _reference_events(module, _STATEMENT_KINDS, _STATEMENT_KINDS)
    assert (
        _engine_events(module, _STATEMENT_KINDS, _STATEMENT_KINDS, structural=True)
        == expected_events
    )


def _same(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return a is b


def _same_nodes(found: Iterable[cst.CSTNode], expected: list[cst.CSTNode]) -> bool:
    found = list(found)
    return len(found) == len(expected) and all(map(_same, found, expected))


def test_walks_equal_a_recursive_walk_on_every_kind_of_statement() -> None:
    module = cst.parse_module(_EVERYTHING)
    # (the module has what it claims: these kinds are where the generated code differs)
    assert {cst.TypeAlias, cst.MatchOr, cst.TryStar, cst.ImportFrom, cst.Param} <= _all_kinds(
        module
    )
    _check_module(module)


_EXAMPLES = sorted(
    {f.source for rule in all_rules() for f in rule.flagged}
    | {c.source for rule in all_rules() for c in rule.clean}
)


def test_walks_equal_a_recursive_walk_on_the_rule_examples() -> None:
    for source in _EXAMPLES:
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue  # (an example of a syntax error)
        _check_module(module)


@pytest.mark.parametrize(
    "path",
    [
        _ROOT / "analyzers" / "engine.py",
        _ROOT / "analyzers" / "detect" / "static.py",
        *sorted((_ROOT / "examples").rglob("*.py")),
    ],
    ids=lambda p: p.name,
)
def test_walks_equal_a_recursive_walk_on_real_code(path: Path) -> None:
    _check_module(cst.parse_module(path.read_text(encoding="utf-8")))


# hypothesmith compiles what it generates, and generated code may draw a SyntaxWarning
# (`x is not 1`): not this test's business.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(hypothesmith.from_node(auto_target=False))
def test_walks_equal_a_recursive_walk_on_generated_code(source: str) -> None:
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        assume(False)
        return
    _check_module(module)


def test_types_without_children_are_not_descended_into() -> None:
    # What makes the walk cheap: the commonest nodes are leaves by their type, and the
    # children of most others are read without a type test per value.
    for leaf in (cst.Name, cst.Integer, cst.SimpleString, cst.Pass, cst.Ellipsis):
        assert walk.child_pusher(leaf) is None
    for kind in (cst.Call, cst.Attribute, cst.Arg, cst.Assign, cst.FunctionDef):
        pusher = walk.child_pusher(kind)
        assert pusher is not None and "push_value" not in pusher.__code__.co_names, kind
    assert walk.statement_child_pusher(cst.Expr) is None
    assert walk.statement_child_pusher(cst.If) is not None


def test_a_deep_tree_is_walked_without_recursion() -> None:
    depth = 3_000  # (beyond the default recursion limit)
    module = cst.parse_module("x = " + "-" * depth + "1\n")
    path: list[cst.CSTNode] = []
    events: list[tuple[str, int]] = []
    table = engine._Tables(
        {cst.Integer: [lambda node: events.append(("visit", len(path)))]},
        {cst.UnaryOperation: [lambda node: events.append(("leave", len(path)))]},
        False,
        [],
    )
    engine._walk_subtree(module, path, table)
    # The integer is visited under module, line, assignment and every operator; then each
    # operator is left, innermost first.
    assert events == [("visit", depth + 4)] + [("leave", n) for n in range(depth + 3, 3, -1)]
    assert path == []
