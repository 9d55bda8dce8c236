"""Runs one tool in a sandboxed child process tree through the runtime harness ("Run tool").

The server never imports the user's code: it starts `python -c BOOTSTRAP MODULE TOOL --args
JSON`. The bootstrap (the tree's *keeper*) sets the limits, isolates itself, then forks the
process that runs `agentsense.runtime.harness` (which prints one JSON object):

- limits: RLIMIT_AS (per process, inherited) and RLIMIT_CPU; the server's *supervisor* samples
  the whole tree every `SAMPLE_SECONDS` and stops it when the sum of its resident memory passes
  the memory limit (cgroups are not used: on cgroup v2 an unprivileged process can rarely enable
  the memory controller for a child group, and the v1 hierarchy needs root);
- namespaces (Linux, where user namespaces are enabled): user + PID + mount (+ network unless
  allowed). The harness is PID 1 of its own PID namespace, so when it ends every process it
  left (daemons included, whatever `setsid`/double fork they did) is killed by the kernel; the
  network namespace has only a loopback that is down (abstract unix sockets are per network
  namespace, so they are cut too); agentsense's installed package is bind-mounted read-only;
- seccomp (Linux x86_64/aarch64): a filter inherited by every process of the tree, which the
  tool cannot remove: unix-domain sockets refused unless allowed (`socket(AF_UNIX)` and
  non-stream `socketpair`), every socket family but netlink refused when the network is off,
  io_uring refused (its operations would bypass the filter);
- an audit hook in the harness's Python process refusing connects, binds, sends and name
  lookups: a Python-level guard only, which code in that process can disarm (ctypes), kept
  for platforms without the two above;
- the keeper is a child subreaper: when the harness ends, it kills whatever the tree left
  (without namespaces, orphaned daemons are reparented to it rather than to init);
- on the wall-clock timeout (or the memory limit) the server kills the tree itself, stops
  waiting for output pipes a leftover may hold, and reports processes that survived.

The environment passed to the tool has secret-looking variables removed (unless the user opts
in), and the installed package is fingerprinted before and after the run: a change is reported.
`describe()` says what each mode guarantees; the result's `note` repeats it for the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import agentsense
from agentsense.analyzers.detect.secrets import SECRET_NAME

# Test and diagnosis switches, read by the server at each run: "0" skips the namespaces (as on
# a machine without user namespaces) or the seccomp filter.
NAMESPACES_SWITCH = "AGENTSENSE_RUN_TOOL_NAMESPACES"
SECCOMP_SWITCH = "AGENTSENSE_RUN_TOOL_SECCOMP"
SAMPLE_SECONDS = 0.1
_STATUS_MARKER = "\x00agentsense-sandbox "
_PIPE_GRACE_SECONDS = 0.5

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
BOOTSTRAP = (
    r"""
import os, sys
def _keeper():
    import ctypes, json, resource, signal
    env = os.environ
    memory = int(env.pop("AGENTSENSE_MEMORY_LIMIT", "0") or 0)
    cpu = int(env.pop("AGENTSENSE_CPU_LIMIT", "0") or 0)
    block_network = env.pop("AGENTSENSE_BLOCK_NETWORK", "") == "1"
    block_unix = env.pop("AGENTSENSE_BLOCK_UNIX", "") == "1"
    namespaces = env.pop("AGENTSENSE_NAMESPACES", "") == "1"
    use_seccomp = env.pop("AGENTSENSE_SECCOMP", "") == "1"
    read_only = [p for p in env.pop("AGENTSENSE_READ_ONLY", "").split(os.pathsep) if p]
    status = {"namespaces": False, "read_only": False, "seccomp": False}
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if cpu > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    libc = None
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
            libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
        except (OSError, AttributeError):
            libc = None
    if libc is not None:
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us, not init
    if libc is not None and namespaces:
        flags = 0x10000000 | 0x20000000 | 0x00020000  # CLONE_NEWUSER | NEWPID | NEWNS
        if block_network:
            flags |= 0x40000000  # CLONE_NEWNET
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(flags) == 0:
            status["namespaces"] = True
            # Keep our own ids inside (files and os.getuid() look the same to the tool).
            for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
                try:
                    with open("/proc/self/" + name, "w") as stream:
                        stream.write(text)
                except OSError:
                    pass
            status["read_only"] = _read_only(libc, read_only)
    if libc is not None and use_seccomp and (block_network or block_unix):
        status["seccomp"] = _seccomp(libc, block_network, block_unix)
    sys.stderr.write(MARKER + json.dumps(status) + "\n")
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        if libc is not None:
            libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = SIGKILL: die with the keeper
        return block_network, block_unix
    try:
        _, code = os.waitpid(child, 0)
    except ChildProcessError:
        code = 0
    _reap_rest()
    if os.WIFSIGNALED(code):
        signal.signal(os.WTERMSIG(code), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(code))
    os._exit(os.waitstatus_to_exitcode(code) if hasattr(os, "waitstatus_to_exitcode") else 1)
