"""Jupyter notebooks: code cells joined into one module to lint, and the results mapped back.

As ruff does, a notebook is linted as the concatenation of its code cells, so names defined in
one cell are known in the next. Between two cells the joined source holds one marker comment
line, which a fix never moves (libcst keeps comments with the statement that follows them), so
the fixed source can be split back into cells exactly. IPython syntax that is not Python
(`%magic`, `!shell`, `x = !cmd`, `obj?`) becomes a `pass` placeholder on the same row with the
same indentation, and is put back when writing; a cell starting with a cell magic (`%%bash`) is
not Python and is left out. Findings name the cell (1-based, counting every cell, as ruff's
`cell` field) and rows within it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agentsense.analyzers.model import Edit, Finding, Fix, Location, RelatedLocation, Span

NOTEBOOK_SUFFIX = ".ipynb"
CELL_MARKER = "# agentsense: notebook cell boundary"
_PLACEHOLDER = "pass  # agentsense: ipython"
_IPYTHON_LINE = re.compile(
    r"""^\s*(?:[%!?]|[\w.]+\s*\?\??\s*$)   # %magic, !shell, ?obj, obj? / obj??
    |^\s*[\w.,\s]+=\s*[%!]                 # x = !cmd, x = %magic
    """,
    re.X,
)


class NotebookError(ValueError):
    """The file is not a notebook we can read (the message says why)."""


@dataclass(frozen=True, slots=True)
class CodeCell:
    """One code cell's place in the joined source."""

    number: int  # 1-based, counting every cell of the notebook (ruff's `cell`)
    first_row: int  # the joined source's row of the cell's first line
    rows: int  # how many rows of the joined source the cell takes
    ipython_lines: tuple[tuple[int, str], ...]  # (row within the cell, original line) put back


@dataclass(frozen=True, slots=True)
class JoinedNotebook:
    """The code cells of a notebook as one Python module, and how to map rows back."""

    source: str
    cells: tuple[CodeCell, ...]

    def cell_at(self, row: int) -> CodeCell | None:
        for cell in self.cells:
            if cell.first_row <= row < cell.first_row + max(cell.rows, 1):
                return cell
        return None

    def cell_sources(self, joined: str) -> list[str] | None:
        """The cells' text in `joined` (this source after fixes), or None when the cell
        boundaries are no longer where they were (a fix moved or removed a marker)."""
        parts = re.split(rf"(?m)^{re.escape(CELL_MARKER)}\r?\n", joined)
        if len(parts) != len(self.cells):
            return None
        texts = []
        for cell, part in zip(self.cells, parts, strict=True):
            lines = part.splitlines(keepends=True)
            for row, original in cell.ipython_lines:
                if row - 1 >= len(lines) or _PLACEHOLDER not in lines[row - 1]:
                    return None
                ending = lines[row - 1][len(lines[row - 1].rstrip("\r\n")) :]
                lines[row - 1] = original + ending
            texts.append("".join(lines))
        return texts


