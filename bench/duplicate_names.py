"""AGT212 scaling: N files registering one tool name, `agentsense check` time, memory and output.

    .venv/bin/python bench/duplicate_names.py [--sizes 50,200,800] [--agentsense PATH] [--json]

Each size writes N small modules (`@tool def search...`, the reference runtime's registry,
shared by every module) into a temporary folder and runs `agentsense check DIR
--output-format json -j 1 --no-cache` once, printing the wall time, the child's peak RSS, the
bytes of output, the findings and the largest number of related locations on one finding.
Linear means: time and output grow with N, related locations stay bounded.
`--agentsense` runs another build (e.g. the main checkout's `.venv/bin/agentsense`).
`--editor` measures the language server instead: once the workspace of N files is indexed,
one-character edits in one of them (inside its docstring), didChange -> its diagnostics,
with the debounce set to 0 (median and p95 of `--edits` edits).
`measure(n, executable)` and `measure_editor(n, executable, edits)` are what other benches call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

TOOL = '''from agentsense.runtime.registry import tool


@tool
def search(query: str) -> list[str]:
    """Search the web."""
    return []
'''


@dataclass(frozen=True, slots=True)
class Measurement:
    files: int
    wall_s: float
    peak_rss_mb: float  # of the `agentsense check` process (ru_maxrss of the waited child)
    output_bytes: int
    findings: int
    max_related: int


def write_project(root: Path, files: int) -> None:
    """`files` modules each registering the runtime tool `search`."""
    for index in range(files):
        (root / f"tool_{index:04}.py").write_text(TOOL, encoding="utf-8")


def measure(files: int, executable: str = "agentsense") -> Measurement:
    """One cold run of `agentsense check` over `files` duplicates, in a fresh folder.

    The peak RSS is read with `wait4` for this child alone (`RUSAGE_CHILDREN` would keep the
    largest of every earlier child)."""
    with tempfile.TemporaryDirectory(prefix="agentsense-dups-") as folder:
        root = Path(folder)
        write_project(root, files)
        command = [executable, "check", str(root), "--output-format", "json", "-j", "1"]
        command.append("--no-cache")
        started = time.perf_counter()
        with tempfile.TemporaryFile() as out:
            child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            out.seek(0)
            data = out.read()
    findings = json.loads(data)
    rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    return Measurement(
        files=files,
        wall_s=round(wall, 2),
        peak_rss_mb=round(rss_kb / 1024, 1),
        output_bytes=len(data),
        findings=len(findings),
        max_related=max((len(f.get("related") or ()) for f in findings), default=0),
    )


def measure_editor(files: int, executable: str = "agentsense", edits: int = 20) -> dict[str, float]:
    """Median and p95 seconds from a one-character edit in one of `files` duplicates to the
    server's diagnostics for it, after the workspace index is built."""
    return asyncio.run(_editor(files, executable, edits))


async def _editor(files: int, executable: str, edits: int) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lsp_latency import Server, initialize

    with tempfile.TemporaryDirectory(prefix="agentsense-dups-") as folder:
        root = Path(folder)
        write_project(root, files)
        path = root / "tool_0000.py"
        uri, text = path.as_uri(), TOOL
        server = await Server.start(root, [executable, "server", "--stdio"])
        try:
            await initialize(server, root, {"debounceMs": 0})
            server.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
            )
            await server.diagnostics(uri, 1)
            await asyncio.wait_for(server.indexed.wait(), 600)
            await asyncio.sleep(1.0)
            row = text.splitlines().index('    """Search the web."""')
            samples: list[float] = []
            for version in range(2, edits + 2):
                started = time.perf_counter()
                server.change(uri, version, row, 8, 8, "x")
                samples.append(await server.diagnostics(uri, version) - started)
        finally:
            await server.stop()
    samples.sort()
    return {
        "files": files,
        "median_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))] * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,800", help="comma-separated file counts")
    parser.add_argument(
        "--agentsense",
        default=str(Path(sys.executable).with_name("agentsense")),
        help="the agentsense executable to run (default: the one next to this Python)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    parser.add_argument("--editor", action="store_true", help="measure the language server")
    parser.add_argument("--edits", type=int, default=20, help="edits per size (--editor)")
    args = parser.parse_args(argv)
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    if args.editor:
        for size in sizes:
            print(json.dumps(measure_editor(size, args.agentsense, args.edits)))
        return 0
    if not args.json:
        print(
            f"{'files':>6} {'wall s':>8} {'RSS MB':>8} {'output B':>11} {'findings':>9} {'related':>8}"
        )
    for size in sizes:
        found = measure(size, args.agentsense)
        if args.json:
            print(json.dumps(asdict(found)))
        else:
            print(
                f"{found.files:>6} {found.wall_s:>8.2f} {found.peak_rss_mb:>8.1f} "
                f"{found.output_bytes:>11} {found.findings:>9} {found.max_related:>8}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
