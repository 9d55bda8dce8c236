"""The generated registry corpus at full size: linter verdicts against real imports.

    .venv/bin/python bench/registry_corpus.py [--count 2000] [--seed 11] [--show 10]

Draws programs from the grammar in tests/rules/registry_corpus.py, imports each for real in
one child process (statement by statement), lints each, and prints agreement where the
linter speaks and the share of programs where it stays silent on some subject.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.rules.registry_corpus import generate, import_all, judge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--show", type=int, default=10, help="disagreements/silences to print")
    args = parser.parse_args()
    programs = generate(args.count, args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        outcomes = import_all(programs, Path(folder))
    imported = time.perf_counter() - started
    report = judge(programs, outcomes)
    linted = time.perf_counter() - started - imported
    print("\n".join(report.lines()))
    print(f"(import {imported:.1f} s, lint {linted:.1f} s)")
    for line in report.disagreements[: args.show]:
        print("DISAGREE", line)
    for line in report.silences[: args.show]:
        print("SILENT", line)
    sys.exit(1 if report.disagreements or report.leaks else 0)


if __name__ == "__main__":
    main()
