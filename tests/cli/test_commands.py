"""`agentsense rule`, `rules`, `config`, `server`, `--version` and usage errors."""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from agentsense.analyzers import __version__
from agentsense.analyzers.registry import all_rules
from tests.cli.conftest import CliRunner, write


def test_version(cli: CliRunner) -> None:
    run = cli("--version")
    assert run.code == 0
    assert run.out == f"agentsense {__version__}\n"


def test_no_command_prints_help_and_exits_2(cli: CliRunner) -> None:
    run = cli()
    assert run.code == 2
    assert "check" in run.err and "rule" in run.err


def test_unknown_option_and_command(cli: CliRunner) -> None:
    assert cli("--bogus").code == 2
    run = cli("lint")
    assert run.code == 2
    assert "invalid choice" in run.err


@pytest.mark.parametrize("command", ["check", "rule", "rules", "config", "server", "tools"])
def test_every_command_has_help(cli: CliRunner, command: str) -> None:
    run = cli(command, "--help")
    assert run.code == 0
    assert "usage: agentsense " + command in run.out
    if command == "check":
        for option in ("--fix", "--diff", "--output-format", "--stdin-filename", "--jobs"):
            assert option in run.out
        assert "exit status:" in run.out


# -- rule / rules --------------------------------------------------------------------------------


def test_rule_explains_code(cli: CliRunner) -> None:
    run = cli("rule", "AGT401")
    assert run.code == 0
    out = run.out
    assert out.startswith("AGT401 mutable-default-argument\n")
    assert "Severity: warning" in out
    assert "Fix: Safe:" in out
    assert "Why it matters:" in out
    assert "Flagged example 1 (line 1):\n    def run_agent(question, history=[]):" in out
    assert "  fixed:\n    def run_agent(question, history=None):" in out
    assert "Clean example 1:" in out


def test_rule_accepts_a_name_and_json(cli: CliRunner) -> None:
    run = cli("rule", "mutable-default-argument", "--output-format", "json")
    assert run.code == 0
    data = json.loads(run.out)
    assert data["code"] == "AGT401"
    assert data["fix"] == "safe"
    assert data["severity"] == "warning"
    assert "url" not in data  # there is no rule page to link to (the site never existed)
    assert data["examples"]["flagged"][0]["fixed"].startswith(
        "def run_agent(question, history=None)"
    )
    assert data["examples"]["clean"]
    syntax = json.loads(cli("rule", "agt001", "--output-format", "json").out)
    assert syntax["fix"] is None


def test_unknown_rule_suggests_close_matches(cli: CliRunner) -> None:
    run = cli("rule", "AGT40")
    assert run.code == 2
    assert "unknown rule 'AGT40'" in run.err
    assert "did you mean AGT401 (mutable-default-argument)" in run.err
    by_name = cli("rule", "mutable-defalt-argument")
    assert by_name.code == 2
    assert "AGT401" in by_name.err
    nothing = cli("rule", "zzzzzzzz")
    assert nothing.code == 2
    assert "did you mean" not in nothing.err


def test_rule_needs_a_code(cli: CliRunner) -> None:
    assert cli("rule").code == 2


@pytest.mark.parametrize("argv", [("rules",), ("rule", "--all")])
def test_rules_table(cli: CliRunner, argv: tuple[str, ...]) -> None:
    run = cli(*argv)
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "SEVERITY", "FIX", "SUMMARY"]
    assert [line.split()[0] for line in lines[1:]] == [r.code for r in all_rules()]
    row = next(line for line in lines if line.startswith("AGT401"))
    assert row.split()[:4] == ["AGT401", "mutable-default-argument", "warning", "safe"]


def test_rules_json(cli: CliRunner) -> None:
    data = json.loads(cli("rules", "--output-format", "json").out)
    assert [r["code"] for r in data] == [r.code for r in all_rules()]
    assert set(data[0]) == {"code", "name", "severity", "fix", "summary"}


# -- config ----------------------------------------------------------------------------------------


def test_config_without_a_file(cli: CliRunner, project: Path) -> None:
    run = cli("config")
    assert run.code == 0
    assert "config file: none (built-in defaults)" in run.out
    assert "AGT401" in run.out


def test_config_shows_the_file_and_settings(cli: CliRunner, project: Path) -> None:
    write(project, "pyproject.toml", '[tool.agentsense]\nignore = ["AGT9"]\n')
    write(project, "src/a.py", "x = 1\n")
    run = cli("config", "src/a.py")
    assert run.code == 0
    assert f"config file: {project / 'pyproject.toml'}" in run.out
    assert '"AGT9"' in run.out
    data = json.loads(cli("config", "--output-format", "json").out)
    assert data["source"] == str(project / "pyproject.toml")
    assert data["settings"]["ignore"] == ["AGT9"]
    assert "AGT900" not in data["enabled"]


def test_config_error_exits_2(cli: CliRunner, project: Path) -> None:
    write(project, "pyproject.toml", "[tool.agentsense]\nseverity = { AGT401 = 'loud' }\n")
    run = cli("config")
    assert run.code == 2
    assert str(project / "pyproject.toml") in run.err
    assert "tool.agentsense.severity.AGT401" in run.err
    assert "Traceback" not in run.err


def test_config_missing_path(cli: CliRunner, project: Path) -> None:
    run = cli("config", "nowhere")
    assert run.code == 2
    assert "path does not exist: nowhere" in run.err


# -- server ------------------------------------------------------------------------------------------


def test_server_calls_serve(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("agentsense.server.lsp.server")
    fake.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agentsense.server.lsp.server", fake)
    assert cli("server").code == 0
    assert cli("server", "--stdio").code == 0
    assert cli("server", "--tcp", "--host", "0.0.0.0", "--port", "9000").code == 0
    assert calls == [
        {"transport": "stdio", "host": "127.0.0.1", "port": 2087},
        {"transport": "stdio", "host": "127.0.0.1", "port": 2087},
        {"transport": "tcp", "host": "0.0.0.0", "port": 9000},
    ]
    assert cli("server", "--port", "70000").code == 2


def test_server_missing_module(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def import_module(name: str, package: str | None = None) -> types.ModuleType:
        if name == "agentsense.server.lsp.server":
            raise ModuleNotFoundError("No module named 'agentsense.server.lsp.server'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    run = cli("server", "--stdio")
    assert run.code == 2
    assert "language server is not available" in run.err
    assert "Traceback" not in run.err


def test_the_help_names_the_size_limit_the_engine_applies() -> None:
    from agentsense.analyzers.budget import MAX_SOURCE_BYTES
    from agentsense.server.cli.parser import MAX_SOURCE_MEGABYTES

    assert MAX_SOURCE_MEGABYTES * 1024 * 1024 == MAX_SOURCE_BYTES
