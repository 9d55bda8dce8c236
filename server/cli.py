"""The `agentsense` command line: check, rule, rules, config, tools and server."""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import sys
import textwrap
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from agentsense.analyzers import __version__
from agentsense.analyzers.config import CliOverrides, ConfigError, ConfigResolver
from agentsense.analyzers.engine import MAX_SOURCE_BYTES
from agentsense.analyzers.registry import all_rules, find_rule
from agentsense.analyzers.rule import Rule
from agentsense.server.catalog_cli import add_tools_parser, cmd_tools
from agentsense.server.check import BUG_REPORT_URL, EXIT_ERROR, CheckOptions, Streams, run_check
from agentsense.server.entry import add_server_arguments
from agentsense.server.formats import FORMAT_NAMES

CHECK_EPILOG = f"""\
exit status:
  0  no findings (or --exit-zero), or --diff found nothing to fix
  1  findings remain (after --fix, if given), or --diff would change a file
  2  usage or configuration error, a path that does not exist, an internal error
     in any file, or a file that could not be read (not UTF-8, binary, larger than
     {MAX_SOURCE_BYTES // (1024 * 1024)} MB, unreadable) in a run that otherwise found nothing; such files are named
     on stderr and the run goes on with the others

examples:
  agentsense check                       lint the project in the current directory
  agentsense check src --fix             apply safe fixes, then report what remains
  agentsense check --diff                show what --fix would change, write nothing
  agentsense check --output-format sarif --output-file agentsense.sarif
  cat tool.py | agentsense check - --stdin-filename src/tool.py
"""


