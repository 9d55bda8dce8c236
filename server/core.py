"""The language server's work, imported once the server is up: analysis, actions, index, Run tool.

`server/language_server.py` registers the LSP handlers (it imports little, so the server
answers `initialize` quickly) and calls the functions here with the client's params.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import multiprocessing
import os
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from agentsense import __version__
from agentsense.analyzers.budget import NotLinted, guard_recursion, time_budget
from agentsense.analyzers.config import Config
from agentsense.analyzers.engine import fix_source, lint, text_too_large
from agentsense.analyzers.incremental import IncrementalLinter
from agentsense.analyzers.model import Applicability, Finding, Span
from agentsense.analyzers.registry import all_rules, find_rule
from agentsense.server.actions import comment_rows, noqa_edit
from agentsense.server.convert import (
    DiagnosticOptions,
    TextLines,
    fix_from_data,
    path_for,
    related_lines,
    text_edits,
    to_diagnostic,
    uri_for,
    whole_text_edit,
)
from agentsense.server.hover import code_at, model_view_markdown, rule_markdown
from agentsense.server.language_server import FIX_ALL_KIND, RUN_TOOL_COMMAND
from agentsense.server.notebook_sync import NotebookCells, cells_of, split_diagnostics
from agentsense.server.run_tool import RunLimits, run_tool
from agentsense.server.settings import ClientSettings, ConfigStore, is_config_file, parse_settings
from agentsense.server.tools import ToolSite, tool_sites
from agentsense.server.workspace_index import (
    WorkspaceIndex,
    lookup_name_at,
    summarize_file,
    summarize_text,
    workspace_files,
)

__all__ = ["State", "bind", "server"]

# How long a request that needs the current version's analysis waits for it.
WAIT_FOR_ANALYSIS = 10.0
# A diagnostics pull from a client that cannot be asked to pull again (no
# workspace/diagnostic/refresh) is answered when the analysis ends, within this bound.
WAIT_FOR_ANALYSIS_NO_REFRESH = 600.0
# Test hook: seconds every analysis waits before it starts (a slow analysis, without CPU).
_DELAY_VARIABLE = "AGENTSENSE_TEST_ANALYSIS_DELAY"
# Workspaces with at least this many Python files are indexed in a separate process.
INDEX_PROCESS_FILES = 40
# Indexing on a thread competes with analysis for the GIL, so it runs when the editor is
# quiet: it waits this long for the editor to open its first documents, then before each file
# until no analysis is pending and none ended in the last INDEX_QUIET_SECONDS (at most
# INDEX_YIELD_SECONDS at a time). The diagnostics of what the user types come first.
INDEX_GRACE_SECONDS = 0.3
INDEX_QUIET_SECONDS = 0.5
INDEX_YIELD_SECONDS = 10.0
# Cyclic garbage is collected after this many quiet seconds, or after this many analyses.
IDLE_COLLECT_SECONDS = 2.0
COLLECT_EVERY = 300
# How long a Run tool result stays on the tool's line (it also goes on the next edit).
RESULT_HINT_SECONDS = 120.0

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


class State:
    """What the handlers share; LanguageServer attributes are read through from `ls`."""

    def __init__(self, ls: LanguageServer) -> None:
        self.ls = ls
        self.settings = ClientSettings()
        self.config = ConfigStore(Path.cwd())
        self.documents: dict[str, Document] = {}
        # Open notebooks (each also a Document of its joined code cells) and, by cell document
        # URI, the notebook holding that cell.
        self.notebooks: dict[str, NotebookCells] = {}
        self.cell_notebook: dict[str, str] = {}
        self.index = WorkspaceIndex()
        self.pull = False
        self.diagnostic_options = DiagnosticOptions()
        self.shown_errors: set[str] = set()
        self.too_large: set[str] = set()  # documents told about once
        self.indexing: set[asyncio.Task[None]] = set()
        # Analysis is CPU-bound Python: one thread keeps the event loop answering while it
        # works, and keeps each document's incremental state to one thread.
        self.analysis = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentsense-lint")
        # Indexing parses every file of the workspace. A big workspace is indexed in a process
        # of its own (it does not compete with the edited document's analysis for the GIL); a
        # small one on a thread (not worth starting a process for).
        self.background: Executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="agentsense-index"
        )
        self.running_tools: set[asyncio.Task[Any]] = set()
        # A libcst tree is hundreds of thousands of objects: a full cyclic collection in the
        # middle of an edit costs ~100 ms. Trees hold no cycles (reference counting frees
        # them), so collect only when the server is idle (or every COLLECT_EVERY analyses).
        gc.disable()
        self.gc_timer: asyncio.TimerHandle | None = None
        self.analyses_since_collect = 0
        self.last_analysis = 0.0  # time.monotonic() at the end of the last analysis

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ls, name)

    # -- helpers -------------------------------------------------------------------------
    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        log.info(message)
        with contextlib.suppress(Exception):
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def show(self, message: str, kind: lsp.MessageType) -> None:
        with contextlib.suppress(Exception):
            self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def show_error_once(self, message: str) -> None:
        if message not in self.shown_errors:
            self.shown_errors.add(message)
            self.show(
                f"agentsense: {message} (using the default configuration)", lsp.MessageType.Error
            )

    def capability(self, *path: str) -> Any:
        """A client capability by attribute path, or None."""
        value: Any = self.client_capabilities
        for name in path:
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def encoding(self) -> str:
        return str(self.workspace.position_encoding or lsp.PositionEncodingKind.Utf16)

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

    # -- analysis ------------------------------------------------------------------------
    def schedule(self, doc: Document, delay: float | None = None) -> None:
        """(Re)start the document's debounce timer; rapid edits coalesce into one analysis."""
        if doc.timer is not None and not doc.timer.done():
            doc.timer.cancel()
        wait = self.settings.debounce_ms / 1000.0 if delay is None else delay
        doc.timer = asyncio.get_running_loop().create_task(self._analyze_later(doc, wait))

    async def _analyze_later(self, doc: Document, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            await self.analyze(doc)
        except asyncio.CancelledError:
            pass
        except Exception:
            self.log(
                f"analysis failed for {doc.uri}:\n{traceback.format_exc()}", lsp.MessageType.Error
            )

    async def analyze(self, doc: Document) -> None:
        async with doc.lock:
            if self.documents.get(doc.uri) is not doc:
                return
            if (
                doc.result is not None
                and doc.result.version == doc.version
                and doc.result.text == doc.text
            ):
                self._wake(doc)
                return
            version, text = doc.version, doc.text
            with contextlib.suppress(ValueError):
                await asyncio.sleep(float(os.environ.get(_DELAY_VARIABLE) or 0))
            if self.config.stale():
                self.config.reset()
            config = self.config_for(doc.path)
            cross = self.index.findings_for(doc.path)
            encoding = self.encoding()
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(
                self.analysis,
                functools.partial(
                    compute_analysis,
                    doc.linter if self.settings.incremental else None,
                    doc.path,
                    version,
                    text,
                    config,
                    cross,
                    encoding,
                    self.diagnostic_options,
                    self._lines_for,
                ),
            )
            if self.documents.get(doc.uri) is not doc:
                return
            # A result for an old version is never shown over a newer one.
            if version != doc.version or text != doc.text:
                return
            doc.result = result
            self.last_analysis = time.monotonic()
            self._collect_when_idle()
            if result.not_linted is not None and doc.uri not in self.too_large:
                self.too_large.add(doc.uri)
                self.show(
                    f"agentsense: {Path(doc.path).name} is not linted: {result.not_linted}",
                    lsp.MessageType.Warning,
                )
            self.log(
                f"{Path(doc.path).name} v{version}: {len(result.findings)} findings in "
                f"{result.seconds * 1000:.1f} ms ({result.mode})"
            )
            # Notebook cells are pushed even to a pulling client: clients pull for the text
            # documents their selector names, and a cell's URI scheme is not among them.
            if not self.pull or doc.uri in self.notebooks:
                self.publish(doc.uri, version, result.diagnostics)
            if doc.refresh_pending:
                doc.refresh_pending = False
                self.refresh_diagnostics()
            self._wake(doc)

    def publish(self, uri: str, version: int | None, diagnostics: Sequence[lsp.Diagnostic]) -> None:
        """Push a document's diagnostics; a notebook's go to its cells, one by one."""
        cells = self.notebooks.get(uri)
        if cells is None:
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=uri, version=version, diagnostics=list(diagnostics)
                )
            )
            return
        for cell_uri, items in split_diagnostics(cells, diagnostics).items():
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=cell_uri, diagnostics=items)
            )

    def _collect_when_idle(self) -> None:
        self.analyses_since_collect += 1
        if self.gc_timer is not None:
            self.gc_timer.cancel()
        loop = asyncio.get_running_loop()
        delay = 0.0 if self.analyses_since_collect >= COLLECT_EVERY else IDLE_COLLECT_SECONDS
        self.gc_timer = loop.call_later(delay, self._collect)

    def _collect(self) -> None:
        self.gc_timer = None
        self.analyses_since_collect = 0
        # On the analysis thread: queued behind any analysis, never on the event loop.
        self.analysis.submit(gc.collect)

    def _wake(self, doc: Document) -> None:
        waiters, doc.waiters = doc.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _lines_for(self, path: str) -> TextLines | None:
        doc = self.documents.get(uri_for(path))
        if doc is not None:
            return TextLines(doc.text)
        return related_lines(path)

    async def current(self, doc: Document, timeout: float = WAIT_FOR_ANALYSIS) -> Analysis | None:
        """The analysis of the document's current version, waiting for it (None on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            result = doc.result
            if result is not None and result.version == doc.version and result.text == doc.text:
                return result
            if doc.timer is None or doc.timer.done():
                self.schedule(doc, 0)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.documents.get(doc.uri) is not doc:
                return None
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            doc.waiters.append(waiter)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(waiter, remaining)

    def relint_all(self) -> None:
        for doc in self.documents.values():
            doc.result = None
            self.schedule(doc, 0)
        self.refresh_diagnostics()

    def can_refresh_diagnostics(self) -> bool:
        return self.pull and bool(self.capability("workspace", "diagnostics", "refresh_support"))

    def refresh_diagnostics(self) -> None:
        if self.can_refresh_diagnostics():
            with contextlib.suppress(Exception):
                self.workspace_diagnostic_refresh(None)

    def refresh_lenses(self) -> None:
        if self.capability("workspace", "code_lens", "refresh_support"):
            with contextlib.suppress(Exception):
                self.workspace_code_lens_refresh(None)

    # -- the workspace index ----------------------------------------------------------------
    def start_indexing(self, roots: Sequence[Path]) -> None:
        """Index the Python files of these workspace folders in the background."""
        roots = [root for root in roots if root.is_dir()]
        if not roots:
            return
        task = asyncio.get_running_loop().create_task(self.index_workspace(roots))
        self.indexing.add(task)
        task.add_done_callback(self.indexing.discard)

    async def index_workspace(self, roots: Sequence[Path]) -> None:
        """Index every Python file's registrations in the background, reporting progress."""
        token: str | None = None
        if self.capability("window", "work_done_progress"):
            token = f"agentsense-index-{uuid.uuid4().hex[:8]}"
            try:
                await self.work_done_progress.create_async(token)
            except Exception:
                token = None
        progress = self.work_done_progress

        def report(kind: str, message: str, percentage: int | None = None) -> None:
            if token is None:
                return
            if kind == "begin":
                progress.begin(
                    token,
                    lsp.WorkDoneProgressBegin(
                        title="agentsense: indexing tools", message=message, percentage=0
                    ),
                )
            elif kind == "report":
                progress.report(
                    token, lsp.WorkDoneProgressReport(message=message, percentage=percentage)
                )
            else:
                progress.end(token, lsp.WorkDoneProgressEnd(message=message))

        await asyncio.sleep(INDEX_GRACE_SECONDS)
        await self.yield_to_analysis()
        self.log(f"indexing {', '.join(str(root) for root in roots)}")
        report("begin", "finding Python files")
        try:
            files: list[str] = []
            for root in roots:
                files.extend(await self.in_background(workspace_files, root))
            total = len(files)
            if total >= INDEX_PROCESS_FILES:
                self.background.shutdown(wait=False)
                self.background = _index_executor()
            started = time.perf_counter()
            for number, path in enumerate(files, start=1):
                await self.yield_to_analysis()
                if self.index.folder_of(path) is None:
                    continue  # its folder was removed meanwhile
                if uri_for(path) in self.documents:
                    doc = self.documents[uri_for(path)]
                    result = await self.in_background(summarize_text, doc.text, doc.path)
                else:
                    found = await self.in_background(summarize_file, path)
                    if found is None:
                        continue
                    result = found
                if self.index.folder_of(path) is not None:  # (still: not removed meanwhile)
                    self.index.update(result)
                if number % 10 == 0 or number == total:
                    report(
                        "report",
                        f"{number}/{total} files",
                        int(number * 100 / total) if total else 100,
                    )
            self.index_changed()
            summary = (
                f"{total} files, {sum(1 for _ in self.index.registrations())} registrations "
                f"in {time.perf_counter() - started:.1f} s"
            )
            report("end", summary)
            self.log(f"indexed {summary}")
        except asyncio.CancelledError:
            report("end", "cancelled")
            raise
        except Exception:
            report("end", "failed")
            self.log(f"indexing failed:\n{traceback.format_exc()}", lsp.MessageType.Error)

    async def yield_to_analysis(self) -> None:
        """Wait until the editor is quiet (bounded), when indexing shares the GIL with it."""
        if not isinstance(self.background, ThreadPoolExecutor):
            return  # an indexing process competes for nothing the user waits for
        deadline = time.monotonic() + INDEX_YIELD_SECONDS
        while time.monotonic() < deadline and (
            time.monotonic() - self.last_analysis < INDEX_QUIET_SECONDS
            or any(
                doc.timer is not None and not doc.timer.done() for doc in self.documents.values()
            )
        ):
            await asyncio.sleep(0.02)

    async def in_background(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run on the indexing process (or a thread, once the process cannot be used)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.background, function, *args)
        except (BrokenProcessPool, OSError, RuntimeError):
            if isinstance(self.background, ThreadPoolExecutor):
                raise
            self.log("the indexing process failed; indexing on a thread instead")
            self.background = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="agentsense-index"
            )
            return await loop.run_in_executor(self.background, function, *args)

    async def reindex(self, path: str, text: str | None = None) -> None:
        if text is None:
            found = await self.in_background(summarize_file, path)
            if found is None:
                self.index.remove(path)
            else:
                self.index.update(found)
        else:
            self.index.update(await self.in_background(summarize_text, text, path))
        self.index_changed()

    def index_changed(self) -> None:
        changed = self.index.recompute(self.config_for)
        for path in changed:
            doc = self.documents.get(uri_for(path))
            if doc is not None:
                doc.result = None
                self.schedule(doc, 0)
        if changed:
            self.refresh_diagnostics()

    # -- run tool --------------------------------------------------------------------------
    async def run_tool_command(self, argument: object) -> dict[str, Any]:
        started = time.perf_counter()
        if not self.settings.trusted:
            message = "the workspace is not trusted: agentsense does not run tools in it"
            self.show(f"agentsense: {message}", lsp.MessageType.Warning)
            return _refusal("untrusted", message, started)
        target = _run_target(argument)
        if isinstance(target, str):
            self.show(f"agentsense: Run tool: {target}", lsp.MessageType.Error)
            return _refusal("validation", target, started)
        uri, name, arguments, line = target
        path = path_for(uri)
        doc = self.documents.get(uri)
        if arguments is None:
            site = None
            if doc is not None:
                site = next((s for s in await self.sites(doc) if s.name == name), None)
            arguments = dict(site.example) if site is not None and site.example else {}
        if not Path(path).is_file():
            return _refusal("not_found", f"{path} is not a file on disk (save it first)", started)
        folder = self.index.folder_of(path)
        cwd = folder if folder is not None else str(Path(path).parent)
        self.log(f"Run tool {name}({arguments}) from {path}")
        result = await run_tool(path, name, arguments, cwd=cwd, limits=self.limits())
        summary = _summary(name, result)
        note = result.get("note")
        self.show(
            f"agentsense: {summary}" + (f" (sandbox: {note})" if note else ""),
            lsp.MessageType.Info if result.get("ok") else lsp.MessageType.Warning,
        )
        if doc is not None and line is not None:
            doc.hints[line] = (time.monotonic(), summary)
            self.refresh_lenses()
        return result

    async def sites(self, doc: Document) -> list[ToolSite]:
        """The registrations of the document's current version (or its last good one)."""
        await self.current(doc, timeout=5.0)
        if doc.sites is not None and doc.sites[0] == doc.version:
            return doc.sites[1]
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self.analysis, _sites_of, doc.linter, doc.text)
        if found is None:
            return doc.sites[1] if doc.sites is not None else []
        doc.sites = (doc.version, found)
        return found


