"""Every rule's embedded examples, run as tests: range, message, fix output, idempotence."""

from __future__ import annotations

import re

import libcst as cst
import pytest

from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.rule import Clean, Flagged, Rule
from tests.helpers import fix_all, lint_with


def _select(rule: type[Rule]) -> tuple[str, ...]:
    return rule.example_select if rule.example_select is not None else (rule.code,)


FLAGGED = [
    pytest.param(rule, example, id=f"{rule.code}-flagged-{i}")
    for rule in all_rules()
    for i, example in enumerate(rule.flagged)
]
CLEAN = [
    pytest.param(rule, example, id=f"{rule.code}-clean-{i}")
    for rule in all_rules()
    for i, example in enumerate(rule.clean)
]


@pytest.mark.parametrize(("rule", "example"), FLAGGED)
def test_flagged_example(rule: type[Rule], example: Flagged) -> None:
    source = example.source
    options = {rule.code: example.options} if example.options else None
    findings = [
        f
        for f in lint_with(source, _select(rule), example.path, options=options)
        if f.code == rule.code
    ]
    assert len(findings) == example.count, findings
    first = findings[0]
    assert first.span.start.row == example.line, first
    if example.column is not None:
        assert first.span.start.column == example.column, first
    if example.message is not None:
        assert example.message in first.message
    assert first.name == rule.name
    fixes = [f for f in findings if f.fix is not None]
    if example.fixed_source is None:
        assert not fixes, f"{rule.code} offers a fix: the example must give `fixed`"
        return
    assert fixes, f"{rule.code}: the example expects a fix but none was offered"
    fixed = fix_all(source, _select(rule), example.path, options=options)
    assert fixed == example.fixed_source
    cst.parse_module(fixed)  # the fixed code still parses
    again = [
        f
        for f in lint_with(fixed, _select(rule), example.path, options=options)
        if f.code == rule.code
    ]
    assert again == [], "the fix must remove the finding (idempotent)"


@pytest.mark.parametrize(("rule", "example"), CLEAN)
def test_clean_example(rule: type[Rule], example: Clean) -> None:
    options = {rule.code: example.options} if example.options else None
    findings = [
        f
        for f in lint_with(example.source, _select(rule), example.path, options=options)
        if f.code == rule.code
    ]
    assert findings == []


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_documents_itself(rule: type[Rule]) -> None:
    assert re.fullmatch(r"AGT\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.summary.strip() and rule.rationale.strip()
    assert len(rule.flagged) >= 3 and len(rule.clean) >= 3
    if any(e.fixed is not None for e in rule.flagged):
        assert rule.fix_description, "a rule with a fix must describe it"
