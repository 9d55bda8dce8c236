"""The `agentsense` console script: `agentsense server` starts without loading the linter CLI.

An editor starts the server on every window, so its cold start matters: the command line
(`agentsense.server.cli.commands`) imports the whole engine, libcst and the output formats before it parses
its arguments, while the language server answers `initialize` first and loads the engine
behind it. Every other command goes to `agentsense.server.cli.main` unchanged.
"""

from __future__ import annotations

import argparse
import sys


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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `agentsense` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] != ["server"]:
        from agentsense.server.cli.commands import main as cli_main

        return cli_main(args)
    parser = argparse.ArgumentParser(
        prog="agentsense server",
        description="Start the agentsense language server for an editor.",
    )
    add_server_arguments(parser)
    try:
        options = parser.parse_args(args[1:])
    except SystemExit as exit_:  # --help and usage errors
        return exit_.code if isinstance(exit_.code, int) else 2
    from agentsense.server.lsp.server import serve

    return serve(transport="tcp" if options.tcp else "stdio", host=options.host, port=options.port)


if __name__ == "__main__":
    raise SystemExit(main())
