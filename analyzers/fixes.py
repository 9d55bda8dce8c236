"""Fix plans (what a rule wants changed), turning them into text edits, and applying edits."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState

from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.model import Applicability, Edit, Fix, Location, Span
from agentsense.analyzers.positions import Positions
from agentsense.analyzers.walk import iter_subtree


@dataclass(frozen=True, slots=True)
class Replace:
    """Replace one node of the tree with another."""

    old: cst.CSTNode
    new: cst.CSTNode


@dataclass(frozen=True, slots=True)
class InsertStatements:
    """Insert module-level statements after the imports (after the docstring when none)."""

    code: str


@dataclass(frozen=True, slots=True)
class AddImport:
    """Ensure `import module` (or `from module import name`) exists at module level."""

    module: str
    name: str | None = None


Change = Replace | InsertStatements | AddImport


@dataclass(frozen=True, slots=True)
class FixPlan:
    """What a rule wants changed; the engine turns it into text edits."""

    title: str
    changes: tuple[Change, ...]
    applicability: Applicability = Applicability.SAFE


class LineIndex:
    """Converts between 1-based (row, column) locations and string offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        # str.find runs in C: a character loop here cost ~5 ms per 5 000-line file, on every
        # lint that builds a fix (the language server lints on every edit).
        self.starts = [0]
        found = text.find("\n")
        while found != -1:
            self.starts.append(found + 1)
            found = text.find("\n", found + 1)

    def offset(self, location: Location) -> int:
        if location.row > len(self.starts):
            return len(self.text)  # one past the last line: the end of the text
        row = max(location.row, 1)
        return min(self.starts[row - 1] + location.column - 1, len(self.text))

    def location(self, offset: int) -> Location:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return Location(lo + 1, offset - self.starts[lo] + 1)


