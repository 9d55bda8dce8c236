"""The incremental linter returns exactly what a full lint returns, edit after edit."""

from __future__ import annotations

import textwrap
from functools import cache

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers.config import Config
from analyzers.engine import lint
from analyzers.registry import all_rules
from server.incremental import IncrementalLinter
from tests.lsp.agent_code import agent_module

PATH = "agent.py"

SNIPPETS = (
    "\n",
    "    ",
    "\t",
    "x",
    "(",
    ")",
    ":",
    '"""',
    "'",
    "\\\n",
    "yield 1\n",
    "await ",
    "async ",
    "  # noqa: AGT401",
    "  # noqa",
    "  # agentsense: ignore[AGT201]",
    "import os\n",
    "from runtime.registry import tool\n",
    "\n\ndef helper(a=[]):\n    return a\n",
    "while True:\n    agent.step()\n",
    "else:\n    pass\n",
    "    # note\n",
    "# top comment\n",
    "@tool\n",
    "class T(BaseTool):\n    name = 'x y'\n",
    "api_key = 'sk-proj-abcdefghijklmnopqrstuvwxyz123456'\n",
    "eval(reply.content)\n",
    "time.sleep(1)\n",
    "asyncio.create_task(work())\n",
    "return None\n",
)


@cache
def boundaries() -> list[int]:
    """Rows of the corpus where a top-level statement starts (windows begin and end there)."""
    return [
        row
        for row, line in enumerate(corpus())
        if line[:1].isalpha() or line[:1] in "@_\"'"
        if not line.startswith(("else", "elif", "except", "finally"))
    ]


@cache
def corpus() -> list[str]:
    """Lines of realistic agent code plus every rule's own examples."""
    parts = [agent_module(200)]
    for rule in all_rules():
        for example in (*rule.flagged, *rule.clean):
            parts.append(example.source)
    return "\n\n".join(parts).splitlines(keepends=True)


def check(linter: IncrementalLinter, text: str, config: Config) -> None:
    got = linter.lint(text, config)
    want = lint(text, PATH, config)
    assert got == want, (linter.stats, text)
    if linter.stats.parse in ("incremental", "full", "unchanged") and linter.module is not None:
        assert linter.module.code == text


@st.composite
def edit(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True) or [""]
    row = draw(st.integers(0, len(lines) - 1))
    line = lines[row]
    kind = draw(st.sampled_from(["insert", "delete", "line", "indent", "dedent", "join", "dup"]))
    if kind == "insert":
        column = draw(st.integers(0, len(line.rstrip("\n"))))
        lines[row] = line[:column] + draw(st.sampled_from(SNIPPETS)) + line[column:]
    elif kind == "delete":
        offset = sum(len(x) for x in lines[:row]) + draw(st.integers(0, len(line)))
        length = draw(st.integers(1, 40))
        return text[:offset] + text[offset + length :]
    elif kind == "line":
        del lines[row]
    elif kind == "indent":
        lines[row] = "    " + line
    elif kind == "dedent":
        lines[row] = line[4:] if line.startswith("    ") else line.lstrip(" ")
    elif kind == "join" and row + 1 < len(lines):
        lines[row] = line.rstrip("\n") + " " + lines.pop(row + 1).lstrip()
    elif kind == "dup":
        lines.insert(row, line)
    return "".join(lines)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_edits_match_full_lint(data: st.DataObject) -> None:
    lines = corpus()
    rows = boundaries()
    first = data.draw(st.integers(0, len(rows) - 2), label="first statement")
    count = data.draw(st.integers(1, 12), label="statements")
    text = "".join(lines[rows[first] : rows[min(first + count, len(rows) - 1)]])
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    for _ in range(data.draw(st.integers(1, 6), label="edits")):
        text = data.draw(edit(text), label="edit")
        check(linter, text, config)


BASE = textwrap.dedent(
    '''\
    """Module docstring."""
    import asyncio
    from runtime.registry import tool

    # a comment owned by f


    @tool
    def search(query: str, cache={}) -> str:
        """Search."""
        if query:
            return query
        return ""
        # trailing block comment

    async def fetch():
        await asyncio.sleep(1)

    class Helper:
        def run(self, items=[]):
            return items
    # footer comment
    '''
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("return query", "return query.strip()"),  # inside a function
        ("return query", "return (query"),  # syntax error in one statement
        ("return query", "return.0"),  # valid Python libcst cannot represent
        ("        return query\n", "        return query\n    x = 1\n"),  # grows the body
        ("async def fetch():", "def fetch():"),  # changes the module's interface
        ("        await asyncio.sleep(1)", "        yield 1"),  # generator-ness
        ("# a comment owned by f\n", "    # indented comment\n"),  # absorbed by a block
        ("class Helper:", "else:"),  # continues the statement above (error)
        ("# footer comment\n", "# footer comment\nx = 1"),  # no final newline
        ('"""Module docstring."""', '"""Module docstring.'),  # unclosed string
        ("    def run(self, items=[]):", "    def run(self, items=[]):  # noqa: AGT401"),
        ("import asyncio\n", "import asyncio\nimport os\n"),
        ("    ", "\t"),  # tabs: the file's indent changes
        ("\n", "\r\n"),  # CRLF newlines
        ('        """Search."""\n', ""),  # a registration loses its description (AGT210)
        ("@tool\n", '@tool(name="web search")\n'),  # an invalid tool name (AGT214)
        ("def search(query: str,", "def search(query,"),  # an untyped tool parameter
    ],
)
def test_targeted_edits(old: str, new: str) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, BASE, config)
    edited = BASE.replace(old, new, 1)
    check(linter, edited, config)
    check(linter, BASE, config)  # and back
    check(linter, edited.replace(new, new + new, 1), config)


def test_binding_a_decorator_name_in_a_function_re_lints_its_users() -> None:
    # `mcp = make()` in a function body makes `mcp` ambiguous, so `@mcp.tool()` above is
    # no longer a FastMCP tool: the tool's cached AGT201 must go although it did not change.
    config = Config.default()
    text = textwrap.dedent(
        '''\
        from fastmcp import FastMCP

        mcp = FastMCP("demo")


        @mcp.tool()
        def search(query) -> str:
            """Search."""
            return query


        def factory():
            server = None
            return server
        '''
    )
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    assert [f.code for f in linter.lint(text, config)] == ["AGT201"]
    check(linter, text.replace("server = None", "mcp = make()"), config)
    check(linter, text, config)


def test_edit_inside_function_walks_one_statement() -> None:
    config = Config.default()
    text = agent_module(400)
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    edited = text.replace("results = []", "results = [0]", 1)
    check(linter, edited, config)
    assert linter.stats.parse == "incremental"
    assert linter.stats.walked == 1


def test_module_is_spliced_not_reparsed() -> None:
    config = Config.default()
    text = agent_module(200)
    linter = IncrementalLinter(PATH)
    linter.lint(text, config)
    assert linter.module is not None
    before = list(linter.module.body)
    linter.lint(text.replace("results = []", "results = [0]", 1), config)
    after = list(linter.module.body)
    kept = sum(1 for a, b in zip(before, after, strict=True) if a is b)
    assert kept == len(before) - 1
    assert isinstance(linter.module, cst.Module)


def test_no_final_newline_survives_an_edit_elsewhere() -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    text = "import os\n\n\ndef f(a=[]):\n    return a\n "
    check(linter, text, config)
    check(linter, text.replace("import os", "import sys"), config)
    check(linter, text.replace("return a", "return a or []"), config)
