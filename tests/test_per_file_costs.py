"""What a parsed file costs beyond its parse: positions only for the statements with reports,
the nesting guard entering only what can be deep; answers the same as doing everything."""

from __future__ import annotations

import ast
import gc
import textwrap
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsense.analyzers import positions, suppression, walk
from agentsense.analyzers.config import Config
from agentsense.analyzers.detect import profiles, registrations
from agentsense.analyzers.detect.profiles import FrameworkProfile
from agentsense.analyzers.detect.registrations import registrations_of
from agentsense.analyzers.engine import lint, nesting_depth
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.fixes import apply_fixes
from agentsense.analyzers.model import Finding
from agentsense.analyzers.positions import Positions
from agentsense.analyzers.project import analyze
from agentsense.analyzers.project_model import FileResult
from agentsense.analyzers.statement_rows import (
    python_statements,
    python_tree,
    statement_rows,
    statement_spans,
)
from agentsense.analyzers.suppression import find_suppressions
from agentsense.server.lsp.workspace_index import summarize_text
from tests.helpers import lint_with


def _generated_statements(
    monkeypatch: pytest.MonkeyPatch, module_of: list[cst.Module]
) -> list[int]:
    """Records the index of each top-level statement whose code positions are generated for."""
    generated: list[int] = []
    real = positions._RecordingState.before_codegen

    def recording(self: positions._RecordingState, node: cst.CSTNode) -> None:
        if module_of and any(node is stmt for stmt in module_of[0].body):
            generated.append(next(i for i, s in enumerate(module_of[0].body) if s is node))
        real(self, node)

    monkeypatch.setattr(positions._RecordingState, "before_codegen", recording)
    return generated


def test_positions_are_generated_only_for_the_statements_with_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = (
        "import os\n\n\n"
        "def first():\n    return os.getcwd()\n\n\n"
        "# the flagged one\n"
        "@staticmethod\n"
        "def second(a=[]):\n    return a\n\n\n"
        "def third():\n    return 3\n"
    )
    seen: list[cst.Module] = []
    real_parse = cst.parse_module

    def parse_and_keep(text: str, *args: object, **kwargs: object) -> cst.Module:
        module = real_parse(text, *args, **kwargs)  # type: ignore[arg-type]
        seen.append(module)
        return module

    monkeypatch.setattr(cst, "parse_module", parse_and_keep)
    generated = _generated_statements(monkeypatch, seen)
    (finding,) = lint_with(source, ("AGT401",))
    assert (finding.span.start.row, finding.span.start.column) == (10, 14)
    assert finding.noqa_row == 10
    assert generated == [2]


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\n# c\n\ny = 2\n",
        "a = 1; b = 2;\nc = 3\n",
        "# lead\n\n@a\n# between\n@ b\ndef f():\n    pass\n\n\n# lead\nasync def g(): pass\n",
        "(\nx\n) = 1\n(\ny\n)\n",
        "@(\na\n).b\nclass C:\n    pass\n",
        "x = 1\r# c\ry = 2\rdef f():\r  pass\r",
        "x = 1\r\n# c\r\n\r\ny = 2\r\n",
        "x = 1\n\x0c\ny = 2\n",
        "async \\\n def f(): pass\nx=1\n",
        "match x:\n    case 1:\n        pass\n# after\ny = 1\n",
        "def f():\n    pass\n    # in block\n# out\n\nx = 1\n",
        'x = """\na\nb"""\ny = 1\n',
        "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\nz = 2",
        # A lone backslash continues onto the next line: libcst holds both in one empty line.
        "x = 1\n\\\n\n\ndef f():\n    pass\n",
        "x = 1\r\n\\\r\n\r\ny = 2\r\n",
    ],
)
def test_statement_rows_are_those_of_the_whole_module_positions(source: str) -> None:
    module = cst.parse_module(source)
    whole = Positions(module)
    assert statement_rows(module, source) == [whole.inclusive_start_line(s) for s in module.body]


@pytest.mark.parametrize(
    "source",
    [
        "@(\na\n)\ndef f():\n    pass\n",  # CPython's row is inside the parentheses
        "@\\\nfoo\ndef f():\n    pass\n",  # the `@` is rows above its expression
        "\ufeffx = 1\n",  # CPython refuses the mark in a text
    ],
)
def test_statement_rows_are_unknown_where_cpython_cannot_tell(source: str) -> None:
    assert statement_rows(cst.parse_module(source), source) is None


