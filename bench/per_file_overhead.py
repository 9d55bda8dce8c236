"""What linting a file costs over parsing it, measured file by file in one process.

    .venv/bin/python bench/per_file_overhead.py DIR [--rounds 2] [--cli-collector]

For each file, in turn: a bare `libcst.parse_module` (the floor), then `engine.lint` with every
rule. Both are timed in CPU seconds right after each other, so a busy machine slows both alike
and the ratio stays comparable between runs and versions (`bench/run` times whole processes,
whose ratio moves with the load). Start-up and imports are not counted. `--cli-collector`
sets the cyclic garbage collector up as `agentsense check` does (`check.settle_collector`):
the figure `check -j 1` reaches in-process; without it, the engine as a library runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import libcst as cst

from agentsense.analyzers.budget import NotLinted
from agentsense.analyzers.config import Config
from agentsense.analyzers.engine import lint
from agentsense.analyzers.registry import all_rules
from agentsense.server.cli.check import settle_collector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--cli-collector", action="store_true", help="the garbage collector as `check` sets it"
    )
    args = parser.parse_args()
    texts = [
        (str(path), path.read_text(encoding="utf-8")) for path in sorted(args.root.rglob("*.py"))
    ]
    all_rules()
    config = Config.default()
    if args.cli_collector:
        settle_collector()
    floor = total = 0.0
    for _ in range(args.rounds):
        for path, text in texts:
            start = time.process_time()
            with contextlib.suppress(Exception):  # a file it cannot parse costs what it cost
                cst.parse_module(text)
            parsed = time.process_time()
            with contextlib.suppress(NotLinted):
                lint(text, path, config)
            total += time.process_time() - parsed
            floor += parsed - start
    print(f"{len(texts)} files: floor {floor:.2f} s, lint {total:.2f} s, {total / floor:.3f}x")


if __name__ == "__main__":
    main()
