"""A bounded ReAct loop (think, call a tool, observe) with repeated-action detection, model
timeouts and streaming of steps and tokens."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from agentsense.runtime.contract import ToolSpec
from agentsense.runtime.errors import AgentError, AgentLoopError
from agentsense.runtime.executor import ToolExecutor, ToolOutcome
from agentsense.runtime.messages import ChatMessage, LLMResponse, ToolCall
from agentsense.runtime.observers import AgentObserver, notify
from agentsense.runtime.resilience import DeadlineExceeded, with_timeout

__all__ = [
    "LLM",
    "ErrorEvent",
    "FinalAnswerEvent",
    "ReactResult",
    "RepeatPolicy",
    "StepEvent",
    "StreamingLLM",
    "TokenEvent",
    "ToolCallEvent",
    "ToolResultEvent",
    "WarningEvent",
    "run_react",
    "stream_react",
]

RepeatPolicy = Literal["stop", "warn"]


class LLM(Protocol):
    """The only thing the loop needs from a model provider."""

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> LLMResponse: ...


@runtime_checkable
class StreamingLLM(Protocol):
    """A model provider that streams: text deltas as they arrive, then the whole turn.

    The stream may end with the assembled LLMResponse (it must, for a tool call); a stream of
    text alone is a final answer made of that text. The loop closes the stream (aclose) when
    it stops early, so a `finally` in it can release the connection.
    """

    def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncGenerator[str | LLMResponse, None]: ...


@dataclass(frozen=True, slots=True)
class TokenEvent:
    """A piece of the model's text, passed on as it streams in (only from a StreamingLLM)."""

    iteration: int
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallEvent:
    """The model asked for a tool call, about to run."""

    iteration: int
    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolResultEvent:
    """A tool call finished (with a value or an AgentError the model will see)."""

    iteration: int
    outcome: ToolOutcome


@dataclass(frozen=True, slots=True)
class WarningEvent:
    """The loop told the model something instead of running its call (a repeated action)."""

    iteration: int
    call: ToolCall
    message: str


@dataclass(frozen=True, slots=True)
class FinalAnswerEvent:
    """The model answered; the run is over."""

    iteration: int
    answer: str


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """The run stopped without an answer."""

    iteration: int
    error: AgentError


StepEvent = (
    TokenEvent | ToolCallEvent | ToolResultEvent | WarningEvent | FinalAnswerEvent | ErrorEvent
)


@dataclass(frozen=True, slots=True)
class ReactResult:
    """How a run ended: an answer, or the AgentError that stopped it, plus what happened."""

    answer: str | None
    error: AgentError | None
    events: tuple[StepEvent, ...]
    messages: tuple[ChatMessage, ...]
    iterations: int

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> str:
        """The answer, or AgentLoopError if the run stopped without one."""
        if self.error is not None:
            raise AgentLoopError(self.error)
        assert self.answer is not None
        return self.answer


def _render(outcome: ToolOutcome) -> str:
    """A tool outcome as the text the model reads back."""
    if outcome.error is not None:
        return json.dumps({"error": outcome.error.to_dict()})
    if isinstance(outcome.value, str):
        return outcome.value
    return json.dumps(outcome.value, default=repr)


def _repeat_error(call: ToolCall) -> AgentError:
    return AgentError(
        tool=call.name,
        message=(
            f"repeated action: the model called {call.name!r} again with the same arguments "
            f"{json.dumps(call.arguments, sort_keys=True, default=repr)}"
        ),
        recoverable=False,
        suggested_action="rephrase the question or give the agent a tool that can make progress",
    )


def _model_timeout_error(error: DeadlineExceeded) -> AgentError:
    return AgentError(
        tool=None,
        message=str(error),
        recoverable=True,
        suggested_action="run again later, or raise model_timeout if the model is just slow",
        transient=True,
    )


async def _model_turn(
    llm: LLM | StreamingLLM,
    messages: Sequence[ChatMessage],
    specs: Sequence[ToolSpec],
    timeout: float,
) -> AsyncGenerator[str | LLMResponse, None]:
    """One model turn as text deltas then one LLMResponse, each wait bounded by timeout.

    Streaming, the timeout bounds the wait for each next chunk (a stalled stream is a hung
    model, however long the answer); otherwise it bounds the whole call.
    """
    if not isinstance(llm, StreamingLLM):
        yield await with_timeout(llm.complete(messages, specs), timeout, what="model call")
        return
    text: list[str] = []
    # aclosing: leaving early (an error, a timeout, our consumer closing us) closes the
    # model's stream now, rather than whenever it is garbage-collected.
    async with aclosing(llm.stream(messages, specs)) as chunks:
        while True:
            try:
                chunk = await with_timeout(anext(chunks), timeout, what="model stream")
            except StopAsyncIteration:
                break
            if isinstance(chunk, LLMResponse):
                yield chunk
                return
            text.append(chunk)
            yield chunk
    yield LLMResponse.final("".join(text))


