"""`bench/run`: agentsense against the libcst floor and its peers, on two corpora, in one run.

    bench/run [--quick] [--repeat 3] [--lines 100000] [--peers ruff,bandit,pylint,fixit]
        [--corpus NAME=PATH ...] [--agt212 50,200,800] [--editor] [--output FILE]

Builds two corpora into a cache (`~/.cache/agentsense-bench`, or `$AGENTSENSE_BENCH_CACHE`):
`stdlib`, the running interpreter's standard library without tests, and `frameworks`, the
agent-framework packages installed in this environment by the `frameworks` extra
(langchain_core, mcp, agents, pydantic_ai, smolagents, fastmcp, agno, llama_index). Each is a
defined slice: files drawn with a fixed seed until `--lines` lines, copied under the cache so
every tool sees the same tree and no configuration of the original's.

On each corpus, every tool runs as its own process, interleaved round by round (the machine is
shared: medians of `--repeat` rounds, and ratios to the floor measured in the same rounds):
the floor (a bare `libcst.parse_module` of every file in one process), `agentsense check` cold
at `-j 1`, `-j 2` (and `-j` the core count when that differs), warm (the result cache filled),
Ruff, Bandit, Pylint with one check (unused-import), and Fixit on a sample of the corpus in one
process (its wall time scaled to the corpus by lines). Per tool: median wall and CPU seconds,
lines/s, the ratio to the floor, the peak RSS of its largest process and of its process tree.
Then `agentsense check` of one small file against a bare parse process (start-up), and AGT212
with N files registering one tool name (time and output size against N).

Peers run from their own environment (`CACHE/peers`, created with pinned versions on first
use): Fixit pins click < 8.2, which the frameworks extra's huggingface-hub refuses.

Results go to `bench/results/latest.json` and the summary table in README.md is rewritten from
it (`--summary` only re-renders it from the JSON; `--quick`, a smoke test on a small slice,
writes `bench/results/quick.json` and leaves the README alone). `--editor` also runs `bench/lsp_latency.py` and stores its table.

agentsense runs from bytecode, as from an installed wheel (pip compiles it at install): where
PYTHONDONTWRITEBYTECODE is set, as in some sandboxes, each run would compile agentsense's
modules from source again (~0.2 s of a one-file check), so its runs use a bytecode cache
(`CACHE/pycache`, PYTHONPYCACHEPREFIX) that the first run fills (`--no-bytecode`: the
uncached case instead).
Not a test: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
README_START = "<!-- bench/run summary: generated from bench/results/latest.json -->"
README_END = "<!-- end of bench/run summary -->"
FORMAT_VERSION = 1

FRAMEWORK_PACKAGES = (
    "langchain_core",
    "mcp",
    "agents",
    "pydantic_ai",
    "smolagents",
    "fastmcp",
    "agno",
    "llama_index",
)
# Folders never taken into a corpus: test suites (the stdlib's hold deliberately broken code)
# and whatever else is installed next to the stdlib.
SKIPPED_PARTS = frozenset(
    {"test", "tests", "testing", "site-packages", "dist-packages", "__pycache__", "idle_test"}
)
PEER_VERSIONS = {"ruff": "0.17.6", "bandit": "1.9.4", "pylint": "4.1.5", "fixit": "2.2.1"}
ALL_PEERS = ("ruff", "bandit", "pylint", "fixit")

FLOOR_SCRIPT = """
import sys, libcst
for name in sys.argv[1:]:
    with open(name, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    try:
        libcst.parse_module(text)
    except Exception:
        pass  # a file libcst cannot parse costs the same everywhere
"""
FIXIT_SCRIPT = """
import sys
from pathlib import Path
from fixit.api import fixit_paths
from fixit.ftypes import Options
# One process, as the other columns (fixit's CLI spreads files over every core).
for _ in fixit_paths([Path(p) for p in sys.argv[1:]], options=Options(), parallel=False):
    pass
"""
STARTUP_FILE = '''"""A small agent module: what pre-commit hands `agentsense check` a few at a time."""

from agentsense.runtime.registry import tool


@tool
def forecast(city: str, days: int = 1) -> str:
    """The weather forecast for a city."""
    return f"{city}: sunny for {days} day(s)"


def run(client, question: str) -> str:
    messages = [{"role": "user", "content": question}]
    for _ in range(10):
        reply = client.chat.completions.create(model="gpt-4o", messages=messages)
        if reply.choices[0].finish_reason == "stop":
            return reply.choices[0].message.content
    return ""
'''


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "agentsense-bench"
    return Path(os.environ.get("AGENTSENSE_BENCH_CACHE", default))


# -- corpora ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Corpus:
    name: str
    description: str
    root: Path  # the copy every tool runs on
    files: tuple[Path, ...]
    lines: int


def _candidates(roots: Sequence[Path]) -> list[tuple[Path, Path]]:
    """(file, the root it is under) for every .py file of the roots, in a stable order."""
    found: list[tuple[Path, Path]] = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in paths:
            relative = path.relative_to(root.parent)
            if SKIPPED_PARTS.isdisjoint(relative.parts[:-1]) and path.is_file():
                found.append((path, root))
    return found


def build_corpus(
    name: str, description: str, roots: Sequence[Path], target: Path, lines: int, seed: int = 0
) -> Corpus:
    """Copy a seeded sample of the roots' files, up to `lines` lines, into `target`."""
    candidates = _candidates(roots)
    random.Random(seed).shuffle(candidates)
    shutil.rmtree(target, ignore_errors=True)
    chosen: list[Path] = []
    total = 0
    for path, root in candidates:
        if total >= lines:
            break
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        destination = target / path.relative_to(root.parent)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
        chosen.append(destination)
        total += text.count("\n")
    return Corpus(name, description, target, tuple(sorted(chosen)), total)


def sample_of(corpus: Corpus, target: Path, lines: int) -> Corpus:
    """A seeded sub-sample of a corpus (for the slowest peer), up to `lines` lines."""
    return build_corpus(
        f"{corpus.name}-sample",
        f"sample of {corpus.name}",
        [corpus.root],
        target,
        lines,
        seed=1,
    )


def default_corpora(cache: Path, lines: int) -> list[Corpus]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    purelib = Path(sysconfig.get_paths()["purelib"])
    packages = [purelib / name for name in FRAMEWORK_PACKAGES if (purelib / name).is_dir()]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return [
        build_corpus(
            "stdlib",
            f"Python {version} standard library without tests, seeded slice",
            [stdlib],
            cache / "corpora" / "stdlib",
            lines,
        ),
        build_corpus(
            "frameworks",
            "installed agent-framework packages ("
            + ", ".join(p.name for p in packages)
            + "), seeded slice",
            packages,
            cache / "corpora" / "frameworks",
            lines,
        ),
    ]


# -- measuring one process -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    wall: float
    cpu: float  # user + system of the process and every child it waited for
    max_rss_mb: float  # the largest single process of the tree
    tree_rss_mb: float  # the largest sum over the tree, sampled every 20 ms
    exit_code: int
    output_bytes: int
    # CPU seconds of the root process and of the busiest other process of its tree (a
    # worker), sampled every 20 ms: with idle cores the wall time of a parallel run is about
    # their sum, whatever the load was while it was measured.
    root_cpu: float = 0.0
    children_cpu: tuple[float, ...] = ()  # busiest first

    @property
    def busiest_child_cpu(self) -> float:
        return self.children_cpu[0] if self.children_cpu else 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    return found


def _tree_sample(pid: int, cpu: dict[int, float]) -> int:
    """The tree's resident bytes now; each process's CPU seconds so far go into `cpu`."""
    page = os.sysconf("SC_PAGE_SIZE")
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * page
            with open(f"/proc/{current}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
            # utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
            cpu[current] = (int(fields[11]) + int(fields[12])) / ticks
        pending.extend(_children(current))
    return total


# The environment of agentsense's runs (`bytecode_env`); None: this process's.
AGENTSENSE_ENV: dict[str, str] | None = None


def bytecode_env(cache: Path) -> dict[str, str]:
    """This environment with Python's bytecode cache on, kept under `cache`."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
    return env


def measure(
    command: Sequence[str],
    cwd: Path,
    output: Path | None = None,
    env: dict[str, str] | None = None,
) -> Measured:
    """Run a command to completion: wall, CPU and memory of it and its children."""
    with tempfile.TemporaryFile() as captured:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, stdout=captured, stderr=subprocess.DEVNULL, env=env
        )
        peak = [0]
        cpu: dict[int, float] = {}
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.02):
                peak[0] = max(peak[0], _tree_sample(process.pid, cpu))

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        stop.set()
        watcher.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        size = captured.tell()
    if output is not None and output.exists():
        size = output.stat().st_size
    max_rss = usage.ru_maxrss / 1024  # KiB on Linux
    total_cpu = usage.ru_utime + usage.ru_stime
    children = sorted((s for pid, s in cpu.items() if pid != process.pid), reverse=True)
    return Measured(
        wall,
        total_cpu,
        round(max_rss, 1),
        round(max(peak[0] / 2**20, max_rss), 1),
        process.returncode,
        size,
        round(cpu.get(process.pid, total_cpu), 3),
        tuple(round(seconds, 3) for seconds in children),
    )


# -- tools -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tool:
    key: str  # stable name in the JSON
    label: str
    command: tuple[str, ...]
    sample: bool = False  # runs on the corpus' sample; figures scaled to the whole by lines


def agentsense_command() -> list[str]:
    script = Path(sys.executable).with_name("agentsense")
    return [str(script)] if script.exists() else [sys.executable, "-m", "agentsense"]


def find_peer(cache: Path, name: str) -> Path | None:
    for folder in (cache / "peers" / "bin", Path(sys.executable).parent):
        if (folder / name).exists():
            return folder / name
    found = shutil.which(name)
    return Path(found) if found else None


def install_peers(cache: Path) -> None:
    """The peers' own environment, with the pinned versions (PyPI only)."""
    venv = cache / "peers"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = [f"{name}=={version}" for name, version in PEER_VERSIONS.items()]
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *pins], check=True)