def _reap_rest():
    # Kill what the tree left: our children, and what gets reparented to us as they die.
    import time
    me = os.getpid()
    for _ in range(300):
        try:
            names = [n for n in os.listdir("/proc") if n.isdigit()]
        except OSError:
            return
        for name in names:
            try:
                with open("/proc/" + name + "/stat", "rb") as stream:
                    fields = stream.read().rpartition(b")")[2].split()
                if int(fields[1]) == me:
                    os.kill(int(name), 9)
            except (OSError, ValueError, IndexError):
                pass
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                break
        time.sleep(0.01)
def _read_only(libc, paths):
    MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
    if not paths or libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return False
    done = True
    for path in paths:
        raw = os.fsencode(path)
        if libc.mount(raw, raw, None, MS_BIND | MS_REC, None) != 0:
            done = False
            continue
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY
        try:
            held = os.statvfs(path).f_flag
        except OSError:
            held = 0
        # Flags locked by the outer namespace must be kept, or the remount is refused.
        for kept in (2, 4, 8, 1024, 2048):  # NOSUID NODEV NOEXEC NOATIME NODIRATIME
            if held & kept:
                flags |= kept
        if held & 4096:  # ST_RELATIME
            flags |= 1 << 21
        if libc.mount(None, raw, None, flags, None) != 0:
            done = False
    return done
def _seccomp(libc, block_network, block_unix):
    import ctypes, struct
    native = {"x86_64": (0xC000003E, 41, 53), "aarch64": (0xC00000B7, 198, 199)}.get(os.uname().machine)
    if native is None:
        return False
    arch, nr_socket, nr_socketpair = native
    ALLOW, DENY, KILL = 0x7FFF0000, 0x00050000 | 1, 0x80000000  # RET_ALLOW, RET_ERRNO|EPERM
    program = [("ld", 4), ("jeq", arch, None, "kill"), ("ld", 0),
               ("jge", 0x40000000, "deny", None),  # x32 system calls
               ("jeq", 425, "deny", None),  # io_uring_setup
               ("jeq", nr_socket, "socket", None), ("jeq", nr_socketpair, "pair", None),
               ("ret", ALLOW), ("label", "socket"), ("ld", 16)]
    if block_network:
        allowed = [16] + ([] if block_unix else [1])  # AF_NETLINK, AF_UNIX
        program += [("jeq", family, "allow", None) for family in allowed] + [("ret", DENY)]
    else:
        program += [("jeq", 1, "deny", None), ("ret", ALLOW)]
    program += [("label", "pair")]
    if block_unix:
        program += [("ld", 24), ("and", 0xF), ("jeq", 1, "allow", "deny")]  # SOCK_STREAM only
    else:
        program += [("ret", ALLOW)]
    program += [("label", "kill"), ("ret", KILL), ("label", "deny"), ("ret", DENY),
                ("label", "allow"), ("ret", ALLOW)]
    labels, count = {}, 0
    for item in program:
        if item[0] == "label":
            labels[item[1]] = count
        else:
            count += 1
    code, pc = b"", 0
    for item in program:
        op = item[0]
        if op == "label":
            continue
        def jump(target):
            return 0 if target is None else labels[target] - pc - 1
        if op == "ld":
            code += struct.pack("HBBI", 0x20, 0, 0, item[1])
        elif op == "and":
            code += struct.pack("HBBI", 0x54, 0, 0, item[1])
        elif op == "ret":
            code += struct.pack("HBBI", 0x06, 0, 0, item[1])
        else:
            opcode = 0x15 if op == "jeq" else 0x35
            code += struct.pack("HBBI", opcode, jump(item[2]), jump(item[3]), item[1])
        pc += 1
    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    buffer = ctypes.create_string_buffer(code)
    prog = Program(pc, ctypes.addressof(buffer))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.addressof(prog), 0, 0) == 0  # PR_SET_SECCOMP, FILTER
