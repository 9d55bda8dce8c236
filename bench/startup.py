"""Start-up: `agentsense check ONE_FILE` and the language server's spawn -> `initialize` answer.

Each round runs, interleaved so that a loaded machine slows all of them alike:

- the floor: `python -c "import libcst; libcst.parse_module(open(F).read())"`, the least a
  libcst linter's process does;
- `agentsense check --no-cache --quiet F` and `agentsense check --quiet F` (the cache on, as
  pre-commit runs it; the file is copied to a temporary project first);
- `python -c pass`, the interpreter alone;
- `agentsense server --stdio`, timed from spawn to the `initialize` response.

It prints, for each, the median wall time and the median CPU time (user + system of the child,
which a loaded machine disturbs less than wall time), and the ratios of `check` to the floor.

Python modules run from bytecode, as in an installed wheel (pip compiles them at install): when
PYTHONDONTWRITEBYTECODE is set, as in some sandboxes, every run would compile agentsense's
modules from source again (~0.2 s), so the runs here use a temporary PYTHONPYCACHEPREFIX,
warmed first. `--no-bytecode` measures that uncached case instead.

    .venv/bin/python bench/startup.py [--runs 10] [--file examples/agent/react.py] [--no-bytecode]

Not a test: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGENTSENSE = Path(sys.executable).with_name("agentsense")


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def _message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _initialize_seconds(root: Path, env: dict[str, str]) -> float:
    """Spawn `agentsense server --stdio`, send `initialize`, time until its response arrives."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(AGENTSENSE), "server", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    params: dict[str, object] = {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
    request = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}
    process.stdin.write(_message(request))
    process.stdin.flush()
    length = 0
    while True:
        line = process.stdout.readline()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
        elif line in (b"\r\n", b"\n") and length:
            process.stdout.read(length)
            break
    seconds = time.perf_counter() - started
    process.stdin.write(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    process.stdin.write(_message({"jsonrpc": "2.0", "method": "exit"}))
    process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    return seconds


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:6.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--file", type=Path, default=ROOT / "examples" / "agent" / "react.py")
    parser.add_argument("--no-bytecode", action="store_true", help="compile from source each run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="agentsense-startup-"))
    env = dict(os.environ)
    if args.no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    project = work / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.agentsense]\n")
    source = str(shutil.copy(args.file, project / args.file.name))
    commands = {
        "floor: python -c 'libcst.parse_module(F)'": [
            sys.executable,
            "-c",
            "import libcst, sys; libcst.parse_module(open(sys.argv[1]).read())",
            source,
        ],
        "agentsense check --no-cache F": [str(AGENTSENSE), "check", "--no-cache", "-q", source],
        "agentsense check F (cache on)": [str(AGENTSENSE), "check", "-q", source],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    floor = next(iter(commands))
    for command in commands.values():  # warm the bytecode cache and the result cache
        _timed(command, env)
    _initialize_seconds(ROOT, env)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    ratios: dict[str, list[float]] = {name: [] for name in commands}
    ready: list[float] = []
    for _ in range(args.runs):
        for name, command in commands.items():
            seconds, used = _timed(command, env)
            wall[name].append(seconds)
            cpu[name].append(used)
            ratios[name].append(seconds / wall[floor][-1])
        ready.append(_initialize_seconds(ROOT, env))
    lines = len(Path(source).read_text().splitlines())
    shutil.rmtree(work, ignore_errors=True)
    mode = "from source (no bytecode)" if args.no_bytecode else "from bytecode"
    print(f"{args.file.name} ({lines} lines), {args.runs} interleaved rounds, modules {mode}")
    print(f"{'':38} {'wall':>9} {'CPU':>9}  wall/floor (per round)  CPU/floor")
    for name in commands:
        print(
            f"{name:38} {_ms(wall[name])} {_ms(cpu[name])}  "
            f"{statistics.median(ratios[name]):5.2f}x"
            f"{'':17}{statistics.median(cpu[name]) / statistics.median(cpu[floor]):5.2f}x"
        )
    print(f"{'agentsense server: spawn -> initialize':38} {_ms(ready)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
