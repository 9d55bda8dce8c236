"""Module-wide facts computed once per file, lazily: imports, qualified names, definitions."""

from __future__ import annotations

import dataclasses
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from functools import cached_property
from itertools import chain
from typing import Any, TypeVar, cast

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
    # Exact types: asked for every small statement of a module (the parser makes no
    # subclasses, and isinstance against libcst's abstract classes is slow).
    if type(small) is cst.Assign and len(small.targets) == 1:
        target, value = small.targets[0].target, small.value
    elif type(small) is cst.AnnAssign:
        target, value = small.target, small.value
    if type(target) is cst.Name and type(value) is cst.Call:
        return target.value, value
    return None


# What `iter_statements` does with a node, by its exact type (worked out once per type):
# isinstance against libcst's abstract classes goes through `ABCMeta.__instancecheck__`,
# which was most of the cost of this walk. (statement, stops there (a simple statement
# line: small statements hold no statements), reads `body`, the branch fields it reads,
# reads `handlers`, reads `cases`.)
_Plan = tuple[bool, bool, bool, tuple[str, ...], bool, bool]
_PLANS: dict[type, _Plan] = {}
# type -> 1 for a libcst node, 2 for a list or tuple, 3 for anything else (never 0: a
# look-up `or` the computation).
_VALUE_KINDS: dict[type, int] = {}


def _value_kind(kind: type) -> int:
    found = _VALUE_KINDS.get(kind)
    if found is None:
        found = _VALUE_KINDS[kind] = (
            1 if issubclass(kind, cst.CSTNode) else 2 if issubclass(kind, (list, tuple)) else 3
        )
    return found


def _plan(kind: type) -> _Plan:
    found = _PLANS.get(kind)
    if found is None:
        # A field is read when the type has it (a dataclass field, or an attribute of the
        # class); an instance with a `__dict__` may have any (read them all, to be exact).
        fields = (
            {f.name for f in dataclasses.fields(kind)} if dataclasses.is_dataclass(kind) else set()
        )
        loose = getattr(kind, "__dictoffset__", 0) != 0

        def has(name: str) -> bool:
            return loose or name in fields or hasattr(kind, name)

        found = _PLANS[kind] = (
            issubclass(kind, cst.BaseStatement),
            issubclass(kind, cst.SimpleStatementLine),
            has("body"),
            tuple(name for name in ("orelse", "finalbody") if has(name)),
            has("handlers"),
            issubclass(kind, cst.Match),
        )
    return found


def iter_statements(body: cst.CSTNode) -> Iterator[cst.BaseStatement]:
    """Every statement under `body`, depth first, without descending into expressions.

    A statement's `orelse`, `finalbody`, `handlers` and `cases` are walked before its
    `body` (the order every caller has seen)."""
    stack: list[cst.CSTNode] = [body]
    plans = _PLANS
    kinds = _VALUE_KINDS
    while stack:
        node = stack.pop()
        statement, stops, reads_body, branches, reads_handlers, reads_cases = plans.get(
            type(node)
        ) or _plan(type(node))
        if statement:
            yield cast(cst.BaseStatement, node)
        if stops:
            continue
        if reads_body:
            inner: Any = getattr(node, "body", None)
            kind = kinds.get(type(inner)) or _value_kind(type(inner))
            if kind == 1:
                stack.append(cast(cst.CSTNode, inner))
            elif kind == 2:
                stack.extend(
                    reversed(
                        [n for n in inner if (kinds.get(type(n)) or _value_kind(type(n))) == 1]
                    )
                )
        if not (branches or reads_handlers or reads_cases):
            continue
        extra: list[cst.CSTNode] = []
        for name in branches:
            branch: Any = getattr(node, name, None)
            if (kinds.get(type(branch)) or _value_kind(type(branch))) == 1:
                extra.append(branch)
        if reads_handlers:
            extra.extend(
                h
                for h in getattr(node, "handlers", ())
                if (kinds.get(type(h)) or _value_kind(type(h))) == 1
            )
        if reads_cases:
            extra.extend(cast(cst.Match, node).cases)
        stack.extend(reversed(extra))


