"""AGT409: a `__slots__` class sets an attribute it has no slot for, or re-declares a parent's slot."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements
from agentsense.analyzers.detect.string_literals import string_value
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes

# Decorators that rewrite a class (and may add slots or a `__dict__`), or methods that do not
# take the instance first.
_NOT_INSTANCE_METHODS = frozenset({"staticmethod", "classmethod"})


@dataclass(frozen=True, slots=True)
class _SlottedClass:
    """A class of this module whose layout is fully known from its source."""

    node: cst.ClassDef
    slots: tuple[str, ...]  # declared here, in order
    class_names: frozenset[str]  # names bound in the class body (properties, descriptors)
    parent: str | None  # the one local slotted base, if any


def _literal_slots(value: cst.BaseExpression) -> tuple[str, ...] | None:
    """The names of a literal `__slots__` value (a string, or a tuple/list of strings)."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
        text = string_value(value)
        return (text,) if isinstance(text, str) else None
    if not isinstance(value, (cst.Tuple, cst.List)):
        return None
    names: list[str] = []
    for element in value.elements:
        if not isinstance(element, cst.Element):
            return None
        text = string_value(element.value)
        if not isinstance(text, str):
            return None
        names.append(text)
    return tuple(names)


def _body_names(node: cst.ClassDef) -> tuple[tuple[str, ...] | None, frozenset[str]]:
    """(the literal `__slots__`, or None when absent or computed; names bound in the body)."""
    slots: tuple[str, ...] | None = None
    names: set[str] = set()
    for stmt in block_statements(node.body):
        if type(stmt) is cst.FunctionDef or type(stmt) is cst.ClassDef:
            names.add(stmt.name.value)
            continue
        if not isinstance(stmt, cst.SimpleStatementLine):
            names.add("<dynamic>")  # `if` blocks in a class body: do not judge
            continue
        for small in stmt.body:
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if type(small) is cst.Assign:
                targets, value = [t.target for t in small.targets], small.value
            elif isinstance(small, cst.AnnAssign):
                targets, value = [small.target], small.value
            for target in targets:
                if isinstance(target, cst.Name):
                    names.add(target.value)
                    if target.value == "__slots__" and value is not None:
                        slots = _literal_slots(value)
                        if slots is None:
                            names.add("<dynamic>")
    return slots, frozenset(names)