def _index_executor() -> Executor:
    try:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    except (OSError, ValueError, NotImplementedError):
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentsense-index")


def compute_analysis(
    linter: IncrementalLinter | None,
    path: str,
    version: int,
    text: str,
    config: Config,
    cross: Sequence[Finding],
    encoding: str,
    options: DiagnosticOptions,
    lines_for: Callable[[str], TextLines | None],
) -> Analysis:
    """Runs on the analysis thread: lint (incrementally) and convert to diagnostics."""
    started = time.perf_counter()
    not_linted = text_too_large(text)
    findings: list[Finding] = []
    mode = "not linted"
    if not_linted is None:
        try:
            # The document gets the configured time budget; deeply nested code is analysed
            # on a large stack. Either failing is a message, and the server goes on.
            with time_budget(config.time_budget):
                findings, mode = guard_recursion(lambda: _lint_document(linter, path, text, config))
        except NotLinted as why:
            not_linted = why.reason
    if not_linted is not None and linter is not None:
        linter.reset()  # free the old version's tree
    findings = sorted([*findings, *cross], key=lambda f: (f.span.start, f.code))
    lines = TextLines(text, encoding)
    secrets = sorted({secret for f in findings for secret in f.secrets if secret})
    # One read of each other file a related location points into, not one per location.
    other_lines = functools.cache(lines_for)
    diagnostics = tuple(to_diagnostic(f, lines, options, other_lines, secrets) for f in findings)
    digest = _digest(findings)
    return Analysis(
        version,
        text,
        tuple(findings),
        diagnostics,
        digest,
        config,
        time.perf_counter() - started,
        mode,
        not_linted,
    )


