"""The analysis engine: one parse, one batched walk of all enabled rules, then findings."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    MutableSequence,
    Sequence,
)
from dataclasses import dataclass, field, replace
from itertools import accumulate

import libcst as cst

from agentsense.analyzers.budget import (
    CHECK_EVERY,
    NotLinted,
    check_deadline,
    guard_recursion,
    in_deep_stack,
    request_deep_stack,
)
from agentsense.analyzers.config import Config
from agentsense.analyzers.context import FileContext, PendingReport
from agentsense.analyzers.cst_parse import parse_valid_python
from agentsense.analyzers.facts import BindingReads, ModuleFacts
from agentsense.analyzers.fixes import AddImport, FixBuilder, FixPlan, InsertStatements, apply_fixes
from agentsense.analyzers.model import (
    Applicability,
    Edit,
    Finding,
    Fix,
    Location,
    RelatedLocation,
    Span,
)
from agentsense.analyzers.positions import (
    MemberRows,
    Positions,
    RelativePositions,
    StatementPositions,
)
from agentsense.analyzers.registry import all_rules, project_rules, rules_by_code
from agentsense.analyzers.rule import Rule
from agentsense.analyzers.rules.builtin import ENGINE_CODES, SyntaxErrorRule, UnusedSuppression
from agentsense.analyzers.statement_rows import (
    PythonStatement,
    member_rows,
    python_statements,
    python_statements_of,
    python_tree,
    statement_rows,
    statement_spans,
)
from agentsense.analyzers.suppression import (
    OUR_PREFIX,
    Suppression,
    Suppressions,
    find_suppressions,
)
from agentsense.analyzers.walk import (
    PushChildren,
    child_pusher,
    children,
    statement_child_pusher,
)

SYNTAX_ERROR = SyntaxErrorRule.code
UNUSED_SUPPRESSION = UnusedSuppression.code
_ENGINE_CODES = ENGINE_CODES
NodeHandler = Callable[[cst.CSTNode], None]


# Deeper than this (levels of Python's own syntax tree) a file is not linted: libcst's parser
# takes time that grows much faster than the depth (a 4 000-term `+` chain: tens of seconds,
# holding the GIL, so no deadline can stop it) and overflows its stack further on. CPython
# 3.11 itself refuses about 3 000 levels.
MAX_NESTING = 2500
# From this depth on, libcst's native parser runs on a large stack.
_DEEP_NESTING = 200


def nesting_depth(
    tree: ast.AST, stop_at: int, exact_from: int = 0, source: str | None = None
) -> int:
    """The depth of an `ast` tree (iteratively), at most `stop_at`.

    Exact when it is `exact_from` or more; below that, possibly less than the true depth: a
    node too narrow to hold `exact_from` levels is counted, not entered, so ordinary files
    cost little. Below a node of `width` bytes lie at most `2 * width + _SLACK` levels
    (every level but the few that wrap their only child, `Expr` or `withitem`, owns a byte
    of its own: an operator, a bracket, a keyword, a name), and an expression on one line
    is narrower still (one level per byte). `source` (the text `tree` was parsed from) gives
    the widths of nodes spanning lines; without it only one-line nodes are skipped.
    """
    line_starts = _line_starts(source) if source is not None else None
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest >= stop_at:
                return stop_at
        end_line = getattr(node, "end_lineno", None)
        if end_line is not None:
            line: int = node.lineno  # type: ignore[attr-defined]  # what has an end has a start
            start: int = node.col_offset  # type: ignore[attr-defined]
            end: int = node.end_col_offset or 0  # type: ignore[attr-defined]
            if end_line == line:
                width = end - start
                if isinstance(node, ast.expr) and depth + width < exact_from:
                    continue
            elif line_starts is not None:
                width = line_starts[end_line - 1] + end - line_starts[line - 1] - start
            else:
                width = exact_from
            if depth + 2 * width + _SLACK < exact_from:
                continue
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


# Levels below a node that own no byte of it: the `ctx` and operator leaves, and the
# `FormattedValue` / format-spec `JoinedStr` levels of f-strings, which CPython 3.11 gives the
# whole f-string's span (a few per level of f-string nesting, which has at most four).
_SLACK = 32


def _line_starts(source: str) -> list[int]:
    """The UTF-8 byte offset where each line starts (`ast` columns count bytes), lines split
    as CPython's tokenizer does (`\\n`, `\\r\\n`, `\\r`)."""
    lines = source.encode("utf-8", "surrogatepass").splitlines(keepends=True)
    return [0, *accumulate(map(len, lines))]


def _python_syntax_tree(source: str) -> ast.Module | SyntaxError:
    """CPython's own parse (fast and linear), or its SyntaxError."""
    try:
        return python_tree(source)
    except SyntaxError as error:
        return error
    except ValueError as error:  # NUL bytes (the front ends refuse those first)
        return SyntaxError(str(error))
    except (RecursionError, MemoryError):
        raise NotLinted("the code is nested more deeply than Python's own parser accepts") from None


def parse(source: str) -> cst.Module | cst.ParserSyntaxError | RecursionError:
    """Parse, returning the error instead of raising it.

    Raises `NotLinted` for code nested deeper than `MAX_NESTING` (see there). CPython's
    parser looks first: it measures the depth, and its "too many nested parentheses" (which
    every Python version refuses) is reported without making libcst try. Text it accepts is
    parsed by `parse_valid_python` (libcst's tree, without re-validating what the parser
    guarantees); other text by `libcst.parse_module` itself.
    """
    return parse_with_statements(source)[0]


