"""Retry quality checks of AGT601 (issue 14): what a retry retries, how it waits, when it stops.

Kept apart from AGT601's backoff detection so both evolve independently: the rule calls
`retry_quality_problems` for each retry loop it recognises and `tenacity_problem` for each
call/decorator, and reports what they return.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import cast

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.rule import Clean, Flagged
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

_CATCH_ALL = frozenset({"Exception", "BaseException", "builtins.Exception"})
_JITTER_WORDS = re.compile(r"random|jitter|uniform|randint|randrange|secrets\.", re.IGNORECASE)
_TENACITY_RETRIERS = frozenset(
    {
        "tenacity.retry",
        "tenacity.Retrying",
        "tenacity.AsyncRetrying",
        "tenacity.asyncio.AsyncRetrying",
    }
)
# The last part of each retrier's name (`retry`, `Retrying`): asked for every call.
_RETRIER_LAST_PARTS = frozenset(name.rpartition(".")[2] for name in _TENACITY_RETRIERS)
_TENACITY_FIXED_WAIT = frozenset({"tenacity.wait_fixed", "tenacity.wait.wait_fixed"})


def _is_catch_all(handler: cst.ExceptHandler, facts: ModuleFacts) -> bool:
    if handler.type is None:
        return True
    return (facts.qualified_name(handler.type) or dotted_name(handler.type)) in _CATCH_ALL


def _classifies(handler: cst.ExceptHandler) -> bool:
    """The handler looks at the error (`if e.status_code == 401: raise`, `isinstance`) or
    re-raises on some condition other than running out of attempts."""
    bound = (
        handler.name.name.value
        if handler.name is not None and isinstance(handler.name.name, cst.Name)
        else None
    )
    for node in iter_subtree_no_scopes(handler.body):
        if (
            isinstance(node, cst.If)
            and bound is not None
            and any(isinstance(n, cst.Name) and n.value == bound for n in iter_subtree(node.test))
        ):
            return True
        if isinstance(node, cst.Call) and dotted_name(node.func) in ("isinstance", "issubclass"):
            return True
        if isinstance(node, cst.Call) and re.search(
            r"retr(y|i)able|transient|should_retry|is_rate", dotted_name(node.func) or ""
        ):
            return True
    return False


def _catch_all_handler(attempt: cst.Try, facts: ModuleFacts) -> cst.ExceptHandler | None:
    """The catch-all handler of an attempt that calls a model, when no earlier handler
    picks out (and re-raises) the permanent errors first."""
    if not any(
        isinstance(n, cst.Call) and is_llm_call(n, facts)
        for n in iter_subtree_no_scopes(attempt.body)
    ):
        return None
    for handler in attempt.handlers:
        if not _is_catch_all(handler, facts):
            if any(isinstance(n, cst.Raise) for n in iter_subtree_no_scopes(handler.body)):
                return None  # `except AuthenticationError: raise` first
            continue
        return None if _classifies(handler) else handler
    return None


def _exponential_sleeps(loop: cst.For | cst.While) -> Iterator[cst.Call]:
    """Sleeps whose delay doubles: `2 ** attempt` in it, or a name the loop multiplies."""
    body = [n for s in block_statements(loop.body) for n in iter_subtree_no_scopes(s)]
    multiplied = {
        dotted_name(n.target)
        for n in body
        if isinstance(n, cst.AugAssign)
        and isinstance(n.operator, (cst.MultiplyAssign, cst.PowerAssign))
        and isinstance(n.target, (cst.Name, cst.Attribute))
    }
    for node in body:
        if not isinstance(node, cst.Call) or "sleep" not in (dotted_name(node.func) or ""):
            continue
        if not node.args:
            continue
        delay = node.args[0].value
        for part in iter_subtree(delay):
            if (isinstance(part, cst.BinaryOperation) and isinstance(part.operator, cst.Power)) or (
                isinstance(part, (cst.Name, cst.Attribute)) and dotted_name(part) in multiplied
            ):
                yield node
                break


def retry_quality_problems(
    loop: cst.For | cst.While,
    attempts: Sequence[cst.Try],
    facts: ModuleFacts,
    function: cst.FunctionDef | None,
) -> list[tuple[cst.CSTNode, str]]:
    """(node, message) for each quality problem of a recognised retry loop."""
    problems: list[tuple[cst.CSTNode, str]] = []
    for attempt in attempts:
        handler = _catch_all_handler(attempt, facts)
        if handler is not None:
            problems.append(
                (
                    handler,
                    "retry loop catches every exception around a model call: permanent "
                    "errors (authentication, bad request, context too long) are retried "
                    "like a rate limit; catch only transient errors (rate limit, timeout, "
                    "connection, 5xx)",
                )
            )
            break
    scope: cst.CSTNode = function if function is not None else loop
    if not _JITTER_WORDS.search(cst.Module([]).code_for_node(scope)):
        for sleep in _exponential_sleeps(loop):
            problems.append(
                (
                    sleep,
                    "exponential backoff without jitter: every client that failed together "
                    "retries together; add a random part "
                    "(`delay * 2 ** attempt + random.uniform(0, 1)`)",
                )
            )
            break
    return problems


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def tenacity_problem(node: cst.Call | cst.Decorator, facts: ModuleFacts) -> str | None:
    """The problem of a tenacity `@retry`/`Retrying(...)`: no `stop=` (retries forever), or
    a fixed wait (`wait_fixed`)."""
    call: cst.Call | None = None
    if type(node) is cst.Decorator:
        if type(node.decorator) is cst.Call:
            return None  # judged as a call
        target = node.decorator
    else:
        call = cast(cst.Call, node)
        target = call.func
    if type(target) is cst.Attribute and target.attr.value not in _RETRIER_LAST_PARTS:
        return None  # it resolves to a name ending so (imports rename only the head)
    if facts.qualified_name(target) not in _TENACITY_RETRIERS:
        return None
    if call is not None and any(a.star for a in call.args):
        return None
    problems: list[str] = []
    if call is None or _keyword(call, "stop") is None:
        problems.append("has no `stop=`, so it retries forever")
    wait = None if call is None else _keyword(call, "wait")
    if (
        wait is not None
        and type(wait.value) is cst.Call
        and facts.qualified_name(wait.value.func) in _TENACITY_FIXED_WAIT
    ):
        problems.append("waits a fixed time between attempts (`wait_fixed`)")
    if not problems:
        return None
    return (
        f"tenacity retry {' and '.join(problems)}: use `stop=stop_after_attempt(n)` and "
        "`wait=wait_random_exponential(...)` (or `wait_exponential` plus jitter)"
    )


QUALITY_RATIONALE = (
    " A retry should also pick what it retries and stop: a catch-all `except Exception` "
    "around a model call retries permanent errors (a bad API key, a malformed request, a "
    "prompt over the context limit) as if they were a rate limit, wasting the attempts and "
    "hiding the real error; exponential backoff without jitter keeps clients that failed "
    "together in lock-step; tenacity's `@retry` without `stop=` retries forever, and "
    "`wait_fixed` is the constant pause again."
)

QUALITY_FLAGGED = (
    Flagged(
        """
        import random
        import time

        def complete(client, messages):
            for attempt in range(5):
                try:
                    return client.chat.completions.create(messages=messages)
                except Exception:
                    time.sleep(2 ** attempt + random.uniform(0, 1))
            raise RuntimeError("model unavailable")
        """,
        line=8,
        column=9,
        message="catches every exception around a model call",
    ),
    Flagged(
        """
        import asyncio

        async def ask(llm, prompt, retries=4):
            delay = 1.0
            for attempt in range(retries):
                try:
                    return await llm.ainvoke(prompt)
                except RateLimitError:
                    await asyncio.sleep(delay)
                    delay *= 2
            raise RuntimeError("rate limited")
        """,
        line=9,
        message="without jitter",
    ),
    Flagged(
        """
        from tenacity import retry, wait_fixed

        @retry(wait=wait_fixed(2))
        def call_model(client, messages):
            return client.messages.create(messages=messages)
        """,
        line=3,
        message="no `stop=`",
    ),
    Flagged(
        """
        import tenacity

        @tenacity.retry
        def search_tool(query: str) -> str:
            return fetch(query)
        """,
        line=3,
        message="retries forever",
    ),
)
QUALITY_CLEAN = (
    # Only transient errors retried, with exponential backoff and jitter.
    Clean(
        """
        import random
        import time

        def complete(client, messages):
            for attempt in range(5):
                try:
                    return client.chat.completions.create(messages=messages)
                except (RateLimitError, APITimeoutError):
                    time.sleep(2 ** attempt + random.uniform(0, 1))
            raise RuntimeError("model unavailable")
        """
    ),
    # The catch-all looks at the error and re-raises permanent ones.
    Clean(
        """
        import random
        import time

        def complete(client, messages):
            for attempt in range(5):
                try:
                    return client.chat.completions.create(messages=messages)
                except Exception as exc:
                    if getattr(exc, "status_code", 500) < 500:
                        raise
                    time.sleep(2 ** attempt + random.random())
            raise RuntimeError("model unavailable")
        """
    ),
    # Permanent errors re-raised by an earlier handler.
    Clean(
        """
        import random
        import time

        def complete(client, messages):
            for attempt in range(5):
                try:
                    return client.chat.completions.create(messages=messages)
                except (AuthenticationError, BadRequestError):
                    raise
                except Exception:
                    time.sleep(2 ** attempt + random.random())
            raise RuntimeError("model unavailable")
        """
    ),
    # tenacity with a stop and a randomised exponential wait.
    Clean(
        """
        from tenacity import retry, stop_after_attempt, wait_random_exponential

        @retry(stop=stop_after_attempt(5), wait=wait_random_exponential(max=30))
        def call_model(client, messages):
            return client.messages.create(messages=messages)
        """
    ),
    # A `retry` that is not tenacity's.
    Clean(
        """
        from mylib import retry

        @retry
        def call_model(client, messages):
            return client.messages.create(messages=messages)
        """
    ),
)
