"""bench/compare_versions.py: findings of two versions paired by line, then by source text."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "compare_versions.py"


@pytest.fixture(scope="module")
def compare() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_versions", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_versions"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _finding(code: str, path: Path, row: int) -> dict[str, object]:
    return {"code": code, "filename": str(path), "location": {"row": row}, "message": "m"}


def test_moved_anchor_is_kept_and_real_differences_are_listed(
    compare: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "tree" / "agent.py"
    source.parent.mkdir()
    source.write_text("while True:\n    x = 1\n\nwhile True:\n    y = 2\n", encoding="utf-8")
    old = [_finding("AGT101", source, 1), _finding("AGT101", source, 2)]
    old.append(_finding("AGT303", source, 5))
    # Line 4 has the same text as line 1: the second `while True:` pairs with the moved one.
    new = [_finding("AGT101", source, 2), _finding("AGT101", source, 4)]
    new += [_finding("AGT999", source, 1), _finding("AGT303", source, 3)]
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    out = tmp_path / "lost.json"

    compare.main([str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--json", str(out)])

    printed = capsys.readouterr().out
    table = {line.split()[0]: line.split()[1:] for line in printed.splitlines()[1:4]}
    assert table["AGT101"] == ["2", "2", "0", "0"]
    assert table["AGT303"] == ["1", "1", "1", "1"]
    assert "AGT999" not in printed  # a code only the new version has is not compared
    lost = json.loads(out.read_text(encoding="utf-8"))
    assert [(row["rule"], row["file"], row["line"]) for row in lost] == [("AGT303", "agent.py", 5)]
    assert "AGT303 agent.py:3: " in printed.split("gained (in new")[1]


def test_two_checkouts_are_matched_by_names_relative_to_each_root(
    compare: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for side in ("old", "new"):
        path = tmp_path / side / "examples" / "a.py"
        path.parent.mkdir(parents=True)
        path.write_text("x = 1\n", encoding="utf-8")
        found = [_finding("AGT401", path, 1)]
        (tmp_path / f"{side}.json").write_text(json.dumps(found), encoding="utf-8")

    compare.main(
        [
            str(tmp_path / "old.json"),
            str(tmp_path / "new.json"),
            *("--old-root", str(tmp_path / "old"), "--new-root", str(tmp_path / "new")),
        ]
    )

    assert capsys.readouterr().out.splitlines()[1].split() == ["AGT401", "1", "1", "0", "0"]
