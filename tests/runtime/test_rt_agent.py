"""ToolExecutor, the ReAct loop against a scripted model, streaming, observers and sessions."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path

import pytest

from agentsense.runtime.agent_loop import (
    ErrorEvent,
    FinalAnswerEvent,
    TokenEvent,
    ToolCallEvent,
    ToolResultEvent,
    WarningEvent,
    run_react,
    stream_react,
)
from agentsense.runtime.contract import ToolSpec
from agentsense.runtime.errors import AgentError, AgentLoopError
from agentsense.runtime.executor import ToolExecutor, ToolOutcome
from agentsense.runtime.messages import ChatMessage, LLMResponse, ToolCall
from agentsense.runtime.observers import AgentObserver, NullObserver
from agentsense.runtime.registry import tool
from agentsense.runtime.session import ConversationSession


class ConcurrencyProbe:
    """An async tool that records how many of its calls overlap."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0

    async def probe(self, n: int) -> int:
        """Sleep briefly and echo n."""
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.01)
        self.active -= 1
        return n


async def test_executor_bounds_concurrency() -> None:
    probe = ConcurrencyProbe()
    executor = ToolExecutor([probe.probe], max_concurrency=3)
    outcomes = await executor.run_many([ToolCall("probe", {"n": i}) for i in range(10)])
    assert [outcome.value for outcome in outcomes] == list(range(10))
    assert probe.peak == 3  # bounded, and the bound was actually used


async def test_executor_timeout_is_a_recoverable_agent_error_and_others_finish() -> None:
    async def slow() -> str:
        """Too slow."""
        await asyncio.sleep(1)
        return "late"

    async def fast() -> str:
        """Fast."""
        return "done"

    executor = ToolExecutor([slow, fast], timeout=0.02)
    slow_outcome, fast_outcome = await executor.run_many([ToolCall("slow"), ToolCall("fast")])
    assert slow_outcome.error == AgentError(
        tool="slow",
        message="tool 'slow' timed out after 0.02 s",
        recoverable=True,
        suggested_action="retry the call, or ask for less work in one call",
        transient=True,
    )
    assert fast_outcome.ok and fast_outcome.value == "done"


async def test_executor_validation_and_exceptions_become_agent_errors() -> None:
    def divide(a: int, b: int) -> float:
        """Divide a by b."""
        return a / b

    executor = ToolExecutor([divide])
    bad_args, unknown, crash = await executor.run_many(
        [
            ToolCall("divide", {"a": "1", "b": 2}),
            ToolCall("multiply"),
            ToolCall("divide", {"a": 1, "b": 0}),
        ]
    )
    assert bad_args.error is not None and bad_args.error.recoverable
    assert "argument 'a' must be integer, got string" in bad_args.error.message
    assert (
        bad_args.error.suggested_action
        == "call 'divide' again with arguments that match its schema"
    )
    assert unknown.error is not None and unknown.error.recoverable and unknown.error.tool is None
    assert "unknown tool 'multiply' (available: divide)" in unknown.error.message
    assert crash.error is not None and not crash.error.recoverable
    assert crash.error.message == "tool 'divide' failed: ZeroDivisionError: division by zero"


async def test_sync_tools_run_in_a_worker_thread() -> None:
    threads: list[int] = []

    def where() -> str:
        """Report the thread."""
        threads.append(threading.get_ident())
        return "ok"

    outcome = await ToolExecutor([where]).run(ToolCall("where"))
    assert outcome.value == "ok"
    assert threads and threads[0] != threading.get_ident()


async def test_executor_uses_registered_tools() -> None:
    @tool
    async def echo(text: str) -> str:
        """Echo text."""
        return text

    outcome = await ToolExecutor([echo]).run(ToolCall("echo", {"text": "hi"}))
    assert outcome.value == "hi" and outcome.duration_ms >= 0


class ScriptedLLM:
    """A test double of the model only: replays scripted responses and records what it saw."""

    def __init__(self, responses: Sequence[LLMResponse]) -> None:
        self.responses = list(responses)
        self.seen: list[list[ChatMessage]] = []
        self.tools_seen: list[list[str]] = []

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> LLMResponse:
        self.seen.append(list(messages))
        self.tools_seen.append([spec.name for spec in tools])
        return self.responses.pop(0)


def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class RecordingObserver(NullObserver):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.results: list[ToolOutcome] = []
        self.errors: list[AgentError] = []

    def on_tool_call(self, call: ToolCall) -> None:
        self.calls.append(call.name)

    def on_tool_result(self, call: ToolCall, outcome: ToolOutcome) -> None:
        self.results.append(outcome)

    def on_error(self, error: AgentError) -> None:
        self.errors.append(error)


