"""Edits inside a class body re-parse and re-walk the members they touch, and the findings
stay exactly what a full lint returns."""

from __future__ import annotations

import textwrap
from typing import Any

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsense.analyzers import engine
from agentsense.analyzers.config import Config
from agentsense.analyzers.engine import lint, lint_statements, parse
from agentsense.analyzers.fixes import code_in_block
from agentsense.analyzers.incremental import Chunk, IncrementalLinter
from agentsense.analyzers.positions import MemberRows
from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.rule import Rule
from agentsense.analyzers.suppression import find_suppressions
from tests.helpers import config_for
from tests.lsp.agent_code import agent_class_module, line_inside_method
from tests.lsp.test_incremental import PATH, check

CLASSES = textwrap.dedent(
    '''\
    """Classes of every kind, for edits inside their bodies."""
    import asyncio
    import functools
    import time

    from agentsense.runtime.registry import Agent, BaseTool, tool


    def trace(fn):
        return fn


    @functools.total_ordering
    class Desk(Agent, agent_type="desk"):
        """A desk agent."""

        retries = 3
        history = []

        def __init__(self, client):
            self.client = client

        # a comment between methods

        @property
        def name(self):
            return "desk"

        @trace
        def search(self, query, cache={}):
            results = []
            for index in range(3):
                results.append(f"{query} {index}")
            return results
            # a comment the method's body owns

        async def fetch(self, url):
            await asyncio.sleep(1)
            return url

    # a comment at the left margin between methods
        def ask(self, question):
            reply = self.client.chat(question)
            return eval(reply)

        class Inner:
            def step(self, items=[]):
                return items

        @staticmethod
        def helper(value, seen=set()):
            return value
        # the class's last comment


    class Weather(BaseTool):
        name = "weather"
        description = "The weather."

        def execute(self, city: str) -> str:
            return city

        async def wait(self):
            time.sleep(1)


    def outer():
        class Local:
            def run(self, a=[]):
                return a
        return Local
    '''
)

EDITS = (
    ('results.append(f"{query} {index}")', 'results.append(f"{query}! {index}")'),  # body only
    ("        return results\n", "        return results + []\n"),
    ("        await asyncio.sleep(1)\n", "        time.sleep(1)\n"),  # blocking in a coroutine
    ("        await asyncio.sleep(1)\n", "        yield 1\n"),  # a generator now
    ("        return eval(reply)", "        return reply"),  # a finding goes
    ("    @property\n", ""),  # a decorator goes (the interface)
    ("    def name(self):\n", "    def name(self, x=[]):\n"),  # a signature
    ("    retries = 3\n", "    retries = 4\n"),  # a class-level assignment
    ("    # a comment between methods\n", "    # another comment\n"),
    ("    # a comment between methods\n", "        # now indented deeper\n"),
    ("    # a comment the method's body owns\n", "    # now the next method's\n"),
    ("    # the class's last comment\n", ""),
    ("        self.client = client", "        self.client = client or None"),  # a dunder body
    ("            return items", "            return list(items)"),  # a nested class
    ("        return value", "        return value  # noqa: AGT401"),
    ("        return results\n", "        return (results\n"),  # a syntax error
    ("        return results\n", '        return """results\n'),  # an open string
    ("        reply = self.client", "    reply = self.client"),  # a bad dedent
    ("    async def fetch(self, url):", "async def fetch(self, url):"),  # leaves the class
    ("        return city", "        return city.strip()"),  # a tool's method
    (
        "        time.sleep(1)\n",
        "        time.sleep(1)\n\n    def extra(self, a={}):\n        pass\n",
    ),
    (
        "        return url\n",
        "        return url\n\n    def added(self, b=[]):\n        return b\n",
    ),
    ("    def helper(value, seen=set()):\n        return value\n", ""),  # a method goes
    ("    def search", "    def search"),  # unchanged
)


@pytest.mark.parametrize(("old", "new"), EDITS)
def test_edits_inside_class_bodies_match_a_full_lint(old: str, new: str) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, CLASSES, config)
    # A first edit inside the class cuts it at its members.
    warm = CLASSES.replace('return "desk"', 'return "desk!"', 1)
    check(linter, warm, config)
    assert old in warm, old
    edited = warm.replace(old, new, 1)
    check(linter, edited, config)
    check(linter, warm, config)  # and back
    check(linter, edited, config)
    check(linter, edited.replace(new, new + new, 1) if new else edited, config)


def test_a_method_turned_into_a_syntax_error_and_back() -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    text = CLASSES
    check(linter, text, config)
    text = text.replace("return results\n", "return results or []\n", 1)
    check(linter, text, config)
    for broken in ("return (results or []\n", "return results or [\n", 'return """results\n'):
        check(linter, text.replace("return results or []\n", broken, 1), config)
        assert linter.stats.parse == "syntax-error"
        check(linter, text, config)
    check(linter, text.replace("return results or []\n", "return results\n", 1), config)
    assert linter.stats.parse == "incremental"


