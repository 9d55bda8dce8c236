"""pytest-lsp fixtures: the real server over stdio, driven with VS Code's and Neovim's capabilities.

VS Code's recorded capabilities (1.65) have no pull diagnostics, Neovim's (0.11) do: running
every test with both covers the push and the pull paths.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

AGENTSENSE = Path(sys.executable).with_name("agentsense")
SERVER_COMMAND = (
    [str(AGENTSENSE), "server", "--stdio"]
    if AGENTSENSE.exists()
    else [sys.executable, "-m", "agentsense.server.lsp"]
)
CLIENTS = ("visual-studio-code", "neovim")
# Fast debounce and a short tool timeout keep the suite quick; tests never assert timings.
INIT_OPTIONS: dict[str, Any] = {"debounceMs": 20, "runToolTimeout": 4, "trusted": True}


class Client(LanguageClient):
    """pytest-lsp's client, also keeping every publishDiagnostics it receives."""

    published: list[lsp.PublishDiagnosticsParams]
    session: Session | None
    client_name: str
    root: Path
    options: dict[str, Any]


def make_client() -> Client:
    client = Client(converter_factory=default_converter)
    client.published = []
    client.session = None

    def publish(client_: Client, params: lsp.PublishDiagnosticsParams) -> None:
        client_.diagnostics[params.uri] = params.diagnostics
        client_.published.append(params)

    def accept(client_: Client, params: object) -> None:
        return None

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[lsp.CLIENT_REGISTER_CAPABILITY] = accept
    features[lsp.WORKSPACE_CODE_LENS_REFRESH] = accept
    register_lsp_features(client, features)
    return client


CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)


@dataclass
class Session:
    """A started server with helpers for what the tests do."""

    client: Client
    root: Path
    pull: bool
    versions: dict[str, int] = field(default_factory=dict)

    def write(self, name: str, text: str) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path.as_uri()

    def open(self, name: str, text: str | None = None) -> str:
        path = self.root / name
        if text is not None:
            self.write(name, text)
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=path.read_text()
                )
            )
        )
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return self.versions[uri]

    def edit(self, uri: str, line: int, start: int, end: int, text: str) -> int:
        """An incremental change on one line."""
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(
                            start=lsp.Position(line=line, character=start),
                            end=lsp.Position(line=line, character=end),
                        ),
                        text=text,
                    )
                ],
            )
        )
        return self.versions[uri]

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(
            lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )

    async def diagnostics(self, uri: str, timeout: float = 30.0) -> list[lsp.Diagnostic]:
        """The diagnostics of the document's latest version, pulled or pushed."""
        version = self.versions[uri]
        if self.pull:
            report = await asyncio.wait_for(
                self.client.text_document_diagnostic_async(
                    lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
                ),
                timeout,
            )
            assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
            return list(report.items)

        async def pushed() -> list[lsp.Diagnostic]:
            while True:
                for params in reversed(self.client.published):
                    if params.uri == uri and params.version == version:
                        return list(params.diagnostics)
                await asyncio.sleep(0.02)

        return await asyncio.wait_for(pushed(), timeout)

    async def code_actions(
        self,
        uri: str,
        diagnostics: list[lsp.Diagnostic],
        rng: lsp.Range,
        only: list[str] | None = None,
    ) -> list[lsp.CodeAction]:
        result = await self.client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=rng,
                context=lsp.CodeActionContext(diagnostics=diagnostics, only=only),
            )
        )
        return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


def apply_edit(text: str, edit: lsp.WorkspaceEdit, uri: str) -> str:
    """Apply a workspace edit's text edits for one document (UTF-16 = code points here)."""
    edits: list[lsp.TextEdit] = []
    if edit.changes:
        edits.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        if isinstance(change, lsp.TextDocumentEdit) and change.text_document.uri == uri:
            edits.extend(e for e in change.edits if isinstance(e, lsp.TextEdit))
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: lsp.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        return starts[position.line] + position.character

    for item in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(item.range.start)] + item.new_text + text[offset(item.range.end) :]
    return text


async def start(
    client: Client,
    root: Path,
    name: str,
    options: dict[str, Any] | None = None,
    folders: list[Path] | None = None,
) -> Session:
    capabilities = client_capabilities(name)
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[
                lsp.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)
                for folder in folders or [root]
            ],
            initialization_options={**INIT_OPTIONS, **(options or {})},
        )
    )
    return Session(
        client,
        root,
        pull=capabilities.text_document is not None
        and capabilities.text_document.diagnostic is not None,
    )


@pytest_lsp.fixture(config=CONFIG, params=CLIENTS)
async def fresh(client: Client, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A server of its own per test, in an empty workspace (files may be written before
    `start_session`, e.g. for indexing); options from a `@pytest.mark.init_options({...})`."""
    client.client_name = request.param
    client.root = request.getfixturevalue("tmp_path")
    marker = request.node.get_closest_marker("init_options")
    client.options = marker.args[0] if marker else {}
    yield
    if getattr(client, "session", None) is not None:
        await client.shutdown_session()


async def start_session(client: Client, folders: list[Path] | None = None) -> Session:
    """Initialize a `fresh` server (after the test wrote its workspace files); `folders`:
    the workspace folders of a multi-root workspace (default: the root alone)."""
    session = await start(client, client.root, client.client_name, client.options, folders)
    client.session = session
    return session


@pytest_lsp.fixture(config=CONFIG, params=CLIENTS, scope="module")
async def shared(client: Client, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """One server per test module and client kind; tests use distinct file names."""
    root = request.getfixturevalue("tmp_path_factory").mktemp("workspace")
    client.session = await start(client, root, request.param)
    yield
    await client.shutdown_session()


@pytest.fixture
def session(shared: Client) -> Session:
    return shared.session  # type: ignore[no-any-return]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "init_options(options): initializationOptions for the `fresh` server"
    )
