"""Chat messages, tool calls and model responses exchanged between the loop and a model."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agentsense.runtime.errors import AgentError

__all__ = ["ChatMessage", "LLMResponse", "Role", "ToolCall", "ToolOutcome"]

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(slots=True)
class ChatMessage:
    """One message of a conversation: tool results carry the tool name and call id, and an
    assistant turn that calls tools carries the calls.

    Slotted, so millions of messages cost no per-instance __dict__, and immutable: every field
    is set once by __init__. Not `frozen=True`: with `slots=True` its generated __setattr__
    answers an assignment to an unknown attribute with a TypeError (a CPython bug before
    3.12); ours says AttributeError, naming the fields.
    """

    role: Role
    content: str
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        fields = type(self).__slots__
        if name not in fields:
            raise AttributeError(
                f"ChatMessage has no attribute {name!r}: it is slotted, so only its fields "
                f"({', '.join(fields)}) can be set"
            )
        if hasattr(self, name):  # an unset slot has no value yet: only __init__ gets here
            raise AttributeError(
                f"ChatMessage is immutable: cannot assign to {name!r}; "
                "build a new message (dataclasses.replace) instead"
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ChatMessage is immutable: cannot delete {name!r}")

    @classmethod
    def system(cls, content: str) -> ChatMessage:
        return cls("system", content)

    @classmethod
    def user(cls, content: str) -> ChatMessage:
        return cls("user", content)

    @classmethod
    def assistant(
        cls,
        content: str,
        tool_call_id: str | None = None,
        tool_calls: Sequence[ToolCall] = (),
    ) -> ChatMessage:
        return cls("assistant", content, tool_call_id=tool_call_id, tool_calls=tuple(tool_calls))

    @classmethod
    def tool(cls, content: str, name: str, tool_call_id: str | None = None) -> ChatMessage:
        return cls("tool", content, name=name, tool_call_id=tool_call_id)

    def to_dict(self) -> dict[str, Any]:
        """The message as a provider's JSON message (OpenAI's shape for tool calls), without
        unset optional keys."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            data["name"] = self.name
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return data


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A model's request to run a tool; arguments are unvalidated until the executor checks them."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=_new_call_id)

    def to_dict(self) -> dict[str, Any]:
        """The call as an assistant message's `tool_calls` entry (arguments as a JSON string)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {
                "name": self.name,
                "arguments": json.dumps(self.arguments, default=repr),
            },
        }

    def fingerprint(self) -> str:
        """Tool name and canonical arguments: equal for calls that would do the same thing."""
        return f"{self.name}:{json.dumps(self.arguments, sort_keys=True, default=repr)}"


@dataclass(frozen=True, slots=True)
class LLMResponse:
    """A model's turn: either a final answer or one tool call, never both or neither."""

    content: str | None = None
    tool_call: ToolCall | None = None

    def __post_init__(self) -> None:
        if (self.content is None) == (self.tool_call is None):
            raise ValueError("an LLMResponse is either a final answer or a tool call")

    @classmethod
    def final(cls, content: str) -> LLMResponse:
        return cls(content=content)

    @classmethod
    def call(
        cls, name: str, arguments: Mapping[str, Any] | None = None, id: str | None = None
    ) -> LLMResponse:
        return cls(tool_call=ToolCall(name, dict(arguments or {}), id or _new_call_id()))

    @property
    def is_final(self) -> bool:
        return self.tool_call is None


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The result of one tool call: a value, or the AgentError that replaced an exception."""

    call: ToolCall
    value: Any = None
    error: AgentError | None = None
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None
