"""Code lenses over tool registrations and the `agentsense.runTool` command they run.

A lens "▶ Run tool" sits on each tool a trusted workspace registers; running it calls the tool
in a sandboxed child process (run_tool.py) with the example arguments its docstring gives, and
the result shows as a second lens on the same line until the next edit.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from agentsense.server.lsp.analysis import sites
from agentsense.server.lsp.convert import TextLines, path_for, uri_for
from agentsense.server.lsp.run_tool import RunResult, run_tool
from agentsense.server.lsp.server import RUN_TOOL_COMMAND
from agentsense.server.lsp.state import Document, State
from agentsense.server.lsp.tools import ToolSite

# How long a Run tool result stays on the tool's line (it also goes on the next edit).
RESULT_HINT_SECONDS = 120.0


def run_command(doc: Document, site: ToolSite, lines: TextLines) -> lsp.Command:
    target: dict[str, object] = {
        "uri": doc.uri,
        "name": site.name,
        "line": lines.range(site.span).start.line,
    }
    if site.parameters is not None:
        target["parameters"] = list(site.parameters)
    if site.example is not None:
        target["arguments"] = site.example
    elif site.parameters is not None and not site.needs_arguments:
        target["arguments"] = {}
    return lsp.Command(title="▶ Run tool", command=RUN_TOOL_COMMAND, arguments=[target])


async def code_lens(state: State, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    doc = state.documents.get(params.text_document.uri)
    if doc is None or not state.settings.trusted:
        return []
    found = await sites(state, doc)
    lines = TextLines(doc.text, state.encoding())
    lenses: list[lsp.CodeLens] = []
    now = time.monotonic()
    for site in found:
        if site.kind != "tool":
            continue
        line = lines.range(site.span).start.line
        anchor = lsp.Range(
            start=lsp.Position(line=line, character=0), end=lsp.Position(line=line, character=0)
        )
        command = run_command(doc, site, lines)
        if site.example_error:
            command.title = f"▶ Run tool ({site.example_error})"
        lenses.append(lsp.CodeLens(range=anchor, command=command))
        hint = doc.hints.get(line)
        if hint is not None and now - hint[0] < RESULT_HINT_SECONDS:
            lenses.append(
                lsp.CodeLens(range=anchor, command=lsp.Command(title=hint[1][:300], command=""))
            )
    return lenses


async def run_tool_command(state: State, argument: object) -> RunResult:
    """`agentsense.runTool`: run one tool of a saved file; cancelled when the server shuts down."""
    task = asyncio.ensure_future(_run_tool(state, argument))
    state.running_tools.add(task)
    try:
        return await task
    finally:
        state.running_tools.discard(task)


async def _run_tool(state: State, argument: object) -> RunResult:
    started = time.perf_counter()
    if not state.settings.trusted:
        message = "the workspace is not trusted: agentsense does not run tools in it"
        state.show(f"agentsense: {message}", lsp.MessageType.Warning)
        return _refusal("untrusted", message, started)
    target = _run_target(argument)
    if isinstance(target, str):
        state.show(f"agentsense: Run tool: {target}", lsp.MessageType.Error)
        return _refusal("validation", target, started)
    uri, name, arguments, line = target
    path = path_for(uri)
    doc = state.documents.get(uri)
    if arguments is None:
        site = None
        if doc is not None:
            site = next((s for s in await sites(state, doc) if s.name == name), None)
        arguments = dict(site.example) if site is not None and site.example else {}
    if not Path(path).is_file():
        return _refusal("not_found", f"{path} is not a file on disk (save it first)", started)
    folder = state.index.folder_of(path)
    cwd = folder if folder is not None else str(Path(path).parent)
    state.log(f"Run tool {name}({arguments}) from {path}")
    result = await run_tool(path, name, arguments, cwd=cwd, limits=state.limits())
    summary = _summary(name, result)
    note = result.get("note")
    state.show(
        f"agentsense: {summary}" + (f" (sandbox: {note})" if note else ""),
        lsp.MessageType.Info if result.get("ok") else lsp.MessageType.Warning,
    )
    if doc is not None and line is not None:
        doc.hints[line] = (time.monotonic(), summary)
        state.refresh_lenses()
    return result


def _refusal(kind: str, message: str, started: float) -> RunResult:
    return {
        "ok": False,
        "error": {"kind": kind, "message": message, "details": []},
        "stdout": "",
        "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
    }


def _run_target(argument: object) -> tuple[str, str, dict[str, Any] | None, int | None] | str:
    """(uri, tool name, arguments or None, 0-based line) from the command's argument."""
    if not isinstance(argument, dict):
        return "the command needs an object argument {uri, name, arguments?}"
    uri = argument.get("uri") or argument.get("path")
    name = argument.get("name") or argument.get("tool")
    if not isinstance(uri, str) or not isinstance(name, str) or not name:
        return "the command needs `uri` and `name`"
    if "://" not in uri:
        uri = uri_for(uri)
    arguments = argument.get("arguments", argument.get("args"))
    if arguments is not None and not isinstance(arguments, dict):
        return "`arguments` must be an object"
    line = argument.get("line")
    return uri, name, arguments, line if isinstance(line, int) and line >= 0 else None


def _summary(name: str, result: RunResult) -> str:
    took = result.get("duration_ms")
    timing = f" in {took:.0f} ms" if isinstance(took, (int, float)) else ""
    if result.get("ok"):
        value = repr(result.get("value"))
        if len(value) > 200:
            value = value[:199] + "…"
        return f"{name} returned {value}{timing}"
    error = result.get("error") or {}
    kind = error.get("kind", "error") if isinstance(error, dict) else "error"
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    return f"{name} failed ({kind}): {message}{timing}"
