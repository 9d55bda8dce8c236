"""The result cache: round trips, keys, corrupt entries, unwritable directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.model import (
    Applicability,
    Edit,
    Finding,
    Fix,
    Location,
    RelatedLocation,
    Severity,
    Span,
)
from agentsense.analyzers.project_model import FileResult, NoqaRows, RegistrationSummary
from agentsense.server import cache as server_cache
from agentsense.server.cache import CACHE_DIR_NAME, ResultCache


def _config(**settings: object) -> Config:
    return Config(Path.cwd(), None, Settings.model_validate(settings))


def _result(path: str) -> FileResult:
    span = Span(Location(1, 2), Location(3, 4))
    finding = Finding(
        "AGT302",
        "hardcoded-secret",
        "hardcoded key 'sk-p…Aj'",
        Severity.ERROR,
        path,
        span,
        fix=Fix(
            "Read it from the environment", (Edit(span, "os.environ['K']"),), Applicability.UNSAFE
        ),
        related=(RelatedLocation("/x/b.py", span, "also here"),),
        noqa_row=1,
        secrets=("sk-proj-abcdefghijkl",),
    )
    registration = RegistrationSummary("search", "tool", "default", path, span, noqa_row=1)
    noqa = NoqaRows(False, ((1, ("AGT212",)), (3, ())))
    return FileResult(path, (finding,), (registration,), ("mcp",), noqa)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    result = _result(str(tmp_path / "a.py"))
    key = cache.key("x = 1\n", result.path, _config())
    assert cache.get(key) is None
    cache.put(key, result)
    assert cache.get(key) == result
    assert (tmp_path / CACHE_DIR_NAME / ".gitignore").read_text().endswith("*\n")
    assert (tmp_path / CACHE_DIR_NAME / "CACHEDIR.TAG").exists()


def test_key_covers_content_path_config_and_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ResultCache(tmp_path)
    base = cache.key("x = 1\n", "/p/a.py", _config())
    assert base == cache.key("x = 1\n", "/p/a.py", _config())
    assert base != cache.key("x = 2\n", "/p/a.py", _config())
    assert base != cache.key("x = 1\n", "/p/b.py", _config())
    assert base != cache.key("x = 1\n", "/p/a.py", _config(ignore=["AGT401"]))
    assert base != cache.key("x = 1\n", "/p/a.py", _config(severity={"AGT401": "error"}))
    monkeypatch.setattr(server_cache, "code_fingerprint", lambda: "edited rules")
    assert base != ResultCache(tmp_path).key("x = 1\n", "/p/a.py", _config())


def test_disabled_cache_neither_reads_nor_writes(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, enabled=False)
    key = cache.key("x = 1\n", "/p/a.py", _config())
    cache.put(key, _result("/p/a.py"))
    assert cache.get(key) is None
    assert not (tmp_path / CACHE_DIR_NAME).exists()


def test_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    (tmp_path / CACHE_DIR_NAME).write_text("a file where the directory should be")
    cache = ResultCache(tmp_path)
    key = cache.key("x = 1\n", "/p/a.py", _config())
    cache.put(key, _result("/p/a.py"))  # no exception
    assert cache.get(key) is None
