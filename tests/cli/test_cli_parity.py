"""Options a ruff user reaches for: inline --config, --color, --cache-dir and clean,
--exit-non-zero-on-fix, --watch, and a help text that states the real size limit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from agentsense.analyzers.config import CliOverrides
from agentsense.server.cli.check import CheckOptions, Streams
from agentsense.server.cli.watch import watch
from tests.cli.conftest import MUTABLE, CliRunner, write


def test_inline_config_is_laid_over_the_file(cli: CliRunner, project: Path) -> None:
    write(project, "pyproject.toml", '[tool.agentsense]\nseverity = { AGT401 = "info" }\n')
    write(project, "agent.py", MUTABLE)
    assert cli("check", "--config", 'ignore = ["AGT401"]', "--no-cache").code == 0
    run = cli(
        "check", "--config", 'severity.AGT401 = "error"', "--output-format", "json", "--no-cache"
    )
    assert '"severity": "error"' in run.out
    # The file's own settings still apply where the inline one says nothing.
    assert '"severity": "info"' in cli("check", "--output-format", "json", "--no-cache").out


def test_inline_config_mistakes_are_named(cli: CliRunner, project: Path) -> None:
    write(project, "agent.py", MUTABLE)
    bad_key = cli("check", "--config", "bogus = 1")
    assert bad_key.code == 2 and "bogus: unknown key" in bad_key.err
    bad_code = cli("check", "--config", 'ignore = ["AGT999"]')
    assert bad_code.code == 2 and "AGT999" in bad_code.err
    missing = cli("check", "--config", "other.toml")
    assert missing.code == 2 and "no such file: other.toml" in missing.err
    write(project, "a.toml", "")
    write(project, "b.toml", "")
    two = cli("check", "--config", "a.toml", "--config", "b.toml")
    assert two.code == 2 and "one config file at most" in two.err


def test_agentsense_config_takes_inline_settings_too(cli: CliRunner, project: Path) -> None:
    run = cli("config", "--config", 'ignore = ["AGT4"]', "--output-format", "json")
    assert run.code == 0
    assert "AGT401" not in run.out.split('"enabled"')[1]


def test_color_always_and_never(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "agent.py", MUTABLE)
    assert "\x1b[" in cli("check", "--color", "always", "--no-cache").out
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" not in cli("check", "--color", "never", "--no-cache").out


def test_cache_dir_and_clean(cli: CliRunner, project: Path, tmp_path: Path) -> None:
    write(project, "agent.py", MUTABLE)
    elsewhere = tmp_path / "cache"
    cli("check", "--cache-dir", str(elsewhere))
    assert any(elsewhere.rglob("*.json"))
    assert not (project / ".agentsense_cache").exists()
    cli("check")  # the default: the project's own cache
    write(project, "sub/agent.py", MUTABLE)
    write(project, "sub/.agentsense_cache/xx/stale.json", "{}")
    run = cli("clean", "--cache-dir", str(elsewhere))
    assert run.code == 0, run.err
    assert not (project / ".agentsense_cache").exists()
    assert not (project / "sub" / ".agentsense_cache").exists()
    assert not elsewhere.exists()
    assert cli("clean").out == "no cache to remove\n"


def test_exit_non_zero_on_fix(cli: CliRunner, project: Path) -> None:
    write(project, "agent.py", MUTABLE)
    run = cli("check", "--fix", "--exit-non-zero-on-fix", "--no-cache")
    assert run.code == 1  # everything was fixed, but something changed
    assert cli("check", "--fix", "--exit-non-zero-on-fix", "--no-cache").code == 0


def test_watch_checks_again_after_a_change(project: Path) -> None:
    target = write(project, "agent.py", "def f(a=None):\n    return a\n")
    out, err = io.StringIO(), io.StringIO()

    def edit_then_wait(_: float) -> None:
        target.write_text(MUTABLE + "\n# edited\n")

    code = watch(
        CheckOptions(paths=(".",), no_cache=True, output_format="concise"),
        Streams(io.BytesIO(), out, err),
        rounds=2,
        sleep=edit_then_wait,
    )
    assert code == 0
    first, second = out.getvalue().split("All checks passed!", 1)
    assert "AGT401" not in first
    assert "agent.py:1:9: AGT401" in second
    assert err.getvalue().count("watching for file changes") == 2


def test_help_states_the_size_limit_the_code_applies(cli: CliRunner) -> None:
    from agentsense.analyzers.budget import MAX_SOURCE_BYTES

    run = cli("check", "--help")
    assert f"larger than\n     {MAX_SOURCE_BYTES // 2**20} MB" in run.out


def test_overrides_carry_inline_settings() -> None:
    overrides = CliOverrides.build(inline=["rule-options.AGT101.default-max-iterations = 20"])
    assert overrides.settings == {"rule-options": {"AGT101": {"default-max-iterations": 20}}}
