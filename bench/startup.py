"""Start-up: `agentsense check ONE_FILE` and the language server's spawn -> `initialize` answer.

Each round runs, interleaved so that a loaded machine slows all of them alike:

- `agentsense check --no-cache --quiet FILE` (the console script, a new process);
- the floor: `python -c "import libcst; libcst.parse_module(open(F).read())"`, the least a
  libcst linter's process does;
- `python -c pass`, the interpreter alone;
- `agentsense server --stdio`, timed from spawn to the `initialize` response.

It prints the median (and min) of each over the rounds, and the ratio of `check` to the floor.

    .venv/bin/python bench/startup.py [--runs 10] [--file examples/agent/react.py]

Not a test: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGENTSENSE = Path(sys.executable).with_name("agentsense")


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def _message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _initialize_seconds(root: Path) -> float:
    """Spawn `agentsense server --stdio`, send `initialize`, time until its response arrives."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(AGENTSENSE), "server", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    params = {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
    process.stdin.write(
        _message({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
    )
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


def _row(name: str, values: list[float]) -> str:
    return f"{name:<44} median {statistics.median(values) * 1000:7.0f} ms  min {min(values) * 1000:7.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--file", type=Path, default=ROOT / "examples" / "agent" / "react.py")
    args = parser.parse_args()
    source = str(args.file)
    commands = {
        "agentsense check FILE": [str(AGENTSENSE), "check", "--no-cache", "--quiet", source],
        "floor: python -c 'libcst.parse_module(F)'": [
            sys.executable,
            "-c",
            "import libcst, sys; libcst.parse_module(open(sys.argv[1]).read())",
            source,
        ],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    ratios: list[float] = []
    ready: list[float] = []
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(_timed(command))
        ratios.append(
            times["agentsense check FILE"][-1] / times[next(iter(list(commands)[1:]))][-1]
        )
        ready.append(_initialize_seconds(ROOT))
    print(f"{args.file} ({len(Path(source).read_text().splitlines())} lines), {args.runs} rounds")
    for name, values in times.items():
        print(_row(name, values))
    print(_row("agentsense server: spawn -> initialize", ready))
    print(f"{'check / floor (per round)':<44} median {statistics.median(ratios):7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
