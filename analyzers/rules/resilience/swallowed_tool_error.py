"""AGT602: a tool or agent step that catches every exception and silently drops it."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements
from agentsense.analyzers.detect.functions import (
    is_agent_step,
    is_tool_function,
    method_class_stack,
)
from agentsense.analyzers.detect.names import words_of
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes

_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})


def _is_broad(kind: cst.BaseExpression | None, facts: ModuleFacts) -> bool:
    """Bare `except:`, `except Exception`, `except BaseException` (alone or in a tuple)."""
    if kind is None:
        return True
    if isinstance(kind, cst.Tuple):
        return any(
            isinstance(e, cst.Element) and facts.qualified_name(e.value) in _BROAD
            for e in kind.elements
        )
    return facts.qualified_name(kind) in _BROAD


def _is_silent(small: cst.BaseSmallStatement) -> bool:
    """`pass`, `continue`, `...`, `return`, `return None`: nothing reaches the caller."""
    if type(small) in (cst.Pass, cst.Continue):
        return True
    if isinstance(small, cst.Expr):
        return isinstance(small.value, cst.Ellipsis)
    if isinstance(small, cst.Return):
        value = small.value
        return value is None or (isinstance(value, cst.Name) and value.value == "None")
    return False


def swallows(handler: cst.ExceptHandler) -> bool:
    """The handler's body only drops the error (no call, no re-raise, no error value)."""
    body = handler.body
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = list(body.body)
    elif isinstance(body, cst.IndentedBlock):
        smalls = []
        for stmt in body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                return False
            smalls.extend(stmt.body)
    else:
        return False
    return bool(smalls) and all(_is_silent(s) for s in smalls)


# Calls that release or stop something: an error while cleaning up is rightly ignored.
_CLEANUP_METHODS = frozenset(
    {
        "close",
        "aclose",
        "cancel",
        "remove",
        "unlink",
        "rmtree",
        "rmdir",
        "kill",
        "terminate",
        "shutdown",
        "stop",
        "disconnect",
        "cleanup",
        "release",
        "join",
        "wait",
        "__exit__",
        "__aexit__",
    }
)


def _is_cleanup(attempt: cst.Try) -> bool:
    """The `try` only releases resources (`f.close()`, `os.remove(tmp)`, `await task`)."""
    statements = list(block_statements(attempt.body))
    if not statements:
        return False
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if not isinstance(small, cst.Expr):
                return False
            value = small.value
            if isinstance(value, cst.Await):
                if not isinstance(value.expression, cst.Call):
                    continue  # `await task`: waiting for something being cancelled
                value = value.expression
            if not isinstance(value, cst.Call):
                return False
            func = value.func
            name = func.attr.value if isinstance(func, cst.Attribute) else None
            if isinstance(func, cst.Name):
                name = func.value
            if name not in _CLEANUP_METHODS:
                return False
    return True


# Words of names in a `try` that only waits: a wait allowed to fail (`wait_for_documents`).
_WAIT_WORDS = frozenset({"wait", "sleep", "poll"})


def _only_passes(handler: cst.ExceptHandler) -> bool:
    statements = block_statements(handler.body)
    return bool(statements) and all(
        isinstance(s, cst.SimpleStatementLine) and all(isinstance(x, cst.Pass) for x in s.body)
        for s in statements
    )


