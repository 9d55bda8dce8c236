"""What rules ask the file context about the node being visited, answered as the walk moves."""

from __future__ import annotations

import textwrap

import libcst as cst

from agentsense.analyzers.context import FileContext
from agentsense.analyzers.walk import children

SOURCE = textwrap.dedent(
    """
    def outer(a=lambda: helper()):
        call()

        def inner():
            return [x for x in range(3)]

        class Local:
            value = compute()

            async def method(self):
                await work(lambda: other())

        return inner

    async def second():
        pass

    top = call()
    """
)


def _paths(module: cst.Module) -> list[list[cst.CSTNode]]:
    """The walk's path (ancestors and the node) at every node, in walk order."""
    out: list[list[cst.CSTNode]] = []
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(module, [])]
    while stack:
        node, above = stack.pop()
        path = [*above, node]
        out.append(path)
        stack.extend((child, path) for child in reversed(children(node)))
    return out


def _expected(path: list[cst.CSTNode]) -> cst.FunctionDef | None:
    for node in reversed(path[:-1]):
        if isinstance(node, cst.FunctionDef):
            return node
        if isinstance(node, (cst.Lambda, cst.ClassDef)):
            return None
    return None


def test_the_enclosing_function_follows_the_walk_when_asked_again() -> None:
    module = cst.parse_module(SOURCE)
    context = FileContext(SOURCE, "t.py", module)
    paths = _paths(module)
    functions = 0
    for path in paths:
        context.path_stack = list(path)
        for _ in range(3):  # several rules ask for one node
            assert context.enclosing_function() is _expected(path)
            assert context.in_async_function() == (
                _expected(path) is not None and _expected(path).asynchronous is not None  # type: ignore[union-attr]
            )
        functions += _expected(path) is not None
    assert functions and functions < len(paths)  # both answers were given


def test_a_node_at_the_same_depth_under_another_function_gets_its_own_answer() -> None:
    module = cst.parse_module("def f():\n    a()\n\ndef g():\n    b()\n")
    context = FileContext("", "t.py", module)
    first, second = module.body
    # module / def / block / line / expression statement / call: the same depth in both.
    for function in (first, second, first):
        assert isinstance(function, cst.FunctionDef)
        block = function.body
        assert isinstance(block, cst.IndentedBlock)
        line = block.body[0]
        assert isinstance(line, cst.SimpleStatementLine)
        expr = line.body[0]
        assert isinstance(expr, cst.Expr)
        context.path_stack = [module, function, block, line, expr, expr.value]
        assert context.enclosing_function() is function
    context.path_stack = [module, first]
    assert context.enclosing_function() is None
    context.path_stack = []
    assert context.enclosing_function() is None