_DEEP_SOURCES = {
    "elif chain": "if a:\n    pass\n" + "elif b:\n    pass\n" * 300,
    "operators across lines": "x = (1\n" + " + 1\n" * 400 + ")\n",
    "method chain across lines": "x = (a\n" + "  .b()\n" * 300 + ")\n",
    "brackets across lines": "x = " + "{\n'a':" * 120 + "1" + "}\n" * 120,
    "\\r line ends": "x = (1\r" + " + 1\r" * 400 + ")\r",
    "non-ASCII operands": "x = ('é'\n" + " + 'éé'\n" * 300 + ")\n",
    "f-strings": "x = " + " + ".join(['f"{a:{b}}{c!r}"'] * 150) + "\n",
    "nested blocks": "".join("    " * i + "with a as b:\n" for i in range(95))
    + "    " * 95
    + "pass\n",
}


@pytest.mark.parametrize("source", _DEEP_SOURCES.values(), ids=_DEEP_SOURCES.keys())
def test_nesting_depth_skips_wide_nodes_only_where_they_cannot_be_deep(source: str) -> None:
    tree = ast.parse(source)
    exact = nesting_depth(tree, 10_000)  # everything entered
    for threshold in (30, 60, 200):
        found = nesting_depth(tree, 10_000, threshold, source)
        assert found == exact if exact >= threshold else found < threshold


def test_nesting_depth_does_not_enter_shallow_statements_spanning_lines() -> None:
    source = "def f():\n    return call(\n        first=1,\n        second=[1, 2, 3],\n    )\n"
    tree = ast.parse(source)
    entered: list[ast.AST] = []
    real = ast.iter_child_nodes

    def recording(node: ast.AST) -> Iterator[ast.AST]:
        entered.append(node)
        return real(node)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ast, "iter_child_nodes", recording)
        assert nesting_depth(tree, 10_000, 200, source) == 2
    assert [type(node) for node in entered] == [ast.Module]


