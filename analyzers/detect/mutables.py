"""Mutable values: what builds a fresh mutable container, and where a fix initialises one."""

from __future__ import annotations

import libcst as cst

# Calls that build a fresh mutable container (qualified names after import resolution).
MUTABLE_CONSTRUCTORS = frozenset(
    {
        "list",
        "dict",
        "set",
        "bytearray",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.deque",
    }
)


def is_mutable_value(node: cst.BaseExpression, qualified: str | None) -> bool:
    """A literal, comprehension or constructor call that creates a mutable container."""
    if isinstance(node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    return isinstance(node, cst.Call) and qualified in MUTABLE_CONSTRUCTORS


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
    first = items[0] if items else None
    has_docstring = (
        isinstance(first, cst.SimpleStatementLine)
        and len(first.body) == 1
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
    at = 1 if has_docstring else 0
    return body.with_changes(body=[*items[:at], statement, *items[at:]])
