"""Pulled diagnostics (`textDocument/diagnostic`); pushed ones are published by analysis.py."""

from __future__ import annotations

from lsprotocol import types as lsp

from agentsense.server.lsp.analysis import current
from agentsense.server.lsp.notebook_sync import split_diagnostics
from agentsense.server.lsp.state import State

# A diagnostics pull from a client that cannot be asked to pull again (no
# workspace/diagnostic/refresh) is answered when the analysis ends, within this bound.
WAIT_FOR_ANALYSIS_NO_REFRESH = 600.0

DocumentDiagnosticReport = (
    lsp.RelatedFullDocumentDiagnosticReport | lsp.RelatedUnchangedDocumentDiagnosticReport
)


async def diagnostic(
    state: State, params: lsp.DocumentDiagnosticParams
) -> DocumentDiagnosticReport:
    uri = params.text_document.uri
    notebook_uri = state.cell_notebook.get(uri)
    doc = state.documents.get(notebook_uri or uri)
    if doc is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    if state.can_refresh_diagnostics():
        result = await current(state, doc)
        if result is None:
            # Still analysing: answer with what there is, and ask for a new pull when it ends.
            doc.refresh_pending = True
            result = doc.result
    else:
        # This client would not pull again before the next edit: answer when the analysis ends.
        result = await current(state, doc, timeout=WAIT_FOR_ANALYSIS_NO_REFRESH, final=True)
    if result is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    if params.previous_result_id == result.result_id:
        return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
    items = list(result.diagnostics)
    cells = state.notebooks.get(notebook_uri) if notebook_uri is not None else None
    if cells is not None:
        items = split_diagnostics(cells, items).get(uri, [])
    return lsp.RelatedFullDocumentDiagnosticReport(items=items, result_id=result.result_id)
