"""The `agentsense` argument parser, every command's (check, rule, rules, config, clean, tools,
server): the one the console script, `python -m agentsense` and the language server's own
`python -m agentsense.server.lsp` parse with.

It imports nothing but the standard library (and the version), so parsing costs the same for
every command, and `agentsense server` does not load the linter before it answers `initialize`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from agentsense import __version__
from agentsense.server.cli.status import EXIT_ERROR

# analyzers.budget.MAX_SOURCE_BYTES in MB, for the help text (importing it would load
# `agentsense.analyzers` for `agentsense server`; tests/cli/test_commands.py keeps the two equal).
MAX_SOURCE_MEGABYTES = 4
# The `--output-format` names of `check` (tests/cli/test_formats.py checks them against the
# formats registry).
FORMAT_NAMES = ("full", "concise", "json", "json-lines", "sarif", "github", "junit")

CHECK_EPILOG = f"""\
exit status:
  0  no findings (or --exit-zero), or --diff found nothing to fix
  1  findings remain (after --fix, if given), or --diff would change a file
  2  usage or configuration error, a path that does not exist, an internal error
     in any file, or a file that could not be read (not UTF-8, binary, larger than
     {MAX_SOURCE_MEGABYTES} MB, unreadable) in a run that otherwise found nothing; such files are named
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
        help="lint with N processes (default: the cores it may use; 1 = in this process)",
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

    _add_tools_parser(commands)

    server = commands.add_parser(
        "server",
        help="start the language server (stdio by default)",
        description="Start the agentsense language server for an editor.",
    )
    add_server_arguments(server)
    return parser


TOOLS_EPILOG = """\
Each tool a recognised framework registers, as the framework would send it to the model:
registry, name, description and the parameters' JSON schema (null where it cannot be known
without running the code). Keep the JSON under version control to see, in a pull request,
what a change does to what the model sees:

  agentsense tools --output-format json > tools.json
"""


def _add_tools_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tools = commands.add_parser(
        "tools",
        help="print the tool catalog: what the model sees of each tool",
        description="Print every framework tool in PATHS (default: .): registry, name, "
        "description and parameters schema, as the framework sends them to the model.",
        epilog=TOOLS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tools.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or folders")
    tools.add_argument(
        "--output-format", choices=("text", "json"), default="text", help="text or json"
    )


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError("must be from 1 to 65535")
    return number


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `agentsense server` (shared with the full command line's help)."""
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)"
    )
    transport.add_argument("--tcp", action="store_true", help="listen on a TCP socket")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=2087, help="TCP port (default: 2087)")
