"""The stdio reader survives a Content-Length larger than the body (pygls alone loses that
message and every later one: bench/upstream/pygls-content-length.md)."""

from __future__ import annotations

import asyncio
import io
import json
import os
from typing import Any

import pytest

from agentsense.server.lsp.stdio import GuardedStdin
from tests.lsp.conftest import SERVER_COMMAND


def frame(message: dict[str, Any], extra: int = 0) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % (len(body) + extra) + body


def request(number: int, method: str, params: object) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": number, "method": method, "params": params}


class Server:
    """The real server over pipes, spoken to in raw bytes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.answers: dict[int, dict[str, Any]] = {}

    async def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        await self.process.stdin.drain()

    async def answer(self, number: int, timeout: float = 20.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            stream = self.process.stdout
            assert stream is not None
            while number not in self.answers:
                length = 0
                while True:
                    line = await stream.readline()
                    if not line:
                        raise EOFError("the server closed stdout")
                    if line.startswith(b"Content-Length:"):
                        length = int(line.split(b":")[1])
                    if line == b"\r\n":
                        break
                message = json.loads(await stream.readexactly(length))
                if "id" in message and "method" not in message:
                    self.answers[message["id"]] = message
            return self.answers[number]

        return await asyncio.wait_for(read(), timeout)


@pytest.fixture
async def server() -> Any:
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    talk = Server(process)
    try:
        await talk.send(frame(request(1, "initialize", {"processId": None, "capabilities": {}})))
        await talk.answer(1, timeout=60)
        await talk.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        yield talk
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_a_content_length_larger_than_the_body_loses_nothing(server: Server) -> None:
    symbols = {"query": ""}
    # The too-long message followed at once by a good one: the announced length reaches into
    # the second message.
    await server.send(
        frame(request(2, "workspace/symbol", symbols), extra=40)
        + frame(request(3, "workspace/symbol", symbols))
    )
    assert "result" in await server.answer(2)
    assert "result" in await server.answer(3)
    # The too-long message alone: its body stalls, is read as what came, and answered.
    await server.send(frame(request(4, "workspace/symbol", symbols), extra=1000))
    assert "result" in await server.answer(4)
    await server.send(frame(request(5, "shutdown", None)))
    assert (await server.answer(5)).get("result", "missing") is None


def guarded(data: bytes) -> GuardedStdin:
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    return GuardedStdin(io.FileIO(read, "rb"))


def test_valid_bodies_are_never_cut() -> None:
    # A body whose text holds a header-looking string (an HTTP client's source, say), with
    # JSON whitespace around it, is read whole.
    message = {"text": 'headers = "\\r\\nContent-Length: 12\\r\\n\\r\\n{}"'}
    body = b'  {"a": 1,\r\n  "b": ' + json.dumps(message).encode() + b"}  "
    stream = guarded(b"Content-Length: %d\r\n\r\n" % len(body) + body + frame({"next": 1}))
    assert stream.readline() == b"Content-Length: %d\r\n" % len(body)
    assert stream.readline() == b"\r\n"
    assert stream.read(len(body)) == body
    assert stream.readline().startswith(b"Content-Length: ")
    assert stream.recovered == 0


def test_a_too_long_body_is_cut_at_the_next_header() -> None:
    first, second = frame({"id": 1}, extra=30), frame({"id": 2})
    stream = guarded(first + second)
    header = stream.readline()
    stream.readline()
    body = stream.read(int(header.split(b":")[1]))
    assert json.loads(body) == {"id": 1}
    assert stream.readline() == second.split(b"\r\n")[0] + b"\r\n"
    assert stream.recovered == 1
