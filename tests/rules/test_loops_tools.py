"""AGT101, AGT202, AGT203 and the data-flow helper beyond their embedded examples."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from agentsense.analyzers.config import ConfigError, load_file
from agentsense.analyzers.detect.dataflow import (
    derivation_sources,
    local_names,
    model_parameter_names,
    names_derived_from,
)
from agentsense.analyzers.detect.functions import is_tool_function
from agentsense.analyzers.engine import fix_source, lint
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.model import Applicability, Finding
from tests.helpers import fix_all, lint_with


def _dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def _lint(source: str, code: str) -> list[Finding]:
    return [f for f in lint_with(_dedent(source), (code,)) if f.code == code]


def _fix(source: str, code: str) -> str:
    return fix_all(_dedent(source), (code,))


def _function(source: str) -> cst.FunctionDef:
    module = cst.parse_module(_dedent(source))
    node = module.body[-1]
    assert isinstance(node, cst.FunctionDef)
    return node


# -- analyzers.detect.dataflow --------------------------------------------------------------


def test_derivation_reaches_a_fixed_point_whatever_the_statement_order() -> None:
    function = _function(
        """
        def f(param):
            for _ in range(3):
                late = middle + "x"
                middle = early.strip()
                early = f"{param}!"
            unrelated = 1
            return late
        """
    )
    assert names_derived_from(function, ["param"]) == {"param", "early", "middle", "late"}


def test_derivation_follows_unpacking_attributes_containers_and_mutation() -> None:
    function = _function(
        """
        def f(self, cmd, other):
            a, (b, *c) = cmd, 1
            self.command = a
            parts = ["sh"]
            parts.append(self.command)
            table = {}
            table["k"] = other
            with open(cmd) as handle:
                pass
            if (n := len(cmd)) > 3:
                pass
        """
    )
    sources = derivation_sources(function, ["cmd", "other"])
    assert sources["a"] == sources["b"] == sources["c"] == {"cmd"}
    assert sources["self.command"] == {"cmd"}
    assert sources["parts"] == {"cmd"}
    assert sources["table"] == {"other"}
    assert sources["handle"] == {"cmd"}
    assert "n" in sources
    assert "self" not in sources


def test_sanitizers_and_barriers_stop_the_flow() -> None:
    module = cst.parse_module(
        _dedent(
            """
            import shlex

            def f(path, question, llm):
                quoted = shlex.quote(path)
                reply = llm.invoke(question)
                raw = path.upper()
            """
        )
    )
    function = module.body[-1]
    assert isinstance(function, cst.FunctionDef)
    facts = ModuleFacts(module)
    derived = names_derived_from(
        function,
        ["path", "question"],
        facts=facts,
        sanitizers={"shlex.quote"},
        barrier=lambda call: (
            isinstance(call.func, cst.Attribute) and call.func.attr.value == "invoke"
        ),
    )
    assert derived == {"path", "question", "raw"}


def test_no_seeds_no_work() -> None:
    assert derivation_sources(_function("def f(x):\n    y = x\n"), []) == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("@tool\ndef f(x): ...", True),
        ("@tool(name='x')\ndef f(x): ...", True),
        ("@mcp.tool()\ndef f(x): ...", True),
        ("@function_tool\ndef f(x): ...", True),
        ("@agent.tool_plain\ndef f(x): ...", True),
        ("@toolbox\ndef f(x): ...", False),
        ("@staticmethod\ndef f(x): ...", False),
        ("def f(x): ...", False),
    ],
)
def test_tool_function_by_decorator(source: str, expected: bool) -> None:
    module = cst.parse_module(source + "\n")
    (function,) = module.body
    assert isinstance(function, cst.FunctionDef)
    assert is_tool_function(function, ModuleFacts(module), (), by_name=False) is expected


def test_tool_function_by_user_registry() -> None:
    module = cst.parse_module(
        _dedent(
            """
            TOOLS = {}

            def register(func):
                TOOLS[func.__name__] = func
                return func

            @register
            def calculator(expression):
                \"\"\"Evaluate an expression.\"\"\"
                return eval(expression)

            def helper(expression):
                return expression
            """
        )
    )
    calculator, helper = (s for s in module.body[2:] if isinstance(s, cst.FunctionDef))
    facts = ModuleFacts(module)
    assert is_tool_function(calculator, facts, (), by_name=False)
    assert not is_tool_function(helper, facts, (), by_name=False)


def test_tool_function_by_class_entry_method() -> None:
    module = cst.parse_module(
        _dedent(
            """
            class Search(lc.BaseTool):
                def _run(self, query): ...
                def helper(self, query): ...

            class Plain(Base):
                def run(self, query): ...
            """
        )
    )
    search, plain = module.body
    assert isinstance(search, cst.ClassDef) and isinstance(plain, cst.ClassDef)
    run, helper = (s for s in search.body.body if isinstance(s, cst.FunctionDef))
    (plain_run,) = (s for s in plain.body.body if isinstance(s, cst.FunctionDef))
    facts = ModuleFacts(module)
    assert is_tool_function(run, facts, (search,), by_name=False)
    assert not is_tool_function(helper, facts, (search,), by_name=False)
    assert not is_tool_function(plain_run, facts, (plain,), by_name=False)


def test_model_parameters_leave_out_what_frameworks_inject() -> None:
    function = _function(
        """
        def f(self, ctx: RunContext[Deps], query: str, *rest, config: RunnableConfig, **extra):
            pass
        """
    )
    assert model_parameter_names(function) == ["query", "rest", "extra"]


def test_local_names_include_parameters_assignments_defs_and_imports() -> None:
    function = _function(
        """
        def f(eval, *, b):
            c = 1
            import ast as tree
            def exec(): ...
            self.x = 2
        """
    )
    assert local_names(function) == {"eval", "b", "c", "tree", "exec"}


def test_local_names_follow_python_scoping() -> None:
    # A comprehension's variable is local to the comprehension; an `except ... as` name and a
    # `for` target are bound in the function.
    function = _function(
        """
        def f(code):
            [exec for exec in code]
            for compile in code:
                pass
            try:
                pass
            except ValueError as eval:
                pass
        """
    )
    assert local_names(function) == {"code", "compile", "eval"}


# -- AGT101 unbounded-agent-loop --------------------------------------------------------------


def _write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "agentsense.toml"
    path.write_text(_dedent(body), encoding="utf-8")
    return path


LOOP = """
def run(llm):
    while True:
        reply = llm.invoke("next")
        if reply.final:
            return reply
