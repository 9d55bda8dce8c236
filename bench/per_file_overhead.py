"""What linting a file costs over parsing it, measured file by file.

    .venv/bin/python bench/per_file_overhead.py DIR [--rounds 3] [--cli-collector]

For each file, in turn: a bare `libcst.parse_module` (the floor), then `engine.lint` with every
rule, each timed in CPU seconds right after the other, so a busy machine slows both alike and
the ratio stays comparable between runs and versions (`bench/run` times whole processes, whose
ratio moves with the load). A file's time is its fastest of `--rounds`, which drops most of
what other processes add; the ratio is of their sums. Start-up and imports are not counted.

The floor runs in a child process that loads libcst and nothing else: the linter replaces
the `__init__` of some libcst node classes in its own process (`cst_parse`), which makes
libcst's own parse there faster too, so a floor measured next to it would not be libcst's.
`--cli-collector` sets the cyclic garbage collector up as `agentsense check` does
(`check.settle_collector`): the figure `check -j 1` reaches in-process; without it, the engine
as a library runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from pathlib import Path

from agentsense.analyzers.budget import NotLinted
from agentsense.analyzers.config import Config
from agentsense.analyzers.engine import lint
from agentsense.analyzers.registry import all_rules
from agentsense.server.cli.check import settle_collector

# The floor's process: reads the files as below, then parses the one named by each line of
# its input and answers with the CPU time it took.
FLOOR_CHILD = """
import contextlib, gc, sys, time
from pathlib import Path
import libcst
texts = [path.read_text(encoding="utf-8") for path in sorted(Path(sys.argv[1]).rglob("*.py"))]
gc.freeze()
for line in sys.stdin:
    start = time.process_time()
    with contextlib.suppress(Exception):  # a file it cannot parse costs what it cost
        libcst.parse_module(texts[int(line)])
    print(time.process_time() - start, flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
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
    floor = [float("inf")] * len(texts)
    linted = [float("inf")] * len(texts)
    with subprocess.Popen(
        [sys.executable, "-c", FLOOR_CHILD, str(args.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        for _ in range(args.rounds):
            for index, (path, text) in enumerate(texts):
                child.stdin.write(f"{index}\n")
                child.stdin.flush()
                floor[index] = min(floor[index], float(child.stdout.readline()))
                start = time.process_time()
                with contextlib.suppress(NotLinted):
                    lint(text, path, config)
                linted[index] = min(linted[index], time.process_time() - start)
        child.stdin.close()
    total_floor, total = sum(floor), sum(linted)
    print(
        f"{len(texts)} files, fastest of {args.rounds} rounds: floor {total_floor:.2f} s, "
        f"lint {total:.2f} s, {total / total_floor:.3f}x"
    )


if __name__ == "__main__":
    main()
