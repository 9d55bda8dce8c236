"""The analysis engine: one parse, one batched walk of all enabled rules, then findings."""

from __future__ import annotations

import ast
import warnings
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass

import libcst as cst

from agentsense.analyzers.config import Config
from agentsense.analyzers.context import FileContext, PendingReport
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.fixes import FixBuilder, apply_fixes
from agentsense.analyzers.model import (
    Applicability,
    Edit,
    Finding,
    Fix,
    Location,
    RelatedLocation,
    Span,
)
from agentsense.analyzers.positions import Positions, RelativePositions, StatementPositions
from agentsense.analyzers.registry import all_rules, rules_by_code
from agentsense.analyzers.rule import Rule
from agentsense.analyzers.suppression import (
    OUR_PREFIX,
    Suppression,
    Suppressions,
    find_suppressions,
)
from agentsense.analyzers.walk import children, find_path

SYNTAX_ERROR = "AGT001"
UNUSED_SUPPRESSION = "AGT900"
_ENGINE_CODES = frozenset({SYNTAX_ERROR, UNUSED_SUPPRESSION})
# Larger sources are not linted: Python that big is generated, and libcst holds about 400
# bytes of memory per byte of source (4 MB parse to ~1.6 GB).
MAX_SOURCE_BYTES = 4 * 1024 * 1024


def too_large(size: int) -> str | None:
    """Why a source of `size` bytes is not linted, or None when it is small enough."""
    if size <= MAX_SOURCE_BYTES:
        return None
    return f"larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB ({size} bytes)"


def text_too_large(text: str) -> str | None:
    """`too_large` for a decoded text (its UTF-8 size, counted only when it may matter)."""
    if len(text) * 4 <= MAX_SOURCE_BYTES:
        return None
    return too_large(len(text.encode("utf-8", "surrogatepass")))


NodeHandler = Callable[[cst.CSTNode], None]


def parse(source: str) -> cst.Module | cst.ParserSyntaxError | RecursionError:
    """Parse, returning the error instead of raising it."""
    try:
        return cst.parse_module(source)
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
    """All findings for one file's text, sorted by position."""
    config = config if config is not None else Config.default()
    enabled = config.enabled_codes(path)
    suppressions = find_suppressions(source)
    if suppressions.file_ignored or not enabled:
        return []
    tree = parse(source)
    if not isinstance(tree, cst.Module):
        return _syntax_error(tree, source, path, config) if SYNTAX_ERROR in enabled else []
    return lint_module(tree, source, path, config, enabled, suppressions)


def lint_module(
    module: cst.Module,
    source: str,
    path: str,
    config: Config,
    enabled: frozenset[str],
    suppressions: Suppressions,
) -> list[Finding]:
    """Run the enabled rules over a parsed module."""
    context = FileContext(source, path, module)
    rules = [
        cls(context, config.options_for(cls))
        for cls in all_rules()
        if cls.code in enabled and cls.code not in _ENGINE_CODES
    ]
    _walk(module, context, rules)
    findings, used = _resolve(context, config, suppressions)
    if UNUSED_SUPPRESSION in enabled:
        findings.extend(_unused_suppressions(suppressions, used, enabled, path, config))
    findings.sort(key=lambda f: (f.span.start, f.code))
    return findings


def _walk(module: cst.Module, context: FileContext, rules: Iterable[Rule]) -> None:
    """One iterative depth-first walk dispatching to every rule's handlers by node type."""
    visit: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    leave: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    for rule in rules:
        visits, leaves = _handler_table(type(rule))
        for table, entries in ((visit, visits), (leave, leaves)):
            for node_type, method in entries:
                table[node_type].append(getattr(rule, method))
    if visit or leave:
        _walk_subtree(module, context.path_stack, visit, leave)


def _resolve(
    context: FileContext, config: Config, suppressions: Suppressions
) -> tuple[list[Finding], set[tuple[int, str]]]:
    """Turn pending reports into findings: positions, suppressions, severities, fixes."""
    if not context.reports:
        return [], set()
    findings: list[Finding] = []
    used: set[tuple[int, str]] = set()
    for _, finding, hit in _resolve_each(context, config, suppressions, Positions(context.module)):
        if finding is not None:
            findings.append(finding)
        if hit is not None:
            used.add(hit)
    return findings, used


