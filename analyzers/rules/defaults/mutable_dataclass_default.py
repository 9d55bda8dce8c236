"""AGT402: a dataclass or attrs field whose default is a mutable object."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.mutables import is_mutable_value
from agentsense.analyzers.rule import AddImport, Change, Clean, FixPlan, Flagged, Replace, Rule

# Class decorators (qualified names) that turn annotated class attributes into fields.
_DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass"})
_ATTRS_DECORATORS = frozenset(
    {
        "attr.s",
        "attr.attrs",
        "attr.define",
        "attr.mutable",
        "attr.frozen",
        "attr.dataclass",
        "attrs.define",
        "attrs.mutable",
        "attrs.frozen",
    }
)
# Field specifiers whose `default=` is shared the same way.
_DATACLASS_FIELDS = frozenset({"dataclasses.field"})
_ATTRS_FIELDS = frozenset({"attr.ib", "attr.attrib", "attr.field", "attrs.field"})
# Annotations that make a class attribute something other than a per-instance field.
_NOT_FIELDS = frozenset(
    {"typing.ClassVar", "ClassVar", "dataclasses.InitVar", "InitVar", "typing_extensions.ClassVar"}
)


_EQUAL = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)
# attrs' classic decorators collect annotated attributes only with `auto_attribs=True`.
_CLASSIC_ATTRS = frozenset({"attr.s", "attr.attrs"})


class MutableDataclassDefault(Rule):
    code = "AGT402"
    fix_reads_module = True
    name = "mutable-dataclass-default"
    summary = "A dataclass or attrs field defaults to a mutable object."
    rationale = (
        "Agent state is often a dataclass (`history: list[Message] = []`). `@dataclass` "
        "rejects a list, dict or set default with `ValueError: mutable default ... is not "
        "allowed` when the module is imported; attrs accepts it and shares the one object "
        "between every instance, so one conversation's messages or tool results leak into "
        "the next agent. A `default_factory` builds a fresh value per instance. (pydantic "
        "models copy their defaults and are not flagged.)"
    )
    fix_description = (
        "Safe: `field(default_factory=list)` for `[]` (`dict`/`set`/the constructor for `{}`, "
        "`set()`, `deque()`; `lambda: <value>` for a non-empty value), adding "
        "`from dataclasses import field` when needed; for attrs `Factory(list)` (from the "
        "attrs namespace the class uses); `field(default=[])` becomes "
        "`field(default_factory=list)` and attrs' `attr.ib(default=[])` `attr.ib(factory=list)`."
    )
    flagged = (
        Flagged(
            """
            from dataclasses import dataclass

            @dataclass
            class AgentState:
                goal: str
                history: list[str] = []
                scratchpad: dict[str, str] = {}
            """,
            line=6,
            column=26,
            count=2,
            message="`history`",
            fixed="""
            from dataclasses import dataclass
            from dataclasses import field

            @dataclass
            class AgentState:
                goal: str
                history: list[str] = field(default_factory=list)
                scratchpad: dict[str, str] = field(default_factory=dict)
            """,
        ),
        Flagged(
            """
            import dataclasses
            from collections import deque

            @dataclasses.dataclass(frozen=True)
            class Memory:
                recent: deque = deque()
                tags: set[str] = dataclasses.field(default={"agent"})
                stops: list[str] = ["\\n\\n", "Observation:"]
            """,
            line=6,
            count=3,
            message="`recent`",
            fixed="""
            import dataclasses
            from collections import deque

            @dataclasses.dataclass(frozen=True)
            class Memory:
                recent: deque = dataclasses.field(default_factory=deque)
                tags: set[str] = dataclasses.field(default_factory=lambda: {"agent"})
                stops: list[str] = dataclasses.field(default_factory=lambda: ["\\n\\n", "Observation:"])
            """,
        ),
        Flagged(
            """
            import attr
            from attrs import define

            @define
            class ToolCache:
                results: dict = {}

            @attr.s
            class Session:
                messages = attr.ib(default=[])
            """,
            line=6,
            count=2,
            message="shared by every instance",
            fixed="""
            import attr
            from attrs import define
            from attrs import Factory

            @define
            class ToolCache:
                results: dict = Factory(dict)

            @attr.s
            class Session:
                messages = attr.ib(factory=list)
            """,
        ),
    )
    clean = (
        # A default factory, an immutable default, a tuple.
        Clean(
            """
            from dataclasses import dataclass, field

            @dataclass
            class AgentState:
                history: list[str] = field(default_factory=list)
                name: str = "agent"
                stops: tuple[str, ...] = ("\\n",)
                tools: frozenset[str] = frozenset()
            """
        ),
        # pydantic copies mutable defaults per instance.
        Clean(
            """
            from pydantic import BaseModel
            from pydantic.dataclasses import dataclass

            class Config(BaseModel):
                tags: list[str] = []

            @dataclass
            class Step:
                args: dict = {}
            """
        ),
        # Not a dataclass; a ClassVar is shared on purpose; an unannotated attribute is not a field.
        Clean(
            """
            from dataclasses import dataclass
            from typing import ClassVar

            class Registry:
                tools: list = []

            @dataclass
            class Agent:
                registry: ClassVar[dict[str, str]] = {}
                cache = {}
            """
        ),
        # Classic `@attr.s` without `auto_attribs=True` does not make annotations fields.
        Clean(
            """
            import attr

            @attr.s
            class Session:
                seen: list = []
                messages = attr.ib(factory=list)
            """
        ),
        # A local decorator that happens to be called `dataclass`.
        Clean(
            """
            def dataclass(cls):
                return cls

            @dataclass
            class Plan:
                steps: list = []
            """
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        found = self._kind(node)
        if found is None or not isinstance(node.body, cst.IndentedBlock):
            return
        kind, annotated_fields = found
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and small.value is not None:
                    if self._is_class_var(small.annotation):
                        continue
                    if annotated_fields or self._field_call(kind, small.value) is not None:
                        self._check_default(kind, small.target, small.value)
                elif (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and self._field_call(kind, small.value) is not None
                ):
                    # `x = attr.ib(default=[])` is a field even without an annotation.
                    self._check_default(kind, small.targets[0].target, small.value)

    def _kind(self, node: cst.ClassDef) -> tuple[str, bool] | None:
        """("dataclass" or the attrs package, whether bare annotations are fields)."""
        for decorator in node.decorators:
            expression = decorator.decorator
            call = expression if isinstance(expression, cst.Call) else None
            if call is not None:
                expression = call.func
            qualified = self.context.qualified_name(expression)
            if qualified in _DATACLASS_DECORATORS:
                return "dataclass", True
            if qualified in _ATTRS_DECORATORS:
                auto = qualified not in _CLASSIC_ATTRS or (
                    call is not None
                    and any(
                        a.keyword is not None
                        and a.keyword.value == "auto_attribs"
                        and isinstance(a.value, cst.Name)
                        and a.value.value == "True"
                        for a in call.args
                    )
                )
                return qualified.split(".")[0], auto
        return None

    def _is_class_var(self, annotation: cst.Annotation) -> bool:
        expression = annotation.annotation
        if isinstance(expression, cst.Subscript):
            expression = expression.value
        if isinstance(expression, cst.SimpleString):
            text = expression.raw_value.split("[", 1)[0].strip()  # `"ClassVar[...]"` as a string
            return text.rsplit(".", 1)[-1] in ("ClassVar", "InitVar")
        qualified = self.context.qualified_name(expression)
        return qualified in _NOT_FIELDS

    def _check_default(
        self, kind: str, target: cst.BaseExpression, value: cst.BaseExpression
    ) -> None:
        if not isinstance(target, cst.Name):
            return
        name = target.value
        field_call = self._field_call(kind, value)
        if field_call is not None:
            default = next(
                (
                    a
                    for a in field_call.args
                    if a.keyword is not None and a.keyword.value == "default"
                ),
                None,
            )
            if default is None or not self._mutable(default.value):
                return
            keyword = "default_factory" if kind == "dataclass" else "factory"
            factory = self._factory(default.value)
            new_arg = default.with_changes(keyword=cst.Name(keyword), value=factory)
            fix = FixPlan(
                f"Use `{keyword}=` for `{name}`",
                (Replace(default, new_arg),),
            )
            self.report(default.value, self._message(kind, name), fix=fix)
            return
        if not self._mutable(value):
            return
        self.report(value, self._message(kind, name), fix=self._default_fix(kind, name, value))

    def _message(self, kind: str, name: str) -> str:
        if kind == "dataclass":
            return (
                f"mutable default for dataclass field `{name}`: `@dataclass` raises "
                "ValueError at import; use `field(default_factory=...)`"
            )
        return (
            f"mutable default for attrs field `{name}` is shared by every instance; "
            "use `Factory(...)`"
        )

    def _mutable(self, value: cst.BaseExpression) -> bool:
        qualified = self.context.qualified_name(value.func) if isinstance(value, cst.Call) else None
        return is_mutable_value(value, qualified)

    def _field_call(self, kind: str, value: cst.BaseExpression) -> cst.Call | None:
        if not isinstance(value, cst.Call):
            return None
        qualified = self.context.qualified_name(value.func)
        allowed = _DATACLASS_FIELDS if kind == "dataclass" else _ATTRS_FIELDS
        return value if qualified in allowed else None

    def _factory(self, value: cst.BaseExpression) -> cst.BaseExpression:
        """`list` for `[]`, `deque` for `deque()`, else `lambda: <value>`."""
        if isinstance(value, cst.List) and not value.elements and self._builtin("list"):
            return cst.Name("list")
        if isinstance(value, cst.Dict) and not value.elements and self._builtin("dict"):
            return cst.Name("dict")
        if isinstance(value, cst.Call) and not value.args:
            return value.func
        return cst.Lambda(params=cst.Parameters(), body=value.with_changes(lpar=[], rpar=[]))

    def _builtin(self, name: str) -> bool:
        return self.context.qualified_name(cst.Name(name)) == name

    def _default_fix(self, kind: str, name: str, value: cst.BaseExpression) -> FixPlan | None:
        factory = self._factory(value)
        imports = self.context.facts.imports
        changes: list[Change] = []
        if kind == "dataclass":
            func = self._local_name("dataclasses", "field")
            if func is None:
                return None
            keyword = cst.Name("default_factory")
            call = cst.Call(func=func, args=[cst.Arg(factory, keyword=keyword, equal=_EQUAL)])
            title = f"Use `field(default_factory=...)` for `{name}`"
        else:
            func = self._local_name(kind, "Factory")
            if func is None:
                return None
            call = cst.Call(func=func, args=[cst.Arg(value=factory)])
            title = f"Use `Factory(...)` for `{name}`"
        if isinstance(func, cst.Name) and imports.get(func.value) is None:
            changes.append(AddImport(kind if kind != "dataclass" else "dataclasses", func.value))
        changes.insert(0, Replace(value, call))
        return FixPlan(title, tuple(changes))

    def _local_name(self, module: str, name: str) -> cst.BaseExpression | None:
        """How this module can spell `module.name`: an existing import, or one to add."""
        imports = self.context.facts.imports
        wanted = f"{module}.{name}"
        for local, qualified in imports.items():
            if qualified == wanted:
                return cst.Name(local)
        for local, qualified in imports.items():
            if qualified == module and "." not in local:
                return cst.Attribute(value=cst.Name(local), attr=cst.Name(name))
        if name in imports or name in self.context.facts.local_definitions:
            return None  # the short name is taken: leave it to the user
        return cst.Name(name)