def _lint_document(
    linter: IncrementalLinter | None, path: str, text: str, config: Config
) -> tuple[list[Finding], str]:
    if linter is None:
        # The naive way (the latency bench's baseline): one full parse and lint per change.
        return lint(text, path, config), "whole"
    return _lint_incrementally(linter, text, config)


def _lint_incrementally(
    linter: IncrementalLinter, text: str, config: Config
) -> tuple[list[Finding], str]:
    try:
        return linter.lint(text, config), linter.stats.parse
    except (NotLinted, RecursionError):
        linter.reset()  # the caller reports it (or retries on a large stack)
        raise
    except Exception:
        # A bug must not stick to the document: drop the incremental state (the next version
        # starts over) and answer this one the plain way; if that fails too, the caller logs it.
        log.exception("incremental lint failed; linting the whole file")
        linter.reset()
        return lint(text, linter.path, config), "whole (after an error)"


def _digest(findings: Sequence[Finding]) -> str:
    import hashlib

    return hashlib.sha1(repr(findings).encode("utf-8", "replace")).hexdigest()[:16]


def _sites_of(linter: IncrementalLinter, text: str) -> list[ToolSite] | None:
    if linter.module is None or linter.text != text:
        return None
    positions, top = linter.positions()
    return tool_sites(linter.module, linter.module_facts(), positions, top)


