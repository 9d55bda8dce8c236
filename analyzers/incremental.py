"""Incremental linting of an open document: re-parse and re-lint only the statements an edit touched.

The document is kept as pieces: the module header (comments before the first statement), one
chunk per top-level statement (with the comments and blank lines libcst gives it) and the
footer. An edit is located by matching the previous pieces against the new text from both
ends; only the chunks in between are re-parsed (standalone: a top-level statement boundary is
a clean tokenizer boundary) and spliced into the previous `cst.Module`, which keeps every other
statement node. When a splice cannot be proven equal to a full parse, the whole text is parsed.
A top-level class is cut the same way at the statements of its body on the first edit inside
it (`ClassBody`): an edit inside a method re-parses that method alone (inside a stand-in class,
spliced into the `ClassDef`) and walks the class's own part and that method; the other members
keep their findings and positions.

Findings are cached per chunk. A chunk is re-linted when it changed, when one of its cached
positions lies in the edited region, or when the module *interface* changed: what any
statement may see of the others (imports, module-level code, class bodies, signatures and
decorators, generator-ness, imports/globals/classes nested in functions, calls bound to a
decorator's name inside functions, and the whole text of functions used as decorators or called
at module level). Edits inside a function body leave the interface alone, so only that function
is walked. When the interface changed only in plain module-level bindings (a prompt constant
being typed, an import added), only the statements whose rules and fixes read one of the names
involved (or the import block as a whole) through the module facts (`facts.BindingReads`,
recorded by the walk per rule: only those rules run again), or that mention one outside
function bodies (re-linted whole), are re-linted (see
`_changed_names`, `_invalidate_users`); any other interface change re-lints everything.
Registrations are kept per chunk and extracted before the walk (those of a chunk mentioning a
changed name anew): a chunk whose registrations are not the ones its last walk saw (a call in
another statement registers its function anew), by value, is walked again. The class index
registrations are read from is kept too (`static.class_info_cache`).
`engine.lint_statements` walks the chosen statements and still runs module-wide rules over
everything; `IncrementalLinter.lint` returns exactly what `engine.lint` returns for the same text.
The server only feeds it text and versions.
"""

from __future__ import annotations

import io
import re
import time
import tokenize
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from itertools import chain
from typing import overload

import libcst as cst

from agentsense.analyzers.config import Config
from agentsense.analyzers.detect.registrations import (
    Registration,
    known_registrations,
    registrations_extracted,
    registrations_of,
)
from agentsense.analyzers.detect.static import ClassInfo, class_info_cache
from agentsense.analyzers.engine import (
    Origin,
    lint_module,
    lint_statements,
    parse,
    syntax_error_findings,
    unused_suppression_findings,
)
from agentsense.analyzers.facts import (
    BindingReads,
    ModuleFacts,
    StatementMemo,
    call_binding,
    dotted_name,
    iter_statements,
)
from agentsense.analyzers.fixes import code_in_block
from agentsense.analyzers.index import word_counts
from agentsense.analyzers.model import Edit, Finding, Fix, Location, RelatedLocation, Span
from agentsense.analyzers.positions import MemberRows, RelativePositions, StatementPositions
from agentsense.analyzers.suppression import NONE, Suppression, Suppressions, find_suppressions
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

_NEWLINE = re.compile(r"\r\n?|\n")
_ERROR_AT = re.compile(r"error at (\d+):")
# A line starting one of these continues the statement before it (`if` ... `else:`).
_CONTINUATION = re.compile(r"(else|elif|except|finally)\b")
# Regions larger than this share of the file are parsed whole: splicing would not pay.
_MAX_REGION_SHARE = 0.6


def _rows(text: str) -> int:
    """How many line breaks a piece of text holds."""
    if "\r" not in text:
        return text.count("\n")
    return len(_NEWLINE.findall(text))


def _leading_lines(text: str) -> Iterable[str]:
    """The comment and blank lines before the first line of code."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return
        yield line


def _starts_indented(text: str) -> bool:
    """Whether the text opens with an indented comment or code line (a block above may own it)."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if line[0] in " \t\f":
            return True
        if not stripped.startswith("#"):
            return bool(_CONTINUATION.match(stripped))
    return False


def _has_indented_comment(text: str) -> bool:
    """Whether an indented comment or whitespace-only line precedes the first code line: a
    block just above may own it (libcst puts such lines in the block's footer)."""
    return any(line[:1] in (" ", "\t", "\f") for line in _leading_lines(text))


def _tokenizes(text: str) -> bool:
    try:
        for _ in tokenize.generate_tokens(io.StringIO(text).readline):
            pass
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return True


def _first_indent(stmt: cst.CSTNode, module_indent: str) -> str | None:
    """The indentation of the statement's first indented block (what libcst would infer)."""
    stack: list[cst.CSTNode] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.IndentedBlock):
            return node.indent if node.indent is not None else module_indent
        if isinstance(node, cst.SimpleStatementLine):
            continue
        # Clauses in source order: body, handlers/cases, orelse, finalbody.
        parts: list[cst.CSTNode] = []
        for name in ("body", "handlers", "cases", "orelse", "finalbody"):
            value = getattr(node, name, None)
            if isinstance(value, cst.CSTNode):
                parts.append(value)
            elif isinstance(value, (list, tuple)):
                parts.extend(v for v in value if isinstance(v, cst.CSTNode))
        if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            continue
        stack.extend(reversed(parts))
    return None


_EMPTY_BODY = cst.SimpleStatementSuite(body=[cst.Pass()])


