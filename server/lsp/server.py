"""The agentsense language server: pygls and its LSP handlers, started by `agentsense server`.

This module imports only pygls and lsprotocol, so `initialize` is answered before the analysis
engine has loaded; the engine is imported on a worker thread right after (`initialized`). Each
handler here is a stub that passes the shared `State` (state.py) and the client's params to the
module of its feature, one module per feature as in pygls' example servers:

    lifecycle.py      initialize, initialized, workspace folders, shutdown
    documents.py      textDocument/didOpen|didChange|didClose|didSave, watched files
    notebooks.py      notebookDocument/didOpen|didChange|didClose
    configuration.py  workspace/didChangeConfiguration
    diagnostics.py    textDocument/diagnostic (pushed diagnostics: analysis.py)
    code_actions.py   textDocument/codeAction, codeAction/resolve
    hover.py          textDocument/hover
    code_lens.py      textDocument/codeLens, the agentsense.runTool command
    navigation.py     workspace/symbol, textDocument/definition

Handlers never raise into pygls: an error is logged to the client (window/logMessage) and a
neutral answer returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from agentsense import __version__

if TYPE_CHECKING:
    from agentsense.server.lsp.state import State

# The handlers' annotations name only what is importable here: pygls reads them at run time.

__all__ = ["AgentsenseServer", "main", "serve", "server", "state"]

RUN_TOOL_COMMAND = "agentsense.runTool"
FIX_ALL_KIND = "source.fixAll.agentsense"
RUN_TOOL_KIND = "source.agentsense.runTool"

# The notebooks editors sync to the server (notebookDocument/*): Jupyter notebooks' Python
# cells (server/lsp/notebooks.py).
NOTEBOOK_SYNC = lsp.NotebookDocumentSyncOptions(
    notebook_selector=[
        lsp.NotebookDocumentFilterWithCells(
            notebook="jupyter-notebook", cells=[lsp.NotebookCellLanguage(language="python")]
        )
    ]
)

# The feature modules, imported together on a worker thread once the server is up.
FEATURE_MODULES = tuple(
    f"agentsense.server.lsp.{name}"
    for name in (
        "lifecycle",
        "documents",
        "notebooks",
        "configuration",
        "diagnostics",
        "code_actions",
        "hover",
        "code_lens",
        "navigation",
    )
)

F = TypeVar("F", bound=Callable[..., Any])


class AgentsenseProtocol(LanguageServerProtocol):
    """pygls's protocol, answering requests it cannot read (pygls only logs them, leaving the
    client waiting for an answer that never comes)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=error.to_response_error())
            raise


class AgentsenseServer(LanguageServer):
    """The pygls server; `initialize` params are kept until the state is created from them."""

    def __init__(self) -> None:
        super().__init__(
            "agentsense",
            __version__,
            protocol_cls=AgentsenseProtocol,
            notebook_document_sync=NOTEBOOK_SYNC,
        )
        self.init_params: lsp.InitializeParams | None = None
        self.state: State | None = None

    def log_error(self, message: str) -> None:
        logging.getLogger("agentsense.server").error(message)
        with contextlib.suppress(Exception):
            self.window_log_message(
                lsp.LogMessageParams(type=lsp.MessageType.Error, message=message)
            )


server = AgentsenseServer()


def state() -> State:
    """The shared state, created on first use with `initialize`'s params (once the feature
    modules are loaded: every handler but `initialize` and `shutdown` waits for them)."""
    if server.state is None:
        from agentsense.server.lsp import lifecycle
        from agentsense.server.lsp.state import State

        server.state = State(server)
        if server.init_params is not None:
            lifecycle.initialize(server.state, server.init_params)
    return server.state


_features_loaded = False
_loading_features = threading.Lock()


def load_features() -> None:
    """Import the feature modules (and so the engine), once. `initialized` starts it on a
    worker thread; a handler arriving meanwhile waits for it here rather than importing the
    same modules on the event loop's thread at the same time (Python's import locks would see
    a deadlock in the engine's import cycles)."""
    global _features_loaded
    if _features_loaded:
        return
    with _loading_features:
        if not _features_loaded:
            for name in FEATURE_MODULES:
                importlib.import_module(name)
            _features_loaded = True


def guarded(default: Any = None, *, needs_features: bool = True) -> Callable[[F], F]:
    """Never raise into pygls: log the error and answer `default`. A handler that
    `needs_features` runs once the feature modules are loaded."""

    def decorate(function: F) -> F:
        if asyncio.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any) -> Any:
                try:
                    if needs_features and not _features_loaded:
                        await asyncio.get_running_loop().run_in_executor(None, load_features)
                    return await function(*args)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    server.log_error(f"{function.__name__} failed:\n{traceback.format_exc()}")
                    return default

            return cast(F, run_async)

        @functools.wraps(function)
        def run(*args: Any) -> Any:
            try:
                if needs_features:
                    load_features()
                return function(*args)
            except Exception:
                server.log_error(f"{function.__name__} failed:\n{traceback.format_exc()}")
                return default

        return cast(F, run)

    return decorate


# -- lifecycle ----------------------------------------------------------------------------


