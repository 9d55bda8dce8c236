"""The on-disk result cache (`.agentsense_cache/`): one JSON `FileResult` per content+config key."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from pydantic import TypeAdapter

from agentsense import analyzers
from agentsense.analyzers import __version__
from agentsense.analyzers.config import Config
from agentsense.analyzers.project import FileResult
from agentsense.analyzers.registry import all_rules

CACHE_DIR_NAME = ".agentsense_cache"
# Bump when the entry layout changes; old entries then simply stop matching.
_FORMAT = "1"

_ADAPTER: TypeAdapter[FileResult] = TypeAdapter(FileResult)


@cache
def code_fingerprint() -> str:
    """Size and mtime of every analyzer source file.

    The version alone misses rule edits in a development checkout (an editable install
    keeps its version), which would serve findings of the old rule code from the cache.
    """
    package = Path(analyzers.__file__).parent
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*.py")):
        try:
            stat = file.stat()
        except OSError:
            continue
        relative = file.relative_to(package).as_posix()
        digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def config_fingerprint(config: Config, path: str) -> str:
    """Everything about `config` that can change the findings for `path`."""
    enabled = sorted(config.enabled_codes(path))
    rules = {rule.code: rule for rule in all_rules()}
    data = {
        "enabled": enabled,
        "severity": {code: config.severity_for(rules[code]).value for code in enabled},
        "options": {
            code: config.options_for(rules[code]).model_dump(mode="json") for code in enabled
        },
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


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
        self._fingerprints: dict[tuple[int, frozenset[str]], str] = {}
        self._keep_alive: list[Config] = []
        codes = ",".join(rule.code for rule in all_rules())
        self._salt = f"{_FORMAT}\0{__version__}\0{codes}\0{code_fingerprint()}\0".encode()

    def key(self, content: str, path: str, config: Config) -> str:
        """sha256 of content, path, effective config, version, rule set and rule code."""
        enabled = config.enabled_codes(path)
        memo = (id(config), enabled)
        fingerprint = self._fingerprints.get(memo)
        if fingerprint is None:
            fingerprint = config_fingerprint(config, path)
            self._fingerprints[memo] = fingerprint
            self._keep_alive.append(config)  # so id(config) is not reused while memoised
        digest = hashlib.sha256(self._salt)
        digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(fingerprint.encode() + b"\0")
        digest.update(content.encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> FileResult | None:
        if not self.enabled:
            return None
        try:
            data = self._entry(key).read_bytes()
            return _ADAPTER.validate_json(data)
        except Exception:  # corrupt, truncated, from another version, unreadable: a miss
            return None

    def put(self, key: str, result: FileResult) -> None:
        if not self.enabled:
            return
        try:
            self._prepare()
            entry = self._entry(key)
            entry.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent reader never sees half an entry.
            fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(_ADAPTER.dump_json(result))
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
