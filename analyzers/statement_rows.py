"""The first row of each top-level statement, from CPython's own parse (no code generation).

`StatementPositions` computes positions one top-level statement at a time if it knows where
each statement starts; the editor knows from its chunks, a one-shot lint does not. Generating
the whole module's code to learn it is what per-statement positions avoid (a long file with one
finding paid for every node), so the rows are read from `ast` instead: CPython's parse is in C,
and its statements carry line numbers.

libcst's top-level statement owns the comment and blank lines above it (`leading_lines`, one
row each), and its rows start there; CPython's statement starts at its first token (the first
decorator's expression for a decorated definition). Whenever the two could disagree (a
decorator in parentheses or after a backslash continuation, comment lines between decorators,
statements that do not pair up), the answer is None and the caller computes every position.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True, slots=True)
class PythonStatement:
    """What the rows need of one top-level statement of CPython's tree (the tree itself is
    larger than libcst's: callers keep these instead)."""

    row: int
    decorators: int
    first_decorator_row: int


def python_statements(tree: ast.Module) -> list[PythonStatement]:
    """The top-level statements of CPython's tree of a module, for `statement_rows`."""
    statements: list[PythonStatement] = []
    for stmt in tree.body:
        decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
        first = decorators[0].lineno if decorators else 0
        statements.append(PythonStatement(stmt.lineno, len(decorators), first))
    return statements


def statement_rows(
    module: cst.Module, source: str, python: Sequence[PythonStatement] | None = None
) -> list[int] | None:
    """The first row (1-based, with its leading comment and blank lines) of each statement of
    `module.body`, parsed from `source`; None when CPython's parse cannot tell it exactly.
    `python`: `python_statements` of CPython's tree of `source` when the caller has them (the
    source is then not compiled again)."""
    if python is None:
        try:
            python = python_statements(python_tree(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    return _rows(module.body, python)


def python_tree(source: str) -> ast.Module:
    """CPython's own parse of `source` (in C, linear), its SyntaxWarnings silenced: they are
    not ours to print. Raises what `compile` raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = compile(source, "<agentsense>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    assert isinstance(tree, ast.Module)
    return tree


def _rows(body: Sequence[cst.BaseStatement], python: Sequence[PythonStatement]) -> list[int] | None:
    rows: list[int] = []
    position = 0
    for stmt in body:
        if position >= len(python):
            return None
        first = python[position]
        if isinstance(stmt, cst.SimpleStatementLine):
            # `a = 1; b = 2` is one line to libcst, two statements to CPython.
            position += len(stmt.body)
            row = first.row
        elif isinstance(stmt, cst.BaseCompoundStatement):
            position += 1
            found = _compound_first_row(stmt, first)
            if found is None:
                return None
            row = found
        else:
            return None  # no other kind of statement is in a module's body
        rows.append(row - len(stmt.leading_lines))
    if position != len(python):
        return None
    return rows


def _compound_first_row(stmt: cst.BaseStatement, first: PythonStatement) -> int | None:
    decorators: Sequence[cst.Decorator] = getattr(stmt, "decorators", ())
    if not decorators:
        return first.row
    if first.decorators != len(decorators):
        return None
    opening = decorators[0]
    # CPython's row is the decorator expression's (without its own parentheses), libcst's the
    # `@`'s: the same row unless something between them spans rows.
    if opening.leading_lines or opening.decorator.lpar:
        return None
    if "\n" in opening.whitespace_after_at.value or "\r" in opening.whitespace_after_at.value:
        return None
    return first.first_decorator_row
