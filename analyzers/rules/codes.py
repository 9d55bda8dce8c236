"""Every rule's code and name, readable without importing the rules.

Resolving a configuration (selectors like `AGT2` or `unbounded-agent-loop`, severities keyed by
code or name) needs only these, and a warm `check`, whose files are all in the cache, imports no
rule at all: libcst and the rules are most of its time. `tests/test_registry.py` keeps this
table equal to the rule classes, so adding a rule adds its line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

RULE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "AGT001": "syntax-error",
        "AGT101": "unbounded-agent-loop",
        "AGT102": "loop-without-progress-check",
        "AGT103": "unbounded-transcript",
        "AGT201": "untyped-tool-parameter",
        "AGT202": "unvalidated-tool-dispatch",
        "AGT203": "code-execution-in-tool",
        "AGT204": "unhandled-tool-failure",
        "AGT210": "tool-missing-description",
        "AGT211": "tool-contract-violation",
        "AGT212": "duplicate-tool-name",
        "AGT213": "schema-signature-mismatch",
        "AGT214": "invalid-tool-name",
        "AGT215": "verbose-tool-description",
        "AGT216": "registry-subclass-contract",
        "AGT301": "secret-in-prompt",
        "AGT302": "hardcoded-secret",
        "AGT303": "model-output-executed",
        "AGT401": "mutable-default-argument",
        "AGT402": "mutable-dataclass-default",
        "AGT403": "init-subclass-without-super",
        "AGT404": "metaclass-new-without-return",
        "AGT405": "singleton-reinit",
        "AGT406": "shared-mutable-class-attribute",
        "AGT407": "exit-swallows-exceptions",
        "AGT408": "enter-leaks-on-error",
        "AGT409": "slots-pitfall",
        "AGT410": "descriptor-state-on-self",
        "AGT501": "blocking-call-in-async",
        "AGT502": "dangling-task",
        "AGT503": "get-event-loop-in-coroutine",
        "AGT504": "unawaited-coroutine",
        "AGT505": "unbounded-fan-out",
        "AGT601": "retry-without-backoff",
        "AGT602": "swallowed-tool-error",
        "AGT603": "raise-possibly-none",
        "AGT604": "unclosed-resource-in-tool",
        "AGT605": "missing-timeout",
        "AGT900": "unused-suppression",
    }
)
_CODES_BY_NAME: Final[Mapping[str, str]] = {name: code for code, name in RULE_NAMES.items()}


def code_of(code_or_name: str) -> str | None:
    """The code of the rule a code (any case) or name names, or None (as `find_rule`)."""
    key = code_or_name.strip()
    upper = key.upper()
    if upper in RULE_NAMES:
        return upper
    return _CODES_BY_NAME.get(key.lower())
