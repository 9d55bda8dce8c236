"""The server under abuse: floods of edits and broken code never cost it its life."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp

from agentsense.analyzers.budget import MAX_SOURCE_BYTES
from agentsense.analyzers.config import Config
from agentsense.analyzers.incremental import IncrementalLinter
from tests.lsp.agent_code import agent_module
from tests.lsp.conftest import Client, start_session

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def real_file() -> str:
    """A real agent file: the examples' largest, else a generated one."""
    candidates = (
        sorted(EXAMPLES.rglob("*.py"), key=lambda p: p.stat().st_size) if EXAMPLES.is_dir() else []
    )
    return candidates[-1].read_text() if candidates else agent_module(150)


async def test_flood_of_changes_ends_with_the_last_version(fresh: Client) -> None:
    session = await start_session(fresh)
    base = "def f(a=[]):\n    return a\n"
    uri = session.open("flood.py", base)
    await session.diagnostics(uri)
    for number in range(1, 501):
        # Each version has a different number of mutable defaults: the last has 500 % 7 = 3.
        extra = "".join(f"\n\ndef g{i}(x=[]):\n    return x\n" for i in range(number % 7))
        session.change(uri, base + extra)
    last = session.versions[uri]
    diagnostics = await session.diagnostics(uri)
    assert len([d for d in diagnostics if d.code == "AGT401"]) == 1 + 500 % 7
    if not session.pull:
        pushed = [p.version for p in session.client.published if p.uri == uri]
        assert pushed[-1] == last
        assert pushed == sorted(pushed)  # never an older version after a newer one
        assert len(pushed) < 250  # coalesced, not one analysis per keystroke
    hover = await session.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=0, character=9),
        )
    )
    assert hover is not None


async def test_every_prefix_of_a_real_file(fresh: Client) -> None:
    session = await start_session(fresh)
    text = real_file()
    uri = session.open("prefix.py", "")
    await session.diagnostics(uri)
    lines = text.splitlines(keepends=True)
    for count in range(1, len(lines) + 1):
        session.change(uri, "".join(lines[:count]))
        if count % 25 == 0:
            await session.diagnostics(uri)  # let some of them be analysed
    final = await session.diagnostics(uri)
    assert not any(d.code == "AGT001" for d in final)
    # Character prefixes of a slice of it, sent without waiting.
    middle = len(text) // 2
    for end in range(middle, min(middle + 400, len(text))):
        session.change(uri, text[:end])
    await session.diagnostics(uri)
    session.change(uri, text)
    assert not any(d.code == "AGT001" for d in await session.diagnostics(uri))


def test_incremental_linter_survives_every_character_prefix() -> None:
    text = real_file()[:2000]
    linter = IncrementalLinter("prefix.py")
    config = Config.default()
    for end in range(0, len(text), 5):
        linter.lint(text[:end], config)
    assert isinstance(linter.lint(text, config), list)


async def test_garbage_requests_are_answered(fresh: Client) -> None:
    session = await start_session(fresh)
    uri = session.open("garbage.py", "x = 1\n")
    await session.diagnostics(uri)
    # Positions past the end, unknown documents, malformed command arguments.
    hover = await session.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=999, character=999),
        )
    )
    assert hover is None
    missing = "file:///nowhere/missing.py"
    assert not await session.client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=missing))
    )
    result = await session.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="agentsense.runTool", arguments=["not an object"])
    )
    assert result["ok"] is False
    session.change(uri, "\x00\ufeff def (((\n" * 50)
    assert any(d.code == "AGT001" for d in await session.diagnostics(uri))
    await asyncio.sleep(0)


async def test_a_huge_document_is_not_linted_and_the_server_goes_on(fresh: Client) -> None:
    session = await start_session(fresh)
    # Over the 4 MB limit (generated-code size): parsing it would take gigabytes.
    huge = "def f(a=[]):\n    return a\n" + "x = 1\n" * (MAX_SOURCE_BYTES // 6 + 10)
    uri = session.open("huge.py", huge)
    assert await session.diagnostics(uri, timeout=60) == []
    for _ in range(200):
        if any(
            "huge.py is not linted: larger than 4 MB" in m.message for m in session.client.messages
        ):
            break
        await asyncio.sleep(0.05)
    warnings = [m for m in session.client.messages if "huge.py is not linted" in m.message]
    assert len(warnings) == 1 and warnings[0].type == lsp.MessageType.Warning
    # Shrunk below the limit, it is linted; and other documents were served all along.
    small = session.open("small.py", "def g(b={}):\n    return b\n")
    assert "AGT401" in {d.code for d in await session.diagnostics(small)}
    session.change(uri, "def f(a=[]):\n    return a\n")
    assert "AGT401" in {d.code for d in await session.diagnostics(uri)}
