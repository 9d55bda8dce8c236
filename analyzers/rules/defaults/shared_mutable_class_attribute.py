"""AGT406: a mutable class attribute of an agent class, mutated through `self`."""

from __future__ import annotations

import re
from typing import cast

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements, insert_after_docstring
from agentsense.analyzers.detect.mutables import is_mutable_value
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule
from agentsense.analyzers.walk import iter_subtree

# Methods that change a list, dict, set or deque in place.
_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "update",
        "add",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "remove",
        "discard",
        "appendleft",
        "extendleft",
        "popleft",
        "sort",
        "reverse",
    }
)
# Bases whose classes may be judged: they add no field machinery of their own.
_PLAIN_BASES = frozenset({"object", "abc.ABC", "ABC"})
# Words that make a class or attribute part of an agent's state.
_AGENT_WORDS = re.compile(
    r"agent|assistant|bot|chat|conversation|session|memory|planner|executor|tool|crew|worker"
    r"|history|messages|transcript|context|scratchpad|steps|observations|turns",
    re.IGNORECASE,
)


def _class_level_mutables(node: cst.ClassDef) -> dict[str, cst.SimpleStatementLine]:
    """`name` -> its one-statement line for class-level `name = []`-like bindings."""
    found: dict[str, cst.SimpleStatementLine] = {}
    for stmt in block_statements(node.body):
        if type(stmt) is not cst.SimpleStatementLine or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if type(small) is cst.Assign and len(small.targets) == 1:
            target = small.targets[0].target
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            annotation = cst.Module([]).code_for_node(small.annotation.annotation)
            if "ClassVar" in annotation or "Final" in annotation:
                continue
            target = small.target
        else:
            continue
        if isinstance(target, cst.Name) and not target.value.startswith("__"):
            found[target.value] = stmt
    return found


