"""The bundled examples: every rule fires on them, the clean twin is clean, --fix converges."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentsense.analyzers.registry import all_rules
from agentsense.server.cli.commands import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Rules the examples cannot show: a file that does not parse would break "Run tool" there.
NOT_IN_EXAMPLES = {"AGT001"}


def findings(paths: list[str], capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    main(["check", *paths, "--output-format", "json", "--no-cache", "--exit-zero", *extra])
    return list(json.loads(capsys.readouterr().out))


def test_every_rule_fires_on_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    seen = {f["code"] for f in findings([str(EXAMPLES)], capsys)}
    expected = {rule.code for rule in all_rules()} - NOT_IN_EXAMPLES
    assert expected - seen == set()


def test_clean_examples_have_no_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert findings([str(EXAMPLES / "clean")], capsys) == []


def test_fix_applies_safe_fixes_and_a_second_run_has_none_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    before = findings([str(copy)], capsys)
    safe = [f for f in before if f["fix"] and f["fix"]["applicability"] == "safe"]
    assert safe, "the examples should have safe fixes"
    assert main(["check", str(copy), "--fix", "--no-cache", "--quiet"]) == 1  # unsafe ones remain
    capsys.readouterr()
    after = findings([str(copy)], capsys)
    assert [f for f in after if f["fix"] and f["fix"]["applicability"] == "safe"] == []
    assert len(after) < len(before)
    for path in copy.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