async def stream_react(
    llm: LLM | StreamingLLM,
    tools: ToolExecutor | Iterable[object],
    question: str,
    max_iterations: int = 10,
    *,
    system_prompt: str | None = None,
    observer: AgentObserver | None = None,
    on_repeat: RepeatPolicy = "stop",
    transcript: list[ChatMessage] | None = None,
    model_timeout: float = 60.0,
) -> AsyncGenerator[StepEvent, None]:
    """Run the loop, yielding an event per step; the last event is a FinalAnswer or an Error.

    Each iteration is one model turn. A StreamingLLM's text is passed on as TokenEvents while
    it arrives. Closing this generator (`aclose()`, or cancelling the task iterating it) closes
    the model's stream too. A model call that takes longer than model_timeout seconds (for a
    stream: a wait for its next chunk) ends the run with a recoverable ErrorEvent.

    A call with the same tool and the same arguments as an earlier one would give the same
    observation, so it is a loop: with on_repeat="stop" (the default) the run stops with a
    non-recoverable AgentError at once; with "warn" the call is not run, the model is told it
    repeated itself, and a second repeat of that call stops the run. A call whose outcome was
    transient (a timeout, a lost connection) may be made again: that is the retry the error
    suggested, not a repeat. Reaching max_iterations without an answer ends with an
    ErrorEvent, never silently.
    """
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be >= 1, got {max_iterations}")
    if not model_timeout > 0:
        raise ValueError(f"model_timeout must be > 0 seconds, got {model_timeout}")
    executor = tools if isinstance(tools, ToolExecutor) else ToolExecutor(tools, observer=observer)
    active_observer = observer or executor.observer
    specs = list(executor.specs.values())
    messages = transcript if transcript is not None else []
    if system_prompt:
        messages.append(ChatMessage.system(system_prompt))
    messages.append(ChatMessage.user(question))
    seen: set[str] = set()
    warned: set[str] = set()

    for iteration in range(1, max_iterations + 1):
        text: list[str] = []
        response: LLMResponse | None = None
        try:
            async with aclosing(_model_turn(llm, list(messages), specs, model_timeout)) as turn:
                async for chunk in turn:
                    if isinstance(chunk, LLMResponse):
                        response = chunk
                    else:
                        text.append(chunk)
                        yield TokenEvent(iteration, chunk)
        except DeadlineExceeded as timed_out:
            error = _model_timeout_error(timed_out)
            notify(active_observer.on_error, error)
            yield ErrorEvent(iteration, error)
            return
        assert response is not None  # _model_turn always ends with one
        if response.tool_call is None:
            answer = response.content or ""
            messages.append(ChatMessage.assistant(answer))
            yield FinalAnswerEvent(iteration, answer)
            return
        call = response.tool_call
        # Text streamed before a tool call is the model's reasoning: keep it in the transcript.
        messages.append(ChatMessage.assistant("".join(text), tool_calls=(call,)))
        fingerprint = call.fingerprint()
        if fingerprint in seen:
            if on_repeat == "stop" or fingerprint in warned:
                error = _repeat_error(call)
                notify(active_observer.on_error, error)
                yield ErrorEvent(iteration, error)
                return
            warned.add(fingerprint)
            warning = (
                f"You already called {call.name!r} with these arguments; the result will not "
                "change. Use the earlier result, try different arguments, or answer."
            )
            messages.append(ChatMessage.tool(warning, call.name, call.id))
            yield WarningEvent(iteration, call, warning)
            continue
        yield ToolCallEvent(iteration, call)
        outcome = await executor.run(call)
        if outcome.error is None or not outcome.error.transient:
            seen.add(fingerprint)  # the same call would only give the same observation
        messages.append(ChatMessage.tool(_render(outcome), call.name, call.id))
        yield ToolResultEvent(iteration, outcome)

    error = AgentError(
        tool=None,
        message=f"no final answer after {max_iterations} iterations (the iteration bound)",
        recoverable=False,
        suggested_action="raise max_iterations, or narrow the question",
    )
    notify(active_observer.on_error, error)
    yield ErrorEvent(max_iterations, error)


async def run_react(
    llm: LLM | StreamingLLM,
    tools: ToolExecutor | Iterable[object],
    question: str,
    max_iterations: int = 10,
    *,
    system_prompt: str | None = None,
    observer: AgentObserver | None = None,
    on_repeat: RepeatPolicy = "stop",
    model_timeout: float = 60.0,
) -> ReactResult:
    """Run the loop to the end; see stream_react. Returns the error rather than raising it
    (call .raise_for_error() to raise AgentLoopError instead). `events` holds every event,
    TokenEvents included."""
    events: list[StepEvent] = []
    transcript: list[ChatMessage] = []
    stream = stream_react(
        llm,
        tools,
        question,
        max_iterations,
        system_prompt=system_prompt,
        observer=observer,
        on_repeat=on_repeat,
        transcript=transcript,
        model_timeout=model_timeout,
    )
    async for event in stream:
        events.append(event)
    last = events[-1]
    answer = last.answer if isinstance(last, FinalAnswerEvent) else None
    error = last.error if isinstance(last, ErrorEvent) else None
    return ReactResult(
        answer=answer,
        error=error,
        events=tuple(events),
        messages=tuple(transcript),
        iterations=last.iteration,
    )
