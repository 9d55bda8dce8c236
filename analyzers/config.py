"""Configuration: the `[tool.agentsense]` model, discovery, and rule selection."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentsense.analyzers.budget import DEFAULT_FILE_TIME_BUDGET
from agentsense.analyzers.model import Severity
from agentsense.analyzers.rules.codes import RULE_NAMES, code_of

if TYPE_CHECKING:
    import pathspec

    from agentsense.analyzers.rule import Rule, RuleOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIG_FILES = ("agentsense.toml", "pyproject.toml")
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pypackages__",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    ".agentsense_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
)


class ConfigError(Exception):
    """A configuration problem a user can fix: the message names the file and the key."""


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def _check_selector(value: str) -> str:
    """A rule code, code prefix (`AGT1`), rule name or `ALL`."""
    text = value.strip()
    if text.upper() == "ALL":
        return "ALL"
    code = code_of(text)
    if code is not None:
        return code
    upper = text.upper()
    if upper and any(code.startswith(upper) for code in RULE_NAMES):
        return upper
    raise ValueError(f"unknown rule code or prefix {value!r} (see `agentsense rules`)")


class Settings(BaseModel):
    """The `[tool.agentsense]` table. Every key is documented in the README."""

    # defer_build: a project without a config file never validates settings (they are
    # constructed from the defaults, `Settings.model_construct()`): no schema to build then.
    model_config = ConfigDict(
        extra="forbid", alias_generator=_kebab, populate_by_name=True, frozen=True, defer_build=True
    )

    select: list[str] | None = Field(
        default=None, description="Rule codes, prefixes or names to enable (default: all)."
    )
    extend_select: list[str] = Field(default_factory=list, description="Added to `select`.")
    ignore: list[str] = Field(default_factory=list, description="Codes or prefixes to disable.")
    per_file_ignores: dict[str, list[str]] = Field(
        default_factory=dict, description="Gitignore-style pattern -> codes ignored there."
    )
    exclude: list[str] | None = Field(
        default=None, description="Gitignore-style patterns never linted (replaces defaults)."
    )
    extend_exclude: list[str] = Field(
        default_factory=list, description="Patterns added to `exclude`."
    )
    respect_gitignore: bool = Field(default=True, description="Skip files `.gitignore` skips.")
    severity: dict[str, Severity] = Field(
        default_factory=dict, description="Rule code -> error | warning | info | hint."
    )
    rule_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Rule code -> that rule's options."
    )
    file_time_budget: float = Field(
        default=DEFAULT_FILE_TIME_BUDGET,
        ge=0,
        description="Seconds one file may take before it is reported as not linted (0: no limit).",
    )

    @field_validator("select", "extend_select", "ignore")
    @classmethod
    def _selectors(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [_check_selector(v) for v in values]

    @field_validator("per_file_ignores")
    @classmethod
    def _per_file(cls, values: dict[str, list[str]]) -> dict[str, list[str]]:
        return {pattern: [_check_selector(v) for v in codes] for pattern, codes in values.items()}

    @field_validator("severity", "rule_options")
    @classmethod
    def _codes(cls, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            code = code_of(key)
            if code is None:
                raise ValueError(f"unknown rule code {key!r} (see `agentsense rules`)")
            out[code] = value
        return out


def _matches(code: str, selector: str) -> int:
    """How specifically `selector` matches `code` (0 = not at all; ALL is least specific)."""
    if selector == "ALL":
        return 1
    return len(selector) + 1 if code.startswith(selector) else 0


def _select(codes: Iterable[str], select: Sequence[str], ignore: Sequence[str]) -> frozenset[str]:
    """Ruff's rule: a code is on when its most specific selector is a select, not an ignore."""
    enabled: set[str] = set()
    for code in codes:
        chosen = max((_matches(code, s) for s in select), default=0)
        ignored = max((_matches(code, s) for s in ignore), default=0)
        if chosen and chosen > ignored:
            enabled.add(code)
    return frozenset(enabled)


