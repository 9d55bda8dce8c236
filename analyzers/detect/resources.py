"""Resources: calls that open a file, connection or session that must be closed."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.facts import ModuleFacts

# Constructors of things that hold an OS resource until closed (qualified names).
RESOURCE_CALLS = frozenset(
    {
        "open",
        "io.open",
        "sqlite3.connect",
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "socket.socket",
        "socket.create_connection",
        "urllib.request.urlopen",
    }
)


def resource_kind(value: cst.BaseExpression, facts: ModuleFacts) -> str | None:
    """The qualified constructor when `value` opens a resource (`await` allowed), else None."""
    if isinstance(value, cst.Await):
        value = value.expression
    if not isinstance(value, cst.Call):
        return None
    qualified = facts.qualified_name(value.func)
    if qualified is None:
        return None
    if qualified in RESOURCE_CALLS:
        return qualified
    if qualified.startswith("psycopg") and qualified.endswith(".connect"):
        return qualified
    return None
