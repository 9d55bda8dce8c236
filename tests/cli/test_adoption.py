"""Adopting agentsense in a large codebase: --add-noqa, and a baseline of today's findings."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CliRunner, write

TWO = "def f(a=[]):\n    return a\n\n\ndef g(b={}):  # noqa: AGT402\n    return b\n"


def test_add_noqa_suppresses_every_finding_in_place(cli: CliRunner, project: Path) -> None:
    path = write(project, "agent.py", TWO)
    run = cli("check", "--add-noqa", "--no-cache")
    assert run.code == 0, run.err
    assert "Added 2 noqa directives." in run.err
    assert path.read_text() == (
        "def f(a=[]):  # noqa: AGT401\n    return a\n\n\n"
        "def g(b={}):  # noqa: AGT402, AGT401\n    return b\n"
    )
    # What remains is the one the file already had: its own `AGT402` suppresses nothing.
    left = cli("check", "--no-cache", "--output-format", "concise")
    assert [line.split(": ", 1)[0] for line in left.out.splitlines() if "AGT" in line] == [
        "agent.py:5:15"
    ]
    assert "AGT900" in left.out
    # Nothing left to add: the file is not touched again.
    again = cli("check", "--add-noqa", "--no-cache")
    assert "Added 0 noqa directives." in again.err


def test_add_noqa_keeps_crlf(cli: CliRunner, project: Path) -> None:
    path = write(project, "agent.py", b"def f(a=[]):\r\n    return a\r\n")
    cli("check", "--add-noqa", "--no-cache")
    assert path.read_bytes() == b"def f(a=[]):  # noqa: AGT401\r\n    return a\r\n"


def test_baseline_hides_recorded_findings_and_reports_new_ones(
    cli: CliRunner, project: Path
) -> None:
    write(project, "agent.py", "def f(a=[]):\n    return a\n")
    recorded = cli("check", "--write-baseline", "baseline.json", "--no-cache")
    assert recorded.code == 0
    assert "recorded 1 finding in baseline.json" in recorded.err
    entries = json.loads((project / "baseline.json").read_text())["findings"]
    assert [(e["path"], e["code"], e["count"]) for e in entries] == [("agent.py", "AGT401", 1)]
    clean = cli("check", "--baseline", "baseline.json", "--no-cache")
    assert clean.code == 0, clean.out
    assert "1 finding hidden by the baseline" in clean.err
    # Lines moving does not make a recorded finding new; a new one is reported.
    write(
        project,
        "agent.py",
        "import os\n\n\ndef f(a=[]):\n    return a\n\n\ndef g(b={}):\n    return b\n",
    )
    run = cli("check", "--baseline", "baseline.json", "--output-format", "concise", "--no-cache")
    assert run.code == 1
    assert [line for line in run.out.splitlines() if "AGT" in line] == [
        "agent.py:8:9: AGT401 [*] mutable default for `b` is shared between calls"
    ]


def test_fixed_findings_are_counted_as_gone(cli: CliRunner, project: Path) -> None:
    path = write(project, "agent.py", "def f(a=[]):\n    return a\n")
    cli("check", "--write-baseline", "baseline.json", "--no-cache")
    path.write_text("def f(a=None):\n    return a\n")
    run = cli("check", "--baseline", "baseline.json", "--no-cache")
    assert run.code == 0
    assert "1 recorded finding no longer occur" in run.err


def test_a_missing_or_broken_baseline_is_an_error(cli: CliRunner, project: Path) -> None:
    write(project, "agent.py", "x = 1\n")
    missing = cli("check", "--baseline", "nope.json")
    assert missing.code == 2
    assert "no baseline at nope.json (create it with --write-baseline nope.json)" in missing.err
    write(project, "broken.json", "{")
    broken = cli("check", "--baseline", "broken.json")
    assert broken.code == 2 and "is not an agentsense baseline" in broken.err
    assert "Traceback" not in broken.err


def test_force_exclude_applies_exclude_to_named_files(cli: CliRunner, project: Path) -> None:
    write(project, "build/generated.py", "def f(a=[]):\n    return a\n")
    assert cli("check", "build/generated.py", "--no-cache").code == 1  # named: linted
    forced = cli("check", "build/generated.py", "--force-exclude", "--no-cache")
    assert "AGT401" not in forced.out
