"""Running the VS Code extension's npm scripts from pytest: node/npm lookup and `npm ci`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = REPO_ROOT / "vscode-client"


def require_node() -> tuple[str, str]:
    """The node and npm executables; skips the calling test when either is missing."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(
            name for name, path in (("node", node), ("npm", npm)) if path is None
        )
        pytest.skip(f"{missing} not on PATH: the VS Code extension is not built or tested")
    return node, npm


def run_npm(
    npm: str, *args: str, timeout: float = 600.0, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Runs `npm ARGS` in vscode-client/; fails the test with npm's output when it fails."""
    env = {
        **os.environ,
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "CI": "1",
        # scripts/bundle-wheel.mjs builds the bundled agentsense wheel with this interpreter.
        "AGENTSENSE_PYTHON": sys.executable,
    }
    try:
        result = subprocess.run(
            [npm, *args],
            cwd=CLIENT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm {' '.join(args)} took longer than {timeout:.0f} s")
    if check and result.returncode != 0:
        pytest.fail(
            f"npm {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result


def ensure_node_modules(npm: str) -> None:
    """`npm ci` when node_modules is missing or older than package-lock.json."""
    lock = CLIENT_DIR / "package-lock.json"
    installed = CLIENT_DIR / "node_modules" / ".package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    run_npm(npm, "ci", "--no-audit", "--no-fund")
