"""Engine behaviour: suppressions, syntax errors, fixes, positions and robustness."""

from __future__ import annotations

from typing import Any

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsense.analyzers.engine import fix_source, lint, lint_statements, parse
from agentsense.analyzers.fixes import LineIndex, apply_fixes
from agentsense.analyzers.model import Applicability, Edit, Fix, Location, Span
from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.rule import Rule
from agentsense.analyzers.suppression import find_suppressions
from tests.helpers import config_for, lint_with

MUTABLE = "def f(a=[]):\n    return a\n"


def codes(source: str, select: tuple[str, ...] = ("ALL",)) -> list[str]:
    return [f.code for f in lint_with(source, select)]


def test_finding_has_one_based_range_and_metadata() -> None:
    (finding,) = lint_with(MUTABLE, ["AGT401"])
    assert finding.span == Span(Location(1, 9), Location(1, 11))
    assert finding.name == "mutable-default-argument"
    assert finding.noqa_row == 1
    assert finding.fix is not None and finding.fix.applicability is Applicability.SAFE


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: AGT401",
        "# noqa:AGT401,AGT302",
        "# NOQA",
        "# agentsense: ignore[AGT401]",
        "# agentsense: ignore",
    ],
)
def test_line_suppressions(comment: str) -> None:
    source = f"def f(a=[]):  {comment}\n    return a\n"
    assert "AGT401" not in codes(source)


def test_noqa_for_another_code_does_not_suppress() -> None:
    source = "def f(a=[]):  # noqa: AGT302\n    return a\n"
    assert codes(source, ("AGT401", "AGT302", "AGT900")) == ["AGT401", "AGT900"]


def test_noqa_on_first_line_of_multiline_statement() -> None:
    source = "def f(  # noqa: AGT401\n    a=[],\n):\n    return a\n"
    assert codes(source) == []


def test_noqa_inside_string_is_not_a_comment() -> None:
    source = 'def f(a=[], b="# noqa: AGT401"):\n    return a\n'
    assert codes(source, ("AGT401",)) == ["AGT401"]


def test_file_level_ignore() -> None:
    assert codes("# agentsense: ignore-file\n" + MUTABLE) == []


def test_unused_noqa_for_unknown_code_is_reported() -> None:
    (finding,) = lint_with("x = 1  # noqa: AGT999\n", ["ALL"])
    assert finding.code == "AGT900" and "unknown code" in finding.message


def test_unused_noqa_for_disabled_rule_is_not_reported() -> None:
    assert codes("x = 1  # noqa: AGT401\n", ("AGT900",)) == []


def test_unused_noqa_fix_keeps_other_comment_text() -> None:
    source = "x = 1  # noqa: AGT401 keep this\n"
    fixed, applied, remaining = fix_source(source, "x.py", config_for(["ALL"]))
    assert applied == 1 and remaining == []
    assert fixed == "x = 1  # keep this\n"


@pytest.mark.parametrize(
    ("source", "row"),
    [("def f(:\n  pass\n", 1), ("x = [\n", 1), ("\tdef f():\n  pass\n", 1), ("a b c\n", 1)],
)
def test_syntax_error_is_one_finding_at_the_error(source: str, row: int) -> None:
    (finding,) = lint(source, "bad.py")
    assert finding.code == "AGT001" and finding.span.start.row == row
    assert finding.message.startswith("syntax error")


def test_deeply_nested_expression_does_not_crash() -> None:
    source = "x = " + "(" * 200 + "1" + ")" * 200 + "\n" + "y = " + "1 + " * 1000 + "1\n"
    lint(source, "deep.py")  # no exception; any findings are fine


def test_empty_and_whitespace_files() -> None:
    for source in ["", "\n", "   \n\n", "# just a comment\n", "\ufeffx = 1\n"]:
        assert lint(source, "empty.py") == []


def test_crlf_file_fix_keeps_line_endings() -> None:
    source = MUTABLE.replace("\n", "\r\n")
    fixed, applied, _ = fix_source(source, "x.py", config_for(["AGT401"]))
    assert applied == 1
    assert "\r\n" in fixed and "\n" not in fixed.replace("\r\n", "")
    cst.parse_module(fixed)


def test_file_without_trailing_newline_fix() -> None:
    fixed, applied, _ = fix_source("def f(a=[]): return a", "x.py", config_for(["AGT401"]))
    assert applied == 1
    assert fixed == "def f(a=None):\n    if a is None:\n        a = []\n    return a"


