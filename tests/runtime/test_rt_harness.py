"""The tool harness: in-process run_tool and the `python -m agentsense.runtime.harness` CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from agentsense import runtime
from agentsense.runtime.harness import harness_command, run_tool
from agentsense.runtime.registry import FUNCTION_TOOLS

REPO_ROOT = Path(runtime.__file__).resolve().parent.parent

TOOLS_MODULE = textwrap.dedent(
    '''
    import asyncio
    from dataclasses import dataclass

    from agentsense.runtime.registry import BaseTool, tool

    REGISTRY = {}

    def register(fn):
        REGISTRY[fn.__name__.upper()] = fn
        return fn

    @tool
    def add(a: int, b: int = 2) -> int:
        """Add two numbers."""
        print("adding", a, b)
        return a + b

    @tool(name="fetch-page", description="Fetch a page.")
    async def fetch(url: str) -> dict:
        await asyncio.sleep(0)
        return {"url": url}

    class Greeter(BaseTool):
        name = "greet"
        description = "Greet someone."

        def execute(self, who: str) -> str:
            return f"hello {who}"

    @register
    def shout(text: str):
        return text.upper()

    @dataclass
    class Point:
        x: int
        y: int

    def point() -> Point:
        return Point(1, 2)

    def opaque():
        return object()

    class FrameworkTool:
        """What another framework's decorator returns: an object keeping the function."""

        def __init__(self, func):
            self.func = func
            self.name = "framework-tool"

        def __call__(self, *args, **kwargs):
            return self.func(*args, **kwargs)

    def _triple(n: int) -> int:
        return 3 * n

    triple = FrameworkTool(_triple)

    class Lookup:
        def __init__(self):
            self.name = "lookup"

        def execute(self, key: str) -> str:
            return key * 2

    lookup_tool = Lookup()

    def explode(reason: str) -> None:
        print("about to fail")
        raise RuntimeError(f"kaput: {reason}")
    '''
)


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_tools.py"
    path.write_text(TOOLS_MODULE)
    return path


def test_run_tool_registered_function_captures_prints(tools_file: Path) -> None:
    result = run_tool(tools_file, "add", {"a": 1})
    assert result.ok and result.value == 3
    assert result.stdout == "adding 1 2\n"
    assert result.duration_ms > 0
    assert result.to_output().keys() == {"ok", "value", "stdout", "duration_ms"}
    assert "add" not in FUNCTION_TOOLS  # the run's registrations do not leak
    assert run_tool(tools_file, "add", {"a": 5, "b": 5}).value == 10  # runs again, freshly imported


@pytest.mark.parametrize(
    ("tool_name", "arguments", "expected"),
    [
        ("fetch-page", {"url": "u"}, {"url": "u"}),  # async, by registered name
        ("greet", {"who": "ada"}, "hello ada"),  # BaseTool class, instantiated
        ("shout", {"text": "hi"}, "HI"),  # plain function stored in a user registry
        ("SHOUT", {"text": "hi"}, "HI"),  # the user registry's own key
        ("point", {}, {"x": 1, "y": 2}),  # dataclass made JSON
        ("framework-tool", {"n": 2}, 6),  # another framework's tool object, by its name
        ("lookup", {"key": "ab"}, "abab"),  # a module-level tool instance with execute
    ],
)
def test_run_tool_finds_every_kind_of_registration(
    tools_file: Path, tool_name: str, arguments: dict[str, Any], expected: object
) -> None:
    result = run_tool(tools_file, tool_name, arguments)
    assert result.error is None
    assert result.value == expected


def test_run_tool_validates_against_the_wrapped_function(tools_file: Path) -> None:
    result = run_tool(tools_file, "framework-tool", {"n": "two"})
    assert result.error is not None and result.error.kind == "validation"


def test_run_tool_non_json_value_is_repr(tools_file: Path) -> None:
    value = run_tool(tools_file, "opaque", {}).value
    assert isinstance(value, str) and value.startswith("<object object at")


def test_run_tool_errors_are_structured(tools_file: Path) -> None:
    validation = run_tool(tools_file, "add", {"a": "one", "c": 1})
    assert not validation.ok and validation.error is not None
    assert validation.error.kind == "validation"
    assert [detail["kind"] for detail in validation.error.details] == [
        "wrong_type",
        "unexpected_argument",
    ]

    missing = run_tool(tools_file, "nope", {})
    assert missing.error is not None and missing.error.kind == "not_found"
    assert "add" in missing.error.details and "greet" in missing.error.details

    crash = run_tool(tools_file, "explode", {"reason": "x"})
    assert crash.error is not None and crash.error.kind == "exception"
    assert crash.error.message == "RuntimeError: kaput: x"
    assert crash.stdout == "about to fail\n"
    assert crash.to_output().keys() == {"ok", "error", "stdout", "duration_ms"}

    no_file = run_tool(tools_file.with_name("absent.py"), "add", {})
    assert no_file.error is not None and no_file.error.kind == "import"


def test_run_tool_import_failure_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text(
        "from agentsense.runtime.registry import tool\n\n@tool\ndef undocumented():\n    pass\n"
    )
    result = run_tool(bad, "undocumented", {})
    assert result.error is not None and result.error.kind == "import"
    assert "tool 'undocumented' has no description" in result.error.message
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def (:\n")
    syntax_result = run_tool(syntax, "x", {})
    assert syntax_result.error is not None and syntax_result.error.kind == "import"
    assert "SyntaxError" in syntax_result.error.message


def _run_cli(
    args: list[str], cwd: Path, *, env_path: bool = True
) -> tuple[int, dict[str, Any], str]:
    env = dict(os.environ)
    if env_path:
        env["PYTHONPATH"] = str(REPO_ROOT)
    completed = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    lines = completed.stdout.splitlines()
    assert len(lines) == 1, (
        f"expected one JSON line, got {completed.stdout!r} / {completed.stderr!r}"
    )
    return completed.returncode, json.loads(lines[0]), completed.stderr


def test_cli_ok_result(tools_file: Path) -> None:
    code, output, stderr = _run_cli(
        [
            sys.executable,
            "-m",
            "agentsense.runtime.harness",
            str(tools_file),
            "add",
            "--args",
            '{"a": 40}',
        ],
        cwd=REPO_ROOT,
    )
    assert code == 0, stderr
    assert output["ok"] is True and output["value"] == 42
    assert output["stdout"] == "adding 40 2\n"
    assert isinstance(output["duration_ms"], float)


def test_cli_validation_error_exits_1(tools_file: Path, tmp_path: Path) -> None:
    args_file = tmp_path / "args.json"
    args_file.write_text('{"a": true}')
    code, output, _ = _run_cli(
        [
            sys.executable,
            "-m",
            "agentsense.runtime.harness",
            str(tools_file),
            "add",
            "--args-file",
            str(args_file),
        ],
        cwd=REPO_ROOT,
    )
    assert code == 1
    assert output["ok"] is False
    assert output["error"]["kind"] == "validation"
    assert output["error"]["details"] == [
        {
            "kind": "wrong_type",
            "argument": "a",
            "message": "tool 'add': argument 'a' must be integer, got boolean",
        }
    ]


def test_cli_exception_is_structured_with_captured_prints(tools_file: Path) -> None:
    code, output, stderr = _run_cli(
        [
            sys.executable,
            "-m",
            "agentsense.runtime.harness",
            str(tools_file),
            "explode",
            "--args",
            '{"reason": "r"}',
        ],
        cwd=REPO_ROOT,
    )
    assert code == 1
    assert "Traceback" not in stderr  # never a traceback to the user
    error = output["error"]
    assert error["kind"] == "exception" and error["message"] == "RuntimeError: kaput: r"
    [detail] = error["details"]
    assert detail["type"] == "RuntimeError"
    assert 'raise RuntimeError(f"kaput: {reason}")' in detail["traceback"]
    assert "harness.py" not in detail["traceback"]
    assert output["stdout"] == "about to fail\n"


def test_cli_bad_json_arguments(tools_file: Path) -> None:
    code, output, _ = _run_cli(
        [
            sys.executable,
            "-m",
            "agentsense.runtime.harness",
            str(tools_file),
            "add",
            "--args",
            "{nope",
        ],
        cwd=REPO_ROOT,
    )
    assert code == 1
    assert output["error"]["kind"] == "validation"
    assert output["error"]["message"].startswith("--args is not valid JSON")


SHADOW = 'raise RuntimeError("the user\'s agentsense.py was imported instead of the package")\n'


@pytest.fixture
def shadowing_dir(tmp_path: Path) -> Path:
    """A user directory with its own agentsense.py (that fails on import) and a tool module."""
    (tmp_path / "agentsense.py").write_text(SHADOW)
    (tmp_path / "tools.py").write_text("def double(x: int) -> int:\n    return 2 * x\n")
    return tmp_path


def test_harness_command_is_not_shadowed_by_an_agentsense_py_in_cwd(shadowing_dir: Path) -> None:
    command = harness_command(shadowing_dir / "tools.py", "double", {"x": 4})
    # No PYTHONPATH: the command itself must find this package, and not the cwd's agentsense.py.
    code, output, stderr = _run_cli(command, cwd=shadowing_dir, env_path=False)
    assert code == 0, stderr
    assert output["value"] == 8


@pytest.mark.skipif(sys.version_info < (3, 11), reason="-P needs Python 3.11")
def test_safe_path_module_run_is_not_shadowed(shadowing_dir: Path) -> None:
    code, output, stderr = _run_cli(
        [
            sys.executable,
            "-P",
            "-m",
            "agentsense.runtime.harness",
            "tools.py",
            "double",
            "--args",
            '{"x": 5}',
        ],
        cwd=shadowing_dir,
    )
    assert code == 0, stderr
    assert output["value"] == 10


def test_user_module_named_runtime_is_the_users_own(tmp_path: Path) -> None:
    """`runtime` is the user's name to take: ours is `agentsense.runtime`."""
    user_runtime = tmp_path / "runtime.py"
    user_runtime.write_text(
        "from agentsense.runtime.registry import tool\n\n"
        "OWNER = 'user'\n\n"
        "@tool\ndef ping() -> str:\n    '''Ping.'''\n    return OWNER\n"
    )
    result = run_tool(user_runtime, "ping", {})
    assert result.value == "user", result.error
    assert sys.modules["agentsense.runtime"] is runtime
    code, output, _ = _run_cli(
        [sys.executable, "-m", "agentsense.runtime.harness", str(user_runtime), "ping"],
        cwd=REPO_ROOT,
    )
    assert code == 0 and output["value"] == "user"