def _refusal(kind: str, message: str, started: float) -> dict[str, Any]:
    return {
        "ok": False,
        "error": {"kind": kind, "message": message, "details": []},
        "stdout": "",
        "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
    }


def _run_target(argument: object) -> tuple[str, str, dict[str, Any] | None, int | None] | str:
    """(uri, tool name, arguments or None, 0-based line) from the command's argument."""
    if not isinstance(argument, dict):
        return "the command needs an object argument {uri, name, arguments?}"
    uri = argument.get("uri") or argument.get("path")
    name = argument.get("name") or argument.get("tool")
    if not isinstance(uri, str) or not isinstance(name, str) or not name:
        return "the command needs `uri` and `name`"
    if "://" not in uri:
        uri = uri_for(uri)
    arguments = argument.get("arguments", argument.get("args"))
    if arguments is not None and not isinstance(arguments, dict):
        return "`arguments` must be an object"
    line = argument.get("line")
    return uri, name, arguments, line if isinstance(line, int) and line >= 0 else None


def _summary(name: str, result: dict[str, Any]) -> str:
    took = result.get("duration_ms")
    timing = f" in {took:.0f} ms" if isinstance(took, (int, float)) else ""
    if result.get("ok"):
        value = repr(result.get("value"))
        if len(value) > 200:
            value = value[:199] + "…"
        return f"{name} returned {value}{timing}"
    error = result.get("error") or {}
    kind = error.get("kind", "error") if isinstance(error, dict) else "error"
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    return f"{name} failed ({kind}): {message}{timing}"


