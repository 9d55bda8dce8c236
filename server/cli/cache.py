"""The on-disk result cache (`.agentsense_cache/`): one JSON `FileResult` per content+config key,
and the project-wide pass's findings per set of file entries.

Entries are written and read by the codec below, plain JSON arrays in field order checked
type by type on the way in (no validation library: a warm run reads one entry per file, and
building a pydantic schema for `FileResult` cost more than reading all of them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from agentsense import __version__
from agentsense.analyzers.config import Config
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
from agentsense.analyzers.project_model import (
    FileResult,
    NoqaRows,
    ProjectFindings,
    RegistrationSummary,
)

CACHE_DIR_NAME = ".agentsense_cache"
# Bump when the entry layout changes; old entries then simply stop matching.
_FORMAT = "2"
# The folders of the installed package whose code decides the findings: the engine and its
# rules, and the reference runtime whose contract the registration rules apply.
_CODE_FOLDERS = ("analyzers", "runtime")


@cache
def code_fingerprint() -> str:
    """Size and mtime of every source file of the analyzers and the runtime.

    The version alone misses rule edits in a development checkout (an editable install
    keeps its version), which would serve findings of the old rule code from the cache.
    Adding, removing or editing a rule changes it, so the key needs no rule imported.
    """
    package = Path(__file__).resolve().parent.parent.parent
    digest = hashlib.sha256()
    for folder in _CODE_FOLDERS:
        for file in sorted((package / folder).rglob("*.py")):
            try:
                stat = file.stat()
            except OSError:
                continue
            relative = file.relative_to(package).as_posix()
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def config_fingerprint(config: Config) -> str:
    """Everything about `config` that can change findings: its settings and the command
    line's selection (with the rule code, which the salt covers, these decide each file's
    enabled codes, severities and options). Read without validating anything again."""
    settings = config.settings
    overrides = config.overrides
    data = {
        "settings": {name: getattr(settings, name) for name in type(settings).model_fields},
        "select": overrides.select,
        "extend_select": overrides.extend_select,
        "ignore": overrides.ignore,
        "severity": dict(overrides.severity),
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


# -- the entry codec ----------------------------------------------------------------------

_T = TypeVar("_T")


class _BadEntry(ValueError):
    """An entry that is not what this version writes: read as a miss."""


def _typed(value: object, kind: type[_T]) -> _T:
    # `bool` is an `int`: an int field must not take one (nor the other way round).
    if type(value) is not kind:
        raise _BadEntry(f"expected {kind.__name__}")
    return value


def _items(value: object, size: int | None = None) -> list[Any]:
    items = _typed(value, list)
    if size is not None and len(items) != size:
        raise _BadEntry("wrong length")
    return items


def _strings(value: object) -> tuple[str, ...]:
    return tuple(_typed(item, str) for item in _items(value))


def _span_data(span: Span) -> list[int]:
    return [span.start.row, span.start.column, span.end.row, span.end.column]


def _span(value: object) -> Span:
    row, column, end_row, end_column = (_typed(n, int) for n in _items(value, 4))
    return Span(Location(row, column), Location(end_row, end_column))


def _fix_data(fix: Fix | None) -> list[Any] | None:
    if fix is None:
        return None
    edits = [[_span_data(edit.span), edit.content] for edit in fix.edits]
    return [fix.title, edits, fix.applicability.value]


def _fix(value: object) -> Fix | None:
    if value is None:
        return None
    title, edits, applicability = _items(value, 3)
    return Fix(
        _typed(title, str),
        tuple(
            Edit(_span(span), _typed(content, str))
            for span, content in (_items(edit, 2) for edit in _items(edits))
        ),
        Applicability(_typed(applicability, str)),
    )


def _finding_data(finding: Finding) -> list[Any]:
    return [
        finding.code,
        finding.name,
        finding.message,
        finding.severity.value,
        finding.path,
        _span_data(finding.span),
        _fix_data(finding.fix),
        [[r.path, _span_data(r.span), r.message] for r in finding.related],
        finding.noqa_row,
        finding.string_end_row,
        list(finding.secrets),
        finding.cell,
    ]


def _finding(value: object) -> Finding:
    code, name, message, severity, path, span, fix, related, noqa, string_end, secrets, cell = (
        _items(value, 12)
    )
    return Finding(
        code=_typed(code, str),
        name=_typed(name, str),
        message=_typed(message, str),
        severity=Severity(_typed(severity, str)),
        path=_typed(path, str),
        span=_span(span),
        fix=_fix(fix),
        related=tuple(
            RelatedLocation(_typed(p, str), _span(s), _typed(m, str))
            for p, s, m in (_items(item, 3) for item in _items(related))
        ),
        noqa_row=_typed(noqa, int),
        string_end_row=_typed(string_end, int),
        secrets=_strings(secrets),
        cell=_typed(cell, int),
    )


def _registration_data(summary: RegistrationSummary) -> list[Any]:
    return [
        summary.name,
        summary.kind,
        summary.registry,
        summary.path,
        _span_data(summary.span),
        summary.noqa_row,
        summary.source,
        summary.refuses_duplicates,
    ]


def _registration(value: object) -> RegistrationSummary:
    name, kind, registry, path, span, noqa_row, source, refuses = _items(value, 8)
    return RegistrationSummary(
        _typed(name, str),
        _typed(kind, str),
        _typed(registry, str),
        _typed(path, str),
        _span(span),
        _typed(noqa_row, int),
        _typed(source, str),
        _typed(refuses, bool),
    )


def encode_result(result: FileResult) -> bytes:
    """`result` as the JSON of a cache entry."""
    data = [
        result.path,
        [_finding_data(f) for f in result.findings],
        [_registration_data(r) for r in result.registrations],
        list(result.instances),
        [result.noqa.file_ignored, [[row, list(codes)] for row, codes in result.noqa.rows]],
    ]
    # ASCII (escapes for the rest): any string round-trips, a lone surrogate included.
    return json.dumps(data, separators=(",", ":")).encode("ascii")


def decode_result(data: bytes) -> FileResult:
    """The `FileResult` of a cache entry (ValueError when it is not one this version wrote)."""
    path, findings, registrations, instances, noqa = _items(json.loads(data), 5)
    file_ignored, rows = _items(noqa, 2)
    return FileResult(
        _typed(path, str),
        tuple(_finding(f) for f in _items(findings)),
        tuple(_registration(r) for r in _items(registrations)),
        _strings(instances),
        NoqaRows(
            _typed(file_ignored, bool),
            tuple(
                (_typed(row, int), _strings(codes))
                for row, codes in (_items(item, 2) for item in _items(rows))
            ),
        ),
    )


def encode_project(found: ProjectFindings) -> bytes:
    """The project-wide pass's findings and used suppressions as the JSON of a cache entry."""
    data = [
        [_finding_data(f) for f in found.findings],
        sorted([path, row, code] for path, row, code in found.used),
    ]
    return json.dumps(data, separators=(",", ":")).encode("ascii")


