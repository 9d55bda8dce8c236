"""AGT405: a singleton whose `__new__` returns a cached instance but `__init__` resets it."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes

_EMPTY = cst.Module([])


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _calls_new(expr: cst.CSTNode) -> bool:
    """The expression creates an instance: `super().__new__(cls)`, `object.__new__(cls)`."""
    return any(
        isinstance(n, cst.Call)
        and isinstance(n.func, cst.Attribute)
        and n.func.attr.value == "__new__"
        for n in iter_subtree(expr)
    )


def _rooted_at(target: cst.BaseExpression, roots: set[str]) -> bool:
    """`cls._instance`, `cls._instances[key]`, `Registry._instance`, a global `_instance`."""
    node: cst.BaseExpression = target
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return isinstance(node, cst.Name) and node.value in roots and node is not target


def cached_instance(new: cst.FunctionDef, class_name: str) -> str | None:
    """The cache `__new__` returns (`cls._instance`), when it stores a new instance into a
    class attribute or global and returns that same cache; None for an ordinary `__new__`."""
    params = [*new.params.posonly_params, *new.params.params]
    roots = {class_name}
    if params:
        roots.add(params[0].name.value)
    stored: set[str] = set()
    created: set[str] = set()  # locals holding a fresh instance (`inst = super().__new__(cls)`)
    returned: list[str] = []
    nodes = list(iter_subtree_no_scopes(new.body))
    for node in nodes:
        if isinstance(node, cst.Global):
            roots.update(n.name.value for n in node.names if isinstance(n.name, cst.Name))
    for node in nodes:
        if isinstance(node, cst.Assign):
            fresh = _calls_new(node.value) or (
                isinstance(node.value, cst.Name) and node.value.value in created
            )
            for target in node.targets:
                if not fresh:
                    continue
                if isinstance(target.target, cst.Name) and target.target.value not in roots:
                    created.add(target.target.value)
                elif _rooted_at(target.target, roots) or (
                    isinstance(target.target, cst.Name) and target.target.value in roots
                ):
                    stored.add(_code(target.target))
        elif isinstance(node, cst.Return) and node.value is not None:
            returned.append(_code(node.value))
    for text in returned:
        if text in stored:
            return text
    return None


def _mentions_instance_state(test: cst.BaseExpression, roots: set[str]) -> bool:
    """A guard on the instance or class (`self._initialized`, `hasattr(self, "x")`)."""
    return any(isinstance(n, cst.Name) and n.value in roots for n in iter_subtree(test))


def _first_unguarded_assignment(
    init: cst.FunctionDef, roots: set[str], key_names: set[str]
) -> tuple[cst.BaseSmallStatement, cst.Attribute] | None:
    """The first top-level `self.x = ...` of `__init__`, unless an `if` on the instance's
    state (an `_initialized` guard) comes before it. `self.name = name` where `name` is the
    cache key is skipped: the cached instance gets back the value it already has."""
    params = [*init.params.posonly_params, *init.params.params]
    if not params:
        return None
    this = params[0].name.value
    for stmt in block_statements(init.body):
        if isinstance(stmt, (cst.If, cst.While, cst.Try, cst.With)):
            test = stmt.test if isinstance(stmt, (cst.If, cst.While)) else None
            if test is not None and _mentions_instance_state(test, {*roots, this}):
                return None  # guarded from here on
            continue
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                targets = [small.target]
            for target in targets:
                value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
                if isinstance(value, cst.Name) and value.value in key_names:
                    continue
                if (
                    isinstance(target, cst.Attribute)
                    and isinstance(target.value, cst.Name)
                    and target.value.value == this
                ):
                    return small, target
    return None


class SingletonReinit(Rule):
    code = "AGT405"
    name = "singleton-reinit"
    summary = "A singleton's `__new__` returns the cached instance, but `__init__` resets it."
    rationale = (
        "Python calls `__init__` on whatever `__new__` returns, every time the class is "
        "called. A singleton tool registry, memory store or client cache that returns the "
        "shared instance from `__new__` and assigns `self.tools = {}` in `__init__` wipes its "
        "own state on every `Registry()` call: tools registered at import disappear, the "
        "conversation memory resets mid-run, and whichever module constructs it last wins. "
        "Guard `__init__` with an `_initialized` flag, or build the state in `__new__`."
    )
    flagged = (
        Flagged(
            """
            class ToolRegistry:
                _instance = None

                def __new__(cls):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                    return cls._instance

                def __init__(self):
                    self.tools = {}
            """,
            line=10,
            column=9,
            message="`self.tools`",
        ),
        Flagged(
            """
            class Memory:
                _instances = {}

                def __new__(cls, session_id):
                    if session_id not in cls._instances:
                        cls._instances[session_id] = object.__new__(cls)
                    return cls._instances[session_id]

                def __init__(self, session_id):
                    \"\"\"Conversation memory for one session.\"\"\"
                    self.session_id = session_id
                    self.messages: list[str] = []
            """,
            line=12,
            message="`self.messages`",
        ),
        Flagged(
            """
            class Client:
                _shared = None

                def __new__(cls, *args, **kwargs):
                    if cls._shared is not None:
                        return cls._shared
                    instance = super().__new__(cls)
                    cls._shared = instance
                    return instance

                def __init__(self, api_key):
                    super().__init__()
                    self.api_key = api_key
                    self.cache = {}
            """,
            line=13,
        ),
    )
    clean = (
        # The same singleton with an `_initialized` guard.
        Clean(
            """
            class ToolRegistry:
                _instance = None

                def __new__(cls):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                        cls._instance._initialized = False
                    return cls._instance

                def __init__(self):
                    if self._initialized:
                        return
                    self._initialized = True
                    self.tools = {}

            class Store:
                _instance = None

                def __new__(cls):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                    return cls._instance

                def __init__(self):
                    if not hasattr(self, "items"):
                        self.items = []
            """
        ),
        # `__new__` caches, and there is no `__init__`: the state is built once in `__new__`.
        Clean(
            """
            class ToolRegistry:
                _instance = None

                def __new__(cls):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                        cls._instance.tools = {}
                    return cls._instance
            """
        ),
        # `__new__` makes a fresh instance each time: `__init__` runs once per object.
        Clean(
            """
            class Tool:
                def __new__(cls, *args, **kwargs):
                    instance = super().__new__(cls)
                    instance.created = now()
                    return instance

                def __init__(self, name):
                    self.name = name
            """
        ),
        # A cache keyed by name whose `__init__` only stores the key back (seen in blinker):
        # the shared instance gets the value it already has.
        Clean(
            """
            class Symbol:
                symbols = {}

                def __new__(cls, name):
                    if name in cls.symbols:
                        return cls.symbols[name]
                    obj = super().__new__(cls)
                    cls.symbols[name] = obj
                    return obj

                def __init__(self, name):
                    self.name = name
            """
        ),
        # `__init__` that assigns nothing on the instance.
        Clean(
            """
            class Config:
                _instance = None

                def __new__(cls):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                    return cls._instance

                def __init__(self):
                    super().__init__()
            """
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = {
            s.name.value: s for s in block_statements(node.body) if type(s) is cst.FunctionDef
        }
        new, init = methods.get("__new__"), methods.get("__init__")
        if new is None or init is None:
            return
        cache = cached_instance(new, node.name.value)
        if cache is None:
            return
        key = cst.parse_expression(cache)
        key_names = {
            n.value
            for sub in iter_subtree(key)
            if isinstance(sub, cst.SubscriptElement)
            for n in iter_subtree(sub)
            if isinstance(n, cst.Name)
        }
        found = _first_unguarded_assignment(init, {node.name.value, "cls"}, key_names)
        if found is None:
            return
        assignment, target = found
        self.report(
            assignment,
            f"`__new__` returns the shared `{cache}`, but `__init__` re-assigns `{_code(target)}` on "
            f"every `{node.name.value}()` call: guard `__init__` with an `_initialized` flag",
        )