def _function_interface(function: cst.FunctionDef, code: cst.Module) -> str:
    """What other statements may see of a function: header, generator-ness, nested structure."""
    parts = [code.code_for_node(function.with_changes(body=_EMPTY_BODY, leading_lines=()))]
    for stmt in iter_statements(function.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
                    parts.append(code.code_for_node(small))
        elif isinstance(stmt, cst.FunctionDef):
            parts.append(_function_interface(stmt, code))
        elif isinstance(stmt, cst.ClassDef):
            parts.append(code.code_for_node(stmt))
    return "\n".join(parts)


def _class_interface(
    cls: cst.ClassDef, code: cst.Module, members: Iterable[str] | None = None
) -> str:
    """A class as other statements see it: everything but the bodies of its plain methods.

    `members`: each body statement's `_member_interface`, when the caller keeps them."""
    parts = [code.code_for_node(cls.with_changes(body=_EMPTY_BODY, leading_lines=()))]
    body: Sequence[cst.CSTNode] = cls.body.body
    parts.extend(members if members is not None else (_member_interface(s, code) for s in body))
    return "\n".join(parts)


def _member_interface(stmt: cst.CSTNode, code: cst.Module) -> str:
    """A statement of a class body as other statements see it."""
    if isinstance(stmt, cst.FunctionDef) and not (
        stmt.name.value.startswith("__") and stmt.name.value.endswith("__")
    ):
        return _function_interface(stmt, code)
    if isinstance(stmt, cst.ClassDef):
        return _class_interface(stmt, code)
    return code.code_for_node(stmt)


def _decorator_names(stmt: cst.CSTNode, nested: bool = True) -> set[str]:
    """The names in the decorators of `stmt` (and with `nested`, of every def or class in it)."""
    names: set[str] = set()
    for inner in iter_statements(stmt) if nested else (stmt,):
        if isinstance(inner, (cst.FunctionDef, cst.ClassDef)):
            for decorator in inner.decorators:
                for node in iter_subtree(decorator.decorator):
                    if isinstance(node, cst.Name):
                        names.add(node.value)
    return names


def _call_heads(root: cst.CSTNode) -> set[str]:
    """The first names of the callees called in `root` outside nested scopes."""
    names: set[str] = set()
    for node in iter_subtree_no_scopes(root):
        if isinstance(node, cst.Call):
            head = dotted_name(node.func)
            if head is not None:
                names.add(head.split(".")[0])
    return names


def _member_exposed(stmt: cst.CSTNode) -> frozenset[str]:
    """`_exposed_names` of one statement of a class body (its part of the class's)."""
    names = _decorator_names(stmt)
    if not isinstance(stmt, cst.FunctionDef):
        names |= _call_heads(stmt)
    return frozenset(names)


def _exposed_names(
    stmt: cst.BaseStatement, members: Iterable[frozenset[str]] | None = None
) -> frozenset[str]:
    """Names whose definitions' bodies this statement depends on at import time.

    Decorators anywhere, and callees in module-level or class-level code: a decorator or a
    registering call may store functions into a registry, which rules read. `members`: for
    a class, each body statement's `_member_exposed`, when the caller keeps them.
    """
    if isinstance(stmt, cst.ClassDef):
        names = _decorator_names(stmt, nested=False)
        for arg in (*stmt.bases, *stmt.keywords):
            names |= _call_heads(arg.value)
        body: Sequence[cst.CSTNode] = stmt.body.body
        for part in members if members is not None else map(_member_exposed, body):
            names |= part
        return frozenset(names)
    names = _decorator_names(stmt)
    if not isinstance(stmt, cst.FunctionDef):
        names |= _call_heads(stmt)
    return frozenset(names)


def _nested_call_bindings(
    stmt: cst.BaseStatement, statements: Sequence[cst.BaseStatement]
) -> tuple[tuple[str, str], ...]:
    """`name = factory(...)` assignments below the top level of a def or class, as
    (name, factory) pairs.

    A binding in a function body is not part of the interface, yet it decides what a
    decorator's owner is (`mcp = FastMCP()` in a factory makes `@mcp.tool()` ambiguous), so
    the bindings of decorator names count as interface (see `_module_interface`).
    """
    if not isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return ()  # other statements are interface in full
    return _call_bindings(statements)


def _call_bindings(statements: Iterable[cst.BaseStatement]) -> tuple[tuple[str, str], ...]:
    """The `name = factory(...)` assignments among the statements, as (name, factory)."""
    out: list[tuple[str, str]] = []
    for inner in statements:
        if not isinstance(inner, cst.SimpleStatementLine):
            continue
        for small in inner.body:
            binding = call_binding(small)
            if binding is not None:
                out.append((binding[0], dotted_name(binding[1].func) or "?"))
    return tuple(out)


def _plain_binding(stmt: cst.BaseStatement) -> bool:
    """A module-level line of assignments, imports (not `*`) or string literals only."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Import)):
            continue
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            continue
        if isinstance(small, cst.Expr) and isinstance(
            small.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            continue
        return False
    return True


def _names_in(stmt: cst.BaseStatement) -> set[str]:
    """Every identifier in a statement (targets, values, import names and aliases)."""
    return {node.value for node in iter_subtree(stmt) if isinstance(node, cst.Name)}


def _same_value(old: object, new: object) -> bool:
    """Whether two registrations (or parts of them) say the same: equal plain values and
    fields, and the very same tree nodes (a node is compared by identity: the statement it
    lies in was kept)."""
    if old is new:
        return True
    if type(old) is not type(new):
        return False
    if isinstance(old, cst.CSTNode):
        return False
    if isinstance(old, tuple):
        assert isinstance(new, tuple)
        return len(old) == len(new) and all(map(_same_value, old, new))
    if is_dataclass(old):
        return all(
            _same_value(getattr(old, item.name), getattr(new, item.name)) for item in fields(old)
        )
    if isinstance(old, (str, int, float, bool, bytes, type(None))):
        return old == new
    return False  # anything else (a mapping, a set) is not compared: extracted anew


def _kept_equal(
    found: tuple[Registration, ...], previous: tuple[Registration, ...]
) -> tuple[Registration, ...]:
    """`found`, with each registration that says the same as one of `previous` for the same
    definition node (`_same_value`) replaced by that old object; `previous` itself when all
    are. A class's registration names its `ClassDef`, which a member splice replaces: it is
    new, and the registrations of its kept methods stay."""
    if found == previous or not previous:
        return found
    old_for: dict[int, list[Registration]] = {}
    for reg in previous:
        old_for.setdefault(id(reg.definition), []).append(reg)
    kept: list[Registration] = []
    for reg in found:
        candidates = old_for.get(id(reg.definition), [])
        same = next((old for old in candidates if _same_value(old, reg)), None)
        if same is None:
            kept.append(reg)
        else:
            candidates.remove(same)
            kept.append(same)
    out = tuple(kept)
    return previous if out == previous else out


def _outside_function_bodies(chunk: Chunk) -> str:
    """The chunk's code outside plain function bodies (its interface), or all of it when a
    lambda may be in a body (rules treat a lambda's code as not in a function)."""
    if chunk.defines is None or "lambda" in chunk.text:
        return chunk.text
    return chunk.interface


def _mentions(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern finding any of the names as a whole word (None for no names)."""
    ordered = sorted(names, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w])")


@dataclass(frozen=True, slots=True)
class _MemberParts:
    """What a statement of a class body contributes to its class's `Chunk` fields."""

    interface: str
    exposed: frozenset[str]
    statements: tuple[cst.BaseStatement, ...]
    bindings: tuple[tuple[str, str], ...]


@dataclass(eq=False, slots=True)
class Member:
    """One statement of a top-level class's body, with the comments and blank lines libcst
    gives it, and what its last walk found (as `Chunk` keeps for a top-level statement)."""

    text: str
    statement: cst.BaseStatement
    rows: int
    findings: list[Finding] | None = None
    used: list[tuple[int, str]] = field(default_factory=list)
    positions: RelativePositions | None = None
    reads: dict[str, BindingReads] | None = None
    # Its parts of the class's `Chunk` fields, once computed (see `Chunk.build`).
    derived: _MemberParts | None = None

    def parts(self, code: cst.Module) -> _MemberParts:
        """Its parts of the class's interface, exposed names, statements and bindings."""
        if self.derived is None:
            statements = tuple(iter_statements(self.statement))
            self.derived = _MemberParts(
                _member_interface(self.statement, code),
                _member_exposed(self.statement),
                statements,
                _call_bindings(statements),
            )
        return self.derived

    @property
    def kept(self) -> bool:
        """Whether its findings are kept between walks of the class: a method's are; any
        other statement of the body is walked with the class every time (rules may gather
        a tool class's attributes while walking it)."""
        return type(self.statement) is cst.FunctionDef


@dataclass(eq=False, slots=True)
class ClassBody:
    """A top-level class's text cut at the statements of its body, so an edit inside one
    method re-parses that method only (`IncrementalLinter._splice_members`): `head` is the
    text before the first statement (comments, decorators, the `class` line), `tail` the
    comment lines after the last one (the block's footer)."""

    head: str
    members: list[Member]
    tail: str
    # The body's indentation: the module's (other classes are not cut).
    indent: str

    @staticmethod
    def of(chunk: Chunk, module: cst.Module) -> ClassBody | None:
        """The class's body cut at its statements, or None when it cannot be."""
        cls = chunk.statement
        if type(cls) is not cst.ClassDef or type(cls.body) is not cst.IndentedBlock:
            return None
        block = cls.body
        indent = module.default_indent
        if block.indent not in (None, indent) or not block.body:
            return None
        members = [
            Member(text, stmt, _rows(text))
            for stmt in block.body
            for text in (code_in_block(module, stmt, indent),)
        ]
        tail = "".join(code_in_block(module, line, indent) for line in block.footer)
        body = "".join(member.text for member in members) + tail
        if not chunk.text.endswith(body):
            return None  # the file's last statement without its final line break
        head = chunk.text[: len(chunk.text) - len(body)]
        if not head.endswith(("\n", "\r")):
            return None
        return ClassBody(head, members, tail, indent)


@dataclass(eq=False, slots=True)
class Chunk:
    """One top-level statement with the comments and blank lines libcst gives it."""

    text: str
    statement: cst.BaseStatement
    rows: int
    first_indent: str | None
    interface: str
    exposed: frozenset[str]
    defines: str | None
    statements: tuple[cst.BaseStatement, ...]
    bindings: tuple[tuple[str, str], ...]
    # Lazily: suppression comments relative to the chunk's first row, and tokenizability.
    suppressions: tuple[Suppression, ...] | None = None
    tokenizes: bool | None = None
    # Findings and matched suppressions of the chunk's last walk, positioned for the current
    # text; None when it must be walked.
    findings: list[Finding] | None = None
    used: list[tuple[int, str]] = field(default_factory=list)
    # Node positions relative to the chunk's first row, once computed.
    positions: RelativePositions | None = None
    # The registrations of its definitions, once extracted (valid while the module interface
    # holds); `registered` is what its last walk saw (its findings depend on them).
    registrations: tuple[Registration, ...] | None = None
    registered: tuple[Registration, ...] = ()
    # The module-level bindings its last walk (and its findings' fixes) read, by rule code;
    # `stale`: the rules to run again over it (their cached findings are dropped then).
    reads: dict[str, BindingReads] | None = None
    stale: set[str] | None = None
    # A class edited inside its body: cut at its members, which keep their own findings
    # (then `findings`, `used` and `positions` are the class's own part's, and `reads` what
    # the whole class read). Made on the first such edit.
    body: ClassBody | None = None

    @staticmethod
    def build(
        text: str, stmt: cst.BaseStatement, code: cst.Module, body: ClassBody | None = None
    ) -> Chunk:
        """The chunk of a top-level statement; `body`: the class's body cut at its members
        (those kept from the previous version reuse what was derived from them)."""
        parts = None
        if body is not None and isinstance(stmt, cst.ClassDef):
            parts = [member.parts(code) for member in body.members]
        exposed: frozenset[str] | None = None
        if isinstance(stmt, cst.FunctionDef):
            interface = _function_interface(stmt, code)
            defines: str | None = stmt.name.value
        elif isinstance(stmt, cst.ClassDef):
            if parts is None:
                interface, exposed = _class_interface(stmt, code), _exposed_names(stmt)
            else:
                interface = _class_interface(stmt, code, [part.interface for part in parts])
                exposed = _exposed_names(stmt, [part.exposed for part in parts])
            defines = stmt.name.value
        else:
            interface = code.code_for_node(stmt.with_changes(leading_lines=()))
            defines = None
        # Whether a function yields (a generator, not a coroutine) is seen by other statements;
        # the words anywhere in the chunk are a cheap over-approximation.
        interface += f"\n<yield:{'yield' in text} await:{'await' in text}>"
        if parts is None:
            statements = tuple(iter_statements(stmt))
            bindings = _nested_call_bindings(stmt, statements)
        else:
            statements = (stmt, *chain.from_iterable(part.statements for part in parts))
            bindings = tuple(chain.from_iterable(part.bindings for part in parts))
        return Chunk(
            text=text,
            statement=stmt,
            rows=_rows(text),
            first_indent=_first_indent(stmt, code.default_indent),
            interface=interface,
            exposed=exposed if exposed is not None else _exposed_names(stmt),
            defines=defines,
            statements=statements,
            bindings=bindings,
            body=body,
        )


@dataclass(frozen=True, slots=True)
class RunStats:
    """How the last `lint` call went (for logs and the latency bench)."""

    parse: str  # "incremental" | "full" | "syntax-error" | "unchanged"
    walked: int  # top-level statements walked with every rule
    statements: int
    whole_module_codes: frozenset[str]
    seconds: float
    # Of the classes cut at their members (`ClassBody`) among those walked, the statements
    # of their bodies walked with every rule (the others kept their findings).
    members: int = 0
    # Top-level statements walked with some rules only (those that read a binding that
    # changed), and how many (statement, rule) pairs that made.
    partial: int = 0
    rules_rerun: int = 0


@dataclass(frozen=True, slots=True)
class _Region:
    """Rows [old_start_row, old_end_row) of the previous text were replaced; later rows moved
    by `delta`."""

    old_start_row: int
    old_end_row: int
    delta: int


@dataclass(frozen=True, slots=True)
class _Carry:
    """The chunks (with their first rows) and interface of the last version that parsed,
    while a full parse replaces them (see `IncrementalLinter._adopt`)."""

    chunks: list[Chunk]
    rows: list[int]
    interface: tuple[tuple[str, ...], tuple[str, ...]] | None
    interface_chunks: list[Chunk]


@dataclass(frozen=True, slots=True)
class _Findings:
    """A version answered without the incremental path (syntax error, odd text)."""

    mode: str
    findings: list[Finding]


_BEYOND = 1 << 60


class IncrementalLinter:
    """Lints successive versions of one document, reusing work between them."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.reset()

    def reset(self) -> None:
        """Forget everything (the next version is parsed and linted whole)."""
        self.module: cst.Module | None = None
        self.header = ""
        self.footer = ""
        self.chunks: list[Chunk] = []
        self._good_text: str | None = None
        self._config: Config | None = None
        # The module interface at the last lint: one entry per chunk (and those chunks), and
        # the bindings of decorator names inside functions.
        self._interface: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self._interface_chunks: list[Chunk] = []
        self.stats = RunStats("full", 0, 0, frozenset(), 0.0)
        # The module facts of the last lint (registrations computed there are reused).
        self.facts: ModuleFacts | None = None
        # `id()`s of the nodes of statements re-parsed since the last lint: registrations
        # kept for other statements may point at them (an inherited method, a hook's check).
        self._replaced: set[int] = set()
        # `ClassInfo`s of the current classes by `id()` (the registrations' class index,
        # `static.class_info_cache`), dropped when their statement is re-parsed.
        self._class_infos: dict[int, ClassInfo] = {}
        # What the facts computed from single statements (`ModuleFacts.of_statement`).
        self._memo: StatementMemo = {}
        # The current text's word counts (`index.word_counts`), kept up to date per edit.
        self._words: Counter[str] | None = None
        self._carry: _Carry | None = None

    @property
    def text(self) -> str | None:
        """The last text that parsed (what `module` and `chunks` describe)."""
        return self._good_text

    def positions(self) -> tuple[StatementPositions, dict[int, int]]:
        """Positions for the current module, and `id(statement)` -> its top-level index."""
        assert self.module is not None
        cache = _ChunkPositions(self.chunks)
        top = {id(s): i for i, chunk in enumerate(self.chunks) for s in chunk.statements}
        members = {index: rows for index, (_, rows) in self._to_walk()[1].items()}
        return StatementPositions(self.module, self._statement_rows(), cache, members), top

    def module_facts(self) -> ModuleFacts:
        """Facts of the current module (those of the last lint when it is current)."""
        assert self.module is not None
        if self.facts is not None and self.facts.module is self.module:
            return self.facts
        return self._facts()

    def _facts(self) -> ModuleFacts:
        assert self.module is not None
        facts = ModuleFacts(
            self.module,
            statements=tuple(chain.from_iterable(chunk.statements for chunk in self.chunks)),
        )
        known: Mapping[int, tuple[Registration, ...]] = {
            id(chunk.statement): chunk.registrations
            for chunk in self.chunks
            if chunk.registrations is not None
        }
        facts.provide(known_registrations, known)
        facts.provide(class_info_cache, self._class_infos)
        facts.memo = self._memo
        facts.words = self._words
        return facts

    def _forget_classes(self, chunks: Iterable[Chunk]) -> None:
        """Drop the kept `ClassInfo`s of these (re-parsed) chunks' classes."""
        infos = self._class_infos
        if not infos:
            return
        for chunk in chunks:
            for stmt in chunk.statements:
                if type(stmt) is cst.ClassDef:
                    infos.pop(id(stmt), None)

    def _drop_registrations_into_replaced(self) -> None:
        """Forget kept registrations that point into a re-parsed statement."""
        replaced, self._replaced = self._replaced, set()
        if not replaced:
            return
        for chunk in self.chunks:
            if chunk.registrations and any(
                id(node) in replaced for reg in chunk.registrations for node in reg.nodes()
            ):
                chunk.registrations = None

    def _keep_registrations(self, facts: ModuleFacts, *, stale_findings: bool) -> None:
        """Remember each chunk's registrations (for `_facts` of the next versions); with
        `stale_findings`, a chunk whose registrations are not the ones its last walk saw is
        walked again (a call elsewhere registers its function anew, or no longer)."""
        owner = {
            id(stmt): index for index, chunk in enumerate(self.chunks) for stmt in chunk.statements
        }
        grouped: list[list[Registration]] = [[] for _ in self.chunks]
        for reg in registrations_of(facts):
            index = owner.get(id(reg.definition))
            if index is not None:
                grouped[index].append(reg)
        for chunk, regs in zip(self.chunks, grouped, strict=True):
            # Extracted anew (a name it mentions changed, a member of its class was
            # re-parsed) to the same registrations: the findings that read them stay (and so
            # do the objects they were read from).
            found = _kept_equal(tuple(regs), chunk.registered)
            chunk.registrations = found
            if chunk.registered == chunk.registrations:  # the same objects (compared by identity)
                continue
            previous, chunk.registered = chunk.registered, chunk.registrations
            if stale_findings:
                _registrations_changed(chunk, previous)

    # -- public ---------------------------------------------------------------------------
    def lint(self, text: str, config: Config) -> list[Finding]:
        """The findings `engine.lint(text, self.path, config)` would return."""
        started = time.perf_counter()
        enabled = config.enabled_codes(self.path)
        if not enabled:
            return []
        if "ignore-file" in text.lower() and find_suppressions(text).file_ignored:
            return []
        outcome = self._update(text, config)
        if isinstance(outcome, _Findings):
            self.stats = RunStats(
                outcome.mode, 0, len(self.chunks), frozenset(), time.perf_counter() - started
            )
            return outcome.findings
        parse_mode = outcome
        assert self.module is not None
        if config is not self._config:
            self._config = config
            self._invalidate_all()
        interface = self._module_interface()
        if interface != self._interface:
            names = self._changed_names(interface)
            if names is None:
                self._invalidate_all()
                for chunk in self.chunks:
                    chunk.registrations = None  # they may read any statement's interface
            else:
                self._invalidate_users(names)
        # The interface and the chunks it describes, for the next comparison (only the current
        # chunks: older ones would keep every statement replaced since alive).
        self._interface, self._interface_chunks = interface, list(self.chunks)
        self._drop_registrations_into_replaced()
        asked = self.facts is not None and registrations_extracted(self.facts)
        facts = self.facts = self._facts()
        if asked:
            # Rules read them last time: extract them first (cheap for the statements kept),
            # so the statements whose registrations changed are walked again.
            self._keep_registrations(facts, stale_findings=True)
        rows = self._statement_rows()
        for chunk in self.chunks:
            if chunk.stale and chunk.body is not None:
                # A class cut at its members is walked again whole: its reads are its
                # members' and its own part's joined, not kept apart per member.
                chunk.findings, chunk.used, chunk.stale = None, [], None
        walk, members = self._to_walk()
        rules_for = {
            i: frozenset(chunk.stale)
            for i, chunk in enumerate(self.chunks)
            if chunk.findings is not None and chunk.stale
        }
        suppressions = self._suppressions(text, rows)
        result = lint_statements(
            self.module,
            text,
            self.path,
            config,
            enabled,
            suppressions,
            statements=walk,
            statement_rows=rows,
            facts=facts,
            position_cache=_ChunkPositions(self.chunks),
            members=members,
            rules_for=rules_for,
        )
        if not asked and registrations_extracted(facts):
            self._keep_registrations(facts, stale_findings=False)
        for index in walk:
            chunk = self.chunks[index]
            rerun = rules_for.get(index)
            if rerun is None or chunk.findings is None:
                chunk.findings = []
                chunk.used = []
                chunk.reads = result.reads.get(index, {})
            else:
                # Only these rules ran again: the others' findings, suppressions and reads
                # stay.
                chunk.findings = [f for f in chunk.findings if f.code not in rerun]
                chunk.used = [(row, code) for row, code in chunk.used if code not in rerun]
                reads = {c: r for c, r in (chunk.reads or {}).items() if c not in rerun}
                reads.update(result.reads.get(index, {}))
                chunk.reads = reads
            chunk.stale = None
            for position in members[index][0] if index in members else ():
                member = _member(self.chunks, (index, position))
                member.findings, member.used = [], []
                member.reads = result.reads.get((index, position), {})
            if chunk.body is not None:
                chunk.reads = _joined_reads(
                    [chunk.reads, *(member.reads for member in chunk.body.members)]
                )
        volatile: list[Finding] = []
        used: set[tuple[int, str]] = set()
        for origin, finding in result.findings:
            if origin is None:
                volatile.append(finding)
            else:
                found = _holder(self.chunks, origin).findings
                assert found is not None
                found.append(finding)
        for origin, row, code in result.used:
            if origin is None:
                used.add((row, code))
            else:
                _holder(self.chunks, origin).used.append((row, code))
        merged: list[Finding] = []
        seen: set[tuple[str, Span, str]] = set()
        for finding in chain(
            chain.from_iterable(holder.findings or () for holder in self._holders()), volatile
        ):
            key = (finding.code, finding.span, finding.message)
            if key not in seen:
                seen.add(key)
                merged.append(finding)
        for holder in self._holders():
            used.update(holder.used)
        merged.extend(unused_suppression_findings(suppressions, used, enabled, self.path, config))
        merged.sort(key=lambda f: (f.span.start, f.code))
        self.stats = RunStats(
            parse_mode,
            len(walk) - len(rules_for),
            len(self.chunks),
            result.whole_module_codes,
            time.perf_counter() - started,
            sum(len(members[index][0]) for index in walk if index in members),
            len(rules_for),
            sum(map(len, rules_for.values())),
        )
        return merged

    def _to_walk(self) -> tuple[list[int], dict[int, tuple[list[int], MemberRows]]]:
        """The top-level statements to walk, and for each class cut at its members, the
        members to walk (all when the class itself must be) with their rows and positions.

        A class is walked when it or one of its members lost its findings; its own part and
        the statements of its body that are not methods are walked with it every time.
        """
        walk: list[int] = []
        members: dict[int, tuple[list[int], MemberRows]] = {}
        for index, chunk in enumerate(self.chunks):
            body = chunk.body
            if body is None:
                if chunk.findings is None or chunk.stale:
                    walk.append(index)
                continue
            listed = [
                position
                for position, member in enumerate(body.members)
                if chunk.findings is None or member.findings is None or not member.kept
            ]
            if chunk.findings is None or any(m.findings is None for m in body.members):
                walk.append(index)
            cache = _ChunkPositions(body.members)
            members[index] = (listed, MemberRows([m.rows for m in body.members], cache))
        return walk, members

    def _holders(self) -> Iterator[Chunk | Member]:
        """What keeps findings: each chunk (a cut class's own part) and each class member."""
        for chunk in self.chunks:
            yield chunk
            if chunk.body is not None:
                yield from chunk.body.members

    # -- parsing ----------------------------------------------------------------------------
    def _update(self, text: str, config: Config) -> str | _Findings:
        """Bring the tree up to `text`: "unchanged", "incremental", "full", or ready findings."""
        if text == self._good_text and self.module is not None:
            return "unchanged"
        if self.module is None or self._good_text is None:
            return self._full(text, config)
        located = self._locate(text)
        if located is None:
            return self._full(text, config)
        first, end, start_off, end_off = located
        if end == first + 1 and self._splice_members(text, first, text[start_off:end_off]):
            return "incremental"
        count = len(self.chunks)
        if (first == 0 and end == count) or (
            end_off - start_off > _MAX_REGION_SHARE * max(len(text), 1)
        ):
            return self._full(text, config)
        outcome = self._splice(text, first, end, start_off, end_off)
        if isinstance(outcome, str):
            return outcome
        if outcome is None:
            return self._full(text, config)
        if end < count:
            # The region alone does not parse. A full parse would see it followed by the rest
            # of the file (the statements before it are complete and unchanged): try that.
            if first == 0:
                return self._full(text, config)
            outcome = self._splice(text, first, count, start_off, len(text))
            if isinstance(outcome, str):
                return outcome
            if outcome is None:
                return self._full(text, config)
        # text[start_off:] does not parse, so neither does the file: report it as `lint` would
        # (its message comes from compiling the whole text), keeping the last good tree.
        error: cst.ParserSyntaxError | RecursionError = outcome
        # Only parser errors have a position ("error at L:C"); libcst's tokenizer errors and
        # code it cannot represent are reported on row 1 whatever the region.
        if isinstance(error, cst.ParserSyntaxError) and _ERROR_AT.search(error.message):
            shift = _rows(text[:start_off])
            message = _ERROR_AT.sub(
                lambda m: f"error at {int(m.group(1)) + shift}:", error.message, count=1
            )
            error = cst.ParserSyntaxError(
                message,
                lines=text.splitlines(keepends=True),
                raw_line=error.raw_line + shift,
                raw_column=error.raw_column,
            )
        return _Findings("syntax-error", syntax_error_findings(error, text, self.path, config))

    def _full(self, text: str, config: Config) -> str | _Findings:
        # What the last good version knew, for the statements a full parse gives back as
        # they were (kept while the text does not parse).
        carry = self._carry if self.module is None else self._carried()
        self._forget()
        self._carry = carry
        module = parse(text)
        if not isinstance(module, cst.Module):
            return _Findings("syntax-error", syntax_error_findings(module, text, self.path, config))
        header = "".join(module.code_for_node(line) for line in module.header)
        footer = "".join(module.code_for_node(line) for line in module.footer)
        texts = [module.code_for_node(stmt) for stmt in module.body]
        pieces: list[str] | None = [header, *texts, footer]
        if pieces is not None and not module.has_trailing_newline:
            pieces = _strip_final_newline(pieces)
        if pieces is None or "".join(pieces) != text:
            # Not expected from libcst; lint this version without caching anything.
            return _Findings(
                "full",
                lint_module(
                    module,
                    text,
                    self.path,
                    config,
                    config.enabled_codes(self.path),
                    find_suppressions(text),
                ),
            )
        self.module = module
        self.header, self.footer = pieces[0], pieces[-1]
        self.chunks = [
            Chunk.build(piece, stmt, module)
            for piece, stmt in zip(pieces[1:-1], module.body, strict=True)
        ]
        self._words = word_counts(text)
        self._good_text = text
        self._carry = None
        if carry is not None:
            self._adopt(carry)
        return "full"

    def _carried(self) -> _Carry | None:
        if not self.chunks:
            return None
        return _Carry(self.chunks, self._statement_rows(), self._interface, self._interface_chunks)

    def _adopt(self, carry: _Carry) -> None:
        """Give the statements a full parse found unchanged at either end of the file the
        findings, reads and registrations their previous chunks had (moved to their rows),
        and keep the previous interface: `lint` then re-lints only what the edit can affect,
        as after a splice. Registrations are extracted anew (the nodes are new): a statement
        with any is walked again."""
        old, new = carry.chunks, self.chunks
        rows = self._statement_rows()
        pairs: list[tuple[int, int]] = []
        while len(pairs) < min(len(old), len(new)) and (
            old[len(pairs)].text == new[len(pairs)].text
        ):
            pairs.append((len(pairs), len(pairs)))
        kept = len(pairs)
        tail = 1
        while tail <= min(len(old), len(new)) - kept and old[-tail].text == new[-tail].text:
            pairs.append((len(old) - tail, len(new) - tail))
            tail += 1
        for before, after in pairs:
            previous, chunk = old[before], new[after]
            if previous.findings is None or previous.body is not None:
                continue  # a class cut at its members kept findings in them: walked again
            chunk.findings, chunk.used = previous.findings, previous.used
            _move_cache(chunk, _Region(1, 1, rows[after] - carry.rows[before]))
            chunk.reads, chunk.stale = previous.reads, previous.stale
            chunk.registered = previous.registered
        self._interface, self._interface_chunks = carry.interface, carry.interface_chunks

    def _forget(self) -> None:
        self.module = None
        self._good_text = None
        self.chunks = []
        self.header = self.footer = ""
        self._interface = None
        self._interface_chunks = []
        self._replaced = set()
        self._class_infos = {}
        self._memo = {}
        self._words = None

    def _locate(self, text: str) -> tuple[int, int, int, int] | None:
        """Old chunks [first, end) that changed, and where they now lie in `text`."""
        chunks = self.chunks
        count = len(chunks)
        if not text.startswith(self.header) or not text.endswith(self.footer):
            return None
        if len(text) - len(self.footer) < len(self.header):
            return None
        first = 0
        offset = len(self.header)
        while first < count and text.startswith(chunks[first].text, offset):
            offset += len(chunks[first].text)
            first += 1
        end = count
        tail = len(text) - len(self.footer)
        while end > first:
            piece = chunks[end - 1].text
            if tail - len(piece) < offset or not text.startswith(piece, tail - len(piece)):
                break
            tail -= len(piece)
            end -= 1
        if first == end:
            # Text inserted between chunks (or only the header/footer changed): take a
            # neighbouring statement so the region holds one.
            if end < count:
                end += 1
            elif first > 0:
                first -= 1
            else:
                return None
        return self._extend(text, first, end)

    def _extend(self, text: str, first: int, end: int) -> tuple[int, int, int, int] | None:
        """Grow the region until its edges are places where a full parse would split too."""
        chunks = self.chunks
        count = len(chunks)
        while True:
            start_off = len(self.header) + sum(len(c.text) for c in chunks[:first])
            end_off = len(text) - len(self.footer) - sum(len(c.text) for c in chunks[end:])
            if end_off < start_off:
                return None
            region = text[start_off:end_off]
            if first > 0 and (
                _starts_indented(region)
                or _has_indented_comment(region)
                or chunks[first - 1].text.rstrip("\r\n").endswith("\\")
            ):
                first -= 1
                continue
            if end < count and (
                not region.endswith(("\n", "\r"))
                or region.rstrip("\r\n").endswith("\\")
                or _has_indented_comment(chunks[end].text)
            ):
                end += 1
                continue
            return first, end, start_off, end_off

    def _splice(
        self, text: str, first: int, end: int, start_off: int, end_off: int
    ) -> str | cst.ParserSyntaxError | RecursionError | None:
        """Parse the region alone and put its statements in place of chunks [first, end).

        Returns "incremental" when done, the parse error when the region does not parse, or
        None when the result could differ from a full parse (the caller parses everything).
        """
        assert self.module is not None
        old = self.module
        count = len(self.chunks)
        at_start, at_end = first == 0, end == count
        lo = 0 if at_start else start_off
        hi = len(text) if at_end else end_off
        region_text = text[lo:hi]
        region = parse(region_text)
        if not isinstance(region, cst.Module):
            return region
        body = list(region.body)
        header = list(region.header) if at_start else list(old.header)
        footer = list(region.footer) if at_end else list(old.footer)
        if not at_start and region.header:
            if not body:
                return None
            body[0] = body[0].with_changes(leading_lines=[*region.header, *body[0].leading_lines])
        if not at_end and region.footer:
            return None
        # The file's newline is its first one, its indent its first indented block's: a
        # region that would change either is not spliced.
        if at_start and region.default_newline != old.default_newline:
            return None
        indent = next(
            (
                found
                for found in chain(
                    (c.first_indent for c in self.chunks[:first]),
                    (_first_indent(s, region.default_indent) for s in body),
                    (c.first_indent for c in self.chunks[end:]),
                )
                if found is not None
            ),
            "    ",
        )
        if indent != old.default_indent:
            return None
        module = old.with_changes(
            body=[*old.body[:first], *body, *old.body[end:]],
            header=header,
            footer=footer,
            has_trailing_newline=region.has_trailing_newline
            if at_end
            else old.has_trailing_newline,
        )
        header_text = "".join(module.code_for_node(h) for h in header) if at_start else ""
        footer_text = "".join(module.code_for_node(f) for f in footer) if at_end else ""
        pieces: list[str] | None = [
            header_text,
            *(module.code_for_node(s) for s in body),
            footer_text,
        ]
        if pieces is not None and at_end and not module.has_trailing_newline:
            pieces = _strip_final_newline(pieces)
        if pieces is None or "".join(pieces) != region_text:
            return None
        new_chunks = [
            Chunk.build(piece, stmt, module) for piece, stmt in zip(pieces[1:-1], body, strict=True)
        ]
        header_rows = _rows(self.header)
        old_start = 1 + header_rows + sum(c.rows for c in self.chunks[:first])
        old_end = 1 + header_rows + sum(c.rows for c in self.chunks[:end])
        old_rows = sum(c.rows for c in self.chunks[first:end])
        new_rows = sum(c.rows for c in new_chunks)
        old_header, old_footer = self.header, self.footer
        if at_start:
            old_start = 1
            old_rows += header_rows
            new_rows += _rows(pieces[0])
            self.header = pieces[0]
        if at_end:
            old_end = _BEYOND
            self.footer = pieces[-1]
        edited = _Region(old_start, old_end, new_rows - old_rows)
        kept = [*self.chunks[:first], *self.chunks[end:]]
        if any(chunk.registrations for chunk in kept):
            for chunk in self.chunks[first:end]:
                self._replaced.update(id(node) for node in iter_subtree(chunk.statement))
        self._forget_classes(self.chunks[first:end])
        for chunk in self.chunks[first:end]:
            self._memo.pop(id(chunk.statement), None)
        if self._words is not None:
            # Counted per piece: pieces split at line breaks, where no word continues.
            for chunk in self.chunks[first:end]:
                self._words.subtract(word_counts(chunk.text))
            for piece in pieces[1:-1]:
                self._words.update(word_counts(piece))
            if at_start:
                self._words.subtract(word_counts(old_header))
                self._words.update(word_counts(self.header))
            if at_end:
                self._words.subtract(word_counts(old_footer))
                self._words.update(word_counts(self.footer))
        self.chunks = [*self.chunks[:first], *new_chunks, *self.chunks[end:]]
        self.module = module
        self._good_text = text
        for chunk in kept:
            _move_cache(chunk, edited)
        return "incremental"

    def _splice_members(self, text: str, index: int, new_text: str) -> bool:
        """Re-parse only the statements of a top-level class's body that changed, when the
        edit lies inside its body (`new_text` is the class's new text); False when that
        cannot be proven equal to a full parse (the caller splices the whole class)."""
        assert self.module is not None
        chunk = self.chunks[index]
        if type(chunk.statement) is not cst.ClassDef:
            return False
        body = chunk.body if chunk.body is not None else ClassBody.of(chunk, self.module)
        if body is None:
            return False
        chunk.body = body
        located = _locate_members(body, new_text)
        if located is None:
            return False
        first, end, start_off, end_off = located
        region = new_text[start_off:end_off]
        spliced = self._parse_members(region, body.indent)
        if spliced is None:
            return False
        cls = chunk.statement
        block = cls.body
        assert isinstance(block, cst.IndentedBlock)
        new_cls = cls.with_changes(
            body=block.with_changes(body=[*block.body[:first], *spliced, *block.body[end:]])
        )
        module = self.module.with_changes(
            body=[*self.module.body[:index], new_cls, *self.module.body[index + 1 :]]
        )
        members = [Member(code_in_block(module, stmt, body.indent), stmt, 0) for stmt in spliced]
        if "".join(member.text for member in members) != region:
            return False
        for member in members:
            member.rows = _rows(member.text)
        old_start = (
            self._statement_rows()[index]
            + _rows(body.head)
            + sum(member.rows for member in body.members[:first])
        )
        old_rows = sum(member.rows for member in body.members[first:end])
        edited = _Region(old_start, old_start + old_rows, sum(m.rows for m in members) - old_rows)
        new_body = replace(body, members=[*body.members[:first], *members, *body.members[end:]])
        new_chunk = Chunk.build(new_text, new_cls, module, new_body)
        # The class's own part is walked again with the edited members; what the others
        # found stays, moved with the rows.
        new_chunk.findings, new_chunk.used, new_chunk.reads = (
            chunk.findings,
            chunk.used,
            chunk.reads,
        )
        # What its last walk saw: registrations extracted anew equal to those (the kept
        # members' nodes are the same) keep their objects, and their members' findings.
        new_chunk.registered = chunk.registered
        kept = [*self.chunks[:index], *self.chunks[index + 1 :]]
        if any(other.registrations for other in kept):
            self._replaced.update((id(cls), id(block)))
            for stmt in block.body[first:end]:
                self._replaced.update(id(node) for node in iter_subtree(stmt))
        self._forget_classes([chunk])
        self._memo.pop(id(cls), None)
        if self._words is not None:
            # Counted per member: members split at line breaks, where no word continues.
            for member in body.members[first:end]:
                self._words.subtract(word_counts(member.text))
            for member in members:
                self._words.update(word_counts(member.text))
        self.chunks[index] = new_chunk
        self.module = module
        self._good_text = text
        for other in (*kept, new_chunk):
            _move_cache(other, edited)
        return True

    def _parse_members(self, region: str, indent: str) -> list[cst.BaseStatement] | None:
        """The statements of a class body's text, parsed inside a stand-in class, or None
        when they might differ from what a full parse finds there."""
        assert self.module is not None
        newline = self.module.default_newline
        wrapped = parse("class _:" + newline + region)
        if not isinstance(wrapped, cst.Module) or wrapped.header or wrapped.footer:
            return None
        if len(wrapped.body) != 1 or wrapped.default_newline != newline:
            return None
        # Its body is the stand-in's first indented block: the module's indent when the
        # statements are indented as in the class.
        if wrapped.default_indent != indent or not wrapped.has_trailing_newline:
            return None
        stand_in = wrapped.body[0]
        if type(stand_in) is not cst.ClassDef or type(stand_in.body) is not cst.IndentedBlock:
            return None
        block = stand_in.body
        # Comment lines after the last statement would be the footer of the stand-in, not the
        # next member's leading lines.
        if block.indent is not None or block.footer:
            return None
        return list(block.body)

    # -- lint state ----------------------------------------------------------------------
    def _invalidate_all(self) -> None:
        for chunk in self.chunks:
            chunk.findings = None
            chunk.used = []

    def _module_interface(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        exposed: set[str] = set()
        for chunk in self.chunks:
            exposed.update(chunk.exposed)
        per_chunk = tuple(
            chunk.text
            if chunk.defines is not None and chunk.defines in exposed
            else chunk.interface
            for chunk in self.chunks
        )
        bindings = tuple(
            f"{name} = {factory}()"
            for chunk in self.chunks
            for name, factory in chunk.bindings
            if name in exposed
        )
        return per_chunk, bindings

    def _changed_names(
        self, interface: tuple[tuple[str, ...], tuple[str, ...]]
    ) -> frozenset[str] | None:
        """The module-level names whose meaning the interface change may have changed, or
        None when any statement may be affected (then everything is re-linted).

        Narrowed when the statements whose interface changed are all plain module-level
        bindings (assignments and imports: a prompt constant being typed, an import added);
        their names, and the names bound by statements whose interface mentions one of them,
        over and over. Rules see other statements only through names they mention.
        """
        if self._interface is None or interface[1] != self._interface[1]:
            return None
        old, new = self._interface[0], interface[0]
        prefix = 0
        while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
            suffix += 1
        changed = [
            *self._interface_chunks[prefix : len(old) - suffix],
            *self.chunks[prefix : len(new) - suffix],
        ]
        names: set[str] = set()
        for chunk in changed:
            if not _plain_binding(chunk.statement):
                return None
            names.update(_names_in(chunk.statement))
        # What other statements see of a statement that mentions a changed name changes too.
        while True:
            pattern = _mentions(names)
            grown = set(names)
            for chunk, seen in zip(self.chunks, new, strict=True):
                if pattern is None or not pattern.search(seen):
                    continue
                if _plain_binding(chunk.statement):
                    grown.update(_names_in(chunk.statement))
                elif chunk.defines is not None:
                    grown.add(chunk.defines)
                else:
                    return None  # a compound statement at module level: may bind anything
            if grown == names:
                return frozenset(names)
            names = grown

    def _invalidate_users(self, names: frozenset[str]) -> None:
        """Re-extract the registrations of the statements mentioning a name; re-lint those
        mentioning one outside function bodies, and run again, over the others, the rules
        whose look-ups or fixes read one of the names, or the module's bindings as a whole
        (see `BindingReads`, recorded per statement and rule).

        Code in a function body sees module-level bindings only through look-ups that are
        recorded (the facts', `ModuleFacts.note_read`): a prompt constant used in many
        functions re-lints only the statements whose findings read it. Code outside function
        bodies (module and class level, signatures, decorators) is treated as the module's
        own scope by rules, which may read any binding it names: re-linted when it names one.
        """
        pattern = _mentions(names)
        if pattern is None:
            return
        for chunk in self.chunks:
            outside = False
            if pattern.search(chunk.text):
                chunk.registrations = None
                outside = pattern.search(_outside_function_bodies(chunk)) is not None
            if outside:
                chunk.findings = None
                chunk.used = []
            elif chunk.reads:
                # Per rule: only the rules whose reads the change touches run again.
                rules = {code for code, read in chunk.reads.items() if read.depends_on(names)}
                if rules:
                    chunk.stale = (chunk.stale or set()) | rules

    def _statement_rows(self) -> list[int]:
        rows: list[int] = []
        row = 1 + _rows(self.header)
        for chunk in self.chunks:
            rows.append(row)
            row += chunk.rows
        return rows

    def _suppressions(self, text: str, rows: Sequence[int]) -> Suppressions:
        lowered = text.lower()
        if "noqa" not in lowered and "agentsense:" not in lowered:
            return NONE
        if "ignore-file" in lowered:
            return find_suppressions(text)
        for piece in (self.header, self.footer):
            if not _tokenizes(piece):
                return NONE
        by_row: dict[int, Suppression] = {}
        for chunk, row in zip(self.chunks, rows, strict=True):
            if chunk.tokenizes is None:
                chunk.tokenizes = _tokenizes(chunk.text)
            if not chunk.tokenizes:
                return NONE
            if chunk.suppressions is None:
                found = find_suppressions(chunk.text)
                chunk.suppressions = tuple(found.by_row.values())
            for item in chunk.suppressions:
                by_row[item.row + row - 1] = replace(item, row=item.row + row - 1)
        footer_row = rows[-1] + self.chunks[-1].rows if self.chunks else 1 + _rows(self.header)
        for piece, row in ((self.header, 1), (self.footer, footer_row)):
            for item in find_suppressions(piece).by_row.values():
                by_row[item.row + row - 1] = replace(item, row=item.row + row - 1)
        return Suppressions(False, dict(sorted(by_row.items())))


def _registrations_changed(chunk: Chunk, previous: tuple[Registration, ...]) -> None:
    """Walk again what reads the chunk's registrations, now not the ones its last walk saw:
    the chunk, or for a cut class, the members whose registrations changed and the class's
    own part (walked with any member; alone, it takes the whole class)."""
    body = chunk.body
    if body is None:
        chunk.findings = None
        chunk.used = []
        return
    holder: dict[int, int] = {}
    for position, member in enumerate(body.members):
        derived = member.derived
        inner = derived.statements if derived is not None else iter_statements(member.statement)
        holder.update((id(stmt), position) for stmt in inner)
    seen: dict[int | None, list[Registration]] = {}
    now: dict[int | None, list[Registration]] = {}
    for regs, table in ((previous, seen), (chunk.registrations or (), now)):
        for reg in regs:
            table.setdefault(holder.get(id(reg.definition)), []).append(reg)
    own = False
    for changed in seen.keys() | now.keys():
        if seen.get(changed) == now.get(changed):  # the same objects (by identity)
            continue
        if changed is None:
            own = True
        else:
            body.members[changed].findings = None
            body.members[changed].used = []
    if own and all(member.findings is not None for member in body.members if member.kept):
        chunk.findings = None
        chunk.used = []


def _holder(chunks: Sequence[Chunk], origin: Origin) -> Chunk | Member:
    """The chunk, or the member of a cut class, whose walk made a report."""
    if isinstance(origin, int):
        return chunks[origin]
    return _member(chunks, origin)


def _member(chunks: Sequence[Chunk], origin: tuple[int, int]) -> Member:
    body = chunks[origin[0]].body
    assert body is not None
    return body.members[origin[1]]


def _joined_reads(
    reads: Iterable[Mapping[str, BindingReads] | None],
) -> dict[str, BindingReads]:
    """What several walks read of the module-level bindings together, by rule code."""
    joined: dict[str, BindingReads] = {}
    for by_rule in reads:
        for code, item in (by_rule or {}).items():
            into = joined.setdefault(code, BindingReads())
            into.names.update(item.names)
            into.whole = into.whole or item.whole
    return joined


class _ChunkPositions(MutableSequence["RelativePositions | None"]):
    """The chunks' (or a class's members') cached relative positions, as
    `StatementPositions` reads and fills them."""

    def __init__(self, chunks: Sequence[Chunk | Member]) -> None:
        self._chunks = chunks

    def __len__(self) -> int:
        return len(self._chunks)

    @overload
    def __getitem__(self, index: int) -> RelativePositions | None: ...
    @overload
    def __getitem__(self, index: slice) -> MutableSequence[RelativePositions | None]: ...
    def __getitem__(
        self, index: int | slice
    ) -> RelativePositions | MutableSequence[RelativePositions | None] | None:
        if isinstance(index, slice):
            return [chunk.positions for chunk in self._chunks[index]]
        return self._chunks[index].positions

    @overload
    def __setitem__(self, index: int, value: RelativePositions | None) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[RelativePositions | None]) -> None: ...
    def __setitem__(self, index: int | slice, value: object) -> None:
        if isinstance(index, slice):
            raise TypeError("slice assignment is not supported")
        self._chunks[index].positions = value  # type: ignore[assignment]

    def __delitem__(self, index: int | slice) -> None:
        raise TypeError("the chunks' positions cannot be deleted")

    def insert(self, index: int, value: RelativePositions | None) -> None:
        raise TypeError("the chunks' positions cannot be inserted")


def _opens_deeper(text: str, indent: str) -> bool:
    """Whether a class member just above could own the text's first lines (its footer): a
    blank line holding whitespace or a line indented deeper than `indent` before or at the
    first code line, or a first code line continuing a statement (`else:`)."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if line:
                return True
            continue
        if line.startswith(indent) and line[len(indent)] in " \t\f":
            return True
        if not stripped.startswith("#"):
            return bool(_CONTINUATION.match(stripped))
    return False


def _locate_members(body: ClassBody, text: str) -> tuple[int, int, int, int] | None:
    """Members [first, end) of the class body that changed, and where they now lie in the
    class's new `text`; None when the edit is not inside the body or its edges are not
    places where a full parse would split too."""
    head, tail, members = body.head, body.tail, body.members
    count = len(members)
    if len(text) < len(head) + len(tail) or not text.startswith(head) or not text.endswith(tail):
        return None
    first, offset = 0, len(head)
    while first < count and text.startswith(members[first].text, offset):
        offset += len(members[first].text)
        first += 1
    end, bound = count, len(text) - len(tail)
    while end > first:
        piece = members[end - 1].text
        if bound - len(piece) < offset or not text.startswith(piece, bound - len(piece)):
            break
        bound -= len(piece)
        end -= 1
    while True:
        start_off = len(head) + sum(len(m.text) for m in members[:first])
        end_off = len(text) - len(tail) - sum(len(m.text) for m in members[end:])
        if end_off < start_off:
            return None
        region = text[start_off:end_off]
        if first > 0 and (
            first == end
            or _opens_deeper(region, body.indent)
            or members[first - 1].text.rstrip("\r\n").endswith("\\")
        ):
            first -= 1
            continue
        if (
            first == end
            or not region.endswith(("\n", "\r"))
            or region.rstrip("\r\n").endswith("\\")
            or (end < count and _opens_deeper(members[end].text, body.indent))
        ):
            if end == count:
                return None
            end += 1
            continue
        if end == count and _opens_deeper(tail, body.indent):
            return None
        return first, end, start_off, end_off


def _strip_final_newline(pieces: list[str]) -> list[str] | None:
    """The pieces of a file without its last line break (libcst adds one to parse)."""
    out = list(pieces)
    for index in range(len(out) - 1, -1, -1):
        if out[index]:
            match = re.search(r"(\r\n|\r|\n)\Z", out[index])
            if match is None:
                return None
            out[index] = out[index][: match.start()]
            return out
    return None


def _shift_row(row: int, region: _Region) -> int | None:
    """The row in the new text, or None when it lies in the edited rows (0, no row, stays 0)."""
    if row < region.old_start_row:
        return row
    if row >= region.old_end_row:
        return row + region.delta
    return None


def _shift_location(location: Location, region: _Region) -> Location | None:
    row = _shift_row(location.row, region)
    if row is None:
        return None
    return location if row == location.row else Location(row, location.column)


def _shift_span(span: Span, region: _Region) -> Span | None:
    start = _shift_location(span.start, region)
    end = _shift_location(span.end, region)
    if start is None or end is None:
        return None
    return span if start is span.start and end is span.end else Span(start, end)


def _shift_finding(finding: Finding, region: _Region) -> Finding | None:
    """The finding positioned for the new text, or None when it touches the edited region."""
    span = _shift_span(finding.span, region)
    if span is None:
        return None
    noqa_row = _shift_row(finding.noqa_row, region)
    string_end_row = _shift_row(finding.string_end_row, region)
    if noqa_row is None or string_end_row is None:
        return None
    # Whether anything it points at moved (a finding above the edit stays the same object:
    # the server keeps its diagnostic, serialised, by identity).
    moved_any = (
        span is not finding.span
        or noqa_row != finding.noqa_row
        or string_end_row != finding.string_end_row
    )
    fix = finding.fix
    if fix is not None:
        edits: list[Edit] = []
        for edit in fix.edits:
            moved = _shift_span(edit.span, region)
            if moved is None:
                return None
            moved_any = moved_any or moved is not edit.span
            edits.append(edit if moved is edit.span else Edit(moved, edit.content))
        fix = Fix(fix.title, tuple(edits), fix.applicability)
    related: list[RelatedLocation] = []
    for item in finding.related:
        if item.path != finding.path:
            related.append(item)
            continue
        moved = _shift_span(item.span, region)
        if moved is None:
            return None
        moved_any = moved_any or moved is not item.span
        related.append(RelatedLocation(item.path, moved, item.message))
    if region.delta == 0 or not moved_any:
        return finding  # nothing it points at moved (and nothing is in the edited rows)
    return replace(
        finding,
        span=span,
        fix=fix,
        related=tuple(related),
        noqa_row=noqa_row,
        string_end_row=string_end_row,
    )


def _move_cache(chunk: Chunk | Member, region: _Region) -> None:
    """Re-position a kept chunk's cached findings after an edit elsewhere (or drop them),
    and those of its members when it is a class cut at them."""
    if chunk.findings is None:
        return
    if isinstance(chunk, Chunk) and chunk.body is not None:
        for member in chunk.body.members:
            _move_cache(member, region)
    moved: list[Finding] = []
    for finding in chunk.findings:
        shifted = _shift_finding(finding, region)
        if shifted is None:
            chunk.findings = None
            chunk.used = []
            return
        moved.append(shifted)
    used: list[tuple[int, str]] = []
    for row, code in chunk.used:
        moved_row = _shift_row(row, region)
        if moved_row is None:
            chunk.findings = None
            chunk.used = []
            return
        used.append((moved_row, code))
    chunk.findings = moved
    chunk.used = used
