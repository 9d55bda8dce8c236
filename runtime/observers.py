"""Observer hooks for agent runs (logging, tracing, metrics) with a no-op base."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from agentsense.runtime.errors import AgentError
from agentsense.runtime.messages import ToolCall, ToolOutcome

__all__ = ["AgentObserver", "NullObserver", "notify"]

_log = logging.getLogger(__name__)


@runtime_checkable
class AgentObserver(Protocol):
    """Told about every tool call, its result, and every error of a run."""

    def on_tool_call(self, call: ToolCall) -> None: ...

    def on_tool_result(self, call: ToolCall, outcome: ToolOutcome) -> None: ...

    def on_error(self, error: AgentError) -> None: ...


class NullObserver:
    """Does nothing; subclass it and override only the hooks you need."""

    def on_tool_call(self, call: ToolCall) -> None:
        return None

    def on_tool_result(self, call: ToolCall, outcome: ToolOutcome) -> None:
        return None

    def on_error(self, error: AgentError) -> None:
        return None


def notify(hook: Callable[..., None], *args: object) -> None:
    """Call one observer hook; a broken observer is logged, never allowed to break the run."""
    try:
        hook(*args)
    except Exception:
        _log.exception("agent observer hook failed")
