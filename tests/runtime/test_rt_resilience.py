"""retry, CircuitBreaker and with_timeout, with injected sleeps and clocks (no real waiting)."""

from __future__ import annotations

import asyncio

import pytest

from agentsense.runtime.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    DeadlineExceeded,
    backoff_delay,
    is_transient,
    retry,
    retry_after_seconds,
    with_timeout,
)


class Flaky:
    """Fails `failures` times, then returns 'ok'; counts calls."""

    def __init__(self, failures: int, error: type[Exception] = ConnectionError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return "ok"


def test_retry_sync_succeeds_after_failures_with_exponential_delays() -> None:
    sleeps: list[float] = []
    flaky = Flaky(2)
    wrapped = retry(attempts=3, base_delay=0.5, jitter=False, sleep=sleeps.append)(flaky)
    assert wrapped() == "ok"
    assert flaky.calls == 3
    assert sleeps == [0.5, 1.0]


def test_retry_reraises_the_last_exception_without_sleeping_after_it() -> None:
    sleeps: list[float] = []
    flaky = Flaky(5)
    wrapped = retry(attempts=3, base_delay=1, jitter=False, sleep=sleeps.append)(flaky)
    with pytest.raises(ConnectionError, match="failure 3"):
        wrapped()
    assert flaky.calls == 3
    assert sleeps == [1, 2]


def test_retry_only_on_listed_exceptions() -> None:
    flaky = Flaky(1, error=KeyError)
    wrapped = retry(attempts=3, exceptions=(ConnectionError,), sleep=lambda _: None)(flaky)
    with pytest.raises(KeyError):
        wrapped()
    assert flaky.calls == 1


def test_retry_refuses_fewer_than_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts must be >= 1, got 0"):
        retry(attempts=0)
    flaky = Flaky(1)
    with pytest.raises(ConnectionError):
        retry(attempts=1, sleep=lambda _: None)(flaky)()
    assert flaky.calls == 1


def test_backoff_caps_and_jitter_bounds() -> None:
    assert backoff_delay(10, 0.5, 30.0, jitter=False) == 30.0
    assert backoff_delay(10, 0.5, 30.0, jitter=True, rng=lambda: 0.999999) <= 30.0
    assert backoff_delay(3, 1.0, 30.0, jitter=True, rng=lambda: 0.0) == 0.0
    for attempt in range(8):
        for _ in range(50):
            delay = backoff_delay(attempt, 0.5, 10.0)
            assert 0.0 <= delay <= min(10.0, 0.5 * 2**attempt)


def test_retry_jitter_uses_injected_rng() -> None:
    sleeps: list[float] = []
    wrapped = retry(attempts=3, base_delay=2, sleep=sleeps.append, rng=lambda: 0.25)(Flaky(2))
    wrapped()
    assert sleeps == [0.5, 1.0]


async def test_retry_async_uses_async_sleep() -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    calls = 0

    @retry(attempts=4, base_delay=0.1, jitter=False, async_sleep=fake_sleep)
    async def fetch(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise TimeoutError("slow")
        return x * 2

    assert asyncio.iscoroutinefunction(fetch)
    assert await fetch(21) == 42
    assert calls == 3
    assert sleeps == pytest.approx([0.1, 0.2])


async def test_retry_async_reraises_last() -> None:
    @retry(attempts=2, async_sleep=lambda _: asyncio.sleep(0))
    async def always() -> None:
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        await always()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fail() -> None:
    raise ConnectionError("down")


def test_breaker_opens_after_threshold_then_half_opens_and_closes() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=clock, name="api")
    assert breaker.state is CircuitState.CLOSED
    with pytest.raises(ConnectionError):
        breaker.call(_fail)
    assert breaker.state is CircuitState.CLOSED
    with pytest.raises(ConnectionError):
        breaker.call(_fail)
    assert breaker.state is CircuitState.OPEN

    calls = 0

    def succeed() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    with pytest.raises(CircuitOpenError, match=r"circuit 'api' is open; next trial call in 10.0 s"):
        breaker.call(succeed)
    assert calls == 0  # failing fast: the dependency was not called

    clock.now += 10
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.call(succeed) == "ok"
    assert breaker.state is CircuitState.CLOSED
    assert breaker.failure_count == 0


def test_failed_trial_reopens_immediately() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=5, clock=clock)
    for _ in range(3):
        with pytest.raises(ConnectionError):
            breaker.call(_fail)
    clock.now += 5
    assert breaker.state is CircuitState.HALF_OPEN
    with pytest.raises(ConnectionError):
        breaker.call(_fail)
    assert breaker.state is CircuitState.OPEN
    clock.now += 4.9
    assert breaker.state is CircuitState.OPEN


def test_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=5, clock=FakeClock())
    with pytest.raises(ConnectionError):
        breaker.call(_fail)
    breaker.call(lambda: None)
    with pytest.raises(ConnectionError):
        breaker.call(_fail)
    assert breaker.state is CircuitState.CLOSED


async def test_breaker_as_async_decorator_allows_one_trial_at_a_time() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=1, clock=clock)
    release = asyncio.Event()

    @breaker
    async def call(fail: bool) -> str:
        if fail:
            raise ConnectionError("down")
        await release.wait()
        return "ok"

    with pytest.raises(ConnectionError):
        await call(True)
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        await call(False)
    clock.now += 1
    trial = asyncio.create_task(call(False))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpenError):  # the trial slot is taken
        await call(False)
    release.set()
    assert await trial == "ok"
    assert breaker.state is CircuitState.CLOSED


