"""Safe fixes on real code: every changed file still compiles, imports, and keeps its tokens.

    .venv/bin/python bench/fix_corpus.py [TREE ...] [--stdlib] [--corpus] [--limit N]
        [--seed 0] [--jobs 2] [--timeout 20] [--json report.json]

Copies the `.py` files of each tree (the standard library with `--stdlib`, the downloaded
agent frameworks in ~/.cache/agentsense-corpus with `--corpus`) to a temporary folder, runs
`agentsense check --fix` there (safe fixes only, default rules, no cache), and for every file
it changed checks that:

* the fixed file compiles;
* it imports in a child process (with a timeout) wherever the original imported: a fresh
  interpreter loads the file under its module name (its package root found from
  `__init__.py` files, packages and sibling modules from the original tree), once the
  original file and once the fixed one;
* the token stream outside the fixes' edits is unchanged: the fixes are replayed in process
  pass by pass (checked to give `apply_fixes`'s and the CLI's text), and in each pass the
  tokens that touch no accepted edit (layout tokens aside: `compile` checks the layout) are
  the same, in the same order, before and after;
* its comments are the same (none lost, none repeated): reported, not failed, since a fix
  may edit a comment on purpose (AGT900 removes an unused code from a `# noqa`).

Importing runs the files' module code (that is the point): use it on code you trust to be
imported, such as the standard library and published frameworks. `__main__.py` files are not
imported. Not a test: it takes minutes (the standard library is ~2 000 files).
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tokenize
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from agentsense.analyzers.engine import lint
from agentsense.analyzers.fixes import LineIndex, accepted_edits, apply_fixes
from agentsense.analyzers.model import Applicability, Fix, Location

CORPUS = Path.home() / ".cache" / "agentsense-corpus"
AGENTSENSE = Path(sys.executable).with_name("agentsense")
MAX_PASSES = 10

# Loads one file as module `name` (its package imported from `root` first), prints "ok" or
# the exception's type name.
_IMPORTER = r"""
import importlib, importlib.util, sys
root, name, path = sys.argv[1:4]
sys.path.insert(0, root)
try:
    package = name.rpartition(".")[0]
    if package:
        importlib.import_module(package)
    is_package = path.endswith("__init__.py")
    spec = importlib.util.spec_from_file_location(
        name, path,
        submodule_search_locations=[path.rpartition("/")[0]] if is_package else None,
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    print("ok")
except BaseException as error:
    print(type(error).__name__)
"""


@dataclass
class FileReport:
    path: str
    fixes: int = 0
    compiles: bool = True
    original_import: str = ""
    fixed_import: str = ""
    token_violations: list[str] = field(default_factory=list)
    comment_changes: list[str] = field(default_factory=list)
    replay_matches_cli: bool = True


@dataclass
class TreeReport:
    tree: str
    files: int = 0
    changed: int = 0
    fixes: int = 0
    compile_failures: int = 0
    originals_imported: int = 0
    import_regressions: int = 0
    token_violations: int = 0
    comment_changes: int = 0
    replay_mismatches: int = 0
    cli_seconds: float = 0.0
    details: list[FileReport] = field(default_factory=list)


def module_name(path: Path) -> tuple[Path, str]:
    """(import root, dotted module name) of a file, from the `__init__.py` files above it."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def try_import(path: Path, original: Path, timeout: float) -> str:
    """Load `path` as the module `original` is: "ok", the exception's type name, "timeout",
    or "skipped" (a `__main__.py`, a name that cannot be imported). Its packages and siblings
    come from the original tree, so only the file itself differs between the two runs."""
    if path.name == "__main__.py":
        return "skipped"
    root, name = module_name(original)
    if not name or not name.replace(".", "").replace("_", "a").isalnum():
        return "skipped"  # not importable under a name (a dash in a folder, a script)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.gettempdir()}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            done = subprocess.run(
                [sys.executable, "-s", "-B", "-c", _IMPORTER, str(root), name, str(path)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=scratch,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return "timeout"
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


# Layout tokens move with any edit that adds or removes lines; a broken layout fails
# `compile`, which is checked on its own.
_LAYOUT = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT})


