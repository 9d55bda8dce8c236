"""AGT408: `__enter__`/`__aenter__` opens a session or client, then a later step can fail."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements, single_assignment
from agentsense.analyzers.detect.functions import method_class_stack
from agentsense.analyzers.detect.resources import resource_kind
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes

# Calls that cannot fail in a way that matters here (logging, bookkeeping).
_HARMLESS_CALLS = frozenset({"print", "len", "isinstance", "id", "super", "str", "repr"})
_HARMLESS_RECEIVERS = ("log", "logger", "logging", "_log", "_logger", "LOGGER", "LOG")


def _opened_attribute(stmt: cst.BaseStatement, owner: str, facts: ModuleFacts) -> str | None:
    """`self.session` for `self.session = aiohttp.ClientSession()` (or `await ...`)."""
    assignment = single_assignment(stmt)
    if assignment is None:
        return None
    target, value = assignment
    dotted = dotted_name(target)
    if dotted is None or not dotted.startswith(owner + "."):
        return None
    return dotted if resource_kind(value, facts) is not None else None


def _may_fail(stmt: cst.BaseStatement) -> cst.CSTNode | None:
    """The first call or `await` in `stmt` that can raise (not logging), else None."""
    for node in iter_subtree_no_scopes(stmt):
        if isinstance(node, cst.Await):
            return node
        if isinstance(node, cst.Call):
            name = dotted_name(node.func) or ""
            if name in _HARMLESS_CALLS or name.split(".")[0] in _HARMLESS_RECEIVERS:
                continue
            return node
    return None


class EnterLeaksOnError(Rule):
    code = "AGT408"
    name = "enter-leaks-on-error"
    summary = (
        "`__enter__`/`__aenter__` opens a session or client, then a later step can fail and "
        "leak it."
    )
    rationale = (
        "When `__enter__` (or `__aenter__`) raises, the `with` statement never started, so "
        "`__exit__` is not called. An agent session that opens an HTTP session or client and "
        "then authenticates, connects a websocket or lists the server's tools leaks the "
        "session whenever that second step fails: an 'Unclosed client session' warning, an "
        "open socket and a connection-pool slot per failed start, which a retrying agent "
        "multiplies. Close what was opened when a later step fails (`try: ... except "
        "BaseException: await self.session.close(); raise`), or build the resources with a "
        "`contextlib.(Async)ExitStack` and `pop_all()` it at the end."
    )
    flagged = (
        Flagged(
            """
            import aiohttp

            class MCPConnection:
                async def __aenter__(self):
                    self.session = aiohttp.ClientSession()
                    self.ws = await self.session.ws_connect(self.url)
                    return self

                async def __aexit__(self, *exc):
                    await self.ws.close()
                    await self.session.close()
            """,
            line=5,
            column=9,
            message="`self.session`",
        ),
        Flagged(
            """
            import requests

            class Api:
                def __enter__(self):
                    self.http = requests.Session()
                    self.http.headers["Authorization"] = f"Bearer {self.token}"
                    self.login()
                    return self
            """,
            line=5,
            message="`self.login()`",
        ),
        Flagged(
            """
            import httpx

            class ToolServer:
                async def __aenter__(self):
                    self.client = httpx.AsyncClient(base_url=self.url)
                    self.tools = (await self.client.get("/tools")).json()
                    return self
            """,
            line=5,
        ),
    )
    clean = (
        # Nothing can fail after the session is opened.
        Clean(
            """
            import aiohttp

            class Session:
                async def __aenter__(self):
                    self.session = aiohttp.ClientSession()
                    return self
            """
        ),
        # The later step is guarded: the session is closed when it fails.
        Clean(
            """
            import aiohttp

            class MCPConnection:
                async def __aenter__(self):
                    self.session = aiohttp.ClientSession()
                    try:
                        self.ws = await self.session.ws_connect(self.url)
                    except BaseException:
                        await self.session.close()
                        raise
                    return self
            """
        ),
        # Logging after the open cannot leak it; a plain value is not a resource.
        Clean(
            """
            import httpx

            class Client:
                def __enter__(self):
                    self.started = time.monotonic()
                    self.http = httpx.Client()
                    logger.info("client ready")
                    return self
            """
        ),
        # An ExitStack owns what it enters.
        Clean(
            """
            import contextlib
            import aiohttp

            class Session:
                async def __aenter__(self):
                    async with contextlib.AsyncExitStack() as stack:
                        self.session = await stack.enter_async_context(aiohttp.ClientSession())
                        await self.session.get(self.url)
                        self._stack = stack.pop_all()
                    return self
            """
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value not in ("__enter__", "__aenter__"):
            return
        if not method_class_stack(self.context.ancestors):
            return
        params = node.params.params
        if not params:
            return
        owner = params[0].name.value
        statements = list(block_statements(node.body))
        for index, stmt in enumerate(statements):
            opened = _opened_attribute(stmt, owner, self.context.facts)
            if opened is None:
                continue
            for later in statements[index + 1 :]:
                if isinstance(later, cst.Try):
                    continue  # a guarded step: judged as handled
                failing = _may_fail(later)
                if failing is None:
                    continue
                exit_name = "__aexit__" if node.name.value == "__aenter__" else "__exit__"
                step = cst.Module([]).code_for_node(failing)
                if len(step) > 40:
                    step = step[:37] + "..."
                self.report(
                    stmt,
                    f"`{node.name.value}` opens `{opened}`, then `{step}` can raise: "
                    f"`{exit_name}` is not called when entering fails, so the resource leaks; "
                    "close it on that error path",
                )
                return
