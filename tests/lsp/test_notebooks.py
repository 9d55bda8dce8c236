"""Notebooks in the editor: notebookDocument/* sync, diagnostics on the cells they belong to."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp

from tests.lsp.conftest import Session

pytestmark = pytest.mark.asyncio(loop_scope="module")

CELLS = [
    (lsp.NotebookCellKind.Markup, "markdown", "# An agent, step by step"),
    (lsp.NotebookCellKind.Code, "python", "%pip install httpx\nimport json\nHISTORY = []"),
    (
        lsp.NotebookCellKind.Code,
        "python",
        "def remember(item, seen=[]):\n    seen.append(item)\n    return seen",
    ),
    (lsp.NotebookCellKind.Code, "python", "def ask(question, notes={}):\n    return notes"),
]


def cell_uri(notebook: str, index: int) -> str:
    return f"vscode-notebook-cell:{notebook.removeprefix('file://')}#cell{index}"


def open_notebook(
    session: Session, name: str, cells: list[tuple[lsp.NotebookCellKind, str, str]]
) -> str:
    uri = (session.root / name).as_uri()
    session.client.notebook_document_did_open(
        lsp.DidOpenNotebookDocumentParams(
            notebook_document=lsp.NotebookDocument(
                uri=uri,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    lsp.NotebookCell(kind=kind, document=cell_uri(uri, index))
                    for index, (kind, _, _) in enumerate(cells)
                ],
            ),
            cell_text_documents=[
                lsp.TextDocumentItem(
                    uri=cell_uri(uri, index), language_id=language, version=1, text=text
                )
                for index, (_, language, text) in enumerate(cells)
            ],
        )
    )
    return uri


async def cell_diagnostics(
    session: Session, uri: str, until: int, timeout: float = 30.0
) -> list[lsp.Diagnostic]:
    """The cell's diagnostics, once there are `until` of them (pulled or pushed)."""

    async def poll() -> list[lsp.Diagnostic]:
        while True:
            if session.pull:
                report = await session.client.text_document_diagnostic_async(
                    lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
                )
                assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
                items = list(report.items)
            else:
                items = next(
                    (
                        list(p.diagnostics)
                        for p in reversed(session.client.published)
                        if p.uri == uri
                    ),
                    [],
                )
            if len(items) == until:
                return items
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), timeout)


async def test_findings_land_on_their_cells(session: Session) -> None:
    uri = open_notebook(session, "agent.ipynb", CELLS)
    (remember,) = await cell_diagnostics(session, cell_uri(uri, 2), 1)
    assert remember.code == "AGT401"
    # Rows counted within the cell: `seen=[]` is on the cell's first line.
    assert remember.range.start == lsp.Position(line=0, character=24)
    (ask,) = await cell_diagnostics(session, cell_uri(uri, 3), 1)
    assert ask.code == "AGT401" and ask.range.start.line == 0
    # The first code cell (an IPython line, then plain code) has nothing to report.
    assert await cell_diagnostics(session, cell_uri(uri, 1), 0) == []


async def test_editing_a_cell_updates_its_diagnostics(session: Session) -> None:
    uri = open_notebook(session, "edit.ipynb", CELLS)
    target = cell_uri(uri, 3)
    await cell_diagnostics(session, target, 1)
    session.client.notebook_document_did_change(
        lsp.DidChangeNotebookDocumentParams(
            notebook_document=lsp.VersionedNotebookDocumentIdentifier(uri=uri, version=2),
            change=lsp.NotebookDocumentChangeEvent(
                cells=lsp.NotebookDocumentCellChanges(
                    text_content=[
                        lsp.NotebookDocumentCellContentChanges(
                            document=lsp.VersionedTextDocumentIdentifier(uri=target, version=2),
                            changes=[
                                lsp.TextDocumentContentChangeWholeDocument(
                                    text="def ask(question, notes=None):\n    return notes"
                                )
                            ],
                        )
                    ]
                )
            ),
        )
    )
    assert await cell_diagnostics(session, target, 0) == []
    # The other cell keeps its finding.
    assert len(await cell_diagnostics(session, cell_uri(uri, 2), 1)) == 1


async def test_a_name_from_an_earlier_cell_is_known(session: Session) -> None:
    # AGT504 knows `fetch` is a coroutine only by reading the first cell: the cells are one module.
    cells = [
        (lsp.NotebookCellKind.Code, "python", "async def fetch():\n    return 1"),
        (lsp.NotebookCellKind.Code, "python", "async def main():\n    fetch()"),
    ]
    uri = open_notebook(session, "joined.ipynb", cells)
    (unawaited,) = await cell_diagnostics(session, cell_uri(uri, 1), 1)
    assert unawaited.code == "AGT504"
    assert unawaited.range.start.line == 1


async def test_cells_are_pushed_even_to_a_pulling_client(session: Session) -> None:
    """A client pulls diagnostics for the documents its selector names (VS Code's: `file` and
    `untitled` Python files), never for cells: the server pushes a notebook's cells."""
    uri = open_notebook(session, "pushed.ipynb", CELLS)

    async def pushed() -> list[lsp.Diagnostic]:
        while True:
            for params in reversed(session.client.published):
                if params.uri == cell_uri(uri, 2) and params.diagnostics:
                    return list(params.diagnostics)
            await asyncio.sleep(0.05)

    (remember,) = await asyncio.wait_for(pushed(), 30)
    assert remember.code == "AGT401"