def peer_version(executable: Path) -> str:
    try:
        done = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    match = re.search(r"\d+\.\d+(\.\d+)?", done.stdout + done.stderr)
    return match.group(0) if match else "?"


def tools_for(
    corpus: Corpus, sample: Corpus | None, jobs: Sequence[int], peers: dict[str, Path], warm: Path
) -> list[Tool]:
    files = [str(path) for path in corpus.files]
    # No time budget: under load a big file passes the default 10 s, is reported as not
    # linted and is not cached (cold runs look faster, warm runs redo it).
    agentsense = [*agentsense_command(), "check", "--select", "ALL", "--exit-zero"]
    agentsense += ["--file-time-budget", "0"]
    agentsense += ["--output-format", "concise", str(corpus.root)]
    tools = [Tool("floor", "libcst parse (floor)", (sys.executable, "-c", FLOOR_SCRIPT, *files))]
    for count in jobs:
        tools.append(
            Tool(f"agentsense_j{count}", f"agentsense -j {count}", (*agentsense, "-j", str(count)))
        )
    tools.append(
        Tool(
            "agentsense_warm",
            f"agentsense warm -j {jobs[-1]}",
            (*agentsense, "-j", str(jobs[-1]), "--cache-dir", str(warm)),
        )
    )
    for index, tool in enumerate(tools):
        if tool.key.startswith("agentsense_j"):
            tools[index] = Tool(tool.key, tool.label, (*tool.command, "--no-cache"))
    root = str(corpus.root)
    if "ruff" in peers:
        command: tuple[str, ...] = (
            str(peers["ruff"]),
            "check",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            root,
        )
        tools.append(Tool("ruff", "Ruff (default rules)", command))
    if "bandit" in peers:
        tools.append(Tool("bandit", "Bandit", (str(peers["bandit"]), "-r", "-q", root)))
    if "pylint" in peers:
        command = (
            str(peers["pylint"]),
            "--disable=all",
            "--enable=unused-import",
            "--jobs=1",
            "--recursive=y",
            "--exit-zero",
            "--score=n",
            root,
        )
        tools.append(Tool("pylint", "Pylint (1 check)", command))
    if "fixit" in peers and sample is not None:
        python = peers["fixit"].with_name("python")
        sampled = [str(path) for path in sample.files]
        command = (str(python), "-c", FIXIT_SCRIPT, *sampled)
        tools.append(Tool("fixit", "Fixit (sample, scaled)", command, sample=True))
    return tools