def _factory_walks(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Records each call the factory-call search looks up (every call of the statements it
    walks that is not a tool-list call)."""
    looked_up: list[str | None] = []
    real = profiles.profile_for_factory_call

    def recording(qualified: str | None) -> FrameworkProfile | None:
        looked_up.append(qualified)
        return real(qualified)

    monkeypatch.setattr(registrations, "profile_for_factory_call", recording)
    return looked_up


def _registered(source: str, *, with_source: bool = True) -> list[tuple[str, str | None]]:
    text = textwrap.dedent(source)
    facts = ModuleFacts(cst.parse_module(text), source=text if with_source else None)
    return [(r.source, r.name) for r in registrations_of(facts)]


@pytest.mark.parametrize(
    "source",
    [
        # Imports from a framework package, none of them a factory or a prefix of one, and
        # no factory's last word in the text.
        """
        from langchain_core.messages import HumanMessage

        def ask(text: str) -> HumanMessage:
            return HumanMessage(content=text.strip())
        """,
        """
        import fastmcp

        def search(query: str) -> str:
            return query

        server = fastmcp.FastMCP("search")
        """,
    ],
)
def test_no_statement_is_walked_for_factory_calls_that_cannot_resolve(
    monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    walked = _factory_walks(monkeypatch)
    assert _registered(source) == []
    assert walked == []
    # Without the text, only the imports tell: the statements are walked.
    assert _registered(source, with_source=False) == []
    assert walked


# Imports from a framework package, no factory's last word in the text, and a module-level
# binding of a framework instance (which the project index reads through the same facts).
_NO_FACTORY_WORDS = """
import fastmcp

def search(query: str) -> str:
    return query

server = fastmcp.FastMCP("search")
"""


def _facts_built(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Records the `source` each `ModuleFacts` is built with."""
    built: list[str | None] = []
    real = ModuleFacts.__init__

    def recording(self: ModuleFacts, module: cst.Module, **kwargs: Any) -> None:
        built.append(kwargs.get("source"))
        real(self, module, **kwargs)

    monkeypatch.setattr(ModuleFacts, "__init__", recording)
    return built


def test_the_command_lines_analysis_gives_its_facts_the_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`agentsense check` lints through `project.analyze`: one set of facts per file, for the
    lint and both summaries, holding the text (so no statement is walked for factory calls)."""
    walked = _factory_walks(monkeypatch)
    built = _facts_built(monkeypatch)
    result = analyze(_NO_FACTORY_WORDS, "server.py", Config.default())
    assert result.instances == ("server",)
    assert walked == []
    assert built == [_NO_FACTORY_WORDS]


def test_the_workspace_index_gives_its_facts_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = _factory_walks(monkeypatch)
    built = _facts_built(monkeypatch)
    result = summarize_text(_NO_FACTORY_WORDS, "server.py")
    assert result.instances == ("server",)
    assert walked == []
    assert built == [_NO_FACTORY_WORDS]


@pytest.mark.parametrize(
    "source",
    [
        # A factory call, but no module-level function for it (or a tools list) to name.
        """
        from langchain_core.tools import StructuredTool

        class Search:
            def run(self, query: str) -> str:
                return query

        tool = StructuredTool.from_function(func=Search().run)
        """,
        """
        from langchain_core.tools import StructuredTool
        from agno.agent import Agent
        from helpers import search

        tool = StructuredTool.from_function(search)
        agent = Agent(tools=[search])
        """,
    ],
)
def test_no_statement_is_walked_for_factory_calls_without_a_module_function(
    monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    walked = _factory_walks(monkeypatch)
    assert _registered(source) == []
    assert walked == []


@pytest.mark.parametrize(
    "source",
    [
        """
        from langchain_core.tools import StructuredTool

        def search(query: str) -> str:
            \"\"\"Search.\"\"\"
            return query

        tool = StructuredTool.from_function(func=search)
        """,
        """
        import langchain_core.tools

        def search(query: str) -> str:
            \"\"\"Search.\"\"\"
            return query

        tool = langchain_core.tools.StructuredTool.from_function(search)
        """,
        # Spelled out from a package the module imports under another name.
        """
        from langchain_core import tools as lc

        def search(query: str) -> str:
            \"\"\"Search.\"\"\"
            return query

        tool = langchain_core.tools.StructuredTool.from_function(search)
        """,
    ],
)
def test_factory_calls_are_still_found(monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    walked = _factory_walks(monkeypatch)
    assert _registered(source) == [("framework:langchain", "search")]
    assert walked


def test_children_are_the_meaningful_values_of_each_child_field_in_order() -> None:
    # `children` runs code generated per node type from the fields' annotations; the answer
    # is what reading each field in turn gives, for nodes with none, one and many fields.
    source = (
        "import os as o\n@d(x=1)\nasync def f(a: int = 1, *b, **c) -> None:\n"
        "    global g\n    async with o as p, q: yield [i async for i in p if i]\n"
        "    return (lambda: -a)() if a else {**c, 'k': f'{a!r:>{b}}'}\n"
        "class C(B, metaclass=M):\n    x: int = 1; del x\n"
        "match o:\n    case [1, *r] | {'a': _} if r: pass\n"
        "try:\n    pass\nexcept* E as e:\n    raise\nfinally:\n    pass\n"
    )
    stack: list[cst.CSTNode] = [cst.parse_module(source)]
    kinds: set[type[cst.CSTNode]] = set()
    while stack:
        node = stack.pop()
        kinds.add(type(node))
        expected: list[cst.CSTNode] = []
        for field in walk._child_fields(type(node)):
            value = getattr(node, field.name)
            values = value if isinstance(value, (list, tuple)) else [value]
            expected.extend(
                v for v in values if isinstance(v, cst.CSTNode) and not isinstance(v, walk._TRIVIA)
            )
        found = walk.children(node)
        assert len(found) == len(expected) and all(
            a is b for a, b in zip(found, expected, strict=True)
        )
        stack.extend(found)
    assert {cst.Pass, cst.Name, cst.Global, cst.MatchStar, cst.Lambda} <= kinds


def _spans(source: str) -> list[tuple[int, int]] | None:
    return statement_spans(python_statements(python_tree(source)))


def _tokenized_rows(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Records each token `find_suppressions` reads: its row in the text tokenized, and that
    row's text (the piece's rows start at 1)."""
    seen: list[tuple[int, str]] = []
    real = tokenize.generate_tokens

    def recording(readline: Callable[[], str]) -> Iterator[tokenize.TokenInfo]:
        for token in real(readline):
            seen.append((token.start[0], token.line))
            yield token

    monkeypatch.setattr(suppression.tokenize, "generate_tokens", recording)
    return seen


def test_noqa_comments_are_tokenized_only_down_to_the_last_line_that_may_hold_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokenized = _tokenized_rows(monkeypatch)
    body = "def f():\n    return 1\n" * 100
    source = 'import os  # noqa: F401\nx = "# noqa: AGT401"\n' + body
    found = find_suppressions(source)
    assert list(found.by_row) == [1]  # the one in a string is not a comment
    assert max(row for row, _ in tokenized) <= 3
    # A file-level directive may be anywhere: the whole file is read for it.
    tokenized.clear()
    assert find_suppressions("# agentsense: ignore-file\n" + body).file_ignored
    assert max(row for row, _ in tokenized) > 200
    assert find_suppressions(body + "x = 1  # agentsense: ignore-file\n").file_ignored


def test_with_the_statement_spans_only_the_statements_holding_a_directive_are_tokenized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    methods = "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(100))
    source = (
        "import os\n\n"
        f"class Big:\n{methods}"
        "    def last(self, a=[]):  # noqa: AGT401\n        return a\n\n"
        "# agentsense: ignore[AGT101]\n"
        "x = 1\n"
    )
    tokenized = _tokenized_rows(monkeypatch)
    found = find_suppressions(source, _spans(source))
    assert list(found.by_row) == [304, 307]
    assert found == find_suppressions(source)
    # The spans tokenized: the one method (2 rows) and the comment line (alone).
    tokenized.clear()
    find_suppressions(source, _spans(source))
    assert {line for _, line in tokenized if line} == {
        "    def last(self, a=[]):  # noqa: AGT401\n",
        "        return a\n",
        "# agentsense: ignore[AGT101]\n",
    }
    # Without them, every row above the last directive is.
    tokenized.clear()
    find_suppressions(source)
    assert max(row for row, _ in tokenized) >= 307


def test_the_command_line_and_the_workspace_index_read_directives_through_the_spans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(50))
    source += "def g(a=[]):  # noqa: AGT401\n    return a\n"
    tokenized = _tokenized_rows(monkeypatch)
    readers: list[Callable[[], FileResult]] = [
        lambda: analyze(source, "a.py", Config.default()),
        lambda: summarize_text(source, "a.py"),
    ]
    for read in readers:
        result = read()
        assert result.noqa.rows == ((151, ("AGT401",)),)
        assert {line for _, line in tokenized if line} == {
            "def g(a=[]):  # noqa: AGT401\n",
            "    return a\n",
        }
        tokenized.clear()


