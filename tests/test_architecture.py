"""The one-way import rule: server -> analyzers -> runtime, never backwards; one import name."""

from __future__ import annotations

import ast
import re
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


RULE_CODE = re.compile(r"AGT\d{3}")


def test_rule_codes_are_spelled_only_in_the_rules() -> None:
    """Every code's behaviour lives in its rule's file: no other module of ours names a code
    as a value (the engine's own codes come from `rules/builtin.py`, the contract problems
    each rule reports from `RegistrationRule.claims`, cross-file findings from
    `Rule.check_project`). Docstrings and comments may mention codes."""
    rules = ROOT / "analyzers" / "rules"
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value}"
        for part in PARTS
        for path in sorted((ROOT / part).rglob("*.py"))
        if rules not in path.parents
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and RULE_CODE.fullmatch(node.value)
    ]
    assert offenders == []
