"""bench/real_corpus.py: which archive members count as user code, and how stored verdicts
follow their findings (no network: the download step is not run here)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path, PurePosixPath
from types import ModuleType

import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "real_corpus.py"


@pytest.fixture(scope="module")
def corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_corpus", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_corpus"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_selects_examples_and_tool_prefixes_but_not_tests(corpus: ModuleType) -> None:
    plain = corpus.Source("openai")
    assert corpus._selected(PurePosixPath("examples/chat/app.py"), plain)
    assert not corpus._selected(PurePosixPath("src/openai/client.py"), plain)
    assert not corpus._selected(PurePosixPath("examples/tests/test_app.py"), plain)
    assert not corpus._selected(PurePosixPath("examples/README.md"), plain)
    tools = corpus.Source("agno", prefixes=("agno/tools",))
    assert corpus._selected(PurePosixPath("agno/tools/web.py"), tools)
    assert not corpus._selected(PurePosixPath("agno/toolsets/web.py"), tools)


def test_verdicts_follow_moved_lines_and_report_what_disappeared(
    corpus: ModuleType, tmp_path: Path
) -> None:
    moved = corpus.Hit("AGT101", "a/x.py", 12, "msg", "while True:")
    other = corpus.Hit("AGT501", "a/x.py", 3, "msg", "input()")
    stored = [
        corpus.Verdict("AGT101", "a/x.py", 10, corpus.snippet_hash("while True:"), "right", ""),
        corpus.Verdict("AGT302", "a/y.py", 5, corpus.snippet_hash('KEY = "x"'), "wrong", ""),
    ]
    path = tmp_path / "verdicts.json"
    path.write_text(json.dumps([_as_dict(v) for v in stored]))
    loaded = corpus.load_verdicts(path)
    matched, gone = corpus.match_verdicts([moved, other], loaded)
    assert matched == {moved: loaded[0]}
    assert [v.rule for v in gone] == ["AGT302"]


def _as_dict(verdict: object) -> dict[str, object]:
    fields = ("rule", "file", "line", "snippet_hash", "verdict", "reason")
    return {name: getattr(verdict, name) for name in fields}


def test_stored_verdicts_are_well_formed(corpus: ModuleType) -> None:
    verdicts = corpus.load_verdicts(_PATH.with_name("verdicts.json"))
    assert verdicts
    assert {v.verdict for v in verdicts} <= {"right", "wrong", "debatable"}
    assert all(v.reason and len(v.snippet_hash) == 12 for v in verdicts)