def _assigned_names(statements: Sequence[cst.BaseStatement]) -> set[str] | None:
    """Names the statements assign, when assignments (and `if`s of them) are all they do."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, cst.If):
            inner = _assigned_names(block_statements(statement.body))
            if inner is None or statement.orelse is not None:
                return None
            names |= inner
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        for small in statement.body:
            if isinstance(small, cst.Assign) and all(
                isinstance(t.target, cst.Name) for t in small.targets
            ):
                names.update(
                    t.target.value for t in small.targets if isinstance(t.target, cst.Name)
                )
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                names.add(small.target.value)
            else:
                return None
    return names


def _returns_value(statement: cst.BaseStatement | None) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    small = statement.body[-1] if statement.body else None
    return (
        isinstance(small, cst.Return)
        and small.value is not None
        and not (isinstance(small.value, cst.Name) and small.value.value == "None")
    )


def _best_effort(
    attempt: cst.Try, before: Sequence[cst.BaseStatement], after: cst.BaseStatement | None
) -> bool:
    """A `try` whose failure leaves the tool a sensible result:

    - an optional read into names given defaults before it (`meta = {}`; `try: meta =
      json.loads(...)`), the tool then going on with the defaults;
    - a first choice whose success returns, followed by a fallback `return` of a value;
    - a wait that is allowed to fail (`try: wait_for_documents(...)`), assigning nothing.
    """
    body = block_statements(attempt.body)
    assigned = _assigned_names(body)
    if assigned:
        defaults: set[str] = set()
        for statement in before:
            defaults |= _assigned_names([statement]) or set()
        if assigned & defaults:
            return True
    returns = any(
        isinstance(n, cst.Return) and n.value is not None
        for n in iter_subtree_no_scopes(attempt.body)
    )
    if returns and _returns_value(after):
        return True
    if not returns and not any(
        isinstance(n, (cst.Assign, cst.AnnAssign, cst.AugAssign))
        for n in iter_subtree_no_scopes(attempt.body)
    ):
        names = {
            dotted_name(n) or ""
            for n in iter_subtree_no_scopes(attempt.body)
            if isinstance(n, (cst.Name, cst.Attribute))
        }
        if words_of(names) & _WAIT_WORDS:
            return True
    return False


class SwallowedToolError(Rule):
    code = "AGT602"
    name = "swallowed-tool-error"
    summary = "A tool or agent step catches every exception and silently drops it."
    rationale = (
        "When a tool swallows an exception, the model receives `None` or an empty result "
        "instead of an error it could react to: it retries the same call, invents an answer "
        "from nothing, or reports success for an action that failed (a payment that was never "
        "sent, a file that was never written). The failure also never reaches logs or "
        "tracing, so nobody can debug it later. Catch the exceptions you expect, and return "
        "or raise an error the model and the operator can see. Best-effort steps whose "
        "failure leaves a sensible result are not flagged: an optional read over defaults "
        "set before it, a first choice followed by a fallback `return`, a wait allowed to fail."
    )
    flagged = (
        Flagged(
            """
            from langchain_core.tools import tool

            @tool
            def read_file(path: str) -> str:
                \"\"\"Read a text file.\"\"\"
                try:
                    with open(path) as f:
                        return f.read()
                except Exception:
                    return None
            """,
            line=9,
            message="read_file",
        ),
        Flagged(
            """
            class SearchTool(BaseTool):
                name = "search"

                def _run(self, query: str) -> str:
                    try:
                        return self.client.search(query)
                    except:
                        pass
            """,
            line=7,
            message="bare `except:`",
        ),
        Flagged(
            """
            async def run_step(agent, action):
                for call in action.tool_calls:
                    try:
                        await agent.call(call)
                    except BaseException:  # keep going
                        continue
            """,
            line=5,
        ),
        Flagged(
            """
            def call_tool(registry, name, args):
                try:
                    return registry[name](**args)
                except (KeyError, Exception):
                    ...
            """,
            line=4,
        ),
        Flagged(
            # A write that fails silently while the tool reports success: not a fallback.
            """
            @tool
            def save_note(text: str) -> str:
                \"\"\"Save a note.\"\"\"
                status = "unsaved"
                try:
                    db.insert(text)
                except Exception:
                    pass
                return "saved"
            """,
            line=7,
        ),
    )
    clean = (
        # Best-effort fallbacks: optional metadata read over defaults, a first choice with a
        # fallback answer, a wait allowed to fail; the tool still returns its result.
        Clean(
            """
            import json
            from pathlib import Path

            @tool
            def artifact_load(path: str) -> dict:
                \"\"\"Load an artifact.\"\"\"
                meta = {}
                try:
                    p = Path(path + ".meta.json")
                    if p.exists():
                        meta = json.loads(p.read_text())
                except Exception:
                    pass
                return {"data": Path(path).read_text(), "summary": meta.get("summary", "")}

            @mcp.tool()
            def get_current_weather(city: str) -> str:
                try:
                    response = requests.get(f"https://wttr.in/{city}", timeout=2)
                    if response.ok:
                        return response.text
                except Exception:
                    pass
                return f"Weather data unavailable right now for {city}."

            class QueryTool(BaseTool):
                def _run(self, datastore_id: str, query: str) -> str:
                    try:
                        loop.run_until_complete(self._wait_for_documents(datastore_id))
                    except Exception:
                        pass
                    return self.client.query(datastore_id, query)
            """
        ),
        # A specific exception the tool expects is a decision, not a swallowed failure.
        Clean(
            """
            @tool
            def lookup(key: str) -> str | None:
                \"\"\"Look a key up.\"\"\"
                try:
                    return CACHE[key]
                except KeyError:
                    pass
                return None
            """
        ),
        # Logging the error is not swallowing it.
        Clean(
            """
            import logging

            @tool
            def read_file(path: str) -> str:
                \"\"\"Read a text file.\"\"\"
                try:
                    with open(path) as f:
                        return f.read()
                except Exception:
                    logging.exception("read_file failed")
                    return None
            """
        ),
        # Returning an error value the model can read, or re-raising.
        Clean(
            """
            class SearchTool(BaseTool):
                def _run(self, query: str) -> str:
                    try:
                        return self.client.search(query)
                    except Exception as error:
                        return f"search failed: {error}"

                def _arun(self, query: str) -> str:
                    try:
                        return self.client.search(query)
                    except Exception:
                        raise
            """
        ),
        # Not a tool nor an agent step: ordinary code may choose to ignore errors.
        Clean(
            """
            def cleanup(path):
                try:
                    os.remove(path)
                except Exception:
                    pass
            """
        ),
        # A `run` method of a class that is not a tool.
        Clean(
            """
            class Worker(Thread):
                def run(self):
                    try:
                        self.work()
                    except Exception:
                        pass
            """
        ),
        # Shapes seen in agent frameworks: a clean-up that may fail (in `finally`, while
        # another error is re-raised, or a `try` that only closes), and functions that
        # manage tools rather than run one.
        Clean(
            """
            import asyncio

            async def invoke_mcp_tool(session, name, args):
                task = asyncio.create_task(session.call_tool(name, args))
                try:
                    return await task
                except asyncio.CancelledError:
                    task.cancel()
                    try:
                        await task
                    except BaseException:
                        pass
                    raise
                finally:
                    try:
                        await session.flush()
                    except Exception:
                        pass

            class ViewImage(BaseTool):
                def _run(self, path: str) -> bytes:
                    f = open(path, "rb")
                    data = f.read()
                    try:
                        f.close()
                    except Exception:
                        pass
                    return data

            def to_tool_definitions(tools):
                try:
                    return [t.schema() for t in tools]
                except Exception:
                    return None

            def set_agent_tool_state(context, value):
                try:
                    context.state = value
                except Exception:
                    pass
            """
        ),
        # A helper nested inside a tool is judged on its own.
        Clean(
            """
            @tool
            def fetch(url: str) -> str:
                \"\"\"Fetch a page.\"\"\"
                def close_quietly(resource):
                    try:
                        resource.close()
                    except Exception:
                        pass
                return download(url, on_done=close_quietly)
            """
        ),
    )

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        facts = self.context.facts
        if not swallows(node) or not _is_broad(node.type, facts):
            return
        stack = self.context.path_stack
        for index in range(len(stack) - 2, -1, -1):
            function = stack[index]
            if isinstance(function, (cst.Lambda, cst.ClassDef)):
                return
            if isinstance(function, cst.FunctionDef):
                break
        else:
            return
        between = stack[index + 1 : -1]
        # While handling another error (which is re-raised or reported) or in `finally`,
        # a second failure of the clean-up is rightly dropped.
        if any(isinstance(n, (cst.ExceptHandler, cst.Finally)) for n in between):
            return
        attempt = between[-1] if between else None
        if isinstance(attempt, cst.Try) and _is_cleanup(attempt):
            return
        if isinstance(attempt, cst.Try) and _only_passes(node):
            parent = stack[stack.index(attempt) - 1]
            siblings = list(parent.body) if isinstance(parent, cst.IndentedBlock) else []
            if attempt in siblings:
                at = siblings.index(attempt)
                after = siblings[at + 1] if at + 1 < len(siblings) else None
                if _best_effort(attempt, siblings[:at], after):
                    return
        classes = method_class_stack(stack[:index])
        if is_tool_function(function, facts, classes):
            kind = "tool"
        elif is_agent_step(function):
            kind = "agent step"
        else:
            return
        caught = "bare `except:`" if node.type is None else "`except` of every exception"
        self.report(
            node,
            f"{caught} in {kind} `{function.name.value}` drops the error: the model gets "
            "nothing to react to; catch specific exceptions, or log and return an error",
            end_node=node.type if node.type is not None else None,
        )
