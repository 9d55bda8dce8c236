"""Analysing open documents: debounced, on the analysis thread, newest version wins.

`schedule` (re)starts a document's debounce timer; `analyze` lints the document's current text
(incrementally) on the analysis thread and publishes its diagnostics; `current` waits for the
analysis of the current version, for the requests that need it (code actions, hover, pulls);
`sites` gives the tools the current version registers (code lenses, Run tool, hover).

A document whose analysis runs out of its time budget (`file-time-budget`) keeps what its
linter parsed and is analysed again at once with a larger budget (`retry_budget`), off the
edit path: edits meanwhile do not each start an attempt bound to run out again, and the edits
after it are incremental. When the larger budget runs out too, the document is not analysed
again until it is saved (see `state.TimeBudget`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import time
import traceback
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from agentsense.analyzers.budget import NotLinted, guard_recursion, text_too_large, time_budget
from agentsense.analyzers.config import Config
from agentsense.analyzers.engine import lint
from agentsense.analyzers.incremental import IncrementalLinter
from agentsense.analyzers.model import Finding
from agentsense.analyzers.project import UsedSuppression, without_used_suppressions
from agentsense.server.lsp.convert import (
    DiagnosticOptions,
    TextLines,
    WireDiagnostic,
    related_lines,
    result_id,
    to_diagnostic,
    to_wire,
    uri_for,
)
from agentsense.server.lsp.notebook_sync import split_diagnostics
from agentsense.server.lsp.state import Analysis, Document, State, TimeBudget
from agentsense.server.lsp.tools import ToolSite, tool_sites

if TYPE_CHECKING:
    from cattrs import Converter

# How long a request that needs the current version's analysis waits for it.
WAIT_FOR_ANALYSIS = 10.0
# Test hook: seconds every analysis waits before it starts (a slow analysis, without CPU).
_DELAY_VARIABLE = "AGENTSENSE_TEST_ANALYSIS_DELAY"
# Cyclic garbage is collected after this many quiet seconds, or after this many analyses.
IDLE_COLLECT_SECONDS = 2.0
COLLECT_EVERY = 300
# A document that ran out of its time budget is analysed again with this many times the
# budget, and at least this many seconds (a budget tuned for CI runs, or set tiny, must not
# keep a large file from ever getting diagnostics in the editor).
RETRY_FACTOR = 6
RETRY_MIN_SECONDS = 60.0

log = logging.getLogger("agentsense.server")


def schedule(state: State, doc: Document, delay: float | None = None) -> None:
    """(Re)start the document's debounce timer; rapid edits coalesce into one analysis."""
    if doc.timer is not None and not doc.timer.done():
        doc.timer.cancel()
    wait = state.settings.debounce_ms / 1000.0 if delay is None else delay
    doc.timer = asyncio.get_running_loop().create_task(_analyze_later(state, doc, wait))


async def _analyze_later(state: State, doc: Document, delay: float) -> None:
    try:
        if delay > 0:
            await asyncio.sleep(delay)
        await analyze(state, doc)
    except asyncio.CancelledError:
        pass
    except Exception:
        state.log(
            f"analysis failed for {doc.uri}:\n{traceback.format_exc()}", lsp.MessageType.Error
        )


async def analyze(state: State, doc: Document) -> None:
    async with doc.lock:
        if state.documents.get(doc.uri) is not doc:
            return
        if (
            doc.result is not None
            and doc.result.version == doc.version
            and doc.result.text == doc.text
            and not doc.result.retry
        ):
            wake(doc)
            return
        version, text = doc.version, doc.text
        with contextlib.suppress(ValueError):
            await asyncio.sleep(float(os.environ.get(_DELAY_VARIABLE) or 0))
        if state.config.stale():
            state.config.reset()
        config = state.config_for(doc.path)
        cross = state.index.findings_for(doc.path)
        used = state.index.used_suppressions_for(doc.path)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            state.analysis,
            functools.partial(
                compute_analysis,
                doc.linter if state.settings.incremental else None,
                doc.path,
                version,
                text,
                config,
                cross,
                state.encoding(),
                state.diagnostic_options,
                functools.partial(lines_for, state),
                used,
                doc.result,
                doc.budget,
            ),
        )
        if state.documents.get(doc.uri) is not doc:
            return
        # A result for an old version is never shown over a newer one.
        if version != doc.version or text != doc.text:
            return
        doc.result = result
        state.last_analysis = time.monotonic()
        _collect_when_idle(state)
        if result.retry:
            if doc.uri not in state.over_budget:
                state.over_budget.add(doc.uri)
                state.show(
                    f"agentsense: {Path(doc.path).name} is not linted yet: "
                    f"{result.not_linted}; analysing it again with up to "
                    f"{retry_budget(config.time_budget):g} s",
                    lsp.MessageType.Info,
                )
            # The retry's result replaces this one: a pulling client is asked to pull again.
            doc.refresh_pending = doc.refresh_pending or state.pull
        elif result.not_linted is not None and doc.uri not in state.too_large:
            state.too_large.add(doc.uri)
            state.show(
                f"agentsense: {Path(doc.path).name} is not linted: {result.not_linted}",
                lsp.MessageType.Warning,
            )
        state.log(
            f"{Path(doc.path).name} v{version}: {len(result.findings)} findings in "
            f"{result.seconds * 1000:.1f} ms ({result.mode})"
        )
        # Notebook cells are pushed even to a pulling client: clients pull for the text
        # documents their selector names, and a cell's URI scheme is not among them. An
        # attempt that ran out of time clears nothing: its retry publishes.
        if (not state.pull or doc.uri in state.notebooks) and not result.retry:
            publish(state, doc.uri, version, result)
        if doc.refresh_pending and not result.retry:
            doc.refresh_pending = False
            state.refresh_diagnostics()
        wake(doc)
        if result.retry:
            doc.timer = None  # this task: the retry is a new one, not a cancelled one
            schedule(state, doc, 0)


