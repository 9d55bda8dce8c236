"""`agentsense check` in-process: exit codes, fixes, config, stdin, unreadable files, cache."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agentsense.analyzers import budget, engine
from agentsense.analyzers import project as analyzers_project
from agentsense.analyzers.rules.defaults.mutable_default_argument import MutableDefaultArgument
from agentsense.server.cli import check as server_check
from agentsense.server.cli.cache import CACHE_DIR_NAME
from tests.cli.conftest import (
    CLEAN,
    MUTABLE,
    MUTABLE_FIXED,
    SYNTAX_ERROR,
    CliRunner,
    write,
)

UNUSED_NOQA = "x = 1  # noqa: AGT401\n"
# AGT502's fix is unsafe: it changes when the task may be collected.
DANGLING_TASK = (
    "import asyncio\n\n\nasync def handle(message, memory):\n"
    "    asyncio.create_task(memory.save(message))\n    return 'ok'\n"
)


def _json(cli: CliRunner, *argv: str) -> list[dict[str, object]]:
    run = cli("check", "--output-format", "json", *argv)
    assert run.code in (0, 1), run.err
    data = json.loads(run.out)
    assert isinstance(data, list)
    return data


# -- exit codes ---------------------------------------------------------------------------


def test_clean_project_exits_0(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", CLEAN)
    run = cli("check")
    assert run.code == 0
    assert "All checks passed!" in run.out


def test_findings_exit_1_and_full_output(cli: CliRunner, project: Path) -> None:
    write(project, "pkg/a.py", MUTABLE)
    run = cli("check")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == "pkg/a.py:1:9: AGT401 [*] mutable default for `a` is shared between calls"
    # The source line and a caret range under columns 9-10 (`[]`).
    assert "1 | def f(a=[]):" in run.out
    caret_line = next(line for line in lines if "^" in line)
    assert caret_line.index("^") == lines[lines.index(caret_line) - 1].index("[")
    assert caret_line.count("^") == 2
    assert "= help: Default `a` to None and create it per call" in run.out
    assert "Found 1 error." in run.out
    assert "[*] 1 fixable with --fix." in run.out
    assert "\x1b[" not in run.out  # not a terminal: no colour


def test_exit_zero(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--exit-zero")
    assert run.code == 0
    assert "AGT401" in run.out


def test_missing_path_exits_2(cli: CliRunner, project: Path) -> None:
    run = cli("check", "nope.py")
    assert run.code == 2
    assert "agentsense: path does not exist: nope.py" in run.err
    assert "Traceback" not in run.err


def test_unknown_code_in_select_exits_2(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--select", "AGT401,XYZ999")
    assert run.code == 2
    assert "XYZ999" in run.err
    assert "Traceback" not in run.err


def test_unknown_option_is_a_usage_error(cli: CliRunner) -> None:
    run = cli("check", "--no-such-option")
    assert run.code == 2
    assert "usage:" in run.err
    assert "--no-such-option" in run.err


def test_bad_jobs_value_is_a_usage_error(cli: CliRunner) -> None:
    run = cli("check", "--jobs", "0")
    assert run.code == 2
    assert "--jobs" in run.err


def test_syntax_error_is_reported_and_the_run_continues(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", SYNTAX_ERROR)
    write(project, "b.py", MUTABLE)
    findings = _json(cli)
    assert [(Path(str(f["filename"])).name, f["code"]) for f in findings] == [
        ("a.py", "AGT001"),
        ("b.py", "AGT401"),
    ]


# -- selection and configuration ---------------------------------------------------------


def test_select_and_ignore_on_the_command_line(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE + UNUSED_NOQA)
    assert {f["code"] for f in _json(cli)} == {"AGT401", "AGT900"}
    assert {f["code"] for f in _json(cli, "--select", "AGT4")} == {"AGT401"}
    assert {f["code"] for f in _json(cli, "--ignore", "AGT900")} == {"AGT401"}
    extended = _json(cli, "--select", "AGT001", "--extend-select", "mutable-default-argument")
    assert {f["code"] for f in extended} == {"AGT401"}
    assert cli("check", "--ignore", "mutable-default-argument,AGT900").code == 0


def test_pyproject_select_ignore_and_per_file_ignores(cli: CliRunner, project: Path) -> None:
    write(
        project,
        "pyproject.toml",
        '[tool.agentsense]\nignore = ["AGT9"]\n'
        '[tool.agentsense.per-file-ignores]\n"tests/*" = ["AGT401"]\n',
    )
    write(project, "src/a.py", MUTABLE + UNUSED_NOQA)
    write(project, "tests/test_a.py", MUTABLE)
    findings = _json(cli)
    assert [(Path(str(f["filename"])).name, f["code"]) for f in findings] == [("a.py", "AGT401")]


def test_explicit_config_file(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    write(project, "conf/agentsense.toml", 'ignore = ["AGT401"]\n')
    assert cli("check").code == 1
    assert cli("check", "--config", "conf/agentsense.toml").code == 0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("pyproject.toml", '[tool.agentsense]\nselec = ["AGT401"]\n', "tool.agentsense.selec"),
        ("pyproject.toml", '[tool.agentsense]\nselect = ["NOPE1"]\n', "tool.agentsense.select"),
        ("pyproject.toml", "[tool.agentsense.rule-options.AGT401]\nbogus = 1\n", "AGT401"),
        ("agentsense.toml", "select = [\n", "invalid TOML"),
        ("agentsense.toml", "ignore = 3\n", "ignore"),
    ],
)
def test_bad_config_exits_2_naming_file_and_key(
    cli: CliRunner, project: Path, name: str, content: str, expected: str
) -> None:
    write(project, name, content)
    write(project, "a.py", MUTABLE)
    run = cli("check")
    assert run.code == 2
    assert str(project / name) in run.err
    assert expected in run.err
    assert "Traceback" not in run.err
    assert run.out == ""


def test_bad_nested_config_exits_2(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    write(project, "sub/agentsense.toml", "respect-gitignore = 3\n")
    write(project, "sub/b.py", MUTABLE)
    run = cli("check")
    assert run.code == 2
    assert "sub/agentsense.toml" in run.err
    assert "respect-gitignore" in run.err


def test_missing_explicit_config_exits_2(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--config", "missing.toml")
    assert run.code == 2
    assert "missing.toml" in run.err
    assert "Traceback" not in run.err


# -- fixes -------------------------------------------------------------------------------------


def test_fix_writes_files_and_a_second_run_is_clean(cli: CliRunner, project: Path) -> None:
    a = write(project, "a.py", MUTABLE)
    b = write(project, "b.py", UNUSED_NOQA)
    first = cli("check", "--fix")
    assert first.code == 0, first.out
    assert "Fixed 2 errors." in first.out
    assert a.read_text() == MUTABLE_FIXED
    assert b.read_text() == "x = 1\n"
    second = cli("check")
    assert second.code == 0
    assert "All checks passed!" in second.out


def test_fix_reports_what_remains(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    write(project, "b.py", SYNTAX_ERROR)
    run = cli("check", "--fix", "--output-format", "concise")
    assert run.code == 1
    assert "Fixed 1 error." in run.out
    assert "b.py:1:12: AGT001" in run.out
    assert "AGT401" not in run.out.replace("Fixed", "")


def test_show_fixes_lists_applied_fixes(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--fix", "--show-fixes")
    assert "Fixed 1 error." in run.out
    assert "- a.py:" in run.out
    assert "1 x AGT401" in run.out


def test_show_fixes_shows_each_fix_as_a_diff(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--show-fixes")
    assert "-def f(a=[]):" in run.out
    assert "+    if a is None:" in run.out


def test_fix_keeps_crlf_newlines(cli: CliRunner, project: Path) -> None:
    path = write(project, "a.py", MUTABLE.replace("\n", "\r\n").encode())
    assert cli("check", "--fix").code == 0
    data = path.read_bytes()
    assert data == MUTABLE_FIXED.replace("\n", "\r\n").encode()


def test_fix_keeps_the_declared_encoding_and_bom(cli: CliRunner, project: Path) -> None:
    latin = write(project, "latin.py", "# -*- coding: latin-1 -*-\n# café\n".encode("latin-1"))
    latin.write_bytes(latin.read_bytes() + MUTABLE.encode())
    bom = write(project, "bom.py", b"\xef\xbb\xbf" + MUTABLE.encode())
    assert cli("check", "--fix").code == 0
    assert latin.read_bytes() == "# -*- coding: latin-1 -*-\n# café\n".encode("latin-1") + (
        MUTABLE_FIXED.encode()
    )
    assert bom.read_bytes() == b"\xef\xbb\xbf" + MUTABLE_FIXED.encode()


def test_fix_never_writes_text_that_does_not_parse(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(project, "a.py", MUTABLE)

    def broken_fix(source: str, path: str, config: object, *, unsafe: bool = False) -> object:
        return "def f(:\n", 1, []

    monkeypatch.setattr(engine, "fix_source", broken_fix)
    run = cli("check", "--fix", "--jobs", "1")
    assert path.read_text() == MUTABLE
    assert run.code == 1
    assert "AGT401" in run.out


def test_diff_prints_changes_and_writes_nothing(cli: CliRunner, project: Path) -> None:
    path = write(project, "a.py", MUTABLE)
    run = cli("check", "--diff")
    assert run.code == 1
    assert "--- a.py" in run.out
    assert "+++ a.py" in run.out
    assert "-def f(a=[]):" in run.out
    assert "+    if a is None:" in run.out
    assert "Would fix 1 error." in run.err
    assert path.read_text() == MUTABLE
    path.write_text(CLEAN)
    clean = cli("check", "--diff")
    assert clean.code == 0
    assert clean.out == ""


def test_unsafe_fixes_need_the_flag(cli: CliRunner, project: Path) -> None:
    path = write(project, "a.py", DANGLING_TASK)
    shown = cli("check", "--select", "AGT502")
    assert shown.code == 1
    assert "AGT502 [*]" not in shown.out  # not applied by a plain --fix
    assert "1 more fixable with --fix --unsafe-fixes" in shown.out
    safe_only = cli("check", "--select", "AGT502", "--fix")
    assert safe_only.code == 1
    assert path.read_text() == DANGLING_TASK
    shown_unsafe = cli("check", "--select", "AGT502", "--unsafe-fixes")
    assert "AGT502 [*]" in shown_unsafe.out
    unsafe = cli("check", "--select", "AGT502", "--fix", "--unsafe-fixes")
    assert unsafe.code == 0, unsafe.out
    assert "_background_tasks" in path.read_text()


# -- stdin -------------------------------------------------------------------------------------


def test_stdin_uses_stdin_filename_for_messages_and_config(cli: CliRunner, project: Path) -> None:
    write(project, "pyproject.toml", '[tool.agentsense.per-file-ignores]\n"gen/*" = ["AGT401"]\n')
    run = cli("check", "-", "--stdin-filename", "src/a.py", stdin=MUTABLE.encode())
    assert run.code == 1
    assert run.out.startswith("src/a.py:1:9: AGT401")
    assert "1 | def f(a=[]):" in run.out
    ignored = cli("check", "--stdin-filename", "gen/a.py", stdin=MUTABLE.encode())
    assert ignored.code == 0, ignored.out


def test_stdin_without_a_filename(cli: CliRunner, project: Path) -> None:
    run = cli("check", "-", "--output-format", "concise", stdin=MUTABLE.encode())
    assert run.code == 1
    assert run.out.startswith("-:1:9: AGT401")


def test_stdin_fix_prints_the_fixed_source(cli: CliRunner, project: Path) -> None:
    run = cli("check", "-", "--fix", "--stdin-filename", "a.py", stdin=MUTABLE.encode())
    assert run.code == 0
    assert run.out == MUTABLE_FIXED
    assert "Fixed 1 error." in run.err
    assert not (project / "a.py").exists()


def test_stdin_diff(cli: CliRunner, project: Path) -> None:
    run = cli("check", "-", "--diff", "--stdin-filename", "a.py", stdin=MUTABLE.encode())
    assert run.code == 1
    assert "+    if a is None:" in run.out


def test_stdin_cannot_be_mixed_with_paths(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", CLEAN)
    assert cli("check", "-", "a.py", stdin=b"").code == 2


# -- files that cannot be linted -----------------------------------------------------------------


def test_non_utf8_file_is_skipped_with_a_warning(cli: CliRunner, project: Path) -> None:
    write(project, "bad.py", b"x = 1\ny = '\xff'\n")
    write(project, "good.py", MUTABLE)
    run = cli("check")
    assert "agentsense: skipping bad.py: not UTF-8 (byte 0xff at offset 11)" in run.err
    assert "good.py:1:9: AGT401" in run.out
    assert run.code == 1  # findings: the run is a normal failing run
    (project / "good.py").write_text(CLEAN)
    assert cli("check").code == 2  # otherwise the unread file fails it


def test_binary_and_huge_files_are_skipped(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "blob.py", b"\x00\x01\x02")
    write(project, "big.py", "x = 1\n" * 10)
    write(project, "a.py", MUTABLE)
    monkeypatch.setattr(budget, "MAX_SOURCE_BYTES", 40)
    run = cli("check", "--jobs", "1")
    assert "skipping blob.py: binary file" in run.err
    assert "skipping big.py: larger than" in run.err
    assert run.code == 1
    assert "a.py:1:9" in run.out


def test_internal_error_in_a_rule_does_not_stop_the_run(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: object, node: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(MutableDefaultArgument, "visit_FunctionDef", explode)
    write(project, "a.py", MUTABLE)
    write(project, "b.py", SYNTAX_ERROR)
    run = cli("check", "--jobs", "1", "--no-cache")
    assert run.code == 2
    assert "internal error while checking a.py: RuntimeError: boom" in run.err
    assert "please report this bug" in run.err
    assert "b.py:1:12: AGT001" in run.out


# -- output options ------------------------------------------------------------------------------


def test_statistics(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE + "\n\ndef g(b={}):\n    return b\n" + UNUSED_NOQA)
    write(project, "b.py", SYNTAX_ERROR)
    run = cli("check", "--statistics")
    assert run.code == 1
    assert run.out.splitlines() == [
        "2  AGT401  mutable-default-argument  [*]",
        "1  AGT001  syntax-error",
        "1  AGT900  unused-suppression        [*]",
    ]
    data = json.loads(cli("check", "--statistics", "--output-format", "json").out)
    assert data[0] == {
        "code": "AGT401",
        "name": "mutable-default-argument",
        "count": 2,
        "fixable": True,
    }


def test_output_file_creates_parent_directories(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--output-format", "json", "--output-file", "reports/x/out.json")
    assert run.code == 1
    assert run.out == ""
    data = json.loads((project / "reports/x/out.json").read_text())
    assert data[0]["code"] == "AGT401"


def test_quiet_prints_findings_only(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--quiet", "--output-format", "concise")
    assert run.out == "a.py:1:9: AGT401 [*] mutable default for `a` is shared between calls\n"
    write(project, "a.py", CLEAN)
    assert cli("check", "-q").out == ""


def test_colour_follows_force_color_and_no_color(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "a.py", MUTABLE)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in cli("check").out
    monkeypatch.setenv("NO_COLOR", "1")
    coloured = cli("check").out
    assert "\x1b[33m" not in coloured and "\x1b[1;33m" not in coloured


def test_progress_bar_on_a_terminal(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for i in range(25):
        write(project, f"m{i}.py", CLEAN)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli("check", "--jobs", "1").code == 0
    assert "checking" in terminal.getvalue()


# -- parallel runs and the cache --------------------------------------------------------------


def test_jobs_2_finds_what_jobs_1_finds(cli: CliRunner, project: Path) -> None:
    for i in range(6):
        write(project, f"pkg/m{i}.py", MUTABLE + UNUSED_NOQA if i % 2 else SYNTAX_ERROR)
    one = _json(cli, "--jobs", "1", "--no-cache")
    two = _json(cli, "--jobs", "2", "--no-cache")
    assert len(one) == 9
    assert one == two


def test_fix_with_jobs_2(cli: CliRunner, project: Path) -> None:
    paths = [write(project, f"m{i}.py", MUTABLE) for i in range(4)]
    run = cli("check", "--fix", "--jobs", "2")
    assert run.code == 0
    assert "Fixed 4 errors." in run.out
    assert all(p.read_text() == MUTABLE_FIXED for p in paths)


def _cache_entries(project: Path) -> list[Path]:
    return sorted((project / CACHE_DIR_NAME).glob("*/*.json"))


def test_second_run_reads_the_cache(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    assert cli("check").code == 1
    entries = _cache_entries(project)
    assert len(entries) == 1
    assert (project / CACHE_DIR_NAME / ".gitignore").read_text().splitlines()[-1] == "*"
    # Plant a message only the cache can produce: the next run must show it.
    entries[0].write_text(entries[0].read_text().replace("mutable default", "FROM CACHE"))
    assert "FROM CACHE" in cli("check").out
    assert "FROM CACHE" not in cli("check", "--no-cache").out
    # Another selection is another key: no stale hit.
    assert "FROM CACHE" not in cli("check", "--select", "AGT4").out


def test_no_cache_writes_nothing(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    cli("check", "--no-cache")
    assert not (project / CACHE_DIR_NAME).exists()


def test_changed_content_misses_the_cache(cli: CliRunner, project: Path) -> None:
    path = write(project, "a.py", MUTABLE)
    assert cli("check").code == 1
    path.write_text(CLEAN)
    assert cli("check").code == 0
    assert len(_cache_entries(project)) == 2


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"path": 3}', b"\xff\xfe"])
def test_corrupt_cache_entry_is_ignored(cli: CliRunner, project: Path, garbage: bytes) -> None:
    write(project, "a.py", MUTABLE)
    cli("check")
    (entry,) = _cache_entries(project)
    entry.write_bytes(garbage)
    run = cli("check")
    assert run.code == 1
    assert "a.py:1:9: AGT401" in run.out
    assert run.err == ""


DUPLICATE_TOOL = """from agentsense.runtime.registry import tool