@pytest.mark.parametrize(
    "source",
    [
        # In a string of a class's statement, in its header, between and after its members.
        'class A(  # noqa: AGT401\n    Base,\n):\n    """# noqa: AGT402"""\n'
        "    # agentsense: ignore[AGT403]\n    x = 1; y = [  # noqa\n    ]\n"
        "    # noqa: AGT404 after the last member\n",
        # A member on the header's row, and on a header spanning rows.
        "class A: x = 1  # noqa: AGT401\nclass B(\n    C): y = 2  # noqa: AGT402\n",
        # Decorators with comments, a statement continuing a row another one starts.
        "@dec  # noqa: AGT401\n@other(\n    1,  # noqa: AGT402\n)\ndef f(): pass\n"
        "x = (\n  1  # noqa\n); y = 2  # noqa: AGT403\n",
        # Backslash continuations and a string holding a comment's text.
        'class A:\n    x = 1 + \\\n2  # noqa: AGT401\n    s = """\n# noqa: AGT402\n"""\n',
        # Words in a string only; a file-level directive in a class.
        "s = 'noqa agentsense:'\nclass A:\n    # agentsense: ignore-file\n    pass\n",
        # Windows line ends, and a lone `\r` (a row to CPython, not to `\n` splitting).
        "class A:\r\n    x = 1  # noqa: AGT401\r\n\r\n# noqa: AGT402\r\ny = 2\r\n",
        "x = 1\ry = 2  # noqa: AGT401\nclass A:\n    z = 3  # noqa: AGT402\n",
    ],
)
def test_the_statement_spans_find_what_tokenizing_the_whole_file_finds(source: str) -> None:
    assert find_suppressions(source, _spans(source)) == find_suppressions(source)


_DIRECTIVES = st.sampled_from(
    ["  # noqa", "  # noqa: AGT401", "  # agentsense: ignore[AGT402]", "  # NOQA:AGT1,AGT2"]
)


