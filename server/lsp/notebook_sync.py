"""Notebook documents in the editor (LSP `notebookDocument/*`).

A notebook is analysed as one open document whose text is its code cells joined, exactly as
`agentsense check` joins a `.ipynb` file (analyzers/notebook.py), so a name defined in one cell
is known in the next and the incremental engine works as for a `.py` file. Its diagnostics are
split back onto the cells: each goes to its cell's text document, with rows counted in the cell.
pygls keeps the cells' texts in its workspace; this module only reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import attrs
from lsprotocol import types as lsp

from agentsense.analyzers.notebook import JoinedNotebook, join_cells


@dataclass(frozen=True, slots=True)
class NotebookCells:
    """An open notebook's code cells: their text documents and their place in the joined text."""

    uri: str
    joined: JoinedNotebook
    cell_uris: tuple[str, ...]  # one per `joined.cells`, in the same order

    def cell_uri_at(self, line: int) -> tuple[str, int] | None:
        """(cell URI, the cell's first line in the joined text, 0-based) for a joined line."""
        cell = self.joined.cell_at(line + 1)
        if cell is None:
            return None
        return self.cell_uris[self.joined.cells.index(cell)], cell.first_row - 1


def cells_of(notebook: lsp.NotebookDocument, texts: dict[str, str]) -> NotebookCells:
    """Join the notebook's code cells (`texts`: cell document URI -> its current text)."""
    code = [
        (number, cell.document)
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.kind == lsp.NotebookCellKind.Code and cell.document in texts
    ]
    joined = join_cells((number, texts[uri]) for number, uri in code)
    by_number = dict(code)
    return NotebookCells(
        notebook.uri, joined, tuple(by_number[cell.number] for cell in joined.cells)
    )


def _shifted(range_: lsp.Range, lines: int) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=range_.start.line - lines, character=range_.start.character),
        end=lsp.Position(line=range_.end.line - lines, character=range_.end.character),
    )


def split_diagnostics(
    cells: NotebookCells, diagnostics: Sequence[lsp.Diagnostic]
) -> dict[str, list[lsp.Diagnostic]]:
    """The notebook's diagnostics by cell URI (every code cell present, most with none)."""
    out: dict[str, list[lsp.Diagnostic]] = {uri: [] for uri in cells.cell_uris}
    for diagnostic in diagnostics:
        found = cells.cell_uri_at(diagnostic.range.start.line)
        if found is None:
            continue
        uri, first_line = found
        related = []
        for info in diagnostic.related_information or ():
            target = cells.cell_uri_at(info.location.range.start.line)
            if info.location.uri == cells.uri and target is not None:
                info = attrs.evolve(
                    info,
                    location=lsp.Location(
                        uri=target[0], range=_shifted(info.location.range, target[1])
                    ),
                )
            related.append(info)
        out[uri].append(
            attrs.evolve(
                diagnostic,
                range=_shifted(diagnostic.range, first_line),
                related_information=related or diagnostic.related_information,
            )
        )
    return out
