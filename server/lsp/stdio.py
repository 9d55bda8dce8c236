"""stdin for the language server's stdio transport, surviving a wrong Content-Length."""

from __future__ import annotations

import json
import logging
import os
import select
import sys
import threading
from typing import BinaryIO, cast

from pygls.lsp.server import LanguageServer

# How long a message body may stall before the reader checks whether its Content-Length lied.
BODY_STALL_SECONDS = 0.5
_HEADER = b"Content-Length: "


def _json_end(data: bytes) -> int | None:
    """The byte length of the complete JSON value `data` starts with (None: there is none)."""
    text = data.decode("utf-8", "surrogateescape")
    start = len(text) - len(text.lstrip())
    try:
        _, end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    return len(text[:end].encode("utf-8", "surrogateescape"))


class GuardedStdin:
    """stdin for pygls's reader (`readline()`, `read(n)`), surviving a wrong Content-Length.

    pygls reads a body with `read(Content-Length)`: a length larger than the body blocks until
    later messages make up the difference, swallows them into one unparsable body, and the
    stream is out of step from then on (every later request is lost). Here a body that ends
    early is recognised, and only then: when the bytes for the announced length contain the
    next message's header right after a complete JSON value, or when the body stalls for
    BODY_STALL_SECONDS with a complete JSON value already read. The body is cut there and the
    rest is kept for the next message. A valid body is never cut (raw newlines cannot occur
    in JSON strings, and a complete value cannot be followed by more JSON).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream  # kept open: the descriptor is read directly
        self.fd = stream.fileno()
        self.buffer = bytearray()
        self.eof = False
        self.lock = threading.Lock()
        self.recovered = 0  # bodies cut short (for the log and tests)

    def _fill(self, timeout: float | None) -> bool:
        """Read what is available (waiting up to `timeout`); False when nothing came."""
        if self.eof:
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer.extend(data)
        return True

    def _take(self, count: int) -> bytes:
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def readline(self) -> bytes:
        with self.lock:
            while b"\n" not in self.buffer and not self.eof:
                self._fill(None)
            end = self.buffer.find(b"\n")
            return self._take(end + 1 if end >= 0 else len(self.buffer))

    def read(self, count: int) -> bytes:
        with self.lock:
            while len(self.buffer) < count and not self.eof:
                if self._fill(BODY_STALL_SECONDS):
                    continue
                end = self._early_end(bytes(self.buffer), stalled=True)
                if end is not None:
                    return self._cut(end, count)
            if _HEADER in self.buffer[:count]:
                end = self._early_end(bytes(self.buffer[:count]), stalled=False)
                if end is not None:
                    return self._cut(end, count)
            return self._take(count)

    def _early_end(self, data: bytes, stalled: bool) -> int | None:
        end = _json_end(data)
        if end is None:
            return None
        rest = data[end:].lstrip()
        if rest.startswith(_HEADER) or (stalled and not rest):
            return end
        return None

    def _cut(self, end: int, count: int) -> bytes:
        self.recovered += 1
        logging.getLogger("agentsense.server").warning(
            "a message announced %d bytes but its body had %d: read as %d bytes", count, end, end
        )
        return self._take(end)


def start_io_guarded(ls: LanguageServer) -> None:
    """pygls's stdio loop with GuardedStdin (where select() works on pipes)."""
    if os.name != "posix":
        ls.start_io()
        return
    ls.start_io(cast(BinaryIO, GuardedStdin(sys.stdin.buffer)))
