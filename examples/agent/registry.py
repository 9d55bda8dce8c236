"""A hand-rolled tool registry: a decorator that stores tools in a module-level dict."""

import json
import sqlite3
import subprocess

TOOLS = {}


def register(func):
    """Register a function as a tool the model can call."""
    TOOLS[func.__name__] = func
    return func


@register
def calculator(expression):
    """Evaluate an arithmetic expression and return the result."""
    return eval(expression)


@register
def shell(command: str) -> str:
    """Run a shell command on the host and return its output."""
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout


@register
def lookup_order(order_id: str) -> str:
    db = sqlite3.connect("orders.db")
    row = db.execute("SELECT status FROM orders WHERE id = ?", (order_id,)).fetchone()
    return json.dumps({"status": row[0] if row else "unknown"})


@register
def read_notes(path: str) -> str:
    """Read the user's notes file."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except Exception:
        pass


def dispatch(name, arguments):
    """Call the tool the model asked for."""
    return TOOLS[name](**arguments)
