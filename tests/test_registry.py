"""The rule catalog read without importing the rules agrees with the rule classes."""

from __future__ import annotations

import pytest

from agentsense.analyzers.registry import all_rules, find_rule
from agentsense.analyzers.rules.codes import RULE_NAMES, code_of


def test_the_catalog_names_every_rule_class_by_its_code() -> None:
    # A new rule fails here until its line is added to analyzers/rules/codes.py.
    assert dict(RULE_NAMES) == {rule.code: rule.name for rule in all_rules()}


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("AGT101", "AGT101"),
        ("agt101", "AGT101"),
        (" AGT212 ", "AGT212"),
        ("unbounded-agent-loop", "AGT101"),
        ("Duplicate-Tool-Name", "AGT212"),
        ("AGT1", None),
        ("AGT999", None),
        ("", None),
    ],
)
def test_a_code_or_name_finds_the_rule_the_classes_find(given: str, code: str | None) -> None:
    assert code_of(given) == code
    rule = find_rule(given)
    assert (rule.code if rule is not None else None) == code