def _resolve_each(
    context: FileContext, config: Config, suppressions: Suppressions, positions: Positions
) -> Iterator[tuple[PendingReport, Finding | None, tuple[int, str] | None]]:
    """Each surviving report with its finding, or with the suppression (row, code) it hit."""
    fixes = FixBuilder(context.source, context.module, positions, context.facts)
    seen: set[tuple[str, Span, str]] = set()
    for report in context.reports:
        rule = report.rule
        span = positions.span(report.node, report.end_node)
        key = (rule.code, span, report.message)
        if key in seen:
            continue
        seen.add(key)
        chain = find_path(report.search_root, report.node) or [report.search_root]
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
        fix = fixes.build(report.fix, top_level) if report.fix is not None else None
        yield (
            report,
            Finding(
                code=rule.code,
                name=rule.name,
                message=report.message,
                severity=config.severity_for(type(rule)),
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
    if isinstance(error, cst.ParserSyntaxError):
        row, column = error.raw_line, error.raw_column + 1
        detail = error.message.splitlines()[0] if error.message else "invalid syntax"
        # CPython's parser names the problem better ("'(' was never closed"); ask it too.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # its SyntaxWarnings are not ours to print
                compile(source, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as py_error:
            if py_error.lineno:
                row, column = py_error.lineno, max(py_error.offset or 1, 1)
                detail = py_error.msg
        except (ValueError, RecursionError, MemoryError):
            pass
        message = f"syntax error: {detail}"
    else:
        row, column = 1, 1
        message = "syntax error: the file is nested too deeply to parse"
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
        names = ", ".join(unused)
        unknown = [c for c in unused if c not in known]
        message = f"unused suppression for {names}"
        if unknown:
            message += f" (unknown code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)})"
        span = Span(Location(row, suppression.column), Location(row, suppression.end_column))
        findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                message=message,
                severity=config.severity_for(rule),
                path=path,
                span=span,
                fix=_remove_codes_fix(suppression, unused),
                noqa_row=row,
            )
        )
    return findings


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
    """
    applied_total = 0
    findings = lint(source, path, config)
    for _ in range(MAX_FIX_PASSES):
        fixes = [
            f.fix
            for f in findings
            if f.fix is not None and (unsafe or f.fix.applicability is Applicability.SAFE)
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


# -- Linting chosen top-level statements (the language server's incremental path) -------------
#
# The server keeps each top-level statement's findings and re-walks only the statements an
# edit touched (server/incremental.py). It re-walks every statement whenever the module's
# *interface* changes: imports, module-level code, class bodies (but the bodies of plain
# methods), every def's signature and decorators, what is nested in function bodies that
# other code can see (imports, globals, classes, nested defs), whether a body yields or
# awaits, and the whole text of functions used as decorators or called at module level. So a
# rule may read other statements through `context.module` / `context.facts` for anything of
# that kind; findings must not depend on another function's plain body.
#
# Rules stay unaware of it otherwise: every rule's `visit_Module` still runs (its reports are
# recomputed on every call). A rule whose `leave_Module` gathers what the walk saw, or that is
# seen carrying state from one top-level statement to the next (a container growing, a flag
# set), is walked over the whole module every time, which costs the editor latency.

_STATE_SCALARS = (bool, int, float, str, bytes)
_STATE_CONTAINERS = (list, dict, set, frozenset, tuple)
_handler_tables: dict[type[Rule], tuple[list[tuple[type[cst.CSTNode], str]], ...]] = {}
_cross_statement_rules: set[type[Rule]] = set()


@dataclass(frozen=True, slots=True)
class StatementLint:
    """What `lint_statements` found, each item with the top-level statement that produced it.

    `origin` is the index in `module.body` of the statement whose walk reported it, or None
    for reports made from `visit_Module`/`leave_Module` or by a rule walked over everything.
    AGT001/AGT900 are not included: the caller merges suppressions and adds AGT900 itself.
    """

    findings: tuple[tuple[int | None, Finding], ...]
    # (origin, row, code) of each suppression a report matched.
    used: tuple[tuple[int | None, int, str], ...]
    # Codes of the rules that were walked over every statement.
    whole_module_codes: frozenset[str]


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
    """Whether a rule's findings may depend on the walk of other top-level statements."""
    return cls in _cross_statement_rules or any(
        node_type is cst.Module for node_type, _ in _handler_table(cls)[1]
    )


def _state(rule: Rule) -> dict[str, object]:
    """The part of a rule's instance state that can carry over between statements.

    Containers are compared by size and scalars by value. Not compared: other objects and
    attributes that start as None (lazily built caches of module-wide facts, the same for
    every statement), and tables keyed by node or `id(node)` (memos of per-node answers).
    """
    out: dict[str, object] = {}
    for name, value in vars(rule).items():
        if name in ("context", "options"):
            continue
        if isinstance(value, (dict, set, frozenset)):
            if value and all(isinstance(k, (int, cst.CSTNode)) for k in value):
                continue
            out[name] = len(value)
        elif isinstance(value, _STATE_CONTAINERS):
            out[name] = len(value)
        elif isinstance(value, _STATE_SCALARS):
            out[name] = value
    return out


def _carries_state(start: dict[str, object], rule: Rule) -> bool:
    now = _state(rule)
    return any(name in now and now[name] != value for name, value in start.items())


def lint_statements(
    module: cst.Module,
    source: str,
    path: str,
    config: Config,
    enabled: frozenset[str],
    suppressions: Suppressions,
    *,
    walk: Collection[int],
    statement_rows: Sequence[int],
    facts: ModuleFacts | None = None,
    position_cache: MutableSequence[RelativePositions | None] | None = None,
) -> StatementLint:
    """Run the enabled rules over the top-level statements `walk` of a parsed module.

    `statement_rows[i]` is the first row of `module.body[i]` (with its leading comments and
    blank lines): positions are computed per statement, never for the whole module unless a
    report lies outside the statements walked. `facts`, when given, replaces the module's
    lazily computed facts (the caller may have them cached per statement), and
    `position_cache` keeps each statement's relative positions between calls (see
    `StatementPositions`).
    """
    context = FileContext(source, path, module)
    if facts is not None:
        context.__dict__["facts"] = facts
    rules = [
        cls(context, config.options_for(cls))
        for cls in all_rules()
        if cls.code in enabled and cls.code not in _ENGINE_CODES
    ]
    whole = {type(rule) for rule in rules if walks_whole_module(type(rule))}
    chosen = frozenset(walk)
    all_visit: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    all_leave: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    whole_visit: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    whole_leave: dict[type[cst.CSTNode], list[NodeHandler]] = defaultdict(list)
    for rule in rules:
        visit, leave = _handler_table(type(rule))
        for tables, entries in (
            ((all_visit, whole_visit), visit),
            ((all_leave, whole_leave), leave),
        ):
            for node_type, method in entries:
                handler = getattr(rule, method)
                tables[0][node_type].append(handler)
                if type(rule) in whole:
                    tables[1][node_type].append(handler)
    # Module handlers run once around the walk; statements are walked for the other kinds
    # only (a statement no handler looks into is skipped).
    module_visit, module_leave = all_visit.pop(cst.Module, []), all_leave.pop(cst.Module, [])
    whole_visit.pop(cst.Module, None)
    whole_leave.pop(cst.Module, None)
    stack_path = context.path_stack
    stack_path.append(module)
    for handler in module_visit:
        handler(module)
    local = [rule for rule in rules if type(rule) not in whole]
    start = {id(rule): _state(rule) for rule in local}
    origins: dict[int, int | None] = {}  # id(report) -> origin
    for index, stmt in enumerate(module.body):
        visit_table, leave_table = (
            (all_visit, all_leave) if index in chosen else (whole_visit, whole_leave)
        )
        if not visit_table and not leave_table:
            continue
        before = len(context.reports)
        structural = index not in chosen and all(
            issubclass(node_type, _STRUCTURAL) for node_type in (*visit_table, *leave_table)
        )
        _walk_subtree(stmt, stack_path, visit_table, leave_table, structural=structural)
        origin = index if index in chosen else None
        for report in context.reports[before:]:
            origins[id(report)] = None if type(report.rule) in whole else origin
        if index in chosen:
            for rule in local:
                if _carries_state(start[id(rule)], rule):
                    _cross_statement_rules.add(type(rule))
    for handler in module_leave:
        handler(module)
    stack_path.pop()
    newly_whole = {type(rule) for rule in local if type(rule) in _cross_statement_rules}
    if newly_whole:
        # A rule kept state across statements: its findings in statements not walked may be
        # wrong, so walk everything for it (it is remembered for every later call).
        return lint_statements(
            module,
            source,
            path,
            config,
            enabled,
            suppressions,
            walk=walk,
            statement_rows=statement_rows,
            facts=facts,
            position_cache=position_cache,
        )
    findings: list[tuple[int | None, Finding]] = []
    used: list[tuple[int | None, int, str]] = []
    if context.reports:
        positions = StatementPositions(module, statement_rows, position_cache)
        for report in context.reports:
            positions.ensure(report.search_root)
        for report, finding, hit in _resolve_each(context, config, suppressions, positions):
            origin = origins.get(id(report))
            if finding is not None:
                findings.append((origin, finding))
            if hit is not None:
                used.append((origin, *hit))
    return StatementLint(tuple(findings), tuple(used), frozenset(cls.code for cls in whole))


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


def _statement_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The `_STRUCTURAL` children of a statement-level node, in `children()` order."""
    out: list[cst.CSTNode] = []
    for name in ("body", "handlers", "orelse", "finalbody", "cases"):
        value = getattr(node, name, None)
        if value is None:
            continue
        # Plain type checks: these fields hold a node or a sequence of nodes, and
        # isinstance against libcst's abstract classes is slow on this hot path.
        if type(value) is list or type(value) is tuple:
            out.extend(value)
        else:
            out.append(value)
    return out


def _walk_subtree(
    root: cst.CSTNode,
    path: list[cst.CSTNode],
    visit: dict[type[cst.CSTNode], list[NodeHandler]],
    leave: dict[type[cst.CSTNode], list[NodeHandler]],
    *,
    structural: bool = False,
) -> None:
    """The walk itself, from `root` (the module, or one top-level statement) down.

    Leave events are pushed under a node's children, so `path` always holds the ancestors.
    `structural`: every handled kind is one of `_STRUCTURAL`, so expressions are skipped.
    """
    stack: list[tuple[cst.CSTNode, bool]] = [(root, True)]
    while stack:
        node, entering = stack.pop()
        if not entering:
            for handler in leave.get(type(node), ()):
                handler(node)
            path.pop()
            continue
        path.append(node)
        for handler in visit.get(type(node), ()):
            handler(node)
        stack.append((node, False))
        found = _statement_children(node) if structural else children(node)
        stack.extend((child, True) for child in reversed(found))


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
