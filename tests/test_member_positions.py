"""A one-shot lint places a finding in a top-level class by the class's own part and the body
statement holding it (the editor's `MemberRows`, rows read from CPython's parse), never by
generating the whole class; every span stays what whole-module positions give."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
import pytest

from agentsense.analyzers import engine, positions
from agentsense.analyzers.context import FileContext, PendingReport
from agentsense.analyzers.model import Finding
from agentsense.analyzers.notebook import findings_to_cells, join_cells
from agentsense.analyzers.positions import MemberRows, Positions, StatementPositions
from agentsense.analyzers.statement_rows import member_rows, python_statements_of, statement_rows
from agentsense.analyzers.walk import iter_subtree
from tests.helpers import lint_with


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> list[cst.CSTNode]:
    """Each node whose code is generated for positions from the top (a whole module, a
    top-level statement, a class's own part or one statement of its body)."""
    roots: list[cst.CSTNode] = []
    real = positions._RecordingState.before_codegen

    def recording(self: positions._RecordingState, node: cst.CSTNode) -> None:
        if not self._stack:
            roots.append(node)
        real(self, node)

    monkeypatch.setattr(positions._RecordingState, "before_codegen", recording)
    return roots


def _whole_module_findings(
    monkeypatch: pytest.MonkeyPatch, source: str, codes: tuple[str, ...]
) -> list[Finding]:
    """The findings with every node's positions computed (no rows known)."""
    with monkeypatch.context() as patched:
        patched.setattr(engine, "statement_rows", lambda *args: None)
        return lint_with(source, codes)


def _long_class(flagged: str, at: int, methods: int = 30) -> str:
    body = [f"    def m{i}(self):\n        return {i}\n\n" for i in range(methods)]
    body.insert(at, flagged)
    return 'import os\n\n\nclass Long:\n    """Doc."""\n\n' + "".join(body) + "\nx = 1\n"


def test_a_finding_deep_in_a_long_class_generates_its_method_only(
    monkeypatch: pytest.MonkeyPatch, generated: list[cst.CSTNode]
) -> None:
    source = _long_class("    def flagged(self, a=[]):\n        return a\n\n", at=20)
    expected = _whole_module_findings(monkeypatch, source, ("AGT401",))
    generated.clear()
    findings = lint_with(source, ("AGT401",))
    assert findings == expected
    assert findings[0].span.start.row == 6 + 3 * 20 + 1
    own, member = generated
    # The class's own part: its header, with stand-ins for the statements of its body.
    assert type(own) is cst.ClassDef and own.name.value == "Long"
    assert isinstance(own.body, cst.IndentedBlock)
    assert all(type(s) is positions._Rows for s in own.body.body)
    assert type(member) is cst.FunctionDef and member.name.value == "flagged"


def test_findings_in_two_methods_generate_those_two(
    monkeypatch: pytest.MonkeyPatch, generated: list[cst.CSTNode]
) -> None:
    source = _long_class("    def one(self, a=[]):\n        return a\n\n", at=3)
    source = source.replace("    def m25(self):", "    def two(self, b={}):")
    expected = _whole_module_findings(monkeypatch, source, ("AGT401",))
    generated.clear()
    assert lint_with(source, ("AGT401",)) == expected
    names = [n.name.value for n in generated if isinstance(n, cst.FunctionDef | cst.ClassDef)]
    assert names == ["Long", "one", "two"]


def test_a_suppression_on_the_method_line_still_applies(generated: list[cst.CSTNode]) -> None:
    flagged = "    def flagged(self, a=[]):  # noqa: AGT401\n        return a\n\n"
    source = _long_class(flagged, at=12)
    assert lint_with(source, ("AGT401",)) == []
    names = [n.name.value for n in generated if isinstance(n, cst.FunctionDef | cst.ClassDef)]
    assert names == ["Long", "flagged"]


_CLASSES = {
    "decorators, docstring, comments, semicolons, nested class, footer": (
        "import os\n\n# lead\n@decorator(\n    arg,\n)\n"
        "class A(Base, metaclass=M):  # trailing\n"
        '    """Doc."""\n\n'
        "    # before x\n    x = 1; y = 2\n\n"
        "    @staticmethod\n    # between\n    @other\n    def f(a=[]):\n"
        "        return a\n        # in f's block\n\n"
        "    class Inner:\n        def g(self, b={}):\n            return b\n"
        "    # class footer\n\n\n# before B\nclass B:\n    pass\n"
    ),
    "last in the file, no final line break": "class A:\n    x = 1\n    def f(self):\n        pass",
    "last in the file, comments after": "class A:\n    x = 1\n\n    y = 2\n  # odd\n\n# end\n",
    "CRLF": "class A:\r\n    x = 1\r\n\r\n    def f(self):\r\n        pass\r\n",
    "CR": "class A:\r    x = 1\r    def f(self):\r        pass\r# c\rz = 1\r",
    "body indented unlike the module": (
        "def g():\n    pass\nclass A:\n  x = 1\n  def f(self):\n      return 1\n"
    ),
    "tabs": "class A:\n\tx = 1\n\n\tdef f(self):\n\t\treturn 1\n",
    "strings and continuations": (
        'class A:\n    x = """\na\n"""\n    y = \\\n        2\n    z = (\n1)\n    def f(): pass\n'
    ),
    "compound statements": (
        "class A:\n    if a:\n        x = 1\n    else:\n        x = 2\n"
        "    async def f(self):\n        match x:\n            case 1:\n                pass\n"
        "    # footer\n# after\ny = 1\n"
    ),
    "form feed": "class A:\n    x = 1\n\x0c\n    def f(self):\n        pass\n",
    "one statement": "class A:\n    pass\n",
    # A lone backslash continues onto the next line: libcst holds both in one empty line.
    "backslash lines": (
        "class A:\n    x = 1\n    \\\n\n    def f(self):\n        pass\n    \\\n\n"
        "\\\n\ndef g():\n    pass\n"
    ),
}


def _nodes_outside(root: cst.CSTNode, members: tuple[cst.CSTNode, ...]) -> Iterator[cst.CSTNode]:
    """The nodes of `root` that are in none of `members`."""
    stack = [root]
    while stack:
        node = stack.pop()
        if any(node is m for m in members):
            continue
        yield node
        stack.extend(node.children)


@pytest.mark.parametrize("source", _CLASSES.values(), ids=_CLASSES.keys())
def test_member_positions_are_the_whole_module_positions(
    source: str, generated: list[cst.CSTNode]
) -> None:
    module = cst.parse_module(source)
    whole = Positions(module)
    python = python_statements_of(source)
    assert python is not None
    rows = statement_rows(module, source, python)
    assert rows is not None
    classes = [i for i, stmt in enumerate(module.body) if type(stmt) is cst.ClassDef]
    found = member_rows(module, source, rows, python, classes)
    assert sorted(found) == classes
    generated.clear()
    for index in classes:
        cls = module.body[index]
        assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
        members = cls.body.body
        for member in members:
            # Placed alone: a fresh table with this class cut at its statements.
            placed = StatementPositions(module, rows, members={index: MemberRows(found[index])})
            placed.ensure(member)
            for node in iter_subtree(member):
                assert placed.span(node) == whole.span(node)
                assert placed.inclusive_start_line(node) == whole.inclusive_start_line(node)
        placed = StatementPositions(module, rows, members={index: MemberRows(found[index])})
        placed.ensure(members[-1])
        for node in _nodes_outside(cls, members):  # the class itself last (its end)
            assert placed.inclusive_start_line(node) == whole.inclusive_start_line(node)
            assert placed.span(node) == whole.span(node)
    assert not any(type(node) is cst.Module for node in generated)  # never the fallback


@pytest.mark.parametrize(
    "source",
    [
        "class A: x = 1\n",  # a one-line body has no statements to cut at
        "class A:\n    @(\n    a\n    )\n    def f(self):\n        pass\n",  # CPython's row differs
    ],
)
def test_classes_whose_statements_cannot_be_cut_are_left_out(source: str) -> None:
    module = cst.parse_module(source)
    python = python_statements_of(source)
    assert python is not None
    rows = statement_rows(module, source, python)
    assert rows is not None
    assert member_rows(module, source, rows, python, [0]) == {}


_FINDINGS = {
    "the class line itself": (
        "class Event:\n    __slots__ = ('kind', 'payload')\n\n"
        "class ToolEvent(Event):\n    __slots__ = ('payload', 'tool_name')\n\n"
        "    def f(self, a=[]):\n        return a\n",
        ("AGT409", "AGT401"),
    ),
    "decorated method and nested class": (_CLASSES[next(iter(_CLASSES))], ("AGT401",)),
    "one-line class body": (
        "class A: x = []\nclass B:\n    def f(self, a=[]): pass\n",
        ("AGT401",),
    ),
    "semicolons": (
        "class A:\n    x = 1; y = 2\n    def f(self, a=[]): return a\n    z = 3\n",
        ("AGT401",),
    ),
    "a method decorator CPython places elsewhere (the class is whole)": (
        "class A:\n    @(\n    a\n    )\n    def f(self, x=[]):\n        pass\n",
        ("AGT401",),
    ),
    "a fix that adds an import": (
        "import json\nimport time\n\nclass A:\n    x = 1\n\n    async def f(self):\n"
        "        time.sleep(1)\n        return 1\n",
        ("AGT501",),
    ),
}


@pytest.mark.parametrize(("source", "codes"), _FINDINGS.values(), ids=_FINDINGS.keys())
def test_findings_in_classes_are_those_of_whole_module_positions(
    monkeypatch: pytest.MonkeyPatch, source: str, codes: tuple[str, ...]
) -> None:
    expected = _whole_module_findings(monkeypatch, source, codes)
    assert {f.code for f in expected} == set(codes)  # each source has findings to compare
    assert lint_with(source, codes) == expected


def test_notebook_cells_with_classes_get_the_same_findings(
    monkeypatch: pytest.MonkeyPatch, generated: list[cst.CSTNode]
) -> None:
    cell = "class A:\n    x = 1\n\n    def f(self, a=[]):\n        return a\n    # end of cell\n"
    joined = join_cells([(1, "import os\n"), (2, cell), (4, cell.replace("A", "B")), (5, "y=1")])
    expected = _whole_module_findings(monkeypatch, joined.source, ("AGT401",))
    generated.clear()
    findings = lint_with(joined.source, ("AGT401",))
    assert findings == expected
    cells = findings_to_cells(findings, joined)
    assert [(f.cell, f.span.start.row) for f in cells] == [(2, 4), (4, 4)]
    assert [type(n).__name__ for n in generated] == ["ClassDef", "FunctionDef"] * 2


def test_a_report_pointing_at_another_member_computes_the_class_not_the_module(
    generated: list[cst.CSTNode],
) -> None:
    source = _long_class("    def flagged(self, a=[]):\n        return a\n\n", at=5)
    module = cst.parse_module(source)
    cls = module.body[1]
    assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
    walked, other = cls.body.body[6], cls.body.body[20]
    assert isinstance(walked, cst.FunctionDef) and isinstance(other, cst.FunctionDef)
    context = FileContext(source, "t.py", module)
    context.reports.append(
        PendingReport("AGT401", walked.name, None, "m", None, (), cls, ((other.name, "n"),), walked)
    )
    whole = Positions(module)
    generated.clear()
    placed = engine._report_positions(context, python_statements_of(source))
    for node in (walked.name, other.name):
        assert placed.span(node) == whole.span(node)
    assert not any(type(node) is cst.Module for node in generated)
    assert sum(type(node) is cst.FunctionDef for node in generated) == 31  # every member
