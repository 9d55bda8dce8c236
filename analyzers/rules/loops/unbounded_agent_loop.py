"""AGT101: an agent loop that only the model can end, with no bound on its iterations."""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import libcst as cst
from pydantic import Field, field_validator

from agentsense.analyzers.detect.dataflow import referenced_names
from agentsense.analyzers.detect.flow import block_statements, may_leave
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.detect.names import identifier_words, words_of
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import (
    Clean,
    FixPlan,
    Flagged,
    InsertStatements,
    Replace,
    Rule,
    RuleOptions,
)
from agentsense.analyzers.walk import children, iter_subtree_no_scopes

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext

# The last word of a name that says "the agent has finished" (`done`, `has_answer`, `isDone`).
_STATE_WORDS = frozenset(
    {
        "done",
        "finished",
        "finish",
        "complete",
        "completed",
        "answer",
        "answered",
        "final",
        "solved",
        "terminated",
        "terminal",
        "halted",
    }
)
# Calls that run an agent step, by name; `agent.step()` is covered by _AGENT_WORDS.
_STEP_NAMES = frozenset(
    {
        "act",
        "think",
        "plan",
        "decide",
        "next_action",
        "take_action",
        "run_step",
        "arun_step",
        "agent_step",
        "call_tool",
        "call_tools",
        "execute_tool",
        "execute_tools",
        "run_tool",
        "run_tools",
        "call_llm",
        "ask_llm",
        "query_llm",
        "call_model",
        "invoke_model",
        "chat",
        "completion",
        "acompletion",
    }
)
# Words in a called name that point at a model or an agent (`self.llm(...)`, `agent.tick()`).
_AGENT_WORDS = frozenset(
    {
        "agent",
        "agents",
        "llm",
        "llms",
        "model",
        "assistant",
        "planner",
        "crew",
        "chatbot",
        "openai",
        "anthropic",
        "claude",
        "gpt",
        "gemini",
        "ollama",
        "groq",
        "mistral",
    }
)
# Words that name a limit wherever they appear in a guard (`MAX_STEPS`, `time_budget`).
_LIMIT_WORDS = frozenset(
    {"max", "maximum", "limit", "budget", "deadline", "timeout", "exhausted", "exceeded"}
)
# Words that name a count, a bound only in an ordering comparison (`agent.steps >= 10`).
_COUNT_WORDS = frozenset(
    {
        "step",
        "steps",
        "turn",
        "turns",
        "iteration",
        "iterations",
        "iter",
        "iters",
        "attempt",
        "attempts",
        "retry",
        "retries",
        "tries",
        "round",
        "rounds",
        "count",
        "counter",
        "depth",
        "hops",
        "remaining",
        "elapsed",
    }
)
_CLOCKS = frozenset({"time", "monotonic", "perf_counter", "now", "utcnow", "time_ns"})
# Calls that wait for the next input: a loop that makes them is paced by its input.
_READ_METHODS = frozenset(
    {
        "read",
        "readline",
        "readlines",
        "recv",
        "recvfrom",
        "recv_json",
        "recv_string",
        "recv_multipart",
        "receive",
        "receive_text",
        "receive_json",
        "receive_bytes",
        "read_message",
        "get_message",
        "get_msg",  # jupyter_client channels
        "recv_msg",
        "readexactly",
        "readuntil",
        "accept",
        "fetchone",
        "fetchmany",
        "poll",
        "get_updates",
        "get_messages",
        "receive_message",
        "receive_messages",
        "wait_for_message",
        "consume",
        "listen",
        "__next__",
        "__anext__",
    }
)
_QUEUE_METHODS = frozenset({"get", "get_nowait", "pop", "popleft", "dequeue"})  # no argument
_READ_FUNCTIONS = frozenset({"input", "next", "anext"})
# A sleep among the loop's own statements makes it periodic (a scheduler, a poller).
_SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep"})
# Exceptions that mean "the input is exhausted or closed".
_EXHAUSTION_ERRORS = frozenset(
    {
        "StopIteration",
        "StopAsyncIteration",
        "EOFError",
        "Empty",
        "QueueEmpty",
        "QueueShutDown",
        "KeyboardInterrupt",
        "GeneratorExit",
        "CancelledError",
        "ConnectionClosed",
        "ConnectionClosedOK",
        "ConnectionClosedError",
        "WebSocketDisconnect",
        "IncompleteReadError",
        "BrokenPipeError",
        "ConnectionResetError",
    }
)
_EXIT_FUNCTIONS = frozenset({"sys.exit", "exit", "quit", "os._exit"})


_words = words_of


