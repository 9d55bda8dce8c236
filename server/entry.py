"""The `agentsense` console script (and `python -m agentsense`): both front ends start here.

The command line is parsed by the one parser (`server/cli/parser.py`, standard library only);
then `agentsense server` imports the language server alone (pygls, no engine: it answers
`initialize` first and loads the engine behind it) and every other command imports what it
runs (`agentsense check` never loads pygls). Editors run `from agentsense.server.entry import
main` (the VS Code extension does), so this module stays where it is.
"""

from __future__ import annotations

import sys

from agentsense.server.cli.commands import main as run_command


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `agentsense` console script; returns the exit status."""
    return run_command(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
