"""The front ends: the pygls language server and the `agentsense` command line."""
