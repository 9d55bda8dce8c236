"""AGT303: text that a language model returned is run as code or as a shell command."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import libcst as cst

from agentsense.analyzers.detect.dataflow import (
    DEFAULT_SANITIZERS,
    Assignment,
    assignments,
    local_names,
)
from agentsense.analyzers.detect.execution import (
    ARGV_SINKS,
    CODE_SINKS,
    INLINE_CODE_FLAGS,
    SHELL_SINKS,
    executed_argument,
    shell_true,
)
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.detect.string_literals import string_value
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.rule import Clean, Flagged, Rule, RuleOptions

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext

_SINKS = CODE_SINKS | SHELL_SINKS | ARGV_SINKS
# The last part of each sink's name (`system`, `run`, `eval`).
_SINK_LAST_PARTS = frozenset(name.rpartition(".")[2] for name in _SINKS)
# String methods whose arguments end up in the result (`"\n".join(lines)`).
_JOINING_METHODS = frozenset({"join", "format", "format_map", "replace"})
_MAX_NODES = 2_000


def _escapes_quotes(call: cst.Call) -> bool:
    """`text.replace("'", "'\\''")`, `text.replace('"', '\\"')`: the text is escaped for
    the quotes it is put between (POSIX single quotes, an AppleScript or shell string), so
    it stays a string there instead of becoming code."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value != "replace" or len(call.args) < 2:
        return False
    old, new = (string_value(a.value) for a in call.args[:2])
    return old in ("'", '"') and isinstance(new, str) and "\\" in new


class _Taint:
    """Which names of one body hold text a model returned (flow-insensitive, value flow only).

    A value carries model output when it is an LLM call's result or is read from one
    (`.content`, `.choices[0]`, any attribute or subscript of it), built from one (f-string,
    `+`, `%`, a list of parts, `"".join(...)`), or returned by a function given one
    (`extract_code(reply)`). A subscript *index* does not carry it: `COMMANDS[choice]` is the
    allow-list lookup that makes model output safe to act on. Method calls carry their
    receiver only (`reply.strip()`), so `ALLOWED.get(choice)` stays clean.
    """

    def __init__(self, assignments: Iterable[Assignment], facts: ModuleFacts) -> None:
        self.facts = facts
        self.names: set[str] = set()
        flows = [(a.targets, a.value) for a in assignments if a.targets]
        changed = True
        while changed:
            changed = False
            for targets, value in flows:
                if all(t in self.names for t in targets):
                    continue
                if self.carries(value):
                    self.names.update(targets)
                    changed = True

    def carries(self, expression: cst.CSTNode) -> bool:
        stack: list[cst.CSTNode] = [expression]
        seen = 0
        while stack and seen < _MAX_NODES:
            node = stack.pop()
            seen += 1
            if type(node) is cst.Name:
                if node.value in self.names:
                    return True
            elif type(node) is cst.Attribute:
                dotted = dotted_name(node)
                if dotted is not None and dotted in self.names:
                    return True
                stack.append(node.value)
            elif type(node) is cst.Subscript:
                stack.append(node.value)
            elif type(node) is cst.Call:
                if is_llm_call(node, self.facts):
                    return True
                stack.extend(self._call_inputs(node))
            elif type(node) is cst.Await:
                stack.append(node.expression)
            elif (
                type(node) is cst.StarredElement
                or type(node) is cst.Element
                or type(node) is cst.Arg
                or type(node) is cst.DictElement
            ):
                stack.append(node.value)
            elif (
                type(node) is cst.BinaryOperation
                or type(node) is cst.BooleanOperation
                or type(node) is cst.ConcatenatedString
            ):
                stack.extend((node.left, node.right))
            elif type(node) is cst.FormattedString:
                stack.extend(
                    p.expression for p in node.parts if type(p) is cst.FormattedStringExpression
                )
            elif type(node) is cst.IfExp:
                stack.extend((node.body, node.orelse))
            elif (
                type(node) is cst.List
                or type(node) is cst.Tuple
                or type(node) is cst.Set
                or type(node) is cst.Dict
            ):
                stack.extend(node.elements)
            elif (
                type(node) is cst.ListComp
                or type(node) is cst.SetComp
                or type(node) is cst.GeneratorExp
            ):
                stack.extend((node.elt, node.for_in.iter))
        return False

    def _call_inputs(self, call: cst.Call) -> list[cst.CSTNode]:
        qualified = self.facts.qualified_name(call.func)
        if qualified is not None and (qualified in DEFAULT_SANITIZERS or qualified in CODE_SINKS):
            return []  # `exec(compile(reply))` is reported once, on `compile`
        func = call.func
        if _escapes_quotes(call):
            return []
        if isinstance(func, cst.Attribute):
            head = (dotted_name(func.value) or "").split(".")[0]
            is_function = head in self.facts.imports or head in ("self", "cls")
            if func.attr.value in _JOINING_METHODS:
                return [func.value, *call.args]
            if not is_function:
                return [func.value]
        return list(call.args)


