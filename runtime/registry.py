"""Tool and agent registries that validate every registration with the contract at import time."""

from __future__ import annotations

import inspect
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, overload

from agentsense.runtime.contract import (
    ContractError,
    ContractProblem,
    ToolSpec,
    build_spec,
    parameters_from_function,
    spec_from_function,
)

__all__ = [
    "AGENT_TYPES",
    "FUNCTION_TOOLS",
    "TOOL_REGISTRY",
    "Agent",
    "BaseTool",
    "ClassTool",
    "DuplicateToolError",
    "FunctionTool",
    "RegisteredTool",
    "ToolMeta",
    "all_tools",
    "as_tool",
    "clear_registries",
    "create_agent",
    "get_tool",
    "isolated_registries",
    "tool",
]

F = TypeVar("F", bound=Callable[..., Any])


class DuplicateToolError(ContractError):
    """A second registration under a name that is already taken."""

    def __init__(self, name: str, kind: str = "tool") -> None:
        super().__init__([ContractProblem("name", f"{kind} {name!r} is already registered")])


@dataclass(frozen=True, slots=True)
class FunctionTool:
    """A function registered as a tool: its validated spec and the function itself."""

    spec: ToolSpec
    fn: Callable[..., Any]

    def bind(self) -> Callable[..., Any]:
        """The callable to invoke with the validated arguments."""
        return self.fn


@dataclass(frozen=True, slots=True)
class ClassTool:
    """A BaseTool subclass as a registry entry; each call gets a fresh instance."""

    spec: ToolSpec
    cls: type[BaseTool]

    def bind(self) -> Callable[..., Any]:
        """A fresh instance's execute, so tools keep no state between calls by accident."""
        return self.cls().execute


RegisteredTool = FunctionTool | ClassTool

TOOL_REGISTRY: dict[str, type[BaseTool]] = {}
FUNCTION_TOOLS: dict[str, FunctionTool] = {}


def _refuse_duplicate(name: str) -> None:
    # One namespace across both registries: a model calls tools by name only.
    if name in TOOL_REGISTRY or name in FUNCTION_TOOLS:
        raise DuplicateToolError(name)


class ToolMeta(ABCMeta):
    """Registers every concrete BaseTool subclass, validated against the contract."""

    def __new__(
        mcls,
        cls_name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        **kwargs: Any,
    ) -> ToolMeta:
        cls = super().__new__(mcls, cls_name, bases, namespace, **kwargs)
        # `abstract = True` is read from the class body only, so subclasses of an abstract
        # base are registered.
        if namespace.get("abstract", False):
            return cls
        abstract_left = bool(getattr(cls, "__abstractmethods__", None))
        declares_tool = "name" in namespace or "description" in namespace
        if abstract_left and not declares_tool:
            return cls  # an intermediate base: it cannot run, and does not claim to be a tool
        missing = [
            attribute for attribute in ("name", "description") if not hasattr(cls, attribute)
        ]
        if abstract_left:
            missing.append("execute")  # names a tool, but execute is still abstract
        if missing:
            raise ContractError(
                [
                    ContractProblem(
                        attribute,
                        f"tool class {cls_name!r} is missing required attribute {attribute!r}",
                    )
                    for attribute in missing
                ]
            )
        execute = getattr(cls, "execute", None)
        name: object = getattr(cls, "name")  # noqa: B009
        spec = build_spec(
            name,
            getattr(cls, "description"),  # noqa: B009
            parameters_from_function(execute) if callable(execute) else (),
            is_async=inspect.iscoroutinefunction(execute),
        )
        _refuse_duplicate(spec.name)
        cls.__tool_spec__ = spec  # type: ignore[attr-defined]
        TOOL_REGISTRY[spec.name] = cls  # type: ignore[assignment]
        return cls


class BaseTool(metaclass=ToolMeta):
    """Base of class-based tools: set `name` and `description`, implement `execute`."""

    abstract = True
    name: ClassVar[str]
    description: ClassVar[str]
    __tool_spec__: ClassVar[ToolSpec]

    @abstractmethod
    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Run the tool with the model's validated arguments."""


@overload
def tool(fn: F, /) -> F: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Callable[[F], F]: ...


