"""A conversation session that records messages and always flushes and closes, even on error."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal

from agentsense.runtime.messages import ChatMessage

__all__ = ["ConversationSession"]

_log = logging.getLogger(__name__)

MessageSink = Callable[[Sequence[ChatMessage]], None]


class ConversationSession:
    """Collects a conversation's messages and hands new ones to a sink on flush.

    Usable as `with` and `async with`. Leaving the block flushes and closes the session whether
    the block succeeded or raised; an exception from the block is never swallowed. A path sink
    appends one JSON object per message (JSON Lines).
    """

    def __init__(self, sink: MessageSink | Path | str | None = None) -> None:
        if isinstance(sink, str | Path):
            path = Path(sink)
            self._sink: MessageSink | None = lambda batch: _append_jsonl(path, batch)
        else:
            self._sink = sink
        self._messages: list[ChatMessage] = []
        self._flushed = 0
        self._closed = False

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        return tuple(self._messages)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """How many messages a flush would write."""
        return len(self._messages) - self._flushed

    def add(self, message: ChatMessage) -> None:
        if self._closed:
            raise RuntimeError("cannot add a message to a closed session")
        self._messages.append(message)

    def extend(self, messages: Sequence[ChatMessage]) -> None:
        for message in messages:
            self.add(message)

    def flush(self) -> None:
        """Hand the messages added since the last flush to the sink."""
        batch = self._messages[self._flushed :]
        if batch and self._sink is not None:
            self._sink(batch)
        # Advance only after the sink succeeded, so a failed flush can be retried.
        self._flushed = len(self._messages)

    def close(self) -> None:
        """Flush, then refuse further messages; closing twice is harmless."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True

    def __enter__(self) -> ConversationSession:
        if self._closed:
            raise RuntimeError("session is already closed")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        if exc is None:
            self.close()
            return False
        # The block failed: its exception is the one the caller must see, so a flush failure
        # on the way out is logged and noted on it rather than replacing it.
        try:
            self.close()
        except Exception as flush_error:
            _log.exception("flushing the session failed while handling another error")
            if hasattr(exc, "add_note"):
                exc.add_note(f"also, flushing the session failed: {flush_error!r}")
        return False  # never swallow the block's exception

    async def __aenter__(self) -> ConversationSession:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        return self.__exit__(exc_type, exc, traceback)


def _append_jsonl(path: Path, batch: Sequence[ChatMessage]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for message in batch:
            handle.write(json.dumps(message.to_dict()) + "\n")
