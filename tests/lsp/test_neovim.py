"""Neovim (headless, Debian's package) as a real client: diagnostics, code action, fix applied,
and the README's own Neovim configuration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.lsp.conftest import SERVER_COMMAND
from tests.real_editors import missing

SCRIPTS = Path(__file__).with_name("nvim")
SOURCE = '''from agentsense.runtime.registry import tool


@tool
def search(query: str, history: list[str] = []) -> list[str]:
    """Search the knowledge base."""
    history.append(query)
    return history
'''


def run_nvim(script: str, tmp_path: Path, **variables: str) -> dict[str, Any]:
    """Run a Lua script in headless Neovim on agent.py (SOURCE); the JSON it writes."""
    nvim = shutil.which("nvim")
    if nvim is None:
        missing("Neovim is", "`apt-get install -y neovim`")
    assert nvim is not None
    target = tmp_path / "agent.py"
    target.write_text(SOURCE)
    out = tmp_path / "result.json"
    env = dict(os.environ)
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env[name] = str(tmp_path / name.lower())
    env.update(AGENTSENSE_OUT=str(out), AGENTSENSE_FILE=str(target), **variables)
    completed = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {SCRIPTS / script}"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.exists(), completed.stderr
    result: dict[str, Any] = json.loads(out.read_text())
    assert result["ok"], result
    assert completed.returncode == 0
    return result


def test_neovim_applies_a_fix(tmp_path: Path) -> None:
    result = run_nvim("fix_in_buffer.lua", tmp_path, AGENTSENSE_CMD=json.dumps(SERVER_COMMAND))
    buffer = next(s["value"] for s in result["steps"] if s["name"] == "buffer")
    assert "history: list[str] | None = None" in buffer
    assert "if history is None:" in buffer


def test_the_readme_neovim_snippet_shows_diagnostics(tmp_path: Path) -> None:
    """The README's Neovim configuration, as written there, attaches and shows findings."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("**Neovim**", 1)[1].split("```lua\n", 1)[1].split("```", 1)[0]
    (tmp_path / "snippet.lua").write_text(snippet)
    result = run_nvim(
        "readme_snippet.lua",
        tmp_path,
        AGENTSENSE_SNIPPET=str(tmp_path / "snippet.lua"),
        # The snippet runs `agentsense` from PATH, as a user's does.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    assert "AGT401" in result["codes"]
    assert result["attached_clients"] == 1