server: State = cast(State, None)  # set by bind()


def bind(ls: LanguageServer, init: lsp.InitializeParams | None) -> State:
    """Create the shared state for the running server (once), applying `initialize`'s params."""
    global server
    if server is None:
        server = State(ls)
        if init is not None:
            initialize(init)
    return server


# -- lifecycle ----------------------------------------------------------------------------


def initialize(params: lsp.InitializeParams) -> None:
    root = server.workspace.root_path
    folders = [path_for(folder.uri) for folder in params.workspace_folders or []]
    if root is None and folders:
        root = folders[0]
    server.config = ConfigStore(Path(root) if root else Path.cwd())
    server.index.roots = tuple(folders or ([root] if root else []))
    parsed = parse_settings(params.initialization_options or {}, "initializationOptions")
    server.settings = parsed.settings
    server.config.reset(parsed.overrides)
    if parsed.error:
        server.show(f"agentsense: {parsed.error} (ignored)", lsp.MessageType.Error)
    server.pull = server.capability("text_document", "diagnostic") is not None
    publish = server.capability("text_document", "publish_diagnostics")
    server.diagnostic_options = DiagnosticOptions(
        related_information=bool(getattr(publish, "related_information", False)) or server.pull,
        code_description=bool(getattr(publish, "code_description_support", False)) or server.pull,
    )


async def initialized(params: lsp.InitializedParams) -> None:
    # Import every rule now, on the analysis thread, rather than in the first document's lint.
    server.analysis.submit(all_rules)
    server.log(
        f"agentsense {__version__}: workspace {', '.join(server.index.roots) or '(none)'}, "
        f"{'pull' if server.pull else 'push'} diagnostics, encoding {server.encoding()}"
    )
    if server.capability("workspace", "did_change_watched_files", "dynamic_registration"):
        watchers = [
            lsp.FileSystemWatcher(glob_pattern=pattern)
            for pattern in ("**/*.py", "**/pyproject.toml", "**/agentsense.toml")
        ]
        with contextlib.suppress(Exception):
            await server.client_register_capability_async(
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
    server.start_indexing([Path(root) for root in server.index.roots])


def did_change_workspace_folders(params: lsp.DidChangeWorkspaceFoldersParams) -> None:
    """Folders added to a multi-root workspace are indexed; removed ones are forgotten."""
    for folder in params.event.removed:
        server.index.remove_folder(path_for(folder.uri))
    added = [path_for(folder.uri) for folder in params.event.added]
    server.index.roots = (*server.index.roots, *(a for a in added if a not in server.index.roots))
    server.log(f"workspace folders: {', '.join(server.index.roots) or '(none)'}")
    server.index_changed()
    server.start_indexing([Path(folder) for folder in added])


def shutdown(params: None) -> None:
    for task in list(server.indexing):
        task.cancel()
    for task in list(server.running_tools):
        task.cancel()
    # The indexing process must not keep the server alive after `exit`.
    server.background.shutdown(wait=False, cancel_futures=True)


# -- documents ----------------------------------------------------------------------------


def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    path = path_for(item.uri)
    doc = Document(item.uri, path, item.version, item.text, IncrementalLinter(path))
    server.documents[item.uri] = doc
    server.schedule(doc, 0)


def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
    doc = server.documents.get(params.text_document.uri)
    if doc is None:
        return
    doc.version = params.text_document.version
    doc.text = server.workspace.get_text_document(doc.uri).source
    if doc.hints:
        doc.hints.clear()  # a Run tool result describes the code as it was
    server.schedule(doc)


def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
    doc = server.documents.pop(params.text_document.uri, None)
    server.too_large.discard(params.text_document.uri)
    if doc is not None and doc.timer is not None:
        doc.timer.cancel()
    if doc is not None:
        server._wake(doc)
    if not server.pull:
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )


