"""The Run tool's sandbox, driven directly (no editor): process trees, sockets, memory of the
whole tree, agentsense's own files, the environment.

Every mode runs twice where it matters: with the namespaces this machine offers, and as on a
machine without user namespaces (`AGENTSENSE_RUN_TOOL_NAMESPACES=0`). Allocations and process
counts stay small (a few 100 MB, a handful of processes); every run has a timeout.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from agentsense.server.lsp import run_tool as sandbox
from agentsense.server.lsp.run_tool import RunLimits, run_tool

TOOLS = textwrap.dedent(
    '''
    import ctypes
    import os
    import signal
    import socket
    import struct
    import subprocess
    import sys
    import time

    from agentsense.runtime.registry import tool

    # A daemon: double fork, its own session, stdout/stderr kept open, sleeps, and writes its
    # pid as the host sees it (/proc is the host's, whatever the PID namespace) to a file.
    DAEMON = (
        "import os, sys, time\\n"
        "if os.fork(): os._exit(0)\\n"
        "if SETSID: os.setsid()\\n"
        "if os.fork(): os._exit(0)\\n"
        "open(sys.argv[1], 'w').write(os.readlink('/proc/self'))\\n"
        "time.sleep(120)\\n"
    )


    def _start_daemon(pid_file: str, setsid: bool = True) -> None:
        code = DAEMON.replace("SETSID", str(setsid))
        subprocess.Popen([sys.executable, "-c", code, pid_file]).wait()
        for _ in range(200):
            if os.path.exists(pid_file) and open(pid_file).read():
                return
            time.sleep(0.05)


    @tool
    def daemon(pid_file: str) -> str:
        """Leave a daemon behind and return."""
        _start_daemon(pid_file)
        return "started"


    @tool
    def daemon_then_hang(pid_file: str) -> str:
        """Leave a daemon behind and never return."""
        _start_daemon(pid_file)
        time.sleep(600)
        return "unreachable"


    @tool
    def escape(pid_file: str) -> str:
        """Leave a daemon behind, then kill the process that keeps the tree."""
        _start_daemon(pid_file, setsid=False)
        time.sleep(0.5)
        keeper = os.getppid()
        if keeper > 1:  # never init
            os.kill(keeper, signal.SIGKILL)
        time.sleep(5)
        return "not killed"


    def _ctypes_connect(address: bytes) -> str:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)
        if fd < 0:
            return "refused"
        packed = struct.pack("H", socket.AF_UNIX) + address
        ok = libc.connect(fd, packed, len(packed)) == 0
        os.close(fd)
        return "connected" if ok else "failed"


    def _python_connect(address: bytes) -> str:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(address)
                return "connected"
        except OSError:
            return "refused"


    @tool
    def unix(path: str, abstract: str) -> dict:
        """Try file-path and abstract unix sockets, from Python, through ctypes and a child."""
        child = subprocess.run(
            [sys.executable, "-c",
             "import socket; s = socket.socket(socket.AF_UNIX); s.connect(%r); print('connected')"
             % path],
            capture_output=True, text=True, timeout=10,
        )
        return {
            "python": _python_connect(path.encode()),
            "ctypes": _ctypes_connect(path.encode() + b"\\0"),
            "child": "connected" if "connected" in child.stdout else "refused",
            "abstract_python": _python_connect(b"\\0" + abstract.encode()),
            "abstract_ctypes": _ctypes_connect(b"\\0" + abstract.encode()),
            "pair": len(socket.socketpair()),
        }


    @tool
    def network(port: int) -> dict:
        """Reach a local TCP port from a child process and through ctypes."""
        child = subprocess.run(
            [sys.executable, "-c",
             "import socket; socket.create_connection(('127.0.0.1', %d), timeout=2); "
             "print('connected')" % port],
            capture_output=True, text=True, timeout=10,
        )
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        if fd < 0:
            raw = "refused"
        else:
            address = (
                struct.pack("H", socket.AF_INET) + struct.pack("!H", port)
                + socket.inet_aton("127.0.0.1") + bytes(8)
            )
            raw = "connected" if libc.connect(fd, address, len(address)) == 0 else "failed"
            os.close(fd)
        return {"child": "connected" if "connected" in child.stdout else "refused", "ctypes": raw}


    @tool
    def hungry_children(megabytes: int) -> str:
        """Three children that each hold `megabytes` of memory (touched) and wait."""
        code = f"import time; data = b'x' * ({megabytes} << 20); time.sleep(60)"
        children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
        for child in children:
            child.wait()
        return "all done"


    @tool
    def plant(path: str) -> str:
        """Write a file into agentsense's installed package."""
        try:
            with open(path, "w") as stream:
                stream.write("print('planted')\\n")
        except OSError as error:
            return f"refused: {error.strerror}"
        return "written"


    @tool
    def environment(names: list) -> list:
        """Which of these variables the tool sees."""
        return [name for name in names if name in os.environ]
    '''
)


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    path = tmp_path / "tools.py"
    path.write_text(TOOLS, encoding="utf-8")
    return path


def _user_namespaces() -> bool:
    probe = (
        "import ctypes, sys; "
        "sys.exit(ctypes.CDLL(None, use_errno=True).unshare(0x10000000 | 0x20000000) != 0)"
    )
    return (
        sys.platform.startswith("linux")
        and subprocess.run([sys.executable, "-c", probe], timeout=30).returncode == 0
    )


HAS_NAMESPACES = _user_namespaces()
LINUX = sys.platform.startswith("linux")
MODES = [
    pytest.param(
        True,
        id="namespaces",
        marks=pytest.mark.skipif(not HAS_NAMESPACES, reason="user namespaces are disabled here"),
    ),
    pytest.param(False, id="no-user-namespaces"),
]


@pytest.fixture(params=MODES)
def namespaces(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if not request.param:
        monkeypatch.setenv(sandbox.NAMESPACES_SWITCH, "0")
    return bool(request.param)


async def call(tools: Path, name: str, arguments: dict[str, Any], **limits: Any) -> dict[str, Any]:
    options = {"timeout": 10.0, **limits}
    return await asyncio.wait_for(
        run_tool(str(tools), name, arguments, cwd=str(tools.parent), limits=RunLimits(**options)),
        timeout=60,
    )


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat.rpartition(b")")[2].split()[0] != b"Z"


def daemon_pid(pid_file: Path) -> int:
    return int(pid_file.read_text())


def reap(pid: int) -> None:
    """Test hygiene: a daemon a failing run left behind is killed here."""
    if alive(pid):
        os.kill(pid, 9)


pytestmark = pytest.mark.skipif(not LINUX, reason="the process-tree checks read /proc")


async def test_a_daemon_does_not_outlive_the_run(tools: Path, namespaces: bool) -> None:
    pid_file = tools.parent / "daemon.pid"
    # A daemon holding the output pipes for 120 s: the answer must not wait for it.
    result = await call(tools, "daemon", {"pid_file": str(pid_file)})
    pid = daemon_pid(pid_file)
    try:
        assert result["ok"] is True, result
        assert result["value"] == "started"
        assert not alive(pid)
        assert result["sandbox"]["namespaces"] is namespaces
    finally:
        reap(pid)


async def test_the_timeout_kills_the_whole_tree(tools: Path, namespaces: bool) -> None:
    pid_file = tools.parent / "daemon.pid"
    result = await call(tools, "daemon_then_hang", {"pid_file": str(pid_file)}, timeout=3.0)
    pid = daemon_pid(pid_file)
    try:
        assert result["ok"] is False and result["error"]["kind"] == "timeout", result
        assert not alive(pid)
        assert result["still_running"] == []
    finally:
        reap(pid)


async def test_processes_that_escape_the_keeper_are_reported_and_killed(
    tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a PID namespace, a tool can kill the keeper: its daemon is then re-parented to
    # init. The server still finds it (same session) and reports it.
    monkeypatch.setenv(sandbox.NAMESPACES_SWITCH, "0")
    pid_file = tools.parent / "daemon.pid"
    result = await call(tools, "escape", {"pid_file": str(pid_file)})
    pid = daemon_pid(pid_file)
    try:
        assert result["ok"] is False, result
        assert pid in [p["pid"] for p in result["survivors"]]
        assert result["still_running"] == []
        assert "outlived the run and were killed" in result["note"]
        assert not alive(pid)
    finally:
        reap(pid)


def _seccomp() -> bool:
    return LINUX and os.uname().machine in ("x86_64", "aarch64")


@pytest.fixture
def unix_listeners(tmp_path: Path) -> Any:
    path = str(tmp_path / "agent.sock")
    abstract = f"agentsense-test-{uuid.uuid4().hex}"
    file_listener = socket.socket(socket.AF_UNIX)
    file_listener.bind(path)
    file_listener.listen(8)
    abstract_listener = socket.socket(socket.AF_UNIX)
    abstract_listener.bind("\0" + abstract)
    abstract_listener.listen(8)
    try:
        yield {"path": path, "abstract": abstract}
    finally:
        file_listener.close()
        abstract_listener.close()


@pytest.mark.skipif(not _seccomp(), reason="the seccomp filter is built for x86_64 and aarch64")
async def test_unix_sockets_are_refused_by_default_in_every_process(
    tools: Path, namespaces: bool, unix_listeners: dict[str, str]
) -> None:
    result = await call(tools, "unix", unix_listeners)
    assert result["ok"] is True, result
    # Through Python, through ctypes (what disarming the audit hook amounts to), from a child
    # process, file-path and abstract: all refused. Stream socket pairs still work (asyncio).
    assert result["value"] == {
        "python": "refused",
        "ctypes": "refused",
        "child": "refused",
        "abstract_python": "refused",
        "abstract_ctypes": "refused",
        "pair": 2,
    }
    assert result["sandbox"]["seccomp"] is True
    assert "unix sockets: refused for every process (seccomp)" in result["note"]


async def test_allowed_unix_sockets_connect_by_path(
    tools: Path, namespaces: bool, unix_listeners: dict[str, str]
) -> None:
    result = await call(tools, "unix", unix_listeners, allow_unix_sockets=True)
    assert result["ok"] is True, result
    value = result["value"]
    assert value["python"] == value["ctypes"] == value["child"] == "connected"
    # Abstract sockets live in the network namespace: cut there, reachable without it.
    expected = "refused" if namespaces else "connected"
    assert value["abstract_python"] == expected
    assert value["abstract_ctypes"] == ("failed" if namespaces else "connected")


async def test_without_seccomp_the_note_says_the_block_is_python_only(
    tools: Path, unix_listeners: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a platform without seccomp or user namespaces: the audit hook is all there is.
    monkeypatch.setenv(sandbox.NAMESPACES_SWITCH, "0")
    monkeypatch.setenv(sandbox.SECCOMP_SWITCH, "0")
    result = await call(tools, "unix", unix_listeners)
    assert result["ok"] is True, result
    assert result["value"]["python"] == "refused"
    assert result["value"]["abstract_python"] == "refused"
    # ctypes goes around the hook: exactly what the note warns about.
    assert result["value"]["ctypes"] == "connected"
    assert "unix sockets: refused in the tool's Python process only" in result["note"]
    assert "network: refused in the tool's Python process only" in result["note"]


async def test_the_memory_limit_covers_the_whole_tree(tools: Path, namespaces: bool) -> None:
    # 3 children x 100 MB, each under the per-process 200 MB address-space limit, together
    # over the 200 MB memory limit: the tree is stopped.
    result = await call(tools, "hungry_children", {"megabytes": 100}, memory_mb=200, timeout=30.0)
    assert result["ok"] is False, result
    assert result["error"]["kind"] == "memory_limit", result
    assert result["peak_memory_mb"] > 200
    assert result["still_running"] == []


@pytest.mark.skipif(not _seccomp(), reason="the seccomp filter is built for x86_64 and aarch64")
async def test_no_network_for_any_process_of_the_tree(tools: Path, namespaces: bool) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    try:
        port = listener.getsockname()[1]
        result = await call(tools, "network", {"port": port})
        assert result["ok"] is True, result
        # Around the audit hook (ctypes) and in a child process (no hook): still no network,
        # with or without the network namespace (seccomp refuses the socket itself).
        assert result["value"] == {"child": "refused", "ctypes": "refused"}
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody got through
        allowed = await call(tools, "network", {"port": port}, allow_network=True)
        assert allowed["value"] == {"child": "connected", "ctypes": "connected"}, allowed
    finally:
        listener.close()


def _target() -> Path:
    return Path(sandbox.protected_paths()[0]) / f"_planted_{uuid.uuid4().hex}.py"


def test_protected_paths_cover_the_code_that_runs() -> None:
    here = Path(sandbox.__file__).resolve()
    assert any(here.is_relative_to(p) for p in sandbox.protected_paths())
    assert any(
        Path(p) == Path(sandbox.agentsense.__file__).parent for p in sandbox.protected_paths()
    )


async def test_the_installed_package_is_read_only_or_changes_are_reported(
    tools: Path, namespaces: bool
) -> None:
    target = _target()
    try:
        result = await call(tools, "plant", {"path": str(target)})
        assert result["ok"] is True, result
        if namespaces:
            assert result["sandbox"]["read_only"] is True
            assert str(result["value"]).startswith("refused")
            assert not target.exists()
            assert result["package_changed"] == []
        else:
            assert result["value"] == "written"
            assert result["package_changed"] == [str(target)]
            assert "WARNING: agentsense's installed files changed" in result["note"]
    finally:
        target.unlink(missing_ok=True)


SECRETS = {
    "AGENTSENSE_TEST_API_KEY": "sk-test",
    "AGENTSENSE_TEST_TOKEN": "t",
    "AGENTSENSE_TEST_DB_PASSWORD": "p",
    "AGENTSENSE_TEST_STRIPE_KEY": "k",
    "AGENTSENSE_TEST_URL": "postgres://user:hunter2@db.example/app",
}
PLAIN = {"AGENTSENSE_TEST_PLAIN": "1", "AGENTSENSE_TEST_KEYBOARD": "us"}


@pytest.mark.parametrize("pass_secrets", [False, True])
async def test_secret_looking_variables_are_withheld_unless_allowed(
    tools: Path, monkeypatch: pytest.MonkeyPatch, pass_secrets: bool
) -> None:
    for name, value in {**SECRETS, **PLAIN}.items():
        monkeypatch.setenv(name, value)
    names = sorted({**SECRETS, **PLAIN})
    result = await call(tools, "environment", {"names": names}, pass_secrets=pass_secrets)
    assert result["ok"] is True, result
    if pass_secrets:
        assert result["value"] == names
        assert result["withheld_env"] == []
    else:
        assert result["value"] == sorted(PLAIN)
        assert set(SECRETS) <= set(result["withheld_env"])
        assert "environment variables withheld" in result["note"]
        assert "AGENTSENSE_TEST_API_KEY" in result["note"]
        assert "sk-test" not in str(result)  # names only, never values


def test_secret_variable_names() -> None:
    flagged = ["OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"]
    flagged += ["PGPASSWORD", "SSH_AUTH_SOCK", "SENTRY_DSN", "HF_TOKEN", "NPM_AUTH"]
    clean = ["PATH", "HOME", "LANG", "VIRTUAL_ENV", "PYTHONPATH", "KEYBOARD_LAYOUT", "TERM"]
    assert [n for n in flagged if not sandbox.is_secret_variable(n, "x")] == []
    assert [n for n in clean if sandbox.is_secret_variable(n, "x")] == []
    assert sandbox.is_secret_variable("DATABASE_URL", "postgres://u:pw@host/db")
    assert not sandbox.is_secret_variable("DATABASE_URL", "postgres://host/db")
