"""What the language server's handlers share: open documents, settings, config, the index.

One `State` is created for the running server once the engine has loaded (`server.py`'s
`state()`), and every handler receives it as its first argument. It holds data and the small
helpers every feature uses (logging to the client, what the client supports, the config of a
file); the features themselves (analysis, diagnostics, code actions, ...) live in their own
modules and take the state as a parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from agentsense.analyzers.config import Config
from agentsense.analyzers.incremental import IncrementalLinter
from agentsense.analyzers.model import Finding
from agentsense.server.lsp.convert import DiagnosticOptions, WireDiagnostic
from agentsense.server.lsp.notebook_sync import NotebookCells
from agentsense.server.lsp.run_tool import RunLimits, RunResult
from agentsense.server.lsp.settings import ClientSettings, ConfigStore
from agentsense.server.lsp.tools import ToolSite
from agentsense.server.lsp.workspace_index import WorkspaceIndex

__all__ = ["Analysis", "ClientSupport", "Document", "State", "TimeBudget"]

log = logging.getLogger("agentsense.server")


@dataclass(frozen=True)
class Analysis:
    """Findings of one version of one document, as diagnostics."""

    version: int
    text: str
    findings: tuple[Finding, ...]
    diagnostics: tuple[lsp.Diagnostic, ...]
    result_id: str
    config: Config
    seconds: float
    mode: str
    not_linted: str | None = None  # why the document was not linted (too large, too slow)
    # It ran out of the configured time budget: analyse the same version again, with the
    # larger budget (the linter kept what it parsed). See `TimeBudget`.
    retry: bool = False
    # The diagnostics as sent to the client (each serialised once, kept with it).
    wire: tuple[WireDiagnostic, ...] = ()


@dataclass
class TimeBudget:
    """How a document's analyses are timed, across versions (written on the analysis thread).

    An analysis that runs out of the configured `file-time-budget` leaves the document's
    incremental linter as it was (what it parsed stays) and sets `missed`: the document is
    analysed again at once, and until an analysis ends, every analysis of it gets the larger
    retry budget (so edits meanwhile are not each a new attempt bound to run out). When that
    runs out too, `exhausted` says why, and the document's edits are not analysed until it is
    saved, reopened or the configuration changes (each of which starts a fresh `TimeBudget`).
    """

    missed: bool = False
    exhausted: str | None = None


@dataclass
class Document:
    """An open document: its latest text and its latest analysis."""

    uri: str
    path: str
    version: int
    text: str
    linter: IncrementalLinter
    result: Analysis | None = None
    timer: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    sites: tuple[int, list[ToolSite]] | None = None  # (version, sites)
    hints: dict[int, tuple[float, str]] = field(default_factory=dict)  # row -> (time, text)
    # A pull was answered before this document's analysis ended: refresh when it ends.
    refresh_pending: bool = False
    budget: TimeBudget = field(default_factory=TimeBudget)

    @classmethod
    def open(cls, uri: str, path: str, version: int, text: str) -> Document:
        return cls(uri, path, version, text, IncrementalLinter(path))


@dataclass(frozen=True, slots=True)
class ClientSupport:
    """What the client said it supports in `initialize`, read once."""

    pull_diagnostics: bool = False
    refresh_diagnostics: bool = False
    refresh_code_lenses: bool = False
    work_done_progress: bool = False
    document_changes: bool = False
    resolve_code_actions: bool = False
    watch_files: bool = False
    related_information: bool = False

    @classmethod
    def of(cls, capabilities: lsp.ClientCapabilities) -> ClientSupport:
        workspace = capabilities.workspace
        text = capabilities.text_document
        window = capabilities.window
        publish = text.publish_diagnostics if text is not None else None
        return cls(
            pull_diagnostics=text is not None and text.diagnostic is not None,
            refresh_diagnostics=bool(
                workspace is not None
                and workspace.diagnostics is not None
                and workspace.diagnostics.refresh_support
            ),
            refresh_code_lenses=bool(
                workspace is not None
                and workspace.code_lens is not None
                and workspace.code_lens.refresh_support
            ),
            work_done_progress=bool(window is not None and window.work_done_progress),
            document_changes=bool(
                workspace is not None
                and workspace.workspace_edit is not None
                and workspace.workspace_edit.document_changes
            ),
            resolve_code_actions=bool(
                text is not None
                and text.code_action is not None
                and text.code_action.resolve_support is not None
            ),
            watch_files=bool(
                workspace is not None
                and workspace.did_change_watched_files is not None
                and workspace.did_change_watched_files.dynamic_registration
            ),
            related_information=bool(publish is not None and publish.related_information),
        )


class State:
    """What the handlers share; `ls` is the pygls server, for talking to the client."""

    # Typed as pygls' server, not ours: server.py holds the state, and the state needs only
    # pygls' methods (a type from server.py here would make the two modules a cycle).
    def __init__(self, ls: LanguageServer) -> None:
        self.ls = ls
        self.client = ClientSupport()
        self.settings = ClientSettings()
        self.config = ConfigStore(Path.cwd())
        self.documents: dict[str, Document] = {}
        # Open notebooks (each also a Document of its joined code cells) and, by cell document
        # URI, the notebook holding that cell.
        self.notebooks: dict[str, NotebookCells] = {}
        self.cell_notebook: dict[str, str] = {}
        self.index = WorkspaceIndex()
        self.diagnostic_options = DiagnosticOptions()
        self.shown_errors: set[str] = set()
        self.too_large: set[str] = set()  # documents told about once
        self.over_budget: set[str] = set()  # documents told once that they are retried
        self.indexing: set[asyncio.Task[None]] = set()
        # Analysis is CPU-bound Python: one thread keeps the event loop answering while it
        # works, and keeps each document's incremental state to one thread.
        self.analysis = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentsense-lint")
        # Indexing parses every file of the workspace. A big workspace is indexed in a process
        # of its own (it does not compete with the edited document's analysis for the GIL); a
        # small one on a thread (not worth starting a process for). See indexing.py.
        self.background: Executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="agentsense-index"
        )
        self.running_tools: set[asyncio.Task[RunResult]] = set()
        # A libcst tree is hundreds of thousands of objects: a full cyclic collection in the
        # middle of an edit costs ~100 ms. Trees hold no cycles (reference counting frees
        # them), so collect only when the server is idle (see analysis.py).
        gc.disable()
        self.gc_timer: asyncio.TimerHandle | None = None
        self.analyses_since_collect = 0
        self.last_analysis = 0.0  # time.monotonic() at the end of the last analysis

    @property
    def pull(self) -> bool:
        """Whether the client pulls diagnostics (textDocument/diagnostic)."""
        return self.client.pull_diagnostics

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        log.info(message)
        with contextlib.suppress(Exception):
            self.ls.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def show(self, message: str, kind: lsp.MessageType) -> None:
        with contextlib.suppress(Exception):
            self.ls.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def show_error_once(self, message: str) -> None:
        if message not in self.shown_errors:
            self.shown_errors.add(message)
            self.show(
                f"agentsense: {message} (using the default configuration)", lsp.MessageType.Error
            )

    def encoding(self) -> str:
        return str(self.ls.workspace.position_encoding or lsp.PositionEncodingKind.Utf16)

    def limits(self) -> RunLimits:
        s = self.settings
        return RunLimits(
            s.run_tool_timeout,
            s.run_tool_memory_mb,
            s.run_tool_output_limit,
            s.allow_network,
            s.allow_unix_sockets,
            s.run_tool_pass_secrets,
        )

    def config_for(self, path: str) -> Config:
        config, error = self.config.for_path(path)
        if error is not None:
            self.show_error_once(error)
        return config

    def publish(self, uri: str, version: int | None, diagnostics: list[lsp.Diagnostic]) -> None:
        self.ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
        )

    def publish_wire(self, uri: str, version: int | None, diagnostics: list[Any]) -> None:
        """`publish` with the diagnostics already serialised (`convert.WireDiagnostic`): pygls
        would convert every diagnostic again (~35 ms for 900 of them), on the event loop."""
        params: dict[str, Any] = {"uri": uri, "diagnostics": diagnostics}
        if version is not None:
            params["version"] = version
        message = {"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}
        # pygls's own `notify` ends in this call, with the message converted to JSON types.
        self.ls.protocol._send_data({**message, "params": params})

    def can_refresh_diagnostics(self) -> bool:
        """Whether a pulling client can be asked to pull again (workspace/diagnostic/refresh)."""
        return self.pull and self.client.refresh_diagnostics

    def refresh_diagnostics(self) -> None:
        if self.can_refresh_diagnostics():
            with contextlib.suppress(Exception):
                self.ls.workspace_diagnostic_refresh(None)

    def refresh_lenses(self) -> None:
        if self.client.refresh_code_lenses:
            with contextlib.suppress(Exception):
                self.ls.workspace_code_lens_refresh(None)