# `id()` of a top-level statement -> the statement and what was computed from it alone
# (`ModuleFacts.of_statement`). A tree is never changed, so an entry holds as long as the
# statement is in the module: the editor's incremental engine keeps one across versions.
StatementMemo = dict[int, tuple[cst.BaseStatement, dict[Callable[..., object], object]]]


def statement_tuple(stmt: cst.BaseStatement) -> tuple[cst.BaseStatement, ...]:
    """`iter_statements(stmt)` as a tuple (what `ModuleFacts.statements_in` keeps)."""
    return tuple(iter_statements(stmt))


def _import_pairs(statements: tuple[cst.BaseStatement, ...]) -> tuple[tuple[str, str], ...]:
    """(local name, qualified name) of every import in the statements, in order."""
    pairs: list[tuple[str, str]] = []
    for inner in statements:
        if type(inner) is not cst.SimpleStatementLine:
            continue
        for small in inner.body:
            if type(small) is cst.Import:
                for alias in small.names:
                    full = dotted_name(alias.name) or ""
                    if alias.asname is not None and type(alias.asname.name) is cst.Name:
                        pairs.append((alias.asname.name.value, full))
                    else:
                        top = full.split(".")[0]
                        pairs.append((top, top))
            elif type(small) is cst.ImportFrom and type(small.names) is not cst.ImportStar:
                base = "." * len(small.relative) + (dotted_name(small.module) or "")
                for alias in cast("Sequence[cst.ImportAlias]", small.names):
                    name = dotted_name(alias.name) or ""
                    local = name
                    if alias.asname is not None and type(alias.asname.name) is cst.Name:
                        local = alias.asname.name.value
                    pairs.append((local, f"{base}.{name}" if base else name))
    return tuple(pairs)