def _median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3)


def summarise(tool: Tool, runs: Sequence[Measured], corpus: Corpus, scale: float) -> dict[str, Any]:
    """Medians over the rounds; a sample tool's times scaled to the whole corpus."""
    wall = statistics.median(run.wall for run in runs) * scale
    cpu = statistics.median(run.cpu for run in runs) * scale
    return {
        "key": tool.key,
        "label": tool.label,
        "command": [os.path.basename(tool.command[0]), *tool.command[1:4]],
        "status": "ok" if all(run.exit_code >= 0 for run in runs) else "failed",
        "runs": [
            {
                "wall": round(run.wall, 3),
                "cpu": round(run.cpu, 3),
                "max_rss_mb": run.max_rss_mb,
                "tree_rss_mb": run.tree_rss_mb,
                "exit_code": run.exit_code,
                "root_cpu": run.root_cpu,
                "children_cpu": list(run.children_cpu),
            }
            for run in runs
        ],
        "scaled_by": round(scale, 3),
        "wall": round(wall, 3),
        "cpu": round(cpu, 3),
        "lines_per_s": round(corpus.lines / wall) if wall else None,
        "max_rss_mb": max(run.max_rss_mb for run in runs),
        "tree_rss_mb": max(run.tree_rss_mb for run in runs),
        "ratio_to_floor": None,  # filled in once the floor is known
    }


