"""Structured errors an agent loop reports to its caller and feeds back to the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentsense.runtime.contract import ToolCallError
from agentsense.runtime.resilience import is_transient

__all__ = ["AgentError", "AgentLoopError"]


@dataclass(frozen=True, slots=True)
class AgentError:
    """What went wrong, whether the model can recover by acting differently, and how.

    `transient`: the same call may succeed if made again (a timeout, a lost connection), so
    repeating it is a retry, not a loop.
    """

    tool: str | None
    message: str
    recoverable: bool
    suggested_action: str
    transient: bool = False

    @classmethod
    def invalid_arguments(cls, error: ToolCallError) -> AgentError:
        """The model called a tool wrongly: it can fix the call itself."""
        unknown = any(problem.kind == "unknown_tool" for problem in error.errors)
        return cls(
            tool=None if unknown else error.tool,
            message=str(error),
            recoverable=True,
            suggested_action=(
                "call one of the available tools instead"
                if unknown
                else f"call {error.tool!r} again with arguments that match its schema"
            ),
        )

    @classmethod
    def timeout(cls, tool: str, seconds: float) -> AgentError:
        """A tool ran out of time: worth trying again, perhaps with a smaller request."""
        return cls(
            tool=tool,
            message=f"tool {tool!r} timed out after {seconds:g} s",
            recoverable=True,
            suggested_action="retry the call, or ask for less work in one call",
            transient=True,
        )

    @classmethod
    def from_exception(cls, tool: str | None, error: BaseException) -> AgentError:
        """A tool raised. A transient failure (see resilience.is_transient: a lost connection, a
        timeout, a Retry-After) is worth retrying; any other the model cannot fix by itself."""
        where = f"tool {tool!r}" if tool is not None else "agent"
        if is_transient(error):
            return cls(
                tool=tool,
                message=f"{where} failed: {type(error).__name__}: {error}",
                recoverable=True,
                suggested_action="retry the call; the failure is temporary",
                transient=True,
            )
        return cls(
            tool=tool,
            message=f"{where} failed: {type(error).__name__}: {error}",
            recoverable=False,
            suggested_action="report the failure; do not call this tool again with the same input",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "message": self.message,
            "recoverable": self.recoverable,
            "suggested_action": self.suggested_action,
            "transient": self.transient,
        }


class AgentLoopError(RuntimeError):
    """Raised by ReactResult.raise_for_error when a run ended without an answer."""

    def __init__(self, error: AgentError) -> None:
        self.error = error
        super().__init__(f"{error.message} (suggested action: {error.suggested_action})")
