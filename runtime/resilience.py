"""Retry with backoff, a circuit breaker and timeouts for calls to models and tools."""

from __future__ import annotations

import asyncio
import email.utils
import functools
import inspect
import math
import random
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any, ParamSpec, TypeVar, cast

__all__ = [
    "NO_FALLBACK",
    "TRANSIENT_ERRORS",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "DeadlineExceeded",
    "backoff_delay",
    "is_transient",
    "retry",
    "retry_after_seconds",
    "with_timeout",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def backoff_delay(
    attempt: int,
    base_delay: float,
    max_delay: float,
    jitter: bool = True,
    rng: Callable[[], float] = random.random,
) -> float:
    """The pause after failed attempt number `attempt` (0-based).

    Exponential: base_delay * 2**attempt, capped at max_delay. With jitter it is "full jitter"
    (uniform in [0, capped delay]), which spreads out clients that failed together.
    """
    capped = min(max_delay, base_delay * (2.0**attempt))
    return capped * rng() if jitter else capped


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncio.TimeoutError,  # not the builtin TimeoutError before Python 3.11
)


def _header(headers: object, name: str) -> str | None:
    """A header from a mapping-like headers object, matched case-insensitively."""
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name.lower() and isinstance(value, str):
            return value
    return None


def retry_after_seconds(error: BaseException, now: Callable[[], float] = time.time) -> float | None:
    """How long the failed call's server asked us to wait, or None when it did not say.

    Read from a `retry_after` attribute in seconds (what SDK rate-limit errors carry), or from
    a `Retry-After` header on `error.response.headers` or `error.headers` (requests/httpx
    style): delta-seconds or an HTTP date. Negative, non-finite or unparsable values count as
    not said.
    """
    seconds: float | None = None
    hint = getattr(error, "retry_after", None)
    if isinstance(hint, int | float) and not isinstance(hint, bool):
        seconds = float(hint)
    else:
        response = getattr(error, "response", None)
        text = _header(getattr(response, "headers", None), "Retry-After")
        if text is None:
            text = _header(getattr(error, "headers", None), "Retry-After")
        if text is not None:
            seconds = _parse_retry_after(text.strip(), now)
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _parse_retry_after(text: str, now: Callable[[], float]) -> float | None:
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None  # HTTP dates are always GMT; one without a zone is not an HTTP date
    return max(0.0, when.timestamp() - now())


def is_transient(error: BaseException) -> bool:
    """True for failures that the same call may not repeat: a lost connection, a timeout, or
    a refusal that says when to try again (Retry-After). Everything else, such as a bad
    request or a failed authentication, fails the same way every time."""
    return isinstance(error, TRANSIENT_ERRORS) or retry_after_seconds(error) is not None


