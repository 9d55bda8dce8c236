"""Inputs that used to stall or crash the linter: long chains, deep nesting, a time budget."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from agentsense.analyzers import budget, engine
from agentsense.analyzers.budget import NotLinted, time_budget
from agentsense.analyzers.engine import MAX_NESTING, lint, nesting_depth
from agentsense.analyzers.positions import Positions
from agentsense.analyzers.rules.secrets.secret_in_prompt import SecretInPrompt
from tests.cli.conftest import MUTABLE, CliRunner, write


def _plus_chain(terms: int, operand: str = "1") -> str:
    return "x = " + " + ".join([operand] * terms) + "\n"


def test_secret_in_prompt_reads_templates_only_for_secret_operands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each `+` of a chain is a BinaryOperation whose template walked the whole chain below
    # it: 2 000 terms took 15 s. Now the text is read only around a secret operand.
    calls: list[int] = []
    original = SecretInPrompt._literal_text

    def counting(self: SecretInPrompt, node: object) -> str:
        calls.append(1)
        return original(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(SecretInPrompt, "_literal_text", counting)
    assert lint(_plus_chain(400, '"text"'), "t.py") == []
    assert calls == []
    # A secret in a long chain is still found, and each template read is bounded.
    source = "import os\nprompt = " + ' + "x"' * 300 + " + os.environ['OPENAI_API_KEY']\n"
    source = source.replace("prompt =  + ", "prompt = ")
    found = [f for f in lint(source, "t.py") if f.code == "AGT301"]
    assert len(found) == 1 and len(calls) == 2


def test_findings_in_a_file_with_a_long_chain_are_kept() -> None:
    # From ~500 terms on, computing positions recursed past the limit: the file's findings
    # were lost behind an internal error (exit 2) and the run still said "All checks passed".
    source = MUTABLE + _plus_chain(1500)
    assert [f.code for f in lint(source, "chain.py")] == ["AGT401"]


def test_check_on_a_long_chain_reports_its_findings(cli: CliRunner, project: Path) -> None:
    write(project, "chain.py", MUTABLE + _plus_chain(700))
    result = cli("check", "--no-cache", "--output-format", "concise", "chain.py")
    assert result.code == 1, result.err
    assert "AGT401" in result.out
    assert "internal error" not in result.err and "Traceback" not in result.err


def test_code_deeper_than_the_limit_is_not_linted() -> None:
    with pytest.raises(NotLinted, match=f"nested more than {MAX_NESTING} levels"):
        engine.parse(_plus_chain(MAX_NESTING + 50))
    with pytest.raises(NotLinted, match="Python's own parser"):
        engine.parse("x = a" + ".b" * 20_000 + "\n")


def test_nesting_depth_is_iterative_and_skips_narrow_expressions() -> None:
    import ast

    deep = ast.parse(_plus_chain(2000))
    assert 2000 < nesting_depth(deep, 10_000, 200) < 2010
    assert nesting_depth(deep, 100, 200) == 100
    narrow = ast.parse("x = (1 + 2) * 3\n")
    assert nesting_depth(narrow, 10_000, 0) == 5  # Module, Assign, BinOp, BinOp, Constant
    assert nesting_depth(narrow, 10_000, 200) == 2  # the statement counted, not entered


def test_too_deep_file_is_skipped_with_the_reason(cli: CliRunner, project: Path) -> None:
    write(project, "generated.py", _plus_chain(20_000))
    write(project, "attrs.py", "x = a" + ".b" * 20_000 + "\n")
    write(project, "fine.py", "x = 1\n")
    result = cli("check", "--no-cache", ".")
    assert result.code == 2
    assert "skipping generated.py: not linted: the code is nested" in result.err
    assert "skipping attrs.py: not linted" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert "All checks passed!" not in result.out
    assert "not every file was checked" in result.out


def test_time_budget_from_the_command_line(cli: CliRunner, project: Path) -> None:
    write(project, "slow.py", MUTABLE * 50)
    result = cli("check", "--no-cache", "--file-time-budget", "0.000001", "slow.py")
    assert result.code == 2
    assert "skipping slow.py: not linted: it took more than 1e-06 s to analyse" in result.err
    assert "All checks passed!" not in result.out
    # 0 means no limit.
    assert cli("check", "--no-cache", "--file-time-budget", "0", "slow.py").code == 1


def test_time_budget_from_the_config_file(cli: CliRunner, project: Path) -> None:
    write(project, "pyproject.toml", "[tool.agentsense]\nfile-time-budget = 0.000001\n")
    write(project, "slow.py", MUTABLE * 50)
    result = cli("check", "--no-cache", "slow.py")
    assert result.code == 2 and "`file-time-budget`" in result.err
    write(project, "pyproject.toml", "[tool.agentsense]\nfile-time-budget = -1\n")
    assert cli("check", "--no-cache", "slow.py").code == 2
    assert cli("check", "--file-time-budget", "-1", "slow.py").code == 2


def test_deadline_stops_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    # The clock jumps past the deadline after the parse: the walk loop notices.
    now = [0.0]
    monkeypatch.setattr(budget.time, "monotonic", lambda: now[0])
    parse = engine.parse_with_statements

    def slow_parse(source: str) -> object:
        parsed = parse(source)
        now[0] += 100.0
        return parsed

    monkeypatch.setattr(engine, "parse_with_statements", slow_parse)
    with time_budget(10), pytest.raises(NotLinted, match="more than 10 s"):
        lint(MUTABLE * 100, "slow.py")
    with time_budget(None):
        assert lint(MUTABLE, "ok.py")


def test_skipped_files_never_end_in_all_checks_passed(cli: CliRunner, project: Path) -> None:
    write(project, "clean.py", "x = 1\n")
    write(project, "latin.py", b"x = '\xe9'\n")
    result = cli("check", "--no-cache", ".")
    assert result.code == 2
    assert "All checks passed!" not in result.out
    assert "not every file was checked" in result.out


def test_deadline_inside_positions_is_not_an_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The budget runs out while positions are computed, inside decorated functions (libcst
    # records their positions from their decorators): the file is "not linted", not a crash
    # report (a KeyError for the unfinished decorator used to hide the NotLinted).
    now = [0.0]
    monkeypatch.setattr(budget.time, "monotonic", lambda: now[0])
    source = "".join(f"@tool\ndef f{i}(a=[]):\n    return a + 1\n\n\n" for i in range(200))
    module = cst.parse_module(source)
    with time_budget(10):
        now[0] += 100.0
        with pytest.raises(NotLinted, match="more than 10 s"):
            Positions(module)
