"""Which Python imports each framework's examples in the parity tests, and the child that does.

Most frameworks share the test environment (the `frameworks` extra). langroid pulls ~70 more
packages (a vector store, document parsers, onnxruntime) and pins rich < 14; CrewAI pins
mcp < 2, openai < 3 and pydantic < 2.13 and weighs ~1 GB. .ci/run installs each into a venv of
its own (`.venv-langroid`, `.venv-crewai`), and marvin 3.2.7 with pydantic-ai < 2 (it imports
1.x names) into `.venv-marvin`; their parity checks run there. langroid's import
also downloads a tiktoken encoding (a class default builds a tokenizer), which a CI without
that network cannot do: the prelude replaces the tokenizer, which no tool class uses.

Importing a framework is slow (CrewAI: 25-33 s), so one child process per interpreter serves
every parity test module of the session (`run_driver`): the framework is imported once.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Frameworks installed into a venv of their own: import name -> (venv folder, env override).
SEPARATE = {
    "langroid": (".venv-langroid", "AGENTSENSE_LANGROID_PYTHON"),
    "crewai": (".venv-crewai", "AGENTSENSE_CREWAI_PYTHON"),
    # marvin 3.2.7 imports pydantic-ai 1.x names: .ci/run pins `pydantic-ai>=1.9,<2` there.
    "marvin": (".venv-marvin", "AGENTSENSE_MARVIN_PYTHON"),
}
# Set by .ci/run once every framework is installed: a missing one fails instead of skipping.
REQUIRE_VARIABLE = "AGENTSENSE_REQUIRE_FRAMEWORKS"

PRELUDE = {
    "langroid": (
        "import tiktoken\n"
        "class _OfflineEncoding:\n"
        "    def encode(self, text, *args, **kwargs):\n"
        "        return list(text.encode())\n"
        "    def decode(self, tokens, *args, **kwargs):\n"
        "        return bytes(tokens).decode(errors='ignore')\n"
        "tiktoken.encoding_for_model = lambda *args, **kwargs: _OfflineEncoding()\n"
        "tiktoken.get_encoding = lambda *args, **kwargs: _OfflineEncoding()\n"
    ),
    "crewai": "import os\nos.environ.setdefault('CREWAI_DISABLE_TELEMETRY', 'true')\n",
    # marvin makes its home folder (its database) on import: a temporary one, not ~/.marvin.
    "marvin": "import os, tempfile\nos.environ.setdefault('MARVIN_HOME_PATH', tempfile.mkdtemp())\n",
}


def python_for(framework: str) -> str | None:
    """The interpreter that has the framework, or None when none here does."""
    if framework in SEPARATE:
        folder, variable = SEPARATE[framework]
        given = os.environ.get(variable)
        candidates = [Path(given)] if given else []
        candidates.append(ROOT / folder / "bin" / "python")
        for candidate in candidates:
            if candidate.is_file():
                return str(candidate)
    return sys.executable if importlib.util.find_spec(framework) is not None else None


def skip_reason(framework: str) -> str:
    if framework in SEPARATE:
        folder, variable = SEPARATE[framework]
        return (
            f"{framework} is not installed (.ci/run puts it in {folder}; or set {variable} "
            "to a Python that has it)"
        )
    return f"{framework} is not installed (pip install -e '.[frameworks]')"


def missing(framework: str) -> None:
    """Skip the calling test because the framework is absent; fail it where .ci/run installed
    every framework (AGENTSENSE_REQUIRE_FRAMEWORKS=1), so a broken venv is not a green skip."""
    reason = skip_reason(framework)
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_VARIABLE}=1")
    pytest.skip(reason)


# The child: runs each driver it is sent (a script reading its files from sys.argv and printing
# one JSON line) in a fresh namespace, and answers with that line after a marker, so what an
# example prints cannot be taken for an answer.
_MARKER = "@@agentsense-driver-result@@ "
_SERVE = r"""
import contextlib, io, json, sys, traceback
for line in sys.stdin:
    job = json.loads(line)
    sys.argv = ["-c", *job["paths"]]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(job["driver"], "<driver>", "exec"), {"__name__": "__main__"})
        answer = {"printed": printed.getvalue()}
    except BaseException:
        answer = {"error": traceback.format_exc()}
    sys.stdout.write(MARKER + json.dumps(answer) + "\n")
    sys.stdout.flush()
"""


class _Child:
    """One long-lived interpreter with a prelude run once (the framework's import stays)."""

    def __init__(self, python: str, prelude: str) -> None:
        # A file, not a pipe: nobody drains the child's stderr until it fails. Closed in close().
        self.stderr: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [python, "-c", f"MARKER = {_MARKER!r}\n" + prelude + _SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            cwd=tempfile.gettempdir(),
        )

    def stderr_tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-3000:]

    def run(self, driver: str, paths: list[str], timeout: float) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"driver": driver, "paths": paths}) + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while True:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    raise AssertionError(f"no answer in {timeout} s: {self.stderr_tail()}")
                line = self.process.stdout.readline()
                if not line:
                    raise AssertionError(f"the child ended: {self.stderr_tail()}")
                if line.startswith(_MARKER):
                    answer = json.loads(line[len(_MARKER) :])
                    if "error" in answer:
                        raise AssertionError(f"{answer['error']}\n{self.stderr_tail()}")
                    return str(answer["printed"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


_CHILDREN: dict[tuple[str, str], _Child] = {}


@atexit.register
def _close_children() -> None:
    for child in _CHILDREN.values():
        child.close()
    _CHILDREN.clear()


def run_driver(python: str, prelude: str, driver: str, paths: list[str]) -> Any:
    """The JSON a driver prints for these files, run by the session's child for this
    interpreter and prelude (started on first use)."""
    key = (python, prelude)
    if key not in _CHILDREN:
        _CHILDREN[key] = _Child(python, prelude)
    printed = _CHILDREN[key].run(driver, paths, timeout=600)
    return json.loads(printed.strip().splitlines()[-1])