def bench_corpus(
    corpus: Corpus,
    sample: Corpus | None,
    jobs: Sequence[int],
    peers: dict[str, Path],
    repeat: int,
    cache: Path,
) -> dict[str, Any]:
    warm = cache / "warm" / corpus.name
    shutil.rmtree(warm, ignore_errors=True)
    tools = tools_for(corpus, sample, jobs, peers, warm)
    for tool in tools:
        if tool.key == "agentsense_warm":
            # Fills the result cache (and the bytecode cache, before any run is measured).
            measure(tool.command, corpus.root, env=AGENTSENSE_ENV)
    runs: dict[str, list[Measured]] = {tool.key: [] for tool in tools}
    for round_number in range(repeat):
        # Interleaved, each round starting one tool later: load spikes spread over every tool.
        shift = round_number % len(tools)
        for tool in tools[shift:] + tools[:shift]:
            env = AGENTSENSE_ENV if tool.key.startswith("agentsense") else None
            runs[tool.key].append(measure(tool.command, corpus.root, env=env))
            print(f"  {corpus.name} round {round_number + 1}: {tool.label}", file=sys.stderr)
    results = []
    for tool in tools:
        scale = corpus.lines / sample.lines if tool.sample and sample and sample.lines else 1.0
        results.append(summarise(tool, runs[tool.key], corpus, scale))
    floor = results[0]["wall"]
    for result in results:
        result["ratio_to_floor"] = round(result["wall"] / floor, 3) if floor else None
    by_key = {result["key"]: result for result in results}
    derived: dict[str, float | None] = {}

    def ratio(slow: str, fast: str) -> float | None:
        if slow in by_key and fast in by_key and by_key[fast]["wall"]:
            return round(float(by_key[slow]["wall"]) / float(by_key[fast]["wall"]), 3)
        return None

    derived["j2_speedup"] = ratio("agentsense_j1", "agentsense_j2")
    # What -j 2 gives on two idle cores: -j 1's CPU over the parent's plus the busiest
    # worker's (robust to the load of a shared machine, unlike the wall ratio).
    if "agentsense_j1" in runs and "agentsense_j2" in runs:
        one = statistics.median(run.cpu for run in runs["agentsense_j1"])
        two = statistics.median(
            run.root_cpu + run.busiest_child_cpu for run in runs["agentsense_j2"]
        )
        derived["j2_speedup_cpu_bound"] = round(one / two, 3) if two else None
        # The busiest worker's CPU over an even share of all the workers' (1.0: balanced).
        derived["j2_worker_balance"] = _median(
            [
                run.busiest_child_cpu / (sum(run.children_cpu) / 2)
                for run in runs["agentsense_j2"]
                if sum(run.children_cpu)
            ]
            or [0.0]
        )
    derived["warm_speedup"] = ratio("agentsense_j1", "agentsense_warm")
    # Fixit's per-line time over agentsense's, both in one process.
    derived["per_line_vs_fixit"] = ratio("fixit", "agentsense_j1")
    return {
        "name": corpus.name,
        "description": corpus.description,
        "files": len(corpus.files),
        "lines": corpus.lines,
        "sample": {"files": len(sample.files), "lines": sample.lines} if sample else None,
        "tools": results,
        "derived": derived,
    }


