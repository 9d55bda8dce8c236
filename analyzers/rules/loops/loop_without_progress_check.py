"""AGT102: a bounded agent loop that runs model-chosen tool calls and remembers none of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.detect.names import words_of
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.model import Severity
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

# Calls that run a tool by a name or arguments given at run time.
_DISPATCH_METHODS = frozenset(
    {
        "execute",
        "aexecute",
        "call_tool",
        "acall_tool",
        "run_tool",
        "arun_tool",
        "execute_tool",
        "invoke_tool",
        "dispatch",
        "dispatch_tool",
        "use_tool",
    }
)
# Methods of a tool looked up by name: `tools[name].run(args)`.
_TOOL_OBJECT_METHODS = frozenset({"run", "arun", "invoke", "ainvoke", "call", "forward"})
# Methods that put something into a collection or a memory: the loop keeps a record.
_RECORDING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "add",
        "extend",
        "insert",
        "update",
        "setdefault",
        "put",
        "put_nowait",
        "push",
        "add_message",
        "add_messages",
    }
)
_RECORDING_WORDS = re.compile(r"record|remember|memor|histor|track|save|store")
# Names of a record of past steps: consulting one is a progress check.
_RECORD_NAME = re.compile(
    r"seen|histor|visited|previous|prev_|tried|attempted|memory|trajector|transcript"
    r"|scratchpad|past_|already|repeat|duplicate|called",
    re.IGNORECASE,
)


def _names_in(node: cst.CSTNode) -> set[str]:
    return {n.value for n in iter_subtree(node) if isinstance(n, cst.Name)}


def _loop_nodes(loop: cst.For | cst.While) -> Iterator[cst.CSTNode]:
    for stmt in block_statements(loop.body):
        yield from iter_subtree_no_scopes(stmt)


def _is_bounded(loop: cst.For | cst.While, facts: ModuleFacts) -> bool:
    """`for _ in range(N)`, or `while step < MAX` / `while steps_left > 0`."""
    if isinstance(loop, cst.For):
        iterable = loop.iter
        return isinstance(iterable, cst.Call) and facts.qualified_name(iterable.func) == "range"
    test = loop.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    operator = test.comparisons[0].operator
    return isinstance(
        operator, (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)
    ) and isinstance(test.left, (cst.Name, cst.Attribute))


def _model_values(loop: cst.For | cst.While, facts: ModuleFacts) -> set[str]:
    """Names that hold what a model returned in this loop (or something derived from it)."""
    tainted: set[str] = set()
    nodes = list(_loop_nodes(loop))
    llm_calls = {id(n) for n in nodes if type(n) is cst.Call and is_llm_call(n, facts)}
    if not llm_calls:
        return tainted

    def from_model(value: cst.CSTNode) -> bool:
        return any(
            id(n) in llm_calls or (isinstance(n, cst.Name) and n.value in tainted)
            for n in iter_subtree(value)
        )

    for _ in range(2):  # a second pass sees values carried across iterations
        for node in nodes:
            pairs: list[tuple[cst.CSTNode, cst.CSTNode]] = []
            if isinstance(node, cst.Assign):
                pairs = [(t.target, node.value) for t in node.targets]
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr)):
                if node.value is not None:
                    pairs = [(node.target, node.value)]
            elif isinstance(node, cst.For):
                pairs = [(node.target, node.iter)]
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                pairs = [(node.asname.name, node.item)]
            for target, value in pairs:
                if from_model(value):
                    tainted |= _names_in(target)
    return tainted


def _dispatch_parts(call: cst.Call) -> list[cst.CSTNode] | None:
    """The name and argument expressions of a dynamic tool call, or None if not one."""
    func = call.func
    args: list[cst.CSTNode] = [a.value for a in call.args]
    if isinstance(func, cst.Subscript):  # tools[name](**args)
        return [func.slice[0], *args] if func.slice else args
    if isinstance(func, cst.Call) and isinstance(func.func, cst.Name):
        if func.func.value == "getattr" and len(func.args) >= 2:  # getattr(tools, name)(...)
            return [func.args[1].value, *args]
        return None
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method in _DISPATCH_METHODS:
            return args
        if method in _TOOL_OBJECT_METHODS and isinstance(func.value, cst.Subscript):
            return [func.value.slice[0], *args] if func.value.slice else args
        return None
    if isinstance(func, cst.Name) and func.value in _DISPATCH_METHODS:
        return args
    return None


# Words of a container of the tools themselves: `name in tools` validates the model's
# choice (what AGT202 asks for); it remembers nothing about past steps.
_REGISTRY_WORDS = frozenset(
    {
        "tool",
        "tools",
        "function",
        "functions",
        "registry",
        "handlers",
        "actions",
        "available",
        "allowed",
        "commands",
        "toolbox",
        "toolkit",
    }
)


def _is_registry(container: cst.BaseExpression) -> bool:
    """`tools`, `self.tools`, `TOOL_REGISTRY`, `available_functions.keys()`."""
    if isinstance(container, cst.Call) and isinstance(container.func, cst.Attribute):
        container = container.func.value  # `tools.keys()`
    name = dotted_name(container)
    if name is None or _RECORD_NAME.search(name):
        return False
    return bool(words_of([name.rsplit(".", 1)[-1]]) & _REGISTRY_WORDS)


def _keeps_record(loop: cst.For | cst.While) -> bool:
    """Anything in the loop that could remember past actions counts (be conservative)."""
    for node in _loop_nodes(loop):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method in _RECORDING_METHODS or _RECORDING_WORDS.search(method.lower()):
                return True
        elif isinstance(node, cst.Comparison):
            if any(
                isinstance(c.operator, (cst.In, cst.NotIn)) and not _is_registry(c.comparator)
                for c in node.comparisons
            ):
                return True
        elif isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
            targets = (
                [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            )
            if any(isinstance(t, cst.Subscript) for t in targets):
                return True  # seen[key] = ...
            if isinstance(node, cst.AugAssign) and not isinstance(
                node.value, (cst.Integer, cst.Float)
            ):
                return True  # transcript += observation
            value = node.value
            if value is not None and _names_in(value) & {
                n for t in targets for n in _names_in(t) if isinstance(t, cst.Name)
            }:
                return True  # prompt = prompt + observation
        elif (isinstance(node, cst.Name) and _RECORD_NAME.search(node.value)) or (
            isinstance(node, cst.Attribute) and _RECORD_NAME.search(node.attr.value)
        ):
            return True
    return False


class LoopWithoutProgressCheck(Rule):
    code = "AGT102"
    name = "loop-without-progress-check"
    summary = "A bounded agent loop runs model-chosen tool calls and keeps no record of them."
    rationale = (
        "A model that gets the same observation back tends to make the same call again: "
        "search for the same query, read the same file, retry the same failing command. A "
        "loop that remembers nothing about past actions cannot notice, so it spends every "
        "remaining step (and its token budget) repeating one tool call before giving up "
        "without an answer. Keep the (tool, arguments) pairs already run, or the message "
        "history, and stop or tell the model when it repeats itself."
    )
    severity: ClassVar[Severity] = Severity.INFO
    flagged = (
        Flagged(
            """
            def solve(llm, tools, task):
                observation = task
                for _ in range(MAX_STEPS):
                    action = parse_action(llm.invoke(observation))
                    if action.name == "finish":
                        return action.args["answer"]
                    observation = tools[action.name](**action.args)
            """,
            line=3,
            column=5,
            message="no record",
        ),
        Flagged(
            """
            async def agent_loop(client, session, prompt):
                step = 0
                while step < MAX_STEPS:
                    response = await client.messages.create(
                        model=MODEL, messages=[{"role": "user", "content": prompt}]
                    )
                    call = response.content[0]
                    result = await session.call_tool(call.name, call.input)
                    prompt = f"Tool result: {result}"
                    step += 1
            """,
            line=3,
        ),
        Flagged(
            """
            def run(agent, toolbox, state):
                for step in range(10):
                    decision = agent.run(state)
                    state = getattr(toolbox, decision.tool)(*decision.args)
            """,
            line=2,
        ),
        Flagged(
            # Checking the model's choice against the tool table (AGT202's advice) validates
            # it; it does not remember what already ran.
            """
            def solve(llm, tools, task):
                observation = task
                for _ in range(MAX_STEPS):
                    action = parse_action(llm.invoke(observation))
                    if action.name not in tools:
                        observation = f"unknown tool {action.name}"
                        continue
                    observation = tools[action.name](**action.args)
            """,
            line=3,
            message="no record",
        ),
    )
    clean = (
        # A check against the steps already taken is a progress check.
        Clean(
            """
            def solve(llm, tools, task):
                observation = task
                seen_calls = set()
                for _ in range(MAX_STEPS):
                    action = parse_action(llm.invoke(observation))
                    if action.name not in tools:
                        continue
                    if (action.name, str(action.args)) in seen_calls:
                        observation = "you already ran that; try something else"
                        continue
                    observation = tools[action.name](**action.args)
            """
        ),
        # The same loop, remembering what it already ran.
        Clean(
            """
            import json

            def solve(llm, tools, task):
                observation = task
                seen = set()
                for _ in range(MAX_STEPS):
                    action = parse_action(llm.invoke(observation))
                    key = (action.name, json.dumps(action.args, sort_keys=True))
                    if key in seen:
                        observation = "You already ran this exact call; try something else."
                        continue
                    seen.add(key)
                    observation = tools[action.name](**action.args)
            """
        ),
        # A loop that keeps the message history: the model sees its own past calls.
        Clean(
            """
            async def agent_loop(client, session, messages):
                step = 0
                while step < MAX_STEPS:
                    response = await client.messages.create(model=MODEL, messages=messages)
                    call = response.content[0]
                    result = await session.call_tool(call.name, call.input)
                    messages.append({"role": "user", "content": str(result)})
                    step += 1
            """
        ),
        # A transcript that grows, and a history that is consulted.
        Clean(
            """
            def run(agent, toolbox, state):
                transcript = state
                for step in range(10):
                    decision = agent.run(transcript)
                    transcript += getattr(toolbox, decision.tool)(*decision.args)

            def run_again(agent, tools, history):
                for _ in range(10):
                    decision = agent.run(history[-5:])
                    tools[decision.tool](decision.args)
            """
        ),
        # Not model-chosen (a fixed tool and arguments), not bounded (AGT101's business).
        Clean(
            """
            def poll(tools, query, llm):
                for _ in range(3):
                    summary = llm.invoke(query)
                    result = tools["search"](query)

            def forever(llm, tools, observation):
                while True:
                    action = llm.invoke(observation)
                    observation = tools[action.name](**action.args)
            """
        ),
    )

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, loop: cst.For | cst.While) -> None:
        facts = self.context.facts
        if not _is_bounded(loop, facts):
            return
        tainted = _model_values(loop, facts)
        if not tainted:
            return
        chosen = False
        for node in _loop_nodes(loop):
            if not isinstance(node, cst.Call):
                continue
            parts = _dispatch_parts(node)
            if parts and any(_names_in(p) & tainted for p in parts):
                chosen = True
                break
        if not chosen or _keeps_record(loop):
            return
        end = loop.iter if isinstance(loop, cst.For) else loop.test
        self.report(
            loop,
            "agent loop runs model-chosen tool calls but keeps no record of past actions: "
            "it can repeat the same call until the step limit; remember (tool, arguments) "
            "pairs and stop or warn on a repeat",
            end_node=end,
        )
