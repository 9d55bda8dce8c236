"""Statements: a block's statements and their shapes, inserting one, and simple control flow
(does every, or some, path through a block leave it?)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from agentsense.analyzers.walk import children

# Decides whether a small statement ends the path (`raise`, `return x`, `break`, ...).
ExitTest = Callable[[cst.BaseSmallStatement], bool]


def block_statements(suite: cst.BaseSuite | cst.CSTNode | None) -> Sequence[cst.BaseStatement]:
    """The statements of an indented block or of a one-line suite (as a single line)."""
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return (cst.SimpleStatementLine(body=suite.body),)
    return ()


def single_assignment(
    stmt: cst.BaseStatement,
) -> tuple[cst.BaseAssignTargetExpression, cst.BaseExpression] | None:
    """(target, value) when `stmt` is exactly one `target = value` or `target: T = value`."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small.targets[0].target, small.value
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return small.target, small.value
    return None


def is_docstring(stmt: cst.BaseStatement) -> bool:
    """A statement that is only a string literal (the first one of a body is its docstring)."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def insert_after_docstring(body: cst.BaseSuite, statement: cst.BaseStatement) -> cst.BaseSuite:
    """`body` with `statement` as its first statement after the docstring (a one-line body
    becomes a block)."""
    if isinstance(body, cst.SimpleStatementSuite):
        # `def f(x=[]): return x  # note`: the comment stays on the statement it followed.
        statements: list[cst.BaseStatement] = [
            statement,
            cst.SimpleStatementLine(
                body=list(body.body), trailing_whitespace=body.trailing_whitespace
            ),
        ]
        return cst.IndentedBlock(body=statements)
    assert isinstance(body, cst.IndentedBlock)
    items = list(body.body)
    at = 1 if items and is_docstring(items[0]) else 0
    return body.with_changes(body=[*items[:at], statement, *items[at:]])


def is_constant_true(test: cst.BaseExpression) -> bool:
    """`True`, or a non-zero integer literal (`while 1:`)."""
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value.strip("0_") != ""
    return False


def has_break(loop: cst.For | cst.While) -> bool:
    """Whether a `break` leaves this loop (breaks of nested loops and functions do not)."""
    stack: list[cst.CSTNode] = list(block_statements(loop.body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Break):
            return True
        if isinstance(node, (cst.For, cst.While)):
            # Only the `else:` of a nested loop can break ours.
            stack.extend(block_statements(node.orelse.body) if node.orelse else ())
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.BaseExpression):
            continue
        stack.extend(children(node))
    return False


def always_exits(statements: Sequence[cst.BaseStatement], is_exit: ExitTest) -> bool:
    """Whether every path through `statements` reaches a statement that `is_exit` accepts.

    Conservative in the direction callers need for precision: a `match` is assumed
    exhaustive, `while True:` with no `break` never falls through, any other loop may run
    zero times. Nested functions and classes are definitions, not paths.
    """
    return any(_statement_exits(stmt, is_exit) for stmt in statements)


def _statement_exits(stmt: cst.BaseStatement, is_exit: ExitTest) -> bool:
    if isinstance(stmt, cst.SimpleStatementLine):
        return any(is_exit(small) for small in stmt.body)
    if isinstance(stmt, cst.If):
        if not always_exits(block_statements(stmt.body), is_exit):
            return False
        orelse = stmt.orelse
        if orelse is None:
            return False
        if isinstance(orelse, cst.If):
            return _statement_exits(orelse, is_exit)
        return always_exits(block_statements(orelse.body), is_exit)
    if isinstance(stmt, cst.With):
        return always_exits(block_statements(stmt.body), is_exit)
    if isinstance(stmt, cst.Try | cst.TryStar):
        if stmt.finalbody is not None and always_exits(
            block_statements(stmt.finalbody.body), is_exit
        ):
            return True
        main = always_exits(block_statements(stmt.body), is_exit) or (
            stmt.orelse is not None and always_exits(block_statements(stmt.orelse.body), is_exit)
        )
        return main and all(always_exits(block_statements(h.body), is_exit) for h in stmt.handlers)
    if isinstance(stmt, cst.While):
        if is_constant_true(stmt.test) and not has_break(stmt):
            return True
        return _loop_else_exits(stmt, is_exit)
    if isinstance(stmt, cst.For):
        return _loop_else_exits(stmt, is_exit)
    if isinstance(stmt, cst.Match):
        return bool(stmt.cases) and all(
            always_exits(block_statements(case.body), is_exit) for case in stmt.cases
        )
    return False


def _loop_else_exits(loop: cst.For | cst.While, is_exit: ExitTest) -> bool:
    """A loop's `else:` runs whenever the loop ends without `break`."""
    return (
        loop.orelse is not None
        and not has_break(loop)
        and always_exits(block_statements(loop.orelse.body), is_exit)
    )


def may_leave(
    nodes: Sequence[cst.CSTNode], leaves: Callable[[cst.CSTNode], bool], breaks: bool = True
) -> bool:
    """Whether some path through `nodes` leaves the loop that contains them: a node that
    `leaves` accepts (a `return`, a `raise`, `sys.exit()`...), or, with `breaks`, a `break`
    of that loop. A nested loop's own `break`s do not count (its `else:` may still break
    ours); nested functions, classes and lambdas are definitions, not paths."""
    stack: list[tuple[cst.CSTNode, bool]] = [(n, False) for n in nodes]
    while stack:
        node, nested = stack.pop()
        if leaves(node) or (breaks and isinstance(node, cst.Break) and not nested):
            return True
        if type(node) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        if isinstance(node, (cst.For, cst.While)):
            stack.extend(
                (s, nested) for s in block_statements(node.orelse.body if node.orelse else None)
            )
            stack.extend((s, True) for s in block_statements(node.body))
            if isinstance(node, cst.While):
                stack.append((node.test, nested))
            else:
                stack.append((node.iter, nested))
            continue
        stack.extend((child, nested) for child in children(node))
    return False
