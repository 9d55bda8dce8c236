"""Latency of the real language server over stdio: didChange -> diagnostics, and cold start.

Drives `agentsense server` (or `python -m agentsense.server.lsp`) with raw JSON-RPC as a
push-diagnostics client, debounce set to 0 (the figures exclude the debounce), on generated
agent modules of 1 000 and 5 000 lines (and 20 000, `--large-sizes`, with no file time budget).
Each edit is a one-character change inside a function body (and, in a second series, inside
the module-level `SYSTEM_PROMPT` string that many functions interpolate; in a third, inside a
method of one 1 500-line class, `--class-sizes`), sent as an incremental change, once the
workspace index is built; the next edit waits for the previous version's diagnostics. The baseline is the same server told to parse and lint the whole file on every
change (`"incremental": false`), measured in the same run.

    .venv/bin/python bench/lsp_latency.py [--edits 40] [--sizes 1000 5000] [--class-sizes 1500]
        [--large-sizes 20000] [--broken]

Not a test: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lsp.agent_code import agent_class_module, agent_module  # noqa: E402

AGENTSENSE = Path(sys.executable).with_name("agentsense")
_ANALYSIS_LOG = re.compile(r"findings in ([0-9.]+) ms")
MODULE_COMMAND = [sys.executable, "-m", "agentsense.server.lsp"]
COMMAND = [str(AGENTSENSE), "server", "--stdio"] if AGENTSENSE.exists() else MODULE_COMMAND


class Server:
    """A server process and a minimal JSON-RPC client for it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.published: dict[tuple[str, int], float] = {}
        self.analysis_ms: list[float] = []  # what the server logs for each analysis
        self.indexed = asyncio.Event()  # the server logged the end of workspace indexing
        self.reader = asyncio.get_running_loop().create_task(self._read())

    @staticmethod
    async def start(cwd: Path, command: list[str] | None = None) -> Server:
        process = await asyncio.create_subprocess_exec(
            *(command or COMMAND),
            cwd=cwd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return Server(process)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = future
        self.send({"id": self.next_id, "method": method, "params": params})
        return await future

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def change(self, uri: str, version: int, row: int, start: int, end: int, text: str) -> None:
        """`didChange`: replace columns `start`..`end` of line `row` (0-based) with `text`."""
        edit = {
            "range": {
                "start": {"line": row, "character": start},
                "end": {"line": row, "character": end},
            },
            "text": text,
        }
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [edit]},
        )

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(await stdout.readexactly(length))
            if "id" in message and "method" not in message:
                future = self.waiting.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))
            elif "id" in message:  # a request from the server: accept it
                self.send({"id": message["id"], "result": None})
            elif message.get("method") == "window/logMessage":
                text = message["params"]["message"]
                found = _ANALYSIS_LOG.search(text)
                if found:
                    self.analysis_ms.append(float(found.group(1)))
                elif text.startswith("indexed "):
                    self.indexed.set()
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                key = (params["uri"], params.get("version") or 0)
                self.published.setdefault(key, time.perf_counter())

    async def diagnostics(self, uri: str, version: int, timeout: float = 120.0) -> float:
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.published:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no diagnostics for {uri} v{version}")
            await asyncio.sleep(0.0005)
        return self.published[(uri, version)]

    async def stop(self) -> None:
        with contextlib_suppress():
            await asyncio.wait_for(self.request("shutdown", None), 10)
            self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), 10)
        if self.process.returncode is None:
            self.process.kill()
        self.reader.cancel()


class contextlib_suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], Exception)  # type: ignore[arg-type]


async def initialize(server: Server, root: Path, options: dict[str, Any]) -> None:
    await server.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "capabilities": {"textDocument": {"publishDiagnostics": {"relatedInformation": True}}},
            "initializationOptions": options,
        },
    )
    server.notify("initialized", {})


def body_rows(text: str) -> list[int]:
    """Rows inside function bodies where a character can be typed without breaking the code."""
    return [
        row
        for row, line in enumerate(text.splitlines())
        if line.startswith('        results.append(f"') or line.startswith('    return f"')
    ]


def method_rows(text: str) -> list[int]:
    """Rows inside the bodies of a class's methods (`agent_class_module`)."""
    return [
        row
        for row, line in enumerate(text.splitlines())
        if line.startswith('            results.append(f"') or line.startswith('        return f"')
    ]


def prompt_rows(text: str) -> list[int]:
    """The row of the module-level system prompt (typing there changes a module binding)."""
    return [row for row, line in enumerate(text.splitlines()) if line.startswith("SYSTEM_PROMPT")]


