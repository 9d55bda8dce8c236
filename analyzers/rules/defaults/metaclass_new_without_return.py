"""AGT404: a metaclass `__new__` with a path that does not return the class it creates."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.flow import always_exits, block_statements
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree_no_scopes

# Metaclasses by qualified name; any base named `*Meta`/`*Metaclass` counts too.
KNOWN_METACLASSES = frozenset(
    {"type", "builtins.type", "abc.ABCMeta", "enum.EnumMeta", "enum.EnumType"}
)
_METACLASS_FIRST_PARAMS = frozenset({"mcs", "mcls", "metacls", "meta", "metaclass"})


def _is_metaclass_name(name: str | None) -> bool:
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1]
    return name in KNOWN_METACLASSES or last.endswith(("Meta", "Metaclass", "MetaClass"))


def is_metaclass(node: cst.ClassDef, facts: ModuleFacts) -> bool:
    """A class deriving from `type`, `ABCMeta`, a `*Meta` class, or a metaclass defined in
    the same module (followed through module-level classes)."""
    local = {s.name.value: s for s in facts.module.body if isinstance(s, cst.ClassDef)}
    seen: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        for base in current.bases:
            if base.keyword is not None:
                continue
            written = dotted_name(base.value)
            if written is not None and written in local:
                if written not in seen:
                    seen.add(written)
                    stack.append(local[written])
                continue
            if _is_metaclass_name(facts.qualified_name(base.value)) or _is_metaclass_name(written):
                return True
    return False


def _first_param(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _returns_nothing(small: cst.Return) -> bool:
    value = small.value
    return value is None or (isinstance(value, cst.Name) and value.value == "None")


def _ends_path(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Raise):
        return True
    return isinstance(small, cst.Return) and not _returns_nothing(small)


def _is_stub(body: cst.BaseSuite) -> bool:
    """Only a docstring, `...` or `pass` (a protocol or a type stub)."""
    for stmt in block_statements(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(
                small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)
            ):
                continue
            return False
    return True


class MetaclassNewWithoutReturn(Rule):
    code = "AGT404"
    name = "metaclass-new-without-return"
    summary = "A metaclass `__new__` can end without returning the class it created."
    rationale = (
        "Tool and agent registries are often metaclasses whose `__new__` validates and "
        "records each class. When one path through `__new__` forgets `return cls` (an early "
        "`return` for the abstract base, or a branch that falls off the end), the `class` "
        "statement binds the name to `None`: `SearchTool` is `None`, the registry holds the "
        "real class, and the failure surfaces far away as `'NoneType' object is not "
        "callable` when the tool is first used."
    )
    flagged = (
        Flagged(
            """
            class ToolMeta(type):
                registry = {}

                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if bases:
                        mcs.registry[namespace["name"]] = cls
                        return cls
            """,
            line=4,
            column=9,
            message="`ToolMeta.__new__`",
        ),
        Flagged(
            """
            from abc import ABCMeta

            class AgentMeta(ABCMeta):
                def __new__(cls, name, bases, ns, **kwargs):
                    new = super().__new__(cls, name, bases, ns, **kwargs)
                    if ns.get("abstract"):
                        return
                    AGENTS.append(new)
                    return new
            """,
            line=7,
            message="returns None",
        ),
        Flagged(
            """
            class Registry(type):
                pass

            class PluginRegistry(Registry):
                def __new__(meta, name, bases, ns):
                    new_cls = type.__new__(meta, name, bases, ns)
                    PLUGINS[name] = new_cls
            """,
            line=5,
        ),
        Flagged(
            """
            class Meta:
                def __new__(mcls, name, bases, ns):
                    for base in bases:
                        if base is Final:
                            raise TypeError("final")
                        return type.__new__(mcls, name, bases, ns)
            """,
            line=2,
        ),
    )
    clean = (
        # The same metaclasses, returning the class on every path.
        Clean(
            """
            class ToolMeta(type):
                registry = {}

                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if bases:
                        mcs.registry[namespace["name"]] = cls
                    return cls
            """
        ),
        # A raising guard, then the return; both branches of an if/else return.
        Clean(
            """
            from abc import ABCMeta

            class AgentMeta(ABCMeta):
                def __new__(cls, name, bases, ns, **kwargs):
                    if "run" not in ns:
                        raise TypeError(f"{name} must define run()")
                    return super().__new__(cls, name, bases, ns, **kwargs)

            class Other(type):
                def __new__(mcs, name, bases, ns):
                    if ns.get("abstract"):
                        return super().__new__(mcs, name, bases, ns)
                    else:
                        return type.__new__(mcs, name, bases, {**ns, "ready": True})
            """
        ),
        # `__new__` of an ordinary class is out of scope (an instance, not a class).
        Clean(
            """
            class Singleton:
                _instance = None

                def __new__(cls):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
            """
        ),
        # A stub in a protocol, and a metaclass whose `__new__` ends in try/finally.
        Clean(
            """
            class ProtoMeta(type):
                def __new__(mcs, name, bases, ns): ...

            class Tracked(type):
                def __new__(mcs, name, bases, ns):
                    try:
                        return super().__new__(mcs, name, bases, ns)
                    finally:
                        LOG.append(name)
            """
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value != "__new__":
            return
        ancestors = self.context.ancestors
        owner = ancestors[-2] if len(ancestors) >= 2 else None
        if not isinstance(owner, cst.ClassDef) or _is_stub(node.body):
            return
        if not (
            _first_param(node) in _METACLASS_FIRST_PARAMS or is_metaclass(owner, self.context.facts)
        ):
            return
        where = f"`{owner.name.value}.__new__`"
        for inner in iter_subtree_no_scopes(node.body):
            if isinstance(inner, cst.Return) and _returns_nothing(inner):
                self.report(
                    inner,
                    f"{where} returns None here: the `class` statement binds the new class's "
                    "name to None; return the class created by `super().__new__(...)`",
                )
                return
        if not always_exits(block_statements(node.body), _ends_path):
            self.report(
                node.name,
                f"{where} can end without returning the class: the `class` statement then "
                "binds the name to None; end every path with `return cls` (or `raise`)",
            )
