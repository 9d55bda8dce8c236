"""The installed `agentsense` console script, run as users run it, in child processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import (
    AGENTSENSE,
    MUTABLE,
    MUTABLE_FIXED,
    SYNTAX_ERROR,
    run_executable,
    write,
)

pytestmark = pytest.mark.skipif(
    not AGENTSENSE.exists(), reason="the agentsense console script is not installed"
)

SHADOW = 'raise RuntimeError("the user project module was imported by agentsense")\n'


def _python(
    code: str, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c code argv...` in a child process of this interpreter; fails if it does."""
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True, env=env
    )


def test_user_modules_named_like_ours_are_never_imported(tmp_path: Path) -> None:
    """A project with its own `server`, `runtime` and `analyzers` must not shadow ours."""
    for name in ("server.py", "runtime.py", "analyzers/__init__.py", "server/__init__.py"):
        write(tmp_path, name, SHADOW)
    write(tmp_path, "agent.py", MUTABLE)
    for i in range(3):
        write(tmp_path, f"tools/t{i}.py", MUTABLE)
    # Several files and --jobs 2: the worker processes must not import them either.
    run = run_executable("check", "--jobs", "2", "--output-format", "concise", cwd=tmp_path)
    assert run.code == 1, run.err
    assert "agent.py:1:9: AGT401" in run.out
    assert "tools/t2.py:1:9: AGT401" in run.out
    assert "Traceback" not in run.err
    assert "user project module" not in run.err
    # The single-file, in-process path too.
    single = run_executable("check", "agent.py", cwd=tmp_path)
    assert single.code == 1, single.err
    assert "agent.py:1:9: AGT401" in single.out


def test_stdin_fix_through_the_executable(tmp_path: Path) -> None:
    run = run_executable(
        "check",
        "-",
        "--fix",
        "--stdin-filename",
        "pkg/agent.py",
        cwd=tmp_path,
        stdin=MUTABLE.encode(),
    )
    assert run.code == 0, run.err
    assert run.out == MUTABLE_FIXED
    assert "Fixed 1 error." in run.err


def test_fix_through_the_executable(tmp_path: Path) -> None:
    path = write(tmp_path, "a.py", MUTABLE)
    write(tmp_path, "b.py", SYNTAX_ERROR)
    fixed = run_executable("check", "--fix", cwd=tmp_path)
    assert fixed.code == 1  # the syntax error remains
    assert path.read_text() == MUTABLE_FIXED
    assert "Fixed 1 error." in fixed.out
    assert "b.py:1:12: AGT001" in fixed.out


def test_bad_config_through_the_executable(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.agentsense]\nper-file-ignores = {"x/*" = ["BAD9"]}\n')
    write(tmp_path, "a.py", MUTABLE)
    run = run_executable("check", cwd=tmp_path)
    assert run.code == 2
    assert str(tmp_path / "pyproject.toml") in run.err
    assert "per-file-ignores" in run.err
    assert "Traceback" not in run.err


def test_server_starts_without_importing_the_linter_cli() -> None:
    """`agentsense server` goes straight to the language server (editor cold start)."""
    code = (
        "import sys; from agentsense.server.entry import main\n"
        "import agentsense.server.lsp.server as ls\n"
        "ls.serve = lambda **kw: print(sorted(m for m in sys.modules if m in "
        "('agentsense.server.cli.check', 'agentsense.server.cli.formats', 'agentsense.analyzers', "
        "'libcst', 'pydantic', 'rich'))) or 0\n"
        "sys.exit(main(['server', '--stdio']))\n"
    )
    out = _python(code)
    assert out.stdout.strip() == "[]"


def test_check_loads_only_what_it_runs(tmp_path: Path) -> None:
    """`agentsense check` on a file or two (pre-commit's usual run) starts fast: it loads
    neither the language server (pygls, lsprotocol) nor a process pool, nor an output format
    it does not write."""
    source = tmp_path / "agent.py"
    source.write_text("def f(a=[]):\n    return a\n")
    code = (
        "import sys; from agentsense.server.entry import main\n"
        "status = main(['check', '--no-cache', '--output-format', 'concise', sys.argv[1]])\n"
        "print('status', status)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', "
        "'multiprocessing') or m.startswith(('agentsense.server.lsp', "
        "'agentsense.server.cli.formats.', 'agentsense.server.cli.catalog'))))\n"
    )
    out = _python(code, str(source))
    lines = out.stdout.strip().splitlines()
    assert "AGT401" in out.stdout and lines[-2] == "status 1"
    assert (
        lines[-1]
        == "['agentsense.server.cli.formats.concise', 'agentsense.server.cli.formats.full']"
    )


def test_a_warm_run_loads_no_linter(tmp_path: Path) -> None:
    """A run whose files are all in the cache (and whose project-wide pass is too) imports
    neither libcst nor the engine nor any rule, and reports what the cold run reported; a
    changed file loads them again."""
    examples = Path(__file__).resolve().parents[2] / "examples"
    shutil.copytree(examples, tmp_path / "examples")
    code = (
        "import sys; from agentsense.server.entry import main\n"
        "status = main(['check', '-j', sys.argv[2], '--cache-dir', sys.argv[1] + '/cache' + sys.argv[2], "
        "sys.argv[1] + '/examples'])\n"
        "print('status', status)\n"
        "linter = ('libcst', 'agentsense.analyzers.engine', 'agentsense.analyzers.project', "
        "'agentsense.analyzers.registry', 'agentsense.analyzers.rules.builtin')\n"
        "print([m for m in linter if m in sys.modules])\n"
    )
    for jobs in ("1", "2"):
        cold = _python(code, str(tmp_path), jobs)
        warm = _python(code, str(tmp_path), jobs)
        assert "AGT212" in cold.stdout and "status 1" in cold.stdout
        assert cold.stdout.splitlines()[-1].count("'") == 10  # all five loaded
        assert warm.stdout.splitlines()[:-1] == cold.stdout.splitlines()[:-1]
        assert warm.stdout.splitlines()[-1] == "[]", warm.stdout[-300:]
    agent = next((tmp_path / "examples").rglob("*.py"))
    agent.write_text(agent.read_text() + "\n\ndef added(a=[]):\n    return a\n")
    changed = _python(code, str(tmp_path), "1")
    assert "'libcst'" in changed.stdout.splitlines()[-1]
    assert "AGT401" in changed.stdout


