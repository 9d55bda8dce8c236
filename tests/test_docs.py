"""The README documents every rule, every config key and every `check` option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentsense.analyzers.config import Settings
from agentsense.analyzers.registry import all_rules
from agentsense.server.cli import build_parser, fix_availability

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_in_readme_table(rule: type) -> None:
    assert re.search(rf"^\| {rule.code} \| `{rule.name}` \|", README, re.M)


@pytest.mark.parametrize("key", [f.alias or n for n, f in Settings.model_fields.items()])
def test_config_key_documented(key: str) -> None:
    assert f"`{key}`" in README


def test_every_check_option_documented() -> None:
    parser = build_parser()
    check = next(
        action.choices["check"]
        for action in parser._actions
        if getattr(action, "choices", None) and "check" in action.choices
    )
    options = {o for a in check._actions for o in a.option_strings if o.startswith("--")}
    options -= {"--help", "--no-respect-gitignore", "--respect-gitignore"}
    missing = sorted(
        o
        for o in options
        if not re.search(rf"^\| `[^|]*(?<![\w-]){re.escape(o)}(?![\w-])", README, re.M)
    )
    assert missing == []
    assert "`--[no-]respect-gitignore`" in README


def test_quick_start_has_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```sh\n(.*?)\n```", quick, re.S) == [
        "python3 -m venv .venv && .venv/bin/pip install -q -e . "
        "&& .venv/bin/agentsense check examples/",
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' "
        "--config-settings editable_mode=strict && .venv/bin/pytest",
    ]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().endswith(
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' "
        "--config-settings editable_mode=strict && .venv/bin/pytest"
    )


def test_readme_rule_table_is_the_rules_own_data() -> None:
    """The README's table says what each rule class says (code, name, severity, fix kind,
    summary), in code order, and nothing else: the rules are the one source."""
    rows = [line for line in README.splitlines() if re.match(r"^\| AGT\d{3} \|", line)]
    expected = [
        f"| {rule.code} | `{rule.name}` | {rule.severity.value} | "
        f"{fix_availability(rule) or '-'} | {rule.summary} |"
        for rule in all_rules()
    ]
    assert rows == expected