"""


def test_constant_name_and_value_come_from_a_real_config_file(tmp_path: Path) -> None:
    config = load_file(
        _write_config(
            tmp_path,
            """
            select = ["AGT101"]

            [rule-options.AGT101]
            max-iterations-name = "AGENT_STEP_LIMIT"
            default-max-iterations = 40
            """,
        )
    )
    (finding,) = lint(_dedent(LOOP), "agent.py", config)
    assert "AGENT_STEP_LIMIT" in finding.message
    fixed, applied, remaining = fix_source(_dedent(LOOP), "agent.py", config, unsafe=True)
    assert applied == 1 and remaining == []
    assert fixed.startswith("AGENT_STEP_LIMIT = 40\n")
    assert "for _step in range(AGENT_STEP_LIMIT):" in fixed
    assert 'f"agent loop did not finish within {AGENT_STEP_LIMIT} steps"' in fixed


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ('max-iterations-name = "max steps"', "max-iterations-name"),
        ('max-iterations-name = "class"', "max-iterations-name"),
        ("default-max-iterations = 0", "default-max-iterations"),
        ("max_steps = 3", "max_steps"),
    ],
)
def test_bad_options_name_the_key(tmp_path: Path, options: str, key: str) -> None:
    path = _write_config(tmp_path, f"[rule-options.AGT101]\n{options}\n")
    with pytest.raises(ConfigError, match=key):
        load_file(path)


def test_the_fix_is_unsafe_and_not_applied_by_a_safe_fix_run() -> None:
    (finding,) = _lint(LOOP, "AGT101")
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE
    assert fix_source(_dedent(LOOP), "example.py", None)[0] == _dedent(LOOP)


def test_an_imported_constant_is_reused() -> None:
    fixed = _fix("from settings import MAX_ITERATIONS\n" + _dedent(LOOP), "AGT101")
    assert "MAX_ITERATIONS = " not in fixed
    assert "for _step in range(MAX_ITERATIONS):" in fixed


def test_two_loops_share_one_constant() -> None:
    fixed = _fix(LOOP + "\n\n" + _dedent(LOOP).replace("def run", "def run_again"), "AGT101")
    assert fixed.count("MAX_ITERATIONS = 10") == 1
    assert fixed.count("for _step in range(MAX_ITERATIONS):") == 2


def test_one_line_loop_and_a_taken_loop_variable() -> None:
    fixed = _fix(
        """
        def run(agent, _step):
            while True: agent.step(_step)
        """,
        "AGT101",
    )
    assert "    for _step_ in range(MAX_ITERATIONS):\n        agent.step(_step)\n" in fixed


def test_a_compound_state_condition_is_negated_whole() -> None:
    fixed = _fix(
        """
        def run(agent):
            while not agent.done or agent.answer is None:
                agent.act()
        """,
        "AGT101",
    )
    assert "if not (not agent.done or agent.answer is None):\n            break" in fixed
    assert "if not agent.done or agent.answer is None:\n            raise" in fixed


def test_is_none_condition_is_negated_to_is_not_none() -> None:
    fixed = _fix(
        """
        def run(llm):
            answer = None
            while answer is None:
                answer = llm.invoke("q").final
        """,
        "AGT101",
    )
    assert "if answer is not None:\n            break" in fixed


def test_a_break_from_an_inner_loop_is_not_an_exit() -> None:
    source = """
    def run(llm, items):
        while True:
            for item in items:
                if item.reads >= item.limit:
                    break
            llm.invoke(items)
    """
    assert len(_lint(source, "AGT101")) == 1


def test_a_counter_guard_inside_an_inner_loop_that_returns_is_a_bound() -> None:
    source = """
    def run(llm, calls):
        steps = 0
        while True:
            llm.invoke("x")
            for call in calls:
                steps += 1
                if steps > 50:
                    return None
    """
    assert _lint(source, "AGT101") == []


def test_a_counter_compared_only_by_identity_to_model_output_is_not_a_bound() -> None:
    source = """
    def run(llm, transcript):
        while True:
            reply = llm.invoke(transcript)
            transcript += reply
            if reply.endswith("DONE"):
                break
    """
    assert len(_lint(source, "AGT101")) == 1


def test_a_state_flag_set_by_a_limit_is_a_bound() -> None:
    source = """
    def run(llm):
        done = False
        steps = 0
        while not done:
            llm.invoke("x")
            steps += 1
            if steps > 5:
                done = True
    """
    assert _lint(source, "AGT101") == []


def test_a_sleep_in_an_error_handler_does_not_make_a_retry_loop_periodic() -> None:
    source = """
    import time

    def ask(llm, prompt):
        while True:
            try:
                return llm.invoke(prompt)
            except TimeoutError:
                time.sleep(1)
    """
    assert len(_lint(source, "AGT101")) == 1


@pytest.mark.parametrize(
    "loop",
    [
        "while x < 3:\n        llm.invoke(x)",
        "while not queue.empty():\n        llm.invoke(queue)",
        "while True:\n        time.sleep(1)",
        "while not done:\n        env.step(action)",
        "while False:\n        llm.invoke(x)",
    ],
)
def test_not_an_agent_loop(loop: str) -> None:
    assert _lint(f"def f(llm, x, queue, done, env, action):\n    {loop}\n", "AGT101") == []


# -- AGT202 unvalidated-tool-dispatch ---------------------------------------------------------


def test_dispatch_fix_needs_the_runtime_validate_call() -> None:
    source = """
    def dispatch(TOOLS, name, args):
        return TOOLS[name](**args)
    """
    (finding,) = _lint(source, "AGT202")
    assert finding.fix is None


def test_dispatch_fix_with_validate_call_from_the_runtime_package() -> None:
    source = """
    from agentsense.runtime import validate_call

    def dispatch(tools, name, args):
        return tools[name].execute(**args)
    """
    fixed = _fix(source, "AGT202")
    assert "from agentsense.runtime.contract import spec_from_function\n" in fixed
    assert (
        "tools[name].execute(**validate_call(spec_from_function(tools[name].execute), args))"
        in fixed
    )


def test_dispatch_fix_not_offered_with_other_arguments_or_a_taken_name() -> None:
    source = """
    from agentsense.runtime.contract import validate_call

    def spec_from_function(fn):
        return fn

    def dispatch(tools, name, args, ctx):
        tools[name](ctx, **args)
        return tools[name](**args)
    """
    findings = _lint(source, "AGT202")
    assert len(findings) == 2
    assert all(f.fix is None for f in findings)


def test_dispatch_findings_without_fix_when_arguments_are_mixed() -> None:
    source = """
    from agentsense.runtime.contract import validate_call

    def dispatch(tools, name, args, ctx):
        return tools[name](ctx, **args)

    def other(tools, name, args):
        return tools[name](**args)
    """
    first, second = _lint(source, "AGT202")
    assert first.fix is None
    assert second.fix is not None


def test_instantiated_tool_classes_and_when_the_fix_applies() -> None:
    source = """
    from agentsense.runtime.contract import validate_call

    def direct(REGISTRY, name, args):
        return REGISTRY[name]().execute(**args)

    def two_step(REGISTRY, name, args):
        tool = REGISTRY[name]()
        return tool.execute(**args)
    """
    direct, two_step = _lint(source, "AGT202")
    assert direct.fix is None  # the spec would need a second instance
    assert two_step.fix is not None
    assert "tool.execute(**validate_call(spec_from_function(tool.execute), args))" in _fix(
        source, "AGT202"
    )


def test_validation_is_judged_per_function() -> None:
    source = """
    def check(tools, name):
        if name not in tools:
            raise KeyError(name)

    def dispatch(tools, name, args):
        return tools[name](**args)
    """
    assert len(_lint(source, "AGT202")) == 1


def test_a_reraising_handler_does_not_validate() -> None:
    source = """
    def dispatch(tools, name, args):
        try:
            fn = tools[name]
        except KeyError:
            raise
        return fn(**args)
    """
    assert len(_lint(source, "AGT202")) == 1


@pytest.mark.parametrize(
    "body",
    [
        "return getattr(self, method_name)(*args, **kwargs)",
        "return handlers[kind](**payload)",
        "return registry.get(name, default)(**args)",
        "return tools[0](**args)",
        "return tools[name](args)",
    ],
)
def test_not_tool_dispatch(body: str) -> None:
    params = "self, method_name, handlers, kind, payload, registry, name, default, tools, args"
    source = f"def f({params}, kwargs):\n    {body}\n"
    assert _lint(source, "AGT202") == []


# -- AGT203 code-execution-in-tool ------------------------------------------------------------


def test_sinks_resolve_through_imports() -> None:
    source = """
    from os import system as run_cmd, popen
    import subprocess as sp
    from agentsense.runtime.registry import tool

    @tool
    def shell(cmd: str) -> str:
        \"\"\"Run.\"\"\"
        run_cmd(cmd)
        popen(cmd)
        sp.Popen(cmd, shell=True)
        sp.Popen(cmd)
        sp.run(cmd, shell=False)
        return sp.getoutput(cmd)
    """
    findings = _lint(source, "AGT203")
    assert [f.span.start.row for f in findings] == [8, 9, 10, 13]
    assert "tool parameter `cmd`" in findings[0].message


def test_a_parameter_or_local_named_like_a_builtin_is_not_the_builtin() -> None:
    source = """
    from agentsense.runtime.registry import tool

    @tool
    def run(code: str, exec=print) -> None:
        \"\"\"Run.\"\"\"
        exec(code)
        compile = str
        compile(code)
    """
    assert _lint(source, "AGT203") == []


def test_literal_eval_fix_skipped_when_ast_means_something_else() -> None:
    source = """
    from agentsense.runtime.registry import tool
    from mylib import ast

    @tool
    def calc(expr: str) -> float:
        \"\"\"Calc.\"\"\"
        return eval(expr)
    """
    (finding,) = _lint(source, "AGT203")
    assert finding.fix is None


def test_literal_eval_fix_reuses_an_existing_import() -> None:
    source = """
    import ast
    from agentsense.runtime.registry import tool

    @tool
    def calc(expr: str) -> float:
        \"\"\"Calc.\"\"\"
        return eval(expr.strip())
    """
    fixed = _fix(source, "AGT203")
    assert fixed.count("import ast") == 1
    assert "return ast.literal_eval(expr.strip())" in fixed


def test_message_names_every_parameter_the_value_comes_from() -> None:
    source = """
    from agentsense.runtime.registry import tool

    @tool
    def run(prefix: str, body: str, count: int) -> None:
        \"\"\"Run.\"\"\"
        exec(prefix + body)
    """
    (finding,) = _lint(source, "AGT203")
    assert "tool parameters `body`, `prefix`" in finding.message


def test_nested_function_inside_a_tool_is_not_followed() -> None:
    source = """
    from agentsense.runtime.registry import tool

    @tool
    def run(code: str) -> None:
        \"\"\"Run.\"\"\"
        def later(text):
            exec(text)
        later("1")
    """
    assert _lint(source, "AGT203") == []


# -- every rule on odd trees -----------------------------------------------------------------

ODD = """
import os, subprocess
from agentsense.runtime.contract import validate_call

x = lambda: (yield)
while True: pass
while 1:
    match x:
        case {"a": 1}:
            break
@tool
def f(*, a, **k):
    while not a.done:
        [eval(v) for v in k]
        (lambda: exec(a))()
        getattr(a, k)()
        k[a](*k)
        k[a:1](**k)
        os.system(*a)
        subprocess.run(shell=True, args=a)
        async def inner(): await inner()
        a.agent.step()
class C(Tool):
    def __call__(self, *args): return eval(*args)
    forward = lambda self, s: eval(s)
@(lambda f: f)
def g(): ...
"""


def test_odd_trees_do_not_crash() -> None:
    findings = lint_with(_dedent(ODD), ("AGT101", "AGT202", "AGT203"))
    assert {f.code for f in findings} <= {"AGT101", "AGT202", "AGT203"}
    fix_all(_dedent(ODD), ("AGT101", "AGT202", "AGT203"))