def test_breaker_sync_decorator() -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=60, clock=FakeClock())

    @breaker
    def double(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return 2 * x

    assert double(2) == 4
    with pytest.raises(ValueError):
        double(-1)
    with pytest.raises(CircuitOpenError):
        double(2)


async def test_with_timeout_returns_or_raises_clear_timeout_error() -> None:
    async def quick() -> int:
        return 7

    assert await with_timeout(quick(), 1) == 7
    with pytest.raises(TimeoutError, match=r"llm call timed out after 0.01 s"):
        await with_timeout(asyncio.sleep(1), 0.01, what="llm call")
    with pytest.raises(ValueError):
        await with_timeout(quick(), 0)


async def test_with_timeout_lets_the_calls_own_timeout_error_through() -> None:
    upstream = TimeoutError("upstream gateway timed out")

    async def proxied() -> str:
        raise upstream

    with pytest.raises(TimeoutError) as caught:
        await with_timeout(proxied(), 60, what="llm call")
    assert caught.value is upstream  # not "llm call timed out after 60 s"
    with pytest.raises(DeadlineExceeded) as deadline:
        await with_timeout(asyncio.sleep(1), 0.01, what="llm call")
    assert (deadline.value.what, deadline.value.seconds) == ("llm call", 0.01)


async def test_with_timeout_finishes_the_calls_cleanup_before_reporting() -> None:
    cleaned = asyncio.Event()

    async def hangs() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            cleaned.set()

    with pytest.raises(DeadlineExceeded):
        await with_timeout(hangs(), 0.01)
    assert cleaned.is_set()

    cleaned.clear()
    outer = asyncio.ensure_future(with_timeout(hangs(), 10))
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert cleaned.is_set()  # cancelling the caller cancelled the call too


class RateLimited(Exception):
    """An SDK-style rate-limit error that says how long to wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("429 Too Many Requests")
        self.retry_after = retry_after


class FakeResponse:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


class HTTPStatusError(Exception):
    """An httpx/requests-style error: the response carries the headers."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("503 Service Unavailable")
        self.response = FakeResponse(headers)


def test_connection_and_timeout_errors_are_transient_others_are_not() -> None:
    assert is_transient(ConnectionError("reset"))
    assert is_transient(ConnectionRefusedError())
    assert is_transient(TimeoutError())
    assert is_transient(asyncio.TimeoutError())
    assert is_transient(RateLimited(2))
    assert not is_transient(ValueError("bad request"))
    assert not is_transient(PermissionError("401"))


def test_retry_after_is_read_from_attribute_or_header() -> None:
    assert retry_after_seconds(RateLimited(2.5)) == 2.5
    assert retry_after_seconds(HTTPStatusError({"retry-after": "7"})) == 7.0
    http_date = HTTPStatusError({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after_seconds(http_date, now=lambda: 1445412470.0) == 10.0
    assert retry_after_seconds(HTTPStatusError({"Retry-After": "soon"})) is None
    assert retry_after_seconds(RateLimited(-1)) is None
    assert retry_after_seconds(RateLimited(float("nan"))) is None
    assert retry_after_seconds(ValueError()) is None


def test_retry_waits_as_long_as_retry_after_asks_within_max_delay() -> None:
    sleeps: list[float] = []
    calls = 0

    def limited() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RateLimited(4)
        if calls == 2:
            raise HTTPStatusError({"Retry-After": "3"})
        return "ok"

    wrapped = retry(attempts=3, base_delay=0.5, jitter=False, sleep=sleeps.append)(limited)
    assert wrapped() == "ok"
    assert sleeps == [4.0, 3.0]  # the server's wait, not the 0.5 s and 1 s backoff


def test_retry_gives_up_when_retry_after_is_over_max_delay() -> None:
    sleeps: list[float] = []
    calls = 0

    def limited() -> str:
        nonlocal calls
        calls += 1
        raise RateLimited(120)

    wrapped = retry(attempts=5, max_delay=30, sleep=sleeps.append)(limited)
    with pytest.raises(RateLimited):
        wrapped()
    assert calls == 1 and sleeps == []  # no call before the server said it would answer


def test_retry_by_default_retries_only_transient_errors() -> None:
    flaky = Flaky(1, error=PermissionError)
    with pytest.raises(PermissionError):
        retry(attempts=3, sleep=lambda _: None)(flaky)()
    assert flaky.calls == 1  # a permanent error is not tried again
    transient = Flaky(2, error=ConnectionResetError)
    assert retry(attempts=3, sleep=lambda _: None)(transient)() == "ok"


def test_open_breaker_returns_the_fallback_value_instead_of_raising() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10, clock=clock, fallback="cached")
    with pytest.raises(ConnectionError):
        breaker.call(_fail)  # a call that runs and fails still raises
    assert breaker.call(lambda: "fresh") == "cached"
    assert breaker.state is CircuitState.OPEN


def test_open_breaker_calls_a_fallback_callable_with_the_open_error() -> None:
    clock = FakeClock()
    seen: list[CircuitOpenError] = []

    def degrade(error: CircuitOpenError) -> str:
        seen.append(error)
        return f"unavailable, retry in {error.retry_in:.0f} s"

    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10, clock=clock, fallback=degrade)
    with pytest.raises(ConnectionError):
        breaker.call(_fail)
    clock.now += 4
    assert breaker.call(lambda: "fresh") == "unavailable, retry in 6 s"
    assert seen[0].name == "circuit"


async def test_open_async_breaker_awaits_an_async_fallback() -> None:
    clock = FakeClock()

    async def degrade(error: CircuitOpenError) -> str:
        return "degraded"

    breaker = CircuitBreaker(failure_threshold=1, clock=clock, fallback=degrade)

    @breaker
    async def fetch() -> str:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        await fetch()
    assert await fetch() == "degraded"
