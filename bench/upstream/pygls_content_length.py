"""Reproduction for bench/upstream/pygls-content-length.md: pygls 2.x loses a message whose
Content-Length is larger than its body, and the messages after it.

    python bench/upstream/pygls_content_length.py          # exit 1: the bug is there
    python bench/upstream/pygls_content_length.py server   # (the server it starts)

Only pygls and lsprotocol are needed. It starts a minimal pygls server over stdio, sends one
request whose Content-Length is 40 bytes too large, immediately followed by a correct one,
then (1 s later) another correct one, and waits 4 s for the answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time


def serve() -> None:
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer

    server = LanguageServer("repro", "0")

    @server.feature(lsp.WORKSPACE_SYMBOL)
    def symbols(params: lsp.WorkspaceSymbolParams) -> list[lsp.SymbolInformation]:
        return []

    server.start_io()


def frame(message: dict[str, object], extra: int = 0) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % (len(body) + extra) + body


def main() -> int:
    process = subprocess.Popen(
        [sys.executable, __file__, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    answers: list[int] = []

    def read() -> None:
        stream = process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.startswith(b"Content-Length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            if "id" in message:
                answers.append(message["id"])

    threading.Thread(target=read, daemon=True).start()
    init: dict[str, object] = {"processId": None, "capabilities": {}}
    process.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}))
    process.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    query = {"query": ""}
    too_long = {"jsonrpc": "2.0", "id": 2, "method": "workspace/symbol", "params": query}
    correct = {"jsonrpc": "2.0", "id": 3, "method": "workspace/symbol", "params": query}
    process.stdin.write(frame(too_long, extra=40) + frame(correct))
    process.stdin.flush()
    time.sleep(1)
    later = {"jsonrpc": "2.0", "id": 4, "method": "workspace/symbol", "params": query}
    process.stdin.write(frame(later))
    process.stdin.flush()
    time.sleep(4)
    process.kill()
    print("answered:", sorted(answers), "(expected [1, 2, 3, 4])")
    return 0 if sorted(answers) == [1, 2, 3, 4] else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["server"]:
        serve()
    else:
        sys.exit(main())