async def test_react_finishes_with_an_answer_and_feeds_results_back() -> None:
    llm = ScriptedLLM(
        [LLMResponse.call("weather", {"city": "Oslo"}, id="c1"), LLMResponse.final("It is sunny.")]
    )
    observer = RecordingObserver()
    result = await run_react(
        llm, [weather], "Weather in Oslo?", system_prompt="Be brief.", observer=observer
    )
    assert result.ok and result.answer == "It is sunny." and result.iterations == 2
    assert result.raise_for_error() == "It is sunny."
    assert llm.tools_seen[0] == ["weather"]
    second_turn = llm.seen[1]
    assert [m.role for m in second_turn] == ["system", "user", "assistant", "tool"]
    assert second_turn[-1] == ChatMessage(
        "tool", "sunny in Oslo", name="weather", tool_call_id="c1"
    )
    assert observer.calls == ["weather"] and observer.results[0].value == "sunny in Oslo"
    assert observer.errors == []


async def test_react_tool_errors_are_shown_to_the_model() -> None:
    llm = ScriptedLLM([LLMResponse.call("weather", {"town": "Oslo"}), LLMResponse.final("sorry")])
    observer = RecordingObserver()
    result = await run_react(llm, [weather], "?", observer=observer)
    assert result.answer == "sorry"
    fed_back = json.loads(llm.seen[1][-1].content)
    assert fed_back["error"]["recoverable"] is True
    assert "missing required argument 'city'" in fed_back["error"]["message"]
    assert len(observer.errors) == 1


async def test_react_stops_at_the_iteration_bound() -> None:
    llm = ScriptedLLM([LLMResponse.call("weather", {"city": f"c{i}"}) for i in range(3)])
    observer = RecordingObserver()
    result = await run_react(llm, [weather], "?", max_iterations=3, observer=observer)
    assert not result.ok and result.answer is None
    assert result.error is not None
    assert result.error.message == "no final answer after 3 iterations (the iteration bound)"
    assert len(llm.seen) == 3  # the model was not asked a fourth time
    assert observer.errors == [result.error]
    with pytest.raises(AgentLoopError, match="no final answer after 3 iterations"):
        result.raise_for_error()
    with pytest.raises(ValueError):
        await run_react(llm, [weather], "?", max_iterations=0)


async def test_react_detects_repeated_action_and_stops() -> None:
    calls = 0

    def counted(city: str) -> str:
        """Counted weather."""
        nonlocal calls
        calls += 1
        return "rain"

    llm = ScriptedLLM(
        [
            LLMResponse.call("counted", {"city": "Oslo"}),
            LLMResponse.call("counted", {"city": "Oslo"}),
            LLMResponse.final("never reached"),
        ]
    )
    result = await run_react(llm, [counted], "?")
    assert calls == 1
    assert result.error is not None and not result.error.recoverable
    assert result.error.message.startswith("repeated action: the model called 'counted' again")
    assert result.iterations == 2


async def test_react_warn_policy_feeds_a_warning_then_stops_on_second_repeat() -> None:
    repeat = LLMResponse.call("weather", {"city": "Oslo"})
    llm = ScriptedLLM([repeat, repeat, LLMResponse.call("weather", {"city": "Oslo"})])
    result = await run_react(llm, [weather], "?", on_repeat="warn")
    kinds = [type(event) for event in result.events]
    assert kinds == [ToolCallEvent, ToolResultEvent, WarningEvent, ErrorEvent]
    assert "already called 'weather'" in llm.seen[2][-1].content
    llm_recovers = ScriptedLLM([repeat, repeat, LLMResponse.final("ok")])
    assert (await run_react(llm_recovers, [weather], "?", on_repeat="warn")).answer == "ok"


async def test_stream_react_yields_step_events_in_order() -> None:
    llm = ScriptedLLM([LLMResponse.call("weather", {"city": "Rome"}), LLMResponse.final("warm")])
    events = [event async for event in stream_react(llm, [weather], "Rome?")]
    assert [type(event) for event in events] == [ToolCallEvent, ToolResultEvent, FinalAnswerEvent]
    call_event, result_event, final_event = events
    assert isinstance(call_event, ToolCallEvent) and call_event.call.arguments == {"city": "Rome"}
    assert (
        isinstance(result_event, ToolResultEvent) and result_event.outcome.value == "sunny in Rome"
    )
    assert final_event == FinalAnswerEvent(iteration=2, answer="warm")