def tokens_outside(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, str, int]]:
    """(type, string, row) of the tokens of `text` that touch none of the edited `ranges`
    (character offsets; an empty range is an insertion point, touched by a token around it)."""
    index = LineIndex(text)
    out: list[tuple[int, str, int]] = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in _LAYOUT or token.type == tokenize.ENDMARKER:
            continue
        start = index.offset(Location(token.start[0], token.start[1] + 1))
        end = index.offset(Location(token.end[0], token.end[1] + 1))
        touched = any((start < b and a < end) if a < b else (start < a < end) for a, b in ranges)
        if not touched:
            out.append((token.type, token.string, token.start[0]))
    return out


def comments(text: str) -> Counter[str]:
    """Every comment of `text` (a fix that loses or repeats one changes this)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return Counter()
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def apply_pass(source: str, fixes: list[Fix]) -> tuple[str, int, list[str]]:
    """Apply one pass of fixes as `apply_fixes` does (the first of overlapping fixes wins);
    return the text, the number applied, and token changes outside the accepted edits."""
    accepted, applied = accepted_edits(source, fixes)
    pieces: list[str] = []
    old_ranges: list[tuple[int, int]] = []
    new_ranges: list[tuple[int, int]] = []
    cursor = length = 0
    for start, end, content in accepted:
        kept = source[cursor:start]
        pieces += [kept, content]
        length += len(kept)
        old_ranges.append((start, end))
        new_ranges.append((length, length + len(content)))
        length += len(content)
        cursor = max(cursor, end)
    pieces.append(source[cursor:])
    fixed = "".join(pieces)
    problems: list[str] = []
    try:
        before = tokens_outside(source, old_ranges)
    except (tokenize.TokenError, SyntaxError):
        return fixed, applied, problems  # the original does not tokenize: nothing to compare
    try:
        after = tokens_outside(fixed, new_ranges)
    except (tokenize.TokenError, SyntaxError) as error:
        return fixed, applied, [f"the fixed text does not tokenize: {error}"]
    if [t[:2] for t in before] != [t[:2] for t in after]:
        matcher = difflib.SequenceMatcher(
            a=[t[:2] for t in before], b=[t[:2] for t in after], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                row = before[i1][2] if i1 < len(before) else before[-1][2]
                removed = " ".join(t[1] for t in before[i1:i2])[:60]
                added = " ".join(t[1] for t in after[j1:j2])[:60]
                problems.append(f"row {row}: {removed!r} -> {added!r}")
    return fixed, applied, problems


def replay(source: str, path: str) -> tuple[str, int, list[str]]:
    """Apply safe fixes pass by pass as `fix_source` does; check each pass's tokens."""
    applied_total = 0
    problems: list[str] = []
    for _ in range(MAX_PASSES):
        fixes = [
            f.fix
            for f in lint(source, path)
            if f.fix is not None and f.fix.applicability is Applicability.SAFE
        ]
        if not fixes:
            break
        fixed, applied, found = apply_pass(source, fixes)
        assert (fixed, applied) == apply_fixes(source, fixes), "replay differs from apply_fixes"
        if applied == 0 or fixed == source:
            break
        problems.extend(found)
        source, applied_total = fixed, applied_total + applied
    return source, applied_total, problems


