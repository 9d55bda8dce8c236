"""Code action building blocks: `# noqa` edits and where a comment can safely go."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

from agentsense.analyzers.model import Edit, Location, Span
from agentsense.analyzers.suppression import Suppressions, find_suppressions

# Codes a `# noqa` cannot silence: syntax errors, and the unused-suppression check itself.
UNSUPPRESSIBLE = frozenset({"AGT001", "AGT900"})


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
