"""Client settings (initializationOptions, workspace/didChangeConfiguration) and per-file config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentsense.analyzers.config import CliOverrides, Config, ConfigError, ConfigResolver, Settings

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MEMORY_MB = 512
DEFAULT_OUTPUT_LIMIT = 64 * 1024
DEFAULT_DEBOUNCE_MS = 150


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class ClientSettings(BaseModel):
    """What an editor may send, as `initializationOptions` or in `didChangeConfiguration`.

    Keys are camelCase (`runToolTimeout`); snake_case is accepted too. Unknown keys are
    ignored (editors send their own settings alongside), bad values are reported.
    """

    model_config = ConfigDict(
        extra="ignore", alias_generator=_camel, populate_by_name=True, frozen=True
    )

    select: list[str] | None = Field(
        default=None, description="Rule codes/prefixes to enable; null: the project config decides."
    )
    extend_select: list[str] = Field(default_factory=list, description="Added to select.")
    ignore: list[str] = Field(default_factory=list, description="Rule codes/prefixes to disable.")
    severity: dict[str, str] = Field(
        default_factory=dict, description="Rule code -> error | warning | info | hint."
    )
    run_tool_timeout: float = Field(
        default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=3600, description="Run tool: wall-clock seconds."
    )
    run_tool_memory_mb: int = Field(
        default=DEFAULT_MEMORY_MB,
        ge=32,
        description="Run tool: memory limit in MB (each process, and the tree).",
    )
    run_tool_output_limit: int = Field(
        default=DEFAULT_OUTPUT_LIMIT, ge=1024, description="Run tool: bytes kept of its output."
    )
    allow_network: bool = Field(default=False, description="Run tool: allow network access.")
    allow_unix_sockets: bool = Field(
        default=False, description="Run tool: allow unix-domain sockets (Docker, ssh-agent)."
    )
    run_tool_pass_secrets: bool = Field(
        default=False,
        description="Run tool: pass secret-looking environment variables (API keys) to tools.",
    )
    trusted: bool = Field(default=True, description="False: never run a tool (untrusted).")
    debounce_ms: int = Field(
        default=DEFAULT_DEBOUNCE_MS, ge=0, le=5000, description="Quiet time before a re-lint."
    )
    incremental: bool = Field(
        default=True, description="False: parse and lint the whole file on every change (bench)."
    )


@dataclass(frozen=True, slots=True)
class SettingsResult:
    """Parsed client settings, or the defaults and a message naming the bad key."""

    settings: ClientSettings
    overrides: CliOverrides
    error: str | None = None


def _unwrap(raw: object) -> Mapping[str, Any]:
    """The settings object: `{...}`, `{"agentsense": {...}}` or `{"settings": {...}}`."""
    if not isinstance(raw, Mapping):
        return {}
    for key in ("agentsense", "settings"):
        inner = raw.get(key)
        if isinstance(inner, Mapping):
            return _unwrap(inner) if key == "settings" else inner
    return raw


def parse_settings(raw: object, source: str) -> SettingsResult:
    """Read client settings; on any problem keep the defaults and say which key was wrong."""
    data = _unwrap(raw)
    try:
        settings = ClientSettings.model_validate(dict(data))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        return SettingsResult(ClientSettings(), CliOverrides(), f"{source}: {problems}")
    try:
        overrides = CliOverrides.build(
            select=settings.select,
            extend_select=settings.extend_select,
            ignore=settings.ignore,
            severity=settings.severity,
        )
    except ConfigError as error:
        keep = settings.model_copy(
            update={"select": None, "extend_select": [], "ignore": [], "severity": {}}
        )
        return SettingsResult(keep, CliOverrides(), f"{source}: {error}")
    return SettingsResult(settings, overrides)


@dataclass
class ConfigStore:
    """Per-file configuration as the CLI finds it, with the client's selection on top.

    A bad config file yields the defaults (with the client's overrides) and an error the server
    shows once; config files are re-read when they change on disk.
    """

    root: Path
    overrides: CliOverrides = field(default_factory=CliOverrides)
    _resolver: ConfigResolver | None = None
    _stamps: dict[Path, tuple[int, int] | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # message -> config file

    def reset(self, overrides: CliOverrides | None = None) -> None:
        if overrides is not None:
            self.overrides = overrides
        self._resolver = None
        self._stamps.clear()
        self.errors.clear()

    def _stamp(self, path: Path) -> tuple[int, int] | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def stale(self) -> bool:
        """Whether a config file read so far has changed (or appeared/vanished) since."""
        return any(self._stamp(path) != stamp for path, stamp in self._stamps.items())

    def for_path(self, path: str) -> tuple[Config, str | None]:
        """The config for a file, and an error message when its config file is bad."""
        if self._resolver is None:
            self._resolver = ConfigResolver(overrides=self.overrides)
        target = Path(path) if path else self.root
        if not target.is_absolute() or not target.parent.exists():
            target = self.root / "untitled.py"
        try:
            config = self._resolver.for_path(target)
        except ConfigError as error:
            message = str(error)
            source = message.split(":", 1)[0]
            self._watch(Path(source))
            self.errors.setdefault(message, source)
            return Config(self.root, None, Settings(), self.overrides), message
        if config.source is not None:
            self._watch(config.source)
        else:
            self._watch_missing(target)
        return config, None

    def _watch(self, path: Path) -> None:
        if path not in self._stamps:
            self._stamps[path] = self._stamp(path)

    def _watch_missing(self, target: Path) -> None:
        """No config file found: notice one being created next to the file or at the root."""
        for directory in {target.parent, self.root}:
            for name in ("agentsense.toml", "pyproject.toml"):
                self._watch(directory / name)


def is_config_file(path: str) -> bool:
    return os.path.basename(path) in ("pyproject.toml", "agentsense.toml")