def retry_budget(seconds: float) -> float:
    """The time budget of a document's analyses after one ran out of `seconds`."""
    return max(seconds * RETRY_FACTOR, RETRY_MIN_SECONDS)


def publish(state: State, uri: str, version: int | None, result: Analysis) -> None:
    """Push a document's diagnostics (as serialised when made); a notebook's go to its
    cells, one by one."""
    cells = state.notebooks.get(uri)
    if cells is None:
        state.publish_wire(uri, version, [item.payload for item in result.wire])
        return
    for cell_uri, items in split_diagnostics(cells, result.diagnostics).items():
        state.publish(cell_uri, None, items)


def _collect_when_idle(state: State) -> None:
    state.analyses_since_collect += 1
    if state.gc_timer is not None:
        state.gc_timer.cancel()
    loop = asyncio.get_running_loop()
    delay = 0.0 if state.analyses_since_collect >= COLLECT_EVERY else IDLE_COLLECT_SECONDS
    state.gc_timer = loop.call_later(delay, _collect, state)


def _collect(state: State) -> None:
    state.gc_timer = None
    state.analyses_since_collect = 0
    # On the analysis thread: queued behind any analysis, never on the event loop.
    state.analysis.submit(gc.collect)


def wake(doc: Document) -> None:
    """Answer everything waiting for the document's analysis (it ended, or the doc closed)."""
    waiters, doc.waiters = doc.waiters, []
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)


def lines_for(state: State, path: str) -> TextLines | None:
    """The text of a file as the editor has it (open) or as it is on disk."""
    doc = state.documents.get(uri_for(path))
    if doc is not None:
        return TextLines(doc.text)
    return related_lines(path)


async def current(
    state: State, doc: Document, timeout: float = WAIT_FOR_ANALYSIS, *, final: bool = False
) -> Analysis | None:
    """The analysis of the document's current version, waiting for it (None on timeout).

    `final`: not one that ran out of its time budget and is being retried (wait for that)."""
    deadline = time.monotonic() + timeout
    while True:
        result = doc.result
        if (
            result is not None
            and result.version == doc.version
            and result.text == doc.text
            and not (final and result.retry)
        ):
            return result
        if doc.timer is None or doc.timer.done():
            schedule(state, doc, 0)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or state.documents.get(doc.uri) is not doc:
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        doc.waiters.append(waiter)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(waiter, remaining)