async def measure(
    root: Path, lines: int, edits: int, incremental: bool, broken: bool, where: str = "function"
) -> dict[str, Any]:
    # "method": `lines` is the length of one class whose body is methods.
    text = agent_class_module(lines) if where == "method" else agent_module(lines)
    path = root / f"agent_{where}_{lines}.py"
    path.write_text(text)
    uri = path.as_uri()
    server = await Server.start(root)
    try:
        await initialize(server, root, {"debounceMs": 0, "incremental": incremental})
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )
        await server.diagnostics(uri, 1)
        # The steady state: the workspace index (cross-file findings included) is built.
        await asyncio.wait_for(server.indexed.wait(), 120)
        await asyncio.sleep(1.0)
        rng = random.Random(lines)
        rows = {"function": body_rows, "method": method_rows, "prompt": prompt_rows}[where](text)
        samples: list[float] = []
        version = 1
        for number in range(edits):
            row = rng.choice(rows)
            line = text.splitlines()[row]
            # Inside the (f-)string: the code stays valid.
            column = line.index('f"') + 2 if where != "prompt" else line.index('"') + 2
            if broken and number % 2 == 0:
                insert = "("  # an unclosed bracket: the statement stops parsing
                column = len(line)
            else:
                insert = "x"
            version += 1
            started = time.perf_counter()
            server.change(uri, version, row, column, column, insert)
            samples.append((await server.diagnostics(uri, version)) - started)
            # Keep the local copy in step (undo a broken edit on the next round).
            lines_now = text.splitlines(keepends=True)
            lines_now[row] = lines_now[row][:column] + insert + lines_now[row][column:]
            text = "".join(lines_now)
            if broken and insert == "(":
                version += 1
                server.change(uri, version, row, column, column + 1, "")
                started = time.perf_counter()
                samples.append((await server.diagnostics(uri, version)) - started)
                lines_now = text.splitlines(keepends=True)
                lines_now[row] = lines_now[row][:column] + lines_now[row][column + 1 :]
                text = "".join(lines_now)
        return {"samples": samples, "server": [ms / 1000 for ms in server.analysis_ms[1:]]}
    finally:
        await server.stop()


async def cold_start(
    root: Path, lines: int, runs: int, command: list[str] | None = None
) -> tuple[list[float], list[float]]:
    """Spawn -> initialize answered, and spawn -> first diagnostics of an opened file."""
    text = agent_module(lines)
    path = root / f"cold_{lines}.py"
    path.write_text(text)
    ready: list[float] = []
    first: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        server = await Server.start(root, command)
        try:
            await initialize(server, root, {"debounceMs": 0})
            ready.append(time.perf_counter() - started)
            server.notify(
                "textDocument/didOpen",
                {
                    "textDocument": {
                        "uri": path.as_uri(),
                        "languageId": "python",
                        "version": 1,
                        "text": text,
                    }
                },
            )
            await server.diagnostics(path.as_uri(), 1)
            first.append(time.perf_counter() - started)
        finally:
            await server.stop()
    return ready, first


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def row(label: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"| {label:<42} | {len(ms):>4} | {statistics.median(ms):>8.1f} | "
        f"{percentile(ms, 0.95):>8.1f} | {max(ms):>8.1f} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--baseline-edits", type=int, default=8)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument(
        "--class-sizes", type=int, nargs="*", default=[1500], help="lines of one long class"
    )
    parser.add_argument(
        "--large-sizes",
        type=int,
        nargs="*",
        default=[20000],
        help="lines of a large module (edits in functions and in the prompt only)",
    )
    parser.add_argument("--cold-runs", type=int, default=5, help="0: no cold starts")
    parser.add_argument("--broken", action="store_true", help="also type transient syntax errors")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="agentsense-bench-") as tmp:
        root = Path(tmp)
        # Opening a 20 000-line file lints it whole: on a loaded machine that takes more than
        # the default 10 s budget, and the file would be reported as not linted.
        (root / "agentsense.toml").write_text("file-time-budget = 0\n")
        print(f"server: {' '.join(COMMAND)}")
        print(f"| {'what':<42} |    n | p50 (ms) | p95 (ms) | max (ms) |")
        print(f"|{'-' * 44}|------|----------|----------|----------|")
        if args.cold_runs > 0:
            ready, first = await cold_start(root, 1000, args.cold_runs)
            print(row("cold start: initialize answered", ready))
            print(row("cold start: + diagnostics, 1000 ln", first))
        if COMMAND != MODULE_COMMAND and args.cold_runs > 0:
            ready, _ = await cold_start(root, 1000, args.cold_runs, MODULE_COMMAND)
            print(row("  same, python -m agentsense.server.lsp", ready))
        results: dict[tuple[int, str], list[float]] = {}
        for lines in args.sizes:
            incremental = await measure(root, lines, args.edits, True, False)
            results[(lines, "incremental")] = incremental["samples"]
            print(row(f"didChange->diagnostics {lines} ln", incremental["samples"]))
            print(row(f"  of which analysis, {lines} ln", incremental["server"]))
            prompt = await measure(root, lines, args.edits, True, False, "prompt")
            print(row(f"  typing in the module's prompt, {lines} ln", prompt["samples"]))
            print(row(f"  of which analysis, prompt, {lines} ln", prompt["server"]))
            if args.broken:
                broken = await measure(root, lines, args.edits, True, True)
                print(row(f"  with syntax errors, {lines} ln", broken["samples"]))
            naive = await measure(root, lines, args.baseline_edits, False, False)
            results[(lines, "naive")] = naive["samples"]
            print(row(f"  naive (full parse+lint), {lines} ln", naive["samples"]))
        for lines in args.large_sizes:
            large = await measure(root, lines, args.edits, True, False)
            print(row(f"didChange->diagnostics {lines} ln", large["samples"]))
            print(row(f"  of which analysis, {lines} ln", large["server"]))
            prompt = await measure(root, lines, args.edits, True, False, "prompt")
            print(row(f"  typing in the module's prompt, {lines} ln", prompt["samples"]))
            print(row(f"  of which analysis, prompt, {lines} ln", prompt["server"]))
        for lines in args.class_sizes:
            method = await measure(root, lines, args.edits, True, False, "method")
            print(row(f"method of a {lines}-line class", method["samples"]))
            print(row(f"  of which analysis, {lines}-line class", method["server"]))
        for lines in args.sizes:
            ratio = statistics.median(results[(lines, "naive")]) / statistics.median(
                results[(lines, "incremental")]
            )
            print(f"{lines} lines: incremental p50 is {ratio:.0f}x faster than the naive server")


if __name__ == "__main__":
    asyncio.run(main())
