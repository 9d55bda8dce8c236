"""Finds every rule class under `agentsense.analyzers.rules` (adding a rule is adding one class)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from agentsense.analyzers.rule import Rule
from agentsense.analyzers.rules.codes import code_of


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every concrete rule, sorted by code."""
    import agentsense.analyzers.rules as package

    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
    found: dict[str, type[Rule]] = {}
    stack = list(Rule.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "code" in cls.__dict__:
            if cls.code in found and found[cls.code] is not cls:
                raise RuntimeError(f"two rules share the code {cls.code}")
            found[cls.code] = cls
    return tuple(found[code] for code in sorted(found))


@cache
def rules_by_code() -> dict[str, type[Rule]]:
    return {rule.code: rule for rule in all_rules()}


def find_rule(code_or_name: str) -> type[Rule] | None:
    code = code_of(code_or_name)
    return None if code is None else rules_by_code().get(code)


@cache
def project_rules() -> tuple[type[Rule], ...]:
    """The rules that also look across files (they override `Rule.check_project`)."""
    return tuple(rule for rule in all_rules() if rule.checks_project())