def bench_startup(cache: Path, repeat: int) -> dict[str, Any]:
    """`agentsense check` of one small file against a bare-parse process on it."""
    folder = cache / "startup"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "agent.py"
    path.write_text(STARTUP_FILE, encoding="utf-8")
    check = (*agentsense_command(), "check", "--no-cache", "--exit-zero", str(path))
    floor = (sys.executable, "-c", FLOOR_SCRIPT, str(path))
    runs: dict[str, list[Measured]] = {"agentsense": [], "floor": []}
    measure(check, folder, env=AGENTSENSE_ENV)  # the bytecode cache, when run alone
    for _ in range(max(5, repeat * 3)):
        runs["agentsense"].append(measure(check, folder, env=AGENTSENSE_ENV))
        runs["floor"].append(measure(floor, folder))
    agentsense = _median([run.wall for run in runs["agentsense"]])
    bare = _median([run.wall for run in runs["floor"]])
    return {
        "file_lines": STARTUP_FILE.count("\n"),
        "runs": len(runs["agentsense"]),
        "agentsense_wall": agentsense,
        "floor_wall": bare,
        "agentsense_max_rss_mb": max(run.max_rss_mb for run in runs["agentsense"]),
        "ratio_to_floor": round(agentsense / bare, 3) if bare else None,
    }


def duplicate_corpus(folder: Path, count: int) -> None:
    """`count` modules of one package, each registering a tool named `search`."""
    shutil.rmtree(folder, ignore_errors=True)
    package = folder / "tools"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    for index in range(count):
        (package / f"search_{index:04d}.py").write_text(
            "from agentsense.runtime.registry import tool\n\n\n"
            '@tool(name="search")\n'
            f"def search_{index}(query: str) -> list[str]:\n"
            f'    """Search source {index}."""\n'
            "    return [query]\n",
            encoding="utf-8",
        )


