"""Run tool end to end: lenses, the command, limits, and refusal in untrusted workspaces."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest
from lsprotocol import types as lsp

from tests.lsp.conftest import Client, Session, start_session

TOOLS = '''
import socket
import subprocess
import time

from agentsense.runtime.registry import tool


# agentsense: example query="python" limit=2
@tool
def search(query: str, limit: int = 3) -> list[str]:
    """Search the knowledge base."""
    print("searching", query)
    return [f"{query} {i}" for i in range(limit)]


@tool
def ping() -> str:
    """Answer pong."""
    return "pong"


@tool
def spin() -> int:
    """Loop forever."""
    while True:
        pass


@tool
def hog() -> int:
    """Ask for more memory than the limit in one go (fails at once, however loaded the machine:
    growing in steps could meet the 2 s timeout first)."""
    return len(bytearray(8 * 1024 * 1024 * 1024))


@tool
def orphan() -> int:
    """Start a child process and hang."""
    subprocess.Popen(["sleep", "600"])
    time.sleep(600)
    return 0


@tool
def fetch() -> str:
    """Open a socket."""
    with socket.create_connection(("127.0.0.1", 9), timeout=2):
        return "connected"
'''


async def lenses(session: Session, uri: str) -> list[lsp.CodeLens]:
    for _ in range(100):
        found = await session.client.text_document_code_lens_async(
            lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        if found:
            return list(found)
        await asyncio.sleep(0.05)
    return []


async def run(session: Session, lens: lsp.CodeLens, **override: object) -> dict[str, object]:
    assert lens.command is not None and lens.command.arguments
    argument = {**lens.command.arguments[0], **override}
    result = await session.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=lens.command.command, arguments=[argument])
    )
    assert isinstance(result, dict)
    return result


def lens_for(found: list[lsp.CodeLens], name: str) -> lsp.CodeLens:
    return next(
        lens
        for lens in found
        if lens.command is not None
        and lens.command.arguments
        and lens.command.arguments[0].get("name") == name
    )


async def test_lens_runs_tool_with_example_arguments(fresh: Client) -> None:
    session = await start_session(fresh)
    uri = session.open("tools.py", TOOLS)
    await session.diagnostics(uri)
    found = await lenses(session, uri)
    search = lens_for(found, "search")
    assert search.command is not None and search.command.title == "▶ Run tool"
    assert search.command.command == "agentsense.runTool"
    target = search.command.arguments[0]  # type: ignore[index]
    assert target["arguments"] == {"query": "python", "limit": 2}
    assert [p["name"] for p in target["parameters"]] == ["query", "limit"]
    assert search.range.start.line == 8  # the decorator line, below the example comment
    result = await run(session, search)
    assert result["ok"] is True
    assert result["value"] == ["python 0", "python 1"]
    assert "searching python" in str(result["stdout"])
    assert any("search returned" in m.message for m in session.client.messages)
    # The result shows on the tool's line until the next edit.
    again = await lenses(session, uri)
    assert any(
        lens.command is not None and "search returned" in lens.command.title for lens in again
    )
    # A tool without required parameters runs with no arguments.
    ping = lens_for(found, "ping")
    assert ping.command is not None and ping.command.arguments[0]["arguments"] == {}  # type: ignore[index]
    assert (await run(session, ping))["value"] == "pong"
    # Arguments from the client (the VS Code extension prompts for them) win.
    assert (await run(session, search, arguments={"query": "go", "limit": 1}))["value"] == ["go 0"]
    bad = await run(session, search, arguments={"limit": "many"})
    assert bad["ok"] is False and bad["error"]["kind"] == "validation"  # type: ignore[index]
    # The same run is offered as a code action on the tool. (lsprotocol reads any code action
    # carrying a command as a bare Command, so the command comes back as text here.)
    actions = await session.client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(
                start=lsp.Position(line=10, character=0), end=lsp.Position(line=10, character=0)
            ),
            context=lsp.CodeActionContext(diagnostics=[], only=["source.agentsense.runTool"]),
        )
    )
    assert actions is not None
    (run_action,) = actions
    assert run_action.title == "▶ Run tool 'search'"
    assert "agentsense.runTool" in str(run_action.command)


@pytest.mark.init_options({"runToolTimeout": 2})
async def test_runaway_tools_are_stopped(fresh: Client) -> None:
    session = await start_session(fresh)
    uri = session.open("tools.py", TOOLS)
    await session.diagnostics(uri)
    found = await lenses(session, uri)

    async def responsive() -> None:
        # While a tool runs, the server keeps answering.
        await asyncio.sleep(0.5)
        hover = await asyncio.wait_for(
            session.client.text_document_hover_async(
                lsp.HoverParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    position=lsp.Position(line=0, character=0),
                )
            ),
            timeout=3,
        )
        assert hover is None

    spin, _ = await asyncio.gather(run(session, lens_for(found, "spin")), responsive())
    assert spin["ok"] is False and spin["error"]["kind"] == "timeout"  # type: ignore[index]
    hog = await run(session, lens_for(found, "hog"))
    assert hog["ok"] is False
    assert "MemoryError" in str(hog["error"]) or hog["error"]["kind"] == "crashed"  # type: ignore[index]
    orphan = await run(session, lens_for(found, "orphan"))
    assert orphan["ok"] is False and orphan["error"]["kind"] == "timeout"  # type: ignore[index]
    fetch = await run(session, lens_for(found, "fetch"))
    assert fetch["ok"] is False and "network access is disabled" in str(fetch["error"])
    # The server is still fine.
    session.change(uri, TOOLS + "\n\ndef f(a=[]):\n    return a\n")
    assert "AGT401" in {d.code for d in await session.diagnostics(uri)}


@pytest.mark.init_options({"trusted": False})
async def test_untrusted_workspace_runs_nothing(fresh: Client) -> None:
    session = await start_session(fresh)
    uri = session.open("tools.py", TOOLS)
    await session.diagnostics(uri)
    found = await session.client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert not found
    result = await session.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(
            command="agentsense.runTool", arguments=[{"uri": uri, "name": "ping", "arguments": {}}]
        )
    )
    assert result["ok"] is False and result["error"]["kind"] == "untrusted"


WHERE = '''
import os

from agentsense.runtime.registry import tool


@tool
def where() -> str:
    """Say where the tool runs."""
    return os.getcwd()
'''


async def test_tools_run_in_their_workspace_folder(fresh: Client) -> None:
    # The working directory is the root of the workspace folder holding the tool (relative
    # paths in tools mean the project's root), not the file's directory or the first folder.
    first, second = fresh.root / "first", fresh.root / "second"
    (second / "pkg").mkdir(parents=True)
    first.mkdir()
    session = await start_session(fresh, folders=[first, second])
    for name, folder in (("first/where.py", first), ("second/pkg/where.py", second)):
        uri = session.open(name, WHERE)
        await session.diagnostics(uri)
        result = await run(session, lens_for(await lenses(session, uri), "where"))
        assert result["ok"] is True, result
        assert result["value"] == str(folder)


GRANDCHILD = '''
import subprocess
import sys

from agentsense.runtime.registry import tool


@tool
def relay(port: int) -> str:
    """Connect to a port from a process of its own."""
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
    done = subprocess.run([sys.executable, "-c", code + "; print('connected')"],
                          capture_output=True, text=True)
    return (done.stdout + done.stderr).strip()
'''


def _user_namespaces() -> bool:
    """Whether this machine lets a process unshare a user + network namespace."""
    probe = (
        "import ctypes, sys; "
        "sys.exit(ctypes.CDLL(None, use_errno=True).unshare(0x10000000 | 0x40000000) != 0)"
    )
    return (
        sys.platform.startswith("linux")
        and subprocess.run([sys.executable, "-c", probe]).returncode == 0
    )


@pytest.mark.skipif(not _user_namespaces(), reason="user namespaces are disabled here")
@pytest.mark.parametrize("allowed", [False, True])
async def test_processes_a_tool_starts_have_no_network_either(fresh: Client, allowed: bool) -> None:
    fresh.options = {"allowNetwork": allowed}
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    try:
        session = await start_session(fresh)
        uri = session.open("relay.py", GRANDCHILD)
        await session.diagnostics(uri)
        port = listener.getsockname()[1]
        result = await run(
            session, lens_for(await lenses(session, uri), "relay"), arguments={"port": port}
        )
        assert result["ok"] is True, result
        if allowed:
            assert result["value"] == "connected"
        else:
            assert "connected" not in str(result["value"]).split()
            with pytest.raises(BlockingIOError):
                listener.accept()  # nobody got through
    finally:
        listener.close()


ENVIRONMENT = '''
import os

from agentsense.runtime.registry import tool


@tool
def secret() -> bool:
    """Whether the tool sees the test's API key."""
    return "AGENTSENSE_TEST_API_KEY" in os.environ
'''


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A secret in the environment the server is started with (requested before `fresh`)."""
    monkeypatch.setenv("AGENTSENSE_TEST_API_KEY", "sk-not-a-real-key")


@pytest.mark.parametrize("passed", [False, True])
async def test_secrets_reach_a_tool_only_when_the_user_says_so(
    api_key: None, fresh: Client, passed: bool
) -> None:
    fresh.options = {"runToolPassSecrets": passed}
    session = await start_session(fresh)
    uri = session.open("env.py", ENVIRONMENT)
    await session.diagnostics(uri)
    result = await run(session, lens_for(await lenses(session, uri), "secret"))
    assert result["ok"] is True, result
    assert result["value"] is passed
    shown = [m.message for m in session.client.messages if "secret returned" in m.message]
    assert shown, session.client.messages
    if passed:
        assert result["withheld_env"] == []
    else:
        assert "AGENTSENSE_TEST_API_KEY" in result["withheld_env"]
        # Said next to the result, by name only.
        assert "withheld" in shown[-1] and "AGENTSENSE_TEST_API_KEY" in shown[-1]
        assert "sk-not-a-real-key" not in shown[-1]