def parse_with_statements(
    source: str,
) -> tuple[cst.Module | cst.ParserSyntaxError | RecursionError, list[PythonStatement] | None]:
    """`parse`, with the top-level statements of CPython's tree when it has one (for
    `statement_rows`, `statement_spans`)."""
    python = _python_syntax_tree(source)
    depth = 0
    statements = None
    # What CPython refuses, libcst may still build (and reject in its node checks): that
    # text is parsed with every check.
    parse_module: Callable[[str], cst.Module] = cst.parse_module
    if isinstance(python, SyntaxError):
        if "too many nested parentheses" in (python.msg or ""):
            error = cst.ParserSyntaxError(
                python.msg,
                lines=source.splitlines(keepends=True) or [""],
                raw_line=max(python.lineno or 1, 1),
                raw_column=max((python.offset or 1) - 1, 0),
            )
            return error, None
    else:
        depth = nesting_depth(python, MAX_NESTING + 1, _DEEP_NESTING, source)
        if depth > MAX_NESTING:
            raise NotLinted(
                f"expressions nested more than {MAX_NESTING} levels deep "
                "(the parser would take minutes)"
            )
        statements = python_statements(python)
        parse_module = parse_valid_python
    del python  # larger than libcst's tree: not kept while libcst parses
    check_deadline()
    if depth >= _DEEP_NESTING:
        request_deep_stack()
        return in_deep_stack(lambda: _parse_with_libcst(source, parse_module)), statements
    return _parse_with_libcst(source, parse_module), statements


def _parse_with_libcst(
    source: str, parse_module: Callable[[str], cst.Module]
) -> cst.Module | cst.ParserSyntaxError | RecursionError:
    try:
        return parse_module(source)
    except cst.ParserSyntaxError as error:
        return error
    except RecursionError as error:
        return error
    except cst.CSTValidationError as error:
        # Valid Python libcst parses but cannot represent (`return.0`): reported as a file
        # that cannot be checked, instead of an exception escaping the engine.
        return cst.ParserSyntaxError(
            f"libcst cannot represent this code: {error}",
            lines=source.splitlines(keepends=True) or [""],
            raw_line=1,
            raw_column=0,
        )


def lint(source: str, path: str, config: Config | None = None) -> list[Finding]:
    """All findings for one file's text, sorted by position.

    Raises `NotLinted` for code too deeply nested to analyse (or past the caller's
    `time_budget`); deeply nested code that can be analysed is, on a large stack.
    """
    return guard_recursion(lambda: _lint(source, path, config))


def _lint(source: str, path: str, config: Config | None) -> list[Finding]:
    config = config if config is not None else Config.default()
    enabled = config.enabled_codes(path)
    if not enabled:
        return []
    # A file ignored whole is not parsed; other files' directives are read after the parse,
    # which tells `find_suppressions` where the statements are.
    early = find_suppressions(source) if "ignore-file" in source.lower() else None
    if early is not None and early.file_ignored:
        return []
    tree, python = parse_with_statements(source)
    suppressions = (
        early if early is not None else find_suppressions(source, statement_spans(python))
    )
    if not isinstance(tree, cst.Module):
        return _syntax_error(tree, source, path, config) if SYNTAX_ERROR in enabled else []
    return lint_module(tree, source, path, config, enabled, suppressions, python=python)


def lint_module(
    module: cst.Module,
    source: str,
    path: str,
    config: Config,
    enabled: frozenset[str],
    suppressions: Suppressions,
    *,
    facts: ModuleFacts | None = None,
    python: Sequence[PythonStatement] | None = None,
) -> list[Finding]:
    """Run the enabled rules over a parsed module (with its `facts` when the caller has them,
    and `python_statements` of CPython's tree of `source` when it has them: `statement_rows`
    then does not compile the source again)."""
    context = FileContext(source, path, module)
    if facts is not None:
        context.__dict__["facts"] = facts
    rules = [
        cls(context, config.options_for(cls))
        for cls in all_rules()
        if cls.code in enabled and cls.code not in _ENGINE_CODES
    ]
    walk(context, rules)
    findings, used = _resolve(context, config, suppressions, python)
    if UNUSED_SUPPRESSION in enabled:
        findings.extend(_unused_suppressions(suppressions, used, enabled, path, config))
    findings.sort(key=lambda f: (f.span.start, f.code))
    return findings


def _dispatch_tables(
    rules: Iterable[Rule],
    reading: tuple[Mapping[str, list[BindingReads]], ModuleFacts] | None = None,
) -> tuple[dict[type[cst.CSTNode], list[NodeHandler]], dict[type[cst.CSTNode], list[NodeHandler]]]:
    """Every rule's visit and leave handlers, by node type, in rule order.

    `reading` (each rule's reads slot, and the facts): each handler first points the facts'
    reads at its rule's slot, so that one walk records what each rule read
    (`walk(..., reads_per_rule=True)`).
    """
    visit: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    leave: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    for rule in rules:
        visits, leaves = _handler_table(type(rule))
        for table, entries in ((visit, visits), (leave, leaves)):
            for node_type, method in entries:
                handler = getattr(rule, method)
                if reading is not None:
                    handler = _reading(handler, reading[0][rule.code], reading[1])
                table[node_type].append(handler)
    return visit, leave


