"""Memory of the language server after indexing a big workspace, and its cold start.

Copies the interpreter's standard library (without site-packages) into a temporary folder,
starts `agentsense server --stdio` on it as the workspace, opens one file, and waits for the
server to log the end of indexing. It prints the resident memory (RSS, from /proc) of the
server and of every process under it, at the end of indexing and a few seconds later (the
indexing process must be gone by then), and the server's peak (VmHWM). Then it times spawn ->
`initialize` answered over several cold starts (median and max).

    .venv/bin/python bench/lsp_memory.py [--runs 5] [--settle 5] [--workspace DIR]

Linux only (/proc). Not a test: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lsp_latency import Server, initialize

_PAGE_KB = 4


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _kb(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


def descendants(pid: int) -> list[int]:
    """Every process under `pid` (children of children too)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = _status(int(entry.name)).get("PPid")
            if ppid is not None:
                parents.setdefault(int(ppid), []).append(int(entry.name))
    out: list[int] = []
    stack = [pid]
    while stack:
        for child in parents.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def memory(pid: int) -> tuple[int, int, int, int]:
    """(server RSS, helpers' RSS, helper count, server peak RSS), in MB."""
    status = _status(pid)
    helpers = descendants(pid)
    helper_kb = sum(_kb(_status(child).get("VmRSS")) for child in helpers)
    return (
        _kb(status.get("VmRSS")) // 1024,
        helper_kb // 1024,
        len(helpers),
        _kb(status.get("VmHWM")) // 1024,
    )


def stdlib_copy(into: Path) -> Path:
    """The standard library's Python files, without site-packages, under `into`."""
    source = Path(sysconfig.get_paths()["stdlib"])
    target = into / "stdlib"
    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc", "*.so"),
        symlinks=True,
    )
    return target


async def after_indexing(workspace: Path, settle: float) -> None:
    server = await Server.start(workspace)
    pid = server.process.pid
    try:
        started = time.perf_counter()
        await initialize(server, workspace, {"debounceMs": 0})
        opened = next(workspace.rglob("*.py"))
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": opened.as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": opened.read_text(errors="replace"),
                }
            },
        )
        peak_helpers = 0
        while not server.indexed.is_set():
            _, helpers, _, _ = memory(pid)
            peak_helpers = max(peak_helpers, helpers)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.indexed.wait(), 1.0)
        seconds = time.perf_counter() - started
        files = sum(1 for _ in workspace.rglob("*.py"))
        rss, helpers, count, peak = memory(pid)
        print(f"workspace: {workspace} ({files} Python files), indexed in {seconds:.0f} s")
        print(f"| {'when':<34} | server MB | helpers MB | helpers | total MB |")
        print(f"|{'-' * 36}|-----------|------------|---------|----------|")
        print(
            f"| {'end of indexing':<34} | {rss:>9} | {helpers:>10} | {count:>7} | {rss + helpers:>8} |"
        )
        await asyncio.sleep(settle)
        rss, helpers, count, peak = memory(pid)
        label = f"{settle:.0f} s later"
        print(f"| {label:<34} | {rss:>9} | {helpers:>10} | {count:>7} | {rss + helpers:>8} |")
        print(
            f"server peak RSS (VmHWM): {peak} MB; helpers' peak seen while indexing: {peak_helpers} MB"
        )
    finally:
        await server.stop()


async def cold_starts(workspace: Path, runs: int) -> None:
    ready: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        server = await Server.start(workspace)
        try:
            await initialize(server, workspace, {"debounceMs": 0})
            ready.append(time.perf_counter() - started)
        finally:
            await server.stop()
    ms = sorted(value * 1000 for value in ready)
    print(
        f"cold start, spawn -> initialize answered: median {statistics.median(ms):.0f} ms, "
        f"max {ms[-1]:.0f} ms ({runs} runs)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts to time")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after indexing")
    parser.add_argument("--workspace", type=Path, help="index this folder instead of the stdlib")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agentsense-memory-") as tmp:
        workspace = args.workspace or stdlib_copy(Path(tmp))
        await after_indexing(workspace, args.settle)
        await cold_starts(Path(tmp), args.runs)


if __name__ == "__main__":
    asyncio.run(main())
