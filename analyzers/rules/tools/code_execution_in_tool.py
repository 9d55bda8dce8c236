"""AGT203: a tool runs code, a shell command or a pickle built from its model-chosen parameters."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from agentsense.analyzers.detect.dataflow import (
    DEFAULT_SANITIZERS,
    derivation_sources,
    expression_sources,
    local_names,
    model_parameter_names,
)
from agentsense.analyzers.detect.execution import (
    CODE_SINKS,
    DESERIALIZE_SINKS,
    SHELL_SINKS,
    SOURCE_KEYWORDS,
    SUBPROCESS_SINKS,
    executed_argument,
    shell_true,
)
from agentsense.analyzers.detect.functions import is_tool_function, method_class_stack
from agentsense.analyzers.detect.llm import is_llm_call
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import AddImport, Clean, FixPlan, Flagged, Replace, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes


@dataclass(frozen=True, slots=True)
class Sink:
    """A call that executes its first argument, and what to say about it."""

    what: str  # how the message names the call
    advice: str  # what to do instead
    needs_shell: bool = False  # only with `shell=True`


_CODE = "the model (or a prompt injection in anything it read) decides what code runs"
_EVAL_ADVICE = (
    "parse the value instead (`ast.literal_eval`, `json.loads`) or map it to an allow-list"
)
_SHELL_ADVICE = (
    "pass an argument list to `subprocess.run` without `shell=True`, "
    "or quote each value with `shlex.quote`"
)
_PICKLE_ADVICE = "unpickling runs arbitrary code: accept JSON and validate it instead"

SINKS: dict[str, Sink] = {
    **{name: Sink(f"`{name.removeprefix('builtins.')}`", _EVAL_ADVICE) for name in CODE_SINKS},
    **{name: Sink(f"`{name}`", _SHELL_ADVICE) for name in SHELL_SINKS},
    **{name: Sink(f"`{name}`", _PICKLE_ADVICE) for name in DESERIALIZE_SINKS},
    **{
        name: Sink(f"`{name}(..., shell=True)`", _SHELL_ADVICE, needs_shell=True)
        for name in SUBPROCESS_SINKS
    },
}

# The last part of each sink's name (`system`, `loads`, `eval`).
_SINK_LAST_PARTS = frozenset(name.rpartition(".")[2] for name in SINKS)

# Keyword names under which these calls take the value they execute.
_SOURCE_KEYWORDS = SOURCE_KEYWORDS | {"data", "file"}


def _executed_argument(call: cst.Call) -> cst.BaseExpression | None:
    return executed_argument(call, _SOURCE_KEYWORDS)


def _names(names: frozenset[str]) -> str:
    ordered = sorted(names)
    quoted = ", ".join(f"`{n}`" for n in ordered)
    return f"tool parameter{'s' if len(ordered) > 1 else ''} {quoted}"


class CodeExecutionInTool(Rule):
    code = "AGT203"
    name = "code-execution-in-tool"
    summary = (
        "A tool passes a value derived from its parameters to `eval`/`exec`/`compile`, "
        "a shell or `pickle.loads`."
    )
    rationale = (
        "A tool's arguments are written by the model, and the model writes whatever the "
        "conversation, a retrieved web page or a poisoned document steers it to. A tool that "
        "hands them to `eval`, `exec`, `os.system`, `subprocess(..., shell=True)` or "
        "`pickle.loads` turns any prompt injection into remote code execution on the machine "
        "that runs the agent. Parse the value (`ast.literal_eval`, `json.loads`), pass "
        "argument lists without a shell, or restrict the input to an allow-list. Values that "
        "an LLM call returned are AGT303's concern; this rule follows tool parameters."
    )
    fix_description = (
        "Unsafe, for `eval(x)` with one argument: `ast.literal_eval(x)` (adds `import ast`); "
        "it accepts literals only, so expressions such as `2 * 3` now raise `ValueError`."
    )
    flagged = (
        Flagged(
            """
            from agentsense.runtime.registry import tool

            @tool
            def calculator(expression: str) -> float:
                \"\"\"Evaluate an arithmetic expression.\"\"\"
                return eval(expression)
            """,
            line=6,
            column=12,
            message="tool parameter `expression`",
            fixed="""
            from agentsense.runtime.registry import tool
            import ast

            @tool
            def calculator(expression: str) -> float:
                \"\"\"Evaluate an arithmetic expression.\"\"\"
                return ast.literal_eval(expression)
            """,
        ),
        Flagged(
            """
            import subprocess
            from mcp.server.fastmcp import FastMCP

            mcp = FastMCP("files")

            @mcp.tool()
            def grep(pattern: str, path: str = ".") -> str:
                \"\"\"Search files for a pattern.\"\"\"
                command = f"grep -rn {pattern} {path}"
                return subprocess.run(command, shell=True, capture_output=True, text=True).stdout
            """,
            line=10,
            message="`subprocess.run(..., shell=True)`",
        ),
        Flagged(
            """
            from os import system as run_cmd
            from langchain_core.tools import BaseTool

            class ShellTool(BaseTool):
                name: str = "shell"
                description: str = "Run a shell command."

                def _run(self, command: str) -> str:
                    parts = ["bash", "-c"]
                    parts.append(command)
                    return str(run_cmd(" ".join(parts)))
            """,
            line=11,
            message="`os.system`",
        ),
        Flagged(
            """
            import base64
            import pickle
            from agents import function_tool

            @function_tool
            def load_state(blob: str) -> dict:
                \"\"\"Restore a saved state.\"\"\"
                raw = base64.b64decode(blob)
                return pickle.loads(raw)
            """,
            line=9,
            message="`pickle.loads`",
        ),
        Flagged(
            """
            from pydantic_ai import Agent, RunContext

            agent = Agent("openai:gpt-4o")

            @agent.tool
            def run_python(ctx: RunContext[None], source: str, env: dict = None) -> None:
                \"\"\"Run a Python snippet.\"\"\"
                code = compile(source, "<tool>", "exec")
                exec(code, env or {})
            """,
            line=8,
            count=2,
            message="`compile`",
        ),
        Flagged(
            # `eval` with a globals mapping: no `ast.literal_eval` fix (it takes one argument).
            """
            from smolagents import tool

            @tool
            def compute(formula: str) -> float:
                \"\"\"Compute a formula.

                Args:
                    formula: the formula.
                \"\"\"
                return eval(formula, {"__builtins__": {}})
            """,
            line=10,
            message="`eval`",
        ),
        Flagged(
            # A tool of a user-defined metaclass registry.
            """
            import subprocess

            TOOLS = {}


            class ToolMeta(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if name != "BaseTool" and not namespace.get("__abstract__", False):
                        TOOLS[namespace.get("name", name.lower())] = cls
                    return cls


            class BaseTool(metaclass=ToolMeta):
                pass


            class Shell(BaseTool):
                name = "shell"
                description = "Run a command."

                def execute(self, command: str) -> str:
                    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout
            """,
            line=23,
            column=16,
            message="shell=True",
        ),
    )
    clean = (
        # The correct version of the calculator: a literal parser.
        Clean(
            """
            import ast
            from agentsense.runtime.registry import tool

            @tool
            def calculator(expression: str) -> float:
                \"\"\"Evaluate a literal.\"\"\"
                return ast.literal_eval(expression)
            """
        ),
        # An argument list without a shell; a quoted value in a shell command.
        Clean(
            """
            import shlex
            import subprocess
            from mcp.server.fastmcp import FastMCP

            mcp = FastMCP("files")

            @mcp.tool()
            def grep(pattern: str, path: str = ".") -> str:
                \"\"\"Search files for a pattern.\"\"\"
                found = subprocess.run(["grep", "-rn", pattern, path], capture_output=True)
                subprocess.run(f"wc -l {shlex.quote(path)}", shell=True)
                return found.stdout.decode()
            """
        ),
        # A local function called `eval` is not the builtin.
        Clean(
            """
            from agentsense.runtime.registry import tool

            def eval(text: str) -> float:
                return float(text)

            @tool
            def score(answer: str) -> float:
                \"\"\"Score an answer.\"\"\"
                return eval(answer)
            """
        ),
        # Not a tool: a helper's parameter is not model-provided as far as we know.
        Clean(
            """
            import os

            def run_build(target: str) -> int:
                return os.system("make " + target)
            """
        ),
        # A tool whose executed value is a constant, not derived from its parameters.
        Clean(
            """
            import subprocess
            from agentsense.runtime.registry import tool

            @tool
            def disk_usage(unit: str) -> str:
                \"\"\"Report disk usage.\"\"\"
                output = subprocess.check_output("df -h", shell=True, text=True)
                return output if unit == "human" else output.upper()
            """
        ),
        # A framework-injected context is not model-provided; `re.compile` is not `compile`.
        Clean(
            """
            import re
            from pydantic_ai import Agent, RunContext

            agent = Agent("openai:gpt-4o")

            @agent.tool
            def matches(ctx: RunContext[str], pattern: str, text: str) -> bool:
                \"\"\"Whether text matches.\"\"\"
                exec(ctx.deps)
                return re.compile(pattern).search(text) is not None
            """
        ),
        # An LLM response executed inside a tool is AGT303's finding, not a second AGT203 one.
        Clean(
            """
            from openai import OpenAI
            from agentsense.runtime.registry import tool

            client = OpenAI()

            @tool
            def solve(task: str) -> None:
                \"\"\"Write and run code for a task.\"\"\"
                messages = [{"role": "user", "content": task}]
                reply = client.chat.completions.create(model="gpt-4o", messages=messages)
                exec(reply.choices[0].message.content)
            """
        ),
        Clean(
            # The same tool with an argument list and no shell.
            """
            import shlex
            import subprocess

            TOOLS = {}


            class ToolMeta(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if name != "BaseTool" and not namespace.get("__abstract__", False):
                        TOOLS[namespace.get("name", name.lower())] = cls
                    return cls


            class BaseTool(metaclass=ToolMeta):
                pass


            class Shell(BaseTool):
                name = "shell"
                description = "Run a command."

                def execute(self, command: str) -> str:
                    return subprocess.run(shlex.split(command), capture_output=True, text=True).stdout
            """
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        facts = self.context.facts
        # By name alone a function is not a tool here: its parameters must be the model's.
        classes = method_class_stack(self.context.ancestors)
        if not is_tool_function(node, facts, classes, by_name=False):
            return
        seeds = model_parameter_names(node)
        if not seeds:
            return

        # A value returned by an LLM call is model output, reported by AGT303, not here.
        def barrier(call: cst.Call) -> bool:
            return is_llm_call(call, facts)

        # The sinks first: most tools execute nothing, and then the data flow from the
        # parameters is not worth computing.
        sinks: list[tuple[cst.Call, str, Sink]] = []
        for call in iter_subtree_no_scopes(node.body):
            if type(call) is not cst.Call:
                continue
            func = call.func
            if type(func) is cst.Attribute and func.attr.value not in _SINK_LAST_PARTS:
                continue  # it resolves to a name ending so (imports rename only the head)
            qualified = self.context.qualified_name(func)
            sink = SINKS.get(qualified) if qualified is not None else None
            if qualified is None or sink is None or (sink.needs_shell and not shell_true(call)):
                continue
            sinks.append((call, qualified, sink))
        if not sinks:
            return
        sources = derivation_sources(
            node.body, seeds, facts=facts, sanitizers=DEFAULT_SANITIZERS, barrier=barrier
        )
        shadowed: set[str] | None = None
        for call, qualified, sink in sinks:
            head = (dotted_name(call.func) or "").split(".")[0]
            if shadowed is None:
                shadowed = local_names(node)
            if head in shadowed:
                continue  # a parameter or local variable named like the sink
            argument = _executed_argument(call)
            if argument is None:
                continue
            origin = expression_sources(
                argument, sources, facts=facts, sanitizers=DEFAULT_SANITIZERS, barrier=barrier
            )
            if not origin:
                continue
            self.report(
                call,
                f"{sink.what} executes a value derived from {_names(origin)}: {_CODE}; "
                f"{sink.advice}",
                fix=self._literal_eval_fix(call, qualified, shadowed),
            )

    def _literal_eval_fix(
        self, call: cst.Call, qualified: str | None, shadowed: set[str]
    ) -> FixPlan | None:
        """`ast.literal_eval(x)` for `eval(x)`: one positional argument, `ast` free to use."""
        if qualified not in ("eval", "builtins.eval") or len(call.args) != 1:
            return None
        (arg,) = call.args
        if arg.keyword is not None or arg.star:
            return None
        facts = self.context.facts
        bound = facts.imports.get("ast")
        if bound not in (None, "ast") or "ast" in shadowed:
            return None
        if bound is None and "ast" in facts.local_definitions:
            return None
        new = call.with_changes(
            func=cst.Attribute(value=cst.Name("ast"), attr=cst.Name("literal_eval"))
        )
        return FixPlan(
            "Parse with `ast.literal_eval` instead of `eval`",
            (Replace(call, new), AddImport("ast")),
            Applicability.UNSAFE,
        )