def decode_project(data: bytes) -> ProjectFindings:
    """The `ProjectFindings` of a cache entry (ValueError when it is not one this version
    wrote)."""
    findings, used = _items(json.loads(data), 2)
    return ProjectFindings(
        tuple(_finding(f) for f in _items(findings)),
        frozenset(
            (_typed(path, str), _typed(row, int), _typed(code, str))
            for path, row, code in (_items(item, 3) for item in _items(used))
        ),
    )


class ResultCache:
    """Reads and writes cached `FileResult`s under one project root.

    A corrupt or unreadable entry is a miss, never an error; a cache that cannot be
    written is silently skipped (linting must not depend on a writable project).
    """

    def __init__(self, root: Path, *, enabled: bool = True, directory: Path | None = None) -> None:
        # `--cache-dir` / AGENTSENSE_CACHE_DIR: one folder for every project of the run.
        self.directory = directory if directory is not None else root / CACHE_DIR_NAME
        self.enabled = enabled
        self._prepared = False
        self._fingerprints: dict[int, str] = {}
        self._keep_alive: list[Config] = []
        self._salt = f"{_FORMAT}\0{__version__}\0{code_fingerprint()}\0".encode()

    def key(self, content: str, path: str, config: Config) -> str:
        """sha256 of content, path, configuration, version and the rules' code."""
        fingerprint = self._fingerprints.get(id(config))
        if fingerprint is None:
            fingerprint = config_fingerprint(config)
            self._fingerprints[id(config)] = fingerprint
            self._keep_alive.append(config)  # so id(config) is not reused while memoised
        digest = hashlib.sha256(self._salt)
        digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(fingerprint.encode() + b"\0")
        digest.update(content.encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def project_key(self, entries: Iterable[tuple[str, str]]) -> str:
        """sha256 of every file's path and entry key, in the order given: the project-wide
        pass reads nothing but those files' results and configurations, which their keys
        cover (with the version and the rules' code)."""
        digest = hashlib.sha256(self._salt + b"project\0")
        for path, key in entries:
            digest.update(path.encode("utf-8", "surrogateescape") + b"\0" + key.encode() + b"\n")
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _project_entry(self, key: str) -> Path:
        return self.directory / f"project-{key}.json"

    def get(self, key: str) -> FileResult | None:
        return self._read(self._entry(key), decode_result)

    def get_project(self, key: str) -> ProjectFindings | None:
        return self._read(self._project_entry(key), decode_project)

    def _read(self, entry: Path, decode: Callable[[bytes], _T]) -> _T | None:
        if not self.enabled:
            return None
        try:
            return decode(entry.read_bytes())
        except Exception:  # unreadable, corrupt, truncated, from another version: a miss
            return None

    def put(self, key: str, result: FileResult) -> None:
        self._write(self._entry(key), encode_result(result))

    def put_project(self, key: str, found: ProjectFindings) -> None:
        self._write(self._project_entry(key), encode_project(found))

    def _write(self, entry: Path, data: bytes) -> None:
        if not self.enabled:
            return
        try:
            self._prepare()
            entry.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent reader never sees half an entry.
            fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, entry)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            self.enabled = False  # read-only checkout and the like: stop trying

    def _prepare(self) -> None:
        if self._prepared:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Automatically created by agentsense.\n*\n", encoding="utf-8")
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by agentsense.\n",
                encoding="utf-8",
            )
        self._prepared = True


def remove_caches(
    root: Path, extra: Path | None = None
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Remove every `.agentsense_cache/` under `root` (and `extra`): (removed, failed)."""
    found = [path for path in root.rglob(CACHE_DIR_NAME) if path.is_dir()]
    if root.name == CACHE_DIR_NAME:
        found.append(root)
    if extra is not None and extra.is_dir():
        found.append(extra)
    removed: list[Path] = []
    failed: list[tuple[Path, str]] = []
    for path in dict.fromkeys(found):
        try:
            shutil.rmtree(path)
        except OSError as error:
            failed.append((path, error.strerror or str(error)))
        else:
            removed.append(path)
    return removed, failed
