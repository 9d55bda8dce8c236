"""`# noqa` and `# agentsense: ignore[...]` comments: parsing, matching and unused ones."""

from __future__ import annotations

import io
import re
import tokenize
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

_NOQA = re.compile(
    r"#\s*(?:noqa(?P<noqa_codes>\s*:\s*[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*)?"
    r"|agentsense:\s*ignore(?:\[(?P<ignore_codes>[A-Za-z0-9_, \t]*)\])?(?![-\w]))",
    re.IGNORECASE,
)
_FILE_IGNORE = re.compile(r"#\s*agentsense:\s*ignore-file\b", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+")
OUR_PREFIX = "AGT"


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression comment: `codes` empty means every code on that row."""

    row: int
    column: int  # 1-based column of the `#`
    end_column: int  # 1-based, exclusive: end of the directive text inside the comment
    codes: tuple[str, ...]
    comment: str
    comment_column: int  # 1-based column where the whole comment starts
    leading_space_column: int  # 1-based column where the spaces before the comment start


@dataclass(frozen=True, slots=True)
class Suppressions:
    """All suppressions of one file."""

    file_ignored: bool
    by_row: dict[int, Suppression]

    def matches(self, row: int, code: str) -> Suppression | None:
        found = self.by_row.get(row)
        if found is None:
            return None
        if not found.codes or code in found.codes:
            return found
        return None


NONE = Suppressions(False, {})


def find_suppressions(source: str, spans: Sequence[tuple[int, int]] | None = None) -> Suppressions:
    """Read suppression comments from real comment tokens (not from string contents).

    `spans`: when CPython's parser accepted the source, `statement_rows.statement_spans` of
    its tree: (first, last) rows of statements from which the text tokenizes on its own.
    Only the spans holding one of the directives' words are then tokenized, each on its own,
    and rows outside every span (comment lines), each alone. A span starts a logical line, so
    no bracket or string is open above it and its comments are those the whole file's tokens
    hold there; if one does not tokenize, the whole file is read.
    """
    if "\r" in source:
        # Rows as CPython and libcst count them (`\r\n` or a lone `\r` ends one; the
        # tokenizer's lines end at `\n` only), columns unchanged.
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    lowered = source.lower()
    if "noqa" not in lowered and "agentsense:" not in lowered:
        return NONE
    comments = None
    if spans is not None:
        comments = _comments_of_spans(source, lowered, spans)
    if comments is None:
        comments = _comments_down_to_last_row(source, lowered)
    if comments is None:
        return NONE
    file_ignored = False
    by_row: dict[int, Suppression] = {}
    for row_offset, token in comments:
        text = token.string
        if _FILE_IGNORE.search(text):
            file_ignored = True
            continue
        match = _NOQA.search(text)
        if match is None:
            continue
        raw = match.group("noqa_codes") or match.group("ignore_codes") or ""
        codes = tuple(_CODE.findall(raw.upper()))
        row, col = token.start
        row += row_offset
        by_row[row] = Suppression(
            row=row,
            column=col + match.start() + 1,
            end_column=col + match.end() + 1,
            codes=codes,
            comment=text,
            comment_column=col + 1,
            leading_space_column=len(token.line[:col].rstrip()) + 1,
        )
    return Suppressions(file_ignored, by_row)


# A comment token, with the rows above the text it was tokenized from.
_Comment = tuple[int, tokenize.TokenInfo]
_TOKENIZE_ERRORS = (tokenize.TokenError, SyntaxError, IndentationError)


def _comments_down_to_last_row(source: str, lowered: str) -> list[_Comment] | None:
    """The comment tokens of the source, tokenized from the top; None if it does not tokenize.

    No directive is below the last row holding one of the words: tokenizing stops there.
    Whether the rest would tokenize is then not known: a file that does not parse gets the
    suppressions above (which its syntax-error finding never reads), where tokenizing it
    whole gave none. A file-level directive is looked for as before, in the whole file.
    """
    last_row = 0
    if "ignore-file" not in lowered:
        last = max(lowered.rfind("noqa"), lowered.rfind("agentsense:"))
        last_row = lowered.count("\n", 0, last) + 1
    comments: list[_Comment] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if last_row and token.start[0] > last_row:
                break
            if token.type == tokenize.COMMENT:
                comments.append((0, token))
    except _TOKENIZE_ERRORS:
        return None
    return comments


def _comments_of_spans(
    source: str, lowered: str, spans: Sequence[tuple[int, int]]
) -> list[_Comment] | None:
    """The comment tokens of the rows holding a directive's word, each row tokenized with the
    statement span around it (or alone); None if one of those does not tokenize (then the
    whole file is, as without the spans)."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:  # (statements sharing a row: one piece)
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    starts = [first for first, _ in merged]
    pieces: dict[tuple[int, int], None] = {}
    for row in _rows_holding(lowered, ("noqa", "agentsense:")):
        index = bisect_right(starts, row) - 1
        if index >= 0 and merged[index][1] >= row:
            pieces[merged[index]] = None
        else:
            pieces[(row, row)] = None
    lines = source.split("\n")
    comments: list[_Comment] = []
    try:
        for first, last in pieces:
            text = "\n".join(lines[first - 1 : last]) + "\n"
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.COMMENT:
                    comments.append((first - 1, token))
    except _TOKENIZE_ERRORS:
        return None
    return comments


def _rows_holding(lowered: str, words: tuple[str, ...]) -> list[int]:
    """The 1-based rows (split at `\\n`) on which one of the words occurs, in order."""
    positions = sorted(found for word in words for found in _occurrences(lowered, word))
    rows: list[int] = []
    row, counted = 1, 0
    for position in positions:
        row += lowered.count("\n", counted, position)
        counted = position
        if not rows or rows[-1] != row:
            rows.append(row)
    return rows


def _occurrences(text: str, word: str) -> list[int]:
    found: list[int] = []
    at = text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found