def bench_agt212(cache: Path, sizes: Sequence[int], repeat: int) -> list[dict[str, Any]]:
    """AGT212 with N files registering one name: time, memory and output size against N."""
    out = []
    for count in sizes:
        folder = cache / "agt212" / f"n{count}"
        duplicate_corpus(folder, count)
        report = cache / "agt212" / f"n{count}.json"
        command: tuple[str, ...] = (*agentsense_command(), "check", "--no-cache", "-j", "1")
        command += (
            "--exit-zero",
            "--file-time-budget",
            "0",
            "--select",
            "AGT212",
            "--output-format",
            "json",
            "-o",
            str(report),
        )
        runs = [
            measure((*command, str(folder)), folder, report, env=AGENTSENSE_ENV)
            for _ in range(repeat)
        ]
        try:
            findings = len(json.loads(report.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            findings = -1
        wall = _median([run.wall for run in runs])
        out.append(
            {
                "n": count,
                "wall": wall,
                "cpu": _median([run.cpu for run in runs]),
                "max_rss_mb": max(run.max_rss_mb for run in runs),
                "output_bytes": runs[-1].output_bytes,
                "findings": findings,
                "wall_per_file_ms": round(1000 * wall / count, 2),
                "output_bytes_per_file": round(runs[-1].output_bytes / count),
            }
        )
        print(f"  AGT212 N={count}: {wall:.2f} s", file=sys.stderr)
    return out


def bench_editor() -> dict[str, Any]:
    """bench/lsp_latency.py's table, as rows of numbers."""
    script = ROOT / "bench" / "lsp_latency.py"
    done = subprocess.run(
        [sys.executable, str(script), "--edits", "20"],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    rows = []
    for line in done.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1].isdigit():
            what, count, p50, p95, worst = cells
            rows.append(
                {"what": what, "n": int(count), "p50_ms": float(p50), "p95_ms": float(p95)}
                | {"max_ms": float(worst)}
            )
    return {"exit_code": done.returncode, "rows": rows}


# -- the summary -----------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    ("agentsense_j1", "agentsense -j 1"),
    ("agentsense_j2", "-j 2"),
    ("agentsense_warm", "warm"),
    ("ruff", "Ruff"),
    ("bandit", "Bandit"),
    ("pylint", "Pylint (1 check)"),
    ("fixit", "Fixit (sample)"),
)


def _times(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}x"


def summary_table(results: dict[str, Any]) -> str:
    """The README's summary: ratios to the floor per corpus, then the derived figures."""
    header = ["corpus", "files", "lines", "floor (s)"] + [label for _, label in SUMMARY_COLUMNS]
    header += ["-j 2 speed-up (wall)", "-j 2 on idle cores", "warm speed-up"]
    header += ["per line vs Fixit", "peak RSS -j 1 (MB)", "floor's peak RSS (MB)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for corpus in results["corpora"]:
        tools = {tool["key"]: tool for tool in corpus["tools"]}
        floor = tools["floor"]["wall"]
        cells = [corpus["name"], str(corpus["files"]), str(corpus["lines"]), f"{floor:.1f}"]
        for key, _ in SUMMARY_COLUMNS:
            cells.append(_times(tools[key]["ratio_to_floor"]) if key in tools else "—")
        derived = corpus["derived"]
        cells += [
            _times(derived["j2_speedup"]),
            _times(derived.get("j2_speedup_cpu_bound")),
            _times(derived["warm_speedup"], 0),
            _times(derived["per_line_vs_fixit"], 1),
            f"{tools['agentsense_j1']['max_rss_mb']:.0f}" if "agentsense_j1" in tools else "—",
            f"{tools['floor']['max_rss_mb']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    machine = results["machine"]
    notes = [
        f"Ratios to the floor (a bare `libcst.parse_module` of every file in one process), "
        f'median wall of {results["settings"]["repeat"]} interleaved rounds ("on idle cores": '
        "-j 1's CPU time over that of -j 2's parent plus its busiest worker); "
        f"{machine['cpus']} cores, load {machine['load_before'][0]:.1f} before and "
        f"{machine['load_after'][0]:.1f} after; {results['created'][:10]}, `{results['command']}`"
        # Said only when known (results from before the setting existed do not record it).
        + (" (agentsense without bytecode)" if results["settings"].get("bytecode") is False else "")
        + "."
    ]
    startup = results.get("startup")
    if startup:
        notes.append(
            f"`agentsense check` of one {startup['file_lines']}-line file: "
            f"{startup['agentsense_wall']:.2f} s wall "
            f"(a bare parse process: {startup['floor_wall']:.2f} s)."
        )
    duplicates = results.get("agt212") or []
    if duplicates:
        parts = [
            f"N={row['n']}: {row['wall']:.2f} s, {row['output_bytes'] / 1000:.0f} kB"
            for row in duplicates
        ]
        notes.append("AGT212, N files registering one name: " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def readme_block(results: dict[str, Any]) -> str:
    return f"{README_START}\n{summary_table(results)}{README_END}"


def update_readme(readme: Path, results: dict[str, Any]) -> bool:
    """Replace the summary between the markers; False when the README has no markers."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        return False
    readme.write_text(pattern.sub(lambda _: readme_block(results), text), encoding="utf-8")
    return True


def print_results(results: dict[str, Any]) -> None:
    for corpus in results["corpora"]:
        print(f"\n{corpus['name']}: {corpus['files']} files, {corpus['lines']} lines")
        print(f"  ({corpus['description']})")
        print(
            f"{'tool':28} {'wall s':>8} {'cpu s':>8} {'lines/s':>9} {'x floor':>8} "
            f"{'RSS MB':>7} {'tree MB':>8}"
        )
        for tool in corpus["tools"]:
            print(
                f"{tool['label']:28} {tool['wall']:8.2f} {tool['cpu']:8.2f} "
                f"{tool['lines_per_s'] or 0:9d} {tool['ratio_to_floor'] or 0:8.2f} "
                f"{tool['max_rss_mb']:7.0f} {tool['tree_rss_mb']:8.0f}"
            )
        print("  " + ", ".join(f"{k} {v}" for k, v in corpus["derived"].items()))
    print()
    print(summary_table(results))


# -- main ------------------------------------------------------------------------------------


def _named_corpus(spec: str, cache: Path, lines: int) -> Corpus:
    name, _, path = spec.partition("=")
    if not path:
        raise SystemExit(f"--corpus wants NAME=PATH, got {spec!r}")
    return build_corpus(
        name, f"{path}, seeded slice", [Path(path)], cache / "corpora" / name, lines
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test on small slices")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 3; quick 1)")
    parser.add_argument("--lines", type=int, default=None, help="lines per corpus (100 000)")
    parser.add_argument("--sample-lines", type=int, default=None, help="Fixit's sample (15 000)")
    parser.add_argument("--corpus", action="append", default=[], help="NAME=PATH instead")
    parser.add_argument("--peers", default=",".join(ALL_PEERS), help="comma-separated, or none")
    parser.add_argument("--agt212", default=None, help="sizes N (default 50,200,800)")
    parser.add_argument("--agt212-repeat", type=int, default=None, help="(default: --repeat)")
    parser.add_argument("--editor", action="store_true", help="also run bench/lsp_latency.py")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="agentsense compiles its modules each run"
    )
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--summary", action="store_true", help="only rewrite the README's table from latest.json"
    )
    args = parser.parse_args(argv)
    if args.summary:
        latest = json.loads((RESULTS / "latest.json").read_text(encoding="utf-8"))
        print(summary_table(latest))
        return 0 if update_readme(README, latest) else 1
    quick = args.quick
    repeat = args.repeat or (1 if quick else 3)
    lines = args.lines or (3_000 if quick else 100_000)
    sample_lines = args.sample_lines or (1_000 if quick else 15_000)
    sizes = [int(n) for n in (args.agt212 or ("5,10" if quick else "50,200,800")).split(",") if n]
    cache = args.cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    global AGENTSENSE_ENV
    AGENTSENSE_ENV = None if args.no_bytecode else bytecode_env(cache)
    output = args.output or RESULTS / ("quick.json" if quick else "latest.json")

    wanted = [p for p in args.peers.split(",") if p and p != "none"]
    if wanted and not quick and not (cache / "peers" / "bin" / "python").exists():
        install_peers(cache)
    peers: dict[str, Path] = {}
    for name in wanted:
        found = find_peer(cache, name)
        if found is not None:
            peers[name] = found
    load_before = os.getloadavg()
    corpora = (
        [_named_corpus(spec, cache, lines) for spec in args.corpus]
        if args.corpus
        else default_corpora(cache, lines)
    )
    cpus = os.cpu_count() or 1
    jobs = sorted({1, 2, cpus})
    measured = []
    for corpus in corpora:
        print(f"{corpus.name}: {len(corpus.files)} files, {corpus.lines} lines", file=sys.stderr)
        sample = sample_of(corpus, cache / "corpora" / f"{corpus.name}-sample", sample_lines)
        measured.append(bench_corpus(corpus, sample, jobs, peers, repeat, cache))
    results: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["bench/run", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {
            "cpus": cpus,
            "python": sys.version.split()[0],
            "libcst": importlib.metadata.version("libcst"),
            "agentsense": importlib.metadata.version("agentsense"),
            "load_before": [round(value, 2) for value in load_before],
            "load_after": [],
        },
        "settings": {
            "quick": quick,
            "repeat": repeat,
            "lines": lines,
            "jobs": jobs,
            "bytecode": not args.no_bytecode,
        },
        "peers": {name: peer_version(path) for name, path in peers.items()},
        "corpora": measured,
        "startup": bench_startup(cache, repeat),
        "agt212": bench_agt212(cache, sizes, args.agt212_repeat or repeat),
        "editor": bench_editor() if args.editor else None,
    }
    results["machine"]["load_after"] = [round(value, 2) for value in os.getloadavg()]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print_results(results)
    print(f"written to {output}")
    if not quick and args.output is None and not args.corpus and update_readme(README, results):
        print(f"summary updated in {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