"""
    + f"MARKER = {_STATUS_MARKER!r}\n"
    + r"""
_block_network, _block_unix = _keeper()
if _block_network or _block_unix:
    import socket as _socket
    def _guard(event, args, _unix=getattr(_socket, "AF_UNIX", None), _network=_block_network, _unix_off=_block_unix):
        if event not in EVENTS:
            return
        if args and getattr(args[0], "family", None) == _unix and _unix is not None:
            if _unix_off:
                raise PermissionError(
                    "unix-domain sockets are disabled for tools run from the editor "
                    "(agentsense setting allowUnixSockets): " + event
                )
            return
        if _network:
            raise PermissionError(
                "network access is disabled for tools run from the editor "
                "(agentsense setting allowNetwork): " + event
            )
    sys.addaudithook(_guard)
sys.path[0] = os.environ.pop("AGENTSENSE_PACKAGE_ROOT")
import runpy
runpy.run_module("agentsense.runtime.harness", run_name="__main__", alter_sys=True)
"""
).replace("EVENTS", repr(_NETWORK_EVENTS))


@dataclass(frozen=True, slots=True)
class RunLimits:
    """What a run may use."""

    timeout: float = 10.0
    memory_mb: int = 512
    output_limit: int = 64 * 1024
    allow_network: bool = False
    allow_unix_sockets: bool = False
    pass_secrets: bool = False


@dataclass(frozen=True, slots=True)
class Isolation:
    """What the keeper managed to set up for one run (it reports it on stderr's first line)."""

    namespaces: bool = False
    read_only: bool = False
    seccomp: bool = False


def describe(limits: RunLimits, isolation: Isolation) -> list[str]:
    """What this run's sandbox guarantees, one sentence per property, for the result's note."""
    said: list[str] = []
    if isolation.namespaces:
        said.append(
            "every process the tool started was stopped with it (own PID namespace)"
            + ("; agentsense's package was read-only" if isolation.read_only else "")
        )
    else:
        said.append(
            "no PID namespace here (user namespaces unavailable): processes the tool left were "
            "killed through the process tree, which a process can escape only by outliving "
            "the run's keeper"
        )
    if not limits.allow_network:
        if isolation.namespaces:
            said.append("network: none for every process (own network namespace)")
        elif isolation.seccomp:
            said.append("network: no sockets but netlink for every process (seccomp)")
        else:
            said.append(
                "network: refused in the tool's Python process only (audit hook; code in the "
                "process can disarm it, child processes are not covered)"
            )
    if not limits.allow_unix_sockets:
        if isolation.seccomp:
            said.append("unix sockets: refused for every process (seccomp)")
        else:
            said.append(
                "unix sockets: refused in the tool's Python process only (audit hook)"
                + ("; abstract ones cut by the network namespace" if isolation.namespaces else "")
            )
    elif not limits.allow_network and isolation.namespaces:
        said.append(
            "unix sockets: allowed; file-path sockets (Docker, ssh-agent) connect, "
            "abstract ones do not (network namespace)"
        )
    return said


# -- the environment ---------------------------------------------------------------------------

_SECRET_ENV_NAME = re.compile(
    r"(?:^|_)(?:KEY|KEYS|AUTH|PASS|PASSPHRASE|PAT|COOKIE|DSN)(?:_|$)|ACCESS_?KEY", re.I
)
_CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def is_secret_variable(name: str, value: str) -> bool:
    """Whether an environment variable looks like it holds a credential (by name or URL)."""
    return bool(
        SECRET_NAME.search(name)
        or _SECRET_ENV_NAME.search(name)
        or _CREDENTIALS_IN_URL.search(value)
    )


def tool_environment(
    source: Mapping[str, str], pass_secrets: bool
) -> tuple[dict[str, str], list[str]]:
    """The environment for the tool and the names of the variables withheld from it."""
    if pass_secrets:
        return dict(source), []
    kept: dict[str, str] = {}
    withheld: list[str] = []
    for name, value in source.items():
        if is_secret_variable(name, value):
            withheld.append(name)
        else:
            kept[name] = value
    return kept, sorted(withheld)


# -- the installed package -----------------------------------------------------------------


def package_root() -> str:
    """The folder that holds the `agentsense` package (site-packages, or the editable link tree).

    Not resolved through symlinks: an editable install links into the repository, whose root
    also holds the bare `server`/`runtime` folders a user's imports must not see.
    """
    return os.path.dirname(os.path.dirname(agentsense.__file__))


@functools.lru_cache(maxsize=1)
def protected_paths() -> tuple[str, ...]:
    """The folders holding agentsense's code: the package, and (editable installs) the source
    folders its links point into. A tool must not change them (code planted there would run in
    every later lint or run)."""
    package = os.path.dirname(os.path.abspath(agentsense.__file__))
    found = {package}
    for folder, _, files in os.walk(package):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                found.add(os.path.dirname(os.path.realpath(path)))
    ordered = sorted(found)
    return tuple(p for p in ordered if not any(p.startswith(q + os.sep) for q in ordered))


Fingerprint = dict[str, tuple[int, int, int]]


def fingerprint(roots: Iterable[str]) -> Fingerprint:
    """Size, mtime and ctime of every file under the roots (ctime cannot be set back)."""
    found: Fingerprint = {}
    for root in roots:
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    stat = os.lstat(path)
                    found[path] = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return found


def changed_files(before: Fingerprint, after: Fingerprint) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


# -- the process tree ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """One line of /proc/PID/stat, the fields the supervisor needs."""

    pid: int
    parent: int
    group: int
    session: int
    state: str
    start: int
    rss_pages: int
    name: str


def processes() -> dict[int, ProcessInfo]:
    """Every process this one can see (Linux /proc; empty elsewhere)."""
    found: dict[int, ProcessInfo] = {}
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return found
    for name in entries:
        try:
            with open(f"/proc/{name}/stat", "rb") as stream:
                data = stream.read()
            head, _, tail = data.rpartition(b")")
            fields = tail.split()
            found[int(name)] = ProcessInfo(
                pid=int(name),
                parent=int(fields[1]),
                group=int(fields[2]),
                session=int(fields[3]),
                state=fields[0].decode("ascii", "replace"),
                start=int(fields[19]),
                rss_pages=int(fields[21]),
                name=head.partition(b"(")[2].decode("utf-8", "replace"),
            )
        except (OSError, ValueError, IndexError):
            continue
    return found


def tree(root: int, table: Mapping[int, ProcessInfo]) -> list[ProcessInfo]:
    """The root and its living descendants (zombies hold no memory and are not counted)."""
    children: dict[int, list[int]] = {}
    for entry in table.values():
        children.setdefault(entry.parent, []).append(entry.pid)
    found: list[ProcessInfo] = []
    pending = [root]
    while pending:
        pid = pending.pop()
        info = table.get(pid)
        if info is None:
            continue
        if info.state != "Z":
            found.append(info)
        pending.extend(children.get(pid, ()))
    return found


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def kill_tree(root: int, rounds: int = 50) -> None:
    """SIGKILL the root's descendants until none is left, then the root (the keeper is a
    subreaper, so what its dying children leave comes to it and is found in the next round)."""
    for _ in range(rounds):
        rest = [p for p in tree(root, processes()) if p.pid != root]
        if not rest:
            break
        for info in rest:
            _kill(info.pid)
        time.sleep(0.005)
    _kill(root)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(root, signal.SIGKILL)


class Supervisor:
    """Samples the run's tree: remembers every process seen, stops the tree past the memory."""

    def __init__(self, root: int, memory_bytes: int) -> None:
        self.root = root
        self.memory_bytes = memory_bytes
        self.seen: dict[int, ProcessInfo] = {}
        self.peak_bytes = 0
        self.over_memory = False

    def sample(self) -> bool:
        """One look at the tree; True when it was over the memory limit (and was killed)."""
        members = tree(self.root, processes())
        for info in members:
            self.seen.setdefault(info.pid, info)
        used = sum(info.rss_pages for info in members) * _PAGE
        self.peak_bytes = max(self.peak_bytes, used)
        if self.memory_bytes > 0 and used > self.memory_bytes:
            self.over_memory = True
            kill_tree(self.root)
            return True
        return False

    async def watch(self) -> None:
        while not await asyncio.to_thread(self.sample):
            await asyncio.sleep(SAMPLE_SECONDS)

    def survivors(self) -> tuple[list[ProcessInfo], list[ProcessInfo]]:
        """Processes of the run alive after it (seen in its tree with the same start time, or
        still in its session), and those of them a SIGKILL did not end."""

        def alive() -> list[ProcessInfo]:
            left = []
            for pid, info in processes().items():
                if info.state == "Z" or pid == os.getpid():
                    continue
                known = self.seen.get(pid)
                if (known is not None and known.start == info.start) or info.session == self.root:
                    left.append(info)
            return left

        found = alive()
        if not found:
            return [], []
        for info in found:
            _kill(info.pid)
        time.sleep(0.05)
        return found, alive()


# -- the run ------------------------------------------------------------------------------------


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


# The harness's JSON answer ({"ok", "value" | "error", "stdout", "duration_ms", ...}), passed on
# to the client as it is.
RunResult = dict[str, Any]


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


async def _exit_of(process: asyncio.subprocess.Process) -> int:
    """The keeper's exit status as soon as it exits (`Process.wait()` also waits for the output
    pipes to close, which a leftover process can hold open for as long as it lives)."""
    while process.returncode is None:
        await asyncio.sleep(0.02)
    return process.returncode


def _isolation(stderr: bytearray) -> tuple[Isolation, str]:
    """The keeper's status line (the first on stderr) and the rest of stderr."""
    text = stderr.decode("utf-8", "replace")
    if not text.startswith(_STATUS_MARKER):
        return Isolation(), text
    line, _, rest = text.partition("\n")
    try:
        raw = json.loads(line[len(_STATUS_MARKER) :])
    except json.JSONDecodeError:
        return Isolation(), rest
    if not isinstance(raw, dict):
        return Isolation(), rest
    return (
        Isolation(
            namespaces=raw.get("namespaces") is True,
            read_only=raw.get("read_only") is True,
            seccomp=raw.get("seccomp") is True,
        ),
        rest,
    )


def _switch(name: str) -> bool:
    return os.environ.get(name, "1") != "0"


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
    plus wall_ms (the whole run's wall time), peak_memory_mb (the tree's largest resident
    memory seen), withheld_env (names of the variables not
    passed), survivors (processes still alive after the run), package_changed (files of
    agentsense's own installation that changed during the run), sandbox (what was isolated)
    and note (all that in sentences). Error kinds besides the harness's: timeout, crashed,
    output_limit, memory_limit, start.
    """
    started = time.perf_counter()
    env, withheld = tool_environment(os.environ, limits.pass_secrets)
    protected = protected_paths()
    before = await asyncio.to_thread(fingerprint, protected)
    memory_bytes = limits.memory_mb * 1024 * 1024
    env.update(
        {
            "AGENTSENSE_MEMORY_LIMIT": str(memory_bytes),
            "AGENTSENSE_CPU_LIMIT": str(int(limits.timeout) + 2),
            "AGENTSENSE_BLOCK_NETWORK": "0" if limits.allow_network else "1",
            "AGENTSENSE_BLOCK_UNIX": "0" if limits.allow_unix_sockets else "1",
            "AGENTSENSE_NAMESPACES": "1" if _switch(NAMESPACES_SWITCH) else "0",
            "AGENTSENSE_SECCOMP": "1" if _switch(SECCOMP_SWITCH) else "0",
            "AGENTSENSE_READ_ONLY": os.pathsep.join(protected),
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
    supervisor = Supervisor(process.pid, memory_bytes)
    watching = asyncio.ensure_future(supervisor.watch())
    exited = asyncio.ensure_future(_exit_of(process))
    timed_out = False
    try:
        await asyncio.wait(
            {exited, watching}, timeout=limits.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        timed_out = not exited.done() and not supervisor.over_memory
    finally:
        watching.cancel()
        # Whatever the tool left running goes with it (and with it any pipe it holds open).
        if not exited.done():
            await asyncio.to_thread(kill_tree, process.pid)
        await exited
    survivors, unkillable = await asyncio.to_thread(supervisor.survivors)
    dropped = (False, False)
    try:
        found = await asyncio.wait_for(drains, timeout=_PIPE_GRACE_SECONDS)
        dropped = (bool(found[0]), bool(found[1]))
    except asyncio.TimeoutError:
        pass  # a process that escaped the tree still holds a pipe: stop reading
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(process.wait(), timeout=_PIPE_GRACE_SECONDS)
    after = await asyncio.to_thread(fingerprint, protected)
    isolation, stderr_text = _isolation(err)
    if supervisor.over_memory:
        result = failure(
            "memory_limit",
            f"the tool's processes together used more than {limits.memory_mb} MB and were stopped",
            started,
            stderr_text,
        )
    elif timed_out:
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
    # Read-only for the tree: a change came from elsewhere (the server's own bytecode cache,
    # an editor saving a file of an editable install), not from the tool.
    changed = [] if isolation.read_only else changed_files(before, after)
    result["wall_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
    result["withheld_env"] = withheld
    result["survivors"] = [{"pid": p.pid, "name": p.name} for p in survivors]
    result["still_running"] = [{"pid": p.pid, "name": p.name} for p in unkillable]
    result["package_changed"] = changed
    result["peak_memory_mb"] = round(supervisor.peak_bytes / (1024 * 1024), 1)
    result["sandbox"] = {
        "namespaces": isolation.namespaces,
        "read_only": isolation.read_only,
        "seccomp": isolation.seccomp,
    }
    result["note"] = _note(limits, isolation, withheld, (survivors, unkillable), changed)
    return result


def _note(
    limits: RunLimits,
    isolation: Isolation,
    withheld: list[str],
    survivors: tuple[list[ProcessInfo], list[ProcessInfo]],
    changed: list[str],
) -> str:
    parts: list[str] = []
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        parts.append(f"WARNING: agentsense's installed files changed during the run: {shown}")
    said = ("outlived the run and were killed", "are still running")
    for found, what in zip(survivors, said, strict=True):
        if found:
            names = ", ".join(f"{p.name} (pid {p.pid})" for p in found[:5])
            parts.append(f"WARNING: processes the tool started {what}: {names}")
    if withheld:
        parts.append(
            "environment variables withheld (secret-looking; setting runToolPassSecrets): "
            + ", ".join(withheld)
        )
    parts.extend(describe(limits, isolation))
    return "; ".join(parts) + "."


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
            "SIGSYS": "it made a system call the sandbox forbids",
        }.get(name, f"it was stopped by {name}")
        return failure("crashed", f"the tool's process died: {reason}", started, stderr)
    tail = stderr.strip().splitlines()[-1:] or [f"exit status {returncode}"]
    return failure("crashed", f"the tool's process gave no result: {tail[0]}", started, stderr)
