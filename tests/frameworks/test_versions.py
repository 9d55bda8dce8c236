"""Version awareness: the mcp major version a project declares decides what is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsense.analyzers.detect.frameworks.versions import declared_major, major_of_specifier
from tests.helpers import lint_with

FASTMCP_IMPORT = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")


@mcp.tool()
def add_note(text: str) -> str:
    """Add a note."""
    return text
'''


@pytest.mark.parametrize(
    ("specifier", "major"),
    [
        (">=2", 2),
        ("~=2.1", 2),
        ("==2.3.0", 2),
        (">=1.2,<2", 1),
        ("<2", 1),
        ("==1.*", 1),
        (">=1.9", None),
        ("", None),
        (">=1.0,<3", None),
    ],
)
def test_major_of_specifier(specifier: str, major: int | None) -> None:
    assert major_of_specifier(specifier) == major


def _project(root: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "app").mkdir()
    path = root / "app" / "server.py"
    path.write_text(FASTMCP_IMPORT, encoding="utf-8")
    return str(path)


def _findings(path: str) -> list[str]:
    return [f.message for f in lint_with(FASTMCP_IMPORT, ("AGT211",), path) if f.code == "AGT211"]


def test_declared_mcp2_reports_the_removed_import(tmp_path: Path) -> None:
    path = _project(tmp_path, {"pyproject.toml": '[project]\ndependencies = ["mcp>=2"]\n'})
    (message,) = _findings(path)
    assert "MCP 2.x (pyproject.toml declares mcp>=2) raises ModuleNotFoundError" in message
    assert "No module named 'mcp.server.fastmcp'" in message


@pytest.mark.parametrize(
    "files",
    [
        {"requirements.txt": "mcp[cli]==2.3.0\nhttpx\n"},
        {"uv.lock": '[[package]]\nname = "mcp"\nversion = "2.3.0"\n', "pyproject.toml": ""},
        {
            "poetry.lock": '[[package]]\nname = "mcp"\nversion = "2.1.0"\n',
            "pyproject.toml": '[tool.poetry.dependencies]\nmcp = "^1.2"\n',
        },
        {"pyproject.toml": '[tool.poetry.dependencies]\nmcp = "^2.0"\n'},
    ],
    ids=["requirements", "uv-lock", "poetry-lock-wins", "poetry-caret"],
)
def test_other_declarations_of_mcp2(tmp_path: Path, files: dict[str, str]) -> None:
    declared = declared_major(_project(tmp_path, files), "mcp")
    assert declared is not None and declared.major == 2


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": '[project]\ndependencies = ["mcp>=1.2,<2"]\n'},
        {"pyproject.toml": '[project]\ndependencies = ["mcp"]\n'},
        {"pyproject.toml": '[project]\ndependencies = ["httpx"]\n'},
        {"requirements.txt": "mcp>=1.9\n"},
        {},
    ],
    ids=["mcp1", "unpinned", "not-declared", "range-over-both", "no-project-files"],
)
def test_mcp1_or_no_declaration_reports_nothing(tmp_path: Path, files: dict[str, str]) -> None:
    assert _findings(_project(tmp_path, files)) == []


def test_broken_project_files_are_no_declaration(tmp_path: Path) -> None:
    path = _project(tmp_path, {"pyproject.toml": "[project\n", "uv.lock": "\x00"})
    assert declared_major(path, "mcp") is None
