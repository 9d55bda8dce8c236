"""The incremental linter returns exactly what a full lint returns, edit after edit."""

from __future__ import annotations

import gc
import textwrap
from functools import cache
from typing import Any

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsense.analyzers import engine
from agentsense.analyzers.config import Config
from agentsense.analyzers.detect.registrations import registrations_of
from agentsense.analyzers.engine import lint
from agentsense.analyzers.incremental import IncrementalLinter
from agentsense.analyzers.index import word_counts
from agentsense.analyzers.registry import all_rules
from tests.lsp.agent_code import agent_class_module, agent_module, line_inside_method

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
    "from agentsense.runtime.registry import tool\n",
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
    parts = [agent_module(200), agent_class_module(120)]
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
        # The word counts rules' pre-checks read, kept per edit, are the text's.
        words = linter.module_facts().words
        assert words is not None and +words == word_counts(text)


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
    from agentsense.runtime.registry import tool

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


REGISTRIES = textwrap.dedent(
    '''\
    from fastmcp import FastMCP
    from agentsense.runtime.registry import BaseTool, tool

    TOOLS = {}
    PLUGINS = {}
    REQUIRED = ("name", "description")
    PREFIX = "web"
    mcp = FastMCP("demo")


    def register(fn):
        TOOLS[fn.__name__] = fn
        return fn


    class PluginMeta(type):
        def __new__(mcls, name, bases, namespace, **kwargs):
            cls = super().__new__(mcls, name, bases, namespace, **kwargs)
            if not bases:
                return cls
            for attr in REQUIRED:
                if attr not in namespace:
                    raise TypeError(f"{name} must define {attr!r}")
            PLUGINS[namespace["name"]] = cls
            return cls


    class Plugin(metaclass=PluginMeta):
        pass


    class Base:
        registry = {}

        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            Base.registry[cls.tool_name] = cls


    @register
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b


    @tool(name=PREFIX + "_search")
    def search(query: str) -> str:
        """Search."""
        return query


    class Fetch(Plugin):
        name = "fetch"
        description = "Fetch a page."

        def execute(self, url: str) -> str:
            return url


    class Weather(BaseTool):
        name = "weather"
        description = "The weather."

        def execute(self, city: str) -> str:
            return city


    class Echo(Base):
        tool_name = "echo"

        def run(self, text: str) -> str:
            return text


    if PREFIX:
        @mcp.tool()
        def ping(host: str) -> str:
            """Ping a host."""
            return host
    else:
        @mcp.tool()
        def ping(host: str, count: int) -> str:
            """Ping a host."""
            return host


    def make():
        @tool
        def inner(x: str) -> str:
            """Inner."""
            return x

        return inner
    '''
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    return a + b", "    return a - b"),  # a tool's body only
        ("    TOOLS[fn.__name__] = fn\n", ""),  # the decorator stops registering
        ('REQUIRED = ("name", "description")', 'REQUIRED = ("name", "description", "x")'),
        ('PREFIX = "web"', 'PREFIX = "web search"'),  # the tool name becomes invalid
        ("        return cls\n        for", "        pass\n        for"),
        ("        Base.registry[cls.tool_name] = cls", "        pass"),
        ('    description = "Fetch a page."\n', ""),  # the metaclass guard raises
        ('    description = "The weather."', '    description = ""'),
        ("class Weather(BaseTool):", "class Weather:"),
        ("    def execute(self, city: str) -> str:", "    def execute(self, city) -> str:"),
        ("    def run(self, text: str) -> str:", "    def run(self, text) -> str:"),
        ('mcp = FastMCP("demo")', "mcp = object()"),
        ("        return host\nelse:", "        return host.strip()\nelse:"),
        ("    def inner(x: str) -> str:", "    def inner(x) -> str:"),
        ("    return inner", "    mcp = FastMCP()\n    return inner"),
        ("@tool(name=PREFIX", "@register\n@tool(name=PREFIX"),  # a second registration
    ],
)
def test_registration_edits(old: str, new: str) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, REGISTRIES, config)
    assert old in REGISTRIES
    edited = REGISTRIES.replace(old, new, 1)
    check(linter, edited, config)
    check(linter, REGISTRIES, config)