def test_overlapping_fixes_apply_one_at_a_time() -> None:
    edit = Edit(Span(Location(1, 1), Location(1, 2)), "y")
    other = Edit(Span(Location(1, 1), Location(1, 3)), "zz")
    fixes = [Fix("a", (edit,), Applicability.SAFE), Fix("b", (other,), Applicability.SAFE)]
    assert apply_fixes("xx = 1\n", fixes) == ("yx = 1\n", 1)


def test_line_index_round_trip() -> None:
    text = "ab\ncd\n\nef"
    index = LineIndex(text)
    for offset in range(len(text) + 1):
        assert index.offset(index.location(offset)) == offset


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.text(
        alphabet=st.sampled_from(list("def f(a=[]):\n\t x=1#noqa:AGT401'\"\\{}[]()")), max_size=120
    )
)
def test_arbitrary_text_never_crashes(source: str) -> None:
    findings = lint(source, "fuzz.py", config_for(["ALL"]))
    for finding in findings:
        assert finding.span.start.row >= 1 and finding.span.start.column >= 1


MULTILINE_PROMPT = '''import os

api_key = os.environ["SEARCH_API_KEY"]
system_prompt = f"""You can call the search API.
Use the key {api_key} for it.
"""{noqa}
'''


@pytest.mark.parametrize("noqa", ["  # noqa: AGT301", "  # agentsense: ignore[AGT301]", "  # noqa"])
def test_noqa_after_a_multiline_string_covers_findings_inside_it(noqa: str) -> None:
    # Rows inside the string cannot take a comment (it would become text): as in ruff, the
    # comment goes after the closing quotes.
    source = MULTILINE_PROMPT.replace("{noqa}", noqa)
    assert lint_with(source, ["AGT301", "AGT900"]) == []


def test_finding_inside_a_multiline_string_knows_where_its_noqa_goes() -> None:
    [finding] = lint_with(MULTILINE_PROMPT.replace("{noqa}", ""), ["AGT301"])
    assert (finding.span.start.row, finding.noqa_row, finding.string_end_row) == (5, 4, 6)
    [outside] = lint_with("def f(a=[]):\n    return a\n", ["AGT401"])
    assert outside.string_end_row == 0


def _statement_findings(source: str, select: tuple[str, ...], walked: list[int] | None) -> set[Any]:
    """(origin, code, span, message) of what `lint_statements` reports walking `walked`."""
    module = parse(source)
    assert isinstance(module, cst.Module)
    config = config_for(select)
    indexes = range(len(module.body)) if walked is None else walked
    found = lint_statements(
        module,
        source,
        "example.py",
        config,
        config.enabled_codes("example.py"),
        find_suppressions(source),
        statements=indexes,
        statement_rows=[1] * len(module.body),  # the rows are not compared
    )
    return {
        (origin, f.code, f.span, f.message) for origin, f in found.findings if origin in indexes
    }


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_each_statement_walked_alone_reports_what_the_whole_walk_reports(
    rule: type[Rule],
) -> None:
    # The editor re-walks only the statements an edit touched: a rule must not carry state
    # from one top-level statement's walk to the next (module-wide gathering goes in
    # `leave_Module`, which makes the rule walk every statement).
    select = rule.example_select or (rule.code,)
    for example in (*rule.flagged, *rule.clean):
        if not isinstance(parse(example.source), cst.Module):
            continue
        whole = _statement_findings(example.source, select, None)
        count = len(cst.parse_module(example.source).body)
        alone = set().union(
            *(_statement_findings(example.source, select, [i]) for i in range(count))
        )
        assert alone == whole, example.source


def test_a_fix_inside_a_method_renders_the_method_not_its_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rendering the whole class for each fix made a class with many findings quadratic.
    source = (
        "class Desk:\n"
        "    limit = 3\n\n"
        "    def first(self, items=[]):\n"
        "        return items\n\n"
        "    # the second\n"
        "    def second(self, seen={}):\n"
        "        return seen\n"
    )
    rendered: list[type[cst.CSTNode]] = []
    real = cst.Module.code_for_node

    def recording(self: cst.Module, node: cst.CSTNode) -> str:
        rendered.append(type(node))
        return real(self, node)

    monkeypatch.setattr(cst.Module, "code_for_node", recording)
    findings = lint_with(source, ("AGT401",))
    assert [f.span.start.row for f in findings] == [4, 8]
    assert cst.ClassDef not in rendered
    fixed, _ = apply_fixes(source, [f.fix for f in findings if f.fix is not None])
    assert "def first(self, items=None):" in fixed and "def second(self, seen=None):" in fixed
    assert "    # the second\n" in fixed and fixed.startswith("class Desk:\n    limit = 3\n")