def _async_names(statements: tuple[cst.BaseStatement, ...]) -> frozenset[str]:
    return frozenset(
        s.name.value
        for s in statements
        if type(s) is cst.FunctionDef and s.asynchronous is not None
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


class _ReadingView:
    """A view of one of `ModuleFacts`' tables that records each look-up in the facts' reads.

    It holds the facts weakly: the facts keep the view (a cached property), and a strong
    reference back would be a cycle holding the file's whole tree until a full garbage
    collection (in a run over many files, ~14% of the time went to such collections).
    """

    __slots__ = ("_facts",)

    def __init__(self, facts: ModuleFacts) -> None:
        self._facts = weakref.ref(facts)

    @property
    def _reads(self) -> BindingReads:
        facts = self._facts()
        assert facts is not None, "a view of a module's facts outlived them"
        return facts.reads


class _ReadImports(_ReadingView, Mapping[str, str]):
    """`ModuleFacts.imports` as rules see it: each look-up is recorded in the facts' reads."""

    __slots__ = ("_table",)

    def __init__(self, facts: ModuleFacts, table: dict[str, str]) -> None:
        super().__init__(facts)
        self._table = table

    def __getitem__(self, name: str) -> str:
        self._reads.names.add(name)
        return self._table[name]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self._reads.names.add(name)
        return self._table.get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._reads.names.add(name)
        return name in self._table

    def __iter__(self) -> Iterator[str]:
        self._reads.whole = True
        return iter(self._table)

    def __len__(self) -> int:
        self._reads.whole = True
        return len(self._table)


class _ReadNames(_ReadingView, Set[str]):
    """`ModuleFacts.local_definitions` as rules see it: look-ups are recorded like imports'."""

    __slots__ = ("_names",)

    def __init__(self, facts: ModuleFacts, names: frozenset[str]) -> None:
        super().__init__(facts)
        self._names = names

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._reads.names.add(name)
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        self._reads.whole = True
        return iter(self._names)

    def __len__(self) -> int:
        self._reads.whole = True
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
        # `id()` of an expression -> it, the head name it reads, its `qualified_name`.
        self._qualified: dict[int, tuple[cst.BaseExpression, str | None, str | None]] = {}

    def of_statement(self, stmt: cst.BaseStatement, compute: Callable[[cst.BaseStatement], T]) -> T:
        """`compute(stmt)` for a top-level statement, from the statement alone (nothing else
        of the module): kept in `memo`, which an incremental caller keeps across versions
        (the statements it did not re-parse are the same objects)."""
        table = self._memo_of(stmt)
        if compute in table:
            return cast(T, table[compute])
        found = table[compute] = compute(stmt)
        return found

    def _memo_of(self, stmt: cst.BaseStatement) -> dict[Callable[..., object], object]:
        """`stmt`'s table in `memo` (a new one if the id was another statement's)."""
        entry = self.memo.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            entry = self.memo[id(stmt)] = (stmt, {})
        return entry[1]

    def statements_in(self, stmt: cst.BaseStatement) -> tuple[cst.BaseStatement, ...]:
        """`iter_statements(stmt)` of a top-level statement, walked once and kept in `memo`
        (its part of `statements`)."""
        return self.of_statement(stmt, statement_tuple)

    def of_statements(
        self,
        stmt: cst.BaseStatement,
        compute: Callable[[tuple[cst.BaseStatement, ...]], T],
    ) -> T:
        """`compute(statements_in(stmt))` for a top-level statement, kept in `memo` as
        `of_statement` keeps its answers: what several facts read of a statement's nested
        statements comes from one walk of them."""
        table = self._memo_of(stmt)
        if compute in table:
            return cast(T, table[compute])
        found = table[compute] = compute(self.statements_in(stmt))
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
        """Every statement of the module, in `iter_statements` order: each top-level
        statement's `statements_in`, one after the other."""
        statements_in = self.statements_in
        return tuple(chain.from_iterable(statements_in(stmt) for stmt in self.module.body))

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
            table.update(self.of_statements(stmt, _import_pairs))
        return table

    @cached_property
    def local_definitions(self) -> Set[str]:
        """Names bound by `def`/`class`/assignment at module level (they shadow builtins)."""
        return _ReadNames(self, self._local_names)

    @cached_property
    def _local_names(self) -> frozenset[str]:
        names: set[str] = set()
        for stmt in self.module.body:
            if type(stmt) is cst.FunctionDef or type(stmt) is cst.ClassDef:
                names.add(stmt.name.value)
            elif type(stmt) is cst.SimpleStatementLine:
                for small in stmt.body:
                    targets: list[cst.BaseExpression] = []
                    if type(small) is cst.Assign:
                        targets = [t.target for t in small.targets]
                    elif type(small) is cst.AnnAssign or type(small) is cst.AugAssign:
                        targets = [small.target]
                    names.update(t.value for t in targets if type(t) is cst.Name)
        return frozenset(names)

    @cached_property
    def top_level_functions(self) -> dict[str, cst.FunctionDef]:
        return {s.name.value: s for s in self.module.body if type(s) is cst.FunctionDef}

    @cached_property
    def async_function_names(self) -> frozenset[str]:
        """Names of every `async def` in the module (functions and methods)."""
        names: set[str] = set()
        for stmt in self.module.body:
            names.update(self.of_statements(stmt, _async_names))
        return frozenset(names)

    def qualified_name(self, node: cst.BaseExpression) -> str | None:
        """`time.sleep` for `nap` after `from time import sleep as nap`; None if unknown.

        A name that is neither imported nor defined here resolves to itself (`eval`
        -> `eval`), so builtins are matched by their bare name; a module-level definition
        with a builtin's name shadows it and resolves to `<local>.name`.
        """
        # Most expressions are asked about by several rules: the answer is kept per node
        # (the node with it, so its `id` stays its own); the read of the head name is
        # recorded on every ask, as the reads are per statement walked.
        found = self._qualified.get(id(node))
        if found is not None and found[0] is node:
            if found[1] is not None:
                self.reads.names.add(found[1])
            return found[2]
        dotted = dotted_name(node)
        if dotted is None:
            self._qualified[id(node)] = (node, None, None)
            return None
        head, _, rest = dotted.partition(".")
        self.reads.names.add(head)
        imports = self._import_table
        if head in imports:
            full = imports[head]
            answer = f"{full}.{rest}" if rest else full
        elif head in self._local_names:
            answer = f"<local>.{dotted}"
        else:
            answer = dotted
        self._qualified[id(node)] = (node, head, answer)
        return answer