class SharedMutableClassAttribute(Rule):
    code = "AGT406"
    name = "shared-mutable-class-attribute"
    summary = (
        "A mutable class attribute of an agent class is mutated through `self`: every "
        "instance shares it."
    )
    rationale = (
        "`history = []` in a class body creates one list when the class is defined. "
        "`self.history.append(...)` finds that class attribute and mutates it, so every agent "
        "instance appends to the same conversation: the second user sees the first user's "
        "messages, tool results leak between sessions, and concurrent runs interleave. Create "
        "per-instance state in `__init__` (`self.history = []`), or use a dataclass/pydantic "
        "field with a default factory; mark deliberate class-wide state `ClassVar`."
    )
    fix_description = (
        "Unsafe: move the attribute into `__init__` as `self.name = <value>` (its first "
        "statement after the docstring); offered when the class defines `__init__`."
    )
    flagged = (
        Flagged(
            """
            class ChatAgent:
                history = []

                def __init__(self, llm):
                    self.llm = llm

                def ask(self, question):
                    self.history.append({"role": "user", "content": question})
                    return self.llm.invoke(self.history)
            """,
            line=2,
            column=5,
            message="`history`",
            fixed="""
            class ChatAgent:

                def __init__(self, llm):
                    self.history = []
                    self.llm = llm

                def ask(self, question):
                    self.history.append({"role": "user", "content": question})
                    return self.llm.invoke(self.history)
            """,
        ),
        Flagged(
            """
            class ToolCache:
                results: dict[str, str] = {}

                def remember(self, key, value):
                    self.results[key] = value
            """,
            line=2,
            message="every instance",
        ),
        Flagged(
            """
            from abc import ABC

            class BaseAgent(ABC):
                pass

            class Planner(BaseAgent):
                steps = list()

                def __init__(self):
                    \"\"\"A planner.\"\"\"

                def plan(self, step):
                    self.steps += [step]
            """,
            line=7,
            fixed="""
            from abc import ABC

            class BaseAgent(ABC):
                pass

            class Planner(BaseAgent):

                def __init__(self):
                    \"\"\"A planner.\"\"\"
                    self.steps = list()

                def plan(self, step):
                    self.steps += [step]
            """,
        ),
    )
    clean = (
        # Per-instance state made in `__init__`.
        Clean(
            """
            class ChatAgent:
                def __init__(self):
                    self.history = []

                def ask(self, question):
                    self.history.append(question)
            """
        ),
        # Rebound per instance in `__init__` before any mutation: the class value is a default.
        Clean(
            """
            class ChatAgent:
                history = []

                def __init__(self):
                    self.history = []

                def ask(self, question):
                    self.history.append(question)
            """
        ),
        # Dataclasses and pydantic models copy (or reject) mutable defaults: other rules.
        Clean(
            """
            from dataclasses import dataclass, field
            from pydantic import BaseModel

            @dataclass
            class State:
                history: list = field(default_factory=list)

            class Memory(BaseModel):
                messages: list = []

                def add(self, m):
                    self.messages.append(m)
            """
        ),
        # Deliberately class-wide: `ClassVar`, or used through the class.
        Clean(
            """
            from typing import ClassVar

            class AgentRegistry:
                agents: ClassVar[dict] = {}
                tools = {}

                def register(self, agent):
                    self.agents[agent.name] = agent
                    AgentRegistry.tools[agent.name] = agent.tools
                    self.tools[agent.name] = agent.tools
            """
        ),
        # Only read, never mutated through `self`.
        Clean(
            """
            class Agent:
                stop_words = ["Observation:"]

                def run(self, prompt):
                    return self.llm.invoke(prompt, stop=self.stop_words)
            """
        ),
        # Not agent state by name (a generic class).
        Clean(
            """
            class Point:
                coords = []

                def move(self, x):
                    self.coords.append(x)
            """
        ),
    )

    def _judged_class(self, node: cst.ClassDef, depth: int = 0) -> bool:
        """No decorators, no metaclass, and only plain or local (recursively plain) bases."""
        if node.decorators or depth > 20:
            return False
        local = {s.name.value: s for s in self.context.facts.statements if type(s) is cst.ClassDef}
        for base in node.bases:
            if base.keyword is not None:
                return False
            qualified = self.context.qualified_name(base.value) or dotted_name(base.value)
            if qualified in _PLAIN_BASES:
                continue
            if isinstance(base.value, cst.Name) and base.value.value in local:
                parent = local[base.value.value]
                if parent is not node and self._judged_class(parent, depth + 1):
                    continue
            return False
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        mutables = {
            name: stmt
            for name, stmt in _class_level_mutables(node).items()
            if self._is_mutable(self._value(stmt))
        }
        if not mutables or not self._judged_class(node):
            return
        class_name = node.name.value
        mutated: set[str] = set()
        rebound: set[str] = set()
        through_class: set[str] = set()
        init: cst.FunctionDef | None = None
        for stmt in block_statements(node.body):
            if not isinstance(stmt, cst.FunctionDef) or not stmt.params.params:
                continue
            if stmt.name.value == "__init__":
                init = stmt
            owner = stmt.params.params[0].name.value
            for inner in iter_subtree(stmt.body):
                self._classify(inner, owner, class_name, mutated, rebound, through_class)
        for name, stmt in mutables.items():
            if name not in mutated or name in rebound or name in through_class:
                continue
            if not (_AGENT_WORDS.search(class_name) or _AGENT_WORDS.search(name)):
                continue
            fix = None if init is None else self._fix(node, stmt, init, name)
            self.report(
                stmt,
                f"`{name}` is a class attribute mutated through `self`: every instance of "
                f"`{class_name}` shares one object; create it in `__init__` "
                f"(`self.{name} = ...`) or mark it `ClassVar` if sharing is intended",
                fix=fix,
            )

    def _is_mutable(self, value: cst.BaseExpression) -> bool:
        func = value.func if isinstance(value, cst.Call) else None
        return is_mutable_value(value, None if func is None else self.context.qualified_name(func))

    @staticmethod
    def _value(stmt: cst.SimpleStatementLine) -> cst.BaseExpression:
        small = stmt.body[0]
        assert isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None
        return small.value

    @staticmethod
    def _classify(
        node: cst.CSTNode,
        owner: str,
        class_name: str,
        mutated: set[str],
        rebound: set[str],
        through_class: set[str],
    ) -> None:
        """Record what `node` does to `owner.<name>` attributes."""

        def attribute_of(expr: cst.BaseExpression, root: str) -> str | None:
            if (
                type(expr) is cst.Attribute
                and type(expr.value) is cst.Name
                and expr.value.value == root
            ):
                return expr.attr.value
            return None

        if type(node) is cst.Attribute:
            for root in ("cls", class_name):
                name = attribute_of(node, root)
                if name is not None:
                    through_class.add(name)
            if type(node.value) is cst.Call and dotted_name(node.value.func) == "type":
                through_class.add(node.attr.value)
        elif type(node) is cst.Call and type(node.func) is cst.Attribute:
            if node.func.attr.value in _MUTATORS:
                name = attribute_of(node.func.value, owner)
                if name is not None:
                    mutated.add(name)
        elif (
            type(node) is cst.Assign
            or type(node) is cst.AnnAssign
            or type(node) is cst.AugAssign
            or type(node) is cst.Del
        ):
            targets: list[cst.BaseExpression]
            if type(node) is cst.Assign:
                targets = [t.target for t in node.targets]
            else:  # the other kinds have one target
                targets = [cast("cst.AnnAssign | cst.AugAssign | cst.Del", node).target]
            for target in targets:
                for element in iter_subtree(target):
                    if type(element) is cst.Subscript and type(element.value) is cst.Attribute:
                        name = attribute_of(element.value, owner)
                        if name is not None:
                            mutated.add(name)
                name = attribute_of(target, owner) if type(target) is cst.Attribute else None
                if name is None:
                    continue
                if type(node) is cst.AugAssign:
                    mutated.add(name)
                elif type(node) in (cst.Assign, cst.AnnAssign):
                    rebound.add(name)

    def _fix(
        self,
        node: cst.ClassDef,
        stmt: cst.SimpleStatementLine,
        init: cst.FunctionDef,
        name: str,
    ) -> FixPlan:
        assignment = cst.SimpleStatementLine(
            body=[
                cst.Assign(
                    targets=[
                        cst.AssignTarget(
                            target=cst.Attribute(
                                value=cst.Name(init.params.params[0].name.value),
                                attr=cst.Name(name),
                            )
                        )
                    ],
                    value=self._value(stmt),
                )
            ]
        )
        new_init = init.with_changes(body=insert_after_docstring(init.body, assignment))
        assert isinstance(node.body, cst.IndentedBlock)
        body = [new_init if s is init else s for s in node.body.body if s is not stmt]
        new_class = node.with_changes(body=node.body.with_changes(body=body))
        return FixPlan(
            f"Move `{name}` into `__init__`", (Replace(node, new_class),), Applicability.UNSAFE
        )
