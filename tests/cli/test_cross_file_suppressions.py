"""`# noqa: AGT212` on a duplicate registered in another file: used, so never AGT900; and
one that silences nothing across the project: AGT900, which `--fix` and `--diff` remove."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentsense.analyzers import project as analyzers_project
from agentsense.analyzers.project import ProjectFindings
from tests.cli.conftest import MUTABLE, MUTABLE_FIXED, CliRunner, write
from tests.cli.test_notebooks import code, notebook

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
# No other file registers `search` under another name: nothing to suppress.
OTHER_NAME = PLAIN.replace("def search(", "def lookup(")
# How a run can meet the files: read, from a warm cache, in worker processes.
RUNS = [
    pytest.param(("--no-cache",), False, id="cold"),
    pytest.param((), True, id="warm"),
    pytest.param(("-j", "2"), True, id="warm-jobs-2"),
    pytest.param(("-j", "2", "--no-cache"), False, id="cold-jobs-2"),
    pytest.param(("--unsafe-fixes",), False, id="unsafe-fixes"),
]


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


@pytest.mark.parametrize(("argv", "warm"), RUNS)
def test_fix_keeps_a_noqa_that_silences_a_cross_file_duplicate(
    cli: CliRunner, project: Path, argv: tuple[str, ...], warm: bool
) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", SUPPRESSED)
    if warm:
        cli("check", *argv)
    diff = cli("check", "--diff", *argv)
    assert (diff.code, diff.out) == (0, ""), diff.err
    run = cli("check", "--fix", *argv)
    assert run.code == 0, run.out
    assert (project / "a.py").read_text() == SUPPRESSED
    assert (project / "b.py").read_text() == SUPPRESSED
    assert cli("check", "--diff", *argv).out == ""


@pytest.mark.parametrize(("argv", "warm"), RUNS)
def test_fix_removes_a_noqa_that_silences_no_cross_file_duplicate(
    cli: CliRunner, project: Path, argv: tuple[str, ...], warm: bool
) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", OTHER_NAME)
    if warm:
        assert _codes(cli, *argv) == [("a.py", "AGT900")]
    run = cli("check", "--fix", "--show-fixes", *argv)
    assert run.code == 0, run.out
    assert "Fixed 1 error." in run.out
    assert "AGT900" in run.out  # --show-fixes names what was fixed
    assert (project / "a.py").read_text() == PLAIN
    assert (project / "b.py").read_text() == OTHER_NAME
    again = cli("check", *argv)
    assert again.code == 0, again.out
    assert cli("check", "--diff", *argv).out == ""


@pytest.mark.parametrize(("argv", "warm"), RUNS)
def test_diff_shows_the_removal_and_writes_nothing(
    cli: CliRunner, project: Path, argv: tuple[str, ...], warm: bool
) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", OTHER_NAME)
    if warm:
        cli("check", *argv)
    run = cli("check", "--diff", *argv)
    assert run.code == 1
    assert "Would fix 1 error." in run.err
    removed = [line for line in run.out.splitlines() if line.startswith(("-", "+"))]
    assert removed == [
        "--- a.py",
        "+++ a.py",
        "-def search(query: str) -> str:  # noqa: AGT212",
        "+def search(query: str) -> str:",
    ]
    assert (project / "a.py").read_text() == SUPPRESSED


def test_only_the_unused_noqa_of_a_run_is_removed(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", SUPPRESSED)
    write(project, "c.py", OTHER_NAME.replace("-> str:", "-> str:  # noqa: AGT212"))
    run = cli("check", "--fix", "-j", "2")
    assert run.code == 0, run.out
    assert "Fixed 1 error." in run.out
    assert (project / "a.py").read_text() == SUPPRESSED
    assert (project / "b.py").read_text() == SUPPRESSED
    assert (project / "c.py").read_text() == OTHER_NAME


# The noqa's row moves down when the mutable default's fix adds two lines above it.
MUTABLE_THEN_SUPPRESSED = MUTABLE + "\n\n" + SUPPRESSED
MUTABLE_THEN_SUPPRESSED_FIXED = MUTABLE_FIXED + "\n\n" + PLAIN


@pytest.mark.parametrize(("argv", "warm"), RUNS)
def test_fix_removes_it_together_with_the_file_s_own_fixes(
    cli: CliRunner, project: Path, argv: tuple[str, ...], warm: bool
) -> None:
    write(project, "a.py", MUTABLE_THEN_SUPPRESSED)
    write(project, "b.py", OTHER_NAME)
    if warm:
        assert sorted(_codes(cli, *argv)) == [("a.py", "AGT401"), ("a.py", "AGT900")]
    diff = cli("check", "--diff", *argv)
    assert diff.code == 1
    assert "Would fix 2 errors." in diff.err
    assert diff.out.count("@@ ") == 2  # one diff of the file, both changes in it
    assert "-def search(query: str) -> str:  # noqa: AGT212" in diff.out
    assert "+def f(a=None):" in diff.out
    assert (project / "a.py").read_text() == MUTABLE_THEN_SUPPRESSED
    run = cli("check", "--fix", *argv)
    assert run.code == 0, run.out
    assert "Fixed 2 errors." in run.out
    assert (project / "a.py").read_text() == MUTABLE_THEN_SUPPRESSED_FIXED
    assert cli("check", *argv).code == 0
    assert cli("check", "--diff", *argv).out == ""


def test_stdin_fix_and_diff_remove_it(cli: CliRunner, project: Path) -> None:
    fixed = cli("check", "--fix", "--stdin-filename", "a.py", "-", stdin=SUPPRESSED.encode())
    assert fixed.code == 0, fixed.err
    assert fixed.out == PLAIN
    assert "Fixed 1 error." in fixed.err
    diff = cli("check", "--diff", "-", stdin=SUPPRESSED.encode())
    assert diff.code == 1
    assert "-def search(query: str) -> str:  # noqa: AGT212" in diff.out


def test_stdin_fix_removes_it_together_with_the_text_s_own_fixes(cli: CliRunner) -> None:
    source = MUTABLE_THEN_SUPPRESSED.encode()
    fixed = cli("check", "--fix", "-", stdin=source)
    assert fixed.out == MUTABLE_THEN_SUPPRESSED_FIXED
    assert "Fixed 2 errors." in fixed.err
    diff = cli("check", "--diff", "-", stdin=source)
    assert "Would fix 2 errors." in diff.err
    assert "-def search(query: str) -> str:  # noqa: AGT212" in diff.out
    assert "+def f(a=None):" in diff.out


def test_fix_removes_it_from_a_notebook_cell(cli: CliRunner, project: Path) -> None:
    lines = SUPPRESSED.rstrip("\n").split("\n")
    write(project, "a.ipynb", notebook(code(*lines)))
    write(project, "b.py", OTHER_NAME)
    assert _codes(cli) == [("a.ipynb", "AGT900")]
    diff = cli("check", "--diff")
    assert "--- a.ipynb:cell 1" in diff.out
    run = cli("check", "--fix")
    assert run.code == 0, run.out
    cells = json.loads((project / "a.ipynb").read_text())["cells"]
    assert "".join(cells[0]["source"]) == PLAIN.rstrip("\n")
    assert cells[0]["metadata"] == {"tags": ["agent"]}


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


@pytest.mark.parametrize("no_cache", [True, False])
def test_a_file_edited_before_the_project_pass_is_left_alone(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch, no_cache: bool
) -> None:
    write(project, "a.py", SUPPRESSED)
    write(project, "b.py", PLAIN)  # the duplicate a.py's noqa silences: it is used
    # Saved by an editor between the files' pass and the project pass: the used noqa moved
    # down a row, where the pass's verdict (by row) does not reach it.
    edited = SUPPRESSED.replace("@tool\n", "@tool\n# a note\n")
    project_findings = analyzers_project.project_findings
    calls: list[object] = []

    def then_edit(*args: Any, **kwargs: Any) -> ProjectFindings:
        if not calls:  # the pass that decides the fixes (the report's pass comes after)
            (project / "a.py").write_text(edited)
        calls.append(args)
        return project_findings(*args, **kwargs)

    monkeypatch.setattr(analyzers_project, "project_findings", then_edit)
    cli("check", "--fix", *(("--no-cache",) if no_cache else ()))
    assert len(calls) == 2
    assert (project / "a.py").read_text() == edited