def relint_all(state: State) -> None:
    for doc in state.documents.values():
        doc.result = None
        doc.budget = TimeBudget()  # the budget may have changed: try again
        schedule(state, doc, 0)
    state.refresh_diagnostics()


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
    used: Collection[UsedSuppression] = frozenset(),
    previous: Analysis | None = None,
    budget: TimeBudget | None = None,
) -> Analysis:
    """Runs on the analysis thread: lint (incrementally) and convert to diagnostics.

    `cross` are the document's cross-file findings and `used` its suppression comments that
    silenced one (the workspace index's): those are not reported unused. `previous`, the
    document's last analysis: the diagnostics of findings kept from it (the same objects: the
    incremental linter's, of statements an edit did not touch) are kept too. `budget`, how
    the document's last analyses ended against their time budget (updated here)."""
    started = time.perf_counter()
    budget = budget if budget is not None else TimeBudget()
    not_linted = text_too_large(text)
    if not_linted is None:
        not_linted = budget.exhausted  # backing off until the document is saved
    findings: list[Finding] = []
    mode = "not linted"
    retry = False
    if not_linted is None:
        seconds = config.time_budget
        if budget.missed and seconds > 0:
            seconds = retry_budget(seconds)
        try:
            # The document gets its time budget; deeply nested code is analysed on a large
            # stack. Either failing is a message, and the server goes on.
            with time_budget(seconds):
                findings, mode = guard_recursion(lambda: _lint_document(linter, path, text, config))
            budget.missed = False
        except NotLinted as why:
            not_linted = why.reason
            if seconds > 0 and time.perf_counter() - started >= seconds:
                retry = not budget.missed
                if retry:
                    mode = "over budget"  # the linter keeps what it parsed for the retry
                else:
                    not_linted = budget.exhausted = (
                        f"{why.reason}, after running out of {config.time_budget:g} s "
                        "once; it is analysed again when saved"
                    )
                budget.missed = retry
    if not_linted is not None and linter is not None and not retry:
        linter.reset()  # free the old version's tree
    findings = without_used_suppressions(findings, used)
    findings = sorted([*findings, *cross], key=lambda f: (f.span.start, f.code))
    lines = TextLines(text, encoding)
    secrets = sorted({secret for f in findings for secret in f.secrets if secret})
    # One read of each other file a related location points into, not one per location.
    other_lines = functools.cache(lines_for)
    kept = _kept_diagnostics(previous, config, secrets)
    unstructure = _converter().unstructure
    pairs = [
        kept.get(id(f))
        or _diagnostic(to_diagnostic(f, lines, options, other_lines, secrets), unstructure)
        for f in findings
    ]
    wire = tuple(item for _, item in pairs)
    return Analysis(
        version,
        text,
        tuple(findings),
        tuple(diagnostic for diagnostic, _ in pairs),
        result_id(wire),
        config,
        time.perf_counter() - started,
        mode,
        not_linted,
        retry,
        wire,
    )


def _diagnostic(
    diagnostic: lsp.Diagnostic, unstructure: Callable[..., Any]
) -> tuple[lsp.Diagnostic, WireDiagnostic]:
    return diagnostic, to_wire(diagnostic, unstructure)


@functools.cache
def _converter() -> Converter:
    """lsprotocol's converter (the protocol's, for what is sent), one for the analysis thread
    (converters build their functions on first use: not shared with the event loop's)."""
    from lsprotocol.converters import get_converter

    return get_converter()


def _kept_diagnostics(
    previous: Analysis | None, config: Config, secrets: Sequence[str]
) -> dict[int, tuple[lsp.Diagnostic, WireDiagnostic]]:
    """`id(finding)` -> its diagnostic (and as it was sent), for the previous analysis's
    findings that the next one may reuse: same configuration and masked secrets, no related
    location in another file (its text may have changed). A finding kept by the linter lies
    in rows an edit did not touch, moved by no line: its diagnostic reads the same."""
    if previous is None or previous.config is not config:
        return {}
    if sorted({s for f in previous.findings for s in f.secrets if s}) != list(secrets):
        return {}
    return {
        id(finding): (diagnostic, wire)
        for finding, diagnostic, wire in zip(
            previous.findings, previous.diagnostics, previous.wire, strict=True
        )
        if all(item.path == finding.path for item in finding.related)
    }


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
    except NotLinted:
        # The caller reports it; past the time budget, the linter keeps what it parsed (its
        # state is consistent whenever the deadline stops it) for the retry.
        raise
    except RecursionError:
        linter.reset()  # retried on a large stack
        raise
    except Exception:
        # A bug must not stick to the document: drop the incremental state (the next version
        # starts over) and answer this one the plain way; if that fails too, the caller logs it.
        log.exception("incremental lint failed; linting the whole file")
        linter.reset()
        return lint(text, linter.path, config), "whole (after an error)"


async def sites(state: State, doc: Document) -> list[ToolSite]:
    """The registrations of the document's current version (or its last good one)."""
    await current(state, doc, timeout=5.0)
    if doc.sites is not None and doc.sites[0] == doc.version:
        return doc.sites[1]
    loop = asyncio.get_running_loop()
    found = await loop.run_in_executor(state.analysis, _sites_of, doc.linter, doc.text)
    if found is None:
        return doc.sites[1] if doc.sites is not None else []
    doc.sites = (doc.version, found)
    return found


def _sites_of(linter: IncrementalLinter, text: str) -> list[ToolSite] | None:
    if linter.module is None or linter.text != text:
        return None
    positions, top = linter.positions()
    return tool_sites(linter.module, linter.module_facts(), positions, top)
