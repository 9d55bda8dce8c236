"""The result cache: round trips, keys, corrupt entries, unwritable directories."""

from __future__ import annotations

from dataclasses import fields, replace
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
from agentsense.server.cli import cache as server_cache
from agentsense.server.cli.cache import CACHE_DIR_NAME, ResultCache


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


def test_entries_of_the_wrong_shape_are_misses(tmp_path: Path) -> None:
    """The codec checks every field's type: an entry this version did not write is a miss."""
    cache = ResultCache(tmp_path)
    key = cache.key("x = 1\n", "/p/a.py", _config())
    cache.put(key, _result("/p/a.py"))
    entry = tmp_path / CACHE_DIR_NAME / key[:2] / f"{key}.json"
    good = entry.read_bytes()
    assert server_cache.decode_result(good) == _result("/p/a.py")
    for bad in (
        good.replace(b'"AGT302"', b"302"),  # a code that is not a string
        good.replace(b'"error"', b'"loud"'),  # no such severity
        good.replace(b"[1,2,3,4]", b"[1,2,3]", 1),  # a span of three numbers
        good.replace(b"[false,", b"[0,", 1),  # an int where the noqa flag is a bool
        good[:-5],  # truncated
        b'{"path": "/p/a.py"}',
    ):
        assert bad != good
        entry.write_bytes(bad)
        assert cache.get(key) is None


def test_any_text_round_trips(tmp_path: Path) -> None:
    """Messages and secrets keep non-ASCII text and lone surrogates exactly."""
    cache = ResultCache(tmp_path)
    base = _result("/p/ünï.py")
    odd = replace(base.findings[0], message="naïve \udcff ✓", secrets=("sk-\u00e9\ud800",))
    result = replace(base, findings=(odd,))
    key = cache.key("x = 1\n", result.path, _config())
    cache.put(key, result)
    assert cache.get(key) == result


def test_the_codec_knows_every_field_of_what_it_stores() -> None:
    """The codec writes fields by position: a field added to a stored class fails here until
    the codec (`encode_result`/`decode_result`) writes it too, instead of vanishing from
    cached results."""
    stored = {
        Finding: (
            "code",
            "name",
            "message",
            "severity",
            "path",
            "span",
            "fix",
            "related",
            "noqa_row",
            "string_end_row",
            "secrets",
            "cell",
        ),
        Fix: ("title", "edits", "applicability"),
        Edit: ("span", "content"),
        Span: ("start", "end"),
        Location: ("row", "column"),
        RelatedLocation: ("path", "span", "message"),
        RegistrationSummary: (
            "name",
            "kind",
            "registry",
            "path",
            "span",
            "noqa_row",
            "source",
            "refuses_duplicates",
        ),
        NoqaRows: ("file_ignored", "rows"),
        FileResult: ("path", "findings", "registrations", "instances", "noqa"),
    }
    for kind, names in stored.items():
        assert tuple(f.name for f in fields(kind)) == names, kind.__name__