@server.feature(lsp.INITIALIZE)
@guarded(needs_features=False)
def initialize(params: lsp.InitializeParams) -> None:
    server.init_params = params


@server.feature(lsp.INITIALIZED)
@guarded()  # loads the engine on a worker thread: the event loop keeps answering meanwhile
async def initialized(params: lsp.InitializedParams) -> None:
    from agentsense.server.lsp import lifecycle

    await lifecycle.initialized(state(), params)


@server.feature(lsp.SHUTDOWN)
@guarded(needs_features=False)
def shutdown(params: None) -> None:
    if server.state is not None:
        from agentsense.server.lsp import lifecycle

        lifecycle.shutdown(server.state)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
@guarded()
def did_change_workspace_folders(params: lsp.DidChangeWorkspaceFoldersParams) -> None:
    from agentsense.server.lsp import lifecycle

    lifecycle.did_change_workspace_folders(state(), params)


# -- documents ----------------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
@guarded()
def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
    from agentsense.server.lsp import documents

    documents.did_open(state(), params)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
@guarded()
def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
    from agentsense.server.lsp import documents

    documents.did_change(state(), params)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
@guarded()
def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
    from agentsense.server.lsp import documents

    documents.did_close(state(), params)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
@guarded()
async def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
    from agentsense.server.lsp import documents

    await documents.did_save(state(), params)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded()
async def did_change_watched_files(params: lsp.DidChangeWatchedFilesParams) -> None:
    from agentsense.server.lsp import documents

    await documents.did_change_watched_files(state(), params)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
@guarded()
def notebook_did_open(params: lsp.DidOpenNotebookDocumentParams) -> None:
    from agentsense.server.lsp import notebooks

    notebooks.notebook_did_open(state(), params)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
@guarded()
def notebook_did_change(params: lsp.DidChangeNotebookDocumentParams) -> None:
    from agentsense.server.lsp import notebooks

    notebooks.notebook_did_change(state(), params)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
@guarded()
def notebook_did_close(params: lsp.DidCloseNotebookDocumentParams) -> None:
    from agentsense.server.lsp import notebooks

    notebooks.notebook_did_close(state(), params)


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded()
def did_change_configuration(params: lsp.DidChangeConfigurationParams) -> None:
    from agentsense.server.lsp import configuration

    configuration.did_change_configuration(state(), params)


# -- features -----------------------------------------------------------------------------


@server.feature(
    lsp.TEXT_DOCUMENT_DIAGNOSTIC,
    lsp.DiagnosticOptions(
        identifier="agentsense", inter_file_dependencies=True, workspace_diagnostics=False
    ),
)
@guarded()
async def diagnostic(
    params: lsp.DocumentDiagnosticParams,
) -> lsp.RelatedFullDocumentDiagnosticReport | lsp.RelatedUnchangedDocumentDiagnosticReport:
    from agentsense.server.lsp import diagnostics

    return await diagnostics.diagnostic(state(), params)


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(
        code_action_kinds=[
            lsp.CodeActionKind.QuickFix,
            lsp.CodeActionKind.Source,
            FIX_ALL_KIND,
            RUN_TOOL_KIND,
        ],
        resolve_provider=True,
    ),
)
@guarded(default=[])
async def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    from agentsense.server.lsp import code_actions

    return await code_actions.code_action(state(), params)


@server.feature(lsp.CODE_ACTION_RESOLVE)
@guarded()
async def code_action_resolve(action: lsp.CodeAction) -> lsp.CodeAction:
    from agentsense.server.lsp import code_actions

    return await code_actions.code_action_resolve(state(), action)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@guarded()
async def hover(params: lsp.HoverParams) -> lsp.Hover | None:
    from agentsense.server.lsp import hover

    return await hover.hover(state(), params)


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
@guarded(default=[])
async def code_lens(params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    from agentsense.server.lsp import code_lens

    return await code_lens.code_lens(state(), params)


@server.command(RUN_TOOL_COMMAND)
@guarded(default={"ok": False, "error": {"kind": "server", "message": "internal error"}})
async def run_tool(*args: Any) -> dict[str, Any]:  # Any: pygls passes the JSON as it came
    from agentsense.server.lsp import code_lens

    return await code_lens.run_tool_command(state(), args[0] if args else None)


@server.feature(lsp.WORKSPACE_SYMBOL)
@guarded(default=[])
def workspace_symbol(params: lsp.WorkspaceSymbolParams) -> list[lsp.SymbolInformation]:
    from agentsense.server.lsp import navigation

    return navigation.workspace_symbol(state(), params)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@guarded()
def definition(params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    from agentsense.server.lsp import navigation

    return navigation.definition(state(), params)


# -- entry point ---------------------------------------------------------------------------


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 2087) -> int:
    """Run the server until the client disconnects (stdio) or forever (tcp)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if transport == "tcp":
        server.start_tcp(host, port)
    else:
        from agentsense.server.lsp.stdio import start_io_guarded

        start_io_guarded(server)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m agentsense.server.lsp [--stdio | --tcp ...]`: `agentsense server`."""
    from agentsense.server.entry import main as agentsense

    return agentsense(["server", *(sys.argv[1:] if argv is None else argv)])