def check_tree(label: str, tree: Path, files: list[Path], args: argparse.Namespace) -> TreeReport:
    report = TreeReport(str(tree), files=len(files))
    work = Path(tempfile.mkdtemp(prefix=f"agentsense-fix-{label}-"))
    copy_root = work / "tree"
    for path in files:
        target = copy_root / path.relative_to(tree)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    started = time.perf_counter()
    subprocess.run(
        [
            *(str(AGENTSENSE), "check", "--fix", "--no-cache", "--quiet", "--exit-zero"),
            *("--jobs", str(args.jobs), str(copy_root)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    report.cli_seconds = round(time.perf_counter() - started, 1)
    for path in files:
        fixed_path = copy_root / path.relative_to(tree)
        original_bytes, fixed_bytes = path.read_bytes(), fixed_path.read_bytes()
        if original_bytes == fixed_bytes:
            continue
        report.changed += 1
        try:
            original = original_bytes.decode("utf-8-sig")
            fixed = fixed_bytes.decode("utf-8-sig")
        except UnicodeDecodeError:
            original = fixed = ""  # the CLI does not fix such files; reported below
        detail = FileReport(str(path.relative_to(tree)))
        replayed, detail.fixes, detail.token_violations = replay(original, str(path))
        detail.replay_matches_cli = replayed.replace("\r\n", "\n") == fixed.replace("\r\n", "\n")
        lost, added = comments(original) - comments(fixed), comments(fixed) - comments(original)
        detail.comment_changes = [f"lost {c!r}" for c in lost] + [f"added {c!r}" for c in added]
        try:
            compile(fixed, str(fixed_path), "exec")
        except (SyntaxError, ValueError):
            detail.compiles = False
        detail.original_import = try_import(path, path, args.timeout)
        if detail.original_import == "ok":
            detail.fixed_import = try_import(fixed_path, path, args.timeout)
        report.fixes += detail.fixes
        report.compile_failures += not detail.compiles
        report.originals_imported += detail.original_import == "ok"
        report.import_regressions += detail.original_import == "ok" and detail.fixed_import != "ok"
        report.token_violations += len(detail.token_violations)
        report.comment_changes += bool(detail.comment_changes)
        report.replay_mismatches += not detail.replay_matches_cli
        report.details.append(detail)
        print(
            f"  {detail.path}: {detail.fixes} fixes, compiles={detail.compiles}, "
            f"import {detail.original_import or '-'} -> {detail.fixed_import or '-'}, "
            f"token violations {len(detail.token_violations)}, "
            f"comment changes {len(detail.comment_changes)}",
            flush=True,
        )
    shutil.rmtree(work, ignore_errors=True)
    return report


def collect(tree: Path, limit: int | None, rng: random.Random) -> list[Path]:
    files = sorted(
        p
        for p in tree.rglob("*.py")
        if p.is_file() and not p.is_symlink() and "site-packages" not in p.parts
    )
    if limit is not None and len(files) > limit:
        files = sorted(rng.sample(files, limit))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path)
    parser.add_argument("--stdlib", action="store_true", help="the standard library")
    parser.add_argument("--corpus", action="store_true", help=f"every project in {CORPUS}")
    parser.add_argument("--limit", type=int, help="a seeded sample of N files per tree")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per import")
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args()
    trees: list[tuple[str, Path]] = [(p.name, p) for p in args.trees]
    if args.stdlib:
        trees.append(("stdlib", Path(sysconfig.get_paths()["stdlib"])))
    if args.corpus and CORPUS.is_dir():
        trees.append(("corpus", CORPUS))
    rng = random.Random(args.seed)
    reports: list[TreeReport] = []
    for label, tree in trees:
        files = collect(tree, args.limit, rng)
        print(f"{label}: {tree} ({len(files)} files)", flush=True)
        reports.append(check_tree(label, tree, files, args))
    print()
    print(
        "tree | files | changed | fixes | compile failures | originals imported | "
        "import regressions | token violations | files with comment changes | replay mismatches "
        "| cli s"
    )
    for r in reports:
        print(
            f"{r.tree} | {r.files} | {r.changed} | {r.fixes} | {r.compile_failures} | "
            f"{r.originals_imported} | {r.import_regressions} | {r.token_violations} | "
            f"{r.comment_changes} | {r.replay_mismatches} | {r.cli_seconds}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=2))
    bad = sum(r.compile_failures + r.import_regressions + r.token_violations for r in reports)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