class SlotsPitfall(Rule):
    code = "AGT409"
    name = "slots-pitfall"
    summary = (
        "A `__slots__` class sets an attribute it has no slot for, or re-declares a parent's slot."
    )
    rationale = (
        "Agent messages and events are slotted to save memory (`ChatMessage` with "
        "`__slots__ = ('role', 'content')`). An instance of a slotted class has no "
        "`__dict__`: assigning an attribute that is not a slot (`self.tool_calls = []`) raises "
        "`AttributeError` the first time that code runs, typically on the rare path that "
        "handles a tool call. A subclass that lists a slot its parent already has makes a "
        "second, hidden storage cell: the parent's methods and the subclass's see different "
        "values, and each instance is bigger, not smaller. Add the missing name to "
        "`__slots__` (or `'__dict__'`), and list in a subclass only the new names."
    )
    flagged = (
        Flagged(
            """
            class ChatMessage:
                __slots__ = ("role", "content")

                def __init__(self, role, content):
                    self.role = role
                    self.content = content
                    self.tool_calls = []
            """,
            line=7,
            column=9,
            message="`tool_calls`",
        ),
        Flagged(
            """
            class Event:
                __slots__ = ("kind", "payload")

            class ToolEvent(Event):
                __slots__ = ("payload", "tool_name")
            """,
            line=4,
            message="`payload`",
        ),
        Flagged(
            """
            class Step:
                __slots__ = "thought"

                def observe(self, text):
                    self.observation = text
            """,
            line=5,
            message="`observation`",
        ),
    )
    clean = (
        # Every attribute set has a slot, the subclass adds only new names.
        Clean(
            """
            class Event:
                __slots__ = ("kind",)

            class ToolEvent(Event):
                __slots__ = ("tool_name",)

                def __init__(self, kind, tool_name):
                    self.kind = kind
                    self.tool_name = tool_name
            """
        ),
        # `__dict__` among the slots allows any attribute.
        Clean(
            """
            class Message:
                __slots__ = ("role", "__dict__")

                def __init__(self, role):
                    self.role = role
                    self.extra = {}
            """
        ),
        # A property setter on the class handles the assignment.
        Clean(
            """
            class Message:
                __slots__ = ("_content",)

                @property
                def content(self):
                    return self._content

                @content.setter
                def content(self, value):
                    self._content = value

                def __init__(self, content):
                    self.content = content
            """
        ),
        # A base from another module may give instances a `__dict__`: not judged.
        Clean(
            """
            from pydantic import BaseModel

            class Message(BaseModel):
                __slots__ = ("cache",)

                def mark(self):
                    self.seen = True
            """
        ),
        # A local base without `__slots__` gives every instance a `__dict__`.
        Clean(
            """
            class Base:
                pass

            class Message(Base):
                __slots__ = ("role",)

                def __init__(self):
                    self.other = 1
            """
        ),
    )

    @cached_property
    def _index(self) -> dict[str, _SlottedClass]:
        """Module-level slotted classes whose every base is `object` or another of them."""
        found: dict[str, _SlottedClass] = {}
        for stmt in self.context.facts.statements:
            if type(stmt) is not cst.ClassDef or stmt.decorators:
                continue
            if any(base.keyword is not None for base in stmt.bases):
                continue  # a metaclass may add anything
            slots, names = _body_names(stmt)
            if slots is None or "<dynamic>" in names or "__dict__" in slots:
                continue
            bases = [b.value for b in stmt.bases]
            if len(bases) > 1:
                continue
            parent: str | None = None
            if bases:
                base = bases[0]
                if type(base) is cst.Name and base.value == "object":
                    parent = None
                elif type(base) is cst.Name and base.value in found:
                    parent = base.value
                else:
                    continue
            found[stmt.name.value] = _SlottedClass(stmt, slots, names, parent)
        return found

    def _chain(self, name: str) -> list[_SlottedClass]:
        """The class and its local slotted ancestors, the class first."""
        index = self._index
        chain: list[_SlottedClass] = []
        current: str | None = name
        while current is not None and current in index and len(chain) < 50:
            chain.append(index[current])
            current = index[current].parent
        return chain

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        chain = self._chain(node.name.value)
        if not chain or chain[0].node is not node:
            return
        own = chain[0]
        inherited = {slot: c.node.name.value for c in chain[1:] for slot in c.slots}
        for slot in own.slots:
            if slot in inherited:
                self.report(
                    node.name,
                    f"`{slot}` is already a slot of `{inherited[slot]}`: declaring it again "
                    "makes a second, hidden storage cell; list only new names",
                )
                return
        allowed = {s for c in chain for s in c.slots} | {n for c in chain for n in c.class_names}
        for stmt in block_statements(node.body):
            if type(stmt) is not cst.FunctionDef or not stmt.params.params:
                continue
            if any(
                type(d.decorator) is cst.Name and d.decorator.value in _NOT_INSTANCE_METHODS
                for d in stmt.decorators
            ):
                continue
            owner = stmt.params.params[0].name.value
            for inner in iter_subtree_no_scopes(stmt.body):
                if type(inner) is cst.Assign:
                    targets = [t.target for t in inner.targets]
                elif type(inner) is cst.AnnAssign or type(inner) is cst.AugAssign:
                    targets = [inner.target]
                else:
                    continue
                for target in targets:
                    if (
                        type(target) is cst.Attribute
                        and type(target.value) is cst.Name
                        and target.value.value == owner
                        and target.attr.value not in allowed
                    ):
                        self.report(
                            target,
                            f"`{node.name.value}` has `__slots__` without "
                            f"`{target.attr.value}` (and no `__dict__`): this assignment "
                            "raises `AttributeError`; add it to `__slots__`",
                        )
                        return
