"""A corpus of real agent code from PyPI, the rules' findings on it, and judged verdicts.

    .venv/bin/python bench/real_corpus.py download [--cache DIR] [--only NAME,...]
    .venv/bin/python bench/real_corpus.py scan [--cache DIR] [--rules AGT101,...] [--sample 10]
        [--seed 0] [--context 3] [--verdicts bench/verdicts.json] [--json out.json] [--jobs 1]

`download` fetches each source's sdist (or wheel) with `pip download --no-deps` (PyPI only) and
unpacks only its user-code folders (examples, cookbooks, tools, MCP servers; never tests) into
`CACHE/<source>/`. The default cache is `~/.cache/agentsense-corpus` (or `$AGENTSENSE_CORPUS`).

`scan` lints the cache: files and lines per source, findings per rule per 1 000 lines, a seeded
random sample per rule with context lines for judging, and precision from the verdicts stored in
`bench/verdicts.json` for the findings still present (plus which judged findings disappeared, so
a change can be re-scored). A verdict is keyed by rule, file (relative to the cache) and the
hash of the finding's stripped line; the stored line number only breaks ties.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agentsense.analyzers.registry import all_rules

# The lint worker and its findings are rule_precision.py's, next to this file (its folder is
# on `sys.path` when this script runs, but not when a test loads the script by path).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from rule_precision import Hit, lint_files

_TEST_PARTS = frozenset({"test", "tests", "testing", "conftest.py", "__snapshots__"})
# Folder names that hold user-style agent code rather than framework internals.
_USER_FOLDERS = frozenset(
    {"examples", "example", "cookbook", "cookbooks", "recipes", "demos", "demo", "samples"}
)


@dataclass(frozen=True, slots=True)
class Source:
    """One PyPI distribution and the folders of it that count as user code."""

    name: str
    binary: bool = False  # a wheel instead of the sdist
    folders: frozenset[str] = _USER_FOLDERS
    # Path prefixes (below the archive's top folder) also taken whole, e.g. a tools package.
    prefixes: tuple[str, ...] = ()


SOURCES: tuple[Source, ...] = (
    Source("openai-agents"),
    Source("openai"),
    Source("anthropic"),
    Source("instructor"),
    Source("marvin"),
    Source("controlflow"),
    Source("pydantic-ai-examples", prefixes=("pydantic_ai_examples",)),
    Source("gpt-researcher", prefixes=("gpt_researcher", "multi_agents")),
    Source(
        "open-interpreter", prefixes=("interpreter/core/computer", "interpreter/terminal_interface")
    ),
    Source("mcp"),
    Source("fastmcp"),
    Source(
        "smolagents",
        prefixes=("src/smolagents/default_tools.py", "src/smolagents/vision_web_browser.py"),
    ),
    Source("crewai-tools", prefixes=("src/crewai_tools/tools",)),
    Source("langchain-community", prefixes=("langchain_community/tools",)),
    Source("praisonai", prefixes=("praisonai/tools", "praisonai/agents_generator.py")),
    Source("praisonaiagents", prefixes=("praisonaiagents/tools",)),
    Source("langroid", prefixes=("langroid/agent/tools",)),
    Source("agno", prefixes=("agno/tools",)),
    Source("mcp-server-fetch", prefixes=("src",)),
    Source("mcp-server-git", prefixes=("src",)),
    Source("mcp-server-time", prefixes=("src",)),
    Source("mcp-server-sqlite", prefixes=("src",)),
)


def default_cache() -> Path:
    return Path(os.environ.get("AGENTSENSE_CORPUS", Path.home() / ".cache" / "agentsense-corpus"))


def _archive(downloads: Path, name: str) -> Path | None:
    stem = name.lower().replace("-", "_")
    for path in sorted(downloads.iterdir()):
        lowered = path.name.lower().replace("-", "_")
        if lowered.startswith(stem + "_") and lowered[len(stem) + 1 : len(stem) + 2].isdigit():
            return path
    return None


def _selected(inner: PurePosixPath, source: Source) -> bool:
    if inner.suffix != ".py":
        return False
    parts = inner.parts
    if set(parts) & _TEST_PARTS or inner.name.startswith("test_"):
        return False
    text = inner.as_posix()
    if any(text == p or text.startswith(p.rstrip("/") + "/") for p in source.prefixes):
        return True
    return bool(set(parts[:-1]) & source.folders)


def _members(archive: Path) -> list[tuple[PurePosixPath, bytes]]:
    """(path below the top folder, bytes) of every regular file in an sdist or wheel."""
    out: list[tuple[PurePosixPath, bytes]] = []
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if not info.is_dir():
                    out.append((PurePosixPath(info.filename), zipped.read(info)))
        return out
    with tarfile.open(archive) as tarred:
        for member in tarred.getmembers():
            if not member.isfile():
                continue
            handle = tarred.extractfile(member)
            if handle is None:
                continue
            parts = PurePosixPath(member.name).parts[1:]  # drop `name-version/`
            if parts:
                out.append((PurePosixPath(*parts), handle.read()))
    return out


def download(cache: Path, only: set[str]) -> int:
    downloads = cache / "_downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    failed = 0
    for source in SOURCES:
        if only and source.name not in only:
            continue
        archive = _archive(downloads, source.name)
        if archive is None:
            kind = "--only-binary" if source.binary else "--no-binary"
            command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", kind, ":all:"]
            done = subprocess.run(
                [*command, "-d", str(downloads), source.name], check=False, timeout=900
            )
            archive = _archive(downloads, source.name)
            if done.returncode != 0 or archive is None:
                print(f"{source.name}: download failed", file=sys.stderr)
                failed += 1
                continue
        target = cache / source.name
        count = 0
        for inner, data in _members(archive):
            if not _selected(inner, source):
                continue
            destination = target / inner
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
            count += 1
        print(f"{source.name}: {archive.name}, {count} files")
    return 1 if failed else 0


# --- scan ------------------------------------------------------------------------------------


def snippet_hash(line: str) -> str:
    """What a verdict knows its finding's line by: it survives the line moving."""
    return hashlib.sha256(line.strip().encode()).hexdigest()[:12]


