"""The agentsense language server: LSP handlers, started by `agentsense server` (stdio or TCP).

This module imports only pygls and lsprotocol, so `initialize` is answered before the
analysis engine has loaded; `server/core.py` (analysis, actions, index, Run tool) is imported
in the background right after, and every handler delegates to it. Handlers never raise into
pygls: an error is logged to the client (window/logMessage) and a neutral answer returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import json
import logging
import os
import select
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, BinaryIO, TypeVar, cast

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from agentsense import __version__

__all__ = ["AgentsenseServer", "main", "serve", "server"]

RUN_TOOL_COMMAND = "agentsense.runTool"
FIX_ALL_KIND = "source.fixAll.agentsense"
RUN_TOOL_KIND = "source.agentsense.runTool"

# The notebooks editors sync to the server (notebookDocument/*): Jupyter notebooks' Python
# cells (server/notebook_sync.py analyses them).
NOTEBOOK_SYNC = lsp.NotebookDocumentSyncOptions(
    notebook_selector=[
        lsp.NotebookDocumentFilterWithCells(
            notebook="jupyter-notebook", cells=[lsp.NotebookCellLanguage(language="python")]
        )
    ]
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
    """The pygls server; `initialize` params are kept until the core module binds to it."""

    def __init__(self) -> None:
        super().__init__(
            "agentsense",
            __version__,
            protocol_cls=AgentsenseProtocol,
            notebook_document_sync=NOTEBOOK_SYNC,
        )
        self.init_params: lsp.InitializeParams | None = None

    def log_error(self, message: str) -> None:
        logging.getLogger("agentsense.server").error(message)
        with contextlib.suppress(Exception):
            self.window_log_message(
                lsp.LogMessageParams(type=lsp.MessageType.Error, message=message)
            )


server = AgentsenseServer()


def core() -> ModuleType:
    """The core module, imported (and bound to this server) on first use."""
    module = importlib.import_module("agentsense.server.lsp.state")
    module.bind(server, server.init_params)
    return module


def guarded(default: Any = None) -> Callable[[F], F]:
    """Never raise into pygls: log the error and answer `default`."""

    def decorate(function: F) -> F:
        if asyncio.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any) -> Any:
                try:
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
                return function(*args)
            except Exception:
                server.log_error(f"{function.__name__} failed:\n{traceback.format_exc()}")
                return default

        return cast(F, run)

    return decorate


# -- lifecycle ----------------------------------------------------------------------------


@server.feature(lsp.INITIALIZE)
@guarded()
def initialize(params: lsp.InitializeParams) -> None:
    server.init_params = params


@server.feature(lsp.INITIALIZED)
@guarded()
async def initialized(params: lsp.InitializedParams) -> None:
    # Load the engine on a worker thread: the event loop keeps answering meanwhile.
    await asyncio.get_running_loop().run_in_executor(
        None, importlib.import_module, "agentsense.server.lsp.state"
    )
    await core().initialized(params)


@server.feature(lsp.SHUTDOWN)
@guarded()
def shutdown(params: None) -> None:
    if "agentsense.server.lsp.state" in sys.modules:
        core().shutdown(params)


# -- documents ----------------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
@guarded()
def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
    core().did_open(params)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
@guarded()
def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
    core().did_change(params)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
@guarded()
def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
    core().did_close(params)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
@guarded()
async def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
    await core().did_save(params)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
@guarded()
def notebook_did_open(params: lsp.DidOpenNotebookDocumentParams) -> None:
    core().notebook_did_open(params)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
@guarded()
def notebook_did_change(params: lsp.DidChangeNotebookDocumentParams) -> None:
    core().notebook_did_change(params)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
@guarded()
def notebook_did_close(params: lsp.DidCloseNotebookDocumentParams) -> None:
    core().notebook_did_close(params)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
@guarded()
def did_change_workspace_folders(params: lsp.DidChangeWorkspaceFoldersParams) -> None:
    core().did_change_workspace_folders(params)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded()
async def did_change_watched_files(params: lsp.DidChangeWatchedFilesParams) -> None:
    await core().did_change_watched_files(params)


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded()
def did_change_configuration(params: lsp.DidChangeConfigurationParams) -> None:
    core().did_change_configuration(params)


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
    return cast(
        "lsp.RelatedFullDocumentDiagnosticReport | lsp.RelatedUnchangedDocumentDiagnosticReport",
        await core().diagnostic(params),
    )


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
    return cast("list[lsp.CodeAction]", await core().code_action(params))


@server.feature(lsp.CODE_ACTION_RESOLVE)
@guarded()
async def code_action_resolve(action: lsp.CodeAction) -> lsp.CodeAction:
    return cast(lsp.CodeAction, await core().code_action_resolve(action))


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@guarded()
async def hover(params: lsp.HoverParams) -> lsp.Hover | None:
    return cast("lsp.Hover | None", await core().hover(params))


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
@guarded(default=[])
async def code_lens(params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    return cast("list[lsp.CodeLens]", await core().code_lens(params))


@server.command(RUN_TOOL_COMMAND)
@guarded(default={"ok": False, "error": {"kind": "server", "message": "internal error"}})
async def run_tool(*args: Any) -> dict[str, Any]:
    return cast("dict[str, Any]", await core().run_tool_command(*args))


@server.feature(lsp.WORKSPACE_SYMBOL)
@guarded(default=[])
def workspace_symbol(params: lsp.WorkspaceSymbolParams) -> list[lsp.SymbolInformation]:
    return cast("list[lsp.SymbolInformation]", core().workspace_symbol(params))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@guarded()
def definition(params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    return cast("list[lsp.Location] | None", core().definition(params))


# -- entry point ---------------------------------------------------------------------------

# How long a message body may stall before the reader checks whether its Content-Length lied.
BODY_STALL_SECONDS = 0.5
_HEADER = b"Content-Length: "


def _json_end(data: bytes) -> int | None:
    """The byte length of the complete JSON value `data` starts with (None: there is none)."""
    text = data.decode("utf-8", "surrogateescape")
    start = len(text) - len(text.lstrip())
    try:
        _, end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    return len(text[:end].encode("utf-8", "surrogateescape"))


class GuardedStdin:
    """stdin for pygls's reader (`readline()`, `read(n)`), surviving a wrong Content-Length.

    pygls reads a body with `read(Content-Length)`: a length larger than the body blocks until
    later messages make up the difference, swallows them into one unparsable body, and the
    stream is out of step from then on (every later request is lost). Here a body that ends
    early is recognised, and only then: when the bytes for the announced length contain the
    next message's header right after a complete JSON value, or when the body stalls for
    BODY_STALL_SECONDS with a complete JSON value already read. The body is cut there and the
    rest is kept for the next message. A valid body is never cut (raw newlines cannot occur
    in JSON strings, and a complete value cannot be followed by more JSON).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream  # kept open: the descriptor is read directly
        self.fd = stream.fileno()
        self.buffer = bytearray()
        self.eof = False
        self.lock = threading.Lock()
        self.recovered = 0  # bodies cut short (for the log and tests)

    def _fill(self, timeout: float | None) -> bool:
        """Read what is available (waiting up to `timeout`); False when nothing came."""
        if self.eof:
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer.extend(data)
        return True

    def _take(self, count: int) -> bytes:
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def readline(self) -> bytes:
        with self.lock:
            while b"\n" not in self.buffer and not self.eof:
                self._fill(None)
            end = self.buffer.find(b"\n")
            return self._take(end + 1 if end >= 0 else len(self.buffer))

    def read(self, count: int) -> bytes:
        with self.lock:
            while len(self.buffer) < count and not self.eof:
                if self._fill(BODY_STALL_SECONDS):
                    continue
                end = self._early_end(bytes(self.buffer), stalled=True)
                if end is not None:
                    return self._cut(end, count)
            if _HEADER in self.buffer[:count]:
                end = self._early_end(bytes(self.buffer[:count]), stalled=False)
                if end is not None:
                    return self._cut(end, count)
            return self._take(count)

    def _early_end(self, data: bytes, stalled: bool) -> int | None:
        end = _json_end(data)
        if end is None:
            return None
        rest = data[end:].lstrip()
        if rest.startswith(_HEADER) or (stalled and not rest):
            return end
        return None

    def _cut(self, end: int, count: int) -> bytes:
        self.recovered += 1
        logging.getLogger("agentsense.server").warning(
            "a message announced %d bytes but its body had %d: read as %d bytes", count, end, end
        )
        return self._take(end)


def _start_io_guarded(ls: LanguageServer) -> None:
    """pygls's stdio loop with GuardedStdin (where select() works on pipes)."""
    if os.name != "posix":
        ls.start_io()
        return
    ls.start_io(cast(BinaryIO, GuardedStdin(sys.stdin.buffer)))


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 2087) -> int:
    """Run the server until the client disconnects (stdio) or forever (tcp)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if transport == "tcp":
        server.start_tcp(host, port)
    else:
        _start_io_guarded(server)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m agentsense.server.lsp.server [--stdio | --tcp [--host H] [--port N]]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m agentsense.server.lsp.server")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    parser.add_argument("--tcp", action="store_true", help="listen on a TCP socket")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    args = parser.parse_args(argv)
    return serve("tcp" if args.tcp else "stdio", args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
