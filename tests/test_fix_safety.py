"""Differential fix test: programs run before and after the fixes behave the same.

For every rule with a fix, its flagged examples, and for AGT401 programs generated with
hypothesis (default shapes, captures of loop variables, parameters and class attributes,
deliberate state, annotations including string and non-type ones, decorators, comments), are
run in a child process (with a timeout) before and after `fix_source`:

* after the safe fixes, a program that ran without an error runs and prints the same (one
  that failed may be repaired: AGT214 renames a tool whose name made registration raise);
* after every fix (safe and unsafe: unsafe ones change behaviour on purpose), it still
  compiles, and imports wherever the original imported;
* AGT401's fixes neither lose nor repeat a comment.

The oracle's one assumption, for AGT401's safe fix: no caller mutates the value a function
handed back from its default or passes `None` for it explicitly (that sharing is the defect
the rule reports; the rule's fix description says so). Generated programs never do.

`AGENTSENSE_FIX_EXAMPLES=500 pytest tests/test_fix_safety.py` runs more generated programs
(the suite runs a modest number).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsense.analyzers.engine import fix_source, lint
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.fixes import FixBuilder, apply_fixes
from agentsense.analyzers.positions import Positions
from agentsense.analyzers.registry import all_rules
from agentsense.analyzers.rule import FixPlan, Flagged, Replace, Rule
from tests.helpers import config_for

EXAMPLES = int(os.environ.get("AGENTSENSE_FIX_EXAMPLES", "12"))
TIMEOUT = 20  # seconds per program run: generous for a loaded machine, never reached here

# Imports the program as module `prog` (its stdout captured), then calls its `main()` when
# it has one, and prints what happened as JSON on the last line.
_RUNNER = r"""
import contextlib, importlib, io, json, sys
sys.path.insert(0, sys.argv[1])
out = io.StringIO()
result = {"imported": False, "error": None}
try:
    with contextlib.redirect_stdout(out):
        module = importlib.import_module("prog")
    result["imported"] = True
    if callable(getattr(module, "main", None)):
        with contextlib.redirect_stdout(out):
            module.main()
except BaseException as error:
    result["error"] = type(error).__name__
