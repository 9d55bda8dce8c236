"""AGT403: `__init_subclass__` that breaks the cooperative chain along the MRO."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.flow import block_statements, insert_after_docstring, is_docstring
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes


def _is_super_call(node: cst.CSTNode) -> bool:
    """`super().__init_subclass__(...)`, `super(B, cls).__init_subclass__(...)`, or an
    explicit `Base.__init_subclass__(...)` (the author chose the next class by hand)."""
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "__init_subclass__"
    )


def _passes_star_kwargs(call: cst.Call, name: str) -> bool:
    return any(
        arg.star == "**" and isinstance(arg.value, cst.Name) and arg.value.value == name
        for arg in call.args
    )


def _is_raise_line(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Raise)
    )


def _deliberately_ends_chain(body: cst.BaseSuite) -> bool:
    """A no-op override (`...`, `pass`: it exists to stop the parents' hooks), or a gate
    that refuses subclasses (`raise TypeError(...)`, `if "_root" not in kw: raise ...`)
    with nothing else but local names: there is no chain to keep."""
    statements = list(block_statements(body))
    if statements and is_docstring(statements[0]):
        statements = statements[1:]
    noop = all(
        isinstance(stmt, cst.SimpleStatementLine)
        and all(
            isinstance(small, cst.Pass)
            or (isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis))
            for small in stmt.body
        )
        for stmt in statements
    )
    if noop:
        return True
    raises = False
    for stmt in statements:
        if _is_raise_line(stmt):
            raises = True
        elif isinstance(stmt, cst.If) and stmt.orelse is None:
            inner = list(block_statements(stmt.body))
            if not (len(inner) == 1 and _is_raise_line(inner[0])):
                return False
            raises = True
        elif isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(small, cst.Assign)
            and all(isinstance(t.target, cst.Name) for t in small.targets)
            for small in stmt.body
        ):
            continue
        else:
            return False
    return raises


def _free_name(function: cst.FunctionDef) -> str:
    """A name for the new `**kwargs` parameter that no parameter or local already uses."""
    used = {n.value for n in iter_subtree(function) if isinstance(n, cst.Name)}
    for candidate in ("kwargs", "kw", "class_kwargs"):
        if candidate not in used:
            return candidate
    index = 2
    while f"kwargs{index}" in used:
        index += 1
    return f"kwargs{index}"


class InitSubclassWithoutSuper(Rule):
    code = "AGT403"
    name = "init-subclass-without-super"
    summary = "`__init_subclass__` does not pass `**kwargs` on to `super().__init_subclass__`."
    rationale = (
        "Agent frameworks register tools and agents in `__init_subclass__` hooks, and a "
        "class often inherits two of them (a registry base and a mixin). Each hook must "
        "accept `**kwargs` and call `super().__init_subclass__(**kwargs)`, or the next hook "
        "along the MRO never runs: the subclass is silently missing from the other registry, "
        "or class keywords meant for another base (`class A(Base, name=...)`) raise "
        "`TypeError` at import."
    )
    fix_description = (
        "Safe: add `**kwargs` to the signature and/or "
        "`super().__init_subclass__(**kwargs)` as the first statement after the docstring."
    )
    flagged = (
        Flagged(
            """
            class Tool:
                registry = {}

                def __init_subclass__(cls):
                    Tool.registry[cls.__name__] = cls
            """,
            line=4,
            column=9,
            message="super().__init_subclass__(**kwargs)",
            fixed="""
            class Tool:
                registry = {}

                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    Tool.registry[cls.__name__] = cls
            """,
        ),
        Flagged(
            '''
            class Agent:
                def __init_subclass__(cls, *, agent_type: str = "default", **kwargs):
                    """Register the agent type."""
                    AGENTS[agent_type] = cls
            ''',
            line=2,
            message="never calls",
            fixed='''
            class Agent:
                def __init_subclass__(cls, *, agent_type: str = "default", **kwargs):
                    """Register the agent type."""
                    super().__init_subclass__(**kwargs)
                    AGENTS[agent_type] = cls
            ''',
        ),
        Flagged(
            """
            class Plugin:
                @classmethod
                def __init_subclass__(cls, name=None):
                    super().__init_subclass__()
                    PLUGINS[name or cls.__name__] = cls
            """,
            line=3,
            message="**kwargs",
            fixed="""
            class Plugin:
                @classmethod
                def __init_subclass__(cls, name=None, **kwargs):
                    super().__init_subclass__(**kwargs)
                    PLUGINS[name or cls.__name__] = cls
            """,
        ),
        Flagged(
            # A one-line body: its comment stays on the statement it followed.
            """
            class Base:
                def __init_subclass__(cls, **options): REGISTRY.append(cls)  # every subclass
            """,
            line=2,
            fixed="""
            class Base:
                def __init_subclass__(cls, **options):
                    super().__init_subclass__(**options)
                    REGISTRY.append(cls)  # every subclass
            """,
        ),
    )
    clean = (
        # The cooperative versions of the same hooks.
        Clean(
            """
            class Tool:
                registry = {}

                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    Tool.registry[cls.__name__] = cls

            class Agent:
                def __init_subclass__(cls, *, agent_type: str = "default", **kwargs):
                    super().__init_subclass__(**kwargs)
                    AGENTS[agent_type] = cls
            """
        ),
        # Calling super last, or through an explicit base, still keeps the chain.
        Clean(
            """
            class Plugin(Base):
                def __init_subclass__(cls, name=None, **kw):
                    PLUGINS[name or cls.__name__] = cls
                    Base.__init_subclass__(**kw)
            """
        ),
        # The hook deliberately keeps the keywords (forwarding them would make
        # `object.__init_subclass__` raise), or refuses every subclass.
        Clean(
            """
            class Configurable:
                def __init_subclass__(cls, **options):
                    cls.options = options
                    super().__init_subclass__()

            class Keyed:
                def __init_subclass__(cls, **kwargs):
                    cls.kwargs = kwargs

            class Final:
                def __init_subclass__(cls, *args, **kwargs):
                    raise TypeError("Final cannot be subclassed")
            """
        ),
        # Shapes seen in the standard library: a no-op override that stops the parents'
        # hooks on purpose, a stub, and gates that refuse subclasses.
        Clean(
            """
            class Quiet(Registered):
                def __init_subclass__(cls, **kwds):
                    pass

            class ModelBase:
                def __init_subclass__(cls, *, frozen: bool = False): ...

            class _Final:
                def __init_subclass__(cls, /, *args, **kwds):
                    if "_root" not in kwds:
                        raise TypeError("Cannot subclass special typing classes")

            class Dummy:
                def __init_subclass__(cls):
                    subclass_name = cls.__name__
                    raise TypeError(f"Cannot subclass {subclass_name}")
            """
        ),
        # Not a method: a module-level function with that name.
        Clean(
            """
            def __init_subclass__(cls):
                return cls
            """
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value != "__init_subclass__":
            return
        ancestors = self.context.ancestors
        if len(ancestors) < 2 or not isinstance(ancestors[-2], cst.ClassDef):
            return
        if _deliberately_ends_chain(node.body):
            return
        star_kwarg = node.params.star_kwarg
        kwargs_name = star_kwarg.name.value if star_kwarg is not None else _free_name(node)
        calls = [n for n in iter_subtree_no_scopes(node.body) if _is_super_call(n)]
        forwarding = any(
            isinstance(c, cst.Call) and _passes_star_kwargs(c, kwargs_name) for c in calls
        )
        if star_kwarg is not None and forwarding:
            return
        if star_kwarg is not None and any(
            isinstance(n, cst.Name) and n.value == kwargs_name for n in iter_subtree(node.body)
        ):
            # The hook reads its keywords itself (`cls.options = kwargs`): forwarding them
            # would make `object.__init_subclass__` raise, so neither flag nor "fix" it.
            return
        new_call = cst.parse_expression(f"super().__init_subclass__(**{kwargs_name})")
        new = node
        if star_kwarg is None:
            new = new.with_changes(
                params=node.params.with_changes(star_kwarg=cst.Param(cst.Name(kwargs_name)))
            )
        if calls:
            first = calls[0]
            assert isinstance(first, cst.Call)
            replaced = new.deep_replace(
                first,
                first.with_changes(args=[*first.args, cst.Arg(cst.Name(kwargs_name), star="**")]),
            )
            assert isinstance(replaced, cst.FunctionDef)
            new = replaced
        else:
            new = new.with_changes(
                body=insert_after_docstring(
                    new.body, cst.SimpleStatementLine(body=[cst.Expr(new_call)])
                )
            )
        if star_kwarg is None and not calls:
            problem = (
                f"takes no `**kwargs` and never calls `super().__init_subclass__(**{kwargs_name})`: "
                "the hooks of the other bases along the MRO never run"
            )
        elif star_kwarg is None:
            problem = (
                "takes no `**kwargs`: a class keyword meant for another base along the MRO "
                "raises TypeError"
            )
        elif not calls:
            problem = (
                f"never calls `super().__init_subclass__(**{kwargs_name})`: the hooks of the "
                "other bases along the MRO never run"
            )
        else:
            problem = (
                f"does not pass `**{kwargs_name}` on to `super().__init_subclass__`: keywords "
                "meant for the other bases along the MRO are dropped"
            )
        self.report(
            node.name,
            f"`__init_subclass__` {problem}",
            fix=FixPlan("Call `super().__init_subclass__(**kwargs)`", (Replace(node, new),)),
        )