class UnboundedAgentLoopOptions(RuleOptions):
    """`[tool.agentsense.rule-options.AGT101]`."""

    max_iterations_name: str = Field(
        "MAX_ITERATIONS",
        alias="max-iterations-name",
        description="The module-level constant the fix bounds the loop with.",
    )
    default_max_iterations: int = Field(
        10,
        alias="default-max-iterations",
        ge=1,
        description="Its value when the fix has to define it.",
    )

    @field_validator("max_iterations_name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.isidentifier() or keyword.iskeyword(value):
            raise ValueError(f"{value!r} is not a Python identifier")
        return value


# --- What the loop's condition says --------------------------------------------------------


def _state_reference(node: cst.BaseExpression) -> str | None:
    """`agent.done`, `state.has_answer` (for `state.has_answer()`), `done`: agent state."""
    if isinstance(node, cst.Call) and not node.args:
        node = node.func
    name = dotted_name(node)
    if name is None:
        return None
    last = identifier_words(name.rsplit(".", 1)[-1])
    return name if last and last[-1] in _STATE_WORDS else None


# The last word of a name that says "the agent is still working" (`task.is_incomplete()`).
_PENDING_WORDS = frozenset({"incomplete", "unfinished", "pending"})
# Fields of a model's reply that ask for another tool round (`while msg.tool_calls:`).
_TOOL_REQUEST_FIELDS = frozenset({"tool_calls", "function_call", "function_calls", "tool_use"})
_STOP_FIELDS = frozenset({"stop_reason", "finish_reason"})
_TOOL_STOP_VALUES = frozenset({"tool_use", "tool_calls", "function_call"})


def _model_request_test(test: cst.BaseExpression) -> str | None:
    """`msg.tool_calls`, `response.stop_reason == "tool_use"`, `task.is_incomplete()`: a
    condition that holds while the model (or the agent) asks for another round."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        name = dotted_name(test.left) or ""
        value = target.comparator
        if (
            isinstance(target.operator, cst.Equal)
            and name.rsplit(".", 1)[-1] in _STOP_FIELDS
            and isinstance(value, cst.SimpleString)
            and value.evaluated_value in _TOOL_STOP_VALUES
        ):
            return name
        return None
    if isinstance(test, cst.Call) and not test.args:
        called = dotted_name(test.func)
        words = identifier_words(called.rsplit(".", 1)[-1]) if called else []
        return called if words and words[-1] in _PENDING_WORDS else None
    field_name = dotted_name(test)
    if (
        field_name is not None
        and "." in field_name
        and field_name.rsplit(".", 1)[-1] in _TOOL_REQUEST_FIELDS
    ):
        return field_name
    return None


def _state_test(test: cst.BaseExpression) -> list[str] | None:
    """The agent-state names when `test` depends on nothing else, else None.

    `not agent.done`, `not state.has_answer()`, `answer is None`, `msg.tool_calls`,
    `reply.stop_reason == "tool_use"`, `task.is_incomplete()`, and `and`/`or` of those.
    """
    requested = _model_request_test(test)
    if requested is not None:
        return [requested]
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        found = _state_reference(test.expression)
        return [found] if found is not None else None
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value in ("None", "False")
    ):
        found = _state_reference(test.left)
        return [found] if found is not None else None
    if isinstance(test, cst.BooleanOperation):
        left, right = _state_test(test.left), _state_test(test.right)
        return left + right if left is not None and right is not None else None
    return None


def _constant_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    return isinstance(test, cst.Integer) and test.evaluated_value != 0


# --- What the loop's body does -------------------------------------------------------------


def _iter_body(root: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, bool]]:
    """Nodes under `root` (not into nested scopes), each with "inside a nested loop"."""
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, nested = stack.pop()
        yield node, nested
        if node is not root and type(node) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
            continue
        inner = nested or (node is not root and type(node) in (cst.For, cst.While))
        stack.extend((child, inner) for child in reversed(children(node)))


def _is_exit_call(node: cst.CSTNode, facts: ModuleFacts) -> bool:
    return isinstance(node, cst.Call) and facts.qualified_name(node.func) in _EXIT_FUNCTIONS


def _leads_to_exit(
    branch: cst.CSTNode | None, can_break: bool, state: set[str], facts: ModuleFacts
) -> bool:
    """Whether `branch` leaves the loop: break (not from an inner loop), return, raise,
    `sys.exit()`, or setting the loop's state flag (`done = True`)."""
    if branch is None:
        return False

    def leaves(node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Return, cst.Raise)) or _is_exit_call(node, facts):
            return True
        if isinstance(node, cst.Assign) and state:
            names = {dotted_name(t.target) for t in node.targets}
            return bool(names & state) and not (
                isinstance(node.value, cst.Name) and node.value.value in ("False", "None")
            )
        return False

    return may_leave([branch], leaves, breaks=can_break)


def _is_read_call(node: cst.BaseExpression, facts: ModuleFacts) -> bool:
    """A call that waits for the next input item (`f.readline()`, `await queue.get()`)."""
    if isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call) or is_llm_call(node, facts):
        return False
    func = node.func
    if isinstance(func, cst.Name):
        return facts.qualified_name(func) in _READ_FUNCTIONS
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method in _READ_METHODS:
            return True
        positional = [a for a in node.args if a.keyword is None]
        return method in _QUEUE_METHODS and not positional
    return False


def _catches_exhaustion(handler: cst.ExceptHandler) -> bool:
    caught = handler.type
    if caught is None:
        return False
    kinds = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    return any((dotted_name(k) or "").rsplit(".", 1)[-1] in _EXHAUSTION_ERRORS for k in kinds)


# Calls that wait for a person, by qualified name (`rich.prompt.Prompt.ask`).
_PERSON_PREFIXES = ("rich.prompt.", "prompt_toolkit.", "questionary.", "getpass.", "inquirer.")
_PERSON_FUNCTIONS = frozenset({"click.prompt", "click.confirm", "typer.prompt", "typer.confirm"})
# First words of a helper named for reading input (`input_with_fallback`, `read_input`).
_INPUT_VERBS = frozenset({"input", "read", "get", "ask", "prompt", "wait", "await", "user"})
# Calls that block until a signal or an event arrives (Temporal's `workflow.wait_condition`).
_WAIT_METHODS = frozenset({"wait_condition", "wait_for_input", "wait_for_user", "wait_for_signal"})
# Keywords by which a framework bounds one run of an agent (`Runner.run(..., max_turns=5)`).
_RUN_LIMIT_KEYWORDS = frozenset({"max_turns", "usage_limits", "recursion_limit"})
# First words of a method that reads or records state rather than asks the model for a move.
_ACCESSOR_VERBS = frozenset(
    {
        "get",
        "is",
        "has",
        "to",
        "set",
        "add",
        "remove",
        "clear",
        "reset",
        "register",
        "load",
        "save",
        "print",
        "log",
        "format",
        "parse",
        "append",
        "copy",
        "deepcopy",
    }
)


