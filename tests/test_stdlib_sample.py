"""Linting real code: a seeded sample of this interpreter's standard library never crashes."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest

from agentsense.analyzers.engine import fix_source, lint
from tests.helpers import config_for

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Files that broke libcst-based tools before: deep nesting, huge literals, odd encodings.
KNOWN_HARD = [
    "pydoc_data/topics.py",
    "test/test_grammar.py",
    "test/badsyntax_3131.py",
    "lib2to3/tests/data/py2_test_grammar.py",
    "encodings/cp1252.py",
]


def _sample() -> list[Path]:
    files = sorted(p for p in STDLIB.rglob("*.py") if "site-packages" not in p.parts)
    chosen = random.Random(2026).sample(files, 40)
    return chosen + [STDLIB / name for name in KNOWN_HARD if (STDLIB / name).exists()]


@pytest.mark.parametrize("path", _sample(), ids=lambda p: str(p.relative_to(STDLIB)))
def test_stdlib_file_lints_and_fixes_without_crashing(path: Path) -> None:
    raw = path.read_bytes()
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 (the CLI reports such files and goes on)")
    config = config_for(["ALL"])
    findings = lint(source, str(path), config)
    for finding in findings:
        assert 1 <= finding.span.start.row <= source.count("\n") + 1
        assert finding.span.start <= finding.span.end
    fixed, _, _ = fix_source(source, str(path), config, unsafe=True)
    if fixed != source:
        compile(fixed, str(path), "exec", dont_inherit=True)  # fixes never break the file