@pytest.mark.parametrize(
    "edits",
    [
        # A guard's check (related location) lies in a statement re-parsed with the same
        # interface: a blank line above it goes.
        [
            ('    description = "Fetch a page."\n', ""),
            ("\n\n\nclass PluginMeta(type):", "\n\nclass PluginMeta(type):"),
            ("    pass\n\n\nclass Base:", "    pass\n\nclass Base:"),
        ],
        # A tool's entry is a method inherited from a class edited in its body only.
        [
            ("    def run(self, text: str) -> str:\n        return text\n", "    pass\n"),
            (
                "        Base.registry[cls.tool_name] = cls\n",
                "        Base.registry[cls.tool_name] = cls\n\n"
                "    def run(self, text: str) -> str:\n        return eval(text)\n",
            ),
            ("        return eval(text)", "        return eval(text) or None"),
            ("        return eval(text) or None", "        return eval(text)"),
        ],
    ],
)
def test_registration_edit_sequences(edits: list[tuple[str, str]]) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    text = REGISTRIES
    check(linter, text, config)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
        check(linter, text, config)


def test_an_edit_inside_a_tool_re_extracts_that_tool_only() -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    linter.lint(REGISTRIES, config)
    before = registrations_of(linter.module_facts())
    assert {r.display_name for r in before} >= {"add", "web_search", "fetch", "weather", "echo"}
    linter.lint(REGISTRIES.replace("return a + b", "return a - b"), config)
    after = registrations_of(linter.module_facts())
    assert [r.display_name for r in after] == [r.display_name for r in before]
    fresh = [a for a, b in zip(after, before, strict=True) if a is not b]
    assert [r.display_name for r in fresh] == ["add"]


def test_findings_inside_multiline_strings_move_with_edits_above() -> None:
    config = Config.default()
    text = textwrap.dedent(
        '''\
        import os

        api_key = os.environ["SEARCH_API_KEY"]


        def helper(a=[]):
            return a


        system_prompt = f"""You can call the search API.
        Use the key {api_key} for it.
        """
        '''
    )
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    for edited in (
        text.replace("    return a\n", "    a.append(1)\n    return a\n"),  # rows shift
        text.replace('\n"""\n', '\n"""  # noqa: AGT301\n'),  # suppressed after the quotes
        text,
    ):
        check(linter, edited, config)


BINDINGS = textwrap.dedent(
    '''\
    """Module docstring."""
    import asyncio
    import os

    SYSTEM_PROMPT = "You are a careful agent."
    token = os.environ["SEARCH_API_KEY"]
    alias = token
    MAX_STEPS = 8


    async def fetch(url):
        await asyncio.sleep(1)
        return url


    def ask(client, question):
        return client.chat(system=f"{SYSTEM_PROMPT} Use {alias}.", question=question)


    def run(agent):
        for _ in range(MAX_STEPS):
            agent.step()


    async def wait():
        sleep(1)
    '''
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('SYSTEM_PROMPT = "You are', 'SYSTEM_PROMPT = "You are not'),  # a prompt being typed
        ('token = os.environ["SEARCH_API_KEY"]', 'token = "not a secret"'),  # via `alias`
        ("alias = token", "alias = SYSTEM_PROMPT"),
        ("MAX_STEPS = 8", "MAX_STEPS = None"),
        ("import os\n", "import os\nfrom time import sleep\n"),  # `sleep` now blocks
        ("import asyncio\n", "import asyncio\nimport time as asyncio\n"),  # rebinds a name
        ("MAX_STEPS = 8\n", "MAX_STEPS = 8\nif MAX_STEPS:\n    alias = 1\n"),  # compound
        ('"""Module docstring."""', '"""Module docstring, longer."""'),
    ],
)
def test_module_level_binding_edits(old: str, new: str) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, BINDINGS, config)
    edited = BINDINGS.replace(old, new, 1)
    check(linter, edited, config)
    check(linter, BINDINGS, config)


FIXES = textwrap.dedent(
    """\
    import time

    X = 1


    def other():
        return X


    async def wait():
        time.sleep(1)
    """
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # The AGT501 fix spells `asyncio` as the module imports it: now `aio`.
        ("import time\n", "import time\nimport asyncio as aio\n"),
        # `asyncio` is taken at module level: the fix can no longer add the import.
        ("X = 1\n", "X = 1\nasyncio = None\n"),
    ],
)
def test_fixes_follow_the_module_bindings_they_read(old: str, new: str) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, FIXES, config)
    check(linter, FIXES.replace(old, new, 1), config)
    check(linter, FIXES, config)


