"""The `agentsense` command line: the argument parser, `check` and its output formats, the cache."""