@tool
def search(query: str) -> str:
    \"\"\"Search.\"\"\"
    return query
"""


def _project_entries(project: Path) -> list[Path]:
    return sorted((project / CACHE_DIR_NAME).glob("project-*.json"))


def test_the_project_pass_is_read_from_the_cache_while_no_file_changes(
    cli: CliRunner, project: Path
) -> None:
    write(project, "a.py", DUPLICATE_TOOL)
    b = write(project, "b.py", DUPLICATE_TOOL)
    first = cli("check")
    assert "AGT212" in first.out
    (entry,) = _project_entries(project)
    # Plant a message only the cached pass can produce: the next run must show it.
    entry.write_text(entry.read_text().replace("is already registered", "FROM CACHE"))
    assert "FROM CACHE" in cli("check").out
    assert "FROM CACHE" not in cli("check", "--no-cache").out
    # Another selection changes every file's entry, so the pass is another entry.
    assert "FROM CACHE" not in cli("check", "--select", "AGT2").out
    b.write_text(DUPLICATE_TOOL.replace("def search(", "def lookup("))
    changed = cli("check")
    assert "FROM CACHE" not in changed.out
    assert "AGT212" not in changed.out


@pytest.mark.parametrize("garbage", [b"", b"[[], [[1, 2]]]", b"\xff"])
def test_a_corrupt_project_entry_is_ignored(cli: CliRunner, project: Path, garbage: bytes) -> None:
    write(project, "a.py", DUPLICATE_TOOL)
    write(project, "b.py", DUPLICATE_TOOL)
    cold = cli("check")
    (entry,) = _project_entries(project)
    entry.write_bytes(garbage)
    warm = cli("check")
    assert warm.out == cold.out and "AGT212" in warm.out
    assert warm.err == ""


def test_no_cache_keeps_no_project_pass(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", DUPLICATE_TOOL)
    write(project, "b.py", DUPLICATE_TOOL)
    assert "AGT212" in cli("check", "--no-cache").out
    assert not (project / CACHE_DIR_NAME).exists()


def test_cache_lives_at_the_config_root(cli: CliRunner, project: Path) -> None:
    write(project, "app/pyproject.toml", "[tool.agentsense]\n")
    write(project, "app/src/a.py", MUTABLE)
    assert cli("check", "app/src").code == 1
    assert (project / "app" / CACHE_DIR_NAME).is_dir()
    assert not (project / CACHE_DIR_NAME).exists()


# -- failures outside one file ---------------------------------------------------------------------


def test_cross_file_findings_are_reported(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentsense.analyzers.model import Finding, Location, RelatedLocation, Severity, Span
    from agentsense.analyzers.project import ProjectFindings

    write(project, "a.py", CLEAN)
    write(project, "b.py", CLEAN)
    seen: list[list[str]] = []

    def duplicates(results: list[object], config_for: object) -> ProjectFindings:
        paths = sorted(str(getattr(r, "path")) for r in results)  # noqa: B009
        seen.append(paths)
        span = Span(Location(1, 5), Location(1, 6))
        found = (
            Finding(
                "AGT212",
                "duplicate-tool-name",
                "tool `f` is registered twice",
                Severity.ERROR,
                paths[1],
                span,
                related=(RelatedLocation(paths[0], span, "first registered here"),),
            ),
        )
        return ProjectFindings(found, frozenset())

    monkeypatch.setattr(analyzers_project, "project_findings", duplicates)
    run = cli("check", "--output-format", "json")
    assert run.code == 1
    assert seen == [[str(project / "a.py"), str(project / "b.py")]]
    (finding,) = json.loads(run.out)
    assert finding["code"] == "AGT212"
    assert finding["related"][0]["filename"] == str(project / "a.py")
    full = cli("check")
    assert "b.py:1:5: AGT212 tool `f` is registered twice" in full.out
    assert "= note: a.py:1:5: first registered here" in full.out


def test_cross_file_crash_is_an_internal_error(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(results: object, config_for: object) -> list[object]:
        raise ValueError("index broke")

    monkeypatch.setattr(analyzers_project, "project_findings", crash)
    write(project, "a.py", MUTABLE)
    run = cli("check")
    assert run.code == 2
    assert "a.py:1:9: AGT401" in run.out
    assert "ValueError: index broke" in run.err
    assert "please report this bug" in run.err


_real_check_chunk = server_check.check_chunk


def _die_on_crash(
    jobs: list[server_check.FileJob], settings: server_check.RunSettings
) -> list[server_check.FileOutcome]:
    """A worker that dies on `crash.py`, as on a segfault or the OOM killer."""
    import os

    if any(job.path.endswith("crash.py") for job in jobs):
        os._exit(3)
    return _real_check_chunk(jobs, settings)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="patches forked workers")
def test_a_dead_worker_is_reported_not_fatal(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers are forked, so they see the patched function.
    monkeypatch.setattr(server_check, "check_chunk", _die_on_crash)
    write(project, "crash.py", CLEAN)
    write(project, "ok.py", CLEAN)
    run = cli("check", "--jobs", "2", "--no-cache")
    assert run.code == 2
    assert "crash.py: a worker process died" in run.err
    assert "Traceback" not in run.err.split("crash.py")[0]


def test_no_process_support_falls_back_to_one_process(
    cli: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object, **kwargs: object) -> object:
        raise OSError("no semaphores here")

    # (check imports the pool when it starts one: one file needs none)
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", unavailable)
    for i in range(3):
        write(project, f"m{i}.py", MUTABLE)
    run = cli("check", "--jobs", "2", "--output-format", "concise")
    assert run.code == 1
    assert run.out.count("AGT401") == 3


def test_stdin_fix_echoes_undecodable_input(project: Path) -> None:
    import io

    from agentsense.server.cli.check import CheckOptions, Streams, run_check

    stdout, stderr = io.TextIOWrapper(io.BytesIO()), io.StringIO()
    streams = Streams(io.BytesIO(b"x = '\xff'\n"), stdout, stderr)
    code = run_check(CheckOptions(paths=("-",), fix=True), streams)
    assert code == 2
    assert "not UTF-8 (byte 0xff at offset 5)" in stderr.getvalue()
    assert stdout.buffer.getvalue() == b"x = '\xff'\n"  # type: ignore[attr-defined]
