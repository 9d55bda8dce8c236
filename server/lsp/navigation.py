"""Workspace symbols and go-to-definition: tools and agents by their registered name."""

from __future__ import annotations

from lsprotocol import types as lsp

from agentsense.server.lsp.analysis import lines_for
from agentsense.server.lsp.convert import TextLines, uri_for
from agentsense.server.lsp.state import State
from agentsense.server.lsp.workspace_index import lookup_name_at


def workspace_symbol(
    state: State, params: lsp.WorkspaceSymbolParams
) -> list[lsp.SymbolInformation]:
    out: list[lsp.SymbolInformation] = []
    for reg in state.index.search(params.query):
        lines = lines_for(state, reg.path) or TextLines("")
        out.append(
            lsp.SymbolInformation(
                name=reg.name,
                kind=lsp.SymbolKind.Function if reg.kind == "tool" else lsp.SymbolKind.Class,
                location=lsp.Location(uri=uri_for(reg.path), range=lines.range(reg.span)),
                container_name=f"{reg.kind} ({reg.registry.rsplit('::', 1)[-1]})",
            )
        )
    return out


def definition(state: State, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    """Where the registered name under the cursor (a string naming a tool) is registered."""
    doc = state.documents.get(params.text_document.uri)
    if doc is None:
        return None
    lines = TextLines(doc.text, state.encoding())
    location = lines.from_client(params.position)
    known = sorted({reg.name for reg in state.index.registrations()})
    name = lookup_name_at(lines.line(location.row - 1), location.column - 1, known)
    if name is None:
        return None
    found = state.index.find(name)
    if not found:
        return None
    out: list[lsp.Location] = []
    for reg in found:
        reg_lines = lines_for(state, reg.path) or TextLines("")
        out.append(lsp.Location(uri=uri_for(reg.path), range=reg_lines.range(reg.span)))
    return out
