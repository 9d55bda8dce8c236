"""Node positions, computed in one code-generation pass and only for files that report."""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableSequence, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState

from agentsense.analyzers.budget import CHECK_EVERY, check_deadline
from agentsense.analyzers.model import Location, Span

_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass(frozen=False)
class _RecordingState(CodegenState):
    """A codegen state that records each node's syntactic and whitespace-inclusive range.

    libcst's PositionProvider does the same through MetadataWrapper, which deep-copies the
    tree first; recording straight into dicts keeps node identity and halves the cost.
    """

    line: int = 1
    column: int = 0
    syntactic: dict[cst.CSTNode, tuple[int, int, int, int]] = field(default_factory=dict)
    inclusive: dict[cst.CSTNode, tuple[int, int, int, int]] = field(default_factory=dict)
    _stack: list[tuple[int, int]] = field(default_factory=list)
    _nodes: int = 0

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def _advance(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        segments = _NEWLINE.split(value)
        self.line += len(segments) - 1
        self.column = len(segments[-1])

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._stack.append((self.line, self.column))
        self._nodes += 1
        if self._nodes % CHECK_EVERY == 0:
            check_deadline()

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self._stack.pop()
        self.inclusive[node] = (line, column, self.line, self.column)
        self.syntactic.setdefault(node, (line, column, self.line, self.column))

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = (self.line, self.column)
        # No `finally` (libcst has one): when the walk's deadline stops code generation inside
        # the node, its start or end node was never recorded, and a KeyError here would hide
        # the NotLinted that explains it (reported as an internal error instead).
        yield
        end = (self.line, self.column)
        if start_node is not None:
            start = self.syntactic[start_node][:2]
        if end_node is not None:
            end = self.syntactic[end_node][2:]
        self.syntactic[node] = (start[0], start[1], end[0], end[1])


class Positions:
    """Positions of every node of one module (libcst lines 1-based, columns 0-based)."""

    def __init__(self, module: cst.Module) -> None:
        state = _RecordingState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        module._codegen(state)
        self._syntactic = state.syntactic
        self._inclusive = state.inclusive

    def span(self, node: cst.CSTNode, end_node: cst.CSTNode | None = None) -> Span:
        """The node's syntactic range as a 1-based `Span` (through `end_node` when given)."""
        start_line, start_col, end_line, end_col = self._syntactic[node]
        if end_node is not None:
            _, _, end_line, end_col = self._syntactic[end_node]
        return Span(Location(start_line, start_col + 1), Location(end_line, end_col + 1))

    def inclusive_start_line(self, node: cst.CSTNode) -> int:
        """First line of the node including the comments and blank lines it owns."""
        return self._inclusive[node][0]


_Table = dict[cst.CSTNode, tuple[int, int, int, int]]


@dataclass(slots=True, eq=False)
class RelativePositions:
    """One statement's positions as if it started on row 1, and the same shifted to its row.

    The shifted tables are remembered with the relative ones, so an unchanged statement on an
    unchanged row costs nothing on the next lint. Whoever keeps this (the editor's document,
    per statement) owns the memory: it is freed with the statement, never kept by a
    module-level cache.
    """

    syntactic: _Table
    inclusive: _Table
    shift: int = 0
    shifted_syntactic: _Table | None = None
    shifted_inclusive: _Table | None = None

    def shifted(self, shift: int) -> tuple[_Table, _Table]:
        if shift == 0:
            return self.syntactic, self.inclusive
        if self.shift != shift or self.shifted_syntactic is None or self.shifted_inclusive is None:
            self.shifted_syntactic, self.shifted_inclusive = (
                {n: (a + shift, b, c + shift, d) for n, (a, b, c, d) in table.items()}
                for table in (self.syntactic, self.inclusive)
            )
            self.shift = shift
        return self.shifted_syntactic, self.shifted_inclusive


class StatementPositions(Positions):
    """Positions computed one top-level statement at a time, when first asked for.

    For the incremental path (`engine.lint_statements`): `statement_rows[i]` is the first row
    of `module.body[i]`, counting the comments and blank lines it owns. `cache[i]`, when
    given, holds (or receives) the statement's positions relative to its first row, so an
    unchanged statement is not generated again. A node outside the statements computed so
    far makes it compute the whole module, so answers never differ from `Positions`.
    """

    def __init__(
        self,
        module: cst.Module,
        statement_rows: Sequence[int],
        cache: MutableSequence[RelativePositions | None] | None = None,
    ) -> None:
        self._module = module
        self._rows = statement_rows
        self._cache = cache
        self._index = {id(stmt): i for i, stmt in enumerate(module.body)}
        self._done: set[int] = set()
        self._complete = False
        self._syntactic = {}
        self._inclusive = {}

    def ensure(self, node: cst.CSTNode) -> None:
        """Compute the positions of a top-level statement (no-op for any other node)."""
        index = self._index.get(id(node))
        if index is None or index in self._done or self._complete:
            return
        relative = self._cache[index] if self._cache is not None else None
        if relative is None:
            module = self._module
            state = _RecordingState(
                default_indent=module.default_indent, default_newline=module.default_newline
            )
            module.body[index]._codegen(state)
            relative = RelativePositions(state.syntactic, state.inclusive)
            if self._cache is not None:
                self._cache[index] = relative
        syntactic, inclusive = relative.shifted(self._rows[index] - 1)
        self._syntactic.update(syntactic)
        self._inclusive.update(inclusive)
        self._done.add(index)

    def _cover(self, *nodes: cst.CSTNode | None) -> None:
        if self._complete or all(n is None or n in self._syntactic for n in nodes):
            return
        whole = Positions(self._module)
        self._syntactic, self._inclusive = whole._syntactic, whole._inclusive
        self._complete = True

    def span(self, node: cst.CSTNode, end_node: cst.CSTNode | None = None) -> Span:
        self.ensure(node)
        self._cover(node, end_node)
        return super().span(node, end_node)

    def inclusive_start_line(self, node: cst.CSTNode) -> int:
        self.ensure(node)
        self._cover(node)
        return super().inclusive_start_line(node)
