"""The base of the rules about registrations (AGT201, AGT21x): one check per registration."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import ClassVar

import libcst as cst
from pydantic import Field

from agentsense.analyzers.detect.paths import is_test_path
from agentsense.analyzers.detect.registrations import Registration, registrations_by_definition
from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.rule import Rule, RuleOptions
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes
from agentsense.runtime.contract import ContractProblem


class TestFileOptions(RuleOptions):
    """Options of the description-quality rules (AGT210, AGT215)."""

    check_tests: bool = Field(
        False,
        alias="check-tests",
        description="Also check tools registered in test files (under a `tests`/`test` "
        "directory, `test_*.py`, `conftest.py`): off by default, test doubles rarely have "
        "descriptions and the model never sees them.",
    )


class RegistrationRule(Rule):
    """Calls `check` for each registration, while the walk is on the statement defining it.

    A registration's findings depend on other statements (base classes, registry hooks,
    module constants, imports), but each of those is module-level code whose change makes
    the incremental engine re-lint the whole file (see `agentsense.analyzers.engine.lint_statements`),
    so the rules stay per-statement: an edit inside one tool re-checks that tool only.
    """

    # The rule that reports the contract problems no other rule claims (AGT211).
    reports_unclaimed_problems: ClassVar[bool] = False

    def check(self, reg: Registration) -> None:
        raise NotImplementedError

    @classmethod
    def claims(cls, reg: Registration, problem: ContractProblem) -> bool:
        """Whether this rule reports one of the registration's contract problems (what the
        shared contract, `agentsense.runtime.contract`, refuses). Each problem is reported
        by the one rule that claims it, or else by the rule that takes the unclaimed ones."""
        return False

    def _registrations_of(self, node: cst.CSTNode) -> Sequence[Registration]:
        if self._skips_file():
            return ()
        return registrations_by_definition(self.context.facts).get(id(node), ())

    def _skips_file(self) -> bool:
        """Rules with `TestFileOptions` leave test files alone unless told otherwise."""
        options = self.options
        return (
            isinstance(options, TestFileOptions)
            and not options.check_tests
            and is_test_path(self.context.path)
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for reg in self._registrations_of(node):
            self.check(reg)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for reg in self._registrations_of(node):
            self.check(reg)

    def contract_problems(self, reg: Registration) -> list[ContractProblem]:
        """The registration's contract problems that this rule reports."""
        return [p for p in reg.contract_problems if problem_rule(reg, p) is type(self)]

    def problem_node(self, reg: Registration, problem: ContractProblem) -> cst.CSTNode:
        """Where a contract problem shows: the name or description that causes it."""
        if problem.field == "name":
            return reg.name_node
        if problem.field == "description" and reg.description_node is not None:
            return reg.description_node
        return reg.node

    def set_after_definition(self, reg: Registration, attribute: str, dunder: str) -> bool:
        """Whether the tool's `attribute` (`description`, `name`) is given after its
        definition: an empty pydantic field (`name: str = ""`) that each instance fills, a
        method or validator that sets it (`self.name = ...`, `values["name"] = ...`), or,
        for a function made inside a factory, `fn.name = ...` (or `fn.<dunder> = ...`)
        after the `def`. Module-level assignments are other statements and are not read."""
        definition = reg.definition
        if isinstance(definition, cst.ClassDef):
            for node in iter_subtree(definition.body):
                if isinstance(node, cst.AnnAssign) and _names_field(node.target, attribute):
                    if isinstance(node.value, cst.SimpleString) and not node.value.evaluated_value:
                        return True
                elif isinstance(node, cst.Assign) and any(
                    _names_field(t.target, attribute) and not isinstance(t.target, cst.Name)
                    for t in node.targets
                ):
                    return True
            return False
        ancestors = self.context.ancestors
        block = ancestors[-1] if ancestors else None
        if not isinstance(block, cst.IndentedBlock) or not any(
            isinstance(n, (cst.FunctionDef, cst.Lambda)) for n in ancestors
        ):
            return False
        statements = list(block.body)
        if definition not in statements:
            return False
        name = definition.name.value
        for statement in statements[statements.index(definition) + 1 :]:
            for node in iter_subtree_no_scopes(statement):
                if isinstance(node, cst.Assign) and any(
                    isinstance(t.target, cst.Attribute)
                    and t.target.attr.value in (attribute, dunder)
                    and isinstance(t.target.value, cst.Name)
                    and t.target.value.value == name
                    for t in node.targets
                ):
                    return True
        return False


def _names_field(target: cst.BaseExpression, attribute: str) -> bool:
    """`name`, `self.name`, `values["name"]` for attribute `name`."""
    if isinstance(target, cst.Name):
        return target.value == attribute
    if isinstance(target, cst.Attribute):
        return target.attr.value == attribute
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        return (
            isinstance(index, cst.Index)
            and isinstance(index.value, cst.SimpleString)
            and index.value.evaluated_value == attribute
        )
    return False


@cache
def registration_rules() -> tuple[type[RegistrationRule], ...]:
    return tuple(rule for rule in all_rules() if issubclass(rule, RegistrationRule))


def claiming_rules(reg: Registration, problem: ContractProblem) -> list[type[RegistrationRule]]:
    """The rules that claim a contract problem (one at most: a test checks it)."""
    return [rule for rule in registration_rules() if rule.claims(reg, problem)]


def problem_rule(reg: Registration, problem: ContractProblem) -> type[RegistrationRule]:
    """The rule that reports a contract problem (see `RegistrationRule.claims`)."""
    claiming = claiming_rules(reg, problem)
    if claiming:
        return claiming[0]
    return next(rule for rule in registration_rules() if rule.reports_unclaimed_problems)
