"""Rules the engine itself reports: syntax errors and unused suppressions."""

from __future__ import annotations

from typing import ClassVar

from agentsense.analyzers.model import Severity
from agentsense.analyzers.rule import Clean, Flagged, Rule


class SyntaxErrorRule(Rule):
    """Reported by the engine when the file does not parse; no other rule runs then."""

    code = "AGT001"
    name = "syntax-error"
    summary = "The file is not valid Python, so nothing else in it can be checked."
    rationale = (
        "agentsense parses every file with libcst. A file that does not parse is reported "
        "once, at the error, instead of crashing the run or silently skipping the file."
    )
    severity: ClassVar[Severity] = Severity.ERROR
    flagged = (
        Flagged("def search(query:\n    return query\n", line=1, message="syntax error"),
        Flagged("x = (1,\n", line=1, message="never closed"),
        Flagged("if True:\nprint('x')\n", line=2, message="syntax error"),
    )
    clean = (
        Clean("def search(query: str) -> str:\n    return query\n"),
        Clean("x = (1,\n     2)\n"),
        Clean(""),
    )


class UnusedSuppression(Rule):
    """Reported by the engine for a `# noqa` naming one of our codes that matched nothing."""

    code = "AGT900"
    name = "unused-suppression"
    summary = "A `# noqa` for an agentsense code that suppresses nothing."
    rationale = (
        "Stale suppressions hide future problems on that line and mislead readers about "
        "what is wrong with it. Remove them once the finding is gone."
    )
    severity: ClassVar[Severity] = Severity.INFO
    fix_description = "Safe: remove the code from the comment (or the whole comment)."
    # Its examples need the rules whose codes they suppress.
    example_select = ("ALL",)
    flagged = (
        Flagged(
            "x = 1  # noqa: AGT401\n",
            line=1,
            column=8,
            message="AGT401",
            fixed="x = 1\n",
        ),
        Flagged(
            "x = 1  # agentsense: ignore[AGT302]\n",
            line=1,
            column=8,
            fixed="x = 1\n",
        ),
        Flagged(
            "def f(a=[]):  # noqa: AGT401, AGT302\n    return a\n",
            line=1,
            message="AGT302",
            fixed="def f(a=[]):  # noqa: AGT401\n    return a\n",
        ),
    )
    clean = (
        Clean("def f(a=[]):  # noqa: AGT401\n    return a\n"),
        Clean("x = 1  # noqa: E501\n"),  # not our code: another tool's business
        Clean("x = 1  # noqa\n"),  # blanket noqa: we cannot tell whose it is
    )


# The codes the engine reports itself, not a walk: a suppression comment cannot silence them,
# and one naming them is never reported as unused.
ENGINE_CODES = frozenset({SyntaxErrorRule.code, UnusedSuppression.code})