def _members_of_class(text: str) -> int:
    module = cst.parse_module(text)
    cls = next(s for s in module.body if isinstance(s, cst.ClassDef))
    assert isinstance(cls.body, cst.IndentedBlock)
    return sum(1 for s in cls.body.body if not isinstance(s, cst.FunctionDef))


def test_an_edit_inside_a_method_walks_that_method_only(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config.default()
    text = agent_class_module(600)
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    rows = [i for i, line in enumerate(text.splitlines()) if "results.append(f" in line]
    walked: list[cst.CSTNode] = []
    real = engine._walk_subtree

    def counting(root: cst.CSTNode, *args: Any, **kwargs: Any) -> None:
        walked.append(root)
        real(root, *args, **kwargs)

    for number, row in enumerate((rows[1], rows[len(rows) // 2], rows[-1], rows[1])):
        lines = text.splitlines(keepends=True)
        lines[row] = lines[row].replace('f"', 'f"x', 1)
        text = "".join(lines)
        monkeypatch.setattr(engine, "_walk_subtree", counting)
        check(linter, text, config)
        monkeypatch.undo()
        assert linter.stats.parse == "incremental"
        assert linter.stats.walked == 1
        if number > 0:  # the first edit cuts the class and walks it whole
            # The edited method and the class's statements that are not methods.
            assert linter.stats.members == 1 + _members_of_class(text)
            methods = [n for n in walked if isinstance(n, cst.FunctionDef)]
            assert [m.name.value for m in methods] == [f"search_{_shard(lines[row])}"]
        walked.clear()


def _shard(line: str) -> str:
    return line.rsplit("from shard ", 1)[1].split('"', 1)[0]


def test_the_class_is_spliced_not_reparsed() -> None:
    config = Config.default()
    text = agent_class_module(400)
    linter = IncrementalLinter(PATH)
    linter.lint(text, config)
    for number in range(2):
        row = line_inside_method(text, near=0.3 + 0.3 * number)
        lines = text.splitlines(keepends=True)
        lines[row] = lines[row].replace("results = []", "results = [0]")
        text = "".join(lines)
        assert linter.module is not None
        before = linter.module.body[-1]
        assert isinstance(before, cst.ClassDef) and isinstance(before.body, cst.IndentedBlock)
        check(linter, text, config)
        after = linter.module.body[-1]
        assert isinstance(after, cst.ClassDef) and isinstance(after.body, cst.IndentedBlock)
        kept = sum(1 for a, b in zip(before.body.body, after.body.body, strict=True) if a is b)
        assert kept == len(before.body.body) - 1


def test_a_spliced_class_derives_what_a_fresh_chunk_derives() -> None:
    # The class's interface, names and statements are assembled from per-member parts.
    config = Config.default()
    linter = IncrementalLinter(PATH)
    text = CLASSES
    linter.lint(text, config)
    for old, new in EDITS[:6]:
        text = text.replace(old, new, 1)
        linter.lint(text, config)
        assert linter.module is not None
        for chunk in linter.chunks:
            fresh = Chunk.build(chunk.text, chunk.statement, linter.module)
            assert chunk.interface == fresh.interface
            assert chunk.exposed == fresh.exposed
            assert chunk.statements == fresh.statements
            assert chunk.bindings == fresh.bindings


@st.composite
def class_edit(draw: st.DrawFn, text: str) -> str:
    """One edit on a row inside the body of the file's first top-level class."""
    lines = text.splitlines(keepends=True)
    inside = [
        row
        for row, line in enumerate(lines)
        if line[:1] in (" ", "\t", "\n") and any(x.startswith("class Desk") for x in lines[:row])
    ]
    row = draw(st.sampled_from(inside or [0]))
    line = lines[row]
    kind = draw(st.sampled_from(["insert", "delete", "line", "indent", "dedent", "dup"]))
    if kind == "insert":
        column = draw(st.integers(0, len(line.rstrip("\n"))))
        lines[row] = line[:column] + draw(st.sampled_from(SNIPPETS)) + line[column:]
    elif kind == "delete":
        offset = sum(len(x) for x in lines[:row]) + draw(st.integers(0, len(line)))
        return text[:offset] + text[offset + draw(st.integers(1, 30)) :]
    elif kind == "line":
        del lines[row]
    elif kind == "indent":
        lines[row] = "    " + line
    elif kind == "dedent":
        lines[row] = line[4:] if line.startswith("    ") else line.lstrip(" ")
    else:
        lines.insert(row, line)
    return "".join(lines)


SNIPPETS = (
    "\n",
    "    ",
    "x",
    "(",
    ")",
    '"""',
    "\\\n",
    "yield 1\n",
    "await ",
    "  # noqa: AGT401",
    "    # note\n",
    "# margin\n",
    "        # deeper\n",
    "    @property\n",
    "    def extra(self, a=[]):\n        return a\n",
    "    async def later(self):\n        time.sleep(1)\n",
    "    limit = 3\n",
    "else:\n",
    "eval(reply)\n",
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_edits_inside_a_class_match_full_lint(data: st.DataObject) -> None:
    config = Config.default()
    text = CLASSES
    linter = IncrementalLinter(PATH)
    check(linter, text, config)
    for _ in range(data.draw(st.integers(2, 8), label="edits")):
        text = data.draw(class_edit(text), label="edit")
        check(linter, text, config)


def _member_findings(source: str, select: tuple[str, ...], alone: bool) -> set[Any]:
    """What `lint_statements` reports walking each top-level class member by member (each
    member alone with `alone`), with everything else walked whole."""
    module = parse(source)
    assert isinstance(module, cst.Module)
    config = config_for(select)
    members: dict[int, tuple[list[int], MemberRows]] = {}
    for index, stmt in enumerate(module.body):
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            texts = [code_in_block(module, m, module.default_indent) for m in stmt.body.body]
            rows = MemberRows([text.count("\n") for text in texts], [None] * len(texts))
            members[index] = (list(range(len(texts))), rows)
    if not members:
        return set()
    choices: list[dict[int, tuple[list[int], MemberRows]]] = [members]
    if alone:
        choices = [
            {index: ([position], rows)}
            for index, (listed, rows) in members.items()
            for position in listed
        ]
    found: set[Any] = set()
    for chosen in choices:
        result = lint_statements(
            module,
            source,
            "example.py",
            config,
            config.enabled_codes("example.py"),
            find_suppressions(source),
            statements=list(chosen),
            statement_rows=[1] * len(module.body),  # the rows are not compared
            members=chosen,
        )
        found.update(
            (origin, f.code, f.span, f.message)
            for origin, f in result.findings
            if isinstance(origin, tuple)
        )
    return found


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_each_class_member_walked_alone_reports_what_the_whole_walk_reports(
    rule: type[Rule],
) -> None:
    # The editor re-walks only the methods an edit touched: a rule must not carry state
    # from one member's walk to the next (the class's own part is walked every time).
    select = rule.example_select or (rule.code,)
    for example in (*rule.flagged, *rule.clean):
        if not isinstance(parse(example.source), cst.Module):
            continue
        whole = _member_findings(example.source, select, alone=False)
        assert _member_findings(example.source, select, alone=True) == whole, example.source


def test_findings_of_a_member_walk_match_a_full_lint() -> None:
    # The same through `lint_statements` with every member listed: the spans and fixes
    # positioned member by member equal the whole module's.
    config = Config.default()
    module = parse(CLASSES)
    assert isinstance(module, cst.Module)
    members: dict[int, tuple[list[int], MemberRows]] = {}
    rows = []
    row = 1 + sum(1 for _ in module.header)
    for index, stmt in enumerate(module.body):
        rows.append(row)
        row += module.code_for_node(stmt).count("\n")
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            texts = [code_in_block(module, m, module.default_indent) for m in stmt.body.body]
            counts = MemberRows([text.count("\n") for text in texts], [None] * len(texts))
            members[index] = (list(range(len(texts))), counts)
    result = lint_statements(
        module,
        CLASSES,
        PATH,
        config,
        config.enabled_codes(PATH),
        find_suppressions(CLASSES),
        statements=range(len(module.body)),
        statement_rows=rows,
        members=members,
    )
    got = sorted((f for _, f in result.findings), key=lambda f: (f.span.start, f.code))
    want = [f for f in lint(CLASSES, PATH, config) if f.code not in ("AGT001", "AGT900")]
    assert got == want
    assert any(isinstance(origin, tuple) for origin, _ in result.findings)


def test_the_members_of_a_class_below_move_with_an_edit_above() -> None:
    # `Weather` is cut at its members by an edit inside it; then a line added in `Desk`
    # moves the finding kept by its method `wait` one row down.
    config = Config.default()
    linter = IncrementalLinter(PATH)
    text = CLASSES
    check(linter, text, config)
    text = text.replace("        return city", "        return city.strip()", 1)
    check(linter, text, config)
    text = text.replace(
        "        return url\n", "        url = url.strip()\n        return url\n", 1
    )
    check(linter, text, config)
    assert linter.stats.parse == "incremental" and linter.stats.walked == 1


REGISTERED = textwrap.dedent(
    '''\
    """Methods registered as tools, in an agent class and a plain class."""
    from agentsense.runtime.registry import Agent, BaseTool, tool


    class Desk(Agent, agent_type="desk"):
        """A desk agent."""

        @tool
        def search(self, query: str) -> str:
            """Search the desk."""
            return query

        @tool(name="desk_lookup")
        def look(self, key: str, cache={}) -> str:
            """Look a key up."""
            return key

        def plain(self, value):
            step = 1
            return value + step


    class Shelf:
        @tool
        def fetch(self, book: str) -> str:
            """Fetch a book."""
            return book

        def count(self):
            total = 0
            return total


    class Weather(BaseTool):
        name = "weather"
        description = "The weather."

        def execute(self, city: str) -> str:
            return city

        def unit(self):
            kind = "C"
            return kind
    '''
)


def _registered_members(linter: IncrementalLinter, cls: str) -> dict[str, object]:
    """The kept registrations of a class's methods, by method name."""
    chunk = next(
        c
        for c in linter.chunks
        if isinstance(c.statement, cst.ClassDef) and c.statement.name.value == cls
    )
    return {
        reg.definition.name.value: reg
        for reg in chunk.registrations or ()
        if isinstance(reg.definition, cst.FunctionDef)
    }


@pytest.mark.parametrize(
    ("cls", "old"),
    [("Desk", "step = 1"), ("Shelf", "total = 0"), ("Weather", 'kind = "C"')],
)
def test_an_edit_beside_registered_methods_does_not_walk_them(cls: str, old: str) -> None:
    # Registrations are extracted anew after a member splice (the class node is new); those
    # of the methods the edit did not touch say the same and keep their objects, so only
    # the edited method (with the class's statements that are not methods) is walked.
    config = Config.default()
    linter = IncrementalLinter(PATH)
    text = REGISTERED
    check(linter, text, config)
    registered = _registered_members(linter, cls)
    assert registered or cls == "Weather"
    for number in range(4):
        new = (
            old.replace("1", str(number + 2))
            if "1" in old
            else old.replace("C", "C" * (number + 2))
        )
        new = new if new != old else old + " or 0"
        text = text.replace(old, new, 1)
        old = new
        check(linter, text, config)
        assert linter.stats.parse == "incremental" and linter.stats.walked == 1
        if number > 0:  # the first edit cuts the class and walks it whole
            assert linter.stats.members == 1 + _members_of_class_named(text, cls)
            kept = _registered_members(linter, cls)
            assert kept.keys() == registered.keys()
            assert all(kept[name] is registered[name] for name in kept)
        registered = _registered_members(linter, cls)


def _members_of_class_named(text: str, name: str) -> int:
    """How many statements of the class's body are not methods (walked with it every time)."""
    module = parse(text)
    assert isinstance(module, cst.Module)
    cls = next(s for s in module.body if isinstance(s, cst.ClassDef) and s.name.value == name)
    assert isinstance(cls.body, cst.IndentedBlock)
    return sum(1 for s in cls.body.body if not isinstance(s, cst.FunctionDef))


REGISTERED_EDITS = (
    ("        return query\n", "        return query.strip()\n"),  # a tool's body
    ('        """Search the desk."""\n', ""),  # a tool loses its description
    ("def search(self, query: str)", "def search(self, query)"),  # a parameter's type
    ("def search(self, query: str)", "def search(self, query: str, limit: int = 3)"),
    ('@tool(name="desk_lookup")', '@tool(name="search")'),  # a duplicate name
    ('@tool(name="desk_lookup")', '@tool(name="bad name!")'),
    ("    @tool\n    def fetch", "    def fetch"),  # no longer registered
    ("    def count(self):", "    @tool\n    def count(self):"),  # registered now
    ("        return city\n", "        return city.upper()\n"),  # a tool's entry
    ("def execute(self, city: str)", "def execute(self, city)"),
    ('    name = "weather"\n', '    name = "search"\n'),  # a class-level name
    ("        step = 2\n", "        step = eval('1')\n"),  # a finding in a plain method
)


@pytest.mark.parametrize(("old", "new"), REGISTERED_EDITS)
def test_edits_around_registered_methods_match_a_full_lint(old: str, new: str) -> None:
    config = Config.default()
    linter = IncrementalLinter(PATH)
    check(linter, REGISTERED, config)
    # First edits inside each class cut them at their members.
    warm = REGISTERED
    for before, after in (("step = 1", "step = 2"), ("total = 0", "total = 1"), ('"C"', '"K"')):
        warm = warm.replace(before, after, 1)
        check(linter, warm, config)
    assert old in warm, old
    edited = warm.replace(old, new, 1)
    check(linter, edited, config)
    check(linter, warm, config)  # and back
    check(linter, edited, config)
    for before, after in (("step = 2", "step = 3"), ("total = 1", "total = 2"), ('"K"', '"F"')):
        edited = edited.replace(before, after, 1)
        check(linter, edited, config)
