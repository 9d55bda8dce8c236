"""The repository's pre-commit hooks, run by the real pre-commit (`pre-commit try-repo`).

pre-commit installs this repository into an environment of its own (from PyPI for the
dependencies), so the first run takes a minute; the environment is shared by the tests here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

pytestmark = pytest.mark.skipif(
    not PRE_COMMIT.exists() or shutil.which("git") is None,
    reason="pre-commit (the dev extra) and git are needed",
)

MUTABLE = "def f(a=[]):\n    return a\n"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "user-project"
    (root / "build").mkdir(parents=True)
    (root / "agent.py").write_text(MUTABLE)
    (root / "build" / "generated.py").write_text(MUTABLE)  # excluded by default
    _git(root, "init", "-q")
    _git(root, "add", ".")
    return root


def try_repo(home: Path, project: Path, hook: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(REPO), hook, "--all-files", "--verbose"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_check_hook_reports_and_fails(home: Path, project: Path) -> None:
    run = try_repo(home, project, "agentsense")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "agent.py:1:9: AGT401" in run.stdout
    # --force-exclude: the default `exclude` applies though pre-commit names the file.
    assert "build/generated.py" not in run.stdout
    assert (project / "agent.py").read_text() == MUTABLE


def test_the_fix_hook_fixes_and_stops_the_commit(home: Path, project: Path) -> None:
    run = try_repo(home, project, "agentsense-fix")
    assert run.returncode == 1, run.stdout + run.stderr  # files were changed
    assert "if a is None:" in (project / "agent.py").read_text()
    assert (project / "build" / "generated.py").read_text() == MUTABLE
    _git(project, "add", ".")
    again = try_repo(home, project, "agentsense-fix")
    assert again.returncode == 0, again.stdout + again.stderr
