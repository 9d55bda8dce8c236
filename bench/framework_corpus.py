"""Framework code from their sdists: registrations recognised, AGT2xx findings, a sample to judge.

    .venv/bin/python bench/framework_corpus.py CORPUS_DIR [--sample 10] [--seed 0]

CORPUS_DIR holds one folder per framework (the examples and tool packages of its sdist, e.g.
`pip download --no-deps --no-binary :all: openai-agents` unpacked). For each folder: files,
registrations by mechanism (`framework:<name>`, runtime, user registries), tools the catalog
renders (`agentsense tools`), findings of every AGT2xx rule, and a seeded sample of findings
per code with their source line, to judge by hand.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict
from pathlib import Path

import libcst as cst

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.detect.catalog import tool_catalog
from agentsense.analyzers.detect.registrations import registrations_of
from agentsense.analyzers.engine import lint
from agentsense.analyzers.facts import ModuleFacts

CODES = ("AGT201", "AGT210", "AGT211", "AGT212", "AGT213", "AGT214", "AGT215", "AGT216")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated folder names")
    args = parser.parse_args()
    config = Config(Path.cwd(), None, Settings.model_validate({"select": list(CODES)}))
    only = {name for name in args.only.split(",") if name}
    for folder in sorted(p for p in args.corpus.iterdir() if p.is_dir()):
        if folder.name.startswith("_") or (only and folder.name not in only):
            continue
        sources: Counter[str] = Counter()
        findings: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
        files = rendered = 0
        for path in sorted(folder.rglob("*.py")):
            try:
                text = path.read_text(encoding="utf-8")
                module = cst.parse_module(text)
            except (UnicodeDecodeError, cst.ParserSyntaxError, RecursionError):
                continue
            files += 1
            relative = str(path.relative_to(args.corpus))
            for reg in registrations_of(ModuleFacts(module)):
                sources[reg.source] += 1
            rendered += len(tool_catalog(module, relative))
            lines = text.splitlines()
            for finding in lint(text, relative, config):
                row = finding.span.start.row
                line = lines[row - 1].strip() if 0 < row <= len(lines) else ""
                findings[finding.code].append((relative, row, finding.message, line))
        print(
            f"## {folder.name}: {files} files, {sum(sources.values())} registrations, "
            f"{rendered} rendered by the catalog"
        )
        for source, count in sources.most_common():
            print(f"   {source}: {count}")
        for code in CODES:
            if findings[code]:
                print(f"   {code}: {len(findings[code])} findings")
        rng = random.Random(args.seed)
        for code in CODES:
            hits = findings[code]
            for relative, row, message, line in rng.sample(hits, min(args.sample, len(hits))):
                print(f"   [{code}] {relative}:{row}: {message}\n        | {line}")


if __name__ == "__main__":
    main()
