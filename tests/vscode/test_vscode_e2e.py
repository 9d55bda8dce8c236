"""The extension in real VS Code (code-server + Chromium via puppeteer-core), end to end.

Builds the .vsix, installs it into a fresh code-server, opens the workspace (examples/ unless
AGENTSENSE_VSCODE_E2E_WORKSPACE says otherwise) and checks the squiggle and the Problems entry
(in Restricted Mode), that no tool runs while untrusted, the Ctrl+. fix, Fix All, the "Run tool"
lens, the Run Tool… quick-pick and the not-installed notification, one step after another;
vscode-client/e2e/vscode-e2e.mjs does the driving (one run of ~45 s for all the tests here).
Screenshots, the extension's output channel and code-server's log are saved under
test-artifacts/vscode/.

code-server and Chromium come from vscode-client/scripts/install-code-server.sh (idempotent;
CI runs it before the tests). Where they are not installed the tests skip, saying so (in CI,
where AGENTSENSE_REQUIRE_REAL_EDITORS=1, they fail instead); AGENTSENSE_SKIP_VSCODE_E2E=1 skips
them anyway.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.real_editors import missing
from tests.vscode.node import CLIENT_DIR, REPO_ROOT, ensure_node_modules, require_node, run_npm

ARTIFACTS = REPO_ROOT / "test-artifacts" / "vscode"
E2E_TIMEOUT_SECONDS = 420  # a cold code-server install is ~4 min on a loaded machine; a run ~40 s

pytestmark = pytest.mark.skipif(
    os.environ.get("AGENTSENSE_SKIP_VSCODE_E2E") == "1",
    reason="AGENTSENSE_SKIP_VSCODE_E2E=1: the VS Code end-to-end test is skipped",
)


def _workspace() -> Path:
    configured = os.environ.get("AGENTSENSE_VSCODE_E2E_WORKSPACE")
    return Path(configured).resolve() if configured else REPO_ROOT / "examples"


def _installed_code_server() -> str:
    """code-server's binary, when it and Chromium are installed (the install script checks)."""
    check = subprocess.run(
        ["bash", str(CLIENT_DIR / "scripts" / "install-code-server.sh"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check.returncode != 0:
        reason = check.stderr.strip().splitlines()[-1:] or ["install-code-server.sh --check failed"]
        missing(
            "VS Code (code-server) and Chromium are",
            "vscode-client/scripts/install-code-server.sh",
            reason[0].removeprefix("install-code-server: "),
        )
    return check.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def e2e_run() -> dict[str, Any]:
    """Runs the e2e script once for the module; its result.json, plus the script's output."""
    node, npm = require_node()
    code_server = _installed_code_server()
    ensure_node_modules(npm)
    run_npm(npm, "run", "package", timeout=300)
    vsix = CLIENT_DIR / "dist" / "agentsense.vsix"
    assert vsix.is_file(), "npm run package produced no .vsix"
    command = [
        node,
        str(CLIENT_DIR / "e2e" / "vscode-e2e.mjs"),
        "--workspace",
        str(_workspace()),
        "--vsix",
        str(vsix),
        "--python",
        sys.executable,
        "--code-server",
        code_server,
        "--artifacts",
        str(ARTIFACTS),
    ]
    try:
        process = subprocess.run(
            command,
            cwd=CLIENT_DIR,
            capture_output=True,
            text=True,
            timeout=E2E_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"the VS Code e2e run took longer than {timeout.timeout:.0f} s")
    result_file = ARTIFACTS / "result.json"
    if not result_file.is_file():
        pytest.fail(
            f"the VS Code e2e script wrote no result.json (exit {process.returncode}):\n"
            f"{process.stderr[-8000:]}"
        )
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    result["log"] = process.stderr
    result["exit_code"] = process.returncode
    return result


def _check_step(run: dict[str, Any], name: str) -> None:
    steps = {step["name"]: step for step in run["steps"]}
    step = steps.get(name)
    if step is None:
        failed = next((s for s in run["steps"] if not s["ok"]), None)
        reason = f"{failed['name']}: {failed['detail']}" if failed else "the script stopped"
        pytest.fail(
            f"step {name!r} did not run: an earlier step failed ({reason}).\n"
            f"Screenshots and logs: {ARTIFACTS}\n{run['log'][-6000:]}"
        )
    if not step["ok"]:
        pytest.fail(
            f"step {name!r} failed: {step['detail']}\n"
            f"screenshots: {', '.join(step['screenshots'])}\n"
            f"artifacts: {ARTIFACTS}\n{run['log'][-6000:]}"
        )


def test_code_server_and_workbench_start(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "code-server")
    _check_step(e2e_run, "workbench")


def test_squiggle_and_problems_entry_with_agt_code(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "squiggle-and-problem")
    assert (ARTIFACTS / "01-squiggle.png").is_file()
    assert (ARTIFACTS / "02-problems.png").is_file()


def test_untrusted_workspace_lints_but_runs_no_tool(e2e_run: dict[str, Any]) -> None:
    # The squiggle step runs in Restricted Mode; then the Run tool lens must not run anything.
    _check_step(e2e_run, "untrusted-no-tool-run")
    _check_step(e2e_run, "grant-trust")


def test_ctrl_dot_offers_the_fix_and_applying_it_changes_the_file(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "quick-fix")
    assert (ARTIFACTS / "06-fixed.png").is_file()


def test_fix_all_command(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "fix-all")


def test_run_tool_lens_runs_the_tool_and_shows_the_result(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "run-tool-lens")
    assert (ARTIFACTS / "10-tool-result.png").is_file()


def test_run_tool_quick_pick(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "run-tool-quick-pick")


def test_notification_says_how_to_install_agentsense(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "not-installed-notification")
    assert e2e_run["ok"] and e2e_run["exit_code"] == 0, e2e_run["log"][-4000:]


def test_install_button_installs_the_bundled_wheel(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "install-bundled-wheel")
    assert (ARTIFACTS / "17-installed-and-ready.png").is_file()


def test_notebook_cells_get_their_diagnostics(e2e_run: dict[str, Any]) -> None:
    _check_step(e2e_run, "notebook-diagnostics")
