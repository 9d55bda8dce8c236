"""AGT216: a subclass that its user-defined registry (metaclass / `__init_subclass__`) refuses."""

from __future__ import annotations

from typing import ClassVar

from agentsense.analyzers.detect.registrations import Registration
from agentsense.analyzers.model import Severity
from agentsense.analyzers.rule import Clean, Flagged
from agentsense.analyzers.rules.tools._registration_rule import RegistrationRule


class RegistrySubclassContract(RegistrationRule):
    code = "AGT216"
    name = "registry-subclass-contract"
    summary = "A subclass that its registry's metaclass or `__init_subclass__` refuses at import."
    rationale = (
        "Plugin registries written in the project check their subclasses when the class "
        "statement runs: `if 'name' not in namespace: raise TypeError(...)` in a metaclass "
        "`__new__`, `if not hasattr(cls, 'description')` or a required class keyword in "
        "`__init_subclass__`. A subclass that misses one fails the import of its module, "
        "often only in production where that module is first loaded. The linter reads those "
        "guards as the registry's contract and evaluates them for each subclass (class body, "
        "inherited attributes, class keywords); the message is the one the guard would "
        "raise. Guards that depend on anything not static are not evaluated."
    )
    severity: ClassVar[Severity] = Severity.ERROR
    flagged = (
        Flagged(
            """
            PLUGINS = {}

            class PluginMeta(type):
                def __new__(mcls, name, bases, namespace, **kwargs):
                    cls = super().__new__(mcls, name, bases, namespace, **kwargs)
                    if not bases:
                        return cls
                    if "description" not in namespace:
                        raise TypeError(f"{name} must define a description")
                    PLUGINS[namespace["name"]] = cls
                    return cls

            class Plugin(metaclass=PluginMeta):
                pass

            class Search(Plugin):
                name = "search"
            """,
            line=16,
            column=7,
            message="Search must define a description",
        ),
        Flagged(
            """
            class Handler:
                registry = {}

                def __init_subclass__(cls, *, event=None, **kwargs):
                    super().__init_subclass__(**kwargs)
                    if event is None:
                        raise TypeError(f"{cls.__name__}: pass event=... in the class statement")
                    cls.registry[event] = cls

            class OnStart(Handler, event="start"):
                pass

            class OnStop(Handler):
                pass
            """,
            line=13,
            message="OnStop: pass event=... in the class statement",
        ),
        Flagged(
            """
            REQUIRED_ATTRS = ("name", "description", "run")
            TOOLS = {}

            class ToolBase:
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    for attr in REQUIRED_ATTRS:
                        if not hasattr(cls, attr):
                            raise TypeError(f"{cls.__name__} is missing {attr!r}")
                    TOOLS[cls.name] = cls

            class Calculator(ToolBase):
                name = "calculator"
                description = "Evaluate arithmetic."
            """,
            line=12,
            message="Calculator is missing 'run'",
        ),
        Flagged(
            """
            AGENTS = {}

            class AgentBase:
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    AGENTS[cls.agent_name] = cls

            class Planner(AgentBase):
                role = "planner"
            """,
            line=8,
            message="type object 'Planner' has no attribute 'agent_name'",
        ),
        Flagged(
            # A metaclass that collects the missing attributes of `mcs.REQUIRED`.
            """
            TOOLS = {}

            class ToolMeta(type):
                REQUIRED = ("name", "description", "execute")

                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if bases:
                        missing = [a for a in mcs.REQUIRED if a not in namespace]
                        if missing:
                            raise TypeError(f"{name} is missing {', '.join(missing)}")
                        TOOLS[namespace["name"]] = cls
                    return cls

            class Tool(metaclass=ToolMeta):
                pass

            class Calc(Tool):
                name = "calc"
                def execute(self, expr: str) -> str:
                    return expr
            """,
            line=18,
            column=7,
            message="Calc is missing description",
        ),
        Flagged(
            # A required class keyword that a subclass omits: Python's own TypeError.
            """
            REGISTRY = {}

            class Plugin:
                def __init_subclass__(cls, *, category: str, **kwargs):
                    super().__init_subclass__(**kwargs)
                    REGISTRY.setdefault(category, []).append(cls)

            class Search(Plugin, category="web"):
                pass

            class Broken(Plugin):
                pass
            """,
            line=11,
            column=7,
            message="Plugin.__init_subclass__() missing 1 required keyword-only argument: 'category'",
        ),
        Flagged(
            # A class-decorator registry that checks the class it is given.
            """
            TOOLS = {}

            def register(cls):
                if not hasattr(cls, "execute"):
                    raise TypeError(f"{cls.__name__} must define execute")
                TOOLS[cls.tool_name] = cls
                return cls

            @register
            class Search:
                tool_name = "search"
                def execute(self, q: str) -> str:
                    return q
            @register
            class NoExec:
                tool_name = "noexec"
            """,
            line=15,
            column=7,
            message="NoExec must define execute",
        ),
        Flagged(
            # The guard sits in a helper; the store in a helper inside `try`.
            """
            TOOLS = {}

            def _check(cls):
                if not hasattr(cls, "description"):
                    raise TypeError(f"{cls.__name__} needs a description")

            def _store(cls):
                TOOLS[cls.name] = cls

            class Base:
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    _check(cls)
                    try:
                        _store(cls)
                    except KeyError:
                        pass

            class A(Base):
                name = "a"

            class B(Base):
                name = "b"
                description = "B."
            """,
            line=19,
            column=7,
            message="A needs a description",
        ),
    )
    clean = (
        Clean(
            """
            PLUGINS = {}

            class PluginMeta(type):
                def __new__(mcls, name, bases, namespace, **kwargs):
                    cls = super().__new__(mcls, name, bases, namespace, **kwargs)
                    if not bases or namespace.get("abstract", False):
                        return cls
                    if "description" not in namespace:
                        raise TypeError(f"{name} must define a description")
                    PLUGINS[namespace["name"]] = cls
                    return cls

            class Plugin(metaclass=PluginMeta):
                pass

            class WebPlugin(Plugin):
                abstract = True

            class Search(WebPlugin):
                name = "search"
                description = "Search the web."
            """
        ),
        Clean(
            # The required attribute is inherited from a base.
            """
            REQUIRED_ATTRS = ("name", "description", "run")
            TOOLS = {}

            class ToolBase:
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    for attr in REQUIRED_ATTRS:
                        if not hasattr(cls, attr):
                            raise TypeError(f"{cls.__name__} is missing {attr!r}")
                    TOOLS[cls.name] = cls

            class Runnable(ToolBase):
                name = "runnable"
                description = "Something that runs."

                def run(self) -> None:
                    return None

            class Calculator(Runnable):
                name = "calculator"
                description = "Evaluate arithmetic."
            """
        ),
        Clean(
            # The attribute may come from a mixin the linter cannot see.
            """
            from plugins.mixins import Described

            class Handler:
                registry = {}

                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    if not hasattr(cls, "description"):
                        raise TypeError("handlers need a description")
                    cls.registry[cls.__name__] = cls

            class OnStart(Described, Handler):
                pass
            """
        ),
        Clean(
            # A guard on something that is not static is not evaluated.
            """
            import os

            class Handler:
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    if os.environ.get("STRICT") and not hasattr(cls, "event"):
                        raise TypeError("handlers need an event")

            class OnStart(Handler):
                pass
            """
        ),
        Clean(
            # The required attributes are all in the class body.
            """
            TOOLS = {}

            class ToolMeta(type):
                REQUIRED = ("name", "description", "execute")

                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if bases:
                        missing = [a for a in mcs.REQUIRED if a not in namespace]
                        if missing:
                            raise TypeError(f"{name} is missing {', '.join(missing)}")
                        TOOLS[namespace["name"]] = cls
                    return cls

            class Tool(metaclass=ToolMeta):
                pass

            class Calc(Tool):
                name = "calc"
                description = "Evaluate an expression."
                def execute(self, expr: str) -> str:
                    return expr
            """
        ),
        Clean(
            # Every subclass passes its class keyword.
            """
            REGISTRY = {}

            class Plugin:
                def __init_subclass__(cls, *, category: str, **kwargs):
                    super().__init_subclass__(**kwargs)
                    REGISTRY.setdefault(category, []).append(cls)

            class Search(Plugin, category="web"):
                pass

            class Broken(Plugin, category="misc"):
                pass
            """
        ),
        Clean(
            # The decorated class defines execute.
            """
            TOOLS = {}

            def register(cls):
                if not hasattr(cls, "execute"):
                    raise TypeError(f"{cls.__name__} must define execute")
                TOOLS[cls.tool_name] = cls
                return cls

            @register
            class Search:
                tool_name = "search"
                def execute(self, q: str) -> str:
                    return q
            @register
            class NoExec:
                tool_name = "noexec"

                def execute(self, q: str) -> str:
                    return q
            """
        ),
        Clean(
            # Every subclass has the description the helper checks.
            """
            TOOLS = {}

            def _check(cls):
                if not hasattr(cls, "description"):
                    raise TypeError(f"{cls.__name__} needs a description")

            def _store(cls):
                TOOLS[cls.name] = cls

            class Base:
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    _check(cls)
                    try:
                        _store(cls)
                    except KeyError:
                        pass

            class A(Base):
                name = "a"
                description = "A."

            class B(Base):
                name = "b"
                description = "B."
            """
        ),
    )

    def check(self, reg: Registration) -> None:
        for problem in reg.problems:
            if problem.origin == "guard":
                self.report(problem.node, problem.message, related=problem.related)