def _diff_edits(old: str, new: str, base: LineIndex, base_offset: int) -> list[Edit]:
    """Minimal edits turning `old` (found at `base_offset` of the file) into `new`."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    edits: list[Edit] = []
    old_starts = [0]
    for line in old_lines:
        old_starts.append(old_starts[-1] + len(line))
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = "".join(old_lines[i1:i2])
        after = "".join(new_lines[j1:j2])
        # Trim what the hunk keeps at both ends so single-token changes stay single-token.
        prefix = 0
        limit = min(len(before), len(after))
        while prefix < limit and before[prefix] == after[prefix]:
            prefix += 1
        suffix = 0
        while (
            suffix < limit - prefix
            and before[len(before) - 1 - suffix] == after[len(after) - 1 - suffix]
        ):
            suffix += 1
        start = base_offset + old_starts[i1] + prefix
        end = base_offset + old_starts[i2] - suffix
        content = after[prefix : len(after) - suffix]
        edits.append(Edit(Span(base.location(start), base.location(end)), content))
    return edits


def _top_level_statement(module: cst.Module, node: cst.CSTNode) -> cst.BaseStatement | None:
    for stmt in module.body:
        if stmt is node:
            return stmt
    return None


def _insertion_row(module: cst.Module, positions: Positions) -> int:
    """Row before which new module-level statements go: after docstring and imports."""
    row = 1
    for index, stmt in enumerate(module.body):
        is_docstring = (
            index == 0
            and isinstance(stmt, cst.SimpleStatementLine)
            and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
        )
        is_import = isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
        )
        if is_docstring or is_import:
            row = positions.span(stmt).end.row + 1
        else:
            break
    return row


class FixBuilder:
    """Builds `Fix`es for one file; each replacement is re-rendered per top-level statement."""

    def __init__(
        self,
        source: str,
        module: cst.Module,
        positions: Positions,
        facts: ModuleFacts,
    ) -> None:
        self.source = source
        self.module = module
        self.positions = positions
        self.facts = facts
        self.index = LineIndex(source)

    def build(
        self,
        plan: FixPlan,
        top_level: cst.CSTNode | None,
        member: tuple[cst.BaseStatement, str] | None = None,
    ) -> Fix | None:
        """The plan as text edits. Replacements are rendered within `member` (a statement of
        a top-level class's body, with that body's indentation) when they all lie in it,
        else within the `top_level` statement: one method, not the whole class, per fix."""
        edits: list[Edit] = []
        replaces = [c for c in plan.changes if isinstance(c, Replace)]
        if replaces:
            found = self._member_edits(replaces, *member) if member is not None else None
            edits.extend(found if found is not None else self._replace_edits(replaces, top_level))
        inserts: list[str] = []
        for change in plan.changes:
            if isinstance(change, InsertStatements):
                inserts.append(change.code.rstrip("\n") + "\n")
            elif isinstance(change, AddImport):
                line = self._import_line(change)
                if line is not None:
                    inserts.append(line)
        if inserts:
            row = _insertion_row(self.module, self.positions)
            at = Location(row, 1)
            content = "".join(dict.fromkeys(inserts))
            offset = self.index.offset(at)
            if offset > 0 and not self.source[:offset].endswith("\n"):
                content = "\n" + content
            edits.append(Edit(Span(at, at), content))
        if not edits:
            return None
        return Fix(plan.title, tuple(sorted(edits, key=lambda e: e.span.start)), plan.applicability)

    def _import_line(self, change: AddImport) -> str | None:
        """The import statement to add, or None when the module already has it."""
        if change.name is None:
            bound = change.module.split(".")[0]
            if self.facts.imports.get(bound) == bound:
                return None
            return f"import {change.module}\n"
        if self.facts.imports.get(change.name) == f"{change.module}.{change.name}":
            return None
        return f"from {change.module} import {change.name}\n"

    def _member_edits(
        self, replaces: Sequence[Replace], member: cst.BaseStatement, indent: str
    ) -> list[Edit] | None:
        """The edits rendered within one class-body statement, or None when a replaced node
        lies outside it or its text is not where its position says."""
        inside = {id(node) for node in iter_subtree(member)}
        if any(id(change.old) not in inside for change in replaces):
            return None
        new_member: cst.CSTNode = member
        for change in replaces:
            replaced = new_member.deep_replace(change.old, change.new)
            if not isinstance(replaced, cst.CSTNode):
                return None
            new_member = replaced
        start = self.index.offset(Location(self.positions.inclusive_start_line(member), 1))
        old = code_in_block(self.module, member, indent)
        if not self.source.startswith(old, start):
            return None
        return _diff_edits(old, code_in_block(self.module, new_member, indent), self.index, start)

    def _replace_edits(
        self, replaces: Sequence[Replace], top_level: cst.CSTNode | None
    ) -> list[Edit]:
        stmt = _top_level_statement(self.module, top_level) if top_level is not None else None
        target: cst.CSTNode = stmt if stmt is not None else self.module
        new_target: cst.CSTNode = target
        for change in replaces:
            replaced = new_target.deep_replace(change.old, change.new)
            if replaced is new_target and target is not self.module:
                # The node lies outside this statement: fall back to the whole module.
                return self._replace_edits(replaces, None)
            if isinstance(replaced, cst.CSTNode):
                new_target = replaced
        if isinstance(target, cst.Module):
            assert isinstance(new_target, cst.Module)
            return _diff_edits(self.source, new_target.code, self.index, 0)
        start_row = self.positions.inclusive_start_line(target)
        start = self.index.offset(Location(start_row, 1))
        # The statement's text is what libcst renders for it: its leading comments and the
        # comments closing its indented blocks (a class body's last `# ...` lines belong to
        # the block, after the syntactic end). Replacing only up to the syntactic end would
        # render those comments a second time.
        rendered = self.module.code_for_node(target)
        if self.source.startswith(rendered, start):
            end = start + len(rendered)
        elif rendered.endswith(("\n", "\r")) and self.source[start:] == rendered.rstrip("\r\n"):
            end = len(self.source)  # the last statement of a file without a final newline
        else:
            end_row = self.positions.span(target).end.row
            end = self.index.offset(Location(end_row + 1, 1))
        old = self.source[start:end]
        new = self.module.code_for_node(new_target)
        if not old.endswith("\n") and new.endswith("\n"):
            new = new[:-1]
        return _diff_edits(old, new, self.index, start)


def code_in_block(module: cst.Module, node: cst.CSTNode, indent: str) -> str:
    """The node's text as it appears in a block indented by `indent` (what
    `module.code_for_node` gives for a top-level node)."""
    state = CodegenState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        indent_tokens=[indent],
    )
    node._codegen(state)
    return "".join(state.tokens)


def accepted_edits(source: str, fixes: Iterable[Fix]) -> tuple[list[tuple[int, int, str]], int]:
    """The edits of every fix that does not overlap an earlier one, as (start, end, content)
    offsets in `source` sorted by position, and how many fixes that is."""
    index = LineIndex(source)
    accepted: list[tuple[int, int, str]] = []
    applied = 0
    for fix in fixes:
        ranges = [
            (index.offset(e.span.start), index.offset(e.span.end), e.content) for e in fix.edits
        ]
        new = [r for r in ranges if r not in accepted]
        if any(_overlaps(r, a) for r in new for a in accepted):
            continue
        accepted.extend(new)
        applied += 1
    return sorted(accepted, key=lambda r: (r[0], r[1])), applied


def apply_fixes(source: str, fixes: Iterable[Fix]) -> tuple[str, int]:
    """Apply every fix whose edits do not overlap an earlier one; return (text, applied)."""
    accepted, applied = accepted_edits(source, fixes)
    out: list[str] = []
    cursor = 0
    for start, end, content in accepted:
        out.append(source[cursor:start])
        out.append(content)
        cursor = max(cursor, end)
    out.append(source[cursor:])
    return "".join(out), applied


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two different insertions at one point: order would be arbitrary
    return a[0] < b[1] and b[0] < a[1]
