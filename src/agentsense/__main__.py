"""`python -m agentsense ...` is the `agentsense` console script."""

import sys

from agentsense.server.entry import main

sys.exit(main())