def _waits_for_person(call: cst.Call, facts: ModuleFacts) -> bool:
    """A call that waits for a person or an outside signal: `input()` handed to an executor,
    `Prompt.ask(...)`, `input_with_fallback(...)`, `cf.run(..., interactive=True)`,
    `workflow.wait_condition(...)`."""
    qualified = facts.qualified_name(call.func) or ""
    if qualified.startswith(_PERSON_PREFIXES) or qualified in _PERSON_FUNCTIONS:
        return True
    name = dotted_name(call.func) or ""
    last = name.rsplit(".", 1)[-1]
    words = identifier_words(last)
    if last in _WAIT_METHODS or ("input" in words and words[0] in _INPUT_VERBS):
        return True
    if (
        last == "ask"
        and name.count(".") == 1
        and name.split(".")[0].endswith(("Prompt", "Confirm"))
    ):
        return True
    for arg in call.args:
        if arg.keyword is None and isinstance(arg.value, cst.Name) and arg.value.value == "input":
            return True  # `loop.run_in_executor(None, input)`, `asyncio.to_thread(input)`
        if (
            arg.keyword is not None
            and arg.keyword.value == "interactive"
            and isinstance(arg.value, cst.Name)
            and arg.value.value == "True"
        ):
            return True
    return False


def _statement_waits(statement: cst.CSTNode, facts: ModuleFacts) -> bool:
    for node in iter_subtree_no_scopes(statement):
        if isinstance(node, cst.Call) and (
            _is_read_call(node, facts) or _waits_for_person(node, facts)
        ):
            return True
    return False


def _reached_guards(
    statements: list[cst.BaseStatement], state: set[str], facts: ModuleFacts
) -> set[int]:
    """Ids of the tests of the `if`s and `assert`s every pass through the loop reaches, or
    reaches unless it has already left: a guard inside one branch of an `if` counts only
    when the other branches leave the loop (`if reply.tool_calls: steps += 1; if steps >
    MAX: raise ...` `else: return`)."""
    reached: set[int] = set()
    stack = list(statements)
    while stack:
        statement = stack.pop()
        if isinstance(statement, cst.SimpleStatementLine):
            reached.update(id(s.test) for s in statement.body if isinstance(s, cst.Assert))
        elif isinstance(statement, cst.If):
            reached.add(id(statement.test))
            branches: list[cst.BaseSuite] = [statement.body]
            orelse: cst.If | cst.Else | None = statement.orelse
            while isinstance(orelse, cst.If):
                reached.add(id(orelse.test))
                branches.append(orelse.body)
                orelse = orelse.orelse
            if orelse is not None:
                branches.append(orelse.body)
            for index, branch in enumerate(branches):
                others = branches[:index] + branches[index + 1 :]
                # Without an `else`, falling through is another way round the loop.
                if orelse is not None and all(
                    _leads_to_exit(b, True, state, facts) for b in others
                ):
                    stack.extend(block_statements(branch))
        elif isinstance(statement, (cst.Try, cst.With, cst.For, cst.While)):
            # The body of a `try`/`with` always runs; guards in a nested loop were accepted
            # before and stay so (their `raise`/`return` leave this loop too).
            stack.extend(block_statements(statement.body))
    return reached


def _turns_tools_off(body: cst.BaseSuite) -> bool:
    """`tool_choice = "none"` in the body: after that round the model cannot ask for
    another tool call, so a loop that runs while it does ends."""
    for node in iter_subtree_no_scopes(body):
        if type(node) is cst.Assign and type(node.value) is cst.SimpleString:
            for target in node.targets:
                name = dotted_name(target.target) or ""
                words = identifier_words(name.rsplit(".", 1)[-1])
                if "tool" in words and "choice" in words and node.value.evaluated_value == "none":
                    return True
    return False


def _paced(statements: list[cst.BaseStatement], state: set[str], facts: ModuleFacts) -> bool:
    """Whether every pass through `statements` waits for input or leaves the loop first.

    An input read only on one branch (`except: input("press enter")`) does not pace the
    loop: the other branch can go round without waiting.
    """
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            if _statement_waits(statement, facts):
                return True
        elif isinstance(statement, cst.If):
            if _statement_waits(statement.test, facts):
                return True
            branches: list[cst.BaseSuite] = [statement.body]
            orelse: cst.If | cst.Else | None = statement.orelse
            while isinstance(orelse, cst.If):
                branches.append(orelse.body)
                orelse = orelse.orelse
            if orelse is None:
                continue
            branches.append(orelse.body)
            if all(
                _paced(list(block_statements(b)), state, facts)
                or _leads_to_exit(b, True, state, facts)
                for b in branches
            ):
                return True
        elif isinstance(statement, (cst.Try, cst.With)) and _paced(
            list(block_statements(statement.body)), state, facts
        ):
            return True
    return False


@dataclass(slots=True)
class _Body:
    """What one pass over a loop body found."""

    counters: set[str] = field(default_factory=set)
    calls: list[cst.Call] = field(default_factory=list)
    periodic: bool = False
    guards: list[tuple[cst.CSTNode, cst.CSTNode | None, cst.CSTNode | None, bool]] = field(
        default_factory=list
    )  # (test, body, orelse, in a nested loop)
    exhaustion_handlers: list[tuple[cst.ExceptHandler, bool]] = field(default_factory=list)


