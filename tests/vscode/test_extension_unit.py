"""The VS Code extension builds, type-checks (tsc strict) and passes its own unit tests."""

from __future__ import annotations

import pytest

from tests.vscode.node import CLIENT_DIR, ensure_node_modules, require_node, run_npm


@pytest.fixture(scope="module")
def npm() -> str:
    _, npm = require_node()
    ensure_node_modules(npm)
    return npm


def test_typescript_strict_clean(npm: str) -> None:
    run_npm(npm, "run", "lint", timeout=300)


def test_unit_tests_pass(npm: str) -> None:
    result = run_npm(npm, "test", timeout=300)
    assert "# fail 0" in result.stdout, result.stdout[-4000:]


def test_extension_bundles(npm: str) -> None:
    run_npm(npm, "run", "build", timeout=300)
    bundle = CLIENT_DIR / "dist" / "extension.js"
    assert bundle.is_file()
    text = bundle.read_text(encoding="utf-8")
    # vscode is provided by the editor; everything else (the language client) is bundled.
    assert 'require("vscode")' in text
    assert 'require("vscode-languageclient' not in text
