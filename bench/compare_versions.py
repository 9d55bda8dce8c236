"""Compare two `agentsense check --output-format json` outputs: per rule, what was lost and gained.

    .venv/bin/python bench/compare_versions.py OLD.json NEW.json [--root DIR] [--codes AGT101,...]
        [--old-root DIR --new-root DIR] [--sample 20] [--seed 0] [--json lost.json]

A finding is the triple (file, code, line). Findings are matched exactly first; the rest are
then matched by (file, code, stripped source line text), so a finding whose reported line moved
(a different anchor row, the same statement) is not counted as lost. Only codes present in the
old output are compared unless `--codes` names them (the newer version may have more rules).
File names are shown relative to `--root` (default: the longest common folder of all names).
When the two versions ran on two copies of a tree (`examples/` of two checkouts), give
`--old-root` and `--new-root`: names are then matched relative to each version's own root.
`--sample N` prints at most N lost findings per rule, drawn with `--seed`, for judging.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    file: str  # the name findings are matched by: absolute, or relative to the version's root
    line: int
    message: str
    path: str  # where the source is read from


def _load(path: Path, root: str) -> list[Finding]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Finding(
            item["code"],
            os.path.relpath(item["filename"], root) if root else item["filename"],
            item["location"]["row"],
            item["message"],
            item["filename"],
        )
        for item in data
    ]


class _Sources:
    """Source lines by file name, read once; a file that cannot be read has no lines."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def line(self, file: str, row: int) -> str:
        if file not in self._lines:
            try:
                text = Path(file).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._lines[file] = text.splitlines()
        lines = self._lines[file]
        return lines[row - 1].strip() if 0 < row <= len(lines) else ""


def _pair_off(
    left: list[Finding], right: list[Finding], key: Callable[[Finding], tuple[object, ...]]
) -> tuple[list[Finding], list[Finding]]:
    """Pair findings of equal `key` one to one; (unpaired of `left`, unpaired of `right`)."""
    available = Counter(key(f) for f in right)
    left_rest: list[Finding] = []
    for finding in left:
        if available[key(finding)] > 0:
            available[key(finding)] -= 1
        else:
            left_rest.append(finding)
    wanted = Counter(key(f) for f in left)
    right_rest: list[Finding] = []
    for finding in right:
        if wanted[key(finding)] > 0:
            wanted[key(finding)] -= 1
        else:
            right_rest.append(finding)
    return left_rest, right_rest


def _unmatched(
    left: list[Finding], right: list[Finding], sources: _Sources
) -> tuple[list[Finding], list[Finding]]:
    """(findings of `left` with no partner in `right`, and the reverse), one partner each."""
    left_rest, right_rest = _pair_off(left, right, lambda f: (f.file, f.code, f.line))

    def by_text(finding: Finding) -> tuple[object, ...]:
        text = sources.line(finding.path, finding.line)
        # A blank or unreadable line pairs with nothing: it says nothing about the statement.
        return (finding.file, finding.code, text or id(finding))

    return _pair_off(left_rest, right_rest, by_text)


def _relative(file: str, root: str) -> str:
    return os.path.relpath(file, root) if root else file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--root", default="")
    parser.add_argument("--old-root", default="")
    parser.add_argument("--new-root", default="")
    parser.add_argument("--codes", default="")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    if bool(args.old_root) != bool(args.new_root):
        parser.error("give both --old-root and --new-root, or neither")
    old, new = _load(args.old, args.old_root), _load(args.new, args.new_root)
    codes = set(filter(None, args.codes.split(","))) or {f.code for f in old}
    old = [f for f in old if f.code in codes]
    new = [f for f in new if f.code in codes]
    if args.old_root:
        root = ""  # names are already relative to each version's root
    else:
        names = [os.path.dirname(f.file) for f in old + new]
        root = args.root or (os.path.commonpath(names) if names else "")
    sources = _Sources()
    lost, gained = _unmatched(old, new, sources)

    old_count = Counter(f.code for f in old)
    new_count = Counter(f.code for f in new)
    lost_by_code: dict[str, list[Finding]] = defaultdict(list)
    for finding in lost:
        lost_by_code[finding.code].append(finding)
    gained_count = Counter(f.code for f in gained)

    print(f"{'rule':<8} {'old':>6} {'new':>6} {'lost':>6} {'gained':>6}")
    for code in sorted(codes):
        print(
            f"{code:<8} {old_count[code]:>6} {new_count[code]:>6} "
            f"{len(lost_by_code[code]):>6} {gained_count[code]:>6}"
        )
    print(f"{'total':<8} {len(old):>6} {len(new):>6} {len(lost):>6} {len(gained):>6}")

    rng = random.Random(args.seed)
    shown: list[Finding] = []
    for code in sorted(lost_by_code):
        items = sorted(lost_by_code[code], key=lambda f: (f.file, f.line))
        if args.sample and len(items) > args.sample:
            items = sorted(rng.sample(items, args.sample), key=lambda f: (f.file, f.line))
        shown.extend(items)
    print("\nlost (in old, not in new):")
    for finding in shown:
        where = f"{_relative(finding.file, root)}:{finding.line}"
        print(f"  {finding.code} {where}: {sources.line(finding.path, finding.line)}")
    print("\ngained (in new, not in old):")
    for finding in sorted(gained, key=lambda f: (f.code, f.file, f.line)):
        where = f"{_relative(finding.file, root)}:{finding.line}"
        print(f"  {finding.code} {where}: {sources.line(finding.path, finding.line)}")

    if args.json:
        rows = [
            {
                "rule": f.code,
                "file": _relative(f.file, root),
                "line": f.line,
                "source": sources.line(f.path, f.line),
                "message": f.message,
            }
            for f in shown
        ]
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