# Where a report was made: the index in `module.body` of the top-level statement whose walk
# made it, or (that index, the index in its class body) for a member of a class walked member
# by member (see `walk`'s `members`).
Origin = int | tuple[int, int]


@dataclass(frozen=True, slots=True)
class Walked:
    """What `walk` saw, for the incremental engine."""

    # For each report made, the statement (or class member) whose walk made it (None: made by
    # a `Module` handler or by a rule whose findings read the walk of every statement, see
    # `walks_whole_module`).
    origins: list[Origin | None]
    # With `reads_per_rule`: what each walked statement's (or member's) rules read of the
    # module-level bindings through the facts, by rule code (rules that read nothing are left
    # out); a class walked member by member reads its own part (header, decorators, the
    # members not listed) under its index.
    reads: dict[Origin, dict[str, BindingReads]]


def walk(
    context: FileContext,
    rules: Sequence[Rule],
    statements: Collection[int] | None = None,
    members: Mapping[int, Collection[int]] | None = None,
    *,
    rules_for: Mapping[int, Collection[str]] | None = None,
    reads_per_rule: bool = False,
) -> Walked:
    """One iterative depth-first walk of `context.module`, dispatching to every rule's
    handlers by node type.

    `statements`: walk only these top-level statements (the editor's incremental engine
    keeps the others' findings); rules that walk the whole module still see every statement.
    `members`: for a top-level class among them, the indexes of its body's statements to
    walk; its other members are treated as statements not walked, the class itself (its
    header, decorators, bases) is walked, and each listed member's reports and reads are
    kept apart under (statement, member).
    `rules_for`: of a chosen statement, walk only these rules (the others' findings are
    kept). `reads_per_rule`: record the facts' binding reads per statement and rule.
    """
    module = context.module
    visit, leave = _dispatch_tables(rules)
    module_visit, module_leave = visit.pop(cst.Module, []), leave.pop(cst.Module, [])
    whole_rules = [rule for rule in rules if walks_whole_module(type(rule))]
    whole_codes = {rule.code for rule in whole_rules}
    facts = context.facts if reads_per_rule else None
    slots: dict[str, list[BindingReads]] = {rule.code: [BindingReads()] for rule in rules}
    tables: dict[tuple[bool, frozenset[str] | None], _Tables] = {}

    def tables_for(codes: frozenset[str] | None, chosen: bool) -> _Tables:
        key = (chosen, codes) if chosen else (False, frozenset(whole_codes))
        found = tables.get(key)
        if found is None:
            if key == (True, None) or statements is None:
                picked, pair = rules, (visit, leave)
            else:
                wanted = key[1] or frozenset()
                picked = [r for r in rules if r.code in wanted or r.code in whole_codes]
                pair = _dispatch_tables(picked)
                pair[0].pop(cst.Module, None)
                pair[1].pop(cst.Module, None)
            # Statements no handler looks into are skipped; one walked only for handlers of
            # statement kinds need not enter expressions.
            structural = all(issubclass(t, _STRUCTURAL) for t in (*pair[0], *pair[1]))
            if chosen and facts is not None:
                pair = _dispatch_tables(picked, (slots, facts))
                pair[0].pop(cst.Module, None)
                pair[1].pop(cst.Module, None)
            found = tables[key] = _Tables(pair[0], pair[1], structural and not chosen, picked)
        return found

    def harvest(table: _Tables) -> dict[str, BindingReads]:
        """The reads the table's rules recorded since the last harvest, by rule code."""
        found: dict[str, BindingReads] = {}
        for rule in table.rules:
            slot = slots[rule.code]
            if slot[0].names or slot[0].whole:
                found[rule.code] = slot[0]
                slot[0] = BindingReads()
        return found

    reports = context.reports
    path = context.path_stack
    path.append(module)
    for handler in module_visit:
        handler(module)
    origins: list[Origin | None] = [None] * len(reports)
    reads: dict[Origin, dict[str, BindingReads]] = {}

    def walk_member(member: cst.CSTNode, table: _Tables, origin: Origin) -> None:
        """A listed class member, its reads kept apart from its class's own part's."""
        if facts is None:
            _walk_subtree(member, path, table)
            return
        own = {rule.code: slots[rule.code][0] for rule in table.rules}
        for rule in table.rules:
            slots[rule.code][0] = BindingReads()
        _walk_subtree(member, path, table)
        reads[origin] = harvest(table)
        for code, read in own.items():
            slots[code][0] = read

    for index, stmt in enumerate(module.body):
        chosen = statements is None or index in statements
        codes = rules_for.get(index) if chosen and rules_for is not None else None
        table = tables_for(frozenset(codes) if codes is not None else None, chosen)
        if not table.visit and not table.leave:
            continue
        check_deadline()  # per statement: the walk's own count restarts with each one
        listed = members.get(index) if chosen and members is not None else None
        if listed is not None and type(stmt) is cst.ClassDef:
            _walk_class_members(
                stmt,
                (index, listed),
                path,
                (table, tables_for(None, False)),
                walk_member,
                (context, origins, whole_codes),
            )
        else:
            _walk_subtree(stmt, path, table, structural=table.structural)
        origins.extend(
            None if not chosen or report.code in whole_codes else index
            for report in reports[len(origins) :]
        )
        if chosen and facts is not None:
            reads[index] = harvest(table)
            facts.reads = BindingReads()
    for handler in module_leave:
        handler(module)
    path.pop()
    origins.extend([None] * (len(reports) - len(origins)))
    return Walked(origins, reads)


