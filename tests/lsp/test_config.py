"""Configuration end to end: client settings, config files, bad configs, changes."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp

from tests.lsp.conftest import Client, start_session

SOURCE = "def f(a=[]):\n    return a\n\n\ndef run(agent):\n    while True:\n        agent.step()\n"


@pytest.mark.init_options({"select": ["AGT401"], "severity": {"AGT401": "error"}})
async def test_initialization_options_select_and_severity(fresh: Client) -> None:
    session = await start_session(fresh)
    uri = session.open("sel.py", SOURCE)
    (diag,) = await session.diagnostics(uri)
    assert diag.code == "AGT401"
    assert diag.severity == lsp.DiagnosticSeverity.Error
    # didChangeConfiguration replaces the client settings and re-lints open documents.
    session.client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"select": None, "ignore": ["AGT401"]})
    )
    for _ in range(300):
        codes = {d.code for d in await session.diagnostics(uri)}
        if "AGT101" in codes:
            break
        session.change(uri, SOURCE)
        await asyncio.sleep(0.05)
    assert "AGT101" in codes and "AGT401" not in codes


@pytest.mark.init_options({"select": ["NOPE999"]})
async def test_bad_client_settings_are_reported(fresh: Client) -> None:
    session = await start_session(fresh)
    uri = session.open("bad.py", SOURCE)
    codes = {d.code for d in await session.diagnostics(uri)}
    assert {"AGT101", "AGT401"} <= codes  # defaults
    errors = [m for m in session.client.messages if m.type == lsp.MessageType.Error]
    assert any("NOPE999" in m.message and "initializationOptions" in m.message for m in errors)


async def test_bad_config_file_then_fixed(fresh: Client) -> None:
    (fresh.root / "agentsense.toml").write_text(
        'select = ["AGT401"]\nseverity = {AGT401 = "loud"}\n'
    )
    session = await start_session(fresh)
    uri = session.open("cfg.py", SOURCE)
    codes = {d.code for d in await session.diagnostics(uri)}
    assert {"AGT101", "AGT401"} <= codes  # the server went on with the defaults
    errors = [m for m in session.client.messages if m.type == lsp.MessageType.Error]
    assert any("agentsense.toml" in m.message and "severity" in m.message for m in errors)
    assert not any("Traceback" in m.message for m in session.client.messages)
    # Fixing the file (the client reports the change) re-lints with it.
    (fresh.root / "agentsense.toml").write_text('ignore = ["AGT401"]\n')
    session.client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[
                lsp.FileEvent(
                    uri=(fresh.root / "agentsense.toml").as_uri(), type=lsp.FileChangeType.Changed
                )
            ]
        )
    )
    for _ in range(300):
        codes = {d.code for d in await session.diagnostics(uri)}
        if "AGT401" not in codes:
            break
        session.change(uri, SOURCE)
        await asyncio.sleep(0.05)
    assert "AGT401" not in codes and "AGT101" in codes


async def test_pyproject_config_is_found(fresh: Client) -> None:
    (fresh.root / "pyproject.toml").write_text('[tool.agentsense]\nignore = ["AGT101"]\n')
    session = await start_session(fresh)
    uri = session.open("pkg/mod.py", SOURCE)
    assert {d.code for d in await session.diagnostics(uri)} == {"AGT401"}
