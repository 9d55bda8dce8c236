"""AGT410: a descriptor's `__set__` stores the value on the descriptor, shared by every instance."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.dataflow import parameter_names, referenced_names
from agentsense.analyzers.detect.functions import method_class_stack
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes


def _self_attribute(target: cst.BaseExpression, owner: str) -> str | None:
    """`name` for a target `owner.name` (the descriptor itself), else None."""
    if (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == owner
    ):
        return target.attr.value
    return None


class DescriptorStateOnSelf(Rule):
    code = "AGT410"
    name = "descriptor-state-on-self"
    summary = "A descriptor's `__set__` stores the value on the descriptor, not on the instance."
    rationale = (
        "A descriptor (`temperature = Bounded(0, 2)`, `prompt = ValidatedString(...)`) is one "
        "object held by the class, shared by every instance. `__set__(self, instance, value)` "
        "that writes `self.value = value` keeps one value for all of them: setting one agent's "
        "temperature or system prompt changes it for every other agent, and the last writer "
        "wins. Store per-instance state on the instance (`instance.__dict__[self.name] = "
        "value`, or `setattr(instance, self.private_name, value)` with the name from "
        "`__set_name__`), or in a `WeakKeyDictionary` keyed by the instance."
    )
    flagged = (
        Flagged(
            """
            class Bounded:
                def __init__(self, low, high):
                    self.low, self.high = low, high

                def __get__(self, instance, owner):
                    return self.value

                def __set__(self, instance, value):
                    if not self.low <= value <= self.high:
                        raise ValueError(value)
                    self.value = value
            """,
            line=11,
            column=9,
            message="`self.value`",
        ),
        Flagged(
            """
            class PromptField:
                def __set_name__(self, owner, name):
                    self.name = name

                def __get__(self, obj, objtype=None):
                    return self._prompt

                def __set__(self, obj, text):
                    self._prompt = text.strip()
            """,
            line=9,
            message="every instance",
        ),
        Flagged(
            """
            class Tokens:
                def __set__(me, instance, value: int) -> None:
                    me.count: int = int(value)
            """,
            line=3,
            message="`me.count`",
        ),
    )
    clean = (
        # The value stored on the instance, under the name from `__set_name__`.
        Clean(
            """
            class Bounded:
                def __set_name__(self, owner, name):
                    self.private_name = "_" + name

                def __get__(self, instance, owner):
                    return getattr(instance, self.private_name)

                def __set__(self, instance, value):
                    self.last_error = None
                    setattr(instance, self.private_name, value)
            """
        ),
        # Keyed by instance: per-instance state kept on the descriptor on purpose.
        Clean(
            """
            from weakref import WeakKeyDictionary

            class Field:
                def __init__(self):
                    self.values = WeakKeyDictionary()

                def __set__(self, instance, value):
                    self.values[instance] = value
            """
        ),
        Clean(
            """
            class Field:
                def __set__(self, instance, value):
                    instance.__dict__[self.name] = value
            """
        ),
        # Not a descriptor's `__set__`: a module-level function and a plain setter method.
        Clean(
            """
            class Config:
                def set(self, instance, value):
                    self.value = value
            """
        ),
        # A counter on the descriptor that does not hold the value.
        Clean(
            """
            class Audited:
                def __set__(self, instance, value):
                    self.writes = self.writes + 1
                    instance.__dict__["audited"] = value
            """
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value != "__set__" or not method_class_stack(self.context.ancestors):
            return
        params = parameter_names(node)
        if len(params) != 3:
            return
        owner, value = params[0], params[2]
        for inner in iter_subtree_no_scopes(node.body):
            if isinstance(inner, cst.Assign):
                targets = [t.target for t in inner.targets]
                assigned: cst.BaseExpression | None = inner.value
            elif isinstance(inner, cst.AnnAssign):
                targets, assigned = [inner.target], inner.value
            else:
                continue
            if assigned is None or value not in referenced_names(assigned):
                continue
            for target in targets:
                attr = _self_attribute(target, owner)
                if attr is not None:
                    self.report(
                        target,
                        f"`__set__` stores the value on the descriptor (`{owner}.{attr}`), "
                        "which the class shares with every instance: store it on the "
                        f"instance (`{params[1]}.__dict__[...]` or `setattr({params[1]}, ...)`)",
                    )
                    return