@dataclass(frozen=True, slots=True)
class CliOverrides:
    """Selection given on the command line or by an editor: it wins over the file."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    respect_gitignore: bool | None = None  # None: the config file decides
    # `--config 'KEY = VALUE'`: settings laid over every config file's (tables merged by key).
    settings: Mapping[str, Any] = field(default_factory=dict)
    file_time_budget: float | None = None  # None: the config file decides

    @staticmethod
    def build(
        select: Sequence[str] | None = None,
        extend_select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        severity: Mapping[str, str] | None = None,
        respect_gitignore: bool | None = None,
        inline: Sequence[str] = (),
        file_time_budget: float | None = None,
    ) -> CliOverrides:
        """Validate selectors and `KEY = VALUE` settings given on a command line or by a
        client (ConfigError naming the bad one)."""
        try:
            sel = None if select is None else tuple(_check_selector(s) for s in select)
            ext = tuple(_check_selector(s) for s in extend_select)
            ign = tuple(_check_selector(s) for s in ignore)
            sev: dict[str, Severity] = {}
            for key, value in (severity or {}).items():
                code = code_of(key)
                if code is None:
                    raise ValueError(f"unknown rule code {key!r}")
                sev[code] = Severity(value)
            if file_time_budget is not None and not file_time_budget >= 0:
                raise ValueError(f"file time budget must be 0 or more seconds: {file_time_budget}")
        except ValueError as error:
            raise ConfigError(str(error)) from None
        settings: dict[str, Any] = {}
        for text in inline:
            settings = _merged(settings, parse_inline_setting(text))
        return CliOverrides(sel, ext, ign, sev, respect_gitignore, settings, file_time_budget)


def _options_model(code: str) -> type[RuleOptions]:
    """The options model of the rule with this code (imports the rules: only a configuration
    that sets some rule's options needs them before a file is linted)."""
    from agentsense.analyzers.registry import rules_by_code

    return rules_by_code()[code].options_model


def parse_inline_setting(text: str) -> dict[str, Any]:
    """One `--config 'KEY = VALUE'` (TOML, as ruff's), checked against the settings model."""
    try:
        table: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"--config {text!r}: neither a config file nor a TOML `KEY = VALUE` ({error})"
        ) from None
    try:
        for code, options in Settings.model_validate(table).rule_options.items():
            _options_model(code).model_validate(options)
    except ValidationError as error:
        raise ConfigError(_format_error(Path("--config"), "", error)) from None
    return table


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`; tables (severity, rule-options, ...) are merged key by key."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Config:
    """The effective configuration for the files under one config file's directory."""

    root: Path
    source: Path | None
    settings: Settings
    overrides: CliOverrides = field(default_factory=CliOverrides)

    @staticmethod
    @cache
    def default() -> Config:
        return Config(Path.cwd(), None, Settings.model_construct())

    def with_overrides(self, overrides: CliOverrides) -> Config:
        settings = self.settings
        if overrides.settings:
            mine = settings.model_dump(by_alias=True, exclude_unset=True)
            settings = Settings.model_validate(_merged(mine, overrides.settings))
        return Config(self.root, self.source, settings, overrides)

    # -- selection -------------------------------------------------------------------
    @cached_property
    def _base_enabled(self) -> frozenset[str]:
        codes = list(RULE_NAMES)
        settings, overrides = self.settings, self.overrides
        select = list(
            overrides.select
            if overrides.select is not None
            else settings.select
            if settings.select is not None
            else ["ALL"]
        )
        select += list(settings.extend_select) + list(overrides.extend_select)
        ignore = list(settings.ignore) + list(overrides.ignore)
        return _select(codes, select, ignore)

    @cached_property
    def _options(self) -> dict[str, RuleOptions]:
        from agentsense.analyzers.registry import all_rules  # asked for by a rule: loaded

        given = self.settings.rule_options
        # Unset options are the defaults, which validation would not check either: built
        # without the model's schema (most rules' options are never set).
        return {
            rule.code: rule.options_model.model_validate(given[rule.code])
            if rule.code in given
            else rule.options_model.model_construct()
            for rule in all_rules()
        }

    @cached_property
    def _real_root(self) -> Path:
        return self.root.resolve()

    def relative(self, path: str, real: Path | None = None) -> str:
        """`path` relative to the config root, with forward slashes, for pattern matching;
        `real` is `path` resolved when the caller knows it (a walk resolves each folder once,
        not each of its entries)."""
        candidate = Path(path)
        try:
            real = candidate.resolve() if real is None else real
            return real.relative_to(self._real_root).as_posix()
        except (ValueError, OSError):
            return candidate.as_posix()

    def enabled_codes(self, path: str) -> frozenset[str]:
        """Codes that run on `path`: the selection less its per-file ignores."""
        enabled = self._base_enabled
        if self.settings.per_file_ignores:
            relative = self.relative(path)
            for pattern, codes in self.settings.per_file_ignores.items():
                if _pattern(pattern).match_file(relative):
                    enabled = enabled - _select(enabled, codes, ())
        return enabled

    @property
    def respects_gitignore(self) -> bool:
        """Whether files `.gitignore` ignores are skipped (the command line wins)."""
        if self.overrides.respect_gitignore is not None:
            return self.overrides.respect_gitignore
        return self.settings.respect_gitignore

    @property
    def time_budget(self) -> float:
        """Seconds one file may take (0: no limit); the command line wins."""
        if self.overrides.file_time_budget is not None:
            return self.overrides.file_time_budget
        return self.settings.file_time_budget

    def severity_for(self, rule: type[Rule]) -> Severity:
        return (
            self.overrides.severity.get(rule.code)
            or self.settings.severity.get(rule.code)
            or rule.severity
        )

    def options_for(self, rule: type[Rule]) -> RuleOptions:
        return self._options[rule.code]

    # -- exclusion -------------------------------------------------------------------
    def exclude_spec(self) -> pathspec.PathSpec[Any]:
        import pathspec  # only when a folder is walked, or --force-exclude

        patterns = list(
            self.settings.exclude if self.settings.exclude is not None else DEFAULT_EXCLUDE
        )
        patterns.extend(self.settings.extend_exclude)
        return pathspec.PathSpec.from_lines("gitignore", patterns)

    def describe(self) -> dict[str, Any]:
        """The effective configuration as plain data (for `agentsense config`)."""
        return {
            "source": str(self.source) if self.source else None,
            "root": str(self.root),
            "settings": self.settings.model_dump(by_alias=True, mode="json"),
            "enabled": sorted(self._base_enabled),
        }


@cache
def _pattern(pattern: str) -> pathspec.PathSpec[Any]:
    import pathspec

    return pathspec.PathSpec.from_lines("gitignore", [pattern])


def _format_error(path: Path, prefix: str, error: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for item in error.errors():
        key = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def load_file(path: Path) -> Config:
    """Read one config file (ConfigError with file and key on any problem)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 (byte at offset {error.start}); TOML files must be UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("agentsense", {})
        prefix = "tool.agentsense"
    else:
        table, prefix = data, ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {prefix} must be a table")
    try:
        settings = Settings.model_validate(table)
        for code, options in settings.rule_options.items():
            try:
                _options_model(code).model_validate(options)
            except ValidationError as error:
                raise ConfigError(
                    _format_error(path, f"{prefix}.rule-options.{code}".lstrip("."), error)
                ) from None
    except ValidationError as error:
        raise ConfigError(_format_error(path, prefix, error)) from None
    return Config(path.parent, path, settings)


def _declares_config(path: Path) -> bool:
    """Whether this file configures agentsense (a broken one that mentions us is an error)."""
    if path.name != "pyproject.toml":
        return True
    try:
        data = path.read_bytes()
    except OSError as error:
        # It may hold our settings (an `ignore` list): skipping it would change the findings.
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    if b"agentsense" not in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "TOML files must be UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    return isinstance(data.get("tool"), dict) and "agentsense" in data["tool"]


class ConfigResolver:
    """Finds the config for each file by walking up its directories (cached per folder)."""

    def __init__(self, explicit: Path | None = None, overrides: CliOverrides | None = None):
        self.overrides = overrides or CliOverrides()
        self._explicit = load_file(explicit) if explicit is not None else None
        self._by_dir: dict[Path, Config] = {}
        # The config of the regular files in a folder, by the folder as given (unresolved):
        # a run asks for every file, and resolving each one's path cost more than the lint
        # of a cached file.
        self._by_file_dir: dict[str, Config] = {}

    def for_path(self, path: Path) -> Config:
        if self._explicit is not None:
            return self._explicit.with_overrides(self.overrides)
        try:
            regular = stat.S_ISREG(os.lstat(path).st_mode)  # not a link: resolves as its folder
        except (OSError, ValueError):
            regular = False
        if regular:
            folder = os.path.dirname(os.path.abspath(path))
            found = self._by_file_dir.get(folder)
            if found is None:
                found = self._by_file_dir[folder] = self._for_dir(Path(folder).resolve())
            return found
        directory = path.resolve() if path.is_dir() else path.resolve().parent
        return self._for_dir(directory)

    def _for_dir(self, directory: Path) -> Config:
        found = self._by_dir.get(directory)
        if found is not None:
            return found
        config: Config | None = None
        for name in CONFIG_FILES:
            candidate = directory / name
            try:
                present = candidate.is_file()
            except OSError:
                # An unreadable folder: discovery cannot list it either and says so.
                present = False
            if present and _declares_config(candidate):
                config = load_file(candidate).with_overrides(self.overrides)
                break
        if config is None:
            parent = directory.parent
            if parent != directory:
                config = self._for_dir(parent)
            else:
                config = Config(Path.cwd(), None, Settings.model_construct())
                config = config.with_overrides(self.overrides)
        self._by_dir[directory] = config
        return config