def _context(root: Path, hit: Hit, around: int) -> str:
    try:
        lines = (root / hit.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    first, last = max(1, hit.row - around), min(len(lines), hit.row + around)
    return "\n".join(
        f"      {'>' if n == hit.row else ' '}{n:5} | {lines[n - 1]}"
        for n in range(first, last + 1)
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    rule: str
    file: str
    line: int
    snippet_hash: str
    verdict: str  # right / wrong / debatable
    reason: str


def load_verdicts(path: Path) -> list[Verdict]:
    if not path.is_file():
        return []
    return [Verdict(**record) for record in json.loads(path.read_text())]


def match_verdicts(
    hits: list[Hit], verdicts: list[Verdict]
) -> tuple[dict[Hit, Verdict], list[Verdict]]:
    """Each verdict's finding if still present (same rule, file and line text; nearest row)."""
    pool: dict[tuple[str, str, str], list[Hit]] = defaultdict(list)
    for hit in hits:
        pool[(hit.code, hit.file, snippet_hash(hit.line))].append(hit)
    matched: dict[Hit, Verdict] = {}
    gone: list[Verdict] = []
    for verdict in verdicts:
        candidates = [
            h
            for h in pool.get((verdict.rule, verdict.file, verdict.snippet_hash), [])
            if h not in matched
        ]
        if not candidates:
            gone.append(verdict)
            continue
        best = min(candidates, key=lambda h: abs(h.row - verdict.line))
        matched[best] = verdict
    return matched, gone


def scan(args: argparse.Namespace) -> int:
    cache: Path = args.cache
    codes = (
        tuple(c.strip().upper() for c in args.rules.split(",") if c.strip())
        if args.rules
        else tuple(sorted(r.code for r in all_rules()))
    )
    files = sorted(
        p.relative_to(cache).as_posix()
        for p in cache.rglob("*.py")
        if p.relative_to(cache).parts[0] != "_downloads"
    )
    results = lint_files(str(cache), files, codes, args.jobs)
    per_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    hits: list[Hit] = []
    for name, lines, found in results:
        entry = per_source[name.split("/", 1)[0]]
        entry[0] += 1
        entry[1] += lines
        hits.extend(found)
    total = sum(lines for _, lines in per_source.values())
    print(f"{len(files)} files, {total} lines")
    for source, (count, lines) in sorted(per_source.items()):
        print(f"  {source:24} {count:5} files {lines:8} lines")
    verdicts = [v for v in load_verdicts(args.verdicts) if v.rule in codes]
    matched, gone = match_verdicts(hits, verdicts)
    by_code: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_code[hit.code].append(hit)
    kloc = total / 1000 or 1.0
    print("\nrule     count  per-kloc  judged: right wrong debatable  precision")
    for code in codes:
        found = by_code.get(code, [])
        if not found:
            continue
        tally = {"right": 0, "wrong": 0, "debatable": 0}
        for hit in found:
            if hit in matched:
                tally[matched[hit].verdict] += 1
        judged = sum(tally.values())
        precision = f"{tally['right'] / judged:.0%}" if judged else "-"
        print(
            f"{code:7} {len(found):6} {len(found) / kloc:9.3f}  "
            f"{tally['right']:12} {tally['wrong']:5} {tally['debatable']:9}  {precision:>9}"
        )
    if gone:
        counts = {kind: sum(v.verdict == kind for v in gone) for kind in ("right", "wrong")}
        print(
            f"\n{len(gone)} judged findings disappeared ({counts['right']} were right, "
            f"{counts['wrong']} wrong):"
        )
        for verdict in gone:
            print(f"  {verdict.rule} {verdict.file}:{verdict.line} was {verdict.verdict}")
    if args.sample:
        for code in codes:
            found = by_code.get(code, [])
            if not found:
                continue
            print(f"\n== {code}: {len(found)} findings")
            sample = random.Random(f"{args.seed}-{code}").sample(
                found, min(args.sample, len(found))
            )
            for hit in sample:
                stored = matched.get(hit)
                mark = f" [judged {stored.verdict}]" if stored else ""
                print(f"  {hit.file}:{hit.row} #{snippet_hash(hit.line)}{mark}: {hit.message}")
                if args.context:
                    print(_context(cache, hit, args.context))
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "rule": h.code,
                        "file": h.file,
                        "line": h.row,
                        "snippet_hash": snippet_hash(h.line),
                        "message": h.message,
                        "text": h.line,
                    }
                    for h in hits
                ],
                indent=1,
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("download", help="fetch and unpack the sources")
    get.add_argument("--cache", type=Path, default=default_cache())
    get.add_argument("--only", default="", help="comma-separated source names")
    look = sub.add_parser("scan", help="lint the cache and report")
    look.add_argument("--cache", type=Path, default=default_cache())
    look.add_argument("--rules", default="", help="comma-separated codes (default: all)")
    look.add_argument("--sample", type=int, default=10)
    look.add_argument("--seed", type=int, default=0)
    look.add_argument("--context", type=int, default=3, help="lines shown around each sample")
    look.add_argument("--verdicts", type=Path, default=Path(__file__).with_name("verdicts.json"))
    look.add_argument("--json", type=Path, help="also write every finding here")
    look.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "download":
        only = {n.strip() for n in args.only.split(",") if n.strip()}
        return download(args.cache, only)
    return scan(args)


if __name__ == "__main__":
    sys.exit(main())
