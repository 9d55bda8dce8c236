"""The analysis engine: one parse, one batched walk of all enabled rules, then findings."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Iterable

import libcst as cst

from analyzers.config import Config
from analyzers.context import FileContext
from analyzers.fixes import FixBuilder, apply_fixes
from analyzers.model import Applicability, Edit, Finding, Fix, Location, Span
from analyzers.positions import Positions
from analyzers.registry import all_rules, rules_by_code
from analyzers.rule import Rule
from analyzers.suppression import OUR_PREFIX, Suppression, Suppressions, find_suppressions
from analyzers.walk import children, find_path

SYNTAX_ERROR = "AGT001"
UNUSED_SUPPRESSION = "AGT900"
_ENGINE_CODES = frozenset({SYNTAX_ERROR, UNUSED_SUPPRESSION})

NodeHandler = Callable[[cst.CSTNode], None]


def parse(source: str) -> cst.Module | cst.ParserSyntaxError | RecursionError:
    """Parse, returning the error instead of raising it."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return error
    except RecursionError as error:
        return error


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
        handlers = type(rule).handlers()
        for kind, table in (("visit", visit), ("leave", leave)):
            for node_name in handlers[kind]:
                node_type = getattr(cst, node_name, None)
                if not isinstance(node_type, type):
                    raise TypeError(f"{type(rule).__name__}.{kind}_{node_name}: no such node")
                table[node_type].append(getattr(rule, f"{kind}_{node_name}"))
    if not visit and not leave:
        return
    path = context.path_stack
    # (node, entering): leave events are pushed under a node's children.
    stack: list[tuple[cst.CSTNode, bool]] = [(module, True)]
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
        stack.extend((child, True) for child in reversed(children(node)))


def _resolve(
    context: FileContext, config: Config, suppressions: Suppressions
) -> tuple[list[Finding], set[tuple[int, str]]]:
    """Turn pending reports into findings: positions, suppressions, severities, fixes."""
    if not context.reports:
        return [], set()
    positions = Positions(context.module)
    fixes = FixBuilder(context.source, context.module, positions, context.facts)
    used: set[tuple[int, str]] = set()
    findings: list[Finding] = []
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
        hit = _suppressed(suppressions, (span.start.row, noqa_row), rule.code)
        if hit is not None:
            used.add((hit.row, rule.code))
            continue
        top_level = chain[1] if isinstance(chain[0], cst.Module) and len(chain) > 1 else chain[0]
        fix = fixes.build(report.fix, top_level) if report.fix is not None else None
        findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                message=report.message,
                severity=config.severity_for(type(rule)),
                path=context.path,
                span=span,
                fix=fix,
                noqa_row=noqa_row,
                secrets=report.secrets,
            )
        )
    return findings, used


def _suppressed(suppressions: Suppressions, rows: tuple[int, int], code: str) -> Suppression | None:
    for row in rows:
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
        edit = Edit(
            Span(Location(suppression.row, start_col), Location(suppression.row, end_col)),
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
