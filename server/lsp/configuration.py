"""Configuration changes: the client's settings (`workspace/didChangeConfiguration`) and config
files (agentsense.toml, pyproject.toml) saved or changed on disk. Either re-lints every open
document; settings.py reads and validates what the client sends."""

from __future__ import annotations

from lsprotocol import types as lsp

from agentsense.server.lsp.analysis import relint_all
from agentsense.server.lsp.settings import parse_settings
from agentsense.server.lsp.state import State


def did_change_configuration(state: State, params: lsp.DidChangeConfigurationParams) -> None:
    parsed = parse_settings(params.settings or {}, "settings")
    if parsed.error:
        state.show(f"agentsense: {parsed.error} (ignored)", lsp.MessageType.Error)
    state.settings = parsed.settings
    state.config.reset(parsed.overrides)
    state.shown_errors.clear()
    relint_all(state)
    state.refresh_lenses()


def config_changed(state: State) -> None:
    """A config file changed: read the config again and re-lint every open document."""
    state.config.reset()
    state.shown_errors.clear()
    relint_all(state)
