"""Which Python runs a framework's examples, what a missing one does, and the shared child."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agentsense.analyzers.config import ConfigResolver
from agentsense.analyzers.discovery import discover
from tests.frameworks import interpreters
from tests.frameworks.interpreters import SEPARATE, missing, python_for, run_driver

_PID_DRIVER = (
    "import json, os, sys\nprint('noise')\nprint(json.dumps([os.getpid(), sys.argv[1:]]))\n"
)


def _fake_venv(root: Path, folder: str) -> Path:
    python = root / folder / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("", encoding="utf-8")
    return python


def test_a_separate_framework_is_found_in_its_venv_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interpreters, "ROOT", tmp_path)
    monkeypatch.delenv("AGENTSENSE_CREWAI_PYTHON", raising=False)
    monkeypatch.delenv("AGENTSENSE_LANGROID_PYTHON", raising=False)
    assert python_for("crewai") is None or python_for("crewai") == sys.executable
    crewai = _fake_venv(tmp_path, ".venv-crewai")
    langroid = _fake_venv(tmp_path, ".venv-langroid")
    assert python_for("crewai") == str(crewai)
    assert python_for("langroid") == str(langroid)


def test_the_environment_variable_overrides_the_venv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interpreters, "ROOT", tmp_path)
    _fake_venv(tmp_path, ".venv-crewai")
    given = _fake_venv(tmp_path, "elsewhere")
    monkeypatch.setenv("AGENTSENSE_CREWAI_PYTHON", str(given))
    assert python_for("crewai") == str(given)


def test_a_missing_framework_skips_with_where_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTSENSE_REQUIRE_FRAMEWORKS", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"\.venv-crewai.*AGENTSENSE_CREWAI_PYTHON"):
        missing("crewai")


def test_a_missing_framework_fails_where_every_framework_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTSENSE_REQUIRE_FRAMEWORKS", "1")
    with pytest.raises(pytest.fail.Exception, match="AGENTSENSE_REQUIRE_FRAMEWORKS=1"):
        missing("langroid")


def test_one_child_serves_every_run_of_an_interpreter() -> None:
    # A framework's import (CrewAI: ~30 s) is paid once per session, not once per module.
    prelude = "# test_one_child_serves_every_run_of_an_interpreter\n"
    first_pid, first_paths = run_driver(sys.executable, prelude, _PID_DRIVER, ["a.py"])
    second_pid, second_paths = run_driver(sys.executable, prelude, _PID_DRIVER, ["b.py", "c.py"])
    assert first_pid == second_pid
    assert (first_paths, second_paths) == (["a.py"], ["b.py", "c.py"])


def test_a_failing_driver_reports_its_traceback_and_the_child_goes_on() -> None:
    prelude = "# test_a_failing_driver_reports_its_traceback_and_the_child_goes_on\n"
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        run_driver(sys.executable, prelude, "1 / 0\n", [])
    assert run_driver(sys.executable, prelude, _PID_DRIVER, ["a.py"])[1] == ["a.py"]


def test_the_framework_venvs_are_not_linted(tmp_path: Path) -> None:
    # `agentsense check .` in the repository: the repository's .gitignore keeps them out
    # (a venv's bin/ holds scripts such as pdf2txt.py, outside `site-packages`).
    (tmp_path / ".gitignore").write_bytes((interpreters.ROOT / ".gitignore").read_bytes())
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    for folder in SEPARATE.values():
        script = tmp_path / folder[0] / "bin" / "pdf2txt.py"
        script.parent.mkdir(parents=True)
        script.write_text("x = 1\n", encoding="utf-8")
    found = discover([tmp_path], ConfigResolver())
    assert [path.name for path in found.files] == ["app.py"]
