"""Module-wide facts computed once per file, lazily: imports, qualified names, definitions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Set
from functools import cached_property
from typing import TypeVar, cast

import libcst as cst

T = TypeVar("T")


def dotted_name(node: cst.BaseExpression | cst.ImportFrom | None) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    # Exact types: called for most expressions, and isinstance against libcst's abstract
    # classes is slow (the parser makes no subclasses of Attribute or Name).
    if type(node) is cst.Name:
        return node.value
    parts: list[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is cst.Name:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def call_binding(small: cst.BaseSmallStatement) -> tuple[str, cst.Call] | None:
    """`name = factory(...)` (or `name: T = factory(...)`): the name and the call, else None."""
    target: cst.BaseExpression | None = None
    value: cst.BaseExpression | None = None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target, value = small.targets[0].target, small.value
    elif isinstance(small, cst.AnnAssign):
        target, value = small.target, small.value
    if isinstance(target, cst.Name) and isinstance(value, cst.Call):
        return target.value, value
    return None


def iter_statements(body: cst.CSTNode) -> Iterator[cst.BaseStatement]:
    """Every statement under `body`, depth first, without descending into expressions."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        inner: object = getattr(node, "body", None)
        if isinstance(node, cst.BaseStatement):
            yield node
        if isinstance(node, cst.SimpleStatementLine):
            continue
        extra: list[cst.CSTNode] = []
        for name in ("orelse", "finalbody"):
            branch = getattr(node, name, None)
            if isinstance(branch, cst.CSTNode):
                extra.append(branch)
        handlers = getattr(node, "handlers", ())
        extra.extend(h for h in handlers if isinstance(h, cst.CSTNode))
        if isinstance(node, cst.Match):
            extra.extend(node.cases)
        if isinstance(inner, cst.CSTNode):
            stack.append(inner)
        elif isinstance(inner, (list, tuple)):
            stack.extend(reversed([n for n in inner if isinstance(n, cst.CSTNode)]))
        stack.extend(reversed(extra))


# `id()` of a top-level statement -> the statement and what was computed from it alone
# (`ModuleFacts.of_statement`). A tree is never changed, so an entry holds as long as the
# statement is in the module: the editor's incremental engine keeps one across versions.
StatementMemo = dict[
    int, tuple[cst.BaseStatement, dict[Callable[[cst.BaseStatement], object], object]]
]


def _import_pairs(stmt: cst.BaseStatement) -> tuple[tuple[str, str], ...]:
    """(local name, qualified name) of every import in the statement, in order."""
    pairs: list[tuple[str, str]] = []
    for inner in iter_statements(stmt):
        if not isinstance(inner, cst.SimpleStatementLine):
            continue
        for small in inner.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = dotted_name(alias.name) or ""
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        pairs.append((alias.asname.name.value, full))
                    else:
                        top = full.split(".")[0]
                        pairs.append((top, top))
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                base = "." * len(small.relative) + (dotted_name(small.module) or "")
                for alias in small.names:
                    name = dotted_name(alias.name) or ""
                    local = name
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        local = alias.asname.name.value
                    pairs.append((local, f"{base}.{name}" if base else name))
    return tuple(pairs)


def _async_names(stmt: cst.BaseStatement) -> frozenset[str]:
    return frozenset(
        s.name.value
        for s in iter_statements(stmt)
        if isinstance(s, cst.FunctionDef) and s.asynchronous is not None
    )


class BindingReads:
    """Which module-level bindings were read through the facts (by a statement's walk, or by
    its fixes): names looked up, or the whole table (iterated, or an import to add).

    The editor's incremental engine re-lints a statement when a binding it read changes, so
    what a finding depends on is what its rule actually asked, not a declaration.
    """

    __slots__ = ("names", "whole")

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.whole = False

    def depends_on(self, names: Set[str]) -> bool:
        """Whether a change to these module-level names may change what was read."""
        return self.whole or not self.names.isdisjoint(names)


class _ReadImports(Mapping[str, str]):
    """`ModuleFacts.imports` as rules see it: each look-up is recorded in the facts' reads."""

    __slots__ = ("_facts", "_table")

    def __init__(self, facts: ModuleFacts, table: dict[str, str]) -> None:
        self._facts = facts
        self._table = table

    def __getitem__(self, name: str) -> str:
        self._facts.reads.names.add(name)
        return self._table[name]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self._facts.reads.names.add(name)
        return self._table.get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._facts.reads.names.add(name)
        return name in self._table

    def __iter__(self) -> Iterator[str]:
        self._facts.reads.whole = True
        return iter(self._table)

    def __len__(self) -> int:
        self._facts.reads.whole = True
        return len(self._table)


class _ReadNames(Set[str]):
    """`ModuleFacts.local_definitions` as rules see it: look-ups are recorded like imports'."""

    __slots__ = ("_facts", "_names")

    def __init__(self, facts: ModuleFacts, names: frozenset[str]) -> None:
        self._facts = facts
        self._names = names

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._facts.reads.names.add(name)
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        self._facts.reads.whole = True
        return iter(self._names)

    def __len__(self) -> int:
        self._facts.reads.whole = True
        return len(self._names)


