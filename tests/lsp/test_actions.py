"""Code actions (fix, disable for this line, fix all) and hovers, end to end."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from tests.lsp.conftest import Session, apply_edit

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = '''def search(query: str, history=[]) -> list[str]:
    """Search."""
    found = [*history, query]  # reads the default only: the fix is safe
    return found


def run(agent):
    while True:
        agent.step()
'''


def whole(text: str) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=0, character=0),
        end=lsp.Position(line=len(text.splitlines()), character=0),
    )


async def test_fix_quick_fix(session: Session) -> None:
    uri = session.open("fix.py", SOURCE)
    diagnostics = await session.diagnostics(uri)
    mutable = next(d for d in diagnostics if d.code == "AGT401")
    actions = await session.code_actions(uri, [mutable], mutable.range)
    fix = next(a for a in actions if a.title.startswith("Fix:"))
    assert fix.kind == lsp.CodeActionKind.QuickFix
    assert fix.is_preferred is True  # a safe fix
    assert fix.edit is not None
    fixed = apply_edit(SOURCE, fix.edit, uri)
    assert "history: list | None = None" in fixed or "history=None" in fixed
    assert "if history is None:" in fixed
    # The unsafe fix of the loop is offered, but not as the preferred one.
    loop = next(d for d in diagnostics if d.code == "AGT101")
    actions = await session.code_actions(uri, [loop], loop.range)
    unsafe = next(a for a in actions if a.title.startswith("Fix:"))
    assert not unsafe.is_preferred
    assert "(unsafe)" in unsafe.title


async def test_disable_for_this_line(session: Session) -> None:
    uri = session.open("noqa.py", SOURCE)
    diagnostics = await session.diagnostics(uri)
    mutable = next(d for d in diagnostics if d.code == "AGT401")
    actions = await session.code_actions(uri, [mutable], mutable.range)
    disable = next(a for a in actions if a.title == "Disable AGT401 for this line")
    assert disable.edit is not None
    text = apply_edit(SOURCE, disable.edit, uri)
    assert text.splitlines()[0].endswith("  # noqa: AGT401")
    session.change(uri, text)
    after = await session.diagnostics(uri)
    assert "AGT401" not in {d.code for d in after}
    # A line whose comment names another code gets this one added to it.
    text2 = text.replace("    while True:", "    while True:  # noqa: AGT102")
    session.change(uri, text2)
    loop = next(d for d in await session.diagnostics(uri) if d.code == "AGT101")
    actions = await session.code_actions(uri, [loop], loop.range)
    disable = next(a for a in actions if a.title == "Disable AGT101 for this line")
    assert disable.edit is not None
    text3 = apply_edit(text2, disable.edit, uri)
    assert text3.splitlines()[7] == "    while True:  # noqa: AGT102, AGT101"
    session.change(uri, text3)
    assert "AGT101" not in {d.code for d in await session.diagnostics(uri)}


PROMPT = '''import os

api_key = os.environ["SEARCH_API_KEY"]
system_prompt = f"""You can call the search API.
Use the key {api_key} for it.
"""
'''


async def test_disable_inside_a_multiline_string(session: Session) -> None:
    # Neither the finding's line nor the statement's first line can take a comment (both
    # end inside the string): the noqa comment goes after the closing quotes.
    uri = session.open("prompt_noqa.py", PROMPT)
    secret = next(d for d in await session.diagnostics(uri) if d.code == "AGT301")
    assert secret.range.start.line == 4
    actions = await session.code_actions(uri, [secret], secret.range)
    disable = next(a for a in actions if a.title == "Disable AGT301 for this line")
    assert disable.edit is not None
    text = apply_edit(PROMPT, disable.edit, uri)
    assert text.splitlines()[5] == '"""  # noqa: AGT301'
    assert text.replace("  # noqa: AGT301", "") == PROMPT  # the string is untouched
    session.change(uri, text)
    assert not {d.code for d in await session.diagnostics(uri)} & {"AGT301", "AGT900"}


async def test_fix_all(session: Session) -> None:
    source = "def f(a=[]):\n    return a\n\n\ndef g(b={}):\n    return b\n"
    uri = session.open("fixall.py", source)
    await session.diagnostics(uri)
    actions = await session.code_actions(uri, [], whole(source), only=["source.fixAll"])
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.agentsense"
    if fix_all.edit is None:  # resolved lazily when the client supports it
        fix_all = await session.client.code_action_resolve_async(fix_all)
    assert fix_all.edit is not None
    fixed = apply_edit(source, fix_all.edit, uri)
    assert "a=None" in fixed and "b=None" in fixed
    session.change(uri, fixed)
    assert await session.diagnostics(uri) == []


async def test_only_quickfix_excludes_fix_all(session: Session) -> None:
    uri = session.open("only.py", "def f(a=[]):\n    return a\n")
    diagnostics = await session.diagnostics(uri)
    actions = await session.code_actions(uri, diagnostics, diagnostics[0].range, only=["quickfix"])
    assert actions and all(a.kind == lsp.CodeActionKind.QuickFix for a in actions)


async def test_hover_on_diagnostic_and_on_noqa_code(session: Session) -> None:
    uri = session.open("hover.py", "def f(a=[]):  # noqa: AGT101\n    return a\n")
    (diag,) = [d for d in await session.diagnostics(uri) if d.code == "AGT401"]
    hover = await session.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=diag.range.start
        )
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.kind == lsp.MarkupKind.Markdown
    text = hover.contents.value
    assert "AGT401" in text and "mutable-default-argument" in text
    assert "```python" in text and "Flagged" in text and "Clean" in text
    noqa = await session.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=0, character=24),
        )
    )
    assert noqa is not None and isinstance(noqa.contents, lsp.MarkupContent)
    assert "AGT101" in noqa.contents.value and "unbounded-agent-loop" in noqa.contents.value
    nothing = await session.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=1, character=5),
        )
    )
    assert nothing is None


async def test_hover_on_a_tool_name_shows_what_the_model_sees(session: Session) -> None:
    source = (
        "from mcp.server.mcpserver import MCPServer\n"
        "\n"
        "server = MCPServer('notes')\n"
        "\n"
        "@server.tool()\n"
        "def add_note(text: str, pinned: bool = False) -> str:\n"
        '    """Add a note."""\n'
        "    return text\n"
    )
    uri = session.open("seen.py", source)
    await session.diagnostics(uri)
    hover = await session.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=5, character=6),
        )
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    text = hover.contents.value
    assert "What the model sees" in text and "MCP" in text and "`add_note`" in text
    assert "Add a note." in text
    assert '"title": "add_noteArguments"' in text and '"default": false' in text
    elsewhere = await session.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=7, character=6),
        )
    )
    assert elsewhere is None