@dataclass(frozen=True, slots=True)
class _Tables:
    """The handlers a statement is walked with (by node type), and their rules."""

    visit: dict[type[cst.CSTNode], list[NodeHandler]]
    leave: dict[type[cst.CSTNode], list[NodeHandler]]
    structural: bool
    rules: Sequence[Rule]
    # What `_walk_subtree` does per node type, built as types are met (`_plan`).
    plans: dict[type[cst.CSTNode], _Plan] = field(default_factory=dict)
    structural_plans: dict[type[cst.CSTNode], _Plan] = field(default_factory=dict)


def _walk_class_members(
    cls: cst.ClassDef,
    listed: tuple[int, Collection[int]],
    path: list[cst.CSTNode],
    tables: tuple[_Tables, _Tables],
    walk_member: Callable[[cst.CSTNode, _Tables, Origin], None],
    record: tuple[FileContext, list[Origin | None], set[str]],
) -> None:
    """`_walk_subtree(cls)` (the same nodes, order and ancestors) with every rule but for the
    class-body members not `listed`, walked as the statements not chosen are.

    The reports of each listed member get the origin (statement, member) and its reads are
    recorded apart (`walk_member`); the rest of the class's reports are left to the caller
    (the statement's).
    """
    index, chosen = listed
    table, other = tables
    visit, leave = table.visit, table.leave
    context, origins, whole_codes = record
    reports = context.reports

    def settle(origin: Origin | None) -> None:
        origins.extend(
            None if origin is None or report.code in whole_codes else origin
            for report in reports[len(origins) :]
        )

    path.append(cls)
    for handler in visit.get(cst.ClassDef, ()):
        handler(cls)
    block = cls.body
    for child in children(cls):
        if child is not block or type(block) is not cst.IndentedBlock:
            _walk_subtree(child, path, table)
            continue
        path.append(block)
        for handler in visit.get(cst.IndentedBlock, ()):
            handler(block)
        for position, member in enumerate(block.body):
            settle(index)
            if position not in chosen:
                if other.visit or other.leave:
                    _walk_subtree(member, path, other, structural=other.structural)
                    settle(None)
                continue
            check_deadline()
            walk_member(member, table, (index, position))
            settle((index, position))
        for handler in leave.get(cst.IndentedBlock, ()):
            handler(block)
        path.pop()
    for handler in leave.get(cst.ClassDef, ()):
        handler(cls)
    path.pop()


def _resolve(
    context: FileContext,
    config: Config,
    suppressions: Suppressions,
    python: Sequence[PythonStatement] | None,
) -> tuple[list[Finding], set[tuple[int, str]]]:
    """Turn pending reports into findings: positions, suppressions, severities, fixes."""
    if not context.reports:
        return [], set()
    findings: list[Finding] = []
    used: set[tuple[int, str]] = set()
    positions = _report_positions(context, python)
    for _, finding, hit in _resolve_each(context, config, suppressions, positions):
        if finding is not None:
            findings.append(finding)
        if hit is not None:
            used.add(hit)
    return findings, used


def _report_positions(context: FileContext, python: Sequence[PythonStatement] | None) -> Positions:
    """Positions for the reports of a whole-module walk: only the top-level statements that
    hold a report are generated (their first rows read from CPython's parse), and of a class
    whose body holds a report, its own part and the body's statement holding it (as the
    editor does, `MemberRows`), unless a report lies outside them; every node's positions
    when the rows cannot be known exactly."""
    module = context.module
    if all(report.search_root is module for report in context.reports):
        return Positions(module)  # reports of `Module` handlers: no statement to start from
    if python is None:
        python = python_statements_of(context.source)
        if python is None:
            return Positions(module)
    rows = statement_rows(module, context.source, python)
    if rows is None:
        return Positions(module)
    in_members = {id(r.search_root) for r in context.reports if r.member is not None}
    classes = [i for i, stmt in enumerate(module.body) if id(stmt) in in_members]
    found = member_rows(module, context.source, rows, python, classes) if classes else {}
    members = {i: MemberRows(counts) for i, counts in found.items()}
    positions = StatementPositions(module, rows, members=members)
    for report in context.reports:
        if report.member is not None:
            positions.ensure(report.member, within=report.search_root)
            nodes = (report.node, report.end_node, *(node for node, _ in report.related))
            if positions.computed(*nodes):
                continue
        # A report made outside a class body, or pointing at a node elsewhere in the class
        # (another member): its whole statement, not the whole module `span` would generate.
        positions.ensure(report.search_root)
    return positions


