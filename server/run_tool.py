"""Runs one tool in a sandboxed child process through the runtime harness ("Run tool").

The server never imports the user's code: it starts `python -c BOOTSTRAP MODULE TOOL --args
JSON`, where the bootstrap limits the child's address space (RLIMIT_AS) and CPU time, blocks
network access unless allowed (on Linux a user + network namespace of its own, where user
namespaces are enabled, so processes the tool starts have no network either; everywhere an
audit hook refusing socket connects, binds, sends and name lookups), puts the folder holding
the `agentsense` package first on sys.path (in place of the working directory, so a user's
`agentsense.py` cannot shadow it) and runs `agentsense.runtime.harness`, which prints one JSON
object. The child leads its own process group: on the wall-clock timeout the whole group is killed, so a tool that starts a
child process and hangs is stopped too. Output beyond the cap is discarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

import agentsense

_NETWORK_EVENTS = (
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
)

# Runs in the child before anything of the user's. Kept free of this module's names.
BOOTSTRAP = f"""
import os, sys
def _limits():
    import resource
    memory = int(os.environ.pop("AGENTSENSE_MEMORY_LIMIT", "0") or 0)
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(os.environ.pop("AGENTSENSE_CPU_LIMIT", "0") or 0)
    if cpu > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
_limits()
def _network_namespace():
    # A user + network namespace of its own: only a loopback that is down, for this process
    # and every process it starts. Unprivileged where user namespaces are enabled (most Linux).
    import ctypes
    uid, gid = os.getuid(), os.getgid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(0x10000000 | 0x40000000) != 0:  # CLONE_NEWUSER | CLONE_NEWNET
            return  # not allowed here: the audit hook below still blocks this process
    except (OSError, AttributeError):
        return
    # Keep our own ids inside (files and os.getuid() look the same to the tool).
    for name, text in (("uid_map", f"{{uid}} {{uid}} 1"), ("setgroups", "deny"), ("gid_map", f"{{gid}} {{gid}} 1")):
        try:
            with open("/proc/self/" + name, "w") as stream:
                stream.write(text)
        except OSError:
            pass
if os.environ.pop("AGENTSENSE_BLOCK_NETWORK", "") == "1":
    if sys.platform.startswith("linux"):
        _network_namespace()
    import socket as _socket
    def _no_network(event, args, _events={_NETWORK_EVENTS!r}, _unix=getattr(_socket, "AF_UNIX", None)):
        if event not in _events:
            return
        if event.startswith("socket.") and args and getattr(args[0], "family", None) == _unix:
            return
        raise PermissionError(
            "network access is disabled for tools run from the editor "
            "(agentsense setting allowNetwork): " + event
        )
    sys.addaudithook(_no_network)
sys.path[0] = os.environ.pop("AGENTSENSE_PACKAGE_ROOT")
import runpy
runpy.run_module("agentsense.runtime.harness", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True, slots=True)
class RunLimits:
    """What a run may use."""

    timeout: float = 10.0
    memory_mb: int = 512
    output_limit: int = 64 * 1024
    allow_network: bool = False


def package_root() -> str:
    """The folder that holds the `agentsense` package (site-packages, or the editable link tree).

    Not resolved through symlinks: an editable install links into the repository, whose root
    also holds the bare `server`/`runtime` folders a user's imports must not see.
    """
    return os.path.dirname(os.path.dirname(agentsense.__file__))


def command(module_path: str, tool_name: str, arguments: object) -> list[str]:
    return [
        sys.executable,
        "-c",
        BOOTSTRAP,
        module_path,
        tool_name,
        "--args",
        json.dumps(arguments),
    ]


def failure(kind: str, message: str, started: float, stdout: str = "") -> dict[str, Any]:
    """A result in the harness's shape for a run that produced no harness answer."""
    return {
        "ok": False,
        "error": {"kind": kind, "message": message, "details": []},
        "stdout": stdout,
        "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
    }


async def _drain(stream: asyncio.StreamReader | None, limit: int, out: bytearray) -> bool:
    """Read a stream to its end, keeping at most `limit` bytes; True when some were dropped."""
    dropped = False
    if stream is None:
        return dropped
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return dropped
        room = limit - len(out)
        if room > 0:
            out.extend(chunk[:room])
        if len(chunk) > max(room, 0):
            dropped = True


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run_tool(
    module_path: str,
    tool_name: str,
    arguments: object,
    *,
    cwd: str,
    limits: RunLimits,
) -> dict[str, Any]:
    """Run the tool and return the harness's JSON object, or one describing what went wrong.

    Keys: ok, value (when ok), error {kind, message, details} (when not), stdout, duration_ms;
    plus wall_ms, the whole run's wall time. Error kinds besides the harness's: timeout,
    crashed, output_limit, start.
    """
    started = time.perf_counter()
    env = dict(os.environ)
    env.update(
        {
            "AGENTSENSE_MEMORY_LIMIT": str(limits.memory_mb * 1024 * 1024),
            "AGENTSENSE_CPU_LIMIT": str(int(limits.timeout) + 2),
            "AGENTSENSE_BLOCK_NETWORK": "0" if limits.allow_network else "1",
            "AGENTSENSE_PACKAGE_ROOT": package_root(),
            # Per-thread malloc arenas reserve address space; keep them from eating the limit.
            "MALLOC_ARENA_MAX": "2",
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    try:
        process = await asyncio.create_subprocess_exec(
            *command(module_path, tool_name, arguments),
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except (OSError, ValueError) as error:
        return failure("start", f"could not start the tool's process: {error}", started)
    out, err = bytearray(), bytearray()
    drains = asyncio.gather(
        _drain(process.stdout, limits.output_limit, out),
        _drain(process.stderr, limits.output_limit, err),
    )
    timed_out = False
    try:
        await asyncio.wait_for(process.wait(), timeout=limits.timeout)
    except asyncio.TimeoutError:
        timed_out = True
    finally:
        # Whatever the tool left running in its process group goes with it (and with it
        # any pipe it still holds open).
        _kill_group(process.pid)
        with contextlib.suppress(ProcessLookupError):
            await process.wait()
    dropped = (False, False)
    try:
        found = await asyncio.wait_for(drains, timeout=2.0)
        dropped = (bool(found[0]), bool(found[1]))
    except asyncio.TimeoutError:
        drains.cancel()  # a process that left the group still holds the pipe: stop reading
    stderr_text = err.decode("utf-8", "replace")
    if timed_out:
        result = failure(
            "timeout",
            f"the tool did not finish within {limits.timeout:g} s and was stopped",
            started,
            stderr_text,
        )
    elif dropped[0]:
        result = failure(
            "output_limit",
            f"the tool's output exceeded {limits.output_limit // 1024} KB and was cut",
            started,
            out.decode("utf-8", "replace"),
        )
    else:
        result = _parse(out.decode("utf-8", "replace"), process.returncode, stderr_text, started)
    result["wall_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
    return result


def _parse(stdout: str, returncode: int | None, stderr: str, started: float) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and isinstance(value.get("ok"), bool):
            return value
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        reason = {
            "SIGXCPU": "it used more CPU time than allowed",
            "SIGKILL": "it was killed (out of memory?)",
            "SIGSEGV": "it crashed (segmentation fault)",
        }.get(name, f"it was stopped by {name}")
        return failure("crashed", f"the tool's process died: {reason}", started, stderr)
    tail = stderr.strip().splitlines()[-1:] or [f"exit status {returncode}"]
    return failure("crashed", f"the tool's process gave no result: {tail[0]}", started, stderr)
