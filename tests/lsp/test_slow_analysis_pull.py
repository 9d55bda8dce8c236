"""A diagnostics pull that arrives while the analysis takes longer than the server waits
(WAIT_FOR_ANALYSIS, 10 s) is answered when the analysis ends, or the client is asked to pull
again (workspace/diagnostic/refresh) when it supports that.

The slow analysis is the server's test hook (AGENTSENSE_TEST_ANALYSIS_DELAY: every analysis
sleeps first, so no CPU is spent), set in the environment the server is started with.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, client_capabilities

from agentsense.server.lsp.analysis import WAIT_FOR_ANALYSIS
from tests.lsp.conftest import INIT_OPTIONS, SERVER_COMMAND, Client, Session, make_client

SOURCE = "def f(a=[]):\n    return a\n"
DELAY = WAIT_FOR_ANALYSIS + 2.0
SLOW = ClientServerConfig(
    server_command=SERVER_COMMAND,
    client_factory=make_client,
    server_env={**os.environ, "AGENTSENSE_TEST_ANALYSIS_DELAY": str(DELAY)},
)


@pytest_lsp.fixture(config=SLOW)
async def slow(client: Client, tmp_path: Path) -> AsyncIterator[Client]:
    """A server whose every analysis takes DELAY seconds (sleeping)."""
    client.root = tmp_path
    client.session = None
    yield client
    if client.session is not None:
        await client.shutdown_session()


async def start_pulling(client: Client, refresh: bool) -> Session:
    """Neovim's capabilities (pull diagnostics), with or without refresh support."""
    capabilities = client_capabilities("neovim")
    assert capabilities.text_document is not None
    assert capabilities.text_document.diagnostic is not None
    assert capabilities.workspace is not None
    capabilities.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(
        refresh_support=refresh
    )
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities,
            root_uri=client.root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=client.root.as_uri(), name="root")],
            initialization_options=INIT_OPTIONS,
        )
    )
    client.session = Session(client, client.root, pull=True)
    return client.session


async def pull(
    session: Session, uri: str, previous: str | None = None
) -> lsp.DocumentDiagnosticReport:
    return await asyncio.wait_for(
        session.client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), previous_result_id=previous
            )
        ),
        timeout=DELAY + 60,
    )


def codes(report: lsp.DocumentDiagnosticReport) -> set[str]:
    assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport), report
    return {str(d.code) for d in report.items}


@pytest.mark.parametrize("refresh", [False, True], ids=["no-refresh", "refresh"])
async def test_a_pull_during_a_slow_analysis_gets_its_diagnostics(
    slow: Client, refresh: bool
) -> None:
    session = await start_pulling(slow, refresh)
    uri = session.open("slow.py", SOURCE)
    first = await pull(session, uri)
    if not refresh:
        # Answered when the analysis ended, past the usual wait: the finding is there.
        assert codes(first) == {"AGT401"}
        assert slow.diagnostic_refresh_count == 0
        return
    # Answered after the usual wait with what there was (nothing yet), then asked to pull
    # again once the analysis ended; the new pull has the finding.
    assert codes(first) == set()
    for _ in range(int(DELAY + 60) * 10):
        if slow.diagnostic_refresh_count:
            break
        await asyncio.sleep(0.1)
    assert slow.diagnostic_refresh_count >= 1
    assert isinstance(first, lsp.RelatedFullDocumentDiagnosticReport)
    second = await pull(session, uri, first.result_id)
    assert codes(second) == {"AGT401"}