def _resolve_each(
    context: FileContext, config: Config, suppressions: Suppressions, positions: Positions
) -> Iterator[tuple[PendingReport, Finding | None, tuple[int, str] | None]]:
    """Each surviving report with its finding, or with the suppression (row, code) it hit."""
    fixes = FixBuilder(context.source, context.module, positions, context.facts)
    seen: set[tuple[str, Span, str]] = set()
    parents: dict[int, dict[int, cst.CSTNode]] = {}  # id(search root) -> its parent map
    for report in context.reports:
        check_deadline()  # each report may render a whole statement for its fix
        rule = rules_by_code()[report.code]
        span = positions.span(report.node, report.end_node)
        key = (rule.code, span, report.message)
        if key in seen:
            continue
        seen.add(key)
        chain = _report_chain(report, parents)
        statement = next(
            (
                n
                for n in reversed(chain)
                if isinstance(n, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
            ),
            None,
        )
        noqa_row = positions.span(statement).start.row if statement is not None else span.start.row
        string_end_row = _string_end_row(chain, span.start.row, positions)
        hit = _suppressed(suppressions, (span.start.row, noqa_row, string_end_row), rule.code)
        if hit is not None:
            yield report, None, (hit.row, rule.code)
            continue
        top_level = chain[1] if isinstance(chain[0], cst.Module) and len(chain) > 1 else chain[0]
        fix = (
            fixes.build(report.fix, top_level, _class_member(chain, context.module))
            if report.fix is not None
            else None
        )
        yield (
            report,
            Finding(
                code=rule.code,
                name=rule.name,
                message=report.message,
                severity=config.severity_for(rule),
                path=context.path,
                span=span,
                fix=fix,
                noqa_row=noqa_row,
                string_end_row=string_end_row,
                secrets=report.secrets,
                related=tuple(
                    RelatedLocation(context.path, positions.span(node), note)
                    for node, note in report.related
                ),
            ),
            None,
        )


def _class_member(
    chain: Sequence[cst.CSTNode], module: cst.Module
) -> tuple[cst.BaseStatement, str] | None:
    """The statement of a top-level class's body on the chain (which starts at the module or
    at a top-level statement), with the body's indentation."""
    start = 1 if isinstance(chain[0], cst.Module) else 0
    if len(chain) < start + 3:
        return None
    cls, block, member = chain[start], chain[start + 1], chain[start + 2]
    if not isinstance(cls, cst.ClassDef) or not isinstance(block, cst.IndentedBlock):
        return None
    if not isinstance(member, cst.BaseStatement):
        return None
    return member, block.indent if block.indent is not None else module.default_indent


def _report_chain(
    report: PendingReport, parents: dict[int, dict[int, cst.CSTNode]]
) -> list[cst.CSTNode]:
    """The nodes from the report's search root down to its node: through the class member
    the walk was in when it holds the node (a long class is not searched whole)."""
    member, root = report.member, report.search_root
    if member is not None and type(root) is cst.ClassDef:
        inner = _chain(member, report.node, parents)
        if inner[-1] is report.node:
            return [root, root.body, *inner]
    return _chain(root, report.node, parents)


def _chain(
    root: cst.CSTNode, node: cst.CSTNode, parents: dict[int, dict[int, cst.CSTNode]]
) -> list[cst.CSTNode]:
    """The nodes from `root` down to `node`, through one parent map per root.

    Many reports in one long statement would each search it again (quadratic); the map is
    built once per statement and each chain costs its depth.
    """
    table = parents.get(id(root))
    if table is None:
        table = parents[id(root)] = {}
        stack = [root]
        while stack:
            current = stack.pop()
            for child in children(current):
                table[id(child)] = current
                stack.append(child)
    chain = [node]
    while chain[-1] is not root:
        parent = table.get(id(chain[-1]))
        if parent is None:
            return [root]  # not below the root (a report on a node it does not hold)
        chain.append(parent)
    chain.reverse()
    return chain


_STRING_TOKENS = (cst.SimpleString, cst.FormattedString)


def _string_end_row(chain: Sequence[cst.CSTNode], row: int, positions: Positions) -> int:
    """The last row of the innermost multi-line string literal around the report whose rows
    include `row` (before the last), or 0."""
    for node in reversed(chain):
        if isinstance(node, _STRING_TOKENS):
            span = positions.span(node)
            if span.start.row <= row < span.end.row:
                return span.end.row
    return 0


def _suppressed(suppressions: Suppressions, rows: tuple[int, ...], code: str) -> Suppression | None:
    for row in rows:
        if row <= 0:
            continue
        hit = suppressions.matches(row, code)
        if hit is not None:
            return hit
    return None


def _syntax_error(
    error: cst.ParserSyntaxError | RecursionError, source: str, path: str, config: Config
) -> list[Finding]:
    rule = rules_by_code()[SYNTAX_ERROR]
    if not isinstance(error, cst.ParserSyntaxError):
        raise NotLinted("the code is nested too deeply to parse")
    row, column = error.raw_line, error.raw_column + 1
    detail = error.message.splitlines()[0] if error.message else "invalid syntax"
    # CPython's parser names the problem better ("'(' was never closed"); ask it too.
    try:
        python_tree(source)
    except SyntaxError as py_error:
        if py_error.lineno:
            row, column = py_error.lineno, max(py_error.offset or 1, 1)
            detail = py_error.msg
        message = f"syntax error: {detail}"
    except (ValueError, RecursionError, MemoryError):
        message = f"syntax error: {detail}"
    else:
        # Python accepts it (`(x): int`): the file is valid, only our parser cannot read it.
        message = "not analysed: the parser does not support this construct"
    start = Location(max(row, 1), max(column, 1))
    return [
        Finding(
            code=rule.code,
            name=rule.name,
            message=message,
            severity=config.severity_for(rule),
            path=path,
            span=Span(start, Location(start.row, start.column + 1)),
            noqa_row=start.row,
        )
    ]


def _unused_suppressions(
    suppressions: Suppressions,
    used: set[tuple[int, str]],
    enabled: frozenset[str],
    path: str,
    config: Config,
) -> list[Finding]:
    """A `# noqa: AGTxxx` whose code matched nothing on its row (only for rules that ran)."""
    rule = rules_by_code()[UNUSED_SUPPRESSION]
    known = rules_by_code()
    findings: list[Finding] = []
    for row, suppression in suppressions.by_row.items():
        ours = [c for c in suppression.codes if c.startswith(OUR_PREFIX)]
        if not ours:
            continue
        unused = [
            c
            for c in ours
            if (row, c) not in used and (c not in known or c in enabled) and c not in _ENGINE_CODES
        ]
        if not unused:
            continue
        span = Span(Location(row, suppression.column), Location(row, suppression.end_column))
        findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                message=_unused_message(unused),
                severity=config.severity_for(rule),
                path=path,
                span=span,
                fix=_remove_codes_fix(suppression, unused),
                noqa_row=row,
            )
        )
    return findings


