"""File discovery: expand paths into the Python files to lint (exclude, .gitignore)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from agentsense.analyzers.config import Config, ConfigResolver

if TYPE_CHECKING:
    import pathspec

PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".ipynb"})


@dataclass(frozen=True, slots=True)
class Discovered:
    """What a set of paths expands to."""

    files: tuple[Path, ...]  # absolute (not symlink-resolved), sorted, without duplicates
    missing: tuple[Path, ...]  # paths given that do not exist, as given
    # Folders that could not be listed (permission denied...) and why: their files are not
    # linted, which the run must say.
    unreadable: tuple[tuple[Path, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _IgnoreLayer:
    """The patterns of one `.gitignore`, which apply below its directory."""

    base: Path
    spec: pathspec.GitIgnoreSpec


@lru_cache(maxsize=1024)
def _read_gitignore(path: Path, mtime_ns: int, size: int) -> pathspec.GitIgnoreSpec | None:
    # Keyed by mtime and size too, so a long-running language server sees edits.
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    import pathspec  # only when a .gitignore is met

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _layer(directory: Path) -> _IgnoreLayer | None:
    candidate = directory / ".gitignore"
    try:
        stat = candidate.stat()
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):
        return None
    spec = _read_gitignore(candidate, stat.st_mtime_ns, stat.st_size)
    return None if spec is None else _IgnoreLayer(directory, spec)


def _gitignored(path: Path, is_dir: bool, layers: Sequence[_IgnoreLayer]) -> bool:
    """Git's rule: the deepest `.gitignore` with a matching pattern decides."""
    for layer in reversed(layers):
        try:
            relative = path.relative_to(layer.base).as_posix()
        except ValueError:
            continue
        result: Any = layer.spec.check_file(relative + "/" if is_dir else relative)
        if result.include is not None:
            return bool(result.include)
    return False


def _ancestor_layers(directory: Path, config: Config) -> list[_IgnoreLayer]:
    """`.gitignore` files above a walked directory: up to the git root, else the config root."""
    ancestors = list(directory.parents)
    stop = next((i for i, a in enumerate(ancestors) if (a / ".git").exists()), None)
    if stop is None:
        root = Path(os.path.abspath(config.root))
        if root not in ancestors:
            return []
        stop = ancestors.index(root)
    layers = [_layer(a) for a in reversed(ancestors[: stop + 1])]
    return [layer for layer in layers if layer is not None]


def is_excluded(
    path: Path, config: Config, *, is_dir: bool | None = None, real: Path | None = None
) -> bool:
    """Whether `exclude` / `extend-exclude` of `config` excludes `path` (`real`: `path`
    resolved, when the caller knows it)."""
    directory = path.is_dir() if is_dir is None else is_dir
    relative = config.relative(str(path), real)
    spec = _exclude_spec(config)
    return bool(spec.match_file(relative + "/" if directory else relative))


def _exclude_spec(config: Config) -> pathspec.PathSpec[Any]:
    # Config is frozen but holds unhashable settings: memoise on the instance itself.
    cached = config.__dict__.get("_discovery_exclude_spec")
    if cached is None:
        cached = config.exclude_spec()
        object.__setattr__(config, "_discovery_exclude_spec", cached)
    return cached


def is_python_file(path: Path) -> bool:
    return path.suffix in PYTHON_SUFFIXES


def discover(
    paths: Iterable[Path], resolver: ConfigResolver, *, force_exclude: bool = False
) -> Discovered:
    """Expand files and directories into the Python files to lint.

    Directories are walked (symlinked directories are not followed), skipping what the
    governing config excludes and, when `respect-gitignore` is on, what `.gitignore`
    files ignore. A file named explicitly is always linted, as by ruff, unless
    `force_exclude` (ruff's `--force-exclude`, for pre-commit, which names every changed
    file). Raises `ConfigError` when a config file met on the way is invalid.
    """
    found: dict[Path, None] = {}
    missing: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    for given in paths:
        absolute = Path(os.path.abspath(given))
        if absolute.is_file():
            if force_exclude and is_excluded(absolute, resolver.for_path(absolute), is_dir=False):
                continue
            found[absolute] = None
        elif absolute.is_dir():
            for file in _walk(absolute, resolver, unreadable):
                found[file] = None
        else:
            missing.append(given)
    return Discovered(tuple(sorted(found)), tuple(missing), tuple(unreadable))


def _walk(top: Path, resolver: ConfigResolver, unreadable: list[tuple[Path, str]]) -> list[Path]:
    files: list[Path] = []
    top_config = resolver.for_path(top)
    base_layers = _ancestor_layers(top, top_config) if top_config.respects_gitignore else []
    # Iterative, so deep trees cannot hit the recursion limit.
    stack: list[tuple[Path, list[_IgnoreLayer]]] = [(top, base_layers)]
    while stack:
        directory, layers = stack.pop()
        config = resolver.for_path(directory)
        gitignore = config.respects_gitignore
        if gitignore:
            own = _layer(directory)
            if own is not None:
                layers = [*layers, own]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            unreadable.append((directory, error.strerror or str(error)))
            continue
        real_directory = directory.resolve()
        subdirectories: list[Path] = []
        for entry in entries:
            path = directory / entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
                is_link = entry.is_symlink()
            except OSError:
                continue
            if not (is_dir or is_file) or entry.name == ".git":
                continue
            if is_file and not is_python_file(path):
                continue
            # An entry that is no link resolves as its folder does (a link: on its own).
            real = None if is_link else real_directory / entry.name
            if is_excluded(path, config, is_dir=is_dir, real=real):
                continue
            if gitignore and _gitignored(path, is_dir, layers):
                continue
            if is_dir:
                subdirectories.append(path)
            else:
                files.append(path)
        stack.extend((sub, layers) for sub in reversed(subdirectories))
    return files
