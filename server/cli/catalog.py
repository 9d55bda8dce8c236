"""`agentsense tools`: the project's tool catalog, what the model sees of each tool."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

import libcst as cst

from agentsense.analyzers.config import ConfigError, ConfigResolver
from agentsense.analyzers.detect.catalog import ToolView, tool_catalog
from agentsense.analyzers.discovery import discover
from agentsense.analyzers.engine import parse
from agentsense.server.cli.check import Unreadable, read_source
from agentsense.server.cli.status import EXIT_ERROR


def _shown(path: Path) -> str:
    """Relative to the working directory when inside it, with `/`: stable across machines."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def collect(paths: list[str]) -> tuple[list[ToolView], list[str]]:
    """The catalog of the Python files under paths, and the problems met on the way."""
    resolver = ConfigResolver()
    found = discover([Path(p) for p in paths], resolver)
    problems = [f"{missing}: no such file or directory" for missing in found.missing]
    views: list[ToolView] = []
    for file in found.files:
        try:
            source = read_source(file).text
        except Unreadable as error:
            problems.append(f"{_shown(file)}: {error}")
            continue
        tree = parse(source)
        if isinstance(tree, cst.Module):  # a syntax error is `agentsense check`'s to report
            views.extend(tool_catalog(tree, _shown(file)))
    return views, problems


def render_text(views: list[ToolView], out: TextIO) -> None:
    for view in views:
        name = view.name if view.name is not None else "(name not static)"
        where = f"{view.path}:{view.line}:{view.column}"
        registry = f" {view.seen.registry}" if view.seen.registry is not None else ""
        out.write(f"{where}: {view.seen.framework}{registry} {name}\n")
        description = view.seen.description
        description = description if description is not None else "(not static)"
        for line in description.splitlines() or [""]:
            out.write(f"    {line}\n")
        schema = (
            json.dumps(view.seen.parameters, sort_keys=True)
            if view.seen.parameters is not None
            else "(not static)"
        )
        out.write(f"    parameters: {schema}\n")
    out.write(f"{len(views)} tool{'s' if len(views) != 1 else ''}\n")


def cmd_tools(args: argparse.Namespace) -> int:
    try:
        views, problems = collect(list(args.paths))
    except ConfigError as error:
        sys.stderr.write(f"agentsense: {error}\n")
        return EXIT_ERROR
    for problem in problems:
        sys.stderr.write(f"agentsense: {problem}\n")
    if args.output_format == "json":
        json.dump([view.as_json() for view in views], sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        render_text(views, sys.stdout)
    return EXIT_ERROR if problems else 0
