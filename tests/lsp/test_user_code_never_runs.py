"""Linting never imports or runs user code: through every command-line path and the language
server, a project whose modules announce themselves when run stays silent.

Each module's body writes a marker file, and the modules are named as the things a careless
linter would import: our own parts, our dependencies, `sitecustomize`, a conftest, a tool
module. Only "Run tool" may run user code, and only on request (not exercised here).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from lsprotocol import types as lsp

from tests.cli.conftest import AGENTSENSE, run_executable
from tests.lsp.conftest import Client, start_session

NAMES = (
    "agentsense.py",
    "server.py",
    "runtime.py",
    "analyzers/__init__.py",
    "pydantic.py",
    "libcst.py",
    "pygls.py",
    "rich.py",
    "sitecustomize.py",
    "usercustomize.py",
    "conftest.py",
    "tools.py",
    "agent/__init__.py",
    "agent/__main__.py",
    "agent/loop.py",
)


def _body(marker_dir: Path, name: str) -> str:
    marker = marker_dir / name.replace("/", "_")
    return (
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "import socket\n"
        "socket.socket().connect(('127.0.0.1', 9))\n"
        "def collect(items=[]):\n"
        "    return items\n"
    )


def _project(root: Path) -> Path:
    markers = root / "markers"
    markers.mkdir()
    project = root / "project"
    for name in NAMES:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_body(markers, name))
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": _body(markers, "nb")}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (project / "notebook.ipynb").write_text(json.dumps(notebook))
    return project


def test_no_command_line_path_runs_user_code(tmp_path: Path) -> None:
    assert AGENTSENSE.exists()
    project = _project(tmp_path)
    copy = tmp_path / "fixing"
    shutil.copytree(project, copy)  # for --fix, before --add-noqa below changes the project
    runs = [
        ("check", "."),
        ("check", ".", "--jobs", "2", "--no-cache"),
        ("check", ".", "--output-format", "json", "--no-cache"),
        ("check", ".", "--diff", "--unsafe-fixes", "--no-cache"),
        ("check", ".", "--statistics"),
        ("check", ".", "--add-noqa", "--no-cache"),
        ("check", ".", "--write-baseline", str(tmp_path / "baseline.json"), "--no-cache"),
        ("check", "tools.py", "agent/loop.py", "--no-cache"),
        ("config", "."),
        ("rule", "AGT401"),
    ]
    for argv in runs:
        run_executable(*argv, cwd=project)
    stdin = (project / "tools.py").read_bytes()
    run_executable("check", "-", "--stdin-filename", "tools.py", cwd=project, stdin=stdin)
    run_executable("check", "-", "--fix", "--stdin-filename", "tools.py", cwd=project, stdin=stdin)
    fixed = run_executable("check", ".", "--fix", "--unsafe-fixes", "--no-cache", cwd=copy)
    assert "Fixed" in fixed.out + fixed.err, fixed.err  # the runs did lint
    assert sorted(p.name for p in (tmp_path / "markers").iterdir()) == []


async def test_the_language_server_runs_no_user_code(fresh: Client) -> None:
    project = _project(fresh.root)
    fresh.root = project  # the workspace folder: indexed in the background too
    session = await start_session(fresh)
    for name in NAMES:
        uri = session.open(name)
        found = await session.diagnostics(uri)
        assert any(d.code == "AGT401" for d in found), (name, found)
        await session.client.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                position=lsp.Position(line=3, character=4),
            )
        )
        await session.client.text_document_code_lens_async(
            lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        await session.code_actions(uri, found, found[0].range)
    await asyncio.sleep(1.0)  # let the workspace index finish its pass
    assert sorted(p.name for p in (fresh.root.parent / "markers").iterdir()) == []
