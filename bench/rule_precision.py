"""Run chosen rules over a source tree: findings per 1 000 lines and a seeded sample to judge.

    .venv/bin/python bench/rule_precision.py TREE [TREE ...] --rules AGT601,AGT602 \
        [--exclude-tests] [--exclude site-packages] [--sample 10] [--seed 0] [--jobs 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.engine import lint

_TEST_PARTS = frozenset({"test", "tests", "idle_test", "testing"})


@dataclass(frozen=True, slots=True)
class Hit:
    code: str
    file: str  # as given to `lint_files`: relative to its root
    row: int
    message: str
    line: str  # the finding's source line, stripped


def _files(trees: list[Path], exclude_tests: bool, exclude: set[str]) -> list[Path]:
    found: list[Path] = []
    for tree in trees:
        for path in sorted(tree.rglob("*.py")):
            parts = set(path.relative_to(tree).parts[:-1])
            if parts & exclude:
                continue
            if exclude_tests and (
                parts & _TEST_PARTS or path.name.startswith("test_") or path.name == "conftest.py"
            ):
                continue
            found.append(path)
    return found


def _lint_file(args: tuple[str, str, tuple[str, ...]]) -> tuple[str, int, list[Hit]]:
    """(name, line count, findings) for one file; unreadable files count as zero lines."""
    root, name, codes = args
    try:
        source = (Path(root) / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return name, 0, []
    config = Config(Path.cwd(), None, Settings.model_validate({"select": list(codes)}))
    lines = source.splitlines()
    hits = [
        Hit(f.code, name, f.span.start.row, f.message, lines[f.span.start.row - 1].strip())
        for f in lint(source, name, config)
        if f.code in codes and 0 < f.span.start.row <= len(lines)
    ]
    return name, len(lines), hits


def lint_files(
    root: str, names: list[str], codes: tuple[str, ...], jobs: int
) -> list[tuple[str, int, list[Hit]]]:
    """`_lint_file` for each name below `root` (`""`: names as they are), in `jobs` processes."""
    work = [(root, name, codes) for name in names]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            return list(pool.map(_lint_file, work, chunksize=8))
    return [_lint_file(item) for item in work]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--rules", required=True, help="comma-separated codes")
    parser.add_argument("--exclude-tests", action="store_true")
    parser.add_argument(
        "--exclude", action="append", default=[], help="skip directories with this name"
    )
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write every finding here")
    args = parser.parse_args(argv)
    codes = tuple(c.strip().upper() for c in args.rules.split(",") if c.strip())
    files = _files(args.trees, args.exclude_tests, set(args.exclude))
    total_lines = 0
    by_code: dict[str, list[Hit]] = defaultdict(list)
    for _, lines, hits in lint_files("", [str(f) for f in files], codes, args.jobs):
        total_lines += lines
        for hit in hits:
            by_code[hit.code].append(hit)
    kloc = total_lines / 1000 or 1.0
    print(
        f"{len(files)} files, {total_lines} lines ({'tests excluded' if args.exclude_tests else 'tests included'})"
    )
    for code in codes:
        hits = by_code.get(code, [])
        print(f"\n== {code}: {len(hits)} findings, {len(hits) / kloc:.3f} per 1 000 lines")
        sample = random.Random(f"{args.seed}-{code}").sample(hits, min(args.sample, len(hits)))
        for hit in sample:
            print(f"  {hit.file}:{hit.row}: {hit.message}\n      | {hit.line}")
    if args.json is not None:
        records = [_record(hit) for code in codes for hit in by_code.get(code, [])]
        args.json.write_text(json.dumps(records, indent=1))
    return 0


def _record(hit: Hit) -> dict[str, object]:
    return {
        "code": hit.code,
        "path": hit.file,
        "row": hit.row,
        "message": hit.message,
        "line": hit.line,
    }


if __name__ == "__main__":
    sys.exit(main())