def _notebook_text(notebook: lsp.NotebookDocument) -> NotebookCells:
    texts = {}
    for cell in notebook.cells:
        with contextlib.suppress(Exception):
            texts[cell.document] = server.workspace.get_text_document(cell.document).source
    return cells_of(notebook, texts)


def _sync_notebook(uri: str) -> None:
    """Re-join an open notebook from pygls's workspace and schedule its analysis."""
    notebook = server.workspace.get_notebook_document(notebook_uri=uri)
    if notebook is None:
        return
    cells = _notebook_text(notebook)
    previous = server.notebooks.get(uri)
    server.notebooks[uri] = cells
    for cell_uri in cells.cell_uris:
        server.cell_notebook[cell_uri] = uri
    if previous is not None:
        # Cells that left the notebook (deleted, or now markdown) lose their diagnostics.
        for gone in set(previous.cell_uris) - set(cells.cell_uris):
            server.cell_notebook.pop(gone, None)
            server.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=gone, diagnostics=[])
            )
    doc = server.documents.get(uri)
    if doc is None:
        path = path_for(uri)
        doc = Document(uri, path, notebook.version, cells.joined.source, IncrementalLinter(path))
        server.documents[uri] = doc
        server.schedule(doc, 0)
        return
    doc.version = notebook.version
    doc.text = cells.joined.source
    server.schedule(doc)


def notebook_did_open(params: lsp.DidOpenNotebookDocumentParams) -> None:
    _sync_notebook(params.notebook_document.uri)


def notebook_did_change(params: lsp.DidChangeNotebookDocumentParams) -> None:
    _sync_notebook(params.notebook_document.uri)


def notebook_did_close(params: lsp.DidCloseNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    cells = server.notebooks.pop(uri, None)
    doc = server.documents.pop(uri, None)
    if doc is not None and doc.timer is not None:
        doc.timer.cancel()
    if doc is not None:
        server._wake(doc)
    for cell_uri in cells.cell_uris if cells is not None else ():
        server.cell_notebook.pop(cell_uri, None)
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=cell_uri, diagnostics=[])
        )


async def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
    path = path_for(params.text_document.uri)
    if is_config_file(path):
        server.config.reset()
        server.shown_errors.clear()
        server.relint_all()
        return
    doc = server.documents.get(params.text_document.uri)
    await server.reindex(path, doc.text if doc is not None else None)


async def did_change_watched_files(params: lsp.DidChangeWatchedFilesParams) -> None:
    config_changed = False
    for change in params.changes:
        path = path_for(change.uri)
        if is_config_file(path):
            config_changed = True
        elif path.endswith(".py") and change.uri not in server.documents:
            await server.reindex(path)
    if config_changed:
        server.config.reset()
        server.shown_errors.clear()
        server.relint_all()


def did_change_configuration(params: lsp.DidChangeConfigurationParams) -> None:
    parsed = parse_settings(params.settings or {}, "settings")
    if parsed.error:
        server.show(f"agentsense: {parsed.error} (ignored)", lsp.MessageType.Error)
    server.settings = parsed.settings
    server.config.reset(parsed.overrides)
    server.shown_errors.clear()
    server.relint_all()
    server.refresh_lenses()


# -- diagnostics (pull) ---------------------------------------------------------------------


async def diagnostic(
    params: lsp.DocumentDiagnosticParams,
) -> lsp.RelatedFullDocumentDiagnosticReport | lsp.RelatedUnchangedDocumentDiagnosticReport:
    uri = params.text_document.uri
    notebook_uri = server.cell_notebook.get(uri)
    doc = server.documents.get(notebook_uri or uri)
    if doc is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    if server.can_refresh_diagnostics():
        result = await server.current(doc)
        if result is None:
            # Still analysing: answer with what there is, and ask for a new pull when it ends.
            doc.refresh_pending = True
            result = doc.result
    else:
        # This client would not pull again before the next edit: answer when the analysis ends.
        result = await server.current(doc, timeout=WAIT_FOR_ANALYSIS_NO_REFRESH)
    if result is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    if params.previous_result_id == result.result_id:
        return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
    items = list(result.diagnostics)
    cells = server.notebooks.get(notebook_uri) if notebook_uri is not None else None
    if cells is not None:
        items = split_diagnostics(cells, items).get(uri, [])
    return lsp.RelatedFullDocumentDiagnosticReport(items=items, result_id=result.result_id)


