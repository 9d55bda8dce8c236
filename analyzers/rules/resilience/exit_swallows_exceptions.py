"""AGT407: `__exit__`/`__aexit__` returns a true value on every path, swallowing every error."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.flow import always_exits, block_statements
from agentsense.analyzers.detect.functions import method_class_stack
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes

# Class names that announce suppression as their purpose (`contextlib.suppress` look-alikes).
_SUPPRESSING_WORDS = ("suppress", "ignore", "swallow", "silence", "catch", "quiet")


def _truthy_constant(value: cst.BaseExpression | None) -> bool:
    """`True`, a non-zero integer or a non-empty string literal."""
    if isinstance(value, cst.Name):
        return value.value == "True"
    if isinstance(value, cst.Integer):
        return value.evaluated_value != 0
    if isinstance(value, cst.SimpleString):
        return len(value.evaluated_value) > 0
    return False


def _is_return(small: cst.BaseSmallStatement) -> bool:
    return isinstance(small, (cst.Return, cst.Raise))


class ExitSwallowsExceptions(Rule):
    code = "AGT407"
    name = "exit-swallows-exceptions"
    summary = "`__exit__`/`__aexit__` returns a true value on every path: it swallows every error."
    rationale = (
        "A true value returned from `__exit__` (or `__aexit__`) tells Python the exception "
        "raised in the `with` block was handled: it is dropped. Returning `True` "
        "unconditionally from an agent session, a tool context or a tracing span swallows "
        "everything, a failed model call, a tool's `ValueError`, `KeyboardInterrupt`, even "
        "`asyncio.CancelledError`, and the code after the `with` runs on as if the block had "
        "succeeded, with half-built state. Return `False`/`None` (let errors propagate) or "
        "return `True` only for the exception types the manager really handles."
    )
    flagged = (
        Flagged(
            """
            class AgentSession:
                def __enter__(self):
                    self.client = make_client()
                    return self

                def __exit__(self, exc_type, exc, tb):
                    self.client.close()
                    return True
            """,
            line=8,
            column=9,
            message="swallows every exception",
        ),
        Flagged(
            """
            class Span:
                async def __aenter__(self):
                    return self

                async def __aexit__(self, *exc_info):
                    if exc_info[0] is not None:
                        log_error(exc_info)
                        return True
                    return True
            """,
            line=8,
            count=2,
        ),
        Flagged(
            """
            class ToolContext:
                def __exit__(self, exc_type, exc_value, traceback) -> bool:
                    try:
                        self.release()
                    finally:
                        return 1
            """,
            line=6,
        ),
    )
    clean = (
        # The seeds' session: `return False` lets the exception propagate.
        Clean(
            """
            class AgentSession:
                def __exit__(self, exc_type, exc_val, exc_tb):
                    self.close()
                    return False
            """
        ),
        # Suppresses only what it handles.
        Clean(
            """
            class Span:
                def __exit__(self, exc_type, exc, tb):
                    self.end()
                    if exc_type is not None and issubclass(exc_type, StopAgent):
                        return True
                    return None
            """
        ),
        Clean(
            """
            class Span:
                def __exit__(self, exc_type, exc, tb):
                    self.end()
                    return exc_type is StopAgent
            """
        ),
        # A suppressor by name and purpose (`contextlib.suppress`).
        Clean(
            """
            class ignore_tool_errors:
                def __exit__(self, exc_type, exc, tb):
                    return True
            """
        ),
        # Not a method: a function that happens to be named `__exit__`.
        Clean(
            """
            def __exit__(self, *args):
                return True
            """
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value not in ("__exit__", "__aexit__"):
            return
        classes = method_class_stack(self.context.ancestors)
        if not classes:
            return
        class_name = classes[-1].name.value.lower()
        if any(word in class_name for word in _SUPPRESSING_WORDS):
            return
        returns = [n for n in iter_subtree_no_scopes(node.body) if isinstance(n, cst.Return)]
        if not returns or not all(_truthy_constant(r.value) for r in returns):
            return
        if not always_exits(block_statements(node.body), _is_return):
            return
        if any(isinstance(n, cst.Raise) for n in iter_subtree_no_scopes(node.body)):
            return
        for returned in returns:
            self.report(
                returned,
                f"`{node.name.value}` returns a true value on every path, so it swallows "
                "every exception raised in the `with` block: return `False` (or return "
                "`True` only for the exceptions it handles)",
            )
