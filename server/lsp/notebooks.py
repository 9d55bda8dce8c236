"""Notebook documents (`notebookDocument/didOpen|didChange|didClose`): each open notebook is
one analysed Document of its joined code cells (notebook_sync.py joins them and splits the
diagnostics back onto the cells)."""

from __future__ import annotations

import contextlib

from lsprotocol import types as lsp

from agentsense.server.lsp.analysis import schedule, wake
from agentsense.server.lsp.convert import path_for
from agentsense.server.lsp.notebook_sync import NotebookCells, cells_of
from agentsense.server.lsp.state import Document, State


def _cell_texts(state: State, notebook: lsp.NotebookDocument) -> NotebookCells:
    texts = {}
    for cell in notebook.cells:
        with contextlib.suppress(Exception):
            texts[cell.document] = state.ls.workspace.get_text_document(cell.document).source
    return cells_of(notebook, texts)


def _sync_notebook(state: State, uri: str) -> None:
    """Re-join an open notebook from pygls's workspace and schedule its analysis."""
    notebook = state.ls.workspace.get_notebook_document(notebook_uri=uri)
    if notebook is None:
        return
    cells = _cell_texts(state, notebook)
    previous = state.notebooks.get(uri)
    state.notebooks[uri] = cells
    for cell_uri in cells.cell_uris:
        state.cell_notebook[cell_uri] = uri
    if previous is not None:
        # Cells that left the notebook (deleted, or now markdown) lose their diagnostics.
        for gone in set(previous.cell_uris) - set(cells.cell_uris):
            state.cell_notebook.pop(gone, None)
            state.publish(gone, None, [])
    doc = state.documents.get(uri)
    if doc is None:
        doc = Document.open(uri, path_for(uri), notebook.version, cells.joined.source)
        state.documents[uri] = doc
        schedule(state, doc, 0)
        return
    doc.version = notebook.version
    doc.text = cells.joined.source
    schedule(state, doc)


def notebook_did_open(state: State, params: lsp.DidOpenNotebookDocumentParams) -> None:
    _sync_notebook(state, params.notebook_document.uri)


def notebook_did_change(state: State, params: lsp.DidChangeNotebookDocumentParams) -> None:
    _sync_notebook(state, params.notebook_document.uri)


def notebook_did_close(state: State, params: lsp.DidCloseNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    cells = state.notebooks.pop(uri, None)
    doc = state.documents.pop(uri, None)
    if doc is not None:
        if doc.timer is not None:
            doc.timer.cancel()
        wake(doc)
    for cell_uri in cells.cell_uris if cells is not None else ():
        state.cell_notebook.pop(cell_uri, None)
        state.publish(cell_uri, None, [])
