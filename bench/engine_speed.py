"""Engine speed as multiples of a bare libcst parse, on a sample of real files.

Prints, per configuration, the median time per file and the ratio to a bare parse measured
in the same run (the machine is noisy: ratios and medians, never single timings).

    .venv/bin/python bench/engine_speed.py [PATH] [--files N] [--repeat R]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import random
import statistics
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.engine import lint


def sample(root: Path, count: int) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if 200 < len(text) < 200_000:
            files.append((path, text))
    random.Random(7).shuffle(files)
    return files[:count]


def timed(
    label: str, files: list[tuple[Path, str]], repeat: int, run: Callable[[Path, str], object]
) -> tuple[str, float]:
    runs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for path, text in files:
            # A file libcst cannot parse costs the same in every column.
            with contextlib.suppress(Exception):
                run(path, text)
        runs.append(time.perf_counter() - start)
    return label, statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sample(Path(args.path), args.files)
    lines = sum(text.count("\n") for _, text in files)
    all_rules = Config(Path.cwd(), None, Settings())
    one_rule = Config(Path.cwd(), None, Settings(select=["AGT401"]))

    class Walk(cst.CSTVisitor):
        pass

    # The libcst columns run first: linting replaces the `__init__` of some libcst node
    # classes (`cst_parse`), which also speeds up libcst's own parse in this process.
    results = [
        timed("bare libcst parse", files, args.repeat, lambda p, t: cst.parse_module(t)),
        timed(
            "parse + CSTVisitor walk",
            files,
            args.repeat,
            lambda p, t: cst.parse_module(t).visit(Walk()),
        ),
        timed(
            "parse + PositionProvider",
            files,
            args.repeat,
            lambda p, t: MetadataWrapper(cst.parse_module(t)).resolve(PositionProvider),
        ),
        timed(
            "agentsense lint, 1 rule", files, args.repeat, lambda p, t: lint(t, str(p), one_rule)
        ),
        timed(
            "agentsense lint, all rules",
            files,
            args.repeat,
            lambda p, t: lint(t, str(p), all_rules),
        ),
    ]
    base = results[0][1]
    print(
        f"{len(files)} files, {lines} lines, median of {args.repeat} runs "
        f"(Python {sys.version.split()[0]}, libcst {importlib.metadata.version('libcst')})"
    )
    print(f"{'configuration':32} {'total s':>8} {'ms/file':>8} {'x parse':>8}")
    for label, seconds in results:
        print(f"{label:32} {seconds:8.2f} {1000 * seconds / len(files):8.1f} {seconds / base:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
