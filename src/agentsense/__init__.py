"""agentsense: a language server and CI linter for Python agent code.

The distribution owns this one import name. Its parts live in the repository's top-level
folders and are installed beneath it (see `package-dir` in pyproject.toml):
`agentsense.server` (the CLI and the language server), `agentsense.analyzers` (the engine and
its rules) and `agentsense.runtime` (the reference agent runtime). Importing this package
imports none of them.
"""

__version__ = "0.1.0"
