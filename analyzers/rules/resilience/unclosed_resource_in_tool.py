"""AGT604: a file, connection or session opened in a tool body and never closed."""

from __future__ import annotations

from typing import cast

import libcst as cst

from agentsense.analyzers.detect.functions import is_tool_function, method_class_stack
from agentsense.analyzers.detect.resources import resource_kind
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

# Calls that read from or write to a resource without taking ownership of it.
_BORROWING_CALLS = frozenset(
    {
        "json.load",
        "json.dump",
        "pickle.load",
        "pickle.dump",
        "csv.reader",
        "csv.writer",
        "csv.DictReader",
        "csv.DictWriter",
        "yaml.load",
        "yaml.safe_load",
        "yaml.dump",
        "yaml.safe_dump",
        "tomllib.load",
        "shutil.copyfileobj",
        "print",
        "len",
        "isinstance",
    }
)
_CLOSERS = frozenset({"close", "aclose", "__exit__", "__aexit__"})


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in iter_subtree(node))


def _is_name(node: cst.BaseExpression | None, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _releases(node: cst.CSTNode, name: str, facts: ModuleFacts) -> bool:
    """Whether this one node closes, manages or hands over `name` (any doubt counts)."""
    if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        return _mentions(node, name)  # a closure may close it later
    if isinstance(node, (cst.Global, cst.Nonlocal)):
        return any(_is_name(n.name, name) for n in node.names)
    if isinstance(node, cst.WithItem):
        item = node.item
        return _is_name(item, name) or (
            isinstance(item, cst.Call) and any(_is_name(a.value, name) for a in item.args)
        )
    if isinstance(node, cst.Attribute):
        return _is_name(node.value, name) and node.attr.value in _CLOSERS
    if isinstance(node, (cst.Return, cst.Yield)):
        value = node.value.item if isinstance(node.value, cst.From) else node.value
        return value is not None and _escapes_in(value, name, facts)
    if isinstance(node, cst.Call):
        return facts.qualified_name(node.func) not in _BORROWING_CALLS and any(
            _escapes_in(a.value, name, facts) for a in node.args
        )
    if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.NamedExpr)):
        return node.value is not None and _escapes_in(node.value, name, facts)
    return False


def _released(
    function: cst.FunctionDef, name: str, opened: cst.CSTNode, facts: ModuleFacts
) -> bool:
    """Whether `name` is closed, managed, or handed to someone else anywhere in `function`.

    Any doubt counts as released: a use in a nested function, an alias, a call that may
    keep the object, a store into an attribute or container, a return or a yield.
    """
    return any(
        node is not opened and _releases(node, name, facts)
        for node in iter_subtree_no_scopes(function.body)
    )


def _escapes_in(value: cst.BaseExpression, name: str, facts: ModuleFacts) -> bool:
    """`value` is the name itself or a container/conditional/call holding it (not `f.read()`)."""
    stack: list[cst.BaseExpression] = [value]
    while stack:
        expr = stack.pop()
        if _is_name(expr, name):
            return True
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
            stack.extend(e.value for e in expr.elements)
        elif isinstance(expr, cst.IfExp):
            stack.extend((expr.body, expr.orelse))
        elif isinstance(expr, cst.BooleanOperation):
            stack.extend((expr.left, expr.right))
        elif isinstance(expr, cst.Call) and facts.qualified_name(expr.func) not in _BORROWING_CALLS:
            # `Wrapper(conn)`, `closing(f)`: ownership may move into the callee.
            stack.extend(a.value for a in expr.args)
    return False