async def test_broken_observer_does_not_break_the_run() -> None:
    class Broken(NullObserver):
        def on_tool_call(self, call: ToolCall) -> None:
            raise RuntimeError("observer bug")

    llm = ScriptedLLM([LLMResponse.call("weather", {"city": "Oslo"}), LLMResponse.final("done")])
    assert (await run_react(llm, [weather], "?", observer=Broken())).answer == "done"
    assert isinstance(Broken(), AgentObserver)


def test_llm_response_is_exactly_one_of_answer_or_call() -> None:
    with pytest.raises(ValueError):
        LLMResponse()
    with pytest.raises(ValueError):
        LLMResponse(content="x", tool_call=ToolCall("t"))
    assert LLMResponse.final("x").is_final
    assert (
        ToolCall("t", {"b": 1, "a": 2}).fingerprint()
        == ToolCall("t", {"a": 2, "b": 1}).fingerprint()
    )


def test_chat_message_is_slotted_and_serialises() -> None:
    message = ChatMessage.tool("42", name="calc", tool_call_id="c9")
    assert not hasattr(message, "__dict__")
    assert message.to_dict() == {
        "role": "tool",
        "content": "42",
        "name": "calc",
        "tool_call_id": "c9",
    }
    assert ChatMessage.user("hi").to_dict() == {"role": "user", "content": "hi"}


def test_session_flushes_and_closes_on_error_without_swallowing_it() -> None:
    flushed: list[list[ChatMessage]] = []
    session = ConversationSession(sink=lambda batch: flushed.append(list(batch)))
    with pytest.raises(RuntimeError, match="boom"), session:
        session.add(ChatMessage.user("hello"))
        raise RuntimeError("boom")
    assert session.closed
    assert flushed == [[ChatMessage.user("hello")]]
    with pytest.raises(RuntimeError, match="closed"):
        session.add(ChatMessage.user("late"))


async def test_async_session_writes_jsonl_on_exit(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    async with ConversationSession(path) as session:
        session.add(ChatMessage.user("q"))
        session.flush()
        session.add(ChatMessage.assistant("a"))
        assert session.pending == 1
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]

    with pytest.raises(KeyError):
        async with ConversationSession(path) as failing:
            failing.add(ChatMessage.user("again"))
            raise KeyError("x")
    assert len(path.read_text().splitlines()) == 3


def test_session_flush_failure_does_not_replace_the_block_error() -> None:
    def broken_sink(batch: Sequence[ChatMessage]) -> None:
        raise OSError("disk full")

    session = ConversationSession(sink=broken_sink)
    with pytest.raises(ValueError, match="original") as caught, session:
        session.add(ChatMessage.user("x"))
        raise ValueError("original")
    assert session.closed
    assert any("disk full" in note for note in getattr(caught.value, "__notes__", []))


class HungLLM:
    """A model whose call never returns."""

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> LLMResponse:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_hung_model_call_ends_the_run_with_a_recoverable_timeout() -> None:
    observer = RecordingObserver()
    result = await asyncio.wait_for(
        run_react(HungLLM(), [weather], "?", model_timeout=0.02, observer=observer), timeout=10
    )
    assert result.error is not None and result.error.tool is None
    assert result.error.message == "model call timed out after 0.02 s"
    assert result.error.recoverable and result.error.transient
    assert observer.errors == [result.error]
    with pytest.raises(ValueError, match="model_timeout"):
        await run_react(HungLLM(), [weather], "?", model_timeout=0)


async def test_retrying_a_tool_after_its_timeout_is_not_stopped_as_a_repeat() -> None:
    calls = 0

    async def lookup(query: str) -> str:
        """Slow the first time."""
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(1)
        return f"found {query}"

    again = LLMResponse.call("lookup", {"query": "x"})
    llm = ScriptedLLM([again, again, LLMResponse.final("done")])
    result = await run_react(llm, ToolExecutor([lookup], timeout=0.02), "?")
    assert result.answer == "done" and calls == 2
    first = json.loads(llm.seen[1][-1].content)["error"]
    assert first["suggested_action"].startswith("retry the call") and first["transient"]
    assert llm.seen[2][-1].content == "found x"


async def test_a_tools_connection_error_is_recoverable_and_may_be_retried() -> None:
    calls = 0

    def fetch(url: str) -> str:
        """Fails once with a dropped connection."""
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("connection reset by peer")
        return "page"

    again = LLMResponse.call("fetch", {"url": "u"})
    llm = ScriptedLLM([again, again, LLMResponse.final("done")])
    result = await run_react(llm, [fetch], "?")
    assert result.answer == "done" and calls == 2
    fed_back = json.loads(llm.seen[1][-1].content)["error"]
    assert fed_back["recoverable"] is True and fed_back["transient"] is True
    permanent = AgentError.from_exception("fetch", PermissionError("401"))
    assert not permanent.recoverable and not permanent.transient


