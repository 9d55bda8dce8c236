"""Code actions: a finding's fix, `# noqa` for its line, fix-all, and Run tool.

Each kind is built by its own function; `code_action` asks each for what applies to the range.
Fix-all is resolved lazily (`codeAction/resolve`) when the client supports it: computing it
applies every safe fix, which is not worth doing for a menu the user may never open.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence

from lsprotocol import types as lsp

from agentsense.analyzers.engine import fix_source
from agentsense.analyzers.model import Applicability, Finding
from agentsense.server.actions import CommentRows, comment_rows, noqa_edit
from agentsense.server.lsp.analysis import current, sites
from agentsense.server.lsp.code_lens import run_command
from agentsense.server.lsp.convert import (
    TextLines,
    fix_from_data,
    text_edits,
    to_diagnostic,
    whole_text_edit,
)
from agentsense.server.lsp.server import FIX_ALL_KIND, RUN_TOOL_KIND
from agentsense.server.lsp.state import Analysis, Document, State

QUICK_FIX = lsp.CodeActionKind.QuickFix


async def code_action(state: State, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    doc = state.documents.get(params.text_document.uri)
    if doc is None:
        return []
    only = params.context.only
    ours = [d for d in params.context.diagnostics if d.source == "agentsense"]
    result = await current(state, doc, timeout=3.0)
    actions: list[lsp.CodeAction] = []
    if result is None:
        # No analysis of this version yet: the fixes the client's diagnostics carry.
        if _wants(only, QUICK_FIX):
            actions += _fixes_from_diagnostics(state, doc, ours)
    else:
        if _wants(only, QUICK_FIX):
            actions += _finding_actions(state, doc, result, params.range, ours)
        if _wants(only, FIX_ALL_KIND):
            actions += await _fix_all(state, doc, result)
    if state.settings.trusted and _wants(only, RUN_TOOL_KIND):
        actions += await _run_tool_actions(state, doc, params.range)
    return actions


def _finding_actions(
    state: State,
    doc: Document,
    result: Analysis,
    range_: lsp.Range,
    ours: Sequence[lsp.Diagnostic],
) -> list[lsp.CodeAction]:
    """For each finding in the range: its fix, and a `# noqa` comment for its line."""
    lines = TextLines(result.text, state.encoding())
    comments: CommentRows | None = None  # where a comment can go, read once when needed
    actions: list[lsp.CodeAction] = []
    for finding in result.findings:
        if not _overlaps(lines.range(finding.span), range_):
            continue
        diagnostic = _matching(finding, ours, lines) or to_diagnostic(
            finding, lines, state.diagnostic_options
        )
        if finding.fix is not None:
            safe = finding.fix.applicability is Applicability.SAFE
            actions.append(
                lsp.CodeAction(
                    title=f"Fix: {finding.fix.title}" + ("" if safe else " (unsafe)"),
                    kind=QUICK_FIX,
                    diagnostics=[diagnostic],
                    is_preferred=safe,
                    edit=_edit(state, doc, result.version, text_edits(finding.fix.edits, lines)),
                )
            )
        if finding.noqa_row:
            if comments is None:
                comments = comment_rows(result.text)
            disable = _disable_for_line(
                state, doc, result.version, finding, diagnostic, lines, comments
            )
            if disable is not None:
                actions.append(disable)
    return actions


def _disable_for_line(
    state: State,
    doc: Document,
    version: int,
    finding: Finding,
    diagnostic: lsp.Diagnostic,
    lines: TextLines,
    comments: CommentRows,
) -> lsp.CodeAction | None:
    """`# noqa: CODE` on the first of the finding's rows where a comment can go."""
    candidates = (finding.noqa_row, finding.span.start.row, finding.string_end_row)
    for row in dict.fromkeys(row for row in candidates if row > 0):
        edit = noqa_edit(lines.line(row - 1), row, finding.code, comments)
        if edit is not None:
            return lsp.CodeAction(
                title=f"Disable {finding.code} for this line",
                kind=QUICK_FIX,
                diagnostics=[diagnostic],
                edit=_edit(state, doc, version, text_edits([edit], lines)),
            )
    return None


async def _fix_all(state: State, doc: Document, result: Analysis) -> list[lsp.CodeAction]:
    fixable = any(
        f.fix is not None and f.fix.applicability is Applicability.SAFE for f in result.findings
    )
    if not fixable:
        return []
    action = lsp.CodeAction(
        title="agentsense: fix all safely fixable problems",
        kind=FIX_ALL_KIND,
        data={"uri": doc.uri, "version": result.version, "kind": "fixAll"},
    )
    if not state.client.resolve_code_actions:
        action = await resolve_fix_all(state, action)
    return [action]


def _fixes_from_diagnostics(
    state: State, doc: Document, ours: Sequence[lsp.Diagnostic]
) -> list[lsp.CodeAction]:
    actions: list[lsp.CodeAction] = []
    for diagnostic in ours:
        fix = fix_from_data(
            diagnostic.data.get("fix") if isinstance(diagnostic.data, dict) else None
        )
        if fix is None:
            continue
        lines = TextLines(doc.text, state.encoding())
        actions.append(
            lsp.CodeAction(
                title=f"Fix: {fix.title}",
                kind=QUICK_FIX,
                diagnostics=[diagnostic],
                is_preferred=fix.applicability is Applicability.SAFE,
                edit=_edit(state, doc, doc.version, text_edits(fix.edits, lines)),
            )
        )
    return actions


async def _run_tool_actions(state: State, doc: Document, range_: lsp.Range) -> list[lsp.CodeAction]:
    actions: list[lsp.CodeAction] = []
    for site in await sites(state, doc):
        if site.kind != "tool":
            continue
        lines = TextLines(doc.text, state.encoding())
        if _overlaps(lines.range(site.span), range_):
            actions.append(
                lsp.CodeAction(
                    title=f"▶ Run tool {site.name!r}",
                    kind=RUN_TOOL_KIND,
                    command=run_command(doc, site, lines),
                )
            )
    return actions


async def resolve_fix_all(state: State, action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    doc = state.documents.get(str(data.get("uri")))
    if doc is None:
        return action
    result = await current(state, doc, timeout=5.0)
    if result is None:
        return action
    loop = asyncio.get_running_loop()
    fixed, _, _ = await loop.run_in_executor(
        state.analysis, functools.partial(fix_source, result.text, doc.path, result.config)
    )
    lines = TextLines(result.text, state.encoding())
    action.edit = _edit(state, doc, result.version, whole_text_edit(result.text, fixed, lines))
    return action


async def code_action_resolve(state: State, action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("kind") == "fixAll":
        return await resolve_fix_all(state, action)
    return action


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _edit(
    state: State, doc: Document, version: int, edits: list[lsp.TextEdit]
) -> lsp.WorkspaceEdit:
    if state.client.document_changes:
        return lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=doc.uri, version=version
                    ),
                    edits=list(edits),
                )
            ]
        )
    return lsp.WorkspaceEdit(changes={doc.uri: edits})


def _wants(only: Sequence[str] | None, kind: str) -> bool:
    """LSP kinds are hierarchical: asking for `source` includes `source.fixAll.agentsense`."""
    if not only:
        return True
    return any(kind == want or kind.startswith(want + ".") or want == "" for want in only)


def _matching(
    finding: Finding, diagnostics: Sequence[lsp.Diagnostic], lines: TextLines
) -> lsp.Diagnostic | None:
    wanted = lines.range(finding.span)
    for diagnostic in diagnostics:
        if diagnostic.code == finding.code and diagnostic.range == wanted:
            return diagnostic
    return None