class _Parser(argparse.ArgumentParser):
    """argparse with `agentsense: error: ...` and exit 2 for every usage error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"agentsense: error: {message}\n")


def _codes(value: str) -> list[str]:
    """A comma-separated list of rule codes, prefixes or names."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _add_cache_dir(parser: argparse.ArgumentParser | argparse._ArgumentGroup, text: str) -> None:
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        default=os.environ.get("AGENTSENSE_CACHE_DIR") or None,
        help=text,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="agentsense",
        description="A linter and language server for Python agent code: tool "
        "registrations, agent loops, prompts, secrets.",
    )
    parser.add_argument("--version", action="version", version=f"agentsense {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser(
        "check",
        help="lint files and directories (the default paths: .)",
        description="Lint Python files and Jupyter notebooks. Directories are searched for *.py,\n"
        "*.pyi and *.ipynb files, honouring `exclude`, `extend-exclude` and .gitignore; files\n"
        "named explicitly are always linted. Results are cached in .agentsense_cache/ at the project root.",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories to lint (default: .); `-` reads the source from stdin",
    )
    fixes = check.add_argument_group("fixes")
    fixes.add_argument(
        "--fix",
        action="store_true",
        help="apply safe fixes in place (files are only written when the result parses), "
        "then report what remains",
    )
    fixes.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="also apply (with --fix / --diff) and count as fixable the fixes that may "
        "change behaviour",
    )
    fixes.add_argument(
        "--diff",
        action="store_true",
        help="print a unified diff of what --fix would change and write nothing; "
        "exit 1 when there is something to change",
    )
    fixes.add_argument(
        "--add-noqa",
        action="store_true",
        help="add a `# noqa: CODE` comment for every finding instead of reporting it (to "
        "adopt agentsense in a large codebase; see also --baseline)",
    )
    fixes.add_argument(
        "--exit-non-zero-on-fix",
        action="store_true",
        help="with --fix, exit 1 when a file was changed, even if no findings remain (for "
        "pre-commit: the commit stops so the fixes can be reviewed)",
    )
    fixes.add_argument(
        "--show-fixes",
        action="store_true",
        help="with --fix, list the fixes applied per file; in the full format, show each "
        "available fix as a diff",
    )
    selection = check.add_argument_group("rule selection (override the config file)")
    selection.add_argument(
        "--select",
        type=_codes,
        action="append",
        metavar="CODES",
        help="comma-separated rule codes, prefixes (AGT4) or names to enable, replacing "
        "the configured selection (ALL = every rule)",
    )
    selection.add_argument(
        "--extend-select",
        type=_codes,
        action="append",
        metavar="CODES",
        help="rule codes, prefixes or names to enable in addition to the selection",
    )
    selection.add_argument(
        "--ignore",
        type=_codes,
        action="append",
        metavar="CODES",
        help="rule codes, prefixes or names to disable",
    )
    selection.add_argument(
        "--config",
        action="append",
        metavar="FILE | KEY=VALUE",
        help="a config file (agentsense.toml or pyproject.toml) to use for every file instead "
        "of searching each file's directories, or a TOML `KEY = VALUE` laid over the "
        "configuration (e.g. 'ignore = [\"AGT215\"]', 'rule-options.AGT101.default-max-"
        "iterations = 20'); repeatable",
    )
    output = check.add_argument_group("output")
    output.add_argument(
        "--output-format",
        choices=FORMAT_NAMES,
        default="full",
        help="full (default): findings with source lines and fixes; concise: one line "
        "each; json / json-lines: ruff-compatible objects; sarif: SARIF 2.1.0 for code "
        "scanning; github: GitHub Actions annotations; junit: JUnit XML",
    )
    output.add_argument(
        "-o",
        "--output-file",
        type=Path,
        metavar="FILE",
        help="write the report to FILE (parent directories are created)",
    )
    output.add_argument(
        "--statistics",
        action="store_true",
        help="print how many findings each code has instead of the findings (JSON with "
        "--output-format json)",
    )
    output.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings remain (errors still exit 2)",
    )
    output.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report only findings that FILE (written by --write-baseline) does not record",
    )
    output.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record every finding of this run in FILE and exit 0 (commit it, then check "
        "with --baseline FILE in CI)",
    )
    output.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the human formats: auto (default: on a terminal, unless NO_COLOR is "
        "set), always, never",
    )
    output.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print the findings only: no summary, no progress bar, no fix counts",
    )
    run = check.add_argument_group("run")
    run.add_argument(
        "--stdin-filename",
        metavar="FILE",
        help="the path to report and to match per-file-ignores against when reading "
        "stdin (with no PATH, implies `-`); with --fix the fixed source goes to stdout "
        "and the report to stderr",
    )
    run.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="lint with N processes (default: the number of CPUs; 1 = in this process)",
    )
    run.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write .agentsense_cache/",
    )
    _add_cache_dir(
        run,
        "keep the cache in DIR instead of each project's .agentsense_cache/ (default: "
        "$AGENTSENSE_CACHE_DIR when set); `agentsense clean` removes it",
    )
    run.add_argument(
        "-w",
        "--watch",
        action="store_true",
        help="check again whenever a file under the paths changes, until interrupted",
    )
    run.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply `exclude` / `extend-exclude` to files named on the command line too (as "
        "ruff's; the pre-commit hooks use it, since pre-commit names every changed file)",
    )
    run.add_argument(
        "--file-time-budget",
        type=float,
        metavar="SECONDS",
        help="seconds one file may take before it is reported as not linted (0: no limit; "
        "default: the config's `file-time-budget`, 10)",
    )
    run.add_argument(
        "--respect-gitignore",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="skip files .gitignore ignores when searching folders (default: the config's "
        "`respect-gitignore`, true)",
    )

    rule = commands.add_parser(
        "rule",
        help="explain a rule: why it matters, its fix, its examples",
        description="Explain a rule by code (AGT401) or name (mutable-default-argument).",
    )
    rule.add_argument("code", nargs="?", metavar="CODE", help="a rule code or name")
    rule.add_argument("--all", action="store_true", help="list every rule instead")
    rule.add_argument(
        "--output-format", choices=("text", "json"), default="text", help="text or json"
    )

    rules = commands.add_parser(
        "rules",
        help="list every rule",
        description="List every rule: code, name, default severity, fix, summary.",
    )
    rules.add_argument(
        "--output-format", choices=("text", "json"), default="text", help="text or json"
    )

    config = commands.add_parser(
        "config",
        help="print the effective configuration and the file it came from",
        description="Print the configuration that applies to PATH (default: .) and the "
        "file it was read from. Exits 2 with the file and key when the config is invalid.",
    )
    config.add_argument("path", nargs="?", default=".", metavar="PATH", help="file or folder")
    config.add_argument(
        "--config",
        action="append",
        metavar="FILE | KEY=VALUE",
        help="read this config file instead of searching, or lay a TOML `KEY = VALUE` over "
        "the configuration; repeatable",
    )
    config.add_argument(
        "--output-format", choices=("text", "json"), default="text", help="text or json"
    )

    clean = commands.add_parser(
        "clean",
        help="remove the cache: every .agentsense_cache/ under PATH, and --cache-dir",
        description="Remove agentsense's cache: every .agentsense_cache/ folder under PATH "
        "(default: .) and the --cache-dir / $AGENTSENSE_CACHE_DIR folder when given.",
    )
    clean.add_argument("path", nargs="?", default=".", metavar="PATH", help="folder to clean")
    _add_cache_dir(clean, "also remove this cache folder (default: $AGENTSENSE_CACHE_DIR when set)")

    add_tools_parser(commands)

    server = commands.add_parser(
        "server",
        help="start the language server (stdio by default)",
        description="Start the agentsense language server for an editor.",
    )
    add_server_arguments(server)
    return parser


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
        language_server = importlib.import_module("agentsense.server.language_server")
    except ImportError as error:
        sys.stderr.write(
            f"agentsense: the language server is not available: {error}\n"
            "  (reinstall agentsense, or report this bug if it persists)\n"
        )
        return EXIT_ERROR
    transport = "tcp" if args.tcp else "stdio"
    serve: Any = getattr(language_server, "serve", None)
    if not callable(serve):
        sys.stderr.write("agentsense: agentsense.server.language_server has no serve() function\n")
        return EXIT_ERROR
    result = serve(transport=transport, host=args.host, port=args.port)
    return result if isinstance(result, int) else 0


# -- check ------------------------------------------------------------------------------------


def _flatten(values: list[list[str]] | None) -> list[str] | None:
    return None if values is None else [code for group in values for code in group]


def cmd_check(args: argparse.Namespace) -> int:
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
        from agentsense.server.watch import watch

        return watch(options, streams)
    return run_check(options, streams)


def cmd_clean(args: argparse.Namespace) -> int:
    from agentsense.server.cache import remove_caches

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