result["stdout"] = out.getvalue()
print(json.dumps(result))
"""


@dataclass(frozen=True)
class Outcome:
    imported: bool
    error: str | None
    stdout: str
    timed_out: bool = False


def run_program(source: str, folder: Path, env_names: tuple[str, ...] = ()) -> Outcome:
    """Run `source` as module `prog` in a child Python (no user site, a bare environment, a fixed hash seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prog.py").write_text(source, encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"}
    env.update({name: f"test-value-for-{name}" for name in env_names})
    try:
        done = subprocess.run(
            [sys.executable, "-s", "-B", "-c", _RUNNER, str(folder)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return Outcome(False, "timeout", "", timed_out=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return Outcome(False, f"exit {done.returncode}", done.stdout)
    data = json.loads(lines[-1])
    return Outcome(data["imported"], data["error"], data["stdout"])


def _env_names(source: str) -> tuple[str, ...]:
    """Variables a fix made the program read (`os.environ["NAME"]`): the run sets them, as
    the fix asks of whoever runs the program."""
    return tuple(sorted(set(re.findall(r"""environ\[\s*["'](\w+)["']\s*\]""", source))))


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


@dataclass(frozen=True)
class Differential:
    original: Outcome
    safe: str
    unsafe: str


def check_fixes(source: str, select: tuple[str, ...], folder: Path, path: str) -> Differential:
    """Run the program before and after its fixes; assert the contract in the module doc."""
    config = config_for(select)
    safe, _, _ = fix_source(source, path, config)
    unsafe, _, _ = fix_source(source, path, config, unsafe=True)
    original = run_program(source, folder / "original")
    after_safe = None
    if safe != source:
        after_safe = run_program(safe, folder / "safe", _env_names(safe))
        if original.error is None:  # a program that failed may be repaired by the fix
            assert after_safe == original, f"a safe fix changed behaviour:\n{source}\n---\n{safe}"
    if unsafe != source:
        compile(unsafe, path, "exec")
        if original.imported:
            after = after_safe if unsafe == safe else None
            if after is None:
                after = run_program(unsafe, folder / "unsafe", _env_names(unsafe))
            assert after.imported, f"a fix broke the import ({after.error}):\n{unsafe}"
    return Differential(original, safe, unsafe)


# -- Every rule with a fix, on its own flagged examples -------------------------------------

RULES_WITH_FIXES = [rule for rule in all_rules() if rule.fix_description]
FIXED = [
    (rule, index, example)
    for rule in RULES_WITH_FIXES
    for index, example in enumerate(rule.flagged)
    if example.fixed is not None
]
FIXED_EXAMPLES = [
    pytest.param(rule, example, id=f"{rule.code}-{index}") for rule, index, example in FIXED
]


def test_every_rule_with_a_fix_is_covered() -> None:
    assert {rule.code for rule, _, _ in FIXED} == {rule.code for rule in RULES_WITH_FIXES}


@pytest.mark.parametrize(("rule", "example"), FIXED_EXAMPLES)
def test_rule_examples_behave_the_same_after_fixes(
    rule: type[Rule], example: Flagged, tmp_path: Path
) -> None:
    select = rule.example_select if rule.example_select is not None else (rule.code,)
    check_fixes(example.source, select, tmp_path, example.path)


# Programs that run the code a safe fix rewrites and print what it does (the examples mostly
# define functions without calling them). Not here: fixes that repair the defect their rule
# reports, whose output changes where the defect shows (AGT504 awaits a coroutine that never
# ran, AGT213 rewrites a wrong schema, AGT402 makes an import that raised work, AGT403 runs
# a parent's `__init_subclass__` that was skipped: its driver has no such parent).
DRIVEN = {
    "AGT501": """\
import asyncio
import time

async def step(n):
    time.sleep(0.01)
    return n * 2

print(asyncio.run(step(21)))
""",
    "AGT503": """\
import asyncio

async def running():
    loop = asyncio.get_event_loop()
    return loop.is_running(), type(loop).__name__

print(asyncio.run(running()))
""",
    "AGT403": """\
class Tool:
    names = []

    def __init_subclass__(cls):
        Tool.names.append(cls.__name__)

class Search(Tool):
    pass

class Fetch(Tool):
    pass

print(Tool.names)
""",
    "AGT900": """\
import os

value = os.sep  # noqa: AGT302
print(value, len("x"))  # noqa: AGT401
""",
}


@pytest.mark.parametrize("code", sorted(DRIVEN))
def test_driven_programs_print_the_same_after_safe_fixes(code: str, tmp_path: Path) -> None:
    source = DRIVEN[code]
    select = (code, "AGT302", "AGT401") if code == "AGT900" else (code,)
    result = check_fixes(source, select, tmp_path, "prog.py")
    assert result.original.error is None and result.original.stdout
    assert result.safe != source, f"{code} offered no safe fix here"


# -- AGT401 on the programs of issue 17 -------------------------------------------------------

ISSUE_PROGRAM = """\
def make_reader(lnum):
    def reader(lnum=[lnum]):   # captures the outer lnum (pattern in the stdlib's cgitb)
        return lnum[0]
    return reader
fs = []
for i in range(3):
    def f(acc=[i]):            # loop-variable capture
        return acc[0]
    fs.append(f)
def counter(state=[0]):       # deliberate persistent state (stdlib difflib)
    state[0] += 1
    return state[0]
print(make_reader(7)(), [g() for g in fs], [counter() for _ in range(3)])
"""


def test_issue_program_keeps_its_output(tmp_path: Path) -> None:
    result = check_fixes(ISSUE_PROGRAM, ("AGT401",), tmp_path, "prog.py")
    assert result.original.stdout == "7 [0, 1, 2] [1, 2, 3]\n"
    assert result.safe == ISSUE_PROGRAM  # nothing here is safe to rewrite
    findings = lint(ISSUE_PROGRAM, "prog.py", config_for(["AGT401"]))
    fixes = {f.message.split("`")[1]: f.fix for f in findings}
    assert fixes["lnum"] is None and fixes["acc"] is None  # the value read would change
    counter_fix = fixes["state"]
    assert counter_fix is not None and counter_fix.applicability.value == "unsafe"


def test_string_annotation_stays_a_string_and_the_class_imports(tmp_path: Path) -> None:
    source = (
        "class Node:\n"
        '    def add(self, children: "list[Node]" = []):\n'
        "        return len(children)\n"
        "def main():\n"
        "    print(Node().add(), Node().add([Node()]))\n"
    )
    result = check_fixes(source, ("AGT401",), tmp_path, "prog.py")
    assert 'children: "list[Node] | None" = None' in result.safe
    assert result.original.stdout == "0 1\n"


def test_non_type_annotation_is_not_turned_into_a_union(tmp_path: Path) -> None:
    source = "def f(c: 1 = [], d: 'a note' = []):\n    return len(c) + len(d)\nprint(f())\n"
    result = check_fixes(source, ("AGT401",), tmp_path, "prog.py")
    assert "def f(c: 1 = None, d: 'a note' = None):" in result.safe


def test_closing_comment_of_a_class_body_is_kept_once(tmp_path: Path) -> None:
    source = (
        "class Memory:\n"
        "    def recall(self, store={}):\n"
        "        return len(store)\n"
        "        # closes the method\n"
        "    # closes the class\n"
        "\n"
        "\n"
        "def one_liner(x=[]): return len(x)  # stays on its statement\n"
        "print(Memory().recall(), one_liner())\n"
    )
    result = check_fixes(source, ("AGT401",), tmp_path, "prog.py")
    assert result.safe != source
    assert comments(result.safe) == comments(source)
    assert "    return len(x)  # stays on its statement\n" in result.safe


@pytest.mark.parametrize("end", ["\n", ""])
def test_replacing_a_method_renders_the_class_closing_comment_once(end: str) -> None:
    # The comment belongs to the class body's block (libcst: its footer), after the
    # syntactic end of the class: the fix renderer must replace it, not render it again.
    source = "class A:\n    def m(self):\n        return 1\n    # end of A" + end
    module = cst.parse_module(source)
    statement = module.body[0]
    assert isinstance(statement, cst.ClassDef)
    method = statement.body.body[0]
    assert isinstance(method, cst.FunctionDef)
    builder = FixBuilder(source, module, Positions(module), ModuleFacts(module))
    plan = FixPlan("rename", (Replace(method, method.with_changes(name=cst.Name("n"))),))
    fix = builder.build(plan, statement)
    assert fix is not None
    assert apply_fixes(source, [fix]) == (source.replace("def m", "def n"), 1)


def test_a_function_passed_as_a_value_is_not_fixed_safely() -> None:
    # Whoever receives `search` (an agent's tool list, `inspect.signature`) may read its
    # signature: the new default and annotation would show.
    source = "def search(q, tags: list[str] = []):\n    return len(tags)\nTOOLS = [search]\n"
    [finding] = lint(source, "prog.py", config_for(["AGT401"]))
    assert finding.fix is not None and finding.fix.applicability.value == "unsafe"


VERDICTS = [
    # Safe: the function only reads the value, or hands it back to its caller.
    ("def f(x=[]):\n    return len(x)\n", "safe"),
    ("def f(x={}):\n    return x.get('k')\n", "safe"),
    ("def f(self, items=[]):\n    self.items = items\n", "safe"),
    ("from collections import deque\ndef f(x=deque()):\n    return list(x)\n", "safe"),
    ("def f(x=[n for n in 'ab']):\n    return x\n", "safe"),
    # Unsafe: state kept between calls, the value passed on, None treated specially, a
    # decorator, per-call evaluation of something that may change.
    ("def f(x=[]):\n    x.append(1)\n    return len(x)\n", "unsafe"),
    ("def f(memo={}):\n    memo['k'] = 1\n    return memo['k']\n", "unsafe"),
    ("def f(x=[]):\n    x += [1]\n    return x\n", "unsafe"),
    (
        "from collections import defaultdict\ndef f(x=defaultdict(list)):\n    return x['a']\n",
        "unsafe",
    ),
    ("def f(x=[]):\n    y = x\n    return len(y)\n", "unsafe"),
    ("def f(x=[]):\n    helper(x)\n", "unsafe"),
    ("def f(x=[]):\n    return x is None\n", "unsafe"),
    ("def f(x: list | None = []):\n    return len(x)\n", "unsafe"),
    ("@register\ndef f(x=[]):\n    return len(x)\n", "unsafe"),
    ("LIMIT = 3\ndef f(x=[LIMIT]):\n    return len(x)\n", "unsafe"),
    ("def f(x=[make()]):\n    return len(x)\n", "unsafe"),
    ("def f(x=[[]]):\n    return x[0]\n", "unsafe"),
    # No fix: the body would read another value (or fail).
    ("def outer(n):\n    def f(x=[n]):\n        return x\n    return f()\n", None),
    ("class C:\n    K = 1\n    def f(self, x=[K]):\n        return x\n", None),
    ("def f(list=None, x=list()):\n    return x\n", None),
    ("def f(x=[]):\n    set = 1\n    return x\ndef g(y=set()):\n    set = 2\n    return y\n", None),
    ("for i in range(2):\n    def f(x=[i]):\n        return x\n", None),
    ("N = 0\ndef bump():\n    global N\n    N += 1\ndef f(x=[N]):\n    return x\n", None),
]


@pytest.mark.parametrize(("source", "expected"), VERDICTS)
def test_agt401_fix_applicability(source: str, expected: str | None) -> None:
    findings = lint(source, "prog.py", config_for(["AGT401"]))
    assert findings
    last = findings[-1]
    if expected is None:
        assert last.fix is None and "no automatic fix" in last.message
    else:
        assert last.fix is not None and last.fix.applicability.value == expected


# -- AGT401 on generated programs ------------------------------------------------------------

# kind -> (defaults of that kind, a statement that mutates `x`, an explicit argument)
_KINDS = {
    "list": (
        ["[]", "list()", "[0]", "[0, 0]", '[n for n in "ab"]', "deque()"],
        "x.append(len(x))",
        "[5]",
    ),
    "set": (["set()", "{1}", "{n for n in 'ab'}"], "x.add(len(x))", "{5}"),
    "dict": (
        ["{}", "dict()", '{"n": 0}', "dd(int)", "{n: 1 for n in 'ab'}"],
        "x[len(x)] = 1",
        "{5: 5}",
    ),
}
_BODIES = {
    "read": ["return len(x)"],
    "read_sorted": ["return sorted(map(str, x))"],
    "iterate": ["total = 0", "for v in x:", "    total += 1", "return total"],
    "hand_out": ["return x"],
    "membership": ["if 0 in x:", "    return 'zero'", "return 'no zero'"],
    "state": ["{mutate}", "return len(x)"],  # deliberate state kept between calls
    "mutate_hand_out": ["{mutate}", "return x"],  # the shared-history defect
    "is_none": ["if x is None:", "    return -1", "return len(x)"],
    "alias": ["y = x", "return len(y)"],
    "rebind": ["x = list(x)", "x.append(1)", "return x"],
}
_ANNOTATIONS = [
    "",
    ": list",
    ": list[int]",
    ': "list[Node]"',
    ": 1",
    ": 'a note'",
    ": Optional[list]",
    ": list | None",
]


@dataclass(frozen=True)
class Shape:
    context: str  # top | loop | nested | method
    kind: str
    default: str
    capture: str  # "", or what the default reads: loop | outer | same_name | class_attr | module
    body: str
    annotation: str
    decorated: bool
    one_liner: bool
    comment_after_def: bool
    closing_comment: bool


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    context = draw(st.sampled_from(["top", "loop", "nested", "method"]))
    kind = draw(st.sampled_from(sorted(_KINDS)))
    captures = {
        "top": ["", "module"],
        "loop": ["", "loop", "module"],
        "nested": ["", "outer", "same_name", "module"],
        "method": ["", "class_attr", "module"],
    }[context]
    capture = draw(st.sampled_from(captures)) if kind == "list" else ""
    default = draw(st.sampled_from(_KINDS[kind][0]))
    body = draw(st.sampled_from(sorted(_BODIES)))
    one_liner = len(_BODIES[body]) == 1 and draw(st.booleans())
    return Shape(
        context=context,
        kind=kind,
        default=default,
        capture=capture,
        body=body,
        annotation=draw(st.sampled_from(_ANNOTATIONS)),
        decorated=draw(st.booleans()),
        one_liner=one_liner,
        comment_after_def=draw(st.booleans()),
        closing_comment=draw(st.booleans()),
    )


def _function(shape: Shape, index: int, indent: str) -> tuple[list[str], str]:
    """The `def` lines of one generated function (at `indent`) and its name."""
    name = f"f{index}"
    parameter = "x"
    default = shape.default
    if shape.capture:
        read = {
            "loop": "i",
            "outer": "outer",
            "same_name": "x",
            "class_attr": "K",
            "module": "LIMIT",
        }[shape.capture]
        default = f"[{read}]"
    first = "self, " if shape.context == "method" else ""
    signature = f"def {name}({first}a=0, {parameter}{shape.annotation}={default}):"
    mutate = _KINDS[shape.kind][1]
    body = [line.replace("{mutate}", mutate) for line in _BODIES[shape.body]]
    lines = [f"{indent}# {name}: {shape.body}"]
    if shape.decorated:
        lines.append(f"{indent}@show_defaults")
    if shape.one_liner:
        lines.append(f"{indent}{signature} {body[0]}  # one line")
        return lines, name
    lines.append(f"{indent}{signature}" + ("  # after the def" if shape.comment_after_def else ""))
    lines.extend(f"{indent}    {line}" for line in body)
    if shape.closing_comment:
        lines.append(f"{indent}    # closes {name}")
    return lines, name


def program(shapes_: list[Shape], future: bool) -> str:
    lines = ["from __future__ import annotations"] if future else []
    lines += [
        "from collections import deque",
        "from collections import defaultdict as dd",
        "from typing import Optional",
        "LIMIT = 2",
        "",
        "",
        "class Node:",
        "    pass",
        "",
        "",
        "def show_defaults(function):",
        "    print(function.__name__, function.__defaults__)",
        "    return function",
        "",
        "",
        "def main():",
        "    pass",
    ]
    for index, shape in enumerate(shapes_):
        explicit = _KINDS[shape.kind][2]
        calls = ["()", "()", "(1)", f"(2, {explicit})", "()"]
        lines += ["", ""]
        if shape.context == "top":
            function, name = _function(shape, index, "")
            lines += function
            lines += [f"print({name}{call})" for call in calls]
        elif shape.context == "loop":
            lines.append(f"results{index} = []")
            lines.append("for i in range(3):")
            function, name = _function(shape, index, "    ")
            lines += function
            lines += [f"    results{index}.append({name}{call})" for call in calls]
            lines.append(f"print(results{index})")
        elif shape.context == "nested":
            outer = "x" if shape.capture == "same_name" else "outer"
            lines.append(f"def make{index}({outer}):")
            function, name = _function(shape, index, "    ")
            lines += function
            lines.append(f"    return [{', '.join(name + call for call in calls)}]")
            lines.append(f"print(make{index}(7))")
        else:
            lines += [f"class C{index}:", "    K = 3"]
            function, name = _function(shape, index, "    ")
            lines += function
            if shape.closing_comment:
                lines.append(f"    # closes C{index}")
            lines.append(f"instance{index} = C{index}()")
            lines += [f"print(instance{index}.{name}{call})" for call in calls]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(shapes_=st.lists(shapes(), min_size=1, max_size=3), future=st.booleans())
def test_generated_programs_behave_the_same_after_agt401_fixes(
    shapes_: list[Shape], future: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    source = program(shapes_, future)
    folder = tmp_path_factory.mktemp("program")
    result = check_fixes(source, ("AGT401",), folder, "prog.py")
    assert result.original.imported and result.original.error is None, (
        f"the generator wrote a broken program ({result.original.error}):\n{source}"
    )
    assert comments(result.safe) == comments(source)
    assert comments(result.unsafe) == comments(source)
