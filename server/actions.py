"""Code action building blocks: `# noqa` edits and where a comment can safely go."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

from agentsense.analyzers.fixes import apply_fixes
from agentsense.analyzers.model import Applicability, Edit, Finding, Fix, Location, Span
from agentsense.analyzers.rules.builtin import ENGINE_CODES
from agentsense.analyzers.suppression import Suppressions, find_suppressions

# Codes a noqa comment cannot silence: syntax errors, and the unused-suppression check itself.
UNSUPPRESSIBLE = ENGINE_CODES


@dataclass(frozen=True, slots=True)
class CommentRows:
    """Which rows of a text can take a trailing comment, and its suppression comments."""

    unsafe: frozenset[int]  # rows whose end is inside a string or a backslash continuation
    suppressions: Suppressions
    ok: bool  # False: the text does not tokenize (no comment edits are offered)


def comment_rows(text: str) -> CommentRows:
    unsafe: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            # A multi-line string: a comment after its first rows would land inside it.
            # (Python 3.12 tokenizes f-strings in parts; their rows show up as any token's.)
            if token.end[0] > token.start[0] and token.type != tokenize.NL:
                unsafe.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return CommentRows(frozenset(), find_suppressions(""), False)
    for row, line in enumerate(text.splitlines(), start=1):
        if line.rstrip().endswith("\\"):
            unsafe.add(row)
    return CommentRows(frozenset(unsafe), find_suppressions(text), True)


def noqa_edit(line: str, row: int, code: str, rows: CommentRows) -> Edit | None:
    """The edit that makes `# noqa` on `row` cover `code`: extend the codes of an existing
    directive, or add `  # noqa: CODE` at the end of the line."""
    if code in UNSUPPRESSIBLE or not rows.ok:
        return None
    existing = rows.suppressions.by_row.get(row)
    if existing is not None:
        if not existing.codes or code in existing.codes:
            return None  # it already covers every code, or this one
        directive = existing.comment[
            existing.column - existing.comment_column : existing.end_column
            - existing.comment_column
        ]
        codes = ", ".join((*existing.codes, code))
        if directive.lower().lstrip("# ").startswith("noqa"):
            replacement = f"# noqa: {codes}"
        else:
            replacement = f"# agentsense: ignore[{codes}]"
        span = Span(Location(row, existing.column), Location(row, existing.end_column))
        return Edit(span, replacement)
    if row in rows.unsafe:
        return None
    end = Location(row, len(line) + 1)
    return Edit(Span(end, end), f"  # noqa: {code}")


def add_noqa(text: str, findings: Sequence[Finding]) -> tuple[str, int]:
    """`text` with a `# noqa` covering each finding (`check --add-noqa`, as ruff's): one
    directive per row, existing ones extended; returns (new text, rows changed)."""
    rows = comment_rows(text)
    lines = text.splitlines()
    by_row: dict[int, list[str]] = {}
    for finding in findings:
        if finding.code in UNSUPPRESSIBLE or not rows.ok:
            continue
        candidates = (finding.noqa_row, finding.span.start.row, finding.string_end_row)
        row = next(
            (r for r in dict.fromkeys(candidates) if 0 < r <= len(lines) and r not in rows.unsafe),
            None,
        )
        if row is not None and finding.code not in by_row.setdefault(row, []):
            by_row[row].append(finding.code)
    edits: list[Edit] = []
    for row, codes in by_row.items():
        existing = rows.suppressions.by_row.get(row)
        covered = existing.codes if existing is not None else ()
        missing = sorted(code for code in codes if code not in covered)
        if existing is not None and not existing.codes:
            continue  # a bare noqa comment covers every code
        edit = noqa_edit(lines[row - 1], row, ", ".join(missing), rows) if missing else None
        if edit is not None:
            edits.append(edit)
    if not edits:
        return text, 0
    fixed, _ = apply_fixes(text, [Fix("add noqa", tuple(edits), Applicability.SAFE)])
    return fixed, len(edits)
