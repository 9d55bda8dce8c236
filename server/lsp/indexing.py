"""The workspace index, built in the background: every file's tool and agent registrations.

A big workspace (INDEX_PROCESS_FILES Python files or more) is indexed in a process of its own,
so that parsing it does not compete with the edited document's analysis for the GIL; the
process is released when indexing ends (it held every module it imported and parsed: ~200 MB
after a stdlib-sized workspace), and later updates (a saved or changed file) run on a thread.
A small workspace is indexed on a thread, when the editor is quiet.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import TypeVar

from lsprotocol import types as lsp

from agentsense.server.lsp.analysis import schedule
from agentsense.server.lsp.convert import uri_for
from agentsense.server.lsp.state import State
from agentsense.server.lsp.workspace_index import summarize_file, summarize_text, workspace_files

# Workspaces with at least this many Python files are indexed in a separate process.
INDEX_PROCESS_FILES = 40
# Indexing on a thread competes with analysis for the GIL, so it runs when the editor is
# quiet: it waits this long for the editor to open its first documents, then before each file
# until no analysis is pending and none ended in the last INDEX_QUIET_SECONDS (at most
# INDEX_YIELD_SECONDS at a time). The diagnostics of what the user types come first.
INDEX_GRACE_SECONDS = 0.3
INDEX_QUIET_SECONDS = 0.5
INDEX_YIELD_SECONDS = 10.0

T = TypeVar("T")


def start_indexing(state: State, roots: Sequence[Path]) -> None:
    """Index the Python files of these workspace folders in the background."""
    roots = [root for root in roots if root.is_dir()]
    if not roots:
        return
    task = asyncio.get_running_loop().create_task(index_workspace(state, roots))
    state.indexing.add(task)
    task.add_done_callback(state.indexing.discard)


class _Progress:
    """`$/progress` reports of one indexing run (nothing when the client cannot show them)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.token: str | None = None

    async def create(self) -> None:
        if not self.state.client.work_done_progress:
            return
        token = f"agentsense-index-{uuid.uuid4().hex[:8]}"
        try:
            await self.state.ls.work_done_progress.create_async(token)
        except Exception:
            return
        self.token = token

    def begin(self, message: str) -> None:
        if self.token is not None:
            self.state.ls.work_done_progress.begin(
                self.token,
                lsp.WorkDoneProgressBegin(
                    title="agentsense: indexing tools", message=message, percentage=0
                ),
            )

    def report(self, message: str, percentage: int) -> None:
        if self.token is not None:
            self.state.ls.work_done_progress.report(
                self.token, lsp.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.token is not None:
            self.state.ls.work_done_progress.end(
                self.token, lsp.WorkDoneProgressEnd(message=message)
            )


async def index_workspace(state: State, roots: Sequence[Path]) -> None:
    """Index every Python file's registrations in the background, reporting progress."""
    progress = _Progress(state)
    await progress.create()
    await asyncio.sleep(INDEX_GRACE_SECONDS)
    await yield_to_analysis(state)
    state.log(f"indexing {', '.join(str(root) for root in roots)}")
    progress.begin("finding Python files")
    try:
        files: list[str] = []
        for root in roots:
            files.extend(await in_background(state, partial(workspace_files, root)))
        total = len(files)
        if total >= INDEX_PROCESS_FILES:
            state.background.shutdown(wait=False)
            state.background = _index_executor()
        started = time.perf_counter()
        for number, path in enumerate(files, start=1):
            await _index_file(state, path)
            if number % 10 == 0 or number == total:
                progress.report(f"{number}/{total} files", int(number * 100 / total))
        index_changed(state)
        summary = (
            f"{total} files, {sum(1 for _ in state.index.registrations())} registrations "
            f"in {time.perf_counter() - started:.1f} s"
        )
        progress.end(summary)
        state.log(f"indexed {summary}")
    except asyncio.CancelledError:
        progress.end("cancelled")
        raise
    except Exception:
        progress.end("failed")
        state.log(f"indexing failed:\n{traceback.format_exc()}", lsp.MessageType.Error)
    finally:
        _release_process(state)


async def _index_file(state: State, path: str) -> None:
    await yield_to_analysis(state)
    if state.index.folder_of(path) is None:
        return  # its folder was removed meanwhile
    doc = state.documents.get(uri_for(path))
    if doc is not None:
        result = await in_background(state, partial(summarize_text, doc.text, doc.path))
    else:
        found = await in_background(state, partial(summarize_file, path))
        if found is None:
            return
        result = found
    if state.index.folder_of(path) is not None:  # (still: not removed meanwhile)
        state.index.update(result)


def _release_process(state: State) -> None:
    """The last indexing run to end gives the indexing process back (and its memory)."""
    others = [
        task for task in state.indexing if task is not asyncio.current_task() and not task.done()
    ]
    if others or isinstance(state.background, ThreadPoolExecutor):
        return
    state.background.shutdown(wait=False, cancel_futures=True)
    state.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentsense-index")


async def yield_to_analysis(state: State) -> None:
    """Wait until the editor is quiet (bounded), when indexing shares the GIL with it."""
    if not isinstance(state.background, ThreadPoolExecutor):
        return  # an indexing process competes for nothing the user waits for
    deadline = time.monotonic() + INDEX_YIELD_SECONDS
    while time.monotonic() < deadline and (
        time.monotonic() - state.last_analysis < INDEX_QUIET_SECONDS
        or any(doc.timer is not None and not doc.timer.done() for doc in state.documents.values())
    ):
        await asyncio.sleep(0.02)


async def in_background(state: State, function: Callable[[], T]) -> T:
    """Run on the indexing process (or a thread, once the process cannot be used)."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(state.background, function)
    except (BrokenProcessPool, OSError, RuntimeError):
        if isinstance(state.background, ThreadPoolExecutor):
            raise
        state.log("the indexing process failed; indexing on a thread instead")
        state.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentsense-index")
        return await loop.run_in_executor(state.background, function)


async def reindex(state: State, path: str, text: str | None = None) -> None:
    """Update the index for one file (saved, or changed on disk)."""
    if text is None:
        found = await in_background(state, partial(summarize_file, path))
        if found is None:
            state.index.remove(path)
        else:
            state.index.update(found)
    else:
        state.index.update(await in_background(state, partial(summarize_text, text, path)))
    index_changed(state)


def index_changed(state: State) -> None:
    """Re-lint the open documents whose cross-file findings the index change altered."""
    changed = state.index.recompute(state.config_for)
    for path in changed:
        doc = state.documents.get(uri_for(path))
        if doc is not None:
            doc.result = None
            schedule(state, doc, 0)
    if changed:
        state.refresh_diagnostics()


def _index_executor() -> Executor:
    try:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    except (OSError, ValueError, NotImplementedError):
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentsense-index")
