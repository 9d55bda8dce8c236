"""Neovim (headless, Debian's package) as a real client: diagnostics, code action, fix applied."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.lsp.conftest import SERVER_COMMAND
from tests.real_editors import missing

SCRIPT = Path(__file__).with_name("nvim") / "fix_in_buffer.lua"
SOURCE = '''from agentsense.runtime.registry import tool


@tool
def search(query: str, history: list[str] = []) -> list[str]:
    """Search the knowledge base."""
    history.append(query)
    return history
'''


def test_neovim_applies_a_fix(tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        missing("Neovim is", "`apt-get install -y neovim`")
    target = tmp_path / "agent.py"
    target.write_text(SOURCE)
    out = tmp_path / "result.json"
    env = dict(os.environ)
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env[name] = str(tmp_path / name.lower())
    env.update(
        AGENTSENSE_OUT=str(out),
        AGENTSENSE_FILE=str(target),
        AGENTSENSE_CMD=json.dumps(SERVER_COMMAND),
    )
    completed = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {SCRIPT}"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.exists(), completed.stderr
    result = json.loads(out.read_text())
    assert result["ok"], result
    buffer = next(s["value"] for s in result["steps"] if s["name"] == "buffer")
    assert "history: list[str] | None = None" in buffer
    assert "if history is None:" in buffer
    assert completed.returncode == 0


README_SCRIPT = Path(__file__).parent / "nvim" / "readme_snippet.lua"


def test_the_readme_neovim_snippet_shows_diagnostics(tmp_path: Path) -> None:
    """The README's Neovim configuration, as written there, attaches and shows findings."""
    nvim = shutil.which("nvim")
    if nvim is None:
        missing("Neovim is", "`apt-get install -y neovim`")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("**Neovim**", 1)[1].split("```lua\n", 1)[1].split("```", 1)[0]
    (tmp_path / "snippet.lua").write_text(snippet)
    target = tmp_path / "agent.py"
    target.write_text(SOURCE)
    out = tmp_path / "result.json"
    env = dict(os.environ)
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env[name] = str(tmp_path / name.lower())
    # The snippet runs `agentsense` from PATH, as a user's does.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update(
        AGENTSENSE_OUT=str(out),
        AGENTSENSE_FILE=str(target),
        AGENTSENSE_SNIPPET=str(tmp_path / "snippet.lua"),
    )
    completed = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {README_SCRIPT}"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.exists(), completed.stderr
    result = json.loads(out.read_text())
    assert result["ok"], result
    assert "AGT401" in result["codes"]
    assert result["attached_clients"] == 1
