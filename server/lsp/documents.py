"""Text document sync: open, change, close and save, and files changed on disk.

An open document is analysed after each change (debounced, analysis.py); saving it, or a file
changing on disk, updates the workspace index; a config file changing re-lints everything.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from agentsense.server.lsp.analysis import schedule, wake
from agentsense.server.lsp.configuration import config_changed
from agentsense.server.lsp.convert import path_for
from agentsense.server.lsp.indexing import reindex
from agentsense.server.lsp.settings import is_config_file
from agentsense.server.lsp.state import Document, State, TimeBudget


def did_open(state: State, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    doc = Document.open(item.uri, path_for(item.uri), item.version, item.text)
    state.documents[item.uri] = doc
    schedule(state, doc, 0)


def did_change(state: State, params: lsp.DidChangeTextDocumentParams) -> None:
    doc = state.documents.get(params.text_document.uri)
    if doc is None:
        return
    doc.version = params.text_document.version
    doc.text = state.ls.workspace.get_text_document(doc.uri).source
    if doc.hints:
        doc.hints.clear()  # a Run tool result describes the code as it was
    schedule(state, doc)


def did_close(state: State, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    doc = state.documents.pop(uri, None)
    state.too_large.discard(uri)
    state.over_budget.discard(uri)
    if doc is not None:
        if doc.timer is not None:
            doc.timer.cancel()
        wake(doc)
    if not state.pull:
        state.publish(uri, None, [])


async def did_save(state: State, params: lsp.DidSaveTextDocumentParams) -> None:
    path = path_for(params.text_document.uri)
    if is_config_file(path):
        config_changed(state)
        return
    doc = state.documents.get(params.text_document.uri)
    if doc is not None and doc.budget.exhausted is not None:
        # Its analyses ran out of even the larger budget: saving is when it is tried again.
        doc.budget = TimeBudget()
        doc.result = None
        state.too_large.discard(doc.uri)
        schedule(state, doc, 0)
    await reindex(state, path, doc.text if doc is not None else None)


async def did_change_watched_files(state: State, params: lsp.DidChangeWatchedFilesParams) -> None:
    changed_config = False
    for change in params.changes:
        path = path_for(change.uri)
        if is_config_file(path):
            changed_config = True
        elif path.endswith(".py") and change.uri not in state.documents:
            await reindex(state, path)
    if changed_config:
        config_changed(state)
