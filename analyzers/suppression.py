"""`# noqa` and `# agentsense: ignore[...]` comments: parsing, matching and unused ones."""

from __future__ import annotations

import io
import re
import tokenize
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


def find_suppressions(source: str) -> Suppressions:
    """Read suppression comments from real comment tokens (not from string contents)."""
    lowered = source.lower()
    if "noqa" not in lowered and "agentsense:" not in lowered:
        return NONE
    file_ignored = False
    by_row: dict[int, Suppression] = {}
    # No directive is below the last row holding one of the words: tokenizing stops there.
    # Whether the rest would tokenize is then not known: a file that does not parse gets the
    # suppressions above (which its syntax-error finding never reads), where tokenizing it
    # whole gave none. A file-level directive is looked for as before, in the whole file.
    last_row = 0
    if "ignore-file" not in lowered:
        last = max(lowered.rfind("noqa"), lowered.rfind("agentsense:"))
        last_row = lowered.count("\n", 0, last) + 1
    comments: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if last_row and token.start[0] > last_row:
                break
            if token.type == tokenize.COMMENT:
                comments.append(token)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return NONE
    for token in comments:
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