def tool(
    fn: F | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> F | Callable[[F], F]:
    """Register a function as a tool: `@tool` or `@tool(name=..., description=...)`.

    The schema comes from the signature and the docstring, unless `parameters=` gives a
    hand-written JSON schema (sent to the provider as is; calls are still validated against
    the signature). The function is returned unchanged apart from a `__tool_spec__` attribute.
    """

    def register(function: F) -> F:
        spec = spec_from_function(
            function, name=name, description=description, parameters=parameters
        )
        _refuse_duplicate(spec.name)
        FUNCTION_TOOLS[spec.name] = FunctionTool(spec=spec, fn=function)
        function.__tool_spec__ = spec  # type: ignore[attr-defined]
        return function

    if fn is not None:
        return register(fn)
    return register


def get_tool(name: str) -> RegisteredTool:
    """The registered tool called name, from either registry."""
    if name in FUNCTION_TOOLS:
        return FUNCTION_TOOLS[name]
    if name in TOOL_REGISTRY:
        cls = TOOL_REGISTRY[name]
        return ClassTool(spec=cls.__tool_spec__, cls=cls)
    known = ", ".join(sorted({*FUNCTION_TOOLS, *TOOL_REGISTRY})) or "none"
    raise KeyError(f"no tool registered as {name!r} (registered: {known})")


def all_tools() -> list[RegisteredTool]:
    """Every registered tool, sorted by name."""
    return [get_tool(name) for name in sorted({*FUNCTION_TOOLS, *TOOL_REGISTRY})]


def as_tool(obj: object) -> RegisteredTool:
    """A registry entry for a registered entry, a BaseTool subclass, or any function.

    Plain functions are not registered; their spec is built (and validated) on the spot.
    """
    if isinstance(obj, FunctionTool | ClassTool):
        return obj
    if isinstance(obj, type) and issubclass(obj, BaseTool):
        return ClassTool(spec=obj.__tool_spec__, cls=obj)
    if callable(obj):
        spec = getattr(obj, "__tool_spec__", None)
        if not isinstance(spec, ToolSpec):
            spec = spec_from_function(obj)
        return FunctionTool(spec=spec, fn=obj)
    raise TypeError(f"{obj!r} is not a tool: expected a function or a BaseTool subclass")


AgentT = TypeVar("AgentT", bound="Agent")

AGENT_TYPES: dict[str, type[Agent]] = {}


def _abstract_methods(cls: type) -> list[str]:
    """Methods still abstract along the MRO, as ABCMeta would compute them. Computed here
    because `__init_subclass__` runs before ABCMeta sets `__abstractmethods__`."""
    return sorted(
        name
        for name in dir(cls)
        if getattr(getattr(cls, name, None), "__isabstractmethod__", False)
    )


def _agent_problem(cls: type, message: str) -> ContractError:
    return ContractError(
        [ContractProblem("agent_type", f"agent class {cls.__name__!r}: {message}")]
    )


class Agent:
    """Base of agent classes, registered by type for `Agent.create(agent_type, ...)`.

    A subclass gives its type as a class keyword, `class Researcher(Agent, agent_type="research")`,
    or as a class attribute in its own body, `agent_type = "research"`. Every concrete subclass
    must give one, and is refused at class creation (ContractError, a TypeError) without: an
    unregistered agent class would only fail later, at `create`. An inherited type does not
    count, since registering a second class under it would replace the first.

    Not concrete, so neither registered nor required to have a type: a class that sets
    `abstract = True` in its own body (read from the body only, so its subclasses are concrete
    again), or one that leaves abstract methods unimplemented (an ABC-style base).
    """

    abstract: ClassVar[bool] = True
    agent_type: ClassVar[str]

    def __init_subclass__(cls, *, agent_type: str | None = None, **kwargs: Any) -> None:
        # Pass the remaining keywords on so cooperative mixins get theirs.
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("agent_type")
        given = agent_type if agent_type is not None else declared
        if cls.__dict__.get("abstract", False):
            return  # marked as an intermediate base
        abstract_left = _abstract_methods(cls)
        if abstract_left and given is None:
            return  # an ABC-style base: it cannot run, and does not claim a type
        if agent_type is not None and declared is not None and declared != agent_type:
            raise _agent_problem(
                cls, f"agent_type is given twice, as {agent_type!r} and {declared!r}"
            )
        if given is None:
            raise _agent_problem(
                cls,
                "no agent_type: pass agent_type=... or set agent_type in the class body, "
                "or set abstract = True on an intermediate base",
            )
        if not isinstance(given, str) or not given.strip():
            raise _agent_problem(cls, "agent_type must be a non-empty string")
        if abstract_left:
            raise _agent_problem(
                cls, f"abstract method(s) {', '.join(abstract_left)} are not implemented"
            )
        if given in AGENT_TYPES:
            raise DuplicateToolError(given, kind="agent type")
        cls.agent_type = given
        AGENT_TYPES[given] = cls

    @staticmethod
    def create(agent_type: str, *args: Any, **kwargs: Any) -> Agent:
        """An instance of the agent class registered as agent_type."""
        return create_agent(agent_type, *args, **kwargs)


def create_agent(agent_type: str, *args: Any, **kwargs: Any) -> Agent:
    """An instance of the agent class registered as agent_type; KeyError lists known types."""
    cls = AGENT_TYPES.get(agent_type)
    if cls is None:
        known = ", ".join(sorted(AGENT_TYPES)) or "none"
        raise KeyError(f"unknown agent type {agent_type!r} (known types: {known})")
    return cls(*args, **kwargs)


def clear_registries() -> None:
    """Forget every registered tool and agent type."""
    TOOL_REGISTRY.clear()
    FUNCTION_TOOLS.clear()
    AGENT_TYPES.clear()


@contextmanager
def isolated_registries() -> Iterator[None]:
    """Registrations made inside the block are forgotten on exit; earlier ones are restored."""
    saved = (dict(TOOL_REGISTRY), dict(FUNCTION_TOOLS), dict(AGENT_TYPES))
    try:
        yield
    finally:
        tools, functions, agents = saved
        TOOL_REGISTRY.clear()
        TOOL_REGISTRY.update(tools)
        FUNCTION_TOOLS.clear()
        FUNCTION_TOOLS.update(functions)
        AGENT_TYPES.clear()
        AGENT_TYPES.update(agents)