def test_what_a_statement_read_of_the_module_bindings_is_recorded() -> None:
    # Derived from the rules' and fixes' actual look-ups, not declared: the AGT501 fix adds
    # `import asyncio` (reads the whole import block); `other` reads nothing but `X`.
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, FIXES, config)
    reads = {chunk.text.strip().split("(")[0]: chunk.reads for chunk in linter.chunks}
    wait = reads["async def wait"]
    assert wait is not None and wait["AGT501"].whole  # per rule
    other = reads["def other"]
    assert other is not None
    assert not any(read.whole or read.depends_on({"asyncio", "time"}) for read in other.values())


LANGCHAIN = textwrap.dedent(
    """\
    from langchain_core.tools import StructuredTool


    def search(query: str) -> str:
        return query


    def other(x):
        return x


    def build():
        return [StructuredTool.from_function(func=search)]
    """
)


@pytest.mark.parametrize(
    "new",
    [
        'StructuredTool.from_function(func=search, description="Search.")',
        "StructuredTool.from_function(func=other)",
        'StructuredTool.from_function(func=search, name="web search")',
        "search",  # no registration any more
    ],
)
def test_editing_only_a_registering_call_re_checks_the_function_it_registers(new: str) -> None:
    # The registration's findings are reported on the walk of `search`, another statement
    # than the edited `build`: its findings depend on the call that registers it.
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, LANGCHAIN, config)
    edited = LANGCHAIN.replace("StructuredTool.from_function(func=search)", new)
    check(linter, edited, config)
    assert linter.stats.parse == "incremental"
    check(linter, LANGCHAIN, config)
    check(linter, edited, config)


AGNO = textwrap.dedent(
    """\
    from agno.agent import Agent


    def search(query) -> str:
        return query


    def build():
        return Agent(tools=[search])
    """
)


@pytest.mark.parametrize("new", ["Agent(tools=[])", "Agent(tools=[search, search])"])
def test_listing_a_function_as_a_tool_elsewhere_re_checks_it(new: str) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, AGNO, config)
    check(linter, AGNO.replace("Agent(tools=[search])", new), config)
    check(linter, AGNO, config)
    assert linter.stats.walked <= 2


def test_typing_a_prompt_constant_re_lints_its_users_only() -> None:
    config = Config.default()
    text = agent_module(1000)
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    users = sum(1 for chunk in linter.chunks if "SYSTEM_PROMPT" in chunk.text)
    # Only the statements whose findings read the prompt: the binding itself and the
    # functions interpolating it (AGT301 asks whether it holds a secret), not the agent
    # classes passing it on (`system=SYSTEM_PROMPT`), nor their registrations.
    readers = text.count("{SYSTEM_PROMPT}")
    text = text.replace("careful support agent", "careful, kind support agent")
    check(linter, text, config)
    assert linter.stats.parse == "incremental"
    # The binding itself is walked with every rule; its readers with AGT301 only.
    assert linter.stats.walked == 1
    assert linter.stats.partial == linter.stats.rules_rerun == readers < users
    check(linter, text.replace("import json\n", "import json\nimport shutil\n"), config)
    assert linter.stats.walked <= 2  # the new import (and the neighbour parsed with it) only


CLASS_EDITS = (
    ("results = []", "results = [0]"),  # a method body
    ("history=[]", "history=()"),  # a method's signature (the class interface)
    ("    retries = 3\n", "    retries = 3\n    cache = {}\n"),  # a class attribute
    ('        """Search the knowledge base."""\n', ""),  # a docstring goes
    ("        return results\n", "        return results\n\n    # between methods\n"),
    ("        return record\n", "        return eval(record)\n"),
    ("await asyncio.sleep(delay)", "time.sleep(delay)"),  # blocking call in a coroutine
    ("    def step_0(", "    @staticmethod\n    def step_0("),
)


