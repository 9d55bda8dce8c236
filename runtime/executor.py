"""Runs validated tool calls concurrently, bounded and timed, turning failures into AgentErrors."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentsense.runtime.contract import ToolCallError, ToolSpec, validate_call_by_name
from agentsense.runtime.errors import AgentError
from agentsense.runtime.messages import ToolCall, ToolOutcome
from agentsense.runtime.observers import AgentObserver, NullObserver, notify
from agentsense.runtime.registry import RegisteredTool, as_tool
from agentsense.runtime.resilience import DeadlineExceeded, with_timeout

__all__ = ["ToolExecutor", "ToolOutcome"]


class ToolExecutor:
    """Validates and runs tool calls: at most max_concurrency at once, each within timeout.

    Like asyncio.gather(return_exceptions=True), one failing call never cancels the others; unlike
    it, failures come back as structured AgentErrors the loop can show the model: running out of
    time is a timeout, while a TimeoutError the tool raises itself is the tool's own failure
    (transient, like a ConnectionError: worth retrying). Sync tools run in a worker thread
    (asyncio.to_thread) so they do not block the event loop; a thread cannot be killed, so a
    timed-out sync tool's result is abandoned, not stopped.
    """

    def __init__(
        self,
        tools: Iterable[object],
        *,
        max_concurrency: int = 4,
        timeout: float = 30.0,
        observer: AgentObserver | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.tools: dict[str, RegisteredTool] = {}
        for candidate in tools:
            entry = as_tool(candidate)
            if entry.spec.name in self.tools:
                raise ValueError(f"two tools are named {entry.spec.name!r}")
            self.tools[entry.spec.name] = entry
        self.timeout = timeout
        self.observer: AgentObserver = observer or NullObserver()
        self._semaphore = asyncio.Semaphore(max_concurrency)

    @property
    def specs(self) -> Mapping[str, ToolSpec]:
        return {name: entry.spec for name, entry in self.tools.items()}

    async def run(self, call: ToolCall) -> ToolOutcome:
        """Run one call; never raises except on cancellation."""
        observer = self.observer
        notify(observer.on_tool_call, call)
        started = time.perf_counter()
        async with self._semaphore:
            outcome = await self._run_unbounded(call, started)
        if outcome.error is not None:
            error = outcome.error
            notify(observer.on_error, error)
        notify(observer.on_tool_result, call, outcome)
        return outcome

    async def run_many(self, calls: Sequence[ToolCall]) -> list[ToolOutcome]:
        """Run calls concurrently under the bound; outcomes in the order of calls."""
        return list(await asyncio.gather(*(self.run(call) for call in calls)))

    async def _run_unbounded(self, call: ToolCall, started: float) -> ToolOutcome:
        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000.0

        try:
            arguments = validate_call_by_name(self.specs, call.name, call.arguments)
        except ToolCallError as error:
            return ToolOutcome(
                call, error=AgentError.invalid_arguments(error), duration_ms=elapsed()
            )
        entry = self.tools[call.name]
        try:
            value = await with_timeout(
                self._invoke(entry, arguments), self.timeout, what=f"tool {call.name!r}"
            )
        except DeadlineExceeded:
            return ToolOutcome(
                call, error=AgentError.timeout(call.name, self.timeout), duration_ms=elapsed()
            )
        # A tool's own failure (its own TimeoutError included) is data for the loop, not a crash.
        except Exception as error:
            return ToolOutcome(
                call, error=AgentError.from_exception(call.name, error), duration_ms=elapsed()
            )
        return ToolOutcome(call, value=value, duration_ms=elapsed())

    @staticmethod
    async def _invoke(entry: RegisteredTool, arguments: dict[str, Any]) -> Any:
        fn = entry.bind()
        if inspect.iscoroutinefunction(fn):
            return await fn(**arguments)
        result = await asyncio.to_thread(fn, **arguments)
        # A sync wrapper around an async function hands back an awaitable: finish it here.
        if inspect.isawaitable(result):
            return await result
        return result