# -- code actions -------------------------------------------------------------------------


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _edit(doc: Document, version: int, edits: list[lsp.TextEdit]) -> lsp.WorkspaceEdit:
    if server.capability("workspace", "workspace_edit", "document_changes"):
        return lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=doc.uri, version=version
                    ),
                    edits=cast(Any, edits),
                )
            ]
        )
    return lsp.WorkspaceEdit(changes={doc.uri: edits})


def _wants(only: Sequence[str] | None, kind: str) -> bool:
    """LSP kinds are hierarchical: asking for `source` includes `source.fixAll.agentsense`."""
    if not only:
        return True
    return any(kind == want or kind.startswith(want + ".") or want == "" for want in only)


def _matching(
    finding: Finding, diagnostics: Sequence[lsp.Diagnostic], lines: TextLines
) -> lsp.Diagnostic | None:
    wanted = lines.range(finding.span)
    for diag in diagnostics:
        if diag.code == finding.code and diag.range == wanted:
            return diag
    return None


async def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    doc = server.documents.get(params.text_document.uri)
    if doc is None:
        return []
    only = params.context.only
    result = await server.current(doc, timeout=3.0)
    actions: list[lsp.CodeAction] = []
    ours = [d for d in params.context.diagnostics if d.source == "agentsense"]
    if result is not None:
        lines = TextLines(result.text, server.encoding())
        version = result.version
        rows = None
        for finding in result.findings:
            diag_range = lines.range(finding.span)
            if not _overlaps(diag_range, params.range):
                continue
            diag = _matching(finding, ours, lines) or to_diagnostic(
                finding, lines, server.diagnostic_options
            )
            if finding.fix is not None and _wants(only, lsp.CodeActionKind.QuickFix):
                safe = finding.fix.applicability is Applicability.SAFE
                actions.append(
                    lsp.CodeAction(
                        title=f"Fix: {finding.fix.title}" + ("" if safe else " (unsafe)"),
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=safe,
                        edit=_edit(doc, version, text_edits(finding.fix.edits, lines)),
                    )
                )
            if _wants(only, lsp.CodeActionKind.QuickFix) and finding.noqa_row:
                if rows is None:
                    rows = comment_rows(result.text)
                edit = None
                candidates = (finding.noqa_row, finding.span.start.row, finding.string_end_row)
                for row in dict.fromkeys(row for row in candidates if row > 0):
                    edit = noqa_edit(lines.line(row - 1), row, finding.code, rows)
                    if edit is not None:
                        break
                if edit is not None:
                    actions.append(
                        lsp.CodeAction(
                            title=f"Disable {finding.code} for this line",
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[diag],
                            edit=_edit(doc, version, text_edits([edit], lines)),
                        )
                    )
        fixable = any(
            f.fix is not None and f.fix.applicability is Applicability.SAFE for f in result.findings
        )
        if fixable and _wants(only, FIX_ALL_KIND):
            action = lsp.CodeAction(
                title="agentsense: fix all safely fixable problems",
                kind=FIX_ALL_KIND,
                data={"uri": doc.uri, "version": version, "kind": "fixAll"},
            )
            if not server.capability("text_document", "code_action", "resolve_support"):
                action = await resolve_fix_all(action)
            actions.append(action)
    else:
        # No analysis of this version yet: the fixes the client's diagnostics carry.
        for diag in ours:
            fix = fix_from_data(diag.data.get("fix") if isinstance(diag.data, dict) else None)
            if fix is None or not _wants(only, lsp.CodeActionKind.QuickFix):
                continue
            lines = TextLines(doc.text, server.encoding())
            actions.append(
                lsp.CodeAction(
                    title=f"Fix: {fix.title}",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    is_preferred=fix.applicability is Applicability.SAFE,
                    edit=_edit(doc, doc.version, text_edits(fix.edits, lines)),
                )
            )
    if server.settings.trusted and _wants(only, "source.agentsense.runTool"):
        for site in await server.sites(doc):
            if site.kind != "tool":
                continue
            lines = TextLines(doc.text, server.encoding())
            if _overlaps(lines.range(site.span), params.range):
                actions.append(
                    lsp.CodeAction(
                        title=f"▶ Run tool {site.name!r}",
                        kind="source.agentsense.runTool",
                        command=_run_command(doc, site, lines),
                    )
                )
    return actions