_UNUSED_PREFIX = "unused suppression for "


def _unused_message(unused: Sequence[str]) -> str:
    known = rules_by_code()
    unknown = [c for c in unused if c not in known]
    message = _UNUSED_PREFIX + ", ".join(unused)
    if unknown:
        message += f" (unknown code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)})"
    return message


def unused_suppression_codes(finding: Finding) -> tuple[str, ...]:
    """The codes an unused-suppression finding (AGT900) names (empty for any other finding)."""
    if finding.code != UNUSED_SUPPRESSION or not finding.message.startswith(_UNUSED_PREFIX):
        return ()
    names = finding.message[len(_UNUSED_PREFIX) :].split(" (", 1)[0]
    return tuple(name.strip() for name in names.split(",") if name.strip())


def narrow_unused_suppression(finding: Finding, used: Collection[str]) -> Finding | None:
    """An unused-suppression finding without the `used` codes (they silenced a finding the
    file's own lint could not see, in the project-wide pass): None when nothing is left
    unused, the finding itself when it named none of them or is not AGT900."""
    codes = unused_suppression_codes(finding)
    if not codes or not any(code in used for code in codes):
        return finding
    left = [code for code in codes if code not in used]
    if not left:
        return None
    # The fix rewrote the comment without every code it named: it would remove a used one.
    # Which codes the comment keeps, in which spelling, is in the source only: no fix then.
    return replace(finding, message=_unused_message(left), fix=None)


def _project_codes_in(finding: Finding) -> bool:
    """Whether an unused-suppression finding names a cross-file rule's code: the file alone
    cannot tell whether it silences a finding in the project-wide pass."""
    codes = unused_suppression_codes(finding)
    return bool(codes) and any(rule.code in codes for rule in project_rules())


def _remove_codes_fix(suppression: Suppression, unused: list[str]) -> Fix:
    kept = [c for c in suppression.codes if c not in unused]
    start_col, end_col = suppression.column, suppression.end_column
    directive = suppression.comment[
        start_col - suppression.comment_column : end_col - suppression.comment_column
    ]
    if kept:
        if directive.lower().lstrip("# ").startswith("noqa"):
            content = "# noqa: " + ", ".join(kept)
        else:
            content = "# agentsense: ignore[" + ", ".join(kept) + "]"
        edit = Edit(
            Span(Location(suppression.row, start_col), Location(suppression.row, end_col)),
            content,
        )
        return Fix("Remove unused codes from the suppression", (edit,), Applicability.SAFE)
    rest = suppression.comment[end_col - suppression.comment_column :].strip()
    # Remove the directive and the spaces before it; keep any other comment text.
    if rest:
        # Keep the `#` so the rest of the comment stays a comment.
        edit = Edit(
            Span(Location(suppression.row, start_col + 1), Location(suppression.row, end_col)),
            "",
        )
    else:
        edit = Edit(
            Span(
                Location(suppression.row, suppression.leading_space_column),
                Location(suppression.row, suppression.comment_column + len(suppression.comment)),
            ),
            "",
        )
    return Fix("Remove unused suppression", (edit,), Applicability.SAFE)


MAX_FIX_PASSES = 10


def fix_source(
    source: str, path: str, config: Config | None = None, *, unsafe: bool = False
) -> tuple[str, int, list[Finding]]:
    """Apply fixes until none applies (overlapping fixes wait for the next pass).

    Returns the fixed text, how many fixes were applied, and the findings that remain.
    Raises `NotLinted` as `lint` does.
    """
    return guard_recursion(lambda: _fix_source(source, path, config, unsafe))


def _fix_source(
    source: str, path: str, config: Config | None, unsafe: bool
) -> tuple[str, int, list[Finding]]:
    applied_total = 0
    findings = lint(source, path, config)
    for _ in range(MAX_FIX_PASSES):
        check_deadline()
        # A suppression of a cross-file rule's code may be used by the project-wide pass,
        # which a file's fixes never see: it is reported when unused, never removed here.
        fixes = [
            f.fix
            for f in findings
            if f.fix is not None
            and (unsafe or f.fix.applicability is Applicability.SAFE)
            and not _project_codes_in(f)
        ]
        if not fixes:
            break
        fixed, applied = apply_fixes(source, fixes)
        if applied == 0 or fixed == source:
            break
        if not isinstance(parse(fixed), cst.Module):
            break  # never write a fix that breaks the file: keep the last good text
        source, applied_total = fixed, applied_total + applied
        findings = lint(source, path, config)
    return source, applied_total, findings


