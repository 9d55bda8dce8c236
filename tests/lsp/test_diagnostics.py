"""Diagnostics end to end: contents, incremental sync, freshness, pull and push, close."""

from __future__ import annotations

import asyncio
import json

import pytest
from lsprotocol import types as lsp

from tests.lsp.conftest import Session

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECRET = "sk-proj-9fJ2kLmQ7xR4tV1wZ8yB3nC6dE0gH5aPqT"
SAMPLE = f'''
import os
from agentsense.runtime.registry import tool

OPENAI_API_KEY = "{SECRET}"


@tool
def search(query: str, history=[]) -> list[str]:
    """Search the web."""
    history.append(query)
    return history


@tool(name="search")
def search_again(query: str) -> str:
    """Search again."""
    return query


def run(agent):
    while True:
        agent.step()
'''


def by_code(diagnostics: list[lsp.Diagnostic]) -> dict[str, list[lsp.Diagnostic]]:
    out: dict[str, list[lsp.Diagnostic]] = {}
    for diag in diagnostics:
        out.setdefault(str(diag.code), []).append(diag)
    return out


async def test_diagnostic_contents(session: Session) -> None:
    uri = session.open("contents.py", SAMPLE)
    found = by_code(await session.diagnostics(uri))
    assert {"AGT101", "AGT212", "AGT302", "AGT401"} <= set(found)
    mutable = found["AGT401"][0]
    assert mutable.source == "agentsense"
    assert mutable.severity == lsp.DiagnosticSeverity.Warning
    assert mutable.range.start == lsp.Position(line=7, character=31)
    assert mutable.code_description is None  # no rule page exists to link to
    assert isinstance(mutable.data, dict)
    # `search` appends to its default: moving it into the body changes what callers see, so
    # the fix is unsafe (issue 17: a safe fix keeps behaviour).
    assert mutable.data["fix"]["applicability"] == "unsafe"
    assert mutable.data["fix"]["edits"]
    # The duplicate registration points at the other one.
    duplicate = found["AGT212"][0]
    assert duplicate.related_information
    assert duplicate.related_information[0].location.uri == uri
    # A secret never appears in full, anywhere in what the server sent.
    secret = found["AGT302"][0]
    assert "sk-p" in secret.message
    assert SECRET not in json.dumps(session.client.protocol._converter.unstructure(found))


async def test_incremental_edits_update_diagnostics(session: Session) -> None:
    uri = session.open("edits.py", "def f(items=[]):\n    return items\n")
    assert [d.code for d in await session.diagnostics(uri)] == ["AGT401"]
    # Replace `[]` with `None` through an incremental change.
    session.edit(uri, 0, 12, 14, "None")
    assert await session.diagnostics(uri) == []
    session.edit(uri, 1, 11, 16, "(items")
    assert [d.code for d in await session.diagnostics(uri)] == ["AGT001"]
    session.edit(uri, 1, 11, 17, "items")
    assert await session.diagnostics(uri) == []


async def test_result_id_says_unchanged(session: Session) -> None:
    if not session.pull:
        pytest.skip("pull diagnostics only (this client gets them pushed)")
    uri = session.open("unchanged.py", "def f(items=[]):\n    return items\n")
    first = await session.client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(first, lsp.RelatedFullDocumentDiagnosticReport) and first.result_id
    # An edit that changes no finding keeps the id: the answer is "unchanged".
    session.edit(uri, 1, 16, 16, "  # note")
    second = await session.client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), previous_result_id=first.result_id
        )
    )
    assert isinstance(second, lsp.RelatedUnchangedDocumentDiagnosticReport)
    assert second.result_id == first.result_id


async def test_close_clears_pushed_diagnostics(session: Session) -> None:
    uri = session.open("closing.py", "def f(items=[]):\n    return items\n")
    assert await session.diagnostics(uri)
    session.close(uri)
    if session.pull:
        return  # a pull client drops a closed document's diagnostics itself
    for _ in range(500):
        if not [p for p in session.client.published if p.uri == uri][-1].diagnostics:
            break
        await asyncio.sleep(0.02)
    assert not [p for p in session.client.published if p.uri == uri][-1].diagnostics


async def test_severity_and_non_ascii_columns(session: Session) -> None:
    # Columns are UTF-16 code units for these clients: the emoji counts as two.
    uri = session.open("unicode.py", 'x = "😀"; y = 1\ndef f(a={}):\n    return a\n')
    (diag,) = await session.diagnostics(uri)
    assert diag.code == "AGT401"
    assert diag.range.start == lsp.Position(line=1, character=8)