def _sleeps(statement: cst.BaseStatement, facts: ModuleFacts) -> bool:
    """`time.sleep(...)` / `await asyncio.sleep(...)` as a statement of its own."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Expr):
            value = small.value
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Call) and facts.qualified_name(value.func) in _SLEEPS:
                return True
    return False


def _scan(body: cst.BaseSuite, facts: ModuleFacts) -> _Body:
    found = _Body()
    if type(body) is cst.IndentedBlock:
        found.periodic = any(_sleeps(s, facts) for s in body.body)
    for node, nested in _iter_body(body):
        if type(node) is cst.Call:
            found.calls.append(node)
        elif type(node) is cst.AugAssign and type(node.operator) in (
            cst.AddAssign,
            cst.SubtractAssign,
        ):
            name = dotted_name(node.target)
            if name is not None:
                found.counters.add(name)
        elif type(node) is cst.Assign or type(node) is cst.AnnAssign or type(node) is cst.NamedExpr:
            value = node.value
            if value is None:
                continue
            targets = (
                [t.target for t in node.targets]
                if type(node) is cst.Assign
                else [cast("cst.AnnAssign | cst.NamedExpr", node).target]
            )
            if type(value) is cst.BinaryOperation and isinstance(
                value.operator, (cst.Add, cst.Subtract)
            ):
                reads = referenced_names(value)
                for target in targets:
                    name = dotted_name(target)
                    if name is not None and name in reads:
                        found.counters.add(name)  # `i = i + 1`
        elif type(node) is cst.If:
            found.guards.append((node.test, node.body, node.orelse, nested))
        elif type(node) is cst.Assert:
            found.guards.append((node.test, cst.Raise(), None, nested))
        elif type(node) is cst.ExceptHandler and _catches_exhaustion(node):
            found.exhaustion_handlers.append((node, nested))
    return found


def _is_bound(test: cst.CSTNode, counters: set[str]) -> bool:
    """A guard that compares a counter, a clock or a length against a limit."""
    if _words(referenced_names(test)) & _LIMIT_WORDS:
        return True
    for node in iter_subtree_no_scopes(test):
        if not isinstance(node, cst.Comparison):
            continue
        sides: list[cst.CSTNode] = [node.left, *(c.comparator for c in node.comparisons)]
        ordering = any(
            isinstance(
                c.operator, (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)
            )
            for c in node.comparisons
        )
        equality = any(isinstance(c.operator, (cst.Equal, cst.NotEqual)) for c in node.comparisons)
        for side in sides:
            reads = referenced_names(side)
            if reads & counters and (ordering or equality):
                return True
            if not ordering:
                continue
            if _words(reads) & _COUNT_WORDS:
                return True
            for call in iter_subtree_no_scopes(side):
                if isinstance(call, cst.Call):
                    name = dotted_name(call.func) or ""
                    if name == "len" or name.rsplit(".", 1)[-1] in _CLOCKS:
                        return True
    return False


def _is_agent_step(call: cst.Call, facts: ModuleFacts) -> bool:
    """A call that asks a model or an agent for its next move."""
    if any(a.keyword is not None and a.keyword.value in _RUN_LIMIT_KEYWORDS for a in call.args):
        return False  # the framework bounds this run (`Runner.run(..., max_turns=5)`)
    if is_llm_call(call, facts):
        return True
    name = dotted_name(call.func)
    if name is None:
        if isinstance(call.func, cst.Attribute):
            return call.func.attr.value in _STEP_NAMES
        return False
    parts = name.split(".")
    if parts[-1] in _STEP_NAMES:
        return True
    method = identifier_words(parts[-1])
    if len(parts) > 1 and method and method[0] in _ACCESSOR_VERBS:
        return False  # `agent.get_tool_messages(doc)` reads the agent, it is not a step
    return bool(_words(set(parts)) & _AGENT_WORDS)


def _calls_itself(call: cst.Call, name: str, method: bool, params: set[str]) -> bool:
    """`name(...)` (or `self.name(...)` in a method) with arguments that are the function's
    own parameters, its locals or literals: not a walk down a structure (`f(node.parent)`,
    `f(children[0])`), which the structure bounds."""
    func = call.func
    if method:
        if not (
            type(func) is cst.Attribute
            and func.attr.value == name
            and isinstance(func.value, cst.Name)
            and func.value.value in ("self", "cls")
        ):
            return False
    elif not (type(func) is cst.Name and func.value == name):
        return False
    for arg in call.args:
        if not isinstance(arg.value, (cst.Name, cst.SimpleString, cst.Integer, cst.List)):
            return False
        if isinstance(arg.value, cst.List) and arg.value.elements:
            return False
    return True


# --- The fix ---------------------------------------------------------------------------------

# Methods of an agent object that run one step of it (`agent.step()`, `crew.run()`).
_AGENT_STEP_METHODS = frozenset({"step", "astep", "run", "arun", "tick", "next_step"})


def _model_loop(calls: list[cst.Call], facts: ModuleFacts) -> bool:
    """Whether the loop certainly asks a model or an agent for its next move (a client
    request, a step-named call, `agent.step()`): only then is the rewrite offered."""
    for call in calls:
        if any(a.keyword is not None and a.keyword.value in _RUN_LIMIT_KEYWORDS for a in call.args):
            continue
        if is_llm_call(call, facts):
            return True
        name = dotted_name(call.func)
        if name is None:
            continue
        parts = name.split(".")
        if parts[-1] in _STEP_NAMES:
            return True
        if parts[-1] in _AGENT_STEP_METHODS and _words(set(parts[:-1])) & _AGENT_WORDS:
            return True
    return False


def _negated(test: cst.BaseExpression) -> cst.BaseExpression:
    """`agent.done` for `not agent.done`, `x is not None` for `x is None`, else `not (t)`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, cst.Is):
            return test.with_changes(comparisons=[target.with_changes(operator=cst.IsNot())])
    if not test.lpar and not isinstance(test, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        test = test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.UnaryOperation(operator=cst.Not(), expression=test)


def _block(body: cst.BaseSuite) -> cst.IndentedBlock:
    if isinstance(body, cst.IndentedBlock):
        return body
    assert isinstance(body, cst.SimpleStatementSuite)
    return cst.IndentedBlock(body=[cst.SimpleStatementLine(body=list(body.body))])


@dataclass(slots=True)
class _Recursion:
    """A function being walked that may be a recursive agent function: its name, whether it
    is a method (the recursion is `self.name(...)`), its parameters, and whether a call
    that may be the recursion was seen in its body so far."""

    name: str
    method: bool
    params: set[str]
    calls_itself: bool = False


class UnboundedAgentLoop(Rule):
    code = "AGT101"
    name = "unbounded-agent-loop"
    summary = "An agent loop that only the model can end: it has no bound on its iterations."
    rationale = (
        "An agent loop that runs `while True` (or `while not agent.done`) until the model "
        "says it is finished trusts the model to finish. Models get stuck: they call the "
        "same tool again and again, never emit the final-answer format the loop waits for, "
        "or go round a tool that keeps failing. Without a step counter such a loop spins "
        "until someone notices the bill, the rate limit or the hung request. An exit that "
        "depends only on the model's reply (`if action == 'final_answer': break`) is not a "
        "bound. Count the steps and stop (with an error, not silently) at a limit. Loops "
        "paced by their input (readers, servers, queue consumers, a person answering "
        "`input()` or a prompt on every pass) or by a `sleep` among their own statements "
        "(schedulers, pollers) are not flagged, nor runs the framework bounds "
        "(`max_turns=`, `usage_limits=`); the body must call a model or an agent step "
        "(`llm.invoke`, `agent.step()`). The same loop written as recursion (an agent "
        "function that calls itself after a model call, with no depth) is flagged too."
    )
    fix_description = (
        "Unsafe: `while True:` becomes `for _step in range(MAX_ITERATIONS):` with an "
        "`else:` that raises `RuntimeError`, and `MAX_ITERATIONS = 10` is added at module "
        "level when the module does not define it (the name and value are the options "
        "`max-iterations-name` and `default-max-iterations`). A condition such as "
        "`while not agent.done:` keeps its meaning as closely as a bounded loop can: the "
        "body opens with the negated condition and a `break` (`if agent.done: break`), so "
        "it is still checked before every step, and the `else:` raises only if the "
        "condition still holds after the last step (`if not agent.done: raise ...`). Not "
        "offered for a loop that already has an `else:`."
    )
    options_model = UnboundedAgentLoopOptions
    flagged = (
        Flagged(
            """
            from openai import OpenAI

            client = OpenAI()

            def run(messages, tools):
                while True:
                    response = client.chat.completions.create(
                        model="gpt-4o", messages=messages, tools=tools
                    )
                    message = response.choices[0].message
                    if not message.tool_calls:
                        return message.content
                    messages.append(message)
                    for call in message.tool_calls:
                        messages.append(execute(call))
            """,
            line=6,
            column=5,
            message="no iteration bound",
            fixed="""
            from openai import OpenAI
            MAX_ITERATIONS = 10

            client = OpenAI()

            def run(messages, tools):
                for _step in range(MAX_ITERATIONS):
                    response = client.chat.completions.create(
                        model="gpt-4o", messages=messages, tools=tools
                    )
                    message = response.choices[0].message
                    if not message.tool_calls:
                        return message.content
                    messages.append(message)
                    for call in message.tool_calls:
                        messages.append(execute(call))
                else:
                    raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")
            """,
        ),
        Flagged(
            '''
            """Solve a task with an agent."""

            async def solve(agent, task):
                await agent.start(task)
                while not agent.done:
                    await agent.step()
                return agent.result
            ''',
            line=5,
            message="`while not agent.done`",
            fixed='''
            """Solve a task with an agent."""
            MAX_ITERATIONS = 10

            async def solve(agent, task):
                await agent.start(task)
                for _step in range(MAX_ITERATIONS):
                    if agent.done:
                        break
                    await agent.step()
                else:
                    if not agent.done:
                        raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")
                return agent.result
            ''',
        ),
        Flagged(
            # The constant's name and value are options.
            """
            import anthropic

            client = anthropic.Anthropic()

            def research(state):
                while not state.has_answer():
                    reply = client.messages.create(
                        model="claude-sonnet-4-5", max_tokens=1024, messages=state.messages
                    )
                    state.update(reply)
                return state.answer
            """,
            line=6,
            options={"max-iterations-name": "AGENT_MAX_STEPS", "default-max-iterations": 25},
            fixed="""
            import anthropic
            AGENT_MAX_STEPS = 25

            client = anthropic.Anthropic()

            def research(state):
                for _step in range(AGENT_MAX_STEPS):
                    if state.has_answer():
                        break
                    reply = client.messages.create(
                        model="claude-sonnet-4-5", max_tokens=1024, messages=state.messages
                    )
                    state.update(reply)
                else:
                    if not state.has_answer():
                        raise RuntimeError(f"agent loop did not finish within {AGENT_MAX_STEPS} steps")
                return state.answer
            """,
        ),
        Flagged(
            # An exit that depends only on the model's reply is not a bound; the module
            # already defines the constant, so the fix only rewrites the loop.
            """
            MAX_ITERATIONS = 8

            def react(llm, question):
                scratchpad = question
                while 1:
                    output = llm.invoke(scratchpad)
                    action, arg = parse(output)
                    if action == "final_answer":
                        break
                    scratchpad += run_tool(action, arg)
                return arg
            """,
            line=5,
            message="`while 1`",
            fixed="""
            MAX_ITERATIONS = 8

            def react(llm, question):
                scratchpad = question
                for _step in range(MAX_ITERATIONS):
                    output = llm.invoke(scratchpad)
                    action, arg = parse(output)
                    if action == "final_answer":
                        break
                    scratchpad += run_tool(action, arg)
                else:
                    raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")
                return arg
            """,
        ),
        Flagged(
            # A loop with an `else:` gets no fix (the rewrite needs the `else:`).
            """
            def chat_until_done(agent, answer=None):
                while answer is None:
                    answer = agent.chat()
                else:
                    print("finished")
                return answer
            """,
            line=2,
        ),
        Flagged(
            # The model's own request for another tool round is the only exit.
            """
            from openai import OpenAI

            client = OpenAI()

            def run(messages, tools):
                msg = ask(client, messages, tools)
                while msg.tool_calls:
                    messages.append(msg)
                    messages.extend(execute(call) for call in msg.tool_calls)
                    msg = client.chat.completions.create(model="gpt-4o", messages=messages)
                return msg.content
            """,
            line=7,
            message="`while msg.tool_calls`",
            fixed="""
            from openai import OpenAI
            MAX_ITERATIONS = 10

            client = OpenAI()

            def run(messages, tools):
                msg = ask(client, messages, tools)
                for _step in range(MAX_ITERATIONS):
                    if not msg.tool_calls:
                        break
                    messages.append(msg)
                    messages.extend(execute(call) for call in msg.tool_calls)
                    msg = client.chat.completions.create(model="gpt-4o", messages=messages)
                else:
                    if msg.tool_calls:
                        raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")
                return msg.content
            """,
        ),
        Flagged(
            # `stop_reason == "tool_use"` and a task the agent reports as incomplete.
            """
            def tools_loop(client, messages, response):
                while response.stop_reason == "tool_use":
                    messages.append(run_tools(response))
                    response = client.messages.create(model="claude", messages=messages)

            def flow(cf, main_task):
                while main_task.is_incomplete():
                    cf.run("Work on the task", agents=[writer])
            """,
            line=2,
            count=2,
            message='`while response.stop_reason == "tool_use"`',
            fixed="""
            MAX_ITERATIONS = 10
            def tools_loop(client, messages, response):
                for _step in range(MAX_ITERATIONS):
                    if not (response.stop_reason == "tool_use"):
                        break
                    messages.append(run_tools(response))
                    response = client.messages.create(model="claude", messages=messages)
                else:
                    if response.stop_reason == "tool_use":
                        raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")

            def flow(cf, main_task):
                for _step in range(MAX_ITERATIONS):
                    if not main_task.is_incomplete():
                        break
                    cf.run("Work on the task", agents=[writer])
                else:
                    if main_task.is_incomplete():
                        raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")
            """,
        ),
        Flagged(
            # An `input()` only on the error branch does not pace the loop: a model that
            # keeps writing code that runs goes round without waiting for anyone.
            """
            def interpreter(llm, messages):
                while True:
                    code = llm.invoke(messages)
                    try:
                        output = run_code(code)
                    except SyntaxError:
                        answer = input("The code did not parse; let the model retry? ")
                        continue
                    messages.append(output)
                    if "DONE" in output:
                        break
            """,
            line=2,
            fixed="""
            MAX_ITERATIONS = 10
            def interpreter(llm, messages):
                for _step in range(MAX_ITERATIONS):
                    code = llm.invoke(messages)
                    try:
                        output = run_code(code)
                    except SyntaxError:
                        answer = input("The code did not parse; let the model retry? ")
                        continue
                    messages.append(output)
                    if "DONE" in output:
                        break
                else:
                    raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")
            """,
        ),
        Flagged(
            # Only a name says "agent": flagged, but the rewrite is not offered.
            """
            def supervise(supervisor_agent, job):
                while not job.done:
                    supervisor_agent.delegate(job)
            """,
            line=2,
        ),
        Flagged(
            # The same loop written as recursion.
            """
            def run_agent(client, messages):
                reply = client.chat.completions.create(model="gpt-4o", messages=messages)
                message = reply.choices[0].message
                if not message.tool_calls:
                    return message.content
                messages.append(message)
                messages.extend(execute(call) for call in message.tool_calls)
                return run_agent(client, messages)
            """,
            line=8,
            column=12,
            message="calls itself again after a model call",
        ),
        Flagged(
            # Generate and judge until the judge passes it: the attempts are counted and
            # bounded only in one mode, so in the other the loop is unbounded.
            """
            def write(llm, judge, task, mode):
                attempts = 0
                while True:
                    draft = llm.invoke(task)
                    if judge.invoke(draft) == "pass":
                        return draft
                    if mode == "strict":
                        attempts += 1
                        if attempts >= 3:
                            raise RuntimeError("no draft passed")
            """,
            line=3,
            fixed="""
            MAX_ITERATIONS = 10
            def write(llm, judge, task, mode):
                attempts = 0
                for _step in range(MAX_ITERATIONS):
                    draft = llm.invoke(task)
                    if judge.invoke(draft) == "pass":
                        return draft
                    if mode == "strict":
                        attempts += 1
                        if attempts >= 3:
                            raise RuntimeError("no draft passed")
                else:
                    raise RuntimeError(f"agent loop did not finish within {MAX_ITERATIONS} steps")
            """,
        ),
    )
    clean = (
        # A kernel message listener that asks a model only when the program stalls: paced
        # by `get_msg`; the error counter bounds errors, not the listening.
        Clean(
            """
            import queue

            def listen(kc, llm, stalled):
                max_retries = 100
                while True:
                    try:
                        if stalled():
                            kc.input(llm.invoke("what should be typed?"))
                        msg = kc.iopub_channel.get_msg(timeout=0.05)
                    except queue.Empty:
                        continue
                    except Exception:
                        max_retries -= 1
                        if max_retries < 0:
                            raise
                        continue
                    if msg["content"].get("execution_state") == "idle":
                        return
            """
        ),
        # A bound inside the branch that goes round again, the other branch leaving.
        Clean(
            """
            def tool_loop(client, messages):
                steps = 0
                while True:
                    reply = client.chat.completions.create(model="m", messages=messages)
                    if reply.tool_calls:
                        steps += 1
                        if steps > 8:
                            raise RuntimeError("too many tool rounds")
                        messages.extend(run(reply.tool_calls))
                    else:
                        return reply.content
            """
        ),
        # Recursion with a depth passed along, and a walk down a tree that bounds it.
        Clean(
            """
            def run_agent(client, messages, depth=0):
                reply = client.chat.completions.create(model="gpt-4o", messages=messages)
                if reply.done or depth >= 10:
                    return reply
                return run_agent(client, messages, depth + 1)

            def summarize(llm, node):
                summary = llm.invoke(node.text)
                for child in node.children:
                    summarize(llm, child)
                return summarize(llm, node.parent) if node.parent else summary
            """
        ),
        # Chat loops paced by a person: `input_with_fallback(...)`, `input` in an executor on
        # the other branch, rich's `Prompt.ask`, a `read_input()` helper,
        # `cf.run(..., interactive=True)`.
        Clean(
            """
            import asyncio
            from rich.prompt import Prompt

            async def chat(agent, auto_mode):
                while True:
                    if auto_mode:
                        message = input_with_fallback("You: ", "What's the weather?")
                    else:
                        loop = asyncio.get_running_loop()
                        message = await loop.run_in_executor(None, input)
                    if not message.strip():
                        break
                    print(await agent.run(message))

            async def find_seat(agent):
                while True:
                    answer = Prompt.ask("What seat would you like?")
                    result = await agent.run(answer)
                    if result.ok:
                        return result.output

            def realtime(connection):
                while True:
                    text = read_input("Enter a message: ")
                    if text == "q":
                        break
                    connection.response.create(input=text)

            def tutor(cf):
                while True:
                    lesson = cf.run("Create a lesson")
                    if not cf.run("Ask whether to continue", interactive=True, result_type=bool):
                        break
            """
        ),
        # Runs the framework bounds (`max_turns=`, `usage_limits=`), a Temporal workflow
        # waiting for signals, and a walk up a `.parent` chain that calls no model.
        Clean(
            """
            async def triage(Runner, agent, items):
                while True:
                    result = await Runner.run(agent, items, max_turns=8)
                    if result.final_output:
                        return result.final_output

            async def search(agent, limits):
                while True:
                    result = await agent.run("find a flight", usage_limits=limits)
                    if result.output:
                        return result.output

            class Session:
                async def run(self, workflow, agent):
                    while not self._done:
                        await workflow.wait_condition(lambda: bool(self._pending))
                        await agent.run(self._pending.pop())

            def forced_tool_then_answer(connection, prompt):
                tool_choice = {"type": "function", "name": "lookup"}
                while True:
                    reply = connection.responses.create(input=prompt, tool_choice=tool_choice)
                    if not reply.function_calls:
                        return reply.text
                    prompt = run_tools(reply.function_calls)
                    tool_choice = "none"

            def passed_doc(agent, doc, tool_type):
                while True:
                    tools = agent.get_tool_messages(doc)
                    if doc.parent is None:
                        break
                    doc = doc.parent
                return doc
            """
        ),
        Clean(
            """
            MAX_STEPS = 10

            def run(llm, messages):
                for step in range(MAX_STEPS):
                    reply = llm.invoke(messages)
                    if reply.done:
                        return reply
                raise RuntimeError("no answer")
            """
        ),
        Clean(
            """
            def run(llm, messages, max_steps=10):
                i = 0
                while i < max_steps:
                    reply = llm.invoke(messages)
                    i += 1
            """
        ),
        # A counter compared against a limit in a guard that raises.
        Clean(
            """
            def run(agent):
                steps = 0
                while not agent.done:
                    agent.step()
                    steps += 1
                    if steps >= 20:
                        raise RuntimeError("agent did not finish")
            """
        ),
        # Readers and servers paced by their input.
        Clean(
            """
            def summarize_lines(llm, path):
                with open(path) as f:
                    while True:
                        line = f.readline()
                        if not line:
                            break
                        llm.invoke(line)

            def consume(agent, stream):
                while True:
                    try:
                        chunk = next(stream)
                    except StopIteration:
                        break
                    agent.run(chunk)
            """
        ),
        # Queue consumers with a sentinel check.
        Clean(
            """
            SENTINEL = object()

            async def worker(agent, queue):
                while True:
                    item = await queue.get()
                    if item is None:
                        break
                    await agent.arun(item)

            async def inbox(llm, messages):
                while True:
                    msg = await messages.get()
                    if msg is SENTINEL:
                        return
                    await llm.ainvoke(msg)
            """
        ),
        # A socket server (no model call) and an interactive chat paced by the user.
        Clean(
            """
            def serve(sock, handle):
                while True:
                    conn, _ = sock.accept()
                    handle(conn)

            def repl(chain):
                while True:
                    question = input("> ")
                    print(chain.invoke(question))
            """
        ),
        # A periodic job and a bot polling for updates.
        Clean(
            """
            import time

            def hourly_digest(llm, fetch_news, post):
                while True:
                    post(llm.invoke(fetch_news()))
                    time.sleep(3600)

            def bot(api, llm):
                while True:
                    updates = api.get_updates(timeout=30)
                    for update in updates:
                        api.send(update.chat, llm.invoke(update.text))
            """
        ),
        # A deadline, a limit in the condition, and a step count kept by the agent.
        Clean(
            """
            import time

            def run(agent, llm, deadline, max_steps):
                while True:
                    if time.monotonic() > deadline:
                        break
                    llm.invoke("next")
                while not agent.done and agent.steps < max_steps:
                    agent.step()
                while True:
                    agent.step()
                    if agent.step_count >= 30:
                        return None
            """
        ),
    )

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        super().__init__(context, options)
        # One entry per function being walked, innermost last (None: it cannot recurse).
        self._functions: list[_Recursion | None] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """An agent function that asks the model and then calls itself again: the same
        unbounded loop written as recursion (and a RecursionError only after ~1000 calls).

        Most functions never call themselves: the cheap tests here pick the candidates, the
        calls seen by `visit_Call` in the walk of the body mark the ones that may, and only
        those are checked, in `leave_FunctionDef` (no sub-walk of every function)."""
        self._functions.append(self._recursion_candidate(node))

    def _recursion_candidate(self, node: cst.FunctionDef) -> _Recursion | None:
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        names = {p.name.value for p in params}
        if _words(names) & (_LIMIT_WORDS | _COUNT_WORDS):
            return None  # a depth or a budget is passed along
        if self.context.index.word_count(node.name.value) < 2:
            return None  # the name is written only in its `def`: nothing calls it
        method = any(type(n) is cst.ClassDef for n in self.context.ancestors[-2:])
        return _Recursion(node.name.value, method, names)

    def visit_Call(self, node: cst.Call) -> None:
        # The innermost function's entry (a call in a nested lambda or class body may mark
        # it too: `leave_FunctionDef` then looks at the function's own calls, as before).
        if not self._functions:
            return
        candidate = self._functions[-1]
        if candidate is None or candidate.calls_itself:
            return
        if _calls_itself(node, candidate.name, candidate.method, candidate.params):
            candidate.calls_itself = True

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        candidate = self._functions.pop() if self._functions else None
        if candidate is None or not candidate.calls_itself:
            return  # no call that could be the recursion: skip the walk below
        facts = self.context.facts
        name, method, names = candidate.name, candidate.method, candidate.params
        calls = self.context.index.of_kind(node.body, (cst.Call,))
        if not any(_calls_itself(call, name, method, names) for call in calls):
            return
        asked = False
        for inner, in_loop in _iter_body(node.body):
            if type(inner) is not cst.Call:
                continue
            if is_llm_call(inner, facts):
                asked = True
                continue
            if asked and not in_loop and _calls_itself(inner, name, method, names):
                self.report(
                    inner,
                    f"agent function `{name}` calls itself again after a model call "
                    "with no depth limit: only the model's replies can end the recursion; pass "
                    "a depth (or a step budget) and stop at a limit",
                )
                return

    def visit_While(self, node: cst.While) -> None:
        test = node.test
        state: list[str] | None = None
        if not _constant_true(test):
            state = _state_test(test)
            if state is None:
                return
        facts = self.context.facts
        body = _scan(node.body, facts)
        state_names = set(state or ())
        if not any(_is_agent_step(call, facts) for call in body.calls):
            return
        if body.periodic or _paced(list(block_statements(node.body)), state_names, facts):
            return
        if _turns_tools_off(node.body):
            return
        for handler, nested in body.exhaustion_handlers:
            if _leads_to_exit(handler.body, not nested, state_names, facts):
                return
        reached = _reached_guards(list(block_statements(node.body)), state_names, facts)
        for guard, then, orelse, nested in body.guards:
            if id(guard) not in reached:
                continue  # a bound checked in one mode only (`if strict: if n > 3: raise`)
            if not (
                _leads_to_exit(then, not nested, state_names, facts)
                or _leads_to_exit(orelse, not nested, state_names, facts)
            ):
                continue
            if _is_bound(guard, body.counters):
                return
        shown = self.context.module.code_for_node(test).strip()
        if len(shown) > 40:
            shown = shown[:37] + "..."
        self.report(
            node,
            f"agent loop `while {shown}` has no iteration bound: only the model's replies can "
            "end it, so a stuck model loops (and bills) forever; count the steps and "
            f"stop at a limit (`for _step in range({self._options().max_iterations_name}):`)",
            end_node=test,
            fix=self._fix(node, state is not None) if _model_loop(body.calls, facts) else None,
        )

    def _options(self) -> UnboundedAgentLoopOptions:
        options = self.options
        if isinstance(options, UnboundedAgentLoopOptions):
            return options
        return UnboundedAgentLoopOptions.model_validate({})

    def _fix(self, node: cst.While, conditional: bool) -> FixPlan | None:
        if node.orelse is not None:
            return None
        options = self._options()
        limit = options.max_iterations_name
        loop_var = "_step"
        taken = referenced_names(node)
        while loop_var in taken:
            loop_var += "_"
        message = f'f"agent loop did not finish within {{{limit}}} steps"'
        raise_code = f"raise RuntimeError({message})\n"
        body = _block(node.body)
        if conditional:
            stop = cst.If(
                test=_negated(node.test),
                body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Break()])]),
            )
            body = body.with_changes(body=[stop, *body.body])
            check = cst.parse_statement(f"if x:\n    {raise_code}")
            assert isinstance(check, cst.If)
            final: cst.BaseStatement = check.with_changes(test=node.test)
        else:
            final = cst.parse_statement(raise_code)
        new = cst.For(
            target=cst.Name(loop_var),
            iter=cst.Call(func=cst.Name("range"), args=[cst.Arg(cst.Name(limit))]),
            body=body,
            orelse=cst.Else(body=cst.IndentedBlock(body=[final])),
            leading_lines=node.leading_lines,
        )
        changes: list[Replace | InsertStatements] = [Replace(node, new)]
        facts = self.context.facts
        if limit not in facts.local_definitions and limit not in facts.imports:
            changes.append(InsertStatements(f"{limit} = {options.default_max_iterations}"))
        return FixPlan(
            f"Bound the loop with `for _ in range({limit})`",
            tuple(changes),
            Applicability.UNSAFE,
        )
