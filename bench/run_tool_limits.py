"""Run tool limits measured as issue 17 measured them (timeout 5 s, memory 512 MB).

    .venv/bin/python bench/run_tool_limits.py [hungry|daemon ...]

hungry: three children of the tool each hold 400 MB; prints the largest sum of their resident
memory seen from outside (every 50 ms) and the result's kind. daemon: the tool leaves a
`setsid` double-fork daemon holding the output pipes for 30 s and returns; prints how long
the answer took and whether the daemon is still alive afterwards (it is killed then).
Set AGENTSENSE_RUN_TOOL_NAMESPACES=0 to measure as on a machine without user namespaces.
Uses about 1.2 GB of memory for a few seconds when the tree limit does not work.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from agentsense.server.lsp.run_tool import RunLimits, run_tool

TOOLS = '''
import os, subprocess, sys, time
from agentsense.runtime.registry import tool

@tool
def hungry() -> str:
    """3 children x 400 MB."""
    code = "import time; data = b'x' * (400 << 20); time.sleep(8)"
    children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
    for child in children:
        child.wait()
    return "done"

@tool
def daemon(pid_file: str) -> str:
    """A setsid double-fork daemon keeping the pipes for 30 s."""
    code = (
        "import os, sys, time\\n"
        "if os.fork(): os._exit(0)\\n"
        "os.setsid()\\n"
        "if os.fork(): os._exit(0)\\n"
        "open(sys.argv[1], 'w').write(os.readlink('/proc/self'))\\n"
        "time.sleep(30)\\n"
    )
    subprocess.Popen([sys.executable, "-c", code, pid_file]).wait()
    time.sleep(0.3)
    return "started"
'''
MARK = b"400 << 20"


def children_rss(stop: threading.Event, peak: list[int]) -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    while not stop.is_set():
        total = 0
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    if MARK in Path(f"/proc/{name}/cmdline").read_bytes():
                        total += int(Path(f"/proc/{name}/statm").read_text().split()[1]) * page
                except (OSError, ValueError, IndexError):
                    pass
        peak[0] = max(peak[0], total)
        time.sleep(0.05)


def daemon_alive(pid_file: Path) -> bool:
    """Whether the daemon still runs; killed if so (checked by its command line)."""
    try:
        pid = int(pid_file.read_text())
        alive = b"time.sleep(30)" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return False
    if alive:
        os.kill(pid, 9)
    return alive


def measure(name: str, folder: Path) -> dict[str, object]:
    pid_file = folder / "daemon.pid"
    arguments = {"pid_file": str(pid_file)} if name == "daemon" else {}
    stop, peak = threading.Event(), [0]
    watcher = threading.Thread(target=children_rss, args=(stop, peak), daemon=True)
    watcher.start()
    started = time.perf_counter()
    result = asyncio.run(
        run_tool(
            str(folder / "tools.py"),
            name,
            arguments,
            cwd=str(folder),
            limits=RunLimits(timeout=5, memory_mb=512),
        )
    )
    answer = time.perf_counter() - started
    stop.set()
    watcher.join()
    error = result.get("error") or {}
    row: dict[str, object] = {
        "tool": name,
        "answer_s": round(answer, 2),
        "kind": error.get("kind", "ok") if isinstance(error, dict) else "error",
        "sandbox": result.get("sandbox"),
    }
    if name == "hungry":
        row["children_peak_mb"] = peak[0] >> 20
        row["tree_peak_mb"] = result.get("peak_memory_mb")
    else:
        row["daemon_alive_after"] = daemon_alive(pid_file)
    return row


def main(names: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "tools.py").write_text(TOOLS, encoding="utf-8")
        for name in names or ["hungry", "daemon"]:
            print(json.dumps(measure(name, Path(folder))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