# hypothesmith compiles what it generates, and generated code may draw a SyntaxWarning.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@given(
    source=hypothesmith.from_grammar(auto_target=False),
    directives=st.lists(st.tuples(st.integers(0, 200), _DIRECTIVES), max_size=6),
    crlf=st.booleans(),
)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_statement_spans_find_what_tokenizing_the_whole_file_finds_in_any_code(
    source: str, directives: list[tuple[int, str]], crlf: bool
) -> None:
    """Directives appended to rows of generated code (inside strings too, where they are not
    comments): read through the spans, the same as read from the whole file."""
    lines = source.split("\n")
    for row, directive in directives:
        if lines:
            lines[row % len(lines)] += directive
    text = "\n".join(lines)
    if crlf:
        text = text.replace("\n", "\r\n")
    try:
        spans = _spans(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # only what CPython parses has spans
    assert find_suppressions(text, spans) == find_suppressions(text)


def test_directives_are_on_the_rows_the_findings_count_with_any_line_ends() -> None:
    """A lone `\r` ends a row for CPython and libcst, not for `tokenize`'s lines."""
    for end in ("\n", "\r\n", "\r"):
        source = end.join(["x = 1", "y = []  # noqa", "def g(a=[]): return a  # noqa: AGT401", ""])
        assert sorted(find_suppressions(source).by_row) == [2, 3]
        assert lint_with(source, ("AGT401", "AGT900")) == []


def test_noqa_below_strings_holding_the_words_is_still_found() -> None:
    source = (
        'DOC = """\nnoqa here is text\n# noqa: AGT401\n"""\n'
        "def f(a=[]):  # noqa: AGT401\n    return a\n"
        "URL = 'https://example.com/#noqa'\n"
    )
    found = find_suppressions(source)
    assert list(found.by_row) == [5]
    assert lint_with(source, ("AGT401", "AGT900")) == []


def _tree_nodes_left_to_the_collector(run: Callable[[], object]) -> list[object]:
    """The parsed-tree nodes that `run` leaves for the cycle collector (not freed by refcounts)."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    gc.garbage.clear()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        return [o for o in gc.garbage if type(o).__module__.startswith("libcst.")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


_ASYNC_AGENT = """
import asyncio
import time
from agents import function_tool

PROMPT = "You are a helpful agent."


class Worker:
    def __init__(self) -> None:
        self.queue = asyncio.Queue()

    async def run(self, client) -> None:
        time.sleep(1)
        asyncio.create_task(self.step(client))
        loop = asyncio.get_event_loop()
        self.step(client)

    async def step(self, client) -> str:
        return await client.complete(PROMPT)


@function_tool
def lookup(city: str, seen=[]) -> str:
    return city
"""


_EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_SAMPLES = {
    "async agent": _ASYNC_AGENT,
    **{p.relative_to(_EXAMPLES).as_posix(): p.read_text() for p in _EXAMPLES.rglob("*.py")},
}


@pytest.mark.parametrize("name", sorted(_SAMPLES))
def test_a_linted_files_tree_is_freed_without_the_cycle_collector(name: str) -> None:
    # A cycle through the tree (a per-file index pointing back at its file's context or
    # facts) kept every file's tree for a full collection: ~14% of a CLI run's time.
    findings: list[list[Finding]] = []
    left = _tree_nodes_left_to_the_collector(lambda: findings.append(lint(_SAMPLES[name], name)))
    assert findings[0] or name != "async agent"  # the rules ran (and reported) on the sample
    assert left == []


def test_a_mutable_default_fix_rebuilds_the_parameters_not_the_whole_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`deep_replace` copies every node under the one it is called on, but for the node it
    replaces: called on the function to replace a parameter, it copied the whole body on
    every lint of a file with a mutable default. (Rendering the fix replaces the function
    itself, which walks nothing under it.)"""
    body = "".join(f"    total += {i}\n" for i in range(50))
    source = f"def collect(items=[]):\n    total = 0\n{body}    return items\n"
    walked_into: list[str] = []
    real = cst.CSTNode.deep_replace

    def recording(self: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
        if old is not self:
            walked_into.append(type(self).__name__)
        return real(self, old, new)  # type: ignore[return-value]

    monkeypatch.setattr(cst.CSTNode, "deep_replace", recording)
    (finding,) = lint_with(source, ["AGT401"])
    assert finding.fix is not None
    fixed, applied = apply_fixes(source, [finding.fix])
    assert applied == 1
    assert fixed.startswith("def collect(items=None):\n    if items is None:\n        items = []\n")
    assert fixed.endswith(f"    total = 0\n{body}    return items\n")
    assert walked_into == ["Parameters"]
