"""The `agentsense` commands: check, rule, rules, config, clean, tools and server.

`main` parses with the one parser (parser.py) and runs the command. Each command imports what
it needs when it runs: `agentsense server` never loads the linter, `agentsense check` never
loads the language server, and `--help` loads neither.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import importlib
import json
import os
import sys
import textwrap
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsense import __version__
from agentsense.server.cli.parser import build_parser
from agentsense.server.cli.status import BUG_REPORT_URL, EXIT_ERROR

if TYPE_CHECKING:
    from agentsense.analyzers.rule import Rule

# -- rule / rules ---------------------------------------------------------------------------


def fix_availability(rule: type[Rule]) -> str:
    """`safe`, `unsafe`, `yes` (described without a kind) or `` when the rule has no fix."""
    description = (rule.fix_description or "").strip().lower()
    if not description:
        return ""
    for kind in ("unsafe", "safe"):
        if description.startswith(kind):
            return kind
    return "yes"


def _options(rule: type[Rule]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, info in rule.options_model.model_fields.items():
        default = info.get_default(call_default_factory=True)
        out.append(
            {
                "name": info.alias or name,
                "default": default if _jsonable(default) else repr(default),
                "description": info.description or "",
            }
        )
    return out


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def rule_data(rule: type[Rule]) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity.value,
        "rationale": rule.rationale,
        "fix": fix_availability(rule) or None,
        "fix_description": rule.fix_description,
        "options": _options(rule),
        "examples": {
            "flagged": [
                {"source": ex.source, "line": ex.line, "fixed": ex.fixed_source}
                for ex in rule.flagged
            ],
            "clean": [{"source": ex.source} for ex in rule.clean],
        },
    }


def _indent(code: str) -> str:
    return textwrap.indent(code.rstrip("\n") or "(empty file)", "    ") + "\n"


def explain_rule(rule: type[Rule]) -> str:
    wrap = textwrap.TextWrapper(width=88)
    parts = [
        f"{rule.code} {rule.name}",
        "",
        f"Severity: {rule.severity.value}",
        f"Fix: {rule.fix_description or 'none'}",
        "",
        wrap.fill(rule.summary),
        "",
        "Why it matters:",
        textwrap.indent(wrap.fill(rule.rationale), "  "),
    ]
    options = _options(rule)
    if options:
        parts += ["", "Options ([tool.agentsense.rule-options." + rule.code + "]):"]
        for option in options:
            line = f"  {option['name']} (default: {option['default']!r})"
            if option["description"]:
                line += f": {option['description']}"
            parts.append(line)
    text = "\n".join(parts) + "\n"
    for number, example in enumerate(rule.flagged, start=1):
        text += f"\nFlagged example {number} (line {example.line}):\n" + _indent(example.source)
        if example.fixed_source is not None:
            text += "  fixed:\n" + _indent(example.fixed_source)
    for number, clean in enumerate(rule.clean, start=1):
        text += f"\nClean example {number}:\n" + _indent(clean.source)
    return text


def rules_table(rules: Sequence[type[Rule]]) -> str:
    rows = [("CODE", "NAME", "SEVERITY", "FIX", "SUMMARY")] + [
        (r.code, r.name, r.severity.value, fix_availability(r) or "-", r.summary) for r in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + f"  {row[4]}\n"
        for row in rows
    )


def _suggestions(query: str) -> list[str]:
    from agentsense.analyzers.registry import all_rules

    rules = all_rules()
    codes = difflib.get_close_matches(query.upper(), [r.code for r in rules], n=3, cutoff=0.6)
    names = difflib.get_close_matches(query.lower(), [r.name for r in rules], n=3, cutoff=0.6)
    found = [r for r in rules if r.code in codes or r.name in names]
    prefix = [r for r in rules if query and r.code.startswith(query.upper())]
    return [f"{r.code} ({r.name})" for r in dict.fromkeys([*prefix, *found])][:3]


def cmd_rule(args: argparse.Namespace) -> int:
    if args.all or args.code is None:
        if args.code is None and not args.all:
            sys.stderr.write("agentsense: give a rule code or name, or --all\n")
            return EXIT_ERROR
        return cmd_rules(args)
    from agentsense.analyzers.registry import find_rule

    rule = find_rule(args.code)
    if rule is None:
        message = f"agentsense: unknown rule {args.code!r}"
        close = _suggestions(args.code)
        if close:
            message += f" (did you mean {' or '.join(close)}?)"
        sys.stderr.write(message + "\nRun `agentsense rules` to list every rule.\n")
        return EXIT_ERROR
    if args.output_format == "json":
        sys.stdout.write(json.dumps(rule_data(rule), indent=2) + "\n")
    else:
        sys.stdout.write(explain_rule(rule))
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from agentsense.analyzers.registry import all_rules

    rules = all_rules()
    if args.output_format == "json":
        listing = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.value,
                "fix": fix_availability(r) or None,
                "summary": r.summary,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(listing, indent=2) + "\n")
    else:
        sys.stdout.write(rules_table(rules))
    return 0


# -- config -----------------------------------------------------------------------------------


def split_config_arguments(values: Sequence[str] | None) -> tuple[Path | None, list[str]]:
    """`--config` values: at most one file, and inline `KEY = VALUE` settings (as ruff's:
    a value naming an existing file, or without `=`, is a file)."""
    from agentsense.analyzers.config import ConfigError

    files: list[Path] = []
    inline: list[str] = []
    for value in values or ():
        if "=" in value and not Path(value).is_file():
            inline.append(value)
        else:
            files.append(Path(value))
    if len(files) > 1:
        raise ConfigError(f"--config: one config file at most, got {', '.join(map(str, files))}")
    if files and not files[0].is_file():
        raise ConfigError(f"--config: no such file: {files[0]}")
    return (files[0] if files else None), inline


def cmd_config(args: argparse.Namespace) -> int:
    from agentsense.analyzers.config import CliOverrides, ConfigError, ConfigResolver

    path = Path(args.path)
    if not path.exists():
        sys.stderr.write(f"agentsense: path does not exist: {args.path}\n")
        return EXIT_ERROR
    try:
        config_file, inline = split_config_arguments(args.config)
        overrides = CliOverrides.build(inline=inline)
        config = ConfigResolver(config_file, overrides).for_path(path)
        described = config.describe()
    except ConfigError as error:
        sys.stderr.write(f"agentsense: {error}\n")
        return EXIT_ERROR
    if args.output_format == "json":
        sys.stdout.write(json.dumps(described, indent=2) + "\n")
        return 0
    source = described.get("source")
    lines = [
        f"config file: {source if source else 'none (built-in defaults)'}",
        f"project root: {described.get('root')}",
        f"enabled rules: {', '.join(described.get('enabled', [])) or 'none'}",
        "settings:",
        textwrap.indent(json.dumps(described.get("settings", {}), indent=2), "  "),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


# -- server -----------------------------------------------------------------------------------


def cmd_server(args: argparse.Namespace) -> int:
    try:
        language_server = importlib.import_module("agentsense.server.lsp.server")
    except ImportError as error:
        sys.stderr.write(
            f"agentsense: the language server is not available: {error}\n"
            "  (reinstall agentsense, or report this bug if it persists)\n"
        )
        return EXIT_ERROR
    transport = "tcp" if args.tcp else "stdio"
    serve: Any = getattr(language_server, "serve", None)
    if not callable(serve):
        sys.stderr.write("agentsense: agentsense.server.lsp.server has no serve() function\n")
        return EXIT_ERROR
    result = serve(transport=transport, host=args.host, port=args.port)
    return result if isinstance(result, int) else 0


# -- check ------------------------------------------------------------------------------------


def _flatten(values: list[list[str]] | None) -> list[str] | None:
    return None if values is None else [code for group in values for code in group]


def cmd_check(args: argparse.Namespace) -> int:
    # Loaded with the cyclic collector off, then frozen out of its sight: these live as long
    # as the run, and a collector scanning them over and over while they load costs a
    # one-file run ~10% of its time. The engine and the rules are loaded the same way, and
    # only once a file is not in the cache (`check.load_linter`).
    gc.disable()
    try:
        from agentsense.analyzers.config import CliOverrides, ConfigError
        from agentsense.server.cli.check import CheckOptions, Streams, run_check, settle_collector

        settle_collector()
    finally:
        gc.enable()

    try:
        config_file, inline = split_config_arguments(args.config)
        overrides = CliOverrides.build(
            select=_flatten(args.select),
            extend_select=_flatten(args.extend_select) or (),
            ignore=_flatten(args.ignore) or (),
            respect_gitignore=args.respect_gitignore,
            inline=inline,
            file_time_budget=args.file_time_budget,
        )
    except ConfigError as error:
        sys.stderr.write(f"agentsense: {error}\n")
        return EXIT_ERROR
    options = CheckOptions(
        paths=tuple(args.paths),
        fix=args.fix,
        unsafe_fixes=args.unsafe_fixes,
        diff=args.diff,
        overrides=overrides,
        output_format=args.output_format,
        output_file=args.output_file,
        statistics=args.statistics,
        exit_zero=args.exit_zero,
        stdin_filename=args.stdin_filename,
        jobs=args.jobs,
        no_cache=args.no_cache,
        config=config_file,
        show_fixes=args.show_fixes,
        quiet=args.quiet,
        color=args.color,
        cache_dir=args.cache_dir,
        exit_non_zero_on_fix=args.exit_non_zero_on_fix,
        add_noqa=args.add_noqa,
        baseline=args.baseline,
        write_baseline=args.write_baseline,
        force_exclude=args.force_exclude,
    )
    streams = Streams(sys.stdin.buffer, sys.stdout, sys.stderr)
    if args.watch:
        from agentsense.server.cli.watch import watch

        return watch(options, streams)
    return run_check(options, streams)


def cmd_clean(args: argparse.Namespace) -> int:
    from agentsense.server.cli.cache import remove_caches

    root = Path(args.path)
    if not root.is_dir():
        sys.stderr.write(f"agentsense: not a folder: {args.path}\n")
        return EXIT_ERROR
    removed, failed = remove_caches(root, args.cache_dir)
    for path, why in failed:
        sys.stderr.write(f"agentsense: cannot remove {path}: {why}\n")
    for path in removed:
        sys.stdout.write(f"removed {path}\n")
    if not removed and not failed:
        sys.stdout.write("no cache to remove\n")
    return EXIT_ERROR if failed else 0


def cmd_tools(args: argparse.Namespace) -> int:
    from agentsense.server.cli.catalog import cmd_tools as tools

    return tools(args)


COMMANDS = {
    "check": cmd_check,
    "rule": cmd_rule,
    "rules": cmd_rules,
    "config": cmd_config,
    "clean": cmd_clean,
    "server": cmd_server,
    "tools": cmd_tools,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `agentsense` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        sys.stderr.write("agentsense: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except Exception:
        # A bug of ours, not a user mistake: say so, and give what a bug report needs.
        sys.stderr.write(
            f"agentsense {__version__}: internal error; please report this bug at "
            f"{BUG_REPORT_URL} with the output below\n{traceback.format_exc()}"
        )
        return EXIT_ERROR