async def resolve_fix_all(action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    doc = server.documents.get(str(data.get("uri")))
    if doc is None:
        return action
    result = await server.current(doc, timeout=5.0)
    if result is None:
        return action
    loop = asyncio.get_running_loop()
    fixed, _, _ = await loop.run_in_executor(
        server.analysis, functools.partial(fix_source, result.text, doc.path, result.config)
    )
    lines = TextLines(result.text, server.encoding())
    action.edit = _edit(doc, result.version, whole_text_edit(result.text, fixed, lines))
    return action


async def code_action_resolve(action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("kind") == "fixAll":
        return await resolve_fix_all(action)
    return action


# -- hover --------------------------------------------------------------------------------


async def hover(params: lsp.HoverParams) -> lsp.Hover | None:
    doc = server.documents.get(params.text_document.uri)
    if doc is None:
        return None
    lines = TextLines(doc.text, server.encoding())
    location = lines.from_client(params.position)
    code = code_at(lines.line(location.row - 1), location.column - 1)
    if code is not None:
        rule = find_rule(code)
        if rule is None:
            return None
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=rule_markdown(rule))
        )
    result = doc.result
    if result is None or result.text != doc.text:
        result = await server.current(doc, timeout=2.0)
    if result is None:
        return None
    parts: list[str] = []
    for site in await server.sites(doc):
        if site.seen is not None and _contains(site.name_span, location):
            parts.append(model_view_markdown(site.seen))
    seen: set[str] = set()
    for finding in result.findings:
        if not _contains(finding.span, location) or finding.code in seen:
            continue
        seen.add(finding.code)
        rule = find_rule(finding.code)
        if rule is not None:
            parts.append(rule_markdown(rule))
    if not parts:
        return None
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(parts))
    )


def _contains(span: Span, location: Any) -> bool:
    start, end = span.start, span.end
    if (location.row, location.column) < (start.row, start.column):
        return False
    return (location.row, location.column) <= (end.row, end.column)


# -- code lenses and the run tool command ----------------------------------------------------


def _run_command(doc: Document, site: ToolSite, lines: TextLines) -> lsp.Command:
    target: dict[str, Any] = {
        "uri": doc.uri,
        "name": site.name,
        "line": lines.range(site.span).start.line,
    }
    if site.parameters is not None:
        target["parameters"] = list(site.parameters)
    if site.example is not None:
        target["arguments"] = site.example
    elif site.parameters is not None and not site.needs_arguments:
        target["arguments"] = {}
    return lsp.Command(title="▶ Run tool", command=RUN_TOOL_COMMAND, arguments=[target])


async def code_lens(params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    doc = server.documents.get(params.text_document.uri)
    if doc is None or not server.settings.trusted:
        return []
    sites = await server.sites(doc)
    lines = TextLines(doc.text, server.encoding())
    lenses: list[lsp.CodeLens] = []
    now = time.monotonic()
    for site in sites:
        if site.kind != "tool":
            continue
        line = lines.range(site.span).start.line
        anchor = lsp.Range(
            start=lsp.Position(line=line, character=0), end=lsp.Position(line=line, character=0)
        )
        command = _run_command(doc, site, lines)
        if site.example_error:
            command.title = f"▶ Run tool ({site.example_error})"
        lenses.append(lsp.CodeLens(range=anchor, command=command))
        hint = doc.hints.get(line)
        if hint is not None and now - hint[0] < RESULT_HINT_SECONDS:
            lenses.append(
                lsp.CodeLens(range=anchor, command=lsp.Command(title=hint[1][:300], command=""))
            )
    return lenses


async def run_tool_command(*args: Any) -> dict[str, Any]:
    argument = args[0] if args else None
    task = asyncio.ensure_future(server.run_tool_command(argument))
    server.running_tools.add(task)
    try:
        return await task
    finally:
        server.running_tools.discard(task)


# -- workspace symbols and definitions --------------------------------------------------------


def workspace_symbol(params: lsp.WorkspaceSymbolParams) -> list[lsp.SymbolInformation]:
    out: list[lsp.SymbolInformation] = []
    for reg in server.index.search(params.query):
        lines = server._lines_for(reg.path) or TextLines("")
        out.append(
            lsp.SymbolInformation(
                name=reg.name,
                kind=lsp.SymbolKind.Function if reg.kind == "tool" else lsp.SymbolKind.Class,
                location=lsp.Location(uri=uri_for(reg.path), range=lines.range(reg.span)),
                container_name=f"{reg.kind} ({reg.registry.rsplit('::', 1)[-1]})",
            )
        )
    return out


def definition(params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    doc = server.documents.get(params.text_document.uri)
    if doc is None:
        return None
    lines = TextLines(doc.text, server.encoding())
    location = lines.from_client(params.position)
    known = sorted({reg.name for reg in server.index.registrations()})
    name = lookup_name_at(lines.line(location.row - 1), location.column - 1, known)
    if name is None:
        return None
    found = server.index.find(name)
    if not found:
        return None
    out: list[lsp.Location] = []
    for reg in found:
        reg_lines = server._lines_for(reg.path) or TextLines("")
        out.append(lsp.Location(uri=uri_for(reg.path), range=reg_lines.range(reg.span)))
    return out