def load(text: str) -> dict[str, Any]:
    """The notebook's JSON, checked for the parts we read."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not a notebook: invalid JSON ({error.msg} at line {error.lineno})"
        raise NotebookError(message) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook: no `cells` list")
    for cell in data["cells"]:
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), str | list):
            raise NotebookError("not a notebook: a cell without a text `source`")
    return data


def _cell_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(str(part) for part in source)


def _is_python(cell: dict[str, Any], text: str) -> bool:
    return cell.get("cell_type") == "code" and not text.lstrip().startswith("%%")


def join(data: dict[str, Any]) -> JoinedNotebook:
    """The code cells of a loaded notebook, joined with marker lines between them."""
    return join_cells(
        (number, text)
        for number, cell in enumerate(data["cells"], start=1)
        if _is_python(cell, text := _cell_text(cell))
    )


def join_cells(cells: Iterable[tuple[int, str]]) -> JoinedNotebook:
    """Code cells given as (number, text), joined with marker lines between them (an editor's
    notebook, whose cells the language server receives one by one, joins the same way)."""
    out: list[str] = []
    placed: list[CodeCell] = []
    row = 1
    for number, text in cells:
        if text.lstrip().startswith("%%"):
            continue  # a cell magic: the cell is not Python
        if placed:
            out.append(CELL_MARKER + "\n")
            row += 1
        lines = text.splitlines()
        replaced: list[tuple[int, str]] = []
        for index, line in enumerate(lines):
            if _IPYTHON_LINE.match(line):
                indent = line[: len(line) - len(line.lstrip())]
                replaced.append((index + 1, line))
                lines[index] = indent + _PLACEHOLDER
        out.extend(line + "\n" for line in lines)
        placed.append(CodeCell(number, row, len(lines), tuple(replaced)))
        row += len(lines)
    return JoinedNotebook("".join(out), tuple(placed))


def write_back(original: str, data: dict[str, Any], joined: JoinedNotebook, fixed: str) -> str:
    """The notebook's JSON with the cells' sources from `fixed`; everything else (outputs,
    metadata, key order, indentation) as it was. Raises NotebookError when the cell
    boundaries were lost."""
    texts = joined.cell_sources(fixed)
    if texts is None:
        raise NotebookError("a fix moved a cell boundary; the notebook is left as it was")
    python_cells = [cell for cell in data["cells"] if _is_python(cell, _cell_text(cell))]
    for cell, text in zip(python_cells, texts, strict=True):
        before = _cell_text(cell)
        if not before.endswith("\n") and text.endswith("\n"):
            text = text[:-1]  # Jupyter stores a cell's last line without its newline
        if text == before:
            continue
        cell["source"] = text if isinstance(cell["source"], str) else text.splitlines(True)
    indent_match = re.match(r"\{\r?\n( +)", original)
    indent = len(indent_match.group(1)) if indent_match else 1
    dumped = json.dumps(data, indent=indent, ensure_ascii=False)
    return dumped + "\n" if original.endswith("\n") else dumped


# -- findings in cell coordinates ------------------------------------------------------------


def _span_in(cell: CodeCell, span: Span) -> Span | None:
    offset = cell.first_row - 1
    start, end = span.start, span.end
    last = cell.first_row + cell.rows  # an end at column 1 of the next row is still inside
    if not (cell.first_row <= start.row and end.row <= last):
        return None
    if end.row == last and end.column > 1:
        return None
    return Span(Location(start.row - offset, start.column), Location(end.row - offset, end.column))


def to_cells(finding: Finding, joined: JoinedNotebook) -> Finding:
    """The finding with its rows counted within its cell, and its cell's number; a fix or
    related location that leaves the cell is dropped (a cell is edited as a whole or not)."""
    cell = joined.cell_at(finding.span.start.row)
    if cell is None:
        return finding
    span = _span_in(cell, finding.span) or Span(
        Location(finding.span.start.row - cell.first_row + 1, finding.span.start.column),
        Location(finding.span.start.row - cell.first_row + 1, finding.span.start.column),
    )
    fix: Fix | None = None
    if finding.fix is not None:
        edits = [_edit_in(cell, edit) for edit in finding.fix.edits]
        if all(edit is not None for edit in edits):
            fix = dataclasses.replace(finding.fix, edits=tuple(e for e in edits if e is not None))
    related = tuple(_related_in(r, finding.path, joined) for r in finding.related)
    return dataclasses.replace(finding, span=span, fix=fix, related=related, cell=cell.number)


def _edit_in(cell: CodeCell, edit: Edit) -> Edit | None:
    span = _span_in(cell, edit.span)
    return None if span is None else Edit(span, edit.content)


def _related_in(related: RelatedLocation, path: str, joined: JoinedNotebook) -> RelatedLocation:
    if related.path != path:
        return related
    cell = joined.cell_at(related.span.start.row)
    span = None if cell is None else _span_in(cell, related.span)
    if cell is None or span is None:
        return related
    return dataclasses.replace(related, span=span, message=f"cell {cell.number}: {related.message}")


def findings_to_cells(findings: Sequence[Finding], joined: JoinedNotebook) -> list[Finding]:
    return [to_cells(finding, joined) for finding in findings]