@pytest.mark.parametrize(("old", "new"), CLASS_EDITS)
def test_edits_inside_a_long_class(old: str, new: str) -> None:
    config = Config.default()
    text = agent_class_module(200, lines=60)
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    # The first occurrence after the middle of the class (else the first one).
    lines = text.splitlines(keepends=True)
    row = line_inside_method(text)
    before, after = "".join(lines[:row]), "".join(lines[row:])
    edited = before + after.replace(old, new, 1) if old in after else text.replace(old, new, 1)
    assert edited != text, old
    check(linter, edited, config)
    check(linter, text, config)
    check(linter, edited, config)


def test_edit_inside_function_walks_one_statement() -> None:
    config = Config.default()
    text = agent_module(400)
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    edited = text.replace("results = []", "results = [0]", 1)
    check(linter, edited, config)
    assert linter.stats.parse == "incremental"
    assert linter.stats.walked == 1


def test_rules_looking_at_the_module_only_do_not_walk_other_statements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # AGT212 compares all registrations in `leave_Module`: it needs no walk of the
    # statements an edit did not touch.
    config = Config.default()
    text = agent_module(400)
    linter = IncrementalLinter(PATH)
    linter.lint(text, config)
    walked: list[cst.CSTNode] = []

    def counting(real: Any) -> Any:
        def count(root: cst.CSTNode, *args: Any, **kwargs: Any) -> None:
            walked.append(root)
            real(root, *args, **kwargs)

        return count

    edited = text.replace("results = []", "results = [0]", 1)
    monkeypatch.setattr(engine, "_walk_subtree", counting(engine._walk_subtree))
    got = linter.lint(edited, config)
    monkeypatch.undo()
    assert "AGT212" in linter.stats.whole_module_codes
    assert len(walked) == 1
    assert got == lint(edited, PATH, config)


def test_replaced_statements_are_freed() -> None:
    # Edits inside functions must not keep the statements they replaced alive (the server
    # holds a linter per open document for hours).
    config = Config.default()
    text = agent_module(300)
    linter = IncrementalLinter(PATH)

    def edited_function() -> int:
        assert linter.module is not None
        return id(next(s for s in linter.module.body if isinstance(s, cst.FunctionDef)))

    linter.lint(text, config)
    versions = {edited_function()}  # ids only: holding the nodes would keep them alive
    for number in range(12):  # typing in the first tool's body
        old = "from shard 0" + "x" * number + '")'
        assert old in text
        text = text.replace(old, "from shard 0" + "x" * (number + 1) + '")', 1)
        linter.lint(text, config)
        versions.add(edited_function())
    assert linter.stats.parse == "incremental" and linter.stats.walked == 1
    versions.discard(edited_function())
    gc.collect()
    stale = [
        node
        for node in gc.get_objects()
        if type(node) is cst.FunctionDef and id(node) in versions and node.name.value == "search_0"
    ]
    assert stale == []


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


# Values a module-level binding is changed to, each meaning something to some rule: a
# secret, a secret lookup, model clients (sync and async), a bounded iterable, a limit.
BINDING_VALUES = (
    '"sk-proj-abcdefghijklmnopqrstuvwxyz123456"',
    'os.environ["OPENAI_API_KEY"]',
    "None",
    "OpenAI()",
    "AsyncOpenAI()",
    "requests.Session()",
    "asyncio.Semaphore(4)",
    "[1, 2, 3]",
    "{}",
    "TOOLS",
)


