"""AGT103: a transcript that grows every turn of an open-ended loop and is sent whole each time."""

from __future__ import annotations

import re

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements, is_constant_true
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.model import Severity
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

_GROWERS = frozenset({"append", "extend", "insert", "appendleft", "add_message", "add_messages"})
_SHRINKERS = frozenset({"pop", "popleft", "clear", "remove"})
# Calls that keep a transcript within budget when given it.
_BUDGET_WORDS = re.compile(
    r"trim|truncat|summar|compress|window|prune|token|shorten|compact|condense|fit|budget"
    r"|limit|recent|last_n|clip|reduce",
    re.IGNORECASE,
)


def _open_ended(loop: cst.For | cst.While, facts: ModuleFacts) -> bool:
    """`while True:`, or a `while` whose test compares nothing (`while not done:`)."""
    if isinstance(loop, cst.For):
        iterable = loop.iter
        return (
            isinstance(iterable, cst.Call)
            and facts.qualified_name(iterable.func) == "itertools.count"
        )
    if is_constant_true(loop.test):
        return True
    return not any(isinstance(n, cst.Comparison) for n in iter_subtree(loop.test))


class UnboundedTranscript(Rule):
    code = "AGT103"
    name = "unbounded-transcript"
    summary = (
        "A message history grows every turn of an open-ended loop and is sent whole to the "
        "model each time."
    )
    rationale = (
        "An agent or chat loop that appends every message and tool result to `messages` "
        "and sends the whole list on every turn pays for the full transcript again each "
        "time: cost and latency grow quadratically with the conversation, and after enough "
        "turns the request exceeds the context window and fails with a context-length "
        "error, usually deep into a long task. Keep a budget: send a window of recent "
        "messages (`messages[-20:]`), summarise older turns, or trim by token count before "
        "each call."
    )
    severity = Severity.INFO
    flagged = (
        Flagged(
            """
            def chat(client):
                messages = [{"role": "system", "content": "You are helpful."}]
                while True:
                    messages.append({"role": "user", "content": input("> ")})
                    reply = client.chat.completions.create(model="gpt-4o", messages=messages)
                    messages.append(reply.choices[0].message)
            """,
            line=5,
            column=73,
            message="`messages`",
        ),
        Flagged(
            """
            async def run_agent(llm, task):
                history = [task]
                while not state.done:
                    response = await llm.ainvoke(history)
                    history.extend(run_tools(response))
            """,
            line=4,
            message="every turn",
        ),
        Flagged(
            """
            import itertools

            def loop(agent):
                transcript = []
                for turn in itertools.count():
                    out = agent.llm.generate(transcript, temperature=0)
                    transcript += [out]
            """,
            line=6,
        ),
    )
    clean = (
        # A window of recent messages is sent.
        Clean(
            """
            def chat(client):
                messages = []
                while True:
                    messages.append({"role": "user", "content": input("> ")})
                    reply = client.chat.completions.create(messages=messages[-20:])
                    messages.append(reply.choices[0].message)
            """
        ),
        # Trimmed to a token budget before each call.
        Clean(
            """
            def chat(client):
                messages = []
                while True:
                    messages.append(input("> "))
                    messages = trim_to_tokens(messages, 8000)
                    reply = client.chat.completions.create(messages=messages)
                    messages.append(reply)
            """
        ),
        # A bounded loop (ReAct with a step limit).
        Clean(
            """
            def react(llm, task, max_steps=10):
                messages = [task]
                for _ in range(max_steps):
                    reply = llm.invoke(messages)
                    messages.append(reply)
            """
        ),
        # Counted `while` loop: bounded by its test.
        Clean(
            """
            def react(llm, task):
                messages, step = [task], 0
                while step < 8:
                    messages.append(llm.invoke(messages))
                    step += 1
            """
        ),
        # Old turns dropped when the history gets long.
        Clean(
            """
            def chat(llm):
                history = []
                while True:
                    history.append(input())
                    if len(history) > 50:
                        history.pop(0)
                    print(llm.invoke(history))
            """
        ),
        # Growing a list that is not what the model is sent.
        Clean(
            """
            def chat(llm):
                log = []
                while True:
                    reply = llm.invoke(input())
                    log.append(reply)
            """
        ),
    )

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def _check(self, loop: cst.For | cst.While) -> None:
        if not _open_ended(loop, self.context.facts):
            return
        body = [n for s in block_statements(loop.body) for n in iter_subtree_no_scopes(s)]
        grown: set[str] = set()
        for node in body:
            if (
                type(node) is cst.Call
                and type(node.func) is cst.Attribute
                and node.func.attr.value in _GROWERS
                and type(node.func.value) is cst.Name
            ):
                grown.add(node.func.value.value)
            elif (
                type(node) is cst.AugAssign
                and type(node.operator) is cst.AddAssign
                and type(node.target) is cst.Name
            ):
                grown.add(node.target.value)
        if not grown:
            return
        function = self.context.enclosing_function()
        scope: cst.CSTNode = function if function is not None else loop
        kept_in_budget = self._budgeted(scope, grown)
        for node in body:
            if type(node) is not cst.Call or not is_llm_call(node, self.context.facts):
                continue
            for arg in node.args:
                if (
                    type(arg.value) is cst.Name
                    and arg.value.value in grown - kept_in_budget
                    and not arg.star
                ):
                    self.report(
                        arg.value,
                        f"`{arg.value.value}` grows every turn of this open-ended loop and "
                        "is sent whole to the model each time: cost grows with every turn "
                        "until the context window overflows; send a window, a summary or a "
                        "token-trimmed copy",
                    )
                    return

    @staticmethod
    def _budgeted(scope: cst.CSTNode, names: set[str]) -> set[str]:
        """Names the function shrinks, slices, rebinds in a loop, or hands to a budget call."""
        kept: set[str] = set()
        for node in iter_subtree(scope):
            if type(node) is cst.Subscript and type(node.value) is cst.Name:
                if any(type(e.slice) is cst.Slice for e in node.slice):
                    kept.add(node.value.value)
            elif type(node) is cst.Del:
                kept.update(n.value for n in iter_subtree(node.target) if type(n) is cst.Name)
            elif type(node) is cst.Call:
                func = node.func
                if (
                    type(func) is cst.Attribute
                    and func.attr.value in _SHRINKERS
                    and type(func.value) is cst.Name
                ):
                    kept.add(func.value.value)
                name = cst.Module([]).code_for_node(func)
                if _BUDGET_WORDS.search(name):
                    kept.update(a.value.value for a in node.args if type(a.value) is cst.Name)
            elif type(node) is cst.Assign:
                for target in node.targets:
                    # `messages = trim(messages)`, `history = history[-10:]`
                    if (
                        type(target.target) is cst.Name
                        and type(node.value) not in (cst.List, cst.ListComp)
                        and any(
                            type(n) is cst.Name and n.value == target.target.value
                            for n in iter_subtree(node.value)
                        )
                    ):
                        kept.add(target.target.value)
        return kept & names
