"""`python -m agentsense.server.lsp [--stdio | --tcp [--host H] [--port N]]`: the language server,
as `agentsense server`."""

import sys

from agentsense.server.lsp.server import main

sys.exit(main())
