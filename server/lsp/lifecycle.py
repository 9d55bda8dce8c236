"""Lifecycle: `initialize`'s params applied to the state, `initialized`, workspace folders and
`shutdown`."""

from __future__ import annotations

import contextlib
from pathlib import Path

from lsprotocol import types as lsp

from agentsense import __version__
from agentsense.analyzers.registry import all_rules
from agentsense.server.lsp.convert import DiagnosticOptions, path_for
from agentsense.server.lsp.indexing import index_changed, start_indexing
from agentsense.server.lsp.settings import ConfigStore, parse_settings
from agentsense.server.lsp.state import ClientSupport, State

# The files whose changes on disk the server asks to hear about (when the client can watch).
WATCHED = ("**/*.py", "**/pyproject.toml", "**/agentsense.toml")


def initialize(state: State, params: lsp.InitializeParams) -> None:
    root = state.ls.workspace.root_path
    folders = [path_for(folder.uri) for folder in params.workspace_folders or []]
    if root is None and folders:
        root = folders[0]
    state.config = ConfigStore(Path(root) if root else Path.cwd())
    state.index.roots = tuple(folders or ([root] if root else []))
    parsed = parse_settings(params.initialization_options or {}, "initializationOptions")
    state.settings = parsed.settings
    state.config.reset(parsed.overrides)
    if parsed.error:
        state.show(f"agentsense: {parsed.error} (ignored)", lsp.MessageType.Error)
    state.client = ClientSupport.of(params.capabilities)
    state.diagnostic_options = DiagnosticOptions(
        related_information=state.client.related_information or state.pull,
    )


async def initialized(state: State, params: lsp.InitializedParams) -> None:
    # Import every rule now, on the analysis thread, rather than in the first document's lint.
    state.analysis.submit(all_rules)
    state.log(
        f"agentsense {__version__}: workspace {', '.join(state.index.roots) or '(none)'}, "
        f"{'pull' if state.pull else 'push'} diagnostics, encoding {state.encoding()}"
    )
    if state.client.watch_files:
        watchers = [lsp.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
        with contextlib.suppress(Exception):
            await state.ls.client_register_capability_async(
                lsp.RegistrationParams(
                    registrations=[
                        lsp.Registration(
                            id="agentsense-watch",
                            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                                watchers=watchers
                            ),
                        )
                    ]
                )
            )
    start_indexing(state, [Path(root) for root in state.index.roots])


def did_change_workspace_folders(state: State, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
    """Folders added to a multi-root workspace are indexed; removed ones are forgotten."""
    for folder in params.event.removed:
        state.index.remove_folder(path_for(folder.uri))
    added = [path_for(folder.uri) for folder in params.event.added]
    state.index.roots = (*state.index.roots, *(a for a in added if a not in state.index.roots))
    state.log(f"workspace folders: {', '.join(state.index.roots) or '(none)'}")
    index_changed(state)
    start_indexing(state, [Path(folder) for folder in added])


def shutdown(state: State) -> None:
    for indexing in list(state.indexing):
        indexing.cancel()
    for tool in list(state.running_tools):
        tool.cancel()
    # The indexing process must not keep the server alive after `exit`.
    state.background.shutdown(wait=False, cancel_futures=True)
