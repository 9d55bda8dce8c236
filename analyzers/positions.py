"""Node positions, computed in one code-generation pass and only for files that report."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, MutableSequence, Sequence
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


@dataclass(frozen=True, slots=True)
class MemberRows:
    """A top-level class whose positions are computed one body statement at a time: how many
    line breaks each statement's text holds (with the comments and blank lines it owns), and
    each one's positions relative to its first row, kept between calls like `cache` (the
    editor's; a one-shot lint has none)."""

    rows: Sequence[int]
    cache: MutableSequence[RelativePositions | None] | None = None


@dataclass(frozen=True)
class _Rows(cst.BaseStatement):
    """Stands for a class-body statement whose positions are computed apart: its line breaks."""

    rows: int
    newline: str

    def _visit_and_replace_children(self, visitor: object) -> _Rows:
        return self

    def _codegen_impl(self, state: CodegenState, default_semicolon: bool = False) -> None:
        state.add_token(self.newline * self.rows)


class StatementPositions(Positions):
    """Positions computed one top-level statement at a time, when first asked for.

    For the incremental path (`engine.lint_statements`) and a one-shot lint's reports:
    `statement_rows[i]` is the first row of `module.body[i]`, counting the comments and blank
    lines it owns. `cache[i]`, when given, holds (or receives) the statement's positions
    relative to its first row, so an unchanged statement is not generated again. `members[i]`,
    for a top-level class, has its body's statements computed (and cached, when it has a
    cache) one by one instead (`MemberRows`): a method edited in a long class, or holding a
    finding, costs that method. A node outside the statements computed so far makes it
    compute the whole module, so answers never differ from `Positions`.
    """

    def __init__(
        self,
        module: cst.Module,
        statement_rows: Sequence[int],
        cache: MutableSequence[RelativePositions | None] | None = None,
        members: Mapping[int, MemberRows] | None = None,
    ) -> None:
        self._module = module
        self._rows = statement_rows
        self._cache = cache
        self._members = members or {}
        self._index = {id(stmt): i for i, stmt in enumerate(module.body)}
        self._member_index: dict[int, tuple[int, int]] = {}
        for index in self._members:
            stmt = module.body[index]
            assert isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock)
            for position, member in enumerate(stmt.body.body):
                self._member_index[id(member)] = (index, position)
        # The first row of each member of the classes whose own part is computed.
        self._member_rows: dict[int, list[int]] = {}
        # `id()` of such a class and of its block, whose end is not computed yet -> its index.
        self._unsettled: dict[int, int] = {}
        self._done: set[int | tuple[int, int]] = set()
        self._complete = False
        self._syntactic = {}
        self._inclusive = {}

    def ensure(self, node: cst.CSTNode, within: cst.CSTNode | None = None) -> None:
        """Compute the positions of a top-level statement, or of a statement of a class body
        computed member by member (no-op for any other node). `within`: the top-level
        statement holding `node`, computed instead when `node` is neither."""
        if self._complete:
            return
        found = self._member_index.get(id(node))
        if found is not None:
            self._ensure_member(*found)
            return
        index = self._index.get(id(node))
        if index is None:
            if within is not None:
                self.ensure(within)
            return
        if index in self._done:
            return
        if index in self._members:
            self._ensure_class(index)
            return
        self._place(self._module.body[index], None, self._rows[index], self._cache, index)
        self._done.add(index)

    def _place(
        self,
        node: cst.CSTNode,
        indent: str | None,
        row: int,
        cache: MutableSequence[RelativePositions | None] | None,
        position: int,
    ) -> None:
        """Add the positions of `node`, whose text starts on `row`: through its relative
        positions kept in `cache[position]` when there is a cache, else generated on that
        row straight into the tables (nothing would keep relative ones to shift)."""
        if cache is None:
            self._generate(node, indent, row, (self._syntactic, self._inclusive))
            return
        relative = cache[position]
        if relative is None:
            relative = cache[position] = self._generate(node, indent)
        self._add(relative, row)

    def _generate(
        self,
        node: cst.CSTNode,
        indent: str | None,
        row: int = 1,
        tables: tuple[_Table, _Table] | None = None,
    ) -> RelativePositions:
        """The node's positions with its text starting on `row` (inside one block of
        `indent` when given), recorded into `tables` (syntactic, inclusive) when given."""
        module = self._module
        syntactic, inclusive = tables if tables is not None else ({}, {})
        state = _RecordingState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            line=row,
            syntactic=syntactic,
            inclusive=inclusive,
        )
        if indent is not None:
            state.increase_indent(indent)
        node._codegen(state)
        return RelativePositions(state.syntactic, state.inclusive)

    def _add(self, relative: RelativePositions, row: int) -> None:
        syntactic, inclusive = relative.shifted(row - 1)
        self._syntactic.update(syntactic)
        self._inclusive.update(inclusive)

    def _ensure_class(self, index: int) -> None:
        """A class computed member by member: its own part, then each member."""
        self._ensure_own(index)
        for position in range(len(self._members[index].rows)):
            self._ensure_member(index, position)
        self._done.add(index)

    def _ensure_own(self, index: int) -> None:
        """The class without its body's statements (generated as line breaks), and where
        each of those starts."""
        if index in self._member_rows:
            return
        cls = self._module.body[index]
        assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
        block = cls.body
        newline = self._module.default_newline
        stand_ins = [_Rows(rows, newline) for rows in self._members[index].rows]
        hollow_block = block.with_changes(body=stand_ins)
        hollow = cls.with_changes(body=hollow_block)
        relative = self._generate(hollow, None)
        first = self._rows[index]
        self._member_rows[index] = [relative.inclusive[s][0] + first - 1 for s in stand_ins]
        for table in (relative.syntactic, relative.inclusive):
            table[cls] = table.pop(hollow)
            table[block] = table.pop(hollow_block)
            for stand_in in stand_ins:
                del table[stand_in]
        self._add(relative, first)
        if block.body:
            # The block's range and the class's end are its first and last statements':
            # computed when asked for (`_settle`), not to place a finding in a method.
            self._unsettled[id(cls)] = self._unsettled[id(block)] = index

    def _settle(self, *nodes: cst.CSTNode | None) -> None:
        """Give a class computed member by member, and its block, their syntactic range
        (its own part's generation ends with stand-ins, not the last statement's end)."""
        for node in nodes:
            index = self._unsettled.get(id(node))
            if index is None or self._complete:
                continue
            cls = self._module.body[index]
            assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
            block = cls.body
            del self._unsettled[id(cls)], self._unsettled[id(block)]
            self._ensure_member(index, 0)
            self._ensure_member(index, len(block.body) - 1)
            start = self._syntactic[block.body[0]]
            end = self._syntactic[block.body[-1]]
            self._syntactic[block] = (start[0], start[1], end[2], end[3])
            line, column = self._syntactic[cls][:2]
            self._syntactic[cls] = (line, column, end[2], end[3])

    def _ensure_member(self, index: int, position: int) -> None:
        if (index, position) in self._done:
            return
        self._ensure_own(index)
        self._done.add((index, position))
        cls = self._module.body[index]
        assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
        indent = cls.body.indent
        self._place(
            cls.body.body[position],
            self._module.default_indent if indent is None else indent,
            self._member_rows[index][position],
            self._members[index].cache,
            position,
        )

    def computed(self, *nodes: cst.CSTNode | None) -> bool:
        """Whether the positions of every node given (None aside) are computed already."""
        return self._complete or all(n is None or n in self._syntactic for n in nodes)

    def _cover(self, *nodes: cst.CSTNode | None) -> None:
        if self.computed(*nodes):
            return
        whole = Positions(self._module)
        self._syntactic, self._inclusive = whole._syntactic, whole._inclusive
        self._complete = True

    def span(self, node: cst.CSTNode, end_node: cst.CSTNode | None = None) -> Span:
        self.ensure(node)
        if self._unsettled:
            self._settle(node, end_node)
        self._cover(node, end_node)
        return super().span(node, end_node)

    def inclusive_start_line(self, node: cst.CSTNode) -> int:
        self.ensure(node)
        self._cover(node)
        return super().inclusive_start_line(node)
