"""Pure conversions between the engine's findings and LSP: positions, diagnostics, edits."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path

from agentsense.analyzers.detect.secrets import mask_secret
from agentsense.analyzers.model import Applicability, Edit, Finding, Fix, Location, Severity, Span

SOURCE = "agentsense"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

SEVERITIES = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}


def redact(text: str, secrets: Iterable[str]) -> str:
    """The text with every occurrence of each secret masked."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, mask_secret(secret))
    return text


class TextLines:
    """A text's lines as LSP counts them (\\n, \\r\\n and \\r end a line), with conversions
    between the engine's 1-based code-point locations and the client's position encoding."""

    def __init__(self, text: str, encoding: str = lsp.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.encoding = encoding

    @functools.cached_property
    def lines(self) -> list[str]:
        # Split on first use: a document's diagnostics kept from its last version need none.
        return _LINE_BREAK.split(self.text)

    def line(self, row: int) -> str:
        """The 0-based row's text without its line break ("" past the end)."""
        return self.lines[row] if 0 <= row < len(self.lines) else ""

    def to_client(self, location: Location) -> lsp.Position:
        row = max(location.row - 1, 0)
        if row >= len(self.lines):
            return lsp.Position(line=len(self.lines) - 1, character=self._units(self.line(-1)))
        line = self.lines[row]
        column = min(max(location.column - 1, 0), len(line))
        return lsp.Position(line=row, character=self._units(line[:column]))

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(start=self.to_client(span.start), end=self.to_client(span.end))

    def from_client(self, position: lsp.Position) -> Location:
        """The engine location (1-based row, code-point column) of a client position."""
        row = min(max(position.line, 0), max(len(self.lines) - 1, 0))
        line = self.line(row)
        return Location(row + 1, self._code_points(line, position.character) + 1)

    def offset(self, position: lsp.Position) -> int:
        """The index into the text of a client position."""
        location = self.from_client(position)
        start = 0
        for match in _LINE_BREAK.finditer(self.text):
            if location.row == 1:
                break
            location = Location(location.row - 1, location.column)
            start = match.end()
        return min(start + location.column - 1, len(self.text))

    def _units(self, prefix: str) -> int:
        if self.encoding == lsp.PositionEncodingKind.Utf32 or prefix.isascii():
            return len(prefix)
        if self.encoding == lsp.PositionEncodingKind.Utf8:
            return len(prefix.encode("utf-8"))
        return len(prefix.encode("utf-16-le")) // 2

    def _code_points(self, line: str, units: int) -> int:
        if self.encoding == lsp.PositionEncodingKind.Utf32 or line.isascii():
            return min(max(units, 0), len(line))
        count = 0
        for index, char in enumerate(line):
            if count >= units:
                return index
            count += self._units(char)
        return len(line)


def uri_for(path: str) -> str:
    return from_fs_path(path) or path


def path_for(uri: str) -> str:
    return to_fs_path(uri) or uri


# -- fixes as JSON (diagnostic `data`, code action `data`) ---------------------------------


def fix_to_data(fix: Fix) -> dict[str, Any]:
    return {
        "title": fix.title,
        "applicability": fix.applicability.value,
        "edits": [
            {
                "start": [e.span.start.row, e.span.start.column],
                "end": [e.span.end.row, e.span.end.column],
                "content": e.content,
            }
            for e in fix.edits
        ],
    }


def fix_from_data(data: object) -> Fix | None:
    """The fix a diagnostic's `data` carries (None when absent or malformed)."""
    if not isinstance(data, Mapping):
        return None
    try:
        edits = tuple(
            Edit(
                Span(Location(*map(int, item["start"])), Location(*map(int, item["end"]))),
                str(item["content"]),
            )
            for item in data["edits"]
        )
        return Fix(str(data["title"]), edits, Applicability(data["applicability"]))
    except (KeyError, TypeError, ValueError):
        return None


def text_edits(edits: Sequence[Edit], lines: TextLines) -> list[lsp.TextEdit]:
    return [lsp.TextEdit(range=lines.range(e.span), new_text=e.content) for e in edits]


def whole_text_edit(old: str, new: str, lines: TextLines) -> list[lsp.TextEdit]:
    """One edit turning `old` into `new`: the smallest changed middle part."""
    if old == new:
        return []
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    start = _location_at(old, prefix)
    end = _location_at(old, len(old) - suffix)
    return [
        lsp.TextEdit(range=lines.range(Span(start, end)), new_text=new[prefix : len(new) - suffix])
    ]


def _location_at(text: str, offset: int) -> Location:
    row = 1
    start = 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        if match.end() > offset:
            break
        row += 1
        start = match.end()
    return Location(row, offset - start + 1)


# -- diagnostics ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiagnosticOptions:
    """What of a diagnostic the client can take."""

    related_information: bool = True


def to_diagnostic(
    finding: Finding,
    lines: TextLines,
    options: DiagnosticOptions,
    lines_for: Callable[[str], TextLines | None] = lambda path: None,
    secrets: Sequence[str] = (),
) -> lsp.Diagnostic:
    """The LSP diagnostic of a finding. `secrets` (every secret the document's findings know)
    are masked in its texts, and a fix whose edits would show one is left out of `data`
    (code actions take fixes from the server's own findings)."""
    secrets = (*finding.secrets, *secrets)
    message = redact(finding.message, secrets)
    related: list[lsp.DiagnosticRelatedInformation] | None = None
    if finding.related and options.related_information:
        related = []
        for item in finding.related:
            other = lines if item.path == finding.path else lines_for(item.path)
            item_lines = other if other is not None else TextLines("")
            related.append(
                lsp.DiagnosticRelatedInformation(
                    location=lsp.Location(
                        uri=uri_for(item.path), range=item_lines.range(item.span)
                    ),
                    message=redact(item.message, secrets),
                )
            )
    data: dict[str, Any] = {"name": finding.name, "noqaRow": finding.noqa_row}
    if finding.fix is not None and not any(
        secret and secret in edit.content for edit in finding.fix.edits for secret in secrets
    ):
        data["fix"] = fix_to_data(finding.fix)
    return lsp.Diagnostic(
        range=lines.range(finding.span),
        severity=SEVERITIES[finding.severity],
        code=finding.code,
        source=SOURCE,
        message=message,
        related_information=related,
        data=data,
    )


@dataclass(frozen=True, slots=True)
class WireDiagnostic:
    """A diagnostic as it goes to the client (JSON-ready, what pygls's converter makes of it),
    and a digest of it: made once per diagnostic, reused while the diagnostic is kept."""

    payload: dict[str, Any]
    digest: bytes


def to_wire(diagnostic: lsp.Diagnostic, unstructure: Callable[..., Any]) -> WireDiagnostic:
    """`unstructure`: the protocol's converter's (`cattrs.Converter.unstructure`)."""
    payload = unstructure(diagnostic, unstructure_as=lsp.Diagnostic)
    text = json.dumps(payload, sort_keys=True, default=str)
    return WireDiagnostic(payload, hashlib.sha1(text.encode("utf-8")).digest())


def result_id(diagnostics: Iterable[WireDiagnostic]) -> str:
    """A stable id of a diagnostics list: the same diagnostics give the same id."""
    return hashlib.sha1(b"".join(item.digest for item in diagnostics)).hexdigest()[:16]


def related_lines(path: str) -> TextLines | None:
    """Lines of another file on disk (for related locations), or None when unreadable."""
    try:
        return TextLines(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