# -- Linting chosen top-level statements (the editor's incremental path) -------------------
#
# The incremental engine (analyzers/incremental.py) keeps each top-level statement's findings
# and re-walks only the statements an edit can affect: it re-walks every statement whenever
# the module's *interface* changes (imports, module-level code, class bodies but the bodies of
# plain methods, every def's signature and decorators, what is nested in function bodies that
# other code can see, whether a body yields or awaits, and the whole text of functions used as
# decorators or called at module level). So a rule may read other statements through
# `context.module` / `context.facts` for anything of that kind; findings must not depend on
# another function's plain body, nor on state a rule instance carried from the walk of one
# top-level statement to the next (`tests/test_engine.py` walks each example statement alone).
# Inside a top-level class the unit is the statement of its body: an edit in a plain method's
# body re-walks the class's own part (header, decorators, bases, the statements that are not
# methods) and that method, so the same holds between methods (a rule may read the class node
# from `visit_ClassDef`, and gather what it needs there; tests/lsp/test_incremental_members.py
# walks each member of the examples' classes alone).
# A rule that gathers what the whole walk saw does so in `leave_Module`: it is walked over every
# statement each time (`walks_whole_module`). What each rule read of the module-level bindings
# while walking a statement is recorded per rule, so that when only a binding changed, only the
# rules that read it run again over that statement (`rules_for`); the others' findings stay.

_handler_tables: dict[type[Rule], tuple[list[tuple[type[cst.CSTNode], str]], ...]] = {}


@dataclass(frozen=True, slots=True)
class StatementLint:
    """What `lint_statements` found, each item with the top-level statement that produced it.

    `origin` is the index in `module.body` of the statement whose walk reported it, or None
    for reports made from `visit_Module`/`leave_Module` or by a rule walked over everything.
    AGT001/AGT900 are not included: the caller merges suppressions and adds AGT900 itself.
    """

    findings: tuple[tuple[Origin | None, Finding], ...]
    # (origin, row, code) of each suppression a report matched.
    used: tuple[tuple[Origin | None, int, str], ...]
    # Codes of the rules that were walked over every statement.
    whole_module_codes: frozenset[str]
    # What each walked statement's (or class member's) findings read of the module-level
    # bindings, by rule code (its rules' look-ups, and its fixes': adding an import reads the
    # whole import block).
    reads: dict[Origin, dict[str, BindingReads]]


def _handler_table(cls: type[Rule]) -> tuple[list[tuple[type[cst.CSTNode], str]], ...]:
    table = _handler_tables.get(cls)
    if table is None:
        handlers = cls.handlers()
        visit: list[tuple[type[cst.CSTNode], str]] = []
        leave: list[tuple[type[cst.CSTNode], str]] = []
        for kind, out in (("visit", visit), ("leave", leave)):
            for node_name in handlers[kind]:
                node_type = getattr(cst, node_name, None)
                if not isinstance(node_type, type):
                    raise TypeError(f"{cls.__name__}.{kind}_{node_name}: no such node")
                out.append((node_type, f"{kind}_{node_name}"))
        table = (visit, leave)
        _handler_tables[cls] = table
    return table


def walks_whole_module(cls: type[Rule]) -> bool:
    """Whether a rule's findings may depend on the walk of every top-level statement (it
    gathers what the walk saw in `leave_Module`)."""
    return any(node_type is cst.Module for node_type, _ in _handler_table(cls)[1])


def lint_statements(
    module: cst.Module,
    source: str,
    path: str,
    config: Config,
    enabled: frozenset[str],
    suppressions: Suppressions,
    *,
    statements: Collection[int],
    statement_rows: Sequence[int],
    facts: ModuleFacts | None = None,
    position_cache: MutableSequence[RelativePositions | None] | None = None,
    members: Mapping[int, tuple[Collection[int], MemberRows]] | None = None,
    rules_for: Mapping[int, Collection[str]] | None = None,
) -> StatementLint:
    """Run the enabled rules over the top-level `statements` (indexes) of a parsed module.

    `statement_rows[i]` is the first row of `module.body[i]` (with its leading comments and
    blank lines): positions are computed per statement, never for the whole module unless a
    report lies outside the statements walked. `facts`, when given, replaces the module's
    lazily computed facts (the caller may have them cached per statement), and
    `position_cache` keeps each statement's relative positions between calls (see
    `StatementPositions`). `members[i]`, for a top-level class, has it walked and positioned
    member by member: the indexes of its body's statements to walk (when `i` is among
    `statements`; see `walk`) and their rows and cached positions. `rules_for`: of a
    statement, run only these rules (see `walk`).
    """
    context = FileContext(source, path, module)
    if facts is not None:
        context.__dict__["facts"] = facts
    rules = [
        cls(context, config.options_for(cls))
        for cls in all_rules()
        if cls.code in enabled and cls.code not in _ENGINE_CODES
    ]
    listed = {index: frozenset(chosen) for index, (chosen, _) in (members or {}).items()}
    walked = walk(
        context, rules, frozenset(statements), listed, rules_for=rules_for, reads_per_rule=True
    )
    reads = walked.reads
    findings: list[tuple[Origin | None, Finding]] = []
    used: list[tuple[Origin | None, int, str]] = []
    if context.reports:
        origin_of = {
            id(report): origin
            for report, origin in zip(context.reports, walked.origins, strict=True)
        }
        for report in context.reports:
            origin = origin_of[id(report)]
            if origin is not None and report.fix is not None and _inserts(report.fix):
                # Where the insertion goes and whether the import is there read the
                # module's import block as a whole.
                by_rule = reads.setdefault(origin, {})
                by_rule.setdefault(report.code, BindingReads()).whole = True
        rows = {index: member_rows for index, (_, member_rows) in (members or {}).items()}
        positions = StatementPositions(module, statement_rows, position_cache, rows)
        for report in context.reports:
            if report.member is not None:
                positions.ensure(report.member, within=report.search_root)
            else:
                positions.ensure(report.search_root)
        for report, finding, hit in _resolve_each(context, config, suppressions, positions):
            origin = origin_of[id(report)]
            if finding is not None:
                findings.append((origin, finding))
            if hit is not None:
                used.append((origin, *hit))
    whole = frozenset(rule.code for rule in rules if walks_whole_module(type(rule)))
    return StatementLint(tuple(findings), tuple(used), whole, reads)


