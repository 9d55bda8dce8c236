"""The distribution owns one import name, `agentsense`, and never shadows a user's packages.

The built wheel is installed into a fresh virtual environment next to a user project that has
its own `server`, `analyzers` and `runtime` packages, installed editable and not: both work.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("server", "analyzers", "runtime")


def _package_folders() -> set[str]:
    """Every package folder of the tree, as the dotted name it installs under."""
    names = {"agentsense"}
    for folder in FOLDERS:
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO).parts
            names.add(".".join(("agentsense", *relative)))
    return names


def test_pyproject_lists_every_package_folder() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == _package_folders()
    assert config["package-dir"] == {
        "agentsense": "src/agentsense",
        **{f"agentsense.{folder}": folder for folder in FOLDERS},
    }


def test_the_development_install_sees_every_module() -> None:
    """An editable install in strict mode links files at install time: a module added since is
    invisible until `pip install -e` runs again. Say so here rather than as a missing rule."""
    missing = [
        str(path.relative_to(REPO))
        for folder in FOLDERS
        for path in (REPO / folder).rglob("*.py")
        if "__pycache__" not in path.parts
        and importlib.util.find_spec(
            ".".join(("agentsense", *path.relative_to(REPO).with_suffix("").parts)).removesuffix(
                ".__init__"
            )
        )
        is None
    ]
    assert not missing, (
        f"not importable as agentsense.*: {missing}; re-run the install "
        "(.venv/bin/pip install -e '.[dev]' --config-settings editable_mode=strict)"
    )


def test_python_dash_m_agentsense_runs_the_command_line(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "agentsense", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("agentsense ")


# -- the built wheel next to a user project ---------------------------------------------------

USER_PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "userapp"
version = "1.0"

[tool.setuptools.packages.find]
include = ["server*", "analyzers*", "runtime*"]
"""
USER_FILES = {
    "server/__init__.py": "",
    # A console-script-like main with no parameters: agentsense must never call it.
    "server/cli.py": "def main():\n    return 'user server.cli'\n",
    "analyzers/__init__.py": "NAME = 'user analyzers'\n",
    "runtime/__init__.py": "",
    "runtime/helper.py": "VALUE = 'user runtime.helper'\n",
    "tools.py": (
        "from runtime import helper\n\n\n"
        "def describe(x: int) -> str:\n"
        "    '''Say which runtime answered.'''\n"
        "    return f'{helper.VALUE} {x}'\n\n\n"
        "def collect(items=[]):\n"
        "    return items\n"
    ),
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (found,) = out.glob("agentsense-*.whl")
    return found


def test_the_wheel_holds_one_top_level_name_and_every_module(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == ["agentsense"]
    roots = {name.split("/")[0] for name in names}
    assert {root for root in roots if not root.endswith(".dist-info")} == {"agentsense"}
    expected = {
        "/".join(("agentsense", *path.relative_to(REPO).parts))
        for folder in FOLDERS
        for path in (REPO / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert expected <= set(names)
    assert {"agentsense/__init__.py", "agentsense/__main__.py", "agentsense/py.typed"} <= set(names)


def _environment(root: Path) -> Path:
    """A fresh venv whose third-party packages come from this one (no network, no agentsense):
    a `.pth` line adds our site-packages as a plain folder, so its own `.pth` files (the
    editable agentsense among them) are not run."""
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment.update(env)
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=300, env=environment
    )


def _pip(python: Path, *args: str) -> None:
    install = _run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", *args], cwd=REPO
    )
    assert install.returncode == 0, install.stderr


@pytest.fixture(scope="module", params=["editable", "installed"])
def user_venv(
    request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    """(python, user project folder): our wheel and the user's project in one environment."""
    base = tmp_path_factory.mktemp(f"user-{request.param}")
    project = base / "userapp"
    for name, text in {**USER_FILES, "pyproject.toml": USER_PYPROJECT}.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    python = _environment(base / "venv")
    _pip(python, str(wheel))
    if request.param == "editable":
        _pip(python, "--no-build-isolation", "-e", str(project))
    else:
        _pip(python, "--no-build-isolation", str(project))
    yield python, project


def test_the_users_packages_import_as_theirs(user_venv: tuple[Path, Path], tmp_path: Path) -> None:
    python, _ = user_venv
    probe = (
        "from runtime import helper; import server.cli, analyzers, agentsense.server.cli.commands; "
        "print(helper.VALUE, '|', server.cli.main(), '|', analyzers.NAME)"
    )
    run = _run([str(python), "-c", probe], cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split(" | ") == ["user runtime.helper", "user server.cli", "user analyzers\n"]


def test_agentsense_lints_the_user_project(user_venv: tuple[Path, Path]) -> None:
    python, project = user_venv
    script = python.parent / "agentsense"
    for command in ([str(script)], [str(python), "-m", "agentsense"]):
        run = _run([*command, "check", ".", "--output-format", "concise"], cwd=project)
        assert run.returncode == 1, run.stderr  # the mutable default in tools.py
        assert "tools.py:9:19: AGT401" in run.stdout
        assert "Traceback" not in run.stderr


def test_a_server_py_on_pythonpath_does_not_break_the_command(
    user_venv: tuple[Path, Path], tmp_path: Path
) -> None:
    python, _ = user_venv
    (tmp_path / "server.py").write_text("raise SystemExit('the user server.py was imported')\n")
    (tmp_path / "agent.py").write_text("def f(x=[]):\n    return x\n")
    run = _run(
        [str(python.parent / "agentsense"), "check", ".", "--output-format", "concise"],
        cwd=tmp_path,
        PYTHONPATH=".",
    )
    assert run.returncode == 1, run.stderr
    assert "agent.py:1:9: AGT401" in run.stdout


def test_run_tool_imports_the_users_runtime_package(user_venv: tuple[Path, Path]) -> None:
    python, project = user_venv
    command = _run(
        [
            str(python),
            "-c",
            "import json, sys; from agentsense.runtime.harness import harness_command; "
            "print(json.dumps(harness_command('tools.py', 'describe', {'x': 3})))",
        ],
        cwd=project,
    )
    assert command.returncode == 0, command.stderr
    run = _run(json.loads(command.stdout), cwd=project)
    result = json.loads(run.stdout)
    assert result["ok"], result
    assert result["value"] == "user runtime.helper 3"


def test_one_version() -> None:
    """The version is written once (src/agentsense/__init__.py); the extension ships that
    release's wheel, so its package.json says the same."""
    import agentsense
    from agentsense import analyzers

    extension = json.loads((REPO / "vscode-client" / "package.json").read_text())
    assert analyzers.__version__ == agentsense.__version__ == extension["version"]
    assert "version" not in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
