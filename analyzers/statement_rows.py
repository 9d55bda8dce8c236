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
The same reading gives where each statement of a top-level class's body starts
(`member_rows`), so a finding in a long class costs its method, not the class.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass(frozen=True, slots=True)
class PythonStatement:
    """What the rows need of one top-level statement of CPython's tree (the tree itself is
    larger than libcst's: callers keep these instead)."""

    row: int
    decorators: int
    first_decorator_row: int
    last_row: int  # the row where the statement ends
    # Of a class: the same four of each statement of its body, for `member_rows` (plain
    # tuples: every file's classes pay for them, few files ask).
    body: tuple[tuple[int, int, int, int], ...] = ()


def python_statements(tree: ast.Module) -> list[PythonStatement]:
    """The top-level statements of CPython's tree of a module, for `statement_rows` (with
    the statements of each class's body, for `member_rows`)."""
    statements: list[PythonStatement] = []
    for stmt in tree.body:
        body: tuple[tuple[int, int, int, int], ...] = ()
        if type(stmt) is ast.ClassDef:
            body = tuple([_rows_of(member) for member in stmt.body])
        statements.append(PythonStatement(*_rows_of(stmt), body))
    return statements


def _rows_of(stmt: ast.stmt) -> tuple[int, int, int, int]:
    last = stmt.end_lineno or stmt.lineno  # (CPython's parser always sets it)
    decorators: list[ast.expr] | None = getattr(stmt, "decorator_list", None)
    if not decorators:
        return stmt.lineno, 0, 0, last
    return stmt.lineno, len(decorators), decorators[0].lineno, last


def statement_spans(python: Sequence[PythonStatement] | None) -> list[tuple[int, int]] | None:
    """Rows from which the text tokenizes on its own, as (first, last) pairs in order: each
    top-level statement (from its first decorator), a class's as its header and each
    statement of its body (for `find_suppressions`, which tokenizes only those holding a
    directive's words). Each starts a logical line, so no bracket or string is open above
    it. Pairs may overlap (`a = 1; b = 2` in a class body); None without CPython's tree."""
    if python is None:
        return None
    spans: list[tuple[int, int]] = []
    for statement in python:
        first = _first_row(statement.row, statement.decorators, statement.first_decorator_row)
        members = statement.body
        if not members or _first_row(*members[0][:3]) <= statement.row:
            spans.append((first, statement.last_row))
            continue
        spans.append((first, _first_row(*members[0][:3]) - 1))
        spans.extend((_first_row(*member[:3]), member[3]) for member in members)
    return spans


def _first_row(row: int, decorators: int, first_decorator_row: int) -> int:
    """A statement's first row: its first decorator's, if it has any."""
    return first_decorator_row if decorators else row


def python_statements_of(source: str) -> list[PythonStatement] | None:
    """`python_statements` of `source` compiled, or None when CPython refuses it."""
    try:
        return python_statements(python_tree(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def statement_rows(
    module: cst.Module, source: str, python: Sequence[PythonStatement] | None = None
) -> list[int] | None:
    """The first row (1-based, with its leading comment and blank lines) of each statement of
    `module.body`, parsed from `source`; None when CPython's parse cannot tell it exactly.
    `python`: `python_statements` of CPython's tree of `source` when the caller has them (the
    source is then not compiled again)."""
    if python is None:
        python = python_statements_of(source)
        if python is None:
            return None
    return _rows(module.body, python)


def member_rows(
    module: cst.Module,
    source: str,
    rows: Sequence[int],
    python: Sequence[PythonStatement],
    classes: Iterable[int],
) -> dict[int, list[int]]:
    """For each of the `classes` (indexes in `module.body`) CPython's parse tells it of: how
    many line breaks the text of each statement of its body holds, with the comments and
    blank lines it owns (`positions.MemberRows`). `rows`: `statement_rows` of the module,
    `python`: the `python_statements` they came from. A class without an indented body is
    left out (its statements are not computed apart)."""
    paired = _paired(module.body, python)
    if paired is None:
        return {}
    found: dict[int, list[int]] = {}
    for index in classes:
        cls = module.body[index]
        if type(cls) is not cst.ClassDef or type(cls.body) is not cst.IndentedBlock:
            continue
        block = cls.body
        starts = _rows(block.body, [PythonStatement(*rows) for rows in paired[index][1].body])
        if not starts:
            continue
        # The class's text ends where the next statement's starts (or the module's footer
        # lines); its block's footer lines follow its last statement's text.
        if index + 1 < len(rows):
            end = rows[index + 1]
        else:
            end = _line_breaks(source) + 1 + (not module.has_trailing_newline)
            end -= _rows_spanned(module.footer)
        ends = [*starts[1:], end - _rows_spanned(block.footer)]
        counts = [stop - start for start, stop in zip(starts, ends, strict=True)]
        if all(count > 0 for count in counts):  # else not libcst's text: the class is whole
            found[index] = counts
    return found


def _rows_spanned(lines: Sequence[cst.EmptyLine]) -> int:
    """The rows that libcst's empty lines take: one each, and one more for each line break in
    a line's whitespace (a lone `\\` continues onto the next line: `\\\n` is one line's)."""
    return len(lines) + sum(_line_breaks(line.whitespace.value) for line in lines)


def _line_breaks(text: str) -> int:
    if "\r" not in text:
        return text.count("\n")
    return len(_NEWLINE.findall(text))


def python_tree(source: str) -> ast.Module:
    """CPython's own parse of `source` (in C, linear), its SyntaxWarnings silenced: they are
    not ours to print. Raises what `compile` raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = compile(source, "<agentsense>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    assert isinstance(tree, ast.Module)
    return tree


def _rows(body: Sequence[cst.BaseStatement], python: Sequence[PythonStatement]) -> list[int] | None:
    paired = _paired(body, python)
    if paired is None:
        return None
    rows: list[int] = []
    for stmt, first in paired:
        if isinstance(stmt, cst.SimpleStatementLine):
            row = first.row
        else:
            found = _compound_first_row(stmt, first)
            if found is None:
                return None
            row = found
        rows.append(row - _rows_spanned(stmt.leading_lines))
    return rows


_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def _paired(
    body: Sequence[cst.BaseStatement], python: Sequence[PythonStatement]
) -> list[tuple[_Statement, PythonStatement]] | None:
    """Each statement of libcst's `body` with CPython's first statement of it, or None when
    they do not pair up."""
    paired: list[tuple[_Statement, PythonStatement]] = []
    position = 0
    for stmt in body:
        if position >= len(python):
            return None
        if isinstance(stmt, cst.SimpleStatementLine):
            paired.append((stmt, python[position]))
            # `a = 1; b = 2` is one line to libcst, two statements to CPython.
            position += len(stmt.body)
        elif isinstance(stmt, cst.BaseCompoundStatement):
            paired.append((stmt, python[position]))
            position += 1
        else:
            return None  # no other kind of statement is in a block
    if position != len(python):
        return None
    return paired


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