class UnclosedResourceInTool(Rule):
    code = "AGT604"
    name = "unclosed-resource-in-tool"
    summary = "A file, connection or session opened in a tool is never closed."
    rationale = (
        "A tool runs once per model call, many times per conversation and across "
        "conversations in a long-lived server. A file handle, database connection or HTTP "
        "session opened in its body and never closed leaks on every call (and on every "
        "exception): the process runs out of file descriptors or pool slots hours later, "
        "far from the cause. Use `with` / `async with`, or close it in `finally`."
    )
    flagged = (
        Flagged(
            """
            import sqlite3

            @tool
            def count_orders(customer_id: int) -> int:
                \"\"\"Count a customer's orders.\"\"\"
                conn = sqlite3.connect("shop.db")
                row = conn.execute(
                    "select count(*) from orders where customer = ?", (customer_id,)
                ).fetchone()
                return row[0]
            """,
            line=6,
            message="`conn`",
        ),
        Flagged(
            """
            import json

            class ConfigTool(BaseTool):
                name = "config"

                def _run(self, path: str) -> dict:
                    f = open(path)
                    return json.load(f)
            """,
            line=7,
            column=9,
        ),
        Flagged(
            """
            import httpx

            @mcp.tool()
            async def fetch_page(url: str) -> str:
                \"\"\"Fetch a web page.\"\"\"
                client = httpx.AsyncClient(timeout=10)
                response = await client.get(url)
                return response.text
            """,
            line=6,
            message="httpx.AsyncClient",
        ),
        Flagged(
            """
            from requests import Session as HttpSession

            def search_tool(query: str) -> list[str]:
                session = HttpSession()
                session.headers["User-Agent"] = "agent"
                return session.get(API, params={"q": query}).json()["items"]
            """,
            line=4,
            message="requests.Session",
        ),
    )
    clean = (
        # The same tools written correctly: `with`, `async with`, or `close()` in `finally`.
        Clean(
            """
            import sqlite3
            from contextlib import closing

            @tool
            def count_orders(customer_id: int) -> int:
                \"\"\"Count a customer's orders.\"\"\"
                conn = sqlite3.connect("shop.db")
                try:
                    return conn.execute("select 1").fetchone()[0]
                finally:
                    conn.close()

            @tool
            def count_items(order_id: int) -> int:
                \"\"\"Count an order's items.\"\"\"
                conn = sqlite3.connect("shop.db")
                with closing(conn):
                    return conn.execute("select 1").fetchone()[0]
            """
        ),
        Clean(
            """
            import httpx

            @mcp.tool()
            async def fetch_page(url: str) -> str:
                \"\"\"Fetch a web page.\"\"\"
                async with httpx.AsyncClient(timeout=10) as client:
                    response = await client.get(url)
                return response.text

            @mcp.tool()
            async def fetch_json(url: str) -> str:
                \"\"\"Fetch JSON.\"\"\"
                client = httpx.AsyncClient()
                try:
                    return (await client.get(url)).json()
                finally:
                    await client.aclose()
            """
        ),
        # Ownership handed over: returned, stored on self, or entered into an ExitStack.
        Clean(
            """
            import requests

            class BrowserTool(BaseTool):
                def _run(self, url: str) -> str:
                    session = requests.Session()
                    self.session = session
                    return session.get(url).text

                def open_log_tool(self, path: str):
                    f = open(path, "a")
                    return f

                def run(self, stack, path: str) -> str:
                    f = open(path)
                    stack.enter_context(f)
                    return f.readline()
            """
        ),
        # Not a tool: ordinary functions are out of scope.
        Clean(
            """
            def load(path):
                f = open(path)
                return f.read()
            """
        ),
        # A name shadowing `open` is not the builtin.
        Clean(
            """
            from storage import open

            @tool
            def read(key: str) -> str:
                \"\"\"Read a key.\"\"\"
                handle = open(key)
                return handle.read()
            """
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        facts = self.context.facts
        if not is_tool_function(node, facts, method_class_stack(self.context.ancestors)):
            return
        for stmt in iter_subtree_no_scopes(node.body):
            if not (type(stmt) is cst.Assign or type(stmt) is cst.AnnAssign) or stmt.value is None:
                continue
            if type(stmt) is cst.Assign:
                if len(stmt.targets) != 1:
                    continue
                target = stmt.targets[0].target
            else:
                target = cast(cst.AnnAssign, stmt).target
            if type(target) is not cst.Name:
                continue
            kind = resource_kind(stmt.value, facts)
            if kind is None or _released(node, target.value, stmt, facts):
                continue
            self.report(
                stmt,
                f"`{target.value}` ({kind}(...)) is opened in tool `{node.name.value}` and "
                "never closed: it leaks on every call; use `with`, or close it in `finally`",
            )
