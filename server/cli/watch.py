"""`agentsense check --watch`: check, then check again whenever a file under the paths changes.

Polls the files discovery finds (and the config files above them) by size and modification
time, twice a second: no file-system notification library, and the same behaviour on every
platform. A run's output replaces the previous one on a terminal, as ruff's watch mode does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from agentsense.analyzers.config import CONFIG_FILES, ConfigError, ConfigResolver
from agentsense.analyzers.discovery import discover
from agentsense.server.cli.check import CheckOptions, Streams, run_check

POLL_SECONDS = 0.5

Snapshot = dict[str, tuple[int, int]]


def snapshot(options: CheckOptions) -> Snapshot:
    """(size, mtime) of every file the run would read: the linted files and config files."""
    paths = [Path(p) for p in options.paths or (".",)]
    try:
        files = discover(paths, ConfigResolver(options.config, options.overrides)).files
    except ConfigError:
        files = ()  # a broken config: its own file below still changes when it is fixed
    watched = set(files)
    for folder in {path if path.is_dir() else path.parent for path in paths}:
        for directory in (folder.resolve(), *folder.resolve().parents):
            watched.update(directory / name for name in CONFIG_FILES)
    out: Snapshot = {}
    for path in watched:
        try:
            stat = path.stat()
        except OSError:
            continue
        out[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return out


def watch(
    options: CheckOptions,
    streams: Streams,
    *,
    rounds: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Check, then check again after every change, until interrupted (or `rounds` checks)."""
    clear = streams.stdout.isatty()
    done = 0
    try:
        while True:
            if clear:
                streams.stdout.write("\x1b[2J\x1b[H")
            run_check(options, streams)
            streams.stderr.write("agentsense: watching for file changes (Ctrl+C to stop)\n")
            streams.stdout.flush()
            streams.stderr.flush()
            done += 1
            if rounds is not None and done >= rounds:
                return 0
            seen = snapshot(options)
            while snapshot(options) == seen:
                sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        return 0