def retry(
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    jitter: bool = True,
    exceptions: tuple[type[BaseException], ...] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: Callable[[], float] = random.random,
    now: Callable[[], float] = time.time,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry a sync or async function, re-raising the last error when out of tries.

    What is retried: by default only transient errors (`is_transient`: ConnectionError,
    TimeoutError, or an error carrying a Retry-After); a permanent error is raised at once,
    since trying it again only spends time and quota. `exceptions=` names the types to retry
    instead.

    `attempts` counts calls, not retries, so attempts=1 means no retry. There is no pause after
    the last attempt. Each pause is the backoff (see backoff_delay), or the server's Retry-After
    when that is longer; a Retry-After over max_delay re-raises at once rather than calling
    again before the server said it would answer. `sleep`/`async_sleep`/`rng`/`now` are
    injectable for tests.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    if base_delay < 0 or max_delay < 0 or not math.isfinite(base_delay):
        raise ValueError("base_delay and max_delay must be finite and >= 0")
    if exceptions is not None and not exceptions:
        raise ValueError("exceptions must name at least one exception type")
    catch: tuple[type[BaseException], ...] = exceptions or (Exception,)

    def should_retry(error: BaseException) -> bool:
        return exceptions is not None or is_transient(error)

    def pause(attempt: int, error: BaseException) -> float | None:
        """The pause before the next attempt, or None when the server wants too long a one."""
        delay = backoff_delay(attempt, base_delay, max_delay, jitter, rng)
        asked = retry_after_seconds(error, now)
        if asked is None:
            return delay
        return max(delay, asked) if asked <= max_delay else None

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                for attempt in range(attempts):
                    try:
                        return await fn(*args, **kwargs)
                    except catch as error:
                        # Re-raise from inside the handler: the last error keeps its traceback,
                        # and there is always a real exception to raise.
                        delay = pause(attempt, error)
                        if attempt == attempts - 1 or delay is None or not should_retry(error):
                            raise
                    await async_sleep(delay)
                raise AssertionError("unreachable: the loop returns or raises")

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(attempts):
                try:
                    return fn(*args, **kwargs)
                except catch as error:
                    delay = pause(attempt, error)
                    if attempt == attempts - 1 or delay is None or not should_retry(error):
                        raise
                sleep(delay)
            raise AssertionError("unreachable: the loop returns or raises")

        return wrapper

    return decorate


class CircuitState(str, Enum):
    """closed: calls pass; open: calls fail fast; half_open: one trial call is let through."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(RuntimeError):
    """Raised instead of calling a dependency that has been failing."""

    def __init__(self, name: str, retry_in: float) -> None:
        self.name = name
        self.retry_in = retry_in
        super().__init__(f"circuit {name!r} is open; next trial call in {retry_in:.1f} s")


class _NoFallback:
    def __repr__(self) -> str:
        return "NO_FALLBACK"


NO_FALLBACK: Any = _NoFallback()  # the default: an open circuit raises CircuitOpenError


class CircuitBreaker:
    """Stops calling a failing dependency for reset_timeout seconds after failure_threshold
    consecutive failures, then lets one trial call decide whether to close again.

    While the circuit is open a call raises CircuitOpenError, or, with `fallback=`, returns the
    fallback instead (graceful degradation: a cached answer, a "service unavailable" message).
    A callable fallback is called with the CircuitOpenError and its result returned (awaited
    by `acall` when it is awaitable); to return a callable itself, wrap it in a lambda. The
    fallback stands in for the call's result, so give it the same type. A call that runs and
    fails still raises: the fallback answers for calls that were not made, not for failures.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str = "circuit",
        exceptions: tuple[type[BaseException], ...] = (Exception,),
        fallback: Any = NO_FALLBACK,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if reset_timeout < 0:
            raise ValueError(f"reset_timeout must be >= 0, got {reset_timeout}")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.name = name
        self.exceptions = exceptions
        self.fallback = fallback
        self._clock = clock
        self._lock = threading.Lock()  # sync callers may share a breaker across threads
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._state()

    @property
    def failure_count(self) -> int:
        return self._failures

    def _state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def _before_call(self) -> None:
        with self._lock:
            state = self._state()
            if state is CircuitState.CLOSED:
                return
            if state is CircuitState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return
            remaining = 0.0
            if self._opened_at is not None:
                remaining = max(0.0, self.reset_timeout - (self._clock() - self._opened_at))
            raise CircuitOpenError(self.name, remaining)

    def _on_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def _on_failure(self) -> None:
        with self._lock:
            self._failures += 1
            # A failed trial re-opens at once; otherwise open at the threshold.
            if self._trial_in_flight or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
            self._trial_in_flight = False

    def _on_other(self) -> None:
        # An exception we do not count (or cancellation) must not leave the trial slot taken.
        with self._lock:
            self._trial_in_flight = False

    def _fallback_for(self, error: CircuitOpenError) -> Any:
        if self.fallback is NO_FALLBACK:
            raise error
        return self.fallback(error) if callable(self.fallback) else self.fallback

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a sync function through the breaker."""
        try:
            self._before_call()
        except CircuitOpenError as error:
            return cast(T, self._fallback_for(error))
        try:
            result = fn(*args, **kwargs)
        except self.exceptions:
            self._on_failure()
            raise
        except BaseException:
            self._on_other()
            raise
        self._on_success()
        return result

    async def acall(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Await an async function through the breaker."""
        try:
            self._before_call()
        except CircuitOpenError as error:
            substitute = self._fallback_for(error)
            if inspect.isawaitable(substitute):
                substitute = await substitute
            return cast(T, substitute)
        try:
            result = await fn(*args, **kwargs)
        except self.exceptions:
            self._on_failure()
            raise
        except BaseException:
            self._on_other()
            raise
        self._on_success()
        return result

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use as a decorator on a sync or async function."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                return await self.acall(fn, *args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return self.call(fn, *args, **kwargs)

        return wrapper

    def reset(self) -> None:
        """Close the circuit and forget failures."""
        self._on_success()


class DeadlineExceeded(TimeoutError):
    """with_timeout's deadline passed. A TimeoutError, so `except TimeoutError` still catches
    it, and distinct from a TimeoutError that the awaited call raised itself."""

    def __init__(self, what: str, seconds: float) -> None:
        self.what = what
        self.seconds = seconds
        super().__init__(f"{what} timed out after {seconds:g} s")


async def with_timeout(awaitable: Awaitable[T], seconds: float, what: str = "operation") -> T:
    """Await with a deadline: DeadlineExceeded (a TimeoutError) saying what timed out and after
    how long. Errors of the call itself, its own TimeoutError included, propagate unchanged.

    On the deadline, or when the caller is cancelled, the call is cancelled and its cleanup
    (finally blocks, closing a stream) has finished before this returns.
    """
    if not seconds > 0 or not math.isfinite(seconds):
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never awaited: close it rather than leak a warning
        raise ValueError(f"timeout must be a positive number of seconds, got {seconds}")
    # Not asyncio.wait_for: it reports a TimeoutError raised inside the call as its own.
    task = asyncio.ensure_future(awaitable)
    try:
        await asyncio.wait({task}, timeout=seconds)
    except BaseException:
        await _cancel_and_wait(task)  # our caller was cancelled: take the call down too
        raise
    if not task.done():
        await _cancel_and_wait(task)
        raise DeadlineExceeded(what, seconds)
    return task.result()


async def _cancel_and_wait(task: asyncio.Future[Any]) -> None:
    task.cancel()
    # asyncio.wait never raises the task's error, but does raise our own cancellation.
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
