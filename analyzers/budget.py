"""Per-file limits: a cooperative time budget, a deep-stack runner for deeply nested code, and
the largest source linted.

The engine checks the deadline in its loops (the walk, position recording, fix passes), so a
file that would take too long stops with `NotLinted` at the next check instead of stalling a
CI run or the editor. libcst's native parser cannot be interrupted; it is protected instead by
the nesting limit checked before it runs (`engine.parse`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# Seconds one file may take by default (`file-time-budget` in the config, `--file-time-budget`).
DEFAULT_FILE_TIME_BUDGET = 10.0
# How many loop steps between two looks at the clock.
CHECK_EVERY = 256

# libcst renders code recursively (a few Python frames per nesting level) and its parser
# recurses in native code: deeply nested files run in a thread with a large stack and a raised
# recursion limit instead of the caller's.
_DEEP_STACK_BYTES = 512 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 60_000


class NotLinted(Exception):
    """The engine gave up on a file: `reason` says why (nothing in it was checked).

    Front ends show it as "not linted: <reason>" (a skipped file, never a clean one).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Budget(threading.local):
    deadline: float | None = None
    seconds: float = 0.0


_budget = _Budget()


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Give the work inside (on this thread) `seconds` of wall-clock time; None or 0: no limit."""
    previous = (_budget.deadline, _budget.seconds)
    if seconds is not None and seconds > 0:
        _budget.deadline, _budget.seconds = time.monotonic() + seconds, seconds
    else:
        _budget.deadline, _budget.seconds = None, 0.0
    try:
        yield
    finally:
        _budget.deadline, _budget.seconds = previous


def check_deadline() -> None:
    """Raise `NotLinted` when this thread's time budget is spent."""
    deadline = _budget.deadline
    if deadline is not None and time.monotonic() > deadline:
        raise NotLinted(f"it took more than {_budget.seconds:g} s to analyse (`file-time-budget`)")


_limit_lock = threading.Lock()
_deep_calls = 0
_saved_limit = 0


def _raise_limit() -> None:
    global _deep_calls, _saved_limit
    with _limit_lock:
        if _deep_calls == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, _DEEP_RECURSION_LIMIT))
        _deep_calls += 1


def _restore_limit() -> None:
    global _deep_calls
    with _limit_lock:
        _deep_calls -= 1
        if _deep_calls == 0:
            sys.setrecursionlimit(_saved_limit)


_in_deep = threading.local()


def in_deep_stack(function: Callable[[], T]) -> T:
    """Run `function` in a thread with a large stack and a raised recursion limit.

    The time budget of the calling thread carries over. Already in such a thread: just call.
    """
    if getattr(_in_deep, "active", False):
        return function()
    deadline, seconds = _budget.deadline, _budget.seconds
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        _in_deep.active = True
        _budget.deadline, _budget.seconds = deadline, seconds
        try:
            outcome.append(function())
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=target, name="agentsense-deep", daemon=True)
    _raise_limit()
    try:
        with _limit_lock:
            # The size applies to threads started while it is set.
            previous = threading.stack_size(_DEEP_STACK_BYTES)
            try:
                thread.start()
            finally:
                threading.stack_size(previous)
        thread.join()
    finally:
        _restore_limit()
    if failure:
        raise failure[0]
    return outcome[0]


class _DeepStackNeeded(RecursionError):
    """Raised under `guard_recursion` by work that knows it needs a large stack."""


class _Guard(threading.local):
    active = False


_guard = _Guard()


def request_deep_stack() -> None:
    """Say that the work under way needs a large stack (deeply nested code was found).

    Under `guard_recursion` on a normal stack, this restarts the whole work on a deep one
    at once (rather than after parsing, when rendering recurses too deeply); elsewhere it
    does nothing and the caller uses `in_deep_stack` for its own step.
    """
    if _guard.active and not getattr(_in_deep, "active", False):
        raise _DeepStackNeeded


def guard_recursion(function: Callable[[], T]) -> T:
    """Call `function`; if it recurses too deeply, run it again with a deep stack.

    Deeply nested code fails fast on the normal stack (the recursion limit, or
    `request_deep_stack`), so ordinary files pay nothing; a file still too deep after that
    is `NotLinted`, never a traceback.
    """
    previous = _guard.active
    _guard.active = True
    try:
        return function()
    except RecursionError:
        pass
    finally:
        _guard.active = previous
    try:
        return in_deep_stack(function)
    except RecursionError:
        raise NotLinted("the code is nested too deeply to analyse") from None


# Larger sources are not linted: Python that big is generated, and libcst holds about 400
# bytes of memory per byte of source (4 MB parse to ~1.6 GB).
MAX_SOURCE_BYTES = 4 * 1024 * 1024


def too_large(size: int) -> str | None:
    """Why a source of `size` bytes is not linted, or None when it is small enough."""
    if size <= MAX_SOURCE_BYTES:
        return None
    return f"larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB ({size} bytes)"


def text_too_large(text: str) -> str | None:
    """`too_large` for a decoded text (its UTF-8 size, counted only when it may matter)."""
    if len(text) * 4 <= MAX_SOURCE_BYTES:
        return None
    return too_large(len(text.encode("utf-8", "surrogatepass")))
