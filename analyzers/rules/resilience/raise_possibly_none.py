"""AGT603: `raise last_error` after a retry loop that may have run zero times."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements, is_constant_true, single_assignment
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.rule import Clean, Flagged, Rule, RuleOptions
from agentsense.analyzers.walk import iter_subtree

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in iter_subtree(node))


def _assigned_value(stmt: cst.BaseStatement, name: str) -> cst.BaseExpression | None:
    """The value of `name = value` / `name: T = value` when `stmt` is exactly that."""
    assignment = single_assignment(stmt)
    if assignment is None:
        return None
    target, value = assignment
    return value if isinstance(target, cst.Name) and target.value == name else None


def _is_none(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _int_value(expr: cst.BaseExpression | None) -> int | None:
    """The value of an integer literal (`3`, `-1`), else None."""
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.value.replace("_", ""), 0)
        except ValueError:
            return None
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = _int_value(expr.expression)
        return None if inner is None else -inner
    return None


def _lower_bound(expr: cst.BaseExpression, facts: ModuleFacts) -> int | None:
    """A lower bound for a count: a literal, `n + 1` (counts are >= 0), `max(1, n)`."""
    value = _int_value(expr)
    if value is not None:
        return value
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left, right = _int_value(expr.left), _int_value(expr.right)
        if right is not None and left is None:
            return right
        if left is not None and right is None:
            return left
    if isinstance(expr, cst.Call) and facts.qualified_name(expr.func) == "max":
        bounds = [_int_value(a.value) for a in expr.args if a.keyword is None]
        known = [b for b in bounds if b is not None]
        if known:
            return max(known)
    return None


def _for_may_run_zero_times(loop: cst.For, function: cst.FunctionDef, facts: ModuleFacts) -> bool:
    """`range(n)` with a possibly-zero `n`, or a loop over a parameter (maybe empty)."""
    iterable = loop.iter
    if isinstance(iterable, cst.Name):
        params = function.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        return any(p.name.value == iterable.value for p in every)
    if not isinstance(iterable, cst.Call) or facts.qualified_name(iterable.func) != "range":
        return False
    args = [a.value for a in iterable.args if a.keyword is None and a.star == ""]
    if len(args) != len(iterable.args) or not 1 <= len(args) <= 3:
        return False
    if len(args) == 3:
        return False  # a step: too clever to judge
    start = 0 if len(args) == 1 else _int_value(args[0])
    if start is None:
        return False
    stop = _lower_bound(args[-1], facts)
    return stop is None or stop <= start


def _while_may_run_zero_times(loop: cst.While, before: Sequence[cst.BaseStatement]) -> bool:
    """`while i < n` with `i = 0` just before and `n` unknown (it may be 0), `while n > 0`."""
    test = loop.test
    if is_constant_true(test):
        return False
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    operator = test.comparisons[0].operator
    left, right = test.left, test.comparisons[0].comparator

    def known(expr: cst.BaseExpression) -> int | None:
        value = _int_value(expr)
        if value is not None or not isinstance(expr, cst.Name):
            return value
        for stmt in reversed(before):
            if _mentions(stmt, expr.value):
                return _int_value(_assigned_value(stmt, expr.value))
        return None

    # Normalise to `small < big` / `small <= big`.
    if isinstance(operator, (cst.GreaterThan, cst.GreaterThanEqual)):
        left, right = right, left
    elif not isinstance(operator, (cst.LessThan, cst.LessThanEqual)):
        return False
    strict = isinstance(operator, (cst.LessThan, cst.GreaterThan))
    small, big = known(left), known(right)
    if small is not None and big is not None:
        return small >= big if strict else small > big
    if small is not None and isinstance(right, (cst.Name, cst.Attribute)):
        # `i < n` with `n` a count (>= 0) that may be 0, or `1 <= n`.
        return small >= 0 if strict else small > 0
    return False


def _assigned_in_handler(loop: cst.For | cst.While, name: str) -> bool:
    """Some `except` in the loop stores into `name` (`except E as e: last_error = e`)."""
    for node in iter_subtree(loop.body):
        if not isinstance(node, cst.ExceptHandler):
            continue
        for inner in iter_subtree(node.body):
            if isinstance(inner, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == name for t in inner.targets
            ):
                return True
    return False


def _raised_name(stmt: cst.BaseStatement) -> cst.Name | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Raise) and isinstance(small.exc, cst.Name):
            return small.exc
    return None


class RaisePossiblyNone(Rule):
    code = "AGT603"
    name = "raise-possibly-none"
    summary = "`raise name` where `name` is still None when the retry loop ran zero times."
    rationale = (
        "The common retry helper keeps `last_error = None`, stores the exception in each "
        "`except`, and ends with `raise last_error`. When the loop runs zero times "
        "(`max_attempts=0` from a config, an empty list of providers) nothing was stored and "
        "the helper executes `raise None`: a `TypeError: exceptions must derive from "
        "BaseException` that hides what was being attempted, in the code path that handles "
        "failures. Guard it (`if last_error is not None`), raise a real error as a fallback "
        "(`raise last_error or RuntimeError(...)`), or validate the count first."
    )
    flagged = (
        Flagged(
            """
            def call_with_retry(fn, max_attempts=3):
                last_error = None
                for attempt in range(max_attempts):
                    try:
                        return fn()
                    except Exception as error:
                        last_error = error
                raise last_error
            """,
            line=8,
            column=11,
            message="`last_error`",
        ),
        Flagged(
            """
            import asyncio

            async def call_model(llm, prompt, max_attempts: int):
                attempt = 0
                last_exc: Exception | None = None
                while attempt < max_attempts:
                    try:
                        return await llm.ainvoke(prompt)
                    except TimeoutError as exc:
                        last_exc = exc
                        attempt += 1
                        await asyncio.sleep(2 ** attempt)
                raise last_exc
            """,
            line=13,
            message="zero times",
        ),
        Flagged(
            """
            def first_answer(providers, question):
                error = None
                for provider in providers:
                    try:
                        return provider.ask(question)
                    except ConnectionError as e:
                        error = e
                else:
                    raise error from None
            """,
            line=9,
        ),
        Flagged(
            """
            def fetch(url, retries):
                last = None
                for i in range(1, retries + 1):
                    try:
                        return get(url)
                    except OSError as e:
                        last = e
                log(url)
                raise last
            """,
            line=9,
        ),
    )
    clean = (
        # Guarded, or with a real fallback error.
        Clean(
            """
            def call_with_retry(fn, max_attempts=3):
                last_error = None
                for attempt in range(max_attempts):
                    try:
                        return fn()
                    except Exception as error:
                        last_error = error
                if last_error is not None:
                    raise last_error
                raise ValueError("max_attempts must be at least 1")

            def call_again(fn, max_attempts=3):
                last_error = None
                for attempt in range(max_attempts):
                    try:
                        return fn()
                    except Exception as error:
                        last_error = error
                raise last_error or RuntimeError("no attempt was made")
            """
        ),
        # A literal, non-empty range always runs, so the name is set.
        Clean(
            """
            def call_with_retry(fn):
                last_error = None
                for attempt in range(3):
                    try:
                        return fn()
                    except Exception as error:
                        last_error = error
                raise last_error

            def call_more(fn, retries):
                last_error = None
                for attempt in range(retries + 1):
                    try:
                        return fn()
                    except Exception as error:
                        last_error = error
                raise last_error
            """
        ),
        # Initialised to an exception before the loop, not to None.
        Clean(
            """
            def call_with_retry(fn, max_attempts=3):
                last_error: Exception = RuntimeError("no attempt was made")
                for attempt in range(max_attempts):
                    try:
                        return fn()
                    except Exception as error:
                        last_error = error
                raise last_error
            """
        ),
        # `while True` only ends through the handler, after the name was set; a checked
        # count (`assert`) before the raise.
        Clean(
            """
            def poll(fn):
                last_error = None
                attempts = 0
                while True:
                    try:
                        return fn()
                    except OSError as error:
                        last_error = error
                        attempts += 1
                        if attempts > 3:
                            break
                raise last_error

            def call(fn, n):
                last_error = None
                for _ in range(n):
                    try:
                        return fn()
                    except OSError as error:
                        last_error = error
                assert last_error is not None
                raise last_error
            """
        ),
        # `while attempt <= n` with attempt = 0 runs at least once.
        Clean(
            """
            def call(fn, n):
                attempt = 0
                last_error = None
                while attempt <= n:
                    try:
                        return fn()
                    except OSError as error:
                        last_error = error
                        attempt += 1
                raise last_error
            """
        ),
    )

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        super().__init__(context, options)
        # One entry per function being walked, innermost last: whether a `raise <name>`
        # was seen in its body so far (only such a function can hold the finding).
        self._raises_name: list[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._raises_name.append(False)

    def visit_Raise(self, node: cst.Raise) -> None:
        # The innermost function's (one in a class body inside it marks it too: its blocks
        # are then walked for nothing, as every function's were before).
        if self._raises_name and type(node.exc) is cst.Name:
            self._raises_name[-1] = True

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._raises_name.pop() if self._raises_name else False:
            self._check_function(node)

    def _check_function(self, node: cst.FunctionDef) -> None:
        """Every block of the function's own body (not nested functions' or classes')."""
        blocks: list[cst.BaseSuite] = [node.body]
        blocks.extend(b for b in self.context.index.blocks(node.body) if b is not node.body)
        for block in blocks:
            self._check_block(node, block_statements(block))

    def _check_block(
        self, function: cst.FunctionDef, statements: Sequence[cst.BaseStatement]
    ) -> None:
        facts = self.context.facts
        for index, loop in enumerate(statements):
            if not (type(loop) is cst.For or type(loop) is cst.While):
                continue
            before = statements[:index]
            after = list(statements[index + 1 :])
            candidates = list(block_statements(loop.orelse.body) if loop.orelse else ()) + after
            for position, stmt in enumerate(candidates):
                raised = _raised_name(stmt)
                if raised is None:
                    continue
                name = raised.value
                if any(_mentions(s, name) for s in candidates[:position]):
                    continue  # checked or reassigned between the loop and the raise
                if not self._starts_none(before, name) or not _assigned_in_handler(loop, name):
                    continue
                if isinstance(loop, cst.For):
                    zero = _for_may_run_zero_times(loop, function, facts)
                else:
                    zero = _while_may_run_zero_times(loop, before)
                if zero:
                    self.report(
                        raised,
                        f"`{name}` is still None here when the loop runs zero times "
                        f"(e.g. a count of 0): `raise None` is a TypeError; guard it or "
                        f"`raise {name} or RuntimeError(...)`",
                    )
                break

    @staticmethod
    def _starts_none(before: Sequence[cst.BaseStatement], name: str) -> bool:
        """The last statement before the loop that touches `name` is `name = None`."""
        for stmt in reversed(before):
            if _mentions(stmt, name):
                return _is_none(_assigned_value(stmt, name))
        return False
