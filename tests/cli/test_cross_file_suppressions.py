"""`# noqa: AGT212` on a duplicate registered in another file: used, so never AGT900."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import CliRunner, write

TOOL = '''from agentsense.runtime.registry import tool


@tool
def search(query: str) -> str:{noqa}
    """Search."""
    return query
'''
SUPPRESSED = TOOL.format(noqa="  # noqa: AGT212")
PLAIN = TOOL.format(noqa="")
# A second code on the same comment that silences nothing.
SUPPRESSED_AND_STALE = TOOL.format(noqa="  # noqa: AGT212, AGT401")


def _codes(cli: CliRunner, *argv: str) -> list[tuple[str, str]]:
    run = cli("check", "--output-format", "json", *argv)
    assert run.code in (0, 1), run.err
    return [(Path(f["filename"]).name, f["code"]) for f in json.loads(run.out)]


@pytest.mark.parametrize("no_cache", [True, False])
def test_a_noqa_silencing_a_cross_file_duplicate_is_used(
    cli: CliRunner, project: Path, no_cache: bool
) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", PLAIN)
    argv = ("--no-cache",) if no_cache else ()
    # Twice: the second run reads the files' results from the cache.
    for _ in range(2):
        assert _codes(cli, *argv) == [("b.py", "AGT212")]
    write(project, "b.py", SUPPRESSED)
    run = cli("check", *argv)
    assert run.code == 0, run.out
    assert "All checks passed!" in run.out
    statistics = cli("check", "--statistics", *argv)
    assert statistics.code == 0
    assert "AGT900" not in statistics.out


def test_fix_keeps_a_noqa_that_silences_a_cross_file_duplicate(
    cli: CliRunner, project: Path
) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", SUPPRESSED)
    run = cli("check", "--fix")
    assert run.code == 0, run.out
    assert (project / "a.py").read_text() == SUPPRESSED
    assert (project / "b.py").read_text() == SUPPRESSED
    assert cli("check", "--diff").out == ""


def test_add_noqa_adds_nothing_for_a_used_cross_file_noqa(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", SUPPRESSED)
    run = cli("check", "--add-noqa")
    assert run.code == 0
    assert (project / "a.py").read_text() == SUPPRESSED
    assert (project / "b.py").read_text() == SUPPRESSED


def test_a_noqa_with_no_cross_file_duplicate_is_still_unused(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", PLAIN.replace("def search(", "def lookup("))
    assert _codes(cli) == [("a.py", "AGT900")]
    run = cli("check", "--output-format", "json")
    (finding,) = json.loads(run.out)
    assert "AGT212" in finding["message"]


def test_only_the_stale_code_of_a_used_noqa_is_reported(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", SUPPRESSED_AND_STALE)
    write(project, "b.py", SUPPRESSED)
    run = cli("check", "--output-format", "json")
    assert run.code == 1
    (finding,) = json.loads(run.out)
    assert finding["code"] == "AGT900"
    assert "AGT401" in finding["message"]
    assert "AGT212" not in finding["message"]
    # Its fix would have rewritten the whole comment: --fix leaves the used code alone.
    cli("check", "--fix")
    assert "AGT212" in (project / "a.py").read_text()