async def test_a_tools_own_timeout_error_is_reported_as_itself() -> None:
    async def proxy() -> str:
        """Its upstream times out."""
        raise TimeoutError("upstream took too long")

    outcome = await ToolExecutor([proxy], timeout=30).run(ToolCall("proxy"))
    assert outcome.error is not None
    assert outcome.error.message == "tool 'proxy' failed: TimeoutError: upstream took too long"


class StreamingScript:
    """A streaming model double: each turn is a list of text deltas and/or an LLMResponse;
    `stall_after` hangs the stream after that many chunks. Records whether streams closed."""

    def __init__(self, turns: Sequence[Sequence[str | LLMResponse]], stall_after: int = -1) -> None:
        self.turns = [list(turn) for turn in turns]
        self.stall_after = stall_after
        self.opened = 0
        self.closed = 0
        self.seen: list[list[ChatMessage]] = []

    async def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncGenerator[str | LLMResponse, None]:
        self.seen.append(list(messages))
        self.opened += 1
        try:
            for index, chunk in enumerate(self.turns.pop(0)):
                if index == self.stall_after:
                    await asyncio.Event().wait()
                await asyncio.sleep(0)
                yield chunk
        finally:
            self.closed += 1


async def test_tokens_stream_from_the_model_through_the_loop() -> None:
    llm = StreamingScript(
        [
            ["Let me ", "check. ", LLMResponse.call("weather", {"city": "Oslo"}, id="c1")],
            ["It is ", "sunny."],
        ]
    )
    events = [event async for event in stream_react(llm, [weather], "Oslo?")]
    assert [(type(e).__name__, getattr(e, "text", None)) for e in events] == [
        ("TokenEvent", "Let me "),
        ("TokenEvent", "check. "),
        ("ToolCallEvent", None),
        ("ToolResultEvent", None),
        ("TokenEvent", "It is "),
        ("TokenEvent", "sunny."),
        ("FinalAnswerEvent", None),
    ]
    assert events[-1] == FinalAnswerEvent(iteration=2, answer="It is sunny.")
    assert events[0] == TokenEvent(iteration=1, text="Let me ")
    assistant = llm.seen[1][-2]
    assert assistant.content == "Let me check. " and assistant.tool_calls[0].id == "c1"
    assert llm.opened == llm.closed == 2


async def test_closing_the_loop_stream_closes_the_models_stream() -> None:
    llm = StreamingScript([["one ", "two ", "three"]])
    stream = stream_react(llm, [weather], "?")
    first = await anext(stream)
    assert first == TokenEvent(iteration=1, text="one ")
    assert llm.closed == 0
    await stream.aclose()
    assert llm.closed == 1  # at once, not when garbage-collected


async def test_cancelling_the_consumer_closes_the_models_stream() -> None:
    llm = StreamingScript([["one ", "two"]], stall_after=1)
    received: list[object] = []

    async def consume() -> None:
        async for event in stream_react(llm, [weather], "?"):
            received.append(event)

    task = asyncio.ensure_future(consume())
    while not received and not task.done():
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert received == [TokenEvent(iteration=1, text="one ")]
    assert llm.closed == 1


async def test_a_stalled_model_stream_times_out_and_is_closed() -> None:
    llm = StreamingScript([["one ", "two"]], stall_after=1)
    result = await asyncio.wait_for(run_react(llm, [weather], "?", model_timeout=0.02), 10)
    assert result.error is not None
    assert result.error.message == "model stream timed out after 0.02 s"
    assert [type(event) for event in result.events] == [TokenEvent, ErrorEvent]
    assert llm.closed == 1


def test_chat_message_carries_tool_calls_in_the_provider_shape() -> None:
    call = ToolCall("weather", {"city": "Oslo"}, id="c1")
    message = ChatMessage.assistant("", tool_calls=[call])
    assert message.tool_calls == (call,)
    assert message.to_dict() == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
            }
        ],
    }


def test_chat_message_refuses_unknown_and_reassigned_attributes_with_attribute_error() -> None:
    message = ChatMessage.user("hi")
    with pytest.raises(AttributeError, match="ChatMessage has no attribute 'extra'"):
        message.extra = "value"
    with pytest.raises(
        AttributeError, match="ChatMessage is immutable: cannot assign to 'content'"
    ):
        message.content = "changed"
    with pytest.raises(AttributeError, match="immutable"):
        del message.role
    assert message == ChatMessage.user("hi")
