"""Workspace index end to end: progress, cross-file duplicates, symbols, definitions, updates."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from agentsense.analyzers import budget
from agentsense.analyzers.config import Config
from agentsense.analyzers.model import Finding, Location, RelatedLocation, Severity, Span
from agentsense.server.lsp.analysis import compute_analysis
from agentsense.server.lsp.convert import DiagnosticOptions, TextLines
from agentsense.server.lsp.indexing import INDEX_PROCESS_FILES
from agentsense.server.lsp.workspace_index import WorkspaceIndex, summarize_file, summarize_text
from tests.lsp.conftest import Client, Session, start_session

FIRST = '''
from agentsense.runtime.registry import tool


@tool
def search(query: str) -> str:
    """Search the web."""
    return query
'''
SECOND = '''
from agentsense.runtime.registry import Agent, tool


@tool
def search(text: str) -> str:
    """Search the docs."""
    return text


class ReactAgent(Agent, agent_type="react"):
    """Reason and act."""
'''
USER = """
from agentsense.runtime.registry import create_agent, get_tool

tool = get_tool("search")
agent = create_agent("react")
"""


async def indexed(session: Session) -> None:
    """Wait until the initial indexing reported its end."""
    for _ in range(1500):
        for reports in session.client.progress_reports.values():
            if any(isinstance(r, lsp.WorkDoneProgressEnd) for r in reports):
                return
        await asyncio.sleep(0.02)
    raise AssertionError("indexing never ended")


async def test_index_cross_file_symbols_definitions(fresh: Client) -> None:
    root = fresh.root
    (root / "first.py").write_text(FIRST.lstrip())
    (root / "second.py").write_text(SECOND.lstrip())
    (root / "user.py").write_text(USER.lstrip())
    session = await start_session(fresh)
    await indexed(session)
    reports = next(iter(session.client.progress_reports.values()))
    assert isinstance(reports[0], lsp.WorkDoneProgressBegin)
    assert isinstance(reports[-1], lsp.WorkDoneProgressEnd)

    # AGT212 across files, pointing at the other registration.
    first = session.open("first.py")
    duplicate = [d for d in await session.diagnostics(first) if d.code == "AGT212"]
    assert len(duplicate) == 1
    assert duplicate[0].related_information
    assert duplicate[0].related_information[0].location.uri == (root / "second.py").as_uri()

    # workspace/symbol lists tools and agents by name.
    symbols = await session.client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query=""))
    assert symbols is not None
    names = {(s.name, s.container_name.split()[0]) for s in symbols if s.container_name}
    assert {("search", "tool"), ("react", "agent")} <= names
    found = await session.client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="rea"))
    assert found is not None and [s.name for s in found] == ["react"]

    # A name in a registry lookup goes to its definitions.
    user = session.open("user.py")
    await session.diagnostics(user)
    for line, column, name in ((2, 17, "search"), (3, 22, "react")):
        result = await session.client.text_document_definition_async(
            lsp.DefinitionParams(
                text_document=lsp.TextDocumentIdentifier(uri=user),
                position=lsp.Position(line=line, character=column),
            )
        )
        assert isinstance(result, list) and result, name
        uris = {loc.uri for loc in result if isinstance(loc, lsp.Location)}
        assert (root / "second.py").as_uri() in uris

    # Renaming the tool in the other file (saved on disk) updates the index and clears AGT212.
    (root / "second.py").write_text(SECOND.lstrip().replace("def search(", "def lookup("))
    session.client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[
                lsp.FileEvent(uri=(root / "second.py").as_uri(), type=lsp.FileChangeType.Changed)
            ]
        )
    )
    for _ in range(500):
        session.change(first, (root / "first.py").read_text())
        if not [d for d in await session.diagnostics(first) if d.code == "AGT212"]:
            break
        await asyncio.sleep(0.05)
    assert not [d for d in await session.diagnostics(first) if d.code == "AGT212"]


async def test_a_noqa_silencing_a_duplicate_in_another_file_is_used(fresh: Client) -> None:
    root = fresh.root
    suppressed = FIRST.lstrip().replace(
        "def search(query: str) -> str:", "def search(query: str) -> str:  # noqa: AGT212"
    )
    (root / "first.py").write_text(suppressed)
    (root / "second.py").write_text(SECOND.lstrip())
    session = await start_session(fresh)
    await indexed(session)
    first = session.open("first.py")

    async def codes() -> set[str | int | None]:
        return {d.code for d in await session.diagnostics(first)}

    # The file alone would call the comment unused (AGT900); the workspace uses it.
    for _ in range(500):
        if not await codes() & {"AGT212", "AGT900"}:
            break
        await asyncio.sleep(0.05)
        session.change(first, suppressed)
    assert not await codes() & {"AGT212", "AGT900"}

    # Once the other file registers another name, the comment is unused again.
    (root / "second.py").write_text(SECOND.lstrip().replace("def search(", "def lookup("))
    session.client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[
                lsp.FileEvent(uri=(root / "second.py").as_uri(), type=lsp.FileChangeType.Changed)
            ]
        )
    )
    for _ in range(500):
        if "AGT900" in await codes():
            break
        await asyncio.sleep(0.05)
    assert await codes() & {"AGT212", "AGT900"} == {"AGT900"}


async def test_open_documents_are_analysed_before_indexing(fresh: Client) -> None:
    # On a thread the indexer competes with analysis for the GIL: the diagnostics of the
    # documents the editor opens first come first.
    for number in range(5):
        (fresh.root / f"mod{number}.py").write_text(FIRST.replace("search", f"search{number}"))
    session = await start_session(fresh)
    uri = session.open("mod0.py")
    await indexed(session)
    logs = [m.message for m in session.client.log_messages]
    analysed = next(i for i, m in enumerate(logs) if m.startswith("mod0.py v1:"))
    indexing = next(i for i, m in enumerate(logs) if m.startswith("indexing "))
    assert analysed < indexing
    assert await session.diagnostics(uri) is not None


async def test_indexing_waits_while_the_user_types(fresh: Client) -> None:
    for number in range(3):
        (fresh.root / f"mod{number}.py").write_text(FIRST.replace("search", f"search{number}"))
    session = await start_session(fresh)
    uri = session.open("mod0.py")
    text = (fresh.root / "mod0.py").read_text()
    for number in range(15):  # a keystroke every 0.1 s for 1.5 s
        await asyncio.sleep(0.1)
        session.change(uri, text + "#" * number)
    last = session.versions[uri]
    await session.diagnostics(uri)
    await indexed(session)
    logs = [m.message for m in session.client.log_messages]
    typed = max(i for i, m in enumerate(logs) if m.startswith(f"mod0.py v{last}:"))
    indexing = next(i for i, m in enumerate(logs) if m.startswith("indexing "))
    assert typed < indexing


async def test_save_updates_index(fresh: Client) -> None:
    root = fresh.root
    (root / "first.py").write_text(FIRST.lstrip())
    session = await start_session(fresh)
    await indexed(session)
    second = session.open("second.py", SECOND)
    session.client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=second))
    )
    first = session.open("first.py")
    for _ in range(500):
        if [d for d in await session.diagnostics(first) if d.code == "AGT212"]:
            break
        await asyncio.sleep(0.05)
        session.change(first, (root / "first.py").read_text())
    assert [d for d in await session.diagnostics(first) if d.code == "AGT212"]


def _children(pid: int) -> list[str]:
    """The command lines of the live (not zombie) processes whose parent is `pid` (/proc)."""
    found: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        # The fields after the command name, which may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def _index_processes(pid: int) -> list[str]:
    # multiprocessing's spawned workers run `spawn_main` (its resource tracker does not).
    return [cmdline for cmdline in _children(pid) if "spawn_main" in cmdline]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
async def test_the_indexing_process_ends_when_indexing_ends(fresh: Client) -> None:
    """A big workspace is indexed in a process of its own, which holds everything it parsed:
    it must not outlive the indexing (later updates of single files run on a thread)."""
    for number in range(INDEX_PROCESS_FILES + 5):
        (fresh.root / f"mod{number}.py").write_text(FIRST.replace("search", f"search{number}"))
    server_pid = fresh._server.pid
    session = await start_session(fresh)
    seen = False
    for _ in range(1500):
        seen = seen or bool(_index_processes(server_pid))
        reports = session.client.progress_reports.values()
        if any(isinstance(r, lsp.WorkDoneProgressEnd) for rs in reports for r in rs):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("indexing never ended")
    assert seen, "the workspace was not indexed in a process of its own"
    for _ in range(500):
        if not _index_processes(server_pid):
            break
        await asyncio.sleep(0.02)
    assert _index_processes(server_pid) == []
    # The index still updates afterwards (on a thread).
    saved = session.open("later.py", FIRST.replace("search", "later"))
    session.client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=saved))
    )
    for _ in range(500):
        if await symbol_paths(session, "later"):
            break
        await asyncio.sleep(0.02)
    assert await symbol_paths(session, "later") == {f"{fresh.root.name}/later.py"}
    assert _index_processes(server_pid) == []


async def symbol_paths(session: Session, query: str) -> set[str]:
    symbols = await session.client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query=query))
    return {
        s.location.uri.rsplit("/", 2)[-2] + "/" + s.location.uri.rsplit("/", 1)[-1]
        for s in symbols or []
        if isinstance(s, lsp.SymbolInformation) and s.name == query
    }


async def test_multi_root_workspace(fresh: Client) -> None:
    root = fresh.root
    first, second, third = root / "first", root / "second", root / "third"
    for folder in (first, second, third):
        folder.mkdir()
    (first / "a.py").write_text(FIRST.lstrip())
    (first / "b.py").write_text(SECOND.lstrip())
    (second / "c.py").write_text(FIRST.lstrip())  # the same tool name in another project
    (third / "d.py").write_text(FIRST.lstrip().replace("def search(", "def fetch("))
    session = await start_session(fresh, folders=[first, second])
    await indexed(session)

    # Every folder is indexed.
    assert await symbol_paths(session, "search") == {"first/a.py", "first/b.py", "second/c.py"}
    # Duplicates are found within a folder, never across folders (separate projects).
    a = session.open("first/a.py")
    duplicate = [d for d in await session.diagnostics(a) if d.code == "AGT212"]
    assert len(duplicate) == 1 and duplicate[0].related_information
    assert duplicate[0].related_information[0].location.uri == (first / "b.py").as_uri()
    c = session.open("second/c.py")
    assert not [d for d in await session.diagnostics(c) if d.code == "AGT212"]

    # A folder added to the workspace is indexed; a removed one is forgotten.
    session.client.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(
                added=[lsp.WorkspaceFolder(uri=third.as_uri(), name="third")],
                removed=[lsp.WorkspaceFolder(uri=second.as_uri(), name="second")],
            )
        )
    )
    for _ in range(500):
        if await symbol_paths(session, "fetch"):
            break
        await asyncio.sleep(0.02)
    assert await symbol_paths(session, "fetch") == {"third/d.py"}
    assert await symbol_paths(session, "search") == {"first/a.py", "first/b.py"}


def test_related_locations_read_each_other_file_once_per_analysis() -> None:
    # Cross-file duplicates point into other files; a document with many of them must not
    # re-read (and re-split) the other file for every location.
    span = Span(Location(1, 1), Location(1, 4))
    cross = [
        Finding(
            "AGT212",
            "duplicate-tool-name",
            f"duplicate {row}",
            Severity.ERROR,
            "/ws/a.py",
            Span(Location(row, 1), Location(row, 4)),
            related=(RelatedLocation("/ws/b.py", span, "the other one"),),
        )
        for row in (1, 2, 3)
    ]
    reads: list[str] = []

    def lines_for(path: str) -> TextLines | None:
        reads.append(path)
        return TextLines("def f(): ...\n")

    result = compute_analysis(
        None,
        "/ws/a.py",
        1,
        "x = 1\ny = 2\nz = 3\n",
        Config.default(),
        cross,
        "utf-16",
        DiagnosticOptions(),
        lines_for,
    )
    related = [d.related_information for d in result.diagnostics if d.code == "AGT212"]
    assert len(related) == 3 and all(r and r[0].location.uri.endswith("b.py") for r in related)
    assert reads == ["/ws/b.py"]


def test_the_index_skips_files_over_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.py"
    path.write_text(FIRST)
    [found] = summarize_file(str(path)).registrations  # type: ignore[union-attr]
    assert found.name == "search"
    monkeypatch.setattr(budget, "MAX_SOURCE_BYTES", len(FIRST) - 1)
    assert summarize_file(str(path)) is None
    assert summarize_text(FIRST, str(path)).registrations == ()


def test_the_editor_index_bounds_duplicates_across_many_files() -> None:
    """The workspace index runs the same project pass: N files with one tool name give one
    diagnostic per file, each with at most 3 related locations, and noqa comments count."""
    index = WorkspaceIndex(roots=("/ws",))
    for number in range(30):
        text = FIRST if number else FIRST.replace("def search(", "def search(  # noqa: AGT212\n")
        index.update(summarize_text(text, f"/ws/tool_{number:02}.py"))
    changed = index.recompute(lambda path: Config.default())
    # tool_00.py has no finding, but its noqa comment was used: its AGT900 changes.
    assert len(changed) == 30 and index.findings_for("/ws/tool_00.py") == []
    assert index.used_suppressions_for("/ws/tool_00.py") == {("/ws/tool_00.py", 6, "AGT212")}
    [finding] = index.findings_for("/ws/tool_29.py")
    assert [r.path for r in finding.related] == [f"/ws/tool_0{n}.py" for n in range(3)]
    assert finding.message.startswith(
        "tool 'search' is also registered in tool_00.py:6, tool_01.py:6, tool_02.py:6 and 26 "
        "other places;"
    )