def test_check_of_one_file_skips_what_it_does_not_need(tmp_path: Path) -> None:
    """Checking one file with a machine format imports no rich (only styled text needs it),
    no pathspec (no folder walked, no exclude applied), no `# noqa` writer, and builds no
    pydantic schema: settings and rule options left unset are never validated (pydantic's
    plugin lookup, `importlib.metadata`, is what building the first schema imports). With a
    config file that sets options, they are validated as strictly as before."""
    source = tmp_path / "agent.py"
    source.write_text("def f(a=[]):\n    return a\n")
    code = (
        "import sys; from agentsense.server.entry import main\n"
        "status = main(['check', '--no-cache', '--output-format', 'json', sys.argv[1]])\n"
        "from agentsense.analyzers.config import Settings\n"
        "print('status', status, 'settings schema', Settings.__pydantic_complete__)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'pathspec') "
        "or m in ('importlib.metadata', 'agentsense.server.actions')))\n"
    )
    out = _python(code, str(source))
    lines = out.stdout.strip().splitlines()
    assert '"AGT401"' in out.stdout
    assert lines[-2] == "status 1 settings schema False"
    assert lines[-1] == "[]"
    # Options set in a config file: validated, and a bad value is the same clear error.
    (tmp_path / "agentsense.toml").write_text(
        '[rule-options.AGT101]\ndefault-max-iterations = "many"\n'
    )
    bad = run_executable("check", "--no-cache", str(source), cwd=tmp_path)
    assert bad.code == 2, bad.err
    assert "rule-options.AGT101.default-max-iterations" in bad.err
    assert "Traceback" not in bad.err


def test_a_clean_run_loads_no_rich_notebook_reader_or_baseline(tmp_path: Path) -> None:
    """A clean file checked in the default (full) format, its output captured (pre-commit's
    usual run): "All checks passed!" is written without rich, which only styles it on a
    terminal; no notebook reader or baseline module is loaded for a `.py` file without a
    baseline. The same run with findings, or colour forced, loads rich as before."""
    source = tmp_path / "agent.py"
    source.write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    code = (
        "import sys; from agentsense.server.entry import main\n"
        "status = main(['check', '--no-cache', *sys.argv[1:]])\n"
        "print('status', status)\n"
        "print(sorted({m.split('.')[0] if m.startswith('rich') else m for m in sys.modules "
        "if m.split('.')[0] == 'rich' or m in ('agentsense.analyzers.notebook', "
        "'agentsense.server.cli.baseline', 'agentsense.server.cli.formats.full')}))\n"
    )

    def run(*argv: str, env: dict[str, str] | None = None) -> list[str]:
        environment = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
        return _python(code, *argv, env={**environment, **(env or {})}).stdout.splitlines()

    assert run(str(source)) == ["All checks passed!", "status 0", "[]"]
    assert run("--quiet", str(source)) == ["status 0", "[]"]
    assert run("--output-format", "concise", str(source))[-1] == "[]"
    coloured = run(str(source), env={"FORCE_COLOR": "1"})
    assert "\x1b[" in coloured[0] and "All checks passed!" in coloured[0]
    assert coloured[-1] == "['agentsense.server.cli.formats.full', 'rich']"
    source.write_text("def f(a=[]):\n    return a\n")
    found = run(str(source))
    assert found[-2:] == ["status 1", "['agentsense.server.cli.formats.full', 'rich']"]


def test_a_run_rarely_wakes_the_cycle_collector() -> None:
    """A run's many short-lived objects form no cycle, so the collector is set to run rarely
    (at CPython's default it ran 68 times over the examples, to find nothing), and what is
    loaded before the run is frozen out of its sight."""
    examples = Path(__file__).resolve().parents[2] / "examples"
    code = (
        "import gc, sys; from agentsense.server.entry import main\n"
        "runs = []\n"
        "gc.callbacks.append(lambda phase, info: runs.append(info) if phase == 'start' else 0)\n"
        "status = main(['check', '--no-cache', '-j', '1', '--exit-zero', sys.argv[1]])\n"
        "print('status', status, 'collections', len(runs), 'frozen', gc.get_freeze_count() > 0)\n"
    )
    out = _python(code, str(examples))
    status, collections, frozen = out.stdout.strip().splitlines()[-1].split()[1::2]
    assert status == "0" and frozen == "True"
    assert int(collections) <= 5, out.stdout[-300:]
    # A worker started by spawn (not fork: other platforms) settles its own collector.
    worker = _python(
        "import gc; from agentsense.server.cli.check import _warm_worker; _warm_worker(); "
        "print(gc.get_threshold()[0] > 700, gc.get_freeze_count() > 0)"
    )
    assert worker.stdout.split() == ["True", "True"]
