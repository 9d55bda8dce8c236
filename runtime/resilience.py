"""Retry with backoff, a circuit breaker and timeouts for calls to models and tools."""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import random
import threading
import time
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, ParamSpec, TypeVar, cast

__all__ = [
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "backoff_delay",
    "retry",
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


def retry(
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    jitter: bool = True,
    exceptions: tuple[type[BaseException], ...] = (Exception,),
    *,
    sleep: Callable[[float], None] = time.sleep,
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry a sync or async function on `exceptions`, re-raising the last one when out of tries.

    `attempts` counts calls, not retries, so attempts=1 means no retry. There is no pause after
    the last attempt. `sleep`/`async_sleep`/`rng` are injectable for tests.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    if base_delay < 0 or max_delay < 0 or not math.isfinite(base_delay):
        raise ValueError("base_delay and max_delay must be finite and >= 0")
    if not exceptions:
        raise ValueError("exceptions must name at least one exception type")

    def delay(attempt: int) -> float:
        return backoff_delay(attempt, base_delay, max_delay, jitter, rng)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                for attempt in range(attempts):
                    try:
                        return await fn(*args, **kwargs)
                    except exceptions:
                        # Re-raise from inside the handler: the last error keeps its traceback,
                        # and there is always a real exception to raise.
                        if attempt == attempts - 1:
                            raise
                    await async_sleep(delay(attempt))
                raise AssertionError("unreachable: the loop returns or raises")

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(attempts):
                try:
                    return fn(*args, **kwargs)
                except exceptions:
                    if attempt == attempts - 1:
                        raise
                sleep(delay(attempt))
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


class CircuitBreaker:
    """Stops calling a failing dependency for reset_timeout seconds after failure_threshold
    consecutive failures, then lets one trial call decide whether to close again."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str = "circuit",
        exceptions: tuple[type[BaseException], ...] = (Exception,),
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if reset_timeout < 0:
            raise ValueError(f"reset_timeout must be >= 0, got {reset_timeout}")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.name = name
        self.exceptions = exceptions
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

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a sync function through the breaker."""
        self._before_call()
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
        self._before_call()
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


async def with_timeout(awaitable: Awaitable[T], seconds: float, what: str = "operation") -> T:
    """Await with a deadline; TimeoutError saying what timed out and after how long."""
    if not seconds > 0 or not math.isfinite(seconds):
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never awaited: close it rather than leak a warning
        raise ValueError(f"timeout must be a positive number of seconds, got {seconds}")
    try:
        return await asyncio.wait_for(awaitable, timeout=seconds)
    except asyncio.TimeoutError:
        raise TimeoutError(f"{what} timed out after {seconds:g} s") from None