def _inserts(plan: FixPlan) -> bool:
    """Whether a fix plan adds module-level statements (an import, a definition)."""
    return any(isinstance(change, (AddImport, InsertStatements)) for change in plan.changes)


# Statements and what holds statements. No statement is ever inside an expression, so a walk
# that only dispatches on these kinds need not enter expressions: the same nodes are visited,
# in the same order, with the same ancestors.
_STRUCTURAL: tuple[type[cst.CSTNode], ...] = (
    cst.BaseStatement,
    cst.BaseSmallStatement,
    cst.BaseSuite,
    cst.Else,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
    cst.MatchCase,
)


# What the walk does with a node of one type: its rules' visit and leave handlers, and how to
# push its children (`walk.child_pusher`; None: it never has any). One look-up per node.
_Plan = tuple[tuple[NodeHandler, ...], tuple[NodeHandler, ...], PushChildren | None]


def _plan(table: _Tables, kind: type[cst.CSTNode], structural: bool) -> _Plan:
    plans = table.structural_plans if structural else table.plans
    plan = plans[kind] = (
        tuple(table.visit.get(kind, ())),
        tuple(table.leave.get(kind, ())),
        statement_child_pusher(kind) if structural else child_pusher(kind),
    )
    return plan


def _walk_subtree(
    root: cst.CSTNode, path: list[cst.CSTNode], table: _Tables, *, structural: bool = False
) -> None:
    """The walk itself, from `root` (the module, or one top-level statement) down, with the
    handlers of `table`.

    Events are those of a recursive walk: a node's visit handlers, its subtree, then its
    leave handlers; `path` holds the node and its ancestors at each. The stack holds nodes to
    enter and, under each entered node's children, its leave handlers (a tuple, maybe empty:
    its leave event pops `path`). A node of a type that never has children is left at once.
    `structural`: every handled kind is one of `_STRUCTURAL`, so expressions are skipped.
    """
    plans = table.structural_plans if structural else table.plans
    stack: list[cst.CSTNode | tuple[NodeHandler, ...]] = [root]
    pop = stack.pop
    countdown = CHECK_EVERY
    while stack:
        node = pop()
        kind = type(node)
        if kind is tuple:  # the leave event of `path[-1]`
            if node:
                entered = path[-1]
                for handler in node:  # type: ignore[union-attr]  # a tuple of handlers
                    handler(entered)
            path.pop()
            continue
        plan = plans.get(kind) or _plan(table, kind, structural)  # type: ignore[arg-type]
        visits, leaves, push = plan
        if push is None:  # a leaf: visited and left at once
            if visits or leaves:
                path.append(node)  # type: ignore[arg-type]  # a node, not a tuple
                for handler in visits:
                    handler(node)  # type: ignore[arg-type]
                for handler in leaves:
                    handler(node)  # type: ignore[arg-type]
                path.pop()
            continue
        countdown -= 1
        if not countdown:
            countdown = CHECK_EVERY
            check_deadline()
        path.append(node)  # type: ignore[arg-type]
        for handler in visits:
            handler(node)  # type: ignore[arg-type]
        stack.append(leaves)
        push(node, stack)  # type: ignore[arg-type]


def _reading(handler: NodeHandler, slot: list[BindingReads], facts: ModuleFacts) -> NodeHandler:
    def run(node: cst.CSTNode) -> None:
        facts.reads = slot[0]
        handler(node)

    return run


def syntax_error_findings(
    error: cst.ParserSyntaxError | RecursionError, source: str, path: str, config: Config
) -> list[Finding]:
    """What `lint` reports for a file that does not parse (empty when AGT001 is off)."""
    if SYNTAX_ERROR not in config.enabled_codes(path):
        return []
    return _syntax_error(error, source, path, config)


def unused_suppression_findings(
    suppressions: Suppressions,
    used: set[tuple[int, str]],
    enabled: frozenset[str],
    path: str,
    config: Config,
) -> list[Finding]:
    """AGT900 findings given every (row, code) a report matched (empty when AGT900 is off)."""
    if UNUSED_SUPPRESSION not in enabled:
        return []
    return _unused_suppressions(suppressions, used, enabled, path, config)