def _binding_edits(text: str) -> list[str]:
    """The text with each module-level `name = value` given each of `BINDING_VALUES`."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return []
    out: list[str] = []
    for index, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
            continue
        for value in BINDING_VALUES:
            changed = small.with_changes(value=cst.parse_expression(value))
            body = list(module.body)
            body[index] = stmt.with_changes(body=[changed])
            out.append(module.with_changes(body=body).code)
    return out


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_changing_a_module_level_binding_matches_full_lint(rule: Any) -> None:
    # Functions see module-level bindings only through recorded look-ups (the facts',
    # `ModuleFacts.note_read`): every rule's examples, each binding changed to values its
    # rules read, re-linted incrementally, must give what a full lint gives.
    config = Config.default()
    sources = [example.source for example in (*rule.flagged, *rule.clean)]
    if rule is all_rules()[0]:
        sources.append(BINDINGS)
    for source in sources:
        linter = IncrementalLinter(PATH)
        check(linter, source, config)
        for edited in _binding_edits(source):
            check(linter, edited, config)
            check(linter, source, config)


def test_the_class_index_is_kept_between_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Registrations are extracted on every edit; the classes they are read from are not
    # indexed anew unless they changed or name a binding that did (in a decorator).
    from agentsense.analyzers.detect import static

    config = Config.default()
    text = agent_module(400)
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    built: list[str] = []
    real = static._class_info

    def counting(node: cst.ClassDef, facts: Any) -> static.ClassInfo:
        built.append(node.name.value)
        return real(node, facts)

    versions = [
        text.replace("results = []", "results = [0]", 1),
        text.replace("careful support agent", "careful, kind support agent"),
    ]
    # A class's header changes (one class is indexed anew, though everything is re-linted).
    versions.append(versions[1].replace("class WeatherTool1(", "class WeatherTool1(object, ", 1))
    wanted = [lint(version, PATH, config) for version in versions]
    monkeypatch.setattr(static, "_class_info", counting)
    got = [linter.lint(version, config) for version in versions[:2]]
    assert built == []
    got.append(linter.lint(versions[2], config))
    assert built == ["WeatherTool1"]
    assert got == wanted


ABSTRACT = textwrap.dedent(
    """\
    from abc import ABCMeta, abstractmethod

    from agentsense.runtime.registry import BaseTool


    class Search(BaseTool):
        name = "search"
        description = "Search the web."

        @abstractmethod
        def execute(self, query: str) -> str: ...
    """
)


@pytest.mark.parametrize(
    "new",
    [
        "from abc import ABCMeta\nfrom functools import cache as abstractmethod\n",
        "from abc import ABCMeta\n\nabstractmethod = staticmethod\n",
    ],
)
def test_a_kept_class_follows_what_its_decorators_resolve_to(new: str) -> None:
    # `execute` stops being abstract: the tool class now registers. Its statement is kept
    # (and so is its `ClassInfo`, unless its decorators resolve differently).
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, ABSTRACT, config)
    edited = ABSTRACT.replace("from abc import ABCMeta, abstractmethod\n", new)
    assert lint(ABSTRACT, PATH, config) != lint(edited, PATH, config)
    check(linter, edited, config)
    check(linter, ABSTRACT, config)


def test_diagnostics_of_findings_kept_by_the_linter_are_kept() -> None:
    # At 20 000 lines converting every finding to a diagnostic on every edit cost ~25 ms.
    from agentsense.server.lsp.analysis import compute_analysis
    from agentsense.server.lsp.convert import DiagnosticOptions

    config = Config.default()
    text = agent_module(400)
    linter = IncrementalLinter(PATH)

    def analyse(text: str, previous: Any, linter: IncrementalLinter | None) -> Any:
        return compute_analysis(
            linter,
            PATH,
            1,
            text,
            config,
            (),
            "utf-16",
            DiagnosticOptions(),
            lambda p: None,
            previous=previous,
        )

    first = analyse(text, None, linter)
    edited = text.replace("results = []", "results = [0]", 1)
    second = analyse(edited, first, linter)
    fresh = analyse(edited, None, None)
    assert second.diagnostics == fresh.diagnostics
    kept = {id(d) for d in first.diagnostics}
    reused = sum(1 for d in second.diagnostics if id(d) in kept)
    assert len(second.diagnostics) - 3 <= reused


def test_a_full_parse_keeps_the_findings_of_statements_it_gives_back_unchanged() -> None:
    config = Config.default()
    text = "# A comment above everything.\n" + agent_module(400)
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    # The header changed: not spliced, the whole text is parsed again.
    check(linter, text.replace("above everything", "above it all"), config)
    assert linter.stats.parse == "full"
    with_registrations = sum(1 for chunk in linter.chunks if chunk.registered)
    assert linter.stats.walked == with_registrations <= len(linter.chunks) // 2
    # A line more above (everything moves down one row), then a syntax error, then back.
    check(linter, "# One more line.\n" + text, config)
    assert linter.stats.parse == "full"
    check(linter, "(\n" + text, config)
    check(linter, text, config)
    assert linter.stats.parse == "full" and linter.stats.walked <= len(linter.chunks) // 2
