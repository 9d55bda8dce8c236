"""Fixtures for the command-line tests: a temporary project, in-process and real runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentsense.server.cli.commands import main

# The console script users run (never `python -m`): it must work from any directory.
AGENTSENSE = Path(sys.executable).with_name("agentsense")

MUTABLE = "def f(a=[]):\n    return a\n"
MUTABLE_FIXED = "def f(a=None):\n    if a is None:\n        a = []\n    return a\n"
CLEAN = "def f(a=None):\n    return a\n"
SYNTAX_ERROR = "def broken(:\n    pass\n"

_COLOUR_VARS = ("FORCE_COLOR", "NO_COLOR", "TERM", "COLUMNS", "PYTHONPATH")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory that is the working directory."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    for name in _COLOUR_VARS:
        monkeypatch.delenv(name, raising=False)
    return root


CliRunner = Callable[..., Run]


@pytest.fixture
def cli(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """Run `main(argv)` in this process (fast); `stdin=` feeds bytes to standard input."""

    def run(*argv: str, stdin: bytes | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def run_executable(
    *argv: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> Run:
    """Run the installed `agentsense` console script in a child process."""
    environment = {k: v for k, v in os.environ.items() if k not in _COLOUR_VARS}
    environment.update(env or {})
    completed = subprocess.run(
        [str(AGENTSENSE), *argv],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environment,
        timeout=120,
        check=False,
    )
    return Run(
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )
