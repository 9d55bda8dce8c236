"""The one-way import rule: server -> analyzers -> runtime, never backwards; one import name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("server", "analyzers", "runtime")
FORBIDDEN = {
    "runtime": ("analyzers", "server", "pygls", "lsprotocol", "libcst"),
    "analyzers": ("server", "pygls", "lsprotocol"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def part_of(module: str) -> str:
    """`agentsense.analyzers.engine` -> `analyzers`; a third-party module -> its top name."""
    names = module.split(".")
    return names[1] if names[0] == "agentsense" and len(names) > 1 else names[0]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if part_of(module) in FORBIDDEN[package]
    ]
    assert offenders == []


def test_our_code_is_imported_under_agentsense_only() -> None:
    """`from analyzers import x` would import a second copy from the repository root (and is
    a user's name to take when installed): every import of ours goes through `agentsense.`."""
    files = [
        path
        for folder in (*PARTS, "tests", "bench", "examples", "src")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    assert len(files) > 50
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if module.split(".")[0] in PARTS
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("front_end", "forbidden"),
    [
        # `agentsense check` must start without the language server (pre-commit runs it often).
        ("server/cli", ("pygls", "lsprotocol", "agentsense.server.lsp")),
        ("server/lsp", ("agentsense.server.cli",)),
    ],
)
def test_the_front_ends_do_not_import_each_other(
    front_end: str, forbidden: tuple[str, ...]
) -> None:
    files = sorted((ROOT / front_end).rglob("*.py"))
    assert files
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if any(module == name or module.startswith(name + ".") for name in forbidden)
    ]
    assert offenders == []