class ModelOutputExecuted(Rule):
    code = "AGT303"
    name = "model-output-executed"
    summary = "Text returned by a language model is run with `eval`/`exec` or a shell."
    rationale = (
        "A model's reply is untrusted input: it says whatever the prompt, a retrieved web "
        "page, a tool result or a poisoned document steered it to say. Passing it to `eval`, "
        "`exec`, `compile`, `os.system` or `subprocess` hands that text full control of the "
        "machine running the agent, with its credentials and network: a prompt injection "
        "becomes remote code execution. Parse the reply (`json.loads`, `ast.literal_eval`, a "
        "pydantic model), map it to an allow-list of actions, or run generated code in a "
        "sandbox that has nothing to lose."
    )
    flagged = (
        Flagged(
            """
            from openai import OpenAI

            client = OpenAI()

            def solve(task: str) -> None:
                reply = client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": task}]
                )
                code = reply.choices[0].message.content
                exec(code)
            """,
            line=10,
            column=5,
            message="`exec` runs text returned by a language model",
        ),
        Flagged(
            """
            import subprocess

            async def shell_step(llm, goal):
                answer = await llm.ainvoke(f"Write one bash command to {goal}")
                command = answer.content.strip().strip("`")
                return subprocess.run(command, shell=True, capture_output=True)
            """,
            line=6,
            message="`subprocess.run`",
        ),
        Flagged(
            """
            import os
            import re

            def extract_code(text):
                return re.search(r"```python\\n(.*?)```", text, re.S).group(1)

            def calculate(agent, question):
                result = eval(agent.run(f"Give a Python expression for: {question}"))
                os.system(f"python -c '{extract_code(agent.run(question))}'")
                return result
            """,
            line=8,
            count=2,
            message="`eval`",
        ),
        Flagged(
            """
            import subprocess
            from anthropic import Anthropic

            client = Anthropic()
            message = client.messages.create(model="claude-sonnet-4-5", max_tokens=512, messages=[])
            script = message.content[0].text
            subprocess.run(["bash", "-c", script])
            """,
            line=7,
            message="`subprocess.run`",
        ),
        Flagged(
            # The typed result of an LLM library (`marvin.cast`) is still model output.
            """
            import marvin

            def build_fields(description):
                spec = marvin.cast(description, target=dict)
                return {k: eval(v["type"]) for k, v in spec["fields"].items()}
            """,
            line=5,
            column=16,
            message="`eval` runs text returned by a language model",
        ),
    )
    clean = (
        # Model text escaped for the quotes it is put between: POSIX single quotes for
        # `say '...'`, an AppleScript string in a list-form `osascript -e`.
        Clean(
            r"""
            import os
            import subprocess
            import marvin

            def speak(audio):
                result = marvin.run(audio)
                os.system("say '" + result.replace("'", "'\\''") + "'")

            def notify(client, messages):
                message = client.chat.completions.create(model="m", messages=messages)
                text = message.choices[0].message.content
                escaped = text.replace("\\", "\\\\").replace('"', '\\"')
                subprocess.Popen(["osascript", "-e", f'say "{escaped}" using "Fred"'])
            """
        ),
        # Parsed, not executed.
        Clean(
            """
            import ast
            import json

            def plan(llm, goal):
                reply = llm.invoke(goal)
                steps = json.loads(reply.content)
                return ast.literal_eval(reply.content), steps
            """
        ),
        # The model picks from an allow-list; the command that runs is ours.
        Clean(
            """
            import subprocess

            COMMANDS = {"status": ["git", "status"], "log": ["git", "log", "-5"]}

            def act(client, question):
                reply = client.chat.completions.create(model="gpt-4o", messages=[])
                choice = reply.choices[0].message.content.strip()
                subprocess.run(COMMANDS[choice], check=True)
                subprocess.run(COMMANDS.get(choice, ["true"]))
            """
        ),
        # Code that is not model output; the model's text as an argument, not the program.
        Clean(
            """
            import subprocess

            def run_tests(llm, path):
                subprocess.run(["pytest", path])
                summary = llm.invoke("Summarize the results").content
                subprocess.run(["notify-send", summary])
                exec(compile("x = 1", "<setup>", "exec"))
            """
        ),
        # `subprocess.run` returns a process, not a model reply; `model.eval()` is torch.
        Clean(
            """
            import subprocess

            def train(model, script):
                done = subprocess.run(["python", script], capture_output=True, text=True)
                model.eval()
                return done.stdout
            """
        ),
        # A local function named `eval` is not the builtin.
        Clean(
            """
            def eval(text):
                return float(text)

            def score(llm, answer):
                return eval(llm.invoke(answer).content)
            """
        ),
    )

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        super().__init__(context, options)
        # Whether a call of this file may name a sink (from its words, once per file).
        self._may_sink = False
        # For each function being walked, innermost last: the sink calls of its own body
        # seen so far (a sink is found before anything else of the function is resolved).
        self._sinks: list[list[tuple[cst.Call, str]]] = []

    def visit_Module(self, node: cst.Module) -> None:
        self._may_sink = self.context.index.may_name(_SINKS)
        if not self._may_sink:
            return  # no call in this file can name a sink: skip walking every function
        sinks = [
            (call, qualified)
            for call in self.context.index.of_kind(node, (cst.Call,))
            if (qualified := self._sink(call)) is not None
        ]
        self._check(node, None, sinks)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._sinks.append([])

    def visit_Call(self, node: cst.Call) -> None:
        if not self._may_sink or not self._sinks:
            return  # (module-level calls are looked at from `visit_Module`)
        if not self._in_function_body():
            return
        qualified = self._sink(node)
        if qualified is not None:
            self._sinks[-1].append((node, qualified))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        sinks = self._sinks.pop() if self._sinks else []
        if sinks:
            self._check(node.body, node, sinks)

    def _in_function_body(self) -> bool:
        """Whether the call being visited is one of the innermost function's own nodes
        (`index.nodes(function.body)`): not in a lambda or class inside it, nor in a nested
        function's decorators, defaults or annotations (no scope's own nodes hold those)."""
        stack = self.context.path_stack
        for position in range(len(stack) - 2, -1, -1):
            node = stack[position]
            kind = type(node)
            if kind is cst.FunctionDef:
                return stack[position + 1] is cast(cst.FunctionDef, node).body
            if kind is cst.Lambda or kind is cst.ClassDef:
                return False
        return False

    def _sink(self, call: cst.Call) -> str | None:
        """The sink `call` calls (its qualified name), else None. A method call resolves to
        a name ending in its own attribute (imports and aliases rename only the head), so
        one whose attribute ends no sink's name is not resolved at all."""
        func = call.func
        if type(func) is cst.Attribute and func.attr.value not in _SINK_LAST_PARTS:
            return None
        qualified = self.context.facts.qualified_name(func)
        return qualified if qualified is not None and qualified in _SINKS else None

    def _check(
        self,
        body: cst.CSTNode,
        function: cst.FunctionDef | None,
        sinks: list[tuple[cst.Call, str]],
    ) -> None:
        """Report the `sinks` (calls of `body`'s own scope) that run model output."""
        if not sinks:
            return
        index = self.context.index
        facts = self.context.facts
        taint = _Taint(assignments(index, body), facts)
        shadowed = local_names(function) if function is not None else set()
        for call, qualified in sinks:
            head = (dotted_name(call.func) or "").split(".")[0]
            if head in shadowed:
                continue  # a parameter or local named like the sink
            argument = executed_argument(call)
            if argument is None or not self._executes(call, qualified, argument, taint):
                continue
            what = qualified.removeprefix("builtins.")
            verb = "compiles" if what == "compile" else "runs"
            self.report(
                call,
                f"`{what}` {verb} text returned by a language model: the model, or a prompt "
                "injection in anything it read, decides what executes; parse it "
                "(`json.loads`, `ast.literal_eval`) or map it to an allow-list",
            )

    @staticmethod
    def _executes(
        call: cst.Call, qualified: str, argument: cst.BaseExpression, taint: _Taint
    ) -> bool:
        if qualified not in ARGV_SINKS:
            return taint.carries(argument)
        if isinstance(argument, (cst.List, cst.Tuple)):
            values = [e.value for e in argument.elements]
            if not values or any(isinstance(e, cst.StarredElement) for e in argument.elements):
                return bool(values) and taint.carries(values[0])
            if taint.carries(values[0]):
                return True  # the model picks the program
            # `bash -c <reply>`, `python -c <reply>`: the model writes the program.
            for flag, value in itertools.pairwise(values):
                if (
                    isinstance(flag, cst.SimpleString)
                    and flag.raw_value in INLINE_CODE_FLAGS
                    and taint.carries(value)
                ):
                    return True
            return shell_true(call) and any(taint.carries(v) for v in values)
        return taint.carries(argument)