class ModuleFacts:
    """What a rule may ask about the whole module. Each fact is computed on first use.

    Look-ups of module-level bindings (`imports`, `local_definitions`, `qualified_name`)
    are recorded in `reads`, which the engine swaps per top-level statement it walks.
    """

    def __init__(
        self,
        module: cst.Module,
        *,
        statements: tuple[cst.BaseStatement, ...] | None = None,
        source: str | None = None,
    ) -> None:
        """`statements`: every statement in `iter_statements` order, when the caller (the
        incremental engine) already has them. `source`: the module's text, when the caller
        has it (detectors skip work for words it does not contain)."""
        self.module = module
        self.source = source
        self.reads = BindingReads()
        if statements is not None:
            self.__dict__["statements"] = statements
        self._derived: dict[Callable[[ModuleFacts], object], object] = {}
        self.memo: StatementMemo = {}
        # The source's word counts (`index.word_counts`), when an incremental caller keeps them.
        self.words: Counter[str] | None = None

    def of_statement(self, stmt: cst.BaseStatement, compute: Callable[[cst.BaseStatement], T]) -> T:
        """`compute(stmt)` for a top-level statement, from the statement alone (nothing else
        of the module): kept in `memo`, which an incremental caller keeps across versions
        (the statements it did not re-parse are the same objects)."""
        entry = self.memo.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            entry = self.memo[id(stmt)] = (stmt, {})
        table = entry[1]
        if compute in table:
            return cast(T, table[compute])
        found = table[compute] = compute(stmt)
        return found

    def derived(self, compute: Callable[[ModuleFacts], T]) -> T:
        """`compute(self)`, computed once per module: what detection modules build on these
        facts (registrations: `analyzers.detect.registrations.registrations_of`) is kept
        with them, without this module knowing the detectors."""
        if compute in self._derived:
            return cast(T, self._derived[compute])
        # A derived fact reads bindings for every statement: not the current statement's
        # reads (what it depends on is tracked by whoever keeps it, e.g. the incremental
        # engine for registrations).
        reads, self.reads = self.reads, BindingReads()
        try:
            found = self._derived[compute] = compute(self)
        finally:
            self.reads = reads
        return found

    def note_read(self, name: str) -> None:
        """Record that what is being computed depends on the module-level binding `name`,
        read by other means than these facts' look-ups (a rule's own pass over the
        module-level assignments, from inside a function body)."""
        self.reads.names.add(name)

    def provide(self, compute: Callable[[ModuleFacts], T], value: T) -> None:
        """Give `derived(compute)` its value (an incremental caller's, known from before)."""
        self._derived[compute] = value

    def has_derived(self, compute: Callable[[ModuleFacts], object]) -> bool:
        """Whether `derived(compute)` was asked for (or provided) already."""
        return compute in self._derived

    @cached_property
    def statements(self) -> tuple[cst.BaseStatement, ...]:
        return tuple(iter_statements(self.module))

    @cached_property
    def top_level_ids(self) -> frozenset[int]:
        """`id()`s of the module-level statements (to tell them among `statements`)."""
        return frozenset(id(stmt) for stmt in self.module.body)

    @cached_property
    def imports(self) -> Mapping[str, str]:
        """Local name -> qualified name for every import anywhere in the module."""
        return _ReadImports(self, self._import_table)

    @cached_property
    def _import_table(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for stmt in self.module.body:
            table.update(self.of_statement(stmt, _import_pairs))
        return table

    @cached_property
    def local_definitions(self) -> Set[str]:
        """Names bound by `def`/`class`/assignment at module level (they shadow builtins)."""
        return _ReadNames(self, self._local_names)

    @cached_property
    def _local_names(self) -> frozenset[str]:
        names: set[str] = set()
        for stmt in self.module.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                names.add(stmt.name.value)
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    targets: list[cst.BaseExpression] = []
                    if isinstance(small, cst.Assign):
                        targets = [t.target for t in small.targets]
                    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                        targets = [small.target]
                    names.update(t.value for t in targets if isinstance(t, cst.Name))
        return frozenset(names)

    @cached_property
    def top_level_functions(self) -> dict[str, cst.FunctionDef]:
        return {s.name.value: s for s in self.module.body if isinstance(s, cst.FunctionDef)}

    @cached_property
    def async_function_names(self) -> frozenset[str]:
        """Names of every `async def` in the module (functions and methods)."""
        names: set[str] = set()
        for stmt in self.module.body:
            names.update(self.of_statement(stmt, _async_names))
        return frozenset(names)

    def qualified_name(self, node: cst.BaseExpression) -> str | None:
        """`time.sleep` for `nap` after `from time import sleep as nap`; None if unknown.

        A name that is neither imported nor defined here resolves to itself (`eval`
        -> `eval`), so builtins are matched by their bare name; a module-level definition
        with a builtin's name shadows it and resolves to `<local>.name`.
        """
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        self.reads.names.add(head)
        imports = self._import_table
        if head in imports:
            full = imports[head]
            return f"{full}.{rest}" if rest else full
        if head in self._local_names:
            return f"<local>.{dotted}"
        return dotted
